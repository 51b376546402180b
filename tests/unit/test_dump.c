/* SPDX-License-Identifier: MIT */
/* vmm/dump.c, vmm/dump_elf.c, vmm/dump_io.c: the ELF core, parsed back independently. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "tests/unit/dump_fake.h"
#include "vmm/dump_io.h"

/* ---- an independent reader of the produced file ---- */

struct core {
	uint8_t *b;
	size_t len;
	Elf64_Ehdr eh;
	size_t phnum;
};

static void core_read(struct core *c, const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;

	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	cr_assert(fstat(fd, &st) == 0);
	c->len = (size_t)st.st_size;
	c->b = malloc(c->len);
	cr_assert(pread(fd, c->b, c->len, 0) == (ssize_t)c->len);
	close(fd);
	memcpy(&c->eh, c->b, sizeof(c->eh));
	c->phnum = c->eh.e_phnum;
	if (c->phnum == PN_XNUM) {
		Elf64_Shdr sh;
		memcpy(&sh, c->b + c->eh.e_shoff, sizeof(sh));
		c->phnum = sh.sh_info;
	}
}

static Elf64_Phdr core_ph(const struct core *c, size_t i)
{
	Elf64_Phdr ph;

	cr_assert(i < c->phnum);
	memcpy(&ph, c->b + c->eh.e_phoff + i * sizeof(ph), sizeof(ph));
	return ph;
}

/* The i-th note of the PT_NOTE segment: name, type, descriptor. */
static int core_note(const struct core *c, unsigned idx, struct dump_note *n)
{
	Elf64_Phdr ph = core_ph(c, 0);
	size_t off = ph.p_offset, end = ph.p_offset + ph.p_filesz;

	for (unsigned i = 0;; i++) {
		if (off >= end)
			return -1;
		cr_assert(dump_note_parse(c->b + off, end - off, n) == 0, "bad note at %zu", off);
		if (i == idx)
			return 0;
		off += n->size;
	}
}

static void core_free(struct core *c)
{
	free(c->b);
}

static void dump_ok(struct fake_guest *g, unsigned flags, struct dump_stats *st, char *path,
		    size_t len)
{
	struct errbuf err = { "" };
	int ret = dump_write_opts(&g->src, g->dir, flags | DUMP_F_QUIET, st, path, len, &err);

	cr_assert_eq(ret, 0, "dump_write: %d %s", ret, err.msg);
}

/* ---- notes ---- */

Test(dump, prstatus_layout)
{
	struct fake_guest g;
	uint8_t d[DUMP_PRSTATUS_SIZE];

	fake_init(&g);
	dump_prstatus_fill(d, &g.cpu[1], 1);
	cr_assert_eq(get_le32(d + 32), 2, "pr_pid = vCPU index + 1");
	/* user_regs_struct: r15 first, rax 11th, rip 17th, gs last. */
	cr_assert_eq(get_le64(d + 112), 0x2000 + 15, "r15");
	cr_assert_eq(get_le64(d + 112 + 4 * 8), 0x2000 + 7, "rbp");
	cr_assert_eq(get_le64(d + 112 + 10 * 8), 0x2000 + 0, "rax");
	cr_assert_eq(get_le64(d + 112 + 14 * 8), 0x2000 + 5, "rdi");
	cr_assert_eq(get_le64(d + 112 + 15 * 8), 0, "orig_rax");
	cr_assert_eq(get_le64(d + 112 + 16 * 8), 0xFFFFFFFF81000001ULL, "rip");
	cr_assert_eq(get_le64(d + 112 + 17 * 8), 0x10, "cs");
	cr_assert_eq(get_le64(d + 112 + 18 * 8), 0x246, "eflags");
	cr_assert_eq(get_le64(d + 112 + 19 * 8), 0x2000 + 6, "rsp");
	cr_assert_eq(get_le64(d + 112 + 20 * 8), 0x18, "ss");
	cr_assert_eq(get_le64(d + 112 + 21 * 8), 0x7F0000001001ULL, "fs_base");
	cr_assert_eq(get_le64(d + 112 + 22 * 8), 0xFFFF888000000001ULL, "gs_base");
	cr_assert_eq(get_le64(d + 112 + 26 * 8), 0, "gs");
	for (unsigned i = 112 + 27 * 8; i < DUMP_PRSTATUS_SIZE; i++)
		cr_assert_eq(d[i], 0, "tail byte %u", i);
	fake_fini(&g);
}

