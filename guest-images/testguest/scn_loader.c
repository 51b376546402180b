/* SPDX-License-Identifier: MIT */
/*
 * loader: microvm's linker/loader executor (firmware/loader_exec.c, the
 * firmware's own code, compiled into this guest) runs whatever
 * "etc/table-loader" the platform offers -- microvm's, or QEMU's under
 * `qemu-system-x86_64 -M microvm` -- into two scratch zones of free RAM, and
 * the result must be the platform's ACPI tables:
 *
 * - every command runs (listed one per line; a failure names the command);
 * - the RSDP lies in the FSEG-like zone, signature and both checksums good;
 * - the XSDT (or the RSDT when that is all there is), every table it lists
 *   and the FADT's DSDT lie in the HIGH-like zone, with sane lengths and
 *   good checksums: so every pointer was patched to our zones;
 * - each table equals the one of the same signature (and OEM table ID) that
 *   the platform's real firmware placed, byte for byte, except the bytes
 *   the script itself patches (ADD_POINTER fields and ADD_CHECKSUM bytes).
 *
 * WRITE_POINTER is a dry run: the real firmware has already told the VMM
 * its addresses, and writing ours (in scratch RAM) would redirect the
 * device. The op records the write, checks it fits the file, and prints
 * what the file holds now.
 */
#include "firmware/loader_exec.h"
#include "guest-images/testguest/acpi.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/fwcfg.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"
#include "vmm/util.h"

/*
 * Scratch RAM, well above the image (1 MiB) and below 256 MiB (the default
 * RAM of qemu-run.sh and microvm): the zones, the script, and a byte mask
 * that mirrors the zones MASK_DELTA higher (1: pointer field, 2: checksum).
 */
#define SCRATCH_START	(48 * MiB)
#define SCRATCH_END	(64 * MiB)
#define ZONE_HIGH_START (48 * MiB)
#define ZONE_HIGH_END	(52 * MiB)
#define ZONE_FSEG_START (52 * MiB)
#define ZONE_FSEG_END	(ZONE_FSEG_START + 128 * KiB) /* as large as 0xE0000-0xFFFFF */
#define BLOB_ADDR	(54 * MiB)
#define BLOB_MAX	(512 * LOADER_ENTRY_SIZE)
#define MASK_DELTA	(8 * MiB)
#define MASK_POINTER	1
#define MASK_CHECKSUM	2

#define MAX_WRITES 8
#define MAX_TABLES 32

#define TABLE_LOADER "etc/table-loader"

static uint8_t *phys(uint64_t addr)
{
	return (uint8_t *)(uintptr_t)addr;
}

