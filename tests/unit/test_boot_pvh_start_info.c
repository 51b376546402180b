/* SPDX-License-Identifier: MIT */
/*
 * vmm/boot_pvh.c, loading: crafted PVH kernels loaded into fake guest RAM;
 * segments, hvm_start_info, the memmap, module 0 and the command line checked
 * at the offsets of Xen's start_info.h, written here as literals on purpose.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/unit/pvh_fixture.h"

static void check_loaded(struct tmem *t, const struct elfopts *o, const struct boot_image *img,
			 const struct boot_files *f)
{
	const uint8_t *si = tmem_at(t, 0x1000, 56);
	const uint8_t *mm;

	cr_assert_eq(img->proto, BOOT_PVH);
	cr_assert_eq(img->entry, o->entry);
	cr_assert_eq(img->boot_struct, 0x1000);
	cr_assert_eq(img->rsdp_offset, 32);
	for (unsigned s = 0; s < o->nsegs; s++) {
		const uint8_t *p = tmem_at(t, o->seg[s].paddr, o->seg[s].memsz);
		for (size_t j = 0; j < o->seg[s].memsz; j++)
			cr_assert_eq(p[j], j < o->seg[s].filesz ? seg_byte(s, j) : 0,
				     "segment %u byte 0x%zx", s, j);
	}
	cr_assert_eq(t_le(si + 0, 4), 0x336ec578, "magic");
	cr_assert_eq(t_le(si + 4, 4), 1, "version");
	cr_assert_eq(t_le(si + 8, 4), 0, "flags");
	cr_assert_eq(t_le(si + 12, 4), f->initrd ? 1 : 0, "nr_modules");
	cr_assert_eq(t_le(si + 16, 8), f->initrd ? 0x1100 : 0, "modlist_paddr");
	cr_assert_eq(t_le(si + 24, 8), 0x20000, "cmdline_paddr");
	cr_assert_eq(t_le(si + 32, 8), 0, "rsdp_paddr: the firmware fills it");
	cr_assert_eq(t_le(si + 40, 8), 0x1200, "memmap_paddr");
	cr_assert_eq(t_le(si + 48, 4), t->map.nr, "memmap_entries");
	cr_assert_eq(t_le(si + 52, 4), 0, "reserved");
	mm = tmem_at(t, 0x1200, 24 * t->map.nr);
	for (unsigned i = 0; i < t->map.nr; i++) {
		cr_assert_eq(t_le(mm + 24 * i, 8), t->map.e[i].addr, "memmap %u addr", i);
		cr_assert_eq(t_le(mm + 24 * i + 8, 8), t->map.e[i].size, "memmap %u size", i);
		cr_assert_eq(t_le(mm + 24 * i + 16, 4), t->map.e[i].type, "memmap %u type", i);
		cr_assert_eq(t_le(mm + 24 * i + 20, 4), 0, "memmap %u reserved", i);
	}
	if (f->initrd) {
		const uint8_t *mod = tmem_at(t, 0x1100, 32);
		cr_assert_eq(t_le(mod, 8), img->initrd_addr);
		cr_assert_eq(t_le(mod + 8, 8), f->initrd_size);
		cr_assert_eq(t_le(mod + 16, 8), 0, "module cmdline_paddr");
		cr_assert_eq(t_le(mod + 24, 8), 0, "module reserved");
		cr_assert_eq(memcmp(tmem_at(t, img->initrd_addr, f->initrd_size), f->initrd,
				    f->initrd_size), 0);
	}
	cr_assert_str_eq((char *)tmem_at(t, 0x20000, 1), f->cmdline);
	cr_assert_eq(t_le(tmem_at(t, 0x518, 8), 8), 0x00cf92000000ffffULL, "GDT data32 at 0x18");
}

Test(pvh, elf64_start_info_field_by_field)
{
	static const uint64_t mems[] = { 64ULL << 20, 256ULL << 20, 3ULL << 30, 5ULL << 30 };

	for (size_t m = 0; m < sizeof(mems) / sizeof(mems[0]); m++) {
		struct tmem t;
		struct boot_image img;
		struct errbuf err;
		struct elfopts o = elf_default(1);
		size_t n, rd_size = 3 * 4096 + 5;
		uint8_t *k = elf_make(&o, &n), *rd = malloc(rd_size);
		struct boot_files f = files_of(k, n, "console=ttyS0 test=memmap");
		uint64_t hz = (mems[m] < (3ULL << 30) ? mems[m] : 3ULL << 30) - (1 << 20);

		memset(rd, 0x3c, rd_size);
		f.initrd = rd;
		f.initrd_size = rd_size;
		tmem_init(&t, mems[m]);
		memset(tmem_at(&t, 0x1000, 0x1000), 0xaa, 0x1000);
		memset(tmem_at(&t, 0x104000, 0x5000), 0xaa, 0x5000); /* bss must be zeroed */
		cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
		check_loaded(&t, &o, &img, &f);
		cr_assert_eq(img.kernel_start, 0x100000);
		cr_assert_eq(img.kernel_end, 0x109000);
		cr_assert_eq(img.initrd_addr, (hz - rd_size) & ~0xfffULL, "initrd below the HIGH zone");
		cr_assert_eq(t.map.nr, mems[m] > (3ULL << 30) ? 5u : 4u);
		/* Everything between the memmap and the end of the page is zero. */
		for (unsigned i = 0x1200 + 24 * t.map.nr; i < 0x2000; i++)
			cr_assert_eq(tmem_at(&t, i, 1)[0], 0, "byte 0x%x", i);
		tmem_fini(&t);
		free(k);
		free(rd);
	}
}

