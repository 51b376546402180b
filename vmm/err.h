/* SPDX-License-Identifier: MIT */
/*
 * A message that travels with an error code up to vmm/main.c, the only place
 * that prints set-up failures and exits. Messages name the thing, the problem
 * and, where there is one, what to do: "kernel.img: not a bzImage (no HdrS)".
 */
#ifndef MICROVM_ERR_H
#define MICROVM_ERR_H

struct errbuf {
	char msg[512];
};

/* Format the message into e (if non-NULL) and return code (a negative errno). */
int errf(struct errbuf *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
