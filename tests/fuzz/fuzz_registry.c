// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: a master recovering from a registry whose rows are anything, through
 * either back end, then serving what it recovered. The first byte picks the back end; the
 * rest is lines, one record each, whose first character picks the table ('w'eights,
 * 'a'gents, 'f'rameworks, 't'asks).
 *
 *   SQLite (masterd/registry.c): the line's tab-separated fields are the table's columns in
 *   order (weights: role weight; agents: id hostname info reachable deactivated draining gone;
 *   frameworks: id role info tier failover_timeout suppressed; tasks: fw_id id agent_id
 *   state info status pending_uuid acked_uuid completed seq name res), each bound as text,
 *   or as NULL ("~"), an integer ("#12"), a real ("%1.5") or a blob ("&bytes"), into the
 *   registry's own schema (an in-memory database), so every type the columns can hold
 *   reaches the loader.
 *   ZooKeeper (masterd/registry_zk.c): "<table><node name>\t<data>": a znode of that
 *   directory and its bytes, served by the ZooKeeper calls defined below in place of a
 *   server.
 *
 * Then the operator's views (GET_STATE, GET_TASKS, GET_FRAMEWORKS, GET_AGENTS, /metrics),
 * and a minute without agents (recovered agents become unreachable, their tasks' updates
 * go out, frameworks fail over). The transport is harness_http.c's: every answer is checked.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "harness_http.h"
#include "log.h"
#include "loop.h"
#include "masterd/master.h"
#include "masterd/registry.h"
#include "masterd/registry_zk.h" /* (lib/zk.h: the synchronous ZooKeeper calls) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct master_flags flags;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *args[] = {"fuzz_registry", "--registry=none", "--listen=127.0.0.1:0", NULL};
	char err[256];
	int first;

	/* file:NAME?mode=memory URIs: the registry's connection and ours share one database */
	if (sqlite3_config(SQLITE_CONFIG_URI, 1) != SQLITE_OK)
		abort();
	if (conf_parse(master_flag_table, &flags, "DROVER_FUZZ_", 3, args, &first, err,
		       sizeof(err)) != CONF_OK) {
		fprintf(stderr, "fuzz_registry: %s\n", err);
		abort();
	}
	if (!getenv("FUZZ_VERBOSE")) /* (with it: what the master recovered, and why not) */
		log_max_level = LOG_ERR;
	return 0;
}

/* ---------------------------------------------------------------- the input's records */

struct rec {
	char table;
	const char *p; /* the rest of the line */
	size_t n;
};

#define MAX_RECS 64

static size_t split_lines(const uint8_t *data, size_t size, struct rec *recs)
{
	size_t i = 0, n = 0;

	while (i < size && n < MAX_RECS) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (data + i)) : size - i;

		if (len) {
			recs[n].table = (char)data[i];
			recs[n].p = (const char *)data + i + 1;
			recs[n].n = len - 1;
			n++;
		}
		i += len + 1;
	}
	return n;
}

/* ---------------------------------------------------------------- SQLite rows */

