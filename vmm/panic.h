/* SPDX-License-Identifier: MIT */
/* What happens after the guest reports a panic: the --on-panic policy. */
#ifndef MICROVM_PANIC_H
#define MICROVM_PANIC_H

#include <stdbool.h>

#include "vmm/dump.h"
#include "vmm/err.h"

struct vm;

enum panic_next {
	PANIC_NEXT_RUN,	  /* resume the guest (policy "dump" alone) */
	PANIC_NEXT_PAUSE, /* keep the vCPUs stopped until the user quits */
	PANIC_NEXT_RESET, /* reboot the guest */
	PANIC_NEXT_EXIT,  /* end microvm with EXIT_GUEST_PANIC */
};

/* What the --on-panic bits (enum panic_action) ask for; no KVM, unit-tested. */
struct panic_plan {
	bool dump;
	enum panic_next next;
};

struct panic_plan panic_plan(unsigned on_panic);

/*
 * The exit status of a run that ends with `status` when the guest has
 * panicked since its last reset: the guest's own debug-exit status (odd)
 * and microvm's own failure (EXIT_VMM_ERROR) stand; every other end
 * (poweroff, a reset under --no-reboot, the policy's exit, a guest fault,
 * a signal) becomes EXIT_GUEST_PANIC, so a panic never looks like a clean
 * poweroff.
 */
int panic_exit_status(bool panicked, int status);

/*
 * Called by the run loop with every vCPU stopped: write the dump if the
 * policy says so (a failed dump is reported and the policy goes on), and
 * return what to do next.
 */
enum panic_next panic_handle(struct vm *vm);

/*
 * A dump of the VM as it stands: with every vCPU stopped, collect their
 * registers and what the vmcoreinfo devices hold into src, which stays
 * valid (another thread may write it) until vm_dump_free. Guest RAM is
 * read while writing: keep the vCPUs stopped until then.
 */
struct vm_dump {
	struct dump_vcpu *vcpus;
	struct vmci_fwcfg_rec fwcfg_rec;
	struct dump_source src;
};

int vm_dump_prepare(struct vm *vm, struct vm_dump *d, struct errbuf *err);
void vm_dump_free(struct vm_dump *d);
/* The one line that says where a dump went. */
void vm_dump_report(const struct vm *vm, const char *path, const struct dump_stats *st);

#endif
