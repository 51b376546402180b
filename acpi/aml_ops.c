/* SPDX-License-Identifier: MIT */
/*
 * AML operators (ACPI 6.4 §20.2.5) and resource descriptors (§6.4).
 */
#include <errno.h>

#include "acpi/aml.h"
#include "acpi/aml_internal.h"

/* §20.2.5.4 Expression Opcodes Encoding, §20.2.5.3 Statement Opcodes Encoding */
#define AML_STORE_OP 0x70
#define AML_ADD_OP 0x72
#define AML_SUBTRACT_OP 0x74
#define AML_DEREF_OF_OP 0x83
#define AML_INDEX_OP 0x88
#define AML_AND_OP 0x7B
#define AML_OR_OP 0x7D
#define AML_LAND_OP 0x90
#define AML_LOR_OP 0x91
#define AML_LNOT_OP 0x92
#define AML_LEQUAL_OP 0x93
#define AML_LGREATER_OP 0x94
#define AML_LLESS_OP 0x95
#define AML_NOTIFY_OP 0x86
#define AML_RETURN_OP 0xA4
#define AML_NULL_NAME 0x00 /* §20.2.2: Target := SuperName | NullName */

struct aml *aml_op1(struct aml_arena *a, uint8_t op, struct aml *x)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	aml_put_u8(n, op);
	aml_put_node(n, x);
	return n;
}

struct aml *aml_op2(struct aml_arena *a, uint8_t op, struct aml *x, struct aml *y)
{
	struct aml *n = aml_op1(a, op, x);

	aml_put_node(n, y);
	return n;
}

struct aml *aml_op2t(struct aml_arena *a, uint8_t op, struct aml *x, struct aml *y,
		     struct aml *target)
{
	struct aml *n = aml_op2(a, op, x, y);

	if (target)
		aml_put_node(n, target);
	else
		aml_put_u8(n, AML_NULL_NAME);
	return n;
}

/* §20.2.5.4 DefStore := StoreOp TermArg SuperName */
struct aml *aml_store(struct aml_arena *a, struct aml *src, struct aml *dst)
{
	return aml_op2(a, AML_STORE_OP, src, dst);
}

/* §20.2.5.4 DefAdd := AddOp Operand Operand Target */
struct aml *aml_add(struct aml_arena *a, struct aml *x, struct aml *y, struct aml *target)
{
	return aml_op2t(a, AML_ADD_OP, x, y, target);
}

/* §20.2.5.4 DefSubtract := SubtractOp Operand Operand Target */
struct aml *aml_subtract(struct aml_arena *a, struct aml *x, struct aml *y, struct aml *target)
{
	return aml_op2t(a, AML_SUBTRACT_OP, x, y, target);
}

/* §20.2.5.4 DefAnd := AndOp Operand Operand Target */
struct aml *aml_and(struct aml_arena *a, struct aml *x, struct aml *y, struct aml *target)
{
	return aml_op2t(a, AML_AND_OP, x, y, target);
}

/* §20.2.5.4 DefOr := OrOp Operand Operand Target */
struct aml *aml_or(struct aml_arena *a, struct aml *x, struct aml *y, struct aml *target)
{
	return aml_op2t(a, AML_OR_OP, x, y, target);
}

/* §20.2.5.4 DefLEqual := LequalOp Operand Operand */
struct aml *aml_lequal(struct aml_arena *a, struct aml *x, struct aml *y)
{
	return aml_op2(a, AML_LEQUAL_OP, x, y);
}

/* §20.2.5.4 DefLLess := LlessOp Operand Operand */
struct aml *aml_lless(struct aml_arena *a, struct aml *x, struct aml *y)
{
	return aml_op2(a, AML_LLESS_OP, x, y);
}

/* §20.2.5.4 DefLGreater := LgreaterOp Operand Operand */
struct aml *aml_lgreater(struct aml_arena *a, struct aml *x, struct aml *y)
{
	return aml_op2(a, AML_LGREATER_OP, x, y);
}

/* §20.2.5.4 DefLAnd := LandOp Operand Operand */
struct aml *aml_land(struct aml_arena *a, struct aml *x, struct aml *y)
{
	return aml_op2(a, AML_LAND_OP, x, y);
}

/* §20.2.5.4 DefLOr := LorOp Operand Operand */
struct aml *aml_lor(struct aml_arena *a, struct aml *x, struct aml *y)
{
	return aml_op2(a, AML_LOR_OP, x, y);
}

/* §20.2.5.4 DefLNot := LnotOp Operand */
struct aml *aml_lnot(struct aml_arena *a, struct aml *x)
{
	return aml_op1(a, AML_LNOT_OP, x);
}

/* §20.2.5.3 DefReturn := ReturnOp ArgObject */
struct aml *aml_return(struct aml_arena *a, struct aml *v)
{
	return aml_op1(a, AML_RETURN_OP, v);
}

