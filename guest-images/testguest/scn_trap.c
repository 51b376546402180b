/* SPDX-License-Identifier: MIT */
/*
 * trap: an exception the guest did not ask for must be reported (vector,
 * error code, RIP) and end the run with GUEST_EXIT_TRAP, never hang. This
 * scenario is expected to FAIL that way: QEMU and microvm exit with status
 * (0x71 << 1) | 1 = 227.
 *
 * Parameter: trap=ud (default: #UD at CPL0), gp (#GP at CPL0: a
 * non-canonical load), pf (#PF at CPL0: an unmapped address above the
 * identity map), user (#GP at CPL3: port IO without IOPL).
 */
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/paging.h"
#include "guest-images/testguest/scenarios.h"

static uint64_t user_port_io(uint64_t unused)
{
	(void)unused;
	outb(0x80, 0); /* #GP: CPL 3 > IOPL 0 and no IO bitmap */
	return 0;
}

void scn_trap(const struct boot_info *bi)
{
	char kind[8] = "ud";

	cmdline_get(bi, "trap", kind, sizeof(kind));
	printf("trap: raising %s; the run must end with exit code 0x%x\n", kind, GUEST_EXIT_TRAP);
	if (!strcmp(kind, "ud"))
		__asm__ volatile("ud2");
	else if (!strcmp(kind, "gp"))
		(void)*(volatile uint64_t *)0x8000000000000000ull;
	else if (!strcmp(kind, "pf"))
		(void)*(volatile uint64_t *)(uintptr_t)PAGING_MAP_LIMIT;
	else if (!strcmp(kind, "user"))
		user_call(user_port_io, 0);
	else
		fail(GUEST_EXIT_USAGE, "trap=%s: want ud, gp, pf or user", kind);
	fail(GUEST_EXIT_STUCK, "trap=%s raised no exception", kind);
}
