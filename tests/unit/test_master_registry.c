// SPDX-License-Identifier: Apache-2.0
/* masterd/registry: records survive close and reopen; history is bounded; writes batch. */
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
#include <sqlite3.h>

#include "masterd/registry.h"

struct loaded {
	int weights, agents, frameworks, tasks, completed;
	double eng_weight;
	char last_state[32], pending[40], acked[40], order[256];
	bool agent_draining;
	int tier;
	char status[64];
	char name[16], res[32];
	char principal[16], kill[64];
	int quotas;
	char quota[128]; /* the last QuotaConfig read, compact */
	double gone;     /* the last agent's (schema 5) */
	char caps[96];   /* the last agent's capabilities, compact, or "(null)" (schema 6) */
	int64_t registered_ns; /* the last framework's (schema 6) */
};

static int on_weight(void *o, const char *role, double w)
{
	struct loaded *l = o;

	l->weights++;
	if (strcmp(role, "eng") == 0)
		l->eng_weight = w;
	return 0;
}

static int on_agent(void *o, const struct registry_agent *a)
{
	struct loaded *l = o;

	l->agents++;
	l->agent_draining = a->draining;
	l->gone = a->gone;
	if (a->capabilities) {
		char *c = json_dumps(a->capabilities, JSON_COMPACT);
		snprintf(l->caps, sizeof(l->caps), "%s", c);
		free(c);
	} else {
		snprintf(l->caps, sizeof(l->caps), "(null)");
	}
	snprintf(l->principal, sizeof(l->principal), "%s", a->principal ? a->principal : "(null)");
	assert_string_equal(json_string_value(json_object_get(a->info, "hostname")), "h1");
	return 0;
}

static int on_framework(void *o, const struct registry_framework *fw)
{
	struct loaded *l = o;

	l->frameworks++;
	l->tier = fw->tier;
	l->registered_ns = fw->registered_ns;
	return 0;
}

static int on_task(void *o, const struct registry_task *t)
{
	struct loaded *l = o;

	if (t->completed) {
		l->completed++;
		strncat(l->order, t->id, sizeof(l->order) - strlen(l->order) - 2);
		strcat(l->order, ",");
		return 0;
	}
	l->tasks++;
	snprintf(l->last_state, sizeof(l->last_state), "%s", t->state);
	snprintf(l->pending, sizeof(l->pending), "%s", t->pending_uuid ? t->pending_uuid : "");
	snprintf(l->acked, sizeof(l->acked), "%s", t->acked_uuid ? t->acked_uuid : "");
	/* SQLite hands the status over as the text it stored, unparsed */
	assert_null(t->status);
	snprintf(l->status, sizeof(l->status), "%s", t->status_text ? t->status_text : "");
	/* kept from the first write though later ones omit it; as text, unparsed */
	assert_null(t->info);
	assert_non_null(t->info_text);
	assert_string_equal(t->info_text, "{\"name\":\"n\"}");
	snprintf(l->name, sizeof(l->name), "%s", t->name ? t->name : "(null)");
	snprintf(l->res, sizeof(l->res), "%s", t->res_text ? t->res_text : "(null)");
	if (t->kill) {
		char *k = json_dumps(t->kill, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(l->kill, sizeof(l->kill), "%s", k);
		free(k);
	} else {
		snprintf(l->kill, sizeof(l->kill), "(null)");
	}
	return 0;
}

static int on_quota(void *o, const char *role, json_t *config)
{
	struct loaded *l = o;
	char *c = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);

	l->quotas++;
	assert_string_equal(role, json_string_value(json_object_get(config, "role")));
	snprintf(l->quota, sizeof(l->quota), "%s", c);
	free(c);
	return 0;
}

static const struct registry_ops ops = {on_weight, on_agent, on_framework, on_task, on_quota};

static char path[64];

static int setup(void **state)
{
	snprintf(path, sizeof(path), "/tmp/drover-reg-%d.db", getpid());
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	char p[80];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return 0;
}

static struct registry *open_reg(unsigned history)
{
	struct registry *r = NULL;
	char err[256];

	assert_int_equal(master_reg_open(path, history, &r, err, sizeof(err)), 0);
	return r;
}

