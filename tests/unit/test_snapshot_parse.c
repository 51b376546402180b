/* SPDX-License-Identifier: MIT */
/*
 * vmm/snapshot.c's parser without KVM: state files written by
 * snapshot_write_state (the code snapshot_save runs) for machines built as
 * a restore builds them (tests/fuzz/snapshot_rig.h) are accepted and
 * round-trip; files the fuzz target found wrong are refused. With
 * MICROVM_FB_SEEDS set, also (re)writes the seed corpus of
 * tests/fuzz/fuzz_snapshot.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/snapshot_rig.h"
#include "tests/unit/state_fixture.h"
#include "vmm/fileio.h"
#include "vmm/layout.h"
#include "vmm/options.h"

struct seed_cfg {
	uint64_t mem;
	unsigned cpus, vmcoreinfo, ncpuid, nmsrs, proto;
	bool debug_exit, no_reboot;
	const char *kernel, *initrd, *cmdline, *fwcfg;
};

/* A state file for the machine c describes; malloc'd. */
static uint8_t *build(const struct seed_cfg *c, size_t *len)
{
	struct vm_config cfg;
	struct boot_image img = { .proto = c->proto ? c->proto : BOOT_LINUX, .entry = 0x100000,
				  .boot_struct = 0x7000 };
	struct snap_vcpu *v = calloc(c->cpus, sizeof(*v));
	struct snap_vmstate kvm;
	struct snap_rig m;
	struct errbuf err = { "" };
	char fw[256];
	uint8_t *b;

	options_defaults(&cfg);
	cfg.mem_size = c->mem;
	cfg.nr_cpus = c->cpus;
	cfg.vmcoreinfo = c->vmcoreinfo;
	cfg.debug_exit = c->debug_exit;
	cfg.no_reboot = c->no_reboot;
	cfg.kernel = c->kernel;
	cfg.initrd = c->initrd;
	cfg.cmdline = c->cmdline;
	if (c->fwcfg) {
		snprintf(fw, sizeof(fw), "%s", c->fwcfg);
		cr_assert_eq(parse_user_fwcfg(fw, &cfg.fwcfg[0], &err), 0, "%s", err.msg);
		cfg.nr_fwcfg = 1;
	}
	cr_assert_eq(snap_rig_init(&m, &cfg, &img, &err), 0, "%s", err.msg);
	for (unsigned i = 0; i < c->cpus; i++)
		cr_assert_eq(snap_rig_vcpu(&v[i], i, c->ncpuid, c->nmsrs), 0);
	memset(&kvm, 0, sizeof(kvm));
	kvm.pit.channels[0].count = 0x10000;
	kvm.clock.clock = 123456789;
	kvm.chip[2].chip_id = 2;
	b = snap_rig_write(&m, v, &kvm, len, &err);
	cr_assert_not_null(b, "%s", err.msg);
	for (unsigned i = 0; i < c->cpus; i++)
		snap_vcpu_free(&v[i]);
	free(v);
	snap_rig_fini(&m);
	return b;
}

static const struct seed_cfg seeds[] = {
	{ 32 << 20, 1, 0, 4, 4, BOOT_LINUX, false, false, "bzImage", NULL, "console=ttyS0", NULL },
	{ 256 << 20, 2, 1, 8, 7, BOOT_PVH, true, false, "vmlinux", "initrd.img", "quiet", NULL },
	{ 256 << 20, 4, 2, 2, 3, BOOT_LINUX, false, true, "k", "", "", "name=opt/x,string=hello" },
	{ 0xC0000000ULL + (64 << 20), 1, 1, 16, 14, BOOT_PVH, false, false, "k", "i", "a b c", NULL },
	{ 200 << 20, 3, 0, 1, 1, BOOT_LINUX, true, true, "", "", "", "name=opt/y,string=" },
	{ 64 << 20, 8, 2, 1, 1, BOOT_PVH, false, false, "/boot/vmlinuz", "", "root=/dev/vda", NULL },
};

Test(snapshot_parse, written_states_are_accepted_and_round_trip)
{
	for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
		struct snapshot s;
		struct errbuf err = { "" };
		size_t len;
		uint8_t *b = build(&seeds[i], &len);

		cr_assert_eq(snapshot_parse(&s, "snap", b, len, &err), 0, "seed %zu: %s", i, err.msg);
		cr_assert_eq(s.cfg.mem_size, seeds[i].mem);
		cr_assert_eq(s.cfg.nr_cpus, seeds[i].cpus);
		cr_assert_eq(s.vcpus[0].nr_msrs, seeds[i].nmsrs);
		snapshot_close(&s);
	}
}

/* Found by tests/fuzz/fuzz_snapshot.c: a memory size of whole MiB plus half a page was accepted. */
Test(snapshot_parse, memory_size_of_partial_pages_is_refused)
{
	struct snapshot s;
	struct errbuf err = { "" };
	size_t len;
	uint8_t *b = build(&seeds[0], &len);
	int node = fdt_subnode_offset(b, 0, "header");
	uint64_t mem = (32 << 20) + 0x800;

	cr_assert_geq(node, 0);
	cr_assert_eq(fdt_setprop_inplace_u64(b, node, "mem-size", mem), 0);
	cr_assert_eq(fdt_setprop_inplace_u64(b, node, "ram-low-size", mem), 0);
	state_seal(b);
	cr_assert_eq(snapshot_parse(&s, "snap", b, len, &err), -EINVAL);
	cr_assert(strstr(err.msg, "memory size 33556480"), "%s", err.msg);
}

