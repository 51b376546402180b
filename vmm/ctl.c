/* SPDX-License-Identifier: MIT */
/*
 * `microvm ctl SOCK COMMAND [ARGS]`: the human wrapper around the control
 * socket (docs/qmp.md). One QMP session per call: greeting, negotiation,
 * one command, its reply (events before it are skipped).
 */
#include "vmm/ctl.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/log.h"

#define CTL_LINE_MAX (1u << 20)

static const char ctl_help[] =
	"Usage: microvm ctl SOCK COMMAND [ARGS]\n"
	"\n"
	"Control the microvm listening on SOCK (its --api-sock):\n"
	"  status            running, paused or guest-panicked\n"
	"  pause             stop the vCPUs (QMP stop)\n"
	"  resume            restart them (QMP cont)\n"
	"  reset             reset the VM (QMP system_reset)\n"
	"  powerdown         press the ACPI power button (QMP system_powerdown)\n"
	"  quit              end microvm (QMP quit)\n"
	"  dump FILE         write an ELF core of the guest to FILE (replaced if it exists)\n"
	"  snapshot DIR [--paused]\n"
	"                    save the VM to the new directory DIR and resume it\n"
	"                    (--paused: leave it paused); `microvm restore DIR` resumes it\n"
	"  vmcoreinfo        where the guest's VMCOREINFO note is, or why there is none\n"
	"  qmp NAME [JSON]   any QMP command, with its arguments as a JSON object;\n"
	"                    prints the reply's JSON\n"
	"\n"
	"Exit status: 0 done, 1 microvm refused the command (its reason is printed),\n"
	"2 bad usage or no connection.\n";

struct ctl {
	int fd;
	char *buf;
	size_t len;
};

/* The next JSON line from microvm, or NULL when the connection ended. */
static json_t *read_msg(struct ctl *c)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (nl) {
			size_t n = (size_t)(nl - c->buf) + 1;
			json_t *j = json_loadb(c->buf, n, 0, NULL);

			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			if (j)
				return j;
			continue;
		}
		if (c->len == CTL_LINE_MAX)
			return NULL;
		ssize_t r = read(c->fd, c->buf + c->len, CTL_LINE_MAX - c->len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		c->len += (size_t)r;
	}
}

/* Send one command; its reply (json, *err set for {"error": ...}) or NULL if the connection ended. */
static json_t *execute(struct ctl *c, const char *name, json_t *args, int *failed)
{
	json_t *req = json_pack("{s:s, s:s}", "execute", name, "id", "ctl");
	char *s;

	if (args)
		json_object_set(req, "arguments", args);
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!s)
		return NULL;
	/* One write with its newline: after quit microvm may close the socket at once. */
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);
	bool ok;

	if (!line) {
		free(s);
		return NULL;
	}
	memcpy(line + n, "\n", 2);
	ok = send(c->fd, line, n + 1, MSG_NOSIGNAL) == (ssize_t)(n + 1);
	free(line);
	if (!ok)
		return NULL;
	for (;;) {
		json_t *m = read_msg(c);

		if (!m)
			return NULL;
		if (json_object_get(m, "event")) {
			json_decref(m);
			continue;
		}
		*failed = json_object_get(m, "error") != NULL;
		return m;
	}
}

