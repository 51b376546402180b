/* SPDX-License-Identifier: MIT */
/*
 * ELF kernels with a PVH entry point (Xen's HVM direct boot ABI, as Linux
 * CONFIG_PVH, QEMU and Firecracker use it): PT_LOAD segments at p_paddr, the
 * 32-bit entry from the "Xen" note XEN_ELFNOTE_PHYS32_ENTRY, EBX =
 * hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h).
 *
 * The file is hostile until proven otherwise: every offset, size and count is
 * checked against the file size without overflow before it is used.
 */
#include "vmm/boot.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/util.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PVH_MAX_NOTES 1024 /* per note area; Linux has about 20 */

/* hvm_start_info, version 1 (start_info.h); all little-endian. */
#define HVM_START_MAGIC 0x336ec578u
#define HVM_START_VERSION 1
#define SI_MAGIC 0
#define SI_VERSION 4
#define SI_FLAGS 8
#define SI_NR_MODULES 12
#define SI_MODLIST_PADDR 16
#define SI_CMDLINE_PADDR 24
#define SI_RSDP_PADDR 32
#define SI_MEMMAP_PADDR 40
#define SI_MEMMAP_ENTRIES 48
#define SI_SIZE 56
/* hvm_modlist_entry {paddr, size, cmdline_paddr, reserved} and hvm_memmap_table_entry. */
#define MOD_SIZE 32
#define MEMMAP_ENTRY_SIZE 24
#define SI_PAGE 0x1000 /* start info, module list and memmap share one page */

/* A program header or section in class-neutral form. */
struct elf_view {
	const uint8_t *buf;
	size_t size;
	int is64;
};

struct elf_ph {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz, align;
};

