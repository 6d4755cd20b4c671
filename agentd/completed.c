// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's memory of ended tasks, executors and frameworks (completed.h). One record per
 * framework, in a->completed (fid -> record):
 *
 *	{"seq": N,                      when it was last added to (the oldest go first)
 *	 "framework_info": {...},       the FrameworkInfo its launches carried, when known
 *	 "live": {"<eid>": [entry...]}, ended tasks of executors still in the executor table
 *	 "executors": [{"executor_info": {...}, "legacy": {...}, "tasks": [entry...]}, ...]}
 *
 * and an entry is {"task": Mesos's Task, "legacy": the task in /state's model}.
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "api.h"
#include "completed.h"
#include "legacy.h"
#include "strmap.h"
#include "util.h"

/* The record of fid, made when missing (NULL: out of memory). */
static json_t *record_of(struct agent *a, const char *fid)
{
	json_t *r;

	if (!a->completed)
		a->completed = json_object();
	r = json_object_get(a->completed, fid);
	if (r || !a->completed)
		return r;
	r = json_pack("{s:I,s:{},s:[]}", "seq", (json_int_t)0, "live", "executors");
	if (json_object_set_new(a->completed, fid, r) < 0)
		return NULL;
	return r;
}

/* Does fid still have a task or an executor in the tables? */
static bool framework_live(struct agent *a, const char *fid)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);)
		if (streq(((struct agent_task *)v)->fw_id, fid))
			return true;
	for (it = 0; strmap_next(&a->executors, &it, NULL, &v);)
		if (streq(((struct agent_executor *)v)->fw_id, fid))
			return true;
	return false;
}

/* arr keeps its last max elements. */
static void keep_last(json_t *arr, size_t max)
{
	while (json_array_size(arr) > max)
		json_array_remove(arr, 0);
}

/*
 * r (of fid) was added to: it is the newest; past AGENT_COMPLETED_FRAMEWORKS records of
 * frameworks with nothing left running, the oldest of them goes.
 */
static void touched(struct agent *a, json_t *r, const json_t *fi)
{
	const char *fid, *oldest = NULL;
	json_int_t seq = ++a->completed_seq, min = 0;
	size_t idle = 0;
	json_t *v;

	json_object_set_new(r, "seq", json_integer(seq));
	if (fi && !json_object_get(r, "framework_info"))
		json_object_set(r, "framework_info", (json_t *)fi);
	json_object_foreach(a->completed, fid, v) {
		json_int_t s = json_integer_value(json_object_get(v, "seq"));
		if (framework_live(a, fid))
			continue;
		idle++;
		if (!oldest || s < min) {
			oldest = fid;
			min = s;
		}
	}
	if (idle > AGENT_COMPLETED_FRAMEWORKS && oldest) {
		char key[ID_MAX_LEN + 1];

		snprintf(key, sizeof(key), "%s", oldest); /* oldest is the object's own key */
		json_object_del(a->completed, key);
	}
}

static json_t *entry(struct agent *a, const struct agent_task *t)
{
	return json_pack("{s:o,s:o}", "task", agent_api_task_json(a, t), "legacy",
			 agent_legacy_task_model(a, t));
}

/* A completed executor, oldest out past --max-completed-executors-per-framework. */
static void executor_add(struct agent *a, json_t *r, json_t *ex)
{
	json_t *arr = json_object_get(r, "executors");

	json_array_append_new(arr, ex);
	keep_last(arr, (size_t)a->flags->max_completed_executors_per_framework);
}

void agent_completed_task(struct agent *a, const struct agent_task *t)
{
	const json_t *fi = t->exec && t->exec->fw_info ? t->exec->fw_info : t->fw_info;
	json_t *r, *live, *tasks;

	if (a->flags->max_completed_executors_per_framework <= 0)
		return;
	r = record_of(a, t->fw_id);
	if (!r)
		return;
	if (!t->exec) { /* a command task ends as its own executor */
		json_t *legacy = json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", t->id, "name", "",
					   "source", "", "directory", t->sandbox, "resources",
					   alloc_res_to_legacy_json(&t->res));
		executor_add(a, r,
			     json_pack("{s:o,s:o,s:[o]}", "executor_info",
				       agent_api_command_executor_info(t), "legacy", legacy,
				       "tasks", entry(a, t)));
	} else {
		live = json_object_get(r, "live");
		tasks = json_object_get(live, t->exec->id);
		if (!tasks) {
			tasks = json_array();
			json_object_set_new(live, t->exec->id, tasks);
		}
		json_array_append_new(tasks, entry(a, t));
		keep_last(tasks, AGENT_COMPLETED_TASKS_PER_EXECUTOR);
	}
	touched(a, r, fi);
}

