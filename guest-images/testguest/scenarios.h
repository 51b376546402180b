/* SPDX-License-Identifier: MIT */
/*
 * Test scenarios, selected with test=NAME on the command line. A scenario
 * returns to pass; it fails through CHECK()/fail(), which end the run.
 * Adding one: write the function (a new scn_*.c file is picked up by the
 * build), declare it here, add a line to the table in main.c.
 */
#ifndef TESTGUEST_SCENARIOS_H
#define TESTGUEST_SCENARIOS_H

#include "guest-images/testguest/boot.h"

struct scenario {
	const char *name;
	void (*run)(const struct boot_info *bi);
	const char *description;
};

void scn_hello(const struct boot_info *bi);
void scn_memmap(const struct boot_info *bi);
void scn_cpl3(const struct boot_info *bi);
void scn_smp(const struct boot_info *bi);
void scn_reset(const struct boot_info *bi);
void scn_reset_triple(const struct boot_info *bi);
void scn_selftest(const struct boot_info *bi);
void scn_trap(const struct boot_info *bi);
void scn_fwcfg(const struct boot_info *bi);
void scn_vmcoreinfo(const struct boot_info *bi);
void scn_vmcoreinfo_reset(const struct boot_info *bi);
void scn_vmcoreinfo_fwcfg(const struct boot_info *bi);
void scn_vmcoreinfo_fwcfg_reset(const struct boot_info *bi);
void scn_acpi(const struct boot_info *bi);
void scn_poweroff(const struct boot_info *bi);
void scn_acpi_reset(const struct boot_info *bi);
void scn_loader(const struct boot_info *bi);
void scn_cpuid(const struct boot_info *bi);
void scn_flood(const struct boot_info *bi);
void scn_no_debug_exit(const struct boot_info *bi);
void scn_serial(const struct boot_info *bi);
void scn_counter(const struct boot_info *bi);
void scn_hostile(const struct boot_info *bi);

#endif
