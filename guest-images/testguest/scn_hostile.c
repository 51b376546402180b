/* SPDX-License-Identifier: MIT */
/*
 * hostile: a guest that attacks microvm's devices for secs=N seconds
 * (default 2; seed=N picks the sequence, default 1), then checks that it is
 * still whole, that the console still works, and ends as the vmcoreinfo
 * scenario does (publish, fill memory, panic through pvpanic; end=fwcfg
 * publishes through etc/vmcoreinfo instead), so the test can hold the dump
 * against what the guest printed.
 *
 * Each step is one of, at random:
 *  - port IO of 1, 2 or 4 bytes, read or write, in and around every
 *    microvm port window (fw_cfg, COM1, i8042, ACPI PM, GED, pvpanic,
 *    debug-exit, the firmware status port) and at ports where nothing is;
 *  - MMIO reads and writes of 1..8 bytes around the in-kernel IOAPIC and
 *    LAPIC windows, in the 3-4 GiB hole, at the end of RAM and above it:
 *    all of it exits to microvm, which has no MMIO device;
 *  - a fw_cfg DMA transfer: a descriptor with random control bits (chained
 *    SELECT|SKIP|READ|WRITE and the undefined ones), key and length, its
 *    address in the scratch buffer, in the firmware's image, across the end
 *    of RAM, in the MMIO hole, at 4 GiB, near 2^64; the descriptor itself
 *    sometimes outside RAM or across its end; WRITEs aim at every file,
 *    including the writable ones the loader and vmcoreinfo use.
 * What it must not do, since microvm would be right to obey: write the
 * debug-exit, pvpanic, sleep-control (SLP_EN), reset-register or i8042
 * command ports, write COM1's data register (noise on the console), touch
 * the in-kernel PIC, PIT and IOAPIC/LAPIC registers that could deliver an
 * interrupt, or let a DMA READ land in RAM it uses itself.
 *
 * Checks: every DMA READ of a non-empty range outside RAM reports the error
 * bit; guard zones around the scratch buffer and at the end of low RAM are
 * intact (a device that wrote past a descriptor's range would show there);
 * the console prints after COM1 is set up again.
 */
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/fwcfg.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/paging.h"
#include "guest-images/testguest/scenarios.h"
#include "vmm/layout.h"
#include "vmm/util.h"

/* docs/testguest.md, "Memory the guest uses". */
#define SCRATCH_ADDR 0x4000000ull /* DMA READs land here */
#define SCRATCH_SIZE 0x100000ull
#define GUARD_SIZE 0x10000ull /* before and after the scratch buffer, and at the end of low RAM */
#define DESC_AREA (SCRATCH_ADDR + SCRATCH_SIZE - 0x1000) /* descriptors: the scratch's last page */
#define GUARD_BYTE(a) ((uint8_t)(((a) * 0x9Du) >> 3 ^ 0xA5u))

#define COM1 0x3f8
#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define DEBUG_EXIT 0x501
#define PVPANIC 0x505
#define ACPI_PM 0x600
#define ACPI_PM_SLP_EN 0x20
#define ACPI_PM_RESET 0x604
#define GED 0x610
#define FWCFG 0x510
#define FW_STATUS 0x50c

struct hostile {
	uint64_t rng;
	uint64_t ram_end;     /* end of the e820 RAM entry holding the scratch buffer */
	uint64_t mem_end;     /* end of the guest memory there (past the reserved HIGH zone) */
	uint32_t nr_files;
	uint16_t keys[FWCFG_MAX_FILES];
	uint64_t ports, mmios, dmas, dma_refused, dma_errors_expected;
	/* The first DMA READ outside RAM that did not report an error (the console may be
	 * garbled during the run: nothing is printed until it is set up again). */
	uint64_t bad_dmas;
	uint32_t bad_control, bad_len, bad_result;
	uint64_t bad_target;
};

static uint64_t next(struct hostile *h)
{
	/* xorshift64*: small, no multiply-free requirement, good enough. */
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return h->rng * 0x2545F4914F6CDD1Dull;
}

static uint64_t below(struct hostile *h, uint64_t n)
{
	return n ? next(h) % n : 0;
}

/* ---- guard zones ---- */

static void guard_fill(uint64_t addr)
{
	for (uint64_t a = addr; a < addr + GUARD_SIZE; a++)
		*(volatile uint8_t *)(uintptr_t)a = GUARD_BYTE(a);
}

