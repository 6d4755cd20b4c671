// SPDX-License-Identifier: Apache-2.0
/* masterd/validate: IDs, roles, weights, SUBSCRIBE calls and TaskInfos as callers send them. */
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

/* parse a SUBSCRIBE body; on failure err must contain want */
static int subscribe(const char *json, struct master_subscribe_req *req, const char *want)
{
	char err[1024] = "";
	json_t *j = parse(json, 0);
	int r = master_parse_subscribe(j, req, err, sizeof(err));

	if (want && (r != -EINVAL || !strstr(err, want)))
		fail_msg("%s: got %d '%s', want '%s'", json, r, err, want);
	if (!want && r != 0)
		fail_msg("%s: refused: %s", json, err);
	json_decref(j);
	return r;
}

#define SUB(info) "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":" info "}}"

/* issue 20: SUBSCRIBE's shape is checked apart from the master's state (and fuzzed) */
static void test_subscribe_ok(void **state)
{
	struct master_subscribe_req req;
	char err[1024];
	json_t *j = parse("{\"framework_id\":{\"value\":\"f-1\"},\"subscribe\":{\"framework_info\":"
			  "{\"name\":\"n\",\"id\":{\"value\":\"f-1\"},\"roles\":[\"eng/ml\"],"
			  "\"principal\":\"p\",\"failover_timeout\":30,\"tier\":-3,"
			  "\"capabilities\":[{\"type\":\"PARTITION_AWARE\"}]}}}",
			  0);

	assert_int_equal(master_parse_subscribe(j, &req, err, sizeof(err)), 0);
	assert_string_equal(req.id, "f-1");
	assert_string_equal(req.role, "eng/ml");
	assert_string_equal(req.principal, "p");
	assert_true(req.failover_s == 30.0);
	assert_true(req.has_tier);
	assert_int_equal(req.tier, -3);
	assert_true(req.partition_aware);
	assert_ptr_equal(req.info, json_object_get(json_object_get(j, "subscribe"), "framework_info"));
	json_decref(j);

	subscribe(SUB("{\"name\":\"n\",\"role\":\"\",\"principal\":5}"), &req, NULL);
	assert_null(req.id);
	assert_string_equal(req.role, "*");
	assert_null(req.principal);
	assert_false(req.has_tier);
	assert_false(req.partition_aware);
	assert_true(req.failover_s == 0.0);
}

static void test_subscribe_bad(void **state)
{
	struct master_subscribe_req req;

	subscribe("{\"type\":\"SUBSCRIBE\"}", &req, "subscribe");
	subscribe("{\"subscribe\":{}}", &req, "framework_info");
	subscribe(SUB("{}"), &req, "name");
	subscribe(SUB("{\"name\":\"n\",\"role\":5}"), &req, "role");
	subscribe(SUB("{\"name\":\"n\",\"user\":[]}"), &req, "user");
	subscribe(SUB("{\"name\":\"n\",\"roles\":[\"a\",\"b\"]}"), &req,
		  "field 'framework_info.roles' must be an array of one string (multi-role "
		  "frameworks are not supported)");
	subscribe(SUB("{\"name\":\"n\",\"roles\":[5]}"), &req, "framework_info.roles");
	subscribe(SUB("{\"name\":\"n\",\"role\":\"a/../b\"}"), &req, "field 'framework_info.role': ");
	subscribe(SUB("{\"name\":\"n\",\"failover_timeout\":-1}"), &req,
		  "field 'framework_info.failover_timeout' must not be negative");
	subscribe(SUB("{\"name\":\"n\",\"failover_timeout\":\"1\"}"), &req, "failover_timeout");
	subscribe(SUB("{\"name\":\"n\",\"tier\":1.5}"), &req,
		  "field 'framework_info.tier' must be an integer in [-1000, 1000]");
	subscribe(SUB("{\"name\":\"n\",\"tier\":1001}"), &req, "framework_info.tier");
	subscribe(SUB("{\"name\":\"n\",\"tier\":\"1\"}"), &req, "framework_info.tier");
	subscribe(SUB("{\"name\":\"n\",\"id\":{\"value\":\"../x\"}}"), &req,
		  "field 'subscribe.framework_info.id.value'");
	subscribe("{\"framework_id\":{\"value\":\"a\"},\"subscribe\":{\"framework_info\":"
		  "{\"name\":\"n\",\"id\":{\"value\":\"b\"}}}}",
		  &req, "field 'framework_id' differs from 'subscribe.framework_info.id'");
	/* a framework_id with no framework_info.id: a new framework cannot pick its ID */
	subscribe("{\"framework_id\":{\"value\":\"a\"},\"subscribe\":{\"framework_info\":"
		  "{\"name\":\"n\"}}}",
		  &req, "differs");
	subscribe("{\"framework_id\":\"a\",\"subscribe\":{\"framework_info\":"
		  "{\"name\":\"n\",\"id\":{\"value\":\"a\"}}}}",
		  &req, "field 'framework_id' must be an object");
}

