// SPDX-License-Identifier: Apache-2.0
/*
 * The agent operator API's answers (POST /api/v1 on the agent; api.c routes and encodes
 * them): each in Mesos's agent::Response shape with every field Mesos requires filled from
 * the agent's own tables, so that both codecs can carry it (docs/api.md "The agent's own
 * API"). GET_STATE and GET_CONTAINERS also keep Drover's own members beside Mesos's (JSON
 * only: a protobuf encoder has no field for them and leaves them out).
 *
 * Mesos's model is executors holding tasks; a Drover command task has no executor of its
 * own, so it appears as Mesos shows a command task: an executor whose ID is the task's.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "api.h"
#include "completed.h"
#include "legacy.h"
#include "log.h"

/* The FrameworkInfo the agent was given for t's framework (a launch's), or NULL. */
static json_t *task_framework_info(const struct agent_task *t)
{
	if (t->exec && t->exec->fw_info)
		return t->exec->fw_info;
	return t->fw_info;
}

static const char *task_executor_id(const struct agent_task *t)
{
	return t->exec ? t->exec->id : t->id;
}

/* Copy the members of src named in keys into dst (where src has them). */
static void copy_members(json_t *dst, json_t *src, const char *const *keys)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(src, *keys);
		if (v && !json_is_null(v))
			json_object_set(dst, *keys, v);
	}
}

/* Mesos's Task for t: its TaskInfo's parts, its framework, executor, agent, state, statuses. */
json_t *agent_api_task_json(struct agent *a, const struct agent_task *t)
{
	static const char *const from_info[] = {"resources",	"labels",
						"discovery",	"container",
						"health_check", "kill_policy",
						"limits",	NULL};
	const char *name = json_string_value(json_object_get(t->info, "name"));
	json_t *j = json_pack("{s:s,s:o,s:o,s:o,s:o,s:s}", "name", name ? name : "", "task_id",
			      wire_id(t->id), "framework_id", wire_id(t->fw_id), "executor_id",
			      wire_id(task_executor_id(t)), "agent_id", wire_id(a->agent_id),
			      "state", task_state_name(t->state));

	if (j)
		copy_members(j, t->info, from_info);
	if (j && json_array_size(t->statuses))
		json_object_set_new(j, "statuses", json_deep_copy(t->statuses));
	return j;
}

/* Is t waiting for its executor to subscribe (Mesos's queued tasks)? */
static bool task_queued(const struct agent_task *t)
{
	return t->exec && !t->exec->is_default && !t->exec->stream && t->state == TASK_STAGING;
}

json_t *agent_api_get_tasks(struct agent *a)
{
	json_t *queued = json_array(), *launched = json_array(), *terminated = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		const struct agent_task *t = v;
		json_t *to = task_state_terminal(t->state) ? terminated :
			     task_queued(t)		   ? queued :
							     launched;
		json_array_append_new(to, agent_api_task_json(a, t));
	}
	return json_pack("{s:o,s:o,s:o,s:o}", "queued_tasks", queued, "launched_tasks", launched,
			 "terminated_tasks", terminated, "completed_tasks",
			 agent_completed_tasks(a));
}

/* A command task's executor as Mesos shows one: the task's ID, its command. */
json_t *agent_api_command_executor_info(const struct agent_task *t)
{
	json_t *j = json_pack("{s:o,s:o,s:s}", "executor_id", wire_id(t->id), "framework_id",
			      wire_id(t->fw_id), "source", t->id);
	json_t *cmd = json_object_get(t->info, "command");

	if (j && cmd)
		json_object_set(j, "command", cmd);
	return j;
}

json_t *agent_api_get_executors(struct agent *a)
{
	json_t *arr = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->executors, &it, NULL, &v);) {
		const struct agent_executor *e = v;
		json_t *info = json_deep_copy(e->info);

		if (info && !json_object_get(info, "framework_id"))
			json_object_set_new(info, "framework_id", wire_id(e->fw_id));
		json_array_append_new(arr, json_pack("{s:o}", "executor_info", info));
	}
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		const struct agent_task *t = v;
		if (!t->exec)
			json_array_append_new(arr, json_pack("{s:o}", "executor_info",
							     agent_api_command_executor_info(t)));
	}
	return json_pack("{s:o,s:o}", "executors", arr, "completed_executors",
			 agent_completed_executors(a));
}

