// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "jsonnum.h"
#include "loop.h"
#include "registry.h"
#include "util.h"

#define SCHEMA_VERSION 6 /* 2: tasks.name and tasks.res; 3: agents.principal, tasks.kill;
			  * 4: quotas; 5: agents.gone; 6: agents.capabilities,
			  * frameworks.registered */
/* ops queued for the writer beyond which the owner waits for the disk */
#define MAX_QUEUED 200000

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_PUT_WEIGHT,
	ST_PUT_AGENT,
	ST_PUT_FRAMEWORK,
	ST_DEL_FRAMEWORK,
	ST_COMPLETE_FW_TASKS,
	ST_PUT_TASK,
	ST_PRUNE,
	ST_PUT_QUOTA,
	ST_DEL_AGENT,
	_ST_MAX,
};

static const char *const stmt_sql[_ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_PUT_WEIGHT] = "INSERT INTO weights(role, weight) VALUES (?1, ?2) "
			  "ON CONFLICT(role) DO UPDATE SET weight = excluded.weight",
	[ST_PUT_AGENT] = "INSERT INTO agents(id, hostname, info, reachable, deactivated, draining, "
			 "principal, gone, capabilities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
			 "ON CONFLICT(id) DO "
			 "UPDATE SET hostname = excluded.hostname, info = excluded.info, "
			 "reachable = excluded.reachable, deactivated = excluded.deactivated, "
			 "draining = excluded.draining, principal = excluded.principal, "
			 "gone = excluded.gone, capabilities = excluded.capabilities",
	[ST_PUT_FRAMEWORK] = "INSERT INTO frameworks(id, role, info, tier, failover_timeout, "
			     "suppressed, registered) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
			     "ON CONFLICT(id) DO UPDATE "
			     "SET role = excluded.role, info = excluded.info, tier = excluded.tier, "
			     "failover_timeout = excluded.failover_timeout, "
			     "suppressed = excluded.suppressed, registered = excluded.registered",
	[ST_DEL_FRAMEWORK] = "DELETE FROM frameworks WHERE id = ?1",
	[ST_COMPLETE_FW_TASKS] = "UPDATE tasks SET completed = 1, seq = ?2 "
				 "WHERE fw_id = ?1 AND completed = 0",
	[ST_PUT_TASK] = "INSERT INTO tasks(fw_id, id, agent_id, state, info, status, pending_uuid, "
			"acked_uuid, completed, seq, name, res, kill) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
			"?8, ?9, ?10, ?11, ?12, ?13) "
			"ON CONFLICT(fw_id, id) DO UPDATE SET agent_id = excluded.agent_id, "
			"state = excluded.state, info = COALESCE(excluded.info, info), "
			"name = COALESCE(excluded.name, name), res = COALESCE(excluded.res, res), "
			"status = excluded.status, pending_uuid = excluded.pending_uuid, "
			"acked_uuid = excluded.acked_uuid, completed = excluded.completed, "
			"seq = excluded.seq, kill = excluded.kill",
	[ST_PRUNE] = "DELETE FROM tasks WHERE completed = 1 AND seq <= (SELECT seq FROM tasks "
		     "WHERE completed = 1 ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
	[ST_PUT_QUOTA] = "INSERT INTO quotas(role, config) VALUES (?1, ?2) "
			 "ON CONFLICT(role) DO UPDATE SET config = excluded.config",
	[ST_DEL_AGENT] = "DELETE FROM agents WHERE id = ?1",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS weights(role TEXT PRIMARY KEY, weight REAL NOT NULL);"
	"CREATE TABLE IF NOT EXISTS agents(id TEXT PRIMARY KEY, hostname TEXT NOT NULL,"
	" info TEXT NOT NULL, reachable INTEGER NOT NULL, deactivated INTEGER NOT NULL,"
	" draining INTEGER NOT NULL, principal TEXT, gone REAL, capabilities TEXT);"
	"CREATE TABLE IF NOT EXISTS frameworks(id TEXT PRIMARY KEY, role TEXT NOT NULL,"
	" info TEXT NOT NULL, tier INTEGER NOT NULL, failover_timeout REAL NOT NULL,"
	" suppressed INTEGER NOT NULL, registered INTEGER);"
	"CREATE TABLE IF NOT EXISTS tasks(fw_id TEXT NOT NULL, id TEXT NOT NULL,"
	" agent_id TEXT NOT NULL, state TEXT NOT NULL, info TEXT, status TEXT,"
	" pending_uuid TEXT, acked_uuid TEXT, completed INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" name TEXT, res TEXT, kill TEXT, PRIMARY KEY(fw_id, id));"
	"CREATE INDEX IF NOT EXISTS tasks_history ON tasks(completed, seq);"
	"CREATE TABLE IF NOT EXISTS quotas(role TEXT PRIMARY KEY, config TEXT NOT NULL);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '6');";

