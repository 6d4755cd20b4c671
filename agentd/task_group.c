// SPDX-License-Identifier: Apache-2.0
/*
 * LAUNCH_GROUP with Mesos's default-executor semantics, the agent acting as the default
 * executor itself (no executor process): the tasks of a group run under one executor
 * container (executor.h), each with its own supervisor and its own cgroup leaf under the
 * group's cgroup, which carries the group's limits (the tasks' and the executor's
 * resources summed). If a task ends TASK_FAILED or TASK_KILLED, every other task of the
 * executor is killed (so a KILL of one kills the group); when none is left the executor's
 * resources go back and, once every update is acknowledged, its container goes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent_internal.h"
#include "log.h"
#include "task_limits.h"

/*
 * A task of a group that is not launched (its executor is being killed, or could not be
 * made): a task in the table with one terminal update.
 */
static void group_task_refuse(struct agent *a, const char *fid, json_t *task, enum task_state s,
			      const char *reason, const char *message)
{
	const char *tid =
		json_string_value(json_object_get(json_object_get(task, "task_id"), "value"));
	char key[2 * ID_MAX_LEN + 2];
	struct agent_task *t;

	if (!tid ||
	    !agent_task_id_valid_n(tid, json_string_length(json_object_get(
						json_object_get(task, "task_id"), "value"))) ||
	    tid[0] == '.')
		return; /* the master refuses such IDs; the agent has no name for it */
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	if (strmap_get(&a->tasks, key))
		return;
	t = agent_task_new(a, fid, tid, NULL, NULL, NULL, task);
	if (!t)
		return;
	t->sandbox[0] = '\0';
	agent_task_status(t, s, reason, message, NULL);
	agent_task_maybe_forget(t);
}

/* The group's limits on its cgroup: the executor's resources and every task's, summed. */
static void group_limits(struct agent_executor *e, json_t *tasks)
{
	struct agent *a = e->agent;
	struct alloc_res sum = ALLOC_RES_INIT, r = ALLOC_RES_INIT;
	struct agent_task_limits lim;
	struct agent_isolation iso = {0};
	char err[AGENT_ERRLEN];
	json_t *task, *none = json_object();
	size_t i;

	alloc_res_copy(&sum, &e->res);
	json_array_foreach(tasks, i, task) {
		if (alloc_res_from_json(json_object_get(task, "resources"), &r, err, sizeof(err)) ==
		    0)
			alloc_res_add(&sum, &r);
		alloc_res_clear(&r);
	}
	if (agent_task_limits_from_json(none, &sum, &lim, err, sizeof(err)) < 0 ||
	    agent_isolators_prepare(&a->iso_ctx, e->cgroup_fd, &lim, &iso, err, sizeof(err)) < 0)
		log_warn("executor '%s': the group's limits are not set: %s", e->id, err);
	alloc_res_clear(&sum);
	json_decref(none);
}

/* Does e have a task that has not ended, other than but? */
static bool group_has_live_task(struct agent_executor *e, const struct agent_task *but)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&e->agent->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		if (t->exec == e && t != but && !task_state_terminal(t->state))
			return true;
	}
	return false;
}

