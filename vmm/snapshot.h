/* SPDX-License-Identifier: MIT */
/*
 * Snapshots (docs/snapshot.md): a directory with
 *   state.dtb  the VM's state as a flattened device tree (vmm/state.h):
 *              a header, every vCPU's KVM state, the in-kernel irqchips,
 *              PIT and clock, and one record per device;
 *   memory     guest RAM, low then high region, all-zero pages as holes.
 * snapshot_save writes it under a temporary name and renames it when
 * complete and fsync'd. snapshot_open reads and checks everything a
 * restore needs before any KVM call; vm_restore (vmm/vm.h) then builds the
 * VM from it.
 */
#ifndef MICROVM_SNAPSHOT_H
#define MICROVM_SNAPSHOT_H

#include <stdint.h>

#include "vmm/boot.h"
#include "vmm/err.h"
#include "vmm/snapshot_kvm.h"
#include "vmm/state.h"
#include "vmm/vm.h"

#define SNAPSHOT_STATE_FILE "state.dtb"
#define SNAPSHOT_MEMORY_FILE "memory"
#define SNAPSHOT_HEADER_VERSION 1
#define SNAPSHOT_STATE_MAX (64u << 20)

struct snapshot {
	char dir[4096];
	uint8_t *state; /* the state file, which reader points into */
	size_t state_len;
	struct state_reader reader;
	int mem_fd;	/* the memory file, mapped MAP_PRIVATE by vm_restore */
	uint64_t mem_size;
	struct vm_config cfg; /* from the header: what the VM was */
	char kernel[4096], initrd[4096];
	char *cmdline;
	char *fwcfg_args[VM_MAX_USER_FWCFG]; /* "name=..,file=.." as given to run */
	struct boot_image image; /* proto, entry, boot_struct: the firmware's boot record */
	struct snap_vcpu *vcpus;
	struct snap_vmstate kvm;
};

/*
 * The state file's content from state already read: the header (from vm's
 * configuration and boot image), every vCPU's and the VM's KVM state, the
 * devices. No KVM call: snapshot_save calls it after reading the state.
 */
int snapshot_write_state(struct vm *vm, const struct snap_vcpu *cpus,
			 const struct snap_vmstate *kvm, struct state_writer *w, struct errbuf *err);

/* With every vCPU paused: write the snapshot directory dir (which must not exist). */
int snapshot_save(struct vm *vm, const char *dir, struct errbuf *err);

/*
 * Check and decode a state file already in memory: no KVM call, no file.
 * state is malloc'd (so 8-byte aligned, as libfdt needs) and s owns it
 * from now on, refused or not: snapshot_close frees it. On a refusal s is
 * closed already. dir only names the file in messages. snapshot_open
 * reads the file and calls this.
 */
int snapshot_parse(struct snapshot *s, const char *dir, uint8_t *state, size_t len,
		   struct errbuf *err);

/* Read and check a snapshot directory completely; no KVM call. 0 or -errno with err. */
int snapshot_open(const char *dir, struct snapshot *s, struct errbuf *err);
void snapshot_close(struct snapshot *s);

/* Into a VM whose KVM instance and vCPUs exist and have never run: vCPUs, then the VM's state. */
int snapshot_apply_kvm(struct vm *vm, const struct snapshot *s, struct errbuf *err);

#endif
