// SPDX-License-Identifier: Apache-2.0
/*
 * ACCEPT (scheduler API, owner thread), answered as Mesos answers it: a call that parses is
 * answered 202 and each task's fate goes out as a status update from the master —
 * TASK_DROPPED (TASK_LOST without PARTITION_AWARE) when the offers are not valid or their
 * agent is gone, TASK_ERROR naming the field when the task itself is not — and the offers'
 * resources return to the allocator at once. Only a call that does not parse is answered 400
 * (and a launch past --max-tasks-per-framework 429), changing nothing.
 *
 * Operations run in order, each against what the earlier ones left of the offers; one
 * function per operation type (accept_launch), so that others can stand beside it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "master.h"
#include "operator.h"
#include "validate.h"

#define ERRLEN 1024
#define PATHLEN 96

/* One ACCEPT as it is carried out. */
struct accept {
	struct master *m;
	struct framework *fw;
	struct msg *msg;
	json_t *ops; /* accept.operations (an array) or NULL */
	struct offer **offers; /* the framework's own offers the call names, that exist */
	size_t noffers;
	struct agent *agent; /* theirs */
	struct alloc_res left; /* what the operations so far left of them */
	/* the task being launched starts its CUSTOM executor: its resources (launch_check) */
	bool new_executor;
	struct alloc_res executor_res;
};

/* ---------------------------------------------------------------- parsing (400) */

/* Where TaskInfo k of operation i is, for messages (PATHLEN bytes). */
static void op_task_path(json_t *op, size_t i, size_t k, char *path)
{
	if (streq(json_string_value(json_object_get(op, "type")), "LAUNCH_GROUP"))
		snprintf(path, PATHLEN, "accept.operations[%zu].launch_group.task_group.tasks[%zu]",
			 i, k);
	else
		snprintf(path, PATHLEN, "accept.operations[%zu].launch.task_infos[%zu]", i, k);
}

/* ops[i] as a LAUNCH: launch.task_infos, each of the shape a protobuf parse needs. */
static int parse_launch(json_t *op, size_t i, size_t *ntasks, char *err)
{
	bool group = streq(json_string_value(json_object_get(op, "type")), "LAUNCH_GROUP");
	json_t *launch = json_object_get(op, group ? "launch_group" : "launch");
	json_t *tis = master_op_task_infos(op), *ti;
	char path[PATHLEN];
	const char *id;
	size_t k;

	if (launch && !json_is_object(launch)) {
		snprintf(err, ERRLEN, "field 'accept.operations[%zu].%s' must be an object", i,
			 group ? "launch_group" : "launch");
		return -EINVAL;
	}
	if (tis && !json_is_array(tis)) {
		snprintf(err, ERRLEN, "field 'accept.operations[%zu].%s' must be an array", i,
			 group ? "launch_group.task_group.tasks" : "launch.task_infos");
		return -EINVAL;
	}
	json_array_foreach(tis, k, ti) {
		op_task_path(op, i, k, path);
		if (master_task_info_parse(ti, path, &id, err, ERRLEN) < 0)
			return -EINVAL;
	}
	*ntasks += json_array_size(tis);
	return 0;
}

/*
 * The call's shape: offer_ids an array of {"value": string}, operations an array of
 * operations of a type Drover carries out. *ret_ntasks: the TaskInfos it launches.
 */
