// SPDX-License-Identifier: Apache-2.0
/* lib/conf: the option table behind every daemon's flags and environment variables. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf.h"

struct cfg {
	char *listen;
	int64_t interval;
	int64_t body;
	int64_t count;
	double weight;
	bool verbose;
	int mode;
};

static const char *const modes[] = {"strict", "best-effort", NULL};

static const struct conf_opt table[] = {
	{"listen", CONF_STRING, offsetof(struct cfg, listen), "127.0.0.1:5050", "HOST:PORT", "l"},
	{"interval", CONF_DURATION, offsetof(struct cfg, interval), "1s", NULL, "i", 1000, 3600000000000LL},
	{"max-body", CONF_SIZE, offsetof(struct cfg, body), "1MiB", NULL, "b", 1024, 1LL << 30},
	{"count", CONF_INT, offsetof(struct cfg, count), "5", NULL, "c", 1, 100},
	{"weight", CONF_DOUBLE, offsetof(struct cfg, weight), "1.0", NULL, "w", 0, 1000},
	{"verbose", CONF_BOOL, offsetof(struct cfg, verbose), "false", NULL, "v"},
	{"mode", CONF_ENUM, offsetof(struct cfg, mode), "strict", NULL, "m", 0, 0, modes},
	CONF_END,
};

static int parse(struct cfg *c, char *err, int argc, char **argv)
{
	int optind_ = 0;

	memset(c, 0, sizeof(*c));
	return conf_parse(table, c, "T", argc, argv, &optind_, err, 256);
}

static void test_defaults(void **state)
{
	char *argv[] = {"prog", NULL};
	char err[256];
	struct cfg c;

	assert_int_equal(parse(&c, err, 1, argv), CONF_OK);
	assert_string_equal(c.listen, "127.0.0.1:5050");
	assert_int_equal(c.interval, 1000000000LL);
	assert_int_equal(c.body, 1 << 20);
	assert_int_equal(c.count, 5);
	assert_false(c.verbose);
	assert_int_equal(c.mode, 0);
	conf_free(table, &c);
}

static void test_argv_forms(void **state)
{
	char *argv[] = {"prog", "--listen", "0.0.0.0:1", "--interval=250ms", "--max-body", "2KiB",
			"--verbose", "--mode", "best-effort", "--weight=2.5", "operand", NULL};
	char err[256];
	struct cfg c;
	int optind_;

	memset(&c, 0, sizeof(c));
	assert_int_equal(conf_parse(table, &c, "T", 11, argv, &optind_, err, sizeof(err)), CONF_OK);
	assert_string_equal(c.listen, "0.0.0.0:1");
	assert_int_equal(c.interval, 250000000LL);
	assert_int_equal(c.body, 2048);
	assert_true(c.verbose);
	assert_int_equal(c.mode, 1);
	assert_true(c.weight == 2.5);
	assert_int_equal(optind_, 10);
	conf_free(table, &c);
}

static void test_env_below_argv(void **state)
{
	char *argv[] = {"prog", "--count", "7", NULL};
	char *argv0[] = {"prog", NULL};
	char err[256];
	struct cfg c;

	setenv("T_COUNT", "9", 1);
	setenv("T_MAX_BODY", "4KiB", 1);
	assert_int_equal(parse(&c, err, 3, argv), CONF_OK);
	assert_int_equal(c.count, 7);
	assert_int_equal(c.body, 4096);
	conf_free(table, &c);
	assert_int_equal(parse(&c, err, 1, argv0), CONF_OK);
	assert_int_equal(c.count, 9);
	conf_free(table, &c);
	unsetenv("T_COUNT");
	unsetenv("T_MAX_BODY");
}

static void expect_error(const char *a1, const char *a2, const char *needle)
{
	char *argv[] = {"prog", (char *)a1, (char *)a2, NULL};
	char err[256] = "";
	struct cfg c;

	assert_int_equal(parse(&c, err, a2 ? 3 : 2, argv), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
	conf_free(table, &c);
}

static void test_bad_input(void **state)
{
	expect_error("--interval", "abc", "--interval");
	expect_error("--interval", "-1s", "not a duration");
	expect_error("--interval", "1 s", "not a duration");
	expect_error("--count", "0", "out of range");
	expect_error("--count", "101", "out of range");
	expect_error("--count", "5x", "not an integer");
	expect_error("--count", "", "needs a value");
	expect_error("--weight", "nan", "not a number");
	expect_error("--weight", "inf", "not a number");
	expect_error("--weight", "0x10", "not a number");
	expect_error("--max-body", "1PiB", "not a size");
	expect_error("--mode", "loose", "strict best-effort");
	expect_error("--verbose=maybe", NULL, "not a boolean");
	expect_error("--nope", NULL, "unknown option '--nope'");
	expect_error("-x", NULL, "unknown option '-x'");
	expect_error("--count", NULL, "needs a value");
}

static void test_env_error_names_variable(void **state)
{
	char *argv[] = {"prog", NULL};
	char err[256];
	struct cfg c;

	setenv("T_INTERVAL", "soon", 1);
	assert_int_equal(parse(&c, err, 1, argv), -EINVAL);
	assert_non_null(strstr(err, "$T_INTERVAL"));
	conf_free(table, &c);
	unsetenv("T_INTERVAL");
}

static void test_help_version(void **state)
{
	char *h[] = {"prog", "--count", "3", "--help", NULL};
	char *v[] = {"prog", "-V", NULL};
	char err[256];
	struct cfg c;

	assert_int_equal(parse(&c, err, 4, h), CONF_HELP);
	conf_free(table, &c);
	assert_int_equal(parse(&c, err, 2, v), CONF_VERSION);
	conf_free(table, &c);
}

static void test_format_roundtrip(void **state)
{
	char *argv[] = {"prog", "--interval", "1500ms", NULL};
	char err[256], buf[64];
	struct cfg c;

	assert_int_equal(parse(&c, err, 3, argv), CONF_OK);
	assert_string_equal(conf_format(&table[1], &c, buf, sizeof(buf)), "1500ms");
	assert_string_equal(conf_format(&table[2], &c, buf, sizeof(buf)), "1MiB");
	assert_string_equal(conf_format(&table[6], &c, buf, sizeof(buf)), "strict");
	conf_free(table, &c);
}

/* /flags: every option by name with its text form; an option with no value (an unset
 * string) is left out. */