Test(dump, qemu_cpustate_layout)
{
	struct fake_guest g;
	uint8_t d[DUMP_QEMU_SIZE];
	const uint8_t *cs = d + 152, *ldt = d + 152 + 6 * 24, *tr = d + 152 + 7 * 24;
	const uint8_t *gdt = d + 152 + 8 * 24, *idt = d + 152 + 9 * 24;

	fake_init(&g);
	dump_qemu_fill(d, &g.cpu[0]);
	cr_assert_eq(get_le32(d), 1, "version");
	cr_assert_eq(get_le32(d + 4), 440, "size");
	for (unsigned k = 0; k < 16; k++)
		cr_assert_eq(get_le64(d + 8 + 8 * k), 0x1000 + k, "gpr %u in kvm_regs order", k);
	cr_assert_eq(get_le64(d + 8 + 16 * 8), 0xFFFFFFFF81000000ULL, "rip");
	cr_assert_eq(get_le64(d + 8 + 17 * 8), 0x246, "rflags");
	cr_assert_eq(get_le32(cs), 0x10);
	cr_assert_eq(get_le32(cs + 4), 0xFFFFFFFF);
	cr_assert_eq(get_le32(cs + 8), 0x00A09B00, "64-bit code: G L P S type 11");
	cr_assert_eq(get_le32(ldt + 8), 0, "unusable LDT has P clear");
	cr_assert_eq(get_le32(tr), 0x40);
	cr_assert_eq(get_le64(tr + 16), 0xFFFFFE0000003000ULL);
	cr_assert_eq(get_le32(gdt + 4), 0x7F);
	cr_assert_eq(get_le64(gdt + 16), 0xFFFFFE0000001000ULL);
	cr_assert_eq(get_le32(idt + 4), 0xFFF);
	cr_assert_eq(get_le64(idt + 16), 0xFFFFFE0000000000ULL);
	cr_assert_eq(get_le64(d + 392), 0x80050033, "cr0");
	cr_assert_eq(get_le64(d + 392 + 8), 0, "cr1");
	cr_assert_eq(get_le64(d + 392 + 16), 0xDEAD000, "cr2");
	cr_assert_eq(get_le64(d + 392 + 24), 0x1C0A000, "cr3");
	cr_assert_eq(get_le64(d + 392 + 32), 0x3506F0, "cr4");
	cr_assert_eq(get_le64(d + 432), 0xFFFF88807DC00000ULL, "kernel_gs_base");
	fake_fini(&g);
}

Test(dump, seg_flags)
{
	struct kvm_segment s = { .type = 3, .s = 1, .dpl = 3, .present = 1, .db = 1, .g = 1, .avl = 1 };

	cr_assert_eq(dump_seg_flags(&s), 0x00D0F300);
	s.unusable = 1;
	cr_assert_eq(dump_seg_flags(&s), 0x00D07300);
}

Test(dump, notes_order_and_sizes)
{
	struct fake_guest g;
	uint8_t vmci[24] = { 0 };
	uint64_t size;
	uint8_t *buf;
	struct dump_note n;
	size_t off = 0;

	fake_init(&g);
	put_le32(vmci, 11);
	size = dump_notes_size(2, sizeof(vmci));
	cr_assert_eq(size, 2 * (12 + 8 + 336) + 2 * (12 + 8 + 440) + 24);
	buf = malloc(size);
	dump_notes_build(buf, g.cpu, 2, vmci, sizeof(vmci));
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(dump_note_parse(buf + off, size - off, &n), 0);
		cr_assert_eq(n.namesz, 5);
		cr_assert_str_eq((const char *)n.name, i < 2 ? "CORE" : "QEMU");
		cr_assert_eq(n.type, i < 2 ? NT_PRSTATUS : 0u);
		cr_assert_eq(n.descsz, i < 2 ? 336u : 440u);
		if (i < 2)
			cr_assert_eq(get_le32(n.desc + 32), i + 1);
		off += n.size;
	}
	cr_assert_eq(memcmp(buf + off, vmci, sizeof(vmci)), 0, "guest note copied verbatim, last");
	free(buf);
	fake_fini(&g);
}

