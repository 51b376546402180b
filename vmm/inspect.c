/* SPDX-License-Identifier: MIT */
#include "vmm/inspect.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/dump_elf.h"
#include "vmm/log.h"
#include "vmm/util.h"

#define EH(f) offsetof(Elf64_Ehdr, f)
#define PH(f) offsetof(Elf64_Phdr, f)
#define SH(f) offsetof(Elf64_Shdr, f)

struct ptr_list {
	const uint8_t **v;
	unsigned nr, cap;
};

/* The file mapped read-only, and what its headers say. */
struct core_file {
	int fd;
	const uint8_t *b;
	size_t len;
	uint64_t phoff, phnum;
	/* Notes of interest, in file order: the i-th of each belongs to vCPU i. */
	struct ptr_list prstatus, qemu;
	const uint8_t *vmci;
	size_t vmci_len;
};

static int core_map(struct core_file *c, const char *path, struct errbuf *err)
{
	struct stat st;
	void *p;

	/* O_NONBLOCK: a FIFO must not hang the open; it is refused just below. */
	c->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (c->fd < 0)
		return errf(err, -errno, "%s", strerror(errno));
	if (fstat(c->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return errf(err, -EINVAL, "not a regular file");
	if ((uint64_t)st.st_size < sizeof(Elf64_Ehdr))
		return errf(err, -EINVAL, "not an ELF core (%lld bytes)", (long long)st.st_size);
	c->len = (size_t)st.st_size;
	p = mmap(NULL, c->len, PROT_READ, MAP_PRIVATE, c->fd, 0);
	if (p == MAP_FAILED)
		return errf(err, -errno, "cannot map: %s", strerror(errno));
	c->b = p;
	return 0;
}

static int core_headers(struct core_file *c, struct errbuf *err)
{
	const uint8_t *b = c->b;

	if (c->len < sizeof(Elf64_Ehdr))
		return errf(err, -EINVAL, "not an ELF core (%zu bytes)", c->len);
	if (memcmp(b, ELFMAG, SELFMAG))
		return errf(err, -EINVAL, "not an ELF file");
	if (b[EI_CLASS] != ELFCLASS64 || b[EI_DATA] != ELFDATA2LSB)
		return errf(err, -EINVAL, "not a 64-bit little-endian ELF file");
	if (get_le16(b + EH(e_type)) != ET_CORE)
		return errf(err, -EINVAL, "ELF type %u, not a core file", get_le16(b + EH(e_type)));
	if (get_le16(b + EH(e_machine)) != EM_X86_64)
		return errf(err, -EINVAL, "machine %u, not x86-64", get_le16(b + EH(e_machine)));
	if (get_le16(b + EH(e_phentsize)) != sizeof(Elf64_Phdr))
		return errf(err, -EINVAL, "program header size %u, expected %zu",
			    get_le16(b + EH(e_phentsize)), sizeof(Elf64_Phdr));
	c->phoff = get_le64(b + EH(e_phoff));
	c->phnum = get_le16(b + EH(e_phnum));
	if (c->phnum == PN_XNUM) {
		uint64_t shoff = get_le64(b + EH(e_shoff));
		if (!shoff || !range_fits(shoff, sizeof(Elf64_Shdr), c->len))
			return errf(err, -EINVAL, "e_phnum is PN_XNUM but section header 0 is missing");
		c->phnum = get_le32(b + shoff + SH(sh_info));
	}
	if (c->phnum > (c->len / sizeof(Elf64_Phdr)) ||
	    !range_fits(c->phoff, c->phnum * sizeof(Elf64_Phdr), c->len))
		return errf(err, -EINVAL, "%" PRIu64 " program headers at offset %" PRIu64 " run past the end of the file",
			    c->phnum, c->phoff);
	return 0;
}

static const uint8_t *ph_at(const struct core_file *c, uint64_t i)
{
	return c->b + c->phoff + i * sizeof(Elf64_Phdr);
}

static bool note_named(const struct dump_note *n, const char *name)
{
	size_t len = strlen(name) + 1;

	return n->namesz == len && memcmp(n->name, name, len) == 0;
}

static int list_push(struct ptr_list *l, const uint8_t *p)
{
	if (l->nr == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 8;
		const uint8_t **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->nr++] = p;
	return 0;
}

/*
 * Note segments may not share bytes: one note read through two segments
 * would count a vCPU twice. Ours has one, QEMU's one per vCPU at most.
 */
#define INSPECT_MAX_NOTE_SEGS 4096

static int notes_overlap(const struct core_file *c, uint64_t upto, uint64_t off, uint64_t size,
			 struct errbuf *err)
{
	unsigned seen = 0;

	for (uint64_t j = 0; j < upto; j++) {
		const uint8_t *ph = ph_at(c, j);
		uint64_t o = get_le64(ph + PH(p_offset)), s = get_le64(ph + PH(p_filesz));

		if (get_le32(ph + PH(p_type)) != PT_NOTE)
			continue;
		if (++seen >= INSPECT_MAX_NOTE_SEGS)
			return errf(err, -EINVAL, "more than %d PT_NOTE segments", INSPECT_MAX_NOTE_SEGS);
		if (size && s && ranges_overlap(off, size, o, s))
			return errf(err, -EINVAL, "PT_NOTE %" PRIu64 " at offset %" PRIu64 " overlaps PT_NOTE %" PRIu64 " at offset %" PRIu64,
				    upto, off, j, o);
	}
	return 0;
}

/* Collect the notes we understand; a malformed note ends the file's credibility. */
static int core_notes(struct core_file *c, struct errbuf *err)
{
	for (uint64_t i = 0; i < c->phnum; i++) {
		const uint8_t *ph = ph_at(c, i);
		uint64_t off = get_le64(ph + PH(p_offset)), size = get_le64(ph + PH(p_filesz));
		struct dump_note n;
		int ret = 0;

		if (get_le32(ph + PH(p_type)) != PT_NOTE)
			continue;
		if (!range_fits(off, size, c->len))
			return errf(err, -EINVAL, "PT_NOTE at offset %" PRIu64 " runs past the end of the file", off);
		ret = notes_overlap(c, i, off, size, err);
		if (ret)
			return ret;
		for (uint64_t pos = 0; pos < size && !ret; pos += n.size) {
			if (dump_note_parse(c->b + off + pos, size - pos, &n))
				return errf(err, -EINVAL, "malformed note at offset %" PRIu64, off + pos);
			if (note_named(&n, "CORE") && n.type == NT_PRSTATUS && n.descsz >= DUMP_PRSTATUS_SIZE)
				ret = list_push(&c->prstatus, n.desc);
			else if (note_named(&n, "QEMU") && n.type == 0 && n.descsz >= 8 &&
				 get_le32(n.desc) == DUMP_QEMU_VERSION &&
				 get_le32(n.desc + 4) >= DUMP_QEMU_KGSBASE && get_le32(n.desc + 4) <= n.descsz)
				ret = list_push(&c->qemu, n.desc);
			else if (note_named(&n, "VMCOREINFO") && !c->vmci) {
				c->vmci = n.desc;
				c->vmci_len = n.descsz;
			}
		}
		if (ret)
			return errf(err, ret, "out of memory");
	}
	return 0;
}

/* Bytes of [off, off + len) that are holes, or -1 when the file system cannot tell. */
static int64_t holes_in(int fd, uint64_t off, uint64_t len)
{
	uint64_t pos = off, end = off + len, holes = 0;

	while (pos < end) {
		off_t d = lseek(fd, (off_t)pos, SEEK_DATA), h;

		if (d < 0 && errno != ENXIO)
			return -1;
		if (d < 0 || (uint64_t)d >= end)
			return (int64_t)(holes + end - pos);
		holes += (uint64_t)d - pos;
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0)
			return -1;
		pos = (uint64_t)h;
	}
	return (int64_t)holes;
}

static void print_gprs(FILE *out, const char *const names[], const uint64_t *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "  %-7s 0x%016" PRIx64 "%s", names[i], v[i],
			i % 3 == 2 || i == n - 1 ? "\n" : "");
}

