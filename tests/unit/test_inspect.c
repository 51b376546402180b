/* SPDX-License-Identifier: MIT */
/* vmm/inspect.c: the summary of our own cores, and hostile files. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>

#include "tests/unit/dump_fake.h"
#include "vmm/inspect.h"

struct blob {
	uint8_t *b;
	size_t len;
};

static void make_core(struct fake_guest *g, char *path, size_t len)
{
	struct errbuf err;

	cr_assert_eq(dump_write_opts(&g->src, g->dir, DUMP_F_QUIET, NULL, path, len, &err), 0, "%s",
		     err.msg);
}

static struct blob slurp(const char *path)
{
	struct blob b;
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0);
	b.len = (size_t)lseek(fd, 0, SEEK_END);
	b.b = malloc(b.len);
	cr_assert(pread(fd, b.b, b.len, 0) == (ssize_t)b.len);
	close(fd);
	return b;
}

static void spit(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert(fd >= 0);
	cr_assert(write(fd, b, len) == (ssize_t)len);
	close(fd);
}

/* Run inspect_file on path; returns its result, output in *text (caller frees). */
static int inspect(const char *path, char **text, struct errbuf *err)
{
	size_t size;
	FILE *out = open_memstream(text, &size);
	int ret;

	err->msg[0] = '\0';
	ret = inspect_file(path, out, err);
	fclose(out);
	return ret;
}

Test(inspect, summary_of_our_core)
{
	struct fake_guest g;
	struct errbuf err;
	char path[256], *t;

	fake_init(&g);
	make_core(&g, path, sizeof(path));
	cr_assert_eq(inspect(path, &t, &err), 0, "%s", err.msg);
	cr_assert(strstr(t, "x86-64 ELF core, 2 vCPUs, 2 memory segments, VMCOREINFO present"), "%s", t);
	cr_assert(strstr(t, "vCPU 1 (pid 2)"), "%s", t);
	cr_assert(strstr(t, "rip     0xffffffff81000001"), "%s", t);
	cr_assert(strstr(t, "rbp     0x0000000000002007"), "%s", t);
	cr_assert(strstr(t, "cr3     0x0000000001c0a000"), "%s", t);
	cr_assert(strstr(t, "cs  sel 0x0010  base 0x0000000000000000  limit 0xffffffff  flags 0xa09b00"), "%s", t);
	cr_assert(strstr(t, "idt sel 0x0000  base 0xfffffe0000000000  limit 0x00000fff"), "%s", t);
	cr_assert(strstr(t, "kernel_gs_base 0xffff88807dc00001"), "%s", t);
	/* Segment 1: 2 MiB at 4 GiB with one data page: 0x1ff000 bytes of holes. */
	cr_assert(strstr(t, "1    0x0000000100000000  0x0000000000200000"), "%s", t);
	cr_assert(strstr(t, "0x00000000001ff000 (99%)"), "%s", t);
	cr_assert(strstr(t, "  OSRELEASE=6.1.0-fake\n  PAGESIZE=4096\n"), "%s", t);
	free(t);
	fake_fini(&g);
}

Test(inspect, core_without_vmcoreinfo)
{
	struct fake_guest g;
	struct errbuf err;
	char path[256], *t;

	fake_init(&g);
	g.src.vmcoreinfo_device = false;
	g.src.nr_vcpus = 1;
	make_core(&g, path, sizeof(path));
	cr_assert_eq(inspect(path, &t, &err), 0, "%s", err.msg);
	cr_assert(strstr(t, "1 vCPU, 2 memory segments, no VMCOREINFO"), "%s", t);
	cr_assert(strstr(t, "No VMCOREINFO note."), "%s", t);
	free(t);
	fake_fini(&g);
}

