// SPDX-License-Identifier: Apache-2.0
/* masterd/validate: IDs, roles and weights as callers send them. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "masterd/validate.h"

static json_t *parse(const char *s, size_t flags)
{
	json_t *j = json_loads(s, flags, NULL);

	assert_non_null(j);
	return j;
}

static void test_id_ok(void **state)
{
	char err[WIRE_ERR_LEN] = "";
	json_t *j = parse("{\"task_id\":{\"value\":\"web-1.a_b:c\"}}", 0);

	assert_string_equal(master_get_id(j, "task_id", NULL, err, sizeof(err)), "web-1.a_b:c");
	json_decref(j);
}

static void expect_bad(const char *json, size_t flags, const char *want)
{
	char err[WIRE_ERR_LEN] = "";
	json_t *j = parse(json, flags);

	assert_null(master_get_id(j, "task_id", "accept.task_infos[0]", err, sizeof(err)));
	if (!strstr(err, want))
		fail_msg("'%s' does not contain '%s'", err, want);
	json_decref(j);
}

static void test_id_bad(void **state)
{
	char long_id[300], json[400];

	expect_bad("{}", 0, "missing field 'accept.task_infos[0].task_id'");
	expect_bad("{\"task_id\":\"x\"}", 0, "'accept.task_infos[0].task_id' must be an object");
	expect_bad("{\"task_id\":{\"value\":5}}", 0, "must be an object");
	expect_bad("{\"task_id\":{\"value\":\"..\"}}", 0, "task_id.value' is '.' or '..'");
	expect_bad("{\"task_id\":{\"value\":\".\"}}", 0, "is '.' or '..'");
	expect_bad("{\"task_id\":{\"value\":\"a/b\"}}", 0, "contains '/'");
	expect_bad("{\"task_id\":{\"value\":\"\"}}", 0, "is empty");
	expect_bad("{\"task_id\":{\"value\":\"a b\"}}", 0, "outside [A-Za-z0-9._:-]");
	/* jansson keeps the NUL when asked to; strlen() would see "a" */
	expect_bad("{\"task_id\":{\"value\":\"a\\u0000b\"}}", JSON_ALLOW_NUL, "contains a NUL byte");
	expect_bad("{\"task_id\":{\"value\":\"a\\u0000\"}}", JSON_ALLOW_NUL, "contains a NUL byte");
	memset(long_id, 'a', 256);
	long_id[256] = '\0';
	snprintf(json, sizeof(json), "{\"task_id\":{\"value\":\"%s\"}}", long_id);
	expect_bad(json, 0, "longer than 255 bytes");
	long_id[255] = '\0';
	snprintf(json, sizeof(json), "{\"task_id\":{\"value\":\"%s\"}}", long_id);
	{
		char err[WIRE_ERR_LEN];
		json_t *j = parse(json, 0);
		assert_non_null(master_get_id(j, "task_id", NULL, err, sizeof(err)));
		json_decref(j);
	}
}

/* issue 17 item 11: an agent's recovery skips hidden names, so the master takes none */
static void test_id_leading_dot(void **state)
{
	expect_bad("{\"task_id\":{\"value\":\".hidden\"}}", 0,
		   "'accept.task_infos[0].task_id.value' starts with '.'");
	expect_bad("{\"task_id\":{\"value\":\"...\"}}", 0, "starts with '.'");
	{
		char err[WIRE_ERR_LEN];
		json_t *j = parse("{\"task_id\":{\"value\":\"a.b.\"}}", 0);
		assert_string_equal(master_get_id(j, "task_id", NULL, err, sizeof(err)), "a.b.");
		json_decref(j);
	}
}

