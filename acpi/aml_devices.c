/* SPDX-License-Identifier: MIT */
/*
 * AML of microvm's devices. Shapes follow what QEMU emits for the same
 * devices, because guest drivers were written against QEMU.
 */
#include "acpi/aml_devices.h"

#include <errno.h>
#include <stdio.h>

#include "acpi/aml.h"
#include "acpi/aml_internal.h"

/* _STA bits (§6.3.7): present, enabled, shown in UI, functioning. */
#define ACPI_STA_PRESENT 0x01
#define ACPI_STA_ENABLED 0x02
#define ACPI_STA_SHOWN 0x04
#define ACPI_STA_FUNCTIONING 0x08
#define ACPI_STA_ALL 0x0F

/*
 * Device (COM1) {
 *     Name (_HID, EisaId ("PNP0501"))
 *     Name (_UID, One)
 *     Name (_STA, 0x0F)
 *     Name (_CRS, ResourceTemplate () {
 *         IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)
 *         IRQNoFlags () {4}
 *     })
 * }
 */
struct aml *acpi_aml_serial(struct aml_arena *a, unsigned index, uint16_t port, unsigned irq)
{
	struct aml *dev, *crs;
	char name[8];

	if (index > 8) {
		aml_fail(a, -EINVAL, "serial port index %u (0-8)", index);
		return aml_body(a);
	}
	snprintf(name, sizeof(name), "COM%u", index + 1);
	dev = aml_device(a, name);
	aml_append(dev, aml_name_decl(a, "_HID", aml_eisaid(a, "PNP0501")));
	aml_append(dev, aml_name_decl(a, "_UID", aml_int(a, index + 1)));
	aml_append(dev, aml_name_decl(a, "_STA", aml_int(a, ACPI_STA_ALL)));
	crs = aml_resource_template(a);
	aml_append(crs, aml_io(a, true, port, port, 0, 8));
	aml_append(crs, aml_irq_no_flags(a, irq));
	aml_append(dev, aml_name_decl(a, "_CRS", crs));
	return dev;
}

/*
 * Device (FWCF) {
 *     Name (_HID, "QEMU0002")
 *     Name (_STA, 0x0B)          // present, enabled, functioning; hidden from UI
 *     Name (_CRS, ResourceTemplate () { IO (Decode16, 0x0510, 0x0510, 0x01, 0x0C) })
 * }
 */
struct aml *acpi_aml_fwcfg(struct aml_arena *a, uint16_t port, uint8_t len)
{
	struct aml *dev = aml_device(a, "FWCF"), *crs;

	aml_append(dev, aml_name_decl(a, "_HID", aml_string(a, "QEMU0002")));
	aml_append(dev, aml_name_decl(a, "_STA", aml_int(a, ACPI_STA_PRESENT | ACPI_STA_ENABLED |
								  ACPI_STA_FUNCTIONING)));
	crs = aml_resource_template(a);
	aml_append(crs, aml_io(a, true, port, port, 1, len));
	aml_append(dev, aml_name_decl(a, "_CRS", crs));
	return dev;
}

/*
 * Device (PEVT) {
 *     Name (_HID, "QEMU0001")
 *     Name (_CRS, ResourceTemplate () { IO (Decode16, 0x0505, 0x0505, 0x01, 0x01) })
 *     Name (_STA, 0x0F)
 * }
 */
struct aml *acpi_aml_pvpanic(struct aml_arena *a, uint16_t port)
{
	struct aml *dev = aml_device(a, "PEVT"), *crs;

	aml_append(dev, aml_name_decl(a, "_HID", aml_string(a, "QEMU0001")));
	crs = aml_resource_template(a);
	aml_append(crs, aml_io(a, true, port, port, 1, 1));
	aml_append(dev, aml_name_decl(a, "_CRS", crs));
	aml_append(dev, aml_name_decl(a, "_STA", aml_int(a, ACPI_STA_ALL)));
	return dev;
}

/*
 * The Generic Event Device (§5.6.9) of a hardware-reduced platform, its
 * event selector a DWord at port `port` (here as devices/ged.c asks: port
 * 0x610, GSI 9, power button event 0x02):
 *
 * Device (GED) {
 *     Name (_HID, "ACPI0013")
 *     Name (_CRS, ResourceTemplate () {
 *         Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { 9 }
 *     })
 *     OperationRegion (EREG, SystemIO, 0x0610, 0x04)
 *     Field (EREG, DWordAcc, NoLock, WriteAsZeros) { ESEL, 32 }
 *     Method (_EVT, 1, Serialized) {          // Arg0: the GSI
 *         Local0 = ESEL                       // reading clears the events
 *         If ((Local0 & 0x02) == 0x02) { Notify (\_SB.PWRB, 0x80) }
 *     }
 * }
 *
 * _CRS holds the interrupt only: Linux's GED driver refuses any other
 * resource there, so the selector port appears in the OperationRegion alone.
 */
struct aml *acpi_aml_ged(struct aml_arena *a, uint16_t port, uint32_t gsi, uint32_t pwrb_event)
{
	static const struct aml_field_unit esel = { "ESEL", 32 };
	static const unsigned irq_flags = AML_IRQ_LEVEL | AML_IRQ_ACTIVE_HIGH | AML_IRQ_EXCLUSIVE;
	static const unsigned field_flags = AML_FIELD_DWORD_ACC | AML_FIELD_WRITE_AS_ZEROS;
	struct aml *dev = aml_device(a, "GED"), *crs, *evt, *pwrb;

