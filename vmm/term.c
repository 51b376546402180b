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

/* Signals that end the process with a core: the terminal must come back first. */
static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

/*
 * Restore, then die of the same signal with its default action so the exit
 * status (and core) still name it: raise() leaves it pending while the
 * handler blocks it, and it is delivered with SIG_DFL when the handler returns.
 */
static void fatal_signal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

void term_fatal_sigdel(sigset_t *set)
{
	for (unsigned i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigdelset(set, fatal_signals[i]);
}

bool term_raw(void)
{
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
	for (unsigned i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		struct sigaction sa = { .sa_handler = fatal_signal, .sa_flags = SA_RESETHAND };
		sigemptyset(&sa.sa_mask);
		sigaction(fatal_signals[i], &sa, NULL);
	}
	return true;
}
