/* SPDX-License-Identifier: MIT */
/*
 * The BIOS linker/loader wire format ("etc/table-loader"): QEMU's
 * hw/acpi/bios-linker-loader.c ABI, restated in shared/DESIGN.md §5. This is
 * the one definition of the command layout: acpi/loader.c writes blobs with
 * it and the firmware's executor (firmware/loader_exec.c) reads them with
 * it. Constants only, so it builds freestanding (firmware) and on the host.
 *
 * Entries are 128 bytes, little-endian, a u32 command first; file names are
 * 56-byte NUL-terminated fields. Offsets below are from the entry's start.
 */
#ifndef MICROVM_ACPI_LOADER_ABI_H
#define MICROVM_ACPI_LOADER_ABI_H

#define LOADER_ENTRY_SIZE 128
#define LOADER_NAME_LEN 56 /* NUL-terminated: at most 55 characters */

#define LOADER_CMD_ALLOCATE 1
#define LOADER_CMD_ADD_POINTER 2
#define LOADER_CMD_ADD_CHECKSUM 3
#define LOADER_CMD_WRITE_POINTER 4

/* ALLOCATE: load fw_cfg file `file` into guest RAM, aligned, in a zone. */
#define LOADER_ALLOC_FILE 4   /* name */
#define LOADER_ALLOC_ALIGN 60 /* u32, a power of two */
#define LOADER_ALLOC_ZONE 64  /* u8: LOADER_ZONE_* */
#define LOADER_ZONE_HIGH 1
#define LOADER_ZONE_FSEG 2

/* ADD_POINTER: dest[offset, +size) += address of src. */
#define LOADER_PTR_DEST 4     /* name */
#define LOADER_PTR_SRC 60     /* name */
#define LOADER_PTR_OFFSET 116 /* u32 */
#define LOADER_PTR_SIZE 120   /* u8: 1, 2, 4 or 8 */

/* ADD_CHECKSUM: file[offset] = 8-bit ACPI checksum of file[start, +length). */
#define LOADER_CKSUM_FILE 4    /* name */
#define LOADER_CKSUM_OFFSET 60 /* u32 */
#define LOADER_CKSUM_START 64  /* u32 */
#define LOADER_CKSUM_LENGTH 68 /* u32 */

/* WRITE_POINTER: write address of src + src_offset into fw_cfg file dest at dst_offset. */
#define LOADER_WPTR_DEST 4	    /* name */
#define LOADER_WPTR_SRC 60	    /* name */
#define LOADER_WPTR_DST_OFFSET 116 /* u32 */
#define LOADER_WPTR_SRC_OFFSET 120 /* u32 */
#define LOADER_WPTR_SIZE 124	    /* u8: 1, 2, 4 or 8 */

/* The fields follow each other without gaps and fit the entry (QEMU's packed structs). */
_Static_assert(LOADER_ALLOC_ALIGN == LOADER_ALLOC_FILE + LOADER_NAME_LEN, "ALLOCATE align follows file");
_Static_assert(LOADER_ALLOC_ZONE == LOADER_ALLOC_ALIGN + 4, "ALLOCATE zone follows align");
_Static_assert(LOADER_PTR_SRC == LOADER_PTR_DEST + LOADER_NAME_LEN, "ADD_POINTER src follows dest");
_Static_assert(LOADER_PTR_OFFSET == LOADER_PTR_SRC + LOADER_NAME_LEN, "ADD_POINTER offset follows src");
_Static_assert(LOADER_PTR_SIZE == LOADER_PTR_OFFSET + 4, "ADD_POINTER size follows offset");
_Static_assert(LOADER_CKSUM_OFFSET == LOADER_CKSUM_FILE + LOADER_NAME_LEN, "ADD_CHECKSUM offset follows file");
_Static_assert(LOADER_CKSUM_START == LOADER_CKSUM_OFFSET + 4, "ADD_CHECKSUM start follows offset");
_Static_assert(LOADER_CKSUM_LENGTH == LOADER_CKSUM_START + 4, "ADD_CHECKSUM length follows start");
_Static_assert(LOADER_WPTR_SRC == LOADER_WPTR_DEST + LOADER_NAME_LEN, "WRITE_POINTER src follows dest");
_Static_assert(LOADER_WPTR_DST_OFFSET == LOADER_WPTR_SRC + LOADER_NAME_LEN, "WRITE_POINTER dst_offset follows src");
_Static_assert(LOADER_WPTR_SRC_OFFSET == LOADER_WPTR_DST_OFFSET + 4, "WRITE_POINTER src_offset follows dst_offset");
_Static_assert(LOADER_WPTR_SIZE == LOADER_WPTR_SRC_OFFSET + 4, "WRITE_POINTER size follows src_offset");
_Static_assert(LOADER_WPTR_SIZE < LOADER_ENTRY_SIZE, "every field fits the 128-byte entry");

#endif
