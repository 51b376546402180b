/* SPDX-License-Identifier: MIT */
/*
 * mkbzimage: wrap a non-relocatable x86 kernel ELF into a bzImage.
 *
 *   mkbzimage SETUP.bin KERNEL.elf OUT.bzImage
 *
 * SETUP.bin is the real-mode setup (setup.S) with a zero header; KERNEL.elf
 * must have its entry at the lowest PT_LOAD address (that address becomes
 * code32_start and pref_address: the first payload byte is the 32-bit
 * entry). The payload is the PT_LOAD file bytes laid out by physical
 * address; init_size covers the memory images (bss included).
 * Header fields: Documentation/arch/x86/boot.rst, "The real-mode kernel
 * header" (boot protocol 2.12).
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/util.h"

#define SECTOR 512
#define SETUP_SECTS_MIN 4 /* 0 means 4 to old loaders: never write less */
#define SETUP_MAX (0x7f * SECTOR)
#define PAYLOAD_MAX (16 * MiB)

#define HDR_SETUP_SECTS 0x1F1
#define HDR_SYSSIZE 0x1F4
#define HDR_BOOT_FLAG 0x1FE
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_KERNEL_VERSION 0x20E
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_INITRD_ADDR_MAX 0x22C
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_MIN_ALIGNMENT 0x235
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_END 0x268

#define BOOT_PROTOCOL 0x020C
#define LOADED_HIGH 0x01
#define CMDLINE_SIZE 4095	  /* the test guest keeps 4096 bytes with the NUL */
#define INITRD_ADDR_MAX 0x37FFFFFF /* what Linux advertises */
#define KERNEL_VERSION "microvm-testguest"

struct buf {
	uint8_t *p;
	size_t n;
};

static int read_file(const char *name, struct buf *b)
{
	FILE *f = fopen(name, "rb");
	long n;

	if (!f) {
		fprintf(stderr, "mkbzimage: %s: %s\n", name, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "mkbzimage: %s: cannot size the file\n", name);
		fclose(f);
		return -1;
	}
	b->n = (size_t)n;
	b->p = malloc(b->n ? b->n : 1);
	if (!b->p || fread(b->p, 1, b->n, f) != b->n) {
		fprintf(stderr, "mkbzimage: %s: read failed\n", name);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* The PT_LOAD image of the ELF: payload bytes from its lowest address, and
 * the memory size it needs from there. */
static int elf_payload(const char *name, const struct buf *elf, struct buf *out, uint64_t *base,
		       uint64_t *mem_size)
{
	const Elf64_Ehdr *eh = (const void *)elf->p;
	uint64_t lo = UINT64_MAX, file_end = 0, mem_end = 0;

	if (elf->n < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64) {
		fprintf(stderr, "mkbzimage: %s: not an x86-64 ELF64 file\n", name);
		return -1;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !range_fits(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), elf->n)) {
		fprintf(stderr, "mkbzimage: %s: program headers out of the file\n", name);
		return -1;
	}
	const Elf64_Phdr *ph = (const void *)(elf->p + eh->e_phoff);
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < eh->e_phnum; i++) {
			const Elf64_Phdr *p = &ph[i];
			if (p->p_type != PT_LOAD || !p->p_memsz)
				continue;
			if (pass == 1) {
				memcpy(out->p + (p->p_paddr - lo), elf->p + p->p_offset, p->p_filesz);
				continue;
			}
			if (p->p_filesz > p->p_memsz || !range_fits(p->p_offset, p->p_filesz, elf->n) ||
			    p->p_paddr > UINT32_MAX || p->p_memsz > UINT32_MAX - p->p_paddr) {
				fprintf(stderr, "mkbzimage: %s: PT_LOAD %u is malformed or above 4 GiB\n",
					name, i);
				return -1;
			}
			if (p->p_paddr < lo)
				lo = p->p_paddr;
			if (p->p_paddr + p->p_filesz > file_end)
				file_end = p->p_paddr + p->p_filesz;
			if (p->p_paddr + p->p_memsz > mem_end)
				mem_end = p->p_paddr + p->p_memsz;
		}
		if (pass == 1)
			break;
		if (lo == UINT64_MAX || file_end <= lo) {
			fprintf(stderr, "mkbzimage: %s: no loadable bytes\n", name);
			return -1;
		}
		if (eh->e_entry != lo) {
			fprintf(stderr,
				"mkbzimage: %s: entry 0x%llx is not the first loaded byte 0x%llx; "
				"a bzImage enters at the start of its payload\n",
				name, (unsigned long long)eh->e_entry, (unsigned long long)lo);
			return -1;
		}
		if (file_end - lo > PAYLOAD_MAX) {
			fprintf(stderr, "mkbzimage: %s: payload of %llu bytes is too large\n", name,
				(unsigned long long)(file_end - lo));
			return -1;
		}
		out->n = file_end - lo;
		out->p = calloc(1, out->n);
		if (!out->p) {
			fprintf(stderr, "mkbzimage: out of memory\n");
			return -1;
		}
	}
	*base = lo;
	*mem_size = mem_end - lo;
	return 0;
}

