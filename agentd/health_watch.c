// SPDX-License-Identifier: Apache-2.0
/*
 * Health checks on the agent's side (loop thread): the supervisor runs them and writes
 * <meta>/health (health.h); the agent watches those records with inotify and turns each new
 * update into a TASK_RUNNING with `healthy` and REASON_TASK_HEALTH_CHECK_STATUS_UPDATED,
 * and a kill by the checks into TASK_KILLING, then TASK_KILLED with healthy=false (the
 * kill itself is the supervisor's, so it happens while the agent is down too).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "agent_internal.h"
#include "health.h"
#include "log.h"

struct agent_health_watch {
	int fd; /* inotify */
	struct loop_watch *w;
	struct strmap wds; /* "<wd>" -> struct agent_task */
};

struct agent_task_health {
	int wd; /* -1: not watched */
	enum health_check_type type;
	uint64_t reported; /* the record's updates the agent has sent */
	bool killed; /* the record says the checks killed the task */
};

int agent_health_probe_path(char *buf, size_t len)
{
	/* installed: <prefix>/libexec/drover/; in a build tree: beside the agent */
	static const char *const where[] = {"/../libexec/drover/", "/"};
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(where); i++) {
		if ((size_t)snprintf(buf, len, "%s%s%s", exe, where[i], AGENT_HEALTH_PROBE) >= len)
			return -ENAMETOOLONG;
		if (access(buf, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* t's health state, made on first use when its TaskInfo has a check that parses. */
static struct agent_task_health *task_health(struct agent_task *t)
{
	json_t *hc = json_object_get(t->info, "health_check");
	struct health_check c;
	char err[256];

	if (t->health || !hc || !t->run[0]) /* records before run IDs had no health */
		return t->health;
	if (health_check_parse(hc, "health_check", &c, err, sizeof(err)) < 0)
		return NULL;
	t->health = calloc(1, sizeof(*t->health));
	if (t->health) {
		t->health->wd = -1;
		t->health->type = c.type;
	}
	return t->health;
}

/* The record's news as updates: a health change, a kill by the checks. */
static void task_health_apply(struct agent_task *t, const struct agent_health_record *rec)
{
	struct agent_task_health *h = t->health;
	char what[128], msg[256];

	if (rec->updates > h->reported) {
		h->reported = rec->updates;
		/*
		 * After TASK_KILLING (or the end) a TASK_RUNNING would take the state back.
		 * STARTING: a recovered task whose updates were all acknowledged.
		 */
		if ((t->state == TASK_RUNNING || t->state == TASK_STARTING) && !t->kill_requested) {
			agent_health_result_describe(rec, h->type, what, sizeof(what));
			snprintf(msg, sizeof(msg), "%s health check %s",
				 health_check_type_name(h->type), what);
			agent_task_status_healthy(t, TASK_RUNNING, rec->healthy,
						  "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", msg,
						  NULL);
		}
	}
	if (!rec->kill || h->killed)
		return;
	h->killed = true;
	if (task_state_terminal(t->state) || t->kill_requested)
		return;
	log_info("task '%s': %u consecutive health check failures, killed", t->id,
		 rec->consecutive_failures);
	t->kill_requested = true;
	agent_task_save(t); /* a restarted agent must still say TASK_KILLED */
	agent_task_status_healthy(t, TASK_KILLING, false, NULL,
				  "killed after failing its health checks", NULL);
	/* the supervisor sent the SIGTERM; the agent's cgroup.kill is a second line */
	if (t->exit_watch)
		agent_task_kill_timer(t, agent_task_kill_grace(t, NULL) + 1000000000LL);
}

void agent_health_task_refresh(struct agent_task *t)
{
	struct agent_health_record rec;
	_cleanup_close_ int fd = -1;
	int r;

	if (!task_health(t))
		return;
	fd = agent_task_records_open(t);
	if (fd < 0)
		return;
	r = agent_health_record_read(fd, &rec);
	if (r == -ENOENT)
		return;
	if (r < 0) {
		log_warn_errno(r, "task '%s': its health record is unreadable (%m)", t->id);
		return;
	}
	task_health_apply(t, &rec);
}

bool agent_health_task_killed(struct agent_task *t)
{
	return t->health && t->health->killed;
}

static void on_inotify(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent *a = data;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			char key[16];
			struct agent_task *t;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				size_t it = 0;
				void *v;

				while (strmap_next(&a->tasks, &it, NULL, &v))
					if (((struct agent_task *)v)->health)
						agent_health_task_refresh(v);
				continue;
			}
			if (!ev->len || strcmp(ev->name, AGENT_HEALTH_FILE) != 0)
				continue;
			snprintf(key, sizeof(key), "%d", ev->wd);
			t = strmap_get(&a->health->wds, key);
			if (t)
				agent_health_task_refresh(t);
		}
	}
}

