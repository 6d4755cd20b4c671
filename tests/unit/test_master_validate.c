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
	expect_bad("{\"task_id\":{\"value\":\"a\\\\b\"}}", 0, "task_id.value' contains '\\'");
	expect_bad("{\"task_id\":{\"value\":\"a\\nb\"}}", 0, "contains a control character");
	expect_bad("{\"task_id\":{\"value\":\"a\\u007fb\"}}", 0, "contains a control character");
	/* jansson keeps the NUL when asked to; strlen() would see "a" */
	expect_bad("{\"task_id\":{\"value\":\"a\\u0000b\"}}", JSON_ALLOW_NUL, "contains a control");
	expect_bad("{\"task_id\":{\"value\":\"a\\u0000\"}}", JSON_ALLOW_NUL, "contains a control");
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

/*
 * Mesos's rule and nothing more: spaces, '@', '%', a leading '.', UTF-8 are valid IDs (the
 * agent names its paths through disk_name(), not from the ID).
 */
static void test_id_mesos_charset(void **state)
{
	static const char *const ok[] = {
		".hidden", "...", "web server@1", "a%2Fb", "\xc3\xbc-1", "$(x) *", "a.b.",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char err[WIRE_ERR_LEN] = "";
		json_t *j = json_pack("{s:{s:s}}", "task_id", "value", ok[i]);

		assert_non_null(j);
		assert_string_equal(master_get_id(j, "task_id", NULL, err, sizeof(err)), ok[i]);
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

	if (want && ((r != -EINVAL && r != -EDOM) || !strstr(err, want)))
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
			  "\"capabilities\":[{\"type\":\"PARTITION_AWARE\"},{\"type\":\"MULTI_ROLE\"}]},"
			  "\"suppressed_roles\":[\"eng/ml\"]}}",
			  0);

	assert_int_equal(master_parse_subscribe(j, &req, err, sizeof(err)), 0);
	assert_string_equal(req.id, "f-1");
	assert_string_equal(req.role, "eng/ml");
	assert_string_equal(req.principal, "p");
	assert_true(req.failover_s == 30.0);
	assert_true(req.has_tier);
	assert_int_equal(req.tier, -3);
	assert_true(req.partition_aware);
	assert_true(req.suppressed);
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

/* Mesos's role rules: a FrameworkInfo that parses but breaks them is -EDOM (an ERROR event) */
static void test_subscribe_roles(void **state)
{
	struct master_subscribe_req req;
	const char *multi = ",\"capabilities\":[{\"type\":\"MULTI_ROLE\"}]";
	const struct {
		const char *info, *err;
	} bad[] = {
		{"\"roles\":[\"a\"]", "field 'framework_info.roles' needs the MULTI_ROLE capability"},
		{"\"role\":\"a\",\"roles\":[\"a\"]M",
		 "field 'framework_info.role' must not be set with the MULTI_ROLE capability"},
		{"\"roles\":[]M", "must name at least one role"},
		{"M", "must name at least one role"},
		{"\"roles\":[\"a\",\"b/../c\"]M", "field 'framework_info.roles[1]': "},
		{"\"roles\":[\"a\",\"*\",\"a\"]M", "field 'framework_info.roles[2]': role 'a' appears twice"},
		{"\"roles\":[\"a\",\"a\"]M", "field 'framework_info.roles[1]': role 'a' appears twice"},
		{"\"roles\":[\"a/../b\"]M", "field 'framework_info.roles[0]': "},
		{"\"role\":\"a/../b\"", "field 'framework_info.role': "},
	};
	char json[512], err[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *m = strchr(bad[i].info, 'M');
		int len = m ? (int)(m - bad[i].info) : (int)strlen(bad[i].info);
		json_t *j;
		int r;

		snprintf(json, sizeof(json),
			 "{\"subscribe\":{\"framework_info\":{\"name\":\"n\"%s%.*s%s}}}",
			 len ? "," : "", len, bad[i].info, m ? multi : "");
		j = parse(json, 0);
		r = master_parse_subscribe(j, &req, err, sizeof(err));
		if (r != -EDOM || !strstr(err, bad[i].err))
			fail_msg("%s: got %d '%s', want -EDOM '%s'", json, r, err, bad[i].err);
		json_decref(j);
	}
	/* suppressed roles: only the framework's */
	subscribe("{\"subscribe\":{\"framework_info\":{\"name\":\"n\",\"role\":\"a\"},"
		  "\"suppressed_roles\":[\"b\"]}}",
		  &req, "field 'subscribe.suppressed_roles[0]': 'b' is not one of the framework's roles");
	subscribe("{\"subscribe\":{\"framework_info\":{\"name\":\"n\",\"role\":\"a\"},"
		  "\"suppressed_roles\":\"a\"}}",
		  &req, "field 'subscribe.suppressed_roles' must be an array");
	/* several roles (MULTI_ROLE): each one's, the first as req.role; suppressed_roles any of
	 * them, no other */
	{
		json_t *j = parse("{\"subscribe\":{\"framework_info\":{\"name\":\"n\","
				  "\"roles\":[\"a\",\"b/c\",\"*\"],\"capabilities\":[{\"type\":"
				  "\"MULTI_ROLE\"}]},\"suppressed_roles\":[\"*\",\"b/c\"]}}",
				  0);
		int r = master_parse_subscribe(j, &req, err, sizeof(err));

		if (r != 0)
			fail_msg("several roles refused: %s", err);
		assert_string_equal(req.role, "a");
		assert_int_equal(json_array_size(req.roles), 3);
		assert_true(req.suppressed);
		assert_true(master_subscribe_has_role(&req, "b/c"));
		assert_false(master_subscribe_has_role(&req, "b"));
		json_decref(j);
	}
	subscribe("{\"subscribe\":{\"framework_info\":{\"name\":\"n\",\"roles\":[\"a\",\"b\"],"
		  "\"capabilities\":[{\"type\":\"MULTI_ROLE\"}]},\"suppressed_roles\":[\"b\",\"c\"]}}",
		  &req, "field 'subscribe.suppressed_roles[1]': 'c' is not one of the framework's roles");
	/* a role given both ways without MULTI_ROLE: only "role" counts, "roles" must be empty */
	subscribe(SUB("{\"name\":\"n\",\"role\":\"a\",\"roles\":[]}"), &req, NULL);
	assert_false(req.suppressed);
	(void)state;
}

static void test_subscribe_bad(void **state)
{
	struct master_subscribe_req req;

	subscribe("{\"type\":\"SUBSCRIBE\"}", &req, "subscribe");
	subscribe("{\"subscribe\":{}}", &req, "framework_info");
	subscribe(SUB("{}"), &req, "name");
	subscribe(SUB("{\"name\":\"n\",\"role\":5}"), &req, "role");
	subscribe(SUB("{\"name\":\"n\",\"user\":[]}"), &req, "user");
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
	/* the environment: one shape for tasks and checks (lib/command_info.h) */
	task(TASK("\"command\":{\"value\":\"x\",\"environment\":{\"variables\":"
		  "[{\"name\":\"A\",\"value\":\"1\"}]}}," RES),
	     NULL);
	task(TASK("\"command\":{\"value\":\"x\",\"environment\":[]}," RES),
	     "field 'ti[0].command.environment' must be {\"variables\": [...]}");
	task(TASK("\"command\":{\"value\":\"x\",\"environment\":{\"variables\":"
		  "[{\"name\":\"A=B\",\"value\":\"1\"}]}}," RES),
	     "field 'ti[0].command.environment.variables[0]' must be {\"name\": N, \"value\": V}: "
	     "strings without NUL, N not empty, without '='");
	task(TASK("\"command\":{\"value\":\"x\",\"environment\":{\"variables\":"
		  "[{\"name\":\"A\"}]}}," RES),
	     "field 'ti[0].command.environment.variables[0]' must be {\"name\": N, \"value\": V}: "
	     "strings without NUL, N not empty, without '='");
	task(TASK("\"executor\":{\"executor_id\":{\"value\":\"e\"},\"command\":{\"value\":\"x\","
		  "\"environment\":{\"variables\":[{\"name\":\"S\",\"type\":\"SECRET\","
		  "\"secret\":{\"type\":\"VALUE\"}}]}}}," RES),
	     "field 'ti[0].executor.command.environment.variables[0]': only variables of type "
	     "VALUE are supported (secrets are not)");
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

/* TaskInfo.health_check: Mesos's rules; an absent type is inferred and written back */
static void test_task_health_check(void **state)
{
	char err[1024] = "";
	json_t *j;

	task(TASK(CMD "," RES ",\"health_check\":{\"type\":\"TCP\",\"tcp\":{\"port\":80}}"),
	     NULL);
	task(TASK(CMD "," RES ",\"health_check\":{\"type\":\"HTTP\"}"),
	     "field 'ti[0].health_check.http' is required for a HTTP health check (an object)");
	task(TASK(CMD "," RES ",\"health_check\":{\"http\":{\"port\":80,\"path\":\"x\"}}"),
	     "field 'ti[0].health_check.http.path' must be a string starting with '/'");
	task(TASK(CMD "," RES ",\"health_check\":{\"tcp\":{\"port\":80}}"),
	     "field 'ti[0].health_check.type' is required");
	task(TASK(CMD "," RES
		  ",\"health_check\":{\"command\":{\"value\":\"true\"},\"delay_seconds\":-1}"),
	     "field 'ti[0].health_check.delay_seconds' must be a number of seconds >= 0");

	j = parse(TASK(CMD "," RES ",\"health_check\":{\"http\":{\"port\":8080}}"), 0);
	assert_int_equal(master_validate_health_check(j, "ti[0]", err, sizeof(err)), 0);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "health_check"), "type")),
		"HTTP");
	json_decref(j);
	j = parse(TASK(CMD "," RES), 0); /* none: nothing to check */
	assert_int_equal(master_validate_health_check(j, "ti[0]", err, sizeof(err)), 0);
	json_decref(j);
}