static void print_prstatus(FILE *out, const uint8_t *d, bool selectors)
{
	static const char *const names[] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
					     "rsp", "r8",  "r9",  "r10", "r11", "r12", "r13",
					     "r14", "r15", "rip", "rflags", "fs_base", "gs_base" };
	static const unsigned idx[] = { PRREG_RAX, PRREG_RBX, PRREG_RCX, PRREG_RDX, PRREG_RSI,
					PRREG_RDI, PRREG_RBP, PRREG_RSP, PRREG_R8,  PRREG_R9,
					PRREG_R10, PRREG_R11, PRREG_R12, PRREG_R13, PRREG_R14,
					PRREG_R15, PRREG_RIP, PRREG_EFLAGS, PRREG_FS_BASE, PRREG_GS_BASE };
	uint64_t v[ARRAY_SIZE(idx)];
	const uint8_t *r = d + DUMP_PRSTATUS_REGS;

	for (unsigned i = 0; i < ARRAY_SIZE(idx); i++)
		v[i] = get_le64(r + 8 * idx[i]);
	print_gprs(out, names, v, ARRAY_SIZE(idx));
	if (!selectors)
		return;
	fprintf(out, "  cs 0x%04" PRIx64 "  ss 0x%04" PRIx64 "  ds 0x%04" PRIx64 "  es 0x%04" PRIx64
		     "  fs 0x%04" PRIx64 "  gs 0x%04" PRIx64 "\n",
		get_le64(r + 8 * PRREG_CS), get_le64(r + 8 * PRREG_SS), get_le64(r + 8 * PRREG_DS),
		get_le64(r + 8 * PRREG_ES), get_le64(r + 8 * PRREG_FS), get_le64(r + 8 * PRREG_GS));
}

