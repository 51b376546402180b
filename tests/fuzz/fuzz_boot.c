/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: kernel loading (vmm/boot.c, boot_bzimage.c, boot_pvh.c) as
 * `microvm run` does it: boot_load() on an arbitrary kernel file, initrd and
 * command line into guest RAM laid out by e820_build() for one of a few
 * --mem sizes (32 MiB up to 3 GiB + the hole + RAM above 4 GiB), backed like
 * vm.c backs it: one sparse MAP_NORESERVE mapping.
 *
 * Input (tests/fuzz/boot_mutator.h builds and mutates it):
 *   [0]     bits 0-1 memory size, bit 2 initrd present, bit 3 initrd is
 *           "virtual" (its size from [3..6], its bytes a fixed pattern)
 *   [1..2]  command line length, little-endian
 *   [3..6]  initrd length, little-endian
 *   [0] bit 4: the last 4 bytes are a length of pattern bytes appended to
 *           the kernel file, so that a small input stands for a large one
 *   then the command line, the initrd bytes, and the kernel file (the rest).
 *
 * What must hold after every input:
 *  - every byte the load changed lies in e820 RAM, outside the firmware's
 *    area, and inside what the loader said it placed (the boot GDT, the
 *    boot structure page, the command line area, the kernel's load range,
 *    the initrd): every resident page is compared byte for byte with what
 *    it held, most of them filled with a pattern; a page the loader dropped
 *    (gm_zero) lies wholly inside what it placed;
 *  - a refused file changed nothing;
 *  - what an accepted load reports lies in e820 RAM clear of the boot
 *    structures, the initrd does not overlap the kernel, and the command
 *    line and initrd bytes in guest RAM are the ones given.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/boot_mutator.h"
#include "tests/fuzz/fuzz.h"
#include "vmm/boot.h"
#include "vmm/e820.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"
#include "vmm/util.h"

/* The harness's own loops need no coverage feedback, and are hot: 3 GiB is 786432 pages. */
#ifdef __clang__
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

#define PAGE 4096ULL
#define FILL 0xA5 /* sentinel pages hold this before every load */

static const uint64_t mem_sizes[BOOT_FUZZ_MEMS] = {
	LAYOUT_MEM_MIN,			/* 32 MiB: the smallest --mem */
	200ULL << 20,			/* not a power of two */
	LAYOUT_MMIO_HOLE,		/* low RAM up to the hole, nothing above */
	LAYOUT_MMIO_HOLE + (64ULL << 20), /* the hole, then 64 MiB from 4 GiB */
};

struct rig {
	uint64_t mem_size;
	uint8_t *host;
	struct guest_mem gm;
	struct e820_map map;
	uint8_t *vec;	 /* mincore() result, one byte per page */
	uint8_t *filled; /* per page: resident and holding FILL before this load */
	uint32_t *filled_at; /* the indices of those pages, nr_filled of them */
	uint64_t nr_filled;
};

static struct rig rigs[BOOT_FUZZ_MEMS];
static uint8_t *virt_initrd; /* the pattern a "virtual" initrd holds */
/* A padded kernel is built at the end of this (kept: faulting it in each time is slow), so ASan still sees reads past it. */
#define KBUF_SIZE (2 * (size_t)BOOT_FUZZ_VIRT_INITRD_MAX + BOOT_FUZZ_HDR)
static uint8_t *kbuf;
static uint8_t fill_page[PAGE], zero_page[PAGE]; /* what an untouched page holds */

/*
 * Before every load, each resident page of guest RAM holds FILL (a page
 * becomes resident when a load writes it or a neighbour in its huge page,
 * and stays, refilled, so the next loads do not pay a page fault for it).
 * Pages never touched are not resident and read as zero. So after a load
 * every byte outside what the loader placed still holds FILL (resident
 * before) or 0 (new). Always resident: pages around every fixed boundary in
 * low RAM (and, through huge pages, most of low RAM's first 2 MiB).
 *
 * The mapping asks for transparent huge pages, as vm.c's does: a 4 KiB page
 * fault costs about 10 us on this build machine (a paravirtualised guest
 * itself): 108 ms to fault in 40 MiB, against 3.5 ms in huge pages and
 * 1.9 ms to write it once resident.
 */