static void put16(uint8_t *b, size_t off, uint16_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, size_t off, uint32_t v)
{
	put16(b, off, (uint16_t)v);
	put16(b, off + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *b, size_t off, uint64_t v)
{
	put32(b, off, (uint32_t)v);
	put32(b, off + 4, (uint32_t)(v >> 32));
}

/* Real-mode part: setup code + version string, padded to whole sectors,
 * with the header filled in. */
static int build_setup(const char *name, const struct buf *setup, const struct buf *payload,
		       uint64_t base, uint64_t mem_size, struct buf *out)
{
	size_t code = setup->n, sects;

	if (code < HDR_END || setup->p[HDR_JUMP] != 0xEB ||
	    HDR_JUMP + 2 + setup->p[HDR_JUMP + 1] != HDR_END) {
		fprintf(stderr, "mkbzimage: %s: no short jump over a header ending at 0x%x\n", name,
			HDR_END);
		return -1;
	}
	for (size_t i = HDR_SETUP_SECTS; i < HDR_END; i++) {
		if (setup->p[i] && i != HDR_JUMP && i != HDR_JUMP + 1) {
			fprintf(stderr, "mkbzimage: %s: header byte 0x%zx is not zero\n", name, i);
			return -1;
		}
	}
	sects = (code + sizeof(KERNEL_VERSION) + SECTOR - 1) / SECTOR;
	if (sects < SETUP_SECTS_MIN + 1)
		sects = SETUP_SECTS_MIN + 1;
	if (sects * SECTOR > SETUP_MAX) {
		fprintf(stderr, "mkbzimage: %s: setup of %zu bytes is too large\n", name, code);
		return -1;
	}
	out->n = sects * SECTOR;
	out->p = calloc(1, out->n);
	if (!out->p) {
		fprintf(stderr, "mkbzimage: out of memory\n");
		return -1;
	}
	memcpy(out->p, setup->p, code);
	memcpy(out->p + code, KERNEL_VERSION, sizeof(KERNEL_VERSION));

	out->p[HDR_SETUP_SECTS] = (uint8_t)(sects - 1);
	put32(out->p, HDR_SYSSIZE, (uint32_t)((payload->n + 15) / 16));
	put16(out->p, HDR_BOOT_FLAG, 0xAA55);
	memcpy(out->p + HDR_MAGIC, "HdrS", 4);
	put16(out->p, HDR_VERSION, BOOT_PROTOCOL);
	put16(out->p, HDR_KERNEL_VERSION, (uint16_t)(code - 0x200));
	out->p[HDR_LOADFLAGS] = LOADED_HIGH;
	put32(out->p, HDR_CODE32_START, (uint32_t)base);
	put32(out->p, HDR_INITRD_ADDR_MAX, INITRD_ADDR_MAX);
	/* Not relocatable: the image must sit at pref_address, which is
	 * trivially aligned to its own lowest set bit. */
	put32(out->p, HDR_KERNEL_ALIGNMENT, (uint32_t)(base & -base));
	out->p[HDR_RELOCATABLE] = 0;
	out->p[HDR_MIN_ALIGNMENT] = (uint8_t)__builtin_ctzll(base);
	put16(out->p, HDR_XLOADFLAGS, 0);
	put32(out->p, HDR_CMDLINE_SIZE, CMDLINE_SIZE);
	put64(out->p, HDR_PREF_ADDRESS, base);
	put32(out->p, HDR_INIT_SIZE, (uint32_t)align_up(mem_size, 4096));
	return 0;
}

int main(int argc, char **argv)
{
	struct buf setup = { 0 }, elf = { 0 }, payload = { 0 }, real = { 0 };
	uint64_t base, mem_size;
	FILE *f;
	int rc = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: mkbzimage SETUP.bin KERNEL.elf OUT.bzImage\n");
		return 2;
	}
	if (read_file(argv[1], &setup) || read_file(argv[2], &elf) ||
	    elf_payload(argv[2], &elf, &payload, &base, &mem_size))
		goto out;
	if (!base || base > UINT32_MAX || mem_size > UINT32_MAX) {
		fprintf(stderr, "mkbzimage: %s: load address 0x%llx does not fit the header\n",
			argv[2], (unsigned long long)base);
		goto out;
	}
	if (build_setup(argv[1], &setup, &payload, base, mem_size, &real))
		goto out;
	f = fopen(argv[3], "wb");
	if (!f) {
		fprintf(stderr, "mkbzimage: %s: %s\n", argv[3], strerror(errno));
		goto out;
	}
	int bad = fwrite(real.p, 1, real.n, f) != real.n;
	bad |= fwrite(payload.p, 1, payload.n, f) != payload.n;
	/* syssize counts whole paragraphs: the file must hold all of them. */
	static const uint8_t zeros[15];
	size_t pad = (16 - payload.n % 16) % 16;
	bad |= fwrite(zeros, 1, pad, f) != pad;
	bad |= fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "mkbzimage: %s: write failed\n", argv[3]);
		remove(argv[3]);
		goto out;
	}
	rc = 0;
out:
	free(setup.p);
	free(elf.p);
	free(payload.p);
	free(real.p);
	return rc;
}
