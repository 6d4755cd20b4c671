// SPDX-License-Identifier: Apache-2.0
/*
 * The master's side of the registry (owner thread): write what changed as it changes, hand
 * it to the registry's writer once per loop iteration, and at start read it all back into
 * struct master.
 *
 * Recovery: frameworks come back disconnected (their failover timeout runs from the
 * restart, and at least --agent-reregister-timeout); agents come back unconnected and get
 * --agent-reregister-timeout to reregister with their tasks before those are reported
 * UNREACHABLE (partition-aware frameworks) or LOST; tasks come back with their latest
 * status, and an update that was never acknowledged goes out again when the framework
 * resubscribes.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonnum.h"
#include "leader.h"
#include "log.h"
#include "master.h"
#include "operator.h"
#include "mkdir.h"
#include "registry.h"
#include "validate.h"

#define ERRLEN 512

static void failed(struct master *m, int r, const char *what, const char *id)
{
	if (r >= 0)
		return;
	log_error_errno(r, "registry: cannot write %s '%s': %s", what, id ? id : "",
			master_reg_error(m->registry));
	m->registry_failed = true;
}

/* Hand the registry this iteration's writes (wait: and wait until all are durable), then
 * send what the outbox holds for writes that are durable. */
static void commit(struct master *m, bool wait)
{
	uint64_t submitted = 0, durable = 0;
	int r = 0;

	if (m->registry) {
		r = wait ? master_reg_commit(m->registry) : master_reg_submit(m->registry);
		if (r >= 0)
			r = master_reg_durable(m->registry, &submitted, &durable);
	}
	if (r < 0 && !m->registry_failed) {
		log_error_errno(r, "registry: a write failed: %s", master_reg_error(m->registry));
		m->registry_failed = true;
	}
	if (!m->registry_failed) {
		master_outbox_release(m, submitted, durable);
		return;
	}
	master_outbox_drop(m);
	if (m->leader) {
		master_leader_step_down(m, "the registry cannot be written");
	} else {
		log_error("the registry cannot be written: stopping the master");
		loop_stop(m->loop);
	}
}

void master_commit(struct master *m)
{
	commit(m, false);
}

void master_sync(struct master *m)
{
	commit(m, true);
}

/* The registry's writer thread: a generation is durable, the owner may release the outbox. */
static void registry_durable_notice(void *opaque)
{
	struct master *m = opaque;

	loop_wakeup(m->loop);
}

/*
 * t's resources in alloc_res_format's text form, for the registry's res column, when parsing
 * that text gives the same resources back (a set item holding ',' or '}' would not): a
 * malloc'ed string, or NULL (recovery then reads the TaskInfo).
 */
static char *res_text(const struct task *t)
{
	struct alloc_res back = ALLOC_RES_INIT;
	char small[256], err[ERRLEN], *s;
	size_t n = alloc_res_format(&t->res, small, sizeof(small));
	bool same;

	if (n < sizeof(small)) {
		s = strdup(small);
	} else {
		s = malloc(n + 1);
		if (s)
			alloc_res_format(&t->res, s, n + 1);
	}
	if (!s)
		return NULL;
	same = alloc_res_parse(s, &back, err, sizeof(err)) == 0 && alloc_res_equal(&back, &t->res);
	alloc_res_clear(&back);
	if (!same) {
		free(s);
		return NULL;
	}
	return s;
}

/* The KILL asked for t, as the registry keeps it: {"kill_policy": …} or {}, or NULL. */
static json_t *kill_record(const struct task *t)
{
	if (!t->kill_requested)
		return NULL;
	return t->kill_policy ? json_pack("{s:O}", "kill_policy", t->kill_policy) : json_object();
}