static const uint64_t sentinels[] = {
	0x0, 0x1000, 0x2000, 0x6000, 0x7000, 0x8000, 0x1F000, 0x20000, 0x2F000, 0x30000,
	0x8F000, 0x90000, 0x9F000, 0xFF000, 0x100000,
};

/*
 * More resident than this and a rig starts from empty RAM again. Every load
 * compares each resident page, so a large resident set costs every input;
 * a small one costs page faults for large loads again. Measured here
 * (same seed, 30 s, 4 KiB pages): 96 MiB 289 exec/s, 32 MiB 301, 16 MiB
 * 474, 8 MiB 528, 4 MiB 486. In huge pages (seed 7, 60 s, another fuzzer
 * on the other core): 128 MiB 213, 32 MiB 535, 8 MiB 1,020-1,059, 2 MiB
 * 978; 4 KiB pages at 8 MiB 531-533 in the same runs.
 */
#define RESIDENT_MAX (8ULL << 20)

static void rig_init(struct rig *g, uint64_t mem)
{
	struct ram_layout l = ram_layout_of(mem);

	g->mem_size = mem;
	g->host = mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	FUZZ_CHECK(g->host != MAP_FAILED, "cannot map %llu bytes", (unsigned long long)mem);
	madvise(g->host, mem, MADV_HUGEPAGE);
	FUZZ_CHECK(gm_add_region(&g->gm, 0, l.low_size, g->host) == 0, "region");
	if (l.high_size)
		FUZZ_CHECK(gm_add_region(&g->gm, LAYOUT_4G, l.high_size, g->host + l.low_size) == 0,
			   "region");
	g->gm.droppable = true; /* private and anonymous, as vm.c maps it */
	FUZZ_CHECK(e820_build(&g->map, mem) == 0, "e820_build");
	g->vec = malloc(mem / PAGE);
	g->filled = calloc(1, mem / PAGE);
	g->filled_at = malloc(mem / PAGE * sizeof(*g->filled_at));
	FUZZ_CHECK(g->vec && g->filled && g->filled_at, "out of memory");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (unsigned i = 0; i < BOOT_FUZZ_MEMS; i++)
		rig_init(&rigs[i], mem_sizes[i]);
	virt_initrd = malloc(BOOT_FUZZ_VIRT_INITRD_MAX);
	kbuf = malloc(KBUF_SIZE);
	FUZZ_CHECK(virt_initrd && kbuf, "out of memory");
	memset(fill_page, FILL, sizeof(fill_page));
	for (size_t i = 0; i < BOOT_FUZZ_VIRT_INITRD_MAX; i++)
		virt_initrd[i] = (uint8_t)(i * 13 + 1);
	return 0;
}

/* Guest physical address of host page index p (the mapping is low RAM, then high RAM). */
static uint64_t gpa_of_page(const struct rig *g, uint64_t p)
{
	struct ram_layout l = ram_layout_of(g->mem_size);
	uint64_t off = p * PAGE;

	return off < l.low_size ? off : LAYOUT_4G + (off - l.low_size);
}

/* Ranges the loader may write, as [start, end). */
struct span {
	uint64_t start, end;
};

struct allowed {
	struct span s[PVH_MAX_SEGMENTS + 8];
	unsigned nr;
};

static void allow(struct allowed *a, uint64_t start, uint64_t len)
{
	if (!len)
		return;
	FUZZ_CHECK(a->nr < ARRAY_SIZE(a->s), "too many spans");
	a->s[a->nr].start = start;
	a->s[a->nr].end = start + len;
	a->nr++;
}

static NO_COVERAGE bool allowed_byte(const struct allowed *a, uint64_t gpa)
{
	for (unsigned i = 0; i < a->nr; i++)
		if (gpa >= a->s[i].start && gpa < a->s[i].end)
			return true;
	return false;
}

