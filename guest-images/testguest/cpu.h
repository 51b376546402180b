/* SPDX-License-Identifier: MIT */
/*
 * CPU state the test guest sets up (GDT TSS, IDT), the exception report,
 * CPL3 calls, and small wrappers for CPUID, MSRs, the TSC and the LAPIC.
 */
#ifndef TESTGUEST_CPU_H
#define TESTGUEST_CPU_H

#include <stdint.h>

#include "vmm/layout.h"

/* As pushed by traps.S: general registers, then vector and error code,
 * then the CPU's interrupt frame (SDM Vol. 3A §6.14.2). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap_frame must match traps.S");

/* The IDT and this CPU's TSS: cpu_init on the boot CPU, cpu_init_ap on an
 * AP (APIC IDs below MAX_CPUS). */
void cpu_init(void);
void cpu_init_ap(void);

/* Run fn(arg) at CPL3 on this CPU's user stack and return its result. fn
 * may not do port IO or print: it would fault, and faults are fatal. */
uint64_t user_call(uint64_t (*fn)(uint64_t), uint64_t arg);
/* The same with interrupts on: the handlers cpu_set_irq_handler claimed
 * run at CPL0 and return into fn. Back here, interrupts are off again. */
uint64_t user_call_irq(uint64_t (*fn)(uint64_t), uint64_t arg);

/* Vector (32..255) runs fn, with IF=0, and returns to the interrupted code;
 * fn sends the LAPIC EOI. Any other vector still reports and fails. */
void cpu_set_irq_handler(unsigned vector, void (*fn)(void));

/* Load an empty IDT: the next exception becomes a triple fault. */
void cpu_load_empty_idt(void);

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* What one CPU's CPUID says about the topology: leaf 1 and the first
 * CPU_TOPO_SUBLEAVES subleaves of leaf 0xB (zero when the max leaf is lower). */
#define CPU_TOPO_SUBLEAVES 4
struct cpu_topology {
	uint32_t leaf1[4];
	uint32_t leaf_b[CPU_TOPO_SUBLEAVES][4];
	uint32_t max_leaf;
};

void cpu_topology_read(struct cpu_topology *t);

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* ---- time (time.c) ---- */

/* TSC ticks per millisecond: from kvmclock or the PIT on first use; an
 * assumed upper bound when neither answers (then waits run long, never
 * short). */
uint64_t tsc_per_ms(void);
int tsc_is_measured(void);
void delay_us(uint64_t us);

/* ---- local APIC, xAPIC mode (SDM Vol. 3A §11.4) ---- */
#define MSR_APIC_BASE 0x1B
#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_X2APIC (1u << 10)
#define APIC_BASE_ENABLE (1u << 11)
#define LAPIC_ID 0x020
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310

static inline uint32_t lapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(LAYOUT_LAPIC + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(LAYOUT_LAPIC + reg) = v;
}

static inline unsigned lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

#endif
