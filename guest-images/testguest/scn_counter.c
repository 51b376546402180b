/* SPDX-License-Identifier: MIT */
/*
 * counter: a guest whose console output shows whether a snapshot and
 * restore lost or repeated anything (docs/testguest.md has the formats).
 *
 * Every CPU (smp_expected_cpus) counts at CPL3: step n checks that its
 * memory region holds exactly what step n - 1 left, rewrites part of it as
 * a function of n, and sums it; the CPU then prints
 * "counter: cpu=ID n=N sum=0x... ok" (or BAD with the first wrong word, and
 * fails), one line per step=MS. Each line is a function of (ID, n) alone,
 * so a host can hold a restored run against a fresh one.
 *
 * The region's 8-byte word i holds value(ID, m, i) for the step m that last
 * wrote its page p = i / 512: page p is rewritten every 2^(p % 8) steps,
 * except p % 8 == 7, written at step 0 only. So the region holds pages of
 * every age, from one step to the whole run: a page a restore lost, or took
 * from an older snapshot, differs from what the check expects.
 *
 * The boot CPU also takes console input through UART interrupts (at CPL3,
 * interrupts on) and acknowledges each byte with its running total, so a
 * byte lost or doubled across a restore shows; 'q' ends the run with a
 * pass, 'p' panics through pvpanic (the dump path, with or without a note
 * published), 'r' resets through the i8042.
 *
 * Parameters: count=N lines per CPU, then pass (default: run until 'q');
 * step=MS between lines (default 100); region=SIZE per CPU (default 1M,
 * 4 KiB multiples); cpus=N; vmci=acpi|fwcfg publishes the VMCOREINFO note
 * first (with --vmcoreinfo or --vmcoreinfo=fwcfg; marker=WORD as for
 * vmcoreinfo); fill=SIZE writes a pattern over SIZE bytes of RAM from 32 MiB
 * first (snapshot benchmarks).
 */
#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/reset.h"
#include "guest-images/testguest/scenarios.h"
#include "guest-images/testguest/smp.h"
#include "guest-images/testguest/uart_irq.h"
#include "guest-images/testguest/vmci.h"

/* The region of the CPU with APIC ID c is at COUNTER_BASE + c * region,
 * clear of the reset marker below and vmcoreinfo's memory above. */
#define COUNTER_BASE 0x400000ull
#define COUNTER_END 0x1000000ull
#define REGION_DEFAULT 0x100000ull
#define FILL_FROM 0x2000000ull /* fill=SIZE: a pattern over RAM from 32 MiB (benchmarks) */
#define STEP_MS_DEFAULT 100
#define PAGE_WORDS 512
#define PAGE_AGES 8 /* page p is rewritten every 2^(p % 8) steps; 7: never */
#define SEED_MUL 0x9E3779B97F4A7C15ull
#define INPUT_RING 256

/* One CPU's count, read and written at CPL3. */
struct counter_cpu {
	uint64_t id; /* APIC ID: names the CPU's lines, picks its region and values */
	uint64_t base, words;
	uint64_t n;   /* steps done: the last line's n */
	uint64_t sum; /* of the region after step n */
	uint64_t bad, bad_addr, bad_got, bad_want; /* words wrong before step n; the first */
};

/* Wait at CPL3 until `ticks` after t0, or until *watch differs from seen. */
struct cpl3_wait {
	uint64_t t0, ticks;
	const volatile uint32_t *watch; /* NULL: time only */
	uint32_t seen;
};

static struct {
	uint64_t cpus, count, step_ms, step_ticks, words;
} cfg;

static struct counter_cpu cpus[MAX_CPUS];
static volatile unsigned aps_done;

/* Bytes from the UART's interrupt handler; served at CPL0 with IF=0. */
static struct {
	uint8_t buf[INPUT_RING];
	volatile uint32_t head; /* bytes received */
	uint32_t tail;		/* bytes acknowledged */
	volatile uint32_t dropped;
} input;

static void input_rx(uint8_t b)
{
	if (input.head - input.tail >= INPUT_RING) {
		input.dropped++;
		return;
	}
	input.buf[input.head % INPUT_RING] = b;
	input.head++;
}

static struct uart_irq uart = { .rx = input_rx };

/* ---- at CPL3 ---- */

/* splitmix64's finaliser. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* value(id, m, i) = mix64(page_seed(id, m) ^ i). */
static uint64_t page_seed(uint64_t id, uint64_t m)
{
	return mix64(m * SEED_MUL + id);
}

/* The step that last wrote page p, once step n is done. */
static uint64_t page_written(uint64_t p, uint64_t n)
{
	unsigned k = p % PAGE_AGES;

	return k == PAGE_AGES - 1 ? 0 : n & ~((1ull << k) - 1);
}

