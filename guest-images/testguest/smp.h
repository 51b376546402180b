/* SPDX-License-Identifier: MIT */
/* Starting the application processors (smp.c). */
#ifndef TESTGUEST_SMP_H
#define TESTGUEST_SMP_H

#include <stdint.h>

#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"

/* Enough for an AP to go from real mode to long mode, emulated here. */
#define SMP_AP_TIMEOUT_MS 10000

/*
 * Copy the trampoline to TRAMPOLINE_BASE and broadcast INIT-SIPI-SIPI to
 * all other CPUs; wait up to timeout_ms for `expected` APs to report from
 * long mode, then a little longer for any surplus. Returns how many APs
 * reported (negative: the LAPIC cannot be used, message printed).
 */
int smp_start_aps(unsigned expected, uint64_t timeout_ms);

/*
 * Set before smp_start_aps(): each AP calls it after reporting, instead of
 * parking in HLT (it may never return). NULL: park.
 */
extern void (*volatile smp_ap_then)(unsigned slot);

/* APIC ID the AP in `slot` (0 .. reported - 1) read from its LAPIC. */
unsigned smp_ap_apic_id(unsigned slot);
/* What CPUID said about the topology on that AP, read as it arrived. */
const struct cpu_topology *smp_ap_topology(unsigned slot);

/* How many CPUs the VM has: cpus=N on the command line, else the ACPI
 * MADT's enabled processors, else CPUID leaf 1 (EBX[23:16], logical
 * processors per package: right for a one-socket VM). */
uint64_t smp_expected_cpus(const struct boot_info *bi);

#endif
