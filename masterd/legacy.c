// SPDX-License-Identifier: Apache-2.0
/*
 * The master's legacy JSON endpoints (Mesos's /master/state and friends; docs/api.md
 * "Legacy endpoints"). The HTTP thread routes, redirects and authenticates; the owner thread
 * authorizes each endpoint as the operator call it mirrors (GET_STATE, GET_METRICS,
 * GET_FLAGS, GET_VERSION) and writes Mesos's legacy JSON model from the master's state:
 * "slave" names, flat resource objects, times in seconds.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonnum.h"
#include "leader.h"
#include "legacy.h"
#include "log.h"
#include "master.h"
#include "operator.h"
#include "util.h"
#include "version.h"

struct route {
	const char *path, *name;
	bool leader_only; /* a follower redirects it (307) */
	const char *view; /* the operator call whose "view" authorization it needs */
};

static const struct route routes[] = {
	{"/master/state", "state", true, "GET_STATE"},
	{"/master/state.json", "state", true, "GET_STATE"},
	{"/state", "state", true, "GET_STATE"},
	{"/state.json", "state", true, "GET_STATE"},
	{"/master/state-summary", "state-summary", true, "GET_STATE"},
	{"/state-summary", "state-summary", true, "GET_STATE"},
	{"/metrics/snapshot", "snapshot", false, "GET_METRICS"},
	{"/version", "version", false, "GET_VERSION"},
	{"/flags", "flags", false, "GET_FLAGS"},
	{"/master/flags", "flags", false, "GET_FLAGS"},
	{NULL, NULL, false, NULL},
};

static const struct route *route_find(const char *path, const char *name)
{
	for (const struct route *r = routes; r->path; r++)
		if (path ? streq(r->path, path) : streq(r->name, name))
			return r;
	return NULL;
}

/* A Mesos duration ("5secs", "100ms", "1mins") or Drover's ("5s", "1m"); -EINVAL. */
static int parse_timeout(const char *s, double *ret_s)
{
	static const struct {
		const char *unit;
		double secs;
	} units[] = {{"ns", 1e-9}, {"us", 1e-6},    {"ms", 1e-3}, {"secs", 1},
		     {"s", 1},	   {"mins", 60},    {"m", 60},	  {"hrs", 3600},
		     {"h", 3600},  {"days", 86400}, {"d", 86400}, {"weeks", 604800}};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (streq(end, units[i].unit)) {
			*ret_s = v * units[i].secs;
			return 0;
		}
	return -EINVAL;
}

/* GET /master/redirect: 307 to //LEADER (even on the leader), 503 while none is known. */
static void redirect(struct master *m, struct http_request *req)
{
	bool self;
	char *addr = master_leader_current(m, &self);
	char loc[400];
	const char *hdrs[] = {"Location", loc, NULL};

	if (!addr) {
		master_reply_error(m, req, 503, "No leading master");
		return;
	}
	snprintf(loc, sizeof(loc), "//%s", addr);
	free(addr);
	master_count_status(m, 307);
	http_reply(req, 307, "text/plain", "", 0, hdrs);
}

/* A follower's answer to a leader-only endpoint: 307 to the same path and query there. */
static void follower_redirect(struct master *m, struct http_request *req, const char *addr)
{
	char query[1024], loc[2048];
	const char *hdrs[] = {"Location", loc, NULL};

	if (!addr) {
		master_reply_error(m, req, 503, "no leading master is elected yet");
		return;
	}
	http_request_query_string(req, query, sizeof(query));
	snprintf(loc, sizeof(loc), "//%s%s%s", addr, http_request_path(req), query);
	master_count_status(m, 307);
	http_reply(req, 307, "text/plain", "", 0, hdrs);
}