static int accept_parse(json_t *acc, size_t *ret_ntasks, char *err)
{
	json_t *ids = json_object_get(acc, "offer_ids");
	json_t *ops = json_object_get(acc, "operations"), *op, *id;
	size_t i, ntasks = 0;

	if (ids && !json_is_array(ids)) {
		snprintf(err, ERRLEN, "field 'accept.offer_ids' must be an array");
		return -EINVAL;
	}
	json_array_foreach(ids, i, id) {
		if (!json_is_string(json_object_get(id, "value"))) {
			snprintf(err, ERRLEN,
				 "field 'accept.offer_ids[%zu]' must be {\"value\": string}", i);
			return -EINVAL;
		}
	}
	if (ops && !json_is_array(ops)) {
		snprintf(err, ERRLEN, "field 'accept.operations' must be an array");
		return -EINVAL;
	}
	json_array_foreach(ops, i, op) {
		const char *type = json_string_value(json_object_get(op, "type"));

		if (!streq(type, "LAUNCH") && !streq(type, "LAUNCH_GROUP")) {
			snprintf(
				err, ERRLEN,
				"field 'accept.operations[%zu].type': '%.32s' is not supported (only "
				"LAUNCH and LAUNCH_GROUP)",
				i, type ? type : "(none)");
			return -EINVAL;
		}
		if (parse_launch(op, i, &ntasks, err) < 0)
			return -EINVAL;
	}
	*ret_ntasks = ntasks;
	return 0;
}

/* --max-tasks-per-framework (a Drover limit): false after answering 429. */
static bool accept_room(struct master *m, struct framework *fw, struct msg *msg, size_t n)
{
	size_t active = 0, it;
	void *v;

	if (m->flags->max_tasks_per_framework <= 0 || n == 0)
		return true;
	for (it = 0; strmap_next(&fw->tasks, &it, NULL, &v);)
		active += !task_state_terminal(((struct task *)v)->state);
	if (active + n <= (size_t)m->flags->max_tasks_per_framework)
		return true;
	master_reply_error(m, msg->req, 429,
			   "Too many tasks: framework %s has %zu active and launches %zu, the "
			   "limit is %lld (--max-tasks-per-framework)",
			   fw->id, active, n, (long long)m->flags->max_tasks_per_framework);
	return false;
}

/* ---------------------------------------------------------------- the offers */

/*
 * Mesos's checks, in its order: offers named, none twice, each still there, each this
 * framework's, all on one agent. c->offers gets every named offer that exists and is this
 * framework's, valid or not (an invalid call discards them). -EINVAL with err.
 */
static int accept_offers(struct accept *c, json_t *ids, char *err)
{
	size_t i, n = json_array_size(ids);
	int r = 0;
	json_t *id;

	if (n == 0) {
		snprintf(err, ERRLEN, "No offers specified");
		return -EINVAL;
	}
	c->offers = calloc(n, sizeof(*c->offers));
	if (!c->offers) {
		snprintf(err, ERRLEN, "out of memory");
		return -ENOMEM;
	}
	json_array_foreach(ids, i, id) {
		const char *v = json_string_value(json_object_get(id, "value"));
		struct offer *o = strmap_get(&c->m->offers, v);

		if (r < 0 && (!o || o->fw != c->fw || o->named))
			continue;
		if (o && o->named) {
			snprintf(err, ERRLEN, "Offer %.64s appears twice in 'accept.offer_ids'", v);
			r = -EINVAL;
		} else if (!o) {
			snprintf(
				err, ERRLEN,
				"Offer %.64s is no longer valid (unknown, expired, rescinded or used)",
				v);
			r = -EINVAL;
		} else if (o->fw != c->fw) {
			snprintf(err, ERRLEN, "Offer %.64s is not for framework %.64s", v,
				 c->fw->id);
			r = -EINVAL;
		} else {
			/* Mesos's order: one allocation role, then one agent */
			if (r == 0 && c->noffers > 0 && !streq(o->role, c->offers[0]->role)) {
				snprintf(err, ERRLEN,
					 "Aggregated offers must be allocated to one role: offer "
					 "%.64s is allocated to '%.64s', offer %.64s to '%.64s'",
					 c->offers[0]->id, c->offers[0]->role, o->id, o->role);
				r = -EINVAL;
			}
			if (r == 0 && c->noffers > 0 && o->agent != c->offers[0]->agent) {
				snprintf(
					err, ERRLEN,
					"Aggregated offers must belong to one agent: offer %.64s is "
					"on agent %.64s, offer %.64s on %.64s",
					c->offers[0]->id, c->offers[0]->agent->id, o->id,
					o->agent->id);
				r = -EINVAL;
			}
			o->named = true;
			c->offers[c->noffers++] = o;
		}
	}
	for (i = 0; i < c->noffers; i++)
		c->offers[i]->named = false;
	if (r == 0)
		c->agent = c->offers[0]->agent;
	return r;
}

