/* SPDX-License-Identifier: MIT */
/*
 * reset, reset-triple: the VM resets and boots the guest again, with RAM
 * kept (as on QEMU and real hardware). The first boot leaves a marker in
 * RAM outside the image and resets; the next boot finds it, clears it and
 * passes. A VM that does not reset fails the first boot after a timeout; one
 * that wipes RAM or loops through resets never passes. The marker
 * helpers (reset.h) serve the other scenarios that span a reset.
 *
 * A reset also brings back the loaded images: the first boot overwrites two
 * canaries loaded with the image (one in .data, one in .rodata), and the
 * boot after the reset checks both hold their initial values again. A VMM
 * that keeps RAM but skips reloading the kernel fails there. Booted through
 * PVH, the first boot also dirties two pages of the image's memory that
 * lie past its file bytes (in .noinit, which the guest never clears), and
 * the next boot checks they read as zero: the loader zeroes a segment's
 * memsz on every load, whole pages by dropping them (vmm/guest_mem.c).
 *
 * Parameter (reset): fw_status=V writes V to microvm's firmware status port
 * (0x50C) at the start of every boot. The firmware's OK status disarmed the
 * port before the guest started, so the VM must carry on (on QEMU nothing
 * listens there).
 */
#include "firmware/boot_abi.h"
#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/reset.h"
#include "guest-images/testguest/scenarios.h"

#define RESET_MAGIC 0x52534554544d5654ull /* "TVMTTESR" */
#define RESET_WAIT_MS 3000
#define I8042_COMMAND 0x64
#define I8042_PULSE_RESET 0xFE /* pulse output line 0: CPU reset */

#define RESET_CANARY 0x434e52594d564d54ull /* "TMVMYRNC" */

/* Never written except by reset_via: volatile keeps the compiler from
 * folding their values into the checks. The .rodata one is writable only
 * because the test guest maps its whole image read-write. */
static volatile uint64_t canary_data = RESET_CANARY;
static const volatile uint64_t canary_rodata
	__attribute__((section(".rodata.reset_canary"))) = ~RESET_CANARY;

/* Past the file bytes of the PT_LOAD segment; entry.S clears .bss, never this. */
#define RESET_NOINIT_SIZE 8192
static volatile uint8_t noinit_pages[RESET_NOINIT_SIZE]
	__attribute__((section(".noinit"), aligned(4096)));

struct reset_marker {
	uint64_t magic;
	uint64_t tag; /* which scenario wrote it */
	uint64_t boots;
	uint64_t check; /* ~(magic ^ tag ^ boots) */
};

static volatile struct reset_marker *marker(const struct boot_info *bi)
{
	int in_ram = 0;

	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *m = &bi->mem[i];
		if (m->type == MEM_RAM && RESET_MARKER_ADDR >= m->addr &&
		    RESET_MARKER_ADDR + sizeof(struct reset_marker) <= m->addr + m->size)
			in_ram = 1;
	}
	if (!in_ram)
		fail(GUEST_EXIT_BOOT, "reset marker address 0x%llx is not RAM in the memory map",
		     RESET_MARKER_ADDR);
	return (volatile struct reset_marker *)(uintptr_t)RESET_MARKER_ADDR;
}

static uint64_t tag_of(const char *name)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	while (*name)
		h = (h ^ (uint8_t)*name++) * 1099511628211ull;
	return h;
}

int reset_marker_found(const struct boot_info *bi, const char *name)
{
	volatile struct reset_marker *m = marker(bi);
	uint64_t tag = tag_of(name), boots, mtag;

	if (m->magic != RESET_MAGIC || m->check != ~(m->magic ^ m->tag ^ m->boots))
		return 0;
	boots = m->boots;
	mtag = m->tag;
	m->magic = 0;
	m->check = 0;
	printf("reset: marker found at 0x%llx after %lu boot(s); cleared\n", RESET_MARKER_ADDR, boots);
	CHECK(mtag == tag, "the marker was left by %s", name);
	CHECK(boots == 1, "exactly one reset happened before this boot (%lu)", boots);
	CHECK(canary_data == RESET_CANARY && canary_rodata == ~RESET_CANARY,
	      "the image was reloaded by the reset (canaries .data 0x%lx, .rodata 0x%lx)",
	      canary_data, canary_rodata);
	if (bi->proto == BOOT_PROTO_PVH) {
		unsigned nonzero = 0;

		for (unsigned i = 0; i < RESET_NOINIT_SIZE; i++)
			nonzero += noinit_pages[i] != 0;
		CHECK(nonzero == 0, "the loader zeroed the segment's memory past its file bytes again "
		      "(%u of %u bytes at 0x%lx not zero)", nonzero, RESET_NOINIT_SIZE,
		      (unsigned long)(uintptr_t)noinit_pages);
	}
	return 1;
}

void reset_via(const struct boot_info *bi, const char *name, const char *how,
	       void (*trigger)(const void *arg), const void *arg)
{
	volatile struct reset_marker *m = marker(bi);
	uint64_t tag = tag_of(name);

	m->magic = RESET_MAGIC;
	m->tag = tag;
	m->boots = 1;
	m->check = ~(RESET_MAGIC ^ tag ^ 1);
	canary_data = 0;
	*(volatile uint64_t *)(uintptr_t)&canary_rodata = 0;
	for (unsigned i = 0; i < RESET_NOINIT_SIZE; i++)
		noinit_pages[i] = (uint8_t)(i | 1);
	printf("reset: first boot; marker written at 0x%llx; resetting via %s\n", RESET_MARKER_ADDR,
	       how);
	trigger(arg);
	delay_us(RESET_WAIT_MS * 1000ull);
	fail(GUEST_EXIT_STUCK, "still running %u ms after the reset via %s", RESET_WAIT_MS, how);
}

void reset_trigger_i8042(const void *unused)
{
	(void)unused;
	outb(I8042_COMMAND, I8042_PULSE_RESET);
}

static void trigger_triple_fault(const void *unused)
{
	(void)unused;
	/* #UD with an empty IDT: #GP, then #DF, then shutdown (SDM Vol. 3A
	 * §6.15, interrupt 8). int3 would not do: this host's CPL0 emulator
	 * rejects it. */
	cpu_load_empty_idt();
	__asm__ volatile("ud2");
}

/* Returns on the second boot (marker found and cleared); resets on the
 * first. */
static void reset_once(const struct boot_info *bi, const char *name, const char *how,
		       void (*trigger)(const void *arg))
{
	if (!reset_marker_found(bi, name))
		reset_via(bi, name, how, trigger, NULL);
}

void scn_reset(const struct boot_info *bi)
{
	uint64_t v;

	if (cmdline_size(bi, "fw_status", &v)) {
		printf("reset: writing 0x%02x to the firmware status port 0x%x\n", (unsigned)(v & 0xff),
		       MVBOOT_STATUS_PORT);
		outb(MVBOOT_STATUS_PORT, (uint8_t)v);
	}
	reset_once(bi, "reset", "the i8042 (0xFE to port 0x64)", reset_trigger_i8042);
}

void scn_reset_triple(const struct boot_info *bi)
{
	reset_once(bi, "reset-triple", "a triple fault", trigger_triple_fault);
}
