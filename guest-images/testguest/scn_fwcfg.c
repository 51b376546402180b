/* SPDX-License-Identifier: MIT */
/*
 * fwcfg: the fw_cfg guest ABI (shared/DESIGN.md §4, QEMU
 * docs/specs/fw_cfg.rst), as a guest sees it, on microvm and on QEMU alike.
 *
 * - signature "QEMU" through the data port, the DMA bit in the ID, "QEMU CFG"
 *   read byte-wise from 0x514..0x51B;
 * - the CPU count (0x05) and RAM size (0x03) items, read both ways, agree
 *   with the vCPUs the MADT lists (and cpus=N) and with the memory map (and
 *   expect_mem=SIZE); QEMU's semantics: boot vCPUs, and all RAM in bytes;
 * - the file directory read three ways (DMA, rep insb, one inb per byte)
 *   gives the same bytes; names are terminated, sorted and unique;
 * - "etc/e820" read both ways agrees, and agrees with the memory map the
 *   guest was given;
 * - "etc/table-loader" is a list of well-formed 128-byte commands whose files
 *   exist and are ALLOCATEd before use;
 * - DMA corner cases: READ past the end zero-fills, SKIP, a WRITE to a
 *   read-only file fails and changes nothing, a buffer beyond RAM or an
 *   address + length that wraps fails, and the device still works after.
 *
 * Parameters: cpus=N and expect_mem=SIZE (the VM's vCPUs and --mem, as for
 * the acpi and memmap scenarios); fwcfg=strict adds what microvm promises
 * beyond the ABI (peers differ): etc/e820 is exactly the guest's memory map,
 * and ALLOCATEs come first in the loader script.
 */
#include "guest-images/testguest/acpi.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/fwcfg.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"
#include "vmm/layout.h"
#include "vmm/util.h"

#define E820_ENTRY 20 /* {le64 address; le64 length; le32 type} */
#define E820_MAX 128
#define LOADER_CMD 128
#define LOADER_MAX (256 * LOADER_CMD)
#define LOADER_ALLOCATE 1
#define LOADER_ADD_POINTER 2
#define LOADER_ADD_CHECKSUM 3
#define LOADER_WRITE_POINTER 4
#define LOADER_ZONE_HIGH 1
#define LOADER_ZONE_FSEG 2
#define LOADER_MAX_ALLOC 16
/* Far above any RAM a test VM has, below a 40-bit physical address width. */
#define BEYOND_RAM 0x8000000000ull

static uint8_t dir_dma[FWCFG_DIR_MAX] __attribute__((section(".noinit")));
static uint8_t dir_rep[FWCFG_DIR_MAX] __attribute__((section(".noinit")));
static uint8_t dir_loop[FWCFG_DIR_MAX] __attribute__((section(".noinit")));
static uint8_t e820_dma[E820_MAX * E820_ENTRY] __attribute__((section(".noinit")));
static uint8_t e820_port[E820_MAX * E820_ENTRY] __attribute__((section(".noinit")));
static uint8_t loader[LOADER_MAX] __attribute__((section(".noinit")));

struct fwcfg_state {
	int strict;
	uint32_t dir_len, nr_files;
};

/* ---- identification ---- */

static void check_ident(void)
{
	char sig[5] = { 0 }, dma_sig[9] = { 0 };
	uint8_t id[4];

	fwcfg_select(FWCFG_KEY_SIGNATURE);
	fwcfg_read_loop(sig, 4);
	CHECK(!memcmp(sig, "QEMU", 4), "the signature item reads \"QEMU\" through the data port (\"%s\")",
	      sig);
	fwcfg_select(FWCFG_KEY_ID);
	fwcfg_read_loop(id, 4);
	CHECK(get_le32(id) & FWCFG_ID_DMA, "the ID (0x%x) has the DMA bit", get_le32(id));
	CHECK(get_le32(id) & FWCFG_ID_TRADITIONAL, "the ID (0x%x) has the traditional-interface bit",
	      get_le32(id));
	for (unsigned i = 0; i < 8; i++)
		dma_sig[i] = (char)inb((uint16_t)(FWCFG_PORT_DMA_SIG + i));
	CHECK(!memcmp(dma_sig, "QEMU CFG", 8), "0x514..0x51B read byte-wise give \"QEMU CFG\" (\"%s\")",
	      dma_sig);
}

/* ---- machine items: CPU count and RAM size ---- */

/* Item key (n <= 8 bytes, little-endian) through the data port and through
 * DMA; both must agree. */