/* The offers go, their resources back to the allocator with no filter (offered again at once). */
static void accept_discard_offers(struct accept *c)
{
	for (size_t i = 0; i < c->noffers; i++)
		master_offer_remove(c->m, c->offers[i], true, 0);
	c->noffers = 0;
	master_request_allocation(c->m);
}

/* ---------------------------------------------------------------- statuses */

static const char *task_info_id(json_t *ti)
{
	return json_string_value(json_object_get(json_object_get(ti, "task_id"), "value"));
}

static const char *task_info_agent(json_t *ti)
{
	return json_string_value(json_object_get(json_object_get(ti, "agent_id"), "value"));
}

/* Every task the call launches: state (DROPPED or LOST as the framework understands) and why. */
static void accept_fail_all(struct accept *c, enum task_state state, const char *reason,
			    const char *msg)
{
	json_t *op, *ti;
	size_t i, k;

	if (state == TASK_DROPPED && !c->fw->partition_aware)
		state = TASK_LOST;
	json_array_foreach(c->ops, i, op) {
		json_array_foreach(master_op_task_infos(op), k, ti)
			master_framework_send_status(c->m, c->fw, task_info_id(ti),
						     task_info_agent(ti), state, reason, msg);
	}
}

/* ---------------------------------------------------------------- LAUNCH */

/* The user a task runs as: its command's, else its framework's (Mesos); NULL: the agent's. */
static const char *task_user(const struct framework *fw, json_t *ti)
{
	json_t *cmd = json_object_get(ti, "command");
	const char *u;

	/* a task of a framework's own executor runs as the executor's command's user */
	if (!cmd)
		cmd = json_object_get(json_object_get(ti, "executor"), "command");
	u = json_string_value(json_object_get(cmd, "user"));
	if (!u || !*u)
		u = json_string_value(json_object_get(fw->info, "user"));
	return u && *u ? u : NULL;
}

/* May the call's principal run ti as its user (ACL run_tasks)? If not, err says why. */
static bool run_tasks_allowed(struct accept *c, json_t *ti, char err[ERRLEN])
{
	const char *user = task_user(c->fw, ti);
	char why[256];

	if (master_acls_allowed(&c->m->acls, ACL_RUN_TASKS, c->msg->principal, user, why,
				sizeof(why)))
		return true;
	snprintf(err, ERRLEN,
		 "Not authorized: principal '%s' may not run_tasks with users '%s' "
		 "(denied by %s)",
		 c->msg->principal ? c->msg->principal : "(unauthenticated)", user ? user : "",
		 why);
	return false;
}

/* As Mesos: every resource of ti (a TaskInfo or an ExecutorInfo) without allocation_info gets the offers' (their role). */
static void set_allocation_info(json_t *ti, const char *role)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(ti, "resources"), i, r) {
		if (json_is_object(r) && !json_object_get(r, "allocation_info"))
			json_object_set_new(r, "allocation_info", json_pack("{s:s}", "role", role));
	}
}

