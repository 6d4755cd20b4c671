// SPDX-License-Identifier: Apache-2.0
/*
 * Executors as the master sees them (owner thread): the LAUNCH_GROUP operation of ACCEPT
 * (its group-level checks, its refusal, its event to the agent), the scheduler calls
 * MESSAGE and SHUTDOWN relayed to the executor's agent, the agent's calls that relay an
 * executor's MESSAGE and its exit (the FAILURE event) to the framework, and the resources
 * of CUSTOM executors (per agent: which run, with what ExecutorInfo and resources).
 */
#include <stdio.h>
#include <string.h>

#include "command_info.h"
#include "log.h"
#include "master.h"
#include "validate.h"

#define ERRLEN 1024
/* Mesos's floor on a default executor's resources (§7): 0.01 cpus, 32 MB mem. */
#define GROUP_MIN_CPUS (ALLOC_SCALAR_UNIT / 100)
#define GROUP_MIN_MEM (32 * ALLOC_SCALAR_UNIT)

json_t *master_op_task_infos(json_t *op)
{
	const char *type = json_string_value(json_object_get(op, "type"));

	if (streq(type, "LAUNCH_GROUP"))
		return json_object_get(json_object_get(json_object_get(op, "launch_group"),
						       "task_group"),
				       "tasks");
	return json_object_get(json_object_get(op, "launch"), "task_infos");
}

/* launch_group.executor against the framework and the group's tasks. */
static int check_executor(struct framework *fw, json_t *ex, json_t *tasks, struct alloc_res *res,
			  char *err, size_t errlen)
{
	const char *type = json_string_value(json_object_get(ex, "type"));
	json_t *fid = json_object_get(ex, "framework_id"), *c = json_object_get(ex, "container");
	json_t *task;
	char sub[ERRLEN];
	size_t i;

	if (!json_is_object(ex)) {
		snprintf(err, errlen, "missing field 'launch_group.executor'");
		return -EINVAL;
	}
	if (!master_get_id(ex, "executor_id", "launch_group.executor", sub, sizeof(sub))) {
		snprintf(err, errlen, "%s", sub);
		return -EINVAL;
	}
	if (streq(type, "CUSTOM")) {
		/* the framework's own executor gets the group as one LAUNCH_GROUP event */
		json_t *cmd = json_object_get(ex, "command");
		if (!json_is_object(cmd)) {
			snprintf(err, errlen, "a CUSTOM executor needs a 'command'");
			return -EINVAL;
		}
		if (command_info_check(cmd, "launch_group.executor", err, errlen) < 0)
			return -EINVAL;
		if (!json_object_get(cmd, "value") &&
		    !json_array_size(json_object_get(cmd, "arguments"))) {
			snprintf(
				err, errlen,
				"field 'launch_group.executor.command' needs 'value' or 'arguments'");
			return -EINVAL;
		}
	} else if (!streq(type, "DEFAULT")) {
		snprintf(err, errlen,
			 "field 'launch_group.executor.type' must be DEFAULT or CUSTOM");
		return -EINVAL;
	} else if (json_object_get(ex, "command")) {
		snprintf(err, errlen, "a DEFAULT executor must have no 'command'");
		return -EINVAL;
	}
	if (c && (!streq(json_string_value(json_object_get(c, "type")), "MESOS") ||
		  json_object_get(json_object_get(c, "mesos"), "image"))) {
		snprintf(err, errlen, "an executor's container must be MESOS, without image");
		return -EINVAL;
	}
	if (fid && !streq(json_string_value(json_object_get(fid, "value")), fw->id)) {
		snprintf(err, errlen,
			 "field 'launch_group.executor.framework_id' is not the "
			 "framework's ID");
		return -EINVAL;
	}
	if (alloc_res_from_json(json_object_get(ex, "resources"), res, sub, sizeof(sub)) < 0) {
		snprintf(err, errlen, "field 'launch_group.executor.resources': %.200s", sub);
		return -EINVAL;
	}
	if (streq(type, "DEFAULT") && (alloc_res_scalar(res, "cpus") < GROUP_MIN_CPUS ||
				       alloc_res_scalar(res, "mem") < GROUP_MIN_MEM)) {
		snprintf(err, errlen,
			 "the executor's resources must be at least 0.01 cpus and "
			 "32 MB mem");
		return -EINVAL;
	}
	if (!json_is_array(tasks) || json_array_size(tasks) == 0) {
		snprintf(err, errlen,
			 "field 'launch_group.task_group.tasks' must be a non-empty "
			 "array");
		return -EINVAL;
	}
	json_array_foreach(tasks, i, task) {
		json_t *te = json_object_get(task, "executor");
		if (te && !json_equal(json_object_get(te, "executor_id"),
				      json_object_get(ex, "executor_id"))) {
			snprintf(err, errlen,
				 "field 'launch_group.task_group.tasks[%zu].executor' is not the "
				 "group's executor",
				 i);
			return -EINVAL;
		}
	}
	return 0;
}

