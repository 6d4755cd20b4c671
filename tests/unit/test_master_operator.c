// SPDX-License-Identifier: Apache-2.0
/*
 * masterd/operator_state.c and quota.c: the operator API's replies are Mesos's
 * Response messages (each one encodes to protobuf through the schema in proto/, which
 * refuses any required field left unset or of the wrong type), for a master holding an
 * agent, a framework and a task; GET_METRICS uses Mesos's metric names; UPDATE_QUOTA's
 * QuotaConfig is checked as Mesos checks it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"
#include "masterd/leader.h"
#include "masterd/master.h"
#include "masterd/operator.h"
#include "mesos/v1/master/master.pb-c.h"
#include "pbjson.h"

static struct master_flags flags;
static struct master M;

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j)
		fail_msg("bad JSON in the test: %s: %s", e.text, s);
	return j;
}

/* A master with one agent, one framework (role "eng") and one running task on the agent. */
static int setup(void **state)
{
	char *args[] = {"test", "--registry=sqlite::memory:", "--listen=127.0.0.1:0",
			"--log-level=error", NULL};
	char err[256];
	struct agent *a;
	struct framework *fw;
	struct task *t;
	int first;

	(void)state;
	if (conf_parse(master_flag_table, &flags, "DROVER_TEST_", 4, args, &first, err,
		       sizeof(err)) != CONF_OK)
		fail_msg("flags: %s", err);
	log_max_level = LOG_ERR;
	if (master_init(&M, &flags) < 0)
		fail_msg("master_init failed");

	a = calloc(1, sizeof(*a));
	a->id = strdup("agent-1");
	a->hostname = strdup("host-1");
	a->info = parse("{\"hostname\":\"host-1\",\"resources\":[]}");
	if (alloc_res_parse("cpus:4;mem:4096", &a->total, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	strmap_init(&a->tasks);
	strmap_init(&a->offers);
	strmap_init(&a->killing);
	a->connected = a->reachable = true;
	strmap_put(&M.agents, a->id, a, NULL);
	master_alloc_agent_add(&M, a);

	fw = calloc(1, sizeof(*fw));
	fw->id = strdup("fw-1");
	fw->role = strdup("eng");
	master_framework_set_roles(fw, (const char *[]){"eng"}, 1);
	fw->info = parse("{\"user\":\"u\",\"name\":\"n\",\"id\":{\"value\":\"fw-1\"}}");
	strmap_init(&fw->tasks);
	strmap_init(&fw->offers);
	fw->connected = true;
	strmap_put(&M.frameworks, fw->id, fw, NULL);
	master_alloc_framework_add(&M, fw);

	t = calloc(1, sizeof(*t));
	t->id = strdup("task-1");
	t->fw = fw;
	t->fw_id = strdup(fw->id);
	t->agent_id = strdup(a->id);
	t->name = strdup("t");
	t->state = TASK_RUNNING;
	alloc_res_parse("cpus:1;mem:128", &t->res, err, sizeof(err));
	t->status = master_status(t, TASK_RUNNING, NULL, NULL);
	strmap_put(&fw->tasks, t->id, t, NULL);
	master_agent_task_add(a, t);
	master_alloc_used(&M, a, fw, NULL, &t->res);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	master_fini(&M);
	return 0;
}

/* {"type": type, key: payload} encodes as a mesos.v1.master.Response. */
static void check_response(const char *type, json_t *payload)
{
	char key[64], err[PBJSON_ERR_LEN] = "";
	uint8_t *buf = NULL;
	size_t len = 0, i;
	json_t *resp;
	int r;

	for (i = 0; type[i] && i < sizeof(key) - 1; i++)
		key[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
	key[i] = '\0';
	assert_non_null(payload);
	resp = json_pack("{s:s,s:o}", "type", type, key, payload);
	r = pbjson_encode(&mesos__v1__master__response__descriptor, resp, 0, &buf, &len, err,
			  sizeof(err));
	if (r < 0)
		fail_msg("%s does not encode as a Response: %s", type, err);
	assert_true(len > 0);
	free(buf);
	json_decref(resp);
}

static void test_responses_encode(void **state)
{
	(void)state;
	check_response("GET_AGENTS", master_state_agents(&M));
	check_response("GET_FRAMEWORKS", master_state_frameworks(&M, NULL));
	check_response("GET_TASKS", master_state_tasks(&M, NULL));
	check_response("GET_EXECUTORS", master_state_executors(&M, NULL));
	check_response("GET_ROLES", master_state_roles(&M, NULL));
	check_response("GET_STATE", master_state_get_state(&M, NULL));
	check_response("GET_QUOTA", master_quota_get(&M));
	check_response("GET_MASTER", master_leader_get_master(&M));
}

/* the fields Mesos always sets, and Mesos's meaning of them */
static void test_state_fields(void **state)
{
	json_t *st = master_state_get_state(&M, NULL);
	json_t *ag =
		json_array_get(json_object_get(json_object_get(st, "get_agents"), "agents"), 0);
	json_t *fw = json_array_get(
		json_object_get(json_object_get(st, "get_frameworks"), "frameworks"), 0);
	json_t *tk = json_array_get(json_object_get(json_object_get(st, "get_tasks"), "tasks"), 0);

	(void)state;
	assert_non_null(ag);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(ag, "agent_info"), "id"), "value")),
		"agent-1");
	assert_true(json_is_string(json_object_get(ag, "version")));
	assert_true(json_is_true(json_object_get(ag, "active")));
	/* allocated: what the task holds */
	assert_true(json_is_array(json_object_get(ag, "allocated_resources")));
	assert_true(json_array_size(json_object_get(ag, "allocated_resources")) > 0);
	assert_non_null(fw);
	assert_true(json_is_true(json_object_get(fw, "active")));
	assert_true(json_is_true(json_object_get(fw, "connected")));
	assert_true(json_is_false(json_object_get(fw, "recovered")));
	assert_non_null(tk);
	assert_string_equal(json_string_value(json_object_get(tk, "state")), "TASK_RUNNING");
	assert_true(
		json_is_array(json_object_get(json_object_get(st, "get_executors"), "executors")));
	json_decref(st);
}