static uint64_t read_item(uint16_t key, const char *what, unsigned n)
{
	uint8_t port[8] = { 0 }, dma[8] = { 0 };
	uint32_t c;

	fwcfg_select(key);
	fwcfg_read_loop(port, n);
	c = fwcfg_dma_read(key, dma, n);
	CHECK(c == 0 && !memcmp(port, dma, n),
	      "%s (key 0x%02x, %u bytes) reads the same through the data port and DMA (control 0x%x)",
	      what, key, n, c);
	return n == 2 ? get_le16(port) : get_le64(port);
}

static void check_machine_items(const struct boot_info *bi)
{
	uint64_t nb_cpus, max_cpus, ram_size, cpus, mem, ram;
	int madt = acpi_madt_cpus(acpi_find_rsdp(bi)), match;

	nb_cpus = read_item(FWCFG_KEY_NB_CPUS, "NB_CPUS", 2);
	max_cpus = read_item(FWCFG_KEY_MAX_CPUS, "MAX_CPUS", 2);
	ram_size = read_item(FWCFG_KEY_RAM_SIZE, "RAM_SIZE", 8);
	printf("fwcfg: NB_CPUS %lu, MAX_CPUS %lu, RAM_SIZE 0x%lx (%lu MiB); the MADT lists %d CPUs\n",
	       nb_cpus, max_cpus, ram_size, ram_size >> 20, madt);

	if (madt >= 0)
		CHECK(nb_cpus == (uint64_t)madt, "NB_CPUS %lu equals the MADT's enabled processors (%d)",
		      nb_cpus, madt);
	if (cmdline_size(bi, "cpus", &cpus))
		CHECK(nb_cpus == cpus, "NB_CPUS %lu equals cpus=%lu", nb_cpus, cpus);
	else if (madt < 0)
		CHECK(nb_cpus >= 1, "NB_CPUS %lu is at least 1 (no MADT, no cpus=N)", nb_cpus);
	CHECK(max_cpus >= nb_cpus, "MAX_CPUS %lu is at least NB_CPUS %lu", max_cpus, nb_cpus);

	if (cmdline_size(bi, "expect_mem", &mem))
		CHECK(ram_size == mem, "RAM_SIZE %lu MiB equals expect_mem=%lu MiB", ram_size >> 20,
		      mem >> 20);
	match = ram_total_matches(bi, ram_size, &ram);
	CHECK(match, "RAM_SIZE %lu KiB is the memory map's RAM (%lu KiB) plus at most the layout's holes",
	      ram_size >> 10, ram >> 10);
}

/* ---- the directory ---- */

static void check_dir(struct fwcfg_state *st)
{
	struct fwcfg_file a, b;
	uint8_t probe[64];

	st->dir_len = fwcfg_read_dir(dir_dma);
	CHECK(st->dir_len, "the file directory reads through DMA, 1..%u files", FWCFG_MAX_FILES);
	st->nr_files = (st->dir_len - 4) / FWCFG_DIR_ENTRY;
	printf("fwcfg: %u files\n", st->nr_files);

	fwcfg_select(FWCFG_KEY_FILE_DIR);
	fwcfg_read_rep(dir_rep, st->dir_len);
	CHECK(!memcmp(dir_dma, dir_rep, st->dir_len),
	      "the directory through rep insb equals the DMA copy (%u bytes)", st->dir_len);
	fwcfg_select(FWCFG_KEY_FILE_DIR);
	fwcfg_read_loop(dir_loop, st->dir_len);
	CHECK(!memcmp(dir_dma, dir_loop, st->dir_len),
	      "the directory through one inb per byte equals the DMA copy");

	for (uint32_t i = 0; i < st->nr_files; i++) {
		const uint8_t *name = dir_dma + 4 + i * FWCFG_DIR_ENTRY + 8;
		uint32_t n = (uint32_t)strnlen((const char *)name, FWCFG_NAME_LEN);
		int unique = 1;

		fwcfg_dir_entry(dir_dma, i, &a);
		printf("fwcfg:   0x%04x %6u %s\n", a.key, a.size, a.name);
		CHECK(n > 0 && n < FWCFG_NAME_LEN, "file %u's name is non-empty and NUL-terminated", i);
		CHECK(a.key >= FWCFG_KEY_FILE_FIRST && a.key < 0x4000,
		      "file %s has a file key (0x%x) without flag bits", a.name, a.key);
		for (uint32_t j = 0; j < i; j++) {
			fwcfg_dir_entry(dir_dma, j, &b);
			unique &= b.key != a.key;
		}
		CHECK(unique, "file %s's key 0x%x is unique", a.name, a.key);
		if (i) {
			fwcfg_dir_entry(dir_dma, i - 1, &b);
			CHECK(strcmp(b.name, a.name) < 0, "the directory is sorted: %s < %s", b.name,
			      a.name);
		}
		CHECK(fwcfg_dma_read(a.key, probe, a.size < sizeof(probe) ? a.size : sizeof(probe)) == 0,
		      "file %s reads through DMA by its key", a.name);
	}
}

