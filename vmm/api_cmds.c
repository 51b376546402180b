/* SPDX-License-Identifier: MIT */
/*
 * The control socket's commands (docs/qmp.md). Each runs in the main
 * thread, with the VM's vCPUs running or paused; those that need a still VM
 * (a dump, a snapshot) pause it first and resume it after if it ran.
 */
#include "vmm/api_cmds.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/ged.h"
#include "devices/vmcoreinfo.h"
#include "devices/vmcoreinfo_fwcfg.h"
#include "vmm/log.h"
#include "vmm/snapshot.h"
#include "vmm/vm.h"
#include "vmm/vmcoreinfo_note.h"

static const char *status_name(const struct vm *vm)
{
	if (vm->panicked_paused)
		return "guest-panicked";
	return vm->paused ? "paused" : "running";
}

static void cmd_query_status(void *ctx, json_t *args, struct qmp_reply *r)
{
	struct api *a = ctx;

	r->ret = json_pack("{s:b, s:b, s:s}", "running", !a->vm->paused, "singlestep", 0, "status",
			   status_name(a->vm));
}

static void cmd_stop(void *ctx, json_t *args, struct qmp_reply *r)
{
	vm_pause(((struct api *)ctx)->vm);
}

static void cmd_cont(void *ctx, json_t *args, struct qmp_reply *r)
{
	struct api *a = ctx;
	int e;

	if (a->dump.status == API_DUMP_ACTIVE) {
		qmp_error(r, "GenericError", "a dump is being written; wait for DUMP_COMPLETED (query-dump shows progress)");
		return;
	}
	e = vm_resume(a->vm);
	if (e)
		qmp_error(r, "GenericError", "cannot restart the vCPUs: %s", strerror(-e));
}

static void cmd_system_reset(void *ctx, json_t *args, struct qmp_reply *r)
{
	struct api *a = ctx;

	a->vm->reset_reason = "host-qmp-system-reset";
	vm_request(a->vm, VM_REQ_RESET, 0);
}

/* The ACPI power button (devices/ged.c): a guest that handles it powers off by itself. */
static void cmd_system_powerdown(void *ctx, json_t *args, struct qmp_reply *r)
{
	struct api *a = ctx;
	struct device *ged = vm_find_device(a->vm, &ged_ops);

	if (!ged) {
		qmp_error(r, "GenericError", "this machine has no ACPI power button");
		return;
	}
	pthread_mutex_lock(&a->vm->io_lock);
	ged_power_button(ged);
	pthread_mutex_unlock(&a->vm->io_lock);
	api_event(a->vm, "POWERDOWN", NULL);
}

static void cmd_quit(void *ctx, json_t *args, struct qmp_reply *r)
{
	struct api *a = ctx;

	a->vm->shutdown_reason = "host-qmp-quit";
	vm_request(a->vm, VM_REQ_EXIT, EXIT_POWEROFF);
}

/* ---- dump-guest-memory and query-dump ---- */

static json_t *dump_result(const struct api_dump *d)
{
	static const char *const names[] = { "none", "active", "completed", "failed" };

	return json_pack("{s:s, s:I, s:I}", "status", names[d->status], "completed",
			 (json_int_t)atomic_load(&d->pg.done), "total",
			 (json_int_t)atomic_load(&d->pg.total));
}

/* Runs in the main thread once the dump is written (or failed): report, event, resume. */
static void dump_finish(struct api *a)
{
	struct api_dump *d = &a->dump;
	json_t *ev;

	d->status = d->result ? API_DUMP_FAILED : API_DUMP_COMPLETED;
	vm_dump_free(&d->d);
	if (d->result)
		log_err("%s", d->err.msg);
	else
		vm_dump_report(a->vm, d->path, &d->st);
	ev = json_pack("{s:o}", "result", dump_result(d));
	if (ev && d->result)
		json_object_set_new(ev, "error", json_string(d->err.msg));
	api_event(a->vm, "DUMP_COMPLETED", ev);
	if (d->resume && vm_resume(a->vm))
		log_err("dump: cannot restart the vCPUs after the dump");
}

static void dump_run(struct api_dump *d)
{
	d->d.src.name = d->name;
	d->d.src.progress = &d->pg;
	d->result = dump_write_opts(&d->d.src, d->dir, log_level < LOG_WARN ? DUMP_F_QUIET : 0, &d->st,
				    d->path, sizeof(d->path), &d->err);
}

