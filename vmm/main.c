/* SPDX-License-Identifier: MIT */
/*
 * microvm's entry point: subcommand dispatch. The only place that prints
 * set-up failures and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dump.h"
#include "vmm/fileio.h"
#include "vmm/inspect.h"
#include "vmm/log.h"
#include "vmm/options.h"
#include "vmm/snapshot.h"
#include "vmm/ctl.h"
#include "vmm/vm.h"

#include "vmm/version.h"

static const char main_help[] =
	"Usage: microvm COMMAND [OPTIONS] ...\n"
	"\n"
	"A minimal KVM micro-VMM that writes an ELF core dump (with the guest's\n"
	"VMCOREINFO note) when its guest kernel panics.\n"
	"\n"
	"Commands:\n"
	"  run KERNEL     boot a Linux bzImage or a PVH ELF kernel\n"
	"  restore DIR    resume a VM from a snapshot directory\n"
	"  ctl SOCK CMD   control a running VM through its --api-sock\n"
	"  tables DIR     write the ACPI tables and fw_cfg blobs a guest would get\n"
	"  inspect FILE   summarise a microvm core dump\n"
	"\n"
	"`microvm COMMAND --help` explains each command. Documentation: docs/ and\n"
	"man microvm.\n";

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct boot_files files = { 0 };
	struct errbuf err;
	struct vm *vm;
	const char *kernel;
	uint8_t *kbuf = NULL, *ibuf = NULL;
	size_t ksize = 0, isize = 0;
	int r, status;

	r = options_parse(CMD_RUN, argc, argv, &cfg, &kernel, &err);
	if (r == 1)
		return 0;
	if (r) {
		log_err("%s", err.msg);
		return EXIT_VMM_ERROR;
	}
	cfg.kernel = kernel;
	/*
	 * Now, not at the panic: a dump with nowhere to go would be lost. A
	 * directory the user named must work; the default (the current
	 * directory) only warns, so a boot from a read-only place still runs.
	 */
	if ((cfg.on_panic & PANIC_DUMP) && dump_check_dir(cfg.dump_dir, &err)) {
		if (cfg.dump_dir_given) {
			log_err("%s", err.msg);
			return EXIT_VMM_ERROR;
		}
		log_warn("%s; a guest panic could not be dumped: give --dump-dir DIR", err.msg);
	}
	if (file_read_all("", kernel, VM_KERNEL_MAX, &kbuf, &ksize, &err) ||
	    (cfg.initrd && file_read_all("--initrd ", cfg.initrd, VM_INITRD_MAX, &ibuf, &isize, &err))) {
		log_err("%s", err.msg);
		free(kbuf);
		return EXIT_VMM_ERROR;
	}
	files = (struct boot_files){
		.kernel_name = kernel,
		.kernel = kbuf,
		.kernel_size = ksize,
		.initrd_name = cfg.initrd,
		.initrd = ibuf,
		.initrd_size = isize,
		.cmdline = cfg.cmdline,
	};
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		log_err("out of memory");
		return EXIT_VMM_ERROR;
	}
	r = vm_init(vm, &cfg, &files, &err);
	if (r) {
		log_err("%s", err.msg);
		status = EXIT_VMM_ERROR;
	} else {
		status = vm_run(vm);
	}
	vm_destroy(vm);
	free(vm);
	free(kbuf);
	free(ibuf);
	return status;
}

static int cmd_restore(int argc, char **argv)
{
	struct vm_config cfg, opt;
	struct snapshot *snap;
	struct errbuf err;
	struct vm *vm;
	const char *dir;
	int r, status = EXIT_VMM_ERROR;

	r = options_parse(CMD_RESTORE, argc, argv, &opt, &dir, &err);
	if (r == 1)
		return 0;
	if (r) {
		log_err("%s", err.msg);
		return EXIT_VMM_ERROR;
	}
	snap = calloc(1, sizeof(*snap));
	vm = calloc(1, sizeof(*vm));
	if (!snap || !vm) {
		log_err("out of memory");
		goto out;
	}
	if (snapshot_open(dir, snap, &err)) {
		log_err("%s", err.msg);
		goto out;
	}
	cfg = snap->cfg;
	if ((opt.mem_given && opt.mem_size != cfg.mem_size) ||
	    (opt.cpus_given && opt.nr_cpus != cfg.nr_cpus)) {
		log_err("restore: the snapshot has %u vCPUs and %llu MiB; --cpus/--mem must match or be left out",
			cfg.nr_cpus, (unsigned long long)(cfg.mem_size >> 20));
		goto out_snap;
	}
	cfg.on_panic = opt.on_panic;
	cfg.dump_dir = opt.dump_dir;
	cfg.dump_dir_given = opt.dump_dir_given;
	cfg.api_sock = opt.api_sock;
	cfg.no_reboot = cfg.no_reboot || opt.no_reboot;
	cfg.seccomp = opt.seccomp;
	cfg.test_seccomp_violation = opt.test_seccomp_violation;
	if ((cfg.on_panic & PANIC_DUMP) && dump_check_dir(cfg.dump_dir, &err)) {
		if (cfg.dump_dir_given) {
			log_err("%s", err.msg);
			goto out_snap;
		}
		log_warn("%s; a guest panic could not be dumped: give --dump-dir DIR", err.msg);
	}
	if (vm_restore(vm, &cfg, snap, &err))
		log_err("restore: %s", err.msg);
	else
		status = vm_run(vm);
	vm_destroy(vm);
out_snap:
	snapshot_close(snap);
out:
	free(vm);
	free(snap);
	return status;
}

static int cmd_tables(int argc, char **argv)
{
	struct vm_config cfg;
	struct errbuf err;
	const char *dir;
	struct vm *vm;
	int r;

	r = options_parse(CMD_TABLES, argc, argv, &cfg, &dir, &err);
	if (r == 1)
		return 0;
	if (r) {
		log_err("%s", err.msg);
		return EXIT_VMM_ERROR;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		log_err("out of memory");
		return EXIT_VMM_ERROR;
	}
	r = vm_write_tables(vm, &cfg, dir, &err);
	if (r)
		log_err("tables: %s", err.msg);
	vm_destroy(vm);
	free(vm);
	return r ? EXIT_VMM_ERROR : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!cmd || !strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(main_help, cmd ? stdout : stderr);
		return cmd ? 0 : EXIT_VMM_ERROR;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("microvm %s\n", MICROVM_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "restore"))
		return cmd_restore(argc - 1, argv + 1);
	if (!strcmp(cmd, "ctl"))
		return ctl_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "tables"))
		return cmd_tables(argc - 1, argv + 1);
	if (!strcmp(cmd, "inspect"))
		return inspect_main(argc - 1, argv + 1);
	log_err("unknown command '%s'; see microvm --help", cmd);
	return EXIT_VMM_ERROR;
}
