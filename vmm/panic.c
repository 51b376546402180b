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

		if (r) {
			log_err("dump: vCPU %u: cannot complete its last I/O exit: %s", i, strerror(-r));
			return r;
		}
		if (ioctl(v->fd, KVM_GET_REGS, &out[i].regs) < 0 ||
		    ioctl(v->fd, KVM_GET_SREGS, &out[i].sregs) < 0) {
			r = -errno; /* log_err may change errno */
			log_err("dump: vCPU %u: cannot read its registers: %s", i, strerror(-r));
			return r;
		}
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

static void write_dump(struct vm *vm, time_t when)
{
	struct dump_vcpu *vcpus = calloc(vm->nr_vcpus, sizeof(*vcpus));
	struct device *vmci = vm_find_device(vm, &vmcoreinfo_ops);
	struct device *vmci_fw = vm_find_device(vm, &vmcoreinfo_fwcfg_ops);
	struct dump_source src = {
		.mem = &vm->mem,
		.vcpus = vcpus,
		.nr_vcpus = vm->nr_vcpus,
		.vmcoreinfo_device = vmci || vmci_fw,
		.vmcoreinfo_addr = vmci ? vmcoreinfo_addr(vmci) : 0,
		.when = when,
		.vmcoreinfo_fwcfg = vmci_fw ? vmcoreinfo_fwcfg_record(vmci_fw) : NULL,
	};
	struct dump_stats st;
	struct errbuf err;
	char path[PATH_MAX];

	if (!vcpus) {
		log_err("dump: out of memory");
		return;
	}
	if (collect_vcpus(vm, vcpus) == 0) {
		/* -q shows only errors and the dump's path: no progress line. */
		unsigned flags = log_level < LOG_WARN ? DUMP_F_QUIET : 0;

		if (dump_write_opts(&src, vm->cfg.dump_dir, flags, &st, path, sizeof(path), &err))
			log_err("%s", err.msg);
		else /* even with -q: a core nobody can find is no use */
			log_result("dump: wrote %s (%llu MiB of RAM, %llu MiB of data, %.2f s%s%s)", path,
				   (unsigned long long)(vm->mem.total >> 20),
				   (unsigned long long)(st.data_written >> 20), (double)st.nsec / 1e9,
				   st.vmcoreinfo ? ", with the guest's VMCOREINFO note" : "",
				   log_level < LOG_INFO ? "" : writer_of(&st));
	}
	free(vcpus);
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