bool master_legacy_http(struct master *m, struct http_request *req)
{
	const char *path = http_request_path(req), *method = http_request_method(req);
	const char *jsonp = http_request_query(req, "jsonp");
	const char *timeout = http_request_query(req, "timeout");
	const struct route *r;
	char *principal = NULL;
	struct msg *msg;
	double secs;

	if (streq(path, "/master/redirect") || streq(path, "/redirect")) {
		redirect(m, req);
		return true;
	}
	if (strncmp(path, "/master/redirect/", 17) == 0 || strncmp(path, "/redirect/", 10) == 0) {
		master_reply_error(m, req, 404, "No endpoint '%s'", path);
		return true;
	}
	if (streq(path, "/master/health")) {
		master_reply_error(m, req, 200, "OK");
		return true;
	}
	r = route_find(path, NULL);
	if (!r)
		return false;
	if (!streq(method, "GET")) {
		master_reply_error(m, req, 405, "Expecting 'GET', received '%s'", method);
		return true;
	}
	if (r->leader_only) {
		bool self;
		char *addr = master_leader_current(m, &self);
		if (!self) {
			follower_redirect(m, req, addr);
			free(addr);
			return true;
		}
		free(addr);
	}
	if (!master_authenticate(m, req, &principal))
		return true;
	if (jsonp && !http_is_jsonp_name(jsonp)) {
		free(principal);
		master_reply_error(m, req, 400,
				   "Invalid 'jsonp': a callback name of letters, digits, '_', '$' "
				   "and '.' (at most 128)");
		return true;
	}
	if (timeout && parse_timeout(timeout, &secs) < 0) {
		free(principal);
		master_reply_error(m, req, 400, "Invalid timeout '%s'", timeout);
		return true;
	}
	msg = calloc(1, sizeof(*msg));
	if (!msg) {
		free(principal);
		master_reply_error(m, req, 503, "out of memory");
		return true;
	}
	msg->kind = MSG_LEGACY;
	msg->req = req;
	msg->principal = principal;
	msg->body = json_pack("{s:s,s:s*}", "endpoint", r->name, "jsonp", jsonp);
	master_enqueue(m, msg);
	return true;
}

/* ---------------------------------------------------------------- the legacy model */

static json_t *flat_res(const struct alloc_res *r)
{
	return alloc_res_to_legacy_json(r);
}

/* The same from a v1 Resource array (a completed task's record). */
static json_t *flat_res_v1(const json_t *arr)
{
	struct alloc_res r = ALLOC_RES_INIT;
	char err[128];
	json_t *j;

	if (arr && alloc_res_from_json(arr, &r, err, sizeof(err)) < 0)
		alloc_res_clear(&r);
	j = flat_res(&r);
	alloc_res_clear(&r);
	return j;
}

/* The legacy model of a TaskStatus: state, timestamp and what else Drover's has of Mesos's. */
static json_t *status_model(const json_t *st)
{
	static const char *const keys[] = {"state", "timestamp", "healthy", "labels",
					   "container_status"};
	json_t *j = json_object();

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(st, keys[i]);
		if (v)
			json_object_set(j, keys[i], v);
	}
	return j;
}

static json_t *task_model(const struct task *t)
{
	json_t *st = master_task_status_copy(t);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:[]}", "id", t->id, "name",
			      t->name ? t->name : "", "framework_id", t->fw_id, "executor_id", "",
			      "slave_id", t->agent_id, "state", task_state_name(t->state),
			      "resources", flat_res(&t->res), "role",
			      t->role		   ? t->role :
			      t->fw && t->fw->role ? t->fw->role :
						     "*",
			      "statuses");

	if (j && st)
		json_array_append_new(json_object_get(j, "statuses"), status_model(st));
	json_decref(st);
	return j;
}