static NO_COVERAGE bool page_inside(const struct allowed *a, uint64_t gpa)
{
	for (unsigned i = 0; i < a->nr; i++)
		if (gpa >= a->s[i].start && a->s[i].end - gpa >= PAGE)
			return true;
	return false;
}

/*
 * A FILLed page that is no longer resident was dropped (gm_zero: it reads
 * as zero now): a write like any other, so it must lie wholly inside a
 * range the loader placed. Forget it: it is an untouched page again.
 */
static NO_COVERAGE void dropped_pages(struct rig *g, const struct allowed *a, const char *what)
{
	uint64_t kept = 0;

	for (uint64_t i = 0; i < g->nr_filled; i++) {
		uint32_t p = g->filled_at[i];
		uint64_t gpa = gpa_of_page(g, p);

		if (g->vec[p] & 1) {
			g->filled_at[kept++] = p;
			continue;
		}
		FUZZ_CHECK(page_inside(a, gpa),
			   "%s: the page at 0x%llx was dropped, outside every range the loader placed",
			   what, (unsigned long long)gpa);
		g->filled[p] = 0;
	}
	g->nr_filled = kept;
}

/* Check every resident page against what it held; mark all of them FILLed for the next load. */
static NO_COVERAGE void check_writes(struct rig *g, const struct allowed *a, const char *what)
{
	uint64_t pages = g->mem_size / PAGE;

	FUZZ_CHECK(mincore(g->host, g->mem_size, g->vec) == 0, "mincore failed");
	for (uint64_t p = 0; p < pages; p++) {
		uint64_t gpa, word;
		uint8_t want;
		uint8_t *h;
		bool dirty = false;

		/*
		 * Skip where no page is resident (mincore sets bit 0 only): 4096
		 * pages at a time through libc's memcmp, then 8 at a time. A 3 GiB
		 * rig's vector is 786,432 bytes, nearly all zero.
		 */
		if (p % PAGE == 0 && p + PAGE <= pages && !memcmp(g->vec + p, zero_page, PAGE)) {
			p += PAGE - 1;
			continue;
		}
		if (p % 8 == 0 && p + 8 <= pages) {
			memcpy(&word, g->vec + p, 8);
			if (!word) {
				p += 7;
				continue;
			}
		}
		if (!(g->vec[p] & 1))
			continue;
		gpa = gpa_of_page(g, p);
		want = g->filled[p] ? FILL : 0;
		h = g->host + p * PAGE;
		/* New: written, or brought in with a huge page; the bytes below tell which. */
		if (!g->filled[p]) {
			g->filled[p] = 1;
			g->filled_at[g->nr_filled++] = (uint32_t)p;
			dirty = true;
		}
		if (page_inside(a, gpa)) {
			dirty = true;
		} else if (memcmp(h, want ? fill_page : zero_page, PAGE)) {
			/* Something changed: find each byte (the loop is slow, so only here). */
			for (uint64_t i = 0; i < PAGE; i++) {
				if (h[i] == want)
					continue;
				dirty = true;
				if (!allowed_byte(a, gpa + i))
					FUZZ_CHECK(0, "%s: byte 0x%llx changed (0x%02x), outside every range the loader placed",
						   what, (unsigned long long)(gpa + i), h[i]);
			}
		}
		if (dirty)
			memset(h, FILL, PAGE);
	}
	dropped_pages(g, a, what);
}

/* Bound what stays resident: drop everything, then FILL the sentinels. */
static void rig_reset(struct rig *g)
{
	if (g->nr_filled && g->nr_filled * PAGE < RESIDENT_MAX)
		return;
	FUZZ_CHECK(madvise(g->host, g->mem_size, MADV_DONTNEED) == 0, "madvise failed");
	memset(g->filled, 0, g->mem_size / PAGE);
	g->nr_filled = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sentinels); i++) {
		uint64_t gpa = sentinels[i];

		memset(g->host + gpa, FILL, PAGE);
		g->filled[gpa / PAGE] = 1;
		g->filled_at[g->nr_filled++] = (uint32_t)(gpa / PAGE);
	}
}

