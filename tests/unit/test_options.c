/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/options.h"

Test(options, parse_size_units)
{
	uint64_t v;

	cr_assert_eq(parse_size("256", &v), 0);
	cr_assert_eq(v, 256ULL << 20); /* plain numbers are MiB, like QEMU -m */
	cr_assert_eq(parse_size("64M", &v), 0);
	cr_assert_eq(v, 64ULL << 20);
	cr_assert_eq(parse_size("5G", &v), 0);
	cr_assert_eq(v, 5ULL << 30);
	cr_assert_eq(parse_size("3g", &v), 0);
	cr_assert_eq(v, 3ULL << 30);
	cr_assert_eq(parse_size("65536K", &v), 0);
	cr_assert_eq(v, 64ULL << 20);
	cr_assert_eq(parse_size("1T", &v), 0);
	cr_assert_eq(v, 1ULL << 40);
	cr_assert_eq(parse_size("2GiB", &v), 0);
	cr_assert_eq(v, 2ULL << 30);
	cr_assert_eq(parse_size("512MB", &v), 0);
	cr_assert_eq(v, 512ULL << 20);
	cr_assert_eq(parse_size("4096B", &v), 0);
	cr_assert_eq(v, 4096);
}

Test(options, parse_size_rejects)
{
	uint64_t v;
	const char *bad[] = { "", "abc", "-1", "1.5G", "12Q", "1GG", "G", " 1G", "1G ", "0x10" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse_size(bad[i], &v), -EINVAL, "'%s' accepted", bad[i]);
	cr_assert_eq(parse_size("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(parse_size("17179869184T", &v), -ERANGE);
}

Test(options, panic_actions)
{
	unsigned bits;
	struct errbuf err;

	cr_assert_eq(parse_panic_actions("dump,exit", &bits, &err), 0);
	cr_assert_eq(bits, PANIC_DUMP | PANIC_EXIT);
	cr_assert_eq(parse_panic_actions("pause", &bits, &err), 0);
	cr_assert_eq(bits, PANIC_PAUSE);
	cr_assert_eq(parse_panic_actions("dump,reset", &bits, &err), 0);
	cr_assert_eq(bits, PANIC_DUMP | PANIC_RESET);
	cr_assert_eq(parse_panic_actions("dump,explode", &bits, &err), -EINVAL);
	cr_assert(strstr(err.msg, "'explode'"));
	cr_assert_eq(parse_panic_actions("exit,reset", &bits, &err), -EINVAL);
	cr_assert_eq(parse_panic_actions("", &bits, &err), -EINVAL);
	cr_assert_eq(parse_panic_actions("dumpx", &bits, &err), -EINVAL);
	/* An empty element is refused wherever it is (a trailing comma was accepted). */
	cr_assert_eq(parse_panic_actions("dump,", &bits, &err), -EINVAL);
	cr_assert(strstr(err.msg, "empty action"), "%s", err.msg);
	cr_assert_eq(parse_panic_actions(",dump", &bits, &err), -EINVAL);
	cr_assert_eq(parse_panic_actions("dump,,exit", &bits, &err), -EINVAL);
	cr_assert_eq(parse_panic_actions(",", &bits, &err), -EINVAL);
}

static int parse(enum options_cmd cmd, struct vm_config *cfg, const char **pos, struct errbuf *err,
		 int argc, const char **argv)
{
	return options_parse(cmd, argc, (char **)argv, cfg, pos, err);
}

Test(options, run_defaults_and_values)
{
	struct vm_config cfg;
	struct errbuf err;
	const char *pos;
	const char *a1[] = { "run", "k.img", NULL };
	const char *a2[] = { "run", "--mem", "5G", "--cpus", "4", "--cmdline", "test=hello",
			     "--initrd", "i.cpio", "--no-reboot", "--debug-exit", "--vmcoreinfo",
			     "--on-panic", "dump,reset", "--dump-dir", "/tmp", "k.img", NULL };

	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 2, a1), 0);
	cr_assert_str_eq(pos, "k.img");
	cr_assert_eq(cfg.mem_size, 256ULL << 20);
	cr_assert_eq(cfg.nr_cpus, 1);
	cr_assert_eq(cfg.on_panic, PANIC_DUMP | PANIC_EXIT);
	cr_assert_str_eq(cfg.dump_dir, ".");
	cr_assert(!cfg.dump_dir_given);

	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 17, a2), 0, "%s", err.msg);
	cr_assert_eq(cfg.mem_size, 5ULL << 30);
	cr_assert_eq(cfg.nr_cpus, 4);
	cr_assert_str_eq(cfg.cmdline, "test=hello");
	cr_assert_str_eq(cfg.initrd, "i.cpio");
	cr_assert(cfg.no_reboot && cfg.debug_exit && cfg.vmcoreinfo);
	cr_assert_eq(cfg.on_panic, PANIC_DUMP | PANIC_RESET);
	cr_assert_str_eq(cfg.dump_dir, "/tmp");
	cr_assert(cfg.dump_dir_given);
}

