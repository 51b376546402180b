/* SPDX-License-Identifier: MIT */
/*
 * AP start-up, SDM Vol. 3A §9.4.4.1 ("Typical BSP Initialization
 * Sequence"): INIT, 10 ms, SIPI, 200 us, SIPI, all as broadcasts to every
 * CPU but self, so the guest needs no APIC ID list. Each AP takes a slot
 * with an atomic increment (trampoline.S), reports, and parks in HLT (or
 * runs smp_ap_then): it never ends the run, the boot CPU does.
 */
#include "guest-images/testguest/smp.h"

#include "guest-images/testguest/acpi.h"
#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"

#define ICR_INIT 0x00000500
#define ICR_STARTUP 0x00000600
#define ICR_ASSERT 0x00004000
#define ICR_BUSY 0x00001000
#define ICR_ALL_BUT_SELF 0x000C0000
#define ICR_POLLS 100000
#define SVR_ENABLE 0x100
#define SPURIOUS_VECTOR 0xFF
#define SURPLUS_WAIT_MS 200
#define CPUID_1_EDX_HTT (1u << 28)

extern const char trampoline_start[], trampoline_end[];

static volatile unsigned ap_arrived;
void (*volatile smp_ap_then)(unsigned slot);
static volatile unsigned ap_apic[MAX_CPUS];
static struct cpu_topology ap_topo[MAX_CPUS];

void ap_main(unsigned slot); /* called from trampoline.S on each AP */
void ap_main(unsigned slot)
{
	unsigned id;

	cpu_init_ap();
	id = lapic_id();
	ap_apic[slot] = id;
	cpu_topology_read(&ap_topo[slot]); /* published by the release below */
	printf("smp: AP in slot %u: APIC ID %u, long mode\n", slot, id);
	__atomic_fetch_add(&ap_arrived, 1, __ATOMIC_RELEASE);
	if (smp_ap_then)
		smp_ap_then(slot);
}

const struct cpu_topology *smp_ap_topology(unsigned slot)
{
	return slot < MAX_CPUS ? &ap_topo[slot] : &ap_topo[0];
}

unsigned smp_ap_apic_id(unsigned slot)
{
	return slot < MAX_CPUS ? ap_apic[slot] : ~0u;
}

static int send_ipi_all_but_self(uint32_t icr)
{
	lapic_write(LAPIC_ICR_HI, 0);
	lapic_write(LAPIC_ICR_LO, icr | ICR_ALL_BUT_SELF);
	for (unsigned i = 0; i < ICR_POLLS; i++)
		if (!(lapic_read(LAPIC_ICR_LO) & ICR_BUSY))
			return 0;
	printf("smp: IPI 0x%x still pending after %u polls\n", icr, ICR_POLLS);
	return -1;
}

static unsigned wait_arrivals(unsigned want, uint64_t ms)
{
	uint64_t end = rdtsc() + ms * tsc_per_ms();

	while (__atomic_load_n(&ap_arrived, __ATOMIC_ACQUIRE) < want && (int64_t)(rdtsc() - end) < 0)
		cpu_relax();
	return __atomic_load_n(&ap_arrived, __ATOMIC_ACQUIRE);
}

int smp_start_aps(unsigned expected, uint64_t timeout_ms)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	size_t size = (size_t)(trampoline_end - trampoline_start);
	const uint8_t vector = TRAMPOLINE_SIPI_VECTOR;

	if (!(base & APIC_BASE_ENABLE) || (base & APIC_BASE_X2APIC) ||
	    (base & ~0xFFFull) != LAYOUT_LAPIC) {
		printf("smp: IA32_APIC_BASE 0x%lx: want an enabled xAPIC at 0x%llx\n", base,
		       LAYOUT_LAPIC);
		return -1;
	}
	if (size > 4096) {
		printf("smp: trampoline of %zu bytes does not fit its page\n", size);
		return -1;
	}
	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | SVR_ENABLE | SPURIOUS_VECTOR);
	memcpy((void *)(uintptr_t)TRAMPOLINE_BASE, trampoline_start, size);

	if (send_ipi_all_but_self(ICR_INIT | ICR_ASSERT) < 0)
		return -1;
	delay_us(10000);
	for (unsigned i = 0; i < 2; i++) {
		if (send_ipi_all_but_self(ICR_STARTUP | ICR_ASSERT | vector) < 0)
			return -1;
		delay_us(200);
	}
	wait_arrivals(expected, timeout_ms);
	return (int)wait_arrivals(MAX_CPUS, SURPLUS_WAIT_MS);
}

uint64_t smp_expected_cpus(const struct boot_info *bi)
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
