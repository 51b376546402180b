/* SPDX-License-Identifier: MIT */
#include "vmm/options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/boot_abi.h"
#include "vmm/cpuid.h"
#include "vmm/layout.h"
#include "vmm/log.h"

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1ULL << 20; /* no suffix: MiB, as QEMU -m */
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (*p) {
		switch (toupper((unsigned char)*p)) {
		case 'B':
			mul = 1;
			break;
		case 'K':
			mul = 1ULL << 10;
			break;
		case 'M':
			mul = 1ULL << 20;
			break;
		case 'G':
			mul = 1ULL << 30;
			break;
		case 'T':
			mul = 1ULL << 40;
			break;
		default:
			return -EINVAL;
		}
		p++;
		if (mul != 1) {
			if (*p == 'i' || *p == 'I')
				p++;
			if (*p == 'b' || *p == 'B')
				p++;
		}
		if (*p)
			return -EINVAL;
	}
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
} panic_names[] = {
	{ "dump", PANIC_DUMP },
	{ "pause", PANIC_PAUSE },
	{ "exit", PANIC_EXIT },
	{ "reset", PANIC_RESET },
};

int parse_panic_actions(const char *s, unsigned *out, struct errbuf *err)
{
	unsigned bits = 0;
	const char *p = s;

	if (!*s)
		return errf(err, -EINVAL, "--on-panic: empty; use e.g. dump,exit");
	for (;;) {
		size_t n = strcspn(p, ",");
		unsigned i;

		if (n == 0)
			return errf(err, -EINVAL,
				    "--on-panic %s: empty action in the list; use e.g. dump,exit", s);
		for (i = 0; i < sizeof(panic_names) / sizeof(panic_names[0]); i++)
			if (strlen(panic_names[i].name) == n && !strncmp(p, panic_names[i].name, n))
				break;
		if (i == sizeof(panic_names) / sizeof(panic_names[0]))
			return errf(err, -EINVAL,
				    "--on-panic: unknown action '%.*s'; choose from dump, pause, exit, reset",
				    (int)n, p);
		bits |= panic_names[i].bit;
		p += n;
		if (!*p)
			break;
		p++; /* the comma: an action must follow */
	}
	if ((bits & PANIC_EXIT) && (bits & (PANIC_PAUSE | PANIC_RESET)))
		return errf(err, -EINVAL, "--on-panic %s: exit cannot be combined with pause or reset", s);
	if ((bits & PANIC_PAUSE) && (bits & PANIC_RESET))
		return errf(err, -EINVAL, "--on-panic %s: pause cannot be combined with reset", s);
	*out = bits;
	return 0;
}

int parse_vmcoreinfo(const char *s, unsigned *out, struct errbuf *err)
{
	if (!s || !strcmp(s, "acpi"))
		*out = VMCI_MODE_ACPI;
	else if (!strcmp(s, "fwcfg"))
		*out = VMCI_MODE_FWCFG;
	else
		return errf(err, -EINVAL,
			    "--vmcoreinfo=%s: unknown protocol; choose acpi (the default) or fwcfg", s);
	return 0;
}

void options_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = 256ULL << 20;
	cfg->nr_cpus = 1;
	cfg->cmdline = "";
	cfg->on_panic = PANIC_DUMP | PANIC_EXIT;
	cfg->dump_dir = ".";
	cfg->cpu_compat = CPU_COMPAT_AUTO;
	cfg->seccomp = true;
}

enum {
	OPT_CMDLINE = 256,
	OPT_INITRD,
	OPT_DEBUG_EXIT,
	OPT_NO_REBOOT,
	OPT_VMCOREINFO,
	OPT_ON_PANIC,
	OPT_DUMP_DIR,
	OPT_CPU_COMPAT,
	OPT_FW_CFG,
	OPT_API_SOCK,
	OPT_SECCOMP,
	OPT_TEST_SECCOMP_VIOLATION,
};

