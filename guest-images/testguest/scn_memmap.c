/* SPDX-License-Identifier: MIT */
/*
 * memmap: is the e820 / PVH memory map sane, does it match the memory the
 * VM was given, and is every RAM range really RAM?
 *
 * Always: no two entries overlap, RAM at 0 and at 1 MiB (holding this
 * image), and patterns written at the start, middle and end of every RAM
 * range read back. Order and empty entries are only reported, because
 * peers differ (QEMU's PVH memmap is unsorted and ends with an empty entry;
 * Linux sorts and sanitises e820 anyway).
 *
 * Parameters: expect_mem=SIZE (the VM's --mem) checks the RAM total;
 * memmap=strict also requires sorted, non-empty entries; memmap=exact
 * (with expect_mem) requires exactly microvm's layout (shared/DESIGN.md §3).
 */
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/paging.h"
#include "guest-images/testguest/scenarios.h"
#include "vmm/layout.h"

#define PROBE_WORDS 8
#define MEMMAP_POINTS 3 /* start, middle, end of each RAM range */
#define EXPECTED_MAX 8

extern const char __image_start[], __image_end[];

/* The map microvm builds for `mem` bytes of RAM (DESIGN.md §3). */
static unsigned expected_map(uint64_t mem, struct mem_range *e)
{
	uint64_t low = mem < LAYOUT_MMIO_HOLE ? mem : LAYOUT_MMIO_HOLE;
	uint64_t zone = low - LAYOUT_HIGH_ZONE_SIZE;
	unsigned n = 0;

	e[n++] = (struct mem_range){ 0, LAYOUT_LOWMEM_END, MEM_RAM };
	e[n++] = (struct mem_range){ LAYOUT_FSEG, LAYOUT_FSEG_END - LAYOUT_FSEG, MEM_RESERVED };
	e[n++] = (struct mem_range){ LAYOUT_KERNEL, zone - LAYOUT_KERNEL, MEM_RAM };
	e[n++] = (struct mem_range){ zone, LAYOUT_HIGH_ZONE_SIZE, MEM_RESERVED };
	if (mem > low)
		e[n++] = (struct mem_range){ LAYOUT_4G, mem - low, MEM_RAM };
	return n;
}

static void print_range(const char *prefix, const struct mem_range *m)
{
	if (!m->size) {
		printf("%s0x%016lx empty, type %u\n", prefix, m->addr, m->type);
		return;
	}
	printf("%s0x%016lx-0x%016lx %s (%lu KiB)\n", prefix, m->addr, m->addr + m->size - 1,
	       mem_type_name(m->type), m->size >> 10);
}

/* Index of the first entry that is empty or wraps around, or that starts
 * before the end of its predecessor (out of order or overlapping); -1 if
 * none. */
static int first_bad_entry(const struct mem_range *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!m[i].size || m[i].addr + m[i].size < m[i].addr)
			return (int)i;
		if (i && m[i].addr < m[i - 1].addr + m[i - 1].size)
			return (int)i;
	}
	return -1;
}

/* The non-empty entries, sorted by address (insertion sort: n <= 128). */
static unsigned sorted_copy(const struct boot_info *bi, struct mem_range *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < bi->nr_mem; i++) {
		unsigned j = n++;
		if (!bi->mem[i].size) {
			n--;
			continue;
		}
		for (; j && out[j - 1].addr > bi->mem[i].addr; j--)
			out[j] = out[j - 1];
		out[j] = bi->mem[i];
	}
	return n;
}

static uint64_t pattern(uint64_t addr, unsigned pass)
{
	uint64_t v = addr * 0x9E3779B97F4A7C15ull ^ 0x5A5A5A5A5A5A5A5Aull;

	return pass ? ~v : v;
}

/* Write two patterns over PROBE_WORDS words at addr, read them back, and
 * put the old contents back. 0 if all read back. */
static int probe(uint64_t addr)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)addr;
	uint64_t saved[PROBE_WORDS];
	int bad = 0;

	for (unsigned i = 0; i < PROBE_WORDS; i++)
		saved[i] = p[i];
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < PROBE_WORDS; i++)
			p[i] = pattern(addr + 8 * i, pass);
		for (unsigned i = 0; i < PROBE_WORDS; i++) {
			uint64_t got = p[i];
			if (got != pattern(addr + 8 * i, pass) && !bad++)
				printf("memmap: 0x%lx: wrote 0x%lx, read 0x%lx\n", addr + 8 * i,
				       pattern(addr + 8 * i, pass), got);
		}
	}
	for (unsigned i = 0; i < PROBE_WORDS; i++)
		p[i] = saved[i];
	return bad;
}

/*
 * Probe the start, middle and end of a RAM range; a point inside our own
 * image moves to just past it (or before it). Points beyond the identity
 * map are mapped first: a point left out would let a map promising RAM
 * that is not there pass. Returns the number of points probed.
 */
