/* SPDX-License-Identifier: MIT */
#include "vmm/console.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "devices/serial.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define CONSOLE_ESCAPE 0x01 /* Ctrl-A, as in QEMU's -nographic */

void console_help(void)
{
	log_warn("console: Ctrl-A x  quit;  Ctrl-A Ctrl-A  send Ctrl-A;  Ctrl-A h  this help");
}

/* Filter escapes out of buf in place; returns bytes left for the guest. */
static size_t console_filter(struct vm *vm, struct console *c, uint8_t *buf, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t ch = buf[i];
		if (!c->escape && ch == CONSOLE_ESCAPE) {
			c->escape = true;
			continue;
		}
		if (c->escape) {
			c->escape = false;
			if (ch == 'x' || ch == 'X') {
				log_warn("console: Ctrl-A x: stopping the VM");
				vm_request(vm, VM_REQ_EXIT, EXIT_SIGNAL);
				return out;
			}
			if (ch != CONSOLE_ESCAPE) {
				console_help();
				continue;
			}
		}
		buf[out++] = ch;
	}
	return out;
}

void console_read(struct vm *vm, struct console *c)
{
	uint8_t buf[256];
	unsigned space;
	ssize_t n;

	pthread_mutex_lock(&vm->io_lock);
	space = serial_rx_space(c->serial);
	pthread_mutex_unlock(&vm->io_lock);
	if (space == 0)
		return;
	if (space > sizeof(buf))
		space = sizeof(buf);
	n = read(STDIN_FILENO, buf, space);
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			c->open = false;
		return;
	}
	if (c->tty)
		n = (ssize_t)console_filter(vm, c, buf, (size_t)n);
	pthread_mutex_lock(&vm->io_lock);
	serial_rx(c->serial, buf, (unsigned)n);
	pthread_mutex_unlock(&vm->io_lock);
}
