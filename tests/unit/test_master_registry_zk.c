// SPDX-License-Identifier: Apache-2.0
/*
 * lib/zk (zk:// URLs, election members) and masterd/registry_zk: records survive a reopen,
 * history is bounded, large commits are split, a master whose election znode is gone cannot
 * write. The ZooKeeper cases need a server: DROVER_TEST_ZK=HOST:PORT (tests/integration/
 * test_ha_registry.sh starts one); without it they are not run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "masterd/registry_zk.h"
#include "zk.h"

/* ---------------------------------------------------------------- no server needed */

static void test_url(void **state)
{
	char *hosts = NULL, *path = NULL, err[256];

	assert_int_equal(
		zk_url_parse("zk://h1:2181,h2:2181/drover", &hosts, &path, err, sizeof(err)), 0);
	assert_string_equal(hosts, "h1:2181,h2:2181");
	assert_string_equal(path, "/drover");
	free(hosts);
	free(path);
	assert_int_equal(zk_url_parse("zk://127.0.0.1:2181/a/b/", &hosts, &path, err, sizeof(err)),
			 0);
	assert_string_equal(path, "/a/b");
	free(hosts);
	free(path);
	static const char *const bad[] = {
		"127.0.0.1:5050",  "zk://",	 "zk:///drover",    "zk://h1:2181", "zk://h1:2181/",
		"zk://h1:2181,/x", "zk://h1:/x", "zk://h1:2181//x", "zk://a b:1/x", "zk://u@h:1/x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(zk_url_parse(bad[i], &hosts, &path, err, sizeof(err)), -EINVAL);
		assert_true(err[0] != '\0');
	}
	assert_true(zk_url_is("zk://x"));
	assert_false(zk_url_is("http://x"));
	assert_false(zk_url_is(NULL));
}

static void test_members(void **state)
{
	/* Mesos's rule: the last '_' piece is an int32 sequence, whatever the label before it */
	char *names[] = {"registry",	       "json.info_0000000007", "json.info_0000000003",
			 "log_replicas",       "json.info_0000000005", "json.info_000000000x",
			 "json.info_0000000012"};
	char *mixed[] = {"json.info_0000000010", "member_0000000009", "info_0000000011",
			 "registry"};
	int n = 7;
	int32_t seq;

	assert_true(zk_member_is("json.info_0000000003"));
	assert_true(zk_member_is("json.info_12"));
	assert_false(zk_member_is("member_0000000003"));
	assert_false(zk_member_is("registry"));
	assert_false(zk_member_is("json.info_"));
	assert_int_equal(zk_node_sequence("json.info_0000000042", &seq), 0);
	assert_int_equal(seq, 42);
	assert_int_equal(zk_node_sequence("0000000007", &seq), 0); /* no label: a bare UPID */
	assert_int_equal(seq, 7);
	assert_int_equal(zk_node_sequence("a__5__", &seq), 0);
	assert_int_equal(seq, 5);
	assert_int_equal(zk_node_sequence("x_-2147483648", &seq), 0); /* after a wrap */
	assert_int_equal(seq, INT32_MIN);
	assert_int_equal(zk_node_sequence("x_2147483648", &seq), -EINVAL);
	assert_int_equal(zk_node_sequence("log_replicas", &seq), -EINVAL);
	assert_int_equal(zk_node_sequence("x_", &seq), -EINVAL);
	assert_int_equal(zk_node_sequence("x_-", &seq), -EINVAL);
	assert_int_equal(zk_node_sequence("x_12345678901234567890", &seq), -EINVAL);
	/* numbers, not strings: 12 is above 7 though "12" sorts below "7" unpadded */
	assert_string_equal(zk_member_lowest(names, n), "json.info_0000000003");
	/* each candidate watches the member just below it, the lowest none */
	assert_null(zk_member_predecessor(names, n, "json.info_0000000003"));
	assert_string_equal(zk_member_predecessor(names, n, "json.info_0000000005"),
			    "json.info_0000000003");
	assert_string_equal(zk_member_predecessor(names, n, "json.info_0000000012"),
			    "json.info_0000000007");
	assert_null(zk_member_lowest(names, 1));
	/* another label lower down leads (a Mesos detector would pick it too) */
	assert_string_equal(zk_member_lowest(mixed, 4), "member_0000000009");
	assert_string_equal(zk_member_predecessor(mixed, 4, "json.info_0000000010"),
			    "member_0000000009");
}

