/* SPDX-License-Identifier: MIT */
/*
 * devices/serial.c's state record: a second UART loaded from the first
 * answers every register read the same, FIFO included; values no guest
 * could have produced are refused and leave the UART as it was.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/serial.h"
#include "vmm/state.h"
#include "vmm/vm.h"

#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

struct uart {
	struct vm *vm;
	struct device dev;
};

static struct uart a, b;
static int devnull;

static void uart_init(struct uart *u)
{
	u->vm = calloc(1, sizeof(*u->vm));
	cr_assert_not_null(u->vm);
	u->vm->vm_fd = -1; /* no KVM: the line is tracked by the device only */
	bus_init(&u->vm->pio, "pio");
	u->dev = (struct device){ .ops = &serial_ops, .vm = u->vm };
	cr_assert_eq(serial_ops.create(u->vm, &u->dev), 0);
	serial_ops.reset(&u->dev);
	serial_set_output(&u->dev, devnull);
}

static void uart_fini(struct uart *u)
{
	serial_ops.destroy(&u->dev);
	bus_free(&u->vm->pio);
	free(u->vm);
}

static void setup(void)
{
	devnull = open("/dev/null", O_WRONLY);
	cr_assert_geq(devnull, 0);
	uart_init(&a);
	uart_init(&b);
}

static void teardown(void)
{
	uart_fini(&a);
	uart_fini(&b);
	close(devnull);
}

TestSuite(serial_state, .init = setup, .fini = teardown);

static uint8_t rd(struct uart *u, unsigned reg)
{
	return (uint8_t)bus_read(&u->vm->pio, SERIAL_BASE + reg, 1);
}

static void wr(struct uart *u, unsigned reg, uint8_t v)
{
	bus_write(&u->vm->pio, SERIAL_BASE + reg, 1, v);
}

/* What a guest sees reading every register, then draining the FIFO; side effects included. */
static void observe(struct uart *u, uint8_t out[300])
{
	unsigned n = 0;

	memset(out, 0, 300);
	out[n++] = rd(u, IER);
	out[n++] = rd(u, LCR);
	out[n++] = rd(u, MCR);
	out[n++] = rd(u, MSR);
	out[n++] = rd(u, SCR);
	out[n++] = rd(u, IIR);
	out[n++] = rd(u, LSR);
	out[n++] = rd(u, LSR);
	wr(u, LCR, rd(u, LCR) | 0x80);
	out[n++] = rd(u, RBR); /* DLL */
	out[n++] = rd(u, IER); /* DLM */
	wr(u, LCR, rd(u, LCR) & 0x7f);
	while (rd(u, LSR) & 1 && n < 300)
		out[n++] = rd(u, RBR);
}

static void save_load(struct uart *from, struct uart *to, struct state_writer *w)
{
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	state_writer_init(w);
	cr_assert_eq(serial_ops.save(&from->dev, w), 0, "%s", w->err.msg);
	data = state_writer_finish(w, &len);
	cr_assert_not_null(data, "%s", w->err.msg);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(serial_ops.load(&to->dev, &r), 0, "%s", r.err.msg);
}

Test(serial_state, every_register_and_the_fifo_come_back)
{
	uint8_t in[200], oa[300], ob[300];
	struct state_writer w;

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i + 1);
	wr(&a, LCR, 0x80);
	wr(&a, RBR, 0x34); /* DLL */
	wr(&a, IER, 0x12); /* DLM */
	wr(&a, LCR, 0x1b);
	wr(&a, IER, 0x07);
	wr(&a, FCR, 0xc1);
	wr(&a, MCR, 0x0b);
	wr(&a, SCR, 0x5a);
	/* The FIFO wraps and overruns: head in the middle, OE set. */
	serial_rx(&a.dev, in, sizeof(in));
	for (int i = 0; i < 100; i++)
		rd(&a, RBR);
	serial_rx(&a.dev, in, sizeof(in));
	save_load(&a, &b, &w);
	state_writer_free(&w);
	observe(&a, oa);
	observe(&b, ob);
	cr_assert_arr_eq(oa, ob, sizeof(oa));
	cr_assert_eq(oa[6] & 0x02, 0x02, "the overrun came back");
}

/* THRE pending survives: the restored guest still gets its transmit interrupt. */
Test(serial_state, pending_thre_interrupt_comes_back)
{
	struct state_writer w;

	wr(&a, IER, 0x02);
	save_load(&a, &b, &w);
	state_writer_free(&w);
	cr_assert_eq(rd(&b, IIR) & 0x0f, 0x02);
	cr_assert_eq(rd(&b, IIR) & 0x0f, 0x01, "acknowledged by the read, as before");
}