Test(pvh, elf32_and_8_byte_entry)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct elfopts o = elf_default(0);
	size_t n;
	uint8_t *k;
	struct boot_files f;

	k = elf_make(&o, &n);
	f = files_of(k, n, "");
	tmem_init(&t, 64 << 20);
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
	check_loaded(&t, &o, &img, &f);
	tmem_fini(&t);
	free(k);

	o = elf_default(1);
	o.entry_size = 8;
	o.entry = 0x100020;
	k = elf_make(&o, &n);
	f = files_of(k, n, "x");
	tmem_init(&t, 64 << 20);
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
	check_loaded(&t, &o, &img, &f);
	tmem_fini(&t);
	free(k);
}

Test(pvh, segments_above_4g_and_below_1mib)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct elfopts o = elf_default(1);
	size_t n;
	uint8_t *k;
	struct boot_files f;

	/* Low RAM outside the boot structures, and RAM above 4 GiB, are fine. */
	o.seg[0].paddr = 0x8000;
	o.entry = 0x8010;
	o.seg[1].paddr = 0x100000000ULL + 0x2000;
	k = elf_make(&o, &n);
	f = files_of(k, n, "");
	tmem_init(&t, 5ULL << 30);
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
	check_loaded(&t, &o, &img, &f);
	cr_assert_eq(img.kernel_start, 0x8000);
	cr_assert_eq(img.kernel_end, 0x100007000ULL);
	tmem_fini(&t);
	free(k);
}

Test(pvh, reload_is_idempotent)
{
	struct tmem t;
	struct boot_image a, b;
	struct errbuf err;
	struct elfopts o = elf_default(1);
	size_t n;
	uint8_t rd[3000];
	uint8_t *k = elf_make(&o, &n), *snap;
	struct boot_files f = files_of(k, n, "init=/init");

	memset(rd, 0x42, sizeof(rd));
	f.initrd = rd;
	f.initrd_size = sizeof(rd);
	tmem_init(&t, 128 << 20);
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &a, &err), 0, "%s", err.msg);
	snap = malloc(2 << 20);
	memcpy(snap, t.host, 2 << 20);
	memset(t.host, 0xee, 2 << 20); /* the guest dirtied all of low RAM, kernel and bss included */
	memset(tmem_at(&t, a.initrd_addr, sizeof(rd)), 0xee, sizeof(rd));
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &b, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	cr_assert_eq(memcmp(t.host + 0x500, snap + 0x500, 32), 0);
	cr_assert_eq(memcmp(t.host + 0x1000, snap + 0x1000, 0x1000), 0);
	cr_assert_eq(memcmp(t.host + 0x20000, snap + 0x20000, 0x10000), 0);
	cr_assert_eq(memcmp(t.host + 0x100000, snap + 0x100000, 0x3000), 0, "segment 0");
	cr_assert_eq(memcmp(t.host + 0x104000, snap + 0x104000, 0x5000), 0, "segment 1 and its bss");
	cr_assert_eq(memcmp(tmem_at(&t, a.initrd_addr, sizeof(rd)), rd, sizeof(rd)), 0);
	check_loaded(&t, &o, &b, &f);
	free(snap);
	tmem_fini(&t);
	free(k);
}

/*
 * A segment whose memsz is nearly all of a 3 GiB guest: its bss is dropped,
 * not written, so the load stays fast and costs no host memory (a fuzzer
 * input once took 11.8 s and 2 GiB here), and bytes a guest left there
 * before a reset still read back as zero.
 */
Test(pvh, gigabytes_of_bss_cost_no_host_memory)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct elfopts o = elf_default(1);
	uint64_t bss = 0x106000, end = LAYOUT_MMIO_HOLE - (64ULL << 20), pages;
	unsigned char *vec;
	uint64_t resident = 0;
	size_t n;
	uint8_t *k, *p;

	o.seg[1].memsz = end - o.seg[1].paddr;
	k = elf_make(&o, &n);
	struct boot_files f = files_of(k, n, "console=ttyS0");

	tmem_init(&t, LAYOUT_MMIO_HOLE);
	/* What a guest left behind before a reset: the start, middle and last page of the bss. */
	memset(tmem_at(&t, bss, 0x1000), 0xee, 0x1000);
	memset(tmem_at(&t, 0x40000000, 0x1000), 0xee, 0x1000);
	memset(tmem_at(&t, end - 0x1000, 0x1000), 0xee, 0x1000);
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
	cr_assert_eq(img.kernel_end, end);
	p = tmem_at(&t, o.seg[1].paddr, 0x2000);
	for (size_t j = 0; j < 0x2000; j++)
		cr_assert_eq(p[j], j < 0x1800 ? seg_byte(1, j) : 0, "segment 1 byte 0x%zx", j);
	pages = (end - bss) / 4096;
	vec = malloc(pages);
	cr_assert_not_null(vec);
	cr_assert_eq(mincore(tmem_at(&t, bss, end - bss), end - bss, vec), 0);
	for (uint64_t i = 0; i < pages; i++)
		resident += vec[i] & 1;
	cr_assert_eq(resident, 0, "%llu bss pages resident", (unsigned long long)resident);
	cr_assert_eq(tmem_at(&t, bss, 1)[0], 0);
	cr_assert_eq(tmem_at(&t, 0x40000000 + 0xfff, 1)[0], 0);
	cr_assert_eq(tmem_at(&t, end - 1, 1)[0], 0);
	free(vec);
	tmem_fini(&t);
	free(k);
}
