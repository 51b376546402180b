/* SPDX-License-Identifier: MIT */
/*
 * 16550A UART at COM1 (0x3F8, IRQ 4): the guest console. Transmit goes
 * straight to the host's stdout, so the transmitter is always empty; receive
 * is a FIFO the main loop fills from stdin. Register semantics follow the
 * National Semiconductor PC16550D data sheet; the interrupt line is level
 * "pending or not", as QEMU models it (no OUT2 gating).
 */
#include "devices/serial.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi/aml_devices.h"
#include "vmm/acpi_build.h"
#include "vmm/state.h"
#include "vmm/vm.h"

#define UART_RBR 0 /* DLAB=0 read */
#define UART_THR 0 /* DLAB=0 write */
#define UART_IER 1
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01  /* received data available */
#define IER_THRI 0x02 /* transmitter holding register empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IER_MSI 0x08  /* modem status */

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO_ENABLED 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

#define SERIAL_RX_SIZE 256

struct serial {
	/* Guest-visible registers. */
	uint8_t ier, lcr, mcr, lsr_oe, scr, fcr, dll, dlm;
	bool thr_irq; /* THRE interrupt pending (the transmitter is always empty) */
	uint8_t rx[SERIAL_RX_SIZE];
	unsigned rx_head, rx_len;
	/* Host side. */
	int out_fd;
	int irq_level;
};

static struct serial *to_serial(struct device *dev)
{
	return dev->priv;
}

static uint8_t iir_of(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO_ENABLED : 0;

	if ((s->ier & IER_RDI) && s->rx_len)
		return fifo | IIR_RDI;
	if ((s->ier & IER_THRI) && s->thr_irq)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

static void update_irq(struct device *dev)
{
	struct serial *s = to_serial(dev);
	int level = !(iir_of(s) & IIR_NO_INT);

	if (level != s->irq_level) {
		s->irq_level = level;
		vm_irq_line(dev->vm, SERIAL_IRQ, level);
	}
}

static void rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_len == SERIAL_RX_SIZE) {
		s->lsr_oe = LSR_OE;
		return;
	}
	s->rx[(s->rx_head + s->rx_len) % SERIAL_RX_SIZE] = c;
	s->rx_len++;
}

static void transmit(struct device *dev, uint8_t c)
{
	struct serial *s = to_serial(dev);

	if (s->mcr & MCR_LOOP) {
		rx_push(s, c);
		return;
	}
	/*
	 * Console output is best effort: a closed stdout must not stop the guest.
	 * A full one blocks the vCPU (no output is lost) until the run loop asks
	 * the vCPUs to stop: its kick interrupts the write, and the byte is then
	 * dropped, or a reader that never reads would keep microvm from exiting.
	 */
	atomic_fetch_add(&dev->vm->console_bytes, 1);
	while (write(s->out_fd, &c, 1) < 0 && errno == EINTR)
		if (atomic_load(&dev->vm->request) != VM_RUN)
			return;
}

static uint8_t modem_status(const struct serial *s)
{
	if (s->mcr & MCR_LOOP) {
		uint8_t m = 0;
		if (s->mcr & MCR_RTS)
			m |= MSR_CTS;
		if (s->mcr & MCR_DTR)
			m |= MSR_DSR;
		if (s->mcr & MCR_OUT1)
			m |= MSR_RI;
		if (s->mcr & MCR_OUT2)
			m |= MSR_DCD;
		return m;
	}
	return MSR_DCD | MSR_DSR | MSR_CTS;
}

/* The transmitter is always empty. */
static uint8_t lsr_of(const struct serial *s)
{
	return LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0) | s->lsr_oe;
}

static uint64_t serial_read(struct device *dev, uint64_t off, unsigned len)
{
	struct serial *s = to_serial(dev);
	uint8_t v = 0;

	switch (off) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB) {
			v = s->dll;
		} else if (s->rx_len) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_RX_SIZE;
			s->rx_len--;
		}
		break;
	case UART_IER:
		v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
		break;
	case UART_IIR:
		v = iir_of(s);
		/* Reading IIR while it reports THRE acknowledges that interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			s->thr_irq = false;
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = lsr_of(s);
		s->lsr_oe = 0;
		break;
	case UART_MSR:
		v = modem_status(s);
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	update_irq(dev);
	return v; /* wider reads see the register zero-extended */
}

static void serial_write(struct device *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct serial *s = to_serial(dev);
	uint8_t v = (uint8_t)val;
	uint8_t old_ier;

	switch (off) {
	case UART_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			break;
		}
		transmit(dev, v);
		s->thr_irq = true;
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		old_ier = s->ier;
		s->ier = v & 0x0f;
		/* Enabling THRE interrupts with an empty transmitter raises one at once. */
		if ((s->ier & IER_THRI) && !(old_ier & IER_THRI))
			s->thr_irq = true;
		break;
	case UART_FCR:
		s->fcr = v & 0xc9; /* enable, DMA mode, trigger level; reset bits self-clear */
		if (v & FCR_CLEAR_RX)
			s->rx_head = s->rx_len = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
	update_irq(dev);
}

static void serial_reset(struct device *dev)
{
	struct serial *s = to_serial(dev);

	s->ier = s->lcr = s->mcr = s->lsr_oe = s->scr = s->fcr = s->dlm = 0;
	s->dll = 0x0c; /* 9600 baud */
	s->thr_irq = false;
	s->rx_head = s->rx_len = 0;
	s->irq_level = 0;
	vm_irq_line(dev->vm, SERIAL_IRQ, 0);
}

