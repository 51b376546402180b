/* SPDX-License-Identifier: MIT */
/*
 * COM1 console (polled 16550, IO base 0x3F8), a small printf, and the
 * checks that end a run through isa-debug-exit.
 *
 * Every port access exits to the VMM (~8 us each here), so output is
 * written straight to THR after one LSR poll; no FIFO setup beyond 8N1.
 */
#include "guest-images/testguest/guest.h"

#define COM1 0x3F8
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_POLL_MAX 100000 /* a missing UART reads 0xFF; this bounds a broken one */

/* The one lock serialising console output between CPUs. */
static volatile int console_lock;
/* Checks run so far: a failed check exits with its ordinal number. */
static unsigned check_count;

void console_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x03); /* 8N1, DLAB off: the VMM ignores the rate */
	outb(COM1 + UART_FCR, 0x00);
	outb(COM1 + UART_MCR, 0x03); /* DTR | RTS */
}

static void uart_putc(char c)
{
	for (unsigned i = 0; i < UART_POLL_MAX; i++)
		if (inb(COM1 + UART_LSR) & UART_LSR_THRE)
			break;
	outb(COM1 + UART_THR, (uint8_t)c);
}

static void lock_console(void)
{
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock_console(void)
{
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

void console_break_lock(void)
{
	unlock_console();
}

/* ---- formatting ---- */

struct sink {
	char *buf;   /* NULL: write to the UART */
	size_t size; /* capacity of buf including the NUL */
	size_t len;  /* characters produced (may exceed size) */
};

static void sink_put(struct sink *s, char c)
{
	if (!s->buf)
		uart_putc(c);
	else if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void put_padded(struct sink *s, const char *str, size_t n, unsigned width, int left,
		       char pad)
{
	size_t fill = width > n ? width - n : 0;

	if (!left && pad == '0' && n && (*str == '-')) {
		sink_put(s, *str++);
		n--;
	}
	while (!left && fill--)
		sink_put(s, pad);
	while (n--)
		sink_put(s, *str++);
	while (left && fill--)
		sink_put(s, ' ');
}

static size_t format_uint(char *out, uint64_t v, unsigned base, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* %[-0][width][l|ll|z](d i u x X p s c %) */
static void format(struct sink *s, const char *fmt, va_list ap)
{
	char num[32];

	for (; *fmt; fmt++) {
		unsigned width = 0, lng = 0;
		int left = 0, alt = 0;
		char pad = ' ';
		uint64_t u;
		size_t n;

		if (*fmt != '%') {
			sink_put(s, *fmt);
			continue;
		}
		for (fmt++;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				pad = '0';
			else if (*fmt == '#')
				alt = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng = 1;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			n = 0;
			if (v < 0)
				num[n++] = '-';
			n += format_uint(num + n, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, 0);
			put_padded(s, num, n, width, left, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			n = 0;
			if (alt && *fmt != 'u') {
				num[n++] = '0';
				num[n++] = 'x';
			}
			n += format_uint(num + n, u, *fmt == 'u' ? 10 : 16, *fmt == 'X');
			put_padded(s, num, n, width, left, pad);
			break;
		case 'p':
			num[0] = '0';
			num[1] = 'x';
			n = 2 + format_uint(num + 2, (uintptr_t)va_arg(ap, void *), 16, 0);
			put_padded(s, num, n, width, left, pad);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			put_padded(s, str, strlen(str), width, left, ' ');
			break;
		}
		case 'c':
			num[0] = (char)va_arg(ap, int);
			put_padded(s, num, 1, width, left, ' ');
			break;
		case '%':
			sink_put(s, '%');
			break;
		case '\0':
			return;
		default:
			sink_put(s, '%');
			sink_put(s, *fmt);
			break;
		}
	}
}

int vprintf(const char *fmt, va_list ap)
{
	struct sink s = { 0 };

	lock_console();
	format(&s, fmt, ap);
	unlock_console();
	return (int)s.len;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .size = size };

	format(&s, fmt, ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* ---- the way out ---- */

void guest_exit(unsigned code)
{
	printf("testguest: exit code %u (%s)\n", code, code ? "fail" : "pass");
	outw(DEBUG_EXIT_PORT, (uint16_t)code);
	/* Still here: no isa-debug-exit at 0x501. Do not HLT (with an in-kernel
	 * irqchip that never reaches the VMM); say so and spin. */
	printf("testguest: no isa-debug-exit device at 0x%x; spinning\n", DEBUG_EXIT_PORT);
	for (;;)
		cpu_relax();
}

void fail(unsigned code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("FAIL: %s\n", msg);
	guest_exit(code);
}

void check_report(int ok, const char *file, int line, const char *fmt, ...)
{
	unsigned n = ++check_count;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ok) {
		printf("PASS: %s\n", msg);
		return;
	}
	printf("FAIL: %s (check %u, %s:%d)\n", msg, n, file, line);
	guest_exit(n < GUEST_EXIT_CHECK_MAX ? n : GUEST_EXIT_CHECK_MAX);
}
