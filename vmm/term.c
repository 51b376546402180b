/* SPDX-License-Identifier: MIT */
#include "vmm/term.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/log.h"

/*
 * Saved terminal state. Written once before raw mode is entered and read by
 * term_restore, which may run in a signal handler; not guest-reachable.
 */
static struct termios saved;
static volatile sig_atomic_t saved_valid;

void term_restore(void)
{
	if (saved_valid) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		saved_valid = 0;
		log_crlf = false;
	}
}

static void fatal_signal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

bool term_raw(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) < 0)
		return false;
	raw = saved;
	cfmakeraw(&raw);
	/* Keep output post-processing off too: the guest sends its own \r\n. */
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
		return false;
	saved_valid = 1;
	log_crlf = true;
	atexit(term_restore);
	for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct sigaction sa = { .sa_handler = fatal_signal, .sa_flags = SA_RESETHAND };
		sigemptyset(&sa.sa_mask);
		sigaction(fatal[i], &sa, NULL);
	}
	return true;
}
