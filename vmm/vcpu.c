/* SPDX-License-Identifier: MIT */
#include "vmm/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cpuid.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/seccomp.h"
#include "vmm/term.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define VCPU_KICK_SIGNAL SIGUSR1
#define VCPU_STOP_KICK_MS 50 /* how often vcpus_stop kicks a vCPU that has not stopped */

/* Local APIC register offsets and LVT delivery modes (Intel SDM vol. 3, 11.5.1). */
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_EXTINT 0x700
#define APIC_MODE_NMI 0x400

static void kick_handler(int sig)
{
	(void)sig;
}

void vcpu_signals_init(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	/* No SA_RESTART: the signal must make KVM_RUN return EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

/* As a BIOS leaves them: LINT0 delivers the PIC's ExtINT, LINT1 NMI. */
static int setup_lapic(struct vcpu *v, struct errbuf *err)
{
	struct kvm_lapic_state la;

	if (ioctl(v->fd, KVM_GET_LAPIC, &la) < 0)
		return errf(err, -errno, "vCPU %u: KVM_GET_LAPIC: %s", v->id, strerror(errno));
	put_le32(&la.regs[APIC_LVT_LINT0], APIC_MODE_EXTINT);
	put_le32(&la.regs[APIC_LVT_LINT1], APIC_MODE_NMI);
	if (ioctl(v->fd, KVM_SET_LAPIC, &la) < 0)
		return errf(err, -errno, "vCPU %u: KVM_SET_LAPIC: %s", v->id, strerror(errno));
	return 0;
}

/* Read back what KVM stored: some hosts put hidden features back. */
static void report_forced_features(struct vcpu *v, struct kvm_cpuid2 *want)
{
	struct kvm_cpuid2 *got = calloc(1, sizeof(*got) + want->nent * sizeof(got->entries[0]));
	char *names = v->vm->forced_features;

	if (!got)
		return;
	got->nent = want->nent;
	if (ioctl(v->fd, KVM_GET_CPUID2, got) == 0 &&
	    cpuid_forced_features(want, got, names, sizeof(v->vm->forced_features)))
		log_info("this host's KVM advertises %s to the guest although microvm hid them", names);
	free(got);
}

static int setup_cpuid(struct vm *vm, struct vcpu *v, struct errbuf *err)
{
	unsigned cap = vm->cpuid->nent + CPUID_ADJUST_EXTRA;
	size_t sz = sizeof(*vm->cpuid) + vm->cpuid->nent * sizeof(vm->cpuid->entries[0]);
	struct kvm_cpuid2 *c = malloc(sizeof(*c) + cap * sizeof(c->entries[0]));
	int r = 0;

	if (!c)
		return errf(err, -ENOMEM, "out of memory");
	memcpy(c, vm->cpuid, sz);
	cpuid_adjust(c, cap, v->id, vm->nr_vcpus, vm->host_emulated);
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0)
		r = errf(err, -errno, "vCPU %u: KVM_SET_CPUID2: %s", v->id, strerror(errno));
	else if (v->id == 0 && vm->host_emulated && !vm->resets)
		report_forced_features(v, c);
	free(c);
	return r;
}

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned id, struct errbuf *err)
{
	int r;

	v->vm = vm;
	v->id = id;
	v->started = false;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return errf(err, -errno, "KVM_CREATE_VCPU %u: %s", id, strerror(errno));
	v->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return errf(err, -errno, "vCPU %u: mmap kvm_run: %s", id, strerror(errno));
	}
	r = setup_cpuid(vm, v, err);
	if (!r)
		r = setup_lapic(v, err);
	return r;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->vm->run_size);
	v->run = NULL;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = 1,
		.s = 1,
		.l = 0,
		.g = 1,
	};
}

