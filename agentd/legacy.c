// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's legacy JSON endpoints (Mesos's /state, /monitor/statistics, /flags, /version;
 * docs/api.md "Legacy endpoints"). A Drover task runs without an executor of its own: each
 * one appears as Mesos shows a command task, an executor whose ID is the task's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "api.h"
#include "completed.h"
#include "cgroupfs.h"
#include "fileio.h"
#include "http_server.h"
#include "jsonnum.h"
#include "legacy.h"
#include "util.h"
#include "version.h"

static const struct {
	const char *path, *name;
} routes[] = {
	{"/state", "state"},
	{"/state.json", "state"},
	{"/slave(1)/state", "state"},
	{"/slave(1)/state.json", "state"},
	{"/monitor/statistics", "statistics"},
	{"/monitor/statistics.json", "statistics"},
	{"/flags", "flags"},
	{"/slave(1)/flags", "flags"},
	{"/version", "version"},
};

bool agent_legacy_match(struct http_request *req, json_t **ret_body)
{
	const char *path = http_request_path(req), *method = http_request_method(req);
	const char *jsonp = http_request_query(req, "jsonp");

	*ret_body = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!streq(path, routes[i].path))
			continue;
		if (!streq(method, "GET")) {
			http_reply_error(req, 405, "Expecting 'GET', received '%s'", method);
		} else if (jsonp && !http_is_jsonp_name(jsonp)) {
			http_reply_error(req, 400,
					 "Invalid 'jsonp': a callback name of letters, digits, "
					 "'_', '$' and '.' (at most 128)");
		} else {
			*ret_body =
				json_pack("{s:s,s:s*}", "legacy", routes[i].name, "jsonp", jsonp);
			if (!*ret_body)
				http_reply_error(req, 503, "out of memory");
		}
		return true;
	}
	return false;
}

/* "http://host:port" -> "host" */
static json_t *url_host(const char *url)
{
	const char *h = strstr(url, "://"), *end;

	h = h ? h + 3 : url;
	if (*h == '[')
		return (end = strchr(h, ']')) ? json_stringn(h + 1, (size_t)(end - h - 1)) : NULL;
	end = strchr(h, ':');
	return *h ? json_stringn(h, end ? (size_t)(end - h) : strlen(h)) : NULL;
}

json_t *agent_legacy_flags(struct agent *a)
{
	return conf_to_json(agent_flag_table, a->flags);
}

/* A TaskStatus in the legacy model: its state and timestamp (and healthy when set). */
static json_t *status_model(const json_t *st)
{
	json_t *j = json_pack("{s:O,s:O}", "state", json_object_get(st, "state"), "timestamp",
			      json_object_get(st, "timestamp"));
	json_t *healthy = json_object_get(st, "healthy");

	if (j && json_is_boolean(healthy))
		json_object_set(j, "healthy", healthy);
	return j;
}

json_t *agent_legacy_task_model(struct agent *a, const struct agent_task *t)
{
	const char *name = json_string_value(json_object_get(t->info, "name"));
	json_t *statuses = json_array(), *st;
	size_t i;

	json_array_foreach(t->statuses, i, st)
		json_array_append_new(statuses, status_model(st));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "id", t->id, "name", name ? name : "",
			 "framework_id", t->fw_id, "executor_id", "", "slave_id", a->agent_id,
			 "state", task_state_name(t->state), "resources",
			 alloc_res_to_legacy_json(&t->res), "statuses", statuses);
}

/* frameworks: tasks grouped by framework, each task a command task's executor */
static json_t *frameworks(struct agent *a)
{
	json_t *byid = json_object(), *arr = json_array(), *fw;
	const char *id;
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		const struct agent_task *t = v;
		json_t *ex, *tasks = json_array();

		fw = json_object_get(byid, t->fw_id);
		if (!fw) {
			fw = json_pack("{s:s,s:[],s:o}", "id", t->fw_id, "executors",
				       "completed_executors",
				       agent_completed_legacy_executors(a, t->fw_id));
			json_object_set_new(byid, t->fw_id, fw);
		}
		json_array_append_new(tasks, agent_legacy_task_model(a, t));
		ex = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:[],s:[]}", "id", t->id, "name", "",
			       "source", "", "directory", t->sandbox, "resources",
			       alloc_res_to_legacy_json(&t->res),
			       task_state_terminal(t->state) ? "completed_tasks" : "tasks", tasks,
			       task_state_terminal(t->state) ? "tasks" : "completed_tasks",
			       "queued_tasks");
		json_array_append_new(json_object_get(fw, "executors"), ex);
	}
	json_object_foreach(byid, id, fw)
		json_array_append(arr, fw);
	json_decref(byid);
	return arr;
}

static json_t *state(struct agent *a)
{
	struct alloc_res free_ = ALLOC_RES_INIT;
	char pid[600];
	json_t *j, *host;

	snprintf(pid, sizeof(pid), "slave(1)@%s", a->flags->listen);
	alloc_res_copy(&free_, &a->total);
	alloc_res_sub(&free_, &a->used);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[],s:o,s:{},s:o,s:{},s:o,s:{},s:o,s:[],s:o,s:o,"
		      "s:o,s:o}",
		      "version", DROVER_VERSION, "git_sha", DROVER_GIT_REV, "id", a->agent_id,
		      "pid", pid, "hostname", a->hostname, "capabilities", "resources",
		      alloc_res_to_legacy_json(&a->total), "reserved_resources",
		      "unreserved_resources", alloc_res_to_legacy_json(&a->total),
		      "reserved_resources_full", "unreserved_resources_full",
		      alloc_res_to_json(&a->total), "reserved_resources_allocated",
		      "unreserved_resources_allocated", alloc_res_to_legacy_json(&a->used),
		      "resource_providers", "attributes",
		      alloc_attributes_to_legacy_json(a->attributes), "flags",
		      agent_legacy_flags(a), "frameworks", frameworks(a), "completed_frameworks",
		      agent_completed_legacy_frameworks(a));
	alloc_res_clear(&free_);
	host = url_host(a->master_url);
	if (j && host && json_string_length(host))
		json_object_set_new(j, "master_hostname", host);
	else
		json_decref(host);
	return j;
}

