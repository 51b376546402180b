/* SPDX-License-Identifier: MIT */
/*
 * The boot target's input format and its structure-aware mutator
 * (tests/fuzz/fuzz_boot.c): random bytes almost never make a bzImage setup
 * header or an ELF with a PVH note, and never one of megabytes, so most
 * mutations keep the kernel's header valid and change one field the loaders
 * decide on, or grow or shrink the payload by up to 64 KiB while keeping
 * syssize (bzImage) or the last PT_LOAD (ELF) in step with it.
 * Static functions only: included by the target alone.
 */
#ifndef MICROVM_TESTS_FUZZ_BOOT_MUTATOR_H
#define MICROVM_TESTS_FUZZ_BOOT_MUTATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"

#define BOOT_FUZZ_MEMS 4
#define BOOT_FUZZ_HDR 7
#define BOOT_FUZZ_VIRT_INITRD_MAX (40u << 20)
#define BOOT_FUZZ_GROW (64u << 10) /* the most one mutation adds to the kernel */

struct boot_fuzz_input {
	unsigned mem;
	bool has_initrd, virt_initrd;
	const uint8_t *cmdline, *initrd, *kernel;
	size_t cmdline_len, initrd_len, kernel_len;
	size_t kernel_pad; /* pattern bytes the kernel file continues with */
};