/* Little-endian value of the first len (<= 8) bytes of p. */
static uint64_t le_n(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (uint32_t i = len; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

struct wptr {
	uint16_t key;
	uint32_t offset, len;
	uint64_t value;
};

struct ctx {
	uint8_t *dir;
	uint32_t dir_len;
	unsigned nr_writes, nr_skipped;
	struct wptr writes[MAX_WRITES];
	/*
	 * Where the platform's firmware put each file, relative to our copy
	 * (real address - ours), learnt from the tables matched by signature
	 * and from the pointers in them; every later sighting must agree.
	 */
	const struct loader *l;
	int64_t delta[LOADER_MAX_ALLOCS];
	uint8_t delta_known[LOADER_MAX_ALLOCS];
};

static uint8_t dir_buf[FWCFG_DIR_MAX] __attribute__((section(".noinit")));

/* ---- the executor's ops over this guest's fw_cfg helpers ---- */

static int op_find(void *opaque, const char *name, uint16_t *key, uint32_t *size)
{
	struct ctx *c = opaque;
	struct fwcfg_file f;

	for (uint32_t i = 0; 4 + (i + 1) * FWCFG_DIR_ENTRY <= c->dir_len; i++) {
		fwcfg_dir_entry(c->dir, i, &f);
		if (!strcmp(f.name, name)) {
			*key = f.key;
			*size = f.size;
			return 0;
		}
	}
	return -1;
}

static int op_load(void *opaque, uint16_t key, uint64_t addr, uint32_t size)
{
	uint32_t ctl = fwcfg_dma_read(key, phys(addr), size);

	printf("loader:    load key 0x%x, %u bytes at 0x%lx: control 0x%x\n", key, size, addr, ctl);
	return ctl ? -1 : 0;
}

/* Dry run (see the header comment): record, do not write. */
static int op_write(void *opaque, uint16_t key, uint32_t offset, const void *src, uint32_t len)
{
	struct ctx *c = opaque;
	struct wptr *w;

	if (c->nr_writes == MAX_WRITES || len > 8) {
		printf("loader:    WRITE_POINTER: more than %u, or wider than 8 bytes\n",
		       MAX_WRITES);
		return -1;
	}
	w = &c->writes[c->nr_writes++];
	w->key = key;
	w->offset = offset;
	w->len = len;
	w->value = le_n(src, len);
	printf("loader:    WRITE_POINTER dry run: key 0x%x + %u <- 0x%lx (%u bytes), not written\n",
	       key, offset, w->value, len);
	return 0;
}

/* Only the scratch zones: the executor must not touch anything else. */
static void *op_mem(void *opaque, uint64_t addr, uint64_t len)
{
	if ((addr >= ZONE_HIGH_START && addr <= ZONE_HIGH_END && len <= ZONE_HIGH_END - addr) ||
	    (addr >= ZONE_FSEG_START && addr <= ZONE_FSEG_END && len <= ZONE_FSEG_END - addr))
		return phys(addr);
	return NULL;
}

static void op_skipped(void *opaque, unsigned index, uint32_t command)
{
	struct ctx *c = opaque;

	c->nr_skipped++;
	printf("loader:    command %u: unknown code 0x%x skipped (as SeaBIOS does)\n", index,
	       command);
}

static const struct loader_ops ops = {
    .find = op_find,
    .load = op_load,
    .write = op_write,
    .mem = op_mem,
    .skipped = op_skipped,
};

/* ---- the script, listed ---- */

static const char *zone_name(uint8_t z)
{
	return z == LOADER_ZONE_HIGH ? "HIGH" : z == LOADER_ZONE_FSEG ? "FSEG" : "?";
}

/* A name field as a C string, "<unterminated>" if it has no NUL. */
static const char *name_of(const uint8_t *field)
{
	return strnlen((const char *)field, LOADER_NAME_LEN) < LOADER_NAME_LEN ? (const char *)field
									       : "<unterminated>";
}

static void list_script(const uint8_t *blob, uint32_t n)
{
	unsigned count[5] = {0}, ptr_size[9] = {0};

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = blob + i * LOADER_ENTRY_SIZE;
		uint32_t cmd = get_le32(e);

		count[cmd <= 4 ? cmd : 0]++;
		switch (cmd) {
		case LOADER_CMD_ALLOCATE:
			printf("loader: %2u ALLOCATE %s align %u zone %s\n", i,
			       name_of(e + LOADER_ALLOC_FILE), get_le32(e + LOADER_ALLOC_ALIGN),
			       zone_name(e[LOADER_ALLOC_ZONE]));
			break;
		case LOADER_CMD_ADD_POINTER:
			if (e[LOADER_PTR_SIZE] <= 8)
				ptr_size[e[LOADER_PTR_SIZE]]++;
			printf("loader: %2u ADD_POINTER %s+0x%x (%u bytes) += %s\n", i,
			       name_of(e + LOADER_PTR_DEST), get_le32(e + LOADER_PTR_OFFSET),
			       e[LOADER_PTR_SIZE], name_of(e + LOADER_PTR_SRC));
			break;
		case LOADER_CMD_ADD_CHECKSUM:
			printf("loader: %2u ADD_CHECKSUM %s+0x%x over [0x%x, +0x%x)\n", i,
			       name_of(e + LOADER_CKSUM_FILE), get_le32(e + LOADER_CKSUM_OFFSET),
			       get_le32(e + LOADER_CKSUM_START), get_le32(e + LOADER_CKSUM_LENGTH));
			break;
		case LOADER_CMD_WRITE_POINTER:
			printf("loader: %2u WRITE_POINTER %s+0x%x (%u bytes) <- %s+0x%x\n", i,
			       name_of(e + LOADER_WPTR_DEST), get_le32(e + LOADER_WPTR_DST_OFFSET),
			       e[LOADER_WPTR_SIZE], name_of(e + LOADER_WPTR_SRC),
			       get_le32(e + LOADER_WPTR_SRC_OFFSET));
			break;
		default:
			printf("loader: %2u unknown command 0x%x\n", i, cmd);
			break;
		}
	}
	printf("loader: %u commands: %u ALLOCATE, %u ADD_POINTER (%u of 4 bytes, %u of 8), "
	       "%u ADD_CHECKSUM, %u WRITE_POINTER, %u unknown\n",
	       n, count[1], count[2], ptr_size[4], ptr_size[8], count[3], count[4], count[0]);
}

/* Mark what the script patches, in the mask mirroring the zones. */
static void mark_patched(const struct loader *l, const uint8_t *blob, uint32_t n)
{
	const struct loader_alloc *a;

	for (unsigned i = 0; i < l->nr_alloc; i++)
		memset(phys(l->alloc[i].addr + MASK_DELTA), 0, l->alloc[i].size);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = blob + i * LOADER_ENTRY_SIZE;
		uint32_t cmd = get_le32(e);

		/* The run succeeded, so every field below is in range. */
		if (cmd == LOADER_CMD_ADD_POINTER) {
			a = loader_find_alloc(l, (const char *)e + LOADER_PTR_DEST);
			memset(phys(a->addr + get_le32(e + LOADER_PTR_OFFSET) + MASK_DELTA),
			       MASK_POINTER, e[LOADER_PTR_SIZE]);
		} else if (cmd == LOADER_CMD_ADD_CHECKSUM) {
			a = loader_find_alloc(l, (const char *)e + LOADER_CKSUM_FILE);
			phys(a->addr + get_le32(e + LOADER_CKSUM_OFFSET) + MASK_DELTA)[0] =
			    MASK_CHECKSUM;
		}
	}
}

