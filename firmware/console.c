/* SPDX-License-Identifier: MIT */
#include "firmware/console.h"

#include "firmware/io.h"

#define COM1 0x3F8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20
/* A UART that never drains must not hang the firmware: give up waiting. */
#define THRE_SPINS 64

static void con_putc(char c)
{
	for (unsigned i = 0; i < THRE_SPINS && !(inb(COM1_LSR) & LSR_THRE); i++)
		;
	outb(COM1, (uint8_t)c);
}

void con_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			con_putc('\r');
		con_putc(*s);
	}
}

void con_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[19];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = digits[v & 0xf];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	con_puts(&buf[i]);
}

void con_dec(uint32_t v)
{
	char buf[11];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	con_puts(&buf[i]);
}