Test(dump, note_parse_rejects_overruns)
{
	uint8_t b[32] = { 0 };
	struct dump_note n;

	cr_assert_eq(dump_note_parse(b, 11, &n), -EINVAL, "short header");
	put_le32(b, 5);
	put_le32(b + 4, 12);
	cr_assert_eq(dump_note_parse(b, 32, &n), 0);
	cr_assert_eq(n.size, 32);
	cr_assert_eq(dump_note_parse(b, 31, &n), -EINVAL, "descriptor one byte short");
	put_le32(b, 0xFFFFFFFF);
	put_le32(b + 4, 0xFFFFFFFF);
	cr_assert_eq(dump_note_parse(b, 32, &n), -EINVAL, "huge sizes do not wrap");
}

/* ---- layout ---- */

Test(dump, layout_plan)
{
	struct dump_range r[2] = { { 0, 0x9F000, NULL }, { 0x100000, 0x3000, NULL } };
	struct dump_layout l;

	cr_assert_eq(dump_layout_plan(&l, r, 2, 100), 0);
	cr_assert_eq(l.notes_off, 64 + 3 * 56);
	cr_assert_eq(l.head_size, 64 + 3 * 56 + 100);
	cr_assert_eq(l.data_off, 4096);
	cr_assert_eq(l.shdr_off, 0);
	cr_assert_eq(l.file_size, 4096 + 0x9F000 + 0x3000);
	r[0].size = 0x9F001; /* the next range still starts on a page */
	cr_assert_eq(dump_layout_plan(&l, r, 2, 100), 0);
	cr_assert_eq(dump_next_offset(l.data_off, r[0].size), 4096 + 0xA0000);
	cr_assert_eq(l.file_size, 4096 + 0xA0000 + 0x3000);
	r[1].size = UINT64_MAX - 4096;
	cr_assert_eq(dump_layout_plan(&l, r, 2, 100), -EOVERFLOW);
}

Test(dump, pn_xnum_over_65534_headers)
{
	size_t nr = 70000;
	struct dump_range *r = calloc(nr, sizeof(*r));
	struct dump_layout l;
	struct core c = { 0 };
	uint8_t notes[8] = { 0 };
	Elf64_Shdr sh;
	Elf64_Phdr ph;

	for (size_t i = 0; i < nr; i++)
		r[i] = (struct dump_range){ (uint64_t)i * 8192, 4096, NULL };
	cr_assert_eq(dump_layout_plan(&l, r, nr, sizeof(notes)), 0);
	cr_assert_neq(l.shdr_off, 0);
	c.len = l.head_size;
	c.b = malloc(c.len);
	dump_head_build(c.b, &l, r, notes);
	memcpy(&c.eh, c.b, sizeof(c.eh));
	cr_assert_eq(c.eh.e_phnum, PN_XNUM);
	cr_assert_eq(c.eh.e_shnum, 1);
	cr_assert_eq(c.eh.e_shentsize, sizeof(Elf64_Shdr));
	cr_assert_eq(c.eh.e_shstrndx, SHN_UNDEF);
	cr_assert_eq(c.eh.e_shoff, l.shdr_off);
	memcpy(&sh, c.b + c.eh.e_shoff, sizeof(sh));
	cr_assert_eq(sh.sh_type, SHT_NULL);
	cr_assert_eq(sh.sh_info, nr + 1, "real count in section header 0");
	c.phnum = sh.sh_info;
	ph = core_ph(&c, nr);
	cr_assert_eq(ph.p_type, PT_LOAD);
	cr_assert_eq(ph.p_paddr, (nr - 1) * 8192);
	cr_assert_eq(ph.p_offset, l.data_off + (nr - 1) * 4096);
	cr_assert(l.notes_off >= l.shdr_off + sizeof(sh), "notes after the section header");
	core_free(&c);
	free(r);
}

/* ---- whole files ---- */

