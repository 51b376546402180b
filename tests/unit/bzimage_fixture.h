/* SPDX-License-Identifier: MIT */
/*
 * Crafted bzImages for the vmm/boot_bzimage.c tests: a setup header with the
 * fields of Documentation/arch/x86/boot.rst set from struct bzopts, junk
 * real-mode code, and a protected-mode payload of known bytes.
 * Static inline only: every test file is linked into one binary.
 */
#ifndef MICROVM_TESTS_BZIMAGE_FIXTURE_H
#define MICROVM_TESTS_BZIMAGE_FIXTURE_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/boot_fixture.h"


struct bzopts {
	uint16_t version;
	uint8_t setup_sects;
	uint8_t loadflags;
	uint8_t jump; /* byte at 0x201: header ends at 0x202 + jump */
	uint8_t relocatable;
	uint32_t payload_size;
	uint32_t code32_start;
	uint32_t kernel_alignment;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	uint64_t pref_address;
	uint32_t init_size;
};

static const struct bzopts bz_default = {
	.version = 0x020f,
	.setup_sects = 4,
	.loadflags = 0x01,
	.jump = 0x6a, /* 6.x kernels: header ends at 0x26c */
	.relocatable = 1,
	.payload_size = 64 * 1024,
	.code32_start = 0x100000,
	.kernel_alignment = 0x200000,
	.cmdline_size = 2047,
	.initrd_addr_max = 0x7fffffff,
	.pref_address = 0x1000000,
	.init_size = 8 << 20,
};

static inline uint8_t payload_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static inline uint8_t *bz_make(const struct bzopts *o, size_t *size)
{
	unsigned sects = o->setup_sects ? o->setup_sects : 4;
	size_t setup = (sects + 1) * 512;
	uint8_t *b;

	*size = setup + o->payload_size;
	b = calloc(1, *size);
	cr_assert_not_null(b);
	/* Junk everywhere in the setup, as real-mode code would be. */
	for (size_t i = 0; i < setup; i++)
		b[i] = (uint8_t)(0x5a ^ i);
	b[0x1f1] = o->setup_sects;
	t_put(b + 0x1f4, 4, (o->payload_size + 15) / 16); /* syssize */
	t_put(b + 0x1fe, 2, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = o->jump;
	memcpy(b + 0x202, "HdrS", 4);
	t_put(b + 0x206, 2, o->version);
	b[0x210] = 0;
	b[0x211] = o->loadflags;
	t_put(b + 0x214, 4, o->code32_start);
	t_put(b + 0x218, 4, 0);
	t_put(b + 0x21c, 4, 0);
	t_put(b + 0x228, 4, 0);
	t_put(b + 0x22c, 4, o->initrd_addr_max);
	t_put(b + 0x230, 4, o->kernel_alignment);
	b[0x234] = o->relocatable;
	b[0x235] = 21;
	t_put(b + 0x236, 2, 0x7f);
	t_put(b + 0x238, 4, o->cmdline_size);
	t_put(b + 0x23c, 4, 0);
	t_put(b + 0x248, 4, 0x2cc);
	t_put(b + 0x250, 8, 0x123456789abcdefULL); /* a setup_data pointer to nowhere */
	t_put(b + 0x258, 8, o->pref_address);
	t_put(b + 0x260, 4, o->init_size);
	for (size_t i = 0; i < o->payload_size; i++)
		b[setup + i] = payload_byte(i);
	return b;
}

static inline struct boot_files files_of(const uint8_t *k, size_t ksize, const char *cmdline)
{
	struct boot_files f = {
		.kernel_name = "kernel.img",
		.kernel = k,
		.kernel_size = ksize,
		.initrd_name = "initrd.img",
		.cmdline = cmdline,
	};
	return f;
}

static inline int load(struct tmem *t, const struct boot_files *f, struct boot_image *img,
		struct errbuf *err)
{
	memset(err->msg, 0, sizeof(err->msg));
	return boot_load(f, &t->gm, &t->map, img, err);
}

#endif
