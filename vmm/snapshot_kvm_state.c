/* SPDX-License-Identifier: MIT */
/*
 * KVM's side of a snapshot, the state file's half: the structs that
 * snapshot_kvm.c reads from KVM, written and read field by field, by name
 * (docs/snapshot.md). Reading makes no KVM call.
 */
#include "vmm/snapshot_kvm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/state.h"
#include "vmm/util.h"

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
