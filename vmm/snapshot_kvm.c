/* SPDX-License-Identifier: MIT */
/*
 * KVM's side of a snapshot, the KVM half: reading every vCPU's and the VM's
 * state out of KVM and putting it back, in KVM's order. The state file's
 * half (names for every field) is snapshot_kvm_state.c.
 */
#include "vmm/snapshot_kvm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/util.h"
#include "vmm/vm.h"

int snap_msr_list_get(struct vm *vm, struct snap_msr_list *l, struct errbuf *err)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;

	memset(l, 0, sizeof(*l));
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return errf(err, -errno, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
	if (probe.nmsrs > SNAP_MAX_MSRS)
		return errf(err, -E2BIG, "KVM lists %u MSRs, more than microvm saves (%u)", probe.nmsrs,
			    SNAP_MAX_MSRS);
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	if (!list)
		return errf(err, -ENOMEM, "out of memory");
	list->nmsrs = probe.nmsrs;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		free(list);
		return errf(err, -errno, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
	}
	l->index = malloc(list->nmsrs * sizeof(uint32_t) + 1);
	if (!l->index) {
		free(list);
		return errf(err, -ENOMEM, "out of memory");
	}
	memcpy(l->index, list->indices, list->nmsrs * sizeof(uint32_t));
	l->nr = list->nmsrs;
	free(list);
	return 0;
}

void snap_msr_list_free(struct snap_msr_list *l)
{
	free(l->index);
	l->index = NULL;
}

/* Each listed MSR alone: one that does not read back (a feature this CPU lacks) is left out. */
static int get_msrs(struct vcpu *v, const struct snap_msr_list *l, struct snap_vcpu *s)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;

	s->msr_index = calloc(l->nr + 1, sizeof(uint32_t));
	s->msr_data = calloc(l->nr + 1, sizeof(uint64_t));
	if (!s->msr_index || !s->msr_data)
		return -ENOMEM;
	for (unsigned i = 0; i < l->nr; i++) {
		memset(&m, 0, sizeof(m));
		m.hdr.nmsrs = 1;
		m.e.index = l->index[i];
		if (ioctl(v->fd, KVM_GET_MSRS, &m) != 1)
			continue;
		s->msr_index[s->nr_msrs] = m.e.index;
		s->msr_data[s->nr_msrs] = m.e.data;
		s->nr_msrs++;
	}
	return 0;
}

