/* SPDX-License-Identifier: MIT */
/*
 * Every fuzz target's seed corpus (tests/fuzz/corpus/NAME) and every input
 * that once made a target fail (tests/fuzz/regress/NAME) replayed through the
 * target's own entry point, here under gcc's ASan and UBSan: the regression
 * tests of docs/security.md. A target checks its invariants itself and
 * aborts when one breaks, so a replay that returns is a pass.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FUZZ_TARGET(name) int fuzz_##name##_one(const uint8_t *data, size_t size);
#include "fuzz_targets.h"
#undef FUZZ_TARGET

typedef int (*fuzz_one_fn)(const uint8_t *data, size_t size);

static uint8_t *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;

	cr_assert_not_null(f, "%s opens", path);
	cr_assert_eq(fstat(fileno(f), &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	*size = fread(buf, 1, (size_t)st.st_size, f);
	cr_assert_eq(*size, (size_t)st.st_size, "%s reads whole", path);
	fclose(f);
	return buf;
}

/* Replay every regular file of DIR; returns how many. */
static int replay_dir(const char *dir, fuzz_one_fn fn)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[4096];
		struct stat st;
		uint8_t *buf;
		size_t size;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		buf = read_all(path, &size);
		fn(buf, size);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static void replay(const char *name, fuzz_one_fn fn)
{
	char dir[4096];
	int n;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", MICROVM_SRC_DIR, name);
	n = replay_dir(dir, fn);
	cr_assert_gt(n, 0, "%s: the seed corpus %s has inputs", name, dir);
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/regress/%s", MICROVM_SRC_DIR, name);
	replay_dir(dir, fn);
}

#define FUZZ_TARGET(name) \
	Test(fuzz_inputs, name) { replay(#name, fuzz_##name##_one); }
#include "fuzz_targets.h"