/* TaskInfo fields that change how a task runs and that Drover does not do: refused by name */
static void test_task_info_unsupported(void **state)
{
	/* an executor instead of a command, not both (Mesos's rule) */
	task(TASK(CMD "," RES ",\"executor\":{}"),
	     "ti[0]: exactly one of 'command' and 'executor' must be set");
	task(TASK(CMD "," RES ",\"check\":{}"), "field 'ti[0].check': checks are not supported");
	task(TASK(CMD "," RES ",\"max_completion_time\":{\"nanoseconds\":1}"),
	     "field 'ti[0].max_completion_time': is not supported");
	task(TASK(CMD "," RES ",\"container\":{\"type\":\"DOCKER\"}"),
	     "field 'ti[0].container.type': only MESOS containers are supported");
	task(TASK(CMD "," RES ",\"container\":{\"type\":\"MESOS\",\"volumes\":[]}"),
	     "field 'ti[0].container.volumes' is not supported");
	task(TASK("\"command\":{\"value\":\"x\",\"uris\":[]}," RES),
	     "field 'ti[0].command.uris': fetching URIs is not supported");
	task(TASK(CMD ",\"resources\":[{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":"
		  "{\"value\":1},\"disk\":{\"persistence\":{\"id\":\"p\"}}}]"),
	     "field 'ti[0].resources[0].disk' is not supported");
	task(TASK(CMD ",\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":"
		  "{\"value\":1},\"revocable\":{}}]"),
	     "field 'ti[0].resources[0].revocable' is not supported");
	task(TASK(CMD ",\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":"
		  "{\"value\":1},\"role\":\"eng\"}]"),
	     "field 'ti[0].resources[0].role': reserved resources are not supported");
	task(TASK(CMD ",\"resources\":[{\"name\":\"gpus\",\"type\":\"SCALAR\",\"scalar\":"
		  "{\"value\":1.5}}]"),
	     "field 'ti[0].resources[0]': 'gpus' must be an unsigned integer");
	task(TASK(CMD "," RES ",\"kill_policy\":{\"grace_period\":{\"nanoseconds\":-1}}"),
	     "field 'ti[0].kill_policy.grace_period.nanoseconds' must not be negative");
	/* what Drover does or keeps: accepted */
	task(TASK(CMD "," RES ",\"container\":{\"type\":\"MESOS\"},\"labels\":{\"labels\":[]},"
		  "\"discovery\":{},\"data\":\"eA==\",\"kill_policy\":{\"grace_period\":"
		  "{\"nanoseconds\":5}},\"health_check\":{\"command\":{\"value\":\"true\"}}"),
	     NULL);
	task(TASK(CMD ",\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":"
		  "{\"value\":1},\"role\":\"*\"},{\"name\":\"gpus\",\"type\":\"SCALAR\","
		  "\"scalar\":{\"value\":2}}]"),
	     NULL);
}