/*
 * FrameworkInfo.user (required by Mesos) of a framework that gave none (Drover accepts
 * that): the user its tasks run as here when they name none (agent_launch_user()): the
 * agent's own when it is not root, else --task-user, else the framework's dynamic uid
 * (its passwd name, else its number); "" when it holds none now.
 */
static json_t *default_user(struct agent *a, const char *fid)
{
	uid_t uid = geteuid();
	struct passwd pw, *res = NULL;
	char buf[1024], num[16];

	if (uid == 0 && a->flags->task_user && *a->flags->task_user)
		return json_string(a->flags->task_user);
	if (uid == 0)
		uid = a->uids_ready ? agent_uid_pool_lookup(&a->uids, fid) : 0;
	if (uid == 0)
		return json_string("");
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		return json_string(res->pw_name);
	snprintf(num, sizeof(num), "%u", (unsigned)uid);
	return json_string(num);
}

json_t *agent_api_framework_info(struct agent *a, const char *fid, json_t *fi)
{
	json_t *j = json_is_object(fi) ? json_deep_copy(fi) : NULL;

	if (j && !json_object_get(j, "id"))
		json_object_set_new(j, "id", wire_id(fid));
	if (j && !json_is_string(json_object_get(j, "user")))
		json_object_set_new(j, "user", default_user(a, fid));
	return j;
}

json_t *agent_api_get_frameworks(struct agent *a)
{
	json_t *seen = json_object(), *arr = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		const struct agent_task *t = v;
		json_t *fi = task_framework_info(t);

		/* a task recovered from a record older than this field: its framework unknown */
		if (!fi || json_object_get(seen, t->fw_id))
			continue;
		json_object_set_new(seen, t->fw_id, json_true());
		json_array_append_new(arr, json_pack("{s:o}", "framework_info",
						     agent_api_framework_info(a, t->fw_id, fi)));
	}
	json_decref(seen);
	return json_pack("{s:o,s:o}", "frameworks", arr, "completed_frameworks",
			 agent_completed_frameworks(a));
}

json_t *agent_api_agent_info(struct agent *a)
{
	json_t *j = json_pack("{s:s,s:o}", "hostname", a->hostname, "resources",
			      alloc_res_to_json(&a->total));

	if (j && a->agent_id[0])
		json_object_set_new(j, "id", wire_id(a->agent_id));
	if (j && agent_api_port(a))
		json_object_set_new(j, "port", json_integer(agent_api_port(a)));
	if (j && json_array_size(a->attributes))
		json_object_set(j, "attributes", a->attributes);
	return j;
}

json_t *agent_api_get_agent(struct agent *a)
{
	return json_pack("{s:o}", "agent_info", agent_api_agent_info(a));
}

/*
 * The container t runs in: its own run ID (a command or group task), its executor's (a
 * CUSTOM executor's task), or, for a task recovered from before run IDs, its task ID.
 */
static const char *task_container_id(const struct agent_task *t)
{
	if (t->exec && !t->exec->is_default)
		return t->exec->run;
	return t->run[0] ? t->run : t->id;
}

/*
 * One container a task runs in: Mesos's Container (framework, executor, container ID, its
 * status and ResourceStatistics) and Drover's members (task_id, state, resources, sandbox,
 * usage, isolation, pid).
 */
static json_t *container_json(struct agent *a, struct agent_task *t)
{
	pid_t epid = t->exec && !t->exec->is_default ? t->exec->proc.task_pid :
						       t->proc.supervisor_pid;
	json_t *status = json_pack("{s:o}", "container_id", wire_id(task_container_id(t)));
	json_t *c;

	if (status && epid > 0 && (t->running || (t->exec && t->exec->running)))
		json_object_set_new(status, "executor_pid", json_integer(epid));
	c = json_pack("{s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:s,s:o}", "framework_id", wire_id(t->fw_id),
		      "executor_id", wire_id(task_executor_id(t)), "container_id",
		      wire_id(task_container_id(t)), "container_status", status, "task_id",
		      wire_id(t->id), "state", task_state_name(t->state), "resources",
		      alloc_res_to_json(&t->res), "sandbox", t->sandbox, "usage",
		      agent_api_task_usage(a, t));
	if (!c)
		return NULL;
	if (t->exec && !t->exec->is_default) {
		const char *n = json_string_value(json_object_get(t->exec->info, "name"));
		if (n)
			json_object_set_new(c, "executor_name", json_string(n));
	}
	if (t->cgroup_fd >= 0)
		json_object_set_new(c, "resource_statistics", agent_legacy_statistics(a, t));
	if (t->isolation_note[0])
		json_object_set_new(c, "isolation", json_string(t->isolation_note));
	if (t->running && t->proc.task_pid > 0)
		json_object_set_new(c, "pid", json_integer(t->proc.task_pid));
	return c;
}

