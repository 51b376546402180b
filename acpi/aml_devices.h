/* SPDX-License-Identifier: MIT */
/*
 * Ready-made AML for microvm's devices, so a device's `acpi` op is one call:
 *
 *   acpi_ctx_append_sb(ctx, acpi_aml_serial(acpi_ctx_arena(ctx), 0, 0x3F8, 4));
 *
 * Each returns a Device node (or, for vmcoreinfo, an SSDT body) in arena a;
 * errors are recorded in the arena like every AML constructor.
 */
#ifndef MICROVM_ACPI_AML_DEVICES_H
#define MICROVM_ACPI_AML_DEVICES_H

#include <stdint.h>

struct aml;
struct aml_arena;

/* Device (COMn) { _HID PNP0501, _UID n, _STA 0x0F, _CRS IO(port, 8) + IRQNoFlags {irq} }; index 0 = COM1. */
struct aml *acpi_aml_serial(struct aml_arena *a, unsigned index, uint16_t port, unsigned irq);

/* Device (FWCF) { _HID "QEMU0002", _STA 0x0B, _CRS IO(port, len) } (DESIGN.md §4). */
struct aml *acpi_aml_fwcfg(struct aml_arena *a, uint16_t port, uint8_t len);

/* Device (PEVT) { _HID "QEMU0001", _STA 0x0F, _CRS IO(port, 1) } (DESIGN.md §7). */
struct aml *acpi_aml_pvpanic(struct aml_arena *a, uint16_t port);

/*
 * Device (GED) { _HID "ACPI0013", _CRS Interrupt (Level, ActiveHigh) {gsi},
 * the DWord event selector ESEL at SystemIO port, _EVT: read ESEL and, if
 * pwrb_event is set in it, Notify (\_SB.PWRB, 0x80) } (devices/ged.c).
 */
struct aml *acpi_aml_ged(struct aml_arena *a, uint16_t port, uint32_t gsi, uint32_t pwrb_event);
/* Device (PWRB) { _HID "PNP0C0C" }: the power button GED's _EVT notifies. */
struct aml *acpi_aml_power_button(struct aml_arena *a);
/* Notify value of a power button press (ACPI 6.4 §4.8.2.2.1, §5.6.6). */
#define ACPI_NOTIFY_BUTTON 0x80

/* Name (_S5, Package () { 5, 0, 0, 0 }): SLP_TYP 5 for the hardware-reduced sleep register. */
struct aml *acpi_aml_s5(struct aml_arena *a);
#define ACPI_SLP_TYP_S5 5

/* Device (Cxxx) { _HID "ACPI0007", _UID i } for each vCPU; UIDs match the MADT. */
struct aml *acpi_aml_cpus(struct aml_arena *a, unsigned nr_cpus);

/*
 * The vmcoreinfo SSDT body (DESIGN.md §6):
 *   Name (VCIA, 0)          DWord patch point ACPI_VMCOREINFO_LABEL
 *   Scope (\_SB) { Device (VMCI) { _HID "QEMUVMCI", _STA, ADDR } }
 * The owner adds it with acpi_ctx_add_ssdt(ctx, ACPI_VMCOREINFO_OEM_TABLE_ID, ...)
 * and points ADD_POINTER(size 4) at the patch point's offset.
 */
struct aml *acpi_aml_vmcoreinfo(struct aml_arena *a);
#define ACPI_VMCOREINFO_OEM_TABLE_ID "VMCOREIN"
#define ACPI_VMCOREINFO_LABEL "VCIA"
#define ACPI_VMCOREINFO_ADDR_OFFSET 40 /* ADDR returns VCIA + 40 */

#endif
