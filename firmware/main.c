/* SPDX-License-Identifier: MIT */
/*
 * microvm's firmware: run the ACPI linker/loader over fw_cfg, hand the RSDP
 * to the kernel's boot structure and jump to the kernel (firmware/boot_abi.h).
 * Every instruction here is emulated on hosts without VMX/SVM (~1 us each),
 * so the path is short: a handful of DMA transfers and the loader commands.
 */
#include <stdbool.h>
#include <stdint.h>

#include "firmware/boot_abi.h"
#include "firmware/console.h"
#include "firmware/fw_info.h"
#include "firmware/fw_layout.h"
#include "firmware/fwcfg_io.h"
#include "firmware/io.h"
#include "firmware/loader_exec.h"
#include "vmm/layout.h"

_Static_assert(FW_BASE == LAYOUT_FIRMWARE, "firmware link address differs from vmm/layout.h");
_Static_assert(FW_MAX == LAYOUT_FIRMWARE_MAX, "firmware size limit differs from vmm/layout.h");
_Static_assert(FW_STACK_TOP == LAYOUT_FIRMWARE_STACK, "firmware stack differs from vmm/layout.h");

#define FW_LOADER_MAX (128 * LOADER_ENTRY_SIZE) /* 128 commands; QEMU's pc uses ~30 */
#define FW_E820_MAX (64 * FWINFO_E820_ENTRY_SIZE)

#define TABLE_LOADER "etc/table-loader"
#define E820_FILE "etc/e820"

void fw_main(void);
void fw_jump(uint32_t entry, uint32_t esi, uint32_t ebx) __attribute__((noreturn));

static uint8_t loader_blob[FW_LOADER_MAX] __attribute__((section(".noinit")));
static uint8_t e820_buf[FW_E820_MAX] __attribute__((section(".noinit")));
static uint8_t boot_buf[MVBOOT_SIZE] __attribute__((section(".noinit")));
static struct loader ldr __attribute__((section(".noinit")));

static void msg(const char *s)
{
	con_puts("microvm firmware: ");
	con_puts(s);
}