/* A completed task's record (v1 JSON, GET_TASKS's completed_tasks) in the legacy model. */
static json_t *completed_model(const json_t *t)
{
	json_t *statuses = json_array(), *st;
	size_t i;

	json_array_foreach(json_object_get(t, "statuses"), i, st)
		json_array_append_new(statuses, status_model(st));
	return json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "id",
		json_string_value(json_object_get(json_object_get(t, "task_id"), "value")) ?: "",
		"name", json_string_value(json_object_get(t, "name")) ?: "", "framework_id",
		json_string_value(json_object_get(json_object_get(t, "framework_id"), "value")) ?:
												  "",
		"executor_id", "", "slave_id",
		json_string_value(json_object_get(json_object_get(t, "agent_id"), "value")) ?: "",
		"state", json_string_value(json_object_get(t, "state")) ?: "", "resources",
		flat_res_v1(json_object_get(t, "resources")), "statuses", statuses);
}

static const char *completed_field(const json_t *t, const char *key)
{
	return json_string_value(json_object_get(json_object_get(t, key), "value"));
}

/* Count a state name ("TASK_RUNNING") into counts. */
static void count_state(int counts[TASK_STATE_MAX], const char *name)
{
	enum task_state s;

	if (name && task_state_parse(name, &s) == 0)
		counts[s]++;
}

static void counts_set(json_t *j, const int counts[TASK_STATE_MAX])
{
	/* the summary's keys (Mesos's), all present */
	static const enum task_state shown[] = {TASK_STAGING,	 TASK_STARTING, TASK_RUNNING,
						TASK_KILLING,	 TASK_FINISHED, TASK_KILLED,
						TASK_FAILED,	 TASK_LOST,	TASK_ERROR,
						TASK_UNREACHABLE};

	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		json_object_set_new(j, task_state_name(shown[i]), json_integer(counts[shown[i]]));
}

/* Resources of an agent's or a framework's live (non-terminal) tasks. */
static void live_tasks_res(const struct strmap *tasks, struct alloc_res *ret)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(tasks, &it, NULL, &v);) {
		const struct task *t = v;
		if (!task_state_terminal(t->state))
			alloc_res_add(ret, &t->res);
	}
}

static void offers_res(const struct strmap *offers, struct alloc_res *ret)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(offers, &it, NULL, &v);)
		alloc_res_add(ret, &((const struct offer *)v)->res);
}

static bool agent_active(const struct agent *a)
{
	return a->connected && a->reachable && !a->deactivated;
}

/* Capabilities (a framework's, an agent's) as their type names. */
static json_t *capability_names(const json_t *caps)
{
	json_t *arr = json_array(), *c;
	size_t i;

	json_array_foreach(caps, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t)
			json_array_append_new(arr, json_string(t));
	}
	return arr;
}

/* Legacy times are float seconds of the wall clock. */
static json_t *secs(int64_t real_ns)
{
	return json_real((double)real_ns / 1e9);
}

static json_t *agent_model(const struct agent *a, bool summary, const json_t *completed)
{
	struct alloc_res used = ALLOC_RES_INIT, offered = ALLOC_RES_INIT;
	json_t *port = json_object_get(a->info, "port");
	json_t *j;

	live_tasks_res(&a->tasks, &used);
	offers_res(&a->offers, &offered);
	j = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:{},s:o,s:b,s:b,s:o}", "id", a->id, "hostname",
		      a->hostname, "port",
		      json_is_integer(port) ? json_integer_value(port) : (json_int_t)5051,
		      "attributes",
		      alloc_attributes_to_legacy_json(json_object_get(a->info, "attributes")),
		      "resources", flat_res(&a->total), "used_resources", flat_res(&used),
		      "offered_resources", flat_res(&offered), "reserved_resources",
		      "unreserved_resources", flat_res(&a->total), "active", agent_active(a),
		      "deactivated", a->deactivated, "capabilities",
		      capability_names(a->capabilities));
	alloc_res_clear(&used);
	alloc_res_clear(&offered);
	if (j && a->registered_real_ns)
		json_object_set_new(j, "registered_time", secs(a->registered_real_ns));
	if (j && a->reregistered_real_ns)
		json_object_set_new(j, "reregistered_time", secs(a->reregistered_real_ns));
	if (j && summary) {
		int counts[TASK_STATE_MAX] = {0};
		json_t *fws = json_object(), *t, *ids = json_array();
		const char *key;
		size_t it, i;
		void *v;

		for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
			const struct task *tk = v;
			counts[tk->state]++;
			json_object_set_new(fws, tk->fw_id, json_true());
		}
		json_array_foreach(completed, i, t)
			if (streq(completed_field(t, "agent_id"), a->id)) {
				count_state(counts, json_string_value(json_object_get(t, "state")));
				json_object_set_new(fws, completed_field(t, "framework_id") ?: "",
						    json_true());
			}
		counts_set(j, counts);
		json_object_foreach(fws, key, t)
			json_array_append_new(ids, json_string(key));
		json_decref(fws);
		json_object_set_new(j, "framework_ids", ids);
	}
	return j;
}