static void test_round_trip(void **state)
{
	struct registry *r = open_reg(100);
	json_t *ainfo = json_pack("{s:s}", "hostname", "h1");
	json_t *finfo = json_pack("{s:s}", "name", "f");
	json_t *tinfo = json_pack("{s:s}", "name", "n");
	json_t *st = json_pack("{s:s}", "state", "TASK_RUNNING");
	struct registry_agent a = {"a1", "h1", ainfo, true, true, true, .principal = "agent-p"};
	json_t *kill = json_pack("{s:{s:{s:i}}}", "kill_policy", "grace_period", "nanoseconds", 5);
	struct registry_framework fw = {"f1", "eng", finfo, 2, 3600, false};
	struct registry_task t = {"f1", "t1", "a1", "TASK_STAGING", tinfo, NULL, NULL, NULL, false,
				  .name = "n", .res_text = "cpus:0.5;mem:32"};
	struct loaded l = {0};

	assert_int_equal(master_reg_put_weight(r, "eng", 3), 0);
	assert_int_equal(master_reg_put_agent(r, &a), 0);
	assert_int_equal(master_reg_put_framework(r, &fw), 0);
	assert_int_equal(master_reg_put_task(r, &t), 0);
	t.info = NULL; /* later writes leave the TaskInfo, name and resources alone */
	t.name = t.res_text = NULL;
	t.state = "TASK_RUNNING";
	t.status = st;
	t.pending_uuid = "u2";
	t.acked_uuid = "u1";
	t.kill = kill;
	assert_int_equal(master_reg_put_task(r, &t), 0);
	assert_int_equal(master_reg_pending(r), 5);
	assert_int_equal(master_reg_commit(r), 0);
	assert_int_equal(master_reg_pending(r), 0);
	assert_int_equal(master_reg_commit(r), 0); /* nothing to do */
	master_reg_close(r);

	r = open_reg(100);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.weights, 1);
	assert_true(l.eng_weight == 3.0);
	assert_int_equal(l.agents, 1);
	assert_true(l.agent_draining);
	assert_int_equal(l.frameworks, 1);
	assert_int_equal(l.tier, 2);
	assert_int_equal(l.tasks, 1);
	assert_string_equal(l.last_state, "TASK_RUNNING");
	assert_string_equal(l.pending, "u2");
	assert_string_equal(l.acked, "u1");
	assert_string_equal(l.status, "{\"state\":\"TASK_RUNNING\"}");
	assert_string_equal(l.name, "n");
	assert_string_equal(l.res, "cpus:0.5;mem:32");
	/* schema 3: who registered the agent, the KILL asked for the task */
	assert_string_equal(l.principal, "agent-p");
	assert_string_equal(l.kill, "{\"kill_policy\":{\"grace_period\":{\"nanoseconds\":5}}}");

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
	json_decref(ainfo);
	json_decref(finfo);
	json_decref(tinfo);
	json_decref(st);
	json_decref(kill);
}

static void test_history_bounded(void **state)
{
	struct registry *r = open_reg(3);
	json_t *tinfo = json_pack("{s:s}", "name", "n");
	struct loaded l = {0};
	char id[16];

	for (int i = 0; i < 10; i++) {
		struct registry_task t = {"f", id, "a", "TASK_FINISHED", tinfo, NULL, NULL, NULL, true};
		snprintf(id, sizeof(id), "t%d", i);
		assert_int_equal(master_reg_put_task(r, &t), 0);
		if (i % 2)
			assert_int_equal(master_reg_commit(r), 0);
	}
	master_reg_close(r);
	r = open_reg(3);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.completed, 3);
	assert_string_equal(l.order, "t7,t8,t9,"); /* the newest, oldest first */
	master_reg_close(r);
	json_decref(tinfo);
}

/* Submitting does not wait; closing writes the rest; batches share transactions. */
static void test_submit_async(void **state)
{
	struct registry *r = open_reg(100);
	json_t *tinfo = json_pack("{s:s}", "name", "n");
	struct registry_stats rs;
	struct loaded l = {0};
	char id[16];

	for (int i = 0; i < 1000; i++) {
		struct registry_task t = {"f", id, "a", "TASK_RUNNING", tinfo, NULL, NULL, NULL, false};
		snprintf(id, sizeof(id), "t%d", i);
		assert_int_equal(master_reg_put_task(r, &t), 0);
		if (i % 10 == 9) {
			assert_int_equal(master_reg_submit(r), 0);
			assert_int_equal(master_reg_pending(r), 0);
		}
	}
	assert_int_equal(master_reg_commit(r), 0);
	master_reg_stats(r, &rs);
	assert_int_equal(rs.writes, 1000);
	assert_int_equal(rs.queued, 0);
	assert_true(rs.commits >= 1 && rs.commits <= 101);
	master_reg_close(r);
	r = open_reg(100);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.tasks, 1000);
	master_reg_close(r);
	json_decref(tinfo);
}