static void test_member_address(void **state)
{
	const char *old = "{\"address\":\"10.0.0.1:5050\",\"id\":\"x\"}";
	const char *info = "{\"id\":\"x\",\"ip\":16777226,\"port\":5050,\"hostname\":\"m1\","
			   "\"address\":{\"hostname\":\"m1.example\",\"ip\":\"10.0.0.1\",\"port\":5051}}";
	const char *ip_only = "{\"id\":\"x\",\"ip\":16777226,\"port\":5050}";
	const char *v6 = "{\"id\":\"x\",\"ip\":0,\"port\":5050,\"hostname\":\"::1\"}";
	char *a = zk_member_address(old, strlen(old));

	assert_string_equal(a, "10.0.0.1:5050");
	free(a);
	a = zk_member_address(info, strlen(info));
	assert_string_equal(a, "m1.example:5051");
	free(a);
	a = zk_member_address(ip_only, strlen(ip_only));
	assert_string_equal(a, "10.0.0.1:5050"); /* 16777226 is 10.0.0.1's s_addr, little-endian */
	free(a);
	a = zk_member_address(v6, strlen(v6));
	assert_string_equal(a, "[::1]:5050");
	free(a);
	assert_null(zk_member_address("{\"address\":5}", 13));
	/* what a URL would read as more than a host and port */
	const char *bad[] = {"{\"address\":\"10.0.0.1:5(050\"}", "{\"address\":\"u@h:5050\"}",
			     "{\"address\":\"h/x:5050\"}",	  "{\"address\":\"h:0\"}",
			     "{\"address\":\"h:70000\"}",	  "{\"address\":\"::1:5050\"}",
			     "{\"hostname\":\"a b\",\"port\":1}", "{\"address\":\":5050\"}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(zk_member_address(bad[i], strlen(bad[i])));
	a = zk_member_address("{\"address\":\"[::1]:5050\"}", 24);
	assert_string_equal(a, "[::1]:5050");
	free(a);
	assert_null(zk_member_address("{\"hostname\":\"h\"}", 16)); /* no port */
	assert_null(zk_member_address("not json", 8));
	assert_null(zk_member_address(NULL, 0));
}

static void test_escape(void **state)
{
	char buf[64];

	master_reg_zk_escape("abc-1.2:3_x", buf, sizeof(buf));
	assert_string_equal(buf, "abc-1.2:3_x");
	master_reg_zk_escape("eng/ml", buf, sizeof(buf));
	assert_string_equal(buf, "eng%2Fml");
	master_reg_zk_escape("..", buf, sizeof(buf));
	assert_string_equal(buf, "%2E%2E");
	master_reg_zk_escape("a%b|c", buf, sizeof(buf));
	assert_string_equal(buf, "a%25b%7Cc");
}

/* ---------------------------------------------------------------- against a server */

static zhandle_t *zh;
static char root[128], fence[128];
static int seq;

static int setup(void **state)
{
	const char *hp = getenv("DROVER_TEST_ZK");
	char created[128];

	if (!hp || !*hp)
		return 0;
	zk_client_log_quiet(true);
	zh = zookeeper_init(hp, NULL, 10000, NULL, NULL, 0);
	if (!zh)
		return -1;
	for (int i = 0; i < 200 && zoo_state(zh) != ZOO_CONNECTED_STATE; i++)
		usleep(50000);
	if (zoo_state(zh) != ZOO_CONNECTED_STATE)
		return -1;
	snprintf(root, sizeof(root), "/drover-unit-%d-%d", (int)getpid(), ++seq);
	snprintf(fence, sizeof(fence), "/drover-unit-%d-%d-fence", (int)getpid(), seq);
	return zoo_create(zh, fence, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, created,
			  sizeof(created)) == ZOK ?
		       0 :
		       -1;
}

static int teardown(void **state)
{
	if (zh)
		zookeeper_close(zh);
	zh = NULL;
	return 0;
}

#define NEED_ZK() assert_non_null(zh)

struct loaded {
	int weights, agents, frameworks, tasks, completed;
	double weight;
	char order[4096], state[32], pending[40];
	bool info_kept;
	char principal[16];
	bool kill_kept;
	int quotas;
	double quota_limit; /* cpus limit of the last QuotaConfig read */
	double gone;        /* the last agent's (schema 5) */
	bool caps_kept;     /* the last agent's capabilities (schema 6) */
	int64_t registered_ns; /* the last framework's (schema 6) */
};

static int on_weight(void *o, const char *role, double w)
{
	struct loaded *l = o;

	l->weights++;
	if (strcmp(role, "eng/ml") == 0)
		l->weight = w;
	return 0;
}

static int on_agent(void *o, const struct registry_agent *a)
{
	struct loaded *l = o;

	l->agents++;
	l->gone = a->gone;
	l->caps_kept = json_array_size(a->capabilities) == 1;
	snprintf(l->principal, sizeof(l->principal), "%s", a->principal ? a->principal : "(null)");
	return 0;
}

static int on_framework(void *o, const struct registry_framework *fw)
{
	((struct loaded *)o)->frameworks++;
	((struct loaded *)o)->registered_ns = fw->registered_ns;
	return 0;
}

static int on_task(void *o, const struct registry_task *t)
{
	struct loaded *l = o;

	if (t->completed) {
		l->completed++;
		if (strlen(l->order) + strlen(t->id) + 2 < sizeof(l->order)) {
			strcat(l->order, t->id);
			strcat(l->order, ",");
		}
		return 0;
	}
	l->tasks++;
	snprintf(l->state, sizeof(l->state), "%s", t->state);
	snprintf(l->pending, sizeof(l->pending), "%s", t->pending_uuid ? t->pending_uuid : "");
	l->info_kept = t->info && json_object_get(t->info, "name");
	l->kill_kept = json_is_object(json_object_get(t->kill, "kill_policy"));
	return 0;
}

static int on_quota(void *o, const char *role, json_t *config)
{
	struct loaded *l = o;

	l->quotas++;
	assert_string_equal(role, json_string_value(json_object_get(config, "role")));
	l->quota_limit = json_number_value(json_object_get(
		json_object_get(json_object_get(config, "limits"), "cpus"), "value"));
	return 0;
}

static const struct registry_ops ops = {on_weight, on_agent, on_framework, on_task, on_quota};

static struct registry *open_reg(unsigned history)
{
	struct registry *r = NULL;
	char err[256];

	assert_int_equal(master_reg_zk_open(zh, root, fence, &ZOO_OPEN_ACL_UNSAFE, history, &r, err,
					    sizeof(err)),
			 0);
	return r;
}

static void test_zk_round_trip(void **state)
{
	NEED_ZK();
	struct registry *r = open_reg(100);
	json_t *info = json_pack("{s:s}", "name", "n");
	json_t *st = json_pack("{s:s}", "state", "TASK_RUNNING");
	json_t *caps = json_pack("[{s:s}]", "type", "MULTI_ROLE");
	struct registry_agent a = {"a1", "h1", info, true, false, false, .principal = "agent-p",
				   .capabilities = caps};
	struct registry_framework fw = {"f1", "eng/ml", info, 1, 60, false,
					.registered_ns = 1700000000123456789LL};
	json_t *kill = json_pack("{s:{}}", "kill_policy");
	struct registry_task t = {"f1", "t1", "a1", "TASK_STAGING", info, NULL, NULL, NULL, false};
	json_t *quota = json_pack("{s:s,s:{s:{s:f}}}", "role", "eng/ml", "limits", "cpus", "value",
				  4.0);
	struct loaded l = {0};

	assert_int_equal(master_reg_put_weight(r, "eng/ml", 2.5), 0);
	assert_int_equal(master_reg_put_quota(r, "eng/ml", quota), 0);
	assert_int_equal(master_reg_put_agent(r, &a), 0);
	assert_int_equal(master_reg_put_framework(r, &fw), 0);
	assert_int_equal(master_reg_put_task(r, &t), 0);
	assert_int_equal(master_reg_commit(r), 0);
	t.info = NULL; /* a later write keeps the TaskInfo */
	t.state = "TASK_RUNNING";
	t.status = st;
	t.pending_uuid = "u2";
	t.kill = kill;
	assert_int_equal(master_reg_put_task(r, &t), 0);
	assert_int_equal(master_reg_pending(r), 1);
	assert_int_equal(master_reg_commit(r), 0);
	assert_int_equal(master_reg_pending(r), 0);
	master_reg_close(r);

	r = open_reg(100);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.weights, 1);
	assert_true(l.weight == 2.5);
	assert_int_equal(l.quotas, 1);
	assert_true(l.quota_limit == 4.0);
	assert_int_equal(l.agents, 1);
	assert_int_equal(l.frameworks, 1);
	assert_int_equal(l.tasks, 1);
	assert_string_equal(l.state, "TASK_RUNNING");
	assert_string_equal(l.pending, "u2");
	assert_true(l.info_kept);
	/* who registered the agent, the KILL asked for the task (issue 17, items 7 and 17) */
	assert_string_equal(l.principal, "agent-p");
	assert_true(l.kill_kept);
	assert_true(l.gone == 0);
	/* the agent's capabilities, the framework's first subscription (schema 6) */
	assert_true(l.caps_kept);
	assert_true(l.registered_ns == 1700000000123456789LL);
	/* marked gone (MARK_AGENT_GONE): read back with its time */
	a.gone = 1700000000.5;
	assert_int_equal(master_reg_put_agent(r, &a), 0);
	assert_int_equal(master_reg_commit(r), 0);
	master_reg_close(r);
	r = open_reg(100);
	memset(&l, 0, sizeof(l));
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.agents, 1);
	assert_true(l.gone == 1700000000.5);
	/* removed (replaced at its address): forgotten */
	assert_int_equal(master_reg_remove_agent(r, "a1"), 0);
	assert_int_equal(master_reg_commit(r), 0);
	master_reg_close(r);
	r = open_reg(100);
	memset(&l, 0, sizeof(l));
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.agents, 0);
	/* the framework goes: its task becomes history */
	assert_int_equal(master_reg_remove_framework(r, "f1"), 0);
	assert_int_equal(master_reg_commit(r), 0);
	master_reg_close(r);
	r = open_reg(100);
	memset(&l, 0, sizeof(l));
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.frameworks, 0);
	assert_int_equal(l.tasks, 0);
	assert_int_equal(l.completed, 1);
	master_reg_close(r);
	json_decref(info);
	json_decref(st);
	json_decref(kill);
	json_decref(quota);
	json_decref(caps);
}