/* ---- etc/e820 ---- */

static int guest_ram_overlaps(const struct boot_info *bi, uint64_t addr, uint64_t size)
{
	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *m = &bi->mem[i];
		if (m->type == MEM_RAM && m->size && ranges_overlap(addr, size, m->addr, m->size))
			return 1;
	}
	return 0;
}

/* 1 if [addr, addr + size) lies in one RAM entry of the etc/e820 table. */
static int e820_ram_covers(const uint8_t *t, uint32_t n, uint64_t addr, uint64_t size)
{
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = t + i * E820_ENTRY;
		uint64_t a = get_le64(e), s = get_le64(e + 8);
		if (get_le32(e + 16) == MEM_RAM && addr >= a && addr + size <= a + s)
			return 1;
	}
	return 0;
}

static void check_e820(const struct boot_info *bi, const struct fwcfg_state *st)
{
	struct fwcfg_file f;
	uint32_t n;

	CHECK(fwcfg_find_file("etc/e820", &f), "the directory has etc/e820");
	n = f.size / E820_ENTRY;
	CHECK(f.size && f.size % E820_ENTRY == 0 && n <= E820_MAX,
	      "etc/e820 is %u bytes: 1..%u entries of %u bytes", f.size, E820_MAX, E820_ENTRY);
	CHECK(fwcfg_dma_read(f.key, e820_dma, f.size) == 0, "etc/e820 reads through DMA");
	fwcfg_select(f.key);
	fwcfg_read_loop(e820_port, f.size);
	CHECK(!memcmp(e820_dma, e820_port, f.size), "etc/e820 through the data port equals the DMA copy");

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = e820_dma + i * E820_ENTRY;
		uint64_t a = get_le64(e), s = get_le64(e + 8);
		uint32_t type = get_le32(e + 16);

		printf("fwcfg: etc/e820[%u] 0x%016lx-0x%016lx %s\n", i, a, a + s - 1, mem_type_name(type));
		if (type != MEM_RAM)
			CHECK(!guest_ram_overlaps(bi, a, s),
			      "etc/e820 %s range 0x%lx+0x%lx is not RAM in the guest's map",
			      mem_type_name(type), a, s);
	}
	/* The firmware may carve RAM out (its own reservations), never add it. */
	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *m = &bi->mem[i];
		if (m->type == MEM_RAM && m->size)
			CHECK(e820_ram_covers(e820_dma, n, m->addr, m->size),
			      "the guest's RAM 0x%lx+0x%lx is RAM in etc/e820", m->addr, m->size);
	}
	if (!st->strict)
		return;
	CHECK(n == bi->nr_mem_reported, "strict: etc/e820 has as many entries (%u) as the guest's map (%u)",
	      n, bi->nr_mem_reported);
	for (uint32_t i = 0; i < n && i < bi->nr_mem; i++) {
		const uint8_t *e = e820_dma + i * E820_ENTRY;
		const struct mem_range *m = &bi->mem[i];
		CHECK(get_le64(e) == m->addr && get_le64(e + 8) == m->size && get_le32(e + 16) == m->type,
		      "strict: etc/e820[%u] equals the guest's map entry", i);
	}
}

/* ---- etc/table-loader ---- */

struct loader_names {
	char name[LOADER_MAX_ALLOC][FWCFG_NAME_LEN];
	unsigned n;
};

static int name_allocated(const struct loader_names *al, const char *name)
{
	for (unsigned i = 0; i < al->n; i++)
		if (!strcmp(al->name[i], name))
			return 1;
	return 0;
}

/* The NUL-terminated file name field at `field`; its directory entry in *f. */
static void loader_file(const uint8_t *field, unsigned cmd_no, const char *role, struct fwcfg_file *f)
{
	char name[FWCFG_NAME_LEN];
	size_t n = strnlen((const char *)field, FWCFG_NAME_LEN);

	if (n == FWCFG_NAME_LEN)
		n--;
	memcpy(name, field, n);
	name[n] = '\0';
	CHECK(n > 0 && field[n] == '\0' && fwcfg_find_file(name, f),
	      "loader command %u: %s names an existing file (\"%s\")", cmd_no, role, name);
}