static void print_qemu(FILE *out, const uint8_t *d, bool with_gprs)
{
	static const char *const gpr[] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi",
					   "rsp", "rbp", "r8",  "r9",  "r10", "r11",
					   "r12", "r13", "r14", "r15", "rip", "rflags" };
	static const char *const seg[] = { "cs", "ds", "es", "fs", "gs", "ss", "ldt", "tr", "gdt", "idt" };
	uint64_t v[ARRAY_SIZE(gpr)];

	if (with_gprs) {
		for (unsigned i = 0; i < ARRAY_SIZE(gpr); i++)
			v[i] = get_le64(d + DUMP_QEMU_GPRS + 8 * i);
		print_gprs(out, gpr, v, ARRAY_SIZE(gpr));
	}
	for (unsigned i = 0; i < QSEG_COUNT; i++) {
		const uint8_t *s = d + DUMP_QEMU_SEGS + i * DUMP_QEMU_SEG_SIZE;

		fprintf(out, "  %-3s sel 0x%04" PRIx32 "  base 0x%016" PRIx64 "  limit 0x%08" PRIx32 "  flags 0x%06" PRIx32 "\n",
			seg[i], get_le32(s), get_le64(s + 16), get_le32(s + 4), get_le32(s + 8));
	}
	fprintf(out, "  cr0     0x%016" PRIx64 "  cr2     0x%016" PRIx64 "  cr3     0x%016" PRIx64 "\n",
		get_le64(d + DUMP_QEMU_CR), get_le64(d + DUMP_QEMU_CR + 16),
		get_le64(d + DUMP_QEMU_CR + 24));
	fprintf(out, "  cr4     0x%016" PRIx64, get_le64(d + DUMP_QEMU_CR + 32));
	/* kernel_gs_base came later; QEMU's size field says whether it is there. */
	if (get_le32(d + 4) >= DUMP_QEMU_KGSBASE + 8)
		fprintf(out, "  kernel_gs_base 0x%016" PRIx64, get_le64(d + DUMP_QEMU_KGSBASE));
	fputc('\n', out);
}

static unsigned nr_vcpus(const struct core_file *c)
{
	return c->prstatus.nr > c->qemu.nr ? c->prstatus.nr : c->qemu.nr;
}

static void print_vcpus(FILE *out, const struct core_file *c)
{
	for (unsigned i = 0; i < nr_vcpus(c); i++) {
		const uint8_t *pr = i < c->prstatus.nr ? c->prstatus.v[i] : NULL;
		const uint8_t *q = i < c->qemu.nr ? c->qemu.v[i] : NULL;

		fprintf(out, "\nvCPU %u", i);
		if (pr)
			fprintf(out, " (pid %" PRIu32 ")", get_le32(pr + DUMP_PRSTATUS_PID));
		fprintf(out, "\n");
		if (pr)
			print_prstatus(out, pr, !q);
		if (q)
			print_qemu(out, q, !pr);
	}
}

/* A PT_LOAD for a kernel virtual address (vmm/dump_paging.h), not a RAM range. */
static bool is_virtual(const uint8_t *ph)
{
	return get_le64(ph + PH(p_vaddr)) >= (1ULL << 47);
}

