/* SPDX-License-Identifier: MIT */
/* The 16550A (devices/serial.c): registers, FIFO, interrupts, loopback as Linux's probe uses it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "devices/serial.h"
#include "vmm/vm.h"

#define THR 0
#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static struct vm *vm;
static struct device dev;
static int pipefd[2];

static void setup(void)
{
	vm = calloc(1, sizeof(*vm));
	vm->vm_fd = -1; /* no KVM: interrupt lines are tracked by the device only */
	bus_init(&vm->pio, "pio");
	dev = (struct device){ .ops = &serial_ops, .vm = vm };
	cr_assert_eq(serial_ops.create(vm, &dev), 0);
	serial_ops.reset(&dev);
	cr_assert_eq(pipe2(pipefd, O_NONBLOCK), 0);
	serial_set_output(&dev, pipefd[1]);
}

static void teardown(void)
{
	serial_ops.destroy(&dev);
	bus_free(&vm->pio);
	free(vm);
	close(pipefd[0]);
	close(pipefd[1]);
}

static uint8_t rd(unsigned reg)
{
	return (uint8_t)bus_read(&vm->pio, SERIAL_BASE + reg, 1);
}

static void wr(unsigned reg, uint8_t v)
{
	bus_write(&vm->pio, SERIAL_BASE + reg, 1, v);
}

TestSuite(serial, .init = setup, .fini = teardown);

Test(serial, transmit_reaches_the_host)
{
	char buf[8] = { 0 };

	wr(THR, 'o');
	wr(THR, 'k');
	cr_assert_eq(read(pipefd[0], buf, sizeof(buf)), 2);
	cr_assert_str_eq(buf, "ok");
	cr_assert_eq(rd(LSR) & 0x60, 0x60); /* THRE and TEMT: always ready */
}

Test(serial, registered_at_com1_only)
{
	cr_assert_not_null(bus_find(&vm->pio, 0x3f8, 1));
	cr_assert_not_null(bus_find(&vm->pio, 0x3ff, 1));
	cr_assert_null(bus_find(&vm->pio, 0x400, 1));
}

Test(serial, scratch_and_divisor_latch)
{
	wr(SCR, 0x5a);
	cr_assert_eq(rd(SCR), 0x5a);
	wr(LCR, 0x83); /* DLAB */
	wr(0, 0x01);
	wr(1, 0x00);
	cr_assert_eq(rd(0), 0x01);
	cr_assert_eq(rd(1), 0x00);
	wr(LCR, 0x03);
	cr_assert_eq(rd(LCR), 0x03);
	cr_assert_eq(rd(IER), 0x00); /* the divisor write did not touch IER */
}

Test(serial, receive_fifo_and_data_ready)
{
	const uint8_t in[] = "hey";

	cr_assert_eq(rd(LSR) & 1, 0);
	serial_rx(&dev, in, 3);
	cr_assert_eq(serial_rx_space(&dev), 256 - 3);
	cr_assert_eq(rd(LSR) & 1, 1);
	cr_assert_eq(rd(RBR), 'h');
	cr_assert_eq(rd(RBR), 'e');
	cr_assert_eq(rd(RBR), 'y');
	cr_assert_eq(rd(LSR) & 1, 0);
}

Test(serial, receive_overrun_sets_oe)
{
	uint8_t buf[300] = { 0 };

	serial_rx(&dev, buf, sizeof(buf));
	cr_assert_eq(serial_rx_space(&dev), 0);
	cr_assert_eq(rd(LSR) & 0x02, 0x02);
	cr_assert_eq(rd(LSR) & 0x02, 0); /* cleared by reading LSR */
}

Test(serial, interrupt_identification)
{
	const uint8_t c = 'x';

	cr_assert_eq(rd(IIR) & 0x0f, 0x01); /* nothing pending */
	wr(IER, 0x02);			    /* THRE interrupt: the transmitter is empty now */
	cr_assert_eq(rd(IIR) & 0x0f, 0x02);
	cr_assert_eq(rd(IIR) & 0x0f, 0x01); /* reading IIR acknowledged it */
	wr(THR, 'a');
	cr_assert_eq(rd(IIR) & 0x0f, 0x02); /* transmitted: empty again */
	wr(IER, 0x03);
	serial_rx(&dev, &c, 1);
	cr_assert_eq(rd(IIR) & 0x0f, 0x04); /* received data */
	wr(THR, 'b');
	cr_assert_eq(rd(IIR) & 0x0f, 0x04); /* outranks the new THRE */
	rd(RBR);
	cr_assert_eq(rd(IIR) & 0x0f, 0x02); /* then THRE shows */
	cr_assert_eq(rd(IIR) & 0x0f, 0x01);
}