/*
 * Version 1 (first sessions) to 2: the task's name and resources (text form) in their own
 * columns, so that recovery parses no TaskInfo. Rows written before stay NULL there and are
 * read through their TaskInfo as before.
 */
static const char upgrade_1_2[] = "BEGIN IMMEDIATE;"
				  "ALTER TABLE tasks ADD COLUMN name TEXT;"
				  "ALTER TABLE tasks ADD COLUMN res TEXT;"
				  "UPDATE meta SET value = '2' WHERE key = 'schema';"
				  "COMMIT;";


struct op;

struct sqlite_registry {
	struct registry base; /* first: the backend table */
	sqlite3 *db;
	sqlite3_stmt *st[_ST_MAX];
	unsigned history;

	/* owner thread only: the batch being written */
	struct op *batch, *batch_tail;
	unsigned pending;

	/* shared, under lock: batches handed over, and what the writer made durable */
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	struct op *queue, *queue_tail;
	unsigned queued;
	uint64_t submitted, durable; /* generations of hand-overs */
	int error;                   /* the first failed write (-errno), sticky */
	char errmsg[256];
	struct registry_stats stats;
	bool stopping;
	void (*notify)(void *opaque); /* told when a generation is durable */
	void *notify_opaque;

	/* the writer thread; it alone uses db once started (db_lock covers master_reg_load) */
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t db_lock;
	int64_t completed; /* completed rows, as far as we know */
	int64_t next_seq;
};

static const char *sqlite_error(const struct sqlite_registry *r)
{
	if (!r || !r->db)
		return "out of memory";
	/* once the writer runs, only it may ask SQLite: it copies its messages into errmsg */
	return r->errmsg[0] || r->writer_started ? r->errmsg : sqlite3_errmsg(r->db);
}

/* SQLite result codes to -errno (the message stays in sqlite_error()). */
static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

static int exec(struct sqlite_registry *r, const char *sql)
{
	int rc = sqlite3_exec(r->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_errno(rc);
}

static int64_t query_int(struct sqlite_registry *r, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * 2 to 3: the principal that registered each agent (so that after a restart or a failover
 * only it may reregister the agent) and the KILL asked for a task (sent again after one).
 * Rows written before have NULL there: an agent registered by nobody in particular, no KILL.
 * A column is added unless its table has it already (the schema above just created the
 * table: a version 1 registry may have had no agent yet).
 */
static int upgrade_2_3(struct sqlite_registry *r)
{
	static const char *const add[][2] = {{"agents", "principal"}, {"tasks", "kill"}};
	char sql[160];
	int e = exec(r, "BEGIN IMMEDIATE");

	for (size_t i = 0; e == 0 && i < ARRAY_SIZE(add); i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", add[i][0],
			 add[i][1]);
		if (query_int(r, sql) > 0)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s TEXT", add[i][0],
			 add[i][1]);
		e = exec(r, sql);
	}
	if (e == 0)
		e = exec(r, "UPDATE meta SET value = '3' WHERE key = 'schema'");
	if (e == 0)
		e = exec(r, "COMMIT");
	else
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	return e;
}

/*
 * 3 to 4: the quotas table (UPDATE_QUOTA), which the schema above has just created; a
 * registry of version 3 has no quota in it.
 */
static const char upgrade_3_4[] = "UPDATE meta SET value = '4' WHERE key = 'schema';";

/*
 * One step that adds columns: each {table, column, type} unless its table has it (the schema
 * above created it in a registry that had none), then the schema version to, in one
 * transaction.
 */
