// SPDX-License-Identifier: Apache-2.0
/*
 * What the operator API's read calls answer, built from struct master in Mesos's
 * Response.Get* shapes (proto/mesos/v1/master/master.proto: every required field set).
 * Drover's own fields (reachable, draining, tier, dominant_share, ...) sit beside Mesos's,
 * never in their place (docs/api.md lists them). The legacy endpoints reuse these builders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/sysinfo.h>

#include "leader.h"
#include "master.h"
#include "operator.h"
#include "registry.h"
#include "util.h"
#include "version.h"

/* May viewer see what belongs to role (view_roles)? */
static bool master_may_view_role(struct master *m, const char *viewer, const char *role)
{
	/* without a view_roles rule, whoever may call the operator API sees every role */
	if (m->acls.n[ACL_VIEW_ROLES] == 0)
		return true;
	return master_acls_allowed(&m->acls, ACL_VIEW_ROLES, viewer, role ? role : "*", NULL, 0);
}

bool master_may_view_framework(struct master *m, const char *viewer, const struct framework *fw)
{
	if (m->acls.n[ACL_VIEW_ROLES] == 0 || fw->nroles == 0)
		return master_may_view_role(m, viewer, fw->role);
	for (size_t i = 0; i < fw->nroles; i++)
		if (!master_may_view_role(m, viewer, fw->roles[i].name))
			return false;
	return true;
}

bool master_may_view_framework_info(struct master *m, const char *viewer, json_t *info)
{
	json_t *roles = json_object_get(info, "roles"), *r;
	size_t i;

	if (!json_array_size(roles))
		return master_may_view_role(m, viewer,
					    json_string_value(json_object_get(info, "role")));
	json_array_foreach(roles, i, r)
		if (!master_may_view_role(m, viewer, json_string_value(r)))
			return false;
	return true;
}

json_t *master_task_to_json(const struct task *t)
{
	json_t *j = json_pack("{s:s,s:o,s:o,s:o,s:s,s:o}", "name", t->name ? t->name : "",
			      "task_id", wire_id(t->id), "framework_id", wire_id(t->fw_id),
			      "agent_id", wire_id(t->agent_id), "state", task_state_name(t->state),
			      "resources", alloc_res_to_json(&t->res));

	if (t->status)
		json_object_set_new(j, "statuses", json_pack("[O]", t->status));
	else if (t->status_text)
		json_object_set_new(j, "statuses", json_pack("[o*]", master_task_status_copy(t)));
	return j;
}

/* The sum of a map's offers' resources (struct offer values). */
static void offers_sum(const struct strmap *offers, struct alloc_res *ret)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(offers, &it, NULL, &v);)
		alloc_res_add(ret, &((struct offer *)v)->res);
}

json_t *master_framework_info_view(json_t *info)
{
	json_t *v;

	if (json_is_string(json_object_get(info, "user")))
		return json_incref(info);
	/*
	 * FrameworkInfo.user is required in Mesos's schema; Drover lets a framework leave it
	 * out (its tasks then run as the agent's --task-user): "" says none was given.
	 */
	v = info ? json_copy(info) : json_object();
	json_object_set_new(v, "user", json_string(""));
	return v;
}

/* A TimeInfo of a wall-clock time in ns. */
static json_t *time_info(int64_t real_ns)
{
	return json_pack("{s:I}", "nanoseconds", (json_int_t)real_ns);
}

/* GetFrameworks.Framework's registered_time and reregistered_time, those known (as Mesos:
 * unset while 0, e.g. a recovered framework of a registry before schema 6). */
static void framework_times(json_t *j, const struct framework *fw)
{
	if (fw->registered_real_ns)
		json_object_set_new(j, "registered_time", time_info(fw->registered_real_ns));
	if (fw->reregistered_real_ns)
		json_object_set_new(j, "reregistered_time", time_info(fw->reregistered_real_ns));
}

/* Mesos's agent pid, "slave(1)@IP:PORT", from the address it connected from (Offer.url). */
static json_t *agent_pid(const struct agent *a)
{
	json_t *addr = json_object_get(a->url, "address");
	const char *ip = json_string_value(json_object_get(addr, "ip"));
	json_t *port = json_object_get(addr, "port");

	if (!ip || !json_is_integer(port))
		return NULL;
	return json_sprintf("slave(1)@%s:%" JSON_INTEGER_FORMAT, ip, json_integer_value(port));
}

