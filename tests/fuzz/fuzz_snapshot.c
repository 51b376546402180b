/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the snapshot loader, everything `microvm restore` checks
 * before its first KVM call: snapshot_parse() (vmm/snapshot.c: the state
 * file's FDT, crc32 and format in vmm/state_read.c, the header, every vCPU's and
 * the VM's KVM state in vmm/snapshot_kvm_state.c), then devices_load()
 * (vmm/devstate.c and each device's load) into the machine the header
 * describes, built without KVM (tests/fuzz/snapshot_rig.h).
 *
 * What must hold after every input:
 *  - a refusal is -errno with a one-line reason;
 *  - an accepted header describes a machine this microvm builds (e820_build
 *    takes its memory size, the devices can be created);
 *  - an accepted file round-trips: written again (snapshot_write_state, the
 *    code snapshot_save runs) it is accepted, and writing that gives the
 *    same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/snapshot_mutator.h"
#include "tests/fuzz/snapshot_rig.h"
#include "vmm/log.h"

#define one_line(e) ((e).msg[0] && !strchr((e).msg, '\n'))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_level = -1; /* the loader's info lines are noise here */
	return 0;
}

/* Parse and load blob (which s takes over); 0 with s open and m built, else refused. */
static int restore(uint8_t *blob, size_t len, struct snapshot *s, struct snap_rig *m,
		   struct errbuf *err)
{
	struct vm_config cfg;
	int rc;

	rc = snapshot_parse(s, "snap", blob, len, err);
	if (rc) {
		FUZZ_CHECK(rc < 0 && one_line(*err), "a refused state file without a one-line reason");
		return rc;
	}
	FUZZ_CHECK(s->cfg.nr_cpus >= 1 && s->cfg.nr_cpus <= VM_MAX_CPUS, "%u vCPUs accepted",
		   s->cfg.nr_cpus);
	{
		struct e820_map map;

		FUZZ_CHECK(e820_build(&map, s->cfg.mem_size) == 0,
			   "memory size %llu accepted, which e820_build refuses",
			   (unsigned long long)s->cfg.mem_size);
	}
	cfg = s->cfg;
	rc = snap_rig_init(m, &cfg, &s->image, err);
	FUZZ_CHECK(rc == 0, "an accepted header whose machine cannot be built: %s", err->msg);
	rc = devices_load(m->vm, &s->reader, err);
	if (rc) {
		FUZZ_CHECK(rc < 0 && one_line(*err), "a refused device record without a one-line reason");
		snap_rig_fini(m);
		snapshot_close(s);
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot s1, s2;
	struct snap_rig m1 = { 0 }, m2 = { 0 };
	struct errbuf err;
	uint8_t *blob = malloc(size ? size : 1), *b1, *b2;
	size_t l1, l2;

	if (log_level >= 0)
		LLVMFuzzerInitialize(NULL, NULL);
	FUZZ_CHECK(blob, "out of memory");
	memcpy(blob, data, size);
	if (restore(blob, size, &s1, &m1, &err))
		return 0;
	b1 = snap_rig_write(&m1, s1.vcpus, &s1.kvm, &l1, &err);
	FUZZ_CHECK(b1, "an accepted state cannot be written again: %s", err.msg);
	FUZZ_CHECK(restore(b1, l1, &s2, &m2, &err) == 0, "what was written is refused: %s", err.msg);
	b2 = snap_rig_write(&m2, s2.vcpus, &s2.kvm, &l2, &err);
	FUZZ_CHECK(b2, "written twice: %s", err.msg);
	FUZZ_CHECK(l1 == l2 && !memcmp(s2.state, b2, l2), "a state file does not survive a round trip");
	free(b2);
	snap_rig_fini(&m2);
	snapshot_close(&s2);
	snap_rig_fini(&m1);
	snapshot_close(&s1);
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return snapshot_fuzz_mutate(data, size, max_size, seed);
}
