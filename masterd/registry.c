// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "registry.h"
#include "util.h"

#define SCHEMA_VERSION 1

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
	_ST_MAX,
};

static const char *const stmt_sql[_ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_PUT_WEIGHT] = "INSERT INTO weights(role, weight) VALUES (?1, ?2) "
			  "ON CONFLICT(role) DO UPDATE SET weight = excluded.weight",
	[ST_PUT_AGENT] = "INSERT INTO agents(id, hostname, info, reachable, deactivated, draining) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET "
			 "hostname = excluded.hostname, info = excluded.info, "
			 "reachable = excluded.reachable, deactivated = excluded.deactivated, "
			 "draining = excluded.draining",
	[ST_PUT_FRAMEWORK] = "INSERT INTO frameworks(id, role, info, tier, failover_timeout, "
			     "suppressed) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE "
			     "SET role = excluded.role, info = excluded.info, tier = excluded.tier, "
			     "failover_timeout = excluded.failover_timeout, "
			     "suppressed = excluded.suppressed",
	[ST_DEL_FRAMEWORK] = "DELETE FROM frameworks WHERE id = ?1",
	[ST_COMPLETE_FW_TASKS] = "UPDATE tasks SET completed = 1, seq = ?2 "
				 "WHERE fw_id = ?1 AND completed = 0",
	[ST_PUT_TASK] = "INSERT INTO tasks(fw_id, id, agent_id, state, info, status, pending_uuid, "
			"acked_uuid, completed, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
			"ON CONFLICT(fw_id, id) DO UPDATE SET agent_id = excluded.agent_id, "
			"state = excluded.state, info = COALESCE(excluded.info, info), "
			"status = excluded.status, pending_uuid = excluded.pending_uuid, "
			"acked_uuid = excluded.acked_uuid, completed = excluded.completed, "
			"seq = excluded.seq",
	[ST_PRUNE] = "DELETE FROM tasks WHERE completed = 1 AND seq <= (SELECT seq FROM tasks "
		     "WHERE completed = 1 ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS weights(role TEXT PRIMARY KEY, weight REAL NOT NULL);"
	"CREATE TABLE IF NOT EXISTS agents(id TEXT PRIMARY KEY, hostname TEXT NOT NULL,"
	" info TEXT NOT NULL, reachable INTEGER NOT NULL, deactivated INTEGER NOT NULL,"
	" draining INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS frameworks(id TEXT PRIMARY KEY, role TEXT NOT NULL,"
	" info TEXT NOT NULL, tier INTEGER NOT NULL, failover_timeout REAL NOT NULL,"
	" suppressed INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tasks(fw_id TEXT NOT NULL, id TEXT NOT NULL,"
	" agent_id TEXT NOT NULL, state TEXT NOT NULL, info TEXT, status TEXT,"
	" pending_uuid TEXT, acked_uuid TEXT, completed INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" PRIMARY KEY(fw_id, id));"
	"CREATE INDEX IF NOT EXISTS tasks_history ON tasks(completed, seq);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '1');";

struct sqlite_registry {
	struct registry base; /* first: the backend table */
	sqlite3 *db;
	sqlite3_stmt *st[_ST_MAX];
	bool in_tx;
	unsigned pending;
	unsigned history;
	int64_t completed; /* completed rows, as far as we know */
	int64_t next_seq;
};

