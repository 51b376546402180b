/* SPDX-License-Identifier: MIT */
/*
 * Per-thread seccomp filters (vmm/seccomp.h, docs/security.md). The lists
 * were found by running every workload (boot, console input, pvpanic dump,
 * the QMP commands, detached dump-guest-memory, snapshot-save, restore,
 * system_reset, quit) under strace -f in the nested KVM, glibc's internals
 * included: malloc (brk, mmap, munmap, mprotect, madvise), thread start and
 * exit (clone3, set_robust_list, rseq, madvise), tzset for dump names
 * (openat, read, fstat, lseek), and the SIGSYS handler's own re-raise.
 */
#include "vmm/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/term.h"
#include "vmm/util.h"

/* What every thread may do: log, take signals, allocate, die, and report a violation. */
#define SECCOMP_COMMON                                                                             \
	__NR_write, __NR_writev, __NR_futex, __NR_rt_sigreturn, __NR_rt_sigprocmask,                \
		__NR_rt_sigaction, __NR_restart_syscall, __NR_getpid, __NR_gettid, __NR_tgkill,     \
		__NR_tkill, __NR_exit, __NR_exit_group, __NR_brk, __NR_mmap, __NR_munmap,           \
		__NR_mprotect, __NR_madvise, __NR_clock_gettime, __NR_gettimeofday, __NR_time,      \
		__NR_getrandom, __NR_sched_yield, __NR_nanosleep, __NR_clock_nanosleep, __NR_fstat, \
		__NR_newfstatat, __NR_ioctl

/*
 * The sanitizer runtimes (build/microvm-asan) set up and tear down an
 * alternate signal stack per thread, read their limits and /proc files,
 * and on an error report read the maps and symbolize in process.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SECCOMP_SANITIZER                                                                          \
	, __NR_sigaltstack, __NR_prlimit64, __NR_getrlimit, __NR_sched_getaffinity, __NR_readlink,  \
		__NR_readlinkat, __NR_open, __NR_openat, __NR_close, __NR_read, __NR_pread64,       \
		__NR_lseek, __NR_getdents64, __NR_prctl, __NR_mincore, __NR_uname, __NR_sysinfo,    \
		__NR_getppid, __NR_mremap, __NR_kill
#else
#define SECCOMP_SANITIZER
#endif

static const int main_calls[] = {
	SECCOMP_COMMON SECCOMP_SANITIZER,
	/* the event loop: eventfd, signalfd, stdin, the control socket, io_uring or poll */
	__NR_read, __NR_readv, __NR_poll, __NR_ppoll, __NR_io_uring_setup, __NR_io_uring_enter,
	__NR_io_uring_register, __NR_accept4, __NR_accept, __NR_recvfrom, __NR_recvmsg,
	__NR_sendto, __NR_sendmsg, __NR_shutdown, __NR_close, __NR_fcntl, __NR_umask,
	/* dumps, snapshots, a restored VM's kernel re-read at reset, thread names via /proc */
	__NR_open, __NR_openat, __NR_pread64, __NR_pwrite64, __NR_pwritev, __NR_lseek, __NR_stat,
	__NR_lstat, __NR_statx, __NR_access, __NR_faccessat, __NR_faccessat2, __NR_getdents64,
	__NR_mkdir, __NR_mkdirat, __NR_rmdir, __NR_unlink, __NR_unlinkat, __NR_rename,
	__NR_renameat, __NR_renameat2, __NR_link, __NR_linkat, __NR_ftruncate, __NR_fsync,
	__NR_fdatasync, __NR_fchmod, __NR_fchmodat, __NR_chmod, __NR_readlink, __NR_mremap,
	/* vCPU and dump threads: created (the new thread's first calls too), named, joined */
	__NR_clone, __NR_clone3, __NR_set_robust_list, __NR_rseq,
};

static const int vcpu_calls[] = {
	SECCOMP_COMMON SECCOMP_SANITIZER,
};

static const int dump_calls[] = {
	SECCOMP_COMMON SECCOMP_SANITIZER,
	/* the core file: O_DIRECT on and off, io_uring or pwrite, its name, tzset */
	__NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register, __NR_pwrite64,
	__NR_pwritev, __NR_read, __NR_pread64, __NR_lseek, __NR_open, __NR_openat, __NR_close,
	__NR_fcntl, __NR_ftruncate, __NR_fsync, __NR_fdatasync, __NR_linkat, __NR_unlinkat,
	__NR_renameat, __NR_renameat2, __NR_fchmod, __NR_lstat, __NR_stat,
};

#define IOC(x) { #x, x }

/* Terminal restore (Ctrl-A x, fatal signals, the SIGSYS line) from any thread. */
#define IOC_TERM IOC(TCGETS), IOC(TCSETS), IOC(TCSETSW), IOC(TCSETSF)