Test(dump, file_layout_and_contents)
{
	struct fake_guest g;
	struct dump_stats st;
	char path[256];
	struct core c;
	struct dump_note n;
	struct stat sb;

	fake_init(&g);
	dump_ok(&g, 0, &st, path, sizeof(path));
	cr_assert(st.vmcoreinfo);
	cr_assert(strncmp(path, g.dir, strlen(g.dir)) == 0);
	cr_assert(strstr(path, "/microvm-core-") && strstr(path, ".elf"), "%s", path);
	core_read(&c, path);
	cr_assert_eq(memcmp(c.eh.e_ident, ELFMAG, SELFMAG), 0);
	cr_assert_eq(c.eh.e_ident[EI_CLASS], ELFCLASS64);
	cr_assert_eq(c.eh.e_ident[EI_DATA], ELFDATA2LSB);
	cr_assert_eq(c.eh.e_type, ET_CORE);
	cr_assert_eq(c.eh.e_machine, EM_X86_64);
	cr_assert_eq(c.phnum, 3);
	cr_assert_eq(c.eh.e_shoff, 0);

	Elf64_Phdr note = core_ph(&c, 0);
	cr_assert_eq(note.p_type, PT_NOTE, "PT_NOTE first");
	for (unsigned i = 0; i < 2; i++) {
		Elf64_Phdr ph = core_ph(&c, 1 + i);
		const uint8_t *host = i ? g.high : g.low;

		cr_assert_eq(ph.p_type, PT_LOAD);
		cr_assert_eq(ph.p_paddr, g.gm.r[i].gpa);
		cr_assert_eq(ph.p_vaddr, ph.p_paddr);
		cr_assert_eq(ph.p_filesz, g.gm.r[i].size);
		cr_assert_eq(ph.p_memsz, g.gm.r[i].size);
		cr_assert_eq(ph.p_align, 0);
		cr_assert_eq(ph.p_offset % 4096, 0, "memory page-aligned in the file");
		cr_assert(ph.p_offset >= note.p_offset + note.p_filesz, "notes precede memory");
		cr_assert_eq(memcmp(c.b + ph.p_offset, host, ph.p_filesz), 0, "range %u bytes", i);
	}
	cr_assert_eq(c.len, core_ph(&c, 2).p_offset + FAKE_HIGH_SIZE, "apparent size = layout");

	cr_assert_eq(core_note(&c, 0, &n), 0);
	cr_assert_str_eq((const char *)n.name, "CORE");
	cr_assert_eq(get_le32(n.desc + 32), 1);
	cr_assert_eq(core_note(&c, 3, &n), 0);
	cr_assert_str_eq((const char *)n.name, "QEMU");
	cr_assert_eq(get_le64(n.desc + 392 + 24), 0x1C0A000, "cr3 for crash");
	cr_assert_eq(core_note(&c, 4, &n), 0);
	cr_assert_eq(n.namesz, 11);
	cr_assert_str_eq((const char *)n.name, "VMCOREINFO");
	cr_assert_eq(n.descsz, strlen(FAKE_TEXT));
	cr_assert_eq(memcmp(n.desc, FAKE_TEXT, n.descsz), 0);
	cr_assert_eq(memcmp(c.b + note.p_offset + note.p_filesz - n.size, g.low + FAKE_NOTE_GPA, n.size),
		     0, "guest note verbatim, trimmed to the first note");
	cr_assert_eq(core_note(&c, 5, &n), -1, "nothing after it");

	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600, "guest memory is private to the owner");
	cr_assert_eq(fake_dir_entries(&g), 1, "no temporary file left behind");
	core_free(&c);
	fake_fini(&g);
}

Test(dump, zero_pages_are_holes)
{
	struct fake_guest g;
	struct dump_range big;
	struct dump_stats st;
	char path[256];
	struct stat sb;
	uint8_t *mem = aligned_alloc(4096, 64 * MiB);

	fake_init(&g);
	memset(mem, 0, 64 * MiB);
	mem[32 * MiB + 5] = 1; /* one non-zero page in the middle */
	big = (struct dump_range){ 0, 64 * MiB, mem };
	g.src.ranges = &big;
	g.src.nr_ranges = 1;
	dump_ok(&g, 0, &st, path, sizeof(path));
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_geq((uint64_t)sb.st_size, 64 * MiB);
	cr_assert_lt((uint64_t)sb.st_blocks * 512, 1 * MiB, "64 MiB of zeros cost %lld blocks",
		     (long long)sb.st_blocks);
	cr_assert_eq(st.data_written, 4096);
	cr_assert_eq(st.zero_skipped, 64 * MiB - 4096);
	free(mem);
	fake_fini(&g);
}

