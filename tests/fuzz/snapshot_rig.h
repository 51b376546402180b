/* SPDX-License-Identifier: MIT */
/*
 * The machine a restore builds, without KVM (tests/fuzz/fuzz_snapshot.c and
 * the unit tests that write its seeds): a struct vm with the configuration
 * a state file's header gave, its devices from vmm/machine.c's table reset
 * and given the boot record as vm_restore() does, a little RAM for DMA.
 * Also synthetic KVM state for state files built on a host without KVM.
 * Static functions only; errors are returned, never asserted, so both a
 * fuzz target and Criterion can use it.
 */
#ifndef MICROVM_TESTS_FUZZ_SNAPSHOT_RIG_H
#define MICROVM_TESTS_FUZZ_SNAPSHOT_RIG_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "vmm/bus.h"
#include "vmm/devstate.h"
#include "vmm/e820.h"
#include "vmm/guest_mem.h"
#include "vmm/machine.h"
#include "vmm/snapshot.h"
#include "vmm/state.h"
#include "vmm/vm.h"

#define SNAP_RIG_RAM (64 * 1024)

struct snap_rig {
	struct vm *vm;
	uint8_t *ram;
};

static inline void snap_rig_fini(struct snap_rig *m)
{
	if (!m->vm)
		return;
	machine_destroy_devices(m->vm);
	bus_free(&m->vm->pio);
	bus_free(&m->vm->mmio);
	free(m->vm);
	free(m->ram);
	m->vm = NULL;
	m->ram = NULL;
}

/* As vm_restore() before devices_load(): 0 or -errno with err. */
static inline int snap_rig_init(struct snap_rig *m, const struct vm_config *cfg,
				const struct boot_image *img, struct errbuf *err)
{
	int r;

	m->ram = calloc(1, SNAP_RIG_RAM);
	m->vm = calloc(1, sizeof(*m->vm));
	if (!m->ram || !m->vm) {
		free(m->ram);
		free(m->vm);
		m->vm = NULL;
		return errf(err, -ENOMEM, "out of memory");
	}
	m->vm->vm_fd = -1;
	m->vm->wake_fd = -1;
	m->vm->kvm_fd = -1;
	m->vm->cfg = *cfg;
	m->vm->nr_vcpus = cfg->nr_cpus;
	m->vm->image = *img;
	gm_add_region(&m->vm->mem, 0, SNAP_RIG_RAM, m->ram);
	bus_init(&m->vm->pio, "pio");
	bus_init(&m->vm->mmio, "mmio");
	r = e820_build(&m->vm->e820, cfg->mem_size);
	if (r)
		errf(err, r, "e820_build refused %llu bytes", (unsigned long long)cfg->mem_size);
	if (!r)
		r = machine_create_devices(m->vm, err);
	if (r) {
		bus_free(&m->vm->pio);
		bus_free(&m->vm->mmio);
		free(m->vm);
		free(m->ram);
		m->vm = NULL;
		return r;
	}
	machine_reset_devices(m->vm);
	r = fwcfg_set_boot(m->vm->fwcfg, &m->vm->image, 0);
	if (r) {
		snap_rig_fini(m);
		return errf(err, r, "fwcfg_set_boot");
	}
	return 0;
}

/* The state file of a parsed snapshot, as snapshot_save would write it; a malloc'd copy. */
static inline uint8_t *snap_rig_write(struct snap_rig *m, const struct snap_vcpu *cpus,
				      const struct snap_vmstate *kvm, size_t *len, struct errbuf *err)
{
	struct state_writer w;
	const uint8_t *d = NULL;
	uint8_t *copy = NULL;

	state_writer_init(&w);
	if (snapshot_write_state(m->vm, cpus, kvm, &w, err) == 0) {
		d = state_writer_finish(&w, len);
		if (!d)
			errf(err, w.error ? w.error : -EINVAL, "%s", w.err.msg);
	}
	if (d && (copy = malloc(*len)))
		memcpy(copy, d, *len);
	state_writer_free(&w);
	return copy;
}

/* A vCPU's state with every kind of field set, as KVM would give it (KVM_GET_*). */
static inline int snap_rig_vcpu(struct snap_vcpu *v, unsigned i, unsigned ncpuid, unsigned nmsrs)
{
	memset(v, 0, sizeof(*v));
	v->mp.mp_state = i ? 0 : 0; /* KVM_MP_STATE_RUNNABLE */
	v->regs.rip = 0xFFFFFFFF81000000ULL + i;
	v->regs.rsp = 0x9F000 - 16 * i;
	v->regs.rflags = 0x2;
	v->sregs.cr0 = 0x80050033;
	v->sregs.cr3 = 0x1C0A000;
	v->sregs.cr4 = 0x3606F0;
	v->sregs.efer = 0xD01;
	v->sregs.cs.selector = 0x10;
	v->sregs.cs.limit = 0xFFFFFFFF;
	v->sregs.cs.l = 1;
	v->sregs.cs.present = 1;
	v->sregs.cs.type = 0xB;
	v->sregs.apic_base = 0xFEE00900;
	v->xsave_size = 4096;
	v->xsave = calloc(1, v->xsave_size);
	v->xcrs.nr_xcrs = 1;
	v->xcrs.xcrs[0].value = 7;
	v->dregs.dr6 = 0xFFFF0FF0;
	v->dregs.dr7 = 0x400;
	v->lapic.regs[0x20] = (char)(i << 4); /* APIC ID, bits 24..31 of the ID register */
	v->tsc_khz = 2100000;
	v->nr_cpuid = ncpuid;
	v->cpuid = calloc(ncpuid + 1, sizeof(*v->cpuid));
	for (unsigned k = 0; k < ncpuid && v->cpuid; k++) {
		v->cpuid[k].function = k;
		v->cpuid[k].eax = 0x1000 + k;
	}
	v->nr_msrs = nmsrs;
	v->msr_index = calloc(nmsrs + 1, sizeof(uint32_t));
	v->msr_data = calloc(nmsrs + 1, sizeof(uint64_t));
	for (unsigned k = 0; k < nmsrs && v->msr_index && v->msr_data; k++) {
		static const uint32_t idx[] = { 0x10, 0x1B, 0x174, 0xC0000080, 0xC0000100, 0x4B564D00, 0x6E0 };

		v->msr_index[k] = idx[k % 7] + (uint32_t)(k / 7);
		v->msr_data[k] = 0x1000ULL * k + i;
	}
	v->events.exception.nr = 0;
	return v->xsave && v->cpuid && v->msr_index && v->msr_data ? 0 : -ENOMEM;
}

#endif