void master_persist_task(struct master *m, struct task *t)
{
	char *res = !t->persisted ? res_text(t) : NULL;
	json_t *kill = kill_record(t);
	struct registry_task rt = {
		.fw_id = t->fw_id,
		.id = t->id,
		.agent_id = t->agent_id,
		.state = task_state_name(t->state),
		.info = t->persisted ? NULL : t->info,
		.status = master_task_status(t),
		.pending_uuid = t->pending_uuid,
		.acked_uuid = t->acked_uuid,
		.name = t->persisted ? NULL : t->name,
		.res_text = res,
		.kill = kill,
	};

	if (m->registry)
		failed(m, master_reg_put_task(m->registry, &rt), "task", t->id);
	free(res);
	json_decref(kill);
	/* the registry has its own copy now (written out at once): only the name is kept */
	t->persisted = true;
	json_decref(t->info);
	t->info = NULL;
}

void master_persist_task_done(struct master *m, struct task *t)
{
	char *res = !t->persisted ? res_text(t) : NULL;
	struct registry_task rt = {
		.fw_id = t->fw_id,
		.id = t->id,
		.agent_id = t->agent_id,
		.state = task_state_name(t->state),
		.info = t->persisted ? NULL : t->info,
		.status = master_task_status(t),
		.acked_uuid = t->acked_uuid,
		.completed = true,
		.name = t->persisted ? NULL : t->name,
		.res_text = res,
	};

	json_array_append_new(m->completed, master_task_to_json(t));
	while (json_array_size(m->completed) > (size_t)m->flags->max_completed_tasks)
		json_array_remove(m->completed, 0);
	if (m->registry)
		failed(m, master_reg_put_task(m->registry, &rt), "task", t->id);
	free(res);
}

void master_persist_agent(struct master *m, const struct agent *a)
{
	struct registry_agent ra = {
		.id = a->id,
		.hostname = a->hostname,
		.info = a->info,
		.reachable = a->reachable,
		.deactivated = a->deactivated,
		.draining = a->draining,
		.principal = a->principal,
		.capabilities = a->capabilities,
	};

	if (m->registry)
		failed(m, master_reg_put_agent(m->registry, &ra), "agent", a->id);
}

void master_persist_agent_gone(struct master *m, const struct agent *a, double gone_s)
{
	struct registry_agent ra = {
		.id = a->id,
		.hostname = a->hostname,
		.info = a->info,
		.principal = a->principal,
		.gone = gone_s,
	};

	if (m->registry)
		failed(m, master_reg_put_agent(m->registry, &ra), "agent", a->id);
}

void master_persist_agent_removed(struct master *m, const struct agent *a)
{
	if (m->registry)
		failed(m, master_reg_remove_agent(m->registry, a->id), "agent", a->id);
}

void master_persist_framework(struct master *m, const struct framework *fw)
{
	struct registry_framework rf = {
		.id = fw->id,
		.role = fw->role,
		.info = fw->info,
		.tier = fw->tier,
		.failover_timeout = fw->failover_timeout_s,
		.suppressed = fw->suppressed,
		.registered_ns = fw->registered_real_ns,
	};

	if (m->registry)
		failed(m, master_reg_put_framework(m->registry, &rf), "framework", fw->id);
}

void master_persist_framework_removed(struct master *m, const struct framework *fw)
{
	size_t it;
	void *v;

	master_state_framework_completed(m, fw);
	for (it = 0; strmap_next(&fw->tasks, &it, NULL, &v);) {
		json_array_append_new(m->completed, master_task_to_json(v));
		while (json_array_size(m->completed) > (size_t)m->flags->max_completed_tasks)
			json_array_remove(m->completed, 0);
	}
	if (m->registry)
		failed(m, master_reg_remove_framework(m->registry, fw->id), "framework", fw->id);
}

void master_persist_weight(struct master *m, const char *role, double weight)
{
	json_object_set_new(m->weights, role, json_real(weight));
	if (m->registry)
		failed(m, master_reg_put_weight(m->registry, role, weight), "weight of role", role);
}

void master_persist_quota(struct master *m, const char *role, json_t *config)
{
	if (m->registry)
		failed(m, master_reg_put_quota(m->registry, role, config), "quota of role", role);
}

/* ---------------------------------------------------------------- recovery */