json_t *agent_api_get_containers(struct agent *a)
{
	json_t *arr = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);)
		json_array_append_new(arr, container_json(a, v));
	return json_pack("{s:o}", "containers", arr);
}

json_t *agent_api_get_state(struct agent *a)
{
	struct alloc_res free_ = ALLOC_RES_INIT;
	json_t *j, *c;

	alloc_res_copy(&free_, &a->total);
	alloc_res_sub(&free_, &a->used);
	c = agent_api_get_containers(a);
	j = json_pack("{s:o,s:o,s:o,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o,s:s,s:O}", "get_tasks",
		      agent_api_get_tasks(a), "get_executors", agent_api_get_executors(a),
		      "get_frameworks", agent_api_get_frameworks(a), "agent_id", a->agent_id,
		      "hostname", a->hostname, "master", a->master_url, "subscribed", a->subscribed,
		      "total_resources", alloc_res_to_json(&a->total), "allocated_resources",
		      alloc_res_to_json(&a->used), "free_resources", alloc_res_to_json(&free_),
		      "enforcement", agent_enforcement_json(a), "cgroup_root", a->cg.root, "tasks",
		      json_object_get(c, "containers"));
	json_decref(c);
	alloc_res_clear(&free_);
	return j;
}

static void put_metric(json_t *arr, const char *name, double v)
{
	json_array_append_new(arr, json_pack("{s:s,s:f}", "name", name, "value", v));
}

/*
 * Mesos's agent metrics the agent has figures for (names of Mesos's /metrics/snapshot):
 * registration, resources total/used/percent, tasks by state, executors, frameworks.
 */
json_t *agent_api_get_metrics(struct agent *a)
{
	static const char *const res[] = {"cpus", "mem", "disk", "gpus"};
	static const struct {
		enum task_state s;
		const char *name;
	} states[] = {
		{TASK_STAGING, "slave/tasks_staging"},	 {TASK_STARTING, "slave/tasks_starting"},
		{TASK_RUNNING, "slave/tasks_running"},	 {TASK_KILLING, "slave/tasks_killing"},
		{TASK_FINISHED, "slave/tasks_finished"}, {TASK_FAILED, "slave/tasks_failed"},
		{TASK_KILLED, "slave/tasks_killed"},	 {TASK_LOST, "slave/tasks_lost"},
	};
	int count[TASK_STATE_MAX] = {0};
	json_t *arr = json_array(), *fws = json_object();
	char name[64];
	size_t it, nexec = 0;
	void *v;

	put_metric(arr, "slave/registered", a->subscribed ? 1 : 0);
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		double total = (double)alloc_res_scalar(&a->total, res[i]) / ALLOC_SCALAR_UNIT;
		double used = (double)alloc_res_scalar(&a->used, res[i]) / ALLOC_SCALAR_UNIT;

		snprintf(name, sizeof(name), "slave/%s_total", res[i]);
		put_metric(arr, name, total);
		snprintf(name, sizeof(name), "slave/%s_used", res[i]);
		put_metric(arr, name, used);
		snprintf(name, sizeof(name), "slave/%s_percent", res[i]);
		put_metric(arr, name, total > 0 ? used / total : 0);
	}
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		const struct agent_task *t = v;
		count[t->state]++;
		nexec += !t->exec;
		json_object_set_new(fws, t->fw_id, json_true());
	}
	nexec += strmap_size(&a->executors);
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		put_metric(arr, states[i].name, count[states[i].s]);
	put_metric(arr, "slave/executors_running", (double)nexec);
	put_metric(arr, "slave/frameworks_active", (double)json_object_size(fws));
	json_decref(fws);
	return json_pack("{s:o}", "metrics", arr);
}

json_t *agent_api_get_flags(struct agent *a)
{
	json_t *obj = agent_legacy_flags(a), *arr = wire_name_values(obj);

	json_decref(obj);
	return json_pack("{s:o}", "flags", arr);
}

/* Mesos's level is glog's verbosity: Drover's debug is 1, anything less verbose 0. */
json_t *agent_api_get_logging_level(void)
{
	enum log_level l = __atomic_load_n(&log_max_level, __ATOMIC_RELAXED);

	return json_pack("{s:i}", "level", l >= LOG_DEBUG ? 1 : 0);
}