/* A framework without user, an unreachable task, a removed framework: still Mesos's messages. */
static void test_required_fields_real_data(void **state)
{
	struct framework *fw = calloc(1, sizeof(*fw));
	struct task *t = calloc(1, sizeof(*t));
	struct agent *a = strmap_get(&M.agents, "agent-1");
	char err[256];
	json_t *j, *c, *ev;
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	fw->id = strdup("fw-nouser");
	fw->role = strdup("ops");
	fw->info = parse("{\"name\":\"n\",\"id\":{\"value\":\"fw-nouser\"},"
			 "\"capabilities\":[{\"type\":\"PARTITION_AWARE\"}]}");
	fw->partition_aware = true;
	strmap_init(&fw->tasks);
	strmap_init(&fw->offers);
	strmap_put(&M.frameworks, fw->id, fw, NULL);
	master_alloc_framework_add(&M, fw);
	t->id = strdup("task-u");
	t->fw = fw;
	t->fw_id = strdup(fw->id);
	t->agent_id = strdup(a->id);
	t->state = TASK_UNREACHABLE;
	alloc_res_parse("cpus:1", &t->res, err, sizeof(err));
	t->status = master_status(t, TASK_UNREACHABLE, "REASON_AGENT_REMOVED", "gone");
	strmap_put(&fw->tasks, t->id, t, NULL);
	master_agent_task_add(a, t);
	a->version = strdup("0.1.0");
	a->registered_real_ns = 1700000000000000000LL;
	a->url = master_agent_url_json("host-1", "127.0.0.1", 5051);

	/* the framework's FrameworkInfo has no user: "" in every view, not a 406 */
	check_response("GET_FRAMEWORKS", master_state_frameworks(&M, NULL));
	check_response("GET_STATE", master_state_get_state(&M, NULL));
	j = master_state_frameworks(&M, NULL);
	json_array_foreach(json_object_get(j, "frameworks"), len, c)
		assert_true(json_is_string(
			json_object_get(json_object_get(c, "framework_info"), "user")));
	json_decref(j);
	/* the agent's version, pid and registration time */
	j = master_state_agent(&M, a);
	assert_string_equal(json_string_value(json_object_get(j, "version")), "0.1.0");
	assert_string_equal(json_string_value(json_object_get(j, "pid")),
			    "slave(1)@127.0.0.1:5051");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "registered_time"),
							    "nanoseconds")),
			 1700000000000000000LL);
	json_decref(j);
	/* an unreachable task is in unreachable_tasks, not in tasks */
	j = master_state_tasks(&M, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "unreachable_tasks")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "tasks")), 1);
	check_response("GET_TASKS", j);

	/* removed: in completed_frameworks (bounded), its FRAMEWORK_REMOVED encodes */
	flags.max_completed_frameworks = 1;
	master_state_framework_completed(&M, fw);
	master_state_framework_completed(&M, fw);
	j = master_state_frameworks(&M, NULL);
	c = json_array_get(json_object_get(j, "completed_frameworks"), 0);
	assert_int_equal(json_array_size(json_object_get(j, "completed_frameworks")), 1);
	assert_true(json_is_false(json_object_get(c, "active")));
	assert_non_null(json_object_get(c, "unregistered_time"));
	check_response("GET_FRAMEWORKS", j);
	ev = wire_event("FRAMEWORK_REMOVED", "framework_removed",
			json_pack("{s:o}", "framework_info", master_framework_info_view(fw->info)));
	if (pbjson_encode(&mesos__v1__master__event__descriptor, ev, 0, &buf, &len, err,
			  sizeof(err)) < 0)
		fail_msg("FRAMEWORK_REMOVED does not encode: %s", err);
	free(buf);
	json_decref(ev);
}

