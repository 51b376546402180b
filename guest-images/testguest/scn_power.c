/* SPDX-License-Identifier: MIT */
/*
 * poweroff, acpi-reset: what an OS does on a hardware-reduced ACPI platform
 * (ACPI 6.4 §4.1, §4.8.3.6-7, §7.4.2), with the registers taken from the
 * FADT, as Linux takes them.
 *
 * poweroff writes (SLP_TYP << 2) | SLP_EN to SLEEP_CONTROL_REG, SLP_TYP from
 * the DSDT's \_S5 (5 if it cannot be parsed simply): the VMM must end (QEMU
 * -no-reboot and microvm exit with status 0); a run that goes on fails.
 * acpi-reset writes RESET_VALUE to RESET_REG once; the next boot finds the
 * marker and passes.
 *
 * Parameter: slp_typ=N writes SLP_TYP N instead (a state the platform does
 * not offer must not end the VM: the run then fails with 0x73).
 */
#include "guest-images/testguest/acpi.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/reset.h"
#include "guest-images/testguest/scenarios.h"

#define POWEROFF_WAIT_MS 3000
#define SLP_TYP_S5_DEFAULT 5

static const uint8_t *phys(uint64_t addr)
{
	return (const uint8_t *)(uintptr_t)addr;
}

static void print_gas(const char *what, const uint8_t *g)
{
	printf("%s: space %u, %u bits at offset %u, access size %u, address 0x%lx\n", what, g[0], g[1],
	       g[2], g[3], get_le64(g + 4));
}

/* The FADT, checked for what both scenarios need. */
static const uint8_t *hw_reduced_fadt(const struct boot_info *bi)
{
	uint64_t fadt = acpi_find_table(acpi_find_rsdp(bi), "FACP");
	const uint8_t *f = phys(fadt);

	CHECK(fadt, "there is a FADT");
	CHECK(get_le32(f + 4) >= FADT_MIN_LEN, "the FADT (%u bytes) has the sleep registers",
	      get_le32(f + 4));
	CHECK(get_le32(f + FADT_FLAGS) & FADT_F_HW_REDUCED_ACPI, "the FADT is hardware-reduced (flags 0x%x)",
	      get_le32(f + FADT_FLAGS));
	return f;
}

void scn_poweroff(const struct boot_info *bi)
{
	const uint8_t *f = hw_reduced_fadt(bi);
	const uint8_t *gas = f + FADT_SLEEP_CONTROL_REG;
	int typ = acpi_s5_slp_typ(get_le64(f + FADT_X_DSDT));
	uint8_t v;

	uint64_t forced;

	if (typ < 0) {
		printf("poweroff: no simple \\_S5 package in the DSDT; SLP_TYP %d\n", SLP_TYP_S5_DEFAULT);
		typ = SLP_TYP_S5_DEFAULT;
	}
	if (cmdline_size(bi, "slp_typ", &forced)) /* a negative test: another sleep state */
		typ = (int)(forced & 7);
	v = (uint8_t)(((unsigned)typ & 7) << ACPI_SLP_TYP_SHIFT | ACPI_SLP_EN);
	print_gas("poweroff: SLEEP_CONTROL_REG", gas);
	CHECK(get_le64(gas + 4), "SLEEP_CONTROL_REG has an address");
	printf("poweroff: writing 0x%x (SLP_TYP %d | SLP_EN)\n", v, typ);
	CHECK(acpi_gas_write(gas, v) == 0, "SLEEP_CONTROL_REG is SystemIO or SystemMemory, 8..32 bits");
	delay_us(POWEROFF_WAIT_MS * 1000ull);
	fail(GUEST_EXIT_STUCK, "still running %u ms after the S5 write", POWEROFF_WAIT_MS);
}

static void trigger_reset_reg(const void *arg)
{
	const uint8_t *f = arg;

	if (acpi_gas_write(f + FADT_RESET_REG, f[FADT_RESET_VALUE]))
		fail(GUEST_EXIT_USAGE, "RESET_REG is neither SystemIO nor SystemMemory of 8..32 bits");
}

void scn_acpi_reset(const struct boot_info *bi)
{
	const uint8_t *f;

	if (reset_marker_found(bi, "acpi-reset"))
		return;
	f = hw_reduced_fadt(bi);
	CHECK(get_le32(f + FADT_FLAGS) & FADT_F_RESET_REG_SUP, "the FADT has RESET_REG_SUP");
	print_gas("acpi-reset: RESET_REG", f + FADT_RESET_REG);
	printf("acpi-reset: RESET_VALUE 0x%x\n", f[FADT_RESET_VALUE]);
	CHECK(get_le64(f + FADT_RESET_REG + 4), "RESET_REG has an address");
	reset_via(bi, "acpi-reset", "the FADT RESET_REG", trigger_reset_reg, f);
}
