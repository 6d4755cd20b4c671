// SPDX-License-Identifier: Apache-2.0
/*
 * Recovery after an agent restart: the agent ID and every checkpointed task come back
 * (checkpoint.h), with their unacknowledged updates; a task whose supervisor still runs is
 * watched again, one that ended while the agent was down is finished, and cgroup leaves no
 * checkpoint knows are killed. A task launched before run IDs (the legacy layout, its
 * supervisor records in its sandbox) is recovered as well.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_internal.h"
#include "health.h"
#include "launch.h"
#include "log.h"
#include "strv.h"

struct recover_ctx {
	struct agent *a;
	int recovered, reattached, exited, orphaned;
};

static void on_bad_checkpoint(const char *path, const char *why, void *data)
{
	log_error("checkpoint '%s' is unreadable (%s); the task in it is not recovered", path,
		  why);
}

/*
 * A recovered task whose supervisor still runs: RUNNING (announced if the agent died
 * before it was), watched again, its limits and BPF maps restored; killed under --recover
 * cleanup, or its kill resumed if one was under way.
 */
static void recover_running(struct agent_task *t)
{
	struct agent *a = t->agent;
	struct agent_task_limits lim;
	char err[WIRE_ERR_LEN];
	/*
	 * The agent died between starting the task and checkpointing its RUNNING
	 * update: the last update it queued is STARTING. Say RUNNING now, or the
	 * framework never hears it. (An empty queue is taken to mean RUNNING was
	 * acknowledged; STARTING acknowledged within that window is not covered.)
	 */
	bool announce = t->updates && t->state == TASK_STARTING;

	t->running = true;
	t->state = TASK_RUNNING;
	if (announce)
		agent_task_status(t, TASK_RUNNING, NULL, NULL, NULL);
	agent_task_watch_exit(t);
	agent_task_track(t, true);
	agent_health_task_start(t, true); /* its checks ran on: the latest health again */
	if (t->cgroup_fd >= 0) {
		agent_task_limits_of(t, &lim);
		agent_isolators_recover(&a->iso_ctx, t->cgroup_fd, &lim);
		if (agent_bpf_task_start(a->bpf, t->cgroup_fd, &t->res, t->info, err,
					 sizeof(err)) < 0)
			log_warn("task '%s': BPF ports/devices not restored: %s", t->id, err);
	}
	if (a->flags->recover == AGENT_RECOVER_CLEANUP) {
		log_info("--recover cleanup: killing task '%s'", t->id);
		t->kill_requested = true;
		agent_task_save(t);
		if (t->cgroup_fd >= 0)
			agent_cgroup_kill(t->cgroup_fd);
	} else if (t->kill_requested) {
		/*
		 * The agent died while killing it (perhaps before the signal went out):
		 * finish the kill. No second TASK_KILLING: the first may have been sent.
		 */
		log_info("task '%s': resuming its kill after the restart", t->id);
		agent_task_kill_signal(t, agent_task_kill_grace(t, NULL));
	}
}

/*
 * The ID a record holds at obj.field.value, else the one its directory's name decodes to
 * (diskname.h; a name of the previous release is its own ID). 0, or -EINVAL: neither.
 */
static int record_id(json_t *obj, const char *field, const char *dir_name,
		     char ret[DISK_NAME_MAX + 1])
{
	json_t *v = json_object_get(json_object_get(obj, field), "value");

	if (json_is_string(v) && id_is_valid(json_string_value(v), json_string_length(v), NULL)) {
		snprintf(ret, DISK_NAME_MAX + 1, "%s", json_string_value(v));
		return 0;
	}
	return disk_name_decode(dir_name, ret);
}

/*
 * t's cgroup leaf, if it has one. An agent before disk_name() named it by the IDs, as it
 * named the directories: where the leaf is not at t's cgroup names but at its directories'
 * names (they differ only for such an ID), that one is t's.
 */
static void recover_cgroup(struct agent_task *t)
{
	struct agent *a = t->agent;

	if (agent_cgroup_task_open(&a->cg, t->cg_fw, t->cg_name, &t->cgroup_fd) == 0)
		return;
	if ((streq(t->cg_fw, t->fw_name) && streq(t->cg_name, t->name)) ||
	    agent_cgroup_task_open(&a->cg, t->fw_name, t->name, &t->cgroup_fd) < 0)
		return;
	snprintf(t->cg_fw, sizeof(t->cg_fw), "%s", t->fw_name);
	snprintf(t->cg_name, sizeof(t->cg_name), "%s", t->name);
}

/*
 * One checkpointed task, found at meta/tasks/<fw_name>/<name>: its real IDs from its
 * record, its queued updates back, its supervisor found again.
 */