/* The registry's GC of gone agents: past the age, and the oldest past the count, go. */
static void test_gone_agents_gc(void **state)
{
	(void)state;
	json_object_set_new(M.gone_agents, "g-old", json_real(1000));
	json_object_set_new(M.gone_agents, "g-mid", json_real(5000));
	json_object_set_new(M.gone_agents, "g-new", json_real(9000));
	json_object_set_new(M.gone_agents, "g-newer", json_real(9500));
	flags.registry_max_agent_age_ns = 5000LL * 1000000000; /* at 10000: before 5000 goes */
	flags.registry_max_agent_count = 2;
	master_agents_gone_gc(&M, 10000);
	assert_int_equal(json_object_size(M.gone_agents), 2);
	assert_non_null(json_object_get(M.gone_agents, "g-new"));
	assert_non_null(json_object_get(M.gone_agents, "g-newer"));
	flags.registry_max_agent_count = 0; /* none kept */
	master_agents_gone_gc(&M, 10000);
	assert_int_equal(json_object_size(M.gone_agents), 0);
}

static double metric(json_t *snap, const char *name)
{
	json_t *v = json_object_get(snap, name);

	if (!json_is_number(v))
		fail_msg("metric '%s' is missing", name);
	return json_number_value(v);
}

static void test_metrics_mesos_names(void **state)
{
	json_t *snap = master_metrics_snapshot(&M);

	(void)state;
	assert_true(metric(snap, "master/elected") == 1);
	assert_true(metric(snap, "master/cpus_total") == 4);
	assert_true(metric(snap, "master/cpus_used") == 1);
	assert_true(metric(snap, "master/cpus_percent") == 0.25);
	assert_true(metric(snap, "master/mem_total") == 4096);
	assert_true(metric(snap, "master/tasks_running") == 1);
	assert_true(metric(snap, "master/tasks_finished") == 0);
	assert_true(metric(snap, "master/slaves_active") == 1);
	assert_true(metric(snap, "master/frameworks_connected") == 1);
	assert_true(metric(snap, "master/operator_event_stream_subscribers") == 0);
	assert_true(metric(snap, "master/outstanding_offers") == 0);
	json_decref(snap);
}