/* ---- the result ---- */

/* Index of the allocation holding our address, or -1. */
static int alloc_at(const struct loader *l, uint64_t addr)
{
	for (unsigned i = 0; i < l->nr_alloc; i++)
		if (addr >= l->alloc[i].addr && addr - l->alloc[i].addr < l->alloc[i].size)
			return (int)i;
	return -1;
}

static void note_delta(struct ctx *c, int a, int64_t d, const char *what)
{
	const struct loader_alloc *f = &c->l->alloc[a];

	if (c->delta_known[a]) {
		CHECK(c->delta[a] == d,
		      "loader: %s: the platform's copy of %s is where its other pointers say", what,
		      f->name);
		return;
	}
	c->delta[a] = d;
	c->delta_known[a] = 1;
	printf("loader: %s puts the platform's %s at 0x%lx\n", what, f->name,
	       (uint64_t)(f->addr + d));
}

static int in_zone(uint64_t addr, uint64_t len, uint64_t start, uint64_t end)
{
	return addr >= start && addr < end && len <= end - addr;
}

static const char *sig_text(char *buf, const uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf[i] = p[i] >= 0x20 && p[i] < 0x7F ? (char)p[i] : '?';
	buf[n] = '\0';
	return buf;
}

/* The real firmware's table with this signature and OEM table ID, or 0. */
static uint64_t real_table(uint64_t real_rsdp, const uint8_t *t)
{
	const uint8_t *rp = phys(real_rsdp);
	uint64_t r;

	if (!memcmp(t, "XSDT", 4)) {
		r = rp[RSDP_REVISION] >= 2 ? get_le64(rp + RSDP_XSDT) : 0;
		return acpi_table_valid(r) ? r : 0;
	}
	if (!memcmp(t, "RSDT", 4)) {
		r = get_le32(rp + RSDP_RSDT);
		return acpi_table_valid(r) ? r : 0;
	}
	if (!memcmp(t, "DSDT", 4)) {
		uint64_t fadt = acpi_find_table(real_rsdp, "FACP");
		const uint8_t *f = phys(fadt);

		if (!fadt)
			return 0;
		r = get_le32(f + 4) >= FADT_X_DSDT + 8 && get_le64(f + FADT_X_DSDT)
			? get_le64(f + FADT_X_DSDT)
			: get_le32(f + FADT_DSDT);
		return acpi_table_valid(r) ? r : 0;
	}
	for (unsigned i = 0; (r = acpi_root_entry(real_rsdp, i)); i++)
		if (acpi_table_valid(r) && !memcmp(phys(r), t, 4) &&
		    !memcmp(phys(r) + ACPI_HDR_OEM_TABLE_ID, t + ACPI_HDR_OEM_TABLE_ID, 8))
			return r;
	return 0;
}

