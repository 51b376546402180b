/* SPDX-License-Identifier: MIT */
/*
 * The bytes of an x86-64 ELF core (shared/DESIGN.md §10) without any I/O:
 * the ELF header, the program headers (PN_XNUM past 65534), and the notes
 * crash, makedumpfile and gdb read: per vCPU a "CORE" NT_PRSTATUS and a
 * "QEMU" QEMUCPUState, then the guest's VMCOREINFO note. vmm/dump.c puts
 * these bytes and guest memory into a file; vmm/inspect.c reads them back.
 * KVM appears only as the kvm_regs/kvm_sregs structs, so unit tests build it.
 */
#ifndef MICROVM_DUMP_ELF_H
#define MICROVM_DUMP_ELF_H

#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

/* One vCPU's registers as KVM_GET_REGS / KVM_GET_SREGS returned them. */
struct dump_vcpu {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint64_t kernel_gs_base; /* MSR_KERNEL_GS_BASE (0xC0000102); 0 when unknown */
};

/* One PT_LOAD: a guest RAM range and where its bytes are in this process. */
struct dump_range {
	uint64_t gpa;
	uint64_t size;
	const uint8_t *host;
};

/* elf_prstatus for x86-64 as Linux's <linux/elfcore.h> and QEMU lay it out. */
#define DUMP_PRSTATUS_SIZE 336
#define DUMP_PRSTATUS_PID 32   /* u32 pr_pid: vCPU index + 1 */
#define DUMP_PRSTATUS_REGS 112 /* struct user_regs_struct: 27 u64 */

/* user_regs_struct order (arch/x86/include/asm/user_64.h). */
enum dump_prreg {
	PRREG_R15, PRREG_R14, PRREG_R13, PRREG_R12, PRREG_RBP, PRREG_RBX, PRREG_R11,
	PRREG_R10, PRREG_R9, PRREG_R8, PRREG_RAX, PRREG_RCX, PRREG_RDX, PRREG_RSI,
	PRREG_RDI, PRREG_ORIG_RAX, PRREG_RIP, PRREG_CS, PRREG_EFLAGS, PRREG_RSP,
	PRREG_SS, PRREG_FS_BASE, PRREG_GS_BASE, PRREG_DS, PRREG_ES, PRREG_FS, PRREG_GS,
	PRREG_COUNT
};
_Static_assert(DUMP_PRSTATUS_REGS + PRREG_COUNT * 8 + 8 == DUMP_PRSTATUS_SIZE,
	       "elf_prstatus: regs then 8 bytes of pr_fpvalid and padding");

/*
 * QEMUCPUState version 1 (QEMU target/i386/arch_dump.c): u32 version, u32
 * size, 18 u64 (rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags), ten
 * 24-byte segments {u32 selector, u32 limit, u32 flags, u32 pad, u64 base} in
 * the order cs ds es fs gs ss ldt tr gdt idt, u64 cr[5], then kernel_gs_base,
 * which QEMU appended later without a version bump (readers check size;
 * QEMU 7.2 writes 440).
 */
#define DUMP_QEMU_VERSION 1
#define DUMP_QEMU_SIZE 440
#define DUMP_QEMU_GPRS 8      /* rax, the first of the 18 u64 */
#define DUMP_QEMU_SEGS 152    /* cs, the first segment */
#define DUMP_QEMU_SEG_SIZE 24
#define DUMP_QEMU_CR 392      /* cr[0] */
#define DUMP_QEMU_KGSBASE 432 /* kernel_gs_base */
enum dump_qemu_seg { QSEG_CS, QSEG_DS, QSEG_ES, QSEG_FS, QSEG_GS, QSEG_SS,
		     QSEG_LDT, QSEG_TR, QSEG_GDT, QSEG_IDT, QSEG_COUNT };
_Static_assert(DUMP_QEMU_GPRS + 18 * 8 == DUMP_QEMU_SEGS, "QEMUCPUState GPRs");
_Static_assert(DUMP_QEMU_SEGS + QSEG_COUNT * DUMP_QEMU_SEG_SIZE == DUMP_QEMU_CR,
	       "QEMUCPUState segments");
_Static_assert(DUMP_QEMU_CR + 5 * 8 + 8 == DUMP_QEMU_SIZE, "QEMUCPUState size");