static bool uring_available(void)
{
	struct io_uring ring;

	if (io_uring_queue_init(4, &ring, 0))
		return false;
	io_uring_queue_exit(&ring);
	return true;
}

static bool direct_available(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_DIRECT, 0600);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

Test(dump, pwrite_and_plain_tmp_match_uring)
{
	struct fake_guest g;
	char a[256], b[256];
	struct dump_stats sa, sb;
	struct core ca, cb;

	fake_init(&g);
	dump_ok(&g, 0, &sa, a, sizeof(a));
	dump_ok(&g, DUMP_F_NO_URING | DUMP_F_NO_TMPFILE, &sb, b, sizeof(b));
	cr_assert_str_neq(a, b, "same second, same pid: the second core gets a new name");
	/* The default path uses io_uring and O_DIRECT wherever this host offers them. */
	cr_assert_eq(sa.uring, uring_available(), "io_uring: used %d, available %d", sa.uring,
		     uring_available());
	cr_assert_eq(sa.direct, sa.uring && direct_available(g.dir), "O_DIRECT: used %d",
		     sa.direct);
	cr_assert(!sb.uring);
	cr_assert(!sb.direct);
	core_read(&ca, a);
	core_read(&cb, b);
	cr_assert_eq(ca.len, cb.len);
	cr_assert_eq(memcmp(ca.b, cb.b, ca.len), 0);
	cr_assert_eq(fake_dir_entries(&g), 2, "no NAME.tmp left behind");
	core_free(&ca);
	core_free(&cb);
	fake_fini(&g);
}

struct completions {
	const struct dump_io *io;
	unsigned calls;
	uint64_t last;
	bool backwards;
};

static void count_completion(void *arg)
{
	struct completions *c = arg;

	c->backwards |= c->io->written < c->last;
	c->last = c->io->written;
	c->calls++;
}

/*
 * Progress counts bytes whose write completed: with writes still in flight
 * io->written lags what was queued, and reaches it only in dump_io_finish.
 * (The progress line used to count queued writes: 100% with 1 GiB to go.)
 */
Test(dump, io_written_counts_completions)
{
	for (int use_uring = 0; use_uring < 2; use_uring++) {
		const uint64_t n = 8 * (uint64_t)DUMP_IO_CHUNK;
		uint8_t *buf = calloc(1, n);
		char path[] = "/tmp/microvm-dump-io-XXXXXX";
		int fd = mkstemp(path);
		struct completions c = { 0 };
		struct dump_io io;

		cr_assert(buf && fd >= 0);
		unlink(path);
		dump_io_init(&io, fd, use_uring);
		c.io = &io;
		io.on_complete = count_completion;
		io.on_complete_arg = &c;
		cr_assert_eq(dump_io_write(&io, buf, n, 0), 0);
		cr_assert_leq(io.written, n);
		if (io.uring) /* fewer than DUMP_IO_DEPTH chunks: none had to be waited for */
			cr_assert_eq(c.calls, 0, "completions before any wait: %u", c.calls);
		cr_assert_eq(dump_io_finish(&io), 0);
		cr_assert_eq(io.written, n);
		cr_assert_eq(c.last, n, "the last completion reports everything written");
		cr_assert_geq(c.calls, use_uring ? 8u : 1u);
		cr_assert(!c.backwards);
		close(fd);
		free(buf);
	}
}

/* Ranges that are not whole pages: buffered writes, the partial page kept, the next range aligned. */
Test(dump, unaligned_ranges)
{
	struct fake_guest g;
	struct dump_range r[2];
	struct dump_stats st;
	char path[256];
	struct core c;

	fake_init(&g);
	r[0] = (struct dump_range){ 0x1000, 3 * 4096 + 100, g.low + 4096 };
	r[1] = (struct dump_range){ 0x100000, 5, g.low + 100 * 4096 + 1 };
	g.src.ranges = r;
	g.src.nr_ranges = 2;
	dump_ok(&g, 0, &st, path, sizeof(path));
	cr_assert(!st.direct, "O_DIRECT needs whole pages");
	core_read(&c, path);
	cr_assert_eq(c.phnum, 3);
	for (unsigned i = 0; i < 2; i++) {
		Elf64_Phdr ph = core_ph(&c, 1 + i);
		cr_assert_eq(ph.p_filesz, r[i].size);
		cr_assert_eq(ph.p_offset % 4096, 0);
		cr_assert_eq(memcmp(c.b + ph.p_offset, r[i].host, r[i].size), 0, "range %u", i);
	}
	cr_assert_eq(c.len, core_ph(&c, 2).p_offset + 5);
	core_free(&c);
	fake_fini(&g);
}