static const char *sqlite_error(const struct sqlite_registry *r)
{
	return r && r->db ? sqlite3_errmsg(r->db) : "out of memory";
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

static int sqlite_commit(struct sqlite_registry *r);
static const struct registry_backend sqlite_backend;

static void sqlite_close(struct sqlite_registry *r)
{
	if (!r)
		return;
	if (r->in_tx)
		sqlite_commit(r);
	for (int i = 0; i < _ST_MAX; i++)
		sqlite3_finalize(r->st[i]);
	sqlite3_close(r->db);
	free(r);
}

int registry_open(const char *path, unsigned history, struct registry **ret, char *err,
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
	rc = sqlite3_open_v2(path, &r->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	/* WAL: a commit appends to the log; FULL: and fsyncs it before COMMIT returns */
	if ((e = exec(r, "PRAGMA journal_mode=WAL")) < 0 ||
	    (e = exec(r, "PRAGMA synchronous=FULL")) < 0 || (e = exec(r, schema)) < 0) {
		rc = SQLITE_ERROR;
		goto fail;
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
	*ret = &r->base;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, sqlite_error(r));
	e = sql_errno(rc ? rc : SQLITE_ERROR);
	sqlite_close(r);
	return e;
}

/* ---------------------------------------------------------------- writes */

static int begin(struct sqlite_registry *r)
{
	int rc;

	if (r->in_tx)
		return 0;
	rc = sqlite3_step(r->st[ST_BEGIN]);
	sqlite3_reset(r->st[ST_BEGIN]);
	if (rc != SQLITE_DONE)
		return sql_errno(rc);
	r->in_tx = true;
	return 0;
}

/* Run a bound statement inside the open transaction. */
static int run(struct sqlite_registry *r, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return sql_errno(rc);
	r->pending++;
	return 0;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* JSON columns: compact text, or NULL. */
static int bind_json(sqlite3_stmt *s, int i, json_t *j)
{
	char *t;

	if (!j) {
		sqlite3_bind_null(s, i);
		return 0;
	}
	t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!t)
		return -ENOMEM;
	sqlite3_bind_text(s, i, t, -1, free);
	return 0;
}

static int sqlite_put_weight(struct sqlite_registry *r, const char *role, double weight)
{
	sqlite3_stmt *s = r->st[ST_PUT_WEIGHT];
	int e = begin(r);

	if (e < 0)
		return e;
	bind_text(s, 1, role);
	sqlite3_bind_double(s, 2, weight);
	return run(r, s);
}

static int sqlite_put_agent(struct sqlite_registry *r, const struct registry_agent *a)
{
	sqlite3_stmt *s = r->st[ST_PUT_AGENT];
	int e = begin(r);

	if (e < 0)
		return e;
	bind_text(s, 1, a->id);
	sqlite3_bind_text(s, 2, a->hostname ? a->hostname : "", -1, SQLITE_TRANSIENT);
	if (a->info)
		e = bind_json(s, 3, a->info);
	else
		sqlite3_bind_text(s, 3, "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, a->reachable);
	sqlite3_bind_int(s, 5, a->deactivated);
	sqlite3_bind_int(s, 6, a->draining);
	if (e < 0) {
		sqlite3_clear_bindings(s);
		return e;
	}
	return run(r, s);
}

static int sqlite_put_framework(struct sqlite_registry *r, const struct registry_framework *fw)
{
	sqlite3_stmt *s = r->st[ST_PUT_FRAMEWORK];
	int e = begin(r);

	if (e < 0)
		return e;
	bind_text(s, 1, fw->id);
	sqlite3_bind_text(s, 2, fw->role ? fw->role : "*", -1, SQLITE_TRANSIENT);
	if (fw->info)
		e = bind_json(s, 3, fw->info);
	else
		sqlite3_bind_text(s, 3, "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, fw->tier);
	sqlite3_bind_double(s, 5, fw->failover_timeout);
	sqlite3_bind_int(s, 6, fw->suppressed);
	if (e < 0) {
		sqlite3_clear_bindings(s);
		return e;
	}
	return run(r, s);
}

static int sqlite_remove_framework(struct sqlite_registry *r, const char *id)
{
	sqlite3_stmt *s;
	int e = begin(r);

	if (e < 0)
		return e;
	s = r->st[ST_COMPLETE_FW_TASKS];
	bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, r->next_seq++);
	e = run(r, s);
	if (e < 0)
		return e;
	r->completed += sqlite3_changes(r->db);
	s = r->st[ST_DEL_FRAMEWORK];
	bind_text(s, 1, id);
	return run(r, s);
}

static int sqlite_put_task(struct sqlite_registry *r, const struct registry_task *t)
{
	sqlite3_stmt *s = r->st[ST_PUT_TASK];
	int e = begin(r);

	if (e < 0)
		return e;
	bind_text(s, 1, t->fw_id);
	bind_text(s, 2, t->id);
	sqlite3_bind_text(s, 3, t->agent_id ? t->agent_id : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, t->state ? t->state : "TASK_UNKNOWN", -1, SQLITE_TRANSIENT);
	e = bind_json(s, 5, t->info);
	if (e == 0)
		e = bind_json(s, 6, t->status);
	bind_text(s, 7, t->pending_uuid);
	bind_text(s, 8, t->acked_uuid);
	sqlite3_bind_int(s, 9, t->completed);
	sqlite3_bind_int64(s, 10, r->next_seq++);
	if (e < 0) {
		sqlite3_clear_bindings(s);
		return e;
	}
	e = run(r, s);
	if (e == 0 && t->completed)
		r->completed++;
	return e;
}

static int sqlite_commit(struct sqlite_registry *r)
{
	int rc, e = 0;

	if (!r->in_tx)
		return 0;
	if (r->completed > (int64_t)r->history) {
		sqlite3_stmt *s = r->st[ST_PRUNE];
		sqlite3_bind_int64(s, 1, r->history);
		e = run(r, s);
		if (e == 0)
			r->completed = r->history;
	}
	rc = sqlite3_step(r->st[ST_COMMIT]);
	sqlite3_reset(r->st[ST_COMMIT]);
	if (rc != SQLITE_DONE) {
		e = sql_errno(rc);
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	}
	r->in_tx = false;
	r->pending = 0;
	return e;
}

static unsigned sqlite_pending(const struct sqlite_registry *r)
{
	return r->pending;
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

static int sqlite_load(struct sqlite_registry *r, const struct registry_ops *ops, void *opaque)
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

	rc = sqlite3_prepare_v2(r->db,
				"SELECT id, hostname, info, reachable, deactivated, draining FROM agents",
				-1, &s, NULL);
	while (rc == SQLITE_OK && e == 0 && (rc = step_row(s)) == SQLITE_OK) {
		struct registry_agent a = {
			.id = column_text(s, 0),
			.hostname = column_text(s, 1),
			.info = column_json(s, 2),
			.reachable = sqlite3_column_int(s, 3),
			.deactivated = sqlite3_column_int(s, 4),
			.draining = sqlite3_column_int(s, 5),
		};
		e = ops->agent ? ops->agent(opaque, &a) : 0;
		json_decref(a.info);
	}
	sqlite3_finalize(s);
	if (e < 0 || rc != SQLITE_DONE)
		return e < 0 ? e : sql_errno(rc);

	rc = sqlite3_prepare_v2(r->db,
				"SELECT id, role, info, tier, failover_timeout, suppressed FROM frameworks",
				-1, &s, NULL);
	while (rc == SQLITE_OK && e == 0 && (rc = step_row(s)) == SQLITE_OK) {
		struct registry_framework fw = {
			.id = column_text(s, 0),
			.role = column_text(s, 1),
			.info = column_json(s, 2),
			.tier = sqlite3_column_int(s, 3),
			.failover_timeout = sqlite3_column_double(s, 4),
			.suppressed = sqlite3_column_int(s, 5),
		};
		e = ops->framework ? ops->framework(opaque, &fw) : 0;
		json_decref(fw.info);
	}
	sqlite3_finalize(s);
	if (e < 0 || rc != SQLITE_DONE)
		return e < 0 ? e : sql_errno(rc);

	rc = sqlite3_prepare_v2(r->db,
				"SELECT fw_id, id, agent_id, state, info, status, pending_uuid, "
				"acked_uuid, completed FROM tasks ORDER BY completed, seq",
				-1, &s, NULL);
	while (rc == SQLITE_OK && e == 0 && (rc = step_row(s)) == SQLITE_OK) {
		struct registry_task t = {
			.fw_id = column_text(s, 0),
			.id = column_text(s, 1),
			.agent_id = column_text(s, 2),
			.state = column_text(s, 3),
			.info = column_json(s, 4),
			.status = column_json(s, 5),
			.pending_uuid = column_text(s, 6),
			.acked_uuid = column_text(s, 7),
			.completed = sqlite3_column_int(s, 8),
		};
		e = ops->task ? ops->task(opaque, &t) : 0;
		json_decref(t.info);
		json_decref(t.status);
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

static int op_put_task(struct registry *r, const struct registry_task *t)
{
	return sqlite_put_task(S(r), t);
}

static int op_commit(struct registry *r)
{
	return sqlite_commit(S(r));
}

static unsigned op_pending(const struct registry *r)
{
	return sqlite_pending((const struct sqlite_registry *)r);
}

static const struct registry_backend sqlite_backend = {
	.name = "sqlite",
	.close = op_close,
	.error = op_error,
	.load = op_load,
	.put_weight = op_put_weight,
	.put_agent = op_put_agent,
	.put_framework = op_put_framework,
	.remove_framework = op_remove_framework,
	.put_task = op_put_task,
	.commit = op_commit,
	.pending = op_pending,
};
