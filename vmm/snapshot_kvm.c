/* SPDX-License-Identifier: MIT */
#include "vmm/snapshot_kvm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/state.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define SNAP_CPU_VERSION 1
#define SNAP_VM_VERSION 1

/*
 * A KVM struct is a kernel ABI, but the file names each field instead of
 * holding the struct's bytes (STYLE.md): a table per struct maps names to
 * members, and one loop writes or reads them. Register pages defined by
 * the CPU (the LAPIC page, the XSAVE area) are kept as bytes: their layout
 * is the architecture's, not a C compiler's.
 */
struct kfield {
	const char *name;
	size_t off;
	unsigned size;
};

#define KF(type, member) { #member, offsetof(type, member), sizeof(((type *)0)->member) }
#define KFN(type, member, name) { name, offsetof(type, member), sizeof(((type *)0)->member) }
#define NF(t) (sizeof(t) / sizeof((t)[0]))

static const struct kfield regs_fields[] = {
	KF(struct kvm_regs, rax), KF(struct kvm_regs, rbx), KF(struct kvm_regs, rcx),
	KF(struct kvm_regs, rdx), KF(struct kvm_regs, rsi), KF(struct kvm_regs, rdi),
	KF(struct kvm_regs, rsp), KF(struct kvm_regs, rbp), KF(struct kvm_regs, r8),
	KF(struct kvm_regs, r9),  KF(struct kvm_regs, r10), KF(struct kvm_regs, r11),
	KF(struct kvm_regs, r12), KF(struct kvm_regs, r13), KF(struct kvm_regs, r14),
	KF(struct kvm_regs, r15), KF(struct kvm_regs, rip), KF(struct kvm_regs, rflags),
};