static int quota_parse(const char *text, char *err, size_t errlen)
{
	struct alloc_res g = ALLOC_RES_INIT, l = ALLOC_RES_INIT;
	json_t *c = parse(text);
	int r = master_quota_parse(c, "q", &g, &l, err, errlen);

	alloc_res_clear(&g);
	alloc_res_clear(&l);
	json_decref(c);
	return r;
}

static void test_quota_parse(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(
		quota_parse("{\"role\":\"eng\",\"guarantees\":{\"cpus\":{\"value\":1}},"
			    "\"limits\":{\"cpus\":{\"value\":\"2\"},\"mem\":{\"value\":64}}}",
			    err, sizeof(err)),
		0);
	assert_int_equal(quota_parse("{\"role\":\"eng\",\"guarantees\":null}", err, sizeof(err)),
			 0);
	assert_int_equal(quota_parse("{\"role\":\"eng\",\"guarantees\":{\"cpus\":{\"value\":3}},"
				     "\"limits\":{\"cpus\":{\"value\":2}}}",
				     err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "above its limit"));
	assert_int_equal(quota_parse("{\"role\":\"*\"}", err, sizeof(err)), -EINVAL);
	assert_int_equal(quota_parse("{\"guarantees\":{}}", err, sizeof(err)), -EINVAL);
	assert_int_equal(quota_parse("{\"role\":\"eng\",\"limits\":{\"cpus\":{\"value\":-1}}}", err,
				     sizeof(err)),
			 -EINVAL);
	/* 1 EB of mem (in MB) is the most; 1e12 of anything else */
	assert_int_equal(quota_parse("{\"role\":\"eng\",\"limits\":{\"mem\":{\"value\":2e12}}}",
				     err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(quota_parse("{\"role\":\"eng\",\"limits\":{\"cpus\":{\"value\":2e12}}}",
				     err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(quota_parse("{\"role\":\"eng\",\"limits\":[1]}", err, sizeof(err)),
			 -EINVAL);
}

/* Applied: the allocator has it, GET_QUOTA lists it; an empty config removes it. */
static void test_quota_apply(void **state)
{
	json_t *c = parse("{\"role\":\"eng\",\"guarantees\":{\"cpus\":{\"value\":1}},"
			  "\"limits\":{\"cpus\":{\"value\":2}}}");
	struct alloc_role_info ri;
	json_t *q;

	(void)state;
	assert_int_equal(master_quota_apply(&M, c, true), 0);
	json_decref(c);
	assert_int_equal(alloc_role_get(M.alloc, "eng", &ri), 0);
	assert_int_equal(alloc_res_scalar(ri.limit, "cpus"), 2000);
	assert_int_equal(alloc_res_scalar(ri.guarantee, "cpus"), 1000);
	q = master_quota_get(&M);
	assert_int_equal(json_array_size(json_object_get(json_object_get(q, "status"), "configs")),
			 1);
	check_response("GET_QUOTA", q);
	c = parse("{\"role\":\"eng\"}");
	assert_int_equal(master_quota_apply(&M, c, true), 0);
	json_decref(c);
	q = master_quota_get(&M);
	assert_int_equal(json_array_size(json_object_get(json_object_get(q, "status"), "configs")),
			 0);
	json_decref(q);
	assert_int_equal(alloc_role_get(M.alloc, "eng", &ri), 0);
	assert_true(!ri.limit || alloc_res_is_empty(ri.limit));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_responses_encode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_fields_real_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone_agents_gc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_mesos_names, setup, teardown),
		cmocka_unit_test(test_quota_parse),
		cmocka_unit_test_setup_teardown(test_quota_apply, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
