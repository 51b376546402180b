/* SPDX-License-Identifier: MIT */
/*
 * QEMU's BIOS linker/loader command blob ("etc/table-loader"), DESIGN.md §5,
 * wire format in acpi/loader_abi.h (shared with the firmware's executor):
 * 128-byte little-endian entries the firmware executes to place fw_cfg files
 * in guest RAM, link pointers between them, fix checksums and report
 * addresses back through writable fw_cfg files.
 *
 * Commands are collected in any order and serialised grouped by kind:
 * every ALLOCATE, then every ADD_POINTER, then every ADD_CHECKSUM, then
 * every WRITE_POINTER, each group in insertion order. That guarantees the
 * invariants a firmware relies on: a file is allocated before it is used,
 * and a checksum is computed after every pointer inside its range was
 * patched.
 */
#ifndef MICROVM_ACPI_LOADER_H
#define MICROVM_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/loader_abi.h"

struct errbuf;

enum acpi_loader_command {
	ACPI_LOADER_ALLOCATE = LOADER_CMD_ALLOCATE,
	ACPI_LOADER_ADD_POINTER = LOADER_CMD_ADD_POINTER,
	ACPI_LOADER_ADD_CHECKSUM = LOADER_CMD_ADD_CHECKSUM,
	ACPI_LOADER_WRITE_POINTER = LOADER_CMD_WRITE_POINTER,
};

enum acpi_loader_zone {
	ACPI_LOADER_ZONE_HIGH = LOADER_ZONE_HIGH,
	ACPI_LOADER_ZONE_FSEG = LOADER_ZONE_FSEG,
};

/* One command in host form. Unused fields are zero. */
struct acpi_loader_cmd {
	uint32_t command;
	char file[LOADER_NAME_LEN]; /* ALLOCATE, ADD_CHECKSUM file; ADD/WRITE_POINTER dest */
	char src[LOADER_NAME_LEN];  /* ADD/WRITE_POINTER */
	uint32_t align;		  /* ALLOCATE */
	uint8_t zone;		  /* ALLOCATE */
	uint32_t offset;	  /* ADD_POINTER offset, ADD_CHECKSUM offset, WRITE_POINTER dst_offset */
	uint32_t src_offset;	  /* WRITE_POINTER */
	uint32_t start, length;	  /* ADD_CHECKSUM */
	uint8_t size;		  /* ADD/WRITE_POINTER: 1, 2, 4 or 8 */
};

struct acpi_loader {
	struct acpi_loader_cmd *cmds;
	unsigned nr, cap;
};

void acpi_loader_free(struct acpi_loader *l);

/* Append a command after validating it; 0 or -EINVAL/-ENOMEM with a message in e. */
int acpi_loader_allocate(struct acpi_loader *l, const char *file, uint32_t align, enum acpi_loader_zone zone,
		    struct errbuf *e);
int acpi_loader_add_pointer(struct acpi_loader *l, const char *dest, const char *src, uint32_t offset,
		       uint8_t size, struct errbuf *e);
int acpi_loader_add_checksum(struct acpi_loader *l, const char *file, uint32_t offset, uint32_t start,
			uint32_t length, struct errbuf *e);
int acpi_loader_write_pointer(struct acpi_loader *l, const char *dest, const char *src, uint32_t dst_offset,
			 uint32_t src_offset, uint8_t size, struct errbuf *e);

/* The blob, grouped as described above; the caller frees *blob. 0 or -ENOMEM. */
int acpi_loader_serialize(const struct acpi_loader *l, uint8_t **blob, size_t *len);

/* Decode one 128-byte entry (tests, tools); 0, or -EINVAL for an unterminated name. */
int acpi_loader_decode(const uint8_t *entry, struct acpi_loader_cmd *out);

#endif
