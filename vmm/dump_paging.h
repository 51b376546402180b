/* SPDX-License-Identifier: MIT */
/*
 * The kernel's virtual view in a dump (docs/dump.md, "Virtual aliases"): a
 * walk of the guest's x86-64 page tables (4 or 5 levels) from a vCPU's CR3
 * over the upper, kernel half of the address space, turned into runs
 * {vaddr, paddr, size} that become extra PT_LOAD headers pointing at data
 * the dump already holds for paddr. gdb reads memory by p_vaddr, so with
 * them it follows a KASLR kernel's stacks; crash and makedumpfile read by
 * p_paddr and see the same bytes. No data is written twice.
 *
 * The tables are guest memory, so guest-controlled: a table outside the
 * dumped RAM is skipped, only mappings of dumped RAM become runs, and
 * budgets on entries visited and runs kept bound the walk's time and
 * memory whatever the tables contain (loops included).
 */
#ifndef MICROVM_DUMP_PAGING_H
#define MICROVM_DUMP_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/dump_elf.h"

struct dump_alias {
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t size;
};

struct dump_aliases {
	struct dump_alias *a;
	size_t nr, cap;
	bool truncated; /* a budget ran out: the view is partial */
};

/* Budgets of dump_paging_walk(): page-table entries examined, runs kept. */
#define DUMP_PAGING_MAX_ENTRIES (1ULL << 26)
#define DUMP_PAGING_MAX_ALIASES ((size_t)1 << 18)

/*
 * Walk the kernel half of the page tables at cr3 (PCID and flag bits are
 * ignored; la57: CR4.LA57) over the memory in r[0..nr), appending to out
 * (zero-initialised by the caller) in ascending vaddr order, contiguous runs
 * merged. 0, or -ENOMEM (out keeps what it had). max_entries and
 * max_aliases: the budgets (tests pass small ones).
 */
int dump_paging_walk(const struct dump_range *r, size_t nr, uint64_t cr3, bool la57,
		     uint64_t max_entries, size_t max_aliases, struct dump_aliases *out);

/*
 * Put the direct map first and once more last. Readers of kdump's layout
 * take the kernel's PAGE_OFFSET from a PT_LOAD below the kernel text
 * (__START_KERNEL_map) and expect the direct map there: makedumpfile 1.7.2
 * takes the last such header, other readers the first. The direct map is
 * the runs sharing the largest run's vaddr - paddr below the text. 0 or
 * -ENOMEM (a unchanged).
 */
int dump_aliases_order(struct dump_aliases *a);

void dump_aliases_free(struct dump_aliases *a);

/*
 * Which vCPU's page tables to walk: the first in 64-bit mode with paging at
 * CPL 0 (its CR3 holds the kernel's mappings even with page-table
 * isolation), else the first in 64-bit mode; -1 when none is.
 */
int dump_paging_pick_vcpu(const struct dump_vcpu *v, unsigned nr);

/* Whether v uses 5-level paging (CR4.LA57). */
bool dump_paging_la57(const struct dump_vcpu *v);

#endif