/*
 * Every all-zero page is a hole, even one alone between two data pages
 * (the dumper once wrote zero gaps of up to 16 KiB along with the data).
 * SEEK_DATA/SEEK_HOLE ask the file system itself, page by page.
 */
Test(dump, single_zero_page_is_a_hole)
{
	struct fake_guest g;
	struct dump_range r;
	struct dump_stats st;
	char path[256];
	struct core c;
	uint64_t base;
	int fd;
	uint8_t *mem = aligned_alloc(4096, 64 * 4096);

	fake_init(&g);
	memset(mem, 0, 64 * 4096);
	mem[0] = 1;	   /* page 0 */
	mem[2 * 4096] = 2; /* page 2: page 1 between them is zero */
	mem[7 * 4096] = 3; /* page 7 after four zero pages */
	r = (struct dump_range){ 0, 64 * 4096, mem };
	g.src.ranges = &r;
	g.src.nr_ranges = 1;
	dump_ok(&g, 0, &st, path, sizeof(path));
	cr_assert_eq(st.data_written, 3 * 4096, "pages 0, 2 and 7 only");
	cr_assert_eq(st.zero_skipped, 61 * 4096);
	core_read(&c, path);
	base = core_ph(&c, 1).p_offset;
	cr_assert_eq(memcmp(c.b + base, mem, 64 * 4096), 0, "the holes read back as zeros");
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(lseek(fd, (off_t)base, SEEK_DATA), (off_t)base, "page 0 is data");
	cr_assert_eq(lseek(fd, (off_t)base, SEEK_HOLE), (off_t)(base + 4096), "page 1 is a hole");
	cr_assert_eq(lseek(fd, (off_t)(base + 4096), SEEK_DATA), (off_t)(base + 2 * 4096), "page 2 is data");
	cr_assert_eq(lseek(fd, (off_t)(base + 2 * 4096), SEEK_HOLE), (off_t)(base + 3 * 4096));
	cr_assert_eq(lseek(fd, (off_t)(base + 3 * 4096), SEEK_DATA), (off_t)(base + 7 * 4096),
		     "pages 3-6 are a hole");
	close(fd);
	core_free(&c);
	free(mem);
	fake_fini(&g);
}

Test(dump, bad_vmcoreinfo_is_left_out)
{
	struct fake_guest g;
	struct dump_stats st;
	char path[256];
	struct core c;
	struct dump_note n;

	fake_init(&g);
	fake_publish(&g, 1, FAKE_NOTE_GPA, FAKE_NOTE_SIZE);
	dump_ok(&g, 0, &st, path, sizeof(path));
	cr_assert(!st.vmcoreinfo);
	core_read(&c, path);
	cr_assert_eq(core_note(&c, 3, &n), 0);
	cr_assert_eq(core_note(&c, 4, &n), -1, "only the vCPU notes");
	core_free(&c);

	g.src.vmcoreinfo_device = false; /* no device: no note, and no warning either */
	dump_ok(&g, 0, &st, path, sizeof(path));
	cr_assert(!st.vmcoreinfo);
	fake_fini(&g);
}

Test(dump, missing_directory)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	char path[256];

	fake_init(&g);
	cr_assert_eq(dump_write(&g.src, "/nonexistent/dir", path, sizeof(path), &err), -ENOENT);
	cr_assert(strstr(err.msg, "/nonexistent/dir"), "%s", err.msg);
	cr_assert_eq(dump_write(&g.src, g.dir, path, 20, &err), -ENAMETOOLONG);
	cr_assert_eq(fake_dir_entries(&g), 0);
	fake_fini(&g);
}