/* Every task of e that has not ended is killed, each with its own kill policy. */
void agent_group_kill(struct agent_executor *e)
{
	size_t it;
	void *v;

	e->killing = true;
	for (it = 0; strmap_next(&e->agent->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		if (t->exec == e && !task_state_terminal(t->state))
			agent_task_kill(t, agent_task_kill_grace(t, NULL));
	}
}

void agent_group_task_ended(struct agent_task *t, int s)
{
	struct agent_executor *e = t->exec;

	if (!e)
		return;
	if (e->is_default && !e->killing && (s == TASK_FAILED || s == TASK_KILLED)) {
		log_info("executor '%s': task '%s' ended %s: killing the rest of its group", e->id,
			 t->id, task_state_name(s));
		agent_group_kill(e);
	}
	if (e->is_default && !group_has_live_task(e, NULL))
		agent_executor_release(e); /* the default executor ends with its last task */
}

/*
 * The executor a LAUNCH_GROUP names: the live one of that ID, or a new one. NULL with err
 * and *ret_state (the state its tasks get) when there is none to run them in.
 */
static struct agent_executor *group_executor(struct agent *a, const char *fid, json_t *ev,
					     enum task_state *ret_state, char *err, size_t errlen)
{
	json_t *info = json_object_get(ev, "executor");
	const char *eid =
		json_string_value(json_object_get(json_object_get(info, "executor_id"), "value"));
	struct agent_executor *e = eid ? agent_executor_get(a, fid, eid) : NULL;

	*ret_state = TASK_FAILED;
	if (e) {
		if (!e->is_default || e->killing || !group_has_live_task(e, NULL)) {
			*ret_state = TASK_LOST;
			snprintf(err, errlen, "executor '%s' is terminating", eid);
			return NULL;
		}
		return e;
	}
	if (!streq(json_string_value(json_object_get(info, "type")), "DEFAULT")) {
		*ret_state = TASK_ERROR;
		snprintf(err, errlen, "a LAUNCH_GROUP needs an executor of type DEFAULT");
		return NULL;
	}
	if (agent_executor_new(a, fid, info, json_object_get(ev, "framework_info"), NULL, &e, err,
			       errlen) < 0)
		return NULL;
	return e;
}

void agent_on_launch_group(struct agent *a, json_t *ev)
{
	char err[AGENT_ERRLEN];
	const char *fid = wire_get_id(ev, "framework_id", err, sizeof(err));
	json_t *tasks = json_object_get(json_object_get(ev, "task_group"), "tasks"), *task;
	struct agent_executor *e;
	enum task_state refused;
	bool fresh;
	size_t i;

	if (!fid || !json_is_array(tasks) || !agent_task_id_valid(fid) || fid[0] == '.') {
		log_warn("LAUNCH_GROUP without a valid framework ID or tasks ignored");
		return;
	}
	if (streq(json_string_value(json_object_get(json_object_get(ev, "executor"), "type")),
		  "CUSTOM")) {
		agent_executor_on_launch_group(a, ev); /* the framework's executor runs them */
		return;
	}
	e = group_executor(a, fid, ev, &refused, err, sizeof(err));
	if (!e) {
		log_warn("LAUNCH_GROUP of framework '%s' not launched: %s", fid, err);
		json_array_foreach(tasks, i, task)
			group_task_refuse(a, fid, task, refused,
					  refused == TASK_ERROR ? "REASON_TASK_GROUP_INVALID" :
					  refused == TASK_LOST	? "REASON_EXECUTOR_TERMINATED" :
								  "REASON_CONTAINER_LAUNCH_FAILED",
					  err);
		return;
	}
	fresh = e->ntasks == 0;
	e->ntasks++; /* held across the launches: a task that ends at once must not free e */
	if (fresh)
		group_limits(e, tasks);
	json_array_foreach(tasks, i, task) {
		json_t *one;
		int s;

		if (e->killing) { /* an earlier task of the group failed to launch */
			group_task_refuse(a, fid, task, TASK_KILLED,
					  "REASON_TASK_KILLED_DURING_LAUNCH",
					  "another task of its group failed");
			continue;
		}
		one = json_pack("{s:O,s:O*,s:O}", "framework_id",
				json_object_get(ev, "framework_id"), "framework_info",
				json_object_get(ev, "framework_info"), "task", task);
		s = agent_launch_task(a, one, e);
		json_decref(one);
		if (s == TASK_FAILED || s == TASK_ERROR) {
			log_info("executor '%s': a task failed to launch: killing its group",
				 e->id);
			agent_group_kill(e);
		}
	}
	if (!group_has_live_task(e, NULL))
		agent_executor_release(e);
	e->ntasks--;
	agent_executor_maybe_forget(e);
}
