/* SPDX-License-Identifier: MIT */
#include "vmm/console.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
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

bool console_wants_input(const struct console *c)
{
	return c->open && c->len < sizeof(c->buf);
}

void console_read(struct vm *vm, struct console *c)
{
	ssize_t n = read(STDIN_FILENO, c->buf + c->len, sizeof(c->buf) - c->len);

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			c->open = false;
		return;
	}
	if (c->tty)
		n = (ssize_t)console_filter(vm, c, c->buf + c->len, (size_t)n);
	c->len += (unsigned)n;
}

bool console_flush(struct vm *vm, struct console *c)
{
	unsigned n;

	if (!c->len)
		return true;
	if (pthread_mutex_trylock(&vm->io_lock))
		return false;
	n = serial_rx_space(c->serial);
	if (n > c->len)
		n = c->len;
	serial_rx(c->serial, c->buf, n);
	pthread_mutex_unlock(&vm->io_lock);
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	return c->len == 0;
}
