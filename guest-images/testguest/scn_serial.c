/* SPDX-License-Identifier: MIT */
/*
 * serial: the UART's interrupts, end to end. COM1's IRQ 4 is routed through
 * the IOAPIC to a vector on this CPU (uart_irq.c). With IER RDI set the
 * guest receives one line from the console (microvm's stdin) in its
 * interrupt handler, then echoes it with IER THRI, one byte per THRE
 * interrupt, and reports how many interrupts (IRQ 4 edges taken) and RX /
 * THRE causes it served.
 *
 * The wait spins with IF=1 (pause): on this host HLT does not come back to
 * user space, but interrupts still reach a running vCPU. Nothing prints
 * while interrupts are on, so the echo is not mixed with the console.
 *
 * Parameter: timeout=MS for the line (default 10000).
 */
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"
#include "guest-images/testguest/uart_irq.h"

#define COM1 0x3F8
#define UART_THR 0

#define LINE_MAX 128
#define TIMEOUT_MS_DEFAULT 10000

static struct {
	char line[LINE_MAX];
	unsigned rx_len;
	volatile int line_done;
	unsigned tx_pos, tx_len; /* echo: line[tx_pos..tx_len) still to send */
	volatile int tx_done;
	volatile unsigned bytes_dropped;
} st;

static void receive(uint8_t b)
{
	char c = (char)b;

	if (st.line_done || c == '\r')
		return;
	if (c == '\n')
		st.line_done = 1;
	else if (st.rx_len < LINE_MAX - 2)
		st.line[st.rx_len++] = c;
	else
		st.bytes_dropped++;
}

/* The THRE interrupt was acknowledged by reading IIR; writing THR raises
 * the next one, until the line is sent. */
static void transmit(void)
{
	if (st.tx_pos < st.tx_len)
		outb(COM1 + UART_THR, (uint8_t)st.line[st.tx_pos++]);
	else if (st.tx_len)
		st.tx_done = 1;
}

static struct uart_irq uart = { .rx = receive, .tx = transmit };

static int wait_for(volatile int *flag, uint64_t ms)
{
	uint64_t end = rdtsc() + ms * tsc_per_ms();

	while (!*flag && rdtsc() < end)
		cpu_relax();
	return *flag;
}

void scn_serial(const struct boot_info *bi)
{
	uint64_t timeout_ms = TIMEOUT_MS_DEFAULT;
	int got_line, sent = 0;

	cmdline_size(bi, "timeout", &timeout_ms);
	tsc_per_ms(); /* calibrate now, not with interrupts on */
	uart_irq_setup(&uart);
	printf("serial: waiting %lu ms for a line on the console (RX interrupts)\n", timeout_ms);

	uart_irq_enable(UART_IER_RDI);
	__asm__ volatile("sti" ::: "memory");
	got_line = wait_for(&st.line_done, timeout_ms);
	if (got_line) {
		st.line[st.rx_len] = '\n';
		st.tx_len = st.rx_len + 1;
		/* Enabling THRI with an empty transmitter raises the first one. */
		uart_irq_enable(UART_IER_RDI | UART_IER_THRI);
		sent = wait_for(&st.tx_done, timeout_ms);
	}
	__asm__ volatile("cli" ::: "memory");
	uart_irq_enable(0);

	st.line[st.rx_len] = 0;
	printf("serial: %u interrupts: %u RX, %u THRE; line \"%s\" (%u bytes dropped)\n", uart.irqs,
	       uart.rx_irqs, uart.tx_irqs, st.line, st.bytes_dropped);
	CHECK(got_line, "a line arrived within %lu ms", timeout_ms);
	CHECK(uart.rx_irqs > 0, "it came through RX interrupts (%u)", uart.rx_irqs);
	CHECK(sent, "the echo went out within %lu ms (%u of %u bytes)", timeout_ms, st.tx_pos,
	      st.tx_len);
	CHECK(uart.tx_irqs >= st.tx_len, "one THRE interrupt per echoed byte at least (%u for %u)",
	      uart.tx_irqs, st.tx_len);
}