/* What the VMM writes in low RAM besides the kernel (shared/DESIGN.md §3, vmm/layout.h). */
static const struct span boot_structs[] = {
	{ LAYOUT_GDT, LAYOUT_GDT + 32 },
	{ LAYOUT_START_INFO, LAYOUT_START_INFO + 0x1000 },
	{ LAYOUT_BOOT_PARAMS, LAYOUT_BOOT_PARAMS + 0x1000 },
	{ LAYOUT_CMDLINE, LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX },
};

/* [start, start + len) inside e820 RAM, outside the firmware and the boot structures. */
static void check_placed(const struct rig *g, const char *what, uint64_t start, uint64_t len)
{
	if (!len)
		return;
	FUZZ_CHECK(start + len > start, "%s wraps", what);
	FUZZ_CHECK(e820_type_of(&g->map, start, len) == E820_RAM,
		   "%s at 0x%llx + 0x%llx is not inside one e820 RAM entry", what,
		   (unsigned long long)start, (unsigned long long)len);
	FUZZ_CHECK(!ranges_overlap(start, len, LAYOUT_FIRMWARE, LAYOUT_LOWMEM_END - LAYOUT_FIRMWARE),
		   "%s overlaps the firmware", what);
	for (size_t i = 0; i < ARRAY_SIZE(boot_structs); i++)
		FUZZ_CHECK(!ranges_overlap(start, len, boot_structs[i].start,
					   boot_structs[i].end - boot_structs[i].start),
			   "%s at 0x%llx + 0x%llx overlaps the boot structures at 0x%llx", what,
			   (unsigned long long)start, (unsigned long long)len,
			   (unsigned long long)boot_structs[i].start);
	FUZZ_CHECK(gm_ptr(&g->gm, start, len), "%s is not backed by guest RAM", what);
}

/* The spans an accepted load may have written, each checked to lie where it may. */
static void accepted(struct rig *g, const struct boot_files *f, const struct boot_image *img,
		     struct allowed *a)
{
	struct errbuf err;

