/* SPDX-License-Identifier: MIT */
/*
 * A fake paused guest for the dumper's tests: two RAM regions (low RAM and a
 * region at 4 GiB) with a few patterned pages among zero pages, two vCPUs
 * with recognisable registers, and a Linux-like VMCOREINFO note published
 * through the vmcoreinfo device's page. Header-only so test files share it.
 */
#ifndef TEST_DUMP_FAKE_H
#define TEST_DUMP_FAKE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/dump.h"
#include "vmm/util.h"
#include "vmm/vmcoreinfo_note.h"

#define FAKE_LOW_SIZE (1 * MiB)
#define FAKE_HIGH_GPA (4 * GiB)
#define FAKE_HIGH_SIZE (2 * MiB)
#define FAKE_VMCI_PAGE 0x10000ULL /* the page the firmware ALLOCATEd */
#define FAKE_VMCI_ADDR (FAKE_VMCI_PAGE + 40)
#define FAKE_NOTE_GPA 0x20000ULL
#define FAKE_NOTE_SIZE 4132u /* Linux's VMCOREINFO_NOTE_SIZE */
#define FAKE_TEXT                                                                                  \
	"OSRELEASE=6.1.0-fake\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffffffff82a0a000\n"          \
	"NUMBER(phys_base)=0\nKERNELOFFSET=1e000000\n"

struct fake_guest {
	struct guest_mem gm;
	uint8_t *low, *high;
	struct dump_vcpu cpu[2];
	struct dump_source src;
	char dir[64];
};

static inline void fake_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t l,
			    uint8_t db)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xFFFFFFFF, .selector = sel, .type = type,
				   .present = 1, .dpl = 0, .db = db, .s = 1, .l = l, .g = 1 };
}

/* A Linux-style note page: header, "VMCOREINFO\0" padded, text, then zeros. */
static inline void fake_note_at(uint8_t *p, const char *name, uint32_t type, const char *text)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1, descsz = (uint32_t)strlen(text);

	memset(p, 0, FAKE_NOTE_SIZE);
	put_le32(p, namesz);
	put_le32(p + 4, descsz);
	put_le32(p + 8, type);
	memcpy(p + 12, name, namesz);
	memcpy(p + 12 + align_up(namesz, 4), text, descsz);
}

static inline void fake_publish(struct fake_guest *g, uint32_t version, uint64_t paddr, uint32_t size)
{
	uint8_t *hdr = g->low + FAKE_VMCI_ADDR;

	put_le32(hdr + VMCI_HDR_VERSION, version);
	put_le64(hdr + VMCI_HDR_PADDR, paddr);
	put_le32(hdr + VMCI_HDR_SIZE_OFF, size);
}

static inline void fake_init(struct fake_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->low = aligned_alloc(4096, FAKE_LOW_SIZE);
	g->high = aligned_alloc(4096, FAKE_HIGH_SIZE);
	memset(g->low, 0, FAKE_LOW_SIZE);
	memset(g->high, 0, FAKE_HIGH_SIZE);
	gm_add_region(&g->gm, 0, FAKE_LOW_SIZE, g->low);
	gm_add_region(&g->gm, FAKE_HIGH_GPA, FAKE_HIGH_SIZE, g->high);
	/* Data: page 1 of low RAM, pages 100..103 (a run), the last page of high RAM. */
	for (unsigned i = 0; i < 4096; i++) {
		g->low[4096 + i] = (uint8_t)(i * 7 + 1);
		g->high[FAKE_HIGH_SIZE - 4096 + i] = (uint8_t)(i ^ 0x5A);
	}
	memset(g->low + 100 * 4096, 0xC3, 4 * 4096);
	fake_note_at(g->low + FAKE_NOTE_GPA, VMCI_NOTE_NAME, 0, FAKE_TEXT);
	fake_publish(g, 0, FAKE_NOTE_GPA, FAKE_NOTE_SIZE);

	for (unsigned i = 0; i < 2; i++) {
		struct dump_vcpu *c = &g->cpu[i];
		uint64_t *r = (uint64_t *)&c->regs;

		/* rax..r15 = 0x1000*(i+1) + index, then rip, rflags. */
		for (unsigned k = 0; k < 16; k++)
			r[k] = 0x1000ULL * (i + 1) + k;
		c->regs.rip = 0xFFFFFFFF81000000ULL + i;
		c->regs.rflags = 0x246;
		fake_seg(&c->sregs.cs, 0x10, 11, 1, 0);
		fake_seg(&c->sregs.ds, 0x18, 3, 0, 1);
		fake_seg(&c->sregs.es, 0x18, 3, 0, 1);
		fake_seg(&c->sregs.ss, 0x18, 3, 0, 1);
		fake_seg(&c->sregs.fs, 0, 3, 0, 1);
		fake_seg(&c->sregs.gs, 0, 3, 0, 1);
		c->sregs.fs.base = 0x7F0000001000ULL + i;
		c->sregs.gs.base = 0xFFFF888000000000ULL + i;
		c->sregs.tr = (struct kvm_segment){ .base = 0xFFFFFE0000003000ULL, .limit = 0x4087,
						    .selector = 0x40, .type = 11, .present = 1 };
		c->sregs.ldt = (struct kvm_segment){ .unusable = 1 };
		c->sregs.gdt.base = 0xFFFFFE0000001000ULL;
		c->sregs.gdt.limit = 0x7F;
		c->sregs.idt.base = 0xFFFFFE0000000000ULL;
		c->sregs.idt.limit = 0xFFF;
		c->sregs.cr0 = 0x80050033;
		c->sregs.cr2 = 0xDEAD000 + i;
		c->sregs.cr3 = 0x1C0A000;
		c->sregs.cr4 = 0x3506F0;
		c->sregs.efer = 0xD01;
		c->kernel_gs_base = 0xFFFF88807DC00000ULL + i;
	}
	g->src = (struct dump_source){ .mem = &g->gm, .vcpus = g->cpu, .nr_vcpus = 2,
				       .vmcoreinfo_device = true, .vmcoreinfo_addr = FAKE_VMCI_ADDR };
	strcpy(g->dir, "/tmp/microvm-dump-XXXXXX");
	if (!mkdtemp(g->dir))
		abort();
}

/* Number of entries in the test directory (cores, temporaries). */
static inline unsigned fake_dir_entries(const struct fake_guest *g)
{
	DIR *d = opendir(g->dir);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static inline void fake_fini(struct fake_guest *g)
{
	DIR *d = opendir(g->dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", g->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(g->dir);
	free(g->low);
	free(g->high);
}

#endif
