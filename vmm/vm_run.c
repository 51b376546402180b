/* SPDX-License-Identifier: MIT */
/*
 * The run loop: vCPU threads started and stopped (pause, resume), the main
 * thread's events (console, signals, the control socket, wake-ups from
 * vCPUs) and what it does with the requests vCPUs raise: reset, shutdown,
 * panic. Set-up, restore and the reset itself are vmm/vm.c.
 */
#include "vmm/vm.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "devices/pvpanic.h"
#include "devices/serial.h"
#include "vmm/api.h"
#include "vmm/console.h"
#include "vmm/log.h"
#include "vmm/loop.h"
#include "vmm/panic.h"
#include "vmm/seccomp.h"
#include "vmm/term.h"
#include "vmm/vcpu.h"

/*
 * At a reset: whether the guest keeps triple-faulting at one RIP before its
 * kernel prints anything, boot after boot (VM_SILENT_TRIPLE_FAULTS in a
 * row). Rebooting it again would loop for ever, so the run ends instead,
 * with a report. A guest that prints, or faults elsewhere, resets as usual.
 */
static bool cannot_boot(struct vm *vm)
{
	bool tf = atomic_exchange(&vm->triple_fault, false);
	uint64_t rip = atomic_load(&vm->triple_fault_rip);
	uint64_t out = atomic_load(&vm->console_bytes);
	bool silent = tf && out == atomic_load(&vm->console_at_entry);
	char where[96];

	if (!silent)
		vm->silent_triple_faults = 0;
	else if (vm->silent_triple_faults && rip == vm->last_triple_fault_rip)
		vm->silent_triple_faults++;
	else
		vm->silent_triple_faults = 1;
	vm->last_triple_fault_rip = rip;
	atomic_store(&vm->console_at_entry, out); /* the next boot's firmware output is not the kernel's */
	if (vm->silent_triple_faults < VM_SILENT_TRIPLE_FAULTS)
		return false;
	vm_describe_rip(rip, where, sizeof(where));
	log_err("the guest triple-faulted %s %u boots in a row, each time before its kernel "
		"printed anything: it cannot boot, so microvm stops it (status %d). Check the kernel "
		"and its command line; -v shows each fault, --no-reboot stops at the first",
		where, vm->silent_triple_faults, EXIT_GUEST_FAULT);
	return true;
}

static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	if (pthread_sigmask(SIG_BLOCK, set, NULL))
		return -1;
	return signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* What the main thread's event loop serves while the VM runs or is paused. */
struct run_ctx {
	struct vm *vm;
	struct console con;
	struct loop loop;
	int sig_fd;
	int stdin_id;
};

static void on_wake(void *arg, unsigned revents)
{
	struct run_ctx *rc = arg;
	uint64_t v;

	while (read(rc->vm->wake_fd, &v, sizeof(v)) > 0)
		;
	api_poll(rc->vm);
}

static void on_signal(void *arg, unsigned revents)
{
	struct run_ctx *rc = arg;
	struct signalfd_siginfo si;

	if (read(rc->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	log_warn("received signal %u (%s): stopping the VM", si.ssi_signo, strsignal((int)si.ssi_signo));
	rc->vm->shutdown_reason = "host-signal";
	vm_request(rc->vm, VM_REQ_EXIT, EXIT_SIGNAL);
}

static void on_stdin(void *arg, unsigned revents)
{
	struct run_ctx *rc = arg;

	console_read(rc->vm, &rc->con);
}

/* Serve console input, signals, the control socket and vCPU wake-ups until a request arrives. */
static void run_until_request(struct run_ctx *rc)
{
	struct vm *vm = rc->vm;

	while (atomic_load(&vm->request) == VM_RUN) {
		/* Input the guest has not taken (full FIFO, or the I/O lock busy): retry soon. */
		bool pending = rc->con.serial && !console_flush(vm, &rc->con);

		if (rc->stdin_id >= 0)
			loop_set_events(&rc->loop, rc->stdin_id,
					console_wants_input(&rc->con) ? POLLIN : 0);
		if (loop_run_once(&rc->loop, pending ? 10 : -1) < 0) {
			log_err("event loop: %s", strerror(errno));
			vm_request(vm, VM_REQ_EXIT, EXIT_VMM_ERROR);
		}
	}
}

static int start_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		int r = vcpu_start(&vm->vcpus[i]);
		if (r) {
			log_err("vCPU %u: cannot start its thread: %s", i, strerror(-r));
			vcpus_stop(vm);
			return r;
		}
	}
	return 0;
}

