/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the firmware's linker/loader executor (firmware/loader_exec.c,
 * built for the host) running arbitrary "etc/table-loader" scripts over the
 * real ACPI blobs vmm/acpi_build.c makes for the default machine with
 * --vmcoreinfo (built once, in LLVMFuzzerInitialize), in one of four zone
 * layouts: the machine's own (HIGH at the top of RAM below 3 GiB, FSEG at
 * 0xE0000), zones just big enough, zones running off RAM into its holes,
 * and zones above 4 GiB and just under 2^64 (where 4-byte pointers
 * overflow). Guest RAM is guarded and shadowed (fuzz_fa_util.h).
 *
 * What must hold:
 *  - every ALLOCATE lands aligned, inside its zone and RAM, over no other
 *    allocation, with exactly the file's bytes; every mem() the executor asks
 *    for lies inside a zone;
 *  - RAM equals the shadow, which is the pattern plus the loads plus the
 *    model's own replay of the ADD_POINTER and ADD_CHECKSUM commands the
 *    executor ran: nothing else changed, and each pointer is exactly the
 *    old value plus the source's address, fitting its size;
 *  - WRITE_POINTER writes only into a file it found, inside its size, the
 *    value base(src) + src_offset with src_offset inside the source;
 *  - a script refused at command k leaves RAM and files exactly as the
 *    first k commands leave them when run alone (which succeed): the
 *    executor promises to stop at the first failure, touching nothing;
 *  - loader_find_rsdp returns 0 or a checksummed RSDP inside an FSEG
 *    allocation.
 *
 * Input: byte 0 = layout (bits 0-1) and how far HIGH's start is moved off
 * alignment (bits 2-7, in 8-byte steps); byte 1 = n, the script is the next
 * n * 128 bytes (fewer when the input ends: a truncated blob); then a le16
 * offset and bytes XORed into "etc/acpi/tables" there (the table blobs
 * themselves, mutated). An entry whose last byte (padding in every command)
 * has bit 7 set has its offset fields counted back from the end of the file
 * they index before the executor sees it, so the fuzzer reaches a file's
 * last bytes without guessing its size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "devices/fw_cfg.h"
#include "devices/fw_status.h"
#include "devices/ged.h"
#include "devices/i8042.h"
#include "devices/pvpanic.h"
#include "devices/serial.h"
#include "devices/vmcoreinfo.h"
#include "firmware/loader_exec.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_fa_util.h"
#include "vmm/acpi_build.h"
#include "vmm/err.h"
#include "vmm/log.h"

static const uint64_t layout[][2] = {
	{ 0xE0000, 0x20000 },
	{ 3 * GiB - 0x10000, 0x10000 },
	{ 4 * GiB, 0x4000 },
	{ 0 - (uint64_t)0x10001, 0x10000 }, /* up to 2^64 - 1, as high as RAM can go */
};

/* [high_start, high_end, fseg_start, fseg_end] of each layout. */
static const uint64_t zones[4][4] = {
	{ 3 * GiB - 0x10000, 3 * GiB, 0xE0000, 0x100000 },	   /* the machine's */
	{ 3 * GiB - 0x2100, 3 * GiB, 0xE0000, 0xE0024 },	   /* just big enough */
	{ 3 * GiB - 0x800, 3 * GiB + 0x10000, 4 * GiB - 0x40, 4 * GiB + 0x40 }, /* off RAM */
	{ 0 - (uint64_t)0x10001, 0 - (uint64_t)1, 4 * GiB, 4 * GiB + 0x4000 },	/* high up */
};

struct mfile {
	const char *name;
	uint16_t key;
	bool writable;
	uint32_t size;
	uint8_t *data, *pristine;
};

