/* SPDX-License-Identifier: MIT */
/*
 * vmcoreinfo, vmcoreinfo-reset: play the guest kernel's part of the
 * vmcoreinfo protocol (shared/DESIGN.md §6, docs/vmcoreinfo.md), then panic
 * through pvpanic with known contents in memory and registers, so the tests
 * can hold the VMM's crash dump against what the guest did.
 *
 * 1. Build a VMCOREINFO ELF note at VMCI_NOTE_ADDR: {namesz 11, descsz,
 *    type 0}, "VMCOREINFO\0" padded to 12, then the text (OSRELEASE,
 *    PAGESIZE, SYMBOL(swapper_pg_dir), MARKER from marker=...) padded to 4.
 * 2. Find the SSDT with OEM table id "VMCOREIN" through the XSDT and read
 *    its patched VCIA dword: the page's address. Cross-check it with the
 *    fw_cfg file etc/vmcoreinfo-addr (page + 40).
 * 3. Write {u32 version 0, u64 paddr, u32 size} at page + 40.
 * 4. Fill memory with recognisable data (docs/testguest.md: 64 KiB pattern,
 *    a marker page, zero pages; fill=SIZE more at 32 MiB, at CPL3).
 * 5. Load the register values panic.S documents and write PANICKED (1)
 *    to port 0x505.
 * Every value the tests compare is printed first ("vmcoreinfo: ..." lines).
 *
 * Hostile descriptors, vmci=WHAT: paddr-beyond-ram, paddr-overflow (paddr +
 * size wraps), size0, size2m, version1, badname (the note is named
 * "VMCOREINFX"), nopublish (panic without writing the descriptor),
 * zero-addr (publish, then overwrite etc/vmcoreinfo-addr with 0 by DMA: the
 * file is guest-writable, so the VMM's address is as good as the guest's).
 * vmcoreinfo-reset publishes, resets through the i8042 and panics on the
 * next boot without publishing (vmci=republish: publishing again first).
 *
 * How the guest reports, pvpanic=WHAT (for the --on-panic tests):
 * panic (default) as above; crash-loaded: write CRASH_LOADED only, then
 * pass; crash-loaded-panic: CRASH_LOADED, then panic as above; continue:
 * write PANICKED and, if the VMM lets it run on, say so and pass; twice:
 * PANICKED twice, then pass; reset: PANICKED with the reset marker set, and
 * pass on the boot after the VMM's reset; poweroff: PANICKED, then ACPI
 * poweroff if the VMM lets the guest run on. high=1 also fills 64 KiB at 4 GiB
 * with the pattern (needs --mem 5G or more). cpus=N (with --cpus N) starts
 * N - 1 APs that hold markers in r12..r15 and loop on port IO while the
 * boot CPU panics, for multi-vCPU dumps.
 */
#include "guest-images/testguest/acpi.h"
#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/fwcfg.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/reset.h"
#include "guest-images/testguest/scenarios.h"
#include "guest-images/testguest/smp.h"
#include "guest-images/testguest/vmci.h"
#include "vmm/layout.h"
#include "vmm/util.h"

/* Where things go (docs/testguest.md, "Memory the guest uses"). */
#define PATTERN_ADDR 0x1000000ull /* 64 KiB of pattern() */
#define PATTERN_SIZE 0x10000ull
#define MARKER_PAGE 0x1010000ull /* "microvm-testguest marker page: MARKER=...\n", then zeros */
#define ZERO_ADDR 0x1011000ull	 /* 15 pages of zeros */
#define ZERO_SIZE 0xF000ull
#define FILL_ADDR 0x2000000ull /* fill=SIZE: pattern() from 32 MiB */
#define HIGH_ADDR 0x100000000ull /* high=1: 64 KiB of pattern() at 4 GiB */
#define HIGH_SIZE 0x10000ull

/* The 8-byte word at guest physical address p (8-aligned) holds this. */
#define PATTERN_MUL 0x9E3779B97F4A7C15ull
#define PATTERN_XOR 0x6D6963726F766D21ull /* "!mvorcim" */

/* The protocol (docs/vmcoreinfo.md): the descriptor at page + 40. */
#define VMCI_OEM_TABLE_ID "VMCOREIN"
#define VMCI_DESC_OFF 40
#define VMCI_VERSION_OFF 0
#define VMCI_PADDR_OFF 4
#define VMCI_SIZE_OFF 12
#define AML_NAME_OP 0x08
#define AML_DWORD_PREFIX 0x0C

#define PVPANIC_PORT 0x505
#define PVPANIC_PANICKED 0x01
#define PVPANIC_CRASH_LOADED 0x02

