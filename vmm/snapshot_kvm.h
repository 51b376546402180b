/* SPDX-License-Identifier: MIT */
/*
 * KVM's side of a snapshot (shared/DESIGN.md §11): every vCPU's state and
 * the VM's in-kernel devices (irqchips, PIT, clock), read from KVM into
 * plain structs, written to and read from the state file field by field
 * (docs/snapshot.md), and put back into a new KVM VM in KVM's order.
 * Reading a state file makes no KVM call: a restore parses and checks
 * everything first.
 */
#ifndef MICROVM_SNAPSHOT_KVM_H
#define MICROVM_SNAPSHOT_KVM_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/err.h"

struct vm;
struct vcpu;
struct state_writer;
struct state_reader;

#define SNAP_MAX_MSRS 1024
#define SNAP_MAX_CPUID 256
#define SNAP_XSAVE_MAX (1u << 20)

struct snap_vcpu {
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint8_t *xsave; /* KVM_GET_XSAVE(2) region */
	size_t xsave_size;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs dregs;
	struct kvm_lapic_state lapic;
	uint32_t tsc_khz;
	struct kvm_cpuid_entry2 *cpuid;
	unsigned nr_cpuid;
	uint32_t *msr_index;
	uint64_t *msr_data;
	unsigned nr_msrs;
	struct kvm_vcpu_events events;
};

struct snap_vmstate {
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	struct kvm_irqchip chip[3]; /* PIC master, PIC slave, IOAPIC */
};

/* The MSRs KVM lists for saving (KVM_GET_MSR_INDEX_LIST), for snap_vcpu_get. */
struct snap_msr_list {
	uint32_t *index;
	unsigned nr;
};

int snap_msr_list_get(struct vm *vm, struct snap_msr_list *l, struct errbuf *err);
void snap_msr_list_free(struct snap_msr_list *l);

/* With the vCPU's thread stopped and its last IO exit completed. */
int snap_vcpu_get(struct vcpu *v, const struct snap_msr_list *msrs, struct snap_vcpu *s,
		  struct errbuf *err);
/* Into a vCPU that has never run. */
int snap_vcpu_set(struct vcpu *v, const struct snap_vcpu *s, struct errbuf *err);
void snap_vcpu_free(struct snap_vcpu *s);

/*
 * The guest sees two clocks, its TSC and kvmclock, and Linux's clocksource
 * watchdog compares them (a skew of a fraction of a millisecond is too
 * much): they must be saved as one instant and restored as one. Saving:
 * snap_tsc_refresh reads the TSC right before KVM_GET_CLOCK (after NULL),
 * then again right after (after non-NULL), keeping the middle. Restoring:
 * the TSC is written once with the other MSRs (a second write within a
 * second is taken by KVM as a synchronisation and ignored), and kvmclock is
 * set to the saved value plus what the TSC has counted since
 * (snap_tsc_elapsed_ns, from the first vCPU), so neither clock jumps
 * against the other, however long restoring the vCPUs took.
 */
int snap_tsc_refresh(struct vcpu *v, struct snap_vcpu *s, uint64_t *after, struct errbuf *err);
int snap_tsc_elapsed_ns(struct vcpu *v, const struct snap_vcpu *s, uint64_t *ns, struct errbuf *err);

int snap_vm_get(struct vm *vm, struct snap_vmstate *s, struct errbuf *err);
int snap_vm_set(struct vm *vm, const struct snap_vmstate *s, uint64_t elapsed_ns, struct errbuf *err);

/* The state file's "cpu@N" and "vm" records. */
int snap_vcpu_save(struct state_writer *w, unsigned id, const struct snap_vcpu *s);
int snap_vcpu_load(struct state_reader *r, unsigned id, struct snap_vcpu *s, struct errbuf *err);
int snap_vm_save(struct state_writer *w, const struct snap_vmstate *s);
int snap_vm_load(struct state_reader *r, struct snap_vmstate *s, struct errbuf *err);

#endif
