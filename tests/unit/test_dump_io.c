/* SPDX-License-Identifier: MIT */
/*
 * vmm/dump.c, vmm/dump_io.c: writing the core (zero pages as holes,
 * io_uring and O_DIRECT against plain pwrite, progress counting completions)
 * and publishing it (the directory, the name, nothing left behind on failure).
 * The ELF notes and layout themselves: test_dump.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "tests/unit/dump_core_fixture.h"
#include "tests/unit/dump_fake.h"
#include "vmm/dump_io.h"

/* ---- the writer ---- */

Test(dump, zero_pages_are_holes)
{
	struct fake_guest g;
	struct dump_range big;
	struct dump_stats st;
	char path[256];
	struct stat sb;
	uint8_t *mem = aligned_alloc(4096, 64 * MiB);

	fake_init(&g);
	memset(mem, 0, 64 * MiB);
	mem[32 * MiB + 5] = 1; /* one non-zero page in the middle */
	big = (struct dump_range){ 0, 64 * MiB, mem };
	g.src.ranges = &big;
	g.src.nr_ranges = 1;
	dump_ok(&g, 0, &st, path, sizeof(path));
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_geq((uint64_t)sb.st_size, 64 * MiB);
	cr_assert_lt((uint64_t)sb.st_blocks * 512, 1 * MiB, "64 MiB of zeros cost %lld blocks",
		     (long long)sb.st_blocks);
	cr_assert_eq(st.data_written, 4096);
	cr_assert_eq(st.zero_skipped, 64 * MiB - 4096);
	free(mem);
	fake_fini(&g);
}

static bool uring_available(void)
{
	struct io_uring ring;

	if (io_uring_queue_init(4, &ring, 0))
		return false;
	io_uring_queue_exit(&ring);
	return true;
}

static bool direct_available(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_DIRECT, 0600);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

Test(dump, pwrite_and_plain_tmp_match_uring)
{
	struct fake_guest g;
	char a[256], b[256];
	struct dump_stats sa, sb;
	struct core ca, cb;

	fake_init(&g);
	dump_ok(&g, 0, &sa, a, sizeof(a));
	dump_ok(&g, DUMP_F_NO_URING | DUMP_F_NO_TMPFILE, &sb, b, sizeof(b));
	cr_assert_str_neq(a, b, "same second, same pid: the second core gets a new name");
	/* The default path uses io_uring and O_DIRECT wherever this host offers them. */
	cr_assert_eq(sa.uring, uring_available(), "io_uring: used %d, available %d", sa.uring,
		     uring_available());
	cr_assert_eq(sa.direct, sa.uring && direct_available(g.dir), "O_DIRECT: used %d",
		     sa.direct);
	cr_assert(!sb.uring);
	cr_assert(!sb.direct);
	core_read(&ca, a);
	core_read(&cb, b);
	cr_assert_eq(ca.len, cb.len);
	cr_assert_eq(memcmp(ca.b, cb.b, ca.len), 0);
	cr_assert_eq(fake_dir_entries(&g), 2, "no NAME.tmp left behind");
	core_free(&ca);
	core_free(&cb);
	fake_fini(&g);
}

struct completions {
	const struct dump_io *io;
	unsigned calls;
	uint64_t last;
	bool backwards;
};

static void count_completion(void *arg)
{
	struct completions *c = arg;

	c->backwards |= c->io->written < c->last;
	c->last = c->io->written;
	c->calls++;
}

/*
 * Progress counts bytes whose write completed: with writes still in flight
 * io->written lags what was queued, and reaches it only in dump_io_finish.
 * (The progress line used to count queued writes: 100% with 1 GiB to go.)
 */
Test(dump, io_written_counts_completions)
{
	for (int use_uring = 0; use_uring < 2; use_uring++) {
		const uint64_t n = 8 * (uint64_t)DUMP_IO_CHUNK;
		uint8_t *buf = calloc(1, n);
		char path[] = "/tmp/microvm-dump-io-XXXXXX";
		int fd = mkstemp(path);
		struct completions c = { 0 };
		struct dump_io io;

		cr_assert(buf && fd >= 0);
		unlink(path);
		dump_io_init(&io, fd, use_uring);
		c.io = &io;
		io.on_complete = count_completion;
		io.on_complete_arg = &c;
		cr_assert_eq(dump_io_write(&io, buf, n, 0), 0);
		cr_assert_leq(io.written, n);
		if (io.uring) /* fewer than DUMP_IO_DEPTH chunks: none had to be waited for */
			cr_assert_eq(c.calls, 0, "completions before any wait: %u", c.calls);
		cr_assert_eq(dump_io_finish(&io), 0);
		cr_assert_eq(io.written, n);
		cr_assert_eq(c.last, n, "the last completion reports everything written");
		cr_assert_geq(c.calls, use_uring ? 8u : 1u);
		cr_assert(!c.backwards);
		close(fd);
		free(buf);
	}
}

