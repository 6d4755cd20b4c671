// SPDX-License-Identifier: Apache-2.0
/* alloc/resources: parsing (text, JSON), printing, arithmetic, bad input. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "resources.h"

static struct alloc_res parse_ok(const char *s)
{
	struct alloc_res r = ALLOC_RES_INIT;
	char err[256] = "";
	int rc = alloc_res_parse(s, &r, err, sizeof(err));

	if (rc < 0)
		fail_msg("parse '%s': %s", s, err);
	return r;
}

static void assert_fmt(const struct alloc_res *r, const char *want)
{
	char buf[512];

	alloc_res_format(r, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_parse_and_format(void **state)
{
	struct alloc_res r = parse_ok(" mem:4096; cpus:4 ;ports:[33000-33100, 31000-32000];zones:{b,a}");

	assert_int_equal(r.n, 4);
	assert_int_equal(alloc_res_scalar(&r, "cpus"), 4000);
	assert_int_equal(alloc_res_scalar(&r, "mem"), 4096000);
	assert_fmt(&r, "cpus:4;mem:4096;ports:[31000-32000,33000-33100];zones:{a,b}");
	alloc_res_clear(&r);

	r = parse_ok("cpus:0.5;disk:0.125;gpus:0;x:[1-3,4-6,10-12,11-20]");
	/* zero scalars are dropped; touching ranges coalesce */
	assert_fmt(&r, "cpus:0.5;disk:0.125;x:[1-6,10-20]");
	alloc_res_clear(&r);

	r = parse_ok("");
	assert_true(alloc_res_is_empty(&r));
	alloc_res_clear(&r);
}

static void test_fixed_point(void **state)
{
	struct alloc_res a = parse_ok("cpus:0.1"), b = parse_ok("cpus:0.2"), c = parse_ok("cpus:0.3");

	assert_int_equal(alloc_res_add(&a, &b), 0);
	assert_true(alloc_res_equal(&a, &c));
	assert_fmt(&a, "cpus:0.3");
	assert_int_equal(alloc_res_sub(&a, &c), 0);
	assert_true(alloc_res_is_empty(&a));
	alloc_res_clear(&a);
	alloc_res_clear(&b);
	alloc_res_clear(&c);
	a = parse_ok("cpus:0.0004;mem:1.0005");
	assert_fmt(&a, "mem:1.001"); /* rounded to 3 decimals; 0.0004 rounds to 0 */
	alloc_res_clear(&a);
}

static void expect_bad(const char *text, const char *needle)
{
	struct alloc_res r = ALLOC_RES_INIT;
	char err[256] = "";

	assert_int_equal(alloc_res_parse(text, &r, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("'%s': message '%s' lacks '%s'", text, err, needle);
	assert_true(alloc_res_is_empty(&r));
}

static void test_bad_text(void **state)
{
	expect_bad("cpus:-1", "negative");
	expect_bad("cpus:abc", "not a number");
	expect_bad("ports:[5-3]", "begin > end");
	expect_bad("cpus:1;cpus:2", "duplicate resource 'cpus'");
	expect_bad("cpus:nan", "NaN");
	expect_bad("cpus:inf", "infinite");
	expect_bad("cpus:1e300", "too large");
	expect_bad("ports:[1-99999999999999999999999]", "overflow");
	expect_bad("ports:[1-2", "expected");
	expect_bad("cpus", "name:value");
	expect_bad("cpus:", "missing value");
	expect_bad("cpus:1x", "trailing");
	expect_bad("c pus:1", "bad character");
	expect_bad("s:{a,a}", "duplicate set item");
	expect_bad("s:{a,}", "empty set item");
}

static void test_json_roundtrip(void **state)
{
	struct alloc_res r = parse_ok("cpus:2.5;mem:128;ports:[1-2,5-9];zones:{x,y}"), back = ALLOC_RES_INIT;
	json_t *j = alloc_res_to_json(&r);
	char err[256];

	assert_non_null(j);
	assert_int_equal(json_array_size(j), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "type")),
			    "SCALAR");
	assert_int_equal(alloc_res_from_json(j, &back, err, sizeof(err)), 0);
	assert_true(alloc_res_equal(&r, &back));
	json_decref(j);
	alloc_res_clear(&r);
	alloc_res_clear(&back);
}