int master_group_check(struct agent *a, struct framework *fw, json_t *op, struct alloc_res *left,
		       struct alloc_res *ret_res, bool *ret_new_custom, char *err, size_t errlen)
{
	json_t *lg = json_object_get(op, "launch_group");
	struct alloc_res res = ALLOC_RES_INIT;
	char want[256], have[256];
	int r;

	*ret_new_custom = false;
	if (check_executor(fw, json_object_get(lg, "executor"), master_op_task_infos(op), &res, err,
			   errlen) < 0)
		goto fail;
	if (streq(json_string_value(json_object_get(json_object_get(lg, "executor"), "type")),
		  "CUSTOM")) {
		/* its resources only when it does not run on the agent yet (a running one must
		 * be the same ExecutorInfo) */
		alloc_res_clear(&res);
		r = master_executor_check(a, fw, lg, "launch_group", &res, err, errlen);
		if (r < 0)
			goto fail;
		*ret_new_custom = r > 0;
	}
	if (!alloc_res_contains(left, &res)) {
		alloc_res_format(&res, want, sizeof(want));
		alloc_res_format(left, have, sizeof(have));
		snprintf(err, errlen, "the executor's %.60s is beyond the offered %.60s", want,
			 have);
		goto fail;
	}
	alloc_res_sub(left, &res);
	*ret_res = res;
	return 0;
fail:
	alloc_res_clear(&res);
	return -EINVAL;
}

void master_group_refuse(struct master *m, struct framework *fw, struct agent *a, json_t *op,
			 const char *why, const char *reason)
{
	json_t *task;
	size_t i;

	json_array_foreach(master_op_task_infos(op), i, task) {
		json_t *tid = json_object_get(task, "task_id");
		json_t *st;

		if (!json_is_string(json_object_get(tid, "value")))
			continue;
		st = json_pack("{s:O,s:s,s:s,s:s,s:s,s:o,s:f}", "task_id", tid, "state",
			       "TASK_ERROR", "source", "SOURCE_MASTER", "reason", reason, "message",
			       why, "agent_id", wire_id(a->id), "timestamp",
			       (double)now_real_ns() / 1e9);
		if (fw->connected)
			master_stream_send_event(fw->stream,
						 wire_event("UPDATE", "update",
							    json_pack("{s:o}", "status", st)));
		else
			json_decref(st);
	}
}

void master_group_launch(struct master *m, struct framework *fw, struct agent *a, json_t *op)
{
	json_t *lg = json_object_get(op, "launch_group"), *ex, *tasks, *task;
	size_t i;

	ex = json_deep_copy(json_object_get(lg, "executor"));
	json_object_set_new(ex, "framework_id", wire_id(fw->id));
	tasks = json_deep_copy(master_op_task_infos(op));
	json_array_foreach(tasks, i, task) /* every task names its executor, as Mesos fills in */
		json_object_set(task, "executor", ex);
	if (master_agent_send(a,
			      wire_event("LAUNCH_GROUP", "launch_group",
					 json_pack("{s:o,s:O,s:o,s:{s:o}}", "framework_id",
						   wire_id(fw->id), "framework_info", fw->info,
						   "executor", ex, "task_group", "tasks", tasks))))
		return;
	/* the agent went away between the offer and now */
	json_array_foreach(master_op_task_infos(op), i, task) {
		const char *tid = json_string_value(
			json_object_get(json_object_get(task, "task_id"), "value"));
		struct task *t = tid ? strmap_get(&fw->tasks, tid) : NULL;
		if (t && t->state == TASK_STAGING)
			master_task_update(m, t,
					   master_status(t, TASK_LOST, "REASON_AGENT_DISCONNECTED",
							 "Agent disconnected before the launch"));
	}
}

