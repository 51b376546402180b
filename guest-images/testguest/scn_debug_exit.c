/* SPDX-License-Identifier: MIT */
/*
 * no-debug-exit: without --debug-exit there must be no device at 0x501, so a
 * write there must not end the VM. The scenario writes DEBUG_EXIT_PROBE (with
 * the device, microvm would exit with status (0x21 << 1) | 1 = 67), says it is
 * still running, and ends through the i8042 reset line instead: run it with
 * --no-reboot, and microvm exits with status 0.
 */
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/reset.h"
#include "guest-images/testguest/scenarios.h"

#define DEBUG_EXIT_PROBE 0x21
#define RESET_WAIT_MS 3000

void scn_no_debug_exit(const struct boot_info *bi)
{
	(void)bi;
	printf("no-debug-exit: writing 0x%x to port 0x%x\n", DEBUG_EXIT_PROBE, DEBUG_EXIT_PORT);
	outw(DEBUG_EXIT_PORT, DEBUG_EXIT_PROBE);
	printf("no-debug-exit: still running after the write; resetting through the i8042\n");
	reset_trigger_i8042(NULL);
	delay_us(RESET_WAIT_MS * 1000ull);
	fail(GUEST_EXIT_STUCK, "still running %u ms after the i8042 reset", RESET_WAIT_MS);
}
