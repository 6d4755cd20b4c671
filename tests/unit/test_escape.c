// SPDX-License-Identifier: Apache-2.0
/*
 * lib/escape: control characters from the wire shown as text (terminal, log line), JSON
 * replies escaped string by string and key by key, Prometheus label values, cut buffers; and
 * the logger escapes the line it writes.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "escape.h"
#include "log.h"

static void expect_ctrl(const char *in, size_t n, unsigned flags, const char *want)
{
	char buf[256];

	assert_int_equal(escape_ctrl(in, n, flags, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(escape_ctrl_needed(in, n, flags), strcmp(in, want) != 0 || n != strlen(in));
}

static void test_ctrl(void **state)
{
	expect_ctrl("plain name", 10, 0, "plain name");
	expect_ctrl("a\033[31mred\nfake line", 19, 0, "a\\x1b[31mred\\nfake line");
	expect_ctrl("cr\r tab\t del\x7f", 13, 0, "cr\\r tab\\t del\\x7f");
	/* a NUL inside the bytes is shown too */
	expect_ctrl("a\0b", 3, 0, "a\\x00b");
	/* UTF-8 is kept; the C1 controls (U+009B: 8-bit CSI) are not */
	expect_ctrl("caf\xc3\xa9 \xc2\x9b" "2J", 10, 0, "caf\xc3\xa9 \\xc2\\x9b2J");
	/* a lone 0xc2 at the end, backslashes: as they are */
	expect_ctrl("x\xc2", 2, 0, "x\xc2");
	expect_ctrl("a\\x1b", 5, 0, "a\\x1b");
	/* a block of lines keeps its newlines and tabs, not the rest */
	expect_ctrl("l1\tv\nl2\033\n", 9, ESCAPE_KEEP_NL, "l1\tv\nl2\\x1b\n");
}

static void test_ctrl_cut(void **state)
{
	char buf[8];
	char *d;

	/* cut at a whole escape; the return value is the whole length */
	assert_int_equal(escape_ctrl("abcde\033", 6, 0, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "abcde");
	assert_int_equal(escape_ctrl("abc", 3, 0, buf, 4), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(escape_ctrl("abc", 3, 0, NULL, 0), 3);
	d = escape_ctrl_dup("\n\n", 0);
	assert_string_equal(d, "\\n\\n");
	free(d);
}

static void test_json(void **state)
{
	json_t *v = json_pack("{s:s, s:[s, i, {s:s}], s:s}", "name", "evil\033[2J\n", "list",
			      "x\ry", 7, "k\033", "v", "ok", "fine");
	char *dump;

	assert_non_null(v);
	assert_int_equal(escape_json_strings(v), 0);
	dump = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(dump, "{\"list\":[\"x\\\\ry\",7,{\"k\\\\x1b\":\"v\"}],"
				  "\"name\":\"evil\\\\x1b[2J\\\\n\",\"ok\":\"fine\"}");
	free(dump);
	json_decref(v);
	/* a string with a NUL in it */
	v = json_pack("[s#]", "a\0b", (int)3);
	assert_int_equal(escape_json_strings(v), 0);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "a\\x00b");
	json_decref(v);
}

static void test_prom_label(void **state)
{
	char buf[64];

	assert_int_equal(escape_prom_label("a\\b\"c\nd", buf, sizeof(buf)), 10);
	assert_string_equal(buf, "a\\\\b\\\"c\\nd");
	assert_int_equal(escape_prom_label("plain", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "plain");
	/* cut at a whole escape */
	assert_int_equal(escape_prom_label("ab\"", buf, 4), 4);
	assert_string_equal(buf, "ab");
}

/* The logger writes one line whatever the message holds. */
static void test_log_line(void **state)
{
	char path[] = "/tmp/drover-test-escape.XXXXXX", line[512];
	int fd = mkstemp(path), saved = dup(2);
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	log_info("framework '%s' subscribed", "evil\033[31m\nfake: line");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "framework 'evil\\x1b[31m\\nfake: line' subscribed\n"));
	assert_null(fgets(line, sizeof(line), f)); /* and nothing after it */
	fclose(f);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctrl),
		cmocka_unit_test(test_ctrl_cut),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_prom_label),
		cmocka_unit_test(test_log_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
