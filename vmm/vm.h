/* SPDX-License-Identifier: MIT */
/*
 * The virtual machine: KVM handles, guest RAM, the two buses, the devices
 * and the vCPUs. One struct vm per process; it is passed explicitly, never
 * reached through a global.
 */
#ifndef MICROVM_VM_H
#define MICROVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/boot.h"
#include "vmm/bus.h"
#include "vmm/device.h"
#include "vmm/e820.h"
#include "vmm/guest_mem.h"
#include "vmm/seccomp.h"

#define VM_MAX_DEVICES 16
#define VM_MAX_CPUS 254 /* xAPIC IDs 0..254, 255 is broadcast */

/* What ends a run or what to do after a pvpanic (bit set for --on-panic). */
enum panic_action {
	PANIC_DUMP = 1 << 0,
	PANIC_PAUSE = 1 << 1,
	PANIC_EXIT = 1 << 2,
	PANIC_RESET = 1 << 3,
};

/* Exit statuses of `microvm run` other than debug-exit's (v << 1) | 1. */
#define EXIT_POWEROFF 0	     /* ACPI poweroff, or reset with --no-reboot */
#define EXIT_VMM_ERROR 2     /* set-up failure, bad input */
#define EXIT_GUEST_FAULT 4   /* KVM_EXIT_INTERNAL_ERROR, FAIL_ENTRY, unexpected exit */
#define EXIT_GUEST_PANIC 8   /* the guest reported a panic (pvpanic) */
#define EXIT_SIGNAL 16	     /* stopped by SIGINT/SIGTERM/SIGHUP or the escape key */

#define VM_MAX_USER_FWCFG 16
#define VM_KERNEL_MAX (512ULL << 20) /* largest kernel and initrd files read */
#define VM_INITRD_MAX (2ULL << 30)

/* --fw-cfg name=NAME,file=PATH or name=NAME,string=STR (QEMU's -fw_cfg). */
struct user_fwcfg {
	const char *name;
	const char *file;   /* NULL when string is set */
	const char *string;
};

/* --vmcoreinfo[=MODE]: which protocol tells microvm where the guest's note is. */
enum vmcoreinfo_mode {
	VMCI_MODE_NONE,
	VMCI_MODE_ACPI,	 /* the QEMUVMCI ACPI device and its page (shared/DESIGN.md §6) */
	VMCI_MODE_FWCFG, /* QEMU's writable etc/vmcoreinfo file, filled by stock Linux */
};

struct vm_config {
	uint64_t mem_size;
	unsigned nr_cpus;
	bool mem_given, cpus_given; /* on the command line (restore checks them against the snapshot) */
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	bool debug_exit;
	bool no_reboot;
	unsigned vmcoreinfo; /* enum vmcoreinfo_mode */
	unsigned on_panic; /* enum panic_action bits */
	const char *dump_dir;
	const char *api_sock; /* --api-sock PATH: the QMP control socket */
	bool dump_dir_given; /* --dump-dir on the command line, not the default "." */
	int cpu_compat; /* enum cpu_compat (vmm/cpuid.h) */
	struct user_fwcfg fwcfg[VM_MAX_USER_FWCFG];
	unsigned nr_fwcfg;
	bool seccomp; /* --seccomp on (default): confine each thread after set-up */
	int test_seccomp_violation; /* enum seccomp_violation: --test-seccomp-violation, tests only */
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

/* Requests a vCPU or the main loop posts; the highest-priority one wins. */
enum vm_request {
	VM_RUN = 0,
	VM_REQ_PAUSE = 1, /* the control socket's stop (vm_pause) */
	VM_REQ_RESET = 2,
	VM_REQ_PANIC = 3, /* pvpanic: run the --on-panic policy */
	VM_REQ_EXIT = 4,
};

struct api; /* vmm/api.h: the control socket */

#define VM_RIP_UNKNOWN UINT64_MAX

struct vm {
	struct vm_config cfg;
	int kvm_fd;
	int vm_fd;
	int run_size;
	int host_emulated; /* 1 when KVM emulates guest CPL0 (see vmm/cpuid.c) */
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID, filtered for this host */
	char forced_features[160]; /* hidden features the host put back (vmm/cpuid.h) */

	/* Guest RAM: one host mapping split into RAM ranges around the MMIO hole. */
	void *ram;
	uint64_t ram_size;
	struct guest_mem mem;
	struct e820_map e820;

	struct bus pio;
	struct bus mmio;
	pthread_mutex_t io_lock; /* serialises every device access */

	struct device devices[VM_MAX_DEVICES];
	unsigned nr_devices;
	struct fwcfg *fwcfg; /* devices/fw_cfg.h */

	struct vcpu *vcpus;
	unsigned nr_vcpus;

	/* The kernel files (kept for reloading on reset) and what loading produced. */
	struct boot_files files;
	struct boot_image image;
	uint8_t *own_kernel, *own_initrd; /* files this struct read itself (a restored VM's reset) */