/* --dump-dir is checked at start-up: missing, not a directory, not writable. */
Test(dump, check_dir)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	char file[128], ro[128];
	FILE *f;

	fake_init(&g);
	cr_assert_eq(dump_check_dir(g.dir, &err), 0, "%s", err.msg);
	cr_assert_eq(dump_check_dir("/nonexistent/x", &err), -ENOENT);
	cr_assert_str_eq(err.msg, "--dump-dir /nonexistent/x: No such file or directory; dumps could not be written there");
	snprintf(file, sizeof(file), "%s/file", g.dir);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(dump_check_dir(file, &err), -ENOTDIR);
	cr_assert(strstr(err.msg, "not a directory"), "%s", err.msg);
	snprintf(ro, sizeof(ro), "%s/ro", g.dir);
	cr_assert_eq(mkdir(ro, 0500), 0);
	if (geteuid() != 0) { /* root may write anywhere that is not read-only */
		cr_assert_eq(dump_check_dir(ro, &err), -EACCES);
		cr_assert(strstr(err.msg, "cannot create files there"), "%s", err.msg);
	}
	rmdir(ro);
	unlink(file);
	fake_fini(&g);
}

/*
 * A directory name that leaves no room for the core's name within PATH_MAX
 * is refused at start-up, not only at the panic; the reason comes before the
 * name, which would otherwise push it out of the 512-byte message.
 */
Test(dump, check_dir_refuses_a_name_too_long_for_the_core)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	char *dir = malloc(PATH_MAX), path[PATH_MAX];
	size_t n;

	cr_assert_not_null(dir);
	fake_init(&g);
	/* An existing, writable directory: /tmp/././... up to the length. */
	n = (size_t)snprintf(dir, PATH_MAX, "%s", g.dir);
	while (n + 2 < PATH_MAX - 40)
		n += (size_t)snprintf(dir + n, PATH_MAX - n, "/.");
	cr_assert_eq(dump_check_dir(dir, &err), -ENAMETOOLONG, "%s", err.msg);
	cr_assert(strstr(err.msg, "--dump-dir: directory name too long for a dump's path ("),
		  "%s", err.msg);
	/* What passes the start-up check is accepted at the panic too. */
	while (dump_check_dir(dir, &err) == -ENAMETOOLONG)
		dir[n -= 2] = '\0';
	cr_assert_eq(dump_check_dir(dir, &err), 0, "%s", err.msg);
	cr_assert_eq(dump_write_opts(&g.src, dir, DUMP_F_QUIET, NULL, path, sizeof(path), &err), 0,
		     "%s", err.msg);
	cr_assert_eq(fake_dir_entries(&g), 1);
	/* At the panic the message keeps its reason too. */
	cr_assert_eq(dump_write(&g.src, dir, path, 200, &err), -ENAMETOOLONG);
	cr_assert(strstr(err.msg, "dump: directory name too long for the core's path ("), "%s",
		  err.msg);
	free(dir);
	fake_fini(&g);
}

/* The name carries the time the caller gives (the panic's), not the end of the dump. */
Test(dump, name_uses_the_panic_time)
{
	struct fake_guest g;
	struct dump_stats st;
	char path[256], want[64];
	struct tm tm = { .tm_year = 101, .tm_mon = 1, .tm_mday = 3, .tm_hour = 4, .tm_min = 5,
			 .tm_sec = 6, .tm_isdst = -1 };

	fake_init(&g);
	g.src.when = mktime(&tm);
	dump_ok(&g, 0, &st, path, sizeof(path));
	snprintf(want, sizeof(want), "/microvm-core-20010203-040506-%d.elf", (int)getpid());
	cr_assert(strstr(path, want), "%s lacks %s", path, want);
	fake_fini(&g);
}

/* The file size limit refuses the core: nothing is left behind. */
Test(dump, size_limit_leaves_no_file)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	struct rlimit rl = { 512 * 1024, 512 * 1024 };
	char path[256];
	int ret;

	fake_init(&g);
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0); /* this test's process only */
	for (unsigned flags = 0; flags < 4; flags++) {
		ret = dump_write_opts(&g.src, g.dir, flags | DUMP_F_QUIET, NULL, path, sizeof(path), &err);
		cr_assert_eq(ret, -EFBIG, "flags %u: %d %s", flags, ret, err.msg);
		cr_assert_eq(fake_dir_entries(&g), 0, "flags %u: nothing left", flags);
	}
	fake_fini(&g);
}