/* Bytes of [ours, +len) differing from [theirs, +len) outside the mask; *masked counts the rest. */
static uint32_t differences(uint64_t ours, uint64_t theirs, uint32_t len, uint32_t *masked)
{
	const uint8_t *a = phys(ours), *b = phys(theirs), *m = phys(ours + MASK_DELTA);
	uint32_t d = 0;

	*masked = 0;
	for (uint32_t i = 0; i < len; i++) {
		if (m[i])
			++*masked;
		else if (a[i] != b[i])
			d++;
	}
	return d;
}

/* One table of ours: in the HIGH zone, valid, and the platform's table but for patched bytes. */
static void check_table(struct ctx *c, uint64_t t, uint64_t real_rsdp, const char *how)
{
	uint32_t len, masked, diff;
	uint64_t r;
	int a;
	char sig[5], oem[9];

	CHECK(in_zone(t, ACPI_HDR_LEN, ZONE_HIGH_START, ZONE_HIGH_END),
	      "loader: %s 0x%lx lies in the HIGH-like zone", how, t);
	len = get_le32(phys(t) + 4);
	sig_text(sig, phys(t), 4);
	sig_text(oem, phys(t) + ACPI_HDR_OEM_TABLE_ID, 8);
	CHECK(in_zone(t, len, ZONE_HIGH_START, ZONE_HIGH_END) && acpi_table_valid(t),
	      "loader: %s %s \"%s\" at 0x%lx: length %u and checksum hold", how, sig, oem, t, len);
	a = alloc_at(c->l, t);
	CHECK(a >= 0 && len <= c->l->alloc[a].addr + c->l->alloc[a].size - t,
	      "loader: %s lies inside one allocation (%s)", sig,
	      a >= 0 ? c->l->alloc[a].name : "none");
	r = real_table(real_rsdp, phys(t));
	CHECK(r && r != t, "loader: the platform's firmware placed a %s \"%s\" too (at 0x%lx)", sig,
	      oem, r);
	note_delta(c, a, (int64_t)(r - t), sig);
	CHECK(get_le32(phys(r) + 4) == len, "loader: %s: same length as the platform's (%u, %u)",
	      sig, len, get_le32(phys(r) + 4));
	diff = differences(t, r, len, &masked);
	CHECK(diff == 0,
	      "loader: %s: same bytes as the platform's except %u patched ones (%u differ)", sig,
	      masked, diff);
}