static int add_columns(struct sqlite_registry *r, const char *const (*add)[3], size_t n, int to)
{
	char sql[160];
	int e = exec(r, "BEGIN IMMEDIATE");

	for (size_t i = 0; e == 0 && i < n; i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", add[i][0],
			 add[i][1]);
		if (query_int(r, sql) > 0)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", add[i][0], add[i][1],
			 add[i][2]);
		e = exec(r, sql);
	}
	if (e == 0) {
		snprintf(sql, sizeof(sql), "UPDATE meta SET value = '%d' WHERE key = 'schema'", to);
		e = exec(r, sql);
	}
	if (e == 0)
		e = exec(r, "COMMIT");
	else
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	return e;
}

/* 4 to 5: when an agent was marked gone (MARK_AGENT_GONE; NULL: it was not). */
static int upgrade_4_5(struct sqlite_registry *r)
{
	static const char *const add[][3] = {{"agents", "gone", "REAL"}};

	return add_columns(r, add, ARRAY_SIZE(add), 5);
}

/*
 * 5 to 6: the capabilities each agent reported (GET_AGENTS) and when each framework first
 * subscribed (GET_FRAMEWORKS' registered_time); NULL in rows written before: none known.
 */
static int upgrade_5_6(struct sqlite_registry *r)
{
	static const char *const add[][3] = {{"agents", "capabilities", "TEXT"},
					     {"frameworks", "registered", "INTEGER"}};

	return add_columns(r, add, ARRAY_SIZE(add), 6);
}

static int upgrade_1_2_run(struct sqlite_registry *r)
{
	return exec(r, upgrade_1_2);
}

static int upgrade_3_4_run(struct sqlite_registry *r)
{
	return exec(r, upgrade_3_4);
}

/* upgrades[v - 1] takes a registry of schema version v to v + 1 */
static int (*const upgrades[SCHEMA_VERSION - 1])(struct sqlite_registry *r) = {
	upgrade_1_2_run, upgrade_2_3, upgrade_3_4_run, upgrade_4_5, upgrade_5_6,
};

static void *writer_main(void *data);
static void ops_free(struct op *o);
static int sqlite_commit(struct sqlite_registry *r);
static const struct registry_backend sqlite_backend;

/* Write what is pending, stop the writer and close. */
static void sqlite_close(struct sqlite_registry *r)
{
	if (!r)
		return;
	if (r->writer_started) {
		sqlite_commit(r);
		pthread_mutex_lock(&r->lock);
		r->stopping = true;
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->writer, NULL);
	}
	ops_free(r->batch);
	ops_free(r->queue);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->db_lock);
	pthread_cond_destroy(&r->wake);
	pthread_cond_destroy(&r->done);
	for (int i = 0; i < _ST_MAX; i++)
		sqlite3_finalize(r->st[i]);
	sqlite3_close(r->db);
	free(r);
}

int master_reg_open(const char *path, unsigned history, struct registry **ret, char *err,
		    size_t errlen)
{
	struct sqlite_registry *r = calloc(1, sizeof(*r));
	int rc, e;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->base.backend = &sqlite_backend;
	r->history = history;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->db_lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	pthread_cond_init(&r->done, NULL);
	rc = sqlite3_open_v2(path, &r->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	/* WAL: a commit appends to the log; FULL: and fsyncs it before COMMIT returns */
	if ((e = exec(r, "PRAGMA journal_mode=WAL")) < 0 ||
	    (e = exec(r, "PRAGMA synchronous=FULL")) < 0 || (e = exec(r, "PRAGMA mmap_size=1073741824")) < 0 ||
	    (e = exec(r, schema)) < 0) {
		rc = SQLITE_ERROR;
		goto fail;
	}
	/* an older file: each step in turn, 1 to 2, 2 to 3, ... */
	for (int v = 1; v < SCHEMA_VERSION; v++) {
		if (query_int(r, "SELECT value FROM meta WHERE key = 'schema'") != v)
			continue;
		if ((e = upgrades[v - 1](r)) < 0) {
			snprintf(err, errlen, "cannot upgrade '%s' from schema version %d: %s", path,
				 v, sqlite3_errmsg(r->db));
			sqlite_close(r);
			return e;
		}
	}
	if (query_int(r, "SELECT value FROM meta WHERE key = 'schema'") != SCHEMA_VERSION) {
		snprintf(err, errlen, "'%s' has an unknown schema version", path);
		sqlite_close(r);
		return -EBADMSG;
	}
	for (int i = 0; i < _ST_MAX; i++) {
		rc = sqlite3_prepare_v3(r->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &r->st[i],
					NULL);
		if (rc != SQLITE_OK)
			goto fail;
	}
	r->completed = query_int(r, "SELECT count(*) FROM tasks WHERE completed = 1");
	r->next_seq = query_int(r, "SELECT coalesce(max(seq), 0) FROM tasks") + 1;
	e = -pthread_create(&r->writer, NULL, writer_main, r);
	if (e < 0) {
		snprintf(err, errlen, "cannot start the registry writer: %s", strerror(-e));
		sqlite_close(r);
		return e;
	}
	r->writer_started = true;
	*ret = &r->base;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, sqlite_error(r));
	e = sql_errno(rc ? rc : SQLITE_ERROR);
	sqlite_close(r);
	return e;
}

