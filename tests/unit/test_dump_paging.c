/* SPDX-License-Identifier: MIT */
/* The kernel's virtual view of a dump: vmm/dump_paging.c and its PT_LOAD aliases. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/dump_elf.h"
#include "vmm/dump_paging.h"
#include "vmm/util.h"

#define RAM (4u << 20)
#define K4 0xFFFF800000000000ULL /* first kernel-half address, 4-level */
#define P 1ULL
#define RW 2ULL
#define PS 0x80ULL
#define NX (1ULL << 63)

static uint8_t *ram;
static struct dump_range range;

static void setup(void)
{
	ram = calloc(1, RAM);
	cr_assert_not_null(ram);
	range = (struct dump_range){ 0, RAM, ram };
}

static void teardown(void)
{
	free(ram);
}

static void pte(uint64_t table, unsigned i, uint64_t v)
{
	put_le64(ram + table + 8 * i, v);
}

static struct dump_aliases walk(uint64_t cr3, bool la57)
{
	struct dump_aliases a = { 0 };

	cr_assert_eq(dump_paging_walk(&range, 1, cr3, la57, DUMP_PAGING_MAX_ENTRIES,
				      DUMP_PAGING_MAX_ALIASES, &a), 0);
	return a;
}

static void expect(const struct dump_aliases *a, size_t i, uint64_t va, uint64_t pa, uint64_t size)
{
	cr_assert_lt(i, a->nr, "alias %zu exists (%zu in all)", i, a->nr);
	cr_expect_eq(a->a[i].vaddr, va, "alias %zu vaddr 0x%llx", i, (unsigned long long)a->a[i].vaddr);
	cr_expect_eq(a->a[i].paddr, pa, "alias %zu paddr 0x%llx", i, (unsigned long long)a->a[i].paddr);
	cr_expect_eq(a->a[i].size, size, "alias %zu size 0x%llx", i, (unsigned long long)a->a[i].size);
}

TestSuite(dump_paging, .init = setup, .fini = teardown);

/* 2 MiB and 4 KiB pages, contiguous runs merged, flag bits ignored, the lower half skipped. */
Test(dump_paging, four_levels)
{
	struct dump_aliases a;

	pte(0x1000, 0, 0x7000 | P);		  /* lower half: never walked */
	pte(0x1000, 256, 0x2000 | P | RW);	  /* PML4[256] */
	pte(0x2000, 0, 0x3000 | P);		  /* PDPT[0] -> PD */
	pte(0x3000, 0, 0x200000 | P | PS | NX);	  /* 2 MiB page */
	pte(0x3000, 1, 0x4000 | P);		  /* PD[1] -> PT */
	pte(0x4000, 0, 0x5000 | P | NX);	  /* continues nothing: va jumps */
	pte(0x4000, 1, 0x6000 | P);		  /* merges with the one before */
	pte(0x4000, 2, 0x9000 | P);		  /* not physically contiguous */
	pte(0x4000, 3, 0xA000);			  /* not present */
	pte(0x7000, 0, 0x8000 | P);
	a = walk(0x1000 | 0x5 /* PCID */, false);
	cr_assert_eq(a.nr, 3);
	expect(&a, 0, K4, 0x200000, 2u << 20);
	expect(&a, 1, K4 + (2u << 20), 0x5000, 0x2000);
	expect(&a, 2, K4 + (2u << 20) + 0x2000, 0x9000, 0x1000);
	cr_assert_not(a.truncated);
	dump_aliases_free(&a);
}

/* A 1 GiB page at 0 maps more than RAM: only the RAM part is kept; PML4[511] is the top. */
Test(dump_paging, huge_page_clipped_to_ram)
{
	struct dump_aliases a;

	pte(0x1000, 511, 0x2000 | P);
	pte(0x2000, 510, 0 | P | PS);
	a = walk(0x1000, false);
	cr_assert_eq(a.nr, 1);
	expect(&a, 0, 0xFFFFFFFF80000000ULL, 0, RAM);
	dump_aliases_free(&a);
}