static const struct {
	char table;
	const char *sql;
	int ncols;
} inserts[] = {
	{'w', "INSERT INTO weights(role, weight) VALUES (?, ?)", 2},
	{'a', "INSERT INTO agents(id, hostname, info, reachable, deactivated, draining, gone) "
	      "VALUES (?, ?, ?, ?, ?, ?, ?)", 7},
	{'f', "INSERT INTO frameworks(id, role, info, tier, failover_timeout, suppressed) "
	      "VALUES (?, ?, ?, ?, ?, ?)", 6},
	{'t', "INSERT INTO tasks(fw_id, id, agent_id, state, info, status, pending_uuid, "
	      "acked_uuid, completed, seq, name, res) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	 12},
};

static void bind_field(sqlite3_stmt *s, int col, const char *f, size_t n)
{
	char num[64];

	if (n == 1 && f[0] == '~') {
		sqlite3_bind_null(s, col);
	} else if (n && (f[0] == '#' || f[0] == '%')) {
		snprintf(num, sizeof(num), "%.*s", (int)(n - 1 < 63 ? n - 1 : 63), f + 1);
		if (f[0] == '#')
			sqlite3_bind_int64(s, col, strtoll(num, NULL, 10));
		else
			sqlite3_bind_double(s, col, strtod(num, NULL));
	} else if (n && f[0] == '&') {
		sqlite3_bind_blob(s, col, f + 1, (int)n - 1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_text(s, col, f, (int)n, SQLITE_TRANSIENT);
	}
}

static void insert_row(sqlite3 *db, const struct rec *r)
{
	sqlite3_stmt *s = NULL;
	const char *p = r->p, *end = r->p + r->n;
	size_t k;

	for (k = 0; k < sizeof(inserts) / sizeof(inserts[0]); k++)
		if (inserts[k].table == r->table)
			break;
	if (k == sizeof(inserts) / sizeof(inserts[0]))
		return;
	if (sqlite3_prepare_v2(db, inserts[k].sql, -1, &s, NULL) != SQLITE_OK)
		abort();
	for (int col = 1; col <= inserts[k].ncols; col++) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		const char *fe = tab ? tab : end;

		bind_field(s, col, p, (size_t)(fe - p));
		p = tab ? tab + 1 : end;
	}
	(void)sqlite3_step(s); /* a row the schema refuses (NOT NULL, key) is left out */
	sqlite3_finalize(s);
}

static struct registry *sqlite_registry(const struct rec *recs, size_t n, sqlite3 **ret_db)
{
	static unsigned long seq;
	struct registry *reg = NULL;
	char uri[64], err[256];
	sqlite3 *db = NULL;

	/* our connection first: it keeps the in-memory database alive until we close it */
	snprintf(uri, sizeof(uri), "file:fuzzreg%lu?mode=memory&cache=shared", seq++);
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
			    NULL) != SQLITE_OK)
		abort();
	if (master_reg_open(uri, 100, &reg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_registry: %s\n", err);
		abort();
	}
	for (size_t i = 0; i < n; i++)
		insert_row(db, &recs[i]);
	*ret_db = db;
	return reg;
}

/* ---------------------------------------------------------------- ZooKeeper in memory */

#define ZK_ROOT "/drover"

static const struct rec *zk_recs;
static size_t zk_nrecs;

static const char *zk_dir(char table)
{
	switch (table) {
	case 'w':
		return ZK_ROOT "/weights";
	case 'a':
		return ZK_ROOT "/agents";
	case 'f':
		return ZK_ROOT "/frameworks";
	case 't':
		return ZK_ROOT "/tasks";
	default:
		return NULL;
	}
}

/* record i's node name (up to the tab) into buf */
static void zk_name(const struct rec *r, char *buf, size_t len)
{
	const char *tab = memchr(r->p, '\t', r->n);
	size_t n = tab ? (size_t)(tab - r->p) : r->n;

	snprintf(buf, len, "%.*s", (int)n, r->p);
}

int zoo_create(zhandle_t *zh, const char *path, const char *value, int valuelen,
	       const struct ACL_vector *acl, int mode, char *path_buffer, int path_buffer_len)
{
	return ZOK;
}

int zoo_get_children(zhandle_t *zh, const char *path, int watch, struct String_vector *strings)
{
	char name[256];
	int n = 0;

	strings->count = 0;
	strings->data = calloc(zk_nrecs ? zk_nrecs : 1, sizeof(char *));
	if (!strings->data)
		abort();
	for (size_t i = 0; i < zk_nrecs; i++) {
		const char *dir = zk_dir(zk_recs[i].table);
		if (!dir || strcmp(dir, path) != 0)
			continue;
		zk_name(&zk_recs[i], name, sizeof(name));
		strings->data[n] = strdup(name);
		if (!strings->data[n])
			abort();
		n++;
	}
	strings->count = n;
	return ZOK;
}

