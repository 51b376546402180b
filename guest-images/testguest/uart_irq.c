/* SPDX-License-Identifier: MIT */
/*
 * COM1's IRQ 4 through the IOAPIC (GSI 4, edge, active high: the ISA
 * default, ACPI MADT without an override) to UART_IRQ_VECTOR on this CPU.
 * As Linux's 8250 driver, the handler serves every cause IIR reports
 * before its EOI, so one IRQ 4 edge may carry many.
 */
#include "guest-images/testguest/uart_irq.h"

#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"

#define COM1 0x3F8
#define UART_RBR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LSR 5
#define IIR_NO_INT 0x01
#define IIR_ID_MASK 0x0E
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define LSR_DR 0x01
#define COM1_GSI 4

/* 82093AA IOAPIC datasheet §3.1-3.2: index/data window, redirection
 * table entries at 0x10 + 2 * pin (low dword, then destination dword). */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define REDIR_MASKED (1u << 16)

#define UART_IRQ_VECTOR 0x41
#define SPURIOUS_VECTOR 0xFF
#define SVR_ENABLE 0x100
#define LVT_MASKED (1u << 16)
#define PIC1_DATA 0x21
#define PIC2_DATA 0xA1

static struct uart_irq *uart;

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(LAYOUT_IOAPIC + IOAPIC_IOREGSEL) = reg;
	*(volatile uint32_t *)(uintptr_t)(LAYOUT_IOAPIC + IOAPIC_IOWIN) = v;
}

static uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)(uintptr_t)(LAYOUT_IOAPIC + IOAPIC_IOREGSEL) = reg;
	return *(volatile uint32_t *)(uintptr_t)(LAYOUT_IOAPIC + IOAPIC_IOWIN);
}

/*
 * The IOAPIC pin is edge-triggered: a source still pending when the handler
 * returns would never interrupt again, so it loops until IIR is quiet (the
 * UART's line drops) before the EOI.
 */
static void uart_irq_handler(void)
{
	uint8_t iir;

	uart->irqs++;
	while (!((iir = inb(COM1 + UART_IIR)) & IIR_NO_INT)) {
		if ((iir & IIR_ID_MASK) == IIR_RDI) {
			uart->rx_irqs++;
			while (inb(COM1 + UART_LSR) & LSR_DR)
				uart->rx(inb(COM1 + UART_RBR));
		} else if ((iir & IIR_ID_MASK) == IIR_THRI) {
			uart->tx_irqs++;
			uart->tx();
		} else {
			break; /* line status / modem status: never enabled */
		}
	}
	lapic_write(LAPIC_EOI, 0);
}

/* SDM Vol. 3A §11.9: a spurious interrupt takes no EOI. */
static void spurious_irq(void)
{
}

static void route_com1(void)
{
	uint32_t ver = ioapic_read(IOAPIC_VER), lo;

	printf("serial: IOAPIC version 0x%02x, %u pins; GSI %u -> vector 0x%x on APIC %u\n",
	       ver & 0xFF, ((ver >> 16) & 0xFF) + 1, COM1_GSI, UART_IRQ_VECTOR, lapic_id());
	CHECK(((ver >> 16) & 0xFF) >= COM1_GSI, "the IOAPIC has a pin for GSI %u", COM1_GSI);
	/* Physical destination, fixed delivery, edge, active high. */
	ioapic_write(IOAPIC_REDTBL(COM1_GSI) + 1, lapic_id() << 24);
	ioapic_write(IOAPIC_REDTBL(COM1_GSI), UART_IRQ_VECTOR);
	lo = ioapic_read(IOAPIC_REDTBL(COM1_GSI));
	CHECK((lo & (0xFF | REDIR_MASKED)) == UART_IRQ_VECTOR,
	      "the redirection entry reads back unmasked with vector 0x%x (0x%x)", UART_IRQ_VECTOR,
	      lo);
}

void uart_irq_setup(struct uart_irq *u)
{
	uart = u;
	/*
	 * KVM leaves the boot CPU's LINT0 in ExtINT (virtual wire) and the
	 * 8259s unmasked: IRQ 4 would also arrive as the PIC's vector 4.
	 * Mask both so the IOAPIC is the only path.
	 */
	outb(PIC1_DATA, 0xFF);
	outb(PIC2_DATA, 0xFF);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | SVR_ENABLE | SPURIOUS_VECTOR);
	cpu_set_irq_handler(UART_IRQ_VECTOR, uart_irq_handler);
	cpu_set_irq_handler(SPURIOUS_VECTOR, spurious_irq);
	route_com1();
}

void uart_irq_enable(uint8_t ier)
{
	outb(COM1 + UART_IER, ier);
}