void vm_pause(struct vm *vm)
{
	int expected = VM_REQ_PAUSE;

	if (vm->paused)
		return;
	vm_request(vm, VM_REQ_PAUSE, 0);
	vcpus_stop(vm);
	/* Registers read while paused (dump, snapshot) must not be those of a half-done IN. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].fd >= 0 && vcpu_finish_exit(&vm->vcpus[i]))
			log_warn("vCPU %u: cannot complete its last I/O exit", i);
	/* A reset, panic or exit posted meanwhile stays for the run loop (and stays paused). */
	atomic_compare_exchange_strong(&vm->request, &expected, VM_RUN);
	vm->paused = true;
	api_event(vm, "STOP", NULL);
}

int vm_resume(struct vm *vm)
{
	int r;

	if (!vm->paused)
		return 0;
	r = start_vcpus(vm);
	if (r)
		return r;
	vm->paused = false;
	vm->panicked_paused = false;
	api_event(vm, "RESUME", NULL);
	return 0;
}

static int run_ctx_init(struct run_ctx *rc, struct vm *vm, sigset_t *set, struct errbuf *err)
{
	memset(rc, 0, sizeof(*rc));
	rc->vm = vm;
	rc->stdin_id = -1;
	rc->sig_fd = block_signals(set);
	rc->con.serial = vm_find_device(vm, &serial_ops);
	rc->con.open = rc->con.serial != NULL;
	loop_init(&rc->loop);
	if (loop_add(&rc->loop, vm->wake_fd, POLLIN, on_wake, rc) < 0 ||
	    (rc->sig_fd >= 0 && loop_add(&rc->loop, rc->sig_fd, POLLIN, on_signal, rc) < 0))
		return errf(err, -ENOSPC, "event loop: no room");
	if (rc->con.open)
		rc->stdin_id = loop_add(&rc->loop, STDIN_FILENO, POLLIN, on_stdin, rc);
	if (vm->cfg.api_sock)
		return api_open(vm, &rc->loop, vm->cfg.api_sock, err);
	return 0;
}

static void emit_reset(struct vm *vm)
{
	const char *why = vm->reset_reason ? vm->reset_reason : "guest-reset";

	api_event(vm, "RESET", json_pack("{s:b, s:s}", "guest", !vm->reset_reason, "reason", why));
	vm->reset_reason = NULL;
}

static void emit_shutdown(struct vm *vm, int status)
{
	const char *why = vm->shutdown_reason;

	if (!why)
		why = status == EXIT_GUEST_PANIC ? "guest-panic" : "guest-shutdown";
	api_event(vm, "SHUTDOWN", json_pack("{s:b, s:s}", "guest", !vm->shutdown_reason, "reason", why));
}

static const char *panic_action_name(enum panic_next next)
{
	return next == PANIC_NEXT_PAUSE ? "pause" : next == PANIC_NEXT_RUN ? "run"
						 : next == PANIC_NEXT_RESET ? "reset" : "poweroff";
}