/* A resource of ti allocated to a role other than the offers' (MULTI_ROLE's allocation_info). */
static int check_allocation_role(json_t *ti, const char *path, const char *role, char *err)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(ti, "resources"), i, r) {
		json_t *ai = json_object_get(r, "allocation_info");
		const char *ar = json_string_value(json_object_get(ai, "role"));

		if (ai && !streq(ar, role)) {
			snprintf(
				err, ERRLEN,
				"field '%s.resources[%zu].allocation_info.role': '%.64s' is not the "
				"offers' role '%.64s'",
				path, i, ar ? ar : "", role);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * One TaskInfo against the master: its own validity (validate.c), its ID free, the offers'
 * agent, within what is left of the offers. 0 with *t (the caller's to clear), or -EINVAL
 * with err.
 */
static int launch_check(struct accept *c, json_t *ti, const char *path, struct master_task_shape *t,
			char *err)
{
	char want[256], have[256];

	if (master_validate_task_info(ti, path, t, err, ERRLEN) < 0)
		return -EINVAL;
	/* a task the framework has not acknowledged the end of still holds its ID; so does
	 * one launched earlier in this call */
	if (strmap_get(&c->fw->tasks, t->id)) {
		snprintf(err, ERRLEN, "field '%s.task_id': task '%s' already exists", path, t->id);
		goto fail;
	}
	if (strcmp(t->agent_id, c->agent->id) != 0) {
		snprintf(err, ERRLEN, "field '%s.agent_id': %.64s is not the offer's agent %.64s",
			 path, t->agent_id, c->agent->id);
		goto fail;
	}
	if (check_allocation_role(ti, path, c->offers[0]->role, err) < 0)
		goto fail;
	if (!alloc_res_contains(&c->left, &t->res)) {
		alloc_res_format(&t->res, want, sizeof(want));
		alloc_res_format(&c->left, have, sizeof(have));
		snprintf(err, ERRLEN, "field '%s.resources': %.60s is beyond the offered %.60s",
			 path, want, have);
		goto fail;
	}
	return 0;
fail:
	alloc_res_clear(&t->res);
	return -EINVAL;
}

/*
 * LAUNCH of a task of a CUSTOM executor (ti.executor): when the executor is new on the
 * agent, its resources must fit in what is left beside the task's (c->executor_res, taken
 * by launch_one). 0, or -EINVAL with err (t cleared).
 */
static int launch_executor_check(struct accept *c, json_t *ti, const char *path,
				 struct master_task_shape *t, char *err)
{
	struct alloc_res need = ALLOC_RES_INIT;
	json_t *ex = json_object_get(ti, "executor");
	char want[256], have[256], ex_path[128];
	int r;

	/*
	 * As Mesos: the executor's resources are allocated to the offers' role too, before an
	 * ExecutorInfo already running is compared with this one; its agent reports the role
	 * back when it reregisters (master_executors_reported).
	 */
	snprintf(ex_path, sizeof(ex_path), "%.100s.executor", path);
	r = ex ? check_allocation_role(ex, ex_path, c->offers[0]->role, err) : 0;
	if (r < 0)
		goto out;
	if (ex)
		set_allocation_info(ex, c->offers[0]->role);
	r = master_executor_check(c->agent, c->fw, ti, path, &c->executor_res, err, ERRLEN);
	if (r <= 0)
		goto out;
	c->new_executor = true;
	if (alloc_res_copy(&need, &t->res) < 0 || alloc_res_add(&need, &c->executor_res) < 0) {
		snprintf(err, ERRLEN, "Master out of memory");
		r = -EINVAL;
	} else if (!alloc_res_contains(&c->left, &need)) {
		alloc_res_format(&need, want, sizeof(want));
		alloc_res_format(&c->left, have, sizeof(have));
		snprintf(err, ERRLEN,
			 "field '%s.resources': %.60s (with its executor's) is beyond the offered "
			 "%.60s",
			 path, want, have);
		r = -EINVAL;
	}
out:
	alloc_res_clear(&need);
	if (r < 0) {
		c->new_executor = false;
		alloc_res_clear(&c->executor_res);
		alloc_res_clear(&t->res);
	}
	return r < 0 ? r : 0;
}

/* The task is the framework's and goes to the agent; t's resources are taken. */
static void launch_one(struct accept *c, json_t *ti, struct master_task_shape *ts, bool group)
{
	struct master *m = c->m;
	struct framework *fw = c->fw;
	struct agent *a = c->agent;
	struct task *t = calloc(1, sizeof(*t));
	json_t *ev;

	alloc_res_sub(&c->left, &ts->res);
	if (c->new_executor) { /* its resources are fw's from now, with the task's */
		alloc_res_sub(&c->left, &c->executor_res);
		master_executor_add(a, fw, ti, fw->multi_role ? c->offers[0]->role : NULL,
				    &c->executor_res);
		c->new_executor = false;
	}
	if (!t || !(t->id = strdup(ts->id)) ||
	    (fw->multi_role && !(t->role = strdup(c->offers[0]->role)))) {
		/* what it would have used goes back with the rest */
		alloc_res_add(&c->left, &ts->res);
		alloc_res_clear(&ts->res);
		if (t)
			free(t->id);
		free(t);
		master_framework_send_status(m, fw, ts->id, a->id, TASK_ERROR,
					     "REASON_TASK_INVALID", "Master out of memory");
		return;
	}
	t->fw = fw;
	t->fw_id = strdup(fw->id);
	t->agent_id = strdup(a->id);
	t->name = wire_dup_string(ti, "name");
	set_allocation_info(ti, c->offers[0]->role);
	t->info = json_incref(ti);
	t->res = ts->res;
	memset(&ts->res, 0, sizeof(ts->res));
	t->state = TASK_STAGING;
	t->created_ns = now_mono_ns();
	t->status = master_status(t, TASK_STAGING, NULL, NULL);
	strmap_put(&fw->tasks, t->id, t, NULL);
	master_agent_task_add(a, t);
	master_operator_task_added(m, t);
	if (group) { /* the agent hears of it in the group's LAUNCH_GROUP (executors.c) */
		master_persist_task(m, t);
		m->metrics.tasks_launched++;
		return;
	}
	/* no master_alloc_used(): the offer's resources are already the framework's */
	ev = wire_event("LAUNCH", "launch",
			json_pack("{s:o,s:O,s:O}", "framework_id", wire_id(fw->id),
				  "framework_info", fw->info, "task", t->info));
	master_persist_task(m, t); /* drops t->info */
	if (!master_agent_send(a, ev)) {
		/* the agent went away between the offer and now */
		master_task_update(m, t,
				   master_status(t, fw->partition_aware ? TASK_DROPPED : TASK_LOST,
						 "REASON_AGENT_DISCONNECTED",
						 "Agent disconnected before the launch"));
	}
	m->metrics.tasks_launched++;
}

/*
 * LAUNCH: each task authorized (run_tasks, as the user it runs as), checked and launched in
 * turn, or answered TASK_ERROR with Mesos's reason and a message naming the field.
 */
static void accept_launch(struct accept *c, json_t *op, size_t opi)
{
	json_t *tis = json_object_get(json_object_get(op, "launch"), "task_infos"), *ti;
	char path[PATHLEN], err[ERRLEN];
	size_t k;

	json_array_foreach(tis, k, ti) {
		struct master_task_shape t = {.res = ALLOC_RES_INIT};
		snprintf(path, sizeof(path), "accept.operations[%zu].launch.task_infos[%zu]", opi,
			 k);
		if (json_object_get(op, "id")) { /* operation feedback is not for LAUNCH (Mesos) */
			snprintf(
				err, sizeof(err),
				"field 'accept.operations[%zu].id': operation IDs are not supported "
				"for LAUNCH",
				opi);
			master_framework_send_status(c->m, c->fw, task_info_id(ti),
						     task_info_agent(ti), TASK_ERROR,
						     "REASON_TASK_INVALID", err);
			continue;
		}
		if (!run_tasks_allowed(c, ti, err)) {
			log_info("task %s of framework %s refused: %s", task_info_id(ti), c->fw->id,
				 err);
			master_framework_send_status(c->m, c->fw, task_info_id(ti),
						     task_info_agent(ti), TASK_ERROR,
						     "REASON_TASK_UNAUTHORIZED", err);
			continue;
		}
		if (launch_check(c, ti, path, &t, err) < 0 ||
		    launch_executor_check(c, ti, path, &t, err) < 0) {
			log_debug("task %s of framework %s refused: %s", task_info_id(ti),
				  c->fw->id, err);
			master_framework_send_status(c->m, c->fw, task_info_id(ti),
						     task_info_agent(ti), TASK_ERROR,
						     "REASON_TASK_INVALID", err);
			continue;
		}
		launch_one(c, ti, &t, false);
	}
}

/*
 * LAUNCH_GROUP (Mesos's default executor, or the framework's CUSTOM one): the group's own
 * checks (its executor, executors.c), then each task's as for LAUNCH; one failure refuses the
 * whole group, each task TASK_ERROR with REASON_TASK_GROUP_INVALID
 * (REASON_TASK_GROUP_UNAUTHORIZED for an ACL). Else its tasks are the framework's, the
 * executor's resources riding with the first (DEFAULT) or held until it exits (a new CUSTOM
 * one), and one LAUNCH_GROUP goes to the agent.
 */
static void accept_launch_group(struct accept *c, json_t *op, size_t opi)
{
	json_t *tis = master_op_task_infos(op), *ti;
	size_t n = json_array_size(tis), k, done = 0;
	struct alloc_res exec_res = ALLOC_RES_INIT, saved = ALLOC_RES_INIT;
	struct master_task_shape *ts = calloc(n ? n : 1, sizeof(*ts));
	const char *reason = "REASON_TASK_GROUP_INVALID";
	char path[PATHLEN], err[ERRLEN] = "";
	bool new_custom = false;

	alloc_res_copy(&saved, &c->left);
	if (!ts) {
		snprintf(err, sizeof(err), "Master out of memory");
		goto refuse;
	}
	if (n == 0) {
		snprintf(err, sizeof(err),
			 "field 'accept.operations[%zu].launch_group.task_group."
			 "tasks' is empty",
			 opi);
		goto refuse;
	}
	if (json_object_get(op, "id")) {
		snprintf(err, sizeof(err),
			 "field 'accept.operations[%zu].id': operation IDs are not supported for "
			 "LAUNCH_GROUP",
			 opi);
		goto refuse;
	}
	if (master_group_check(c->agent, c->fw, op, &c->left, &exec_res, &new_custom, err,
			       sizeof(err)) < 0)
		goto refuse;
	/* a CUSTOM executor runs as its command's user: authorized as a task would be */
	if (new_custom && !run_tasks_allowed(c, json_object_get(op, "launch_group"), err)) {
		reason = "REASON_TASK_GROUP_UNAUTHORIZED";
		goto refuse;
	}
	json_array_foreach(tis, k, ti) {
		json_t *ex = json_object_get(json_object_get(op, "launch_group"), "executor");

		op_task_path(op, opi, k, path);
		/* a CUSTOM executor's task needs no command: it names the executor (Mesos fills
		 * every task's executor in) */
		if (streq(json_string_value(json_object_get(ex, "type")), "CUSTOM") &&
		    json_is_object(ti) && !json_object_get(ti, "command") &&
		    !json_object_get(ti, "executor"))
			json_object_set(ti, "executor", ex);
		if (!run_tasks_allowed(c, ti, err)) {
			reason = "REASON_TASK_GROUP_UNAUTHORIZED";
			goto refuse;
		}
		ts[k].res = (struct alloc_res)ALLOC_RES_INIT;
		if (launch_check(c, ti, path, &ts[k], err) < 0)
			goto refuse;
		done = k + 1;
		for (size_t j = 0; j < k; j++) {
			if (streq(ts[j].id, ts[k].id)) {
				snprintf(err, sizeof(err),
					 "field '%s.task_id': task '%s' appears twice "
					 "in the group",
					 path, ts[k].id);
				goto refuse;
			}
		}
		alloc_res_sub(&c->left, &ts[k].res); /* the next is checked against the rest */
	}
	/* launch_one() takes each task's share from left: give them back first */
	for (k = 0; k < n; k++)
		alloc_res_add(&c->left, &ts[k].res);
	if (new_custom) { /* the framework's until the executor exits (master_executor_add) */
		master_executor_add(c->agent, c->fw, json_object_get(op, "launch_group"),
				    c->fw->multi_role ? c->offers[0]->role : NULL, &exec_res);
	} else { /* the default executor's share rides with its first task */
		alloc_res_add(&ts[0].res, &exec_res);
		alloc_res_add(&c->left, &exec_res);
	}
	alloc_res_clear(&exec_res);
	json_array_foreach(tis, k, ti)
		launch_one(c, ti, &ts[k], true);
	master_group_launch(c->m, c->fw, c->agent, op);
	alloc_res_clear(&saved);
	free(ts);
	return;
refuse:
	log_debug("task group of framework %s refused: %s", c->fw->id, err);
	alloc_res_clear(&c->left);
	c->left = saved; /* nothing of the group was taken */
	for (k = 0; ts && k < done; k++)
		alloc_res_clear(&ts[k].res);
	alloc_res_clear(&exec_res);
	free(ts);
	master_group_refuse(c->m, c->fw, c->agent, op, err, reason);
}

/* ---------------------------------------------------------------- the call */

/* The offers are valid and their agent connected: carry out the operations, in order. */
static void accept_run(struct accept *c)
{
	double refuse = master_call_refuse_seconds(c->msg->body, "accept");
	const char *role = c->offers[0]->role; /* (the framework's string: outlives the offers) */
	json_t *op;
	size_t i;

	for (i = 0; i < c->noffers; i++)
		alloc_res_add(&c->left, &c->offers[i]->res);
	json_array_foreach(c->ops, i, op) {
		if (streq(json_string_value(json_object_get(op, "type")), "LAUNCH_GROUP"))
			accept_launch_group(c, op, i);
		else
			accept_launch(c, op, i);
	}
	/* the offers are used up; what no operation took is declined with accept.filters */
	for (i = 0; i < c->noffers; i++)
		master_offer_remove(c->m, c->offers[i], false, 0);
	if (!alloc_res_is_empty(&c->left))
		master_alloc_recover(c->m, c->agent, c->fw, role, &c->left, refuse);
	c->m->metrics.offers_accepted += c->noffers;
	c->noffers = 0;
}

void master_accept_call(struct master *m, struct framework *fw, struct msg *msg)
{
	char err[ERRLEN] = "", why[ERRLEN + 64];
	json_t *acc = wire_get_object(msg->body, "accept", true, err, sizeof(err));
	struct accept c = {.m = m, .fw = fw, .msg = msg, .left = ALLOC_RES_INIT};
	size_t ntasks = 0;

	if (!acc || accept_parse(acc, &ntasks, err) < 0) {
		master_reply_error(m, msg->req, 400, "Failed to validate scheduler::Call: %s", err);
		return;
	}
	if (!accept_room(m, fw, msg, ntasks))
		return;
	c.ops = json_object_get(acc, "operations");
	master_reply_error(m, msg->req, 202, "%s", "");
	if (accept_offers(&c, json_object_get(acc, "offer_ids"), err) < 0) {
		log_info("ACCEPT of framework %s: %s", fw->id, err);
		snprintf(why, sizeof(why), "Task launched with invalid offers: %s", err);
		accept_fail_all(&c, TASK_DROPPED, "REASON_INVALID_OFFERS", why);
		accept_discard_offers(&c);
	} else if (!c.agent->connected) {
		snprintf(why, sizeof(why), "Agent %.128s is not connected", c.agent->id);
		accept_fail_all(&c, TASK_DROPPED,
				c.agent->reachable ? "REASON_AGENT_DISCONNECTED" :
						     "REASON_AGENT_REMOVED",
				why);
		accept_discard_offers(&c);
	} else {
		accept_run(&c);
	}
	alloc_res_clear(&c.left);
	free(c.offers);
}