static inline uint32_t bf_le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static inline void bf_put(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* false if the input is too short to carry the header. */
static inline bool boot_fuzz_split(const uint8_t *d, size_t size, struct boot_fuzz_input *in)
{
	size_t rest;

	if (size < BOOT_FUZZ_HDR)
		return false;
	memset(in, 0, sizeof(*in));
	in->mem = d[0] & 3;
	in->has_initrd = d[0] & 4;
	in->virt_initrd = in->has_initrd && (d[0] & 8);
	rest = size - BOOT_FUZZ_HDR;
	/* bit 4: the last 4 bytes give a pattern tail for the kernel, so a small input is a large file. */
	if ((d[0] & 16) && rest >= 4) {
		in->kernel_pad = bf_le(d + size - 4, 4) % BOOT_FUZZ_VIRT_INITRD_MAX;
		rest -= 4;
	}
	d += BOOT_FUZZ_HDR;
	in->cmdline_len = bf_le(d - 6, 2);
	if (in->cmdline_len > rest)
		in->cmdline_len = rest;
	in->cmdline = d;
	d += in->cmdline_len;
	rest -= in->cmdline_len;
	in->initrd_len = bf_le(in->cmdline - 4, 4);
	if (in->virt_initrd) {
		if (in->initrd_len > BOOT_FUZZ_VIRT_INITRD_MAX)
			in->initrd_len %= BOOT_FUZZ_VIRT_INITRD_MAX;
	} else {
		if (in->initrd_len > rest)
			in->initrd_len = rest;
		in->initrd = d;
		d += in->initrd_len;
		rest -= in->initrd_len;
	}
	in->kernel = d;
	in->kernel_len = rest;
	return true;
}


/* Values the loaders compare against: RAM ends, the hole, alignments, 1 MiB. */
static const uint64_t bf_interesting[] = {
	0,	    1,		0xFFF,	      0x1000,	   0x7000,     0x20000,	   0x90000,
	0x9FFFF,    0xA0000,	0xFFFF0,      0x100000,	   0x200000,   0x1000000,  0x1E00000,
	0x2000000,  0xBFF00000, 0xBFEFF000,   0xC0000000,  0xFFFFFFFF, 0x100000000, 0x103FFF000,
	0x104000000, 0x7FFFFFFF, 0xC7F00000,  0x3FFFFFFF,  0x800000,   0x20000000, 0xFFFFFFFFFFFFF000ULL,
};

/* Setup header fields worth changing: offset and width (Documentation/arch/x86/boot.rst). */
static const struct {
	uint16_t off;
	uint8_t width;
} bf_bz_fields[] = {
	{ 0x1F1, 1 }, { 0x1F4, 4 }, { 0x201, 1 }, { 0x206, 2 }, { 0x211, 1 }, { 0x214, 4 },
	{ 0x22C, 4 }, { 0x230, 4 }, { 0x234, 1 }, { 0x238, 4 }, { 0x258, 8 }, { 0x260, 4 },
};

static inline size_t bf_setup_size(const uint8_t *k)
{
	return ((size_t)(k[0x1F1] ? k[0x1F1] : 4) + 1) * 512;
}

static inline bool bf_is_bz(const uint8_t *k, size_t n)
{
	return n >= 0x264 && !memcmp(k + 0x202, "HdrS", 4);
}

static inline bool bf_is_elf64(const uint8_t *k, size_t n)
{
	return n >= 64 && !memcmp(k, "\177ELF", 4) && k[4] == 2;
}

static inline uint64_t bf_value(uint32_t *s, uint64_t old)
{
	switch (fuzz_rand32(s) % 4) {
	case 0:
		return bf_interesting[fuzz_rand32(s) % (sizeof(bf_interesting) / sizeof(bf_interesting[0]))];
	case 1:
		return old + (fuzz_rand32(s) % 33) - 16;
	case 2:
		return old ^ (1ULL << (fuzz_rand32(s) % 40));
	default:
		return (uint64_t)fuzz_rand32(s) << (fuzz_rand32(s) % 24);
	}
}

/*
 * Grow or shrink the kernel (the tail of the input) by up to BOOT_FUZZ_GROW
 * bytes; returns the new kernel size. Added bytes repeat a pattern.
 */
static inline size_t bf_resize(uint8_t *k, size_t n, size_t room, uint32_t *s)
{
	size_t delta = 1 + fuzz_rand32(s) % BOOT_FUZZ_GROW;

	if (fuzz_rand32(s) % 3 == 0)
		return delta < n ? n - delta : n;
	if (delta > room - n)
		delta = room - n;
	for (size_t i = 0; i < delta; i++)
		k[n + i] = (uint8_t)((n + i) * 7 + 3);
	return n + delta;
}

/* Keep syssize (the protected-mode code's size) in step with the file, mostly. */
static inline void bf_bz_sync(uint8_t *k, size_t n, uint32_t *s)
{
	size_t setup = bf_setup_size(k);

	if (n > setup && fuzz_rand32(s) % 4)
		bf_put(k + 0x1F4, 4, (n - setup) / 16);
}

static inline void bf_bz_field(uint8_t *k, uint32_t *s)
{
	unsigned i = fuzz_rand32(s) % (sizeof(bf_bz_fields) / sizeof(bf_bz_fields[0]));
	uint64_t old = 0;

	for (unsigned b = 0; b < bf_bz_fields[i].width; b++)
		old |= (uint64_t)k[bf_bz_fields[i].off + b] << (8 * b);
	bf_put(k + bf_bz_fields[i].off, bf_bz_fields[i].width, bf_value(s, old));
}

/* ELF64 program header i's field at byte f (0 type, 8 offset, 24 paddr, 32 filesz, 40 memsz). */
static inline uint8_t *bf_ph(uint8_t *k, size_t n, unsigned i, unsigned f)
{
	uint64_t phoff = bf_le(k + 32, 4) | (uint64_t)bf_le(k + 36, 4) << 32;
	uint64_t at = phoff + (uint64_t)i * 56 + f;

	return phoff < n && at + 8 <= n ? k + at : NULL;
}

static inline void bf_elf_field(uint8_t *k, size_t n, uint32_t *s)
{
	static const uint8_t fields[] = { 0, 8, 16, 24, 32, 40 };
	unsigned phnum = bf_le(k + 56, 2);
	uint8_t *p;

	if (!phnum || fuzz_rand32(s) % 8 == 0) {
		/* e_phnum, e_phoff, e_type, e_machine, e_phentsize */
		static const uint8_t eh[] = { 56, 32, 16, 18, 54 };
		unsigned f = eh[fuzz_rand32(s) % sizeof(eh)];
		unsigned w = f == 32 ? 8 : 2;

		bf_put(k + f, w, bf_value(s, bf_le(k + f, w > 4 ? 4 : w)));
		return;
	}
	p = bf_ph(k, n, fuzz_rand32(s) % phnum, fields[fuzz_rand32(s) % sizeof(fields)]);
	if (p)
		bf_put(p, 8, bf_value(s, bf_le(p, 4) | (uint64_t)bf_le(p + 4, 4) << 32));
}

/* The last PT_LOAD grows with the file: its filesz and memsz cover the new tail. */
static inline void bf_elf_sync(uint8_t *k, size_t n)
{
	unsigned phnum = bf_le(k + 56, 2);

	for (unsigned i = phnum; i-- > 0;) {
		uint8_t *t = bf_ph(k, n, i, 0), *off = bf_ph(k, n, i, 8);
		uint8_t *filesz = bf_ph(k, n, i, 32), *memsz = bf_ph(k, n, i, 40);
		uint64_t o;

		/* A header cut off by the file's end has no size fields to set. */
		if (!t || !off || !filesz || !memsz || bf_le(t, 4) != 1)
			continue;
		o = bf_le(off, 4) | (uint64_t)bf_le(off + 4, 4) << 32;
		if (o >= n)
			return;
		bf_put(filesz, 8, n - o);
		if ((bf_le(memsz, 4) | (uint64_t)bf_le(memsz + 4, 4) << 32) < n - o)
			bf_put(memsz, 8, n - o);
		return;
	}
}

static inline size_t boot_fuzz_mutate(uint8_t *d, size_t size, size_t max_size, unsigned seed)
{
	uint32_t s = seed | 1;
	struct boot_fuzz_input in;
	uint8_t *k;
	size_t klen, kroom;
	unsigned op = fuzz_rand32(&s) % 10;

#ifndef MICROVM_FUZZ_REPLAY
	if (op < 3 || size < BOOT_FUZZ_HDR || max_size < BOOT_FUZZ_HDR + 0x1000) {
		/* Generic mutations, but on a prefix: byte flips of a 40 MiB input are no use. */
		size_t lim = size < 8192 ? size : 8192;
		size_t n = LLVMFuzzerMutate(d, lim, lim == size ? max_size : lim);
		return lim == size ? n : size;
	}
#else
	if (size < BOOT_FUZZ_HDR || max_size < BOOT_FUZZ_HDR + 0x1000)
		return size;
#endif
	boot_fuzz_split(d, size, &in);
	k = (uint8_t *)in.kernel;
	klen = in.kernel_len;
	kroom = max_size - (size_t)(k - d);
	switch (op) {
	case 3: /* the memory size and the initrd's kind */
		d[0] ^= (uint8_t)(1u << (fuzz_rand32(&s) % 4));
		return size;
	case 4:
	case 5: /* one header field */
		if (bf_is_bz(k, klen)) {
			bf_bz_field(k, &s);
			if (op == 5)
				bf_bz_sync(k, klen, &s);
		} else if (bf_is_elf64(k, klen)) {
			bf_elf_field(k, klen, &s);
		}
		return size;
	case 6:
	case 7:
	case 8: /* grow or shrink the payload, the header in step */
		if (d[0] & 16) {
			size_t pad = in.kernel_pad + fuzz_rand32(&s) % (16 * BOOT_FUZZ_GROW);

			if (fuzz_rand32(&s) % 3 == 0)
				pad = in.kernel_pad / 2;
			bf_put(d + size - 4, 4, pad);
			if (bf_is_bz(k, klen))
				bf_bz_sync(k, klen + pad, &s);
			return size;
		}
		klen = bf_resize(k, klen, kroom, &s);
		if (bf_is_bz(k, klen))
			bf_bz_sync(k, klen, &s);
		else if (bf_is_elf64(k, klen))
			bf_elf_sync(k, klen);
		return (size_t)(k - d) + klen;
	default: /* a virtual initrd's size, or the command line's, the kernel kept */
		if (in.virt_initrd && fuzz_rand32(&s) % 2) {
			bf_put(d + 3, 4, bf_value(&s, bf_le(d + 3, 4)));
			return size;
		}
		{
			uint8_t *c = d + BOOT_FUZZ_HDR;
			size_t clen = in.cmdline_len, tail = size - BOOT_FUZZ_HDR - clen;
			size_t want = fuzz_rand32(&s) % (fuzz_rand32(&s) % 2 ? 80 : 0xFFFF);

			if (want > clen && want - clen > max_size - size)
				want = clen + (max_size - size);
			memmove(c + want, c + clen, tail);
			for (size_t i = clen; i < want; i++)
				c[i] = (uint8_t)(i % 3 ? 'a' + i % 26 : ' ');
			bf_put(d + 1, 2, want);
			return BOOT_FUZZ_HDR + want + tail;
		}
	}
}

#endif
