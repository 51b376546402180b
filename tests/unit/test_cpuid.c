/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>

#include "vmm/cpuid.h"

/* Room for the fixtures' entries and what cpuid_adjust may add. */
#define CAP (12 + CPUID_ADJUST_EXTRA)

static struct kvm_cpuid2 *alloc_table(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CAP * sizeof(c->entries[0]));

	cr_assert_not_null(c);
	return c;
}

static struct kvm_cpuid2 *make(void)
{
	struct kvm_cpuid2 *c = alloc_table();
	unsigned n = 0;

	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0x00020800,
						     .ecx = 0xffffffff, .edx = 0x078bfbff };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 7, .index = 0, .ebx = 0xffffffff,
						     .ecx = 0xffffffff, .edx = 0xffffffff };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0 };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 1 };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 0, .eax = 0xe7,
						     .ebx = 0x980, .ecx = 0x980 };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 1, .eax = 0xf };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .ecx = 0x7001 };
	c->nent = n;
	return c;
}

Test(cpuid, apic_id_and_topology)
{
	struct kvm_cpuid2 *c = make();

	cpuid_adjust(c, CAP, 3, 4, false);
	cr_assert_eq(cpuid_find(c, 1, 0)->ebx >> 24, 3);
	cr_assert_eq((cpuid_find(c, 1, 0)->ebx >> 16) & 0xff, 4);
	cr_assert(cpuid_find(c, 1, 0)->edx & (1u << 28)); /* HTT: more than one logical CPU */
	cr_assert_eq(cpuid_find(c, 0xb, 0)->edx, 3);
	cr_assert_eq(cpuid_find(c, 0xb, 1)->edx, 3);
	cr_assert_eq(cpuid_find(c, 0xb, 1)->ebx, 4);
	cr_assert_eq(cpuid_find(c, 0xb, 1)->eax, 2); /* shift: 4 cores need 2 bits */
	cr_assert_eq(cpuid_find(c, 0x80000008, 0)->ecx & 0xff, 3);
	free(c);
}

Test(cpuid, hypervisor_bit_set)
{
	struct kvm_cpuid2 *c = make();

	/* KVM_GET_SUPPORTED_CPUID leaves CPUID.1:ECX[31] clear; Linux needs it to find kvmclock. */
	cpuid_find(c, 1, 0)->ecx = 0;
	cpuid_adjust(c, CAP, 0, 1, false);
	cr_assert(cpuid_find(c, 1, 0)->ecx & (1u << 31));
	cpuid_find(c, 1, 0)->ecx = 0;
	cpuid_adjust(c, CAP, 1, 2, true);
	cr_assert(cpuid_find(c, 1, 0)->ecx & (1u << 31));
	free(c);
}

Test(cpuid, single_cpu_has_no_htt)
{
	struct kvm_cpuid2 *c = make();

	cpuid_adjust(c, CAP, 0, 1, false);
	cr_assert_eq(cpuid_find(c, 1, 0)->ebx >> 24, 0);
	cr_assert_not(cpuid_find(c, 1, 0)->edx & (1u << 28));
	free(c);
}

Test(cpuid, native_host_passes_features_through)
{
	struct kvm_cpuid2 *c = make();

	cpuid_adjust(c, CAP, 0, 1, false);
	cr_assert(cpuid_find(c, 1, 0)->ecx & (1u << 13));	/* CX16 */
	cr_assert(cpuid_find(c, 1, 0)->ecx & (1u << 26));	/* XSAVE */
	cr_assert(cpuid_find(c, 7, 0)->ebx & (1u << 5));	/* AVX2 */
	cr_assert_eq(cpuid_find(c, 0xd, 0)->eax, 0xe7);
	free(c);
}