static uint64_t user_fill(uint64_t arg)
{
	struct counter_cpu *c = (struct counter_cpu *)(uintptr_t)arg;
	volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)c->base;
	uint64_t seed = page_seed(c->id, 0);

	for (uint64_t i = 0; i < c->words; i++)
		w[i] = mix64(seed ^ i);
	return 0;
}

/* Step n + 1: check every word against step n, rewrite the pages due, sum. */
static uint64_t user_step(uint64_t arg)
{
	struct counter_cpu *c = (struct counter_cpu *)(uintptr_t)arg;
	volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)c->base;
	uint64_t n = c->n + 1, sum = 0, bad = 0;

	for (uint64_t p = 0; p < c->words / PAGE_WORDS; p++) {
		uint64_t then = page_written(p, n - 1), now = page_written(p, n);
		uint64_t old_seed = page_seed(c->id, then), new_seed = page_seed(c->id, now);

		for (uint64_t i = p * PAGE_WORDS; i < (p + 1) * PAGE_WORDS; i++) {
			uint64_t v = w[i], want = mix64(old_seed ^ i);

			if (v != want && !bad++) {
				c->bad_addr = c->base + 8 * i;
				c->bad_got = v;
				c->bad_want = want;
			}
			if (now != then) {
				v = mix64(new_seed ^ i);
				w[i] = v;
			}
			sum += v * (2 * i + 1);
		}
	}
	c->sum = sum;
	c->bad = bad;
	c->n = n;
	return 0;
}

static uint64_t user_wait(uint64_t arg)
{
	const struct cpl3_wait *w = (const struct cpl3_wait *)(uintptr_t)arg;

	/* Unsigned: a TSC that went back across a restore ends the wait too. */
	while (rdtsc() - w->t0 < w->ticks && (!w->watch || *w->watch == w->seen))
		cpu_relax();
	return 0;
}

/* ---- at CPL0: short ---- */

/* This CPU's region, filled as step 0 left it. */
static struct counter_cpu *counter_cpu_start(void)
{
	unsigned id = lapic_id();
	struct counter_cpu *c;

	if (id >= cfg.cpus) /* its region would lie beyond those checked */
		fail(GUEST_EXIT_USAGE, "counter: APIC ID %u: expected IDs 0..%lu", id, cfg.cpus - 1);
	c = &cpus[id];
	c->id = id;
	c->base = COUNTER_BASE + id * cfg.words * 8;
	c->words = cfg.words;
	user_call(user_fill, (uintptr_t)c);
	printf("counter: cpu=%lu region 0x%lx-0x%lx\n", c->id, c->base, c->base + c->words * 8 - 1);
	return c;
}

static void counter_line(struct counter_cpu *c, uint64_t (*call)(uint64_t (*)(uint64_t), uint64_t))
{
	call(user_step, (uintptr_t)c);
	if (!c->bad) {
		printf("counter: cpu=%lu n=%lu sum=0x%016lx ok\n", c->id, c->n, c->sum);
		return;
	}
	printf("counter: cpu=%lu n=%lu sum=0x%016lx BAD words=%lu first=0x%lx got=0x%016lx want=0x%016lx\n",
	       c->id, c->n, c->sum, c->bad, c->bad_addr, c->bad_got, c->bad_want);
	CHECK(0, "cpu %lu: the region holds what step %lu left", c->id, c->n - 1);
}

static void counter_ap(unsigned slot)
{
	struct counter_cpu *c = counter_cpu_start();
	struct cpl3_wait w = { 0, cfg.step_ticks, NULL, 0 };

	for (;;) {
		w.t0 = rdtsc();
		counter_line(c, user_call);
		if (cfg.count && c->n >= cfg.count)
			break;
		user_call(user_wait, (uintptr_t)&w);
	}
	__atomic_fetch_add(&aps_done, 1, __ATOMIC_RELEASE);
	/* back in trampoline.S: parks in HLT */
}

static char printable(uint8_t b)
{
	return b > ' ' && b < 0x7F ? (char)b : '.';
}

/* Acknowledge each byte received and act on the commands; 1 after 'q'. */
static int counter_serve_input(const struct boot_info *bi, const struct counter_cpu *c)
{
	if (input.dropped)
		CHECK(0, "no console byte was dropped (%u were)", input.dropped);
	while (input.tail != input.head) {
		uint8_t b = input.buf[input.tail % INPUT_RING];

		input.tail++;
		printf("counter: input '%c' (0x%02x) total=%u\n", printable(b), b, input.tail);
		if (b == 'q') {
			printf("counter: quit cpu=%lu n=%lu sum=0x%016lx input=%u\n", c->id, c->n, c->sum,
			       input.tail);
			return 1;
		}
		if (b == 'p') {
			printf("counter: panic on input\n");
			vmci_panic_now();
		}
		if (b == 'r')
			reset_via(bi, "counter", "the i8042 (0xFE to port 0x64) on input", reset_trigger_i8042,
				  NULL);
	}
	return 0;
}