/* what a protobuf parse needs (400) apart from what is judged (TASK_ERROR) */
static void test_task_info_parse(void **state)
{
	const char *ok[] = {TASK("\"x\":1"), TASK("\"command\":5"),
			    "{\"name\":\"t\",\"task_id\":{\"value\":\"a/b\"},"
			    "\"agent_id\":{\"value\":\"..\"}}"};
	const struct {
		const char *json, *err;
	} bad[] = {
		{"[]", "field 'ti' must be an object"},
		{"{\"name\":\"t\"}", "missing field 'ti.task_id'"},
		{"{\"name\":\"t\",\"task_id\":7}",
		 "field 'ti.task_id' must be an object {\"value\": string}"},
		{"{\"task_id\":{\"value\":\"x\"}}", "ti: missing field 'name'"},
		{"{\"name\":\"t\",\"task_id\":{\"value\":\"x\"}}", "missing field 'ti.agent_id'"},
	};
	char err[1024];
	const char *id;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_t *j = parse(ok[i], 0);
		if (master_task_info_parse(j, "ti", &id, err, sizeof(err)) != 0)
			fail_msg("%s: refused: %s", ok[i], err);
		json_decref(j);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = parse(bad[i].json, 0);
		int r = master_task_info_parse(j, "ti", &id, err, sizeof(err));
		if (r != -EINVAL || strcmp(err, bad[i].err) != 0)
			fail_msg("%s: got %d '%s', want '%s'", bad[i].json, r, err, bad[i].err);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_ok),
		cmocka_unit_test(test_id_bad),
		cmocka_unit_test(test_id_mesos_charset),
		cmocka_unit_test(test_call_lists),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_subscribe_ok),
		cmocka_unit_test(test_subscribe_bad),
		cmocka_unit_test(test_subscribe_roles),
		cmocka_unit_test(test_task_info),
		cmocka_unit_test(test_task_health_check),
		cmocka_unit_test(test_task_info_unsupported),
		cmocka_unit_test(test_task_info_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