static void guard_check(uint64_t addr, const char *what)
{
	uint64_t bad = 0, first = 0;

	for (uint64_t a = addr; a < addr + GUARD_SIZE; a++)
		if (*(volatile uint8_t *)(uintptr_t)a != GUARD_BYTE(a) && !bad++)
			first = a;
	if (bad)
		printf("hostile: %lu bytes changed in the guard %s, the first at 0x%lx\n", bad, what, first);
	CHECK(!bad, "the guard zone %s at 0x%lx is intact", what, addr);
}

/* ---- port IO ---- */

static uint16_t pick_port(struct hostile *h)
{
	static const uint16_t windows[][2] = {
		{ FWCFG, 12 }, { COM1, 8 }, { I8042_DATA, 1 }, { I8042_CMD, 1 }, { ACPI_PM, 8 },
		{ GED, 4 },    { PVPANIC, 1 }, { DEBUG_EXIT, 2 }, { FW_STATUS, 1 },
	};
	uint64_t r = below(h, 16);

	if (r < 12) {
		unsigned w = (unsigned)below(h, ARRAY_SIZE(windows));
		/* In the window or up to 4 ports either side. */
		return (uint16_t)(windows[w][0] - 4 + below(h, windows[w][1] + 8));
	}
	/* Where nothing is: 0x100..0x3ef or 0x700..0xffff. */
	if (r < 14)
		return (uint16_t)(0x100 + below(h, 0x2f0));
	return (uint16_t)(0x700 + below(h, 0x10000 - 0x700));
}

/* Ports whose writes microvm must obey (end the run, reset, panic) or that are KVM's own. */
static int write_forbidden(uint16_t port, unsigned size, uint32_t v)
{
	uint16_t last = (uint16_t)(port + size - 1);

#define COVERS(p) (port <= (p) && last >= (p))
	if (COVERS(DEBUG_EXIT) || COVERS(DEBUG_EXIT + 1) || COVERS(PVPANIC) || COVERS(I8042_CMD) || COVERS(COM1) ||
	    COVERS(ACPI_PM_RESET))
		return 1;
	if (COVERS(ACPI_PM) && ((v >> ((ACPI_PM - port) * 8)) & ACPI_PM_SLP_EN))
		return 1;
	/* PIC, PIT, port 0x61, ELCR: KVM's in-kernel devices, not microvm's. */
	if (port < 0x100 && !(port >= I8042_DATA && last <= I8042_DATA))
		return 1;
	if (port >= 0x4d0 && port <= 0x4d1)
		return 1;
#undef COVERS
	/* DMA address registers: only through hostile_dma, which chooses the address. */
	return port + size > FWCFG + 4 && port < FWCFG + 12;
}

static void hostile_pio(struct hostile *h)
{
	static const unsigned sizes[] = { 1, 2, 4 };
	unsigned size = sizes[below(h, 3)];
	uint16_t port = pick_port(h);
	uint32_t v = (uint32_t)next(h);

	if (port > 0xffff - (size - 1))
		port = (uint16_t)(0x10000 - size);
	if (below(h, 2) && !write_forbidden(port, size, v)) {
		if (size == 1)
			outb(port, (uint8_t)v);
		else if (size == 2)
			outw(port, (uint16_t)v);
		else
			outl(port, v);
	} else if (size == 1) {
		(void)inb(port);
	} else if (size == 2) {
		uint16_t r;
		__asm__ volatile("inw %1, %0" : "=a"(r) : "Nd"(port));
	} else {
		(void)inl(port);
	}
	h->ports++;
}

/* ---- MMIO ---- */

static uint64_t pick_mmio(struct hostile *h)
{
	/* Next to the in-kernel windows (their registers stay untouched), in the hole, past RAM. */
	static const uint64_t around[] = {
		LAYOUT_IOAPIC - 0x1000, LAYOUT_IOAPIC + 0x1000, LAYOUT_LAPIC - 0x1000, LAYOUT_LAPIC + 0x1000,
		LAYOUT_MMIO_HOLE,	 0xFED00000ull,		0xFFFFF000ull,	       LAYOUT_4G - 0x1000,
	};
	uint64_t r = below(h, 4);

	if (r == 0)
		return h->mem_end + below(h, 0x10000);
	return around[below(h, ARRAY_SIZE(around))] + below(h, 0x1000);
}