Test(serial, fifo_enable_shows_in_iir)
{
	wr(FCR, 0x07);
	cr_assert_eq(rd(IIR) & 0xc0, 0xc0); /* 16550A with working FIFOs */
	wr(FCR, 0x00);
	cr_assert_eq(rd(IIR) & 0xc0, 0x00);
}

/* Linux's 8250 autoconfig: MCR = LOOP | OUT2 | RTS must read back MSR 0x90 (DCD | CTS). */
Test(serial, loopback_as_linux_probes_it)
{
	char buf[4];

	wr(MCR, 0x1a);
	cr_assert_eq(rd(MSR) & 0xf0, 0x90);
	wr(MCR, 0x1f);
	cr_assert_eq(rd(MSR) & 0xf0, 0xf0);
	wr(THR, 'L');
	cr_assert_eq(read(pipefd[0], buf, sizeof(buf)), -1); /* looped back, not sent */
	cr_assert_eq(rd(RBR), 'L');
	wr(MCR, 0x0b);
	cr_assert_eq(rd(MSR) & 0xf0, 0xb0); /* carrier, data set ready, clear to send */
}

Test(serial, reset_returns_power_on_state)
{
	const uint8_t c = 'z';

	wr(IER, 0x0f);
	wr(LCR, 0x1b);
	serial_rx(&dev, &c, 1);
	serial_ops.reset(&dev);
	cr_assert_eq(rd(IER), 0);
	cr_assert_eq(rd(LCR), 0);
	cr_assert_eq(rd(LSR) & 1, 0);
	cr_assert_eq(rd(IIR) & 0x0f, 0x01);
}

/* ---- a full stdout: the vCPU blocks, but a stop request still gets it out ---- */

static void interrupt_handler(int sig)
{
	(void)sig;
}

/* SIGUSR2 interrupts a blocked write as the vCPU kick does (no SA_RESTART: EINTR). */
static void install_interrupt(void)
{
	struct sigaction sa = { .sa_handler = interrupt_handler };

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGUSR2, &sa, NULL), 0);
}

static void *write_thr(void *arg)
{
	wr(THR, (uint8_t)(uintptr_t)arg);
	return NULL;
}

/* A blocking pipe with no room left; returns its read end. */
static int full_pipe(int *wfd)
{
	int p[2];
	char junk[4096] = { 0 };

	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	while (write(p[1], junk, 1) > 0)
		;
	cr_assert_eq(errno, EAGAIN);
	cr_assert_eq(fcntl(p[1], F_SETFL, 0), 0);
	*wfd = p[1];
	return p[0];
}

static int join_within_ms(pthread_t t, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_timedjoin_np(t, NULL, &ts);
}

Test(serial, stop_request_ends_a_blocked_write, .timeout = 10)
{
	int wfd, rfd = full_pipe(&wfd);
	pthread_t t;
	int joined = -1;

	install_interrupt();
	serial_set_output(&dev, wfd);
	cr_assert_eq(pthread_create(&t, NULL, write_thr, (void *)(uintptr_t)'S'), 0);
	cr_assert_neq(join_within_ms(t, 50), 0, "the write blocks on the full pipe");
	atomic_store(&vm->request, VM_REQ_EXIT);
	/* Kick until it returns, as vcpus_stop does: a kick may land just before the write. */
	for (int i = 0; i < 200 && joined; i++) {
		pthread_kill(t, SIGUSR2);
		joined = join_within_ms(t, 10);
	}
	cr_assert_eq(joined, 0, "the write still blocks after the stop request");
	cr_assert_eq(rd(LSR) & 0x60, 0x60, "the transmitter reads empty: the byte was dropped");
	close(rfd);
	close(wfd);
}

/* Without a stop request an interrupted write is retried: a slow reader loses nothing. */
Test(serial, interrupted_write_is_retried, .timeout = 10)
{
	int wfd, rfd = full_pipe(&wfd);
	char buf[4096], last = 0;
	pthread_t t;
	ssize_t n;

	install_interrupt();
	serial_set_output(&dev, wfd);
	cr_assert_eq(pthread_create(&t, NULL, write_thr, (void *)(uintptr_t)'R'), 0);
	for (int i = 0; i < 5; i++) {
		pthread_kill(t, SIGUSR2);
		cr_assert_neq(join_within_ms(t, 10), 0, "an interrupted write with no stop request goes on");
	}
	cr_assert_eq(fcntl(rfd, F_SETFL, O_NONBLOCK), 0);
	while ((n = read(rfd, buf, sizeof(buf))) > 0)
		last = buf[n - 1];
	cr_assert_eq(join_within_ms(t, 2000), 0);
	while ((n = read(rfd, buf, sizeof(buf))) > 0)
		last = buf[n - 1];
	cr_assert_eq(last, 'R', "the byte arrived after the interruptions");
	close(rfd);
	close(wfd);
}