/* Hostile values. */
#define BEYOND_RAM_PADDR 0x4000000000ull /* 256 GiB */
#define WRAP_PADDR 0xFFFFFFFFFFFFFFF0ull
#define SIZE_2M 0x200000u

extern const char pml4[];
extern const char panic_out_insn[], panic_after_out[], panic_stack_top[];
NORETURN void panic_with_known_regs(void);

struct fill_args {
	uint64_t start, end;
};

static uint64_t user_fill(uint64_t arg)
{
	const struct fill_args *f = (const struct fill_args *)(uintptr_t)arg;

	for (uint64_t p = f->start; p < f->end; p += 8)
		*(volatile uint64_t *)(uintptr_t)p = (p * PATTERN_MUL) ^ PATTERN_XOR;
	return 0;
}

static uint64_t user_zero(uint64_t arg)
{
	const struct fill_args *f = (const struct fill_args *)(uintptr_t)arg;

	for (uint64_t p = f->start; p < f->end; p += 8)
		*(volatile uint64_t *)(uintptr_t)p = 0;
	return 0;
}


/* ---- the note ---- */

uint32_t vmci_build_note(const char *marker, int badname)
{
	uint8_t *n = (uint8_t *)(uintptr_t)VMCI_NOTE_ADDR;
	char *text = (char *)n + 24;
	int len;

	memset(n, 0, VMCI_NOTE_MAX);
	len = snprintf(text, VMCI_NOTE_MAX - 24 - 4,
		       "OSRELEASE=microvm-testguest\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=%lx\nMARKER=%s\n",
		       (uint64_t)(uintptr_t)pml4, marker);
	put_le32(n, 11);		/* namesz: "VMCOREINFO" and its NUL */
	put_le32(n + 4, (uint32_t)len); /* descsz */
	put_le32(n + 8, 0);		/* type */
	memcpy(n + 12, badname ? "VMCOREINFX" : "VMCOREINFO", 11);
	for (char *line = text; *line;) {
		char *nl = line;
		while (*nl != '\n')
			nl++;
		*nl = '\0';
		printf("vmcoreinfo: text: %s\n", line);
		*nl = '\n';
		line = nl + 1;
	}
	return 24 + (uint32_t)align_up((uint64_t)len, 4);
}

/* ---- finding the page ---- */

/* VCIA from the SSDT whose OEM table id is "VMCOREIN": NameOp "VCIA"
 * DWordPrefix, then the dword the firmware's ADD_POINTER patched. */
static uint64_t find_vcia(const struct boot_info *bi)
{
	uint64_t rsdp = acpi_find_rsdp(bi), t;

	CHECK(rsdp, "there is an RSDP");
	for (unsigned i = 0; (t = acpi_root_entry(rsdp, i)); i++) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)t;
		uint32_t len;

		if (!acpi_table_valid(t) || memcmp(p, "SSDT", 4) ||
		    memcmp(p + ACPI_HDR_OEM_TABLE_ID, VMCI_OEM_TABLE_ID, 8))
			continue;
		printf("vmcoreinfo: SSDT \"%s\" at 0x%lx\n", VMCI_OEM_TABLE_ID, t);
		len = get_le32(p + 4);
		for (uint32_t o = ACPI_HDR_LEN; o + 10 <= len; o++)
			if (p[o] == AML_NAME_OP && !memcmp(p + o + 1, "VCIA", 4) &&
			    p[o + 5] == AML_DWORD_PREFIX)
				return get_le32(p + o + 6);
		CHECK(0, "the VMCOREIN SSDT declares Name(VCIA, DWordConst)");
	}
	CHECK(0, "the XSDT lists an SSDT with OEM table id \"%s\" (run with --vmcoreinfo)",
	      VMCI_OEM_TABLE_ID);
	return 0;
}

static uint64_t find_page(const struct boot_info *bi)
{
	uint64_t page = find_vcia(bi), addr = 0;
	struct fwcfg_file f;
	uint8_t buf[8];
	static const uint8_t zero[VMCI_DESC_OFF + 16];

	printf("vmcoreinfo: VCIA = 0x%lx: page 0x%lx, descriptor at 0x%lx\n", page, page,
	       page + VMCI_DESC_OFF);
	CHECK(page && !(page & 0xFFF), "the firmware patched VCIA with a page address (0x%lx)", page);
	CHECK(!ram_covers(bi, page, 4096), "the page lies in memory the map does not give as RAM");
	CHECK(!memcmp((const void *)(uintptr_t)page, zero, sizeof(zero)),
	      "the page's first %u bytes are zero: nothing published since the firmware loaded it",
	      (unsigned)sizeof(zero));
	if (fwcfg_find_file("etc/vmcoreinfo-addr", &f) && f.size == 8 &&
	    fwcfg_dma_read(f.key, buf, 8) == 0)
		addr = get_le64(buf);
	CHECK(addr == page + VMCI_DESC_OFF, "fw_cfg etc/vmcoreinfo-addr holds page + 40 (0x%lx)", addr);
	return page;
}