int vcpu_set_entry_state(struct vcpu *v, uint32_t entry, uint32_t esi, uint32_t ebx,
			 struct errbuf *err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return errf(err, -errno, "vCPU %u: KVM_GET_SREGS: %s", v->id, strerror(errno));
	sregs.cs = flat_segment(0x10, 0xb); /* execute/read, accessed */
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat_segment(0x18, 0x3);
	sregs.tr = (struct kvm_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	sregs.ldt = (struct kvm_segment){ .limit = 0xffff, .type = 0x2, .present = 1 };
	sregs.gdt.base = LAYOUT_GDT;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x11; /* PE | ET */
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return errf(err, -errno, "vCPU %u: KVM_SET_SREGS: %s", v->id, strerror(errno));
	regs.rflags = 0x2;
	regs.rip = entry;
	regs.rsi = esi;
	regs.rbx = ebx;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return errf(err, -errno, "vCPU %u: KVM_SET_REGS: %s", v->id, strerror(errno));
	return 0;
}

static uint64_t load_le(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *p, unsigned len, uint64_t v)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;
	unsigned size = run->io.size;
	uint64_t bytes = (uint64_t)size * run->io.count;
	uint8_t *data;

	/* KVM fills these; check anyway so a bad exit can never index outside kvm_run. */
	if ((size != 1 && size != 2 && size != 4) || !range_fits(run->io.data_offset, bytes, (uint64_t)vm->run_size)) {
		log_guest("vCPU %u: malformed IO exit (port 0x%x size %u count %u)", v->id,
			  run->io.port, size, run->io.count);
		return;
	}
	data = (uint8_t *)run + run->io.data_offset;
	pthread_mutex_lock(&vm->io_lock);
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			bus_write(&vm->pio, run->io.port, size, load_le(data, size));
		else
			store_le(data, size, bus_read(&vm->pio, run->io.port, size));
	}
	pthread_mutex_unlock(&vm->io_lock);
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;
	unsigned len = run->mmio.len;
	/* data[] holds 8 bytes: a bad len is passed on for the bus to count as
	 * unhandled (not dropped uncounted), but never reads or writes past it. */
	unsigned n = len > sizeof(run->mmio.data) ? sizeof(run->mmio.data) : len;

	pthread_mutex_lock(&vm->io_lock);
	if (run->mmio.is_write)
		bus_write(&vm->mmio, run->mmio.phys_addr, len, load_le(run->mmio.data, n));
	else
		store_le(run->mmio.data, n, bus_read(&vm->mmio, run->mmio.phys_addr, len));
	pthread_mutex_unlock(&vm->io_lock);
}

static const char *cpu_mode(const struct kvm_sregs *s)
{
	if (!(s->cr0 & 1))
		return "real";
	if (s->efer & (1u << 10)) /* LMA */
		return s->cs.l ? "64-bit" : "compatibility";
	return s->cs.db ? "32-bit protected" : "16-bit protected";
}

/* Up to 15 instruction bytes at CS:RIP, via the guest's page tables. */
static int fetch_insn(struct vcpu *v, const struct kvm_regs *r, const struct kvm_sregs *s,
		      uint8_t *out)
{
	struct kvm_translation tr = { .linear_address = s->cs.base + r->rip };
	int n = 0;

	if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return 0;
	for (; n < 15; n++) {
		uint64_t gpa = tr.physical_address + (uint64_t)n;
		const uint8_t *p;
		if (n && (gpa & 0xfff) == 0)
			break; /* the next page may map elsewhere */
		p = gm_ptr(&v->vm->mem, gpa, 1);
		if (!p)
			break;
		out[n] = *p;
	}
	return n;
}

