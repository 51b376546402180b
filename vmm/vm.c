/* SPDX-License-Identifier: MIT */
/*
 * VM lifecycle: set-up, power-on, restore from a snapshot, reset and
 * teardown (the run loop is vmm/vm_run.c). A reset tears down the KVM VM
 * and builds a fresh one over the same guest RAM, which returns vCPUs,
 * LAPICs, IOAPIC, PIC and PIT to their power-on state exactly; devices get
 * their reset op, and the images are loaded again. RAM contents survive, as on real hardware.
 */
#include "vmm/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/acpi_pm.h"
#include "devices/fw_cfg.h"
#include "firmware/boot_abi.h"
#include "vmm/acpi_build.h"
#include "vmm/devstate.h"
#include "vmm/fileio.h"
#include "vmm/firmware.h"
#include "vmm/kvm.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/machine.h"
#include "vmm/snapshot.h"

void vm_request(struct vm *vm, enum vm_request req, int exit_status)
{
	int old = atomic_load(&vm->request);
	uint64_t one = 1;

	/* Recorded even when an exit already won: the panic is still dumped (vm_run). */
	if (req == VM_REQ_PANIC)
		atomic_store(&vm->panic_pending, true);
	do {
		if (old >= (int)req)
			return; /* an exit beats a reset; the first exit's status wins */
	} while (!atomic_compare_exchange_weak(&vm->request, &old, (int)req));
	if (req == VM_REQ_EXIT)
		atomic_store(&vm->exit_status, exit_status);
	if (write(vm->wake_fd, &one, sizeof(one)) < 0)
		log_debug("wake: %s", strerror(errno));
}

bool vm_take_panic(struct vm *vm)
{
	return atomic_exchange(&vm->panic_pending, false);
}

void vm_irq_line(struct vm *vm, unsigned irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = (uint32_t)level };

	if (vm->vm_fd >= 0 && ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		log_guest("KVM_IRQ_LINE %u: %s", irq, strerror(errno));
}

static int register_range(struct vm *vm, struct bus *bus, struct device *dev, uint64_t base,
			  uint64_t len)
{
	int r = bus_register(bus, base, len, dev);

	if (r == -EEXIST)
		log_err("device %s: %s range 0x%llx..0x%llx overlaps another device", dev->ops->name,
			bus->name, (unsigned long long)base, (unsigned long long)(base + len - 1));
	return r;
}

int vm_register_pio(struct vm *vm, struct device *dev, uint16_t base, uint16_t len)
{
	if ((uint32_t)base + len > 0x10000)
		return -EINVAL;
	return register_range(vm, &vm->pio, dev, base, len);
}

int vm_register_mmio(struct vm *vm, struct device *dev, uint64_t base, uint64_t len)
{
	return register_range(vm, &vm->mmio, dev, base, len);
}

struct device *vm_find_device(struct vm *vm, const struct device_ops *ops)
{
	for (unsigned i = 0; i < vm->nr_devices; i++)
		if (vm->devices[i].ops == ops)
			return &vm->devices[i];
	return NULL;
}

static int map_ram(struct vm *vm, struct errbuf *err)
{
	struct ram_layout l = ram_layout_of(vm->cfg.mem_size);
	uint8_t *host;

	/* MAP_NORESERVE: untouched guest RAM costs nothing on the host. */
	host = mmap(NULL, vm->cfg.mem_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED)
		return errf(err, -errno, "--mem %llu MiB: cannot map guest RAM: %s",
			    (unsigned long long)(vm->cfg.mem_size >> 20), strerror(errno));
	madvise(host, vm->cfg.mem_size, MADV_HUGEPAGE);
	vm->ram = host;
	vm->ram_size = vm->cfg.mem_size;
	gm_add_region(&vm->mem, 0, l.low_size, host);
	if (l.high_size)
		gm_add_region(&vm->mem, LAYOUT_4G, l.high_size, host + l.low_size);
	vm->mem.droppable = true; /* private and anonymous */
	return 0;
}

static void log_e820(const struct e820_map *m)
{
	for (unsigned i = 0; i < m->nr; i++)
		log_info("e820: 0x%016llx-0x%016llx %s", (unsigned long long)m->e[i].addr,
			 (unsigned long long)(m->e[i].addr + m->e[i].size - 1),
			 m->e[i].type == E820_RAM ? "usable" : "reserved");
}

/* Load the images and start the boot vCPU in the firmware: the state of power-on. */
static int power_on(struct vm *vm, struct errbuf *err)
{
	int r;

	r = boot_write_gdt(&vm->mem);
	if (r)
		return errf(err, r, "cannot write the boot GDT");
	r = boot_load(&vm->files, &vm->mem, &vm->e820, &vm->image, err);
	if (r)
		return r;
	/* For a guest that reboots by jumping to the BIOS (docs/usage.md, Reset). */
	r = boot_write_reset_stub(&vm->mem, ACPI_PM_RESET, ACPI_PM_RESET_VALUE);
	if (r)
		return errf(err, r, "cannot write the reset stub at 0x%llx", LAYOUT_RESET_STUB);
	return firmware_power_on(vm, err);
}