static void *dump_thread(void *arg)
{
	struct api *a = arg;
	uint64_t one = 1;

	/* Under the main thread's filter already; this one leaves the writer only the file's calls. */
	if (seccomp_enter(&a->vm->seccomp, SECCOMP_DUMP, "dump", &a->dump.err))
		a->dump.result = -EPERM;
	else
		dump_run(&a->dump);
	atomic_store(&a->dump.done, true);
	if (write(a->vm->wake_fd, &one, sizeof(one)) < 0)
		log_debug("wake: %s", strerror(errno));
	return NULL;
}

/* "file:PATH" -> dir and name; false with the error set. */
static bool dump_target(struct api_dump *d, const char *protocol, struct qmp_reply *r)
{
	char buf[PATH_MAX];
	const char *path;

	if (strncmp(protocol, "file:", 5)) {
		qmp_error(r, "GenericError", "protocol '%.64s': microvm writes dumps to files; use \"file:PATH\"",
			  protocol);
		return false;
	}
	path = protocol + 5;
	if (!*path || strlen(path) >= sizeof(buf) || path[strlen(path) - 1] == '/') {
		qmp_error(r, "GenericError", "protocol 'file:PATH' needs the path of a file to write");
		return false;
	}
	snprintf(buf, sizeof(buf), "%s", path);
	snprintf(d->name, sizeof(d->name), "%s", basename(buf));
	snprintf(buf, sizeof(buf), "%s", path);
	snprintf(d->dir, sizeof(d->dir), "%s", dirname(buf));
	return true;
}

static void cmd_dump(void *ctx, json_t *args, struct qmp_reply *r)
{
	struct api *a = ctx;
	struct api_dump *d = &a->dump;
	const char *format = json_string_value(json_object_get(args, "format"));
	bool detach = json_is_true(json_object_get(args, "detach"));
	int e;

	if (d->status == API_DUMP_ACTIVE) {
		qmp_error(r, "GenericError", "a dump is already being written; query-dump shows its progress");
		return;
	}
	if (json_is_true(json_object_get(args, "paging"))) {
		qmp_error(r, "GenericError", "paging: true is not supported; use paging: false (microvm's dumps "
			  "carry the kernel's virtual mappings anyway: docs/dump.md)");
		return;
	}
	if (json_object_get(args, "begin") || json_object_get(args, "length")) {
		qmp_error(r, "GenericError", "begin/length: microvm dumps all of guest RAM; leave them out");
		return;
	}
	if (format && strcmp(format, "elf")) {
		qmp_error(r, "GenericError", "format '%.32s' is not supported: microvm writes ELF; "
			  "makedumpfile -c turns it into kdump-compressed", format);
		return;
	}
	if (!dump_target(d, json_string_value(json_object_get(args, "protocol")), r))
		return;
	d->resume = !a->vm->paused;
	vm_pause(a->vm);
	memset(&d->pg, 0, sizeof(d->pg));
	if (vm_dump_prepare(a->vm, &d->d, &d->err)) {
		qmp_error(r, "GenericError", "%s", d->err.msg);
		if (d->resume)
			vm_resume(a->vm);
		return;
	}
	d->status = API_DUMP_ACTIVE;
	atomic_store(&d->done, false);
	if (detach) {
		e = pthread_create(&d->tid, NULL, dump_thread, a);
		if (!e) {
			d->thread = true;
			return;
		}
		log_warn("dump: cannot start a thread (%s): writing it now", strerror(e));
	}
	dump_run(d);
	if (d->result)
		qmp_error(r, "GenericError", "%s", d->err.msg);
	dump_finish(a);
}

static void cmd_query_dump(void *ctx, json_t *args, struct qmp_reply *r)
{
	r->ret = dump_result(&((struct api *)ctx)->dump);
}

void api_poll(struct vm *vm)
{
	struct api *a = vm->api;

	if (!a || !a->dump.thread || !atomic_load(&a->dump.done))
		return;
	pthread_join(a->dump.tid, NULL);
	a->dump.thread = false;
	dump_finish(a);
}

int api_busy(const struct vm *vm)
{
	return vm->api && vm->api->dump.status == API_DUMP_ACTIVE;
}

void api_cmds_finish(struct api *a)
{
	if (!a->dump.thread)
		return;
	log_warn("dump: waiting for the dump being written to finish");
	pthread_join(a->dump.tid, NULL);
	a->dump.thread = false;
	a->dump.resume = false;
	dump_finish(a);
}

/* ---- query-vmcoreinfo ---- */