struct legacy_executors {
	const char *agent_id;
	const char *fw_id;
	json_t *arr;
};

/* One of a framework's executors as Mesos's state.json shows it: the ExecutorInfo's model. */
static void legacy_executor_cb(void *data, const char *fw_id, json_t *info)
{
	struct legacy_executors *c = data;
	json_t *j;

	if (!streq(fw_id, c->fw_id))
		return;
	j = json_pack(
		"{s:s,s:s,s:s,s:o,s:s}", "executor_id",
		json_string_value(json_object_get(json_object_get(info, "executor_id"), "value")),
		"name", json_string_value(json_object_get(info, "name")) ?: "", "framework_id",
		fw_id, "resources", flat_res_v1(json_object_get(info, "resources")), "slave_id",
		c->agent_id);
	if (j && json_object_get(info, "command"))
		json_object_set(j, "command", json_object_get(info, "command"));
	if (j)
		json_array_append_new(c->arr, j);
}

static json_t *framework_executors(struct master *m, const struct framework *fw)
{
	struct legacy_executors c = {.fw_id = fw->id, .arr = json_array()};
	size_t it;
	void *v;

	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);) {
		struct agent *a = v;
		c.agent_id = a->id;
		master_agent_executors_foreach(a, legacy_executor_cb, &c);
	}
	return c.arr;
}