static void test_to_json(void **state)
{
	char *argv[] = {"prog", "--interval", "1500ms", NULL};
	char err[256];
	struct cfg c;
	json_t *j;

	(void)state;
	assert_int_equal(parse(&c, err, 3, argv), CONF_OK);
	j = conf_to_json(table, &c);
	assert_string_equal(json_string_value(json_object_get(j, "interval")), "1500ms");
	assert_string_equal(json_string_value(json_object_get(j, "listen")), "127.0.0.1:5050");
	assert_string_equal(json_string_value(json_object_get(j, "mode")), "strict");
	assert_int_equal(json_object_size(j), 7);
	json_decref(j);
	free(c.listen);
	c.listen = NULL;
	j = conf_to_json(table, &c);
	assert_null(json_object_get(j, "listen"));
	assert_int_equal(json_object_size(j), 6);
	json_decref(j);
	conf_free(table, &c);
}

static void test_duration_units(void **state)
{
	int64_t ns;

	assert_int_equal(conf_parse_duration("2m", &ns), 0);
	assert_int_equal(ns, 120000000000LL);
	assert_int_equal(conf_parse_duration("0.5s", &ns), 0);
	assert_int_equal(ns, 500000000LL);
	assert_int_equal(conf_parse_duration("10us", &ns), 0);
	assert_int_equal(ns, 10000);
	assert_int_equal(conf_parse_duration("3", &ns), -EINVAL);
	assert_int_equal(conf_parse_duration("999999999999d", &ns), -ERANGE);
}

/*
 * --dump-flags: everything else still parsed (options after it too), then every option's
 * effective value, doubles exactly (once "%g": 123.456789 printed as 123.457).
 */
static void test_dump_flags(void **state)
{
	char *argv[] = {"prog", "--dump-flags", "--count", "7", "--weight=123.456789", NULL};
	char err[256] = "", *text = NULL;
	size_t len = 0;
	struct cfg c;
	FILE *f;

	assert_int_equal(parse(&c, err, 5, argv), CONF_DUMP_FLAGS);
	assert_int_equal(c.count, 7);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	conf_dump(f, table, &c);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(text, "listen=127.0.0.1:5050\ninterval=1s\nmax-body=1MiB\ncount=7\n"
				  "weight=123.456789\nverbose=false\nmode=strict\n");
	free(text);
	conf_free(table, &c);

	/* a bad value is still refused, not dumped */
	char *bad[] = {"prog", "--dump-flags", "--count", "0", NULL};
	assert_int_equal(parse(&c, err, 4, bad), -EINVAL);
	conf_free(table, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_argv_forms),
		cmocka_unit_test(test_env_below_argv),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_env_error_names_variable),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_dump_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
