/* SPDX-License-Identifier: MIT */
/* Command-line parsing for `microvm run` and `microvm tables` (pure, unit-tested). */
#ifndef MICROVM_OPTIONS_H
#define MICROVM_OPTIONS_H

#include <stdint.h>

#include "vmm/err.h"
#include "vmm/vm.h"

/*
 * Parse a size: digits with an optional K, M, G or T suffix (binary units,
 * case-insensitive, optional trailing "B" or "iB"); no suffix means MiB, as
 * QEMU's -m. -EINVAL on junk, -ERANGE on overflow.
 */
int parse_size(const char *s, uint64_t *out);

/* Parse an --on-panic list such as "dump,exit" into enum panic_action bits. */
int parse_panic_actions(const char *s, unsigned *out, struct errbuf *err);

/* --vmcoreinfo's optional value (NULL: none given) into enum vmcoreinfo_mode. */
int parse_vmcoreinfo(const char *s, unsigned *out, struct errbuf *err);

enum options_cmd { CMD_RUN, CMD_TABLES, CMD_RESTORE };

/*
 * Parse argv after the subcommand. Fills cfg with defaults first. The one
 * positional argument (KERNEL for run, DIR for tables and restore) goes to
 * *positional. restore refuses the options a snapshot fixes (the kernel,
 * its command line, the devices).
 * Returns 0, 1 when --help was shown, or -EINVAL with a message.
 */
int options_parse(enum options_cmd cmd, int argc, char **argv, struct vm_config *cfg,
		  const char **positional, struct errbuf *err);

void options_defaults(struct vm_config *cfg);

/* One --fw-cfg value; splits s in place. */
int parse_user_fwcfg(char *s, struct user_fwcfg *out, struct errbuf *err);

#endif
