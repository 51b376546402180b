/* SPDX-License-Identifier: MIT */
#include "vmm/panic.h"

#include <errno.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "devices/vmcoreinfo.h"
#include "devices/vmcoreinfo_fwcfg.h"
#include "vmm/dump.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define MSR_KERNEL_GS_BASE 0xc0000102

static uint64_t read_kernel_gs_base(const struct vcpu *v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_KERNEL_GS_BASE };

	if (ioctl(v->fd, KVM_GET_MSRS, &m) != 1)
		return 0;
	return m.e.data;
}

static int collect_vcpus(struct vm *vm, struct dump_vcpu *out)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int r = vcpu_finish_exit(v);

		if (r)
			return r;
		if (ioctl(v->fd, KVM_GET_REGS, &out[i].regs) < 0 ||
		    ioctl(v->fd, KVM_GET_SREGS, &out[i].sregs) < 0)
			return -errno;
		out[i].kernel_gs_base = read_kernel_gs_base(v);
	}
	return 0;
}

/* -v names the writer: a silent fall-back to pwrite(2) is a lot slower. */
static const char *writer_of(const struct dump_stats *st)
{
	if (!st->uring)
		return "; pwrite, page cache";
	return st->direct ? "; io_uring, O_DIRECT" : "; io_uring, page cache";
}

int vm_dump_prepare(struct vm *vm, struct vm_dump *d, struct errbuf *err)
{
	struct device *vmci = vm_find_device(vm, &vmcoreinfo_ops);
	struct device *vmci_fw = vm_find_device(vm, &vmcoreinfo_fwcfg_ops);
	int r;

	memset(d, 0, sizeof(*d));
	d->vcpus = calloc(vm->nr_vcpus, sizeof(*d->vcpus));
	if (!d->vcpus)
		return errf(err, -ENOMEM, "dump: out of memory");
	r = collect_vcpus(vm, d->vcpus);
	if (r) {
		free(d->vcpus);
		d->vcpus = NULL;
		return errf(err, r, "dump: cannot read the vCPUs' state: %s", strerror(-r));
	}
	if (vmci_fw)
		d->fwcfg_rec = *vmcoreinfo_fwcfg_record(vmci_fw);
	d->src = (struct dump_source){
		.mem = &vm->mem,
		.vcpus = d->vcpus,
		.nr_vcpus = vm->nr_vcpus,
		.vmcoreinfo_device = vmci || vmci_fw,
		.vmcoreinfo_addr = vmci ? vmcoreinfo_addr(vmci) : 0,
		.vmcoreinfo_fwcfg = vmci_fw ? &d->fwcfg_rec : NULL,
	};
	return 0;
}

void vm_dump_free(struct vm_dump *d)
{
	free(d->vcpus);
	d->vcpus = NULL;
}

void vm_dump_report(const struct vm *vm, const char *path, const struct dump_stats *st)
{
	/* even with -q: a core nobody can find is no use */
	log_result("dump: wrote %s (%llu MiB of RAM, %llu MiB of data, %.2f s%s%s)", path,
		   (unsigned long long)(vm->mem.total >> 20),
		   (unsigned long long)(st->data_written >> 20), (double)st->nsec / 1e9,
		   st->vmcoreinfo ? ", with the guest's VMCOREINFO note" : "",
		   log_level < LOG_INFO ? "" : writer_of(st));
}

static void write_dump(struct vm *vm, time_t when)
{
	struct dump_stats st;
	struct vm_dump d;
	struct errbuf err;
	char path[PATH_MAX];
	/* -q shows only errors and the dump's path: no progress line. */
	unsigned flags = log_level < LOG_WARN ? DUMP_F_QUIET : 0;

	if (vm_dump_prepare(vm, &d, &err)) {
		log_err("%s", err.msg);
		return;
	}
	d.src.when = when;
	if (dump_write_opts(&d.src, vm->cfg.dump_dir, flags, &st, path, sizeof(path), &err))
		log_err("%s", err.msg);
	else
		vm_dump_report(vm, path, &st);
	vm_dump_free(&d);
}

struct panic_plan panic_plan(unsigned p)
{
	struct panic_plan plan = { .dump = (p & PANIC_DUMP) != 0, .next = PANIC_NEXT_RUN };

	/* options.c refuses exit with pause or reset, and pause with reset; exit wins anyway. */
	if (p & PANIC_EXIT)
		plan.next = PANIC_NEXT_EXIT;
	else if (p & PANIC_RESET)
		plan.next = PANIC_NEXT_RESET;
	else if (p & PANIC_PAUSE)
		plan.next = PANIC_NEXT_PAUSE;
	return plan;
}

int panic_exit_status(bool panicked, int status)
{
	if (!panicked || (status & 1) || status == EXIT_VMM_ERROR)
		return status;
	return EXIT_GUEST_PANIC;
}

enum panic_next panic_handle(struct vm *vm)
{
	struct panic_plan plan = panic_plan(vm->cfg.on_panic);
	time_t when = time(NULL); /* the dump's name carries the panic's time */

	vm->panics++;
	if (plan.dump)
		write_dump(vm, when);
	return plan.next;
}
