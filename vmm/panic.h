/* SPDX-License-Identifier: MIT */
/* What happens after the guest reports a panic: the --on-panic policy. */
#ifndef MICROVM_PANIC_H
#define MICROVM_PANIC_H

struct vm;

enum panic_next {
	PANIC_NEXT_RUN,	  /* resume the guest (policy "dump" alone) */
	PANIC_NEXT_PAUSE, /* keep the vCPUs stopped until the user quits */
	PANIC_NEXT_RESET, /* reboot the guest */
	PANIC_NEXT_EXIT,  /* end microvm with EXIT_GUEST_PANIC */
};

/*
 * Called by the run loop with every vCPU stopped: write the dump if the
 * policy says so (a failed dump is reported and the policy goes on), and
 * return what to do next.
 */
enum panic_next panic_handle(struct vm *vm);

#endif