static void count_notice(void *opaque)
{
	__atomic_add_fetch((int *)opaque, 1, __ATOMIC_SEQ_CST);
}

/* Generations: a submit with writes starts one, it is durable once the writer committed it
 * (and the writer says so); a submit with nothing to write starts none. */
static void test_durable_generations(void **state)
{
	struct registry *r = open_reg(100);
	json_t *tinfo = json_pack("{s:s}", "name", "n");
	struct registry_task t = {"f", "t1", "a", "TASK_RUNNING", tinfo, NULL, NULL, NULL, false};
	uint64_t sub, dur;
	int notices = 0;

	master_reg_notify(r, count_notice, &notices);
	assert_int_equal(master_reg_durable(r, &sub, &dur), 0);
	assert_int_equal(sub, 0);
	assert_int_equal(dur, 0);
	assert_int_equal(master_reg_put_task(r, &t), 0);
	assert_int_equal(master_reg_submit(r), 0);
	assert_int_equal(master_reg_durable(r, &sub, &dur), 0);
	assert_int_equal(sub, 1);
	assert_true(dur <= 1);
	assert_int_equal(master_reg_submit(r), 0); /* nothing new */
	assert_int_equal(master_reg_durable(r, &sub, &dur), 0);
	assert_int_equal(sub, 1);
	t.id = "t2";
	assert_int_equal(master_reg_put_task(r, &t), 0);
	assert_int_equal(master_reg_commit(r), 0);
	assert_int_equal(master_reg_durable(r, &sub, &dur), 0);
	assert_int_equal(sub, 2);
	assert_int_equal(dur, 2);
	master_reg_close(r); /* joins the writer: every notice has run */
	assert_true(notices >= 1 && notices <= 2);
	json_decref(tinfo);
}

/* A write that fails is reported (sticky, with SQLite's message); the rest is kept. */
static void test_write_error_reported(void **state)
{
	struct registry *r = open_reg(100);
	json_t *tinfo = json_pack("{s:s}", "name", "n");
	struct registry_task bad = {"", "t1", "a", "TASK_RUNNING", tinfo, NULL, NULL, NULL, false};
	struct registry_task good = {"f", "t2", "a", "TASK_RUNNING", tinfo, NULL, NULL, NULL, false};
	struct loaded l = {0};

	assert_int_equal(master_reg_put_task(r, &bad), 0); /* fw_id NULL: a NOT NULL column */
	assert_int_equal(master_reg_put_task(r, &good), 0);
	assert_int_equal(master_reg_commit(r), -EIO);
	assert_non_null(strstr(master_reg_error(r), "NOT NULL"));
	assert_int_equal(master_reg_submit(r), -EIO);
	{
		uint64_t sub, dur;
		/* the failed generation is never reported durable without its error */
		assert_int_equal(master_reg_durable(r, &sub, &dur), -EIO);
	}
	master_reg_close(r);
	r = open_reg(100);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.tasks, 1);
	master_reg_close(r);
	json_decref(tinfo);
}

/* A registry of schema version 1 (no name and res columns) is upgraded in place; its rows
 * come back with no name or resources text (read from the TaskInfo by the master). */
static void test_upgrade_from_1(void **state)
{
	struct registry *r;
	struct loaded l = {0};
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
			     "CREATE TABLE tasks(fw_id TEXT NOT NULL, id TEXT NOT NULL,"
			     " agent_id TEXT NOT NULL, state TEXT NOT NULL, info TEXT, status TEXT,"
			     " pending_uuid TEXT, acked_uuid TEXT, completed INTEGER NOT NULL,"
			     " seq INTEGER NOT NULL, PRIMARY KEY(fw_id, id));"
			     "INSERT INTO meta VALUES ('schema', '1');"
			     "INSERT INTO tasks VALUES ('f', 't1', 'a', 'TASK_RUNNING',"
			     " '{\"name\":\"n\"}', NULL, NULL, NULL, 0, 1);",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	r = open_reg(100);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.tasks, 1);
	assert_string_equal(l.name, "(null)");
	assert_string_equal(l.res, "(null)");
	master_reg_close(r);
	/* and it stays at the current version: opened again, nothing to upgrade */
	r = open_reg(100);
	master_reg_close(r);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	{
		sqlite3_stmt *s;

		assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema'",
						    -1, &s, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(s, 0), "6");
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