/* Ranges that are not whole pages: buffered writes, the partial page kept, the next range aligned. */
Test(dump, unaligned_ranges)
{
	struct fake_guest g;
	struct dump_range r[2];
	struct dump_stats st;
	char path[256];
	struct core c;

	fake_init(&g);
	r[0] = (struct dump_range){ 0x1000, 3 * 4096 + 100, g.low + 4096 };
	r[1] = (struct dump_range){ 0x100000, 5, g.low + 100 * 4096 + 1 };
	g.src.ranges = r;
	g.src.nr_ranges = 2;
	dump_ok(&g, 0, &st, path, sizeof(path));
	cr_assert(!st.direct, "O_DIRECT needs whole pages");
	core_read(&c, path);
	cr_assert_eq(c.phnum, 3);
	for (unsigned i = 0; i < 2; i++) {
		Elf64_Phdr ph = core_ph(&c, 1 + i);
		cr_assert_eq(ph.p_filesz, r[i].size);
		cr_assert_eq(ph.p_offset % 4096, 0);
		cr_assert_eq(memcmp(c.b + ph.p_offset, r[i].host, r[i].size), 0, "range %u", i);
	}
	cr_assert_eq(c.len, core_ph(&c, 2).p_offset + 5);
	core_free(&c);
	fake_fini(&g);
}

/*
 * Every all-zero page is a hole, even one alone between two data pages
 * (the dumper once wrote zero gaps of up to 16 KiB along with the data).
 * SEEK_DATA/SEEK_HOLE ask the file system itself, page by page.
 */
Test(dump, single_zero_page_is_a_hole)
{
	struct fake_guest g;
	struct dump_range r;
	struct dump_stats st;
	char path[256];
	struct core c;
	uint64_t base;
	int fd;
	uint8_t *mem = aligned_alloc(4096, 64 * 4096);

	fake_init(&g);
	memset(mem, 0, 64 * 4096);
	mem[0] = 1;	   /* page 0 */
	mem[2 * 4096] = 2; /* page 2: page 1 between them is zero */
	mem[7 * 4096] = 3; /* page 7 after four zero pages */
	r = (struct dump_range){ 0, 64 * 4096, mem };
	g.src.ranges = &r;
	g.src.nr_ranges = 1;
	dump_ok(&g, 0, &st, path, sizeof(path));
	cr_assert_eq(st.data_written, 3 * 4096, "pages 0, 2 and 7 only");
	cr_assert_eq(st.zero_skipped, 61 * 4096);
	core_read(&c, path);
	base = core_ph(&c, 1).p_offset;
	cr_assert_eq(memcmp(c.b + base, mem, 64 * 4096), 0, "the holes read back as zeros");
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(lseek(fd, (off_t)base, SEEK_DATA), (off_t)base, "page 0 is data");
	cr_assert_eq(lseek(fd, (off_t)base, SEEK_HOLE), (off_t)(base + 4096), "page 1 is a hole");
	cr_assert_eq(lseek(fd, (off_t)(base + 4096), SEEK_DATA), (off_t)(base + 2 * 4096), "page 2 is data");
	cr_assert_eq(lseek(fd, (off_t)(base + 2 * 4096), SEEK_HOLE), (off_t)(base + 3 * 4096));
	cr_assert_eq(lseek(fd, (off_t)(base + 3 * 4096), SEEK_DATA), (off_t)(base + 7 * 4096),
		     "pages 3-6 are a hole");
	close(fd);
	core_free(&c);
	free(mem);
	fake_fini(&g);
}

/* ---- publishing the file ---- */

Test(dump, missing_directory)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	char path[256];

	fake_init(&g);
	cr_assert_eq(dump_write(&g.src, "/nonexistent/dir", path, sizeof(path), &err), -ENOENT);
	cr_assert(strstr(err.msg, "/nonexistent/dir"), "%s", err.msg);
	cr_assert_eq(dump_write(&g.src, g.dir, path, 20, &err), -ENAMETOOLONG);
	cr_assert_eq(fake_dir_entries(&g), 0);
	fake_fini(&g);
}

/* --dump-dir is checked at start-up: missing, not a directory, not writable. */
Test(dump, check_dir)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	char file[128], ro[128];
	FILE *f;

	fake_init(&g);
	cr_assert_eq(dump_check_dir(g.dir, &err), 0, "%s", err.msg);
	cr_assert_eq(dump_check_dir("/nonexistent/x", &err), -ENOENT);
	cr_assert_str_eq(err.msg, "--dump-dir /nonexistent/x: No such file or directory; dumps could not be written there");
	snprintf(file, sizeof(file), "%s/file", g.dir);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(dump_check_dir(file, &err), -ENOTDIR);
	cr_assert(strstr(err.msg, "not a directory"), "%s", err.msg);
	snprintf(ro, sizeof(ro), "%s/ro", g.dir);
	cr_assert_eq(mkdir(ro, 0500), 0);
	if (geteuid() != 0) { /* root may write anywhere that is not read-only */
		cr_assert_eq(dump_check_dir(ro, &err), -EACCES);
		cr_assert(strstr(err.msg, "cannot create files there"), "%s", err.msg);
	}
	rmdir(ro);
	unlink(file);
	fake_fini(&g);
}