/* a's AgentInfo as Mesos has it: what it registered with, its id and hostname. */
static json_t *agent_info(const struct agent *a)
{
	json_t *info = json_deep_copy(a->info);

	if (!info)
		info = json_object();
	json_object_set_new(info, "id", wire_id(a->id));
	json_object_set_new(info, "hostname", json_string(a->hostname ? a->hostname : ""));
	if (!json_is_array(json_object_get(info, "attributes")))
		json_object_set_new(info, "attributes", json_array());
	return info;
}

json_t *master_state_agent(struct master *m, const struct agent *a)
{
	const struct alloc_res *total = NULL, *avail = NULL;
	struct alloc_res offered = ALLOC_RES_INIT;
	json_t *info = agent_info(a), *j;

	/* version: what the agent reported at SUBSCRIBE ("" until a recovered one is back) */
	j = json_pack("{s:o,s:b,s:b,s:s,s:o}", "agent_info", info, "active",
		      a->connected && a->reachable, "deactivated", a->deactivated, "version",
		      a->version ? a->version : "", "total_resources",
		      alloc_res_to_json(&a->total));
	if (a->url)
		json_object_set_new(j, "pid", agent_pid(a));
	if (a->registered_real_ns)
		json_object_set_new(j, "registered_time", time_info(a->registered_real_ns));
	if (a->reregistered_real_ns)
		json_object_set_new(j, "reregistered_time", time_info(a->reregistered_real_ns));
	if (json_array_size(a->capabilities))
		json_object_set(j, "capabilities", a->capabilities);
	offers_sum(&a->offers, &offered);
	json_object_set_new(j, "offered_resources", alloc_res_to_json(&offered));
	if (alloc_agent_get(m->alloc, a->id, &total, &avail) == 0) {
		/* allocated: held by tasks (Mesos's meaning), not what is offered */
		struct alloc_res used = ALLOC_RES_INIT;
		alloc_res_copy(&used, total);
		alloc_res_sub(&used, avail);
		alloc_res_sub(&used, &offered);
		json_object_set_new(j, "allocated_resources", alloc_res_to_json(&used));
		json_object_set_new(j, "available_resources", alloc_res_to_json(avail));
		alloc_res_clear(&used);
	} else {
		json_object_set_new(j, "allocated_resources", json_array());
	}
	alloc_res_clear(&offered);
	if (a->draining)
		json_object_set_new(j, "drain_info",
				    json_pack("{s:s,s:{}}", "state", "DRAINING", "config"));
	/* Drover's */
	json_object_set_new(j, "reachable", json_boolean(a->reachable));
	json_object_set_new(j, "draining", json_boolean(a->draining));
	json_object_set_new(j, "recovered", json_boolean(a->recovered));
	if (a->enforcement)
		json_object_set(j, "enforcement", a->enforcement);
	json_object_set_new(j, "tasks", json_integer((json_int_t)strmap_size(&a->tasks)));
	return j;
}

json_t *master_state_framework(struct master *m, const struct framework *fw)
{
	struct alloc_res offered = ALLOC_RES_INIT, used = ALLOC_RES_INIT;
	struct alloc_framework_info fi;
	json_t *offers = json_array();
	json_t *j;
	size_t it;
	void *v;

	for (it = 0; strmap_next(&fw->offers, &it, NULL, &v);) {
		json_t *o = master_offer_to_json(v); /* the operator's view: the role always here */
		const struct offer *of = v;

		json_object_set_new(o, "allocation_info", json_pack("{s:s}", "role", of->role));
		json_array_append_new(offers, o);
	}
	offers_sum(&fw->offers, &offered);
	j = json_pack("{s:o,s:b,s:b,s:b,s:o,s:o}", "framework_info",
		      master_framework_info_view(fw->info), "active", fw->connected, "connected",
		      fw->connected, "recovered", fw->recovered, "offers", offers,
		      "offered_resources", alloc_res_to_json(&offered));
	framework_times(j, fw);
	if (alloc_framework_get(m->alloc, fw->id, NULL, &fi) == 0) {
		alloc_res_copy(&used, fi.allocated);
		alloc_res_sub(&used, &offered);
		json_object_set_new(j, "dominant_share", json_real(fi.share));
		json_object_set_new(j, "suppressed", json_boolean(fi.suppressed));
	}
	json_object_set_new(j, "allocated_resources", alloc_res_to_json(&used));
	alloc_res_clear(&used);
	alloc_res_clear(&offered);
	/* Drover's */
	json_object_set_new(j, "role", json_string(fw->role ? fw->role : "*"));
	json_object_set_new(j, "tier", json_integer(fw->tier));
	json_object_set_new(j, "tasks", json_integer((json_int_t)strmap_size(&fw->tasks)));
	return j;
}

