/* SPDX-License-Identifier: MIT */
/*
 * serial: the UART's interrupts, end to end. COM1's IRQ 4 is routed through
 * the IOAPIC (GSI 4, edge, active high: the ISA default, ACPI MADT without
 * an override) to a vector on this CPU. With IER RDI set the guest receives
 * one line from the console (microvm's stdin) in its interrupt handler,
 * then echoes it with IER THRI, one byte per THRE interrupt (as Linux's
 * 8250 driver, the handler serves every cause IIR reports before its EOI,
 * so one IRQ 4 edge may carry many), and reports how many interrupts (IRQ 4
 * edges taken) and RX / THRE causes it served.
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

#define COM1 0x3F8
#define UART_RBR 0
#define UART_THR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LSR 5
#define IER_RDI 0x01
#define IER_THRI 0x02
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

#define SERIAL_VECTOR 0x41
#define SPURIOUS_VECTOR 0xFF
#define SVR_ENABLE 0x100
#define LVT_MASKED (1u << 16)
#define PIC1_DATA 0x21
#define PIC2_DATA 0xA1

#define LINE_MAX 128
#define TIMEOUT_MS_DEFAULT 10000

static struct {
	char line[LINE_MAX];
	unsigned rx_len;
	volatile int line_done;
	unsigned tx_pos, tx_len; /* echo: line[tx_pos..tx_len) still to send */
	volatile int tx_done;
	volatile unsigned irqs, rx_irqs, tx_irqs, bytes_dropped;
} st;

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

static void receive(void)
{
	while (inb(COM1 + UART_LSR) & LSR_DR) {
		char c = (char)inb(COM1 + UART_RBR);

		if (st.line_done || c == '\r')
			continue;
		if (c == '\n')
			st.line_done = 1;
		else if (st.rx_len < LINE_MAX - 2)
			st.line[st.rx_len++] = c;
		else
			st.bytes_dropped++;
	}
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

/*
 * The IOAPIC pin is edge-triggered: a source still pending when the handler
 * returns would never interrupt again, so it loops until IIR is quiet (the
 * UART's line drops) before the EOI.
 */
static void serial_irq(void)
{
	uint8_t iir;

	st.irqs++;
	while (!((iir = inb(COM1 + UART_IIR)) & IIR_NO_INT)) {
		if ((iir & IIR_ID_MASK) == IIR_RDI) {
			st.rx_irqs++;
			receive();
		} else if ((iir & IIR_ID_MASK) == IIR_THRI) {
			st.tx_irqs++;
			transmit();
		} else {
			break; /* line status / modem status: not enabled here */
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
	       ver & 0xFF, ((ver >> 16) & 0xFF) + 1, COM1_GSI, SERIAL_VECTOR, lapic_id());
	CHECK(((ver >> 16) & 0xFF) >= COM1_GSI, "the IOAPIC has a pin for GSI %u", COM1_GSI);
	/* Physical destination, fixed delivery, edge, active high. */
	ioapic_write(IOAPIC_REDTBL(COM1_GSI) + 1, lapic_id() << 24);
	ioapic_write(IOAPIC_REDTBL(COM1_GSI), SERIAL_VECTOR);
	lo = ioapic_read(IOAPIC_REDTBL(COM1_GSI));
	CHECK((lo & (0xFF | REDIR_MASKED)) == SERIAL_VECTOR,
	      "the redirection entry reads back unmasked with vector 0x%x (0x%x)", SERIAL_VECTOR,
	      lo);
}

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
	/*
	 * KVM leaves the boot CPU's LINT0 in ExtINT (virtual wire) and the
	 * 8259s unmasked: IRQ 4 would also arrive as the PIC's vector 4.
	 * Mask both so the IOAPIC is the only path.
	 */
	outb(PIC1_DATA, 0xFF);
	outb(PIC2_DATA, 0xFF);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | SVR_ENABLE | SPURIOUS_VECTOR);
	cpu_set_irq_handler(SERIAL_VECTOR, serial_irq);
	cpu_set_irq_handler(SPURIOUS_VECTOR, spurious_irq);
	route_com1();
	printf("serial: waiting %lu ms for a line on the console (RX interrupts)\n", timeout_ms);

	outb(COM1 + UART_IER, IER_RDI);
	__asm__ volatile("sti" ::: "memory");
	got_line = wait_for(&st.line_done, timeout_ms);
	if (got_line) {
		st.line[st.rx_len] = '\n';
		st.tx_len = st.rx_len + 1;
		/* Enabling THRI with an empty transmitter raises the first one. */
		outb(COM1 + UART_IER, IER_RDI | IER_THRI);
		sent = wait_for(&st.tx_done, timeout_ms);
	}
	__asm__ volatile("cli" ::: "memory");
	outb(COM1 + UART_IER, 0);

	st.line[st.rx_len] = 0;
	printf("serial: %u interrupts: %u RX, %u THRE; line \"%s\" (%u bytes dropped)\n", st.irqs,
	       st.rx_irqs, st.tx_irqs, st.line, st.bytes_dropped);
	CHECK(got_line, "a line arrived within %lu ms", timeout_ms);
	CHECK(st.rx_irqs > 0, "it came through RX interrupts (%u)", st.rx_irqs);
	CHECK(sent, "the echo went out within %lu ms (%u of %u bytes)", timeout_ms, st.tx_pos,
	      st.tx_len);
	CHECK(st.tx_irqs >= st.tx_len, "one THRE interrupt per echoed byte at least (%u for %u)",
	      st.tx_irqs, st.tx_len);
}
