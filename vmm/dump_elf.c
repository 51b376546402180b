/* SPDX-License-Identifier: MIT */
#include "vmm/dump_elf.h"

#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "vmm/dump_paging.h"
#include "vmm/util.h"

/* Field offsets come from <elf.h>; values are stored little-endian explicitly. */
#define EH(f) offsetof(Elf64_Ehdr, f)
#define PH(f) offsetof(Elf64_Phdr, f)
#define SH(f) offsetof(Elf64_Shdr, f)
_Static_assert(sizeof(Elf64_Ehdr) == 64 && sizeof(Elf64_Phdr) == 56 && sizeof(Elf64_Shdr) == 64,
	       "ELF64 header sizes (System V gABI)");
_Static_assert(sizeof(Elf64_Nhdr) == DUMP_NHDR_SIZE, "Elf64_Nhdr is three u32");

/* Past this many program headers the count moves to section header 0 (gABI "Extended numbering"). */
#define DUMP_MAX_PHNUM (PN_XNUM - 1)

uint64_t dump_note_size(uint64_t namesz, uint64_t descsz)
{
	return DUMP_NHDR_SIZE + align_up(namesz, 4) + align_up(descsz, 4);
}

uint64_t dump_notes_size(unsigned nr_vcpus, size_t vmci_size)
{
	uint64_t per_cpu = dump_note_size(5, DUMP_PRSTATUS_SIZE) + dump_note_size(5, DUMP_QEMU_SIZE);

	return per_cpu * nr_vcpus + align_up(vmci_size, 4);
}

static uint8_t *note_put(uint8_t *p, const char *name, uint32_t type, const uint8_t *desc,
			 uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	uint64_t size = dump_note_size(namesz, descsz);

	memset(p, 0, size);
	put_le32(p, namesz);
	put_le32(p + 4, descsz);
	put_le32(p + 8, type);
	memcpy(p + DUMP_NHDR_SIZE, name, namesz);
	memcpy(p + DUMP_NHDR_SIZE + align_up(namesz, 4), desc, descsz);
	return p + size;
}

void dump_prstatus_fill(uint8_t out[DUMP_PRSTATUS_SIZE], const struct dump_vcpu *v, unsigned index)
{
	const struct kvm_regs *r = &v->regs;
	const struct kvm_sregs *s = &v->sregs;
	uint64_t reg[PRREG_COUNT] = {
		[PRREG_R15] = r->r15, [PRREG_R14] = r->r14, [PRREG_R13] = r->r13,
		[PRREG_R12] = r->r12, [PRREG_RBP] = r->rbp, [PRREG_RBX] = r->rbx,
		[PRREG_R11] = r->r11, [PRREG_R10] = r->r10, [PRREG_R9] = r->r9,
		[PRREG_R8] = r->r8,   [PRREG_RAX] = r->rax, [PRREG_RCX] = r->rcx,
		[PRREG_RDX] = r->rdx, [PRREG_RSI] = r->rsi, [PRREG_RDI] = r->rdi,
		/* Not a syscall frame; QEMU writes 0 here too. */
		[PRREG_ORIG_RAX] = 0,
		[PRREG_RIP] = r->rip, [PRREG_CS] = s->cs.selector, [PRREG_EFLAGS] = r->rflags,
		[PRREG_RSP] = r->rsp, [PRREG_SS] = s->ss.selector,
		[PRREG_FS_BASE] = s->fs.base, [PRREG_GS_BASE] = s->gs.base,
		[PRREG_DS] = s->ds.selector, [PRREG_ES] = s->es.selector,
		[PRREG_FS] = s->fs.selector, [PRREG_GS] = s->gs.selector,
	};

	memset(out, 0, DUMP_PRSTATUS_SIZE);
	put_le32(out + DUMP_PRSTATUS_PID, index + 1);
	for (unsigned i = 0; i < PRREG_COUNT; i++)
		put_le64(out + DUMP_PRSTATUS_REGS + 8 * i, reg[i]);
}

/*
 * QEMU keeps segment attributes in descriptor layout: type at bit 8, S 12,
 * DPL 13-14, P 15, AVL 20, L 21, D/B 22, G 23 (target/i386/cpu.h DESC_*),
 * and converts from KVM with P cleared for unusable segments (kvm.c get_seg).
 */
uint32_t dump_seg_flags(const struct kvm_segment *s)
{
	return (uint32_t)(s->type & 0xF) << 8 | (uint32_t)(s->s & 1) << 12 |
	       (uint32_t)(s->dpl & 3) << 13 | (uint32_t)(s->present && !s->unusable) << 15 |
	       (uint32_t)(s->avl & 1) << 20 | (uint32_t)(s->l & 1) << 21 |
	       (uint32_t)(s->db & 1) << 22 | (uint32_t)(s->g & 1) << 23;
}