static void recover_task(const char *fw_name, const char *name, json_t *record,
			 json_t *updates, void *data)
{
	struct recover_ctx *rc = data;
	struct agent *a = rc->a;
	json_t *info = json_object_get(record, "task"), *st;
	const char *run = json_string_value(json_object_get(record, "run"));
	struct agent_task *t;
	char err[WIRE_ERR_LEN], key[2 * ID_MAX_LEN + 2];
	char fid[DISK_NAME_MAX + 1], tid[DISK_NAME_MAX + 1];
	size_t i;
	int sfd, r;

	/* a run ID that is not one (a damaged record) counts as the layout before run IDs */
	if (run && !(agent_task_id_valid(run) && strlen(run) < UUID_STR_LEN && run[0] != '.'))
		run = NULL;
	if (record_id(record, "framework_id", fw_name, fid) < 0 ||
	    record_id(info, "task_id", name, tid) < 0) {
		log_error("checkpoint 'meta/tasks/%s/%s' names no valid framework and task ID; "
			  "the task in it is not recovered", fw_name, name);
		goto out;
	}
	snprintf(key, sizeof(key), "%s/%s", fid, tid);
	if (strmap_get(&a->tasks, key)) {
		log_error("checkpoint 'meta/tasks/%s/%s': task '%s' is recovered already", fw_name,
			  name, key);
		goto out;
	}
	t = agent_task_new(a, fid, tid, fw_name, name, run, info);
	if (!t)
		goto out;
	if (json_is_object(json_object_get(record, "framework_info")))
		t->fw_info = json_incref(json_object_get(record, "framework_info"));
	agent_executor_recover_task(t, record); /* a task of an executor: its leaf is there */
	if (!t->run[0])
		log_info("task '%s': launched before run IDs, its records are read from its "
			 "sandbox", t->id);
	rc->recovered++;
	t->kill_requested = json_is_true(json_object_get(record, "kill_requested"));
	if (alloc_res_from_json(json_object_get(info, "resources"), &t->res, err, sizeof(err)) < 0)
		alloc_res_clear(&t->res);
	t->state = TASK_STARTING;
	json_array_foreach(updates, i, st) {
		const char *uuid = json_string_value(json_object_get(st, "uuid"));
		const char *state = json_string_value(json_object_get(st, "state"));
		enum task_state s;
		if (!uuid || !state || task_state_parse(state, &s) < 0)
			continue;
		agent_update_queue(t, json_incref(st), uuid);
		t->state = s;
	}
	if (task_state_terminal(t->state))
		goto out; /* only its updates are left to deliver */
	alloc_res_add(&a->used, &t->res);
	if (t->exec && !t->exec->is_default)
		goto out; /* its executor runs it (executor_custom.c), no supervisor of its own */

	if (!t->exec)
		recover_cgroup(t);
	sfd = agent_task_records_open(t);
	r = sfd < 0 ? sfd : agent_task_reattach(sfd, &t->proc);
	if (sfd >= 0)
		close(sfd);
	if (r < 0)
		log_warn_errno(r, "task '%s': its supervisor's record is unreadable (%m)", t->id);
	if (r == AGENT_REATTACH_RUNNING) {
		recover_running(t);
		rc->reattached++;
	} else if (r == AGENT_REATTACH_EXITED) {
		struct agent_exit_record rec;
		r = agent_task_exit_status_read(t, &rec);
		rc->exited++;
		agent_task_finish(t, r < 0 ? NULL : &rec);
	} else {
		log_warn("task '%s': its supervisor is gone and left no exit status", t->id);
		rc->orphaned++;
		agent_task_finish(t, NULL);
	}
out:
	json_decref(record);
	json_decref(updates);
}

/* Leaves under tasks/ (by their names, "<cg_fw>/<cg_name>") that no task has: kill them. */
static void remove_strays(struct agent *a)
{
	char **leaves = NULL, leaf[2 * DISK_NAME_MAX + 2];
	struct strmap known;
	const char *key;
	size_t it = 0;
	void *v;

	strmap_init(&known);
	for (it = 0; strmap_next(&a->tasks, &it, &key, &v);) {
		struct agent_task *t = v;

		snprintf(leaf, sizeof(leaf), "%s/%s", t->cg_fw, t->cg_name);
		if (strmap_put(&known, leaf, t, NULL) < 0) {
			log_error("out of memory: stray cgroups are kept");
			strmap_clear(&known, NULL);
			return;
		}
	}
	if (agent_cgroup_task_list(&a->cg, &leaves) < 0) {
		strmap_clear(&known, NULL);
		return;
	}
	for (size_t i = 0; leaves && leaves[i]; i++) {
		char *slash = strchr(leaves[i], '/');
		int fd = -1;
		if (!slash || strmap_get(&known, leaves[i]))
			continue;
		*slash = '\0';
		if (agent_cgroup_task_open(&a->cg, leaves[i], slash + 1, &fd) == 0) {
			log_warn("killing stray cgroup '%s/%s' that no checkpoint knows", leaves[i],
				 slash + 1);
			agent_cgroup_kill(fd);
			agent_cgroup_wait_empty(fd, 2000);
			close(fd);
		}
		agent_cgroup_task_remove(&a->cg, leaves[i], slash + 1);
	}
	strv_free(leaves);
	strmap_clear(&known, NULL);
}

/* The agent ID and the checkpointed tasks back; stray leaves killed. 0 or -errno, logged. */
int agent_recover(struct agent *a)
{
	struct recover_ctx rc = {.a = a};
	char *id = NULL;
	int r;

	r = agent_checkpoint_agent_id_load(&a->ckpt, &id);
	if (r == 0) {
		snprintf(a->agent_id, sizeof(a->agent_id), "%s", id);
		free(id);
	} else if (r != -ENOENT) {
		log_error_errno(r, "the saved agent ID is unreadable (%m); registering as new");
	}
	agent_executors_recover(a); /* before their tasks, which attach to them */
	r = agent_checkpoint_tasks_load(&a->ckpt, recover_task, on_bad_checkpoint, &rc);
	if (r < 0)
		return log_error_errno(r, "cannot read the checkpoints: %m");
	agent_executors_recovered(a);
	remove_strays(a);
	if (rc.recovered)
		log_info("recovered %d task(s): %d running, %d ended while the agent was down, "
			 "%d lost their supervisor",
			 rc.recovered, rc.reattached, rc.exited, rc.orphaned);
	return 0;
}