static void expect_bad_json(const char *text, const char *needle)
{
	struct alloc_res r = ALLOC_RES_INIT;
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
	char err[256] = "";

	assert_non_null(j);
	assert_int_equal(alloc_res_from_json(j, &r, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("'%s': message '%s' lacks '%s'", text, err, needle);
	json_decref(j);
}

static void test_bad_json(void **state)
{
	expect_bad_json("{}", "array");
	expect_bad_json("[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":-1}}]",
			"negative");
	expect_bad_json("[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":\"a\"}}]",
			"scalar.value");
	/* jansson cannot hold NaN or inf; the text form's tests cover them */
	expect_bad_json("[{\"name\":\"p\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":5,\"end\":3}]}}]",
			"begin > end");
	expect_bad_json("[{\"name\":\"p\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":-5,\"end\":3}]}}]",
			"begin");
	expect_bad_json("[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1}},"
			"{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1}}]",
			"duplicate");
	expect_bad_json("[{\"name\":\"x\",\"type\":\"TEXT\"}]", "unknown type");
	expect_bad_json("[{\"type\":\"SCALAR\"}]", "name");
}

static void test_ranges_arith(void **state)
{
	struct alloc_res a = parse_ok("ports:[31000-32000]"), b = parse_ok("ports:[31000-31009,31500-31500]"),
			 i = ALLOC_RES_INIT, big = parse_ok("ports:[0-18446744073709551615]");

	assert_true(alloc_res_contains(&a, &b));
	assert_false(alloc_res_contains(&b, &a));
	assert_int_equal(alloc_res_sub(&a, &b), 0);
	assert_fmt(&a, "ports:[31010-31499,31501-32000]");
	assert_false(alloc_res_contains(&a, &b));
	assert_int_equal(alloc_res_intersect(&a, &b, &i), 0);
	assert_true(alloc_res_is_empty(&i));
	assert_int_equal(alloc_res_add(&a, &b), 0);
	assert_fmt(&a, "ports:[31000-32000]");
	assert_true(alloc_res_contains(&big, &a));
	assert_int_equal(alloc_res_sub(&big, &big), 0);
	assert_true(alloc_res_is_empty(&big));
	alloc_res_clear(&a);
	alloc_res_clear(&b);
	alloc_res_clear(&i);
	alloc_res_clear(&big);
}

static void test_mixed_arith(void **state)
{
	struct alloc_res a = parse_ok("cpus:4;mem:1024;zones:{a,b,c}"), b = parse_ok("cpus:1;zones:{b}"),
			 c = parse_ok("cpus:5;disk:1"), i = ALLOC_RES_INIT;

	assert_true(alloc_res_contains(&a, &b));
	assert_false(alloc_res_contains(&a, &c));
	assert_int_equal(alloc_res_intersect(&a, &c, &i), 0);
	assert_fmt(&i, "cpus:4");
	assert_int_equal(alloc_res_sub(&a, &c), 0); /* saturating */
	assert_fmt(&a, "mem:1024;zones:{a,b,c}");
	assert_int_equal(alloc_res_sub(&a, &b), 0);
	assert_fmt(&a, "mem:1024;zones:{a,c}");
	assert_int_equal(alloc_res_set_scalar(&a, "cpus", 1500), 0);
	assert_fmt(&a, "cpus:1.5;mem:1024;zones:{a,c}");
	alloc_res_only_scalars(&a);
	assert_fmt(&a, "cpus:1.5;mem:1024");
	/* a type clash is an error, not a silent mix */
	alloc_res_clear(&b);
	b = parse_ok("mem:[1-2]");
	assert_int_equal(alloc_res_add(&a, &b), -EINVAL);
	alloc_res_clear(&a);
	alloc_res_clear(&b);
	alloc_res_clear(&c);
	alloc_res_clear(&i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_format),
		cmocka_unit_test(test_fixed_point),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_ranges_arith),
		cmocka_unit_test(test_mixed_arith),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
