/* SPDX-License-Identifier: MIT */
#include "vmm/dump.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmm/dump_io.h"
#include "vmm/dump_paging.h"
#include "vmm/log.h"
#include "vmm/util.h"
#include "vmm/vmcoreinfo_note.h"

/* Name collisions (two dumps in one second from one process) get -2, -3, ... up to this. */
#define DUMP_NAME_TRIES 100
/* "/microvm-core-YYYYmmdd-HHMMSS-PID-N.elf" and its NUL fit in this. */
#define DUMP_NAME_MAX 64

/* The file being written: a nameless O_TMPFILE inode, or NAME.tmp. */
struct dump_file {
	int dirfd;
	int fd;
	char tmpname[96]; /* "" for O_TMPFILE */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double mb_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes / 1e6 / ((double)ns / 1e9) : 0.0;
}

static uint64_t progress_done(const struct dump_progress_line *pg)
{
	if (pg->syncing)
		return pg->total;
	return (pg->io ? pg->io->written : 0) + (pg->zero ? *pg->zero : 0);
}

void dump_progress_line_init(struct dump_progress_line *pg, const char *label, bool quiet)
{
	memset(pg, 0, sizeof(*pg));
	pg->label = label;
	pg->on = !quiet && isatty(STDERR_FILENO);
	pg->t0 = pg->last = now_ns();
}

/* At most ten updates a second; 100% only once the file is on disk (dump_progress_end). */
void dump_progress_update(struct dump_progress_line *pg, const char *what)
{
	uint64_t t, done;
	unsigned pct;

	if (pg->shared) {
		atomic_store(&pg->shared->total, pg->total);
		atomic_store(&pg->shared->done, progress_done(pg));
	}
	if (!pg->on)
		return;
	t = now_ns();
	if (!what && t - pg->last < 100000000ULL)
		return;
	pg->last = t;
	pg->shown = true;
	done = progress_done(pg);
	pct = pg->total ? (unsigned)(done * 100 / pg->total) : 0;
	fprintf(stderr, "\rmicrovm: %s: %3u%% %7.0f MB/s%s", pg->label, pct > 99 ? 99 : pct,
		mb_per_s(done, t - pg->t0), what ? what : "");
}

void dump_progress_tick(void *arg)
{
	dump_progress_update(arg, NULL);
}

/* The summary line on success; on failure just end the line so the error starts clean. */
void dump_progress_end(struct dump_progress_line *pg, bool ok, uint64_t ns)
{
	const char *nl = log_crlf ? "\r\n" : "\n";

	if (ok && pg->shared)
		atomic_store(&pg->shared->done, pg->total);
	if (!pg->on)
		return;
	if (ok)
		fprintf(stderr, "\rmicrovm: %s: 100%% %" PRIu64 " MiB in %.2f s (%.0f MB/s)%s",
			pg->label, pg->total >> 20, (double)ns / 1e9, mb_per_s(pg->total, ns), nl);
	else if (pg->shown)
		fputs(nl, stderr);
}

/*
 * All-zero test on one page: once the first word is zero, p[i] == p[i+8] for
 * every i means every word is zero; libc's memcmp does that in wide loads.
 */
static bool page_is_zero(const uint8_t *p, size_t n)
{
	uint64_t w;

	if (n < sizeof(w)) {
		for (size_t i = 0; i < n; i++)
			if (p[i])
				return false;
		return true;
	}
	memcpy(&w, p, sizeof(w));
	return w == 0 && memcmp(p, p + sizeof(w), n - sizeof(w)) == 0;
}

/*
 * Write one range's non-zero pages, coalesced into runs of at most
 * DUMP_IO_CHUNK; every all-zero page stays a hole in the (ftruncate'd) file
 * (docs/performance.md tells why small gaps are not merged any more).
 */
