/* SPDX-License-Identifier: MIT */
/* /dev/kvm: opening it, checking what microvm relies on, and building a VM instance. */
#ifndef MICROVM_KVM_H
#define MICROVM_KVM_H

#include "vmm/err.h"

struct vm;

/* Open /dev/kvm, check the API version and every capability used; fetch CPUID. */
int kvm_init(struct vm *vm, struct errbuf *err);

/*
 * Create the KVM VM: irqchip, PIT, memory slots and vCPUs. Called at start
 * and again on every reset (the previous instance is torn down first), which
 * is how a reset returns vCPUs and the interrupt controllers to power-on state.
 */
int kvm_create_instance(struct vm *vm, struct errbuf *err);
void kvm_destroy_instance(struct vm *vm);

#endif