/* A full file system: mount a 256 KiB tmpfs in a private mount namespace. */
Test(dump, enospc_leaves_no_file)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	char path[256];
	int ret;

	fake_init(&g);
	memset(g.high, 0x77, FAKE_HIGH_SIZE); /* 2 MiB of data for a 256 KiB file system */
	if (unshare(CLONE_NEWNS) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		cr_skip_test("no mount namespace: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", g.dir, "tmpfs", 0, "size=256k") != 0)
		cr_skip_test("cannot mount a tmpfs: %s", strerror(errno));
	for (unsigned flags = 0; flags < 4; flags++) {
		ret = dump_write_opts(&g.src, g.dir, flags | DUMP_F_QUIET, NULL, path, sizeof(path), &err);
		cr_assert_eq(ret, -ENOSPC, "flags %u: %d %s", flags, ret, err.msg);
		cr_assert(strstr(err.msg, "No space left"), "%s", err.msg);
		cr_assert_eq(fake_dir_entries(&g), 0, "flags %u: nothing left", flags);
	}
	umount(g.dir);
	fake_fini(&g);
}

/* ---- the tools that read cores ---- */

static bool have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Run "pre PATH post" in a shell, return its output. */
static char *run(const char *pre, const char *path, const char *post)
{
	char cmd[512];
	size_t cap = 1 << 16, len = 0;
	char *out = calloc(1, cap);
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s %s", pre, path, post);
	p = popen(cmd, "r");
	cr_assert(p);
	while (len + 1 < cap && fgets(out + len, (int)(cap - len), p))
		len += strlen(out + len);
	pclose(p);
	return out;
}

Test(dump, readelf_and_eu_readelf_accept_it)
{
	struct fake_guest g;
	char path[256];
	char *out;

	if (!have("readelf") || !have("eu-readelf"))
		cr_skip_test("binutils/elfutils not installed");
	fake_init(&g);
	dump_ok(&g, 0, NULL, path, sizeof(path));
	out = run("readelf -W -h -l -n", path, "2>&1");
	cr_assert(strstr(out, "CORE (Core file)"), "%s", out);
	cr_assert(strstr(out, "Advanced Micro Devices X86-64"), "%s", out);
	cr_assert(strstr(out, "NT_PRSTATUS"), "%s", out);
	cr_assert(strstr(out, "VMCOREINFO"), "%s", out);
	cr_assert(strstr(out, "0x0000000100000000"), "the range at 4 GiB: %s", out);
	cr_assert(!strstr(out, "Warning") && !strstr(out, "Error"), "%s", out);
	free(out);
	out = run("eu-readelf -n", path, "2>&1");
	cr_assert(strstr(out, "CORE") && strstr(out, "PRSTATUS"), "%s", out);
	cr_assert(strstr(out, "rip:      0xffffffff81000000"), "%s", out);
	cr_assert(strstr(out, "pid: 2,"), "%s", out);
	cr_assert(strstr(out, "OSRELEASE=6.1.0-fake"), "%s", out);
	cr_assert(!strstr(out, "invalid"), "%s", out);
	free(out);
	fake_fini(&g);
}

Test(dump, gdb_reads_registers, .timeout = 60)
{
	struct fake_guest g;
	char path[256];
	char *out;

	if (!have("gdb"))
		cr_skip_test("gdb not installed");
	fake_init(&g);
	dump_ok(&g, 0, NULL, path, sizeof(path));
	out = run("gdb -nx -batch -c", path, "-ex 'info registers' -ex 'info threads' 2>&1");
	cr_assert(strstr(out, "0xffffffff81000000"), "rip of vCPU 0: %s", out);
	cr_assert(strstr(out, "0x1c0a000") || strstr(out, "rax            0x1000"), "%s", out);
	cr_assert(strstr(out, "LWP 2"), "second vCPU as a thread: %s", out);
	free(out);
	fake_fini(&g);
}

/* crash reads the kernel release from the VMCOREINFO note alone, no vmlinux needed. */
Test(dump, crash_reads_vmcoreinfo, .timeout = 60)
{
	struct fake_guest g;
	char path[256];
	char *out;

	if (!have("crash"))
		cr_skip_test("crash not installed");
	fake_init(&g);
	dump_ok(&g, 0, NULL, path, sizeof(path));
	out = run("crash --osrelease", path, "2>&1");
	cr_assert_str_eq(out, "6.1.0-fake\n");
	free(out);
	fake_fini(&g);
}
