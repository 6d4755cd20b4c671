// SPDX-License-Identifier: Apache-2.0
/* lib/diskname: the on-disk name of an ID is path-safe, the identity on the old charset, injective. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diskname.h"
#include "id.h"

/* A name no path can misread: not "", ".", "..", hidden; no '/', control or NUL; fits NAME_MAX. */
static void assert_path_safe(const char *name)
{
	size_t n = strlen(name);

	assert_true(n > 0 && n <= DISK_NAME_MAX);
	assert_true(name[0] != '.');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		assert_true(c > 0x20 && c < 0x7f && c != '/' && c != '\\');
	}
}

static void name_of(const char *id, size_t len, unsigned flags, char out[DISK_NAME_MAX + 1])
{
	assert_int_equal(disk_name(id, len, flags, out), 0);
	assert_path_safe(out);
}

static void expect_name(const char *id, unsigned flags, const char *want)
{
	char got[DISK_NAME_MAX + 1];

	name_of(id, strlen(id), flags, got);
	assert_string_equal(got, want);
}

/* The IDs the previous release accepted keep their directories' names. */
static void test_identity_on_old_charset(void **state)
{
	static const char *const old[] = {
		"task-1",
		"web.frontend:8080",
		"A_Z-09",
		"x...x",
		"x..",
		"a.b.c",
		"00000000-0000-4000-8000-000000000000",
		"tasks",
		"agent",
	};
	char longest[ID_MAX_LEN + 1];

	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		expect_name(old[i], 0, old[i]);
		expect_name(old[i], DISK_NAME_CGROUP, old[i]);
	}
	memset(longest, 'x', ID_MAX_LEN);
	longest[ID_MAX_LEN] = '\0';
	expect_name(longest, 0, longest);
}

static void test_escapes(void **state)
{
	expect_name("a b", 0, "a%20b");
	expect_name("a%20b", 0, "a%2520b");
	expect_name("%", 0, "%25");
	expect_name("...", 0, "%2E..");
	expect_name(".hidden", 0, "%2Ehidden");
	expect_name("\xc3\xbc-1", 0, "%C3%BC-1");
	expect_name("web server@1", 0, "web%20server%401");
	expect_name("a%2Fb", 0, "a%252Fb");
	expect_name("~", 0, "%7E");
	expect_name("$(rm -rf *)", 0, "%24%28rm%20-rf%20%2A%29");
	/* cgroup names: never an interface file's name */
	expect_name("memory.max", DISK_NAME_CGROUP, "memory%2Emax");
	expect_name("cgroup.procs", DISK_NAME_CGROUP, "cgroup%2Eprocs");
	expect_name("cpu.x.y", DISK_NAME_CGROUP, "cpu%2Ex.y");
	expect_name("cpux.y", DISK_NAME_CGROUP, "cpux.y");
	expect_name("memory.max", 0, "memory.max");
}

static void test_refused(void **state)
{
	static const char *const bad[] = {"", ".", "..", "a/b", "a\\b", "a\nb", "\x7f"};
	char out[DISK_NAME_MAX + 1] = "untouched", big[ID_MAX_LEN + 1];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(disk_name(bad[i], strlen(bad[i]), 0, out), -EINVAL);
	memset(big, 'x', sizeof(big));
	assert_int_equal(disk_name(big, sizeof(big), 0, out), -EINVAL);
	assert_string_equal(out, "untouched");
}

/* Escaped beyond 255 bytes: a prefix, '~' and the ID's SHA-256; still distinct, still safe. */
static void test_long_ids_hashed(void **state)
{
	char a[ID_MAX_LEN], b[ID_MAX_LEN], na[DISK_NAME_MAX + 1], nb[DISK_NAME_MAX + 1];
	char *tilde;

	memset(a, ' ', sizeof(a)); /* 255 spaces: 765 bytes escaped */
	memcpy(b, a, sizeof(b));
	b[sizeof(b) - 1] = '!'; /* differs only past the kept prefix */
	name_of(a, sizeof(a), 0, na);
	name_of(b, sizeof(b), 0, nb);
	assert_string_not_equal(na, nb);
	tilde = strchr(na, '~');
	assert_non_null(tilde);
	assert_int_equal(strlen(tilde + 1), 64);
	assert_int_equal((tilde - na) % 3, 0); /* cut at a whole escape */
	assert_true(tilde - na <= DISK_NAME_PREFIX);
	/* same ID, same name: recovery finds it again */
	name_of(a, sizeof(a), 0, nb);
	assert_string_equal(na, nb);
	/* a hashed name does not decode; escaped ones do */
	assert_int_equal(disk_name_decode(na, nb), -EINVAL);
	/* exactly 255 escaped bytes stay unhashed: 85 escapes */
	name_of(a, 85, 0, na);
	assert_null(strchr(na, '~'));
	assert_int_equal(strlen(na), 255);
	name_of(a, 86, 0, na);
	assert_non_null(strchr(na, '~'));
}

/* Every tricky ID decodes back from its name, and no two share one. */
static void test_injective(void **state)
{
	static const char *const ids[] = {
		"a b",	  "a%20b", "a%2520b", "%",	    "%25",	    "%2",
		"...",	  " .",	   "%2E..",   ".x",	    "%2Ex",	    "\xc3\xbc",
		"%C3%BC", "x~",	   "x%7E",    "memory.max", "memory%2Emax", "cgroup.procs",
		"~",	  "%7E",   "a",	      "A",
	};
	enum { N = sizeof(ids) / sizeof(ids[0]) };
	char names[2][N][DISK_NAME_MAX + 1], back[DISK_NAME_MAX + 1];

	for (unsigned f = 0; f < 2; f++) {
		for (size_t i = 0; i < N; i++) {
			name_of(ids[i], strlen(ids[i]), f ? DISK_NAME_CGROUP : 0, names[f][i]);
			assert_int_equal(disk_name_decode(names[f][i], back), 0);
			assert_string_equal(back, ids[i]);
			for (size_t j = 0; j < i; j++)
				assert_string_not_equal(names[f][i], names[f][j]);
		}
	}
	/* names of the previous release decode to themselves, a leading '.' included */
	assert_int_equal(disk_name_decode(".legacy", back), 0);
	assert_string_equal(back, ".legacy");
	assert_int_equal(disk_name_decode("%2", back), -EINVAL);
	assert_int_equal(disk_name_decode("%zz", back), -EINVAL);
	assert_int_equal(disk_name_decode("%2F", back), -EINVAL); /* decodes to "/" */
	assert_int_equal(disk_name_decode("", back), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_on_old_charset),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_long_ids_hashed),
		cmocka_unit_test(test_injective),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