static void print_segments(FILE *out, const struct core_file *c)
{
	unsigned k = 0;

	fprintf(out, "\nMemory segments:\n  %-4s %-18s  %-18s  %-18s  %s\n", "#", "paddr", "size",
		"file offset", "holes");
	for (uint64_t i = 0; i < c->phnum; i++) {
		const uint8_t *ph = ph_at(c, i);
		uint64_t off = get_le64(ph + PH(p_offset)), fsz = get_le64(ph + PH(p_filesz));
		uint64_t msz = get_le64(ph + PH(p_memsz)), paddr = get_le64(ph + PH(p_paddr));
		int64_t holes;

		if (get_le32(ph + PH(p_type)) != PT_LOAD || is_virtual(ph))
			continue;
		fprintf(out, "  %-4u 0x%016" PRIx64 "  0x%016" PRIx64 "  0x%016" PRIx64 "  ", k++, paddr,
			msz, off);
		if (!range_fits(off, fsz, c->len)) {
			fprintf(out, "truncated: the file ends at 0x%zx\n", c->len);
			continue;
		}
		holes = c->fd >= 0 ? holes_in(c->fd, off, fsz) : -1;
		if (holes < 0)
			fprintf(out, "unknown\n");
		else
			fprintf(out, "0x%016" PRIx64 " (%u%%)\n", (uint64_t)holes,
				fsz ? (unsigned)((uint64_t)holes * 100 / fsz) : 0);
	}
}

/* The guest's text, made safe for a terminal: printable ASCII and newlines only. */
static void print_vmcoreinfo(FILE *out, const struct core_file *c)
{
	bool bol = true;

	if (!c->vmci) {
		fprintf(out, "\nNo VMCOREINFO note.\n");
		return;
	}
	fprintf(out, "\nVMCOREINFO (%zu bytes):\n", c->vmci_len);
	for (size_t i = 0; i < c->vmci_len; i++) {
		uint8_t ch = c->vmci[i];

		if (bol)
			fputs("  ", out);
		bol = ch == '\n';
		if (ch == '\n' || (ch >= 0x20 && ch < 0x7F))
			fputc(ch, out);
		else
			fprintf(out, "\\x%02x", ch);
	}
	if (!bol)
		fputc('\n', out);
}

/* PT_LOADs of RAM (virtual == false) or of kernel virtual addresses. */
static unsigned count_loads(const struct core_file *c, bool virtual)
{
	unsigned n = 0;

	for (uint64_t i = 0; i < c->phnum; i++) {
		const uint8_t *ph = ph_at(c, i);

		n += get_le32(ph + PH(p_type)) == PT_LOAD && is_virtual(ph) == virtual;
	}
	return n;
}

/* The summary of the core in [b, b + len); fd (or -1) only tells where the holes are. */
static int inspect_core(struct core_file *c, const char *name, FILE *out, struct errbuf *err)
{
	int ret = core_headers(c, err);

	if (!ret)
		ret = core_notes(c, err);
	if (!ret) {
		unsigned segs = count_loads(c, false), virt = count_loads(c, true);

		fprintf(out, "%s: x86-64 ELF core, %u vCPU%s, %u memory segment%s, ", name,
			nr_vcpus(c), nr_vcpus(c) == 1 ? "" : "s", segs, segs == 1 ? "" : "s");
		if (virt)
			fprintf(out, "%u kernel virtual mapping%s, ", virt, virt == 1 ? "" : "s");
		fprintf(out, "%s\n", c->vmci ? "VMCOREINFO present" : "no VMCOREINFO");
		print_vcpus(out, c);
		print_segments(out, c);
		print_vmcoreinfo(out, c);
	}
	free(c->prstatus.v);
	free(c->qemu.v);
	c->prstatus = c->qemu = (struct ptr_list){ 0 };
	return ret;
}

int inspect_buf(const char *name, const uint8_t *buf, size_t len, FILE *out, struct errbuf *err)
{
	struct core_file c = { .fd = -1, .b = buf, .len = len };

	return inspect_core(&c, name, out, err);
}

int inspect_file(const char *path, FILE *out, struct errbuf *err)
{
	struct core_file c = { .fd = -1 };
	int ret;

	ret = core_map(&c, path, err);
	if (!ret)
		ret = inspect_core(&c, path, out, err);
	if (c.b)
		munmap((void *)c.b, c.len);
	if (c.fd >= 0)
		close(c.fd);
	return ret;
}

int inspect_main(int argc, char **argv)
{
	struct errbuf err;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: microvm inspect FILE\n"
		       "Summarise an ELF core written by microvm (or QEMU's dump-guest-memory):\n"
		       "registers of each vCPU, memory segments and their holes, VMCOREINFO.\n");
		return 0;
	}
	if (argc != 2) {
		log_err("inspect: usage: microvm inspect FILE");
		return 2;
	}
	if (inspect_file(argv[1], stdout, &err)) {
		log_err("inspect: %s: %s", argv[1], err.msg);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