Test(cpuid, emulated_host_hides_cx16_and_xsave_family)
{
	struct kvm_cpuid2 *c = make();

	cpuid_adjust(c, CAP, 0, 2, true);
	cr_assert_not(cpuid_find(c, 1, 0)->ecx & (1u << 13)); /* CX16 */
	cr_assert_not(cpuid_find(c, 1, 0)->ecx & (1u << 26)); /* XSAVE */
	cr_assert_not(cpuid_find(c, 1, 0)->ecx & (1u << 27)); /* OSXSAVE */
	cr_assert_not(cpuid_find(c, 1, 0)->ecx & (1u << 28)); /* AVX */
	cr_assert_not(cpuid_find(c, 7, 0)->ebx & (1u << 5));  /* AVX2 */
	cr_assert_not(cpuid_find(c, 7, 0)->ebx & (1u << 16)); /* AVX512F */
	cr_assert(cpuid_find(c, 7, 0)->ebx & (1u << 0));      /* FSGSBASE untouched */
	cr_assert_eq(cpuid_find(c, 0xd, 0)->eax, 0);
	cr_assert_eq(cpuid_find(c, 0xd, 1)->eax, 0);
	cr_assert(cpuid_find(c, 1, 0)->ecx & (1u << 0)); /* SSE3 untouched */
	free(c);
}

Test(cpuid, forced_features_are_named)
{
	struct kvm_cpuid2 *want = make(), *got = make();
	char buf[160];

	cpuid_adjust(want, CAP, 0, 1, true);
	cpuid_adjust(got, CAP, 0, 1, true);
	cr_assert_eq(cpuid_forced_features(want, got, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
	/* A host that puts XSAVE and AVX2 back. */
	cpuid_find(got, 1, 0)->ecx |= 1u << 26;
	cpuid_find(got, 7, 0)->ebx |= 1u << 5;
	cr_assert_eq(cpuid_forced_features(want, got, buf, sizeof(buf)), 2);
	cr_assert_str_eq(buf, "XSAVE, AVX2");
	/* A feature microvm did not hide is never reported. */
	cpuid_adjust(want, CAP, 0, 1, false);
	free(want);
	want = make();
	cr_assert_eq(cpuid_forced_features(want, got, buf, sizeof(buf)), 0);
	free(want);
	free(got);
}

/*
 * What this host's KVM returns: leaf 0xB with subleaf 0 only, and Intel's
 * leaf 4 (an L1d and an L3 subleaf) with KVM's placeholder core counts.
 */
static struct kvm_cpuid2 *make_subleaf0_only(void)
{
	struct kvm_cpuid2 *c = alloc_table();
	unsigned n = 0;
	const uint32_t sig = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;

	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0xd };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0x00010800,
						     .edx = 0x078bfbff };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 0, .flags = sig,
						     .eax = 0x1c004121 }; /* L1d: level 1, type 1 */
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 1, .flags = sig,
						     .eax = 0x1c03c163 }; /* L3: level 3, type 3 */
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 2, .flags = sig };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0, .flags = sig,
						     .ebx = 1, .ecx = 0x100, .edx = 0 };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .ecx = 0x7001 };
	c->nent = n;
	return c;
}

static void assert_leaf(struct kvm_cpuid2 *c, unsigned fn, unsigned sub, uint32_t eax, uint32_t ebx,
			uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, fn, sub);

	cr_assert_not_null(e, "leaf 0x%x.%u exists", fn, sub);
	cr_assert_eq(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX, KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		     "leaf 0x%x.%u: the subleaf matters to KVM", fn, sub);
	cr_assert(e->eax == eax && e->ebx == ebx && e->ecx == ecx && e->edx == edx,
		  "leaf 0x%x.%u = %#x %#x %#x %#x, want %#x %#x %#x %#x", fn, sub, e->eax, e->ebx,
		  e->ecx, e->edx, eax, ebx, ecx, edx);
}

static unsigned count_leaf(struct kvm_cpuid2 *c, unsigned fn)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nent; i++)
		n += c->entries[i].function == fn;
	return n;
}