static void hostile_mmio(struct hostile *h)
{
	uint64_t a = pick_mmio(h), v = next(h);
	unsigned size = 1u << below(h, 4);

	a &= ~(uint64_t)(size - 1);
	if (a < h->mem_end)
		return; /* memory, not MMIO: our own */
	if (below(h, 2)) {
		switch (size) {
		case 1: *(volatile uint8_t *)(uintptr_t)a = (uint8_t)v; break;
		case 2: *(volatile uint16_t *)(uintptr_t)a = (uint16_t)v; break;
		case 4: *(volatile uint32_t *)(uintptr_t)a = (uint32_t)v; break;
		default: *(volatile uint64_t *)(uintptr_t)a = v; break;
		}
	} else {
		switch (size) {
		case 1: (void)*(volatile uint8_t *)(uintptr_t)a; break;
		case 2: (void)*(volatile uint16_t *)(uintptr_t)a; break;
		case 4: (void)*(volatile uint32_t *)(uintptr_t)a; break;
		default: (void)*(volatile uint64_t *)(uintptr_t)a; break;
		}
	}
	h->mmios++;
}

/* ---- fw_cfg DMA ---- */

/* Where a transfer may point: 0 = in the scratch buffer (may be READ into), 1 = not RAM. */
static uint64_t pick_target(struct hostile *h, uint32_t *len, int *in_ram)
{
	static const uint64_t outside[] = {
		LAYOUT_MMIO_HOLE, LAYOUT_IOAPIC, LAYOUT_LAPIC, 0xFFFFFFF0ull, 0xFFFFFFFFFFFFF000ull,
		0xFFFFFFFFFFFFFFF8ull, 1ull << 46, 1ull << 52,
	};
	uint64_t r = below(h, 8), a;

	*in_ram = 0;
	if (r < 3) {
		/* In the scratch buffer, anywhere in it, never past its end. */
		uint64_t off = below(h, SCRATCH_SIZE - 0x1000);
		uint64_t room = SCRATCH_SIZE - 0x1000 - off;

		if (*len > room)
			*len = (uint32_t)room;
		*in_ram = 1;
		return SCRATCH_ADDR + off;
	}
	if (r == 3) {
		/* The firmware's image: done with once the kernel runs (a reset reloads it). */
		uint64_t off = below(h, LAYOUT_FIRMWARE_MAX - 0x1000);

		if (*len > LAYOUT_FIRMWARE_MAX - 0x1000 - off)
			*len = (uint32_t)(LAYOUT_FIRMWARE_MAX - 0x1000 - off);
		*in_ram = 1;
		return LAYOUT_FIRMWARE + off;
	}
	if (r == 4) {
		/* Starting just before the end of RAM, running past it: all or nothing. */
		a = h->mem_end - 1 - below(h, 64);
		if (*len <= h->mem_end - a)
			*len = (uint32_t)(h->mem_end - a) + 1 + (uint32_t)below(h, 4096);
		return a;
	}
	if (r == 5)
		return h->mem_end + below(h, 1u << 20);
	a = outside[below(h, ARRAY_SIZE(outside))];
	/* Near 2^64 the range may wrap past zero, but its start stays up there. */
	return a >> 63 ? a - below(h, 16) : a + below(h, 16);
}

static uint32_t pick_control(struct hostile *h, uint32_t *key)
{
	uint32_t c = 0;

	if (below(h, 2)) {
		c |= FWCFG_DMA_SELECT;
		if (h->nr_files && below(h, 2))
			*key = h->keys[below(h, h->nr_files)];
		else
			*key = (uint16_t)next(h);
		c |= FWCFG_DMA_KEY(*key);
	}
	c |= (uint32_t)(next(h) & (FWCFG_DMA_READ | FWCFG_DMA_SKIP | FWCFG_DMA_WRITE));
	if (!below(h, 8))
		c |= (uint32_t)next(h) & 0xffe0u; /* undefined bits */
	if (!below(h, 16))
		c |= FWCFG_DMA_ERROR;
	return c;
}