/* Tables and pages outside RAM, a CR3 outside RAM: nothing read there, nothing kept. */
Test(dump_paging, outside_ram)
{
	struct dump_aliases a;

	pte(0x1000, 256, 0x7FFFF000ULL | P);	    /* table beyond RAM */
	pte(0x1000, 257, (RAM - 8) | P);	    /* unaligned table crossing RAM's end */
	pte(0x1000, 258, 0x2000 | P);
	pte(0x2000, 0, 0x3000 | P);
	pte(0x3000, 0, 0x4000 | P);
	pte(0x4000, 0, 0xFFFFFFFFF000ULL | P);	    /* page beyond RAM */
	pte(0x4000, 1, (RAM - 0x1000) | P);	    /* the last page of RAM */
	a = walk(0x1000, false);
	cr_assert_eq(a.nr, 1);
	expect(&a, 0, K4 + 2 * (1ULL << 39) + 0x1000, RAM - 0x1000, 0x1000);
	dump_aliases_free(&a);
	a = walk(0xFFFFFFFFF000ULL, false);
	cr_assert_eq(a.nr, 0);
	cr_assert_not(a.truncated);
	dump_aliases_free(&a);
}

/* Every entry of every level points back at the same table: the budget ends the walk, quickly. */
Test(dump_paging, self_referencing_tables_end)
{
	struct dump_aliases a = { 0 };
	struct timespec t0, t1;

	for (unsigned i = 0; i < 512; i++)
		pte(0x1000, i, 0x1000 | P);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(dump_paging_walk(&range, 1, 0x1000, false, DUMP_PAGING_MAX_ENTRIES,
				      DUMP_PAGING_MAX_ALIASES, &a), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert(a.truncated, "a walk of 2^36 entries stops at the budget");
	cr_assert_leq(a.nr, DUMP_PAGING_MAX_ALIASES);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 20, "the budget bounds the time");
	dump_aliases_free(&a);
}

/* Runs beyond max_aliases are dropped and the view is marked partial. */
Test(dump_paging, alias_budget)
{
	struct dump_aliases a = { 0 };

	pte(0x1000, 256, 0x2000 | P);
	pte(0x2000, 0, 0x3000 | P);
	pte(0x3000, 0, 0x4000 | P);
	for (unsigned i = 0; i < 8; i++)
		pte(0x4000, i, (0x10000 + 0x2000 * i) | P); /* never contiguous */
	cr_assert_eq(dump_paging_walk(&range, 1, 0x1000, false, 1000, 5, &a), 0);
	cr_assert_eq(a.nr, 5);
	cr_assert(a.truncated);
	dump_aliases_free(&a);
}

/* 5-level paging: the kernel half starts at 0xFF00000000000000. */
Test(dump_paging, five_levels)
{
	struct dump_aliases a;

	pte(0x1000, 256, 0x2000 | P);
	pte(0x2000, 0, 0x3000 | P);
	pte(0x3000, 0, 0x4000 | P);
	pte(0x4000, 0, 0x5000 | P);
	pte(0x5000, 3, 0x6000 | P);
	a = walk(0x1000, true);
	cr_assert_eq(a.nr, 1);
	expect(&a, 0, 0xFF00000000000000ULL + 3 * 0x1000, 0x6000, 0x1000);
	dump_aliases_free(&a);
}

Test(dump_paging, pick_vcpu)
{
	struct dump_vcpu v[3];

	memset(v, 0, sizeof(v));
	cr_assert_eq(dump_paging_pick_vcpu(v, 3), -1, "no vCPU in 64-bit mode");
	for (int i = 0; i < 3; i++) {
		v[i].sregs.cr0 = 1ULL << 31;
		v[i].sregs.efer = 1ULL << 10;
		v[i].sregs.cs.selector = 0x33; /* user mode */
	}
	cr_assert_eq(dump_paging_pick_vcpu(v, 3), 0, "none in kernel mode: the first 64-bit one");
	v[2].sregs.cs.selector = 0x10;
	cr_assert_eq(dump_paging_pick_vcpu(v, 3), 2, "the first in kernel mode");
	v[0].sregs.efer = 0;
	v[1].sregs.cr0 = 0;
	v[2].sregs.cr4 = 1ULL << 12;
	cr_assert(dump_paging_la57(&v[2]));
	cr_assert_not(dump_paging_la57(&v[1]));
}