/* ---------------------------------------------------------------- writes (owner thread) */

/*
 * A write is recorded as an op: a statement and its parameters, owned. The owner appends ops
 * to its batch; sqlite_submit() hands the batch to the writer thread, which runs every
 * batch it finds queued in one transaction (one fsync for all of them) while the owner goes
 * on. Sequence numbers and the count of completed rows live on the writer's side, so the
 * order of ops is all the owner decides.
 */
enum param_kind { P_NULL, P_TEXT, P_INT, P_DOUBLE, P_SEQ };

#define MAX_PARAMS 13

struct op {
	struct op *next;
	enum stmt st;
	bool completes; /* a put of a completed task: one more completed row */
	unsigned n;
	struct {
		enum param_kind kind;
		union {
			char *text;
			int64_t i;
			double d;
		};
	} p[MAX_PARAMS];
};

static void op_free(struct op *o)
{
	for (unsigned i = 0; i < o->n; i++)
		if (o->p[i].kind == P_TEXT)
			free(o->p[i].text);
	free(o);
}

static void ops_free(struct op *o)
{
	while (o) {
		struct op *next = o->next;
		op_free(o);
		o = next;
	}
}

static struct op *op_new(enum stmt st)
{
	struct op *o = calloc(1, sizeof(*o));

	if (o)
		o->st = st;
	return o;
}

/* Parameters in order; "" and NULL strings bind NULL. Each returns false on ENOMEM. */
static bool add_text(struct op *o, const char *v)
{
	unsigned i = o->n++;

	if (!v || !*v)
		return o->p[i].kind = P_NULL, true;
	o->p[i].kind = P_TEXT;
	return (o->p[i].text = strdup(v)) != NULL;
}

/* A string that is never NULL in its column. */
static bool add_text_or(struct op *o, const char *v, const char *dflt)
{
	unsigned i = o->n++;

	o->p[i].kind = P_TEXT;
	return (o->p[i].text = strdup(v ? v : dflt)) != NULL;
}

/* JSON columns: compact text, or dflt (NULL: SQL NULL) when j is NULL. */
static bool add_json(struct op *o, json_t *j, const char *dflt)
{
	unsigned i = o->n++;

	if (!j && !dflt)
		return o->p[i].kind = P_NULL, true;
	o->p[i].kind = P_TEXT;
	o->p[i].text = j ? jsonnum_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : strdup(dflt);
	return o->p[i].text != NULL;
}

static void add_int(struct op *o, int64_t v)
{
	unsigned i = o->n++;

	o->p[i].kind = P_INT;
	o->p[i].i = v;
}

static void add_double(struct op *o, double v)
{
	unsigned i = o->n++;

	o->p[i].kind = P_DOUBLE;
	o->p[i].d = v;
}

/* The next sequence number, taken by the writer when it runs the op. */
static void add_seq(struct op *o)
{
	o->p[o->n++].kind = P_SEQ;
}

/* Append o to the owner's batch, or free it and fail when a parameter could not be made. */
static int push(struct sqlite_registry *r, struct op *o, bool ok)
{
	if (!o)
		return -ENOMEM;
	if (!ok) {
		op_free(o);
		return -ENOMEM;
	}
	if (r->batch_tail)
		r->batch_tail->next = o;
	else
		r->batch = o;
	r->batch_tail = o;
	r->pending++;
	return 0;
}

static int sqlite_put_weight(struct sqlite_registry *r, const char *role, double weight)
{
	struct op *o = op_new(ST_PUT_WEIGHT);
	bool ok = o && add_text(o, role);

	if (ok)
		add_double(o, weight);
	return push(r, o, ok);
}

