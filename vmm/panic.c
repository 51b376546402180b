/* SPDX-License-Identifier: MIT */
#include "vmm/panic.h"

#include <errno.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "devices/vmcoreinfo.h"
#include "vmm/dump.h"
#include "vmm/log.h"
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
		if (ioctl(v->fd, KVM_GET_REGS, &out[i].regs) < 0 ||
		    ioctl(v->fd, KVM_GET_SREGS, &out[i].sregs) < 0) {
			log_err("dump: vCPU %u: cannot read its registers: %s", i, strerror(errno));
			return -errno;
		}
		out[i].kernel_gs_base = read_kernel_gs_base(v);
	}
	return 0;
}

static void write_dump(struct vm *vm)
{
	struct dump_vcpu *vcpus = calloc(vm->nr_vcpus, sizeof(*vcpus));
	struct device *vmci = vm_find_device(vm, &vmcoreinfo_ops);
	struct dump_source src = {
		.mem = &vm->mem,
		.vcpus = vcpus,
		.nr_vcpus = vm->nr_vcpus,
		.vmcoreinfo_device = vmci != NULL,
		.vmcoreinfo_addr = vmci ? vmcoreinfo_addr(vmci) : 0,
	};
	struct dump_stats st;
	struct errbuf err;
	char path[PATH_MAX];

	if (!vcpus) {
		log_err("dump: out of memory");
		return;
	}
	if (collect_vcpus(vm, vcpus) == 0) {
		if (dump_write_opts(&src, vm->cfg.dump_dir, 0, &st, path, sizeof(path), &err))
			log_err("%s", err.msg);
		else
			log_warn("dump: wrote %s (%llu MiB of RAM, %llu MiB of data, %.2f s%s)", path,
				 (unsigned long long)(vm->mem.total >> 20),
				 (unsigned long long)(st.data_written >> 20), (double)st.nsec / 1e9,
				 st.vmcoreinfo ? ", with the guest's VMCOREINFO note" : "");
	}
	free(vcpus);
}

enum panic_next panic_handle(struct vm *vm)
{
	unsigned p = vm->cfg.on_panic;

	vm->panics++;
	if (p & PANIC_DUMP)
		write_dump(vm);
	if (p & PANIC_EXIT)
		return PANIC_NEXT_EXIT;
	if (p & PANIC_RESET)
		return PANIC_NEXT_RESET;
	if (p & PANIC_PAUSE)
		return PANIC_NEXT_PAUSE;
	return PANIC_NEXT_RUN;
}