static void qemu_seg(uint8_t *out, enum dump_qemu_seg which, uint32_t selector, uint32_t limit,
		     uint32_t flags, uint64_t base)
{
	uint8_t *p = out + DUMP_QEMU_SEGS + which * DUMP_QEMU_SEG_SIZE;

	put_le32(p, selector);
	put_le32(p + 4, limit);
	put_le32(p + 8, flags);
	put_le32(p + 12, 0);
	put_le64(p + 16, base);
}

static void qemu_kvm_seg(uint8_t *out, enum dump_qemu_seg which, const struct kvm_segment *s)
{
	qemu_seg(out, which, s->selector, s->limit, dump_seg_flags(s), s->base);
}

void dump_qemu_fill(uint8_t out[DUMP_QEMU_SIZE], const struct dump_vcpu *v)
{
	const struct kvm_regs *r = &v->regs;
	const struct kvm_sregs *s = &v->sregs;
	const uint64_t gpr[18] = { r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi,
				   r->rsp, r->rbp, r->r8,  r->r9,  r->r10, r->r11,
				   r->r12, r->r13, r->r14, r->r15, r->rip, r->rflags };
	const uint64_t cr[5] = { s->cr0, 0, s->cr2, s->cr3, s->cr4 };

	memset(out, 0, DUMP_QEMU_SIZE);
	put_le32(out, DUMP_QEMU_VERSION);
	put_le32(out + 4, DUMP_QEMU_SIZE);
	for (unsigned i = 0; i < ARRAY_SIZE(gpr); i++)
		put_le64(out + DUMP_QEMU_GPRS + 8 * i, gpr[i]);
	qemu_kvm_seg(out, QSEG_CS, &s->cs);
	qemu_kvm_seg(out, QSEG_DS, &s->ds);
	qemu_kvm_seg(out, QSEG_ES, &s->es);
	qemu_kvm_seg(out, QSEG_FS, &s->fs);
	qemu_kvm_seg(out, QSEG_GS, &s->gs);
	qemu_kvm_seg(out, QSEG_SS, &s->ss);
	qemu_kvm_seg(out, QSEG_LDT, &s->ldt);
	qemu_kvm_seg(out, QSEG_TR, &s->tr);
	/* Descriptor tables have no selector or attributes. */
	qemu_seg(out, QSEG_GDT, 0, s->gdt.limit, 0, s->gdt.base);
	qemu_seg(out, QSEG_IDT, 0, s->idt.limit, 0, s->idt.base);
	for (unsigned i = 0; i < ARRAY_SIZE(cr); i++)
		put_le64(out + DUMP_QEMU_CR + 8 * i, cr[i]);
	put_le64(out + DUMP_QEMU_KGSBASE, v->kernel_gs_base);
}

void dump_notes_build(uint8_t *buf, const struct dump_vcpu *vcpus, unsigned nr_vcpus,
		      const void *vmci, size_t vmci_size)
{
	uint8_t desc[DUMP_QEMU_SIZE > DUMP_PRSTATUS_SIZE ? DUMP_QEMU_SIZE : DUMP_PRSTATUS_SIZE];
	uint8_t *p = buf;

	/* All NT_PRSTATUS first, then all QEMU notes: the order QEMU's dump.c writes. */
	for (unsigned i = 0; i < nr_vcpus; i++) {
		dump_prstatus_fill(desc, &vcpus[i], i);
		p = note_put(p, "CORE", NT_PRSTATUS, desc, DUMP_PRSTATUS_SIZE);
	}
	for (unsigned i = 0; i < nr_vcpus; i++) {
		dump_qemu_fill(desc, &vcpus[i]);
		p = note_put(p, "QEMU", 0, desc, DUMP_QEMU_SIZE);
	}
	if (vmci && vmci_size) {
		memcpy(p, vmci, vmci_size);
		memset(p + vmci_size, 0, align_up(vmci_size, 4) - vmci_size);
	}
}

int dump_layout_plan(struct dump_layout *l, const struct dump_range *r, size_t nr,
		     size_t nr_alias, uint64_t notes_size)
{
	uint64_t phnum = (uint64_t)nr + nr_alias + 1, off;

	memset(l, 0, sizeof(*l));
	if (nr_alias > UINT32_MAX || phnum > UINT32_MAX) /* sh_info is 32 bits */
		return -E2BIG;
	l->nr_loads = nr + nr_alias;
	l->nr_ranges = nr;
	off = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
	if (phnum > DUMP_MAX_PHNUM) {
		l->shdr_off = off;
		off += sizeof(Elf64_Shdr);
	}
	l->notes_off = off;
	l->notes_size = notes_size;
	l->head_size = off + notes_size;
	l->data_off = align_up(l->head_size, DUMP_PAGE);
	off = l->data_off;
	for (size_t i = 0; i < nr; i++) {
		/* Keep dump_next_offset() overflow-free: off + size + page fits. */
		if (r[i].size > UINT64_MAX - DUMP_PAGE - off)
			return -EOVERFLOW;
		l->file_size = off + r[i].size;
		off = dump_next_offset(off, r[i].size);
	}
	if (!nr)
		l->file_size = l->data_off;
	return 0;
}