/* More writes than one transaction takes, and a bounded history, oldest first. */
static void test_zk_large_commit_and_history(void **state)
{
	NEED_ZK();
	struct registry *r = open_reg(5);
	json_t *info = json_pack("{s:s}", "name", "n");
	struct loaded l = {0};
	char id[32];
	int n = 3 * ZK_MULTI_OPS + 7;

	for (int i = 0; i < n; i++) {
		struct registry_task t = {"f",	id,   "a",  "TASK_RUNNING", info,
					  NULL, NULL, NULL, false};
		snprintf(id, sizeof(id), "t%d", i);
		assert_int_equal(master_reg_put_task(r, &t), 0);
	}
	assert_int_equal(master_reg_commit(r), 0);
	for (int i = 0; i < 12; i++) {
		struct registry_task t = {"f",	id,   "a", "TASK_FINISHED", NULL, NULL,
					  NULL, NULL, true};
		snprintf(id, sizeof(id), "t%d", i);
		assert_int_equal(master_reg_put_task(r, &t), 0);
		if (i % 3 == 2)
			assert_int_equal(master_reg_commit(r), 0);
	}
	master_reg_close(r);
	r = open_reg(5);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.tasks, n - 12);
	assert_int_equal(l.completed, 5);
	assert_string_equal(l.order, "t7,t8,t9,t10,t11,");
	master_reg_close(r);
	json_decref(info);
}

