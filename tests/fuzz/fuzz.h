/* SPDX-License-Identifier: MIT */
/*
 * What every fuzz target shares (tests/fuzz/fuzz.mk, docs/security.md).
 * A target defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize); for the unit tests' replay the build renames them
 * fuzz_NAME_one and fuzz_NAME_init, so they must not call each other by the
 * libFuzzer names across files. Invariants are checked with FUZZ_CHECK: a
 * broken one prints what and aborts, which libFuzzer reports as a crash and
 * Criterion as a failed replay.
 */
#ifndef MICROVM_TESTS_FUZZ_H
#define MICROVM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                       \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "%s:%d: invariant broken: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                               \
			fputc('\n', stderr);                                        \
			abort();                                                    \
		}                                                                   \
	} while (0)

#endif
