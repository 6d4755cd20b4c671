// SPDX-License-Identifier: Apache-2.0
/*
 * The checks of a task, on the supervisor's side: what a check execs (prepared in the
 * agent, where allocating is allowed) and the supervisor's loop that runs them beside the
 * task. Everything from agent_health_supervise() down is async-signal-safe: the supervisor
 * is a fork of a multi-threaded agent (supervisor.h). Rules and record: health.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "health.h"
#include "strv.h"
#include "supervisor.h"
#include "util.h"

/* ---------------------------------------------------------------- in the agent */

static int64_t to_ns(double s)
{
	return s >= 9e9 ? INT64_MAX / 4 : (int64_t)(s * 1e9);
}

/* n strings of v (NULL-terminated), copied into out from *at on. -ENOMEM. */
static int copy_into(char **out, size_t *at, char *const *v)
{
	for (size_t i = 0; v && v[i]; i++) {
		out[*at] = strdup(v[i]);
		if (!out[*at])
			return -ENOMEM;
		(*at)++;
	}
	return 0;
}

static size_t count(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* The COMMAND check: its argv, and its environment: its own variables, then the task's. */
static int command_vectors(struct agent_health_run *hr, json_t *cmd, char *const *task_envp)
{
	json_t *args = json_object_get(cmd, "arguments"), *vars, *e;
	const char *value = json_string_value(json_object_get(cmd, "value"));
	size_t i, at = 0;

	if (!json_is_false(json_object_get(cmd, "shell"))) {
		hr->path = strdup("/bin/sh");
		hr->argv = calloc(4, sizeof(char *));
		if (!hr->path || !hr->argv)
			return -ENOMEM;
		hr->argv[0] = strdup("sh");
		hr->argv[1] = strdup("-c");
		hr->argv[2] = strdup(value);
		if (!hr->argv[0] || !hr->argv[1] || !hr->argv[2])
			return -ENOMEM;
	} else {
		hr->path = strdup(value);
		hr->argv = calloc(json_array_size(args) + 2, sizeof(char *));
		if (!hr->path || !hr->argv)
			return -ENOMEM;
		json_array_foreach(args, i, e) {
			hr->argv[at] = strdup(json_string_value(e));
			if (!hr->argv[at++])
				return -ENOMEM;
		}
		if (at == 0 && !(hr->argv[0] = strdup(value)))
			return -ENOMEM;
	}
	vars = json_object_get(json_object_get(cmd, "environment"), "variables");
	hr->envp = calloc(json_array_size(vars) + count(task_envp) + 1, sizeof(char *));
	if (!hr->envp)
		return -ENOMEM;
	at = 0;
	json_array_foreach(vars, i, e) {
		if (asprintf(&hr->envp[at], "%s=%s", json_string_value(json_object_get(e, "name")),
			     json_string_value(json_object_get(e, "value"))) < 0) {
			hr->envp[at] = NULL;
			return -ENOMEM;
		}
		at++;
	}
	return copy_into(hr->envp, &at, task_envp);
}

/* The HTTP or TCP check: drover-health-probe, with an empty environment (no proxies). */
static int probe_vectors(struct agent_health_run *hr, const struct health_check *hc,
			 const char *probe)
{
	const char *host = hc->ipv6 ? "[::1]" : "127.0.0.1";
	char port[8], timeout[32];

	snprintf(port, sizeof(port), "%u", (unsigned)hc->port);
	snprintf(timeout, sizeof(timeout), "%.3f", hc->timeout_s < 9e9 ? hc->timeout_s : 0.0);
	hr->path = strdup(probe);
	hr->argv = calloc(6, sizeof(char *));
	hr->envp = calloc(1, sizeof(char *));
	if (!hr->path || !hr->argv || !hr->envp)
		return -ENOMEM;
	hr->argv[0] = strdup(AGENT_HEALTH_PROBE);
	if (hc->type == HEALTH_CHECK_HTTP) {
		hr->argv[1] = strdup("http");
		if (asprintf(&hr->argv[2], "%s://%s:%s%s", hc->https ? "https" : "http", host, port,
			     hc->path) < 0)
			hr->argv[2] = NULL;
	} else {
		hr->argv[1] = strdup("tcp");
		if (asprintf(&hr->argv[2], "%s:%s", hc->ipv6 ? "::1" : "127.0.0.1", port) < 0)
			hr->argv[2] = NULL;
	}
	hr->argv[3] = strdup(timeout);
	return hr->argv[0] && hr->argv[1] && hr->argv[2] && hr->argv[3] ? 0 : -ENOMEM;
}

void agent_health_run_free(struct agent_health_run *hr)
{
	if (!hr)
		return;
	free(hr->path);
	strv_free(hr->argv);
	strv_free(hr->envp);
	free(hr);
}

int agent_health_run_new(const struct health_check *hc, char *const *task_envp, const char *probe,
			 int64_t kill_grace_ns, struct agent_health_run **ret)
{
	struct agent_health_run *hr = calloc(1, sizeof(*hr));
	int r;

	if (!hr)
		return -ENOMEM;
	hr->delay_ns = to_ns(hc->delay_s);
	hr->interval_ns = to_ns(hc->interval_s);
	if (hr->interval_ns < AGENT_HEALTH_MIN_INTERVAL_NS)
		hr->interval_ns = AGENT_HEALTH_MIN_INTERVAL_NS;
	hr->timeout_ns = to_ns(hc->timeout_s);
	hr->kill_grace_ns = kill_grace_ns;
	hr->params = (struct agent_health_params){.grace_ns = to_ns(hc->grace_s),
						  .consecutive_failures = hc->consecutive_failures};
	r = hc->type == HEALTH_CHECK_COMMAND ? command_vectors(hr, hc->command, task_envp) :
					       probe_vectors(hr, hc, probe);
	if (r < 0) {
		agent_health_run_free(hr);
		return r;
	}
	*ret = hr;
	return 0;
}

/* ---------------------------------------------------------------- in the supervisor */

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* sig to every process in the cgroup at cgroup_fd (its cgroup.procs, read in pieces). */
static void cgroup_signal_all(int cgroup_fd, int sig)
{
	char buf[4096];
	long pid = -1;
	ssize_t n;
	int fd = openat(cgroup_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = (pid < 0 ? 0 : pid * 10) + (buf[i] - '0');
			} else {
				if (pid > 0)
					(void)kill((pid_t)pid, sig);
				pid = -1;
			}
		}
	}
	if (pid > 0)
		(void)kill((pid_t)pid, sig);
	close(fd);
}