static int elf_ehdr_ok(const uint8_t *buf, size_t size)
{
	return size >= EI_NIDENT && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

int pvh_probe(const uint8_t *buf, size_t size)
{
	return elf_ehdr_ok(buf, size);
}

static void elf_read_ph(const struct elf_view *v, uint64_t at, struct elf_ph *ph)
{
	const uint8_t *p = v->buf + at;

	ph->type = get_le32(p);
	if (v->is64) {
		ph->offset = get_le64(p + offsetof(Elf64_Phdr, p_offset));
		ph->paddr = get_le64(p + offsetof(Elf64_Phdr, p_paddr));
		ph->filesz = get_le64(p + offsetof(Elf64_Phdr, p_filesz));
		ph->memsz = get_le64(p + offsetof(Elf64_Phdr, p_memsz));
		ph->align = get_le64(p + offsetof(Elf64_Phdr, p_align));
	} else {
		ph->offset = get_le32(p + offsetof(Elf32_Phdr, p_offset));
		ph->paddr = get_le32(p + offsetof(Elf32_Phdr, p_paddr));
		ph->filesz = get_le32(p + offsetof(Elf32_Phdr, p_filesz));
		ph->memsz = get_le32(p + offsetof(Elf32_Phdr, p_memsz));
		ph->align = get_le32(p + offsetof(Elf32_Phdr, p_align));
	}
}

/*
 * Look for "Xen" XEN_ELFNOTE_PHYS32_ENTRY in the notes at [off, off + len).
 * 1 found, 0 not there, -EINVAL with a message for a malformed entry note.
 * A note running past the area just ends the scan: the area is not ours to fix.
 */
static int scan_notes(const struct elf_view *v, uint64_t off, uint64_t len, uint64_t align,
		      uint32_t *entry, struct errbuf *err)
{
	uint64_t pad = align == 8 ? 8 : 4, pos = 0;

	if (!range_fits(off, len, v->size))
		return 0;
	/* Name and descriptor each start `pad`-aligned from the area start (gABI notes). */
	for (unsigned n = 0; n < PVH_MAX_NOTES && pos + 12 <= len; n++) {
		const uint8_t *h = v->buf + off + pos;
		uint64_t namesz = get_le32(h), descsz = get_le32(h + 4);
		uint32_t type = get_le32(h + 8);
		uint64_t name_at = pos + 12, desc_at = align_up(name_at + namesz, pad);
		uint64_t value;

		if (desc_at > len || descsz > len - desc_at)
			return 0;
		pos = align_up(desc_at + descsz, pad);
		if (type != XEN_ELFNOTE_PHYS32_ENTRY || namesz != 4 ||
		    memcmp(v->buf + off + name_at, "Xen", 4) != 0)
			continue;
		if (descsz == 4)
			value = get_le32(v->buf + off + desc_at);
		else if (descsz == 8)
			value = get_le64(v->buf + off + desc_at);
		else
			return errf(err, -EINVAL, "the PVH entry note has a %" PRIu64 "-byte value, not 4 or 8",
				    descsz);
		if (value > UINT32_MAX)
			return errf(err, -EINVAL, "the PVH entry 0x%" PRIx64 " is above 4 GiB", value);
		*entry = (uint32_t)value;
		return 1;
	}
	return 0;
}

/* The entry note in a section when no PT_NOTE had it (some linkers drop PT_NOTE). */
static int scan_sections(const struct elf_view *v, uint32_t *entry, struct errbuf *err)
{
	const uint8_t *b = v->buf;
	uint64_t shoff = v->is64 ? get_le64(b + offsetof(Elf64_Ehdr, e_shoff))
				 : get_le32(b + offsetof(Elf32_Ehdr, e_shoff));
	unsigned shentsize = get_le16(b + (v->is64 ? offsetof(Elf64_Ehdr, e_shentsize)
						   : offsetof(Elf32_Ehdr, e_shentsize)));
	unsigned shnum = get_le16(b + (v->is64 ? offsetof(Elf64_Ehdr, e_shnum)
					       : offsetof(Elf32_Ehdr, e_shnum)));
	unsigned want = v->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);

	if (!shoff || shentsize < want || !range_fits(shoff, (uint64_t)shnum * shentsize, v->size))
		return 0;
	for (unsigned i = 0; i < shnum; i++) {
		const uint8_t *s = b + shoff + (uint64_t)i * shentsize;
		uint64_t off, len, align;
		int rc;

		if (get_le32(s + 4) != SHT_NOTE) /* sh_type, same offset in both classes */
			continue;
		if (v->is64) {
			off = get_le64(s + offsetof(Elf64_Shdr, sh_offset));
			len = get_le64(s + offsetof(Elf64_Shdr, sh_size));
			align = get_le64(s + offsetof(Elf64_Shdr, sh_addralign));
		} else {
			off = get_le32(s + offsetof(Elf32_Shdr, sh_offset));
			len = get_le32(s + offsetof(Elf32_Shdr, sh_size));
			align = get_le32(s + offsetof(Elf32_Shdr, sh_addralign));
		}
		rc = scan_notes(v, off, len, align, entry, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_ehdr(const uint8_t *buf, size_t size, struct elf_view *v, struct errbuf *err)
{
	unsigned machine, type;

	v->buf = buf;
	v->size = size;
	v->is64 = size > EI_CLASS && buf[EI_CLASS] == ELFCLASS64;
	if (!elf_ehdr_ok(buf, size))
		return errf(err, -EINVAL, "not a bzImage (no HdrS) nor a PVH ELF");
	if (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64)
		return errf(err, -EINVAL, "ELF class %u is neither ELF32 nor ELF64", buf[EI_CLASS]);
	if (buf[EI_DATA] != ELFDATA2LSB)
		return errf(err, -EINVAL, "big-endian (or unknown data encoding %u) ELF; x86 kernels are little-endian",
			    buf[EI_DATA]);
	if (size < (v->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return errf(err, -EINVAL, "truncated file (%zu bytes): the ELF header is cut short",
			    size);
	machine = get_le16(buf + offsetof(Elf64_Ehdr, e_machine)); /* same offset in ELF32 */
	type = get_le16(buf + offsetof(Elf64_Ehdr, e_type));
	if (machine != EM_386 && machine != EM_X86_64)
		return errf(err, -EINVAL, "ELF for machine %u, not x86 (EM_386 or EM_X86_64)", machine);
	if (type != ET_EXEC && type != ET_DYN)
		return errf(err, -EINVAL, "ELF type %u is not an executable", type);
	return 0;
}

static int check_segment(const struct elf_view *v, unsigned i, const struct elf_ph *ph,
			 struct errbuf *err)
{
	if (ph->filesz > ph->memsz)
		return errf(err, -EINVAL, "segment %u: file size 0x%" PRIx64 " is larger than its memory size 0x%" PRIx64,
			    i, ph->filesz, ph->memsz);
	if (!range_fits(ph->offset, ph->filesz, v->size))
		return errf(err, -EINVAL, "truncated file (%zu bytes): segment %u needs bytes 0x%" PRIx64 " + 0x%" PRIx64,
			    v->size, i, ph->offset, ph->filesz);
	if (ph->paddr + ph->memsz < ph->paddr)
		return errf(err, -EINVAL, "segment %u: 0x%" PRIx64 " + 0x%" PRIx64 " wraps around the address space",
			    i, ph->paddr, ph->memsz);
	return 0;
}

static int add_segment(struct pvh_info *info, unsigned i, const struct elf_ph *ph,
		       struct errbuf *err)
{
	struct pvh_segment *s;

	for (unsigned j = 0; j < info->nr_segments; j++) {
		const struct pvh_segment *o = &info->seg[j];
		if (ranges_overlap(ph->paddr, ph->memsz, o->paddr, o->memsz))
			return errf(err, -EINVAL, "segment %u at 0x%" PRIx64 " overlaps an earlier one at 0x%" PRIx64,
				    i, ph->paddr, o->paddr);
	}
	if (info->nr_segments == PVH_MAX_SEGMENTS)
		return errf(err, -E2BIG, "more than %d loadable segments", PVH_MAX_SEGMENTS);
	s = &info->seg[info->nr_segments++];
	s->paddr = ph->paddr;
	s->offset = ph->offset;
	s->filesz = ph->filesz;
	s->memsz = ph->memsz;
	if (info->nr_segments == 1 || ph->paddr < info->lowest)
		info->lowest = ph->paddr;
	if (ph->paddr + ph->memsz > info->highest)
		info->highest = ph->paddr + ph->memsz;
	return 0;
}

int pvh_parse(const uint8_t *buf, size_t size, struct pvh_info *info, struct errbuf *err)
{
	struct elf_view v;
	uint64_t phoff;
	unsigned phentsize, phnum, want;
	int found = 0, rc;

	memset(info, 0, sizeof(*info));
	rc = check_ehdr(buf, size, &v, err);
	if (rc < 0)
		return rc;
	phoff = v.is64 ? get_le64(buf + offsetof(Elf64_Ehdr, e_phoff))
		       : get_le32(buf + offsetof(Elf32_Ehdr, e_phoff));
	phentsize = get_le16(buf + (v.is64 ? offsetof(Elf64_Ehdr, e_phentsize)
					   : offsetof(Elf32_Ehdr, e_phentsize)));
	phnum = get_le16(buf + (v.is64 ? offsetof(Elf64_Ehdr, e_phnum) : offsetof(Elf32_Ehdr, e_phnum)));
	want = v.is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (phnum == 0)
		return errf(err, -EINVAL, "ELF without program headers");
	if (phnum == PN_XNUM)
		return errf(err, -EINVAL, "ELF with 65535 or more program headers");
	if (phentsize < want)
		return errf(err, -EINVAL, "ELF program header size %u, expected %u", phentsize, want);
	if (!range_fits(phoff, (uint64_t)phnum * phentsize, size))
		return errf(err, -EINVAL, "truncated file (%zu bytes): %u program headers at 0x%" PRIx64 " run past its end",
			    size, phnum, phoff);

	for (unsigned i = 0; i < phnum; i++) {
		struct elf_ph ph;

		elf_read_ph(&v, phoff + (uint64_t)i * phentsize, &ph);
		if (ph.type == PT_NOTE && !found) {
			rc = scan_notes(&v, ph.offset, ph.filesz, ph.align, &info->entry, err);
			if (rc < 0)
				return rc;
			found = rc;
		}
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		rc = check_segment(&v, i, &ph, err);
		if (rc == 0)
			rc = add_segment(info, i, &ph, err);
		if (rc < 0)
			return rc;
	}
	if (!found) {
		rc = scan_sections(&v, &info->entry, err);
		if (rc < 0)
			return rc;
		found = rc;
	}
	if (!found)
		return errf(err, -EINVAL, "ELF without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); build the kernel with CONFIG_PVH=y");
	if (info->nr_segments == 0)
		return errf(err, -EINVAL, "ELF without loadable segments");
	for (unsigned i = 0; i < info->nr_segments; i++)
		if (info->entry >= info->seg[i].paddr && info->entry - info->seg[i].paddr < info->seg[i].filesz)
			return 0;
	return errf(err, -EINVAL, "the PVH entry 0x%" PRIx32 " is outside every loaded segment",
		    info->entry);
}

/* hvm_start_info, the module list and the memmap: one page at LAYOUT_START_INFO. */
static void si_fill(uint8_t *page, const struct e820_map *map, const struct boot_image *img)
{
	uint8_t *si = page, *mod = page + (LAYOUT_MODLIST - LAYOUT_START_INFO);
	uint8_t *mm = page + (LAYOUT_MEMMAP - LAYOUT_START_INFO);
	unsigned n = map->nr < LAYOUT_MEMMAP_MAX ? map->nr : LAYOUT_MEMMAP_MAX;

	memset(page, 0, SI_PAGE);
	put_le32(si + SI_MAGIC, HVM_START_MAGIC);
	put_le32(si + SI_VERSION, HVM_START_VERSION);
	put_le32(si + SI_FLAGS, 0);
	if (img->initrd_size) {
		put_le32(si + SI_NR_MODULES, 1);
		put_le64(si + SI_MODLIST_PADDR, LAYOUT_MODLIST);
		put_le64(mod, img->initrd_addr);
		put_le64(mod + 8, img->initrd_size);
		/* cmdline_paddr 0: the module has no command line of its own. */
	}
	put_le64(si + SI_CMDLINE_PADDR, img->cmdline_addr);
	put_le64(si + SI_RSDP_PADDR, 0); /* the firmware fills it (firmware/boot_abi.h) */
	put_le64(si + SI_MEMMAP_PADDR, LAYOUT_MEMMAP);
	put_le32(si + SI_MEMMAP_ENTRIES, n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = mm + i * MEMMAP_ENTRY_SIZE;
		put_le64(e, map->e[i].addr);
		put_le64(e + 8, map->e[i].size);
		put_le32(e + 16, map->e[i].type);
	}
}

size_t pvh_cmdline_too_long_for_linux(const struct boot_files *f)
{
	size_t len = strlen(f->cmdline);

	return len > PVH_LINUX_CMDLINE_SIZE - 1 ? len : 0;
}

int pvh_load(const struct boot_files *f, const struct guest_mem *gm, const struct e820_map *map,
	     struct boot_image *img, struct errbuf *err)
{
	struct pvh_info pi;
	struct errbuf perr;
	uint8_t page[SI_PAGE];
	int rc;

	memset(img, 0, sizeof(*img));
	rc = pvh_parse(f->kernel, f->kernel_size, &pi, &perr);
	if (rc < 0)
		return errf(err, rc, "%s: %s", f->kernel_name, perr.msg);
	rc = boot_check_cmdline(f, LAYOUT_CMDLINE_MAX - 1, err);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < pi.nr_segments; i++) {
		char what[32];

		snprintf(what, sizeof(what), "segment %u", i);
		rc = boot_check_range(map, f->kernel_name, what, pi.seg[i].paddr, pi.seg[i].memsz, err);
		if (rc < 0)
			return rc;
	}
	img->proto = BOOT_PVH;
	img->entry = pi.entry;
	img->boot_struct = LAYOUT_START_INFO;
	img->rsdp_offset = SI_RSDP_PADDR;
	img->kernel_start = pi.lowest;
	img->kernel_end = pi.highest;
	/* Below the HIGH zone: no RAM lies between it and the 3 GiB hole. */
	rc = boot_plan_initrd(f, map, LAYOUT_MMIO_HOLE, pi.highest, img, err);
	if (rc < 0)
		return rc;

	/* Every check passed: now write. */
	for (unsigned i = 0; i < pi.nr_segments; i++) {
		const struct pvh_segment *s = &pi.seg[i];
		uint8_t *p = gm_ptr(gm, s->paddr, s->memsz);

		if (!p)
			return errf(err, -EFAULT, "%s: guest RAM does not back the e820 RAM map at 0x%" PRIx64,
				    f->kernel_name, s->paddr);
		memcpy(p, f->kernel + s->offset, s->filesz);
		/* A memsz of gigabytes is legal: let guest_mem drop those pages rather than write them. */
		gm_zero(gm, s->paddr + s->filesz, s->memsz - s->filesz);
	}
	if (boot_write_initrd(f, gm, img) < 0 || boot_write_cmdline(f, gm, img) < 0)
		return errf(err, -EFAULT, "%s: guest RAM does not back the e820 RAM map",
			    f->kernel_name);
	si_fill(page, map, img);
	if (gm_write(gm, LAYOUT_START_INFO, page, sizeof(page)) < 0)
		return errf(err, -EFAULT, "%s: guest RAM does not cover the start info at 0x%llx",
			    f->kernel_name, LAYOUT_START_INFO);
	return 0;
}
