/* SPDX-License-Identifier: MIT */
/*
 * The test guest's core services: port IO, the COM1 console, checks and
 * the way out (isa-debug-exit), and the few string helpers a freestanding
 * kernel needs. Everything here is safe at CPL0 on the emulated-CPL0 host:
 * no SSE, no int3, no cmpxchg16b.
 */
#ifndef TESTGUEST_GUEST_H
#define TESTGUEST_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/util.h" /* ARRAY_SIZE, KiB/MiB/GiB, get_le32... */


#define PRINTF_FMT(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))

/* ---- port IO ---- */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* n bytes from one port into buf with a single `rep insb` (the VMM may see
 * it as one exit carrying many bytes). */
static inline void insb(uint16_t port, void *buf, uint32_t n)
{
	__asm__ volatile("rep insb" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* ---- how the guest ends (isa-debug-exit, iobase 0x501) ----
 * Writing v makes QEMU (and microvm --debug-exit) exit with status
 * (v << 1) | 1: 0 is a pass (status 1). Failed checks use their ordinal
 * number in the run (1..GUEST_EXIT_CHECK_MAX); the rest have fixed codes. */
#define DEBUG_EXIT_PORT 0x501
#define GUEST_EXIT_PASS 0
#define GUEST_EXIT_CHECK_MAX 0x6f
#define GUEST_EXIT_USAGE 0x70 /* unknown scenario or malformed cmdline value */
#define GUEST_EXIT_TRAP 0x71  /* unexpected exception */
#define GUEST_EXIT_BOOT 0x72  /* boot structure missing or malformed */
#define GUEST_EXIT_STUCK 0x73 /* something that must not return did */

NORETURN void guest_exit(unsigned code);

/* ---- console: COM1, polled ---- */

void console_init(void);
int printf(const char *fmt, ...) PRINTF_FMT(1, 2);
int vprintf(const char *fmt, va_list ap) PRINTF_FMT(1, 0);
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_FMT(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) PRINTF_FMT(3, 0);
/* Drop the console lock: used on the way to a fatal report. */
void console_break_lock(void);

/* ---- checks ----
 * CHECK(cond, "what", ...) prints "PASS: what" or "FAIL: what (file:line)"
 * and, on failure, ends the run with the check's ordinal number. */
#define CHECK(cond, ...) check_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
void check_report(int ok, const char *file, int line, const char *fmt, ...) PRINTF_FMT(4, 5);
/* Fail without a check: print the reason and exit with `code`. */
NORETURN void fail(unsigned code, const char *fmt, ...) PRINTF_FMT(2, 3);

/* ---- strings and memory (lib.c; the compiler may call the mem* too) ---- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* Parse a number: decimal or 0x hex, optional K/M/G/T suffix (binary
 * units). Whole string must be consumed; -1 on error or overflow. */
int parse_size(const char *s, uint64_t *out);

#endif