Test(options, run_errors_name_the_problem)
{
	struct vm_config cfg;
	struct errbuf err;
	const char *pos;
	const char *a1[] = { "run", "--mem", "1M", "k", NULL };
	const char *a2[] = { "run", "--cpus", "0", "k", NULL };
	const char *a3[] = { "run", NULL };
	const char *a4[] = { "run", "--bogus", "k", NULL };
	const char *a5[] = { "run", "--mem", NULL };
	const char *a6[] = { "run", "--mem", "33000K", "k", NULL };
	const char *a7[] = { "run", "a", "b", NULL };

	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 4, a1), -EINVAL);
	cr_assert(strstr(err.msg, "--mem 1M"), "%s", err.msg);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 4, a2), -EINVAL);
	cr_assert(strstr(err.msg, "--cpus 0"), "%s", err.msg);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 1, a3), -EINVAL);
	cr_assert(strstr(err.msg, "missing KERNEL"), "%s", err.msg);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a4), -EINVAL);
	cr_assert(strstr(err.msg, "--bogus"), "%s", err.msg);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 2, a5), -EINVAL);
	cr_assert(strstr(err.msg, "needs a value"), "%s", err.msg);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 4, a6), -EINVAL);
	cr_assert(strstr(err.msg, "whole number of MiB"), "%s", err.msg);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a7), -EINVAL);
	cr_assert(strstr(err.msg, "unexpected argument 'b'"), "%s", err.msg);
}

/* A bad letter in a cluster of short options is named alone, wherever it sits. */
Test(options, unknown_short_option_named_by_its_letter)
{
	struct vm_config cfg;
	struct errbuf err;
	const char *pos;
	const char *a1[] = { "run", "-vx", "k", NULL };
	const char *a2[] = { "run", "-xv", "k", NULL };
	const char *a3[] = { "run", "-x", "k", NULL };
	const char *a4[] = { "run", "-vm", NULL };
	const char *a5[] = { "run", "--debug-exit", "-xv", "k", NULL };
	const char *a6[] = { "run", "k", "--mem", NULL };

	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a1), -EINVAL);
	cr_assert_str_eq(err.msg, "run: unknown option -x; see microvm run --help");
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a2), -EINVAL);
	cr_assert_str_eq(err.msg, "run: unknown option -x; see microvm run --help");
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a3), -EINVAL);
	cr_assert_str_eq(err.msg, "run: unknown option -x; see microvm run --help");
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 2, a4), -EINVAL);
	cr_assert_str_eq(err.msg, "run: option -m needs a value; see microvm run --help");
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 4, a5), -EINVAL);
	cr_assert_str_eq(err.msg, "run: unknown option -x; see microvm run --help");
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a6), -EINVAL);
	cr_assert_str_eq(err.msg, "run: option --mem needs a value; see microvm run --help");
}

Test(options, tables_accepts_machine_options_only)
{
	struct vm_config cfg;
	struct errbuf err;
	const char *pos;
	const char *a1[] = { "tables", "--vmcoreinfo", "--cpus", "4", "--mem", "5G", "out", NULL };
	const char *a2[] = { "tables", "--cmdline", "x", "out", NULL };
	char fw[] = "--fw-cfg=name=opt/a,string=b"; /* parse_user_fwcfg splits it in place */
	const char *a3[] = { "tables", fw, "out", NULL };
	const char *a4[] = { "tables", "--initrd", "foo", "out", NULL };

	cr_assert_eq(parse(CMD_TABLES, &cfg, &pos, &err, 7, a1), 0, "%s", err.msg);
	cr_assert_str_eq(pos, "out");
	cr_assert(cfg.vmcoreinfo);
	cr_assert_eq(cfg.nr_cpus, 4);
	cr_assert_eq(parse(CMD_TABLES, &cfg, &pos, &err, 4, a2), -EINVAL);
	cr_assert_str_eq(err.msg, "tables: option --cmdline applies to run only");
	cr_assert_eq(parse(CMD_TABLES, &cfg, &pos, &err, 3, a3), -EINVAL);
	cr_assert_str_eq(err.msg, "tables: option --fw-cfg applies to run only");
	cr_assert_eq(parse(CMD_TABLES, &cfg, &pos, &err, 4, a4), -EINVAL);
	cr_assert_str_eq(err.msg, "tables: option --initrd applies to run only");
}