/* ------------------------------------------------------------------ CUSTOM executors */

struct master_executor {
	json_t *info; /* the ExecutorInfo it was launched with; NULL: reported by its agent */
	char *role; /* the role its resources are allocated to (NULL: its framework's first) */
	struct alloc_res res;
};

static void executor_free(void *p)
{
	struct master_executor *e = p;

	if (!e)
		return;
	json_decref(e->info);
	free(e->role);
	alloc_res_clear(&e->res);
	free(e);
}

static void executor_key(const char *fw_id, const char *eid, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", fw_id, eid); /* neither holds a '/' (id_is_valid) */
}

int master_executor_check(struct agent *a, const struct framework *fw, json_t *ti, const char *path,
			  struct alloc_res *ret, char *err, size_t errlen)
{
	json_t *ex = json_object_get(ti, "executor");
	const char *eid =
		json_string_value(json_object_get(json_object_get(ex, "executor_id"), "value"));
	char key[2 * ID_MAX_LEN + 2], sub[ERRLEN];
	struct master_executor *e;

	*ret = (struct alloc_res)ALLOC_RES_INIT;
	if (!ex || !eid) /* no executor (validate.c checked the shape) */
		return 0;
	executor_key(fw->id, eid, key, sizeof(key));
	e = strmap_get(&a->executors, key);
	if (e) {
		if (!e->info || json_equal(e->info, ex))
			return 0; /* after a failover the master knows its ID and resources only */
		snprintf(err, errlen,
			 "field '%s.executor': executor '%.64s' runs on this agent with another "
			 "ExecutorInfo",
			 path, eid);
		return -EINVAL;
	}
	if (alloc_res_from_json(json_object_get(ex, "resources"), ret, sub, sizeof(sub)) < 0) {
		snprintf(err, errlen, "field '%s.executor.resources': %.200s", path, sub);
		return -EINVAL;
	}
	return 1;
}

static int executor_put(struct agent *a, const char *fw_id, const char *eid, json_t *info,
			const char *role, struct alloc_res *res)
{
	char key[2 * ID_MAX_LEN + 2];
	struct master_executor *e = calloc(1, sizeof(*e));
	void *old = NULL;

	if (!e) {
		alloc_res_clear(res);
		return -ENOMEM;
	}
	e->info = info ? json_incref(info) : NULL;
	if (role && !(e->role = strdup(role))) {
		executor_free(e);
		alloc_res_clear(res);
		return -ENOMEM;
	}
	e->res = *res;
	*res = (struct alloc_res)ALLOC_RES_INIT;
	executor_key(fw_id, eid, key, sizeof(key));
	if (strmap_put(&a->executors, key, e, &old) < 0) {
		executor_free(e);
		return -ENOMEM;
	}
	executor_free(old);
	return 0;
}

void master_executor_add(struct agent *a, const struct framework *fw, json_t *ti, const char *role,
			 struct alloc_res *res)
{
	json_t *ex = json_object_get(ti, "executor");
	const char *eid =
		json_string_value(json_object_get(json_object_get(ex, "executor_id"), "value"));

	if (!eid || executor_put(a, fw->id, eid, ex, role, res) < 0)
		log_warn("framework %s: cannot account executor '%s' on agent %s (out of memory)",
			 fw->id, eid ? eid : "", a->id);
}

/* The agent says the executor exited: its resources are offered again. */
static void executor_exited(struct master *m, struct agent *a, const char *fw_id, const char *eid)
{
	char key[2 * ID_MAX_LEN + 2];
	struct master_executor *e;
	struct framework *fw = strmap_get(&m->frameworks, fw_id);

	executor_key(fw_id, eid, key, sizeof(key));
	e = strmap_del(&a->executors, key);
	if (!e)
		return;
	if (fw)
		master_alloc_recover(m, a, fw, e->role, &e->res, 0);
	executor_free(e);
	master_request_allocation(m);
}