/* Everything a reset, a restore, a snapshot and a dump need: the main thread rebuilds VMs. */
static const struct seccomp_ioctl main_ioctls[] = {
	IOC_TERM,
	IOC(KVM_GET_API_VERSION), IOC(KVM_CHECK_EXTENSION), IOC(KVM_GET_VCPU_MMAP_SIZE),
	IOC(KVM_GET_SUPPORTED_CPUID), IOC(KVM_GET_MSR_INDEX_LIST), IOC(KVM_CREATE_VM),
	IOC(KVM_SET_TSS_ADDR), IOC(KVM_SET_IDENTITY_MAP_ADDR), IOC(KVM_CREATE_IRQCHIP),
	IOC(KVM_CREATE_PIT2), IOC(KVM_SET_USER_MEMORY_REGION), IOC(KVM_CREATE_VCPU),
	IOC(KVM_IRQ_LINE), IOC(KVM_GET_CLOCK), IOC(KVM_SET_CLOCK), IOC(KVM_GET_PIT2),
	IOC(KVM_SET_PIT2), IOC(KVM_GET_IRQCHIP), IOC(KVM_SET_IRQCHIP), IOC(KVM_RUN),
	IOC(KVM_GET_REGS), IOC(KVM_SET_REGS), IOC(KVM_GET_SREGS), IOC(KVM_SET_SREGS),
	IOC(KVM_TRANSLATE), IOC(KVM_GET_MSRS), IOC(KVM_SET_MSRS), IOC(KVM_GET_CPUID2),
	IOC(KVM_SET_CPUID2), IOC(KVM_GET_LAPIC), IOC(KVM_SET_LAPIC), IOC(KVM_GET_MP_STATE),
	IOC(KVM_SET_MP_STATE), IOC(KVM_GET_XSAVE), IOC(KVM_GET_XSAVE2), IOC(KVM_SET_XSAVE),
	IOC(KVM_GET_XCRS), IOC(KVM_SET_XCRS), IOC(KVM_GET_DEBUGREGS), IOC(KVM_SET_DEBUGREGS),
	IOC(KVM_GET_VCPU_EVENTS), IOC(KVM_SET_VCPU_EVENTS), IOC(KVM_GET_TSC_KHZ),
	IOC(KVM_SET_TSC_KHZ),
};

/* KVM_RUN, the fault report's registers and translation, the devices' interrupt lines. */
static const struct seccomp_ioctl vcpu_ioctls[] = {
	IOC_TERM, IOC(KVM_RUN), IOC(KVM_GET_REGS), IOC(KVM_GET_SREGS), IOC(KVM_TRANSLATE),
	IOC(KVM_IRQ_LINE),
};

static const struct seccomp_ioctl dump_ioctls[] = {
	IOC_TERM,
};

static const struct {
	const char *name;
	const int *calls;
	size_t nr_calls;
	const struct seccomp_ioctl *ioctls;
	size_t nr_ioctls;
} kinds[SECCOMP_KINDS] = {
	[SECCOMP_MAIN] = { "main", main_calls, ARRAY_SIZE(main_calls), main_ioctls, ARRAY_SIZE(main_ioctls) },
	[SECCOMP_VCPU] = { "vcpu", vcpu_calls, ARRAY_SIZE(vcpu_calls), vcpu_ioctls, ARRAY_SIZE(vcpu_ioctls) },
	[SECCOMP_DUMP] = { "dump", dump_calls, ARRAY_SIZE(dump_calls), dump_ioctls, ARRAY_SIZE(dump_ioctls) },
};

const int *seccomp_syscalls(enum seccomp_kind kind, size_t *n)
{
	*n = kinds[kind].nr_calls;
	return kinds[kind].calls;
}

const struct seccomp_ioctl *seccomp_ioctls(enum seccomp_kind kind, size_t *n)
{
	*n = kinds[kind].nr_ioctls;
	return kinds[kind].ioctls;
}

const char *seccomp_kind_name(enum seccomp_kind kind)
{
	return kinds[kind].name;
}

void *seccomp_build(enum seccomp_kind kind)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int r = 0;

	if (!ctx)
		return NULL;
	/* Another ABI (i386 int 0x80, x32) traps as well, with the same line. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP))
		goto fail;
	for (size_t i = 0; i < kinds[kind].nr_calls && !r; i++) {
		int nr = kinds[kind].calls[i];

		if (nr == __NR_ioctl)
			continue; /* below, by request */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r == -EEXIST)
			r = 0; /* a call in two groups of the list */
	}
	for (size_t i = 0; i < kinds[kind].nr_ioctls && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, kinds[kind].ioctls[i].req));
	/* Threads created later install their own filter; nothing else (no SECCOMP_GET_*, no TSYNC). */
	if (!r && kind == SECCOMP_MAIN)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 2,
				     SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER),
				     SCMP_A1(SCMP_CMP_EQ, 0));
	if (r)
		goto fail;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

/* ---- the SIGSYS handler: async-signal-safe only ---- */

#define SECCOMP_NAMES 512 /* x86-64 system call numbers resolved ahead of time */
#define SECCOMP_NAME_LEN 24