json_t *master_state_agents(struct master *m)
{
	json_t *arr = json_array(), *recovered = json_array();
	size_t it;
	void *v;

	/* as Mesos: an agent read from the registry is listed by its AgentInfo alone under
	 * recovered_agents until it reregisters, then under agents */
	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);) {
		const struct agent *a = v;
		if (a->recovered)
			json_array_append_new(recovered, agent_info(a));
		else
			json_array_append_new(arr, master_state_agent(m, a));
	}
	return json_pack("{s:o,s:o}", "agents", arr, "recovered_agents", recovered);
}

/* GetFrameworks.completed_frameworks: the removed frameworks viewer may view. */
static json_t *completed_frameworks(struct master *m, const char *viewer)
{
	json_t *arr = json_array(), *c;
	size_t i;

	json_array_foreach(m->completed_frameworks, i, c)
		if (master_may_view_framework_info(m, viewer, json_object_get(c, "framework_info")))
			json_array_append(arr, c);
	return arr;
}

json_t *master_state_frameworks(struct master *m, const char *viewer)
{
	json_t *arr = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;
		if (master_may_view_framework(m, viewer, fw))
			json_array_append_new(arr, master_state_framework(m, fw));
	}
	return json_pack("{s:o,s:o}", "frameworks", arr, "completed_frameworks",
			 completed_frameworks(m, viewer));
}

void master_state_framework_completed(struct master *m, const struct framework *fw)
{
	json_t *j = json_pack("{s:o,s:b,s:b,s:b,s:o,s:s,s:i}", "framework_info",
			      master_framework_info_view(fw->info), "active", false, "connected",
			      false, "recovered", false, "unregistered_time",
			      time_info(now_real_ns()), "role", fw->role ? fw->role : "*", "tier",
			      fw->tier);

	if (!j || m->flags->max_completed_frameworks <= 0) {
		json_decref(j);
		return;
	}
	framework_times(j, fw);
	json_array_append_new(m->completed_frameworks, j);
	while (json_array_size(m->completed_frameworks) >
	       (size_t)m->flags->max_completed_frameworks)
		json_array_remove(m->completed_frameworks, 0);
}

json_t *master_state_tasks(struct master *m, const char *viewer)
{
	json_t *arr = json_array(), *done = json_array(), *unreach = json_array(), *c;
	size_t it, jt, i;
	void *v, *w;

	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;
		if (!master_may_view_framework(m, viewer, fw))
			continue;
		/* as Mesos: the tasks of unreachable agents (of partition-aware frameworks: the
		 * others' are TASK_LOST) are listed apart */
		for (jt = 0; strmap_next(&fw->tasks, &jt, NULL, &w);) {
			struct task *t = w;
			json_array_append_new(t->state == TASK_UNREACHABLE ? unreach : arr,
					      master_task_to_json(t));
		}
	}
	/* completed tasks keep no role: with view_roles rules, a viewer sees those of the
	 * frameworks it may still see */
	json_array_foreach(m->completed, i, c) {
		const char *fid = json_string_value(
			json_object_get(json_object_get(c, "framework_id"), "value"));
		struct framework *fw = fid ? strmap_get(&m->frameworks, fid) : NULL;
		if (m->acls.n[ACL_VIEW_ROLES] == 0 ||
		    (fw && master_may_view_framework(m, viewer, fw)))
			json_array_append(done, c);
	}
	return json_pack("{s:o,s:o,s:o}", "tasks", arr, "unreachable_tasks", unreach,
			 "completed_tasks", done);
}

struct executors_ctx {
	struct master *m;
	const char *viewer;
	struct agent *a;
	json_t *arr;
};

static void executor_cb(void *data, const char *fw_id, json_t *info)
{
	struct executors_ctx *c = data;
	struct framework *fw = strmap_get(&c->m->frameworks, fw_id);

	/* as its framework: an executor of a framework the viewer may not see is not shown */
	if (!fw || !master_may_view_framework(c->m, c->viewer, fw))
		return;
	json_array_append_new(c->arr, json_pack("{s:O,s:o}", "executor_info", info, "agent_id",
						wire_id(c->a->id)));
}

