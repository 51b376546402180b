/* SPDX-License-Identifier: MIT */
/*
 * The guest's VMCOREINFO note, found through the vmcoreinfo device's address
 * (shared/DESIGN.md §6) and validated before the dumper copies it: every
 * number in it is the guest's word, so each is checked against guest RAM
 * through gm_ptr() and against the note format. A note that fails is left
 * out of the dump, with one line saying why.
 */
#ifndef MICROVM_VMCOREINFO_NOTE_H
#define MICROVM_VMCOREINFO_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/err.h"
#include "vmm/guest_mem.h"

/* At the device's address: {u32 version, u64 paddr, u32 size}, little-endian, packed. */
#define VMCI_HDR_SIZE 16
#define VMCI_HDR_VERSION 0 /* u32 */
#define VMCI_HDR_PADDR 4   /* u64 */
#define VMCI_HDR_SIZE_OFF 12 /* u32 */
#define VMCI_VERSION 0	   /* the only version defined */

/* Bounds on the note size the guest announces: one note header, at most 1 MiB. */
#define VMCI_SIZE_MIN 12u
#define VMCI_SIZE_MAX (1u << 20)

/* The note's name, NUL included, as Linux's crash_core.c writes it. */
#define VMCI_NOTE_NAME "VMCOREINFO"

struct vmcoreinfo_note {
	uint64_t paddr;		/* guest physical address of the note */
	uint32_t size;		/* size the guest announced */
	const uint8_t *note;	/* host pointer (through gm_ptr) to the first note */
	size_t note_size;	/* that note alone: header + padded name + padded text */
	const char *text;	/* its descriptor: "KEY=value\n" lines, not NUL-terminated */
	size_t text_len;
};

/*
 * Find and validate the note the guest published at addr (page + 40).
 * 0 and *out filled, or a negative errno with the one-line reason in *why:
 * -ENOENT when addr is 0, -EFAULT for addresses outside RAM, -EPROTO for a
 * bad version, -ERANGE for a bad size, -EINVAL for a malformed note.
 */
int vmcoreinfo_note_find(const struct guest_mem *gm, uint64_t addr, struct vmcoreinfo_note *out,
			 struct errbuf *why);

/*
 * Validate a note buffer of size bytes (already copied or mapped): a
 * well-formed ELF note named VMCOREINFO, type 0. The same rules as above,
 * shared with `microvm inspect`.
 */
int vmcoreinfo_note_check(const uint8_t *buf, size_t size, struct vmcoreinfo_note *out,
			  struct errbuf *why);

#endif