#define TASK(rest)                                                                               \
	"{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"a1\"}," rest "}"
#define CMD "\"command\":{\"value\":\"true\"}"
#define RES "\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1}}]"

/* check one TaskInfo; on failure err must be want exactly (the wire's message) */
static int task(const char *json, const char *want)
{
	struct master_task_shape t = {.id = NULL};
	char err[1024] = "";
	json_t *j = parse(json, JSON_ALLOW_NUL);
	int r = master_validate_task_info(j, "ti[0]", &t, err, sizeof(err));

	if (want && (r != -EINVAL || strcmp(err, want) != 0))
		fail_msg("%s: got %d '%s', want '%s'", json, r, err, want);
	if (!want && r != 0)
		fail_msg("%s: refused: %s", json, err);
	if (r == 0) {
		assert_string_equal(t.id, "t1");
		assert_string_equal(t.agent_id, "a1");
		assert_false(alloc_res_is_empty(&t.res));
		alloc_res_clear(&t.res);
	}
	json_decref(j);
	return r;
}

/* issue 20: a TaskInfo's shape is checked apart from the master's state (and fuzzed) */
static void test_task_info(void **state)
{
	task(TASK(CMD "," RES), NULL);
	task(TASK("\"command\":{\"arguments\":[\"/bin/true\"],\"shell\":false}," RES
		  ",\"limits\":{\"cpus\":2,\"mem\":{\"value\":64}}"),
	     NULL);
	task("[]", "field 'ti[0]' must be an object");
	task("{\"name\":\"t\"}", "missing field 'ti[0].task_id'");
	task("{\"task_id\":{\"value\":\"t1\"}}", "ti[0]: missing field 'name'");
	task("{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"}}", "missing field 'ti[0].agent_id'");
	task(TASK(RES), "ti[0]: one of 'command' and 'executor' must be set");
	/* an executor instead of a command (Mesos's rules 10 and 11) */
	task(TASK("\"executor\":{\"executor_id\":{\"value\":\"e\"},\"command\":{\"value\":\"x\"}}," RES),
	     NULL);
	task(TASK(CMD ",\"executor\":{\"executor_id\":{\"value\":\"e\"}}," RES),
	     "ti[0]: exactly one of 'command' and 'executor' must be set");
	task(TASK("\"executor\":{\"executor_id\":{\"value\":\"e\"},\"type\":\"DEFAULT\"}," RES),
	     "field 'ti[0].executor.type' must be CUSTOM");
	task(TASK("\"executor\":{\"executor_id\":{\"value\":\"e\"}}," RES),
	     "missing field 'ti[0].executor.command'");
	task(TASK("\"executor\":{\"executor_id\":{\"value\":\"a/b\"},\"command\":{\"value\":\"x\"}}," RES),
	     "field 'ti[0].executor.executor_id.value' contains '/'");
	task(TASK("\"command\":5," RES), "ti[0]: field 'command' must be an object");
	task(TASK("\"command\":{\"value\":\"a\\u0000b\"}," RES),
	     "field 'ti[0].command.value' must be a string without NUL");
	task(TASK("\"command\":{\"value\":\"x\",\"shell\":1}," RES),
	     "field 'ti[0].command.shell' must be a boolean");
	task(TASK("\"command\":{\"arguments\":\"x\"}," RES),
	     "field 'ti[0].command.arguments' must be an array");
	task(TASK("\"command\":{\"arguments\":[\"x\",5]}," RES),
	     "field 'ti[0].command.arguments[1]' must be a string without NUL");
	task(TASK("\"command\":{\"arguments\":[]}," RES),
	     "field 'ti[0].command' needs 'value' or 'arguments'");
	task(TASK(CMD "," RES ",\"limits\":[]"), "field 'ti[0].limits' must be an object");
	task(TASK(CMD "," RES ",\"limits\":{\"mem\":0}"),
	     "field 'ti[0].limits.mem' must be a positive number");
	task(TASK(CMD "," RES ",\"limits\":{\"mem\":{\"value\":\"1\"}}"),
	     "field 'ti[0].limits.mem' must be a positive number");
	task(TASK(CMD), "missing field 'ti[0].resources'");
	task(TASK(CMD ",\"resources\":{}"),
	     "field 'ti[0].resources': resources must be a JSON array");
	task(TASK(CMD ",\"resources\":[]"), "field 'ti[0].resources' is empty");
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
		cmocka_unit_test(test_subscribe_ok),
		cmocka_unit_test(test_subscribe_bad),
		cmocka_unit_test(test_task_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