/* The agent's inotify instance, made on first use. */
static struct agent_health_watch *health_watch(struct agent *a)
{
	struct agent_health_watch *hw;

	if (a->health)
		return a->health;
	hw = calloc(1, sizeof(*hw));
	if (!hw)
		return NULL;
	strmap_init(&hw->wds);
	hw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (hw->fd >= 0)
		hw->w = loop_watch_fd(a->loop, hw->fd, EPOLLIN, on_inotify, a);
	if (hw->fd < 0 || !hw->w) {
		log_warn_errno(-errno, "cannot watch the tasks' health records (%m)");
		if (hw->fd >= 0)
			close(hw->fd);
		free(hw);
		return NULL;
	}
	a->health = hw;
	return hw;
}

void agent_health_task_start(struct agent_task *t, bool recovered)
{
	struct agent_health_watch *hw;
	struct agent_task_health *h = task_health(t);
	char path[64], key[16];
	_cleanup_close_ int fd = -1;

	if (!h || h->wd >= 0)
		return;
	hw = health_watch(t->agent);
	fd = agent_task_records_open(t);
	if (hw && fd >= 0) {
		/* the meta directory itself, through its fd: the record is renamed into it */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		h->wd = inotify_add_watch(hw->fd, path, IN_MOVED_TO | IN_ONLYDIR);
		if (h->wd < 0) {
			log_warn_errno(-errno, "task '%s': cannot watch its health record (%m)",
				       t->id);
		} else {
			snprintf(key, sizeof(key), "%d", h->wd);
			strmap_put(&hw->wds, key, t, NULL);
		}
	}
	if (recovered)
		h->reported = 0; /* say the latest again: what was sent before is unknown */
	agent_health_task_refresh(t);
}

void agent_health_task_pause(struct agent_task *t)
{
	_cleanup_close_ int dfd = -1, fd = -1;

	if (!task_health(t))
		return;
	dfd = agent_task_records_open(t);
	if (dfd >= 0)
		fd = openat(dfd, AGENT_HEALTH_STOP_FILE,
			    O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		log_warn("task '%s': cannot stop its health checks (%s)", t->id,
			 strerror(dfd < 0 ? -dfd : errno));
}

void agent_health_task_stop(struct agent_task *t)
{
	struct agent_health_watch *hw = t->agent->health;
	char key[16];

	if (!t->health)
		return;
	if (hw && t->health->wd >= 0) {
		snprintf(key, sizeof(key), "%d", t->health->wd);
		strmap_del(&hw->wds, key);
		(void)inotify_rm_watch(hw->fd, t->health->wd);
	}
	free(t->health);
	t->health = NULL;
}

void agent_health_fini(struct agent *a)
{
	struct agent_health_watch *hw = a->health;

	if (!hw)
		return;
	loop_unwatch(a->loop, hw->w);
	close(hw->fd);
	strmap_clear(&hw->wds, NULL);
	free(hw);
	a->health = NULL;
}