static int get_xsave(struct vcpu *v, struct snap_vcpu *s)
{
	int size = ioctl(v->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	unsigned long req = KVM_GET_XSAVE2;

	if (size < (int)sizeof(struct kvm_xsave)) {
		size = sizeof(struct kvm_xsave);
		req = KVM_GET_XSAVE;
	}
	if ((unsigned)size > SNAP_XSAVE_MAX)
		return -E2BIG;
	s->xsave = calloc(1, (size_t)size);
	if (!s->xsave)
		return -ENOMEM;
	s->xsave_size = (size_t)size;
	return ioctl(v->fd, req, s->xsave) < 0 ? -errno : 0;
}

#define GET(req, what, p)                                                                         \
	do {                                                                                      \
		if (ioctl(v->fd, req, p) < 0)                                                     \
			return errf(err, -errno, "vCPU %u: %s: %s", v->id, what, strerror(errno)); \
	} while (0)

int snap_vcpu_get(struct vcpu *v, const struct snap_msr_list *msrs, struct snap_vcpu *s,
		  struct errbuf *err)
{
	struct kvm_cpuid2 *c;
	int r;

	memset(s, 0, sizeof(*s));
	GET(KVM_GET_MP_STATE, "KVM_GET_MP_STATE", &s->mp);
	GET(KVM_GET_REGS, "KVM_GET_REGS", &s->regs);
	GET(KVM_GET_SREGS, "KVM_GET_SREGS", &s->sregs);
	r = get_xsave(v, s);
	if (r)
		return errf(err, r, "vCPU %u: KVM_GET_XSAVE: %s", v->id, strerror(-r));
	GET(KVM_GET_XCRS, "KVM_GET_XCRS", &s->xcrs);
	GET(KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS", &s->dregs);
	GET(KVM_GET_LAPIC, "KVM_GET_LAPIC", &s->lapic);
	r = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	if (r <= 0)
		return errf(err, -errno, "vCPU %u: KVM_GET_TSC_KHZ: %s", v->id, strerror(errno));
	s->tsc_khz = (uint32_t)r;
	c = calloc(1, sizeof(*c) + SNAP_MAX_CPUID * sizeof(c->entries[0]));
	if (!c)
		return errf(err, -ENOMEM, "out of memory");
	c->nent = SNAP_MAX_CPUID;
	if (ioctl(v->fd, KVM_GET_CPUID2, c) < 0) {
		free(c);
		return errf(err, -errno, "vCPU %u: KVM_GET_CPUID2: %s", v->id, strerror(errno));
	}
	s->cpuid = malloc(c->nent * sizeof(c->entries[0]) + 1);
	if (!s->cpuid) {
		free(c);
		return errf(err, -ENOMEM, "out of memory");
	}
	memcpy(s->cpuid, c->entries, c->nent * sizeof(c->entries[0]));
	s->nr_cpuid = c->nent;
	free(c);
	if (get_msrs(v, msrs, s))
		return errf(err, -ENOMEM, "out of memory");
	GET(KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS", &s->events);
	return 0;
}

static int set_msrs(struct vcpu *v, const struct snap_vcpu *s, struct errbuf *err)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + s->nr_msrs * sizeof(m->entries[0]));
	int r;

	if (!m)
		return errf(err, -ENOMEM, "out of memory");
	/* In the file's order, which is KVM's list order: the TSC (0x10) before TSC_DEADLINE (0x6e0). */
	for (unsigned i = 0; i < s->nr_msrs; i++) {
		m->entries[i].index = s->msr_index[i];
		m->entries[i].data = s->msr_data[i];
	}
	m->nmsrs = s->nr_msrs;
	r = ioctl(v->fd, KVM_SET_MSRS, m);
	free(m);
	if (r < 0)
		return errf(err, -errno, "vCPU %u: KVM_SET_MSRS: %s", v->id, strerror(errno));
	if ((unsigned)r < s->nr_msrs)
		return errf(err, -EINVAL, "vCPU %u: this host's KVM refuses MSR 0x%x = 0x%llx from the snapshot (a different CPU or kernel?)",
			    v->id, s->msr_index[r], (unsigned long long)s->msr_data[r]);
	return 0;
}

#define SET(req, what, p)                                                                         \
	do {                                                                                      \
		if (ioctl(v->fd, req, p) < 0)                                                     \
			return errf(err, -errno, "vCPU %u: %s: %s", v->id, what, strerror(errno)); \
	} while (0)

int snap_vcpu_set(struct vcpu *v, const struct snap_vcpu *s, struct errbuf *err)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + s->nr_cpuid * sizeof(c->entries[0]));
	int r, khz;

	if (!c)
		return errf(err, -ENOMEM, "out of memory");
	c->nent = s->nr_cpuid;
	memcpy(c->entries, s->cpuid, s->nr_cpuid * sizeof(c->entries[0]));
	r = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	if (r < 0)
		return errf(err, -errno, "vCPU %u: KVM_SET_CPUID2: %s", v->id, strerror(errno));
	khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	if (khz > 0 && (uint32_t)khz != s->tsc_khz &&
	    ioctl(v->fd, KVM_SET_TSC_KHZ, (unsigned long)s->tsc_khz) < 0)
		return errf(err, -errno, "vCPU %u: the snapshot's TSC runs at %u kHz, this host's at %d kHz, and KVM cannot scale it: %s",
			    v->id, s->tsc_khz, khz, strerror(errno));
	SET(KVM_SET_MP_STATE, "KVM_SET_MP_STATE", &s->mp);
	SET(KVM_SET_REGS, "KVM_SET_REGS", &s->regs);
	SET(KVM_SET_SREGS, "KVM_SET_SREGS", &s->sregs);
	SET(KVM_SET_XSAVE, "KVM_SET_XSAVE", s->xsave);
	SET(KVM_SET_XCRS, "KVM_SET_XCRS", &s->xcrs);
	SET(KVM_SET_DEBUGREGS, "KVM_SET_DEBUGREGS", &s->dregs);
	SET(KVM_SET_LAPIC, "KVM_SET_LAPIC", &s->lapic);
	r = set_msrs(v, s, err);
	if (r)
		return r;
	SET(KVM_SET_VCPU_EVENTS, "KVM_SET_VCPU_EVENTS", &s->events);
	return 0;
}

