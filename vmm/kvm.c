/* SPDX-License-Identifier: MIT */
#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/cpuid.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* Three pages KVM needs for real-mode emulation on Intel, inside the MMIO hole. */
#define KVM_TSS_ADDR 0xFFFBD000ULL
#define KVM_IDENTITY_MAP_ADDR 0xFFFBC000ULL

static const struct {
	int cap;
	const char *name;
	const char *use;
} required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "in-kernel interrupt controllers" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "VM set-up" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "guest CPUID" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2", "the in-kernel PIT" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "stopping vCPUs" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE", "secondary vCPUs waiting for INIT/SIPI" },
	{ KVM_CAP_NR_VCPUS, "KVM_CAP_NR_VCPUS", "vCPU limits" },
};

static int open_kvm(struct errbuf *err)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return errf(err, -ENOENT,
			    "/dev/kvm: not found; load the KVM module (modprobe kvm_intel or kvm_amd) "
			    "on a host with hardware virtualisation");
	if (errno == EACCES || errno == EPERM)
		return errf(err, -errno,
			    "/dev/kvm: permission denied; run as root or add your user to the kvm group");
	return errf(err, -errno, "/dev/kvm: %s", strerror(errno));
}

static int fetch_cpuid(struct vm *vm, struct errbuf *err)
{
	for (unsigned n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return errf(err, -ENOMEM, "out of memory");
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return errf(err, -errno, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	}
	return errf(err, -E2BIG, "KVM_GET_SUPPORTED_CPUID: too many entries");
}

int kvm_init(struct vm *vm, struct errbuf *err)
{
	const char *why;
	int r, max;

	vm->kvm_fd = open_kvm(err);
	if (vm->kvm_fd < 0)
		return vm->kvm_fd;
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r < 0)
		return errf(err, -ENODEV, "/dev/kvm: not a KVM device (KVM_GET_API_VERSION: %s)",
			    strerror(errno));
	if (r != KVM_API_VERSION)
		return errf(err, -ENOTSUP, "/dev/kvm: API version %d, microvm needs %d", r,
			    KVM_API_VERSION);
	for (unsigned i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
			return errf(err, -ENOTSUP, "/dev/kvm: lacks %s (needed for %s); use a newer kernel",
				    required_caps[i].name, required_caps[i].use);
	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if ((int)vm->cfg.nr_cpus > max)
		return errf(err, -EINVAL, "--cpus %u: this host's KVM allows at most %d vCPUs",
			    vm->cfg.nr_cpus, max);
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run))
		return errf(err, -ENOTSUP, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	r = fetch_cpuid(vm, err);
	if (r)
		return r;

	switch (vm->cfg.cpu_compat) {
	case CPU_COMPAT_NATIVE:
		vm->host_emulated = 0;
		why = "--cpu-compat native";
		break;
	case CPU_COMPAT_EMULATED:
		vm->host_emulated = 1;
		why = "--cpu-compat emulated";
		break;
	default:
		vm->host_emulated = cpuid_host_emulates_cpl0(&why);
	}
	log_info("host KVM %s guest kernel mode (%s)%s",
		 vm->host_emulated ? "emulates" : "runs natively", why,
		 vm->host_emulated ? "; hiding CX16 and the XSAVE family from the guest" : "");
	return 0;
}

static int set_memory(struct vm *vm, struct errbuf *err)
{
	for (unsigned i = 0; i < vm->mem.nr; i++) {
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = vm->mem.r[i].gpa,
			.memory_size = vm->mem.r[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)vm->mem.r[i].host,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return errf(err, -errno, "KVM_SET_USER_MEMORY_REGION (slot %u, %llu MiB): %s", i,
				    (unsigned long long)(slot.memory_size >> 20), strerror(errno));
	}
	return 0;
}

int kvm_create_instance(struct vm *vm, struct errbuf *err)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int r;

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return errf(err, -errno, "KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0)
		return errf(err, -errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t a = KVM_IDENTITY_MAP_ADDR;
		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &a) < 0)
			return errf(err, -errno, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return errf(err, -errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return errf(err, -errno, "KVM_CREATE_PIT2: %s", strerror(errno));
	r = set_memory(vm, err);
	if (r)
		return r;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		r = vcpu_create(vm, &vm->vcpus[i], i, err);
		if (r)
			return r;
	}
	return 0;
}

void kvm_destroy_instance(struct vm *vm)
{
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
}