static struct mfile files[] = {
	{ "etc/acpi/tables", 0x20, false, 0, NULL, NULL },
	{ "etc/acpi/rsdp", 0x21, false, 0, NULL, NULL },
	{ "etc/vmcoreinfo", 0x22, false, 4096, NULL, NULL },
	{ "etc/vmcoreinfo-addr", 0x23, true, 8, NULL, NULL },
	{ "etc/table-loader", 0x24, false, 0, NULL, NULL },
	{ "etc/e820", 0x25, false, 40, NULL, NULL },
	{ "etc/empty", 0x26, false, 0, NULL, NULL },
	/* fw_cfg fails to load it (a DMA error): the ALLOCATE must fail, touching nothing. */
	{ "etc/unloadable", 0x27, false, 16, NULL, NULL },
	/* Enough small files to run out of LOADER_MAX_ALLOCS. */
#define SMALL(n) { "etc/s/" #n, 0x30 + n, n % 4 == 0, 1 + n % 8, NULL, NULL }
	SMALL(0),  SMALL(1),  SMALL(2),	 SMALL(3),  SMALL(4),  SMALL(5),  SMALL(6),  SMALL(7),
	SMALL(8),  SMALL(9),  SMALL(10), SMALL(11), SMALL(12), SMALL(13), SMALL(14), SMALL(15),
	SMALL(16), SMALL(17), SMALL(18), SMALL(19), SMALL(20), SMALL(21), SMALL(22), SMALL(23),
	SMALL(24), SMALL(25), SMALL(26), SMALL(27), SMALL(28), SMALL(29), SMALL(30), SMALL(31),
#undef SMALL
};
#define NF ARRAY_SIZE(files)

struct malloc_rec {
	const struct mfile *f;
	uint64_t addr;
};

static struct fa_ram ram;
static struct loader ldr;
static uint8_t *script; /* the input's script, with relative offsets resolved */
static uint32_t script_len;
static const uint64_t *zone_now;
static struct malloc_rec allocs[LOADER_MAX_ALLOCS];
static unsigned nr_allocs;
static bool inited;
static bool shadow_loads; /* false in the rerun: the shadow already holds the first run's result */

static const uint8_t *cur_entry(void)
{
	FUZZ_CHECK(ldr.err_index < script_len / LOADER_ENTRY_SIZE, "a callback outside any command");
	return script + (size_t)ldr.err_index * LOADER_ENTRY_SIZE;
}

static struct mfile *file_by_name(const char *name)
{
	for (unsigned i = 0; i < NF; i++)
		if (!strcmp(files[i].name, name))
			return &files[i];
	return NULL;
}

static struct mfile *file_by_key(uint16_t key)
{
	for (unsigned i = 0; i < NF; i++)
		if (files[i].key == key)
			return &files[i];
	return NULL;
}

static const struct malloc_rec *alloc_by_name(const uint8_t *field)
{
	for (unsigned i = 0; i < nr_allocs; i++)
		if (!strncmp(allocs[i].f->name, (const char *)field, LOADER_NAME_LEN))
			return &allocs[i];
	return NULL;
}

static bool in_zone(uint64_t addr, uint64_t len, int zone)
{
	uint64_t s, e;

	if (zone != LOADER_ZONE_HIGH && zone != LOADER_ZONE_FSEG)
		return false;
	s = zone_now[zone == LOADER_ZONE_HIGH ? 0 : 2];
	e = zone_now[zone == LOADER_ZONE_HIGH ? 1 : 3];
	return s < e && addr >= s && addr <= e && len <= e - addr;
}

static int op_find(void *ctx, const char *name, uint16_t *key, uint32_t *size)
{
	struct mfile *f;

	(void)ctx;
	FUZZ_CHECK(strnlen(name, LOADER_NAME_LEN) < LOADER_NAME_LEN, "find() of an unterminated name");
	f = file_by_name(name);
	if (!f)
		return -1;
	*key = f->key;
	*size = f->size;
	return 0;
}

