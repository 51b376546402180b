/* SPDX-License-Identifier: MIT */
/*
 * COM1's interrupts (uart_irq.c): IRQ 4 routed through the IOAPIC to a
 * vector on the calling CPU, and a handler that serves every cause the
 * UART reports. Used by the serial and counter scenarios.
 */
#ifndef TESTGUEST_UART_IRQ_H
#define TESTGUEST_UART_IRQ_H

#include <stdint.h>

/* IER bits (16550 data sheet): what the UART may interrupt for. */
#define UART_IER_RDI 0x01  /* received data available */
#define UART_IER_THRI 0x02 /* transmit holding register empty */

struct uart_irq {
	void (*rx)(uint8_t c); /* each byte received, in the interrupt handler */
	void (*tx)(void);      /* each THRE interrupt: may write one byte to THR */
	volatile unsigned irqs, rx_irqs, tx_irqs; /* IRQ 4 edges taken; RX, THRE causes served */
};

/*
 * Mask the 8259s and LINT0, enable the LAPIC, claim the vector and route
 * GSI 4 to it on this CPU (checked; printed as "serial: IOAPIC ...").
 * u stays in use while interrupts may come. No IER bit is set yet.
 */
void uart_irq_setup(struct uart_irq *u);
/* Write IER: UART_IER_* bits, 0 for none. */
void uart_irq_enable(uint8_t ier);

#endif