int zoo_get(zhandle_t *zh, const char *path, int watch, char *buffer, int *buffer_len,
	    struct Stat *stat)
{
	char node[512], name[256];

	/* the last record of that name wins, as a znode written twice */
	for (size_t i = zk_nrecs; i-- > 0;) {
		const char *dir = zk_dir(zk_recs[i].table), *tab;
		size_t dn;

		if (!dir)
			continue;
		zk_name(&zk_recs[i], name, sizeof(name));
		snprintf(node, sizeof(node), "%s/%s", dir, name);
		if (strcmp(node, path) != 0)
			continue;
		tab = memchr(zk_recs[i].p, '\t', zk_recs[i].n);
		dn = tab ? zk_recs[i].n - (size_t)(tab + 1 - zk_recs[i].p) : 0;
		if (dn > (size_t)*buffer_len)
			dn = (size_t)*buffer_len;
		if (dn)
			memcpy(buffer, tab + 1, dn);
		*buffer_len = dn ? (int)dn : -1; /* ZooKeeper: -1 for a node without data */
		return ZOK;
	}
	return ZNONODE;
}

int deallocate_String_vector(struct String_vector *v)
{
	for (int i = 0; i < v->count; i++)
		free(v->data[i]);
	free(v->data);
	v->data = NULL;
	v->count = 0;
	return 0;
}

/* ---------------------------------------------------------------- the master */

static void call(struct master *m, const char *method, const char *path, const char *body)
{
	struct http_request req = {
		.method = method,
		.path = path,
		.content_type = "application/json",
		.body = body,
		.len = strlen(body),
	};

	master_http_handler(&req, m);
	master_drain(m);
	if (!req.answered) {
		fprintf(stderr, "fuzz_registry: %s %s was never answered\n", method, path);
		abort();
	}
	harness_close_ended();
	master_drain(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const views[] = {"GET_STATE", "GET_TASKS", "GET_FRAMEWORKS",
					    "GET_AGENTS", "GET_ROLES", "GET_WEIGHTS"};
	struct harness_state *hs = harness_state();
	struct rec recs[MAX_RECS];
	struct registry *reg = NULL;
	struct master m;
	sqlite3 *db = NULL;
	char body[64], err[256];
	size_t n;

	if (size < 1)
		return 0;
	n = split_lines(data + 1, size - 1, recs);
	memset(hs, 0, sizeof(*hs));
	if (master_init(&m, &flags) < 0)
		abort();
	if (data[0] & 1) {
		zk_recs = recs;
		zk_nrecs = n;
		if (master_reg_zk_open((zhandle_t *)&m, ZK_ROOT, ZK_ROOT "/fence", NULL, 100, &reg,
				       err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz_registry: %s\n", err);
			abort();
		}
	} else {
		reg = sqlite_registry(recs, n, &db);
	}
	m.registry = reg;
	(void)master_registry_recover(&m, "fuzz");
	/* what was read is the master's own from here: nothing more goes to the registry (the
	 * ZooKeeper above answers reads only) */
	master_reg_close(m.registry);
	m.registry = NULL;
	sqlite3_close(db);
	zk_nrecs = 0;

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		snprintf(body, sizeof(body), "{\"type\":\"%s\"}", views[i]);
		call(&m, "POST", "/api/v1", body);
	}
	call(&m, "GET", "/metrics", "");
	master_offers_allocate(&m);
	master_drain(&m);
	master_agents_check_pings(&m, now_mono_ns() + 60LL * 1000000000);
	master_agents_check_pings(&m, now_mono_ns() + 120LL * 1000000000);
	master_framework_check_failover(&m, now_mono_ns() + 60LL * 1000000000);
	master_drain(&m);
	call(&m, "POST", "/api/v1", "{\"type\":\"GET_STATE\"}");
	master_fini(&m);
	return 0;
}