/* A quota in the registry wins over --roles (applied before the registry is read). */
static int load_quota(void *opaque, const char *role, json_t *config)
{
	struct master *m = opaque;

	if (!role || !json_is_object(config) ||
	    !streq(role, json_string_value(json_object_get(config, "role"))) ||
	    master_quota_apply(m, config, false) < 0)
		log_warn("registry: ignoring the bad quota of role '%s'", role ? role : "");
	return 0;
}

static int load_weight(void *opaque, const char *role, double weight)
{
	struct master *m = opaque;
	char err[ERRLEN];

	if (!role || !master_role_is_valid(role, err, sizeof(err)) ||
	    !master_weight_is_valid(weight)) {
		log_warn("registry: ignoring the bad weight of role '%s'", role ? role : "");
		return 0;
	}
	if (alloc_role_set_weight(m->alloc, role, weight) == 0)
		json_object_set_new(m->weights, role, json_real(weight));
	return 0;
}

static int load_agent(void *opaque, const struct registry_agent *ra)
{
	struct master *m = opaque;
	char err[ERRLEN];
	struct agent *a;

	if (!ra->id || !id_is_safe(ra->id, strlen(ra->id), NULL) || strmap_get(&m->agents, ra->id))
		return 0;
	if (ra->gone > 0) { /* marked gone: only its ID is kept (refused if it comes back) */
		json_t *when = json_real(isfinite(ra->gone) ? ra->gone : 0);
		return json_object_set_new(m->gone_agents, ra->id, when) < 0 ? -ENOMEM : 0;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->id = strdup(ra->id);
	a->hostname = strdup(ra->hostname ? ra->hostname : "");
	a->info = ra->info ? json_incref(ra->info) : json_object();
	if (alloc_res_from_json(json_object_get(a->info, "resources"), &a->total, err,
				sizeof(err)) < 0)
		alloc_res_clear(&a->total);
	strmap_init(&a->tasks);
	strmap_init(&a->offers);
	strmap_init(&a->killing);
	strmap_init(&a->executors);
	a->reachable = ra->reachable;
	a->recovered = ra->reachable; /* an unreachable agent is not waited for again */
	a->deactivated = ra->deactivated;
	a->draining = ra->draining;
	a->last_seen_ns = now_mono_ns();
	/* only this principal may reregister it (rows before schema 3 have none) */
	a->principal = ra->principal ? strdup(ra->principal) : NULL;
	/* what it reported when it last registered, checked again (none before schema 6) */
	if (ra->capabilities &&
	    master_agent_capabilities_parse(ra->capabilities, &a->capabilities, err,
					    sizeof(err)) < 0)
		log_warn("registry: agent %s: capabilities: %s", ra->id, err);
	if (!a->id || !a->hostname || (ra->principal && !a->principal) ||
	    strmap_put(&m->agents, a->id, a, NULL) < 0) {
		json_decref(a->capabilities);
		free(a->principal);
		free(a->id);
		free(a->hostname);
		json_decref(a->info);
		free(a);
		return -ENOMEM;
	}
	m->metrics.recovered_agents++;
	return 0;
}

/*
 * A recovered framework's roles: its FrameworkInfo's "roles" (MULTI_ROLE), else the one the
 * registry names; all suppressed when the registry says it was (per-role suppression is not
 * kept).
 */
static int load_framework_roles(struct framework *fw)
{
	json_t *roles = fw->multi_role ? json_object_get(fw->info, "roles") : NULL;
	size_t n = json_array_size(roles) ? json_array_size(roles) : 1;
	const char **names = calloc(n, sizeof(*names));
	int r;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		names[i] = json_string_value(json_array_get(roles, i));
		if (!names[i])
			names[i] = fw->role;
	}
	r = master_framework_set_roles(fw, names, n);
	free(names);
	for (size_t i = 0; r == 0 && i < fw->nroles; i++)
		fw->roles[i].suppressed = fw->suppressed;
	return r;
}