/* ---- publishing ---- */

/* Any guest code may write etc/vmcoreinfo-addr, not only the firmware's WRITE_POINTER. */
static void zero_addr_file(void)
{
	static uint8_t zero[8];
	struct fwcfg_file f;
	uint32_t ctl;

	CHECK(fwcfg_find_file("etc/vmcoreinfo-addr", &f) && f.size == 8,
	      "fw_cfg has etc/vmcoreinfo-addr, 8 bytes");
	ctl = fwcfg_dma(FWCFG_DMA_KEY(f.key) | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE, 8,
			(uint64_t)(uintptr_t)zero);
	CHECK(ctl == 0, "the guest can write 0 to etc/vmcoreinfo-addr (control 0x%x)", ctl);
}

uint64_t vmci_publish_acpi(const struct boot_info *bi, const char *how)
{
	uint64_t page = find_page(bi), paddr = VMCI_NOTE_ADDR;
	uint8_t *d = (uint8_t *)(uintptr_t)(page + VMCI_DESC_OFF);
	char marker[64] = "testguest";
	uint32_t size, version = 0;

	cmdline_get(bi, "marker", marker, sizeof(marker));
	CHECK(ram_covers(bi, VMCI_NOTE_ADDR, VMCI_NOTE_MAX), "the note's place 0x%llx is RAM",
	      VMCI_NOTE_ADDR);
	size = vmci_build_note(marker, !strcmp(how, "badname"));
	if (!strcmp(how, "paddr-beyond-ram"))
		paddr = BEYOND_RAM_PADDR;
	else if (!strcmp(how, "paddr-overflow"))
		paddr = WRAP_PADDR;
	else if (!strcmp(how, "version1"))
		version = 1;
	if (!strcmp(how, "size0"))
		size = 0;
	else if (!strcmp(how, "size2m"))
		size = SIZE_2M;

	put_le32(d + VMCI_VERSION_OFF, version);
	put_le64(d + VMCI_PADDR_OFF, paddr);
	put_le32(d + VMCI_SIZE_OFF, size);
	printf("vmcoreinfo: published version %u paddr 0x%lx size %u marker %s\n", version, paddr, size,
	       marker);
	if (!strcmp(how, "zero-addr"))
		zero_addr_file();
	return paddr;
}

/* ---- memory and registers for the dump ---- */

void vmci_fill_memory(const struct boot_info *bi)
{
	static struct fill_args a;
	char *mp = (char *)(uintptr_t)MARKER_PAGE;
	char marker[64] = "testguest";
	uint64_t fill = 0;

	cmdline_get(bi, "marker", marker, sizeof(marker));
	CHECK(ram_covers(bi, PATTERN_ADDR, VMCI_NOTE_ADDR - PATTERN_ADDR),
	      "0x%llx-0x%llx is RAM for the pattern, marker and zero pages", PATTERN_ADDR,
	      VMCI_NOTE_ADDR - 1);
	a = (struct fill_args){ PATTERN_ADDR, PATTERN_ADDR + PATTERN_SIZE };
	user_call(user_fill, (uintptr_t)&a);
	a = (struct fill_args){ MARKER_PAGE, ZERO_ADDR + ZERO_SIZE };
	user_call(user_zero, (uintptr_t)&a);
	snprintf(mp, 4096, "microvm-testguest marker page: MARKER=%s\n", marker);
	printf("vmcoreinfo: pattern at 0x%llx, %llu bytes: u64 at p = p * 0x%llx ^ 0x%llx\n",
	       PATTERN_ADDR, PATTERN_SIZE, PATTERN_MUL, PATTERN_XOR);
	printf("vmcoreinfo: marker page at 0x%llx: %s", MARKER_PAGE, mp);
	printf("vmcoreinfo: zero pages at 0x%llx, %llu bytes\n", ZERO_ADDR, ZERO_SIZE);

	if (cmdline_size(bi, "high", &fill) && fill) {
		CHECK(ram_covers(bi, HIGH_ADDR, HIGH_SIZE), "high=1: 0x%llx + %llu bytes is RAM (--mem 5G)",
		      HIGH_ADDR, HIGH_SIZE);
		a = (struct fill_args){ HIGH_ADDR, HIGH_ADDR + HIGH_SIZE };
		user_call(user_fill, (uintptr_t)&a);
		printf("vmcoreinfo: high: pattern at 0x%llx, %llu bytes\n", HIGH_ADDR, HIGH_SIZE);
	}
	fill = 0;
	if (!cmdline_size(bi, "fill", &fill) || !fill)
		return;
	fill = align_up(fill, 8);
	CHECK(ram_covers(bi, FILL_ADDR, fill), "fill: 0x%llx + %lu bytes is RAM", FILL_ADDR, fill);
	a = (struct fill_args){ FILL_ADDR, FILL_ADDR + fill };
	user_call(user_fill, (uintptr_t)&a);
	printf("vmcoreinfo: fill: pattern at 0x%llx, %lu bytes\n", FILL_ADDR, fill);
}