static int connect_sock(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("ctl: %s: socket path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_err("ctl: cannot connect to %s: %s (is microvm running with --api-sock %s?)", path,
			strerror(errno), path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A path for microvm, whose working directory may differ from ours. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static void print_return(const char *cmd, json_t *ret)
{
	if (!strcmp(cmd, "status")) {
		printf("%s\n", json_string_value(json_object_get(ret, "status")));
	} else if (!strcmp(cmd, "vmcoreinfo")) {
		json_t *pub = json_object_get(ret, "published");

		printf("protocol: %s\n", json_string_value(json_object_get(ret, "protocol")));
		if (json_is_true(pub)) {
			printf("note: 0x%llx, %lld bytes\n",
			       (unsigned long long)json_integer_value(json_object_get(ret, "address")),
			       (long long)json_integer_value(json_object_get(ret, "size")));
			if (json_object_get(ret, "osrelease"))
				printf("osrelease: %s\n",
				       json_string_value(json_object_get(ret, "osrelease")));
		} else {
			printf("no note: %s\n", json_string_value(json_object_get(ret, "reason")));
		}
	} else if (!strcmp(cmd, "qmp")) {
		char *s = json_dumps(ret, JSON_INDENT(2));

		printf("%s\n", s ? s : "{}");
		free(s);
	}
}

/* COMMAND [ARGS] -> QMP name and arguments; false with a message on bad usage. */
static bool translate(int argc, char **argv, const char **name, json_t **args)
{
	static const struct { const char *cmd, *qmp; } plain[] = {
		{ "status", "query-status" }, { "pause", "stop" },     { "resume", "cont" },
		{ "reset", "system_reset" },  { "powerdown", "system_powerdown" },
		{ "quit", "quit" },	      { "vmcoreinfo", "query-vmcoreinfo" },
	};
	const char *cmd = argv[0];
	char *abs;

	*args = NULL;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(cmd, plain[i].cmd)) {
			*name = plain[i].qmp;
			return argc == 1 || (log_err("ctl %s takes no argument", cmd), false);
		}
	if (!strcmp(cmd, "dump") || !strcmp(cmd, "snapshot")) {
		bool paused = argc == 3 && !strcmp(argv[2], "--paused") && !strcmp(cmd, "snapshot");

		if ((argc != 2 && !paused) || !argv[1][0]) {
			log_err("ctl %s: give one %s", cmd, strcmp(cmd, "dump") ? "DIR (and optionally --paused)" : "FILE");
			return false;
		}
		abs = absolute(argv[1]);
		if (!abs)
			return false;
		if (!strcmp(cmd, "dump")) {
			char *proto;

			*name = "dump-guest-memory";
			if (asprintf(&proto, "file:%s", abs) < 0) {
				free(abs);
				return false;
			}
			*args = json_pack("{s:b, s:s}", "paging", 0, "protocol", proto);
			free(proto);
		} else {
			*name = "snapshot-save";
			*args = json_pack("{s:s, s:b}", "path", abs, "paused", paused);
		}
		free(abs);
		return *args != NULL;
	}
	if (!strcmp(cmd, "qmp") && (argc == 2 || argc == 3)) {
		json_error_t e;

		*name = argv[1];
		if (argc == 3) {
			*args = json_loads(argv[2], 0, &e);
			if (!json_is_object(*args)) {
				log_err("ctl qmp %s: the arguments must be a JSON object: %s", argv[1],
					*args ? "not an object" : e.text);
				json_decref(*args);
				*args = NULL;
				return false;
			}
		}
		return true;
	}
	log_err("ctl: unknown command '%s'; see microvm ctl --help", cmd);
	return false;
}

int ctl_main(int argc, char **argv)
{
	struct ctl c = { .fd = -1 };
	const char *name;
	json_t *args = NULL, *greet, *reply;
	int failed = 0, status = 2;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(ctl_help, stdout);
		return 0;
	}
	if (argc < 3) {
		fputs(ctl_help, stderr);
		return 2;
	}
	if (!translate(argc - 2, argv + 2, &name, &args))
		return 2;
	c.buf = malloc(CTL_LINE_MAX);
	c.fd = c.buf ? connect_sock(argv[1]) : -1;
	if (c.fd < 0)
		goto out;
	greet = read_msg(&c);
	if (!json_object_get(greet, "QMP")) {
		log_err("ctl: %s did not greet as a QMP server", argv[1]);
		json_decref(greet);
		goto out;
	}
	json_decref(greet);
	reply = execute(&c, "qmp_capabilities", NULL, &failed);
	json_decref(reply);
	reply = reply && !failed ? execute(&c, name, args, &failed) : NULL;
	if (!reply) {
		log_err("ctl: %s closed the connection before replying", argv[1]);
		goto out;
	}
	if (failed) {
		json_t *e = json_object_get(reply, "error");

		log_err("%s: %s", name, json_string_value(json_object_get(e, "desc")));
		status = 1;
	} else {
		print_return(!strcmp(argv[2], "qmp") ? "qmp" : argv[2], json_object_get(reply, "return"));
		status = 0;
	}
	json_decref(reply);
out:
	json_decref(args);
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
	return status;
}
