/* SPDX-License-Identifier: MIT */
#include "vmm/cpuid.h"

#include "vmm/util.h"

#include <assert.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* CPUID.1:ECX */
#define CPUID_1_ECX_FMA (1u << 12)
#define CPUID_1_ECX_CX16 (1u << 13)
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_AVX (1u << 28)
#define CPUID_1_ECX_F16C (1u << 29)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT (1u << 28)
/* CPUID.7.0:EBX AVX2, AVX512F, DQ, IFMA, PF, ER, CD, BW, VL */
#define CPUID_7_EBX_AVX_MASK                                                                       \
	((1u << 5) | (1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | \
	 (1u << 30) | (1u << 31))
/* CPUID.7.0:ECX AVX512_VBMI, VBMI2, VAES, VPCLMULQDQ, VNNI, BITALG, VPOPCNTDQ */
#define CPUID_7_ECX_AVX_MASK                                                                       \
	((1u << 1) | (1u << 6) | (1u << 9) | (1u << 10) | (1u << 11) | (1u << 12) | (1u << 14))
/* CPUID.7.0:EDX AVX512_4VNNIW, 4FMAPS, VP2INTERSECT, AVX512_FP16, AMX */
#define CPUID_7_EDX_AVX_MASK ((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25))
/* CPUID.7.1:EAX AVX_VNNI, AVX512_BF16 */
#define CPUID_7_1_EAX_AVX_MASK ((1u << 4) | (1u << 5))

static bool cpuinfo_has_hw_virt(bool *readable)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	*readable = f != NULL;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		found = strstr(line, " vmx") || strstr(line, " svm");
		break;
	}
	fclose(f);
	return found;
}

bool cpuid_host_emulates_cpl0(const char **why)
{
	bool readable;

	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		*why = "the kvm_pvm module is loaded";
		return true;
	}
	if (!cpuinfo_has_hw_virt(&readable) && readable) {
		*why = "the host CPU offers neither VMX nor SVM";
		return true;
	}
	*why = "hardware-assisted KVM";
	return false;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, unsigned function, unsigned index)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == function && c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

static unsigned order_of(unsigned n)
{
	unsigned s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

static void hide_emulator_gaps(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e;

	if ((e = cpuid_find(c, 1, 0)))
		e->ecx &= ~(CPUID_1_ECX_CX16 | CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE |
			    CPUID_1_ECX_AVX | CPUID_1_ECX_FMA | CPUID_1_ECX_F16C);
	if ((e = cpuid_find(c, 7, 0))) {
		e->ebx &= ~CPUID_7_EBX_AVX_MASK;
		e->ecx &= ~CPUID_7_ECX_AVX_MASK;
		e->edx &= ~CPUID_7_EDX_AVX_MASK;
	}
	if ((e = cpuid_find(c, 7, 1)))
		e->eax &= ~CPUID_7_1_EAX_AVX_MASK;
	/* Leaf 0xD describes XSAVE state components: with XSAVE hidden, report none. */
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0xD)
			c->entries[i].eax = c->entries[i].ebx = c->entries[i].ecx = c->entries[i].edx = 0;
}

static const struct {
	unsigned function, index, reg; /* reg: 0 eax, 1 ebx, 2 ecx, 3 edx */
	uint32_t bit;
	const char *name;
} gap_features[] = {
	{ 1, 0, 2, CPUID_1_ECX_CX16, "CX16" },
	{ 1, 0, 2, CPUID_1_ECX_XSAVE, "XSAVE" },
	{ 1, 0, 2, CPUID_1_ECX_AVX, "AVX" },
	{ 1, 0, 2, CPUID_1_ECX_FMA, "FMA" },
	{ 1, 0, 2, CPUID_1_ECX_F16C, "F16C" },
	{ 7, 0, 1, 1u << 5, "AVX2" },
	{ 7, 0, 1, 1u << 16, "AVX512F" },
	{ 0xd, 0, 0, 0xffffffffu, "XSAVE state (leaf 0xD)" },
};

static uint32_t reg_of(const struct kvm_cpuid_entry2 *e, unsigned reg)
{
	return reg == 0 ? e->eax : reg == 1 ? e->ebx : reg == 2 ? e->ecx : e->edx;
}

unsigned cpuid_forced_features(struct kvm_cpuid2 *want, struct kvm_cpuid2 *got, char *buf,
			       unsigned len)
{
	unsigned n = 0, used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < ARRAY_SIZE(gap_features); i++) {
		struct kvm_cpuid_entry2 *w = cpuid_find(want, gap_features[i].function, gap_features[i].index);
		struct kvm_cpuid_entry2 *g = cpuid_find(got, gap_features[i].function, gap_features[i].index);
		uint32_t bit = gap_features[i].bit;

		if (!g || (reg_of(g, gap_features[i].reg) & bit) == 0)
			continue;
		if (w && (reg_of(w, gap_features[i].reg) & bit))
			continue; /* microvm did not hide it */
		used += (unsigned)snprintf(buf + used, used < len ? len - used : 0, "%s%s", n ? ", " : "",
					   gap_features[i].name);
		n++;
	}
	return n;
}

