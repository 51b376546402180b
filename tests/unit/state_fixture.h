/* SPDX-License-Identifier: MIT */
/*
 * For tests that change a finished state file on purpose: seal it again the
 * way vmm/state.c does (crc32 of the blob with the crc32 value zeroed), so
 * the change reaches the checks behind the crc32. Static inline only: every
 * test file is linked into one binary.
 */
#ifndef MICROVM_TESTS_STATE_FIXTURE_H
#define MICROVM_TESTS_STATE_FIXTURE_H

#include <criterion/criterion.h>
#include <libfdt.h>
#include <string.h>
#include <zlib.h>

#include "vmm/util.h"

static inline void state_seal(void *blob)
{
	int plen;
	uint8_t *p = fdt_getprop_w(blob, 0, "crc32", &plen);

	cr_assert(p && plen == 4);
	memset(p, 0, 4);
	put_be32(p, (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), blob, fdt_totalsize(blob)));
}

#endif