static void check_result(const struct boot_info *bi, struct ctx *c)
{
	const struct loader *l = c->l;
	uint64_t rsdp = loader_find_rsdp(l), real_rsdp = acpi_find_rsdp(bi), root, fadt, dsdt, t, r;
	const uint8_t *p;
	uint32_t masked, rlen, diff;
	unsigned width, n, found_fadt = 0;

	CHECK(rsdp != 0, "loader: an RSDP in an FSEG allocation (loader_find_rsdp)");
	CHECK(in_zone(rsdp, 20, ZONE_FSEG_START, ZONE_FSEG_END),
	      "loader: the RSDP 0x%lx lies in the FSEG-like zone", rsdp);
	p = phys(rsdp);
	CHECK(!memcmp(p, "RSD PTR ", 8) && acpi_rsdp_valid(rsdp),
	      "loader: RSDP revision %u: signature, 20-byte checksum%s hold", p[RSDP_REVISION],
	      p[RSDP_REVISION] >= 2 ? " and extended checksum" : "");
	CHECK(real_rsdp && real_rsdp != rsdp,
	      "loader: the platform's firmware placed its RSDP at 0x%lx", real_rsdp);
	rlen = p[RSDP_REVISION] >= 2 ? get_le32(p + RSDP_LENGTH) : 20;
	CHECK(phys(real_rsdp)[RSDP_REVISION] == p[RSDP_REVISION] &&
		  (p[RSDP_REVISION] < 2 || get_le32(phys(real_rsdp) + RSDP_LENGTH) == rlen),
	      "loader: RSDP: same revision and length as the platform's");
	note_delta(c, alloc_at(l, rsdp), (int64_t)(real_rsdp - rsdp), "the RSDP");
	diff = differences(rsdp, real_rsdp, rlen, &masked);
	CHECK(diff == 0,
	      "loader: RSDP: same bytes as the platform's except %u patched ones (%u differ)",
	      masked, diff);

	if (p[RSDP_REVISION] >= 2 && get_le64(p + RSDP_XSDT)) {
		root = get_le64(p + RSDP_XSDT);
		width = 8;
	} else {
		root = get_le32(p + RSDP_RSDT);
		width = 4;
	}
	check_table(c, root, real_rsdp, width == 8 ? "XSDT" : "RSDT");
	n = (get_le32(phys(root) + 4) - ACPI_HDR_LEN) / width;
	CHECK(n >= 1 && n <= MAX_TABLES, "loader: the root table lists %u tables", n);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = phys(root) + ACPI_HDR_LEN + i * width;
		char how[24];

		t = width == 8 ? get_le64(e) : get_le32(e);
		snprintf(how, sizeof(how), "root entry %u", i);
		check_table(c, t, real_rsdp, how);
		if (!memcmp(phys(t), "FACP", 4))
			found_fadt++;
	}
	CHECK(found_fadt == 1, "loader: the root table lists one FADT (%u)", found_fadt);
	fadt = acpi_find_table(rsdp, "FACP");
	p = phys(fadt);
	dsdt = get_le32(p + 4) >= FADT_X_DSDT + 8 ? get_le64(p + FADT_X_DSDT) : 0;
	t = get_le32(p + FADT_DSDT);
	CHECK(dsdt || t, "loader: the FADT names a DSDT (X_DSDT 0x%lx, DSDT 0x%lx)", dsdt, t);
	CHECK(!dsdt || !t || dsdt == t,
	      "loader: the FADT's X_DSDT and DSDT agree when both are set");
	dsdt = dsdt ? dsdt : t;
	CHECK(!memcmp(phys(dsdt), "DSDT", 4), "loader: the FADT's DSDT pointer leads to a DSDT");
	check_table(c, dsdt, real_rsdp, "FADT's DSDT");
	r = real_table(real_rsdp, phys(dsdt));
	printf("loader: the tables match the platform's (RSDP 0x%lx, DSDT 0x%lx)\n", real_rsdp, r);
}

/*
 * Every patched pointer in the platform's copy points to the same offset
 * of the same file as ours: its value less ours is where the platform put
 * the source file, the same for every pointer to that file.
 */
static void check_pointers(struct ctx *c, const uint8_t *blob, uint32_t n)
{
	const struct loader *l = c->l;

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = blob + i * LOADER_ENTRY_SIZE;
		const struct loader_alloc *d, *s;
		uint64_t ours, theirs;
		uint8_t size = e[LOADER_PTR_SIZE];
		uint32_t off = get_le32(e + LOADER_PTR_OFFSET);
		char what[40];
		int di, si;

		if (get_le32(e) != LOADER_CMD_ADD_POINTER)
			continue;
		d = loader_find_alloc(l, (const char *)e + LOADER_PTR_DEST);
		s = loader_find_alloc(l, (const char *)e + LOADER_PTR_SRC);
		di = (int)(d - l->alloc);
		si = (int)(s - l->alloc);
		CHECK(c->delta_known[di],
		      "loader: command %u: the platform's %s was found through the tables", i,
		      d->name);
		ours = le_n(phys(d->addr + off), size);
		theirs = le_n(phys(d->addr + c->delta[di] + off), size);
		snprintf(what, sizeof(what), "command %u's pointer", i);
		note_delta(c, si, (int64_t)(theirs - ours), what);
	}
}