/*
 * The role a reported executor's resources are allocated to (their allocation_info, as the
 * master set it at launch): one of fw's roles, the same on every resource; NULL (its
 * framework's first role) when they name none, differ, or name a role fw does not have, and
 * for a framework without MULTI_ROLE.
 */
static const char *reported_role(const struct framework *fw, json_t *resources)
{
	const char *role = NULL;
	json_t *r;
	size_t i;

	if (!fw->multi_role)
		return NULL;
	json_array_foreach(resources, i, r) {
		const char *rr = json_string_value(
			json_object_get(json_object_get(r, "allocation_info"), "role"));
		if (!rr || (role && !streq(rr, role)))
			return NULL;
		role = rr;
	}
	return role && master_framework_role(fw, role) ? role : NULL;
}

void master_executors_reported(struct master *m, struct agent *a, json_t *executors)
{
	json_t *re;
	size_t i;

	master_agent_executors_clear(a);
	json_array_foreach(executors, i, re) {
		char err[ERRLEN];
		const char *fid = master_get_id(re, "framework_id", "executors", err, sizeof(err));
		const char *eid =
			fid ? master_get_id(re, "executor_id", "executors", err, sizeof(err)) :
			      NULL;
		struct framework *fw = fid ? strmap_get(&m->frameworks, fid) : NULL;
		struct alloc_res res = ALLOC_RES_INIT;
		char key[2 * ID_MAX_LEN + 2];
		const char *role;

		if (!eid || !fw ||
		    alloc_res_from_json(json_object_get(re, "resources"), &res, err, sizeof(err)) <
			    0 ||
		    !alloc_res_contains(&a->total, &res)) {
			/* an agent speaks for its own resources only: nothing else is charged */
			log_info("agent %s: reported executor %zu ignored", a->id, i);
			alloc_res_clear(&res);
			continue;
		}
		executor_key(fid, eid, key, sizeof(key));
		if (strmap_get(&a->executors, key)) {
			alloc_res_clear(&res);
			continue; /* reported twice: counted once */
		}
		role = reported_role(fw, json_object_get(re, "resources"));
		master_alloc_used(m, a, fw, role, &res);
		if (executor_put(a, fid, eid, NULL, role, &res) < 0)
			log_warn("agent %s: cannot account executor '%s' (out of memory)", a->id,
				 eid);
	}
}

void master_executors_framework_removed(struct master *m, const struct framework *fw)
{
	size_t plen = strlen(fw->id), it, jt;
	const char *key;
	void *v;

	for (it = 0; strmap_next(&m->agents, &it, NULL, &v);) {
		struct agent *a = v;

		for (jt = 0; strmap_next(&a->executors, &jt, &key, NULL);) {
			if (strncmp(key, fw->id, plen) == 0 && key[plen] == '/') {
				executor_free(strmap_del(&a->executors, key));
				jt = 0;
			}
		}
	}
}

void master_agent_executors_clear(struct agent *a)
{
	strmap_clear(&a->executors, executor_free);
}

void master_agent_executors_foreach(struct agent *a,
				    void (*cb)(void *data, const char *fw_id, json_t *info),
				    void *data)
{
	const char *key;
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->executors, &it, &key, &v);) {
		struct master_executor *e = v;
		const char *slash = strchr(key, '/');
		char fw_id[ID_MAX_LEN + 1];
		json_t *info;

		if (!slash || (size_t)(slash - key) > ID_MAX_LEN)
			continue;
		snprintf(fw_id, sizeof(fw_id), "%.*s", (int)(slash - key), key);
		if (e->info)
			info = json_deep_copy(e->info);
		else /* known from the agent's report only */
			info = json_pack("{s:{s:s},s:o}", "executor_id", "value", slash + 1,
					 "resources", alloc_res_to_json(&e->res));
		if (!info)
			continue;
		if (!json_object_get(info, "framework_id"))
			json_object_set_new(info, "framework_id", wire_id(fw_id));
		cb(data, fw_id, info);
		json_decref(info);
	}
}

/* ------------------------------------------------------------------ scheduler calls */