static int size_ok(unsigned s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

static void check_loader_cmd(const uint8_t *c, unsigned i, struct loader_names *al, int *seen_other,
			     int strict)
{
	uint32_t cmd = get_le32(c);
	struct fwcfg_file f, g;

	switch (cmd) {
	case LOADER_ALLOCATE:
		loader_file(c + 4, i, "ALLOCATE", &f);
		printf("fwcfg: loader %2u ALLOCATE %s align %u zone %u\n", i, f.name, get_le32(c + 60),
		       c[64]);
		CHECK(get_le32(c + 60) && !(get_le32(c + 60) & (get_le32(c + 60) - 1)),
		      "ALLOCATE %s: alignment %u is a power of two", f.name, get_le32(c + 60));
		CHECK(c[64] == LOADER_ZONE_HIGH || c[64] == LOADER_ZONE_FSEG, "ALLOCATE %s: zone %u is HIGH or FSEG",
		      f.name, c[64]);
		CHECK(!name_allocated(al, f.name) && al->n < LOADER_MAX_ALLOC, "ALLOCATE %s: once", f.name);
		if (strict)
			CHECK(!*seen_other, "strict: ALLOCATE %s comes before every other command", f.name);
		memcpy(al->name[al->n++], f.name, FWCFG_NAME_LEN);
		return;
	case LOADER_ADD_POINTER:
		loader_file(c + 4, i, "ADD_POINTER dest", &f);
		loader_file(c + 60, i, "ADD_POINTER src", &g);
		printf("fwcfg: loader %2u ADD_POINTER %s+%u <- %s, %u bytes\n", i, f.name, get_le32(c + 116),
		       g.name, c[120]);
		CHECK(name_allocated(al, f.name) && name_allocated(al, g.name),
		      "ADD_POINTER %s <- %s: both ALLOCATEd before", f.name, g.name);
		CHECK(size_ok(c[120]) && range_fits(get_le32(c + 116), c[120], f.size),
		      "ADD_POINTER into %s: %u bytes at %u fit its %u", f.name, c[120], get_le32(c + 116),
		      f.size);
		break;
	case LOADER_ADD_CHECKSUM:
		loader_file(c + 4, i, "ADD_CHECKSUM", &f);
		printf("fwcfg: loader %2u ADD_CHECKSUM %s at %u over %u+%u\n", i, f.name, get_le32(c + 60),
		       get_le32(c + 64), get_le32(c + 68));
		CHECK(name_allocated(al, f.name), "ADD_CHECKSUM %s: ALLOCATEd before", f.name);
		CHECK(get_le32(c + 60) < f.size && range_fits(get_le32(c + 64), get_le32(c + 68), f.size),
		      "ADD_CHECKSUM %s: offset and range fit its %u bytes", f.name, f.size);
		break;
	case LOADER_WRITE_POINTER:
		loader_file(c + 4, i, "WRITE_POINTER dest", &f);
		loader_file(c + 60, i, "WRITE_POINTER src", &g);
		printf("fwcfg: loader %2u WRITE_POINTER %s+%u <- %s+%u, %u bytes\n", i, f.name,
		       get_le32(c + 116), g.name, get_le32(c + 120), c[124]);
		CHECK(!name_allocated(al, f.name) && name_allocated(al, g.name),
		      "WRITE_POINTER %s <- %s: dest not loaded, src ALLOCATEd before", f.name, g.name);
		CHECK(size_ok(c[124]) && range_fits(get_le32(c + 116), c[124], f.size),
		      "WRITE_POINTER into %s: %u bytes at %u fit its %u", f.name, c[124],
		      get_le32(c + 116), f.size);
		break;
	default:
		/* Firmware skips commands it does not know (QEMU pads with zeros). */
		printf("fwcfg: loader %2u: command %u (skipped by firmware)\n", i, cmd);
		if (strict)
			CHECK(0, "strict: loader command %u is a known command (%u)", i, cmd);
		break;
	}
	*seen_other = 1;
}

static void check_loader(const struct fwcfg_state *st)
{
	static struct loader_names al;
	struct fwcfg_file f;
	int seen_other = 0;

	if (!fwcfg_find_file("etc/table-loader", &f)) {
		CHECK(!st->strict, "strict: the directory has etc/table-loader");
		printf("fwcfg: no etc/table-loader (no ACPI)\n");
		return;
	}
	CHECK(f.size && f.size % LOADER_CMD == 0 && f.size <= LOADER_MAX,
	      "etc/table-loader is %u bytes: 1..%u commands of %u bytes", f.size, LOADER_MAX / LOADER_CMD,
	      LOADER_CMD);
	CHECK(fwcfg_dma_read(f.key, loader, f.size) == 0, "etc/table-loader reads through DMA");
	al.n = 0;
	for (unsigned i = 0; i < f.size / LOADER_CMD; i++)
		check_loader_cmd(loader + i * LOADER_CMD, i, &al, &seen_other, st->strict);
	CHECK(al.n > 0, "the loader ALLOCATEs at least one file (%u)", al.n);
}

/* ---- DMA corner cases ---- */

static void check_dma(const struct fwcfg_state *st)
{
	static uint8_t buf[FWCFG_DIR_ENTRY];
	static const uint8_t zero[16];
	struct fwcfg_file e820;
	uint32_t c;

	memset(buf, 0xAA, sizeof(buf));
	c = fwcfg_dma_read(FWCFG_KEY_SIGNATURE, buf, 16);
	CHECK(c == 0 && !memcmp(buf, "QEMU", 4) && !memcmp(buf + 4, zero, 12),
	      "a 16-byte DMA READ of the 4-byte signature gives \"QEMU\" and 12 zeros (control 0x%x)", c);

	if (st->nr_files >= 2) {
		memset(buf, 0xAA, sizeof(buf));
		c = fwcfg_dma(FWCFG_DMA_KEY(FWCFG_KEY_FILE_DIR) | FWCFG_DMA_SELECT | FWCFG_DMA_SKIP,
			      4 + FWCFG_DIR_ENTRY, 0);
		CHECK(c == 0, "DMA SELECT + SKIP over the count and the first entry (control 0x%x)", c);
		c = fwcfg_dma(FWCFG_DMA_READ, FWCFG_DIR_ENTRY, (uintptr_t)buf);
		CHECK(c == 0 && !memcmp(buf, dir_dma + 4 + FWCFG_DIR_ENTRY, FWCFG_DIR_ENTRY),
		      "the READ after the SKIP gives the second directory entry (control 0x%x)", c);
	}

	CHECK(fwcfg_find_file("etc/e820", &e820), "etc/e820 found again");
	memset(e820_port, 0x5A, e820.size);
	c = fwcfg_dma(FWCFG_DMA_KEY(e820.key) | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE, e820.size,
		      (uintptr_t)e820_port);
	CHECK(c & FWCFG_DMA_ERROR, "a DMA WRITE to the read-only etc/e820 fails (control 0x%x)", c);
	c = fwcfg_dma_read(e820.key, e820_port, e820.size);
	CHECK(c == 0 && !memcmp(e820_port, e820_dma, e820.size),
	      "etc/e820 is unchanged after the refused WRITE");

	c = fwcfg_dma_read(e820.key, (void *)(uintptr_t)BEYOND_RAM, e820.size);
	CHECK(c & FWCFG_DMA_ERROR, "a DMA READ into 0x%llx, beyond RAM, fails (control 0x%x)",
	      BEYOND_RAM, c);
	c = fwcfg_dma(FWCFG_DMA_KEY(FWCFG_KEY_SIGNATURE) | FWCFG_DMA_SELECT | FWCFG_DMA_READ, 0x2000,
		      0xFFFFFFFFFFFFF000ull);
	CHECK(c & FWCFG_DMA_ERROR, "a DMA READ whose address + length wraps fails (control 0x%x)", c);

	memset(buf, 0, sizeof(buf));
	c = fwcfg_dma_read(FWCFG_KEY_SIGNATURE, buf, 4);
	CHECK(c == 0 && !memcmp(buf, "QEMU", 4), "DMA still works after the failed transfers");
}

void scn_fwcfg(const struct boot_info *bi)
{
	struct fwcfg_state st = { 0 };
	char mode[16];

	if (cmdline_get(bi, "fwcfg", mode, sizeof(mode))) {
		if (strcmp(mode, "strict"))
			fail(GUEST_EXIT_USAGE, "fwcfg=%s: only fwcfg=strict is known", mode);
		st.strict = 1;
	}
	check_ident();
	check_machine_items(bi);
	check_dir(&st);
	check_e820(bi, &st);
	check_loader(&st);
	check_dma(&st);
}