#define SEG(sg)                                                                                   \
	KFN(struct kvm_sregs, sg.base, #sg ".base"), KFN(struct kvm_sregs, sg.limit, #sg ".limit"),    \
	KFN(struct kvm_sregs, sg.selector, #sg ".selector"),                                         \
	KFN(struct kvm_sregs, sg.type, #sg ".type"),                                                 \
	KFN(struct kvm_sregs, sg.present, #sg ".present"), KFN(struct kvm_sregs, sg.dpl, #sg ".dpl"), \
	KFN(struct kvm_sregs, sg.db, #sg ".db"), KFN(struct kvm_sregs, sg.s, #sg ".s"),               \
	KFN(struct kvm_sregs, sg.l, #sg ".l"), KFN(struct kvm_sregs, sg.g, #sg ".g"),                 \
	KFN(struct kvm_sregs, sg.avl, #sg ".avl"), KFN(struct kvm_sregs, sg.unusable, #sg ".unusable")

static const struct kfield sregs_fields[] = {
	SEG(cs), SEG(ds), SEG(es), SEG(fs), SEG(gs), SEG(ss), SEG(tr), SEG(ldt),
	KFN(struct kvm_sregs, gdt.base, "gdt.base"), KFN(struct kvm_sregs, gdt.limit, "gdt.limit"),
	KFN(struct kvm_sregs, idt.base, "idt.base"), KFN(struct kvm_sregs, idt.limit, "idt.limit"),
	KF(struct kvm_sregs, cr0), KF(struct kvm_sregs, cr2), KF(struct kvm_sregs, cr3),
	KF(struct kvm_sregs, cr4), KF(struct kvm_sregs, cr8), KF(struct kvm_sregs, efer),
	KF(struct kvm_sregs, apic_base),
	KFN(struct kvm_sregs, interrupt_bitmap[0], "interrupt_bitmap.0"),
	KFN(struct kvm_sregs, interrupt_bitmap[1], "interrupt_bitmap.1"),
	KFN(struct kvm_sregs, interrupt_bitmap[2], "interrupt_bitmap.2"),
	KFN(struct kvm_sregs, interrupt_bitmap[3], "interrupt_bitmap.3"),
};

static const struct kfield dregs_fields[] = {
	KFN(struct kvm_debugregs, db[0], "db0"), KFN(struct kvm_debugregs, db[1], "db1"),
	KFN(struct kvm_debugregs, db[2], "db2"), KFN(struct kvm_debugregs, db[3], "db3"),
	KF(struct kvm_debugregs, dr6), KF(struct kvm_debugregs, dr7),
	KFN(struct kvm_debugregs, flags, "debugregs.flags"),
};

#define EV(m, name) KFN(struct kvm_vcpu_events, m, name)
static const struct kfield events_fields[] = {
	EV(exception.injected, "exception.injected"), EV(exception.nr, "exception.nr"),
	EV(exception.has_error_code, "exception.has_error_code"),
	EV(exception.pending, "exception.pending"), EV(exception.error_code, "exception.error_code"),
	EV(interrupt.injected, "interrupt.injected"), EV(interrupt.nr, "interrupt.nr"),
	EV(interrupt.soft, "interrupt.soft"), EV(interrupt.shadow, "interrupt.shadow"),
	EV(nmi.injected, "nmi.injected"), EV(nmi.pending, "nmi.pending"),
	EV(nmi.masked, "nmi.masked"), EV(sipi_vector, "sipi_vector"), EV(flags, "events.flags"),
	EV(smi.smm, "smi.smm"), EV(smi.pending, "smi.pending"),
	EV(smi.smm_inside_nmi, "smi.smm_inside_nmi"), EV(smi.latched_init, "smi.latched_init"),
	EV(triple_fault.pending, "triple_fault.pending"),
	EV(exception_has_payload, "exception_has_payload"),
	EV(exception_payload, "exception_payload"),
};

#define PIT(n)                                                                                    \
	KFN(struct kvm_pit_state2, channels[n].count, "pit" #n ".count"),                          \
	KFN(struct kvm_pit_state2, channels[n].latched_count, "pit" #n ".latched_count"),          \
	KFN(struct kvm_pit_state2, channels[n].count_latched, "pit" #n ".count_latched"),          \
	KFN(struct kvm_pit_state2, channels[n].status_latched, "pit" #n ".status_latched"),        \
	KFN(struct kvm_pit_state2, channels[n].status, "pit" #n ".status"),                        \
	KFN(struct kvm_pit_state2, channels[n].read_state, "pit" #n ".read_state"),                \
	KFN(struct kvm_pit_state2, channels[n].write_state, "pit" #n ".write_state"),              \
	KFN(struct kvm_pit_state2, channels[n].write_latch, "pit" #n ".write_latch"),              \
	KFN(struct kvm_pit_state2, channels[n].rw_mode, "pit" #n ".rw_mode"),                      \
	KFN(struct kvm_pit_state2, channels[n].mode, "pit" #n ".mode"),                            \
	KFN(struct kvm_pit_state2, channels[n].bcd, "pit" #n ".bcd"),                              \
	KFN(struct kvm_pit_state2, channels[n].gate, "pit" #n ".gate"),                            \
	KFN(struct kvm_pit_state2, channels[n].count_load_time, "pit" #n ".count_load_time")

static const struct kfield pit_fields[] = {
	PIT(0), PIT(1), PIT(2), KFN(struct kvm_pit_state2, flags, "pit.flags"),
};

#define PIC(m) KFN(struct kvm_pic_state, m, #m)
static const struct kfield pic_fields[] = {
	PIC(last_irr), PIC(irr), PIC(imr), PIC(isr), PIC(priority_add), PIC(irq_base),
	PIC(read_reg_select), PIC(poll), PIC(special_mask), PIC(init_state), PIC(auto_eoi),
	PIC(rotate_on_auto_eoi), PIC(special_fully_nested_mode), PIC(init4), PIC(elcr),
	PIC(elcr_mask),
};

static const struct kfield ioapic_fields[] = {
	KF(struct kvm_ioapic_state, base_address), KF(struct kvm_ioapic_state, ioregsel),
	KF(struct kvm_ioapic_state, id), KF(struct kvm_ioapic_state, irr),
};

static int put_fields(struct state_writer *w, const void *base, const struct kfield *f, size_t n,
		      const char *prefix)
{
	int r = 0;

	for (size_t i = 0; i < n && !r; i++) {
		const uint8_t *p = (const uint8_t *)base + f[i].off;
		char name[64];
		uint64_t v = 0;

		snprintf(name, sizeof(name), "%s%s", prefix, f[i].name);
		memcpy(&v, p, f[i].size); /* little-endian host: the low bytes */
		switch (f[i].size) {
		case 1: r = state_put_u8(w, name, (uint8_t)v); break;
		case 2: r = state_put_u16(w, name, (uint16_t)v); break;
		case 4: r = state_put_u32(w, name, (uint32_t)v); break;
		default: r = state_put_u64(w, name, v); break;
		}
	}
	return r;
}

static int get_fields(struct state_reader *r, void *base, const struct kfield *f, size_t n,
		      const char *prefix)
{
	int e = 0;

	for (size_t i = 0; i < n && !e; i++) {
		uint8_t *p = (uint8_t *)base + f[i].off;
		char name[64];
		uint8_t v8;
		uint16_t v16;
		uint32_t v32;
		uint64_t v64;

		snprintf(name, sizeof(name), "%s%s", prefix, f[i].name);
		switch (f[i].size) {
		case 1: e = state_get_u8(r, name, &v8); memcpy(p, &v8, 1); break;
		case 2: e = state_get_u16(r, name, &v16); memcpy(p, &v16, 2); break;
		case 4: e = state_get_u32(r, name, &v32); memcpy(p, &v32, 4); break;
		default: e = state_get_u64(r, name, &v64); memcpy(p, &v64, 8); break;
		}
	}
	return e;
}

/* ---- reading from and writing to KVM ---- */

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

/* ---- the state file ---- */

/* Arrays as big-endian cells, so dtc shows them as <...> lists. */
static void be32_array(uint8_t *out, const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_be32(out + 4 * i, v[i]);
}

int snap_vcpu_save(struct state_writer *w, unsigned id, const struct snap_vcpu *s)
{
	size_t cpuid_len = (size_t)s->nr_cpuid * 7 * 4;
	uint8_t *cpuid = malloc(cpuid_len + 1), *idx = malloc((size_t)s->nr_msrs * 4 + 1);
	uint8_t *val = malloc((size_t)s->nr_msrs * 8 + 1);
	char name[16];
	int r;

	if (!cpuid || !idx || !val) {
		free(cpuid), free(idx), free(val);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < s->nr_cpuid; i++) {
		const struct kvm_cpuid_entry2 *e = &s->cpuid[i];
		uint32_t cells[7] = { e->function, e->index, e->flags, e->eax, e->ebx, e->ecx, e->edx };

		be32_array(cpuid + i * 28, cells, 7);
	}
	be32_array(idx, s->msr_index, s->nr_msrs);
	for (unsigned i = 0; i < s->nr_msrs; i++)
		put_be64(val + 8 * i, s->msr_data[i]);
	snprintf(name, sizeof(name), "cpu@%u", id);
	state_record_begin(w, name, SNAP_CPU_VERSION);
	state_put_u32(w, "mp_state", s->mp.mp_state);
	put_fields(w, &s->regs, regs_fields, NF(regs_fields), "");
	put_fields(w, &s->sregs, sregs_fields, NF(sregs_fields), "");
	state_put_bytes(w, "xsave", s->xsave, s->xsave_size);
	state_put_u32(w, "xcrs.nr", s->xcrs.nr_xcrs);
	for (unsigned i = 0; i < s->xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++) {
		char n[32];

		snprintf(n, sizeof(n), "xcr%u.index", i);
		state_put_u32(w, n, s->xcrs.xcrs[i].xcr);
		snprintf(n, sizeof(n), "xcr%u.value", i);
		state_put_u64(w, n, s->xcrs.xcrs[i].value);
	}
	put_fields(w, &s->dregs, dregs_fields, NF(dregs_fields), "");
	state_put_bytes(w, "lapic", s->lapic.regs, sizeof(s->lapic.regs));
	state_put_u32(w, "tsc_khz", s->tsc_khz);
	state_put_bytes(w, "cpuid", cpuid, cpuid_len);
	state_put_bytes(w, "msr.index", idx, (size_t)s->nr_msrs * 4);
	state_put_bytes(w, "msr.data", val, (size_t)s->nr_msrs * 8);
	put_fields(w, &s->events, events_fields, NF(events_fields), "");
	r = state_record_end(w);
	free(cpuid), free(idx), free(val);
	return r;
}

static int load_arrays(struct state_reader *r, struct snap_vcpu *s, unsigned id, struct errbuf *err)
{
	const uint8_t *p, *q;
	size_t len, qlen;
	int e;

	if ((e = state_get_blob(r, "cpuid", &p, &len)))
		return errf(err, e, "%s", r->err.msg);
	if (len % 28 || len / 28 > SNAP_MAX_CPUID || !len)
		return errf(err, -EINVAL, "state: cpu@%u: cpuid has %zu bytes, not 1..%u entries of 28",
			    id, len, SNAP_MAX_CPUID);
	s->nr_cpuid = (unsigned)(len / 28);
	s->cpuid = calloc(s->nr_cpuid, sizeof(*s->cpuid));
	if (!s->cpuid)
		return errf(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < s->nr_cpuid; i++) {
		const uint8_t *c = p + 28 * i;

		s->cpuid[i] = (struct kvm_cpuid_entry2){
			.function = get_be32(c), .index = get_be32(c + 4), .flags = get_be32(c + 8),
			.eax = get_be32(c + 12), .ebx = get_be32(c + 16), .ecx = get_be32(c + 20),
			.edx = get_be32(c + 24),
		};
	}
	if ((e = state_get_blob(r, "msr.index", &p, &len)) || (e = state_get_blob(r, "msr.data", &q, &qlen)))
		return errf(err, e, "%s", r->err.msg);
	if (len % 4 || len / 4 > SNAP_MAX_MSRS || qlen != len * 2)
		return errf(err, -EINVAL, "state: cpu@%u: msr.index (%zu bytes) and msr.data (%zu bytes) do not match",
			    id, len, qlen);
	s->nr_msrs = (unsigned)(len / 4);
	s->msr_index = calloc(s->nr_msrs + 1, sizeof(uint32_t));
	s->msr_data = calloc(s->nr_msrs + 1, sizeof(uint64_t));
	if (!s->msr_index || !s->msr_data)
		return errf(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < s->nr_msrs; i++) {
		s->msr_index[i] = get_be32(p + 4 * i);
		s->msr_data[i] = get_be64(q + 8 * i);
	}
	if ((e = state_get_blob(r, "xsave", &p, &len)))
		return errf(err, e, "%s", r->err.msg);
	if (len < sizeof(struct kvm_xsave) || len > SNAP_XSAVE_MAX)
		return errf(err, -EINVAL, "state: cpu@%u: xsave has %zu bytes (%zu..%u expected)", id,
			    len, sizeof(struct kvm_xsave), SNAP_XSAVE_MAX);
	s->xsave = malloc(len);
	if (!s->xsave)
		return errf(err, -ENOMEM, "out of memory");
	memcpy(s->xsave, p, len);
	s->xsave_size = len;
	return 0;
}

int snap_vcpu_load(struct state_reader *r, unsigned id, struct snap_vcpu *s, struct errbuf *err)
{
	char name[16];
	uint32_t version, nr;
	uint64_t v64 = 0;
	int e;

	memset(s, 0, sizeof(*s));
	snprintf(name, sizeof(name), "cpu@%u", id);
	if ((e = state_record_open(r, name, SNAP_CPU_VERSION, &version)) ||
	    (e = state_get_u32(r, "mp_state", &s->mp.mp_state)) ||
	    (e = get_fields(r, &s->regs, regs_fields, NF(regs_fields), "")) ||
	    (e = get_fields(r, &s->sregs, sregs_fields, NF(sregs_fields), "")) ||
	    (e = state_get_u32(r, "xcrs.nr", &nr)))
		return errf(err, e, "%s", r->err.msg);
	if (nr > KVM_MAX_XCRS)
		return errf(err, -EINVAL, "state: %s: %u XCRs (at most %d)", name, nr, KVM_MAX_XCRS);
	s->xcrs.nr_xcrs = nr;
	for (unsigned i = 0; i < nr; i++) {
		char n[32];

		snprintf(n, sizeof(n), "xcr%u.index", i);
		e = state_get_u32(r, n, &s->xcrs.xcrs[i].xcr);
		snprintf(n, sizeof(n), "xcr%u.value", i);
		if (!e)
			e = state_get_u64(r, n, &v64);
		s->xcrs.xcrs[i].value = v64;
		if (e)
			return errf(err, e, "%s", r->err.msg);
	}
	if ((e = get_fields(r, &s->dregs, dregs_fields, NF(dregs_fields), "")) ||
	    (e = state_get_bytes(r, "lapic", s->lapic.regs, sizeof(s->lapic.regs))) ||
	    (e = state_get_u32(r, "tsc_khz", &s->tsc_khz)) ||
	    (e = get_fields(r, &s->events, events_fields, NF(events_fields), "")))
		return errf(err, e, "%s", r->err.msg);
	if (!s->tsc_khz)
		return errf(err, -EINVAL, "state: %s: tsc_khz is 0", name);
	return load_arrays(r, s, id, err);
}

int snap_vm_save(struct state_writer *w, const struct snap_vmstate *s)
{
	state_record_begin(w, "kvm", SNAP_VM_VERSION);
	state_put_u64(w, "clock", s->clock.clock);
	state_put_u32(w, "clock.flags", s->clock.flags);
	put_fields(w, &s->pit, pit_fields, NF(pit_fields), "");
	put_fields(w, &s->chip[0].chip.pic, pic_fields, NF(pic_fields), "pic0.");
	put_fields(w, &s->chip[1].chip.pic, pic_fields, NF(pic_fields), "pic1.");
	put_fields(w, &s->chip[2].chip.ioapic, ioapic_fields, NF(ioapic_fields), "ioapic.");
	for (unsigned i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
		char n[32];

		snprintf(n, sizeof(n), "ioapic.redir%u", i);
		state_put_u64(w, n, s->chip[2].chip.ioapic.redirtbl[i].bits);
	}
	return state_record_end(w);
}

int snap_vm_load(struct state_reader *r, struct snap_vmstate *s, struct errbuf *err)
{
	uint32_t version;
	uint64_t v64 = 0;
	int e;

	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < 3; i++)
		s->chip[i].chip_id = i;
	if ((e = state_record_open(r, "kvm", SNAP_VM_VERSION, &version)) ||
	    (e = state_get_u64(r, "clock", &v64)) || ((s->clock.clock = v64), 0) ||
	    (e = state_get_u32(r, "clock.flags", &s->clock.flags)) ||
	    (e = get_fields(r, &s->pit, pit_fields, NF(pit_fields), "")) ||
	    (e = get_fields(r, &s->chip[0].chip.pic, pic_fields, NF(pic_fields), "pic0.")) ||
	    (e = get_fields(r, &s->chip[1].chip.pic, pic_fields, NF(pic_fields), "pic1.")) ||
	    (e = get_fields(r, &s->chip[2].chip.ioapic, ioapic_fields, NF(ioapic_fields), "ioapic.")))
		return errf(err, e, "%s", r->err.msg);
	for (unsigned i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
		char n[32];

		snprintf(n, sizeof(n), "ioapic.redir%u", i);
		if ((e = state_get_u64(r, n, &v64)))
			return errf(err, e, "%s", r->err.msg);
		s->chip[2].chip.ioapic.redirtbl[i].bits = v64;
	}
	return 0;
}