/* Serve input until `ticks` after t0, waiting at CPL3; 1 after 'q'. */
static int counter_idle(const struct boot_info *bi, const struct counter_cpu *c, uint64_t t0,
			uint64_t ticks)
{
	struct cpl3_wait w = { t0, ticks, &input.head, 0 };

	do {
		w.seen = input.tail;
		user_call_irq(user_wait, (uintptr_t)&w);
		if (counter_serve_input(bi, c))
			return 1;
	} while (rdtsc() - t0 < ticks);
	return 0;
}

/* count=N: the APs' last lines, input served meanwhile; 1 after 'q'. */
static int counter_wait_aps(const struct boot_info *bi, const struct counter_cpu *c, unsigned aps)
{
	uint64_t limit_ms = SMP_AP_TIMEOUT_MS + 2 * cfg.count * cfg.step_ms;
	uint64_t t0 = rdtsc(), limit = limit_ms * tsc_per_ms();

	while (__atomic_load_n(&aps_done, __ATOMIC_ACQUIRE) < aps) {
		CHECK(rdtsc() - t0 < limit, "%u of %u APs printed their %lu lines", aps_done, aps,
		      cfg.count);
		if (counter_idle(bi, c, rdtsc(), cfg.step_ticks))
			return 1;
	}
	return 0;
}

static unsigned counter_start_aps(uint64_t ncpus)
{
	int n;

	if (ncpus <= 1)
		return 0;
	smp_ap_then = counter_ap;
	n = smp_start_aps((unsigned)ncpus - 1, SMP_AP_TIMEOUT_MS);
	CHECK(n == (int)ncpus - 1, "%d of %lu application processors reported", n, ncpus - 1);
	return (unsigned)n;
}

static uint64_t counter_publish(const struct boot_info *bi, const char *vmci)
{
	if (!strcmp(vmci, "acpi"))
		return vmci_publish_acpi(bi, "normal");
	if (!strcmp(vmci, "fwcfg"))
		return vmci_publish_fwcfg(bi, "normal");
	fail(GUEST_EXIT_USAGE, "vmci=%s: unknown (acpi, fwcfg)", vmci);
}

void scn_counter(const struct boot_info *bi)
{
	uint64_t ncpus = smp_expected_cpus(bi), step_ms = STEP_MS_DEFAULT, region = REGION_DEFAULT;
	uint64_t fill = 0;
	char vmci[8] = "none";
	struct counter_cpu *c;
	unsigned aps;

	if (reset_marker_found(bi, "counter"))
		printf("counter: boot after a reset\n");
	cmdline_size(bi, "count", &cfg.count);
	cmdline_size(bi, "step", &step_ms);
	cmdline_size(bi, "region", &region);
	cmdline_get(bi, "vmci", vmci, sizeof(vmci));
	printf("counter: start cpus=%lu count=%lu step=%lums region=0x%lx base=0x%llx vmci=%s\n",
	       ncpus, cfg.count, step_ms, region, COUNTER_BASE, vmci);
	if (!region || region % 4096 || ncpus < 1 || ncpus > MAX_CPUS ||
	    region > (COUNTER_END - COUNTER_BASE) / ncpus)
		fail(GUEST_EXIT_USAGE, "counter: %lu regions of 0x%lx bytes (4 KiB multiples) do not fit in 0x%llx-0x%llx",
		     ncpus, region, COUNTER_BASE, COUNTER_END - 1);
	CHECK(ram_covers(bi, COUNTER_BASE, ncpus * region), "0x%llx + 0x%lx is RAM for the regions",
	      COUNTER_BASE, ncpus * region);
	if (cmdline_size(bi, "fill", &fill) && fill)
		printf("counter: filled %lu bytes of RAM from 0x%llx\n", vmci_fill_ram(bi, FILL_FROM, fill),
		       FILL_FROM);
	if (strcmp(vmci, "none"))
		printf("counter: published vmcoreinfo at 0x%lx (%s)\n", counter_publish(bi, vmci), vmci);
	cfg.cpus = ncpus;
	cfg.words = region / 8;
	cfg.step_ms = step_ms;
	cfg.step_ticks = step_ms * tsc_per_ms();

	uart_irq_setup(&uart);
	aps = counter_start_aps(ncpus);
	c = counter_cpu_start();
	printf("counter: counting; console input: q quits, p panics, r resets\n");
	uart_irq_enable(UART_IER_RDI);
	for (;;) {
		uint64_t t0 = rdtsc();

		counter_line(c, user_call_irq);
		if (counter_serve_input(bi, c))
			return;
		if (cfg.count && c->n >= cfg.count)
			break;
		if (counter_idle(bi, c, t0, cfg.step_ticks))
			return;
	}
	if (counter_wait_aps(bi, c, aps))
		return;
	printf("counter: done cpus=%lu count=%lu input=%u\n", ncpus, cfg.count, input.tail);
}