static int sqlite_put_quota(struct sqlite_registry *r, const char *role, json_t *config)
{
	struct op *o = op_new(ST_PUT_QUOTA);
	bool ok = o && add_text(o, role) && add_json(o, config, "{}");

	return push(r, o, ok);
}

static int sqlite_put_agent(struct sqlite_registry *r, const struct registry_agent *a)
{
	struct op *o = op_new(ST_PUT_AGENT);
	bool ok = o && add_text(o, a->id) && add_text_or(o, a->hostname, "") &&
		  add_json(o, a->info, "{}");

	if (ok) {
		add_int(o, a->reachable);
		add_int(o, a->deactivated);
		add_int(o, a->draining);
		ok = add_text(o, a->principal);
		if (a->gone > 0)
			add_double(o, a->gone);
		else
			o->p[o->n++].kind = P_NULL;
		if (ok)
			ok = add_json(o, a->capabilities, NULL);
	}
	return push(r, o, ok);
}

static int sqlite_put_framework(struct sqlite_registry *r, const struct registry_framework *fw)
{
	struct op *o = op_new(ST_PUT_FRAMEWORK);
	bool ok = o && add_text(o, fw->id) && add_text_or(o, fw->role, "*") &&
		  add_json(o, fw->info, "{}");

	if (ok) {
		add_int(o, fw->tier);
		add_double(o, fw->failover_timeout);
		add_int(o, fw->suppressed);
		if (fw->registered_ns > 0)
			add_int(o, fw->registered_ns);
		else
			o->p[o->n++].kind = P_NULL;
	}
	return push(r, o, ok);
}

static int sqlite_remove_framework(struct sqlite_registry *r, const char *id)
{
	struct op *o = op_new(ST_COMPLETE_FW_TASKS);
	bool ok = o && add_text(o, id);
	int e;

	if (ok)
		add_seq(o);
	e = push(r, o, ok);
	if (e < 0)
		return e;
	o = op_new(ST_DEL_FRAMEWORK);
	return push(r, o, o && add_text(o, id));
}

static int sqlite_put_task(struct sqlite_registry *r, const struct registry_task *t)
{
	struct op *o = op_new(ST_PUT_TASK);
	bool ok = o && add_text(o, t->fw_id) && add_text(o, t->id) &&
		  add_text_or(o, t->agent_id, "") && add_text_or(o, t->state, "TASK_UNKNOWN") &&
		  add_json(o, t->info, NULL) && add_json(o, t->status, NULL) &&
		  add_text(o, t->pending_uuid) && add_text(o, t->acked_uuid);

	if (ok) {
		add_int(o, t->completed);
		add_seq(o);
		o->completes = t->completed;
		ok = add_text(o, t->name) && add_text(o, t->res_text) && add_json(o, t->kill, NULL);
	}
	return push(r, o, ok);
}

static unsigned sqlite_pending(const struct sqlite_registry *r)
{
	return r->pending;
}

/* Hand the owner's batch to the writer; the caller holds r->lock. Returns its generation. */
static uint64_t hand_over(struct sqlite_registry *r)
{
	if (!r->batch)
		return r->submitted;
	if (r->queue_tail)
		r->queue_tail->next = r->batch;
	else
		r->queue = r->batch;
	r->queue_tail = r->batch_tail;
	r->queued += r->pending;
	r->batch = r->batch_tail = NULL;
	r->pending = 0;
	pthread_cond_signal(&r->wake);
	return ++r->submitted;
}

static int sqlite_submit(struct sqlite_registry *r)
{
	int e;

	pthread_mutex_lock(&r->lock);
	hand_over(r);
	/* back pressure: a writer far behind (a slow disk) makes the owner wait for it */
	while (!r->error && r->queued > MAX_QUEUED)
		pthread_cond_wait(&r->done, &r->lock);
	e = r->error;
	pthread_mutex_unlock(&r->lock);
	return e;
}

static int sqlite_commit(struct sqlite_registry *r)
{
	uint64_t gen;
	int e;

	pthread_mutex_lock(&r->lock);
	gen = hand_over(r);
	while (!r->error && r->durable < gen)
		pthread_cond_wait(&r->done, &r->lock);
	e = r->error;
	pthread_mutex_unlock(&r->lock);
	return e;
}