static void hostile_dma(struct hostile *h)
{
	uint8_t *d = (uint8_t *)(uintptr_t)(DESC_AREA + 16 * below(h, 0x1000 / 16));
	uint32_t key = 0, control = pick_control(h, &key);
	uint32_t len = below(h, 4) ? (uint32_t)below(h, 0x2000) : (uint32_t)next(h);
	int in_ram;
	uint64_t target = pick_target(h, &len, &in_ram), at = (uintptr_t)d;
	int expect_error;
	uint32_t sent;

	sent = control;
	put_be32(d, control);
	put_be32(d + 4, len);
	put_be64(d + 8, target);
	/* A READ, nothing else, of a non-empty range outside RAM must be refused. */
	expect_error = !in_ram && len && (control & (FWCFG_DMA_READ | FWCFG_DMA_SKIP | FWCFG_DMA_WRITE |
						     FWCFG_DMA_ERROR | 0xffe0u)) == FWCFG_DMA_READ;
	if (!below(h, 16)) {
		/* The descriptor itself outside RAM, or across its end: nothing to answer in. */
		at = below(h, 2) ? h->mem_end - 8 : LAYOUT_MMIO_HOLE + 16 * below(h, 256);
		expect_error = 0;
	}
	__asm__ volatile("" ::: "memory");
	outl(FWCFG + 4, __builtin_bswap32((uint32_t)(at >> 32)));
	outl(FWCFG + 8, __builtin_bswap32((uint32_t)at));
	h->dmas++;
	if (at != (uintptr_t)d)
		return;
	control = get_be32(d);
	if (control & FWCFG_DMA_ERROR)
		h->dma_refused++;
	if (expect_error) {
		h->dma_errors_expected++;
		if (!(control & FWCFG_DMA_ERROR) && !h->bad_dmas++) {
			h->bad_control = sent;
			h->bad_len = len;
			h->bad_target = target;
			h->bad_result = control;
		}
	}
}

/* ---- the run ---- */

static uint8_t dir[FWCFG_DIR_MAX];

static void read_keys(struct hostile *h)
{
	struct fwcfg_file f;
	uint32_t len = fwcfg_read_dir(dir);

	h->nr_files = len >= 4 ? (len - 4) / FWCFG_DIR_ENTRY : 0;
	for (uint32_t i = 0; i < h->nr_files; i++) {
		fwcfg_dir_entry(dir, i, &f);
		h->keys[i] = f.key;
	}
}

/* The end of the memory-map entry (of type `type`, or any when 0) that holds addr; 0 if none. */
static uint64_t entry_end(const struct boot_info *bi, uint64_t addr, uint32_t type)
{
	for (unsigned i = 0; i < bi->nr_mem; i++)
		if ((!type || bi->mem[i].type == type) && bi->mem[i].addr <= addr &&
		    addr - bi->mem[i].addr < bi->mem[i].size)
			return bi->mem[i].addr + bi->mem[i].size;
	return 0;
}

/* Where guest memory that holds addr ends: through adjoining entries of any type. */
static uint64_t mem_end_of(const struct boot_info *bi, uint64_t addr)
{
	uint64_t end = entry_end(bi, addr, MEM_RAM), more;

	while (end && (more = entry_end(bi, end, 0)) > end)
		end = more;
	return end;
}

static uint8_t top_page[0x1000]; /* the last page of memory as it was before the run */

static void top_page_save(const struct hostile *h)
{
	memcpy(top_page, (const void *)(uintptr_t)(h->mem_end - sizeof(top_page)), sizeof(top_page));
}

/* Changed bytes of the last page, bar the control word of a descriptor placed across the end
 * of memory (fw_cfg may report an error there, as QEMU does). */
static unsigned top_page_changes(const struct hostile *h)
{
	const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)(h->mem_end - sizeof(top_page));
	unsigned n = 0;

	for (unsigned i = 0; i < sizeof(top_page) - 8; i++)
		if (p[i] != top_page[i] && !n++)
			printf("hostile: the last page changed at 0x%lx: 0x%02x, was 0x%02x\n",
			       h->mem_end - sizeof(top_page) + i, p[i], top_page[i]);
	return n;
}

/*
 * etc/vmcoreinfo is guest-writable memory in the device, host_format
 * included (QEMU's too): random WRITEs change what it reads back. Put back
 * what the host offered, as a guest that scribbled there would have to.
 */
struct saved_file {
	struct fwcfg_file f;
	int present;
	uint8_t bytes[16];
};

