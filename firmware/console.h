/* SPDX-License-Identifier: MIT */
/* COM1 output, polled, for the firmware's few messages. */
#ifndef MICROVM_FIRMWARE_CONSOLE_H
#define MICROVM_FIRMWARE_CONSOLE_H

#include <stdint.h>

void con_puts(const char *s);
void con_hex(uint64_t v); /* 0x-prefixed, no leading zeros */
void con_dec(uint32_t v);

#endif
