/* SPDX-License-Identifier: MIT */
/*
 * cpuid: what the VMM advertises. On a KVM that emulates guest kernel mode
 * (no VMX/SVM) microvm must hide what the emulator cannot execute: CX16 and
 * the XSAVE family; on hardware-assisted KVM they pass through.
 *
 * Parameters: features=hidden (CX16 must be absent; with xsave=hidden also
 * XSAVE, OSXSAVE, AVX, AVX2, AVX-512F and leaf 0xD — some hosts force those
 * back on, which microvm reports) or features=passed (CX16 must be present,
 * as on every x86-64 host microvm runs on). Without them the scenario only
 * prints what it sees. The boot CPU's APIC ID must be 0.
 */
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"

#define ECX_CX16 (1u << 13)
#define ECX_XSAVE (1u << 26)
#define ECX_OSXSAVE (1u << 27)
#define ECX_AVX (1u << 28)
#define EBX7_AVX2 (1u << 5)
#define EBX7_AVX512F (1u << 16)

void scn_cpuid(const struct boot_info *bi)
{
	uint32_t l1[4], l7[4] = { 0 }, ld[4] = { 0 }, l0[4];
	char want[16] = "", xsave[16] = "";

	cpuid(0, 0, l0);
	cpuid(1, 0, l1);
	if (l0[0] >= 7)
		cpuid(7, 0, l7);
	if (l0[0] >= 0xd)
		cpuid(0xd, 0, ld);
	printf("cpuid: leaf1 ecx 0x%x edx 0x%x, leaf7 ebx 0x%x, leafD eax 0x%x, apic id %u\n",
	       l1[2], l1[3], l7[1], ld[0], l1[1] >> 24);
	printf("cpuid: cx16 %d xsave %d avx %d avx2 %d avx512f %d\n", !!(l1[2] & ECX_CX16),
	       !!(l1[2] & ECX_XSAVE), !!(l1[2] & ECX_AVX), !!(l7[1] & EBX7_AVX2),
	       !!(l7[1] & EBX7_AVX512F));
	CHECK((l1[1] >> 24) == 0, "the boot CPU has APIC ID 0");
	cmdline_get(bi, "features", want, sizeof(want));
	cmdline_get(bi, "xsave", xsave, sizeof(xsave));
	if (!strcmp(want, "hidden"))
		CHECK(!(l1[2] & ECX_CX16), "CX16 is hidden");
	if (!strcmp(want, "hidden") && !strcmp(xsave, "hidden")) {
		CHECK(!(l1[2] & (ECX_XSAVE | ECX_OSXSAVE | ECX_AVX)), "XSAVE, OSXSAVE and AVX are hidden");
		CHECK(!(l7[1] & (EBX7_AVX2 | EBX7_AVX512F)), "AVX2 and AVX-512F are hidden");
		CHECK(ld[0] == 0, "leaf 0xD reports no XSAVE state components");
	} else if (!strcmp(want, "passed")) {
		CHECK(l1[2] & ECX_CX16, "CX16 is advertised");
	}
}