static void save_vmcoreinfo_file(struct saved_file *s)
{
	s->present = fwcfg_find_file("etc/vmcoreinfo", &s->f) && s->f.size == sizeof(s->bytes);
	if (s->present)
		CHECK(!fwcfg_dma_read(s->f.key, s->bytes, sizeof(s->bytes)), "etc/vmcoreinfo reads");
}

static void restore_vmcoreinfo_file(const struct saved_file *s)
{
	if (s->present)
		CHECK(!fwcfg_dma(FWCFG_DMA_KEY(s->f.key) | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE,
				 sizeof(s->bytes), (uintptr_t)s->bytes),
		      "etc/vmcoreinfo is written back as it was");
}

void scn_hostile(const struct boot_info *bi)
{
	struct hostile h = { 0 };
	uint64_t seed = 1, secs = 2, per_ms, end, steps = 0;
	char how[16] = "acpi";
	struct saved_file saved;

	cmdline_size(bi, "seed", &seed);
	cmdline_size(bi, "secs", &secs);
	cmdline_get(bi, "end", how, sizeof(how));
	h.rng = seed * 0x9E3779B97F4A7C15ull + 1;
	h.ram_end = entry_end(bi, SCRATCH_ADDR, MEM_RAM);
	h.mem_end = mem_end_of(bi, SCRATCH_ADDR);
	CHECK(ram_covers(bi, SCRATCH_ADDR - GUARD_SIZE, SCRATCH_SIZE + 2 * GUARD_SIZE) &&
		      h.ram_end >= SCRATCH_ADDR + SCRATCH_SIZE + 2 * GUARD_SIZE,
	      "RAM holds the scratch buffer, its guards and the end guard (--mem 128M or more)");
	read_keys(&h);
	save_vmcoreinfo_file(&saved);
	per_ms = tsc_per_ms();
	guard_fill(SCRATCH_ADDR - GUARD_SIZE);
	guard_fill(SCRATCH_ADDR + SCRATCH_SIZE);
	guard_fill(h.ram_end - GUARD_SIZE);
	top_page_save(&h);
	printf("hostile: seed %lu, %lu s, %u fw_cfg files, RAM to 0x%lx, memory to 0x%lx\n", seed, secs,
	       h.nr_files, h.ram_end, h.mem_end);

	end = rdtsc() + secs * 1000 * per_ms;
	while ((int64_t)(rdtsc() - end) < 0) {
		for (int i = 0; i < 64; i++, steps++) {
			uint64_t r = below(&h, 8);

			if (r < 4)
				hostile_pio(&h);
			else if (r < 6)
				hostile_mmio(&h);
			else
				hostile_dma(&h);
		}
	}

	console_init(); /* undo whatever the random writes made of COM1 */
	restore_vmcoreinfo_file(&saved);
	printf("hostile: survived %lu steps: %lu port IO, %lu MMIO, %lu DMA (%lu refused, %lu of them "
	       "checked)\n",
	       steps, h.ports, h.mmios, h.dmas, h.dma_refused, h.dma_errors_expected);
	CHECK(h.dmas && h.ports && h.mmios, "every kind of attack ran");
	if (h.bad_dmas)
		printf("hostile: %lu DMA READs outside RAM did not report an error; the first: control "
		       "0x%x, %u bytes at 0x%lx, came back 0x%x\n",
		       h.bad_dmas, h.bad_control, h.bad_len, h.bad_target, h.bad_result);
	CHECK(!h.bad_dmas, "every DMA READ outside RAM reports an error");
	guard_check(SCRATCH_ADDR - GUARD_SIZE, "before the scratch buffer");
	guard_check(SCRATCH_ADDR + SCRATCH_SIZE, "after the scratch buffer");
	guard_check(h.ram_end - GUARD_SIZE, "at the end of RAM");
	CHECK(!top_page_changes(&h), "the last page of memory at 0x%lx is unchanged",
	      h.mem_end - sizeof(top_page));
	CHECK(fwcfg_read_dir(dir) == 4 + h.nr_files * FWCFG_DIR_ENTRY, "fw_cfg still lists its %u files",
	      h.nr_files);
	if (!strcmp(how, "fwcfg"))
		scn_vmcoreinfo_fwcfg(bi);
	else
		scn_vmcoreinfo(bi);
}