static int op_load(void *ctx, uint16_t key, uint64_t addr, uint32_t size)
{
	const uint8_t *e = cur_entry();
	uint32_t align = get_le32(e + LOADER_ALLOC_ALIGN);
	uint8_t zone = e[LOADER_ALLOC_ZONE];
	struct mfile *f = file_by_key(key);
	void *p;

	(void)ctx;
	FUZZ_CHECK(get_le32(e) == LOADER_CMD_ALLOCATE, "load() outside an ALLOCATE");
	FUZZ_CHECK(f && !strncmp(f->name, (const char *)e + LOADER_ALLOC_FILE, LOADER_NAME_LEN) &&
			   size == f->size && size,
		   "ALLOCATE loads key 0x%x (%u bytes), not its file", key, size);
	FUZZ_CHECK(is_pow2(align) && addr % align == 0, "ALLOCATE at 0x%llx breaks align %u",
		   (unsigned long long)addr, align);
	FUZZ_CHECK(in_zone(addr, size, zone), "ALLOCATE of %u bytes at 0x%llx outside zone %u", size,
		   (unsigned long long)addr, zone);
	for (unsigned i = 0; i < nr_allocs; i++)
		FUZZ_CHECK(!ranges_overlap(addr, size, allocs[i].addr, allocs[i].f->size),
			   "ALLOCATE of %s over %s", f->name, allocs[i].f->name);
	FUZZ_CHECK(nr_allocs < LOADER_MAX_ALLOCS, "more allocations than LOADER_MAX_ALLOCS");
	p = gm_ptr(&ram.gm, addr, size);
	FUZZ_CHECK(p && fa_in_one_region(&ram, addr, size, NULL), "ALLOCATE outside RAM");
	if (!strcmp(f->name, "etc/unloadable"))
		return -1;
	memcpy(p, f->data, size);
	if (shadow_loads)
		memcpy(fa_shadow_at(&ram, addr), f->data, size);
	allocs[nr_allocs].f = f;
	allocs[nr_allocs].addr = addr;
	nr_allocs++;
	return 0;
}

static int op_write(void *ctx, uint16_t key, uint32_t offset, const void *src, uint32_t len)
{
	const uint8_t *e = cur_entry();
	struct mfile *f = file_by_key(key);
	const struct malloc_rec *a;
	uint64_t v = 0;

	(void)ctx;
	FUZZ_CHECK(get_le32(e) == LOADER_CMD_WRITE_POINTER, "write() outside a WRITE_POINTER");
	FUZZ_CHECK(f && !strncmp(f->name, (const char *)e + LOADER_WPTR_DEST, LOADER_NAME_LEN),
		   "WRITE_POINTER into key 0x%x, not its file", key);
	FUZZ_CHECK(len == e[LOADER_WPTR_SIZE] && offset == get_le32(e + LOADER_WPTR_DST_OFFSET),
		   "WRITE_POINTER of %u bytes at %u, not as its command says", len, offset);
	FUZZ_CHECK(range_fits(offset, len, f->size), "WRITE_POINTER of %u bytes at %u of %s (%u bytes)",
		   len, offset, f->name, f->size);
	a = alloc_by_name(e + LOADER_WPTR_SRC);
	FUZZ_CHECK(a, "WRITE_POINTER from a file never allocated");
	for (unsigned i = len; i-- > 0;)
		v = v << 8 | ((const uint8_t *)src)[i];
	FUZZ_CHECK(get_le32(e + LOADER_WPTR_SRC_OFFSET) < a->f->size &&
			   v == a->addr + get_le32(e + LOADER_WPTR_SRC_OFFSET),
		   "WRITE_POINTER value 0x%llx is not %s's 0x%llx + %u", (unsigned long long)v, a->f->name,
		   (unsigned long long)a->addr, get_le32(e + LOADER_WPTR_SRC_OFFSET));
	/* fw_cfg refuses writes to read-only files: the executor must report it. */
	if (!f->writable)
		return -1;
	memcpy(f->data + offset, src, len);
	return 0;
}

static void *op_mem(void *ctx, uint64_t addr, uint64_t len)
{
	(void)ctx;
	FUZZ_CHECK(in_zone(addr, len, LOADER_ZONE_HIGH) || in_zone(addr, len, LOADER_ZONE_FSEG),
		   "mem(0x%llx, %llu) outside the zones", (unsigned long long)addr, (unsigned long long)len);
	return gm_ptr(&ram.gm, addr, len);
}

