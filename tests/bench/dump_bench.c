/* SPDX-License-Identifier: MIT */
/*
 * Dump throughput: a fake paused guest of MEM MiB whose pages are non-zero
 * with a given probability, dumped through io_uring with O_DIRECT (the
 * default), io_uring through the page cache, and pwrite(2),
 * timed from the first byte to the fsync'd, renamed file. One Markdown table
 * row per case on stdout (docs/performance.md).
 *
 *   dump_bench DIR MEM_MIB DATA_PERCENT REPEAT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/dump.h"

/*
 * Deterministic page contents: a pseudo-random choice per page. Zero pages
 * are written too, so they are real memory (a guest that used and cleared
 * them), not the kernel's shared zero page.
 */
static void fill(uint8_t *mem, uint64_t size, unsigned percent)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL;

	memset(mem, 0, size);
	for (uint64_t off = 0; off < size; off += 4096) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x % 100 < percent)
			for (unsigned i = 0; i < 4096; i += 8)
				memcpy(mem + off + i, &x, 8);
	}
}

static int run_case(const char *dir, const struct dump_source *src, unsigned flags,
		    struct dump_stats *st)
{
	char path[4096];
	struct errbuf err;
	int ret = dump_write_opts(src, dir, flags | DUMP_F_QUIET, st, path, sizeof(path), &err);

	if (ret) {
		fprintf(stderr, "dump_bench: %s\n", err.msg);
		return ret;
	}
	unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	struct guest_mem gm = { 0 };
	struct dump_vcpu cpu = { 0 };
	struct dump_source src = { .mem = &gm, .vcpus = &cpu, .nr_vcpus = 1 };
	uint64_t size;
	unsigned percent, repeat;
	uint8_t *mem;

	if (argc != 5) {
		fprintf(stderr, "usage: dump_bench DIR MEM_MIB DATA_PERCENT REPEAT\n");
		return 2;
	}
	size = strtoull(argv[2], NULL, 0) << 20;
	percent = (unsigned)strtoul(argv[3], NULL, 0);
	repeat = (unsigned)strtoul(argv[4], NULL, 0);
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || gm_add_region(&gm, 0, size, mem)) {
		fprintf(stderr, "dump_bench: cannot map %s MiB\n", argv[2]);
		return 1;
	}
	fill(mem, size, percent);
	static const unsigned modes[] = { 0, DUMP_F_NO_DIRECT, DUMP_F_NO_URING };

	for (unsigned mode = 0; mode < 3; mode++) {
		unsigned flags = modes[mode];
		uint64_t best = UINT64_MAX;
		struct dump_stats st;

		for (unsigned i = 0; i < repeat; i++) {
			if (run_case(argv[1], &src, flags, &st))
				return 1;
			if (st.nsec < best)
				best = st.nsec;
		}
		printf("| %6" PRIu64 " MiB | %3u%% | %-17s | %7.2f | %10.0f | %12.0f |\n", size >> 20,
		       percent, st.direct ? "io_uring+O_DIRECT" : st.uring ? "io_uring" : "pwrite",
		       (double)best / 1e9,
		       (double)size / 1e6 / ((double)best / 1e9),
		       (double)st.data_written / 1e6 / ((double)best / 1e9));
		fflush(stdout);
	}
	return 0;
}