/* GET_EXECUTORS: the CUSTOM executors running on the agents (command tasks have none). */
json_t *master_state_executors(struct master *m, const char *viewer)
{
	struct executors_ctx c = {.m = m, .viewer = viewer, .arr = json_array()};
	size_t it;
	void *v;

	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);) {
		c.a = v;
		master_agent_executors_foreach(c.a, executor_cb, &c);
	}
	return json_pack("{s:o}", "executors", c.arr);
}

struct roles_ctx {
	struct master *m;
	const char *viewer;
	json_t *arr;
};

static void role_cb(void *opaque, const struct alloc_role_info *ri)
{
	struct roles_ctx *c = opaque;
	json_t *fws = json_array(), *j;
	size_t it;
	void *v;

	if (!master_may_view_role(c->m, c->viewer, ri->name)) {
		json_decref(fws);
		return;
	}
	for (it = 0; strmap_next(&c->m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;
		if (master_framework_role(fw, ri->name))
			json_array_append_new(fws, wire_id(fw->id));
	}
	j = json_pack("{s:s,s:f,s:o,s:o,s:f,s:f,s:o}", "name", ri->name, "weight", ri->weight,
		      "frameworks", fws, "resources", alloc_res_to_json(ri->allocated),
		      "dominant_share", ri->share, "weighted_share", ri->weighted_share,
		      "allocated", alloc_res_to_json(ri->allocated));
	if (ri->guarantee && !alloc_res_is_empty(ri->guarantee))
		json_object_set_new(j, "quota_guarantee", alloc_res_to_json(ri->guarantee));
	if (ri->limit && !alloc_res_is_empty(ri->limit))
		json_object_set_new(j, "quota_limit", alloc_res_to_json(ri->limit));
	json_array_append_new(c->arr, j);
}

json_t *master_state_roles(struct master *m, const char *viewer)
{
	struct roles_ctx c = {.m = m, .viewer = viewer, .arr = json_array()};

	alloc_roles_foreach(m->alloc, role_cb, &c);
	return json_pack("{s:o}", "roles", c.arr);
}

json_t *master_state_get_state(struct master *m, const char *viewer)
{
	return json_pack("{s:o,s:o,s:o,s:o}", "get_tasks", master_state_tasks(m, viewer),
			 "get_executors", master_state_executors(m, viewer), "get_frameworks",
			 master_state_frameworks(m, viewer), "get_agents", master_state_agents(m));
}

/* ---------------------------------------------------------------- metrics */

static void set_num(json_t *j, const char *name, double v)
{
	json_object_set_new(j, name, json_real(v));
}

/* master/<res>_{total,used,percent} for the scalars Mesos reports */
static void resource_metrics(struct master *m, json_t *j)
{
	static const char *const names[] = {"cpus", "mem", "disk", "gpus"};
	struct alloc_res total = ALLOC_RES_INIT, used = ALLOC_RES_INIT;
	char key[64];
	size_t it, jt;
	void *v, *w;

	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);) {
		struct agent *a = v;
		if (a->reachable)
			alloc_res_add(&total, &a->total);
	}
	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;
		for (jt = 0; strmap_next(&fw->tasks, &jt, NULL, &w);) {
			struct task *t = w;
			if (!task_state_terminal(t->state) && t->state != TASK_UNREACHABLE)
				alloc_res_add(&used, &t->res);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		double tv = (double)alloc_res_scalar(&total, names[i]) / ALLOC_SCALAR_UNIT;
		double uv = (double)alloc_res_scalar(&used, names[i]) / ALLOC_SCALAR_UNIT;
		snprintf(key, sizeof(key), "master/%s_total", names[i]);
		set_num(j, key, tv);
		snprintf(key, sizeof(key), "master/%s_used", names[i]);
		set_num(j, key, uv);
		snprintf(key, sizeof(key), "master/%s_percent", names[i]);
		set_num(j, key, tv > 0 ? uv / tv : 0);
	}
	alloc_res_clear(&total);
	alloc_res_clear(&used);
}