static char call_names[SECCOMP_NAMES][SECCOMP_NAME_LEN];
static __thread char thread_name[16] = "main";

static size_t append(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		buf[at++] = *s++;
	buf[at] = '\0';
	return at;
}

static size_t append_num(char *buf, size_t at, size_t cap, long v)
{
	char digits[24];
	int n = 0;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;

	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < (int)sizeof(digits));
	if (v < 0 && at + 1 < cap)
		buf[at++] = '-';
	while (n && at + 1 < cap)
		buf[at++] = digits[--n];
	buf[at] = '\0';
	return at;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int nr = si->si_syscall;
	bool native = si->si_arch == AUDIT_ARCH_X86_64; /* the table holds x86-64 names only */
	const char *name = native && nr >= 0 && nr < SECCOMP_NAMES && call_names[nr][0] ? call_names[nr]
										  : "unknown";
	char line[256];
	size_t n = 0;

	(void)uc;
	term_restore();
	n = append(line, n, sizeof(line), "microvm: seccomp: thread ");
	n = append(line, n, sizeof(line), thread_name);
	n = append(line, n, sizeof(line), " made forbidden system call ");
	n = append(line, n, sizeof(line), name);
	n = append(line, n, sizeof(line), " (nr ");
	n = append_num(line, n, sizeof(line), nr);
	if (!native)
		n = append(line, n, sizeof(line), ", another ABI");
	n = append(line, n, sizeof(line), "); rerun with --seccomp=off to debug\n");
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nothing better to do: the status still says SIGSYS */
	}
	/* Die of SIGSYS: pending now, delivered with the default action when the handler returns. */
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGSYS, &dfl, NULL);
	syscall(__NR_tgkill, getpid(), (pid_t)syscall(__NR_gettid), sig);
}

static void resolve_names(void)
{
	for (int nr = 0; nr < SECCOMP_NAMES; nr++) {
		char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (s) {
			strncpy(call_names[nr], s, SECCOMP_NAME_LEN - 1);
			free(s);
		}
	}
}

/* The compiled BPF of ctx, read back through a memfd (libseccomp 2.5 exports only to an fd). */
static int export_bpf(void *ctx, struct sock_filter **prog, unsigned short *len)
{
	int fd = memfd_create("microvm-seccomp", MFD_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (!r && fstat(fd, &st) < 0)
		r = -errno;
	if (!r && (st.st_size <= 0 || st.st_size % sizeof(**prog) ||
		   st.st_size / sizeof(**prog) > BPF_MAXINSNS))
		r = -E2BIG;
	if (!r && !(*prog = malloc((size_t)st.st_size)))
		r = -ENOMEM;
	if (!r && pread(fd, *prog, (size_t)st.st_size, 0) != st.st_size) {
		r = -EIO;
		free(*prog);
		*prog = NULL;
	}
	if (!r)
		*len = (unsigned short)(st.st_size / sizeof(**prog));
	close(fd);
	return r;
}

int seccomp_prepare(struct seccomp_filters *f, bool on, struct errbuf *err)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	memset(f, 0, sizeof(*f));
	if (!on)
		return 0;
	for (int k = 0; k < SECCOMP_KINDS; k++) {
		void *ctx = seccomp_build((enum seccomp_kind)k);
		int r = ctx ? export_bpf(ctx, &f->prog[k], &f->len[k]) : -ENOMEM;

		seccomp_release(ctx);
		if (r) {
			seccomp_free(f);
			return errf(err, r, "seccomp: cannot build the %s thread's filter: %s; --seccomp=off runs without it",
				    kinds[k].name, strerror(-r));
		}
	}
	resolve_names();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		int e = errno;

		seccomp_free(f);
		return errf(err, -e, "seccomp: SIGSYS handler: %s", strerror(e));
	}
	f->on = true;
	return 0;
}

void seccomp_free(struct seccomp_filters *f)
{
	for (int k = 0; k < SECCOMP_KINDS; k++) {
		free(f->prog[k]);
		f->prog[k] = NULL;
	}
	f->on = false;
}

int seccomp_enter(const struct seccomp_filters *f, enum seccomp_kind kind, const char *name,
		  struct errbuf *err)
{
	struct sock_fprog fp = { .len = f->len[kind], .filter = f->prog[kind] };

	if (!f->on)
		return 0;
	strncpy(thread_name, name, sizeof(thread_name) - 1);
	/*
	 * Required to filter without CAP_SYS_ADMIN. Set by the main thread,
	 * before its filter; threads created later inherit it (and need no prctl).
	 */
	if (kind == SECCOMP_MAIN && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errf(err, -errno, "seccomp: no_new_privs: %s; --seccomp=off runs without the filter",
			    strerror(errno));
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
		return errf(err, -errno, "seccomp: cannot install the %s thread's filter: %s; --seccomp=off runs without it",
			    kinds[kind].name, strerror(errno));
	return 0;
}

void seccomp_violate(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
}
