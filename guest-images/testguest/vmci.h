/* SPDX-License-Identifier: MIT */
/*
 * What the vmcoreinfo scenarios share (scn_vmcoreinfo.c,
 * scn_vmcoreinfo_fwcfg.c): the VMCOREINFO note the guest builds, the memory
 * contents the tests read back from the dump, and the panic with known
 * register values. docs/testguest.md lists the addresses.
 */
#ifndef TESTGUEST_VMCI_H
#define TESTGUEST_VMCI_H

#include <stdint.h>

#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/guest.h"

#define VMCI_NOTE_ADDR 0x1020000ull /* the VMCOREINFO note */
#define VMCI_NOTE_MAX 0x1000u

/* Build the note at VMCI_NOTE_ADDR (name "VMCOREINFX" if badname), print its
 * text ("vmcoreinfo: text: LINE"), return its size. */
uint32_t vmci_build_note(const char *marker, int badname);
/*
 * Publish the note (marker=WORD on the command line) for the VMM: through
 * the ACPI device's page (--vmcoreinfo) or QEMU's fw_cfg etc/vmcoreinfo
 * (--vmcoreinfo=fwcfg). how: "normal", or a hostile case the scenario's
 * vmci= names. Checks and prints each step; returns the paddr published.
 */
uint64_t vmci_publish_acpi(const struct boot_info *bi, const char *how);
uint64_t vmci_publish_fwcfg(const struct boot_info *bi, const char *how);
/* The 64 KiB pattern, the marker page, the zero pages and fill=SIZE. */
void vmci_fill_memory(const struct boot_info *bi);
/* The pattern over the first size bytes of RAM at or above from (e820 RAM entries, in order). */
uint64_t vmci_fill_ram(const struct boot_info *bi, uint64_t from, uint64_t size);
/* Check pvpanic's events, load the documented register values, write PANICKED. */
NORETURN void vmci_panic_now(void);

/* vmcoreinfo cpus=N: the value an AP with this APIC ID holds in register rN (12..15). */
#define VMCI_AP_MARKER(apic_id, n) ((uint64_t)0x4150000000000000ull | (uint64_t)(apic_id) << 16 | (uint64_t)(n))
/* Start cpus=N - 1 APs (if asked) that hold VMCI_AP_MARKER values and loop on port IO. */
void vmci_start_looping_aps(const struct boot_info *bi);

#endif