/* A master whose election znode went (its session expired) cannot write. */
static void test_zk_fence(void **state)
{
	NEED_ZK();
	struct registry *r = open_reg(10);
	struct registry_agent a = {"a1", "h1", NULL, true, false, false};
	struct loaded l = {0};

	assert_int_equal(zoo_delete(zh, fence, -1), ZOK);
	assert_int_equal(master_reg_put_agent(r, &a), 0);
	assert_int_equal(master_reg_commit(r), -ESTALE);
	assert_non_null(strstr(master_reg_error(r), "zoo_multi"));
	master_reg_close(r);
	r = open_reg(10);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.agents, 0); /* nothing was written */
	master_reg_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_member_address),
		cmocka_unit_test(test_escape),
		cmocka_unit_test_setup_teardown(test_zk_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zk_large_commit_and_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zk_fence, setup, teardown),
	};
	const char *zk = getenv("DROVER_TEST_ZK");

	if (zk && *zk)
		return cmocka_run_group_tests(tests, NULL, NULL);
	/* without a server only the first four; test_ha_registry.sh runs the others */
	fprintf(stderr, "# DROVER_TEST_ZK unset: the ZooKeeper cases are left to "
			"tests/integration/test_ha_registry.sh\n");
	return _cmocka_run_group_tests("test_master_registry_zk", tests, 4, NULL, NULL);
}