static void ehdr_put(uint8_t *b, const struct dump_layout *l)
{
	uint64_t phnum = (uint64_t)l->nr_loads + 1;

	memset(b, 0, sizeof(Elf64_Ehdr));
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	b[EI_OSABI] = ELFOSABI_NONE;
	put_le16(b + EH(e_type), ET_CORE);
	put_le16(b + EH(e_machine), EM_X86_64);
	put_le32(b + EH(e_version), EV_CURRENT);
	put_le64(b + EH(e_phoff), sizeof(Elf64_Ehdr));
	put_le16(b + EH(e_ehsize), sizeof(Elf64_Ehdr));
	put_le16(b + EH(e_phentsize), sizeof(Elf64_Phdr));
	put_le16(b + EH(e_phnum), phnum > DUMP_MAX_PHNUM ? PN_XNUM : (uint16_t)phnum);
	if (l->shdr_off) {
		put_le64(b + EH(e_shoff), l->shdr_off);
		put_le16(b + EH(e_shentsize), sizeof(Elf64_Shdr));
		put_le16(b + EH(e_shnum), 1);
		put_le16(b + EH(e_shstrndx), SHN_UNDEF);
	}
}

static void phdr_put(uint8_t *p, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
		     uint64_t paddr, uint64_t size)
{
	memset(p, 0, sizeof(Elf64_Phdr));
	put_le32(p + PH(p_type), type);
	put_le32(p + PH(p_flags), flags);
	put_le64(p + PH(p_offset), off);
	put_le64(p + PH(p_vaddr), vaddr);
	put_le64(p + PH(p_paddr), paddr);
	put_le64(p + PH(p_filesz), size);
	put_le64(p + PH(p_memsz), size);
	/* p_align 0: segments are raw guest-physical ranges, not loadable images. */
}

/* Section header 0 carrying the real program header count (as Linux's fill_extnum_info). */
static void shdr_xnum_put(uint8_t *s, uint64_t phnum)
{
	memset(s, 0, sizeof(Elf64_Shdr));
	put_le32(s + SH(sh_type), SHT_NULL);
	put_le64(s + SH(sh_size), 1);
	put_le32(s + SH(sh_link), SHN_UNDEF);
	put_le32(s + SH(sh_info), (uint32_t)phnum);
}

/* File offset of [pa, pa + size) when one range holds it all; false otherwise. */
static bool alias_offset(const struct dump_layout *l, const struct dump_range *r, uint64_t pa,
			 uint64_t size, uint64_t *off_out)
{
	uint64_t off = l->data_off;

	for (size_t i = 0; i < l->nr_ranges; i++) {
		if (pa >= r[i].gpa && pa - r[i].gpa <= r[i].size && size <= r[i].size - (pa - r[i].gpa)) {
			*off_out = off + (pa - r[i].gpa);
			return true;
		}
		off = dump_next_offset(off, r[i].size);
	}
	return false;
}

void dump_head_build(uint8_t *buf, const struct dump_layout *l, const struct dump_range *r,
		     const struct dump_alias *alias, const uint8_t *notes)
{
	uint8_t *ph = buf + sizeof(Elf64_Ehdr);
	uint64_t off = l->data_off;

	ehdr_put(buf, l);
	phdr_put(ph, PT_NOTE, 0, l->notes_off, 0, 0, l->notes_size);
	for (size_t i = 0; i < l->nr_ranges; i++) {
		ph += sizeof(Elf64_Phdr);
		phdr_put(ph, PT_LOAD, PF_R | PF_W | PF_X, off, r[i].gpa, r[i].gpa, r[i].size);
		off = dump_next_offset(off, r[i].size);
	}
	for (size_t i = 0; i < l->nr_loads - l->nr_ranges; i++) {
		const struct dump_alias *a = &alias[i];
		uint64_t aoff = 0;
		bool ok = alias_offset(l, r, a->paddr, a->size, &aoff);

		ph += sizeof(Elf64_Phdr);
		phdr_put(ph, PT_LOAD, PF_R | PF_W | PF_X, aoff, a->vaddr, a->paddr, ok ? a->size : 0);
	}
	if (l->shdr_off)
		shdr_xnum_put(buf + l->shdr_off, (uint64_t)l->nr_loads + 1);
	memcpy(buf + l->notes_off, notes, l->notes_size);
}

int dump_note_parse(const uint8_t *buf, size_t len, struct dump_note *n)
{
	uint64_t namesz, descsz, size;

	if (len < DUMP_NHDR_SIZE)
		return -EINVAL;
	namesz = get_le32(buf);
	descsz = get_le32(buf + 4);
	/* 64-bit arithmetic: two u32 sizes padded to 4 cannot overflow it. */
	size = dump_note_size(namesz, descsz);
	if (size > len)
		return -EINVAL;
	n->namesz = (uint32_t)namesz;
	n->descsz = (uint32_t)descsz;
	n->type = get_le32(buf + 8);
	n->name = buf + DUMP_NHDR_SIZE;
	n->desc = buf + DUMP_NHDR_SIZE + align_up(namesz, 4);
	n->size = (size_t)size;
	return 0;
}