static const struct option long_opts[] = {
	{ "mem", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "append", required_argument, NULL, OPT_CMDLINE },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "debug-exit", no_argument, NULL, OPT_DEBUG_EXIT },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "vmcoreinfo", optional_argument, NULL, OPT_VMCOREINFO },
	{ "on-panic", required_argument, NULL, OPT_ON_PANIC },
	{ "dump-dir", required_argument, NULL, OPT_DUMP_DIR },
	{ "cpu-compat", required_argument, NULL, OPT_CPU_COMPAT },
	{ "fw-cfg", required_argument, NULL, OPT_FW_CFG },
	{ "api-sock", required_argument, NULL, OPT_API_SOCK },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	/* Hidden, for tests/integration/seccomp.sh: a thread makes a forbidden call on purpose. */
	{ "test-seccomp-violation", required_argument, NULL, OPT_TEST_SECCOMP_VIOLATION },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char run_help[] =
	"Usage: microvm run [OPTIONS] KERNEL\n"
	"\n"
	"Boot KERNEL (a Linux bzImage, or an ELF with a PVH entry note) on /dev/kvm.\n"
	"The guest console is COM1 on this terminal; Ctrl-A x quits, Ctrl-A h helps.\n"
	"\n"
	"Machine:\n"
	"  -m, --mem SIZE         guest RAM (default 256M); K, M, G, T suffixes, plain\n"
	"                         numbers are MiB; RAM beyond 3G continues above 4 GiB\n"
	"  -c, --cpus N           vCPUs (default 1); the others wait for INIT/SIPI\n"
	"      --cmdline STR      kernel command line (alias --append)\n"
	"      --initrd FILE      initial ramdisk\n"
	"      --no-reboot        exit (status 0; 8 after a panic) when the guest\n"
	"                         resets, as QEMU's\n"
	"      --debug-exit       QEMU isa-debug-exit at port 0x501: a write of v ends\n"
	"                         microvm with status (v << 1) | 1 (for test guests)\n"
	"      --cpu-compat MODE  auto (default), native or emulated: whether to hide\n"
	"                         CPU features a software-emulating KVM cannot run\n"
	"      --fw-cfg name=NAME,file=PATH | name=NAME,string=STR\n"
	"                         add a fw_cfg file for the guest, as QEMU's -fw_cfg;\n"
	"                         use names under opt/ (others replace microvm's own)\n"
	"\n"
	"Crash dumps:\n"
	"      --vmcoreinfo[=acpi|fwcfg]\n"
	"                         offer a vmcoreinfo device so the guest can tell\n"
	"                         microvm where its VMCOREINFO note is: acpi (default)\n"
	"                         the QEMUVMCI ACPI device and its page; fwcfg QEMU's\n"
	"                         etc/vmcoreinfo file, which stock Linux fills itself\n"
	"      --on-panic LIST    what a guest panic (pvpanic) does, comma-separated from\n"
	"                         dump, pause, exit, reset (default dump,exit)\n"
	"      --dump-dir DIR     where dumps go (default: the current directory);\n"
	"                         checked at start-up when the policy dumps\n"
	"\n"
	"Control:\n"
	"      --api-sock PATH    a QMP control socket (owner-only; a stale socket\n"
	"                         there is replaced): pause, resume, reset, dump,\n"
	"                         snapshot, query; use `microvm ctl PATH` or any\n"
	"                         QMP client (docs/qmp.md)\n"
	"\n"
	"Other:\n"
	"      --seccomp on|off   confine each thread to the system calls it needs\n"
	"                         once the VM is set up (default on); a forbidden\n"
	"                         call ends microvm with one line naming it\n"
	"                         (docs/security.md); off is for debugging\n"
	"  -v, --verbose          more messages (repeat for debug)\n"
	"  -q, --quiet            errors only (and where a dump went)\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: the guest's debug-exit status (odd), 0 after ACPI poweroff,\n"
	"2 bad input or set-up failure, 4 guest fault (e.g. KVM internal error, or\n"
	"a guest that triple-faults before printing, three boots in a row),\n"
	"8 guest panic, 16 stopped by a signal or Ctrl-A x. After a panic (until a\n"
	"reset) every end but the guest's own debug-exit gives 8, also a poweroff or\n"
	"a reset under --no-reboot; microvm's own failure stays 2.\n";