static void count_metrics(struct master *m, json_t *j)
{
	unsigned act = 0, conn = 0, disc = 0, inact = 0, unreach = 0;
	unsigned fa = 0, fc = 0, fd = 0, fi = 0;
	int count[TASK_STATE_MAX] = {0};
	char key[64];
	size_t it, jt, i;
	void *v, *w;
	json_t *c;

	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);) {
		struct agent *a = v;
		if (!a->reachable) {
			unreach++;
			continue;
		}
		a->connected ? conn++ : disc++;
		a->connected && !a->deactivated ? act++ : inact++;
	}
	for (it = 0; strmap_next(&m->frameworks, &it, NULL, &v);) {
		struct framework *fw = v;
		fw->connected ? (fc++, fa++) : (fd++, fi++);
		for (jt = 0; strmap_next(&fw->tasks, &jt, NULL, &w);)
			count[((struct task *)w)->state]++;
	}
	/* terminal states also count the completed history (--max-completed-tasks) */
	json_array_foreach(m->completed, i, c) {
		enum task_state s;
		if (task_state_parse(json_string_value(json_object_get(c, "state")), &s) == 0)
			count[s]++;
	}
	set_num(j, "master/slaves_active", act);
	set_num(j, "master/slaves_connected", conn);
	set_num(j, "master/slaves_disconnected", disc);
	set_num(j, "master/slaves_inactive", inact);
	set_num(j, "master/slaves_unreachable", unreach);
	set_num(j, "master/frameworks_active", fa);
	set_num(j, "master/frameworks_connected", fc);
	set_num(j, "master/frameworks_disconnected", fd);
	set_num(j, "master/frameworks_inactive", fi);
	for (int s = 0; s < TASK_STATE_MAX; s++) {
		const char *n = task_state_name(s) + 5; /* "TASK_" */
		size_t o = (size_t)snprintf(key, sizeof(key), "master/tasks_");
		for (; *n && o < sizeof(key) - 1; n++)
			key[o++] = (char)(*n >= 'A' && *n <= 'Z' ? *n + 32 : *n);
		key[o] = '\0';
		set_num(j, key, count[s]);
	}
}

static void system_metrics(json_t *j)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return;
	set_num(j, "system/cpus_total", (double)get_nprocs());
	set_num(j, "system/load_1min", (double)si.loads[0] / (1 << SI_LOAD_SHIFT));
	set_num(j, "system/load_5min", (double)si.loads[1] / (1 << SI_LOAD_SHIFT));
	set_num(j, "system/load_15min", (double)si.loads[2] / (1 << SI_LOAD_SHIFT));
	set_num(j, "system/mem_total_bytes", (double)si.totalram * si.mem_unit);
	set_num(j, "system/mem_free_bytes", (double)si.freeram * si.mem_unit);
}

json_t *master_metrics_snapshot(struct master *m)
{
	struct master_metrics *mm = &m->metrics;
	size_t qdepth, qdepth_max;
	json_t *j = json_object();

	master_queue_depth(m, &qdepth, &qdepth_max);
	/* Mesos's names */
	set_num(j, "master/elected", master_leader_elected(m) ? 1 : 0);
	set_num(j, "master/uptime_secs", (double)(now_mono_ns() - m->started_ns) / 1e9);
	resource_metrics(m, j);
	count_metrics(m, j);
	set_num(j, "master/outstanding_offers", (double)strmap_size(&m->offers));
	set_num(j, "master/event_queue_messages", (double)qdepth);
	set_num(j, "master/operator_event_stream_subscribers",
		(double)master_operator_subscribers(m));
	set_num(j, "allocator/mesos/allocation_runs", (double)mm->alloc_cycles);
	system_metrics(j);
	/* Drover's own */
	set_num(j, "master/agents", (double)strmap_size(&m->agents));
	set_num(j, "master/frameworks", (double)strmap_size(&m->frameworks));
	set_num(j, "master/offers_sent", (double)mm->offers_sent);
	set_num(j, "master/offers_declined", (double)mm->offers_declined);
	set_num(j, "master/offers_accepted", (double)mm->offers_accepted);
	set_num(j, "master/offers_rescinded", (double)mm->offers_rescinded);
	set_num(j, "master/tasks_launched", (double)mm->tasks_launched);
	set_num(j, "master/updates_forwarded", (double)mm->updates_forwarded);
	set_num(j, "master/updates_duplicate", (double)mm->updates_duplicate);
	set_num(j, "master/agent_claims_refused", (double)mm->agent_claims_refused);
	set_num(j, "master/event_queue_depth", (double)qdepth);
	set_num(j, "master/event_queue_max", (double)qdepth_max);
	set_num(j, "allocator/cycles", (double)mm->alloc_cycles);
	if (m->registry) {
		struct registry_stats rs;

		master_reg_stats(m->registry, &rs);
		set_num(j, "registry/commits", (double)rs.commits);
		set_num(j, "registry/writes", (double)rs.writes);
		set_num(j, "registry/queued", (double)rs.queued);
	}
	set_num(j, "registry/recovery_seconds", (double)mm->recovery_us / 1e6);
	set_num(j, "registry/recovered_tasks", (double)mm->recovered_tasks);
	return j;
}
