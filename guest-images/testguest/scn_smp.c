/* SPDX-License-Identifier: MIT */
/*
 * smp: every vCPU the VM was given comes up. The count comes from cpus=N
 * on the command line, else from the ACPI MADT, else from CPUID leaf 1
 * (EBX[23:16], logical processors per package: right for a one-socket VM);
 * the boot CPU starts the others with INIT/SIPI and checks that each
 * reported, with distinct APIC IDs.
 */
#include "guest-images/testguest/acpi.h"
#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"
#include "guest-images/testguest/smp.h"

#define AP_TIMEOUT_MS 10000 /* real mode to long mode runs emulated here */
#define CPUID_1_EDX_HTT (1u << 28)

static uint64_t expected_cpus(const struct boot_info *bi)
{
	uint64_t cpus;
	uint32_t r[4];
	int madt;

	if (cmdline_size(bi, "cpus", &cpus))
		return cpus;
	madt = acpi_madt_cpus(acpi_find_rsdp(bi));
	if (madt >= 0) {
		printf("smp: the MADT lists %d enabled CPUs\n", madt);
		return (uint64_t)madt;
	}
	cpuid(1, 0, r);
	cpus = r[3] & CPUID_1_EDX_HTT ? (r[1] >> 16) & 0xFF : 1;
	printf("smp: no cpus=N, no MADT: CPUID.1 says %lu logical processors\n", cpus);
	return cpus;
}

void scn_smp(const struct boot_info *bi)
{
	uint64_t cpus = expected_cpus(bi);
	unsigned bsp = lapic_id(), aps;
	int n;

	printf("smp: boot CPU APIC ID %u; expecting %lu CPUs\n", bsp, cpus);
	CHECK(cpus >= 1 && cpus <= MAX_CPUS, "expected CPU count %lu is within 1..%u", cpus, MAX_CPUS);
	if (cpus == 1) {
		printf("smp: nothing to start\n");
		return;
	}

	n = smp_start_aps((unsigned)cpus - 1, AP_TIMEOUT_MS);
	CHECK(n >= 0, "the local APIC can send INIT/SIPI");
	aps = (unsigned)n;
	CHECK(aps == cpus - 1, "%u of %lu application processors reported from long mode", aps,
	      cpus - 1);
	for (unsigned i = 0; i < aps; i++) {
		unsigned id = smp_ap_apic_id(i);
		int dup = id == bsp;
		for (unsigned j = 0; j < i; j++)
			dup |= smp_ap_apic_id(j) == id;
		CHECK(!dup, "AP in slot %u has APIC ID %u, unlike the boot CPU and the others", i, id);
	}
}
