/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent daemon's state: one loop (agent_run, agent.c) owns everything — the master
 * connection, the task table, the status update queues, and the cgroup runtime. The files
 * that do each job are listed in agent_internal.h.
 */
#ifndef DROVER_AGENT_H
#define DROVER_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "auth.h"
#include "bpf_agent.h"
#include "cgroup.h"
#include "executor.h"
#include "checkpoint.h"
#include "isolator.h"
#include "sandbox_gc.h"
#include "supervisor.h"
#include "taskstats.h"
#include "uid_pool.h"
#include "flags.h"
#include "diskname.h"
#include "http_client.h"
#include "id.h"
#include "loop.h"
#include "resources.h"
#include "strmap.h"
#include "subscription.h"
#include "wire.h"

struct agent;
struct sock_fprog;
struct agent_task_health;
struct agent_health_watch;

/* One status update waiting for the master's acknowledgement (in order, per task). */
struct agent_update {
	struct agent_update *next;
	json_t *status; /* TaskStatus with uuid */
	char uuid[UUID_STR_LEN];
};

struct agent_task {
	struct agent *agent;
	char *fw_id, *id, *key; /* key: "fw/task" (an ID holds no '/') */
	/*
	 * On-disk names (diskname.h), never the IDs themselves: meta/tasks/<fw_name>/<name>/
	 * and sandboxes/<fw_name>/<name>/<run>/; cgroup <root>/tasks/<cg_fw>/<cg_name>/.
	 */
	char fw_name[DISK_NAME_MAX + 1], name[DISK_NAME_MAX + 1];
	char cg_fw[DISK_NAME_MAX + 1], cg_name[DISK_NAME_MAX + 1];
	json_t *info;
	json_t *fw_info; /* its framework's FrameworkInfo (a launch's; NULL: not known) */
	struct alloc_res res;
	enum task_state state;
	struct agent_task_proc proc; /* the supervisor (and the task's main pid) */
	bool running;               /* a supervisor is being watched */
	int cgroup_fd;
	struct loop_watch *exit_watch;
	struct loop_timer *kill_timer;
	int logger_pidfd;                /* its logger (logger.h); -1: none known */
	struct loop_watch *logger_watch; /* its end awaited before the terminal update */
	struct loop_timer *logger_timer;
	bool kill_requested;
	char sandbox[4096];
	char run[UUID_STR_LEN]; /* the sandbox's run ID; "" for one laid out before run IDs */
	char isolation_note[512];
	int64_t started_ns;

	struct agent_update *updates, *updates_tail;
	/*
	 * Mesos's Task.statuses: each status queued (copies), one of a state replaced by the
	 * next of the same state (as Mesos's agent); since the agent started, or recovered with
	 * the task's unacknowledged updates.
	 */
	json_t *statuses;
	bool update_in_flight;
	struct http_call *update_call;
	struct loop_timer *retry_timer;
	int64_t backoff_ns;
	bool done; /* terminal and acknowledged: remove */
	struct agent_task_health *health; /* health_watch.c; NULL: no health check */
	struct agent_executor *exec; /* the executor it runs under (executor.h), or NULL */
};

struct agent {
	struct agent_flags *flags;
	struct loop *loop;
	struct http_client *http;
	char master_url[512]; /* "" while --master zk://... names no leader yet */
	struct zk_watch *zk;  /* --master zk://...: follows the leading master */
	int zk_fd;            /* eventfd: the watch's threads wake the loop through it */
	struct loop_watch *zk_loop_watch;
	char agent_id[ID_MAX_LEN + 1];
	bool subscribed;
	struct subscription *sub; /* the stream of events from the master; its Mesos-Stream-Id */
	struct loop_timer *reconnect_timer, *heartbeat_timer;
	int64_t reconnect_backoff_ns;
	int64_t heartbeat_ns;
	char hostname[256];

	struct agent_cgroup cg;
	bool have_cgroup;
	char cg_report[1024];
	struct alloc_res total, used;
	json_t *attributes;
	struct strmap tasks; /* "fw/task" -> struct agent_task */
	struct agent_isolator_ctx iso_ctx;
	struct checkpoint ckpt;
	struct agent_api *api;
	struct agent_bpf *bpf; /* bpf_agent.h; never NULL after agent_init */
	struct agent_taskstats *taskstats; /* NULL: unavailable, see taskstats_note */
	struct loop_watch *taskstats_watch;
	char taskstats_note[300];
	char *tls_cert_pem, *tls_key_pem; /* the agent's own API (--tls-cert/--tls-key) */
	struct auth_credentials api_creds; /* --api-credentials: who may call that API */
	bool api_auth;
	/* trust boundaries between tasks (security.c) */
	struct agent_uid_pool uids;  /* --dynamic-uids: framework -> uid */
	bool uids_ready;             /* uids initialized (agent_security_start) */
	struct sock_fprog *seccomp;  /* --task-seccomp default: the filter; NULL off */
	struct agent_gc *gc;          /* sandbox_gc.h */
	struct loop_timer *disk_timer; /* --disk-watch-interval: reserve and GC */
	struct agent_health_watch *health; /* health_watch.c: the records' inotify watch */
	struct strmap executors; /* "fw/executor" -> struct agent_executor (executor.h) */
	/* SIGUSR1 (shutdown.c): unregister, kill everything, exit */
	int shutdown_fd;             /* eventfd the signal handler writes */
	volatile uid_t shutdown_uid; /* who sent the signal */
	struct loop_watch *shutdown_watch;
	struct loop_timer *shutdown_timer;
	int64_t shutdown_deadline_ns;
	bool terminating; /* unregistered: never subscribes again */
	/* completed.c: ended tasks, executors, frameworks for the operator API (fid -> record) */
	json_t *completed;
	json_int_t completed_seq;
};

json_t *agent_enforcement_json(struct agent *a);

int agent_init(struct agent *a, struct agent_flags *flags);
/* security.c: --credential, --tls-ca toward the master, --tls-cert/--tls-key, --task-user */
int agent_security_init(struct agent *a);
void agent_security_fini(struct agent *a);
/*
 * security.c, after the recovery: the dynamic uids (loaded, and released for frameworks
 * with no task left), the tasks' seccomp filter, the aggregate limits on tasks/.
 */
int agent_security_start(struct agent *a);
/* The dynamic uid of framework fid (held or new; saved). -ENOSPC, -errno. */
int agent_task_uid_get(struct agent *a, const char *fid, uint32_t *ret_uid);
/* t ends: its sandbox goes back to root; its framework's uid is released if t was its last. */
void agent_task_uid_release(struct agent *a, struct agent_task *t);
/* The seccomp filter tasks start under (NULL: --task-seccomp off). */
const struct sock_fprog *agent_task_seccomp(struct agent *a);
int agent_run(struct agent *a);
/*
 * SIGUSR1 from uid (shutdown.c): unregister, kill every task, leave agent_run. Any thread or
 * a signal handler (async-signal-safe).
 */
void agent_shutdown_request(struct agent *a, uid_t uid);
void agent_fini(struct agent *a);

#endif