/* Leaf 0xB/0x1F level types (SDM vol. 2A, CPUID, "Extended Topology Enumeration"). */
#define TOPO_LEVEL_INVALID 0
#define TOPO_LEVEL_SMT 1
#define TOPO_LEVEL_CORE 2
#define TOPO_SUBLEAVES 3 /* SMT, core, and the invalid level that ends the list */

static void cpuid_remove(struct kvm_cpuid2 *c, unsigned function)
{
	unsigned out = 0;

	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function != function)
			c->entries[out++] = c->entries[i];
	c->nent = out;
}

/*
 * Write leaf 0xB or 0x1F whole: KVM may return only subleaf 0 (this host
 * does), and a guest that walks the levels would then see no core level at
 * all, contradicting leaf 1. One thread per core, nr_cpus cores in one
 * package; EDX is the x2APIC ID on every subleaf.
 */
static void put_topology_leaf(struct kvm_cpuid2 *c, unsigned cap, unsigned function,
			      unsigned index, unsigned nr_cpus)
{
	static const unsigned type[TOPO_SUBLEAVES] = { TOPO_LEVEL_SMT, TOPO_LEVEL_CORE,
						       TOPO_LEVEL_INVALID };
	unsigned shift[TOPO_SUBLEAVES] = { 0, order_of(nr_cpus), 0 };
	unsigned count[TOPO_SUBLEAVES] = { 1, nr_cpus, 0 };

	cpuid_remove(c, function);
	assert(c->nent + TOPO_SUBLEAVES <= cap);
	for (unsigned sub = 0; sub < TOPO_SUBLEAVES; sub++)
		c->entries[c->nent++] = (struct kvm_cpuid_entry2){
			.function = function,
			.index = sub,
			.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
			.eax = shift[sub],
			.ebx = count[sub],
			.ecx = type[sub] << 8 | sub,
			.edx = index,
		};
}

static unsigned max_basic_leaf(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 0, 0);

	return e ? e->eax : 0;
}

void cpuid_adjust(struct kvm_cpuid2 *c, unsigned cap, unsigned index, unsigned nr_cpus,
		  bool emulated)
{
	unsigned shift = order_of(nr_cpus);
	struct kvm_cpuid_entry2 *e;

	assert(nr_cpus >= 1 && nr_cpus <= 255 && c->nent <= cap);
	/*
	 * Leaf 1: initial APIC ID in EBX[31:24], logical processor count in
	 * EBX[23:16]; and ECX[31], "running under a hypervisor", which
	 * KVM_GET_SUPPORTED_CPUID leaves clear. Linux looks for KVM's leaves at
	 * 0x40000000 (kvmclock, which gives it the TSC frequency and the wall
	 * clock) only when that bit is set: without it a guest with no PIT
	 * calibration and no HPET cannot learn the TSC frequency and never ticks.
	 */
	if ((e = cpuid_find(c, 1, 0))) {
		e->ebx = (e->ebx & 0x0000ffffu) | (index << 24) | (nr_cpus << 16);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		if (nr_cpus > 1)
			e->edx |= CPUID_1_EDX_HTT;
		else
			e->edx &= ~CPUID_1_EDX_HTT;
	}
	if (max_basic_leaf(c) >= 0xB || cpuid_find(c, 0xB, 0))
		put_topology_leaf(c, cap, 0xB, index, nr_cpus);
	if (max_basic_leaf(c) >= 0x1F && cpuid_find(c, 0x1F, 0))
		put_topology_leaf(c, cap, 0x1F, index, nr_cpus);
	/*
	 * Leaf 4 (Intel), every cache subleaf: EAX[31:26] cores per package - 1
	 * (6 bits: clamped), EAX[25:14] logical CPUs sharing the cache - 1 (one
	 * thread per core, so L1/L2 are private and L3 is shared by all).
	 */
	for (unsigned i = 0; i < c->nent; i++) {
		unsigned cores = nr_cpus - 1 > 63 ? 63 : nr_cpus - 1;
		e = &c->entries[i];
		if (e->function != 4 || !(e->eax & 0x1f))
			continue;
		e->eax &= 0x00003fffu;
		e->eax |= cores << 26;
		if (((e->eax >> 5) & 7) >= 3)
			e->eax |= (nr_cpus - 1) << 14;
	}
	/* AMD: 0x80000008 ECX NC = cores - 1 and ApicIdCoreIdSize; 0x8000001E extended APIC ID. */
	if ((e = cpuid_find(c, 0x80000008, 0)))
		e->ecx = (e->ecx & ~0xf0ffu) | ((nr_cpus - 1) & 0xff) | (shift << 12);
	if ((e = cpuid_find(c, 0x8000001e, 0))) {
		e->eax = index;
		e->ebx = e->ebx & ~0xffu; /* ThreadsPerCore - 1 = 0, compute unit = core */
		e->ebx |= index & 0xff;
		e->ecx = 0; /* one node */
	}
	if (emulated)
		hide_emulator_gaps(c);
}