/* issue 17 item 5: every list anywhere in a call is capped */
static void test_call_lists(void **state)
{
	char err[WIRE_ERR_LEN] = "";
	json_t *j = parse("{\"type\":\"RECONCILE\",\"reconcile\":{\"tasks\":[1,2,3]}}", 0);
	json_t *deep = parse("{\"accept\":{\"operations\":[{\"launch\":{\"task_infos\":[{"
			     "\"resources\":[{\"ranges\":{\"range\":[1,2,3,4]}}]}]}}]}}", 0);
	json_t *top = parse("[1,2,3]", 0);

	assert_true(master_call_lists_ok(j, 3, err, sizeof(err)));
	assert_false(master_call_lists_ok(j, 2, err, sizeof(err)));
	assert_string_equal(err, "field 'reconcile.tasks' has 3 entries, more than the 2 allowed");
	assert_true(master_call_lists_ok(deep, 4, err, sizeof(err)));
	assert_false(master_call_lists_ok(deep, 3, err, sizeof(err)));
	assert_string_equal(err, "field 'accept.operations[0].launch.task_infos[0].resources[0]."
				 "ranges.range' has 4 entries, more than the 3 allowed");
	assert_false(master_call_lists_ok(top, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "(body)"));
	json_decref(j);
	json_decref(deep);
	json_decref(top);
}

static void test_roles(void **state)
{
	char err[WIRE_ERR_LEN];

	assert_true(master_role_is_valid("*", err, sizeof(err)));
	assert_true(master_role_is_valid("eng", err, sizeof(err)));
	assert_true(master_role_is_valid("eng/ml/gpu", err, sizeof(err)));
	assert_false(master_role_is_valid("", err, sizeof(err)));
	assert_false(master_role_is_valid("/eng", err, sizeof(err)));
	assert_false(master_role_is_valid("eng/", err, sizeof(err)));
	assert_false(master_role_is_valid("eng//ml", err, sizeof(err)));
	assert_false(master_role_is_valid("eng/../x", err, sizeof(err)));
	assert_false(master_role_is_valid("eng/*", err, sizeof(err)));
}

struct seen {
	int n;
	char roles[4][16];
	double w[4];
};

static void on_weight(void *opaque, const char *role, double w)
{
	struct seen *s = opaque;

	snprintf(s->roles[s->n], sizeof(s->roles[0]), "%s", role);
	s->w[s->n++] = w;
}

static int weights(const char *json, struct seen *s, char *err)
{
	json_t *j = parse(json, 0);
	int r;

	memset(s, 0, sizeof(*s));
	r = master_parse_weights(j, "w", on_weight, s, err, WIRE_ERR_LEN);
	json_decref(j);
	return r;
}

static void test_weights(void **state)
{
	char err[WIRE_ERR_LEN];
	struct seen s;

	assert_int_equal(weights("[{\"role\":\"eng\",\"weight\":3},{\"role\":\"ops\",\"weight\":0.5}]",
				 &s, err),
			 2);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.roles[1], "ops");
	assert_true(s.w[0] == 3.0);
	/* nothing applied when one entry is bad */
	assert_int_equal(weights("[{\"role\":\"eng\",\"weight\":3},{\"role\":\"ops\",\"weight\":0}]",
				 &s, err),
			 -EINVAL);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(err, "w[1].weight"));
	assert_int_equal(weights("[{\"role\":\"eng\",\"weight\":-1}]", &s, err), -EINVAL);
	assert_int_equal(weights("[{\"role\":\"eng\",\"weight\":\"2\"}]", &s, err), -EINVAL);
	assert_int_equal(weights("[{\"role\":\"eng\",\"weight\":1e9}]", &s, err), -EINVAL);
	assert_int_equal(weights("[{\"role\":\"a/..\",\"weight\":1}]", &s, err), -EINVAL);
	assert_non_null(strstr(err, "w[0].role"));
	assert_int_equal(weights("[{\"role\":\"x\",\"weight\":1},{\"role\":\"x\",\"weight\":2}]", &s,
				 err),
			 -EINVAL);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(weights("{}", &s, err), -EINVAL);
	assert_int_equal(weights("[5]", &s, err), -EINVAL);
	assert_int_equal(weights("[]", &s, err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_ok),
		cmocka_unit_test(test_id_bad),
		cmocka_unit_test(test_id_leading_dot),
		cmocka_unit_test(test_call_lists),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_weights),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
