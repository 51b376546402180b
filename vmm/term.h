/* SPDX-License-Identifier: MIT */
/*
 * The host terminal while a guest owns the console: raw mode on start,
 * restored on every way out — normal exit, fatal signal, or abort.
 */
#ifndef MICROVM_TERM_H
#define MICROVM_TERM_H

#include <signal.h>
#include <stdbool.h>

/* Put stdin in raw mode if it is a terminal; returns true if it did. */
bool term_raw(void);
/* Restore the saved mode (idempotent, async-signal-safe). */
void term_restore(void);
/*
 * Remove from `set` the fault signals term_raw catches: a thread that blocks
 * them would, on a fault, be killed by the kernel without running the handler.
 */
void term_fatal_sigdel(sigset_t *set);

#endif