/* §20.2.5.4 DefIndex := IndexOp BuffPkgStrObj IndexValue Target (NullName here) */
struct aml *aml_index(struct aml_arena *a, struct aml *obj, struct aml *idx)
{
	return aml_op2t(a, AML_INDEX_OP, obj, idx, NULL);
}

/* §20.2.5.4 DefDerefOf := DerefOfOp ObjReference */
struct aml *aml_deref(struct aml_arena *a, struct aml *ref)
{
	return aml_op1(a, AML_DEREF_OF_OP, ref);
}

/* §20.2.5.3 DefNotify := NotifyOp NotifyObject NotifyValue */
struct aml *aml_notify(struct aml_arena *a, struct aml *object, struct aml *value)
{
	return aml_op2(a, AML_NOTIFY_OP, object, value);
}

/* ---- resource descriptors ---- */

/* §6.4.2.5 I/O Port Descriptor: tag 0x47 (small item 0x08, length 7). */
struct aml *aml_io(struct aml_arena *a, bool decode16, uint16_t min, uint16_t max, uint8_t align,
		   uint8_t len)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	aml_put_u8(n, 0x47);
	aml_put_u8(n, decode16 ? 1 : 0); /* bit 0: _DEC, 16-bit decode */
	aml_put_le16(n, min);
	aml_put_le16(n, max);
	aml_put_u8(n, align);
	aml_put_u8(n, len);
	return n;
}

/* §6.4.3.4 32-Bit Fixed Memory Range Descriptor: tag 0x86, length 9. */
struct aml *aml_memory32_fixed(struct aml_arena *a, bool rw, uint32_t base, uint32_t len)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	aml_put_u8(n, 0x86);
	aml_put_le16(n, 9);
	aml_put_u8(n, rw ? 1 : 0); /* bit 0: _RW */
	aml_put_le32(n, base);
	aml_put_le32(n, len);
	return n;
}

static bool aml_isa_irq_ok(struct aml_arena *a, unsigned irq)
{
	if (irq < 16)
		return true;
	aml_fail(a, -EINVAL, "IRQ %u does not fit an IRQ descriptor (0-15)", irq);
	return false;
}

/* enum aml_irq_flags as descriptor bits: edge, active low, shared, wake at bit[0..3]. */
static uint8_t aml_irq_bits(unsigned flags, const uint8_t bit[4])
{
	static const unsigned flag[4] = { AML_IRQ_EDGE, AML_IRQ_ACTIVE_LOW, AML_IRQ_SHARED,
					  AML_IRQ_WAKE };
	uint8_t v = 0;

	for (unsigned i = 0; i < 4; i++)
		if (flags & flag[i])
			v |= (uint8_t)(1u << bit[i]);
	return v;
}

/* §6.4.2.1 IRQ Descriptor without flags: tag 0x22, 16-bit mask (edge, active high). */
struct aml *aml_irq_no_flags(struct aml_arena *a, unsigned irq)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	if (!aml_isa_irq_ok(a, irq))
		return n;
	aml_put_u8(n, 0x22);
	aml_put_le16(n, (uint16_t)(1u << irq));
	return n;
}

/*
 * §6.4.2.1 IRQ Descriptor with flags: tag 0x23; flags byte bit 0 _HE (edge),
 * bit 3 _LL (active low), bit 4 _SHR, bit 5 _WKC.
 */
struct aml *aml_irq(struct aml_arena *a, unsigned irq, unsigned flags)
{
	static const uint8_t bit[4] = { 0, 3, 4, 5 };
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	if (!aml_isa_irq_ok(a, irq))
		return n;
	aml_put_u8(n, 0x23);
	aml_put_le16(n, (uint16_t)(1u << irq));
	aml_put_u8(n, aml_irq_bits(flags, bit));
	return n;
}

/*
 * §6.4.3.6 Extended Interrupt Descriptor: tag 0x89, length, flags (bit 0
 * consumer, bit 1 _HE, bit 2 _LL, bit 3 _SHR, bit 4 _WKC), count, u32 GSIs.
 */
struct aml *aml_interrupt(struct aml_arena *a, bool consumer, unsigned flags, const uint32_t *irqs,
			  unsigned nr)
{
	static const uint8_t bit[4] = { 1, 2, 3, 4 };
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	if (nr < 1 || nr > 255) {
		aml_fail(a, -EINVAL, "Interrupt descriptor with %u interrupts (1-255)", nr);
		return n;
	}
	aml_put_u8(n, 0x89);
	aml_put_le16(n, (uint16_t)(2 + 4 * nr));
	aml_put_u8(n, (uint8_t)(aml_irq_bits(flags, bit) | (consumer ? 1 : 0)));
	aml_put_u8(n, (uint8_t)nr);
	for (unsigned i = 0; i < nr; i++)
		aml_put_le32(n, irqs[i]);
	return n;
}