	allow(a, LAYOUT_GDT, 32);
	allow(a, LAYOUT_CMDLINE, LAYOUT_CMDLINE_MAX);
	FUZZ_CHECK(img->cmdline_addr == LAYOUT_CMDLINE, "command line moved");
	FUZZ_CHECK(img->cmdline_size == strlen(f->cmdline) + 1, "command line size");
	FUZZ_CHECK(!memcmp(gm_ptr(&g->gm, LAYOUT_CMDLINE, img->cmdline_size), f->cmdline,
			   img->cmdline_size),
		   "command line bytes");
	FUZZ_CHECK(img->kernel_end >= img->kernel_start, "kernel range inverted");
	if (img->proto == BOOT_LINUX) {
		struct bzimage_info bi;

		FUZZ_CHECK(img->boot_struct == LAYOUT_BOOT_PARAMS, "boot_params moved");
		allow(a, LAYOUT_BOOT_PARAMS, 0x1000);
		/* Where the kernel runs as well as where its code lands: one range of RAM. */
		check_placed(g, "the kernel's range", img->kernel_start,
			     img->kernel_end - img->kernel_start);
		FUZZ_CHECK(bzimage_parse(f->kernel, f->kernel_size, &bi, &err) == 0, "reparse");
		check_placed(g, "the protected-mode code", img->entry, bi.payload_size);
		FUZZ_CHECK(img->entry >= img->kernel_start &&
				   img->entry + (uint64_t)bi.payload_size <= img->kernel_end,
			   "the code lies outside the kernel's range");
		allow(a, img->entry, bi.payload_size);
	} else {
		struct pvh_info pi;

		FUZZ_CHECK(img->proto == BOOT_PVH, "unknown protocol %d", img->proto);
		FUZZ_CHECK(img->boot_struct == LAYOUT_START_INFO, "start info moved");
		allow(a, LAYOUT_START_INFO, 0x1000);
		FUZZ_CHECK(pvh_parse(f->kernel, f->kernel_size, &pi, &err) == 0, "reparse");
		for (unsigned i = 0; i < pi.nr_segments; i++) {
			check_placed(g, "a PVH segment", pi.seg[i].paddr, pi.seg[i].memsz);
			FUZZ_CHECK(pi.seg[i].paddr >= img->kernel_start &&
					   pi.seg[i].paddr + pi.seg[i].memsz <= img->kernel_end,
				   "a segment lies outside the kernel's range");
			allow(a, pi.seg[i].paddr, pi.seg[i].memsz);
		}
	}
	if (f->initrd) {
		FUZZ_CHECK(img->initrd_size == f->initrd_size, "initrd size");
		check_placed(g, "the initrd", img->initrd_addr, img->initrd_size);
		FUZZ_CHECK(img->initrd_addr >= LAYOUT_KERNEL, "the initrd below 1 MiB");
		FUZZ_CHECK(img->initrd_addr % PAGE == 0, "initrd not page-aligned");
		/* [kernel_start, kernel_end): the initrd may begin at its end (test_boot's place_initrd). */
		FUZZ_CHECK(img->initrd_addr >= img->kernel_end ||
				   img->initrd_addr + img->initrd_size <= img->kernel_start,
			   "the initrd at 0x%llx + 0x%llx overlaps the kernel's 0x%llx..0x%llx",
			   (unsigned long long)img->initrd_addr, (unsigned long long)img->initrd_size,
			   (unsigned long long)img->kernel_start, (unsigned long long)img->kernel_end);
		FUZZ_CHECK(!memcmp(gm_ptr(&g->gm, img->initrd_addr, img->initrd_size), f->initrd,
				   img->initrd_size),
			   "initrd bytes");
		allow(a, img->initrd_addr, img->initrd_size);
	} else {
		FUZZ_CHECK(!img->initrd_size && !img->initrd_addr, "an initrd from nowhere");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_fuzz_input in;
	struct boot_files f = { .kernel_name = "kernel", .initrd_name = "initrd" };
	struct boot_image img;
	struct allowed a = { .nr = 0 };
	struct errbuf err;
	struct rig *g;
	char *cmdline;
	int rc;

	if (!virt_initrd)
		LLVMFuzzerInitialize(NULL, NULL);
	if (!boot_fuzz_split(data, size, &in))
		return 0;
	g = &rigs[in.mem];
	cmdline = malloc(in.cmdline_len + 1);
	FUZZ_CHECK(cmdline, "out of memory");
	memcpy(cmdline, in.cmdline, in.cmdline_len);
	cmdline[in.cmdline_len] = '\0';
	f.cmdline = cmdline;
	f.kernel = in.kernel;
	f.kernel_size = in.kernel_len;
	if (in.kernel_pad) {
		uint8_t *k = kbuf + KBUF_SIZE - in.kernel_len - in.kernel_pad;

		FUZZ_CHECK(in.kernel_len + in.kernel_pad <= KBUF_SIZE, "kernel too large");
		memcpy(k, in.kernel, in.kernel_len);
		memcpy(k + in.kernel_len, virt_initrd, in.kernel_pad);
		f.kernel = k;
		f.kernel_size += in.kernel_pad;
	}
	if (in.has_initrd) {
		f.initrd = in.virt_initrd ? virt_initrd : in.initrd;
		f.initrd_size = in.initrd_len;
	}
	rig_reset(g);
	rc = boot_load(&f, &g->gm, &g->map, &img, &err);
	if (rc == 0) {
		accepted(g, &f, &img, &a);
		check_writes(g, &a, "accepted load");
	} else {
		FUZZ_CHECK(rc < 0 && err.msg[0], "a refusal without a reason");
		check_writes(g, &a, "refused load");
	}
	free(cmdline);
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return boot_fuzz_mutate(data, size, max_size, seed);
}