/* What every use of a struct vm needs, before KVM or devices. */
static int vm_init_common(struct vm *vm, const struct vm_config *cfg, struct errbuf *err)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->kvm_fd = vm->vm_fd = vm->wake_fd = -1;
	vm->nr_vcpus = cfg->nr_cpus;
	pthread_mutex_init(&vm->io_lock, NULL);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	r = e820_build(&vm->e820, cfg->mem_size);
	if (r)
		return errf(err, r, "--mem: %llu MiB is outside %llu MiB..%llu GiB",
			    (unsigned long long)(cfg->mem_size >> 20),
			    (unsigned long long)(LAYOUT_MEM_MIN >> 20),
			    (unsigned long long)(LAYOUT_MEM_MAX >> 30));
	return 0;
}

/*
 * --fw-cfg files, after microvm's own so that a user can replace one of
 * those (for example the loader script, to see how the firmware copes).
 */
static int add_user_fwcfg(struct vm *vm, struct errbuf *err)
{
	for (unsigned i = 0; i < vm->cfg.nr_fwcfg; i++) {
		const struct user_fwcfg *u = &vm->cfg.fwcfg[i];
		uint8_t *data = NULL;
		size_t size;
		int r;

		if (u->file) {
			r = file_read_all("--fw-cfg file=", u->file, 16u << 20, &data, &size, err);
			if (r)
				return r;
		} else {
			size = strlen(u->string);
		}
		if (strncmp(u->name, "opt/", 4))
			log_warn("--fw-cfg name=%s: names outside opt/ belong to microvm; %s it may break the boot",
				 u->name, fwcfg_file_key(vm->fwcfg, u->name) >= 0 ? "replacing" : "adding");
		if (fwcfg_file_key(vm->fwcfg, u->name) >= 0)
			r = fwcfg_update_file(vm->fwcfg, u->name, data ? data : (const void *)u->string,
					      (uint32_t)size);
		else
			r = fwcfg_add_file(vm->fwcfg, u->name, data ? data : (const void *)u->string,
					   (uint32_t)size, false, NULL, NULL);
		free(data);
		if (r)
			return errf(err, r, "--fw-cfg name=%s: %s", u->name, strerror(-r));
	}
	return 0;
}

/* Devices, then the ACPI tables they describe, published through fw_cfg. */
static int vm_init_platform(struct vm *vm, struct errbuf *err)
{
	struct acpi_blobs b;
	int r;

	r = machine_create_devices(vm, err);
	if (r)
		return r;
	r = machine_build_acpi(vm, &b, err);
	if (r)
		return r;
	if ((r = fwcfg_add_file(vm->fwcfg, ACPI_TABLES_FILE, b.tables, (uint32_t)b.tables_len, false,
				NULL, NULL)) ||
	    (r = fwcfg_add_file(vm->fwcfg, ACPI_RSDP_FILE, b.rsdp, (uint32_t)b.rsdp_len, false, NULL,
				NULL)) ||
	    (r = fwcfg_add_file(vm->fwcfg, ACPI_LOADER_FILE, b.loader, (uint32_t)b.loader_len, false,
				NULL, NULL)))
		errf(err, r, "fw_cfg: cannot add the ACPI blobs: %s", strerror(-r));
	acpi_blobs_free(&b);
	return r ? r : add_user_fwcfg(vm, err);
}

int vm_init(struct vm *vm, const struct vm_config *cfg, const struct boot_files *files,
	    struct errbuf *err)
{
	int r;

	r = vm_init_common(vm, cfg, err);
	if (r)
		return r;
	vm->files = *files;
	vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->wake_fd < 0)
		return errf(err, -errno, "eventfd: %s", strerror(errno));
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return errf(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	r = kvm_init(vm, err);
	if (r)
		return r;
	r = map_ram(vm, err);
	if (r)
		return r;
	r = vm_init_platform(vm, err);
	if (r)
		return r;
	r = kvm_create_instance(vm, err);
	if (r)
		return r;
	machine_reset_devices(vm);
	log_e820(&vm->e820);
	r = power_on(vm, err);
	if (r)
		return r;
	/* Once, not at every reset's reload. */
	if (vm->image.proto == BOOT_PVH && pvh_cmdline_too_long_for_linux(&vm->files))
		log_warn("%s: the command line is %zu bytes; a Linux kernel booted through PVH keeps only the first %d",
			 vm->files.kernel_name, pvh_cmdline_too_long_for_linux(&vm->files),
			 PVH_LINUX_CMDLINE_SIZE - 1);
	return 0;
}

