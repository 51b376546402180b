/* SPDX-License-Identifier: MIT */
/*
 * smp: every vCPU the VM was given comes up. The count comes from
 * smp_expected_cpus (cpus=N, else the MADT, else CPUID); the boot CPU
 * starts the others with INIT/SIPI and checks that each reported, with
 * distinct APIC IDs.
 */
#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"
#include "guest-images/testguest/smp.h"

void scn_smp(const struct boot_info *bi)
{
	uint64_t cpus = smp_expected_cpus(bi);
	unsigned bsp = lapic_id(), aps;
	int n;

	printf("smp: boot CPU APIC ID %u; expecting %lu CPUs\n", bsp, cpus);
	CHECK(cpus >= 1 && cpus <= MAX_CPUS, "expected CPU count %lu is within 1..%u", cpus, MAX_CPUS);
	if (cpus == 1) {
		printf("smp: nothing to start\n");
		return;
	}

	n = smp_start_aps((unsigned)cpus - 1, SMP_AP_TIMEOUT_MS);
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