/* A record by hand, starting from the power-on values. */
struct rec {
	uint8_t ier, iir, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
	bool thr_irq, irq_level;
	size_t rx_len;
};

static const struct rec power_on = {
	.iir = 0x01, .lsr = 0x60, .msr = 0xb0, .dll = 0x0c,
};

static int load_rec(const struct rec *x, struct state_reader *r, struct state_writer *w)
{
	uint8_t rx[300];
	const uint8_t *data;
	size_t len;

	memset(rx, 'q', sizeof(rx));
	state_writer_init(w);
	state_record_begin(w, "serial", 1);
	state_put_u8(w, "ier", x->ier);
	state_put_u8(w, "iir", x->iir);
	state_put_u8(w, "fcr", x->fcr);
	state_put_u8(w, "lcr", x->lcr);
	state_put_u8(w, "mcr", x->mcr);
	state_put_u8(w, "lsr", x->lsr);
	state_put_u8(w, "msr", x->msr);
	state_put_u8(w, "scr", x->scr);
	state_put_u8(w, "dll", x->dll);
	state_put_u8(w, "dlm", x->dlm);
	state_put_bool(w, "thr_irq", x->thr_irq);
	state_put_bytes(w, "rx", rx, x->rx_len);
	state_put_bool(w, "irq_level", x->irq_level);
	state_record_end(w);
	data = state_writer_finish(w, &len);
	cr_assert_not_null(data, "%s", w->err.msg);
	cr_assert_eq(state_reader_init(r, data, len), 0, "%s", r->err.msg);
	return serial_ops.load(&b.dev, r);
}

static void assert_refused(struct rec x, const char *why)
{
	struct state_writer w;
	struct state_reader r;
	uint8_t before[300], after[300];
	const uint8_t c = 'k';

	/* b has state of its own, and must keep it. */
	serial_ops.reset(&b.dev);
	wr(&b, SCR, 0x77);
	serial_rx(&b.dev, &c, 1);
	cr_assert_eq(load_rec(&x, &r, &w), -EINVAL, "accepted: %s", why);
	cr_assert(strstr(r.err.msg, why), "%s", r.err.msg);
	cr_assert_eq(strncmp(r.err.msg, "state: record serial: ", 22), 0, "%s", r.err.msg);
	state_writer_free(&w);
	observe(&b, after);
	serial_ops.reset(&b.dev);
	wr(&b, SCR, 0x77);
	serial_rx(&b.dev, &c, 1);
	observe(&b, before);
	cr_assert_arr_eq(before, after, sizeof(before), "changed by a refused record: %s", why);
}

Test(serial_state, impossible_values_are_refused)
{
	struct state_writer w;
	struct state_reader r;
	struct rec x;

	cr_assert_eq(load_rec(&power_on, &r, &w), 0, "%s", r.err.msg);
	state_writer_free(&w);

	x = power_on, x.ier = 0x10;
	assert_refused(x, "IER 0x10 has reserved bits");
	x = power_on, x.fcr = 0x02;
	assert_refused(x, "FCR 0x02");
	x = power_on, x.mcr = 0x20;
	assert_refused(x, "MCR 0x20");
	x = power_on, x.rx_len = 257;
	assert_refused(x, "257 bytes in the receive FIFO, which holds 256");
	x = power_on, x.lsr = 0x61; /* data ready with an empty FIFO */
	assert_refused(x, "disagree");
	x = power_on, x.lsr = 0x68; /* a framing error this UART never reports */
	assert_refused(x, "disagree");
	x = power_on, x.iir = 0x02;
	assert_refused(x, "disagree");
	x = power_on, x.msr = 0x00;
	assert_refused(x, "disagree");
	x = power_on, x.irq_level = true;
	assert_refused(x, "interrupt line 1, but IIR 0x01");
}

Test(serial_state, consistent_crafted_state_loads)
{
	struct state_writer w;
	struct state_reader r;
	struct rec x = power_on;

	/* Received data with its interrupt enabled: IIR 0x04, LSR DR + OE, line high. */
	x.ier = 0x01;
	x.iir = 0x04;
	x.lsr = 0x63;
	x.rx_len = 256;
	x.irq_level = true;
	cr_assert_eq(load_rec(&x, &r, &w), 0, "%s", r.err.msg);
	state_writer_free(&w);
	cr_assert_eq(rd(&b, LSR), 0x63);
	cr_assert_eq(rd(&b, RBR), 'q');
	cr_assert_eq(serial_rx_space(&b.dev), 1);
}