static int serial_create(struct vm *vm, struct device *dev)
{
	struct serial *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->out_fd = STDOUT_FILENO;
	dev->priv = s;
	r = vm_register_pio(vm, dev, SERIAL_BASE, 8);
	if (r) {
		free(s);
		dev->priv = NULL;
	}
	return r;
}

static void serial_destroy(struct device *dev)
{
	free(dev->priv);
	dev->priv = NULL;
}

void serial_set_output(struct device *dev, int fd)
{
	to_serial(dev)->out_fd = fd;
}

unsigned serial_rx_space(struct device *dev)
{
	return SERIAL_RX_SIZE - to_serial(dev)->rx_len;
}

void serial_rx(struct device *dev, const uint8_t *buf, unsigned n)
{
	struct serial *s = to_serial(dev);

	for (unsigned i = 0; i < n; i++)
		rx_push(s, buf[i]);
	update_irq(dev);
}

/*
 * Record "serial" v1: every register a guest can read or that shapes what it
 * reads, the receive FIFO oldest byte first, and the interrupt line. IIR,
 * LSR and MSR are computed from the rest; they are saved too, so a reader
 * of the file sees the registers as the guest does, and a load refuses a
 * file where they disagree.
 */
static int serial_save(struct device *dev, struct state_writer *w)
{
	struct serial *s = to_serial(dev);
	uint8_t rx[SERIAL_RX_SIZE];

	for (unsigned i = 0; i < s->rx_len; i++)
		rx[i] = s->rx[(s->rx_head + i) % SERIAL_RX_SIZE];
	state_record_begin(w, "serial", 1);
	state_put_u8(w, "ier", s->ier);
	state_put_u8(w, "iir", iir_of(s));
	state_put_u8(w, "fcr", s->fcr);
	state_put_u8(w, "lcr", s->lcr);
	state_put_u8(w, "mcr", s->mcr);
	state_put_u8(w, "lsr", lsr_of(s));
	state_put_u8(w, "msr", modem_status(s));
	state_put_u8(w, "scr", s->scr);
	state_put_u8(w, "dll", s->dll);
	state_put_u8(w, "dlm", s->dlm);
	state_put_bool(w, "thr_irq", s->thr_irq);
	state_put_bytes(w, "rx", rx, s->rx_len);
	state_put_bool(w, "irq_level", s->irq_level);
	return state_record_end(w);
}

/* Registers into t; the values only writes of the guest could have produced. */
static int serial_load_regs(struct state_reader *r, struct serial *t)
{
	bool irq_level;
	int rc;

	if ((rc = state_get_u8(r, "ier", &t->ier)) || (rc = state_get_u8(r, "fcr", &t->fcr)) ||
	    (rc = state_get_u8(r, "lcr", &t->lcr)) || (rc = state_get_u8(r, "mcr", &t->mcr)) ||
	    (rc = state_get_u8(r, "scr", &t->scr)) || (rc = state_get_u8(r, "dll", &t->dll)) ||
	    (rc = state_get_u8(r, "dlm", &t->dlm)) || (rc = state_get_bool(r, "thr_irq", &t->thr_irq)) ||
	    (rc = state_get_bool(r, "irq_level", &irq_level)))
		return rc;
	t->irq_level = irq_level;
	if (t->ier & ~0x0f)
		return state_invalid(r, "IER 0x%02x has reserved bits set", t->ier);
	if (t->fcr & ~0xc9)
		return state_invalid(r, "FCR 0x%02x has bits that do not stay set", t->fcr);
	if (t->mcr & ~0x1f)
		return state_invalid(r, "MCR 0x%02x has reserved bits set", t->mcr);
	return 0;
}

static int serial_load(struct device *dev, struct state_reader *r)
{
	struct serial *s = to_serial(dev), t = *s;
	const uint8_t *rx;
	uint8_t iir, lsr, msr;
	uint32_t version;
	size_t rx_len;
	int rc;

	if ((rc = state_record_open(r, "serial", 1, &version)) || (rc = serial_load_regs(r, &t)) ||
	    (rc = state_get_blob(r, "rx", &rx, &rx_len)) || (rc = state_get_u8(r, "iir", &iir)) ||
	    (rc = state_get_u8(r, "lsr", &lsr)) || (rc = state_get_u8(r, "msr", &msr)))
		return rc;
	if (rx_len > SERIAL_RX_SIZE)
		return state_invalid(r, "%zu bytes in the receive FIFO, which holds %u", rx_len,
				     SERIAL_RX_SIZE);
	memcpy(t.rx, rx, rx_len);
	t.rx_head = 0;
	t.rx_len = (unsigned)rx_len;
	t.lsr_oe = lsr & LSR_OE;
	if (iir != iir_of(&t) || lsr != lsr_of(&t) || msr != modem_status(&t))
		return state_invalid(r, "IIR 0x%02x, LSR 0x%02x, MSR 0x%02x disagree with the other registers",
				     iir, lsr, msr);
	if (t.irq_level != !(iir & IIR_NO_INT))
		return state_invalid(r, "interrupt line %d, but IIR 0x%02x", t.irq_level, iir);
	*s = t;
	/* KVM's irqchip state does not carry which source holds a line: assert ours again. */
	vm_irq_line(dev->vm, SERIAL_IRQ, s->irq_level);
	return 0;
}

static int serial_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	acpi_ctx_append_sb(ctx, acpi_aml_serial(acpi_ctx_arena(ctx), 0, SERIAL_BASE, SERIAL_IRQ));
	return 0;
}

const struct device_ops serial_ops = {
	.name = "serial",
	.create = serial_create,
	.destroy = serial_destroy,
	.reset = serial_reset,
	.io_read = serial_read,
	.io_write = serial_write,
	.save = serial_save,
	.load = serial_load,
	.acpi = serial_acpi,
};