void agent_completed_executor(struct agent *a, const struct agent_executor *e)
{
	const char *name = json_string_value(json_object_get(e->info, "name"));
	const char *source = json_string_value(json_object_get(e->info, "source"));
	json_t *r, *live, *tasks, *info, *legacy;

	if (a->flags->max_completed_executors_per_framework <= 0)
		return;
	r = record_of(a, e->fw_id);
	if (!r)
		return;
	live = json_object_get(r, "live");
	tasks = json_object_get(live, e->id);
	tasks = tasks ? json_incref(tasks) : json_array();
	json_object_del(live, e->id);
	info = json_deep_copy(e->info);
	if (info && !json_object_get(info, "framework_id"))
		json_object_set_new(info, "framework_id", wire_id(e->fw_id));
	legacy = json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", e->id, "name", name ? name : "", "source",
			   source ? source : "", "directory", e->dir, "resources",
			   alloc_res_to_legacy_json(&e->res));
	executor_add(a, r,
		     json_pack("{s:o,s:o,s:o}", "executor_info", info, "legacy", legacy, "tasks",
			       tasks));
	touched(a, r, e->fw_info);
}

void agent_completed_free(struct agent *a)
{
	json_decref(a->completed);
	a->completed = NULL;
}

/* Each entry's member (task or legacy) of the ended tasks of r, appended to out. */
static void record_tasks(json_t *r, const char *member, json_t *out)
{
	json_t *ex, *e, *tasks;
	const char *eid;
	size_t i, j;

	json_object_foreach(json_object_get(r, "live"), eid, tasks)
		json_array_foreach(tasks, j, e)
			json_array_append(out, json_object_get(e, member));
	json_array_foreach(json_object_get(r, "executors"), i, ex)
		json_array_foreach(json_object_get(ex, "tasks"), j, e)
			json_array_append(out, json_object_get(e, member));
}

json_t *agent_completed_tasks(struct agent *a)
{
	json_t *out = json_array(), *r;
	const char *fid;

	json_object_foreach(a->completed, fid, r)
		record_tasks(r, "task", out);
	return out;
}

json_t *agent_completed_executors(struct agent *a)
{
	json_t *out = json_array(), *r, *ex;
	const char *fid;
	size_t i;

	json_object_foreach(a->completed, fid, r)
		json_array_foreach(json_object_get(r, "executors"), i, ex)
			json_array_append_new(out, json_pack("{s:O}", "executor_info",
							     json_object_get(ex, "executor_info")));
	return out;
}

json_t *agent_completed_frameworks(struct agent *a)
{
	json_t *out = json_array(), *r, *fi;
	const char *fid;

	json_object_foreach(a->completed, fid, r) {
		fi = json_object_get(r, "framework_info");
		if (!fi || framework_live(a, fid))
			continue;
		json_array_append_new(out, json_pack("{s:o}", "framework_info",
						     agent_api_framework_info(a, fid, fi)));
	}
	return out;
}

json_t *agent_completed_legacy_executors(struct agent *a, const char *fid)
{
	json_t *out = json_array(), *ex, *e, *m;
	size_t i, j;

	json_array_foreach(json_object_get(json_object_get(a->completed, fid), "executors"), i,
			   ex) {
		m = json_deep_copy(json_object_get(ex, "legacy"));
		json_object_set_new(m, "tasks", json_array());
		json_object_set_new(m, "queued_tasks", json_array());
		json_object_set_new(m, "completed_tasks", json_array());
		json_array_foreach(json_object_get(ex, "tasks"), j, e)
			json_array_append(json_object_get(m, "completed_tasks"),
					  json_object_get(e, "legacy"));
		json_array_append_new(out, m);
	}
	return out;
}

json_t *agent_completed_legacy_frameworks(struct agent *a)
{
	json_t *out = json_array(), *r;
	const char *fid;

	json_object_foreach(a->completed, fid, r) {
		const char *name = json_string_value(
			json_object_get(json_object_get(r, "framework_info"), "name"));
		if (framework_live(a, fid))
			continue;
		json_array_append_new(out, json_pack("{s:s,s:s,s:[],s:o}", "id", fid, "name",
						     name ? name : "", "executors",
						     "completed_executors",
						     agent_completed_legacy_executors(a, fid)));
	}
	return out;
}