	/* Run control, written by vCPU threads and signal handling. */
	_Atomic int request;
	_Atomic int exit_status;
	/* A panic request the run loop has not handled: an exit posted after it must not lose the dump. */
	_Atomic bool panic_pending;
	int wake_fd; /* eventfd the main loop polls for requests */
	/*
	 * The main thread's view: vCPU threads stopped at the user's request
	 * (the control socket's stop, --on-panic pause) and why the VM last
	 * reset or is ending, for the control socket's events (QEMU's reasons:
	 * "guest-reset", "host-qmp-system-reset", "guest-shutdown",
	 * "host-qmp-quit", "host-signal").
	 */
	bool paused;
	bool panicked_paused; /* paused by --on-panic pause: status "guest-panicked" */
	const char *reset_reason;
	const char *shutdown_reason;
	struct api *api; /* NULL without --api-sock */
	struct seccomp_filters seccomp; /* compiled at vm_run, installed per thread */
	uint64_t resets;
	uint64_t panics;
	/*
	 * A guest that cannot boot: a vCPU triple-faulted (KVM_EXIT_SHUTDOWN,
	 * at triple_fault_rip) before the kernel the firmware entered printed a
	 * byte on the console. console_bytes counts the console's output,
	 * console_at_entry is its value when the firmware entered the kernel
	 * (and at each reset); silent_triple_faults counts such boots in a row
	 * ending at the same RIP. See vm_run and docs/usage.md, Reset.
	 * triple_fault_rip is VM_RIP_UNKNOWN where KVM has already reset the
	 * vCPU when it reports the shutdown (AMD SVM: the VMCB is undefined
	 * after a shutdown, so KVM INITs the vCPU), which loses the RIP.
	 */
	_Atomic bool triple_fault;
	_Atomic uint64_t triple_fault_rip;
	_Atomic uint64_t console_bytes;
	_Atomic uint64_t console_at_entry;
	uint64_t last_triple_fault_rip;
	unsigned silent_triple_faults;
};

/* Boots in a row that triple-fault silently at one RIP before microvm stops the guest. */
#define VM_SILENT_TRIPLE_FAULTS 3

/* Set up everything (KVM, RAM, devices, images) from cfg and files; -errno + message. */
int vm_init(struct vm *vm, const struct vm_config *cfg, const struct boot_files *files,
	    struct errbuf *err);
/*
 * `microvm tables`: build the machine for cfg without KVM and write its ACPI
 * tables and loader blob to dir (vmm/acpi_build.h). Call vm_destroy after.
 */
int vm_write_tables(struct vm *vm, const struct vm_config *cfg, const char *dir, struct errbuf *err);
struct snapshot; /* vmm/snapshot.h */
/*
 * Build the VM a snapshot describes (cfg from snapshot_open, with the
 * command line's run-time options): RAM mapped from its memory file, the
 * devices loaded and checked, then KVM's state. Then vm_run continues it.
 */
int vm_restore(struct vm *vm, const struct vm_config *cfg, struct snapshot *s, struct errbuf *err);
/* Run until the guest or the user ends it; returns the process exit status. */
int vm_run(struct vm *vm);
/*
 * The run loop's reset, vCPUs stopped: the kernel and initrd read again if
 * a restored VM never had them, a fresh KVM VM over the same RAM, devices
 * reset, power-on. 0 or -errno with err.
 */
int vm_reset(struct vm *vm, struct errbuf *err);
void vm_destroy(struct vm *vm);
/* "at RIP 0x...", or that KVM lost it (VM_RIP_UNKNOWN), for log lines. */
void vm_describe_rip(uint64_t rip, char *buf, size_t size);

/* The first device with these ops, or NULL. */
struct device *vm_find_device(struct vm *vm, const struct device_ops *ops);

/*
 * Main thread only. Stop every vCPU (completing a pending IO exit) and keep
 * them stopped until vm_resume; the STOP and RESUME events go out on the
 * control socket. vm_resume: 0, or -errno when a thread cannot start.
 */
void vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);

/* Ask the run loop to stop every vCPU and then exit or reset. */
void vm_request(struct vm *vm, enum vm_request req, int exit_status);
/*
 * With the vCPUs stopped: true once for each panic requested since the last
 * call, whatever request outranked it (a fault on another vCPU, a
 * debug-exit, a signal), so the run loop can still dump it.
 */
bool vm_take_panic(struct vm *vm);

/* Assert (level 1) or deassert an ISA/GSI interrupt line. */
void vm_irq_line(struct vm *vm, unsigned irq, int level);

/* Register ranges on behalf of a device; -EEXIST on overlap. */
int vm_register_pio(struct vm *vm, struct device *dev, uint16_t base, uint16_t len);
int vm_register_mmio(struct vm *vm, struct device *dev, uint64_t base, uint64_t len);

#endif
