/* SPDX-License-Identifier: MIT */
/*
 * vmm/seccomp.c: every thread kind's filter builds; installed in a forked
 * child (as microvm does: the main thread's, then the thread's own on top)
 * the calls a thread needs work and a forbidden one dies of SIGSYS with the
 * one line; and the lists hold what the code calls (every KVM ioctl named in
 * the sources, each thread's list inside the main thread's, which it inherits).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/kvm.h>
#include <regex.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/seccomp.h"

static bool has_call(enum seccomp_kind k, int nr)
{
	size_t n;
	const int *c = seccomp_syscalls(k, &n);

	for (size_t i = 0; i < n; i++)
		if (c[i] == nr)
			return true;
	return false;
}

static bool has_ioctl(enum seccomp_kind k, const char *name)
{
	size_t n;
	const struct seccomp_ioctl *c = seccomp_ioctls(k, &n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].name, name))
			return true;
	return false;
}

Test(seccomp, every_kind_builds)
{
	struct seccomp_filters f;
	struct errbuf err;

	for (int k = 0; k < SECCOMP_KINDS; k++) {
		void *ctx = seccomp_build((enum seccomp_kind)k);

		cr_assert_not_null(ctx, "the %s filter builds", seccomp_kind_name((enum seccomp_kind)k));
		seccomp_release(ctx);
	}
	cr_assert_eq(seccomp_prepare(&f, true, &err), 0, "%s", err.msg);
	for (int k = 0; k < SECCOMP_KINDS; k++)
		cr_assert(f.prog[k] && f.len[k] > 4, "the %s filter compiled", seccomp_kind_name((enum seccomp_kind)k));
	seccomp_free(&f);
	cr_assert_eq(seccomp_prepare(&f, false, &err), 0);
	cr_assert(!f.on && !f.prog[SECCOMP_MAIN], "off builds nothing");
}

/* Threads start under the main thread's filter: what they may call, it must allow. */
Test(seccomp, thread_lists_inside_main)
{
	for (int k = SECCOMP_VCPU; k < SECCOMP_KINDS; k++) {
		size_t n;
		const int *c = seccomp_syscalls((enum seccomp_kind)k, &n);
		const struct seccomp_ioctl *io;

		for (size_t i = 0; i < n; i++)
			cr_expect(has_call(SECCOMP_MAIN, c[i]), "%s call %d is allowed in main too",
				  seccomp_kind_name((enum seccomp_kind)k), c[i]);
		io = seccomp_ioctls((enum seccomp_kind)k, &n);
		for (size_t i = 0; i < n; i++)
			cr_expect(has_ioctl(SECCOMP_MAIN, io[i].name), "%s ioctl %s is allowed in main too",
				  seccomp_kind_name((enum seccomp_kind)k), io[i].name);
	}
}

Test(seccomp, lists_hold_what_threads_call)
{
	static const int every[] = { __NR_write, __NR_futex, __NR_rt_sigreturn, __NR_rt_sigprocmask,
				     __NR_rt_sigaction, __NR_exit, __NR_exit_group, __NR_getpid,
				     __NR_gettid, __NR_tgkill, __NR_mmap, __NR_munmap, __NR_madvise,
				     __NR_brk };
	static const int main_needs[] = { __NR_io_uring_enter, __NR_io_uring_setup, __NR_io_uring_register,
					  __NR_poll, __NR_accept4, __NR_recvfrom, __NR_sendto, __NR_read,
					  __NR_openat, __NR_ftruncate, __NR_fsync, __NR_renameat2,
					  __NR_mkdir, __NR_linkat, __NR_unlinkat, __NR_clone3,
					  __NR_set_robust_list, __NR_rseq, __NR_close, __NR_fchmod,
					  __NR_newfstatat, __NR_pwrite64, __NR_fcntl, __NR_lstat };
	static const int dump_needs[] = { __NR_io_uring_enter, __NR_io_uring_setup, __NR_pwrite64,
					  __NR_ftruncate, __NR_fsync, __NR_linkat, __NR_renameat,
					  __NR_renameat2, __NR_unlinkat, __NR_fcntl, __NR_close };
	static const char *const vcpu_ioctls[] = { "KVM_RUN", "KVM_GET_REGS", "KVM_GET_SREGS",
						   "KVM_TRANSLATE", "KVM_IRQ_LINE", "TCSETS" };

	for (int k = 0; k < SECCOMP_KINDS; k++)
		for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++)
			cr_expect(has_call((enum seccomp_kind)k, every[i]), "%s allows %d",
				  seccomp_kind_name((enum seccomp_kind)k), every[i]);
	for (size_t i = 0; i < sizeof(main_needs) / sizeof(main_needs[0]); i++)
		cr_expect(has_call(SECCOMP_MAIN, main_needs[i]), "main allows %d", main_needs[i]);
	for (size_t i = 0; i < sizeof(dump_needs) / sizeof(dump_needs[0]); i++)
		cr_expect(has_call(SECCOMP_DUMP, dump_needs[i]), "dump allows %d", dump_needs[i]);
	for (size_t i = 0; i < sizeof(vcpu_ioctls) / sizeof(vcpu_ioctls[0]); i++)
		cr_expect(has_ioctl(SECCOMP_VCPU, vcpu_ioctls[i]), "vcpu allows %s", vcpu_ioctls[i]);
	/* Nothing a thread never makes after set-up. */
	cr_expect(!has_call(SECCOMP_VCPU, __NR_unlinkat) && !has_call(SECCOMP_VCPU, __NR_clone3));
