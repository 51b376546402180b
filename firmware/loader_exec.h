/* SPDX-License-Identifier: MIT */
/*
 * The BIOS linker/loader executor (shared/DESIGN.md §5): runs the commands
 * of "etc/table-loader" the way SeaBIOS's romfile_loader does, with every
 * field range-checked. Pure logic over a small ops interface, so it builds
 * freestanding in the firmware (fw_cfg DMA, identity-mapped memory) and on
 * the host for unit tests (tests/unit/test_loader_exec.c). The wire format
 * is acpi/loader_abi.h, shared with the blob's builder.
 */
#ifndef MICROVM_FIRMWARE_LOADER_EXEC_H
#define MICROVM_FIRMWARE_LOADER_EXEC_H

#include <stdint.h>

#include "acpi/loader_abi.h"

/* Zones are LOADER_ZONE_HIGH and LOADER_ZONE_FSEG (acpi/loader_abi.h). */
#define LOADER_NR_ZONES 3 /* indexed by zone number; 0 is unused */

#define LOADER_MAX_ALLOCS 32

/* err_index of an error about the blob as a whole (its size), not about one command. */
#define LOADER_INDEX_BLOB 0xFFFFFFFFu

enum loader_error {
	LOADER_OK = 0,
	LOADER_E_TRUNCATED,	/* blob size not a multiple of 128 */
	LOADER_E_NAME,		/* file name field without a NUL */
	LOADER_E_NO_FILE,	/* no fw_cfg file by that name */
	LOADER_E_NOT_ALLOCATED, /* file not ALLOCATEd before use */
	LOADER_E_TWICE,		/* file ALLOCATEd twice */
	LOADER_E_EMPTY,		/* ALLOCATE of an empty file */
	LOADER_E_ALIGN,		/* alignment not a power of two */
	LOADER_E_ZONE,		/* unknown or unavailable zone */
	LOADER_E_ZONE_FULL,	/* file does not fit in the zone */
	LOADER_E_TOO_MANY,	/* more than LOADER_MAX_ALLOCS allocations */
	LOADER_E_PTR_SIZE,	/* pointer size not 1, 2, 4 or 8 */
	LOADER_E_PTR_RANGE,	/* pointer field outside the destination file */
	LOADER_E_PTR_OVERFLOW,	/* resulting pointer does not fit in its size */
	LOADER_E_SRC_OFFSET,	/* WRITE_POINTER source offset outside the source file */
	LOADER_E_CKSUM_RANGE,	/* checksum byte or range outside the file */
	LOADER_E_MEMORY,	/* allocation outside addressable guest memory */
	LOADER_E_IO,		/* fw_cfg transfer failed */
};

struct loader_zone {
	uint64_t start, end; /* [start, end); empty when start == end */
	uint64_t next;	     /* first free byte */
};

struct loader_alloc {
	char name[LOADER_NAME_LEN];
	uint16_t key;
	uint32_t size;
	uint64_t addr;
	uint8_t zone;
};

/*
 * What the executor needs from its environment. Every callback returns 0 on
 * success, non-zero on failure.
 */
struct loader_ops {
	/* Key and size of the fw_cfg file called name. */
	int (*find)(void *ctx, const char *name, uint16_t *key, uint32_t *size);
	/* Copy all size bytes of file key into guest memory at addr. */
	int (*load)(void *ctx, uint16_t key, uint64_t addr, uint32_t size);
	/* Write len bytes into file key at offset (fw_cfg DMA SELECT, SKIP, WRITE). */
	int (*write)(void *ctx, uint16_t key, uint32_t offset, const void *src, uint32_t len);
	/* Pointer to guest memory [addr, addr + len), or NULL when not addressable. */
	void *(*mem)(void *ctx, uint64_t addr, uint64_t len);
	/* Told about each command the executor skipped (unknown code). May be NULL. */
	void (*skipped)(void *ctx, unsigned index, uint32_t command);
};

struct loader {
	const struct loader_ops *ops;
	void *ctx;
	struct loader_zone zone[LOADER_NR_ZONES];
	struct loader_alloc alloc[LOADER_MAX_ALLOCS];
	unsigned nr_alloc;
	/* Where it stopped, for the report. */
	enum loader_error err;
	unsigned err_index;	/* command index (0-based), or LOADER_INDEX_BLOB */
	uint32_t err_command;	/* its command code (0 with LOADER_INDEX_BLOB) */
	const char *err_name;	/* the file concerned (points into the blob), or NULL */
};

/* Zones as [start, end) ranges; an empty range makes the zone unavailable. */
void loader_init(struct loader *l, const struct loader_ops *ops, void *ctx, uint64_t high_start,
		 uint64_t high_end, uint64_t fseg_start, uint64_t fseg_end);

/*
 * Execute every command of blob in order. Returns 0 or the enum
 * loader_error; l->err_* say which command failed. Stops at the first
 * failure: later commands would patch half-built tables.
 */
int loader_run(struct loader *l, const uint8_t *blob, uint32_t size);

/* The allocation of name, or NULL. */
const struct loader_alloc *loader_find_alloc(const struct loader *l, const char *name);

/*
 * The RSDP the loader placed: the first 16-byte aligned "RSD PTR " with a
 * valid 20-byte checksum inside an FSEG allocation (where ACPI §5.2.5.1 says
 * to look). 0 when there is none.
 */
uint64_t loader_find_rsdp(const struct loader *l);

const char *loader_strerror(enum loader_error e);
const char *loader_command_name(uint32_t command);

#endif
