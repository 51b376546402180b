/* SPDX-License-Identifier: MIT */
#include "vmm/dump_paging.h"

#include <errno.h>
#include <stdlib.h>

#include "vmm/util.h"

#define PTE_P (1ULL << 0)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL /* bits 12..51 */
#define CR0_PG (1ULL << 31)
#define CR4_LA57 (1ULL << 12)
#define EFER_LMA (1ULL << 10)
#define TABLE 4096u

struct walk {
	const struct dump_range *r;
	size_t nr;
	uint64_t left; /* entries the budget still allows */
	size_t max_aliases;
	struct dump_aliases *out;
	int err;
};

/* The 4 KiB table at pa, when all of it is dumped RAM. */
static const uint8_t *table_at(const struct walk *w, uint64_t pa)
{
	for (size_t i = 0; i < w->nr; i++) {
		const struct dump_range *r = &w->r[i];

		if (r->host && pa >= r->gpa && r->size >= TABLE && pa - r->gpa <= r->size - TABLE)
			return r->host + (pa - r->gpa);
	}
	return NULL;
}

static void add(struct walk *w, uint64_t va, uint64_t pa, uint64_t size)
{
	struct dump_aliases *o = w->out;

	if (o->nr) {
		struct dump_alias *last = &o->a[o->nr - 1];

		if (last->vaddr + last->size == va && last->paddr + last->size == pa) {
			last->size += size;
			return;
		}
	}
	if (o->nr >= w->max_aliases) {
		o->truncated = true;
		return;
	}
	if (o->nr == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		struct dump_alias *a = realloc(o->a, cap * sizeof(*a));

		if (!a) {
			w->err = -ENOMEM;
			return;
		}
		o->a = a;
		o->cap = cap;
	}
	o->a[o->nr++] = (struct dump_alias){ va, pa, size };
}

/* A mapping va -> [pa, pa + size): the parts of it that are dumped RAM. */
static void emit(struct walk *w, uint64_t va, uint64_t pa, uint64_t size)
{
	for (size_t i = 0; i < w->nr && !w->err; i++) {
		const struct dump_range *r = &w->r[i];
		uint64_t lo = pa > r->gpa ? pa : r->gpa;
		uint64_t hi = pa + size < r->gpa + r->size ? pa + size : r->gpa + r->size;

		if (lo < hi)
			add(w, va + (lo - pa), lo, hi - lo);
	}
}

/* Entries first..last of the level-`level` table at pa, which maps from va_base. */
static void walk_table(struct walk *w, uint64_t pa, int level, uint64_t va_base, unsigned first,
		       unsigned last)
{
	const uint8_t *t = table_at(w, pa);
	unsigned shift = 12 + 9 * (level - 1);

	if (!t)
		return;
	for (unsigned i = first; i <= last; i++) {
		uint64_t e, va;

		if (w->err || w->out->truncated)
			return;
		if (!w->left) {
			w->out->truncated = true;
			return;
		}
		w->left--;
		e = get_le64(t + 8 * i);
		if (!(e & PTE_P))
			continue;
		va = va_base + ((uint64_t)i << shift);
		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
			uint64_t size = 1ULL << shift;

			emit(w, va, e & PTE_ADDR & ~(size - 1), size);
		} else {
			walk_table(w, e & PTE_ADDR, level - 1, va, 0, 511);
		}
	}
}

int dump_paging_walk(const struct dump_range *r, size_t nr, uint64_t cr3, bool la57,
		     uint64_t max_entries, size_t max_aliases, struct dump_aliases *out)
{
	struct walk w = { r, nr, max_entries, max_aliases, out, 0 };
	int levels = la57 ? 5 : 4;
	/* The upper half's top-level entries 256..511, sign-extended. */
	uint64_t base = la57 ? 0xFE00000000000000ULL : 0xFFFF000000000000ULL;

	walk_table(&w, cr3 & PTE_ADDR, levels, base, 256, 511);
	return w.err;
}

int dump_aliases_order(struct dump_aliases *a)
{
	const uint64_t text = 0xFFFFFFFF80000000ULL; /* __START_KERNEL_map */
	struct dump_alias *sorted, *big = NULL;
	size_t n = 0;
	uint64_t delta;

	for (size_t i = 0; i < a->nr; i++)
		if (a->a[i].vaddr < text && (!big || a->a[i].size > big->size))
			big = &a->a[i];
	if (!big)
		return 0;
	delta = big->vaddr - big->paddr;
	sorted = malloc((a->nr + 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < a->nr; i++)
		if (a->a[i].vaddr < text && a->a[i].vaddr - a->a[i].paddr == delta)
			sorted[n++] = a->a[i];
	sorted[a->nr] = sorted[0];
	for (size_t i = 0; i < a->nr; i++)
		if (!(a->a[i].vaddr < text && a->a[i].vaddr - a->a[i].paddr == delta))
			sorted[n++] = a->a[i];
	free(a->a);
	a->a = sorted;
	a->nr++;
	a->cap = a->nr;
	return 0;
}

void dump_aliases_free(struct dump_aliases *a)
{
	free(a->a);
	*a = (struct dump_aliases){ 0 };
}

int dump_paging_pick_vcpu(const struct dump_vcpu *v, unsigned nr)
{
	int any = -1;

	for (unsigned i = 0; i < nr; i++) {
		const struct kvm_sregs *s = &v[i].sregs;

		if (!(s->cr0 & CR0_PG) || !(s->efer & EFER_LMA))
			continue;
		if ((s->cs.selector & 3) == 0)
			return (int)i;
		if (any < 0)
			any = (int)i;
	}
	return any;
}

bool dump_paging_la57(const struct dump_vcpu *v)
{
	return v->sregs.cr4 & CR4_LA57;
}