#ifndef __SANITIZE_ADDRESS__ /* the sanitizers' runtime reads /proc files from any thread */
	cr_expect(!has_call(SECCOMP_VCPU, __NR_openat));
#endif
	cr_expect(!has_call(SECCOMP_MAIN, __NR_socket) && !has_call(SECCOMP_MAIN, __NR_execve) &&
		  !has_call(SECCOMP_MAIN, __NR_ptrace) && !has_call(SECCOMP_MAIN, __NR_connect));
	cr_expect(!has_ioctl(SECCOMP_VCPU, "KVM_CREATE_VM") && !has_ioctl(SECCOMP_VCPU, "KVM_SET_USER_MEMORY_REGION"));
}

/* Every KVM ioctl the sources name is one the main thread (which rebuilds VMs at reset) may make. */
Test(seccomp, every_kvm_ioctl_in_the_sources_is_allowed)
{
	static const char *const files[] = { "vmm/kvm.c", "vmm/vcpu.c", "vmm/vm.c", "vmm/vm_run.c", "vmm/panic.c",
					     "vmm/snapshot_kvm.c", "vmm/dump.c", "vmm/api_cmds.c" };
	regex_t re;
	unsigned found = 0;

	cr_assert_eq(regcomp(&re, "KVM_(RUN|CHECK_EXTENSION|TRANSLATE|IRQ_LINE|(GET|SET|CREATE)_[A-Z0-9_]+)",
			     REG_EXTENDED), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4096], line[1024];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", MICROVM_SRC_DIR, files[i]);
		f = fopen(path, "r");
		cr_assert_not_null(f, "%s opens", path);
		while (fgets(line, sizeof(line), f)) {
			const char *p = line;
			regmatch_t m;

			while (!regexec(&re, p, 1, &m, 0)) {
				char name[64];
				int len = (int)(m.rm_eo - m.rm_so);

				snprintf(name, sizeof(name), "%.*s", len, p + m.rm_so);
				cr_expect(has_ioctl(SECCOMP_MAIN, name), "%s: %s is in the main thread's list",
					  files[i], name);
				found++;
				p += m.rm_eo;
			}
		}
		fclose(f);
	}
	regfree(&re);
	cr_assert_gt(found, 40, "the scan found the KVM calls (%u)", found);
}

/*
 * In a child: install main's filter, then kind's on top (as a vCPU thread
 * does), make the allowed calls, then the forbidden one. Its stderr, read
 * back through a pipe, must hold the line; its status must be SIGSYS.
 */
static void run_child(enum seccomp_kind kind, int forbidden, char *out, size_t cap, int *status)
{
	int p[2];
	pid_t pid;
	ssize_t n, got = 0;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct seccomp_filters f;
		struct errbuf err;
		struct termios t;

		dup2(p[1], STDERR_FILENO);
		if (seccomp_prepare(&f, true, &err) || seccomp_enter(&f, SECCOMP_MAIN, "main", &err) ||
		    (kind != SECCOMP_MAIN && seccomp_enter(&f, kind, "test", &err)))
			_exit(3);
		/* Allowed: a plain call, a write, an allowed ioctl request on a non-KVM fd (ENOTTY). */
		if (getpid() <= 0 || write(STDERR_FILENO, "ok\n", 3) != 3)
			_exit(4);
		if (ioctl(p[1], TCGETS, &t) == 0 || errno != ENOTTY)
			_exit(5);
		if (kind != SECCOMP_DUMP && (ioctl(p[1], KVM_RUN, 0) == 0 || errno != ENOTTY))
			_exit(6);
		if (forbidden == __NR_socket)
			socket(AF_INET, SOCK_STREAM, 0);
		else if (forbidden == __NR_ioctl)
			ioctl(p[1], FIONREAD, &n); /* a request outside every list */
		else
			syscall(forbidden, 0, 0, 0, 0);
		_exit(0);
	}
	close(p[1]);
	while (got + 1 < (ssize_t)cap && (n = read(p[0], out + got, cap - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	cr_assert_eq(waitpid(pid, status, 0), pid);
}

Test(seccomp, forbidden_call_traps_with_one_line)
{
	static const struct {
		enum seccomp_kind kind;
		int nr;
		const char *line;
	} cases[] = {
		{ SECCOMP_MAIN, __NR_socket, "microvm: seccomp: thread main made forbidden system call socket (nr 41); rerun with --seccomp=off to debug\n" },
		{ SECCOMP_VCPU, __NR_socket, "microvm: seccomp: thread test made forbidden system call socket (nr 41); rerun with --seccomp=off to debug\n" },
		{ SECCOMP_VCPU, __NR_unlinkat, "thread test made forbidden system call unlinkat (nr 263)" },
		{ SECCOMP_VCPU, __NR_ioctl, "thread test made forbidden system call ioctl (nr 16)" },
		{ SECCOMP_DUMP, __NR_ptrace, "thread test made forbidden system call ptrace (nr 101)" },
		{ SECCOMP_MAIN, __NR_execve, "thread main made forbidden system call execve (nr 59)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[1024];
		int st;

		run_child(cases[i].kind, cases[i].nr, out, sizeof(out), &st);
		cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "case %zu: died of SIGSYS (status 0x%x, stderr: %s)",
			  i, st, out);
		cr_expect(!strncmp(out, "ok\n", 3), "case %zu: the allowed calls worked: %s", i, out);
		cr_expect(strstr(out, cases[i].line) != NULL, "case %zu: the line: %s", i, out);
		cr_expect(strstr(out, "seccomp:") && !strstr(strstr(out, "seccomp:") + 1, "seccomp:"),
			  "case %zu: one line only: %s", i, out);
	}
}
