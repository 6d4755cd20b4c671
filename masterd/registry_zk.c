// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "jsonnum.h"
#include "registry_zk.h"
#include "strmap.h"
#include "util.h"

#define DATA_MAX (1024 * 1024)
#define MULTI_BYTES (512 * 1024)

/* "quotas" since schema 4 (created at open in a registry that predates it) */
static const char *const dirs[] = {"weights", "agents", "frameworks", "tasks", "quotas"};

struct completed_entry {
	char *node; /* "tasks/<fw>|<task>" */
	int64_t seq;
};

struct zk_registry {
	struct registry base; /* first: the backend table */
	zhandle_t *zh;
	char *root, *fence;
	struct ACL_vector *acl; /* of what we create */
	unsigned history;
	char err[256];
	struct strmap mirror; /* "agents/<id>"... -> json_t record, as written */
	struct strmap stored; /* nodes that exist in ZooKeeper -> (void *)1 */
	struct strmap dirty; /* nodes changed since the last commit -> (void *)1 */
	struct completed_entry *done; /* completed tasks, oldest first (may hold stale ones) */
	size_t ndone, done_head, done_cap;
	size_t ncompleted;
	int64_t next_seq;
};

#define Z(r) ((struct zk_registry *)(r))

static const struct registry_backend zk_backend;