static json_t *framework_model(struct master *m, const struct framework *fw, bool summary,
			       const json_t *completed)
{
	struct alloc_res used = ALLOC_RES_INIT, offered = ALLOC_RES_INIT, both = ALLOC_RES_INIT;
	const json_t *info = fw->info;
	const char *hostname = json_string_value(json_object_get(info, "hostname"));
	const char *webui = json_string_value(json_object_get(info, "webui_url"));
	json_t *j, *t;
	size_t it, i;
	void *v;

	live_tasks_res(&fw->tasks, &used);
	offers_res(&fw->offers, &offered);
	j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:b,s:b,s:b,s:o,s:o}", "id", fw->id, "name",
		      json_string_value(json_object_get(info, "name")) ?: "", "hostname",
		      hostname ? hostname : "", "webui_url", webui ? webui : "", "capabilities",
		      capability_names(json_object_get(info, "capabilities")), "active",
		      fw->connected, "connected", fw->connected, "recovered", fw->recovered,
		      "used_resources", flat_res(&used), "offered_resources", flat_res(&offered));
	if (!j)
		goto out;
	if (summary) {
		int counts[TASK_STATE_MAX] = {0};
		json_t *agents = json_object(), *ids = json_array();
		const char *key;

		for (it = 0; strmap_next(&fw->tasks, &it, NULL, &v);) {
			const struct task *tk = v;
			counts[tk->state]++;
			json_object_set_new(agents, tk->agent_id, json_true());
		}
		json_array_foreach(completed, i, t)
			if (streq(completed_field(t, "framework_id"), fw->id)) {
				count_state(counts, json_string_value(json_object_get(t, "state")));
				json_object_set_new(agents, completed_field(t, "agent_id") ?: "",
						    json_true());
			}
		counts_set(j, counts);
		json_object_foreach(agents, key, t)
			json_array_append_new(ids, json_string(key));
		json_decref(agents);
		json_object_set_new(j, "slave_ids", ids);
		goto out;
	}
	alloc_res_add(&both, &used);
	alloc_res_add(&both, &offered);
	json_object_set_new(j, "resources", flat_res(&both));
	json_object_set_new(j, "user",
			    json_string(json_string_value(json_object_get(info, "user")) ?: ""));
	json_object_set_new(j, "failover_timeout", json_real(fw->failover_timeout_s));
	json_object_set_new(j, "checkpoint",
			    json_boolean(json_is_true(json_object_get(info, "checkpoint"))));
	/* as Mesos: registered_time and unregistered_time always (0: not known, not
	 * removed), reregistered_time when known and not the same */
	json_object_set_new(j, "registered_time", secs(fw->registered_real_ns));
	json_object_set_new(j, "unregistered_time", json_real(0));
	if (fw->reregistered_real_ns && fw->reregistered_real_ns != fw->registered_real_ns)
		json_object_set_new(j, "reregistered_time", secs(fw->reregistered_real_ns));
	if (json_is_string(json_object_get(info, "principal")))
		json_object_set(j, "principal", json_object_get(info, "principal"));
	if (json_is_array(json_object_get(info, "roles")))
		json_object_set(j, "roles", json_object_get(info, "roles"));
	else
		json_object_set_new(j, "role", json_string(fw->role ? fw->role : "*"));
	if (json_object_get(info, "labels"))
		json_object_set(j, "labels",
				json_object_get(json_object_get(info, "labels"), "labels"));
	{
		json_t *tasks = json_array(), *done = json_array(), *offers = json_array();
		json_t *unreachable = json_array();
		/* as Mesos: the tasks of unreachable agents (partition-aware) are listed apart */
		for (it = 0; strmap_next(&fw->tasks, &it, NULL, &v);) {
			const struct task *tk = v;
			json_array_append_new(tk->state == TASK_UNREACHABLE ? unreachable : tasks,
					      task_model(tk));
		}
		json_array_foreach(completed, i, t)
			if (streq(completed_field(t, "framework_id"), fw->id))
				json_array_append_new(done, completed_model(t));
		for (it = 0; strmap_next(&fw->offers, &it, NULL, &v);) {
			const struct offer *o = v;
			json_array_append_new(offers, json_pack("{s:s,s:s,s:s,s:o}", "id", o->id,
								"framework_id", fw->id, "slave_id",
								o->agent->id, "resources",
								flat_res(&o->res)));
		}
		json_object_set_new(j, "tasks", tasks);
		json_object_set_new(j, "unreachable_tasks", unreachable);
		json_object_set_new(j, "completed_tasks", done);
		json_object_set_new(j, "offers", offers);
		json_object_set_new(j, "executors", framework_executors(m, fw));
	}
out:
	alloc_res_clear(&used);
	alloc_res_clear(&offered);
	alloc_res_clear(&both);
	return j;
}

/*
 * Frameworks that are gone: those the master keeps (GET_FRAMEWORKS' completed_frameworks,
 * --max-completed-frameworks), with their FrameworkInfo's name, user, role and when they
 * were removed, and those that only have tasks in the completed history (after a restart,
 * or past that bound), each with its completed tasks.
 */
/* A GetFrameworks.Framework's registered_time (0 when unset) and reregistered_time (when it
 * differs) on legacy fw, in seconds. */
static void completed_times(json_t *fw, json_t *rec)
{
	json_int_t reg = json_integer_value(
		json_object_get(json_object_get(rec, "registered_time"), "nanoseconds"));
	json_int_t rereg = json_integer_value(
		json_object_get(json_object_get(rec, "reregistered_time"), "nanoseconds"));

	json_object_set_new(fw, "registered_time", secs(reg));
	if (rereg && rereg != reg)
		json_object_set_new(fw, "reregistered_time", secs(rereg));
}

