/* SPDX-License-Identifier: MIT */
/* vCPUs: creation, the 32-bit entry state, the per-vCPU thread and exit handling. */
#ifndef MICROVM_VCPU_H
#define MICROVM_VCPU_H

#include <stdint.h>

#include "vmm/err.h"

struct vm;
struct vcpu;

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned id, struct errbuf *err);
void vcpu_destroy(struct vcpu *v);

/*
 * Put vCPU v in 32-bit flat protected mode at `entry` (paging off, IF=0,
 * CS 0x10, DS/ES/SS 0x18 from the GDT at LAYOUT_GDT) with ESI and EBX as given.
 */
int vcpu_set_entry_state(struct vcpu *v, uint32_t entry, uint32_t esi, uint32_t ebx,
			 struct errbuf *err);

/* Start the vCPU's thread; stop every started thread and wait for it. */
int vcpu_start(struct vcpu *v);
void vcpus_stop(struct vm *vm);

/*
 * With the vCPU's thread stopped: let KVM complete a pending IO/MMIO exit
 * (KVM_RUN with immediate_exit) so its registers can be read. 0 or -errno.
 */
int vcpu_finish_exit(struct vcpu *v);

/* Install the signal used to kick vCPU threads out of KVM_RUN. */
void vcpu_signals_init(void);

#endif
