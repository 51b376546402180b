/* SPDX-License-Identifier: MIT */
/*
 * `microvm inspect FILE`: a summary of an ELF core (ours or QEMU's
 * dump-guest-memory): each vCPU's registers from its NT_PRSTATUS and QEMU
 * notes, the memory segments with how much of each is holes, and the
 * VMCOREINFO text. Every offset and size in the file is checked before use;
 * a bad file gives one line and a non-zero exit.
 */
#ifndef MICROVM_INSPECT_H
#define MICROVM_INSPECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/err.h"

/*
 * Entry point for the subcommand: argv[0] is "inspect", argv[1] the file.
 * Returns the process exit status: 0, 1 for a file that is not a readable
 * x86-64 ELF core, 2 for a usage error.
 */
int inspect_main(int argc, char **argv);

/* Print the summary of the core at path to out. 0, or -errno with the reason in err. */
int inspect_file(const char *path, FILE *out, struct errbuf *err);

/*
 * The same for a core already in memory, named name in the output; the
 * holes of its segments print as "unknown". inspect_file maps the file and
 * calls the same code.
 */
int inspect_buf(const char *name, const uint8_t *buf, size_t len, FILE *out, struct errbuf *err);

#endif