static const char restore_help[] =
	"Usage: microvm restore [OPTIONS] DIR\n"
	"\n"
	"Resume the VM saved in the snapshot directory DIR (QMP snapshot-save, or\n"
	"`microvm ctl SOCK snapshot DIR`) exactly where it stopped. Guest RAM is\n"
	"mapped from DIR/memory copy-on-write: the snapshot is never changed and\n"
	"can be restored again. The kernel, its command line, the vCPUs, memory\n"
	"and devices come from the snapshot; a reset boots the kernel file the\n"
	"snapshot names again.\n"
	"\n"
	"  -m, --mem SIZE         must match the snapshot, if given\n"
	"  -c, --cpus N           must match the snapshot, if given\n"
	"      --api-sock PATH    a QMP control socket, as for run\n"
	"      --on-panic LIST    as for run (default dump,exit)\n"
	"      --dump-dir DIR     as for run\n"
	"      --no-reboot        as for run\n"
	"      --seccomp on|off   as for run (default on)\n"
	"  -v, --verbose / -q, --quiet / -h, --help\n"
	"\n"
	"Exit status: as for run. A snapshot from another CPU vendor, of another\n"
	"format version, truncated or corrupted is refused before the VM is built.\n";

static const char tables_help[] =
	"Usage: microvm tables [--vmcoreinfo[=acpi|fwcfg]] [--cpus N] [--mem SIZE] DIR\n"
	"\n"
	"Write the ACPI tables microvm would give a guest with these options, as the\n"
	"firmware receives them (before it patches pointers and checksums), to\n"
	"DIR/<SIGNATURE>[-<OEM table id>].dat, plus the fw_cfg blobs (the linker/loader\n"
	"script as DIR/table-loader.bin). Feed them to iasl -d or acpiexec.\n";

/* "name=NAME,file=PATH" or "name=NAME,string=STR"; the strings point into s (argv). */
int parse_user_fwcfg(char *s, struct user_fwcfg *out, struct errbuf *err)
{
	char *comma = strchr(s, ',');
	const char *orig = s;

	memset(out, 0, sizeof(*out));
	if (strncmp(s, "name=", 5) || !comma)
		return errf(err, -EINVAL,
			    "--fw-cfg %s: expected name=NAME,file=PATH or name=NAME,string=STR", orig);
	*comma = '\0';
	out->name = s + 5;
	s = comma + 1;
	if (!strncmp(s, "file=", 5) && s[5])
		out->file = s + 5;
	else if (!strncmp(s, "string=", 7))
		out->string = s + 7;
	else {
		*comma = ',';
		return errf(err, -EINVAL, "--fw-cfg %s: after the name give file=PATH or string=STR", orig);
	}
	if (!*out->name || strlen(out->name) > 55) {
		*comma = ',';
		return errf(err, -EINVAL, "--fw-cfg %s: the name must have 1 to 55 characters", orig);
	}
	/* Rewritten from the kernel image at every power-on: a replacement would never be seen. */
	if (!strcmp(out->name, MVBOOT_FILE)) {
		*comma = ',';
		return errf(err, -EINVAL,
			    "--fw-cfg %s: microvm rewrites %s at every boot (the kernel's hand-off to the firmware); it cannot be replaced",
			    orig, MVBOOT_FILE);
	}
	return 0;
}