Test(inspect, guest_text_is_escaped)
{
	struct fake_guest g;
	struct errbuf err;
	char path[256], *t;

	fake_init(&g);
	fake_note_at(g.low + FAKE_NOTE_GPA, VMCI_NOTE_NAME, 0, "A=1\n\x1b[2Jevil\n");
	make_core(&g, path, sizeof(path));
	cr_assert_eq(inspect(path, &t, &err), 0, "%s", err.msg);
	cr_assert(strstr(t, "  A=1\n  \\x1b[2Jevil\n"), "%s", t);
	cr_assert(!strchr(t, 0x1b), "no raw escape reaches the terminal");
	free(t);
	fake_fini(&g);
}

/* Each corruption gives one message and an error, never a crash. */
Test(inspect, hostile_files)
{
	struct fake_guest g;
	struct errbuf err;
	char path[256], bad[300], *t;
	struct blob c;
	uint8_t *m;
	const struct {
		const char *what;
		size_t off;
		unsigned width;
		uint64_t val;
		const char *msg;
	} cases[] = {
		{ "magic", 0, 1, 0x7E, "not an ELF file" },
		{ "class", EI_CLASS, 1, ELFCLASS32, "not a 64-bit little-endian ELF file" },
		{ "type", offsetof(Elf64_Ehdr, e_type), 2, ET_EXEC, "ELF type 2, not a core file" },
		{ "machine", offsetof(Elf64_Ehdr, e_machine), 2, EM_386, "machine 3, not x86-64" },
		{ "phentsize", offsetof(Elf64_Ehdr, e_phentsize), 2, 32, "program header size 32" },
		{ "phoff", offsetof(Elf64_Ehdr, e_phoff), 8, UINT64_MAX - 8, "run past the end" },
		{ "phnum", offsetof(Elf64_Ehdr, e_phnum), 2, 0xFFFE, "run past the end" },
		{ "xnum", offsetof(Elf64_Ehdr, e_phnum), 2, PN_XNUM, "section header 0 is missing" },
		{ "note offset", 64 + offsetof(Elf64_Phdr, p_offset), 8, 1ULL << 62, "PT_NOTE at offset" },
		{ "note size", 64 + offsetof(Elf64_Phdr, p_filesz), 8, UINT64_MAX, "PT_NOTE at offset" },
		{ "note namesz", 0, 4, 0x7FFFFFFF, "malformed note" },
	};

	fake_init(&g);
	make_core(&g, path, sizeof(path));
	c = slurp(path);
	snprintf(bad, sizeof(bad), "%s/bad", g.dir);
	m = malloc(c.len);
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t off = cases[i].off;

		memcpy(m, c.b, c.len);
		if (!strcmp(cases[i].what, "note namesz"))
			off = get_le64(m + 64 + offsetof(Elf64_Phdr, p_offset));
		if (cases[i].width == 1)
			m[off] = (uint8_t)cases[i].val;
		else if (cases[i].width == 2)
			put_le16(m + off, (uint16_t)cases[i].val);
		else if (cases[i].width == 4)
			put_le32(m + off, (uint32_t)cases[i].val);
		else
			put_le64(m + off, cases[i].val);
		spit(bad, m, c.len);
		cr_assert_neq(inspect(bad, &t, &err), 0, "%s accepted", cases[i].what);
		cr_assert(strstr(err.msg, cases[i].msg), "%s: %s", cases[i].what, err.msg);
		cr_assert(!strchr(err.msg, '\n'));
		free(t);
	}
	spit(bad, c.b, 10);
	cr_assert_eq(inspect(bad, &t, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "not an ELF core (10 bytes)");
	free(t);
	cr_assert_eq(inspect("/nonexistent", &t, &err), -ENOENT);
	free(t);
	free(m);
	free(c.b);
	fake_fini(&g);
}

Test(inspect, truncated_file_reports_segments)
{
	struct fake_guest g;
	struct errbuf err;
	char path[256], bad[300], *t;
	struct blob c;

	fake_init(&g);
	make_core(&g, path, sizeof(path));
	c = slurp(path);
	snprintf(bad, sizeof(bad), "%s/short", g.dir);
	spit(bad, c.b, 8192); /* headers, notes and one page of memory */
	cr_assert_eq(inspect(bad, &t, &err), 0, "%s", err.msg);
	cr_assert(strstr(t, "truncated: the file ends at 0x2000"), "%s", t);
	free(t);
	free(c.b);
	fake_fini(&g);
}