static int load_framework(void *opaque, const struct registry_framework *rf)
{
	struct master *m = opaque;
	struct framework *fw;

	if (!rf->id || strmap_get(&m->frameworks, rf->id))
		return 0;
	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return -ENOMEM;
	fw->id = strdup(rf->id);
	fw->role = strdup(rf->role ? rf->role : "*");
	fw->info = rf->info ? json_incref(rf->info) : json_object();
	fw->tier = rf->tier;
	fw->failover_timeout_s = rf->failover_timeout;
	fw->partition_aware = master_framework_has_capability(fw->info, "PARTITION_AWARE");
	fw->suppressed = rf->suppressed;
	fw->multi_role = master_framework_has_capability(fw->info, "MULTI_ROLE");
	fw->recovered = true;
	/* GET_FRAMEWORKS' registered_time: when it first subscribed (0 before schema 6) */
	fw->registered_real_ns = rf->registered_ns > 0 ? rf->registered_ns : 0;
	fw->disconnected_ns = now_mono_ns();
	strmap_init(&fw->tasks);
	strmap_init(&fw->offers);
	if (!fw->id || !fw->role || load_framework_roles(fw) < 0 ||
	    strmap_put(&m->frameworks, fw->id, fw, NULL) < 0) {
		free(fw->id);
		free(fw->role);
		master_framework_roles_free(fw);
		json_decref(fw->info);
		free(fw);
		return -ENOMEM;
	}
	if (alloc_framework_add(m->alloc, fw->id, fw->role, fw->tier, false) < 0)
		log_warn("allocator: cannot add recovered framework %s", fw->id);
	else
		master_alloc_framework_roles(m, fw);
	m->metrics.recovered_frameworks++;
	return 0;
}

static int load_task(void *opaque, const struct registry_task *rt)
{
	struct master *m = opaque;
	struct framework *fw = rt->fw_id ? strmap_get(&m->frameworks, rt->fw_id) : NULL;
	struct agent *a = rt->agent_id ? strmap_get(&m->agents, rt->agent_id) : NULL;
	char err[ERRLEN];
	struct alloc_res res = ALLOC_RES_INIT;
	json_t *info = NULL;
	const char *name;
	struct task *t;
	enum task_state s;

	if (!rt->id || !rt->fw_id || !rt->agent_id || !rt->state ||
	    task_state_parse(rt->state, &s) < 0)
		return 0;
	/* the name and resources from their own columns; from the TaskInfo in rows written
	 * before those existed, or when the resources' text does not parse */
	if (!rt->res_text || alloc_res_parse(rt->res_text, &res, err, sizeof(err)) < 0) {
		if (rt->res_text)
			log_warn("registry: task %s: resources '%s': %s; read from its TaskInfo",
				 rt->id, rt->res_text, err);
		info = rt->info ? json_incref(rt->info)
		       : rt->info_text ? json_loads(rt->info_text, 0, NULL) : NULL;
		alloc_res_clear(&res);
		if (alloc_res_from_json(json_object_get(info, "resources"), &res, err,
					sizeof(err)) < 0)
			alloc_res_clear(&res);
	}
	name = rt->res_text && !info ? rt->name : json_string_value(json_object_get(info, "name"));
	if (rt->completed || !fw) {
		/* history: only its JSON is kept */
		struct task tmp = {
			.id = (char *)rt->id,
			.fw_id = (char *)rt->fw_id,
			.agent_id = (char *)rt->agent_id,
			.name = (char *)name,
			.state = s,
			.res = res,
			.status = rt->status,
			.status_text = (char *)rt->status_text,
		};
		json_array_append_new(m->completed, master_task_to_json(&tmp));
		while (json_array_size(m->completed) > (size_t)m->flags->max_completed_tasks)
			json_array_remove(m->completed, 0);
		alloc_res_clear(&res);
		json_decref(info);
		return 0;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		alloc_res_clear(&res);
		json_decref(info);
		return -ENOMEM;
	}
	t->id = strdup(rt->id);
	t->fw = fw;
	t->fw_id = strdup(rt->fw_id);
	t->agent_id = strdup(rt->agent_id);
	t->name = name ? strdup(name) : NULL;
	if (fw->multi_role) {
		/* the role it is allocated to: its TaskInfo's resources say */
		if (!info)
			info = rt->info ? json_incref(rt->info)
			       : rt->info_text ? json_loads(rt->info_text, 0, NULL) : NULL;
		const char *role = master_task_info_role(info);
		char why[256];

		/* (also a role it has left since: the task stays charged to it) */
		if (role && master_role_is_valid(role, why, sizeof(why)))
			t->role = strdup(role);
	}
	json_decref(info); /* name and role were its last use */
	/* kept as text until needed: a tree per task would be most of the master's memory */
	if (rt->status_text)
		t->status_text =
			strdup(rt->status_text); /* parsed when needed (master_task_status) */
	else if (rt->status)
		t->status_text = jsonnum_dumps(rt->status, JSON_COMPACT);
	t->state = s;
	if (rt->pending_uuid && strlen(rt->pending_uuid) < sizeof(t->pending_uuid))
		snprintf(t->pending_uuid, sizeof(t->pending_uuid), "%s", rt->pending_uuid);
	if (rt->acked_uuid && strlen(rt->acked_uuid) < sizeof(t->acked_uuid))
		snprintf(t->acked_uuid, sizeof(t->acked_uuid), "%s", rt->acked_uuid);
	t->created_ns = now_mono_ns();
	t->persisted = true;
	/* a KILL asked for before the restart goes out again when the agent reregisters */
	t->kill_requested = json_is_object(rt->kill);
	t->kill_policy = json_incref(json_object_get(rt->kill, "kill_policy"));
	t->res = res; /* moved */
	if (!t->status_text)
		t->status = master_status(t, s, NULL, NULL);
	if (!t->id || !t->fw_id || !t->agent_id || strmap_put(&fw->tasks, t->id, t, NULL) < 0) {
		master_task_free(t);
		return -ENOMEM;
	}
	if (a)
		master_agent_task_add(a, t);
	m->metrics.recovered_tasks++;
	return 0;
}