static int sqlite_durable(struct sqlite_registry *r, uint64_t *submitted, uint64_t *durable)
{
	int e;

	pthread_mutex_lock(&r->lock);
	*submitted = r->submitted;
	*durable = r->durable;
	e = r->error;
	pthread_mutex_unlock(&r->lock);
	return e;
}

static void sqlite_notify(struct sqlite_registry *r, void (*fn)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&r->lock);
	r->notify = fn;
	r->notify_opaque = opaque;
	pthread_mutex_unlock(&r->lock);
}

static void sqlite_stats(struct sqlite_registry *r, struct registry_stats *ret)
{
	pthread_mutex_lock(&r->lock);
	*ret = r->stats;
	ret->queued = r->queued;
	pthread_mutex_unlock(&r->lock);
}

/* ---------------------------------------------------------------- the writer thread */

static int bind_op(struct sqlite_registry *r, sqlite3_stmt *s, const struct op *o)
{
	for (unsigned i = 0; i < o->n; i++) {
		int k = (int)i + 1, rc;

		switch (o->p[i].kind) {
		case P_NULL:
			rc = sqlite3_bind_null(s, k);
			break;
		case P_TEXT:
			rc = sqlite3_bind_text(s, k, o->p[i].text, -1, SQLITE_STATIC);
			break;
		case P_INT:
			rc = sqlite3_bind_int64(s, k, o->p[i].i);
			break;
		case P_DOUBLE:
			rc = sqlite3_bind_double(s, k, o->p[i].d);
			break;
		default:
			rc = sqlite3_bind_int64(s, k, r->next_seq++);
			break;
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static int run_stmt(struct sqlite_registry *r, sqlite3_stmt *s, const struct op *o)
{
	int rc = o ? bind_op(r, s, o) : SQLITE_OK;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Keep the first error and its message (the owner reads them through master_reg_error). */
static void note_error(struct sqlite_registry *r, int rc, int *first)
{
	if (rc == SQLITE_OK || *first)
		return;
	*first = sql_errno(rc);
	pthread_mutex_lock(&r->lock);
	snprintf(r->errmsg, sizeof(r->errmsg), "%s", sqlite3_errmsg(r->db));
	pthread_mutex_unlock(&r->lock);
}

/*
 * Run ops in one transaction. A statement that fails does not stop the others (what can be
 * kept is kept, as before a crash); its error is reported and stops the master.
 */
static int write_ops(struct sqlite_registry *r, const struct op *ops)
{
	int rc, e = 0;

	note_error(r, run_stmt(r, r->st[ST_BEGIN], NULL), &e);
	if (e)
		return e;
	for (const struct op *o = ops; o; o = o->next) {
		rc = run_stmt(r, r->st[o->st], o);
		note_error(r, rc, &e);
		if (rc != SQLITE_OK)
			continue;
		if (o->st == ST_COMPLETE_FW_TASKS)
			r->completed += sqlite3_changes(r->db);
		else if (o->completes)
			r->completed++;
	}
	if (r->completed > (int64_t)r->history) {
		sqlite3_stmt *s = r->st[ST_PRUNE];
		sqlite3_bind_int64(s, 1, r->history);
		rc = run_stmt(r, s, NULL);
		note_error(r, rc, &e);
		if (rc == SQLITE_OK)
			r->completed = r->history;
	}
	rc = run_stmt(r, r->st[ST_COMMIT], NULL);
	if (rc != SQLITE_OK) {
		note_error(r, rc, &e);
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return e;
}

static void *writer_main(void *data)
{
	struct sqlite_registry *r = data;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		void (*notify)(void *opaque);
		struct op *ops;
		uint64_t gen;
		unsigned n;
		int64_t t0;
		int e;

		while (!r->queue && !r->stopping)
			pthread_cond_wait(&r->wake, &r->lock);
		if (!r->queue)
			break;
		ops = r->queue;
		n = r->queued;
		gen = r->submitted;
		r->queue = r->queue_tail = NULL;
		pthread_mutex_unlock(&r->lock);

		t0 = now_mono_ns();
		pthread_mutex_lock(&r->db_lock);
		e = write_ops(r, ops);
		pthread_mutex_unlock(&r->db_lock);
		ops_free(ops);

		pthread_mutex_lock(&r->lock);
		r->queued -= n;
		r->durable = gen;
		if (e && !r->error)
			r->error = e;
		r->stats.commits++;
		r->stats.writes += n;
		r->stats.commit_ns += (uint64_t)(now_mono_ns() - t0);
		pthread_cond_broadcast(&r->done);
		notify = r->notify;
		if (notify) {
			void *opaque = r->notify_opaque;
			pthread_mutex_unlock(&r->lock);
			notify(opaque);
			pthread_mutex_lock(&r->lock);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* ---------------------------------------------------------------- reading back */

static json_t *column_json(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	return t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
}

static const char *column_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* sqlite3_step for a loop: SQLITE_OK for a row, SQLITE_DONE at the end, else the error. */
static int step_row(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int load(struct sqlite_registry *r, const struct registry_ops *ops, void *opaque);

/* Read everything back (before the first write; the writer is idle meanwhile). */
static int sqlite_load(struct sqlite_registry *r, const struct registry_ops *ops, void *opaque)
{
	int e;

	pthread_mutex_lock(&r->db_lock);
	e = load(r, ops, opaque);
	if (e < 0 && e != -ENOMEM)
		snprintf(r->errmsg, sizeof(r->errmsg), "%s", sqlite3_errmsg(r->db));
	pthread_mutex_unlock(&r->db_lock);
	return e;
}

static int load(struct sqlite_registry *r, const struct registry_ops *ops, void *opaque)
{
	sqlite3_stmt *s = NULL;
	int rc, e = 0;

	rc = sqlite3_prepare_v2(r->db, "SELECT role, weight FROM weights", -1, &s, NULL);
	while (rc == SQLITE_OK && e == 0 && (rc = step_row(s)) == SQLITE_OK)
		e = ops->weight ? ops->weight(opaque, column_text(s, 0), sqlite3_column_double(s, 1))
				: 0;
	sqlite3_finalize(s);
	if (e < 0 || rc != SQLITE_DONE)
		return e < 0 ? e : sql_errno(rc);

	rc = sqlite3_prepare_v2(r->db, "SELECT role, config FROM quotas", -1, &s, NULL);
	while (rc == SQLITE_OK && e == 0 && (rc = step_row(s)) == SQLITE_OK) {
		json_t *config = column_json(s, 1);
		e = ops->quota ? ops->quota(opaque, column_text(s, 0), config) : 0;
		json_decref(config);
	}
	sqlite3_finalize(s);
	if (e < 0 || rc != SQLITE_DONE)
		return e < 0 ? e : sql_errno(rc);

	rc = sqlite3_prepare_v2(r->db,
				"SELECT id, hostname, info, reachable, deactivated, draining, principal, "
				"gone, capabilities FROM agents",
				-1, &s, NULL);
	while (rc == SQLITE_OK && e == 0 && (rc = step_row(s)) == SQLITE_OK) {
		struct registry_agent a = {
			.id = column_text(s, 0),
			.hostname = column_text(s, 1),
			.info = column_json(s, 2),
			.reachable = sqlite3_column_int(s, 3),
			.deactivated = sqlite3_column_int(s, 4),
			.draining = sqlite3_column_int(s, 5),
			.principal = column_text(s, 6),
			.gone = sqlite3_column_double(s, 7), /* NULL: 0.0 */
			.capabilities = column_json(s, 8),
		};
		e = ops->agent ? ops->agent(opaque, &a) : 0;
		json_decref(a.info);
		json_decref(a.capabilities);
	}
	sqlite3_finalize(s);
	if (e < 0 || rc != SQLITE_DONE)
		return e < 0 ? e : sql_errno(rc);

	rc = sqlite3_prepare_v2(r->db,
				"SELECT id, role, info, tier, failover_timeout, suppressed, registered "
				"FROM frameworks",
				-1, &s, NULL);
	while (rc == SQLITE_OK && e == 0 && (rc = step_row(s)) == SQLITE_OK) {
		struct registry_framework fw = {
			.id = column_text(s, 0),
			.role = column_text(s, 1),
			.info = column_json(s, 2),
			.tier = sqlite3_column_int(s, 3),
			.failover_timeout = sqlite3_column_double(s, 4),
			.suppressed = sqlite3_column_int(s, 5),
			.registered_ns = sqlite3_column_int64(s, 6), /* NULL: 0 */
		};
		e = ops->framework ? ops->framework(opaque, &fw) : 0;
		json_decref(fw.info);
	}
	sqlite3_finalize(s);
	if (e < 0 || rc != SQLITE_DONE)
		return e < 0 ? e : sql_errno(rc);

	rc = sqlite3_prepare_v2(r->db,
				"SELECT fw_id, id, agent_id, state, info, status, pending_uuid, "
				"acked_uuid, completed, name, res, kill FROM tasks ORDER BY completed, seq",
				-1, &s, NULL);
	while (rc == SQLITE_OK && e == 0 && (rc = step_row(s)) == SQLITE_OK) {
		struct registry_task t = {
			.fw_id = column_text(s, 0),
			.id = column_text(s, 1),
			.agent_id = column_text(s, 2),
			.state = column_text(s, 3),
			.info_text = column_text(s, 4), /* parsed by the master if it must */
			.status_text = column_text(s, 5),
			.pending_uuid = column_text(s, 6),
			.acked_uuid = column_text(s, 7),
			.completed = sqlite3_column_int(s, 8),
			.name = column_text(s, 9),
			.res_text = column_text(s, 10),
			.kill = column_json(s, 11),
		};
		e = ops->task ? ops->task(opaque, &t) : 0;
		json_decref(t.info);
		json_decref(t.status);
		json_decref(t.kill);
	}
	sqlite3_finalize(s);
	if (e < 0 || rc != SQLITE_DONE)
		return e < 0 ? e : sql_errno(rc);
	return 0;
}

/* ---------------------------------------------------------------- the backend table */

#define S(r) ((struct sqlite_registry *)(r))

static void op_close(struct registry *r)
{
	sqlite_close(S(r));
}

static const char *op_error(const struct registry *r)
{
	return sqlite_error((const struct sqlite_registry *)r);
}

static int op_load(struct registry *r, const struct registry_ops *ops, void *opaque)
{
	return sqlite_load(S(r), ops, opaque);
}

static int op_put_weight(struct registry *r, const char *role, double weight)
{
	return sqlite_put_weight(S(r), role, weight);
}

static int op_put_quota(struct registry *r, const char *role, json_t *config)
{
	return sqlite_put_quota(S(r), role, config);
}

static int op_put_agent(struct registry *r, const struct registry_agent *a)
{
	return sqlite_put_agent(S(r), a);
}

static int op_put_framework(struct registry *r, const struct registry_framework *fw)
{
	return sqlite_put_framework(S(r), fw);
}

static int op_remove_framework(struct registry *r, const char *id)
{
	return sqlite_remove_framework(S(r), id);
}

static int op_remove_agent(struct registry *r, const char *id)
{
	struct op *o = op_new(ST_DEL_AGENT);

	return push(S(r), o, o && add_text(o, id));
}

static int op_put_task(struct registry *r, const struct registry_task *t)
{
	return sqlite_put_task(S(r), t);
}

static int op_submit(struct registry *r)
{
	return sqlite_submit(S(r));
}

static int op_commit(struct registry *r)
{
	return sqlite_commit(S(r));
}

static int op_durable(struct registry *r, uint64_t *submitted, uint64_t *durable)
{
	return sqlite_durable(S(r), submitted, durable);
}

static void op_notify(struct registry *r, void (*fn)(void *opaque), void *opaque)
{
	sqlite_notify(S(r), fn, opaque);
}

static unsigned op_pending(const struct registry *r)
{
	return sqlite_pending((const struct sqlite_registry *)r);
}

static void op_stats(struct registry *r, struct registry_stats *ret)
{
	sqlite_stats(S(r), ret);
}

static const struct registry_backend sqlite_backend = {
	.name = "sqlite",
	.close = op_close,
	.error = op_error,
	.load = op_load,
	.put_weight = op_put_weight,
	.put_quota = op_put_quota,
	.put_agent = op_put_agent,
	.put_framework = op_put_framework,
	.remove_framework = op_remove_framework,
	.remove_agent = op_remove_agent,
	.put_task = op_put_task,
	.submit = op_submit,
	.commit = op_commit,
	.pending = op_pending,
	.stats = op_stats,
	.durable = op_durable,
	.notify = op_notify,
};
