/* SPDX-License-Identifier: MIT */
/*
 * An independent reader of the dumper's ELF core, for the vmm/dump*.c tests:
 * the file read back whole, its program headers (PN_XNUM aware) and its notes,
 * and dump_ok() that writes one core and asserts it succeeded.
 * Static inline only: every test file is linked into one binary.
 */
#ifndef MICROVM_TESTS_DUMP_CORE_FIXTURE_H
#define MICROVM_TESTS_DUMP_CORE_FIXTURE_H

#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "tests/unit/dump_fake.h"

struct core {
	uint8_t *b;
	size_t len;
	Elf64_Ehdr eh;
	size_t phnum;
};

static inline void core_read(struct core *c, const char *path)
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

static inline Elf64_Phdr core_ph(const struct core *c, size_t i)
{
	Elf64_Phdr ph;

	cr_assert(i < c->phnum);
	memcpy(&ph, c->b + c->eh.e_phoff + i * sizeof(ph), sizeof(ph));
	return ph;
}

/* The i-th note of the PT_NOTE segment: name, type, descriptor. */
static inline int core_note(const struct core *c, unsigned idx, struct dump_note *n)
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

static inline void core_free(struct core *c)
{
	free(c->b);
}

static inline void dump_ok(struct fake_guest *g, unsigned flags, struct dump_stats *st,
			   char *path, size_t len)
{
	struct errbuf err = { "" };
	int ret = dump_write_opts(&g->src, g->dir, flags | DUMP_F_QUIET, st, path, len, &err);

	cr_assert_eq(ret, 0, "dump_write: %d %s", ret, err.msg);
}

#endif
