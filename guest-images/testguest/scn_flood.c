/* SPDX-License-Identifier: MIT */
/*
 * flood: print numbered lines on COM1 forever and never end by itself. The
 * VMM's console output then outruns any reader that stops reading (a pipe
 * into `sleep`), and the tests check that a signal or Ctrl-A x still ends
 * microvm promptly.
 */
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"

void scn_flood(const struct boot_info *bi)
{
	(void)bi;
	for (uint64_t i = 0;; i++)
		printf("flood %lu: the quick brown fox jumps over the lazy dog\n", i);
}
