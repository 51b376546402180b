/* SPDX-License-Identifier: MIT */
/*
 * vmm/panic.c's policy without KVM: what each --on-panic list does, and the
 * exit status of a run in which the guest panicked.
 */
#include <criterion/criterion.h>

#include "vmm/panic.h"
#include "vmm/vm.h"

static void expect_plan(unsigned bits, bool dump, enum panic_next next)
{
	struct panic_plan p = panic_plan(bits);

	cr_assert_eq(p.dump, dump, "policy 0x%x: dump", bits);
	cr_assert_eq(p.next, next, "policy 0x%x: next", bits);
}

Test(panic, plans)
{
	expect_plan(PANIC_DUMP | PANIC_EXIT, true, PANIC_NEXT_EXIT); /* the default */
	expect_plan(PANIC_DUMP, true, PANIC_NEXT_RUN);
	expect_plan(PANIC_EXIT, false, PANIC_NEXT_EXIT);
	expect_plan(PANIC_PAUSE, false, PANIC_NEXT_PAUSE);
	expect_plan(PANIC_DUMP | PANIC_PAUSE, true, PANIC_NEXT_PAUSE);
	expect_plan(PANIC_RESET, false, PANIC_NEXT_RESET);
	expect_plan(PANIC_DUMP | PANIC_RESET, true, PANIC_NEXT_RESET);
}

/* A run that panicked never ends like a clean poweroff. */
Test(panic, exit_status_after_a_panic)
{
	cr_assert_eq(panic_exit_status(true, EXIT_POWEROFF), EXIT_GUEST_PANIC,
		     "poweroff, or a reset under --no-reboot, after the panic");
	cr_assert_eq(panic_exit_status(true, EXIT_GUEST_PANIC), EXIT_GUEST_PANIC);
	cr_assert_eq(panic_exit_status(true, EXIT_SIGNAL), EXIT_GUEST_PANIC, "paused, then SIGTERM");
	cr_assert_eq(panic_exit_status(true, EXIT_GUEST_FAULT), EXIT_GUEST_PANIC);
	cr_assert_eq(panic_exit_status(true, 1), 1, "the guest's own debug-exit stands");
	cr_assert_eq(panic_exit_status(true, 0x73 << 1 | 1), 0x73 << 1 | 1);
	cr_assert_eq(panic_exit_status(true, EXIT_VMM_ERROR), EXIT_VMM_ERROR, "microvm's own failure");
}

Test(panic, exit_status_without_a_panic)
{
	cr_assert_eq(panic_exit_status(false, EXIT_POWEROFF), EXIT_POWEROFF);
	cr_assert_eq(panic_exit_status(false, EXIT_SIGNAL), EXIT_SIGNAL);
	cr_assert_eq(panic_exit_status(false, EXIT_GUEST_FAULT), EXIT_GUEST_FAULT);
	cr_assert_eq(panic_exit_status(false, 3), 3);
}