/*
 * Found by tests/fuzz/fuzz_snapshot.c (regress/snapshot/vendor-with-newline):
 * the vendor string went into the refusal as it was, line breaks and all.
 * Header strings that messages quote must be one printable line.
 */
Test(snapshot_parse, header_strings_that_messages_quote_are_one_line)
{
	static const struct {
		const char *field, *value, *want;
	} cases[] = {
		{ "host-cpu-vendor", "Auth\nentic", "host-cpu-vendor holds a byte 0x0a" },
		{ "host-cpu-vendor", "Auth\x7f", "host-cpu-vendor holds a byte 0x7f" },
		{ "microvm-version", "1.0\r", "microvm-version holds a byte 0x0d" },
		{ "kernel", "bz\nImage", "kernel holds a byte 0x0a" },
		{ "initrd", "\r", "initrd holds a byte 0x0d" },
		{ "fw-cfg0", "name=\nx", "fw-cfg0: not an fw_cfg item" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct snapshot s;
		struct errbuf err = { "" };
		size_t len;
		uint8_t *b = build(&seeds[2], &len), *big = calloc(1, len + 256);
		int node;

		cr_assert_eq(fdt_open_into(b, big, (int)len + 256), 0);
		node = fdt_subnode_offset(big, 0, "header");
		cr_assert_geq(node, 0);
		cr_assert_eq(fdt_setprop_string(big, node, cases[i].field, cases[i].value), 0);
		cr_assert_eq(fdt_pack(big), 0);
		state_seal(big);
		cr_assert_eq(snapshot_parse(&s, "snap", big, fdt_totalsize(big), &err), -EINVAL, "case %zu",
			     i);
		cr_assert(strstr(err.msg, cases[i].want) && !strchr(err.msg, '\n'), "case %zu: %s", i,
			  err.msg);
		free(b);
	}
}

/* A FIFO (or any non-regular file) is refused at once, not waited on for a writer. */
Test(snapshot_parse, fifo_state_file_is_refused_without_blocking, .timeout = 10)
{
	char dir[] = "/tmp/microvm-fifo-XXXXXX", path[256];
	struct snapshot s;
	struct errbuf err = { "" };
	uint8_t *buf;
	size_t len;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, SNAPSHOT_STATE_FILE);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(file_read_all("", path, 1 << 20, &buf, &len, &err), -EINVAL);
	cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
	cr_assert_eq(snapshot_open(dir, &s, &err), -EINVAL);
	unlink(path);
	rmdir(dir);
}

/* The writer's buffer starts zeroed: no heap garbage between or after its parts. */
Test(snapshot_parse, no_uninitialised_bytes_in_a_state_file)
{
	struct state_writer w;
	const uint8_t *d;
	size_t len;

	/* Under ASan, malloc fills with 0xbe: a run of them would be heap garbage. */
	state_writer_init(&w);
	state_record_begin(&w, "x", 1);
	state_put_bytes(&w, "b", "\x01\x02\x03", 3); /* a value that needs padding */
	state_put_u8(&w, "c", 1);
	state_record_end(&w);
	d = state_writer_finish(&w, &len);
	cr_assert_not_null(d);
	for (size_t i = 0; i + 1 < len; i++)
		cr_assert(!(d[i] == 0xbe && d[i + 1] == 0xbe), "garbage at %zu", i);
	state_writer_free(&w);
}

/* MICROVM_FB_SEEDS=1: write the seeds, then some near misses of them. */
Test(snapshot_parse, write_fuzz_seeds)
{
	const char *on = getenv("MICROVM_FB_SEEDS");
	char dir[4096], path[4200];
	unsigned n = 0;

	if (!on || !*on)
		return;
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/snapshot", MICROVM_SRC_DIR);
	mkdir(dir, 0755);
	for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
		static const char *const props[][2] = {
			{ "header", "cpus" }, { "header", "mem-size" }, { "header", "vmcoreinfo" },
			{ "header", "boot-proto" }, { "cpu@0", "xsave" }, { "cpu@0", "msr.index" },
		};
		size_t len;
		uint8_t *b = build(&seeds[i], &len);
		FILE *f;

		for (size_t k = 0; k <= ARRAY_SIZE(props); k++) {
			if (k) {
				/* One near miss: a property's first cell bumped, sealed again. */
				int node = !strcmp(props[k - 1][0], "header")
						   ? fdt_subnode_offset(b, 0, "header")
						   : fdt_path_offset(b, "/cpus/cpu@0");
				int plen;
				uint8_t *p = node >= 0 ? fdt_getprop_w(b, node, props[k - 1][1], &plen) : NULL;

				if (!p || plen < 4)
					continue;
				p[plen >= 8 ? 7 : 3] ^= (uint8_t)(1 + k);
				state_seal(b);
			}
			snprintf(path, sizeof(path), "%s/fb-%03u", dir, n++);
			f = fopen(path, "wb");
			cr_assert_not_null(f);
			fwrite(b, 1, len, f);
			fclose(f);
		}
		free(b);
	}
}
