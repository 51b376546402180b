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

#include <stdbool.h>
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

/*
 * QEMU's fw_cfg variant: the 16-byte "etc/vmcoreinfo" file,
 * {le16 host_format; le16 guest_format; le32 size; le64 paddr}.
 */
#define VMCI_FWCFG_SIZE 16
#define VMCI_FWCFG_HOST_FORMAT 0  /* le16 */
#define VMCI_FWCFG_GUEST_FORMAT 2 /* le16 */
#define VMCI_FWCFG_NOTE_SIZE 4	  /* le32 */
#define VMCI_FWCFG_PADDR 8	  /* le64 */
#define VMCI_FWCFG_FORMAT_NONE 0
#define VMCI_FWCFG_FORMAT_ELF 1

/* What the guest last wrote into that file as one whole record. */
struct vmci_fwcfg_rec {
	bool written; /* a whole record since the last reset */
	uint16_t guest_format;
	uint32_t size;
	uint64_t paddr;
};

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
 * The same for QEMU's fw_cfg variant: the record must be written, its
 * guest_format ELF, and [paddr, paddr + size) a valid note in RAM.
 */
int vmcoreinfo_note_from_fwcfg(const struct guest_mem *gm, const struct vmci_fwcfg_rec *rec,
			       struct vmcoreinfo_note *out, struct errbuf *why);

/*
 * Validate a note buffer of size bytes (already copied or mapped): a
 * well-formed ELF note named VMCOREINFO, type 0. The same rules as above,
 * shared with `microvm inspect`.
 */
int vmcoreinfo_note_check(const uint8_t *buf, size_t size, struct vmcoreinfo_note *out,
			  struct errbuf *why);

#endif