/* MESSAGE {agent_id, executor_id, data} and SHUTDOWN {executor_id, agent_id}: to the agent. */
void master_executor_call(struct master *m, struct framework *fw, struct msg *msg)
{
	const char *type = json_string_value(json_object_get(msg->body, "type"));
	const char *key = streq(type, "MESSAGE") ? "message" : "shutdown";
	char err[ERRLEN] = "";
	json_t *c = wire_get_object(msg->body, key, true, err, sizeof(err));
	const char *aid = c ? master_get_id(c, "agent_id", key, err, sizeof(err)) : NULL;
	const char *eid = aid ? master_get_id(c, "executor_id", key, err, sizeof(err)) : NULL;
	json_t *data = json_object_get(c, "data");
	struct agent *a;

	if (eid && streq(type, "MESSAGE") && !json_is_string(data))
		snprintf(err, sizeof(err), "field 'message.data' must be a base64 string");
	if (!eid || err[0]) {
		master_reply_error(m, msg->req, 400, "Failed to validate scheduler::Call: %s", err);
		return;
	}
	master_reply_error(m, msg->req, 202, "%s", "");
	a = strmap_get(&m->agents, aid);
	if (!a || !a->connected) {
		log_info("framework %s: %s for executor '%s' on agent %s dropped (agent not "
			 "connected)",
			 fw->id, type, eid, aid);
		return;
	}
	if (streq(type, "MESSAGE"))
		master_agent_send(a, wire_event("MESSAGE", "message",
						json_pack("{s:o,s:o,s:O}", "framework_id",
							  wire_id(fw->id), "executor_id",
							  wire_id(eid), "data", data)));
	else
		master_agent_send(a,
				  wire_event("SHUTDOWN_EXECUTOR", "shutdown_executor",
					     json_pack("{s:o,s:o}", "framework_id", wire_id(fw->id),
						       "executor_id", wire_id(eid))));
}

/* ------------------------------------------------------------------ agent calls */

/*
 * EXECUTOR_MESSAGE {executor_message: {framework_id, executor_id, data}} and
 * EXECUTOR_EXITED {executor_exited: {framework_id, executor_id, status}}: to the framework
 * as MESSAGE and FAILURE events (at most once: a framework not connected misses them).
 * As in Mesos, the master takes the agent's word for which executors it runs.
 */
void master_agent_executor_call(struct master *m, struct agent *a, struct msg *msg)
{
	const char *type = json_string_value(json_object_get(msg->body, "type"));
	const char *key = streq(type, "EXECUTOR_MESSAGE") ? "executor_message" : "executor_exited";
	char err[ERRLEN] = "";
	json_t *c = wire_get_object(msg->body, key, true, err, sizeof(err));
	const char *fid = c ? master_get_id(c, "framework_id", key, err, sizeof(err)) : NULL;
	const char *eid = fid ? master_get_id(c, "executor_id", key, err, sizeof(err)) : NULL;
	json_t *data = json_object_get(c, "data"), *status = json_object_get(c, "status");
	struct framework *fw;
	json_t *ev;

	if (eid && streq(key, "executor_message") && !json_is_string(data))
		snprintf(err, sizeof(err), "field 'executor_message.data' must be a string");
	if (eid && streq(key, "executor_exited") && status && !json_is_integer(status))
		snprintf(err, sizeof(err), "field 'executor_exited.status' must be an integer");
	if (!eid || err[0]) {
		master_reply_error(m, msg->req, 400, "Failed to validate agent::Call: %s", err);
		return;
	}
	master_reply_error(m, msg->req, 202, "%s", "");
	if (streq(key, "executor_exited"))
		executor_exited(m, a, fid, eid);
	fw = strmap_get(&m->frameworks, fid);
	if (!fw || !fw->connected)
		return;
	if (streq(key, "executor_message"))
		ev = wire_event("MESSAGE", "message",
				json_pack("{s:o,s:o,s:O}", "agent_id", wire_id(a->id),
					  "executor_id", wire_id(eid), "data", data));
	else
		ev = wire_event("FAILURE", "failure",
				json_pack("{s:o,s:o,s:O*}", "agent_id", wire_id(a->id),
					  "executor_id", wire_id(eid), "status", status));
	master_stream_send_event(fw->stream, ev);
}