/* Alias headers: p_vaddr virtual, p_paddr and p_offset those of the physical bytes. */
Test(dump_paging, alias_headers)
{
	struct dump_range r[2] = { { 0, 0xA0000, NULL }, { 0x100000, 0x300000, NULL } };
	struct dump_alias al[3] = {
		{ 0xFFFFFFFF81000000ULL, 0x101000, 0x2000 },
		{ 0xFFFF888000000000ULL, 0x0, 0xA0000 },
		{ 0xFFFF888000200000ULL, 0x3FF000, 0x2000 }, /* crosses the end of RAM */
	};
	struct dump_layout l;
	uint8_t notes[8] = { 0 }, *b;
	Elf64_Phdr ph;

	cr_assert_eq(dump_layout_plan(&l, r, 2, 3, sizeof(notes)), 0);
	cr_assert_eq(l.nr_loads, 5);
	cr_assert_eq(l.nr_ranges, 2);
	cr_assert_eq(l.file_size, l.data_off + 0xA0000 + 0x300000, "aliases add no data");
	b = calloc(1, l.head_size);
	dump_head_build(b, &l, r, al, notes);
	cr_assert_eq(get_le16(b + offsetof(Elf64_Ehdr, e_phnum)), 6);
	memcpy(&ph, b + 64 + 3 * 56, sizeof(ph));
	cr_assert_eq(ph.p_type, PT_LOAD);
	cr_assert_eq(ph.p_vaddr, 0xFFFFFFFF81000000ULL);
	cr_assert_eq(ph.p_paddr, 0x101000);
	cr_assert_eq(ph.p_offset, l.data_off + 0xA0000 + 0x1000);
	cr_assert_eq(ph.p_filesz, 0x2000);
	memcpy(&ph, b + 64 + 4 * 56, sizeof(ph));
	cr_assert_eq(ph.p_offset, l.data_off);
	cr_assert_eq(ph.p_filesz, 0xA0000);
	memcpy(&ph, b + 64 + 5 * 56, sizeof(ph));
	cr_assert_eq(ph.p_filesz, 0, "an alias no range holds whole gets no bytes");
	cr_assert_eq(ph.p_memsz, 0);
	free(b);
}

/* The direct map (the largest run's offset, below the kernel text) comes first and again last. */
Test(dump_paging, kdump_order)
{
	struct dump_alias in[5] = {
		{ 0xFF11000000000000ULL, 0x0, 0x9F000 },	   /* direct map, RAM range 1 */
		{ 0xFF11000000100000ULL, 0x100000, 0x1FE00000 },  /* direct map, RAM range 2 */
		{ 0xFFA0000000000000ULL, 0x1234000, 0x4000 },	   /* vmalloc */
		{ 0xFFFFFE0000000000ULL, 0x1F000000, 0x1000 },	   /* cpu_entry_area */
		{ 0xFFFFFFFF81000000ULL, 0x1000000, 0x2000000 },  /* kernel text, larger but above */
	};
	struct dump_aliases a = { 0 };

	a.a = malloc(sizeof(in));
	memcpy(a.a, in, sizeof(in));
	a.nr = a.cap = 5;
	/* The vmalloc run first; otherwise the order is kept. */
	a.a[0] = in[2];
	a.a[1] = in[0];
	a.a[2] = in[1];
	cr_assert_eq(dump_aliases_order(&a), 0);
	cr_assert_eq(a.nr, 6);
	expect(&a, 0, in[0].vaddr, in[0].paddr, in[0].size);
	expect(&a, 1, in[1].vaddr, in[1].paddr, in[1].size);
	expect(&a, 2, in[2].vaddr, in[2].paddr, in[2].size);
	expect(&a, 3, in[3].vaddr, in[3].paddr, in[3].size);
	expect(&a, 4, in[4].vaddr, in[4].paddr, in[4].size);
	expect(&a, 5, in[0].vaddr, in[0].paddr, in[0].size);
	dump_aliases_free(&a);

	a.a = malloc(sizeof(in[4]));
	a.a[0] = in[4];
	a.nr = a.cap = 1;
	cr_assert_eq(dump_aliases_order(&a), 0);
	cr_assert_eq(a.nr, 1, "nothing below the text: unchanged");
	dump_aliases_free(&a);
}
