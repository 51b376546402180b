/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: `microvm inspect` (vmm/inspect.c) on an arbitrary ELF core,
 * through inspect_buf(), the code inspect_file() runs once it has mapped the
 * file.
 *
 * What must hold after every input:
 *  - a refused file gives a one-line reason and prints nothing;
 *  - an accepted one prints only printable ASCII and newlines (the guest's
 *    text is escaped before it reaches a terminal), and names the file first;
 *  - an accepted file has no two PT_NOTE segments sharing bytes (a note read
 *    twice would make a vCPU appear twice);
 *  - the same input gives the same answer twice.
 */
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/inspect.h"
#include "vmm/util.h"

static int run(const uint8_t *data, size_t size, char **text, size_t *len, struct errbuf *err)
{
	FILE *out = open_memstream(text, len);
	int rc;

	FUZZ_CHECK(out, "open_memstream");
	err->msg[0] = '\0';
	rc = inspect_buf("core", data, size, out, err);
	FUZZ_CHECK(fclose(out) == 0, "fclose");
	return rc;
}

/* The PT_NOTE file ranges of an accepted core do not overlap. */
static void check_notes_disjoint(const uint8_t *b, size_t size)
{
	uint64_t phoff = get_le64(b + offsetof(Elf64_Ehdr, e_phoff));
	uint64_t phnum = get_le16(b + offsetof(Elf64_Ehdr, e_phnum));

	if (phnum == PN_XNUM)
		phnum = get_le32(b + get_le64(b + offsetof(Elf64_Ehdr, e_shoff)) +
				 offsetof(Elf64_Shdr, sh_info));
	FUZZ_CHECK(range_fits(phoff, phnum * sizeof(Elf64_Phdr), size), "accepted headers past the end");
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *p = b + phoff + i * sizeof(Elf64_Phdr);
		uint64_t o = get_le64(p + offsetof(Elf64_Phdr, p_offset));
		uint64_t s = get_le64(p + offsetof(Elf64_Phdr, p_filesz));

		if (get_le32(p) != PT_NOTE || !s)
			continue;
		for (uint64_t j = 0; j < i; j++) {
			const uint8_t *q = b + phoff + j * sizeof(Elf64_Phdr);
			uint64_t o2 = get_le64(q + offsetof(Elf64_Phdr, p_offset));
			uint64_t s2 = get_le64(q + offsetof(Elf64_Phdr, p_filesz));

			if (get_le32(q) == PT_NOTE && s2)
				FUZZ_CHECK(!ranges_overlap(o, s, o2, s2),
					   "PT_NOTE %llu and %llu share bytes, and the core was accepted",
					   (unsigned long long)i, (unsigned long long)j);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf err, err2;
	char *t1 = NULL, *t2 = NULL;
	size_t l1 = 0, l2 = 0;
	uint8_t *copy = malloc(size ? size : 1);
	int rc, rc2;

	/* A buffer of exactly the input's size, so ASan sees any read past the end. */
	FUZZ_CHECK(copy, "out of memory");
	memcpy(copy, data, size);
	rc = run(copy, size, &t1, &l1, &err);
	if (rc) {
		FUZZ_CHECK(rc < 0, "refusal %d is not -errno", rc);
		FUZZ_CHECK(err.msg[0] && !strchr(err.msg, '\n'), "a refusal without one line of reason");
		FUZZ_CHECK(l1 == 0, "a refused core printed %zu bytes", l1);
	} else {
		FUZZ_CHECK(l1 > 6 && !memcmp(t1, "core: ", 6), "the summary does not name the file");
		for (size_t i = 0; i < l1; i++)
			FUZZ_CHECK(t1[i] == '\n' || (t1[i] >= 0x20 && t1[i] < 0x7F),
				   "byte 0x%02x at %zu of the output is not printable", (uint8_t)t1[i], i);
		check_notes_disjoint(copy, size);
	}
	rc2 = run(copy, size, &t2, &l2, &err2);
	FUZZ_CHECK(rc == rc2 && l1 == l2 && !memcmp(t1, t2, l1), "two runs disagree");
	FUZZ_CHECK(!rc || !strcmp(err.msg, err2.msg), "two runs disagree on the reason");
	free(t1);
	free(t2);
	free(copy);
	return 0;
}