uint64_t vmci_fill_ram(const struct boot_info *bi, uint64_t from, uint64_t size)
{
	static struct fill_args a;
	uint64_t done = 0;

	for (unsigned i = 0; i < bi->nr_mem && done < size; i++) {
		const struct mem_range *m = &bi->mem[i];
		uint64_t start = m->addr > from ? m->addr : from, end = m->addr + m->size;

		if (m->type != 1 || start >= end)
			continue;
		start = align_up(start, 8);
		if (end - start > size - done)
			end = start + align_up(size - done, 8);
		a = (struct fill_args){ start, end };
		user_call(user_fill, (uintptr_t)&a);
		done += end - start;
	}
	return done;
}

/* Linux uses a pvpanic only if it reads non-zero; ours offers exactly these two events. */
static void pvpanic_check(void)
{
	uint8_t events = inb(PVPANIC_PORT);

	CHECK(events == (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED),
	      "pvpanic at 0x%x offers exactly PANICKED and CRASH_LOADED (events 0x%x)", PVPANIC_PORT,
	      events);
}

static void trigger_panicked(const void *unused)
{
	(void)unused;
	printf("vmcoreinfo: panicking\n");
	outb(PVPANIC_PORT, PVPANIC_PANICKED);
}

volatile unsigned vmci_aps_looping; /* panic.S: APs holding their markers */
NORETURN void ap_loop_with_markers(unsigned apic_id);

static void ap_then(unsigned slot)
{
	ap_loop_with_markers(smp_ap_apic_id(slot));
}

/*
 * cpus=N: the dump must hold every vCPU. N - 1 APs load r12..r15 with
 * markers of their APIC ID and loop on port IO while the boot CPU panics.
 */
void vmci_start_looping_aps(const struct boot_info *bi)
{
	uint64_t cpus = 1, end;
	unsigned aps;
	int n;

	if (!cmdline_size(bi, "cpus", &cpus) || cpus <= 1)
		return;
	CHECK(cpus <= MAX_CPUS, "cpus=%lu is within 2..%u", cpus, MAX_CPUS);
	smp_ap_then = ap_then;
	n = smp_start_aps((unsigned)cpus - 1, SMP_AP_TIMEOUT_MS);
	CHECK(n == (int)cpus - 1, "%d of %lu application processors reported", n, cpus - 1);
	aps = (unsigned)n;
	end = rdtsc() + SMP_AP_TIMEOUT_MS * tsc_per_ms();
	while (__atomic_load_n(&vmci_aps_looping, __ATOMIC_ACQUIRE) < aps &&
	       (int64_t)(rdtsc() - end) < 0)
		cpu_relax();
	CHECK(vmci_aps_looping == aps, "%u of %u APs hold their markers", vmci_aps_looping, aps);
	for (unsigned i = 0; i < aps; i++) {
		unsigned id = smp_ap_apic_id(i);
		printf("vmcoreinfo: AP %u: r12 0x%lx r13 0x%lx r14 0x%lx r15 0x%lx\n", id,
		       VMCI_AP_MARKER(id, 12), VMCI_AP_MARKER(id, 13), VMCI_AP_MARKER(id, 14),
		       VMCI_AP_MARKER(id, 15));
	}
}

