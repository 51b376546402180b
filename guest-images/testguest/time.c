/* SPDX-License-Identifier: MIT */
/*
 * TSC rate, measured once against PIT channel 2 (the speaker channel,
 * gated through port 0x61, so no interrupt is involved): program a 10 ms
 * one-shot in mode 0 and count TSC ticks until OUT2 (port 0x61 bit 5) rises.
 */
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_MODE 0x43
#define PIT_GATE 0x61 /* bit 0: gate 2, bit 1: speaker, bit 5: OUT2 */
#define CALIBRATE_MS 10
#define CALIBRATE_POLLS 200000 /* ~1.6 s of port reads here: bounds a stuck OUT2 */
/* Without a PIT: assume a fast TSC so that waits err on the long side. */
#define TSC_ASSUMED_PER_MS 5000000ull
/* Rates outside this window mean the measurement was not real. */
#define TSC_MIN_PER_MS 100000ull    /* 100 MHz */
#define TSC_MAX_PER_MS 20000000ull  /* 20 GHz */

static uint64_t tsc_rate; /* ticks per ms; 0 until measured */
static int tsc_measured;

static uint64_t measure(void)
{
	const uint16_t count = PIT_HZ / 1000 * CALIBRATE_MS;
	uint64_t t0, t1;
	unsigned polls;

	outb(PIT_GATE, (uint8_t)((inb(PIT_GATE) & ~0x02) | 0x01));
	outb(PIT_MODE, 0xB0); /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	if (inb(PIT_GATE) & 0x20)
		return 0; /* OUT2 already high: no PIT behind these ports */
	t0 = rdtsc();
	for (polls = 0; polls < CALIBRATE_POLLS; polls++)
		if (inb(PIT_GATE) & 0x20)
			break;
	t1 = rdtsc();
	if (polls == CALIBRATE_POLLS)
		return 0;
	return (t1 - t0) / CALIBRATE_MS;
}

uint64_t tsc_per_ms(void)
{
	uint64_t r;

	if (tsc_rate)
		return tsc_rate;
	r = measure();
	if (r >= TSC_MIN_PER_MS && r <= TSC_MAX_PER_MS) {
		tsc_measured = 1;
		tsc_rate = r;
		printf("time: TSC %lu kHz (measured against PIT channel 2)\n", r);
	} else {
		tsc_rate = TSC_ASSUMED_PER_MS;
		printf("time: no usable PIT channel 2; assuming TSC %lu kHz\n", tsc_rate);
	}
	return tsc_rate;
}

int tsc_is_measured(void)
{
	tsc_per_ms();
	return tsc_measured;
}

void delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us * tsc_per_ms() / 1000;

	while ((int64_t)(rdtsc() - end) < 0)
		cpu_relax();
}