/* A guest walking leaf 0xB finds SMT (1 thread), core (N cores), then the end. */
Test(cpuid, leaf_b_written_whole_when_kvm_has_subleaf0_only)
{
	struct kvm_cpuid2 *c = make_subleaf0_only();

	cpuid_adjust(c, CAP, 2, 4, false);
	assert_leaf(c, 0xb, 0, 0, 1, 0x100, 2);
	assert_leaf(c, 0xb, 1, 2, 4, 0x201, 2);
	assert_leaf(c, 0xb, 2, 0, 0, 0x002, 2);
	cr_assert_eq(count_leaf(c, 0xb), 3);
	cr_assert_null(cpuid_find(c, 0x1f, 0), "no leaf 0x1F where KVM has none");
	/* Leaf 1 and AMD's NC agree with the core level. */
	cr_assert_eq((cpuid_find(c, 1, 0)->ebx >> 16) & 0xff, 4);
	cr_assert_eq(cpuid_find(c, 1, 0)->ebx >> 24, 2);
	cr_assert_eq(cpuid_find(c, 0x80000008, 0)->ecx & 0xff, 3);
	/* Leaf 4: 4 cores; L1d private to a core, L3 shared by all four. */
	cr_assert_eq(cpuid_find(c, 4, 0)->eax >> 26, 3);
	cr_assert_eq((cpuid_find(c, 4, 0)->eax >> 14) & 0xfff, 0);
	cr_assert_eq(cpuid_find(c, 4, 0)->eax & 0x3fff, 0x0121, "cache type and level kept");
	cr_assert_eq(cpuid_find(c, 4, 1)->eax >> 26, 3);
	cr_assert_eq((cpuid_find(c, 4, 1)->eax >> 14) & 0xfff, 3);
	cr_assert_eq(cpuid_find(c, 4, 2)->eax, 0, "the terminating cache subleaf stays empty");

	/* One vCPU: the core level holds one core, shift 0. */
	free(c);
	c = make_subleaf0_only();
	cpuid_adjust(c, CAP, 0, 1, false);
	assert_leaf(c, 0xb, 0, 0, 1, 0x100, 0);
	assert_leaf(c, 0xb, 1, 0, 1, 0x201, 0);
	assert_leaf(c, 0xb, 2, 0, 0, 0x002, 0);
	free(c);
}

/* Where KVM reports leaf 0x1F (max basic leaf >= 0x1F), it is written the same way. */
Test(cpuid, leaf_1f_follows_leaf_b)
{
	struct kvm_cpuid2 *c = make_subleaf0_only();

	c->entries[0].eax = 0x1f;
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){
		.function = 0x1f, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ebx = 1,
		.ecx = 0x100 };
	cpuid_adjust(c, CAP, 5, 6, false);
	assert_leaf(c, 0x1f, 0, 0, 1, 0x100, 5);
	assert_leaf(c, 0x1f, 1, 3, 6, 0x201, 5);
	assert_leaf(c, 0x1f, 2, 0, 0, 0x002, 5);
	assert_leaf(c, 0xb, 1, 3, 6, 0x201, 5);
	free(c);
}

/* More than 64 vCPUs: leaf 4's 6-bit core field saturates instead of wrapping. */
Test(cpuid, leaf_4_core_count_clamped)
{
	struct kvm_cpuid2 *c = make_subleaf0_only();

	cpuid_adjust(c, CAP, 199, 200, false);
	cr_assert_eq(cpuid_find(c, 4, 0)->eax >> 26, 63);
	cr_assert_eq(cpuid_find(c, 4, 0)->eax & 0x3fff, 0x0121, "cache type and level kept");
	cr_assert_eq((cpuid_find(c, 4, 1)->eax >> 14) & 0xfff, 199);
	cr_assert_eq((cpuid_find(c, 1, 0)->ebx >> 16) & 0xff, 200);
	assert_leaf(c, 0xb, 1, 8, 200, 0x201, 199);
	free(c);
}
