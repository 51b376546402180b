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

struct console {
	struct device *serial;
	bool open;   /* stdin still readable */
	bool tty;    /* raw terminal: escapes are active */
	bool escape; /* Ctrl-A seen */
};

void console_help(void);
/* Read what stdin has, as much as COM1's FIFO takes; called when stdin polls readable. */
void console_read(struct vm *vm, struct console *c);

#endif