Test(options, vmcoreinfo_protocols)
{
	struct vm_config cfg;
	struct errbuf err;
	const char *pos;
	const char *a1[] = { "run", "--vmcoreinfo", "k", NULL };
	const char *a2[] = { "run", "--vmcoreinfo=fwcfg", "k", NULL };
	const char *a3[] = { "run", "--vmcoreinfo=acpi", "k", NULL };
	const char *a4[] = { "run", "--vmcoreinfo=qemu", "k", NULL };
	const char *a5[] = { "run", "k", NULL };

	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a1), 0, "%s", err.msg);
	cr_assert_eq(cfg.vmcoreinfo, VMCI_MODE_ACPI);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a2), 0, "%s", err.msg);
	cr_assert_eq(cfg.vmcoreinfo, VMCI_MODE_FWCFG);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a3), 0, "%s", err.msg);
	cr_assert_eq(cfg.vmcoreinfo, VMCI_MODE_ACPI);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a4), -EINVAL);
	cr_assert_str_eq(err.msg, "--vmcoreinfo=qemu: unknown protocol; choose acpi (the default) or fwcfg");
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 2, a5), 0, "%s", err.msg);
	cr_assert_eq(cfg.vmcoreinfo, VMCI_MODE_NONE);
}

Test(options, user_fwcfg_specs)
{
	struct user_fwcfg u;
	struct errbuf err;
	char s1[] = "name=opt/a/b,file=/tmp/x";
	char s2[] = "name=opt/s,string=hello, world";
	char s3[] = "opt/x";
	char s4[] = "name=opt/x,data=1";
	char s5[] = "name=,string=x";
	char s6[] = "name=opt/x,file=";
	char s7[] = "name=etc/microvm/boot,string=x";

	cr_assert_eq(parse_user_fwcfg(s1, &u, &err), 0);
	cr_assert_str_eq(u.name, "opt/a/b");
	cr_assert_str_eq(u.file, "/tmp/x");
	cr_assert_null(u.string);
	cr_assert_eq(parse_user_fwcfg(s2, &u, &err), 0);
	cr_assert_str_eq(u.string, "hello, world"); /* only the first comma separates */
	cr_assert_eq(parse_user_fwcfg(s3, &u, &err), -EINVAL);
	cr_assert_eq(parse_user_fwcfg(s4, &u, &err), -EINVAL);
	cr_assert(strstr(err.msg, "name=opt/x,data=1"), "%s", err.msg);
	cr_assert_eq(parse_user_fwcfg(s5, &u, &err), -EINVAL);
	cr_assert_eq(parse_user_fwcfg(s6, &u, &err), -EINVAL);
	cr_assert_eq(parse_user_fwcfg(s7, &u, &err), -EINVAL);
	cr_assert(strstr(err.msg, "cannot be replaced"), "%s", err.msg);
}

/* An empty file name used to reach open() and report ": No such file or directory". */
Test(options, empty_file_names_are_refused)
{
	struct vm_config cfg;
	struct errbuf err;
	const char *pos;
	const char *a1[] = { "run", "--initrd", "", "k", NULL };
	const char *a2[] = { "run", "--initrd=", "k", NULL };
	const char *a3[] = { "run", "", NULL };
	const char *a4[] = { "tables", "", NULL };

	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 4, a1), -EINVAL);
	cr_assert_str_eq(err.msg, "run: --initrd needs a file name, got an empty one");
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, a2), -EINVAL);
	cr_assert_str_eq(err.msg, "run: --initrd needs a file name, got an empty one");
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 2, a3), -EINVAL);
	cr_assert_str_eq(err.msg, "run: KERNEL is an empty name; see microvm run --help");
	cr_assert_eq(parse(CMD_TABLES, &cfg, &pos, &err, 2, a4), -EINVAL);
	cr_assert_str_eq(err.msg, "tables: DIR is an empty name; see microvm tables --help");
}

Test(options, seccomp_on_by_default_and_test_hook)
{
	struct vm_config cfg;
	struct errbuf err;
	const char *pos;
	const char *run_off[] = { "run", "--seccomp=off", "k", NULL };
	const char *restore_on[] = { "restore", "--seccomp", "on", "--test-seccomp-violation", "vcpu", "d", NULL };
	const char *bad[] = { "run", "--seccomp=maybe", "k", NULL };
	const char *bad_hook[] = { "run", "--test-seccomp-violation", "dump", "k", NULL };
	const char *tables[] = { "tables", "--seccomp=off", "d", NULL };
	const char *plain[] = { "run", "k", NULL };

	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 2, plain), 0);
	cr_assert(cfg.seccomp, "on by default");
	cr_assert_eq(cfg.test_seccomp_violation, SECCOMP_VIOLATION_NONE);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, run_off), 0, "%s", err.msg);
	cr_assert(!cfg.seccomp);
	cr_assert_eq(parse(CMD_RESTORE, &cfg, &pos, &err, 6, restore_on), 0, "%s", err.msg);
	cr_assert(cfg.seccomp);
	cr_assert_eq(cfg.test_seccomp_violation, SECCOMP_VIOLATION_VCPU);
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 3, bad), -EINVAL);
	cr_assert_str_eq(err.msg, "--seccomp maybe: choose on or off");
	cr_assert_eq(parse(CMD_RUN, &cfg, &pos, &err, 4, bad_hook), -EINVAL);
	cr_assert_eq(parse(CMD_TABLES, &cfg, &pos, &err, 3, tables), -EINVAL);
	cr_assert(strstr(err.msg, "applies to run only"), "%s", err.msg);
}