NORETURN void vmci_panic_now(void)
{
	pvpanic_check();
	printf("vmcoreinfo: registers: rax 0x1111111111111101 rbx 0x2222222222222222 "
	       "rcx 0x3333333333333333 rdx 0x4444444444440505 rsi 0x5555555555555555 "
	       "rdi 0x6666666666666666 rbp 0x7777777777777777 r8 0x8888888888888888 "
	       "r9 0x9999999999999999 r10 0xaaaaaaaaaaaaaaaa r11 0xbbbbbbbbbbbbbbbb "
	       "r12 0xcccccccccccccccc r13 0xdddddddddddddddd r14 0xeeeeeeeeeeeeeeee "
	       "r15 0xf0f0f0f0f0f0f0f0\n");
	printf("vmcoreinfo: rsp 0x%lx rip 0x%lx or 0x%lx\n", (uint64_t)(uintptr_t)panic_stack_top,
	       (uint64_t)(uintptr_t)panic_out_insn, (uint64_t)(uintptr_t)panic_after_out);
	printf("vmcoreinfo: panicking\n");
	panic_with_known_regs();
}

/* The value of cmdline `name` (known[0] when absent) into how; fails the run
 * on a value not in known. */
static void knob(const struct boot_info *bi, const char *name, const char *const *known,
		 unsigned nr, char *how, unsigned size)
{
	how[0] = '\0';
	if (!cmdline_get(bi, name, how, size))
		snprintf(how, size, "%s", known[0]);
	for (unsigned i = 0; i < nr; i++)
		if (!strcmp(how, known[i]))
			return;
	printf("%s=%s: unknown; one of:", name, how);
	for (unsigned i = 0; i < nr; i++)
		printf(" %s", known[i]);
	printf("\n");
	fail(GUEST_EXIT_USAGE, "%s=%s: unknown", name, how);
}

static void vmci_mode(const struct boot_info *bi, char *how, unsigned size)
{
	static const char *const known[] = { "normal",	"paddr-beyond-ram", "paddr-overflow", "size0",
					     "size2m",	"version1",	    "badname",	      "nopublish",
					     "republish", "zero-addr" };

	knob(bi, "vmci", known, ARRAY_SIZE(known), how, size);
}

static void pvpanic_mode(const struct boot_info *bi, char *how, unsigned size)
{
	static const char *const known[] = { "panic", "crash-loaded", "crash-loaded-panic", "continue",
					     "twice", "reset",	      "poweroff" };

	knob(bi, "pvpanic", known, ARRAY_SIZE(known), how, size);
}

/* pvpanic=WHAT other than the plain panic; returns only when the scenario passes. */
static void report(const struct boot_info *bi, const char *how)
{
	pvpanic_check();
	if (!strncmp(how, "crash-loaded", 12)) {
		outb(PVPANIC_PORT, PVPANIC_CRASH_LOADED);
		printf("vmcoreinfo: wrote CRASH_LOADED; running on\n");
		if (!strcmp(how, "crash-loaded-panic"))
			vmci_panic_now();
		return;
	}
	if (!strcmp(how, "reset"))
		reset_via(bi, "vmcoreinfo-panic", "a panic under --on-panic reset", trigger_panicked, NULL);
	for (int i = 0; i < (strcmp(how, "twice") ? 1 : 2); i++) {
		trigger_panicked(NULL);
		printf("vmcoreinfo: running again after PANICKED #%d\n", i + 1);
	}
	if (!strcmp(how, "poweroff"))
		scn_poweroff(bi); /* does not return */
}

void scn_vmcoreinfo(const struct boot_info *bi)
{
	char how[24], pv[24];

	vmci_mode(bi, how, sizeof(how));
	pvpanic_mode(bi, pv, sizeof(pv));
	if (!strcmp(pv, "reset") && reset_marker_found(bi, "vmcoreinfo-panic")) {
		printf("vmcoreinfo: second boot after the panic's reset\n");
		return;
	}
	vmci_fill_memory(bi);
	if (strcmp(how, "nopublish"))
		vmci_publish_acpi(bi, how);
	else
		printf("vmcoreinfo: not publishing (vmci=nopublish)\n");
	if (strcmp(pv, "panic")) {
		report(bi, pv);
		return;
	}
	vmci_start_looping_aps(bi);
	vmci_panic_now();
}

void scn_vmcoreinfo_reset(const struct boot_info *bi)
{
	char how[24];

	vmci_mode(bi, how, sizeof(how));
	if (!reset_marker_found(bi, "vmcoreinfo-reset")) {
		vmci_publish_acpi(bi, "normal");
		reset_via(bi, "vmcoreinfo-reset", "the i8042 (0xFE to port 0x64)", reset_trigger_i8042,
			  NULL);
	}
	vmci_fill_memory(bi);
	if (!strcmp(how, "republish")) {
		vmci_publish_acpi(bi, "normal");
	} else {
		/* The reset must have left no stale descriptor: find_page checks
		 * that the page is zero again. */
		find_page(bi);
		printf("vmcoreinfo: second boot: panicking without publishing again\n");
	}
	vmci_panic_now();
}
