/* SPDX-License-Identifier: MIT */
/* Starting the application processors (smp.c). */
#ifndef TESTGUEST_SMP_H
#define TESTGUEST_SMP_H

#include <stdint.h>

#include "guest-images/testguest/cpu.h"

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

#endif