#define MSR_IA32_TSC 0x10

/* The saved TSC's slot, or NULL when the vCPU's list lacks it. */
static uint64_t *tsc_slot(struct snap_vcpu *s)
{
	for (unsigned i = 0; i < s->nr_msrs; i++)
		if (s->msr_index[i] == MSR_IA32_TSC)
			return &s->msr_data[i];
	return NULL;
}

static int read_tsc(struct vcpu *v, uint64_t *tsc, struct errbuf *err)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_TSC };

	if (ioctl(v->fd, KVM_GET_MSRS, &m) != 1)
		return errf(err, -EIO, "vCPU %u: cannot read its TSC", v->id);
	*tsc = m.e.data;
	return 0;
}

int snap_tsc_refresh(struct vcpu *v, struct snap_vcpu *s, uint64_t *after, struct errbuf *err)
{
	uint64_t *slot = tsc_slot(s);

	if (!slot)
		return 0;
	if (!after)
		return read_tsc(v, slot, err);
	/* The middle of the two reads around KVM_GET_CLOCK. */
	uint64_t b;
	int r = read_tsc(v, &b, err);

	if (!r && b > *slot)
		*slot += (b - *slot) / 2;
	return r;
}

int snap_tsc_elapsed_ns(struct vcpu *v, const struct snap_vcpu *s, uint64_t *ns, struct errbuf *err)
{
	const uint64_t *slot = tsc_slot((struct snap_vcpu *)s);
	uint64_t now;
	int r;

	*ns = 0;
	if (!slot || !s->tsc_khz)
		return 0;
	r = read_tsc(v, &now, err);
	if (!r && now > *slot)
		*ns = (uint64_t)((unsigned __int128)(now - *slot) * 1000000u / s->tsc_khz);
	return r;
}

void snap_vcpu_free(struct snap_vcpu *s)
{
	free(s->xsave);
	free(s->cpuid);
	free(s->msr_index);
	free(s->msr_data);
	memset(s, 0, sizeof(*s));
}

int snap_vm_get(struct vm *vm, struct snap_vmstate *s, struct errbuf *err)
{
	memset(s, 0, sizeof(*s));
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &s->clock) < 0)
		return errf(err, -errno, "KVM_GET_CLOCK: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &s->pit) < 0)
		return errf(err, -errno, "KVM_GET_PIT2: %s", strerror(errno));
	for (unsigned i = 0; i < 3; i++) {
		s->chip[i].chip_id = i;
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &s->chip[i]) < 0)
			return errf(err, -errno, "KVM_GET_IRQCHIP %u: %s", i, strerror(errno));
	}
	return 0;
}

int snap_vm_set(struct vm *vm, const struct snap_vmstate *s, uint64_t elapsed_ns, struct errbuf *err)
{
	/*
	 * kvmclock goes on from the saved value, plus what the guest's TSC
	 * counted since it was written: no time passed for the guest while it
	 * was saved, and both clocks agree (snapshot_kvm.h).
	 */
	struct kvm_clock_data clock = { .clock = s->clock.clock + elapsed_ns };

	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) < 0)
		return errf(err, -errno, "KVM_SET_CLOCK: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &s->pit) < 0)
		return errf(err, -errno, "KVM_SET_PIT2: %s", strerror(errno));
	for (unsigned i = 0; i < 3; i++)
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &s->chip[i]) < 0)
			return errf(err, -errno, "KVM_SET_IRQCHIP %u: %s", i, strerror(errno));
	return 0;
}
