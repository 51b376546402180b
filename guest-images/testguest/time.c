/* SPDX-License-Identifier: MIT */
/*
 * TSC rate, found once, from the first source that answers:
 *  1. kvmclock: KVM publishes the TSC -> ns scale in a pvclock page
 *     (Documentation/virt/kvm/x86/msr.rst, MSR_KVM_SYSTEM_TIME_NEW);
 *  2. PIT channel 0 counted down against the TSC, read back with latch
 *     commands (Intel 8254 data sheet; no interrupt involved, IF stays 0);
 *  3. otherwise a fast TSC is assumed, so waits err on the long side.
 */
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"

#define KVM_CPUID_SIGNATURE 0x40000000
#define KVM_CPUID_FEATURES 0x40000001
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

#define PIT_HZ 1193182u
#define PIT_CH0 0x40
#define PIT_MODE 0x43
#define PIT_CH0_MODE2 0x34  /* channel 0, lobyte/hibyte, rate generator */
#define PIT_CH0_LATCH 0x00
#define PIT_CH0_STOP 0x30 /* mode 0 with no count written: the counter waits */
#define CALIBRATE_PIT_TICKS (PIT_HZ / 100) /* 10 ms */
#define CALIBRATE_SAMPLES 20000		   /* bounds a counter that does not move */

#define TSC_ASSUMED_PER_MS 5000000ull
#define TSC_MIN_PER_MS 100000ull   /* 100 MHz */
#define TSC_MAX_PER_MS 20000000ull /* 20 GHz */

/* struct pvclock_vcpu_time_info (arch/x86/include/asm/pvclock-abi.h). */
struct pvclock {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));
_Static_assert(sizeof(struct pvclock) == 32, "pvclock_vcpu_time_info is 32 bytes");

static uint64_t tsc_rate; /* ticks per ms; 0 until found */
static const char *tsc_source;
static volatile struct pvclock kvmclock __attribute__((aligned(64)));

static uint64_t from_kvmclock(void)
{
	uint32_t r[4];
	uint64_t khz;
	uint32_t mul;
	int8_t shift;

	cpuid(KVM_CPUID_SIGNATURE, 0, r);
	if (r[1] != 0x4b4d564b || r[2] != 0x564b4d56 || r[3] != 0x4d || r[0] < KVM_CPUID_FEATURES)
		return 0; /* not "KVMKVMKVM\0\0\0" */
	cpuid(KVM_CPUID_FEATURES, 0, r);
	if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	kvmclock.tsc_to_system_mul = 0;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uintptr_t)&kvmclock | 1);
	mul = kvmclock.tsc_to_system_mul;
	shift = kvmclock.tsc_shift;
	/* Stop the host writing into our memory: RAM must stay ours. */
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	if (!mul)
		return 0;
	/* ns = (tsc << shift) * mul >> 32, so kHz = 10^6 * 2^32 / mul >> shift. */
	khz = (1000000ull << 32) / mul;
	return shift < 0 ? khz << -shift : khz >> shift;
}

static uint16_t pit_ch0_read(void)
{
	uint8_t lo, hi;

	outb(PIT_MODE, PIT_CH0_LATCH);
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (uint16_t)(hi << 8 | lo);
}

static uint64_t from_pit(void)
{
	uint64_t t0, t1, ticks = 0;
	uint16_t prev, now;
	unsigned n;

	outb(PIT_MODE, PIT_CH0_MODE2);
	outb(PIT_CH0, 0); /* count 0 = 65536 */
	outb(PIT_CH0, 0);
	prev = pit_ch0_read();
	t0 = rdtsc();
	for (n = 0; n < CALIBRATE_SAMPLES && ticks < CALIBRATE_PIT_TICKS; n++) {
		now = pit_ch0_read();
		ticks += (uint16_t)(prev - now); /* counts down, wraps at 2^16 */
		prev = now;
	}
	t1 = rdtsc();
	/* No periodic IRQ0 left behind: nothing here takes interrupts. */
	outb(PIT_MODE, PIT_CH0_STOP);
	if (ticks < CALIBRATE_PIT_TICKS)
		return 0;
	return (t1 - t0) * PIT_HZ / ticks / 1000;
}

uint64_t tsc_per_ms(void)
{
	uint64_t r;

	if (tsc_rate)
		return tsc_rate;
	tsc_source = "kvmclock";
	r = from_kvmclock();
	if (r < TSC_MIN_PER_MS || r > TSC_MAX_PER_MS) {
		tsc_source = "PIT channel 0";
		r = from_pit();
	}
	if (r < TSC_MIN_PER_MS || r > TSC_MAX_PER_MS) {
		tsc_source = NULL;
		r = TSC_ASSUMED_PER_MS;
	}
	tsc_rate = r;
	printf("time: TSC %lu kHz (%s)\n", r, tsc_source ? tsc_source : "assumed: no clock found");
	return tsc_rate;
}

int tsc_is_measured(void)
{
	tsc_per_ms();
	return tsc_source != NULL;
}

void delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us * tsc_per_ms() / 1000;

	while ((int64_t)(rdtsc() - end) < 0)
		cpu_relax();
}