static void report_fault(struct vcpu *v, const char *what)
{
	struct kvm_run *run = v->run;
	struct kvm_regs r = { 0 };
	struct kvm_sregs s = { 0 };
	uint8_t insn[16];
	char hex[64] = "unavailable";
	int n = 0;

	ioctl(v->fd, KVM_GET_REGS, &r);
	ioctl(v->fd, KVM_GET_SREGS, &s);
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
	    run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) &&
	    run->emulation_failure.insn_size) {
		n = run->emulation_failure.insn_size > 15 ? 15 : run->emulation_failure.insn_size;
		memcpy(insn, run->emulation_failure.insn_bytes, (size_t)n);
	} else {
		n = fetch_insn(v, &r, &s, insn);
	}
	for (int i = 0; i < n; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * (size_t)i, "%02x%s", insn[i], i + 1 < n ? " " : "");
	log_err("vCPU %u: %s at RIP 0x%llx (CS 0x%x, %s mode); instruction bytes: %s", v->id, what,
		(unsigned long long)r.rip, s.cs.selector, cpu_mode(&s), hex);
	log_err("vCPU %u: rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx rsi=%016llx rdi=%016llx",
		v->id, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi);
	log_err("vCPU %u: rsp=%016llx rbp=%016llx rflags=%08llx cr0=%08llx cr3=%016llx cr4=%08llx efer=%llx",
		v->id, r.rsp, r.rbp, r.rflags, s.cr0, s.cr3, s.cr4, s.efer);
	if (v->vm->host_emulated && run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		log_err("vCPU %u: this host's KVM emulates guest kernel-mode code and cannot execute some "
			"instructions (SSE/AVX, cmpxchg16b, xsave, kernel-mode int3)%s%s%s; see docs/usage.md",
			v->id, v->vm->forced_features[0] ? "; it also advertises " : "",
			v->vm->forced_features,
			v->vm->forced_features[0] ? " to the guest although microvm hid them" : "");
}

static void handle_internal_error(struct vcpu *v)
{
	static const char *const names[] = {
		[KVM_INTERNAL_ERROR_EMULATION] = "emulation failure",
		[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
		[KVM_INTERNAL_ERROR_DELIVERY_EV] = "event delivery failed",
		[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected hardware exit",
	};
	unsigned sub = v->run->internal.suberror;
	char what[192];
	int len;

	len = snprintf(what, sizeof(what), "KVM_EXIT_INTERNAL_ERROR, suberror %u (%s)", sub,
		       sub < ARRAY_SIZE(names) && names[sub] ? names[sub] : "unknown");
	if (sub != KVM_INTERNAL_ERROR_EMULATION && v->run->internal.ndata) {
		len += snprintf(what + len, sizeof(what) - (size_t)len, ", data");
		for (unsigned i = 0; i < v->run->internal.ndata && i < 4 && len < (int)sizeof(what) - 20; i++)
			len += snprintf(what + len, sizeof(what) - (size_t)len, " 0x%llx",
					(unsigned long long)v->run->internal.data[i]);
	}
	report_fault(v, what);
	vm_request(v->vm, VM_REQ_EXIT, EXIT_GUEST_FAULT);
}

/* Returns false when the vCPU must stop. */
/*
 * The RIP of a triple fault, or VM_RIP_UNKNOWN where KVM reset the vCPU
 * before reporting the shutdown (AMD SVM INITs it, as the VMCB is undefined
 * after a shutdown): the registers then hold the reset state, CS F000 with
 * base 0xffff0000 and RIP 0xfff0, not the guest's.
 */
static uint64_t shutdown_rip(struct vcpu *v)
{
	struct kvm_regs r = { 0 };
	struct kvm_sregs s = { 0 };

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return VM_RIP_UNKNOWN;
	if (r.rip == 0xfff0 && s.cs.selector == 0xf000 && s.cs.base == 0xffff0000 && !(s.cr0 & 1))
		return VM_RIP_UNKNOWN;
	return r.rip;
}

static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char what[128];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT: /* only without an in-kernel irqchip; resume */
		return true;
	case KVM_EXIT_SHUTDOWN: {
		uint64_t rip = shutdown_rip(v);
		char where[96];

		vm_describe_rip(rip, where, sizeof(where));
		log_info("vCPU %u: triple fault (shutdown) %s; resetting the VM", v->id, where);
		atomic_store(&v->vm->triple_fault_rip, rip);
		atomic_store(&v->vm->triple_fault, true);
		vm_request(v->vm, VM_REQ_RESET, 0);
		return false;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
			vm_request(v->vm, VM_REQ_RESET, 0);
		} else if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
			vm_request(v->vm, VM_REQ_EXIT, EXIT_POWEROFF);
		} else {
			snprintf(what, sizeof(what), "KVM_EXIT_SYSTEM_EVENT type %u", run->system_event.type);
			report_fault(v, what);
			vm_request(v->vm, VM_REQ_EXIT, EXIT_GUEST_FAULT);
		}
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		handle_internal_error(v);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "KVM_EXIT_FAIL_ENTRY, hardware entry failure reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		report_fault(v, what);
		vm_request(v->vm, VM_REQ_EXIT, EXIT_GUEST_FAULT);
		return false;
	default:
		snprintf(what, sizeof(what), "unexpected KVM exit reason %u", run->exit_reason);
		report_fault(v, what);
		vm_request(v->vm, VM_REQ_EXIT, EXIT_GUEST_FAULT);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct errbuf err;
	char name[16];
	sigset_t set;

	/*
	 * Only the kick signal and the fault signals reach vCPU threads; the main
	 * thread handles the rest. A fault here must still restore the terminal.
	 */
	sigfillset(&set);
	sigdelset(&set, VCPU_KICK_SIGNAL);
	sigdelset(&set, SIGSYS); /* blocked, a seccomp trap would kill without the line */
	term_fatal_sigdel(&set);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	snprintf(name, sizeof(name), "vcpu%u", v->id);
	if (seccomp_enter(&vm->seccomp, SECCOMP_VCPU, name, &err)) {
		log_err("%s", err.msg);
		vm_request(vm, VM_REQ_EXIT, EXIT_VMM_ERROR);
		return NULL;
	}
	if (vm->cfg.test_seccomp_violation == SECCOMP_VIOLATION_VCPU && v->id == 0)
		seccomp_violate();

	while (atomic_load(&vm->request) == VM_RUN) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_err("vCPU %u: KVM_RUN: %s", v->id, strerror(errno));
			vm_request(vm, VM_REQ_EXIT, EXIT_GUEST_FAULT);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	char name[16];
	int r;

	v->run->immediate_exit = 0;
	r = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (r)
		return -r;
	/* For ps, gdb and tests that pick a vCPU thread; a failure only loses the name. */
	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(v->thread, name);
	v->started = true;
	return 0;
}

