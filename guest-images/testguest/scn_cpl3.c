/* SPDX-License-Identifier: MIT */
/*
 * cpl3: heavy work belongs in user mode, where this host runs guest code
 * natively (CPL0 is emulated at ~1 us per instruction). Runs a 200M-step
 * 64-bit LCG at CPL3 and compares the result with the value computed on
 * the host; a short first call proves the code really ran at CPL3.
 *
 * Parameter: cpl3_steps=N replaces 200M (then only CPL and completion are
 * checked).
 */
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"

#define LCG_STEPS 200000000ull
/* x(n+1) = a x(n) + c mod 2^64 (Knuth's MMIX constants), x(0) = 1, folded
 * into a checksum; computed on the host with the same loop. */
#define LCG_A 6364136223846793005ull
#define LCG_C 1442695040888963407ull
#define LCG_EXPECTED 0x90951356FACB1F3Dull

static uint64_t user_cpl(uint64_t unused)
{
	uint16_t cs;

	(void)unused;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static uint64_t user_lcg(uint64_t steps)
{
	uint64_t x = 1, sum = 0;

	for (uint64_t i = 0; i < steps; i++) {
		x = x * LCG_A + LCG_C;
		sum ^= x >> 29;
		sum = sum << 1 | sum >> 63;
	}
	return sum ^ x;
}

void scn_cpl3(const struct boot_info *bi)
{
	uint64_t steps = LCG_STEPS, t0, t1, sum;
	int custom = cmdline_size(bi, "cpl3_steps", &steps);

	CHECK(user_call(user_cpl, 0) == 3, "user_call runs code at CPL3 and comes back");
	t0 = rdtsc();
	sum = user_call(user_lcg, steps);
	t1 = rdtsc();
	printf("cpl3: %lu LCG steps at CPL3 in %lu TSC ticks (%lu ms), result 0x%lx\n", steps,
	       t1 - t0, (t1 - t0) / tsc_per_ms(), sum);
	if (!custom)
		CHECK(sum == LCG_EXPECTED, "the CPL3 result 0x%lx is the host's 0x%llx", sum,
		      LCG_EXPECTED);
}
