/* SPDX-License-Identifier: MIT */
/*
 * vmm/dump.c, vmm/dump_elf.c: the ELF core's notes and layout, parsed back
 * independently, and read by the tools that read cores. The writer (holes,
 * io_uring, O_DIRECT) and publishing the file: test_dump_io.c.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <sys/stat.h>

#include "tests/unit/dump_core_fixture.h"
#include "tests/unit/dump_fake.h"

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

	cr_assert_eq(dump_layout_plan(&l, r, 2, 0, 100), 0);
	cr_assert_eq(l.notes_off, 64 + 3 * 56);
	cr_assert_eq(l.head_size, 64 + 3 * 56 + 100);
	cr_assert_eq(l.data_off, 4096);
	cr_assert_eq(l.shdr_off, 0);
	cr_assert_eq(l.file_size, 4096 + 0x9F000 + 0x3000);
	r[0].size = 0x9F001; /* the next range still starts on a page */
	cr_assert_eq(dump_layout_plan(&l, r, 2, 0, 100), 0);
	cr_assert_eq(dump_next_offset(l.data_off, r[0].size), 4096 + 0xA0000);
	cr_assert_eq(l.file_size, 4096 + 0xA0000 + 0x3000);
	r[1].size = UINT64_MAX - 4096;
	cr_assert_eq(dump_layout_plan(&l, r, 2, 0, 100), -EOVERFLOW);
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
	cr_assert_eq(dump_layout_plan(&l, r, nr, 0, sizeof(notes)), 0);
	cr_assert_neq(l.shdr_off, 0);
	c.len = l.head_size;
	c.b = malloc(c.len);
	dump_head_build(c.b, &l, r, NULL, notes);
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

/* Owner-only whatever the umask; a link at the chosen name is refused, nothing written through it. */
Test(dump, owner_only_and_no_symlinks)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	char path[256], link[300], target[300];
	struct stat sb;
	mode_t old;
	int ret;

	fake_init(&g);
	old = umask(0);
	g.src.name = "core.elf";
	ret = dump_write_opts(&g.src, g.dir, DUMP_F_QUIET | DUMP_F_NO_TMPFILE, NULL, path, sizeof(path), &err);
	cr_assert_eq(ret, 0, "%s", err.msg);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600, "umask 0 still gives 0600 (got %o)", sb.st_mode & 0777);
	umask(old);
	unlink(path);

	snprintf(link, sizeof(link), "%s/link.elf", g.dir);
	snprintf(target, sizeof(target), "%s/target", g.dir);
	cr_assert_eq(symlink(target, link), 0);
	g.src.name = "link.elf";
	ret = dump_write_opts(&g.src, g.dir, DUMP_F_QUIET, NULL, path, sizeof(path), &err);
	cr_assert_eq(ret, -ELOOP);
	cr_assert(strstr(err.msg, "is a symbolic link"), "%s", err.msg);
	cr_assert_neq(access(target, F_OK), 0, "nothing written where the link points");
	cr_assert_eq(lstat(link, &sb), 0);
	cr_assert(S_ISLNK(sb.st_mode), "the link is left alone");
	cr_assert_eq(fake_dir_entries(&g), 1, "no temporary file left behind");
	unlink(link);
	fake_fini(&g);
}