/* What the dry-run WRITE_POINTERs would have written: the platform's firmware wrote its own. */
static void check_writes(struct ctx *c, const uint8_t *blob)
{
	const struct loader *l = c->l;
	uint32_t cmd = 0;

	for (unsigned i = 0; i < c->nr_writes; i++) {
		const struct wptr *w = &c->writes[i];
		const struct loader_alloc *s;
		uint8_t buf[8] = {0};
		uint64_t theirs;
		char what[40];
		uint32_t ctl;

		/* The i-th write came from the i-th WRITE_POINTER: they run in order. */
		while (get_le32(blob + cmd * LOADER_ENTRY_SIZE) != LOADER_CMD_WRITE_POINTER)
			cmd++;
		s = loader_find_alloc(l, (const char *)blob + cmd * LOADER_ENTRY_SIZE +
					     LOADER_WPTR_SRC);
		snprintf(what, sizeof(what), "command %u (WRITE_POINTER)", cmd);
		cmd++;

		ctl = fwcfg_dma(FWCFG_DMA_KEY(w->key) | FWCFG_DMA_SELECT | FWCFG_DMA_SKIP,
				w->offset, 0);
		if (!ctl)
			ctl = fwcfg_dma(FWCFG_DMA_READ, w->len, (uintptr_t)buf);
		CHECK(ctl == 0,
		      "loader: WRITE_POINTER target key 0x%x + %u reads back (control 0x%x)",
		      w->key, w->offset, ctl);
		theirs = le_n(buf, w->len);
		printf("loader: key 0x%x + %u holds 0x%lx from the platform's firmware; ours would "
		       "be 0x%lx\n",
		       w->key, w->offset, theirs, w->value);
		CHECK(theirs != 0, "loader: the platform's firmware wrote that pointer");
		CHECK(s && w->value >= s->addr && w->value - s->addr < s->size,
		      "loader: ours points into our copy of %s", s ? s->name : "?");
		note_delta(c, (int)(s - l->alloc), (int64_t)(theirs - w->value), what);
	}
}

void scn_loader(const struct boot_info *bi)
{
	static struct loader l __attribute__((section(".noinit")));
	struct ctx c = {.dir = dir_buf};
	struct fwcfg_file f;
	uint32_t n;
	int rc;

	CHECK(ram_covers(bi, SCRATCH_START, SCRATCH_END - SCRATCH_START),
	      "loader: scratch RAM [0x%lx, 0x%lx) is RAM in the memory map",
	      (uint64_t)SCRATCH_START, (uint64_t)SCRATCH_END);
	c.dir_len = fwcfg_read_dir(dir_buf);
	CHECK(c.dir_len != 0, "loader: the fw_cfg file directory reads (%u bytes)", c.dir_len);
	CHECK(fwcfg_find_file(TABLE_LOADER, &f), "loader: fw_cfg has " TABLE_LOADER);
	CHECK(f.size && f.size % LOADER_ENTRY_SIZE == 0 && f.size <= BLOB_MAX,
	      "loader: " TABLE_LOADER " is %u bytes, whole 128-byte commands, at most %u", f.size,
	      BLOB_MAX);
	CHECK(fwcfg_dma_read(f.key, phys(BLOB_ADDR), f.size) == 0,
	      "loader: " TABLE_LOADER " reads by DMA");
	n = f.size / LOADER_ENTRY_SIZE;
	list_script(phys(BLOB_ADDR), n);

	loader_init(&l, &ops, &c, ZONE_HIGH_START, ZONE_HIGH_END, ZONE_FSEG_START, ZONE_FSEG_END);
	rc = loader_run(&l, phys(BLOB_ADDR), f.size);
	if (rc)
		printf("loader: stopped at command %u (%s): %s%s%s\n", l.err_index,
		       loader_command_name(l.err_command), loader_strerror(l.err),
		       l.err_name ? ", file " : "", l.err_name ? l.err_name : "");
	CHECK(rc == 0, "loader: microvm's executor runs all %u commands", n);
	for (unsigned i = 0; i < l.nr_alloc; i++)
		printf("loader: %s: %u bytes at 0x%lx (zone %s)\n", l.alloc[i].name,
		       l.alloc[i].size, l.alloc[i].addr, zone_name(l.alloc[i].zone));
	c.l = &l;
	mark_patched(&l, phys(BLOB_ADDR), n);
	check_result(bi, &c);
	check_pointers(&c, phys(BLOB_ADDR), n);
	check_writes(&c, phys(BLOB_ADDR));
	printf("loader: %u WRITE_POINTER dry runs, %u unknown commands skipped\n", c.nr_writes,
	       c.nr_skipped);
}
