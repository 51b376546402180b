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
 *
 * cpus=N: also start the APs and check, on every CPU, that CPUID describes
 * N logical CPUs as microvm lays them out (one thread per core, N cores):
 * leaf 1's APIC ID is the LAPIC's and its count is N; leaf 0xB walks SMT
 * (1 thread, shift 0), core (N, shift = log2 N rounded up), then an invalid
 * level, with the CPU's x2APIC ID in EDX on every subleaf.
 */
#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"
#include "guest-images/testguest/smp.h"

#define ECX_CX16 (1u << 13)
#define ECX_XSAVE (1u << 26)
#define ECX_OSXSAVE (1u << 27)
#define ECX_AVX (1u << 28)
#define EBX7_AVX2 (1u << 5)
#define EBX7_AVX512F (1u << 16)
#define TOPO_SMT 1
#define TOPO_CORE 2

static unsigned level_type(const uint32_t r[4])
{
	return (r[2] >> 8) & 0xff;
}

static void check_topology(const char *who, unsigned apic, const struct cpu_topology *t,
			   uint64_t cpus)
{
	const uint32_t(*b)[4] = t->leaf_b;
	unsigned shift = 0;

	while ((1ull << shift) < cpus)
		shift++;
	printf("cpuid: %s: LAPIC ID %u; leaf 1 ebx 0x%x; leaf 0xB", who, apic, t->leaf1[1]);
	for (unsigned i = 0; i < CPU_TOPO_SUBLEAVES; i++)
		printf(" [%x %x %x %x]", b[i][0], b[i][1], b[i][2], b[i][3]);
	printf("\n");
	CHECK((t->leaf1[1] >> 24) == apic, "%s: CPUID.1 APIC ID %u is the LAPIC's %u", who,
	      t->leaf1[1] >> 24, apic);
	CHECK(((t->leaf1[1] >> 16) & 0xff) == cpus, "%s: CPUID.1 counts %u logical CPUs, the VM has %lu",
	      who, (t->leaf1[1] >> 16) & 0xff, cpus);
	if (t->max_leaf < 0xB) {
		printf("cpuid: %s: max basic leaf 0x%x, no leaf 0xB\n", who, t->max_leaf);
		return;
	}
	CHECK(level_type(b[0]) == TOPO_SMT && (b[0][1] & 0xffff) == 1 && (b[0][0] & 0x1f) == 0,
	      "%s: leaf 0xB.0 is the SMT level: 1 thread per core, shift 0", who);
	CHECK(level_type(b[1]) == TOPO_CORE && (b[1][1] & 0xffff) == cpus && (b[1][0] & 0x1f) == shift,
	      "%s: leaf 0xB.1 is the core level: %lu CPUs, shift %u", who, cpus, shift);
	CHECK(level_type(b[2]) == 0 && (b[2][2] & 0xff) == 2, "%s: leaf 0xB.2 ends the levels", who);
	CHECK(b[0][3] == apic && b[1][3] == apic && b[2][3] == apic,
	      "%s: leaf 0xB EDX is the x2APIC ID %u on every level", who, apic);
}

static void check_all_cpus(uint64_t cpus)
{
	struct cpu_topology bsp;
	char who[16];
	int n;

	cpu_topology_read(&bsp);
	check_topology("boot CPU", lapic_id(), &bsp, cpus);
	if (cpus == 1)
		return;
	n = smp_start_aps((unsigned)cpus - 1, SMP_AP_TIMEOUT_MS);
	CHECK(n == (int)cpus - 1, "%d of %lu application processors reported", n, cpus - 1);
	for (int i = 0; i < n; i++) {
		snprintf(who, sizeof(who), "AP %d", i);
		check_topology(who, smp_ap_apic_id((unsigned)i), smp_ap_topology((unsigned)i), cpus);
	}
}

void scn_cpuid(const struct boot_info *bi)
{
	uint32_t l1[4], l7[4] = { 0 }, ld[4] = { 0 }, l0[4];
	char want[16] = "", xsave[16] = "";
	uint64_t cpus;

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
	if (cmdline_size(bi, "cpus", &cpus)) {
		CHECK(cpus >= 1 && cpus <= MAX_CPUS, "cpus=%lu is within 1..%u", cpus, MAX_CPUS);
		check_all_cpus(cpus);
	}
}
