/* SPDX-License-Identifier: MIT */
/*
 * kmain: read the boot structure, set up the CPU, run the scenario named by
 * test=NAME, and report the result through isa-debug-exit.
 */
#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/paging.h"
#include "guest-images/testguest/scenarios.h"

static const struct scenario scenarios[] = {
	{ "hello", scn_hello, "print a greeting and the command line" },
	{ "memmap", scn_memmap,
	  "check the e820/PVH memory map (expect_mem=SIZE, memmap=exact) and probe its RAM" },
	{ "cpl3", scn_cpl3, "run a 200M-step compute loop in user mode" },
	{ "smp", scn_smp, "start the APs with INIT/SIPI (cpus=N) and see each report" },
	{ "reset", scn_reset, "reset through the i8042 (0x64 <- 0xFE), pass on the next boot" },
	{ "reset-triple", scn_reset_triple, "reset by triple fault, pass on the next boot" },
	{ "cpuid", scn_cpuid, "what CPUID advertises (features=hidden|passed)" },
	{ "selftest", scn_selftest, "check the guest's printf, parsing and string helpers" },
	{ "trap", scn_trap, "raise an exception (trap=ud|gp|pf|user): must FAIL with code 0x71" },
	{ "acpi", scn_acpi, "validate the ACPI tables: RSDP, XSDT, FADT, DSDT, MADT (cpus=N, acpi=strict)" },
	{ "poweroff", scn_poweroff, "ACPI S5 through the FADT SLEEP_CONTROL_REG: the VM must end" },
	{ "acpi-reset", scn_acpi_reset, "reset through the FADT RESET_REG, pass on the next boot" },
	{ "loader", scn_loader,
	  "run etc/table-loader with the firmware's executor in scratch RAM; compare with the real tables" },
	{ "fwcfg", scn_fwcfg, "the fw_cfg ABI: ports, directory, etc/e820, loader, DMA errors (fwcfg=strict)" },
	{ "vmcoreinfo", scn_vmcoreinfo,
	  "publish a VMCOREINFO note (vmci=hostile-case), fill memory, panic via pvpanic (--vmcoreinfo)" },
	{ "vmcoreinfo-reset", scn_vmcoreinfo_reset,
	  "publish, reset, panic without publishing again (vmci=republish: with)" },
	{ "vmcoreinfo-fwcfg", scn_vmcoreinfo_fwcfg,
	  "publish through QEMU's etc/vmcoreinfo as Linux does (vmci=hostile-case), panic (--vmcoreinfo=fwcfg)" },
	{ "vmcoreinfo-fwcfg-reset", scn_vmcoreinfo_fwcfg_reset,
	  "publish through etc/vmcoreinfo, reset, panic without publishing again (vmci=republish: with)" },
	{ "flood", scn_flood, "print lines on COM1 forever (never ends by itself)" },
	{ "serial", scn_serial, "receive a console line and echo it, driven by UART interrupts through the IOAPIC" },
	{ "counter", scn_counter,
	  "count at CPL3 on every CPU over a checked RAM region, a line per step=MS (count=N, "
	  "region=SIZE, vmci=acpi|fwcfg); console input: q quit, p panic, r reset" },
	{ "hostile", scn_hostile,
	  "random port IO, MMIO and fw_cfg DMA at microvm for secs=N (seed=N), check, then end as "
	  "vmcoreinfo (end=fwcfg: as vmcoreinfo-fwcfg)" },
	{ "no-debug-exit", scn_no_debug_exit,
	  "write 0x501, go on, reset through the i8042 (run without --debug-exit, with --no-reboot)" },
};

/* The boot CPU's copy of what the loader passed. */
static struct boot_info boot;

static void list_scenarios(void)
{
	printf("scenarios (test=NAME):\n");
	for (unsigned i = 0; i < ARRAY_SIZE(scenarios); i++)
		printf("  %-14s %s\n", scenarios[i].name, scenarios[i].description);
}

void kmain(unsigned proto, uint32_t boot_struct);
void kmain(unsigned proto, uint32_t boot_struct)
{
	char name[64];

	console_init();
	boot_info_read(&boot, proto, boot_struct);
	cpu_init();
	paging_map_ram(&boot);
	printf("testguest: %s entry, boot structure at 0x%x, cmdline \"%s\"\n",
	       boot_proto_name(proto), boot_struct, boot.cmdline);

	if (!cmdline_get(&boot, "test", name, sizeof(name))) {
		list_scenarios();
		fail(GUEST_EXIT_USAGE, "no test=NAME on the command line");
	}
	for (unsigned i = 0; i < ARRAY_SIZE(scenarios); i++) {
		if (strcmp(scenarios[i].name, name))
			continue;
		printf("testguest: running %s\n", name);
		scenarios[i].run(&boot);
		printf("testguest: %s passed\n", name);
		guest_exit(GUEST_EXIT_PASS);
	}
	list_scenarios();
	fail(GUEST_EXIT_USAGE, "unknown scenario \"%s\"", name);
}

void scn_hello(const struct boot_info *bi)
{
	printf("microvm test guest: hello\n");
	printf("command line: %s\n", bi->cmdline);
	printf("memory map: %u entries; RSDP: 0x%lx; initrd: 0x%lx, %lu bytes\n",
	       bi->nr_mem_reported, bi->rsdp, bi->initrd_addr, bi->initrd_size);
}