/* Schema 2 to 3 (issue 17, items 7 and 17): agents.principal and tasks.kill are added; rows
 * written before have neither, and new writes keep both. */
static void test_upgrade_from_2(void **state)
{
	json_t *ainfo = json_pack("{s:s}", "hostname", "h1");
	struct registry_agent a = {"a2", "h1", ainfo, true, false, false, .principal = "p2"};
	struct registry *r;
	struct loaded l = {0};
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
			     "CREATE TABLE agents(id TEXT PRIMARY KEY, hostname TEXT NOT NULL,"
			     " info TEXT NOT NULL, reachable INTEGER NOT NULL, deactivated INTEGER"
			     " NOT NULL, draining INTEGER NOT NULL);"
			     "CREATE TABLE tasks(fw_id TEXT NOT NULL, id TEXT NOT NULL,"
			     " agent_id TEXT NOT NULL, state TEXT NOT NULL, info TEXT, status TEXT,"
			     " pending_uuid TEXT, acked_uuid TEXT, completed INTEGER NOT NULL,"
			     " seq INTEGER NOT NULL, name TEXT, res TEXT, PRIMARY KEY(fw_id, id));"
			     "INSERT INTO meta VALUES ('schema', '2');"
			     "INSERT INTO agents VALUES ('a1', 'h1', '{\"hostname\":\"h1\"}', 1, 0, 0);"
			     "INSERT INTO tasks VALUES ('f', 't1', 'a1', 'TASK_RUNNING',"
			     " '{\"name\":\"n\"}', NULL, NULL, NULL, 0, 1, 'n', 'cpus:1');",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	r = open_reg(100);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.agents, 1);
	assert_string_equal(l.principal, "(null)");
	assert_int_equal(l.tasks, 1);
	assert_string_equal(l.kill, "(null)");
	assert_int_equal(master_reg_put_agent(r, &a), 0);
	assert_int_equal(master_reg_commit(r), 0);
	master_reg_close(r);
	r = open_reg(100);
	memset(&l, 0, sizeof(l));
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.agents, 2);
	master_reg_close(r);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	{
		sqlite3_stmt *s;

		assert_int_equal(sqlite3_prepare_v2(db, "SELECT principal FROM agents WHERE id = 'a2'",
						    -1, &s, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(s, 0), "p2");
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	json_decref(ainfo);
}

/* Schema 3 to 4: the quotas table; a quota written survives a reopen, the last one wins. */
static void test_upgrade_from_3_quotas(void **state)
{
	json_t *q1 = json_pack("{s:s,s:{s:{s:f}}}", "role", "eng", "limits", "cpus", "value", 2.0);
	json_t *q2 = json_pack("{s:s,s:{s:{s:f}}}", "role", "eng", "limits", "cpus", "value", 3.0);
	struct registry *r;
	struct loaded l = {0};
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
				      "INSERT INTO meta VALUES ('schema', '3');",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	r = open_reg(100);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.quotas, 0);
	assert_int_equal(master_reg_put_quota(r, "eng", q1), 0);
	assert_int_equal(master_reg_put_quota(r, "eng", q2), 0);
	assert_int_equal(master_reg_commit(r), 0);
	master_reg_close(r);
	r = open_reg(100);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.quotas, 1);
	assert_string_equal(l.quota, "{\"limits\":{\"cpus\":{\"value\":3.0}},\"role\":\"eng\"}");
	master_reg_close(r);
	json_decref(q1);
	json_decref(q2);
}

/*
 * Schema 4 to 5: agents.gone (MARK_AGENT_GONE). An agent of before is not gone; one marked
 * gone is read back gone, with its time, after a reopen.
 */
