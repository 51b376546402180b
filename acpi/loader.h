/* SPDX-License-Identifier: MIT */
/*
 * QEMU's BIOS linker/loader command blob ("etc/table-loader"), DESIGN.md §5:
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

struct errbuf;

#define ACPI_LOADER_CMD_SIZE 128
#define ACPI_LOADER_FILESZ 56 /* name field, NUL-terminated: at most 55 characters */

enum acpi_loader_command {
	ACPI_LOADER_ALLOCATE = 1,
	ACPI_LOADER_ADD_POINTER = 2,
	ACPI_LOADER_ADD_CHECKSUM = 3,
	ACPI_LOADER_WRITE_POINTER = 4,
};

enum acpi_loader_zone {
	ACPI_LOADER_ZONE_HIGH = 1,
	ACPI_LOADER_ZONE_FSEG = 2,
};

/*
 * The wire layout, for documentation and offsetof() only: fields are read and
 * written with explicit little-endian helpers at these offsets.
 */
struct acpi_loader_wire {
	uint32_t command;
	union {
		struct {
			char file[ACPI_LOADER_FILESZ];
			uint32_t align;
			uint8_t zone;
		} __attribute__((packed)) alloc;
		struct {
			char dest[ACPI_LOADER_FILESZ];
			char src[ACPI_LOADER_FILESZ];
			uint32_t offset;
			uint8_t size;
		} __attribute__((packed)) pointer;
		struct {
			char file[ACPI_LOADER_FILESZ];
			uint32_t offset;
			uint32_t start;
			uint32_t length;
		} __attribute__((packed)) cksum;
		struct {
			char dest[ACPI_LOADER_FILESZ];
			char src[ACPI_LOADER_FILESZ];
			uint32_t dst_offset;
			uint32_t src_offset;
			uint8_t size;
		} __attribute__((packed)) wrptr;
		uint8_t pad[ACPI_LOADER_CMD_SIZE - 4];
	};
} __attribute__((packed));

/* One command in host form. Unused fields are zero. */
struct acpi_loader_cmd {
	uint32_t command;
	char file[ACPI_LOADER_FILESZ]; /* ALLOCATE, ADD_CHECKSUM file; ADD/WRITE_POINTER dest */
	char src[ACPI_LOADER_FILESZ];  /* ADD/WRITE_POINTER */
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