int dump_range_write(struct dump_io *io, const struct dump_range *r, uint64_t off,
		       uint64_t *zero)
{
	uint64_t run_start = 0, run_end = 0; /* [start, end) of the open run of data pages */
	bool run = false;
	int ret = 0;

	for (uint64_t pos = 0; pos < r->size && !ret; pos += DUMP_PAGE) {
		size_t n = r->size - pos < DUMP_PAGE ? (size_t)(r->size - pos) : DUMP_PAGE;

		if ((pos & (16 * MiB - 1)) == 0 && io->on_complete)
			io->on_complete(io->on_complete_arg); /* zero pages count too */
		if (page_is_zero(r->host + pos, n)) {
			*zero += n;
			continue;
		}
		if (run && pos == run_end && pos + n - run_start <= DUMP_IO_CHUNK) {
			run_end = pos + n;
			continue;
		}
		if (run)
			ret = dump_io_write(io, r->host + run_start, run_end - run_start, off + run_start);
		run = true;
		run_start = pos;
		run_end = pos + n;
	}
	if (!ret && run)
		ret = dump_io_write(io, r->host + run_start, run_end - run_start, off + run_start);
	return ret;
}

static void file_discard(struct dump_file *f);

static int file_open(struct dump_file *f, const char *dir, unsigned flags, struct errbuf *err)
{
	int ret;

	f->fd = -1;
	f->tmpname[0] = '\0';
	f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0)
		return errf(err, -errno, "dump: %s: %s", dir, strerror(errno));
	/*
	 * Guest memory may hold secrets: owner-only, like kernel core files,
	 * whatever the umask (fchmod). A new name (O_EXCL, O_NOFOLLOW) never
	 * follows a link someone else put there.
	 */
	if (!(flags & DUMP_F_NO_TMPFILE)) {
		f->fd = openat(f->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
		if (f->fd >= 0)
			goto owner_only;
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			goto fail;
	}
	snprintf(f->tmpname, sizeof(f->tmpname), ".microvm-core-%d-%" PRIu64 ".tmp", (int)getpid(),
		 now_ns());
	f->fd = openat(f->dirfd, f->tmpname, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
	if (f->fd >= 0)
		goto owner_only;
	f->tmpname[0] = '\0';
	goto fail;
owner_only:
	if (fchmod(f->fd, 0600) == 0)
		return 0;
	ret = errf(err, -errno, "dump: cannot make the core owner-only in %s: %s", dir, strerror(errno));
	file_discard(f);
	return ret;
fail:
	ret = errf(err, -errno, "dump: cannot create a file in %s: %s", dir, strerror(errno));
	close(f->dirfd);
	return ret;
}

/* Drop the file: an O_TMPFILE inode vanishes on close, NAME.tmp is unlinked. */
static void file_discard(struct dump_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmpname[0])
		unlinkat(f->dirfd, f->tmpname, 0);
	close(f->dirfd);
}