static void test_upgrade_from_4_gone(void **state)
{
	json_t *info = json_pack("{s:s}", "hostname", "h1");
	struct registry_agent a = {"a1", "h1", info, true, false, false};
	struct registry *r;
	struct loaded l = {0};
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
			     "CREATE TABLE agents(id TEXT PRIMARY KEY, hostname TEXT NOT NULL,"
			     " info TEXT NOT NULL, reachable INTEGER NOT NULL, deactivated INTEGER "
			     "NOT NULL, draining INTEGER NOT NULL, principal TEXT);"
			     "INSERT INTO agents VALUES ('a0', 'h1', '{\"hostname\":\"h1\"}', 1, 0, 0, "
			     "NULL);"
			     "INSERT INTO meta VALUES ('schema', '4');",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	r = open_reg(100);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.agents, 1);
	assert_true(l.gone == 0);
	a.gone = 1700000000.5;
	assert_int_equal(master_reg_put_agent(r, &a), 0);
	assert_int_equal(master_reg_commit(r), 0);
	master_reg_close(r);
	r = open_reg(100);
	memset(&l, 0, sizeof(l));
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.agents, 2);
	assert_true(l.gone == 1700000000.5 || l.gone == 0); /* rows in no set order */
	master_reg_close(r);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	{
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(db,
						    "SELECT (SELECT value FROM meta WHERE key = "
						    "'schema'), gone FROM agents WHERE id = 'a1'",
						    -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "6");
		assert_true(sqlite3_column_double(st, 1) == 1700000000.5);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	/* a removed agent (replaced at its address) is forgotten */
	r = open_reg(100);
	assert_int_equal(master_reg_remove_agent(r, "a0"), 0);
	assert_int_equal(master_reg_commit(r), 0);
	master_reg_close(r);
	r = open_reg(100);
	memset(&l, 0, sizeof(l));
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.agents, 1);
	assert_true(l.gone == 1700000000.5);
	master_reg_close(r);
	json_decref(info);
}

/*
 * Schema 5 to 6: agents.capabilities and frameworks.registered (GET_AGENTS, GET_FRAMEWORKS).
 * Rows of before have none; what is written after the upgrade is read back after a reopen.
 */
static void test_upgrade_from_5_capabilities(void **state)
{
	json_t *info = json_pack("{s:s}", "hostname", "h1");
	json_t *caps = json_pack("[{s:s}]", "type", "MULTI_ROLE");
	struct registry_agent a = {"a0", "h1", info, true, false, false};
	struct registry_framework fw = {.id = "f0", .role = "*", .info = info};
	struct registry *r;
	struct loaded l = {0};
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
			     "CREATE TABLE agents(id TEXT PRIMARY KEY, hostname TEXT NOT NULL,"
			     " info TEXT NOT NULL, reachable INTEGER NOT NULL, deactivated INTEGER "
			     "NOT NULL, draining INTEGER NOT NULL, principal TEXT, gone REAL);"
			     "CREATE TABLE frameworks(id TEXT PRIMARY KEY, role TEXT NOT NULL,"
			     " info TEXT NOT NULL, tier INTEGER NOT NULL, failover_timeout REAL NOT "
			     "NULL, suppressed INTEGER NOT NULL);"
			     "INSERT INTO agents VALUES ('a0', 'h1', '{\"hostname\":\"h1\"}', 1, 0, 0, "
			     "NULL, NULL);"
			     "INSERT INTO frameworks VALUES ('f0', '*', '{}', 0, 0, 0);"
			     "INSERT INTO meta VALUES ('schema', '5');",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	r = open_reg(100);
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_int_equal(l.agents, 1);
	assert_int_equal(l.frameworks, 1);
	assert_string_equal(l.caps, "(null)");
	assert_true(l.registered_ns == 0);
	a.capabilities = caps;
	fw.registered_ns = 1700000000123456789LL;
	assert_int_equal(master_reg_put_agent(r, &a), 0);
	assert_int_equal(master_reg_put_framework(r, &fw), 0);
	assert_int_equal(master_reg_commit(r), 0);
	master_reg_close(r);
	r = open_reg(100);
	memset(&l, 0, sizeof(l));
	assert_int_equal(master_reg_load(r, &ops, &l), 0);
	assert_string_equal(l.caps, "[{\"type\":\"MULTI_ROLE\"}]");
	assert_true(l.registered_ns == 1700000000123456789LL);
	master_reg_close(r);
	json_decref(caps);
	json_decref(info);
}

static void test_open_errors(void **state)
{
	struct registry *r = NULL;
	char err[256] = "";

	assert_true(master_reg_open("/nonexistent-dir/x/registry.db", 10, &r, err, sizeof(err)) <
		    0);
	assert_null(r);
	assert_non_null(strstr(err, "/nonexistent-dir/x/registry.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_async, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durable_generations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_3_quotas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_4_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_5_capabilities, setup, teardown),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
