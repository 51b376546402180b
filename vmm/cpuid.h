/* SPDX-License-Identifier: MIT */
/*
 * Guest CPUID: KVM's supported set, filtered for what this host's KVM can
 * execute, with per-vCPU APIC IDs and topology.
 */
#ifndef MICROVM_CPUID_H
#define MICROVM_CPUID_H

#include <stdbool.h>

struct kvm_cpuid2;

enum cpu_compat {
	CPU_COMPAT_AUTO = 0,	 /* detect the host kind */
	CPU_COMPAT_NATIVE = 1,	 /* hardware-assisted KVM: pass features through */
	CPU_COMPAT_EMULATED = 2, /* KVM emulates guest CPL0: hide what its emulator lacks */
};

/*
 * Whether /dev/kvm emulates guest kernel-mode code instruction by
 * instruction (a paravirtualised KVM such as PVM, no VMX/SVM). Detected from
 * the kvm_pvm module or from a CPU that offers neither VMX nor SVM.
 * `why` receives a short reason for the log.
 */
bool cpuid_host_emulates_cpl0(const char **why);

/* Entries cpuid_adjust may add: leaves 0xB and 0x1F written whole (3 subleaves each). */
#define CPUID_ADJUST_EXTRA 6

/*
 * Adjust a copy of KVM_GET_SUPPORTED_CPUID for vCPU `index` of `nr_cpus`
 * (1..255): APIC ID, logical/core counts (leaves 1, 4, 0xB, 0x1F,
 * 0x80000008, 0x8000001E; 0xB and 0x1F are rewritten whole, one thread per
 * core), and, when `emulated`, clear CX16 and the XSAVE family (XSAVE,
 * OSXSAVE, AVX, AVX2, AVX-512, FMA, F16C and leaf 0xD) which the emulator
 * cannot execute. `cap` is how many entries c has room for: at least
 * c->nent + CPUID_ADJUST_EXTRA.
 */
void cpuid_adjust(struct kvm_cpuid2 *c, unsigned cap, unsigned index, unsigned nr_cpus,
		  bool emulated);

/*
 * Features the emulator cannot execute that `got` (what KVM stored after
 * KVM_SET_CPUID2) still advertises although `want` hid them, as a
 * comma-separated list of names in buf; returns how many. Some hosts force
 * them back on; microvm then says so instead of pretending.
 */
unsigned cpuid_forced_features(struct kvm_cpuid2 *want, struct kvm_cpuid2 *got, char *buf,
			       unsigned len);

/* The entry for (function, index) or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, unsigned function, unsigned index);

#endif
