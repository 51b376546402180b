/* SPDX-License-Identifier: MIT */
/*
 * The ELF core dumper (shared/DESIGN.md §10, docs/dump.md). The caller pauses
 * the VM, collects each vCPU's registers and calls dump_write(): guest RAM
 * goes from its mapping straight to a temporary file in large io_uring
 * writes (O_DIRECT where the file system allows), all-zero pages become
 * holes, and the file appears under its final name only once complete and
 * fsync'd. No KVM calls here: unit tests feed it
 * a guest_mem built from malloc'd buffers.
 */
#ifndef MICROVM_DUMP_H
#define MICROVM_DUMP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vmm/dump_elf.h"
#include "vmm/err.h"
#include "vmm/guest_mem.h"
#include "vmm/vmcoreinfo_note.h"

/* Bytes done and the total of a running dump, for another thread to watch (QMP query-dump). */
struct dump_progress {
	_Atomic uint64_t done;
	_Atomic uint64_t total;
};

struct dump_source {
	const struct guest_mem *mem;	/* RAM: one PT_LOAD per region */
	const struct dump_vcpu *vcpus;	/* nr_vcpus entries, index order */
	unsigned nr_vcpus;
	bool vmcoreinfo_device;		/* --vmcoreinfo: look for the note, say why when absent */
	uint64_t vmcoreinfo_addr;	/* the device's address (page + 40); 0 = none published */
	time_t when;			/* the panic's time, for the name; 0: when dump_write starts */
	/* --vmcoreinfo=fwcfg: the record the guest wrote (vmcoreinfo_device is set too). */
	const struct vmci_fwcfg_rec *vmcoreinfo_fwcfg;
	/* Optional: these PT_LOAD ranges instead of mem's regions (tests, finer splits). */
	const struct dump_range *ranges;
	size_t nr_ranges;
	/*
	 * Optional: the file's name in dir (QMP dump-guest-memory's path). An
	 * existing file of that name is replaced atomically once the dump is
	 * complete (a symlink there is replaced, never followed). NULL: a new
	 * microvm-core-* name.
	 */
	const char *name;
	/* Optional: updated as the dump goes. */
	struct dump_progress *progress;
};

/* dump_write_opts() flags. */
#define DUMP_F_NO_URING (1u << 0)   /* plain pwrite(2): the benchmark baseline */
#define DUMP_F_NO_TMPFILE (1u << 1) /* NAME.tmp + link instead of O_TMPFILE */
#define DUMP_F_QUIET (1u << 2)	    /* no progress line even when stderr is a terminal */
#define DUMP_F_NO_DIRECT (1u << 3)  /* through the page cache even where O_DIRECT works */
#define DUMP_F_NO_VIRTUAL (1u << 4) /* no PT_LOAD aliases for the kernel's virtual addresses */

/* What a dump cost, for the caller's summary and the benchmark. */
struct dump_stats {
	uint64_t file_size;	/* apparent size */
	uint64_t data_written;	/* bytes of memory actually written (non-zero pages) */
	uint64_t zero_skipped;	/* bytes of memory left as holes */
	uint64_t nsec;		/* wall time including fsync */
	bool uring;		/* io_uring was used */
	bool direct;		/* O_DIRECT was used */
	bool vmcoreinfo;	/* the guest's note is in the dump */
	size_t virtual_aliases;	/* PT_LOAD headers for virtual addresses (vmm/dump_paging.h) */
};

/*
 * Write an ELF core of src into dir (NULL: the current directory) as
 * microvm-core-YYYYmmdd-HHMMSS-PID.elf in the local time of src->when (a -N
 * suffix if that name exists), and put its path in path_out. A VMCOREINFO note that fails validation is
 * left out with one warning naming the reason. 0, or -errno with a message
 * in err; on failure no file, partial or temporary, remains.
 */
int dump_write(const struct dump_source *src, const char *dir, char *path_out, size_t path_len,
	       struct errbuf *err);

/*
 * At start-up, when the panic policy includes dump: dir exists, is a
 * directory, this process may create files in it (write and search
 * permission), and its name leaves room for a core's name within PATH_MAX
 * (the caller's path_out at the panic), so a panic hours later does not
 * lose its dump. 0 or -errno with one line in err.
 */
int dump_check_dir(const char *dir, struct errbuf *err);

struct dump_io;

/*
 * The one-line progress report on a terminal ("microvm: LABEL: 42% 900
 * MB/s"), for dumps and snapshots. It counts bytes whose write completed
 * plus zero pages left as holes, not writes submitted: with DUMP_IO_DEPTH
 * writes of DUMP_IO_CHUNK in flight that is up to 1 GiB. Set total, io and
 * zero, make dump_progress_tick io's on_complete, and end with
 * dump_progress_end.
 */
struct dump_progress_line {
	const char *label;
	bool on;     /* stderr is a terminal and the caller did not ask for quiet */
	bool shown;  /* a line is on screen, so a later message needs a newline first */
	uint64_t total;
	uint64_t t0, last;
	const struct dump_io *io; /* while writing: io->written */
	const uint64_t *zero;	  /* while writing: bytes of zero pages skipped */
	bool syncing;		  /* all written, fsync running */
	struct dump_progress *shared; /* the caller's copy, or NULL */
};

void dump_progress_line_init(struct dump_progress_line *pg, const char *label, bool quiet);
void dump_progress_update(struct dump_progress_line *pg, const char *what);
void dump_progress_tick(void *arg);
/* The summary line on success; on failure just end the line so the error starts clean. */
void dump_progress_end(struct dump_progress_line *pg, bool ok, uint64_t ns);

/*
 * Write r's non-zero pages at file offset off (+ their offset in r) through
 * io; all-zero pages are skipped (holes in a file sized beforehand) and
 * counted in *zero. Also serves snapshots' memory files.
 */
int dump_range_write(struct dump_io *io, const struct dump_range *r, uint64_t off, uint64_t *zero);

/*
 * O_DIRECT on fd when every range's host address and size are page-aligned
 * (true if it took); dump_direct_off puts the page cache back, for a file
 * system that takes the flag and then refuses the writes with EINVAL.
 */
bool dump_direct_on(int fd, const struct dump_range *r, size_t nr);
void dump_direct_off(int fd);

/* dump_write() with DUMP_F_* flags and optional statistics (st may be NULL). */
int dump_write_opts(const struct dump_source *src, const char *dir, unsigned flags,
		    struct dump_stats *st, char *path_out, size_t path_len, struct errbuf *err);

#endif