/* Removed frameworks viewer may view (view_roles; their tasks' only with their record). */
static json_t *completed_frameworks(struct master *m, const char *viewer)
{
	json_t *byid = json_object(), *arr = json_array(), *t, *fw;
	const char *id;
	size_t i;

	json_array_foreach(m->completed_frameworks, i, t) {
		json_t *info = json_object_get(t, "framework_info");
		json_t *gone =
			json_object_get(json_object_get(t, "unregistered_time"), "nanoseconds");
		id = completed_field(info, "id");
		if (!id || strmap_get(&m->frameworks, id) ||
		    !master_may_view_framework_info(m, viewer, info))
			continue;
		fw = json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:f,s:[],s:[],s:[],s:[],s:[]}", "id",
			       id, "name", json_string_value(json_object_get(info, "name")) ?: "",
			       "user", json_string_value(json_object_get(info, "user")) ?: "",
			       "role", json_string_value(json_object_get(t, "role")) ?: "*",
			       "active", 0, "connected", 0, "recovered", 0, "unregistered_time",
			       (double)json_integer_value(gone) / 1e9, "tasks", "unreachable_tasks",
			       "completed_tasks", "offers", "executors");
		completed_times(fw, t);
		json_object_set_new(byid, id, fw);
	}
	json_array_foreach(m->completed, i, t) {
		id = completed_field(t, "framework_id");
		if (!id || strmap_get(&m->frameworks, id))
			continue;
		fw = json_object_get(byid, id);
		if (!fw && m->acls.n[ACL_VIEW_ROLES] > 0)
			continue; /* its role is no longer known: shown to nobody, as GET_TASKS */
		if (!fw) {
			fw = json_pack("{s:s,s:b,s:b,s:b,s:[],s:[],s:[],s:[],s:[]}", "id", id,
				       "active", 0, "connected", 0, "recovered", 0, "tasks",
				       "unreachable_tasks", "completed_tasks", "offers",
				       "executors");
			json_object_set_new(byid, id, fw);
		}
		json_array_append_new(json_object_get(fw, "completed_tasks"), completed_model(t));
	}
	json_object_foreach(byid, id, fw)
		json_array_append(arr, fw);
	json_decref(byid);
	return arr;
}

static json_t *flags_object(struct master *m)
{
	return conf_to_json(master_flag_table, m->flags);
}

static json_t *state(struct master *m, struct msg *msg)
{
	json_t *info = master_leader_info(m);
	json_t *j = json_object(), *slaves = json_array(), *recovered = json_array();
	json_t *frameworks = json_array();
	unsigned active = 0, inactive = 0, unreachable = 0;
	double elected;
	size_t it;
	void *v;

	if (!j || !info) {
		json_decref(j);
		json_decref(info);
		json_decref(slaves);
		json_decref(recovered);
		json_decref(frameworks);
		return NULL;
	}
	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);) {
		const struct agent *a = v;
		if (a->recovered) {
			json_array_append_new(
				recovered,
				json_pack("{s:s,s:s,s:o,s:o}", "id", a->id, "hostname", a->hostname,
					  "resources", flat_res(&a->total), "attributes",
					  alloc_attributes_to_legacy_json(
						  json_object_get(a->info, "attributes"))));
			continue;
		}
		if (!a->reachable)
			unreachable++;
		else if (agent_active(a))
			active++;
		else
			inactive++;
		if (a->reachable)
			json_array_append_new(slaves, agent_model(a, false, NULL));
	}
	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);)
		if (master_may_view_framework(m, msg->principal, v)) /* view_roles, as GET_STATE */
			json_array_append_new(frameworks,
					      framework_model(m, v, false, m->completed));
	json_object_set_new(j, "version", json_string(DROVER_VERSION));
	json_object_set_new(j, "git_sha", json_string(DROVER_GIT_REV));
	json_object_set_new(j, "start_time", json_real((double)m->start_real_ns / 1e9));
	if (master_leader_elected_time(m, &elected))
		json_object_set_new(j, "elected_time", json_real(elected));
	json_object_set(j, "id", json_object_get(info, "id"));
	json_object_set(j, "pid", json_object_get(info, "pid"));
	json_object_set(j, "hostname", json_object_get(info, "hostname"));
	json_object_set(j, "capabilities", json_object_get(info, "capabilities"));
	json_object_set_new(j, "activated_slaves", json_integer(active));
	json_object_set_new(j, "deactivated_slaves", json_integer(inactive));
	json_object_set_new(j, "unreachable_slaves", json_integer(unreachable));
	/* state is answered by the leader only: it is the leader */
	json_object_set(j, "leader", json_object_get(info, "pid"));
	json_object_set(j, "leader_info", info);
	if (master_acls_allowed(&m->acls, ACL_VIEW, msg->principal, "GET_FLAGS", NULL, 0))
		json_object_set_new(j, "flags", flags_object(m));
	json_object_set_new(j, "slaves", slaves);
	json_object_set_new(j, "recovered_slaves", recovered);
	json_object_set_new(j, "frameworks", frameworks);
	json_object_set_new(j, "completed_frameworks", completed_frameworks(m, msg->principal));
	json_object_set_new(j, "orphan_tasks", json_array());
	json_object_set_new(j, "unregistered_frameworks", json_array());
	json_decref(info);
	return j;
}