int vm_write_tables(struct vm *vm, const struct vm_config *cfg, const char *dir, struct errbuf *err)
{
	struct acpi_blobs b;
	int r;

	r = vm_init_common(vm, cfg, err);
	if (!r)
		r = machine_create_devices(vm, err);
	if (!r)
		r = machine_build_acpi(vm, &b, err);
	if (r)
		return r;
	r = acpi_build_write_dir(&b, dir, err);
	acpi_blobs_free(&b);
	return r;
}

/* A restored VM has its kernel's names only: read the files at its first reset. */
static int load_files(struct vm *vm, struct errbuf *err)
{
	int r;

	if (vm->files.kernel || !vm->files.kernel_name)
		return 0;
	r = file_read_all("", vm->files.kernel_name, VM_KERNEL_MAX, &vm->own_kernel,
			  &vm->files.kernel_size, err);
	if (!r && vm->files.initrd_name)
		r = file_read_all("--initrd ", vm->files.initrd_name, VM_INITRD_MAX, &vm->own_initrd,
				  &vm->files.initrd_size, err);
	if (r)
		return errf(err, r, "%s (the restored guest reset and must boot its kernel again)", err->msg);
	vm->files.kernel = vm->own_kernel;
	vm->files.initrd = vm->own_initrd;
	return 0;
}

int vm_reset(struct vm *vm, struct errbuf *err)
{
	int r;

	r = load_files(vm, err);
	if (r)
		return r;
	vm->resets++;
	kvm_destroy_instance(vm);
	r = kvm_create_instance(vm, err);
	if (r)
		return r;
	machine_reset_devices(vm);
	return power_on(vm, err);
}

void vm_describe_rip(uint64_t rip, char *buf, size_t size)
{
	if (rip == VM_RIP_UNKNOWN)
		snprintf(buf, size, "at an unknown RIP (this host's KVM reset the vCPU first)");
	else
		snprintf(buf, size, "at RIP 0x%llx", (unsigned long long)rip);
}

/* Guest RAM from a snapshot's memory file, private: pages load as the guest touches them. */
static int map_ram_file(struct vm *vm, int fd, struct errbuf *err)
{
	struct ram_layout l = ram_layout_of(vm->cfg.mem_size);
	uint8_t *host;

	host = mmap(NULL, vm->cfg.mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	if (host == MAP_FAILED)
		return errf(err, -errno, "restore: cannot map the memory file: %s", strerror(errno));
	vm->ram = host;
	vm->ram_size = vm->cfg.mem_size;
	gm_add_region(&vm->mem, 0, l.low_size, host);
	if (l.high_size)
		gm_add_region(&vm->mem, LAYOUT_4G, l.high_size, host + l.low_size);
	return 0;
}

int vm_restore(struct vm *vm, const struct vm_config *cfg, struct snapshot *s, struct errbuf *err)
{
	int r;

	r = vm_init_common(vm, cfg, err);
	if (r)
		return r;
	vm->files = (struct boot_files){ .kernel_name = cfg->kernel, .initrd_name = cfg->initrd,
					 .cmdline = cfg->cmdline };
	vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->wake_fd < 0)
		return errf(err, -errno, "eventfd: %s", strerror(errno));
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return errf(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	r = map_ram_file(vm, s->mem_fd, err);
	if (!r)
		r = vm_init_platform(vm, err);
	if (r)
		return r;
	machine_reset_devices(vm);
	/* The boot record the firmware read, so the fw_cfg directory is the one the guest saw. */
	vm->image = s->image;
	r = fwcfg_set_boot(vm->fwcfg, &vm->image, log_level >= LOG_INFO ? MVBOOT_FLAG_VERBOSE : 0);
	if (r)
		return errf(err, r, "fw_cfg: cannot publish %s: %s", MVBOOT_FILE, strerror(-r));
	/* Every record checked before the first KVM call. */
	r = devices_load(vm, &s->reader, err);
	if (r)
		return r;
	r = kvm_init(vm, err);
	if (!r)
		r = kvm_create_instance(vm, err);
	if (!r)
		r = snapshot_apply_kvm(vm, s, err);
	if (r)
		return r;
	/* The console already printed: a fault now is not a silent boot. */
	atomic_store(&vm->console_bytes, 1);
	return 0;
}

void vm_destroy(struct vm *vm)
{
	free(vm->own_kernel);
	free(vm->own_initrd);
	kvm_destroy_instance(vm);
	machine_destroy_devices(vm);
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	free(vm->vcpus);
	free(vm->cpuid);
	if (vm->wake_fd >= 0)
		close(vm->wake_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	pthread_mutex_destroy(&vm->io_lock);
}
