// SPDX-License-Identifier: Apache-2.0
/* lib/id: random version 4 UUIDs, which user-given IDs are valid (Mesos's rule), and portable names. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "id.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lowercase hex, and no two alike. */
static void test_uuid_format_and_unique(void **state)
{
	enum { COUNT = 2000 };
	static char ids[COUNT][UUID_STR_LEN];

	for (int n = 0; n < COUNT; n++) {
		char *u = ids[n];

		memset(u, 'Z', UUID_STR_LEN);
		uuid_random(u);
		assert_int_equal(strlen(u), UUID_STR_LEN - 1);
		for (int i = 0; i < UUID_STR_LEN - 1; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23)
				assert_int_equal(u[i], '-');
			else
				assert_true(isxdigit((unsigned char)u[i]) &&
					    !isupper((unsigned char)u[i]));
		}
		assert_int_equal(u[14], '4');
		assert_non_null(strchr("89ab", u[19]));
		/* a UUID is itself a safe ID */
		assert_true(id_is_safe(u, strlen(u), NULL));
	}
	qsort(ids, COUNT, UUID_STR_LEN, cmp_str);
	for (int n = 1; n < COUNT; n++)
		assert_string_not_equal(ids[n - 1], ids[n]);
}

static void expect_unsafe(const char *s, size_t len, const char *why_part)
{
	const char *why = NULL;

	assert_false(id_is_safe(s, len, &why));
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
	assert_false(id_is_safe(s, len, NULL)); /* ret_why is optional */
}

static void test_safe_ids(void **state)
{
	static const char *const ok[] = {
		"a",	  "task-1", "web.frontend:8080",
		"A_Z-09", "...",    ".hidden",
		"..x",	  "x..",    "00000000-0000-4000-8000-000000000000",
	};
	char longest[ID_MAX_LEN + 1];
	const char *why = "untouched";

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_true(id_is_safe(ok[i], strlen(ok[i]), &why));
		assert_string_equal(why, "untouched"); /* written only on false */
	}
	memset(longest, 'x', ID_MAX_LEN);
	longest[ID_MAX_LEN] = '\0';
	assert_true(id_is_safe(longest, ID_MAX_LEN, NULL));
	/* len, not the NUL, bounds the ID: a prefix of an unsafe string can be safe */
	assert_true(id_is_safe("ab/cd", 2, NULL));
}

static void test_unsafe_ids(void **state)
{
	char toolong[ID_MAX_LEN + 2];

	expect_unsafe("", 0, "empty");
	expect_unsafe(NULL, 0, "empty");
	expect_unsafe(NULL, 5, "empty");
	memset(toolong, 'x', ID_MAX_LEN + 1);
	toolong[ID_MAX_LEN + 1] = '\0';
	expect_unsafe(toolong, ID_MAX_LEN + 1, "longer than 255");
	expect_unsafe("a\0b", 3, "NUL");
	expect_unsafe(".", 1, "'.' or '..'");
	expect_unsafe("..", 2, "'.' or '..'");
	expect_unsafe("../etc", 6, "'/'");
	expect_unsafe("a/b", 3, "'/'");
	expect_unsafe("/", 1, "'/'");
	expect_unsafe("a b", 3, "outside");
	expect_unsafe("tab\t", 4, "outside");
	expect_unsafe("new\nline", 8, "outside");
	expect_unsafe("caf\xc3\xa9", 5, "outside");
	expect_unsafe("a\\b", 3, "outside");
	expect_unsafe("$(x)", 4, "outside");
	expect_unsafe("x*", 2, "outside");
	/* every byte outside [A-Za-z0-9._:-] is refused, alone or in the middle of an ID */
	for (int c = 1; c < 256; c++) {
		char s[4] = {'a', (char)c, 'b', '\0'};
		bool allowed = isalnum(c) && c < 128;

		allowed = allowed || c == '.' || c == '_' || c == '-' || c == ':';
		assert_int_equal(id_is_safe(s, 3, NULL), allowed);
		assert_int_equal(id_is_safe(s + 1, 1, NULL), allowed && c != '.');
	}
}

static void expect_invalid(const char *s, size_t len, const char *why_part)
{
	const char *why = NULL;

	assert_false(id_is_valid(s, len, &why));
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
	assert_false(id_is_valid(s, len, NULL));
}

/* Mesos's rule: refused only when empty, "." or "..", over 255 bytes, or with a control, '/' or '\'. */
static void test_valid_ids(void **state)
{
	/* the last one is a C1 control in UTF-8: bytes C2 9B, not iscntrl */
	static const char *const ok[] = {
		"a",	   "web server@1", "\xc3\xbc-1", "a%2Fb", "%",	      "...",
		".hidden", "$(x) *?",	   "a:b;c'd\"e", "~",	  "\xc2\x9b",
	};
	char big[ID_MAX_LEN + 2];
	const char *why = "untouched";

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_true(id_is_valid(ok[i], strlen(ok[i]), &why));
		assert_string_equal(why, "untouched");
	}
	memset(big, 'x', sizeof(big));
	assert_true(id_is_valid(big, ID_MAX_LEN, NULL));
	expect_invalid(big, ID_MAX_LEN + 1, "longer than 255");
	expect_invalid("", 0, "empty");
	expect_invalid(NULL, 3, "empty");
	expect_invalid(".", 1, "'.' or '..'");
	expect_invalid("..", 2, "'.' or '..'");
	expect_invalid("a/b", 3, "'/'");
	expect_invalid("a\\b", 3, "'\\'");
	expect_invalid("a\nb", 3, "control");
	expect_invalid("a\0b", 3, "control");
	expect_invalid("del\x7f", 4, "control");
	/* every byte alone and inside an ID: only C0, DEL, '/' and '\' are refused */
	for (int c = 1; c < 256; c++) {
		char s[3] = {'a', (char)c, 'b'};
		bool bad = c < 0x20 || c == 0x7f || c == '/' || c == '\\';

		assert_int_equal(id_is_valid(s, 3, NULL), !bad);
		assert_int_equal(id_is_valid(s + 1, 1, NULL), !bad && c != '.');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid_format_and_unique),
		cmocka_unit_test(test_safe_ids),
		cmocka_unit_test(test_unsafe_ids),
		cmocka_unit_test(test_valid_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