static void op_skipped(void *ctx, unsigned index, uint32_t command)
{
	(void)ctx;
	FUZZ_CHECK(index == ldr.err_index && command == get_le32(cur_entry()) &&
			   (command < LOADER_CMD_ALLOCATE || command > LOADER_CMD_WRITE_POINTER),
		   "skipped command %u (%u) is a known one", index, command);
}

static const struct loader_ops ops = {
	.find = op_find, .load = op_load, .write = op_write, .mem = op_mem, .skipped = op_skipped,
};

/* Size of the file a name field names (0 when none), for relative offsets. */
static uint32_t size_of(const uint8_t *field)
{
	for (unsigned i = 0; i < NF; i++)
		if (!strncmp(files[i].name, (const char *)field, LOADER_NAME_LEN))
			return files[i].size;
	return 0;
}

static void relative(uint8_t *field, uint32_t size)
{
	put_le32(field, size - get_le32(field));
}

static void resolve_relative(uint8_t *e)
{
	if (!(e[LOADER_ENTRY_SIZE - 1] & 0x80))
		return;
	switch (get_le32(e)) {
	case LOADER_CMD_ADD_POINTER:
		relative(e + LOADER_PTR_OFFSET, size_of(e + LOADER_PTR_DEST));
		break;
	case LOADER_CMD_ADD_CHECKSUM:
		relative(e + LOADER_CKSUM_OFFSET, size_of(e + LOADER_CKSUM_FILE));
		relative(e + LOADER_CKSUM_START, size_of(e + LOADER_CKSUM_FILE));
		break;
	case LOADER_CMD_WRITE_POINTER:
		relative(e + LOADER_WPTR_DST_OFFSET, size_of(e + LOADER_WPTR_DEST));
		relative(e + LOADER_WPTR_SRC_OFFSET, size_of(e + LOADER_WPTR_SRC));
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct device_ops *machine[] = {
		&fwcfg_device_ops, &fw_status_ops, &serial_ops,	 &i8042_ops,
		&acpi_pm_ops,	   &ged_ops,	   &pvpanic_ops, &vmcoreinfo_ops,
	};
	struct device devs[ARRAY_SIZE(machine)];
	struct acpi_build_cfg cfg = {
		.nr_cpus = 1,
		.devices = devs,
		.nr_devices = ARRAY_SIZE(machine),
		.sleep_control_port = ACPI_PM_SLEEP_CONTROL,
		.sleep_status_port = ACPI_PM_SLEEP_STATUS,
		.reset_port = ACPI_PM_RESET,
		.reset_value = ACPI_PM_RESET_VALUE,
	};
	struct errbuf err = { { 0 } };
	struct acpi_blobs b;

	(void)argc;
	(void)argv;
	log_level = LOG_ERROR;
	memset(devs, 0, sizeof(devs));
	for (unsigned i = 0; i < ARRAY_SIZE(machine); i++)
		devs[i].ops = machine[i];
	FUZZ_CHECK(acpi_build(&cfg, &b, &err) == 0, "acpi_build: %s", err.msg);
	files[0].size = (uint32_t)b.tables_len;
	files[1].size = (uint32_t)b.rsdp_len;
	files[4].size = (uint32_t)b.loader_len;
	for (unsigned i = 0; i < NF; i++) {
		files[i].pristine = calloc(1, files[i].size + 1);
		files[i].data = calloc(1, files[i].size + 1);
		FUZZ_CHECK(files[i].pristine && files[i].data, "calloc");
	}
	memcpy(files[0].pristine, b.tables, b.tables_len);
	memcpy(files[1].pristine, b.rsdp, b.rsdp_len);
	memcpy(files[4].pristine, b.loader, b.loader_len);
	/* Mostly zero offsets (so pointers into it fit), a few bytes to checksum. */
	for (uint32_t o = 36; o < files[5].size; o++)
		files[5].pristine[o] = (uint8_t)(o - 35);
	for (unsigned i = 7; i < NF; i++)
		for (uint32_t o = 0; o < files[i].size; o++)
			files[i].pristine[o] = (uint8_t)(i + o);
	acpi_blobs_free(&b);
	script = malloc(255 * LOADER_ENTRY_SIZE);
	FUZZ_CHECK(script, "malloc");
	fa_ram_init(&ram, layout, ARRAY_SIZE(layout));
	inited = true;
	return 0;
}

/* Fresh files (tables with the input's patch), RAM and executor. */
static void fresh(uint8_t lay, const uint8_t *patch, size_t patch_len, uint16_t patch_off, bool shadow_too)
{
	uint64_t high_start;

	for (unsigned i = 0; i < NF; i++)
		memcpy(files[i].data, files[i].pristine, files[i].size);
	for (size_t i = 0; i < patch_len && files[0].size; i++)
		files[0].data[(patch_off + i) % files[0].size] ^= patch[i];
	if (shadow_too)
		fa_ram_fill(&ram);
	else
		for (unsigned i = 0; i < ram.gm.nr; i++)
			memcpy(ram.gm.r[i].host, ram.pristine[i], ram.gm.r[i].size);
	zone_now = zones[lay & 3];
	high_start = zone_now[0] + (uint64_t)(lay >> 2) * 8;
	nr_allocs = 0;
	loader_init(&ldr, &ops, NULL, high_start, zone_now[1], zone_now[2], zone_now[3]);
}

/* The model's replay of the patches commands [0, n) made, on the shadow. */
static void replay_patches(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = script + (size_t)i * LOADER_ENTRY_SIZE;
		uint32_t cmd = get_le32(e);

		if (cmd == LOADER_CMD_ADD_POINTER) {
			const struct malloc_rec *d = alloc_by_name(e + LOADER_PTR_DEST);
			const struct malloc_rec *s = alloc_by_name(e + LOADER_PTR_SRC);
			uint32_t off = get_le32(e + LOADER_PTR_OFFSET);
			uint8_t size = e[LOADER_PTR_SIZE];
			uint64_t v = 0, sum;
			uint8_t *p;

			FUZZ_CHECK(d && s && (size == 1 || size == 2 || size == 4 || size == 8) &&
					   range_fits(off, size, d->f->size),
				   "command %u: ADD_POINTER ran with bad fields", i);
			p = fa_shadow_at(&ram, d->addr + off);
			for (unsigned j = size; j-- > 0;)
				v = v << 8 | p[j];
			sum = v + s->addr;
			FUZZ_CHECK(sum >= v && (size == 8 || sum >> (8 * size) == 0),
				   "command %u: ADD_POINTER ran though 0x%llx + 0x%llx does not fit %u bytes", i,
				   (unsigned long long)v, (unsigned long long)s->addr, size);
			for (unsigned j = 0; j < size; j++, sum >>= 8)
				p[j] = (uint8_t)sum;
		} else if (cmd == LOADER_CMD_ADD_CHECKSUM) {
			const struct malloc_rec *f = alloc_by_name(e + LOADER_CKSUM_FILE);
			uint32_t off = get_le32(e + LOADER_CKSUM_OFFSET);
			uint32_t start = get_le32(e + LOADER_CKSUM_START);
			uint32_t len = get_le32(e + LOADER_CKSUM_LENGTH);
			uint8_t *p, sum = 0;

			FUZZ_CHECK(f && off < f->f->size && range_fits(start, len, f->f->size),
				   "command %u: ADD_CHECKSUM ran with bad fields", i);
			p = fa_shadow_at(&ram, f->addr);
			for (uint32_t j = 0; j < len; j++)
				sum = (uint8_t)(sum + p[start + j]);
			p[off] = (uint8_t)(p[off] - sum);
		}
	}
}