/* Give the complete file its final name without ever replacing an existing file. */
static int file_link(struct dump_file *f, const char *name)
{
	char proc[64];

	if (f->tmpname[0]) {
		if (linkat(f->dirfd, f->tmpname, f->dirfd, name, 0) == 0)
			unlinkat(f->dirfd, f->tmpname, 0);
		else if (errno == EEXIST)
			return -EEXIST;
		/* File systems without hard links (vfat) still rename atomically. */
		else if (renameat2(f->dirfd, f->tmpname, f->dirfd, name, RENAME_NOREPLACE) < 0)
			return -errno;
		f->tmpname[0] = '\0';
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
	if (linkat(AT_FDCWD, proc, f->dirfd, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno == EEXIST)
		return -EEXIST;
	/* No /proc: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, which root has. */
	return linkat(f->fd, "", f->dirfd, name, AT_EMPTY_PATH) < 0 ? -errno : 0;
}

/*
 * A name the caller chose: link the file under a temporary name, then rename
 * it over the final one, so a reader sees the old file or the whole new one.
 */
static int file_publish_as(struct dump_file *f, const char *dir, const char *name, char *path_out,
			   size_t path_len, struct errbuf *err)
{
	char tmp[96];
	int ret;

	snprintf(tmp, sizeof(tmp), ".microvm-core-%d-%" PRIu64 ".new", (int)getpid(), now_ns());
	ret = file_link(f, tmp);
	if (!ret && renameat(f->dirfd, tmp, f->dirfd, name) < 0) {
		ret = -errno;
		unlinkat(f->dirfd, tmp, 0);
	}
	if (ret)
		return errf(err, ret, "dump: cannot name the core %s/%s: %s", dir, name, strerror(-ret));
	fsync(f->dirfd);
	snprintf(path_out, path_len, "%s/%s", dir, name);
	return 0;
}

/*
 * A name the caller chose that is a symbolic link: refused before anything
 * is written, rather than replace a link microvm did not create (or, with a
 * less careful writer, write through it to wherever it points).
 */
static int refuse_link(const char *dir, const char *name, struct errbuf *err)
{
	char path[PATH_MAX];
	struct stat st;

	if (!name)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return errf(err, -ELOOP, "dump: %s is a symbolic link; microvm does not write through links it did not create: remove it or give another path",
			    path);
	return 0;
}

static int file_publish(struct dump_file *f, const char *dir, time_t t, char *path_out,
			size_t path_len, struct errbuf *err)
{
	char stamp[32], name[128];
	struct tm tm;
	int ret = -EEXIST;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (unsigned i = 1; i <= DUMP_NAME_TRIES && ret == -EEXIST; i++) {
		if (i == 1)
			snprintf(name, sizeof(name), "microvm-core-%s-%d.elf", stamp, (int)getpid());
		else
			snprintf(name, sizeof(name), "microvm-core-%s-%d-%u.elf", stamp, (int)getpid(), i);
		ret = file_link(f, name);
	}
	if (ret)
		return errf(err, ret, "dump: cannot name the core in %s: %s", dir, strerror(-ret));
	/* The new directory entry must survive a crash too. */
	fsync(f->dirfd);
	snprintf(path_out, path_len, "%s/%s", dir, name);
	return 0;
}

/* The guest's note, or NULL with one warning saying why it is left out. */
static const uint8_t *vmci_lookup(const struct dump_source *src, size_t *size)
{
	struct vmcoreinfo_note note;
	struct errbuf why;

	*size = 0;
	if (!src->vmcoreinfo_device)
		return NULL;
	if (src->vmcoreinfo_fwcfg ? vmcoreinfo_note_from_fwcfg(src->mem, src->vmcoreinfo_fwcfg, &note, &why)
				  : vmcoreinfo_note_find(src->mem, src->vmcoreinfo_addr, &note, &why)) {
		log_warn("%s", why.msg);
		return NULL;
	}
	*size = note.note_size;
	return note.note;
}

/* The PT_LOAD list: the caller's ranges or one per guest_mem region. */
static const struct dump_range *ranges_of(const struct dump_source *src,
					  struct dump_range own[GM_MAX_REGIONS], size_t *nr)
{
	if (src->ranges) {
		*nr = src->nr_ranges;
		return src->ranges;
	}
	for (unsigned i = 0; i < src->mem->nr; i++)
		own[i] = (struct dump_range){ src->mem->r[i].gpa, src->mem->r[i].size,
					      src->mem->r[i].host };
	*nr = src->mem->nr;
	return own;
}

/*
 * The kernel's virtual addresses as PT_LOAD aliases (vmm/dump_paging.h), from
 * the page tables of a vCPU in 64-bit kernel mode. Without them the dump is
 * still whole, only gdb cannot follow virtual addresses: a failure is a warning.
 */
static void virtual_view(const struct dump_source *src, const struct dump_range *r, size_t nr,
			 unsigned flags, struct dump_aliases *al)
{
	int cpu = dump_paging_pick_vcpu(src->vcpus, src->nr_vcpus);
	const struct dump_vcpu *v;

	if (cpu < 0 || (flags & DUMP_F_NO_VIRTUAL))
		return;
	v = &src->vcpus[cpu];
	if (dump_paging_walk(r, nr, v->sregs.cr3, dump_paging_la57(v), DUMP_PAGING_MAX_ENTRIES,
			     DUMP_PAGING_MAX_ALIASES, al) ||
	    dump_aliases_order(al)) {
		log_warn("dump: out of memory for the kernel's virtual addresses: the dump has physical ones only");
		dump_aliases_free(al);
	} else if (al->truncated) {
		log_warn("dump: vCPU %d's page tables exceed what microvm walks (%llu entries, %zu runs): "
			 "the dump's virtual addresses are partial", cpu,
			 (unsigned long long)DUMP_PAGING_MAX_ENTRIES, DUMP_PAGING_MAX_ALIASES);
	}
}

/*
 * O_DIRECT: guest memory goes to the disk without a copy into the page cache
 * (a dump of a large guest would otherwise evict the host's cache), with
 * several writes in flight. It needs page-aligned buffers, offsets and
 * lengths: the layout gives aligned offsets, KVM memory is page-aligned, and
 * anything else (or a file system that refuses, like older tmpfs) keeps
 * buffered writes.
 */
bool dump_direct_on(int fd, const struct dump_range *r, size_t nr)
{
	int fl = fcntl(fd, F_GETFL);
	bool ok = fl >= 0;

	for (size_t i = 0; i < nr && ok; i++)
		ok = (uintptr_t)r[i].host % DUMP_PAGE == 0 && r[i].size % DUMP_PAGE == 0;
	if (!ok)
		return false;
	return fcntl(fd, F_SETFL, fl | O_DIRECT) == 0;
}

void dump_direct_off(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && (fl & O_DIRECT))
		fcntl(fd, F_SETFL, fl & ~O_DIRECT);
}

/* Build the headers and notes and write everything to f->fd. */
static int dump_body(const struct dump_source *src, const struct dump_range *r, size_t nr,
		     const struct dump_aliases *al, const uint8_t *vmci, size_t vmci_size,
		     unsigned flags, struct dump_file *f, struct dump_progress_line *pg, struct dump_stats *st,
		     struct errbuf *err)
{
	uint64_t notes_size = dump_notes_size(src->nr_vcpus, vmci_size), off;
	struct dump_layout l;
	struct dump_io io;
	uint64_t head_alloc;
	uint8_t *head;
	bool direct;
	int ret, fin;

	if (dump_layout_plan(&l, r, nr, al->nr, notes_size))
		return errf(err, -EOVERFLOW, "dump: %zu memory ranges do not fit an ELF file", nr);
	/* Page-aligned and zero-padded to data_off, so O_DIRECT can write it whole. */
	head_alloc = align_up(l.data_off + notes_size, DUMP_PAGE);
	head = aligned_alloc(DUMP_PAGE, head_alloc);
	if (!head)
		return errf(err, -ENOMEM, "dump: out of memory for %" PRIu64 " bytes of headers",
			    l.head_size);
	memset(head, 0, head_alloc);
	/* Notes are built past data_off (never written), then copied into place. */
	dump_notes_build(head + l.data_off, src->vcpus, src->nr_vcpus, vmci, vmci_size);
	dump_head_build(head, &l, r, al->a, head + l.data_off);
	st->vmcoreinfo = vmci != NULL;
	st->virtual_aliases = al->nr;
	st->file_size = l.file_size;
	st->zero_skipped = 0;

	/* The full apparent size first: everything not written stays a hole. */
	if (ftruncate(f->fd, 0) < 0 || ftruncate(f->fd, (off_t)l.file_size) < 0) {
		ret = errf(err, -errno, "dump: cannot size the core to %" PRIu64 " bytes: %s",
			   l.file_size, strerror(errno));
		free(head);
		return ret;
	}
	dump_io_init(&io, f->fd, !(flags & DUMP_F_NO_URING));
	direct = io.uring && !(flags & DUMP_F_NO_DIRECT) && dump_direct_on(f->fd, r, nr);
	st->uring = io.uring;
	st->direct = direct;
	pg->total = l.file_size;
	pg->io = &io;
	pg->zero = &st->zero_skipped;
	io.on_complete = dump_progress_tick;
	io.on_complete_arg = pg;
	ret = dump_io_write(&io, head, direct ? l.data_off : l.head_size, 0);
	off = l.data_off;
	for (size_t i = 0; i < nr && !ret; i++) {
		ret = dump_range_write(&io, &r[i], off, &st->zero_skipped);
		off = dump_next_offset(off, r[i].size);
	}
	fin = dump_io_finish(&io);
	ret = ret ? ret : fin;
	free(head);
	pg->io = NULL;
	pg->zero = NULL;
	if (ret)
		return errf(err, ret, "dump: write failed: %s", strerror(-ret));
	st->data_written = io.written - (direct ? l.data_off : l.head_size);
	/* The fsync can take seconds on a large buffered dump: say what is going on. */
	pg->syncing = true;
	dump_progress_update(pg, " fsync");
	pg->syncing = false;
	if (fsync(f->fd) < 0)
		return errf(err, -errno, "dump: fsync failed: %s", strerror(errno));
	return 0;
}

int dump_write_opts(const struct dump_source *src, const char *dir, unsigned flags,
		    struct dump_stats *st, char *path_out, size_t path_len, struct errbuf *err)
{
	struct dump_range own[GM_MAX_REGIONS];
	struct dump_aliases al = { 0 };
	struct dump_stats local;
	struct dump_file f;
	const struct dump_range *r;
	const uint8_t *vmci;
	size_t vmci_size;
	uint64_t t0 = now_ns();
	time_t when = src->when ? src->when : time(NULL); /* the start, not the end of a long dump */
	struct dump_progress_line pg;
	size_t nr;
	int ret;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	dump_progress_line_init(&pg, "dump", flags & DUMP_F_QUIET);
	pg.t0 = pg.last = t0;
	pg.shared = src->progress;
	if (!dir)
		dir = ".";
	if (!src->mem || (src->nr_vcpus && !src->vcpus))
		return errf(err, -EINVAL, "dump: no guest memory or vCPU state to dump");
	/*
	 * Refuse before writing anything: a core nobody can find is no use. The
	 * reason first: a long name would push it out of the message.
	 */
	if (src->name && (!*src->name || strchr(src->name, '/') || strlen(src->name) > NAME_MAX))
		return errf(err, -EINVAL, "dump: bad file name \"%.64s\"", src->name);
	if (strlen(dir) + (src->name ? strlen(src->name) + 1 : DUMP_NAME_MAX) >= path_len)
		return errf(err, -ENAMETOOLONG,
			    "dump: directory name too long for the core's path (%zu bytes, at most %zu): %s",
			    strlen(dir), path_len - DUMP_NAME_MAX - 1, dir);
	ret = refuse_link(dir, src->name, err);
	if (ret)
		return ret;
	r = ranges_of(src, own, &nr);
	ret = file_open(&f, dir, flags, err);
	if (ret)
		return ret;
	vmci = vmci_lookup(src, &vmci_size);
	virtual_view(src, r, nr, flags, &al);
	ret = dump_body(src, r, nr, &al, vmci, vmci_size, flags, &f, &pg, st, err);
	if (ret == -EINVAL && st->direct) {
		/* A file system took O_DIRECT and then refused the writes: go through the cache. */
		dump_direct_off(f.fd);
		ret = dump_body(src, r, nr, &al, vmci, vmci_size, flags | DUMP_F_NO_DIRECT, &f, &pg,
				st, err);
	}
	dump_aliases_free(&al);
	if (!ret)
		ret = src->name ? file_publish_as(&f, dir, src->name, path_out, path_len, err)
				: file_publish(&f, dir, when, path_out, path_len, err);
	file_discard(&f);
	st->nsec = now_ns() - t0;
	dump_progress_end(&pg, ret == 0, st->nsec);
	return ret;
}

int dump_check_dir(const char *dir, struct errbuf *err)
{
	struct stat sb;

	/* As dump_write_opts() will refuse it at the panic; the reason first, before a long name. */
	if (strlen(dir) + DUMP_NAME_MAX >= PATH_MAX)
		return errf(err, -ENAMETOOLONG,
			    "--dump-dir: directory name too long for a dump's path (%zu bytes, at most %d): %s",
			    strlen(dir), PATH_MAX - DUMP_NAME_MAX - 1, dir);
	if (stat(dir, &sb) < 0)
		return errf(err, -errno, "--dump-dir %s: %s; dumps could not be written there",
			    dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return errf(err, -ENOTDIR, "--dump-dir %s: not a directory", dir);
	/* Effective IDs, as the open at panic time; a read-only mount gives EROFS. */
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0)
		return errf(err, -errno, "--dump-dir %s: cannot create files there: %s", dir,
			    strerror(errno));
	return 0;
}

int dump_write(const struct dump_source *src, const char *dir, char *path_out, size_t path_len,
	       struct errbuf *err)
{
	return dump_write_opts(src, dir, 0, NULL, path_out, path_len, err);
}