/* Report, tell the VMM why through the status port, and stop. */
static void __attribute__((noreturn)) die(uint8_t status, const char *why)
{
	msg(why);
	con_puts("\n");
	outb(MVBOOT_STATUS_PORT, status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- loader ops: fw_cfg DMA and identity-mapped memory below 4 GiB ---- */

static int op_find(void *ctx, const char *name, uint16_t *key, uint32_t *size)
{
	return fwio_find(name, key, size);
}

static int op_load(void *ctx, uint16_t key, uint64_t addr, uint32_t size)
{
	return fwio_read(key, addr, size);
}

static int op_write(void *ctx, uint16_t key, uint32_t offset, const void *src, uint32_t len)
{
	return fwio_write(key, offset, src, len);
}

static void *op_mem(void *ctx, uint64_t addr, uint64_t len)
{
	/* Paging is off: physical is virtual, and only the low 4 GiB are reachable. */
	if (addr == 0 || addr > 0xFFFFFFFFull || len > 0x100000000ull - addr)
		return 0;
	return (void *)(uintptr_t)addr;
}

static void op_skipped(void *ctx, unsigned index, uint32_t command)
{
	msg(TABLE_LOADER " command ");
	con_dec(index);
	con_puts(": skipped unknown command ");
	con_hex(command);
	con_puts("\n");
}

static const struct loader_ops fw_loader_ops = {
	.find = op_find,
	.load = op_load,
	.write = op_write,
	.mem = op_mem,
	.skipped = op_skipped,
};

/* ---- steps ---- */

static void read_boot_info(struct fwinfo_boot *b)
{
	const char *err;
	uint32_t size;
	uint16_t key;

	if (fwio_find(MVBOOT_FILE, &key, &size))
		die(MVBOOT_STATUS_BOOT, "no fw_cfg file " MVBOOT_FILE);
	if (size != MVBOOT_SIZE || fwio_read(key, (uintptr_t)boot_buf, MVBOOT_SIZE))
		die(MVBOOT_STATUS_BOOT, "cannot read " MVBOOT_FILE " (32 bytes)");
	err = fwinfo_parse_boot(boot_buf, MVBOOT_SIZE, b);
	if (err)
		die(MVBOOT_STATUS_BOOT, err);
}

/* The HIGH zone, or an empty one (allocations there then fail with a clear message). */
static void high_zone(uint64_t *start, uint64_t *end)
{
	const char *err = "no fw_cfg file " E820_FILE;
	uint32_t size;
	uint16_t key;

	*start = *end = 0;
	if (fwio_find(E820_FILE, &key, &size) == 0) {
		if (size > FW_E820_MAX || fwio_read(key, (uintptr_t)e820_buf, size))
			err = "cannot read " E820_FILE;
		else
			err = fwinfo_high_zone(e820_buf, size, start, end);
	}
	if (err) {
		msg(err);
		con_puts("; no HIGH zone\n");
	}
}

static void loader_failed(uint32_t size)
{
	if (ldr.err_index == LOADER_INDEX_BLOB) {
		/* Nothing ran: the script as a whole is malformed. */
		msg(TABLE_LOADER ": ");
		con_puts(loader_strerror(ldr.err));
		con_puts(" (");
		con_dec(size);
		con_puts(" bytes)");
	} else {
		msg(TABLE_LOADER " command ");
		con_dec(ldr.err_index);
		con_puts(" (");
		con_puts(loader_command_name(ldr.err_command));
		con_puts("): ");
		con_puts(loader_strerror(ldr.err));
	}
	if (ldr.err_name) {
		con_puts(": ");
		con_puts(ldr.err_name);
	}
	con_puts("\n");
	outb(MVBOOT_STATUS_PORT, MVBOOT_STATUS_LOADER);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Run etc/table-loader; the RSDP address, or 0 when the VMM provides no ACPI. */
static uint64_t run_loader(void)
{
	uint64_t hs, he, rsdp;
	uint32_t size;
	uint16_t key;

	if (fwio_find(TABLE_LOADER, &key, &size)) {
		msg("no " TABLE_LOADER ": booting without ACPI tables\n");
		return 0;
	}
	if (size > FW_LOADER_MAX)
		die(MVBOOT_STATUS_LOADER, TABLE_LOADER " is larger than 128 commands");
	if (fwio_read(key, (uintptr_t)loader_blob, size))
		die(MVBOOT_STATUS_LOADER, "cannot read " TABLE_LOADER);
	high_zone(&hs, &he);
	loader_init(&ldr, &fw_loader_ops, 0, hs, he, LAYOUT_FSEG, LAYOUT_RESET_STUB);
	if (loader_run(&ldr, loader_blob, size))
		loader_failed(size);
	rsdp = loader_find_rsdp(&ldr);
	if (!rsdp)
		die(MVBOOT_STATUS_LOADER, TABLE_LOADER " placed no valid RSDP in the FSEG zone");
	return rsdp;
}

void fw_main(void)
{
	struct fwinfo_boot boot;
	volatile uint32_t *field;
	uint64_t rsdp;

	if (!fwio_present())
		die(MVBOOT_STATUS_NO_FWCFG, "no fw_cfg signature \"QEMU\" at port 0x510");
	if (!fwio_has_dma())
		die(MVBOOT_STATUS_NO_FWCFG, "fw_cfg without the DMA interface (ID bit 1)");
	if (fwio_load_dir())
		die(MVBOOT_STATUS_NO_FWCFG, "cannot read the fw_cfg file directory");
	read_boot_info(&boot);
	rsdp = run_loader();

	/* The u64 RSDP field of boot_params (0x070) or hvm_start_info (32). */
	field = (volatile uint32_t *)(uintptr_t)(boot.boot_struct + boot.rsdp_field);
	field[0] = (uint32_t)rsdp;
	field[1] = (uint32_t)(rsdp >> 32);

	if (boot.flags & MVBOOT_FLAG_VERBOSE) {
		msg("ACPI RSDP at ");
		con_hex(rsdp);
		con_puts(", entering the kernel at ");
		con_hex(boot.entry);
		con_puts("\n");
	}
	outb(MVBOOT_STATUS_PORT, MVBOOT_STATUS_OK);
	if (boot.proto == MVBOOT_LINUX)
		fw_jump(boot.entry, boot.boot_struct, 0);
	fw_jump(boot.entry, 0, boot.boot_struct);
}