static const struct registry_ops load_ops = {
	.weight = load_weight,
	.quota = load_quota,
	.agent = load_agent,
	.framework = load_framework,
	.task = load_task,
};

int master_registry_open(struct master *m)
{
	const char *spec = m->flags->registry;
	char path[4096], err[ERRLEN];
	int r;

	if (spec && strcmp(spec, "none") == 0)
		return 0;
	if (spec && strncmp(spec, "sqlite:", 7) != 0)
		return log_error_errno(EINVAL, "option '--registry': '%s' is not sqlite:PATH or none",
				       spec);
	if (spec)
		r = snprintf(path, sizeof(path), "%s", spec + 7);
	else
		r = snprintf(path, sizeof(path), "%s/registry.db", m->flags->work_dir);
	if (r >= (int)sizeof(path) || !path[0])
		return log_error_errno(EINVAL, "option '--registry': bad path");
	r = mkdir_parents(path, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot create the directory of '%s': %m", path);
	r = master_reg_open(path, (unsigned)m->flags->max_completed_tasks, &m->registry, err,
			    sizeof(err));
	if (r < 0)
		return log_error_errno(r, "cannot open the registry: %s", err);
	master_reg_notify(m->registry, registry_durable_notice, m);
	return master_registry_recover(m, path);
}

int master_registry_recover(struct master *m, const char *name)
{
	int64_t t0 = now_mono_ns();
	int r = master_reg_load(m->registry, &load_ops, m);

	if (r < 0)
		return log_error_errno(r, "cannot read the registry '%s': %s", name,
				       master_reg_error(m->registry));
	m->metrics.recovery_us = (now_mono_ns() - t0) / 1000;
	log_info("registry '%s': recovered %" PRIu64 " agents, %" PRIu64 " frameworks, %" PRIu64
		 " tasks in %.1f ms",
		 name, m->metrics.recovered_agents, m->metrics.recovered_frameworks,
		 m->metrics.recovered_tasks, (double)m->metrics.recovery_us / 1000);
	return 0;
}

void master_registry_close(struct master *m)
{
	if (m->registry && master_reg_commit(m->registry) < 0)
		log_error("registry: last commit failed: %s", master_reg_error(m->registry));
	master_reg_close(m->registry);
	m->registry = NULL;
}