/* The value of KEY= in the note's text, or NULL. */
static json_t *note_value(const struct vmcoreinfo_note *n, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < n->text_len;) {
		const char *line = n->text + i;
		const char *nl = memchr(line, '\n', n->text_len - i);
		size_t len = nl ? (size_t)(nl - line) : n->text_len - i;

		if (len > kl && !memcmp(line, key, kl) && line[kl] == '=')
			return json_stringn(line + kl + 1, len - kl - 1);
		i += len + 1;
	}
	return NULL;
}

static void cmd_query_vmcoreinfo(void *ctx, json_t *args, struct qmp_reply *r)
{
	struct api *a = ctx;
	struct device *acpi = vm_find_device(a->vm, &vmcoreinfo_ops);
	struct device *fw = vm_find_device(a->vm, &vmcoreinfo_fwcfg_ops);
	struct vmcoreinfo_note note;
	struct errbuf why;
	json_t *o;
	int e;

	if (!acpi && !fw) {
		r->ret = json_pack("{s:s, s:b, s:s}", "protocol", "none", "published", 0, "reason",
				   "microvm runs without --vmcoreinfo: no device for the guest to publish through");
		return;
	}
	if (acpi) {
		uint64_t addr = vmcoreinfo_addr(acpi);

		o = json_pack("{s:s, s:I}", "protocol", "acpi", "device-address", (json_int_t)addr);
		e = vmcoreinfo_note_find(&a->vm->mem, addr, &note, &why);
	} else {
		o = json_pack("{s:s}", "protocol", "fwcfg");
		e = vmcoreinfo_note_from_fwcfg(&a->vm->mem, vmcoreinfo_fwcfg_record(fw), &note, &why);
	}
	if (!o) {
		qmp_error(r, "GenericError", "out of memory");
		return;
	}
	json_object_set_new(o, "published", json_boolean(e == 0));
	if (e) {
		json_object_set_new(o, "reason", json_string(why.msg));
	} else {
		json_t *rel = note_value(&note, "OSRELEASE");

		json_object_set_new(o, "address", json_integer((json_int_t)note.paddr));
		json_object_set_new(o, "size", json_integer((json_int_t)note.size));
		if (rel)
			json_object_set_new(o, "osrelease", rel);
	}
	r->ret = o;
}

/* ---- snapshot-save ---- */

static void cmd_snapshot_save(void *ctx, json_t *args, struct qmp_reply *r)
{
	struct api *a = ctx;
	const char *dir = json_string_value(json_object_get(args, "path"));
	bool stay = json_is_true(json_object_get(args, "paused"));
	bool resume = !a->vm->paused && !stay;
	struct errbuf err;

	if (a->dump.status == API_DUMP_ACTIVE) {
		qmp_error(r, "GenericError", "a dump is being written; snapshot after DUMP_COMPLETED");
		return;
	}
	vm_pause(a->vm);
	if (atomic_load(&a->vm->request) != VM_RUN) {
		/* Its vCPUs already asked for a reset, a panic's handling or the end: not a state to keep. */
		qmp_error(r, "GenericError", "the guest is resetting, panicking or powering off; snapshot once that is done");
		if (resume)
			vm_resume(a->vm); /* the run loop handles the request, then runs on */
		return;
	}
	if (snapshot_save(a->vm, dir, &err))
		qmp_error(r, "GenericError", "%s", err.msg);
	if (resume && vm_resume(a->vm))
		log_err("snapshot: cannot restart the vCPUs");
}

const struct qmp_command api_commands[] = {
	{ "query-status", cmd_query_status, { { NULL } } },
	{ "stop", cmd_stop, { { NULL } } },
	{ "cont", cmd_cont, { { NULL } } },
	{ "system_reset", cmd_system_reset, { { NULL } } },
	{ "system_powerdown", cmd_system_powerdown, { { NULL } } },
	{ "quit", cmd_quit, { { NULL } } },
	{ "dump-guest-memory", cmd_dump,
	  { { "paging", QMP_BOOL, false },
	    { "protocol", QMP_STR, false },
	    { "detach", QMP_BOOL, true },
	    { "begin", QMP_INT, true },
	    { "length", QMP_INT, true },
	    { "format", QMP_STR, true } } },
	{ "query-dump", cmd_query_dump, { { NULL } } },
	{ "query-vmcoreinfo", cmd_query_vmcoreinfo, { { NULL } } },
	{ "snapshot-save", cmd_snapshot_save, { { "path", QMP_STR, false }, { "paused", QMP_BOOL, true } } },
	{ NULL },
};