static void check_rsdp(void)
{
	uint64_t rsdp = loader_find_rsdp(&ldr);
	const uint8_t *p;
	uint8_t sum = 0;
	bool inside = false;

	if (!rsdp)
		return;
	for (unsigned i = 0; i < nr_allocs; i++)
		if (rsdp >= allocs[i].addr && rsdp - allocs[i].addr + 20 <= allocs[i].f->size &&
		    in_zone(allocs[i].addr, allocs[i].f->size, LOADER_ZONE_FSEG))
			inside = true;
	FUZZ_CHECK(inside && rsdp % 16 == 0, "RSDP at 0x%llx is not inside an FSEG allocation",
		   (unsigned long long)rsdp);
	p = gm_ptr(&ram.gm, rsdp, 20);
	FUZZ_CHECK(p && !memcmp(p, "RSD PTR ", 8), "RSDP at 0x%llx has no signature", (unsigned long long)rsdp);
	for (unsigned i = 0; i < 20; i++)
		sum = (uint8_t)(sum + p[i]);
	FUZZ_CHECK(sum == 0, "RSDP at 0x%llx fails its checksum", (unsigned long long)rsdp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	uint8_t lay, addr_file[8];
	size_t want;
	uint16_t patch_off;
	struct malloc_rec first[LOADER_MAX_ALLOCS];
	unsigned first_n;
	uint32_t done;
	int rc;

	if (!inited)
		LLVMFuzzerInitialize(NULL, NULL);
	lay = fin_u8(&in);
	want = (size_t)fin_u8(&in) * LOADER_ENTRY_SIZE;
	script_len = (uint32_t)(want < in.n ? want : in.n);
	memcpy(script, in.p, script_len);
	for (uint32_t i = 0; i + LOADER_ENTRY_SIZE <= script_len; i += LOADER_ENTRY_SIZE)
		resolve_relative(script + i);
	in.p += script_len;
	in.n -= script_len;
	patch_off = fin_u16(&in);

	fresh(lay, in.p, in.n, patch_off, true);
	shadow_loads = true;
	rc = loader_run(&ldr, script, script_len);
	if (rc == 0)
		done = script_len / LOADER_ENTRY_SIZE;
	else if (ldr.err_index == LOADER_INDEX_BLOB)
		done = 0;
	else
		done = ldr.err_index;
	FUZZ_CHECK(rc == (int)ldr.err, "loader_run returned %d, err says %d", rc, ldr.err);
	FUZZ_CHECK(ldr.nr_alloc == nr_allocs, "the executor counts %u allocations, the loads were %u",
		   ldr.nr_alloc, nr_allocs);
	for (unsigned i = 0; i < nr_allocs; i++) {
		const struct loader_alloc *a = loader_find_alloc(&ldr, allocs[i].f->name);

		FUZZ_CHECK(a && a->addr == allocs[i].addr && a->size == allocs[i].f->size,
			   "the executor's record of %s differs from its load", allocs[i].f->name);
	}
	replay_patches(done);
	fa_ram_check(&ram, "the script");
	check_rsdp();
	if (rc == 0 || ldr.err_index == LOADER_INDEX_BLOB)
		return 0;

	/* Refused at command k: the first k alone succeed and leave the same RAM and files. */
	memcpy(addr_file, files[3].data, 8);
	memcpy(first, allocs, sizeof(allocs));
	first_n = nr_allocs;
	fresh(lay, in.p, in.n, patch_off, false);
	shadow_loads = false;
	script_len = done * LOADER_ENTRY_SIZE;
	rc = loader_run(&ldr, script, script_len);
	FUZZ_CHECK(rc == 0, "the %u commands before the refused one fail alone at %u (error %d)", done,
		   ldr.err_index, rc);
	FUZZ_CHECK(nr_allocs == first_n && !memcmp(first, allocs, nr_allocs * sizeof(allocs[0])),
		   "the %u commands before the refused one allocate differently alone", done);
	FUZZ_CHECK(!memcmp(addr_file, files[3].data, 8), "the refused command changed etc/vmcoreinfo-addr");
	fa_ram_check(&ram, "the commands before the refused one");
	return 0;
}