static unsigned probe_range(const struct mem_range *m)
{
	const uint64_t len = PROBE_WORDS * 8;
	uint64_t img_lo = (uintptr_t)__image_start, img_hi = (uintptr_t)__image_end;
	uint64_t pts[MEMMAP_POINTS] = { m->addr, m->addr + m->size / 2, m->addr + m->size - len };
	unsigned done = 0, bad = 0;

	if (m->size < len)
		return 0;
	for (unsigned i = 0; i < MEMMAP_POINTS; i++) {
		uint64_t a = pts[i] & ~7ull;
		if (a < m->addr)
			a += 8;
		if (a < img_hi && img_lo < a + len)
			a = img_hi + len <= m->addr + m->size ? img_hi : img_lo - len;
		if (a < m->addr || a + len > m->addr + m->size) {
			printf("memmap: no room beside the image in 0x%lx-0x%lx\n", m->addr,
			       m->addr + m->size - 1);
			continue;
		}
		if (!paging_is_mapped(a, len) && paging_map(a, len)) {
			printf("memmap: 0x%lx: out of page tables to map it; not probed\n", a);
			continue;
		}
		bad += probe(a) != 0;
		done++;
	}
	CHECK(!bad, "RAM 0x%lx-0x%lx holds patterns at %u of its start/middle/end points",
	      m->addr, m->addr + m->size - 1, done);
	return done;
}

static void check_exact(const struct boot_info *bi, uint64_t mem)
{
	struct mem_range want[EXPECTED_MAX];
	unsigned n = expected_map(mem, want), same = bi->nr_mem == n;

	for (unsigned i = 0; same && i < n; i++)
		same = bi->mem[i].addr == want[i].addr && bi->mem[i].size == want[i].size &&
		       bi->mem[i].type == want[i].type;
	if (!same) {
		printf("memmap: microvm's map for %lu MiB would be:\n", mem >> 20);
		for (unsigned i = 0; i < n; i++)
			print_range("memmap:   ", &want[i]);
	}
	CHECK(same, "the map is exactly microvm's layout for %lu MiB (%u entries)", mem >> 20, n);
}

void scn_memmap(const struct boot_info *bi)
{
	uint64_t ram = 0, ram_high = 0, mem = 0, img_lo = (uintptr_t)__image_start;
	int have_mem = cmdline_size(bi, "expect_mem", &mem);
	static struct mem_range sorted[BOOT_MEM_MAX];
	char mode[16] = "";
	int strict, bad;
	unsigned nsorted, nram = 0, probed = 0;

	cmdline_get(bi, "memmap", mode, sizeof(mode));
	strict = !strcmp(mode, "strict") || !strcmp(mode, "exact");
	if (mode[0] && !strict)
		fail(GUEST_EXIT_USAGE, "memmap=%s: want memmap=strict or memmap=exact", mode);
	printf("memmap: %u entries from the %s boot structure\n", bi->nr_mem_reported,
	       boot_proto_name(bi->proto));
	for (unsigned i = 0; i < bi->nr_mem; i++) {
		print_range("memmap:   ", &bi->mem[i]);
		if (bi->mem[i].type == MEM_RAM) {
			ram += bi->mem[i].size;
			if (bi->mem[i].addr >= LAYOUT_4G)
				ram_high += bi->mem[i].size;
		}
	}
	printf("memmap: RAM %lu KiB in total, %lu KiB above 4 GiB\n", ram >> 10, ram_high >> 10);

	CHECK(bi->nr_mem > 0, "the loader passed a memory map");
	CHECK(bi->nr_mem_reported <= BOOT_MEM_MAX, "%u entries fit the %u the guest keeps",
	      bi->nr_mem_reported, BOOT_MEM_MAX);
	bad = first_bad_entry(bi->mem, bi->nr_mem);
	if (bad >= 0)
		printf("memmap: %s: entry %d is empty, out of order or overlapping\n",
		       strict ? "error" : "note", bad);
	if (strict)
		CHECK(bad < 0, "entries are non-empty, sorted and do not overlap");
	nsorted = sorted_copy(bi, sorted);
	bad = first_bad_entry(sorted, nsorted);
	CHECK(bad < 0, "%u non-empty entries, sorted by address, do not overlap", nsorted);
	CHECK(ram_covers(bi, 0, 0x1000), "RAM at address 0");
	CHECK(ram_covers(bi, LAYOUT_KERNEL, (uintptr_t)__image_end - img_lo),
	      "RAM at 1 MiB holds the guest image (0x%lx-0x%lx)", img_lo,
	      (uint64_t)(uintptr_t)__image_end - 1);

	if (have_mem) {
		int match = ram_total_matches(bi, mem, &ram);

		CHECK(match, "RAM total %lu KiB is expect_mem=%lu KiB less at most the layout's holes",
		      ram >> 10, mem >> 10);
		if (mem > LAYOUT_MMIO_HOLE)
			CHECK(ram_covers(bi, LAYOUT_4G, mem - LAYOUT_MMIO_HOLE),
			      "RAM above 3 GiB continues at 4 GiB (%lu MiB)",
			      (uint64_t)(mem - LAYOUT_MMIO_HOLE) >> 20);
		if (!strcmp(mode, "exact"))
			check_exact(bi, mem);
	} else if (!strcmp(mode, "exact")) {
		fail(GUEST_EXIT_USAGE, "memmap=exact needs expect_mem=SIZE");
	}

	for (unsigned i = 0; i < bi->nr_mem; i++) {
		if (bi->mem[i].type != MEM_RAM || bi->mem[i].size < PROBE_WORDS * 8)
			continue;
		nram++;
		probed += probe_range(&bi->mem[i]);
	}
	printf("memmap: probed %u of %u points (start, middle, end of %u RAM ranges)\n", probed,
	       nram * MEMMAP_POINTS, nram);
	CHECK(probed == nram * MEMMAP_POINTS, "every point was probed (%u of %u)", probed,
	      nram * MEMMAP_POINTS);
}