/* ZooKeeper's return codes to -errno (the message stays in master_reg_error()). */
static int zk_errno(struct zk_registry *r, int rc, const char *what)
{
	snprintf(r->err, sizeof(r->err), "%s: %s", what, zerror(rc));
	switch (rc) {
	case ZOK:
		return 0;
	case ZNONODE:
		return -ENOENT;
	case ZNODEEXISTS:
		return -EEXIST;
	case ZNOAUTH:
		return -EACCES;
	case ZCONNECTIONLOSS:
	case ZOPERATIONTIMEOUT:
		return -ECONNRESET;
	case ZSESSIONEXPIRED:
	case ZINVALIDSTATE:
		return -ESTALE;
	case ZMARSHALLINGERROR:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

void master_reg_zk_escape(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; s && *s && o + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == ':' || c == '-') {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	/* "." and ".." are not znode names */
	if (strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
		snprintf(buf, len, "%s", strcmp(buf, ".") == 0 ? "%2E" : "%2E%2E");
}

static void node_name(char *buf, size_t len, const char *dir, const char *a, const char *b)
{
	char ea[3 * 256 + 8], eb[3 * 256 + 8];

	master_reg_zk_escape(a, ea, sizeof(ea));
	if (b) {
		master_reg_zk_escape(b, eb, sizeof(eb));
		snprintf(buf, len, "%s/%s|%s", dir, ea, eb);
	} else {
		snprintf(buf, len, "%s/%s", dir, ea);
	}
}

/* Record rec (taken) as the new content of node, to be written at the next commit. */
static int put(struct zk_registry *r, const char *node, json_t *rec)
{
	void *old = NULL;
	int e;

	if (!rec)
		return -ENOMEM;
	e = strmap_put(&r->mirror, node, rec, &old);
	if (e < 0) {
		json_decref(rec);
		return e;
	}
	json_decref(old);
	return strmap_put(&r->dirty, node, (void *)1, NULL);
}

static int del(struct zk_registry *r, const char *node)
{
	json_decref(strmap_del(&r->mirror, node));
	return strmap_put(&r->dirty, node, (void *)1, NULL);
}

static void json_decref_v(void *p)
{
	json_decref(p);
}

static void op_close(struct registry *reg)
{
	struct zk_registry *r = Z(reg);

	strmap_clear(&r->mirror, json_decref_v);
	strmap_clear(&r->stored, NULL);
	strmap_clear(&r->dirty, NULL);
	for (size_t i = r->done_head; i < r->ndone; i++)
		free(r->done[i].node);
	free(r->done);
	free(r->root);
	free(r->fence);
	free(r);
}

static const char *op_error(const struct registry *reg)
{
	return Z(reg)->err;
}

/* ---------------------------------------------------------------- writes */

static int op_put_weight(struct registry *reg, const char *role, double weight)
{
	char node[2048];

	node_name(node, sizeof(node), "weights", role, NULL);
	return put(Z(reg), node, json_pack("{s:s,s:f}", "role", role, "weight", weight));
}

static int op_put_quota(struct registry *reg, const char *role, json_t *config)
{
	char node[2048];

	node_name(node, sizeof(node), "quotas", role, NULL);
	return put(Z(reg), node, json_pack("{s:s,s:O}", "role", role, "config", config));
}

static int op_put_agent(struct registry *reg, const struct registry_agent *a)
{
	char node[2048];

	json_t *rec;

	node_name(node, sizeof(node), "agents", a->id, NULL);
	rec = json_pack("{s:s,s:s,s:o,s:b,s:b,s:b,s:s*}", "id", a->id, "hostname",
			a->hostname ? a->hostname : "", "info",
			a->info ? json_incref(a->info) : json_object(), "reachable", a->reachable,
			"deactivated", a->deactivated, "draining", a->draining, "principal",
			a->principal);
	/* schema 5: when it was marked gone (absent: it was not) */
	if (rec && a->gone > 0 && json_object_set_new(rec, "gone", json_real(a->gone)) < 0) {
		json_decref(rec);
		rec = NULL;
	}
	/* schema 6: the capabilities it reported (absent: none known) */
	if (rec && a->capabilities && json_object_set(rec, "capabilities", a->capabilities) < 0) {
		json_decref(rec);
		rec = NULL;
	}
	return put(Z(reg), node, rec);
}

static int op_remove_agent(struct registry *reg, const char *id)
{
	char node[2048];

	node_name(node, sizeof(node), "agents", id, NULL);
	return del(Z(reg), node);
}

static int op_put_framework(struct registry *reg, const struct registry_framework *fw)
{
	char node[2048];

	json_t *rec;

	node_name(node, sizeof(node), "frameworks", fw->id, NULL);
	rec = json_pack("{s:s,s:s,s:o,s:i,s:f,s:b}", "id", fw->id, "role",
			fw->role ? fw->role : "*", "info",
			fw->info ? json_incref(fw->info) : json_object(), "tier", fw->tier,
			"failover_timeout", fw->failover_timeout, "suppressed", fw->suppressed);
	/* schema 6: when it first subscribed (absent: not known) */
	if (rec && fw->registered_ns > 0 &&
	    json_object_set_new(rec, "registered", json_integer(fw->registered_ns)) < 0) {
		json_decref(rec);
		rec = NULL;
	}
	return put(Z(reg), node, rec);
}

static int done_push(struct zk_registry *r, const char *node, int64_t seq)
{
	if (r->ndone == r->done_cap) {
		size_t live = r->ndone - r->done_head;
		if (r->done_head > 0) {
			memmove(r->done, r->done + r->done_head, live * sizeof(*r->done));
			r->ndone = live;
			r->done_head = 0;
		}
		if (r->ndone == r->done_cap) {
			size_t cap = r->done_cap ? 2 * r->done_cap : 64;
			struct completed_entry *d = realloc(r->done, cap * sizeof(*d));
			if (!d)
				return -ENOMEM;
			r->done = d;
			r->done_cap = cap;
		}
	}
	r->done[r->ndone].node = strdup(node);
	if (!r->done[r->ndone].node)
		return -ENOMEM;
	r->done[r->ndone++].seq = seq;
	r->ncompleted++;
	return 0;
}

/* Keep the history bounded: the oldest completed tasks go. */
static int prune(struct zk_registry *r)
{
	int e = 0;

	while (r->ncompleted > r->history && r->done_head < r->ndone && e == 0) {
		struct completed_entry *c = &r->done[r->done_head++];
		json_t *rec = strmap_get(&r->mirror, c->node);
		if (rec && json_is_true(json_object_get(rec, "completed")) &&
		    json_integer_value(json_object_get(rec, "seq")) == c->seq) {
			e = del(r, c->node);
			r->ncompleted--;
		}
		free(c->node);
	}
	return e;
}

static int put_task_rec(struct zk_registry *r, const char *node, json_t *rec)
{
	bool completed = json_is_true(json_object_get(rec, "completed"));
	int64_t seq = json_integer_value(json_object_get(rec, "seq"));
	json_t *old = strmap_get(&r->mirror, node);
	int e;

	if (old && json_is_true(json_object_get(old, "completed")))
		r->ncompleted--; /* counted again below if it still is */
	e = put(r, node, rec);
	if (e == 0 && completed)
		e = done_push(r, node, seq);
	return e;
}

static json_t *opt_string(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static int op_put_task(struct registry *reg, const struct registry_task *t)
{
	struct zk_registry *r = Z(reg);
	char node[2048];
	json_t *old, *info, *rec;

	node_name(node, sizeof(node), "tasks", t->fw_id, t->id);
	old = strmap_get(&r->mirror, node);
	info = t->info ? t->info : json_object_get(old, "info");
	rec = json_pack("{s:s,s:s,s:s,s:s,s:O?,s:O?,s:o,s:o,s:b,s:I,s:O*}", "fw_id", t->fw_id,
			"id", t->id, "agent_id", t->agent_id ? t->agent_id : "", "state",
			t->state ? t->state : "TASK_UNKNOWN", "info", info, "status", t->status,
			"pending_uuid", opt_string(t->pending_uuid), "acked_uuid",
			opt_string(t->acked_uuid), "completed", t->completed, "seq",
			(json_int_t)r->next_seq++, "kill", t->kill);
	if (!rec)
		return -ENOMEM;
	return put_task_rec(r, node, rec);
}

static int op_remove_framework(struct registry *reg, const char *id)
{
	struct zk_registry *r = Z(reg);
	char node[2048];
	size_t it, n = 0;
	const char *k;
	void *v;
	char **nodes = NULL;
	int e = 0;

	/* its tasks become completed history */
	for (it = 0; strmap_next(&r->mirror, &it, &k, &v);) {
		if (strncmp(k, "tasks/", 6) != 0 || json_is_true(json_object_get(v, "completed")) ||
		    !streq(json_string_value(json_object_get(v, "fw_id")), id))
			continue;
		char **nn = realloc(nodes, (n + 1) * sizeof(*nodes));
		if (!nn || !(nn[n] = strdup(k))) {
			nodes = nn ? nn : nodes;
			e = -ENOMEM;
			break;
		}
		nodes = nn;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *rec = e == 0 ? json_deep_copy(strmap_get(&r->mirror, nodes[i])) : NULL;
		if (rec) {
			json_object_set_new(rec, "completed", json_true());
			json_object_set_new(rec, "pending_uuid", json_null());
			json_object_set_new(rec, "seq", json_integer(r->next_seq++));
			e = put_task_rec(r, nodes[i], rec);
		} else if (e == 0) {
			e = -ENOMEM;
		}
		free(nodes[i]);
	}
	free(nodes);
	if (e < 0)
		return e;
	node_name(node, sizeof(node), "frameworks", id, NULL);
	return del(r, node);
}

/* ---------------------------------------------------------------- commit */

struct batch {
	zoo_op_t ops[ZK_MULTI_OPS + 1];
	zoo_op_result_t res[ZK_MULTI_OPS + 1];
	char *paths[ZK_MULTI_OPS + 1];
	char *data[ZK_MULTI_OPS + 1];
	const char *nodes[ZK_MULTI_OPS + 1];
	char created[ZK_MULTI_OPS + 1][16];
	int n;
	size_t bytes;
};

static void batch_reset(struct batch *b)
{
	for (int i = 0; i < b->n; i++) {
		free(b->paths[i]);
		free(b->data[i]);
	}
	b->n = 0;
	b->bytes = 0;
}

/* Send a batch (the fence check comes first); on success mark its nodes stored or gone. */
static int batch_send(struct zk_registry *r, struct batch *b)
{
	int rc;

	if (b->n <= 1)
		return 0;
	rc = zoo_multi(r->zh, b->n, b->ops, b->res);
	if (rc != ZOK) {
		if (b->res[0].err == ZNONODE)
			rc = ZSESSIONEXPIRED; /* our election znode is gone: we no longer lead */
		return zk_errno(r, rc, "zoo_multi");
	}
	for (int i = 1; i < b->n; i++) {
		if (b->data[i])
			strmap_put(&r->stored, b->nodes[i], (void *)1, NULL);
		else
			strmap_del(&r->stored, b->nodes[i]);
	}
	return 0;
}

static void batch_fence(struct zk_registry *r, struct batch *b)
{
	batch_reset(b);
	b->paths[0] = NULL;
	b->data[0] = NULL;
	zoo_check_op_init(&b->ops[0], r->fence, -1);
	memset(b->res, 0, sizeof(b->res)); /* a lost connection fills in nothing */
	b->n = 1;
}

/* Bring "stored" in line with ZooKeeper for the dirty nodes (after a failed transaction). */
static void resync(struct zk_registry *r)
{
	char path[3072];
	struct Stat st;
	size_t it;
	const char *k;

	for (it = 0; strmap_next(&r->dirty, &it, &k, NULL);) {
		snprintf(path, sizeof(path), "%s/%s", r->root, k);
		if (zoo_exists(r->zh, path, 0, &st) == ZOK)
			strmap_put(&r->stored, k, (void *)1, NULL);
		else
			strmap_del(&r->stored, k);
	}
}

static int commit_once(struct zk_registry *r)
{
	struct batch *b = calloc(1, sizeof(*b));
	size_t it;
	const char *k;
	int e = 0;

	if (!b)
		return -ENOMEM;
	batch_fence(r, b);
	for (it = 0; e == 0 && strmap_next(&r->dirty, &it, &k, NULL);) {
		json_t *rec = strmap_get(&r->mirror, k);
		bool stored = strmap_get(&r->stored, k) != NULL;
		char *path, *data = NULL;
		size_t len = 0;
		int i;

		if (!rec && !stored)
			continue;
		if (rec) {
			data = jsonnum_dumps(rec, JSON_COMPACT);
			if (!data) {
				e = -ENOMEM;
				break;
			}
			len = strlen(data);
			if (len >= DATA_MAX) {
				snprintf(r->err, sizeof(r->err), "'%s' is %zu bytes, over 1 MiB", k,
					 len);
				free(data);
				e = -EFBIG;
				break;
			}
		}
		if (b->n > ZK_MULTI_OPS || b->bytes + len > MULTI_BYTES) {
			e = batch_send(r, b);
			batch_fence(r, b);
			if (e < 0) {
				free(data);
				break;
			}
		}
		if (asprintf(&path, "%s/%s", r->root, k) < 0) {
			free(data);
			e = -ENOMEM;
			break;
		}
		i = b->n++;
		b->paths[i] = path;
		b->data[i] = data;
		b->nodes[i] = k;
		b->bytes += len + strlen(path);
		if (!rec)
			zoo_delete_op_init(&b->ops[i], path, -1);
		else if (stored)
			zoo_set_op_init(&b->ops[i], path, data, (int)len, -1, NULL);
		else
			zoo_create_op_init(&b->ops[i], path, data, (int)len, r->acl,
					   0, b->created[i], sizeof(b->created[i]));
	}
	if (e == 0)
		e = batch_send(r, b);
	batch_reset(b);
	free(b);
	return e;
}

static int op_commit(struct registry *reg)
{
	struct zk_registry *r = Z(reg);
	int e;

	if (!strmap_size(&r->dirty))
		return 0;
	e = prune(r);
	if (e == 0)
		e = commit_once(r);
	if (e == -ENOENT || e == -EEXIST) {
		/* what we believed stored was not: look, and try once more */
		resync(r);
		e = commit_once(r);
	}
	if (e == 0)
		strmap_clear(&r->dirty, NULL);
	return e;
}

static unsigned op_pending(const struct registry *reg)
{
	return (unsigned)strmap_size(&Z(reg)->dirty);
}

/* ---------------------------------------------------------------- reading back */

/* The records of one directory, as JSON, with their node names ("dir/name"). */
static int read_dir(struct zk_registry *r, const char *dir, char *buf, json_t **ret)
{
	struct String_vector sv = {0};
	char path[3072];
	json_t *out = json_object();
	int rc, e = 0;

	snprintf(path, sizeof(path), "%s/%s", r->root, dir);
	rc = zoo_get_children(r->zh, path, 0, &sv);
	if (rc != ZOK) {
		json_decref(out);
		return zk_errno(r, rc, path);
	}
	for (int i = 0; i < sv.count && e == 0; i++) {
		int len = DATA_MAX;
		char node[2048];
		json_t *rec;
		snprintf(path, sizeof(path), "%s/%s/%s", r->root, dir, sv.data[i]);
		rc = zoo_get(r->zh, path, 0, buf, &len, NULL);
		if (rc == ZNONODE)
			continue;
		if (rc != ZOK) {
			e = zk_errno(r, rc, path);
			break;
		}
		rec = len > 0 ? json_loadb(buf, (size_t)len, 0, NULL) : NULL;
		snprintf(node, sizeof(node), "%s/%s", dir, sv.data[i]);
		strmap_put(&r->stored, node, (void *)1, NULL);
		if (!json_is_object(rec)) {
			json_decref(rec); /* unreadable: skipped (the load ignores bad records) */
			continue;
		}
		json_object_set_new(out, node, rec);
	}
	deallocate_String_vector(&sv);
	if (e < 0) {
		json_decref(out);
		return e;
	}
	*ret = out;
	return 0;
}

static const char *str(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static int cmp_seq(const void *a, const void *b)
{
	int64_t x = json_integer_value(json_object_get(*(json_t *const *)a, "seq"));
	int64_t y = json_integer_value(json_object_get(*(json_t *const *)b, "seq"));

	return x < y ? -1 : x > y;
}

static int load_tasks(struct zk_registry *r, json_t *tasks, const struct registry_ops *ops,
		      void *opaque)
{
	size_t n = json_object_size(tasks), i = 0;
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *rec;
	const char *node;
	int e = 0;

	if (!v)
		return -ENOMEM;
	json_object_foreach(tasks, node, rec)
	{
		json_object_set_new(rec, "_node", json_string(node));
		v[i++] = rec;
	}
	qsort(v, n, sizeof(*v), cmp_seq);
	/* not completed first, then completed oldest first (as the SQLite registry reads) */
	for (int pass = 0; pass < 2 && e == 0; pass++) {
		for (i = 0; i < n && e == 0; i++) {
			bool completed = json_is_true(json_object_get(v[i], "completed"));
			int64_t seq = json_integer_value(json_object_get(v[i], "seq"));
			if (completed != (pass == 1))
				continue;
			struct registry_task t = {
				.fw_id = str(v[i], "fw_id"),
				.id = str(v[i], "id"),
				.agent_id = str(v[i], "agent_id"),
				.state = str(v[i], "state"),
				.info = json_object_get(v[i], "info"),
				.status = json_object_get(v[i], "status"),
				.pending_uuid = str(v[i], "pending_uuid"),
				.acked_uuid = str(v[i], "acked_uuid"),
				.completed = completed,
				.kill = json_is_object(json_object_get(v[i], "kill"))
						? json_object_get(v[i], "kill")
						: NULL,
			};
			/* (a record's seq is whatever the znode says: INT64_MAX must not wrap) */
			if (seq >= r->next_seq && seq < INT64_MAX)
				r->next_seq = seq + 1;
			if (ops->task)
				e = ops->task(opaque, &t);
			node = str(v[i], "_node");
			if (e == 0 && node) {
				char *k = strdup(node);
				json_object_del(v[i], "_node");
				e = k ? put(r, k, json_incref(v[i])) : -ENOMEM;
				if (e == 0 && completed)
					e = done_push(r, k, seq);
				free(k);
			}
		}
	}
	free(v);
	return e;
}

static int op_load(struct registry *reg, const struct registry_ops *ops, void *opaque)
{
	struct zk_registry *r = Z(reg);
	json_t *recs[ARRAY_SIZE(dirs)] = {NULL};
	char *buf = malloc(DATA_MAX);
	const char *node;
	json_t *rec;
	int e = buf ? 0 : -ENOMEM;

	for (size_t d = 0; d < ARRAY_SIZE(dirs) && e == 0; d++)
		e = read_dir(r, dirs[d], buf, &recs[d]);
	free(buf);
	json_object_foreach(e == 0 ? recs[0] : NULL, node, rec)
	{
		if (e == 0 && ops->weight)
			e = ops->weight(opaque, str(rec, "role"),
					json_number_value(json_object_get(rec, "weight")));
		if (e == 0)
			e = put(r, node, json_incref(rec));
	}
	json_object_foreach(e == 0 ? recs[4] : NULL, node, rec)
	{
		if (e == 0 && ops->quota)
			e = ops->quota(opaque, str(rec, "role"), json_object_get(rec, "config"));
		if (e == 0)
			e = put(r, node, json_incref(rec));
	}
	json_object_foreach(e == 0 ? recs[1] : NULL, node, rec)
	{
		struct registry_agent a = {
			.id = str(rec, "id"),
			.hostname = str(rec, "hostname"),
			.info = json_object_get(rec, "info"),
			.reachable = json_is_true(json_object_get(rec, "reachable")),
			.deactivated = json_is_true(json_object_get(rec, "deactivated")),
			.draining = json_is_true(json_object_get(rec, "draining")),
			.principal = str(rec, "principal"),
			.gone = json_is_number(json_object_get(rec, "gone"))
					? json_number_value(json_object_get(rec, "gone"))
					: 0,
			.capabilities = json_object_get(rec, "capabilities"),
		};
		if (e == 0 && ops->agent)
			e = ops->agent(opaque, &a);
		if (e == 0)
			e = put(r, node, json_incref(rec));
	}
	json_object_foreach(e == 0 ? recs[2] : NULL, node, rec)
	{
		struct registry_framework fw = {
			.id = str(rec, "id"),
			.role = str(rec, "role"),
			.info = json_object_get(rec, "info"),
			.tier = (int)json_integer_value(json_object_get(rec, "tier")),
			.failover_timeout =
				json_number_value(json_object_get(rec, "failover_timeout")),
			.suppressed = json_is_true(json_object_get(rec, "suppressed")),
			.registered_ns = json_integer_value(json_object_get(rec, "registered")),
		};
		if (e == 0 && ops->framework)
			e = ops->framework(opaque, &fw);
		if (e == 0)
			e = put(r, node, json_incref(rec));
	}
	if (e == 0)
		e = load_tasks(r, recs[3], ops, opaque);
	for (size_t d = 0; d < ARRAY_SIZE(recs); d++)
		json_decref(recs[d]);
	/* what was just read is stored already */
	strmap_clear(&r->dirty, NULL);
	return e;
}

/* ---------------------------------------------------------------- open */

static int ensure_node(struct zk_registry *r, const char *path)
{
	int rc = zoo_create(r->zh, path, NULL, -1, r->acl, 0, NULL, 0);

	return rc == ZOK || rc == ZNODEEXISTS ? 0 : zk_errno(r, rc, path);
}

int master_reg_zk_open(zhandle_t *zh, const char *root, const char *fence, struct ACL_vector *acl,
		       unsigned history, struct registry **ret, char *err, size_t errlen)
{
	struct zk_registry *r = calloc(1, sizeof(*r));
	char path[3072];
	int e;

	if (!r || !(r->root = strdup(root)) || !(r->fence = strdup(fence))) {
		if (r)
			free(r->root);
		free(r);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->base.backend = &zk_backend;
	r->zh = zh;
	r->acl = acl;
	r->history = history;
	r->next_seq = 1;
	strmap_init(&r->mirror);
	strmap_init(&r->stored);
	strmap_init(&r->dirty);
	e = ensure_node(r, root);
	for (size_t d = 0; d < ARRAY_SIZE(dirs) && e == 0; d++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[d]);
		e = ensure_node(r, path);
	}
	if (e < 0) {
		snprintf(err, errlen, "%s", r->err);
		op_close(&r->base);
		return e;
	}
	*ret = &r->base;
	return 0;
}

static const struct registry_backend zk_backend = {
	.name = "zookeeper",
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
	.commit = op_commit,
	.pending = op_pending,
};