	aml_append(dev, aml_name_decl(a, "_HID", aml_string(a, "ACPI0013")));
	crs = aml_resource_template(a);
	aml_append(crs, aml_interrupt(a, true, irq_flags, &gsi, 1));
	aml_append(dev, aml_name_decl(a, "_CRS", crs));
	aml_append(dev, aml_operation_region(a, "EREG", AML_SYSTEM_IO, aml_int(a, port),
					     aml_int(a, 4)));
	aml_append(dev, aml_field(a, "EREG", field_flags, &esel, 1));
	evt = aml_method(a, "_EVT", 1, true);
	aml_append(evt, aml_store(a, aml_name(a, "ESEL"), aml_local(a, 0)));
	pwrb = aml_if(a, aml_lequal(a, aml_and(a, aml_local(a, 0), aml_int(a, pwrb_event), NULL),
				    aml_int(a, pwrb_event)));
	aml_append(pwrb, aml_notify(a, aml_name(a, "\\_SB.PWRB"), aml_int(a, ACPI_NOTIFY_BUTTON)));
	aml_append(evt, pwrb);
	aml_append(dev, evt);
	return dev;
}

/* Device (PWRB) { Name (_HID, "PNP0C0C") }: the control-method power button (§4.8.2.2.1). */
struct aml *acpi_aml_power_button(struct aml_arena *a)
{
	struct aml *dev = aml_device(a, "PWRB");

	aml_append(dev, aml_name_decl(a, "_HID", aml_string(a, "PNP0C0C")));
	return dev;
}

/* Name (_S5, Package (0x04) { 0x05, Zero, Zero, Zero }) -- §7.4.2 \_Sx system states */
struct aml *acpi_aml_s5(struct aml_arena *a)
{
	struct aml *pkg = aml_package(a);

	aml_append(pkg, aml_int(a, ACPI_SLP_TYP_S5)); /* SLP_TYPa */
	aml_append(pkg, aml_int(a, 0));		      /* SLP_TYPb */
	aml_append(pkg, aml_int(a, 0));		      /* reserved */
	aml_append(pkg, aml_int(a, 0));
	return aml_name_decl(a, "_S5", pkg);
}

/*
 * Scope-less list of processor devices (§8.4 Declaring Processors):
 *   Device (C000) { Name (_HID, "ACPI0007") Name (_UID, Zero) } ...
 * The _UID equals the MADT Processor Local APIC entry's ACPI Processor UID.
 */
struct aml *acpi_aml_cpus(struct aml_arena *a, unsigned nr_cpus)
{
	struct aml *list = aml_body(a);
	char name[8];

	if (nr_cpus > 0xFFF) {
		aml_fail(a, -EINVAL, "%u processors do not fit Cxxx names", nr_cpus);
		return list;
	}
	for (unsigned i = 0; i < nr_cpus; i++) {
		struct aml *dev;

		snprintf(name, sizeof(name), "C%03X", i);
		dev = aml_device(a, name);
		aml_append(dev, aml_name_decl(a, "_HID", aml_string(a, "ACPI0007")));
		aml_append(dev, aml_name_decl(a, "_UID", aml_int(a, i)));
		aml_append(list, dev);
	}
	return list;
}

/*
 * Name (VCIA, 0x00000000)                  // DWordConst, patched by ADD_POINTER
 * Scope (\_SB) {
 *     Device (VMCI) {
 *         Name (_HID, "QEMUVMCI")
 *         Method (_STA, 0, NotSerialized) {
 *             If (LEqual (\VCIA, Zero)) { Return (Zero) }
 *             Return (0x0F)
 *         }
 *         Method (ADDR, 0, NotSerialized) {   // { low, high } of the page + 40
 *             Store (Package (0x02) { Zero, Zero }, Local0)
 *             Store (Add (\VCIA, 0x28, ), Index (Local0, Zero, ))
 *             Return (Local0)
 *         }
 *     }
 * }
 */
struct aml *acpi_aml_vmcoreinfo(struct aml_arena *a)
{
	struct aml *body = aml_body(a), *sb, *dev, *sta, *ifz, *addr, *pkg;

	aml_append(body, aml_name_decl(a, "VCIA", aml_patch_dword(a, 0, ACPI_VMCOREINFO_LABEL)));
	dev = aml_device(a, "VMCI");
	aml_append(dev, aml_name_decl(a, "_HID", aml_string(a, "QEMUVMCI")));

	sta = aml_method(a, "_STA", 0, false);
	ifz = aml_if(a, aml_lequal(a, aml_name(a, "\\VCIA"), aml_int(a, 0)));
	aml_append(ifz, aml_return(a, aml_int(a, 0)));
	aml_append(sta, ifz);
	aml_append(sta, aml_return(a, aml_int(a, ACPI_STA_ALL)));
	aml_append(dev, sta);

	addr = aml_method(a, "ADDR", 0, false);
	pkg = aml_package(a);
	aml_append(pkg, aml_int(a, 0));
	aml_append(pkg, aml_int(a, 0));
	aml_append(addr, aml_store(a, pkg, aml_local(a, 0)));
	aml_append(addr, aml_store(a,
				   aml_add(a, aml_name(a, "\\VCIA"),
					   aml_int(a, ACPI_VMCOREINFO_ADDR_OFFSET), NULL),
				   aml_index(a, aml_local(a, 0), aml_int(a, 0))));
	aml_append(addr, aml_return(a, aml_local(a, 0)));
	aml_append(dev, addr);

	sb = aml_scope(a, "\\_SB");
	aml_append(sb, dev);
	aml_append(body, sb);
	return body;
}