int vm_run(struct vm *vm)
{
	struct run_ctx rc;
	struct device *pv;
	struct errbuf err;
	sigset_t set;
	int status;

	vcpu_signals_init();
	signal(SIGPIPE, SIG_IGN);
	/* Past `ulimit -f` a write fails with EFBIG (the dump reports it) instead of killing us. */
	signal(SIGXFSZ, SIG_IGN);
	if (run_ctx_init(&rc, vm, &set, &err)) {
		log_err("%s", err.msg);
		atomic_store(&vm->exit_status, EXIT_VMM_ERROR);
		goto out;
	}
	rc.con.tty = term_raw();
	if (rc.con.tty)
		console_help();
	/* Everything is open and set up: from here on, each thread may make only its own calls. */
	if (seccomp_prepare(&vm->seccomp, vm->cfg.seccomp, &err) ||
	    seccomp_enter(&vm->seccomp, SECCOMP_MAIN, "main", &err)) {
		log_err("%s", err.msg);
		atomic_store(&vm->exit_status, EXIT_VMM_ERROR);
		term_restore();
		goto out;
	}
	if (vm->seccomp.on)
		log_info("seccomp: each thread confined to the system calls it needs (docs/security.md)");
	if (vm->cfg.test_seccomp_violation == SECCOMP_VIOLATION_MAIN)
		seccomp_violate();

	for (;;) {
		bool panicked;
		int req;

		if (!vm->paused && start_vcpus(vm)) {
			vm_request(vm, VM_REQ_EXIT, EXIT_VMM_ERROR);
			break;
		}
		run_until_request(&rc);
		vcpus_stop(vm);
		req = atomic_load(&vm->request);
		panicked = vm_take_panic(vm);
		if (req == VM_REQ_EXIT) {
			/*
			 * Another vCPU faulted or debug-exited, or a signal came, after the
			 * guest panicked: dump the panic, then end as that request asked
			 * (panic_exit_status() makes it 8 unless the guest debug-exited).
			 */
			if (panicked) {
				log_warn("the run is ending before the panic was handled: handling it first");
				api_event(vm, "GUEST_PANICKED", json_pack("{s:s}", "action", "poweroff"));
				panic_handle(vm);
			}
			break;
		}
		if (req == VM_REQ_PANIC) {
			enum panic_next next = panic_plan(vm->cfg.on_panic).next;

			api_event(vm, "GUEST_PANICKED", json_pack("{s:s}", "action", panic_action_name(next)));
			panic_handle(vm);
			if (next == PANIC_NEXT_EXIT) {
				atomic_store(&vm->exit_status, EXIT_GUEST_PANIC);
				break;
			}
			if (next != PANIC_NEXT_RESET) {
				if (next == PANIC_NEXT_PAUSE && !vm->paused) {
					log_warn("the VM is paused after the panic; Ctrl-A x or SIGTERM ends microvm");
					vm->paused = vm->panicked_paused = true;
					api_event(vm, "STOP", NULL);
				}
				atomic_store(&vm->request, VM_RUN);
				continue;
			}
		}
		if (cannot_boot(vm)) {
			atomic_store(&vm->exit_status, EXIT_GUEST_FAULT);
			break;
		}
		if (vm->cfg.no_reboot) {
			log_info("guest reset with --no-reboot: exiting");
			atomic_store(&vm->exit_status, EXIT_POWEROFF);
			break;
		}
		log_info("resetting the VM (reset #%llu)", (unsigned long long)vm->resets + 1);
		if (vm_reset(vm, &err)) {
			log_err("reset failed: %s", err.msg);
			atomic_store(&vm->exit_status, EXIT_VMM_ERROR);
			break;
		}
		vm->panicked_paused = false;
		emit_reset(vm);
		atomic_store(&vm->request, VM_RUN);
	}
	term_restore();
out:
	pv = vm_find_device(vm, &pvpanic_ops);
	status = panic_exit_status(pv && pvpanic_panicked(pv), atomic_load(&vm->exit_status));
	if (vm->pio.unhandled || vm->mmio.unhandled)
		log_info("%llu port-IO and %llu MMIO accesses hit no device (read as all-ones, writes dropped)",
			 (unsigned long long)vm->pio.unhandled, (unsigned long long)vm->mmio.unhandled);
	emit_shutdown(vm, status);
	api_close(vm);
	loop_destroy(&rc.loop);
	if (rc.sig_fd >= 0)
		close(rc.sig_fd);
	seccomp_free(&vm->seccomp);
	return status;
}
