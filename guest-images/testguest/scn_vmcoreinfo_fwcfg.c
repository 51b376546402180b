/* SPDX-License-Identifier: MIT */
/*
 * vmcoreinfo-fwcfg, vmcoreinfo-fwcfg-reset: play a stock Linux kernel's part
 * of QEMU's fw_cfg vmcoreinfo protocol (microvm --vmcoreinfo=fwcfg, or QEMU
 * -device vmcoreinfo; shared/DESIGN.md §6, docs/vmcoreinfo.md), then panic
 * through pvpanic like the vmcoreinfo scenario.
 *
 * 1. Find the 16-byte fw_cfg file "etc/vmcoreinfo" and read it: the host
 *    offers format ELF (host_format 1), nothing is published yet.
 * 2. Build the VMCOREINFO note and write the record {host_format 0,
 *    guest_format 1, size, paddr} with one DMA SELECT|WRITE, exactly as
 *    Linux's qemu_fw_cfg driver does at probe, and read it back.
 * 3. Fill memory, load known registers, write PANICKED to port 0x505.
 *
 * vmci=WHAT for the cases the VMM must refuse: format0 (guest_format NONE),
 * format2 (an unknown format), partial (only the first 8 bytes written),
 * paddr-beyond-ram, size2m, nopublish. vmcoreinfo-fwcfg-reset publishes,
 * resets through the i8042, checks the record is empty again and panics
 * without publishing (vmci=republish: publishing again first).
 */
#include "guest-images/testguest/fwcfg.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/reset.h"
#include "guest-images/testguest/scenarios.h"
#include "guest-images/testguest/vmci.h"
#include "vmm/util.h"

#define VMCI_FILE "etc/vmcoreinfo"
#define REC_SIZE 16 /* {le16 host_format; le16 guest_format; le32 size; le64 paddr} */
#define FORMAT_NONE 0
#define FORMAT_ELF 1
#define BEYOND_RAM_PADDR 0x4000000000ull /* 256 GiB */
#define SIZE_2M 0x200000u

static uint16_t find_record(void)
{
	struct fwcfg_file f;
	uint8_t rec[REC_SIZE];
	static const uint8_t zero[REC_SIZE - 2];

	CHECK(fwcfg_find_file(VMCI_FILE, &f), "fw_cfg has %s (run with --vmcoreinfo=fwcfg)",
	      VMCI_FILE);
	CHECK(f.size == REC_SIZE, "%s is %u bytes (expected %u)", VMCI_FILE, f.size, REC_SIZE);
	CHECK(fwcfg_dma_read(f.key, rec, REC_SIZE) == 0, "%s reads through DMA", VMCI_FILE);
	CHECK(get_le16(rec) == FORMAT_ELF, "the host offers format ELF (host_format %u)",
	      get_le16(rec));
	CHECK(!memcmp(rec + 2, zero, sizeof(zero)),
	      "nothing published since power-on or the last reset (guest_format %u, size %u, paddr 0x%lx)",
	      get_le16(rec + 2), get_le32(rec + 4), get_le64(rec + 8));
	return f.key;
}

uint64_t vmci_publish_fwcfg(const struct boot_info *bi, const char *how)
{
	uint16_t key = find_record();
	uint8_t rec[REC_SIZE], back[REC_SIZE];
	char marker[64] = "testguest";
	uint16_t format = FORMAT_ELF;
	uint64_t paddr = VMCI_NOTE_ADDR;
	uint32_t size, len = REC_SIZE;

	cmdline_get(bi, "marker", marker, sizeof(marker));
	CHECK(ram_covers(bi, VMCI_NOTE_ADDR, VMCI_NOTE_MAX), "the note's place 0x%llx is RAM",
	      VMCI_NOTE_ADDR);
	size = vmci_build_note(marker, 0);
	if (!strcmp(how, "format0"))
		format = FORMAT_NONE;
	else if (!strcmp(how, "format2"))
		format = 2;
	else if (!strcmp(how, "paddr-beyond-ram"))
		paddr = BEYOND_RAM_PADDR;
	else if (!strcmp(how, "size2m"))
		size = SIZE_2M;
	else if (!strcmp(how, "partial"))
		len = 8;

	put_le16(rec, 0); /* Linux leaves host_format 0 */
	put_le16(rec + 2, format);
	put_le32(rec + 4, size);
	put_le64(rec + 8, paddr);
	CHECK(fwcfg_dma(FWCFG_DMA_KEY(key) | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE, len,
			(uintptr_t)rec) == 0,
	      "a %u-byte DMA WRITE to %s succeeds", len, VMCI_FILE);
	CHECK(fwcfg_dma_read(key, back, REC_SIZE) == 0 && !memcmp(back, rec, len),
	      "%s reads back what was written", VMCI_FILE);
	printf("vmcoreinfo: published format %u paddr 0x%lx size %u (%u bytes written) marker %s\n",
	       format, paddr, size, len, marker);
	return paddr;
}

static void vmci_mode(const struct boot_info *bi, char *how, unsigned size)
{
	static const char *const known[] = { "normal",		 "format0", "format2",	 "partial",
					     "paddr-beyond-ram", "size2m",  "nopublish", "republish" };

	if (!cmdline_get(bi, "vmci", how, size))
		memcpy(how, "normal", 7);
	for (unsigned i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(how, known[i]))
			return;
	fail(GUEST_EXIT_USAGE, "vmci=%s: unknown (format0, format2, partial, paddr-beyond-ram, "
			       "size2m, nopublish, republish)", how);
}

void scn_vmcoreinfo_fwcfg(const struct boot_info *bi)
{
	char how[24];

	vmci_mode(bi, how, sizeof(how));
	vmci_fill_memory(bi);
	if (strcmp(how, "nopublish"))
		vmci_publish_fwcfg(bi, how);
	else
		printf("vmcoreinfo: not publishing (vmci=nopublish)\n");
	vmci_panic_now();
}

void scn_vmcoreinfo_fwcfg_reset(const struct boot_info *bi)
{
	char how[24];

	vmci_mode(bi, how, sizeof(how));
	if (!reset_marker_found(bi, "vmcoreinfo-fwcfg-reset")) {
		vmci_publish_fwcfg(bi, "normal");
		reset_via(bi, "vmcoreinfo-fwcfg-reset", "the i8042 (0xFE to port 0x64)",
			  reset_trigger_i8042, NULL);
	}
	vmci_fill_memory(bi);
	if (!strcmp(how, "republish")) {
		vmci_publish_fwcfg(bi, "normal");
	} else {
		find_record(); /* the reset must have emptied it */
		printf("vmcoreinfo: second boot: panicking without publishing again\n");
	}
	vmci_panic_now();
}