/* The grace period is over: cgroup.kill (SIGKILL to each process where it is missing). */
static void cgroup_kill_all(int cgroup_fd)
{
	int fd = openat(cgroup_fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);

	if (fd >= 0 && write(fd, "1", 1) == 1) {
		close(fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	cgroup_signal_all(cgroup_fd, SIGKILL);
}

/*
 * The check processes run in the task's network namespace: the supervisor enters it, when
 * the task has one of its own, before it starts any (its children inherit it).
 */
static void enter_task_netns(pid_t task_pid)
{
	char path[64];
	struct stat mine, its;
	int fd;

	if (stat("/proc/self/ns/net", &mine) < 0)
		return;
	/* "/proc/<pid>/ns/net" without stdio */
	{
		char digits[16];
		int n = 0;
		size_t off = sizeof("/proc/") - 1;

		memcpy(path, "/proc/", off);
		for (unsigned v = (unsigned)task_pid; v; v /= 10)
			digits[n++] = (char)('0' + v % 10);
		while (n)
			path[off++] = digits[--n];
		memcpy(path + off, "/ns/net", sizeof("/ns/net"));
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &its) == 0 && (its.st_ino != mine.st_ino || its.st_dev != mine.st_dev))
		(void)setns(fd, CLONE_NEWNET);
	close(fd);
}

struct sv_health {
	const struct agent_health_run *hr;
	struct agent_spawn check; /* the task's spawn with the check's exec and /dev/null */
	int meta_fd, cgroup_fd;
	int64_t launched, next_at, deadline, kill_at;
	pid_t check_pid; /* 0: none running */
	struct agent_health_state st;
	struct agent_health_record rec;
	bool killing;
};

/* A check ended (or timed out): the state machine; the record; the kill it may ask for. */
static void on_result(struct sv_health *h, enum agent_health_result res, int code)
{
	enum agent_health_action a;
	char buf[512];
	int n;

	h->check_pid = 0;
	h->next_at = mono_ns() + h->hr->interval_ns;
	if (faccessat(h->meta_fd, AGENT_HEALTH_STOP_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		h->st.kill = true; /* the agent kills the task: this result no longer counts */
	a = agent_health_step(&h->st, &h->hr->params, res == AGENT_HEALTH_OK,
			      mono_ns() - h->launched);
	if (a == AGENT_HEALTH_NONE)
		return;
	h->rec = (struct agent_health_record){
		.updates = h->st.updates,
		.healthy = h->st.healthy,
		.consecutive_failures = h->st.consecutive_failures,
		.kill = h->st.kill,
		.result = res,
		.code = code,
		.time_ns = real_ns(),
	};
	n = agent_health_record_format(&h->rec, buf, sizeof(buf));
	/* the record first: the agent must know why before it sees the task die */
	if (n > 0)
		(void)agent_record_write(h->meta_fd, AGENT_HEALTH_FILE, buf, (size_t)n);
	if (a == AGENT_HEALTH_KILL) {
		h->killing = true;
		h->kill_at = mono_ns() + h->hr->kill_grace_ns;
		cgroup_signal_all(h->cgroup_fd, SIGTERM);
	}
}

static void start_check(struct sv_health *h)
{
	struct agent_launch_error err = {0};
	int pidfd = -1;
	pid_t pid;

	if (agent_spawn_run(&h->check, &pid, &pidfd, &err) < 0) {
		on_result(h, AGENT_HEALTH_LAUNCH_FAILED, err.err);
		return;
	}
	if (pidfd >= 0)
		close(pidfd);
	h->check_pid = pid;
	h->deadline = h->hr->timeout_ns > 0 ? mono_ns() + h->hr->timeout_ns : INT64_MAX;
}

static int poll_ms(const struct sv_health *h, int64_t now)
{
	int64_t next = INT64_MAX;

	if (h->check_pid)
		next = h->deadline;
	else if (!h->st.kill)
		next = h->next_at;
	if (h->killing && h->kill_at < next)
		next = h->kill_at;
	if (next == INT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return (next - now) / 1000000 + 1 > 3600000 ? 3600000 : (int)((next - now) / 1000000 + 1);
}

int agent_health_supervise(const struct agent_health_run *hr, const struct agent_spawn *task,
			   pid_t task_pid, int meta_fd, int *ret_status, struct rusage *ret_ru)
{
	struct sv_health h = {
		.hr = hr, .check = *task, .meta_fd = meta_fd, .cgroup_fd = task->cgroup_fd};
	sigset_t chld;
	int sfd, null_fd;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0)
		return -errno;
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (sfd < 0 || null_fd < 0) {
		int e = errno;

		if (sfd >= 0)
			close(sfd);
		if (null_fd >= 0)
			close(null_fd);
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		return -e;
	}
	h.check.path = hr->path;
	h.check.argv = hr->argv;
	h.check.envp = hr->envp;
	h.check.stdin_fd = h.check.stdout_fd = h.check.stderr_fd = null_fd;
	enter_task_netns(task_pid);
	h.launched = mono_ns();
	h.next_at = h.launched + hr->delay_ns;

	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd pfd = {.fd = sfd, .events = POLLIN};
		struct rusage ru;
		int64_t now;
		int status;
		pid_t w;

		/* reap first: a SIGCHLD from before the mask was set is gone */
		while ((w = wait4(-1, &status, WNOHANG, &ru)) > 0) {
			if (w == task_pid) {
				if (h.check_pid)
					(void)kill(-h.check_pid, SIGKILL);
				close(sfd);
				close(null_fd);
				*ret_status = status;
				*ret_ru = ru;
				return 0;
			}
			if (w != h.check_pid)
				continue; /* an orphan of the task, or a check that timed out */
			if (WIFEXITED(status))
				on_result(&h,
					  WEXITSTATUS(status) ? AGENT_HEALTH_EXITED :
								AGENT_HEALTH_OK,
					  WEXITSTATUS(status));
			else
				on_result(&h, AGENT_HEALTH_SIGNALED, WTERMSIG(status));
		}
		if (w < 0 && errno == ECHILD) {
			close(sfd);
			close(null_fd);
			return -ECHILD; /* cannot happen: the task is our child */
		}
		now = mono_ns();
		if (h.check_pid && now >= h.deadline) {
			/* its process group: the check's own children too (it is a session leader) */
			(void)kill(-h.check_pid, SIGKILL);
			(void)kill(h.check_pid, SIGKILL);
			on_result(&h, AGENT_HEALTH_TIMEOUT, 0);
		}
		if (h.killing && now >= h.kill_at) {
			h.killing = false;
			cgroup_kill_all(h.cgroup_fd);
		}
		if (!h.check_pid && !h.st.kill && now >= h.next_at &&
		    faccessat(meta_fd, AGENT_HEALTH_STOP_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			h.st.kill = true; /* the agent is killing the task: no more checks */
			continue;
		}
		if (!h.check_pid && !h.st.kill && now >= h.next_at) {
			start_check(&h);
			continue; /* it may have ended already: reap */
		}
		if (poll(&pfd, 1, poll_ms(&h, mono_ns())) > 0)
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
	}
}