/* Random corruption of the headers and notes: any answer but a crash or a leak. */
Test(inspect, random_corruption_never_crashes)
{
	struct fake_guest g;
	struct errbuf err;
	char path[256], bad[300], *t;
	struct blob c;
	unsigned seed = 777;
	size_t head;

	fake_init(&g);
	make_core(&g, path, sizeof(path));
	c = slurp(path);
	head = 4096; /* everything but memory */
	snprintf(bad, sizeof(bad), "%s/fuzz", g.dir);
	for (int iter = 0; iter < 300; iter++) {
		uint8_t *m = malloc(head);

		memcpy(m, c.b, head);
		for (int k = 0; k < 1 + rand_r(&seed) % 8; k++)
			m[(size_t)rand_r(&seed) % 2048] = (uint8_t)rand_r(&seed);
		spit(bad, m, head);
		inspect(bad, &t, &err);
		free(t);
		free(m);
	}
	free(c.b);
	fake_fini(&g);
}

Test(inspect, main_exit_codes)
{
	struct fake_guest g;
	char path[256];
	char *usage[] = { "inspect", NULL };
	char *bad[] = { "inspect", g.dir, NULL }; /* a directory */
	char *good[] = { "inspect", path, NULL };

	fake_init(&g);
	make_core(&g, path, sizeof(path));
	cr_assert_eq(inspect_main(1, usage), 2);
	cr_assert_eq(inspect_main(2, bad), 1);
	cr_redirect_stdout();
	cr_assert_eq(inspect_main(2, good), 0);
	fake_fini(&g);
}

/*
 * Found by tests/fuzz/fuzz_inspect.c (regress/inspect/overlapping-pt-note):
 * a second PT_NOTE over the same bytes made every vCPU appear twice.
 */
Test(inspect, overlapping_note_segments_are_refused)
{
	struct fake_guest g;
	struct errbuf err;
	char path[256], bad[300], *t;
	struct blob c;
	uint64_t phnum;

	fake_init(&g);
	make_core(&g, path, sizeof(path));
	c = slurp(path);
	/* The first PT_LOAD becomes a copy of the PT_NOTE. */
	phnum = get_le16(c.b + offsetof(Elf64_Ehdr, e_phnum));
	cr_assert_geq(phnum, 2);
	memcpy(c.b + 64 + sizeof(Elf64_Phdr), c.b + 64, sizeof(Elf64_Phdr));
	snprintf(bad, sizeof(bad), "%s/bad", g.dir);
	spit(bad, c.b, c.len);
	cr_assert_eq(inspect(bad, &t, &err), -EINVAL);
	cr_assert(strstr(err.msg, "overlaps PT_NOTE 0"), "%s", err.msg);
	free(t);
	free(c.b);
	fake_fini(&g);
}

/* inspect_buf: the same summary as inspect_file, from memory; holes unknown. */
Test(inspect, buffer_entry_point)
{
	struct fake_guest g;
	struct errbuf err;
	char path[256], *t;
	size_t size;
	struct blob c;
	FILE *out;

	fake_init(&g);
	make_core(&g, path, sizeof(path));
	c = slurp(path);
	out = open_memstream(&t, &size);
	cr_assert_eq(inspect_buf("mem", c.b, c.len, out, &err), 0, "%s", err.msg);
	fclose(out);
	cr_assert(strstr(t, "mem: x86-64 ELF core, 2 vCPUs, 2 memory segments, VMCOREINFO present"), "%s", t);
	cr_assert(strstr(t, "unknown"), "%s", t);
	free(t);
	out = open_memstream(&t, &size);
	cr_assert_eq(inspect_buf("mem", c.b, 10, out, &err), -EINVAL);
	fclose(out);
	free(t);
	free(c.b);
	fake_fini(&g);
}