static int parse_cpus(const char *s, unsigned *out, struct errbuf *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || v == 0 || v > VM_MAX_CPUS)
		return errf(err, -EINVAL, "--cpus %s: expected a number from 1 to %d", s, VM_MAX_CPUS);
	*out = (unsigned)v;
	return 0;
}

static int parse_mem(const char *s, uint64_t *out, struct errbuf *err)
{
	int r = parse_size(s, out);

	if (r == -ERANGE)
		return errf(err, r, "--mem %s: too large", s);
	if (r)
		return errf(err, r, "--mem %s: not a size; use e.g. 512M or 4G", s);
	if (*out < LAYOUT_MEM_MIN || *out > LAYOUT_MEM_MAX)
		return errf(err, -EINVAL, "--mem %s: must be between %lluM and %lluG", s,
			    (unsigned long long)(LAYOUT_MEM_MIN >> 20),
			    (unsigned long long)(LAYOUT_MEM_MAX >> 30));
	if (*out & ((1ULL << 20) - 1))
		return errf(err, -EINVAL, "--mem %s: must be a whole number of MiB", s);
	return 0;
}

static int parse_compat(const char *s, int *out, struct errbuf *err)
{
	if (!strcmp(s, "auto"))
		*out = CPU_COMPAT_AUTO;
	else if (!strcmp(s, "native"))
		*out = CPU_COMPAT_NATIVE;
	else if (!strcmp(s, "emulated"))
		*out = CPU_COMPAT_EMULATED;
	else
		return errf(err, -EINVAL, "--cpu-compat %s: choose auto, native or emulated", s);
	return 0;
}

static int parse_on_off(const char *opt, const char *s, bool *out, struct errbuf *err)
{
	if (!strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "off"))
		*out = false;
	else
		return errf(err, -EINVAL, "%s %s: choose on or off", opt, s);
	return 0;
}

static int parse_violation(const char *s, int *out, struct errbuf *err)
{
	if (!strcmp(s, "main"))
		*out = SECCOMP_VIOLATION_MAIN;
	else if (!strcmp(s, "vcpu"))
		*out = SECCOMP_VIOLATION_VCPU;
	else
		return errf(err, -EINVAL, "--test-seccomp-violation %s: choose main or vcpu", s);
	return 0;
}

/*
 * The option getopt just refused, `before` being optind before the call. A
 * long one is the argument getopt moved past. A short one is named by its
 * letter alone: inside a cluster (-vx) the argument would blame the good
 * letters too, and in front of one (-xv) optind has not moved past it yet.
 */
static const char *bad_option_name(char **argv, int before, char *buf, size_t len)
{
	if (optind > before && !strncmp(argv[optind - 1], "--", 2))
		return argv[optind - 1];
	snprintf(buf, len, "-%c", optopt);
	return buf;
}

