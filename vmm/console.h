/* SPDX-License-Identifier: MIT */
/*
 * The host side of the guest console: standard input feeds COM1's receive
 * FIFO; when it is a terminal, Ctrl-A starts an escape (x quits, Ctrl-A sends
 * a literal Ctrl-A, anything else shows the keys), as QEMU's -nographic.
 */
#ifndef MICROVM_CONSOLE_H
#define MICROVM_CONSOLE_H

#include <stdbool.h>

struct vm;
struct device;

#include <stdint.h>

#define CONSOLE_BUF_SIZE 256

struct console {
	struct device *serial;
	bool open;   /* stdin still readable */
	bool tty;    /* raw terminal: escapes are active */
	bool escape; /* Ctrl-A seen */
	/* Input read from stdin (escapes already acted on) that COM1 has not taken yet. */
	uint8_t buf[CONSOLE_BUF_SIZE];
	unsigned len;
};

void console_help(void);
/* True while stdin should be polled: it is open and the buffer has room. */
bool console_wants_input(const struct console *c);
/* Read what stdin has into the buffer, acting on escapes at once; called when stdin polls readable. */
void console_read(struct vm *vm, struct console *c);
/*
 * Move buffered input into COM1's receive FIFO as far as it has room. Never
 * waits for the VM's I/O lock (a vCPU may hold it while blocked on a full
 * stdout): returns false when input is left over, to be retried shortly.
 */
bool console_flush(struct vm *vm, struct console *c);

#endif
