/* SPDX-License-Identifier: MIT */
/*
 * One TSS per CPU (its rsp0, for entries from CPL3, set by each user_call)
 * and the IDT: every vector reports and fails, except the #UD at
 * user_exit_ud2 that ends a user_call (see traps.S for why it is an
 * exception) and the interrupt vectors a scenario claims with
 * cpu_set_irq_handler.
 */
#include "guest-images/testguest/cpu.h"

#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/guest.h"

/* SDM Vol. 3A §7.7, figure 7-11. */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

/* SDM Vol. 3A §6.14.1, figure 6-8. */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr; /* P | DPL | type */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes");

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));
_Static_assert(sizeof(struct table_ptr) == 10, "lgdt/lidt operand is 10 bytes");

#define GATE_INTR_DPL0 0x8E
#define RFLAGS_FIXED 0x002 /* bit 1 is always set */
#define RFLAGS_IF 0x200
#define TSS_AVAILABLE 0x89 /* present, type 9 */
#define VEC_UD 6

extern uint64_t gdt[GDT_ENTRIES];
extern const char trap_stubs[];
extern const char user_exit_ud2[];
extern char user_stack_top[], ap_user_stacks[];
/* rsp0: where the TSS's rsp0 field lies (unaligned: the TSS is packed). */
uint64_t user_enter(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t rflags, void *rsp0,
		    uintptr_t user_rsp);
NORETURN void user_resume(uint64_t result, uintptr_t rsp0);

/* Indexed by APIC ID (below MAX_CPUS: cpu_index checks). */
static struct tss64 tss[MAX_CPUS];
static uintptr_t user_rsp[MAX_CPUS];
static struct idt_gate idt[256] __attribute__((aligned(16)));
static void (*volatile irq_handlers[256])(void);

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM no math", "#DF double fault",
	"coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
	"#VE virtualization", "#CP control protection",
};

static void set_gate(unsigned vec, uintptr_t handler, uint8_t type_attr)
{
	struct idt_gate *g = &idt[vec];

	g->offset_lo = (uint16_t)handler;
	g->selector = SEL_CODE64;
	g->ist = 0;
	g->type_attr = type_attr;
	g->offset_mid = (uint16_t)(handler >> 16);
	g->offset_hi = (uint32_t)(handler >> 32);
	g->reserved = 0;
}

static void load_idt(void)
{
	struct table_ptr p = { sizeof(idt) - 1, (uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

static unsigned cpu_index(void)
{
	unsigned id = lapic_id();

	if (id >= MAX_CPUS)
		fail(GUEST_EXIT_USAGE, "APIC ID %u: the test guest handles IDs below %u", id, MAX_CPUS);
	return id;
}

/* This CPU's TSS, in its own GDT slot (a busy TSS cannot be loaded twice). */
static void install_tss(unsigned id)
{
	uintptr_t base = (uintptr_t)&tss[id];
	uint64_t limit = sizeof(tss[id]) - 1;
	unsigned sel = SEL_TSS_OF(id);

	tss[id].iomap_base = sizeof(tss[id]); /* no IO bitmap: CPL3 port IO faults */
	/* SDM Vol. 3A §7.2.3, figure 7-4: 16-byte system descriptor. */
	gdt[sel / 8] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | (uint64_t)TSS_AVAILABLE << 40 |
		       ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
	gdt[sel / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(sel));
}

void cpu_init(void)
{
	unsigned id;

	for (unsigned v = 0; v < ARRAY_SIZE(idt); v++)
		set_gate(v, (uintptr_t)trap_stubs + 16 * v, GATE_INTR_DPL0);
	load_idt();
	id = cpu_index();
	user_rsp[id] = (uintptr_t)user_stack_top;
	install_tss(id);
}

void cpu_init_ap(void)
{
	unsigned id;

	load_idt();
	id = cpu_index();
	user_rsp[id] = (uintptr_t)ap_user_stacks + (id + 1) * AP_USER_STACK_SIZE;
	install_tss(id);
}

static uint64_t user_call_flags(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t rflags)
{
	unsigned id = cpu_index();

	return user_enter(fn, arg, rflags, (uint8_t *)&tss[id] + offsetof(struct tss64, rsp),
			  user_rsp[id]);
}

uint64_t user_call(uint64_t (*fn)(uint64_t), uint64_t arg)
{
	return user_call_flags(fn, arg, RFLAGS_FIXED);
}

uint64_t user_call_irq(uint64_t (*fn)(uint64_t), uint64_t arg)
{
	return user_call_flags(fn, arg, RFLAGS_FIXED | RFLAGS_IF);
}

void cpu_set_irq_handler(unsigned vector, void (*fn)(void))
{
	if (vector < 32 || vector >= ARRAY_SIZE(irq_handlers))
		fail(GUEST_EXIT_USAGE, "vector %u cannot take an interrupt handler", vector);
	irq_handlers[vector] = fn;
}

void cpu_load_empty_idt(void)
{
	struct table_ptr p = { 0, 0 };

	__asm__ volatile("lidt %0" : : "m"(p));
}

void trap_handler(struct trap_frame *f); /* called from traps.S */
void trap_handler(struct trap_frame *f)
{
	uint64_t cr2;
	const char *name = "";

	if (f->vector == VEC_UD && f->rip == (uintptr_t)user_exit_ud2 && (f->cs & 3) == 3)
		user_resume(f->rdi, (uintptr_t)(f + 1)); /* the frame ends at rsp0 */
	if (f->vector < ARRAY_SIZE(irq_handlers) && irq_handlers[f->vector]) {
		irq_handlers[f->vector]();
		return; /* traps.S resumes the interrupted code */
	}
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	if (f->vector < ARRAY_SIZE(exception_names) && exception_names[f->vector])
		name = exception_names[f->vector];
	else if (f->vector >= 32)
		name = "unexpected interrupt";
	console_break_lock();
	printf("TRAP: vector %lu %s, error code 0x%lx, CPU %u\n", f->vector, name, f->error,
	       lapic_id());
	printf("TRAP: RIP 0x%lx CS 0x%lx RFLAGS 0x%lx RSP 0x%lx SS 0x%lx CR2 0x%lx\n", f->rip, f->cs,
	       f->rflags, f->rsp, f->ss, cr2);
	printf("TRAP: RAX 0x%lx RBX 0x%lx RCX 0x%lx RDX 0x%lx RSI 0x%lx RDI 0x%lx RBP 0x%lx\n",
	       f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp);
	fail(GUEST_EXIT_TRAP, "unexpected exception %lu at RIP 0x%lx (CPL %lu)", f->vector, f->rip,
	     f->cs & 3);
}

void cpu_topology_read(struct cpu_topology *t)
{
	uint32_t r[4];

	memset(t, 0, sizeof(*t));
	cpuid(0, 0, r);
	t->max_leaf = r[0];
	cpuid(1, 0, t->leaf1);
	if (t->max_leaf >= 0xB)
		for (uint32_t sub = 0; sub < CPU_TOPO_SUBLEAVES; sub++)
			cpuid(0xB, sub, t->leaf_b[sub]);
}
