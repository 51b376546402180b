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
/* For the structure-aware mutators: libFuzzer's own mutator (absent from the unit tests' replay). */
#ifndef MICROVM_FUZZ_REPLAY
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
#endif
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* xorshift32: the mutators' own choices, reproducible from libFuzzer's seed. */
static inline uint32_t fuzz_rand32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

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