/* Lines of a cgroup's cgroup.procs or cgroup.threads (its processes or threads); -errno. */
static long count_lines(int dirfd, const char *name)
{
	char *text = NULL;
	long n = 0;
	int r = file_read_allat(dirfd, name, 16 << 20, 0, &text, NULL);

	if (r < 0)
		return r;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	free(text);
	return n;
}

static void set_secs(json_t *st, const char *key, const json_t *ns)
{
	if (json_is_integer(ns))
		json_object_set_new(st, key, json_real((double)json_integer_value(ns) / 1e9));
}

static void set_count(json_t *st, const char *key, const json_t *n)
{
	if (json_is_integer(n))
		json_object_set(st, key, (json_t *)n);
}

/*
 * ResourceStatistics from what the agent measures of t (agent_api_task_usage: BPF, else
 * cgroupfs) and its cgroup's own files; a field the agent does not measure is left out.
 */
json_t *agent_legacy_statistics(struct agent *a, struct agent_task *t)
{
	json_t *u = agent_api_task_usage(a, t);
	json_t *st = json_pack("{s:f}", "timestamp", (double)now_real_ns() / 1e9);
	int64_t cpus = alloc_res_scalar(&t->res, "cpus");
	uint64_t v;
	char *text = NULL;
	long n;

	set_secs(st, "cpus_user_time_secs", json_object_get(u, "cpu_user_ns"));
	set_secs(st, "cpus_system_time_secs", json_object_get(u, "cpu_system_ns"));
	if (cpus > 0)
		json_object_set_new(st, "cpus_limit", json_real((double)cpus / ALLOC_SCALAR_UNIT));
	set_count(st, "cpus_nr_periods", json_object_get(u, "cpu_nr_periods"));
	set_count(st, "cpus_nr_throttled", json_object_get(u, "cpu_nr_throttled"));
	set_secs(st, "cpus_throttled_time_secs", json_object_get(u, "cpu_throttled_ns"));
	set_count(st, "mem_total_bytes", json_object_get(u, "mem_current_bytes"));
	if (t->cgroup_fd >= 0) {
		if (file_read_allat(t->cgroup_fd, "memory.max", 64, 0, &text, NULL) == 0 &&
		    strncmp(text, "max", 3) != 0)
			json_object_set_new(st, "mem_limit_bytes",
					    json_integer((json_int_t)strtoull(text, NULL, 10)));
		free(text);
		text = NULL;
		if (file_read_allat(t->cgroup_fd, "memory.stat", 1 << 16, 0, &text, NULL) == 0) {
			if (cgroupfs_keyed_get(text, "anon", &v) == 0) {
				json_object_set_new(st, "mem_anon_bytes",
						    json_integer((json_int_t)v));
				/* resident anonymous memory: what v1's total_rss counted */
				json_object_set_new(st, "mem_rss_bytes",
						    json_integer((json_int_t)v));
			}
			if (cgroupfs_keyed_get(text, "file", &v) == 0)
				json_object_set_new(st, "mem_file_bytes",
						    json_integer((json_int_t)v));
			if (cgroupfs_keyed_get(text, "file_mapped", &v) == 0)
				json_object_set_new(st, "mem_mapped_file_bytes",
						    json_integer((json_int_t)v));
			if (cgroupfs_keyed_get(text, "unevictable", &v) == 0)
				json_object_set_new(st, "mem_unevictable_bytes",
						    json_integer((json_int_t)v));
		}
		free(text);
		n = count_lines(t->cgroup_fd, "cgroup.procs");
		if (n >= 0)
			json_object_set_new(st, "processes", json_integer(n));
		n = count_lines(t->cgroup_fd, "cgroup.threads");
		if (n >= 0)
			json_object_set_new(st, "threads", json_integer(n));
	}
	json_decref(u);
	return st;
}

static json_t *monitor_statistics(struct agent *a)
{
	json_t *arr = json_array();
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		/* a container: a task whose cgroup is there (running, or ended, not yet removed) */
		if (t->cgroup_fd < 0)
			continue;
		json_array_append_new(arr,
				      json_pack("{s:s,s:s,s:s,s:s,s:o}", "framework_id", t->fw_id,
						"executor_id", t->id, "executor_name", "", "source",
						"", "statistics", agent_legacy_statistics(a, t)));
	}
	return arr;
}

void agent_legacy_reply(struct agent *a, struct http_request *req, const json_t *body)
{
	const char *name = json_string_value(json_object_get(body, "legacy"));
	const char *jsonp = json_string_value(json_object_get(body, "jsonp"));
	char *s, *wrapped = NULL;
	json_t *j;

	if (streq(name, "state"))
		j = state(a);
	else if (streq(name, "statistics"))
		j = monitor_statistics(a);
	else if (streq(name, "flags"))
		j = json_pack("{s:o}", "flags", agent_legacy_flags(a));
	else
		j = version_info_json();
	s = j ? jsonnum_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		http_reply_error(req, 503, "out of memory");
		return;
	}
	if (jsonp && asprintf(&wrapped, "%s(%s);", jsonp, s) >= 0)
		http_reply(req, 200, "text/javascript", wrapped, strlen(wrapped), NULL);
	else
		http_reply(req, 200, "application/json", s, strlen(s), NULL);
	free(wrapped);
	free(s);
}