int options_parse(enum options_cmd cmd, int argc, char **argv, struct vm_config *cfg,
		  const char **positional, struct errbuf *err)
{
	const char *what = cmd == CMD_RUN ? "run" : cmd == CMD_RESTORE ? "restore" : "tables";
	char name[4];
	int c, li, r = 0;

	options_defaults(cfg);
	*positional = NULL;
	optind = 0; /* glibc: 0 also drops what a previous parse left mid-cluster (-xv) */
	opterr = 0;
	for (int before = 1; (li = -1, c = getopt_long(argc, argv, ":m:c:vqh", long_opts, &li)) != -1;
	     before = optind) {
		bool run_only = false, fixed = false; /* fixed: a snapshot decides it */

		switch (c) {
		case 'm':
			r = parse_mem(optarg, &cfg->mem_size, err);
			cfg->mem_given = true;
			break;
		case 'c':
			r = parse_cpus(optarg, &cfg->nr_cpus, err);
			cfg->cpus_given = true;
			break;
		case OPT_CMDLINE:
			fixed = true;
			cfg->cmdline = optarg;
			run_only = true;
			break;
		case OPT_INITRD:
			fixed = true;
			/* open("") would report only ": No such file or directory". */
			if (!optarg[0])
				return errf(err, -EINVAL, "%s: --initrd needs a file name, got an empty one",
					    what);
			cfg->initrd = optarg;
			run_only = true;
			break;
		case OPT_DEBUG_EXIT:
			fixed = true;
			cfg->debug_exit = true;
			run_only = true;
			break;
		case OPT_NO_REBOOT:
			cfg->no_reboot = true;
			run_only = true;
			break;
		case OPT_VMCOREINFO:
			fixed = true;
			r = parse_vmcoreinfo(optarg, &cfg->vmcoreinfo, err);
			break;
		case OPT_ON_PANIC:
			r = parse_panic_actions(optarg, &cfg->on_panic, err);
			run_only = true;
			break;
		case OPT_DUMP_DIR:
			cfg->dump_dir = optarg;
			cfg->dump_dir_given = true;
			run_only = true;
			break;
		case OPT_FW_CFG:
			fixed = true;
			run_only = true;
			if (cfg->nr_fwcfg == VM_MAX_USER_FWCFG)
				return errf(err, -EINVAL, "--fw-cfg: at most %d files", VM_MAX_USER_FWCFG);
			r = parse_user_fwcfg(optarg, &cfg->fwcfg[cfg->nr_fwcfg], err);
			if (!r)
				cfg->nr_fwcfg++;
			break;
		case OPT_API_SOCK:
			if (!optarg[0])
				return errf(err, -EINVAL, "%s: --api-sock needs a socket path", what);
			cfg->api_sock = optarg;
			run_only = true;
			break;
		case OPT_SECCOMP:
			r = parse_on_off("--seccomp", optarg, &cfg->seccomp, err);
			run_only = true;
			break;
		case OPT_TEST_SECCOMP_VIOLATION:
			r = parse_violation(optarg, &cfg->test_seccomp_violation, err);
			run_only = true;
			break;
		case OPT_CPU_COMPAT:
			fixed = true;
			r = parse_compat(optarg, &cfg->cpu_compat, err);
			run_only = true;
			break;
		case 'v':
			log_level++;
			break;
		case 'q':
			log_level = LOG_ERROR;
			break;
		case 'h':
			fputs(cmd == CMD_RUN ? run_help : cmd == CMD_RESTORE ? restore_help : tables_help, stdout);
			return 1;
		case ':':
			return errf(err, -EINVAL, "%s: option %s needs a value; see microvm %s --help",
				    what, bad_option_name(argv, before, name, sizeof(name)), what);
		default:
			return errf(err, -EINVAL, "%s: unknown option %s; see microvm %s --help", what,
				    bad_option_name(argv, before, name, sizeof(name)), what);
		}
		if (r)
			return r;
		/* Every run-only option is a long one: name it, not its value. */
		if (fixed && cmd == CMD_RESTORE)
			return errf(err, -EINVAL, "restore: --%s comes from the snapshot and cannot change",
				    li >= 0 ? long_opts[li].name : "?");
		if (run_only && cmd == CMD_TABLES)
			return errf(err, -EINVAL, "tables: option --%s applies to run only",
				    li >= 0 ? long_opts[li].name : "?");
	}
	if (optind >= argc)
		return errf(err, -EINVAL, "%s: missing %s; see microvm %s --help", what,
			    cmd == CMD_RUN ? "KERNEL" : "DIR", what);
	if (optind + 1 < argc)
		return errf(err, -EINVAL, "%s: unexpected argument '%s' after '%s'", what, argv[optind + 1],
			    argv[optind]);
	if (!argv[optind][0])
		return errf(err, -EINVAL, "%s: %s is an empty name; see microvm %s --help", what,
			    cmd == CMD_RUN ? "KERNEL" : "DIR", what);
	*positional = argv[optind];
	return 0;
}