/* Granule of the file layout and of zero-page detection. */
#define DUMP_PAGE 4096u

/* Elf64_Nhdr is three u32; name and descriptor are each padded to 4 bytes. */
#define DUMP_NHDR_SIZE 12

/* Where each part of the file goes. Offsets are file offsets. */
struct dump_layout {
	size_t nr_loads;     /* PT_LOAD count; phnum = nr_loads + 1 */
	size_t nr_ranges;    /* of which guest RAM ranges; the rest are virtual aliases */
	uint64_t shdr_off;   /* 0, or the one section header when phnum > 65534 */
	uint64_t notes_off;
	uint64_t notes_size;
	uint64_t head_size;  /* headers + notes: what dump_head_build() fills */
	uint64_t data_off;   /* first range's data: head_size rounded up to a page */
	uint64_t file_size;  /* apparent size of the whole core */
};

/* A note parsed from a buffer; name is not NUL-terminated when namesz says otherwise. */
struct dump_note {
	uint32_t type;
	uint32_t namesz, descsz;
	const uint8_t *name;
	const uint8_t *desc;
	size_t size; /* header + padded name + padded desc */
};

/* Bytes one note takes: header, name and descriptor each padded to 4. */
uint64_t dump_note_size(uint64_t namesz, uint64_t descsz);

/* Bytes of all notes for nr_vcpus vCPUs and a guest note of vmci_size bytes (0: none). */
uint64_t dump_notes_size(unsigned nr_vcpus, size_t vmci_size);

/*
 * Fill buf (dump_notes_size() bytes) with the notes in DESIGN.md §10 order;
 * vmci (vmci_size bytes) is copied verbatim when non-NULL.
 */
void dump_notes_build(uint8_t *buf, const struct dump_vcpu *vcpus, unsigned nr_vcpus,
		      const void *vmci, size_t vmci_size);

/* The two per-vCPU descriptors, exported for tests and inspect. */
void dump_prstatus_fill(uint8_t out[DUMP_PRSTATUS_SIZE], const struct dump_vcpu *v, unsigned index);
void dump_qemu_fill(uint8_t out[DUMP_QEMU_SIZE], const struct dump_vcpu *v);

/* QEMU's SegmentCache flags (descriptor bits 8..23) for a KVM segment. */
uint32_t dump_seg_flags(const struct kvm_segment *s);

/*
 * Plan the file: nr ranges of the given sizes, nr_alias more PT_LOAD headers
 * that alias their data (virtual addresses, vmm/dump_paging.h), notes_size
 * bytes of notes. Memory data starts page-aligned after the notes and each
 * range starts on a page boundary. -EOVERFLOW when offsets would not fit in
 * 64 bits, -E2BIG past 2^32 - 1 program headers (sh_info is 32 bits).
 */
int dump_layout_plan(struct dump_layout *l, const struct dump_range *r, size_t nr,
		     size_t nr_alias, uint64_t notes_size);

/*
 * File offset of the range after one whose data starts at off and is size
 * bytes long (ranges start on page boundaries, so holes stay page-aligned).
 * Cannot overflow for ranges dump_layout_plan() accepted.
 */
static inline uint64_t dump_next_offset(uint64_t off, uint64_t size)
{
	return (off + size + DUMP_PAGE - 1) & ~(uint64_t)(DUMP_PAGE - 1);
}

struct dump_alias;

/*
 * Fill buf (l->head_size bytes) with the ELF header, program headers (the
 * ranges', then one per alias: p_vaddr the alias's, p_paddr and p_offset
 * those of its physical bytes, which lie within one range), the PN_XNUM
 * section header if needed, and the notes (copied from notes). An alias
 * outside every range gets a zero-sized header (never, for dump_paging_walk's).
 */
void dump_head_build(uint8_t *buf, const struct dump_layout *l, const struct dump_range *r,
		     const struct dump_alias *alias, const uint8_t *notes);

/*
 * Parse the note at buf[0..len): 0 and *n filled, or -EINVAL when its
 * header, padded name or padded descriptor do not fit in len.
 */
int dump_note_parse(const uint8_t *buf, size_t len, struct dump_note *n);

#endif