/*
 * A directory name that leaves no room for the core's name within PATH_MAX
 * is refused at start-up, not only at the panic; the reason comes before the
 * name, which would otherwise push it out of the 512-byte message.
 */
Test(dump, check_dir_refuses_a_name_too_long_for_the_core)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	char *dir = malloc(PATH_MAX), path[PATH_MAX];
	size_t n;

	cr_assert_not_null(dir);
	fake_init(&g);
	/* An existing, writable directory: /tmp/././... up to the length. */
	n = (size_t)snprintf(dir, PATH_MAX, "%s", g.dir);
	while (n + 2 < PATH_MAX - 40)
		n += (size_t)snprintf(dir + n, PATH_MAX - n, "/.");
	cr_assert_eq(dump_check_dir(dir, &err), -ENAMETOOLONG, "%s", err.msg);
	cr_assert(strstr(err.msg, "--dump-dir: directory name too long for a dump's path ("),
		  "%s", err.msg);
	/* What passes the start-up check is accepted at the panic too. */
	while (dump_check_dir(dir, &err) == -ENAMETOOLONG)
		dir[n -= 2] = '\0';
	cr_assert_eq(dump_check_dir(dir, &err), 0, "%s", err.msg);
	cr_assert_eq(dump_write_opts(&g.src, dir, DUMP_F_QUIET, NULL, path, sizeof(path), &err), 0,
		     "%s", err.msg);
	cr_assert_eq(fake_dir_entries(&g), 1);
	/* At the panic the message keeps its reason too. */
	cr_assert_eq(dump_write(&g.src, dir, path, 200, &err), -ENAMETOOLONG);
	cr_assert(strstr(err.msg, "dump: directory name too long for the core's path ("), "%s",
		  err.msg);
	free(dir);
	fake_fini(&g);
}

/* The name carries the time the caller gives (the panic's), not the end of the dump. */
Test(dump, name_uses_the_panic_time)
{
	struct fake_guest g;
	struct dump_stats st;
	char path[256], want[64];
	struct tm tm = { .tm_year = 101, .tm_mon = 1, .tm_mday = 3, .tm_hour = 4, .tm_min = 5,
			 .tm_sec = 6, .tm_isdst = -1 };

	fake_init(&g);
	g.src.when = mktime(&tm);
	dump_ok(&g, 0, &st, path, sizeof(path));
	snprintf(want, sizeof(want), "/microvm-core-20010203-040506-%d.elf", (int)getpid());
	cr_assert(strstr(path, want), "%s lacks %s", path, want);
	fake_fini(&g);
}

/* The file size limit refuses the core: nothing is left behind. */
Test(dump, size_limit_leaves_no_file)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	struct rlimit rl = { 512 * 1024, 512 * 1024 };
	char path[256];
	int ret;

	fake_init(&g);
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0); /* this test's process only */
	for (unsigned flags = 0; flags < 4; flags++) {
		ret = dump_write_opts(&g.src, g.dir, flags | DUMP_F_QUIET, NULL, path, sizeof(path), &err);
		cr_assert_eq(ret, -EFBIG, "flags %u: %d %s", flags, ret, err.msg);
		cr_assert_eq(fake_dir_entries(&g), 0, "flags %u: nothing left", flags);
	}
	fake_fini(&g);
}

/* A full file system: mount a 256 KiB tmpfs in a private mount namespace. */
Test(dump, enospc_leaves_no_file)
{
	struct fake_guest g;
	struct errbuf err = { "" };
	char path[256];
	int ret;

	fake_init(&g);
	memset(g.high, 0x77, FAKE_HIGH_SIZE); /* 2 MiB of data for a 256 KiB file system */
	if (unshare(CLONE_NEWNS) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		cr_skip_test("no mount namespace: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", g.dir, "tmpfs", 0, "size=256k") != 0)
		cr_skip_test("cannot mount a tmpfs: %s", strerror(errno));
	for (unsigned flags = 0; flags < 4; flags++) {
		ret = dump_write_opts(&g.src, g.dir, flags | DUMP_F_QUIET, NULL, path, sizeof(path), &err);
		cr_assert_eq(ret, -ENOSPC, "flags %u: %d %s", flags, ret, err.msg);
		cr_assert(strstr(err.msg, "No space left"), "%s", err.msg);
		cr_assert_eq(fake_dir_entries(&g), 0, "flags %u: nothing left", flags);
	}
	umount(g.dir);
	fake_fini(&g);
}