/* Join within VCPU_STOP_KICK_MS, or 0 if the thread is still running. */
static int join_or_timeout(struct vcpu *v)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += VCPU_STOP_KICK_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(v->thread, NULL, &ts) == 0;
}

void vcpus_stop(struct vm *vm)
{
	/* vm->request is already non-zero: immediate_exit covers a vCPU about to enter KVM_RUN. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!v->started)
			continue;
		v->run->immediate_exit = 1;
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	}
	/*
	 * Kick until each thread is gone: a vCPU blocked in a device's write
	 * (a full stdout) sees the request only when a kick interrupts it, and a
	 * kick landing just before the write starts would be lost.
	 */
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!v->started)
			continue;
		while (!join_or_timeout(v))
			pthread_kill(v->thread, VCPU_KICK_SIGNAL);
		v->started = false;
	}
}

/*
 * A vCPU thread that stopped right after an IO or MMIO exit has handled it
 * (the data of an IN is in kvm_run), but KVM completes the instruction --
 * RAX for an IN, RIP past a string instruction -- only on the next KVM_RUN.
 * One KVM_RUN with immediate_exit does that and returns at once without
 * running guest code (shared/DESIGN.md §11), so registers read afterwards
 * are not stale. Called with the vCPU's thread stopped.
 */
int vcpu_finish_exit(struct vcpu *v)
{
	uint32_t reason = v->run->exit_reason;

	if (reason != KVM_EXIT_IO && reason != KVM_EXIT_MMIO)
		return 0;
	v->run->immediate_exit = 1;
	if (ioctl(v->fd, KVM_RUN, 0) < 0 && errno != EINTR)
		return -errno;
	return 0;
}