static json_t *state_summary(struct master *m, const char *viewer)
{
	json_t *info = master_leader_info(m);
	json_t *slaves = json_array(), *frameworks = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);) {
		const struct agent *a = v;
		if (!a->recovered && a->reachable)
			json_array_append_new(slaves, agent_model(a, true, m->completed));
	}
	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);)
		if (master_may_view_framework(m, viewer, v))
			json_array_append_new(frameworks,
					      framework_model(m, v, true, m->completed));
	json_t *j = json_pack("{s:O*,s:o,s:o}", "hostname", json_object_get(info, "hostname"),
			      "slaves", slaves, "frameworks", frameworks);

	json_decref(info);
	return j;
}

/* ---------------------------------------------------------------- answering */

static void reply(struct master *m, struct http_request *req, json_t *j, const char *jsonp)
{
	char *s = j ? jsonnum_dumps(j, JSON_COMPACT) : NULL;
	char *wrapped = NULL;

	json_decref(j);
	if (!s) {
		master_reply_error(m, req, 503, "out of memory");
		return;
	}
	master_count_status(m, 200);
	if (jsonp && asprintf(&wrapped, "%s(%s);", jsonp, s) >= 0)
		http_reply(req, 200, "text/javascript", wrapped, strlen(wrapped), NULL);
	else
		http_reply(req, 200, "application/json", s, strlen(s), NULL);
	free(wrapped);
	free(s);
}

void master_legacy_reply(struct master *m, struct msg *msg)
{
	const char *name = json_string_value(json_object_get(msg->body, "endpoint"));
	const char *jsonp = json_string_value(json_object_get(msg->body, "jsonp"));
	const struct route *r = route_find(NULL, name);
	json_t *j;

	if (!r) {
		master_reply_error(m, msg->req, 404, "No endpoint");
		return;
	}
	/* queued while this master led, answered after it stopped */
	if (r->leader_only && master_leader_redirect(m, msg->req))
		return;
	if (!master_authorize(m, msg, ACL_VIEW, r->view))
		return;
	if (streq(name, "state"))
		j = state(m, msg);
	else if (streq(name, "state-summary"))
		j = state_summary(m, msg->principal);
	else if (streq(name, "snapshot"))
		j = master_metrics_snapshot(m); /* GET_METRICS's, flat */
	else if (streq(name, "version"))
		j = version_info_json();
	else
		j = json_pack("{s:o}", "flags", flags_object(m));
	reply(m, msg->req, j, jsonp);
}
