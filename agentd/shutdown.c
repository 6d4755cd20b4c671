// SPDX-License-Identifier: Apache-2.0
/*
 * SIGUSR1, as Mesos's agent (its Slave::signaled and Slave::shutdown): the agent unregisters
 * from the master (UNREGISTER: the master removes it, its tasks are TASK_LOST to their
 * frameworks, which also get FAILURE), kills every task and shuts every executor down, and
 * leaves the loop once no process of theirs is left. The tasks' checkpoints go with them
 * (nobody will acknowledge their last updates: the master has reported them already); the
 * agent ID stays, so a restart registers again under it, as a Mesos agent does (the master
 * admits it afresh).
 *
 * The signal handler only writes an eventfd; the rest runs on the loop thread.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "agent_internal.h"
#include "log.h"

/* How often the agent looks whether its tasks and executors are gone, and for how long. */
#define SHUTDOWN_POLL_NS 100000000LL
#define SHUTDOWN_SLACK_NS 30000000000LL

/* Any thread or a signal handler (async-signal-safe): begin the shutdown on the loop. */
void agent_shutdown_request(struct agent *a, uid_t uid)
{
	uint64_t one = 1;

	a->shutdown_uid = uid;
	if (write(a->shutdown_fd, &one, sizeof(one)) < 0)
		return; /* the counter is full: a request is pending anyway */
}

static void on_unregister_done(long status, const char *body, size_t len, const char *err,
			       void *data)
{
	if (status == 202)
		log_info("unregistered from the master");
	else if (err)
		log_warn("the unregistration did not reach the master: %s", err);
	else
		log_warn("the master did not take the unregistration: %ld %.*s", status,
			 (int)(len < 200 ? len : 200), body ? body : "");
}

/* Is a process of a task or of an executor still there? */
static bool anything_runs(struct agent *a)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);)
		if (((struct agent_task *)v)->running)
			return true;
	for (it = 0; strmap_next(&a->executors, &it, NULL, &v);)
		if (((struct agent_executor *)v)->running)
			return true;
	return false;
}

/* Every ended task forgotten: its queue of updates dropped, its checkpoint removed. */
static void forget_ended_tasks(struct agent *a)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		if (t->running || !task_state_terminal(t->state))
			continue;
		agent_updates_free(t);
		t->update_call = NULL;
		t->retry_timer = NULL;
		t->update_in_flight = false;
		agent_task_maybe_forget(t); /* takes it out of the table */
		it = 0;
	}
}

/* The poll timer: leave the loop once nothing runs, or when the time is up. */
static void on_shutdown_timer(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent *a = data;
	bool late = now_mono_ns() >= a->shutdown_deadline_ns;

	if (anything_runs(a) && !late)
		return;
	loop_timer_stop(timer);
	forget_ended_tasks(a);
	if (late)
		log_warn(
			"shutdown: %zu tasks are still there after the grace periods; leaving them",
			strmap_size(&a->tasks));
	else
		log_info("shutdown: every task and executor has ended");
	loop_stop(a->loop);
}

/* The longest a kill may take here: the tasks' and executors' grace periods. */
static int64_t longest_grace(struct agent *a)
{
	int64_t g = a->flags->executor_shutdown_grace_ns;
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		int64_t t = agent_task_kill_grace(v, NULL);
		if (t > g)
			g = t;
	}
	return g;
}

/* The shutdown itself (once): unregister, kill and shut down everything, await the end. */
static void shutdown_begin(struct agent *a)
{
	struct passwd pw, *who = NULL;
	char buf[1024], from[300] = "";
	size_t it;
	void *v;

	a->terminating = true;
	if (getpwuid_r(a->shutdown_uid, &pw, buf, sizeof(buf), &who) == 0 && who)
		snprintf(from, sizeof(from), " from user %s", who->pw_name);
	if (a->subscribed && a->agent_id[0]) {
		log_info("received SIGUSR1 signal%s; unregistering and shutting down", from);
		agent_master_post(a, json_pack("{s:s}", "type", "UNREGISTER"), on_unregister_done,
				  a, NULL);
	} else {
		/* not connected (or never registered): the master finds it unreachable */
		log_info("received SIGUSR1 signal%s; shutting down (not subscribed to a master: "
			 "not unregistered)",
			 from);
	}
	/* no more calls to the master: its answer to the unregistration is the last */
	a->subscribed = false;
	loop_timer_stop(a->heartbeat_timer);
	loop_timer_stop(a->reconnect_timer);

	a->shutdown_deadline_ns = now_mono_ns() + 2 * longest_grace(a) + SHUTDOWN_SLACK_NS;
	for (it = 0; strmap_next(&a->executors, &it, NULL, &v);)
		agent_executor_shutdown(v);
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		if (!t->exec)
			agent_task_kill(t, agent_task_kill_grace(t, NULL));
	}
	loop_timer_set(a->shutdown_timer, 1, SHUTDOWN_POLL_NS);
}

static void on_shutdown_fd(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent *a = data;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn_errno(errno, "reading the shutdown eventfd: %m");
	if (!a->terminating)
		shutdown_begin(a);
}

int agent_shutdown_start(struct agent *a)
{
	a->shutdown_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->shutdown_fd < 0)
		return log_error_errno(errno, "cannot create an eventfd: %m");
	a->shutdown_watch = loop_watch_fd(a->loop, a->shutdown_fd, EPOLLIN, on_shutdown_fd, a);
	a->shutdown_timer = loop_timer_add(a->loop, 0, 0, on_shutdown_timer, a);
	if (!a->shutdown_watch || !a->shutdown_timer)
		return log_error_errno(errno, "cannot watch the shutdown eventfd: %m");
	loop_timer_stop(a->shutdown_timer); /* armed by shutdown_begin */
	return 0;
}

void agent_shutdown_stop(struct agent *a)
{
	if (a->loop) {
		if (a->shutdown_watch)
			loop_unwatch(a->loop, a->shutdown_watch);
		loop_timer_del(a->loop, a->shutdown_timer);
	}
	a->shutdown_watch = NULL;
	a->shutdown_timer = NULL;
	if (a->shutdown_fd >= 0)
		close(a->shutdown_fd);
	a->shutdown_fd = -1;
}
