/* SPDX-License-Identifier: MIT */
#include "vmm/snapshot.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cpuid.h"
#include "vmm/devstate.h"
#include "vmm/dump.h"
#include "vmm/dump_io.h"
#include "vmm/e820.h"
#include "vmm/fileio.h"
#include "vmm/layout.h"
#include "vmm/options.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/version.h"

struct host_cpu {
	char vendor[13];
	uint32_t family, model;
};

/* CPUID leaf 0's vendor and leaf 1's display family and model (SDM vol. 2, CPUID). */
static void host_cpu(struct host_cpu *h)
{
	unsigned a = 0, b = 0, c = 0, d = 0, fam, mod;

	memset(h, 0, sizeof(*h));
	__get_cpuid(0, &a, &b, &c, &d);
	memcpy(h->vendor, &b, 4);
	memcpy(h->vendor + 4, &d, 4);
	memcpy(h->vendor + 8, &c, 4);
	__get_cpuid(1, &a, &b, &c, &d);
	fam = (a >> 8) & 0xf;
	mod = (a >> 4) & 0xf;
	if (fam == 0xf)
		fam += (a >> 20) & 0xff;
	if (fam == 0x6 || fam >= 0xf)
		mod |= ((a >> 16) & 0xf) << 4;
	h->family = fam;
	h->model = mod;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- save ---- */

static void put_header(struct state_writer *w, struct vm *vm)
{
	struct ram_layout l = ram_layout_of(vm->cfg.mem_size);
	struct host_cpu h;
	char devs[512] = "";

	host_cpu(&h);
	for (unsigned i = 0; i < vm->nr_devices; i++) {
		size_t n = strlen(devs);

		snprintf(devs + n, sizeof(devs) - n, "%s%s", n ? "," : "", vm->devices[i].ops->name);
	}
	state_record_begin(w, "header", SNAPSHOT_HEADER_VERSION);
	state_put_string(w, "microvm-version", MICROVM_VERSION);
	state_put_string(w, "host-cpu-vendor", h.vendor);
	state_put_u32(w, "host-cpu-family", h.family);
	state_put_u32(w, "host-cpu-model", h.model);
	state_put_u64(w, "mem-size", vm->cfg.mem_size);
	state_put_u64(w, "ram-low-size", l.low_size);
	state_put_u64(w, "ram-high-size", l.high_size);
	state_put_u32(w, "cpus", vm->nr_vcpus);
	state_put_string(w, "devices", devs);
	state_put_u32(w, "vmcoreinfo", vm->cfg.vmcoreinfo);
	state_put_u8(w, "debug-exit", vm->cfg.debug_exit);
	state_put_u8(w, "no-reboot", vm->cfg.no_reboot);
	state_put_u32(w, "cpu-compat", (uint32_t)vm->cfg.cpu_compat);
	state_put_string(w, "kernel", vm->cfg.kernel ? vm->cfg.kernel : "");
	state_put_string(w, "initrd", vm->cfg.initrd ? vm->cfg.initrd : "");
	state_put_string(w, "cmdline", vm->cfg.cmdline ? vm->cfg.cmdline : "");
	state_put_u32(w, "boot-proto", vm->image.proto);
	state_put_u32(w, "boot-entry", vm->image.entry);
	state_put_u32(w, "boot-struct", vm->image.boot_struct);
	state_put_u32(w, "fw-cfg-files", vm->cfg.nr_fwcfg);
	for (unsigned i = 0; i < vm->cfg.nr_fwcfg; i++) {
		const struct user_fwcfg *u = &vm->cfg.fwcfg[i];
		char key[32], val[4200];

		snprintf(key, sizeof(key), "fw-cfg%u", i);
		snprintf(val, sizeof(val), "name=%s,%s=%s", u->name, u->file ? "file" : "string",
			 u->file ? u->file : u->string);
		state_put_string(w, key, val);
	}
	state_record_end(w);
}

int snapshot_write_state(struct vm *vm, const struct snap_vcpu *cpus,
			 const struct snap_vmstate *kvm, struct state_writer *w, struct errbuf *err)
{
	int r;

	put_header(w, vm);
	state_node_begin(w, "cpus");
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		snap_vcpu_save(w, i, &cpus[i]);
	state_node_end(w);
	snap_vm_save(w, kvm);
	r = devices_save(vm, w);
	if (r || w->error)
		return errf(err, r ? r : w->error, "snapshot: cannot build the state: %s", w->err.msg);
	return 0;
}

/* Every vCPU's and the VM's KVM state, then the devices'. */
static int build_state(struct vm *vm, struct state_writer *w, struct errbuf *err)
{
	struct snap_vcpu *cpus = calloc(vm->nr_vcpus, sizeof(*cpus));
	struct snap_msr_list msrs;
	struct snap_vmstate kvm;
	int r;

	if (!cpus)
		return errf(err, -ENOMEM, "out of memory");
	r = snap_msr_list_get(vm, &msrs, err);
	for (unsigned i = 0; i < vm->nr_vcpus && !r; i++)
		r = snap_vcpu_get(&vm->vcpus[i], &msrs, &cpus[i], err);
	/* The TSCs and kvmclock as one instant, last (snapshot_kvm.h). */
	for (unsigned i = 0; i < vm->nr_vcpus && !r; i++)
		r = snap_tsc_refresh(&vm->vcpus[i], &cpus[i], NULL, err);
	if (!r)
		r = snap_vm_get(vm, &kvm, err);
	for (unsigned i = 0; i < vm->nr_vcpus && !r; i++) {
		uint64_t after = 1;

		r = snap_tsc_refresh(&vm->vcpus[i], &cpus[i], &after, err);
	}
	if (!r)
		r = snapshot_write_state(vm, cpus, &kvm, w, err);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		snap_vcpu_free(&cpus[i]);
	free(cpus);
	snap_msr_list_free(&msrs);
	return r;
}

static int write_all_fd(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_state_file(int dirfd, const uint8_t *p, size_t len)
{
	int fd = openat(dirfd, SNAPSHOT_STATE_FILE, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
			0600);
	int r;

	if (fd < 0)
		return -errno;
	r = fchmod(fd, 0600) < 0 ? -errno : 0;
	if (!r)
		r = write_all_fd(fd, p, len);
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int write_ranges(int fd, const struct dump_range *r, unsigned nr, uint64_t *zero,
			struct dump_progress_line *pg)
{
	struct dump_io io;
	uint64_t off = 0;
	int ret = 0, fin;

	*zero = 0;
	dump_io_init(&io, fd, true);
	pg->io = &io;
	pg->zero = zero;
	io.on_complete = dump_progress_tick;
	io.on_complete_arg = pg;
	for (unsigned i = 0; i < nr && !ret; i++) {
		ret = dump_range_write(&io, &r[i], off, zero);
		off += r[i].size;
	}
	fin = dump_io_finish(&io);
	pg->io = NULL;
	pg->zero = NULL;
	return ret ? ret : fin;
}

/*
 * Guest RAM, region after region, through io_uring with O_DIRECT where the
 * file system takes it (as the dump: a large snapshot through the page
 * cache competes with the guest's own memory); zero pages stay holes.
 */
static int write_memory_file(int dirfd, struct vm *vm, uint64_t *data)
{
	int fd = openat(dirfd, SNAPSHOT_MEMORY_FILE,
			O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	struct dump_range r[GM_MAX_REGIONS];
	struct dump_progress_line pg;
	uint64_t zero = 0, t0 = now_ns();
	bool direct;
	int ret;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	for (unsigned i = 0; i < vm->mem.nr; i++)
		r[i] = (struct dump_range){ .gpa = vm->mem.r[i].gpa, .size = vm->mem.r[i].size,
					    .host = vm->mem.r[i].host };
	if (ftruncate(fd, (off_t)vm->mem.total) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* -q shows only errors and the result: no progress line. */
	dump_progress_line_init(&pg, "snapshot", log_level < LOG_WARN);
	pg.total = vm->mem.total;
	direct = dump_direct_on(fd, r, vm->mem.nr);
	ret = write_ranges(fd, r, vm->mem.nr, &zero, &pg);
	if (ret == -EINVAL && direct) {
		dump_direct_off(fd);
		ret = write_ranges(fd, r, vm->mem.nr, &zero, &pg);
	}
	*data = vm->mem.total - zero;
	pg.syncing = true;
	dump_progress_update(&pg, " fsync");
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	dump_progress_end(&pg, ret == 0, now_ns() - t0);
	close(fd);
	return ret;
}

static void remove_partial(const char *tmp)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/%s", tmp, SNAPSHOT_STATE_FILE);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s", tmp, SNAPSHOT_MEMORY_FILE);
	unlink(p);
	rmdir(tmp);
}

static void fsync_parent(const char *dir)
{
	char buf[4096], *slash;
	int fd;

	snprintf(buf, sizeof(buf), "%s", dir);
	slash = strrchr(buf, '/');
	if (slash == buf)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(buf, sizeof(buf), ".");
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int snapshot_save(struct vm *vm, const char *dir, struct errbuf *err)
{
	struct state_writer w;
	const uint8_t *blob;
	char tmp[4096];
	uint64_t t0 = now_ns(), data = 0;
	size_t len;
	struct stat st;
	int dirfd, r;

	if (!*dir || strlen(dir) > 4000)
		return errf(err, -EINVAL, "snapshot: give a directory path (1 to 4000 bytes)");
	if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
		return errf(err, -ELOOP, "snapshot: %s is a symbolic link; microvm does not write through links it did not create: give a new directory",
			    dir);
	if (lstat(dir, &st) == 0)
		return errf(err, -EEXIST, "snapshot: %s exists; give a new directory (a snapshot never replaces one)",
			    dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", dir, (int)getpid());
	if (mkdir(tmp, 0700) < 0)
		return errf(err, -errno, "snapshot: cannot create %s: %s", tmp, strerror(errno));
	dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	/* Guest memory may hold secrets: owner-only whatever the umask. */
	if (dirfd >= 0 && fchmod(dirfd, 0700) < 0) {
		close(dirfd);
		dirfd = -1;
	}
	if (dirfd < 0) {
		r = errf(err, -errno, "snapshot: %s: %s", tmp, strerror(errno));
		rmdir(tmp);
		return r;
	}
	state_writer_init(&w);
	r = build_state(vm, &w, err);
	blob = r ? NULL : state_writer_finish(&w, &len);
	if (!r && !blob)
		r = errf(err, w.error ? w.error : -EINVAL, "snapshot: %s", w.err.msg);
	if (!r && (r = write_state_file(dirfd, blob, len)))
		errf(err, r, "snapshot: cannot write %s/%s: %s", tmp, SNAPSHOT_STATE_FILE, strerror(-r));
	state_writer_free(&w);
	if (!r && (r = write_memory_file(dirfd, vm, &data)))
		errf(err, r, "snapshot: cannot write %s/%s: %s", tmp, SNAPSHOT_MEMORY_FILE, strerror(-r));
	if (!r && fsync(dirfd) < 0)
		r = errf(err, -errno, "snapshot: fsync %s: %s", tmp, strerror(errno));
	close(dirfd);
	if (!r && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) < 0)
		r = errf(err, -errno, "snapshot: cannot rename %s to %s: %s", tmp, dir, strerror(errno));
	if (r) {
		remove_partial(tmp);
		return r;
	}
	fsync_parent(dir);
	log_result("snapshot: wrote %s (%llu MiB of RAM, %llu MiB of data, %u vCPUs, %.2f s)", dir,
		   (unsigned long long)(vm->mem.total >> 20), (unsigned long long)(data >> 20),
		   vm->nr_vcpus, (double)(now_ns() - t0) / 1e9);
	return 0;
}

/* ---- open ---- */

/* What a header string may hold: anything, no line breaks (it may be printed), or printable ASCII only. */
enum str_kind { STR_ANY, STR_ONE_LINE, STR_PRINTABLE };

static int get_str(struct state_reader *r, const char *name, char *out, size_t cap,
		   enum str_kind kind, struct errbuf *err)
{
	const char *s;
	int e = state_get_string(r, name, &s);

	if (e)
		return errf(err, e, "%s", r->err.msg);
	if (strlen(s) >= cap)
		return errf(err, -EINVAL, "state: header field %s is too long", name);
	for (const char *p = s; *p && kind != STR_ANY; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n' || c == '\r' || (kind == STR_PRINTABLE && (c < 0x20 || c > 0x7E)))
			return errf(err, -EINVAL, "state: header field %s holds a byte 0x%02x, which microvm never writes there (a damaged or crafted file)", name,
				    c);
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int read_header(struct snapshot *s, struct errbuf *err)
{
	struct state_reader *r = &s->reader;
	struct vm_config *c = &s->cfg;
	struct host_cpu h;
	char vendor[16], version[32], cmdline[4096];
	uint32_t v, cpus, vmci, compat, nfw, proto, entry, bs;
	uint64_t low, high;
	uint8_t dx, nr;
	int e;

	if ((e = state_record_open(r, "header", SNAPSHOT_HEADER_VERSION, &v)) ||
	    (e = state_get_u64(r, "mem-size", &c->mem_size)) ||
	    (e = state_get_u64(r, "ram-low-size", &low)) ||
	    (e = state_get_u64(r, "ram-high-size", &high)) || (e = state_get_u32(r, "cpus", &cpus)) ||
	    (e = state_get_u32(r, "vmcoreinfo", &vmci)) || (e = state_get_u8(r, "debug-exit", &dx)) ||
	    (e = state_get_u8(r, "no-reboot", &nr)) || (e = state_get_u32(r, "cpu-compat", &compat)) ||
	    (e = state_get_u32(r, "boot-proto", &proto)) ||
	    (e = state_get_u32(r, "boot-entry", &entry)) ||
	    (e = state_get_u32(r, "boot-struct", &bs)) ||
	    (e = state_get_u32(r, "fw-cfg-files", &nfw)))
		return errf(err, e, "%s", r->err.msg);
	/* Vendor, version and file names appear in messages; the command line and fw_cfg items do not. */
	if ((e = get_str(r, "host-cpu-vendor", vendor, sizeof(vendor), STR_PRINTABLE, err)) ||
	    (e = get_str(r, "microvm-version", version, sizeof(version), STR_PRINTABLE, err)) ||
	    (e = get_str(r, "kernel", s->kernel, sizeof(s->kernel), STR_ONE_LINE, err)) ||
	    (e = get_str(r, "initrd", s->initrd, sizeof(s->initrd), STR_ONE_LINE, err)) ||
	    (e = get_str(r, "cmdline", cmdline, sizeof(cmdline), STR_ANY, err)))
		return e;
	host_cpu(&h);
	if (strcmp(vendor, h.vendor))
		return errf(err, -EINVAL, "%s: the snapshot was taken on a %s CPU, this host is %s: KVM state does not move between CPU vendors",
			    s->dir, vendor, h.vendor);
	{
		struct ram_layout l = ram_layout_of(c->mem_size);

		/* Whole pages, as e820_build and KVM want: the memory file is mapped page by page. */
		if (c->mem_size < LAYOUT_MEM_MIN || c->mem_size > LAYOUT_MEM_MAX ||
		    (c->mem_size & 0xFFF) || l.low_size != low || l.high_size != high)
			return errf(err, -EINVAL, "state: header: memory size %" PRIu64 " and its layout are not one this microvm builds",
				    c->mem_size);
	}
	if (!cpus || cpus > VM_MAX_CPUS || vmci > VMCI_MODE_FWCFG || compat > CPU_COMPAT_EMULATED ||
	    nfw > VM_MAX_USER_FWCFG || (proto != BOOT_LINUX && proto != BOOT_PVH) || dx > 1 || nr > 1)
		return errf(err, -EINVAL, "state: header: a value out of range (cpus %u, vmcoreinfo %u, cpu-compat %u, fw-cfg files %u, boot protocol %u)",
			    cpus, vmci, compat, nfw, proto);
	c->nr_cpus = cpus;
	c->vmcoreinfo = vmci;
	c->debug_exit = dx;
	c->no_reboot = nr;
	c->cpu_compat = (int)compat;
	c->kernel = s->kernel[0] ? s->kernel : NULL;
	c->initrd = s->initrd[0] ? s->initrd : NULL;
	s->cmdline = strdup(cmdline);
	if (!s->cmdline)
		return errf(err, -ENOMEM, "out of memory");
	c->cmdline = s->cmdline;
	s->image.proto = (enum boot_protocol)proto;
	s->image.entry = entry;
	s->image.boot_struct = bs;
	for (unsigned i = 0; i < nfw; i++) {
		char key[32], val[4200];

		snprintf(key, sizeof(key), "fw-cfg%u", i);
		if ((e = get_str(r, key, val, sizeof(val), STR_ANY, err)))
			return e;
		s->fwcfg_args[i] = strdup(val);
		if (!s->fwcfg_args[i])
			return errf(err, -ENOMEM, "out of memory");
		/* Its own message would quote the item, which may span lines: not from a file. */
		if ((e = parse_user_fwcfg(s->fwcfg_args[i], &c->fwcfg[i], err)))
			return errf(err, e, "state: header %s: not an fw_cfg item microvm accepts (as --fw-cfg name=NAME,file=PATH or name=NAME,string=STR)",
				    key);
		c->nr_fwcfg = i + 1;
	}
	log_info("snapshot %s: microvm %s, %u vCPUs, %" PRIu64 " MiB", s->dir, version, cpus,
		 c->mem_size >> 20);
	return 0;
}

static int parse_state(struct snapshot *s, const char *path, struct errbuf *err)
{
	struct state_reader *r = &s->reader;
	int e;

	e = state_reader_init(r, s->state, s->state_len);
	if (e)
		return errf(err, e, "%s: %s", path, r->err.msg);
	e = read_header(s, err);
	if (e)
		return e;
	s->vcpus = calloc(s->cfg.nr_cpus, sizeof(*s->vcpus));
	if (!s->vcpus)
		return errf(err, -ENOMEM, "out of memory");
	e = state_node_enter(r, "cpus");
	if (e)
		return errf(err, e, "%s: %s", path, r->err.msg);
	for (unsigned i = 0; i < s->cfg.nr_cpus; i++)
		if ((e = snap_vcpu_load(r, i, &s->vcpus[i], err)))
			return e;
	state_node_leave(r);
	return snap_vm_load(r, &s->kvm, err);
}

static void snapshot_init(struct snapshot *s, const char *dir)
{
	memset(s, 0, sizeof(*s));
	s->mem_fd = -1;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
}

int snapshot_parse(struct snapshot *s, const char *dir, uint8_t *state, size_t len,
		   struct errbuf *err)
{
	char path[4200];
	int e;

	snapshot_init(s, dir);
	s->state = state;
	s->state_len = len;
	snprintf(path, sizeof(path), "%s/%s", s->dir, SNAPSHOT_STATE_FILE);
	e = parse_state(s, path, err);
	if (e)
		snapshot_close(s);
	return e;
}

static int open_memory(struct snapshot *s, struct errbuf *err)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", s->dir, SNAPSHOT_MEMORY_FILE);
	s->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->mem_fd < 0)
		return errf(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(s->mem_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return errf(err, -EINVAL, "%s: not a regular file", path);
	if ((uint64_t)st.st_size != s->cfg.mem_size)
		return errf(err, -EINVAL, "%s: %lld bytes, the snapshot's RAM is %" PRIu64 " (truncated or from another snapshot?)",
			    path, (long long)st.st_size, s->cfg.mem_size);
	s->mem_size = s->cfg.mem_size;
	return 0;
}

int snapshot_open(const char *dir, struct snapshot *s, struct errbuf *err)
{
	char path[4200];
	struct stat st;
	uint8_t *state;
	size_t len;
	int e;

	snapshot_init(s, "");
	if (strlen(dir) >= sizeof(s->dir) - 64)
		return errf(err, -ENAMETOOLONG, "restore: directory name too long");
	if (stat(dir, &st) < 0)
		return errf(err, -errno, "restore: %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return errf(err, -ENOTDIR, "restore: %s is not a snapshot directory", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, SNAPSHOT_STATE_FILE);
	e = file_read_all("", path, SNAPSHOT_STATE_MAX, &state, &len, err);
	if (e)
		return e;
	e = snapshot_parse(s, dir, state, len, err);
	if (!e)
		e = open_memory(s, err);
	if (e)
		snapshot_close(s);
	return e;
}

void snapshot_close(struct snapshot *s)
{
	for (unsigned i = 0; s->vcpus && i < s->cfg.nr_cpus; i++)
		snap_vcpu_free(&s->vcpus[i]);
	free(s->vcpus);
	s->vcpus = NULL;
	for (unsigned i = 0; i < VM_MAX_USER_FWCFG; i++) {
		free(s->fwcfg_args[i]);
		s->fwcfg_args[i] = NULL;
	}
	free(s->cmdline);
	s->cmdline = NULL;
	free(s->state);
	s->state = NULL;
	if (s->mem_fd >= 0)
		close(s->mem_fd);
	s->mem_fd = -1;
}

int snapshot_apply_kvm(struct vm *vm, const struct snapshot *s, struct errbuf *err)
{
	uint64_t elapsed;
	int r;

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		r = snap_vcpu_set(&vm->vcpus[i], &s->vcpus[i], err);
		if (r)
			return r;
	}
	/* kvmclock from what the TSC counted since it was written (snapshot_kvm.h). */
	r = snap_tsc_elapsed_ns(&vm->vcpus[0], &s->vcpus[0], &elapsed, err);
	if (r)
		return r;
	return snap_vm_set(vm, &s->kvm, elapsed, err);
}
