/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <linux/kvm.h>
#include <stdlib.h>

#include "vmm/cpuid.h"

static struct kvm_cpuid2 *make(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 8 * sizeof(c->entries[0]));
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

	cpuid_adjust(c, 3, 4, false);
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

Test(cpuid, single_cpu_has_no_htt)
{
	struct kvm_cpuid2 *c = make();

	cpuid_adjust(c, 0, 1, false);
	cr_assert_eq(cpuid_find(c, 1, 0)->ebx >> 24, 0);
	cr_assert_not(cpuid_find(c, 1, 0)->edx & (1u << 28));
	free(c);
}

Test(cpuid, native_host_passes_features_through)
{
	struct kvm_cpuid2 *c = make();

	cpuid_adjust(c, 0, 1, false);
	cr_assert(cpuid_find(c, 1, 0)->ecx & (1u << 13));	/* CX16 */
	cr_assert(cpuid_find(c, 1, 0)->ecx & (1u << 26));	/* XSAVE */
	cr_assert(cpuid_find(c, 7, 0)->ebx & (1u << 5));	/* AVX2 */
	cr_assert_eq(cpuid_find(c, 0xd, 0)->eax, 0xe7);
	free(c);
}

Test(cpuid, emulated_host_hides_cx16_and_xsave_family)
{
	struct kvm_cpuid2 *c = make();

	cpuid_adjust(c, 0, 2, true);
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

	cpuid_adjust(want, 0, 1, true);
	cpuid_adjust(got, 0, 1, true);
	cr_assert_eq(cpuid_forced_features(want, got, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
	/* A host that puts XSAVE and AVX2 back. */
	cpuid_find(got, 1, 0)->ecx |= 1u << 26;
	cpuid_find(got, 7, 0)->ebx |= 1u << 5;
	cr_assert_eq(cpuid_forced_features(want, got, buf, sizeof(buf)), 2);
	cr_assert_str_eq(buf, "XSAVE, AVX2");
	/* A feature microvm did not hide is never reported. */
	cpuid_adjust(want, 0, 1, false);
	free(want);
	want = make();
	cr_assert_eq(cpuid_forced_features(want, got, buf, sizeof(buf)), 0);
	free(want);
	free(got);
}
