// SPDX-License-Identifier: Apache-2.0
/*
 * The exit-status record (<meta>/exit_status): its async-signal-safe formatter, its
 * parser, and the mapping from a task's end to its terminal state. Format: supervisor.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "supervisor.h"
#include "util.h"

/* ---------------------------------------------------------------- format (AS-safe) */

static void put_str(struct agent_record_out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->off + n >= o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->off, s, n);
	o->off += n;
	o->buf[o->off] = '\0';
}

static void put_u(struct agent_record_out *o, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(o, tmp + i);
}

void agent_record_put_kv(struct agent_record_out *o, const char *key, uint64_t v)
{
	put_str(o, key);
	put_str(o, " ");
	put_u(o, v);
	put_str(o, "\n");
}

static const char *how_name(enum agent_exit_how h)
{
	switch (h) {
	case AGENT_EXIT_EXITED:
		return "exited";
	case AGENT_EXIT_SIGNALED:
		return "signaled";
	case AGENT_EXIT_LAUNCH_FAILED:
		return "launch-failed";
	}
	return "?";
}

int agent_exit_record_format(const struct agent_exit_record *r, char *buf, size_t len)
{
	struct agent_record_out o = {.buf = buf, .len = len};

	if (!len)
		return -ENOBUFS;
	buf[0] = '\0';
	put_str(&o, "drover-exit-status 1\nhow ");
	put_str(&o, how_name(r->how));
	put_str(&o, "\n");
	agent_record_put_kv(&o, "code", r->code < 0 ? 0 : (uint64_t)r->code);
	agent_record_put_kv(&o, "core", r->core_dumped);
	if (r->how == AGENT_EXIT_LAUNCH_FAILED) {
		put_str(&o, "stage ");
		put_str(&o, agent_launch_stage_name(r->stage));
		put_str(&o, "\n");
	}
	agent_record_put_kv(&o, "task_pid", r->task_pid < 0 ? 0 : (uint64_t)r->task_pid);
	agent_record_put_kv(&o, "utime_us", r->utime_us);
	agent_record_put_kv(&o, "stime_us", r->stime_us);
	agent_record_put_kv(&o, "maxrss_kb", r->maxrss_kb);
	agent_record_put_kv(&o, "time_ns", r->time_ns);
	return o.overflow ? -ENOBUFS : (int)o.off;
}

/* ---------------------------------------------------------------- parse */

static int word_get(const char *text, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);

	for (const char *p = text; *p;) {
		const char *eol = strchrnul(p, '\n');

		if ((size_t)(eol - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == ' ') {
			size_t n = (size_t)(eol - p) - klen - 1;

			if (n >= len)
				return -EINVAL;
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return 0;
		}
		p = *eol ? eol + 1 : eol;
	}
	return -ENOENT;
}

int agent_exit_record_parse(const char *text, struct agent_exit_record *ret)
{
	struct agent_exit_record r = {0};
	uint64_t v;
	char how[32], stage[32];

	if (cgroupfs_keyed_get(text, "drover-exit-status", &v) < 0 || v != 1)
		return -EINVAL;
	if (word_get(text, "how", how, sizeof(how)) < 0)
		return -EINVAL;
	if (streq(how, "exited"))
		r.how = AGENT_EXIT_EXITED;
	else if (streq(how, "signaled"))
		r.how = AGENT_EXIT_SIGNALED;
	else if (streq(how, "launch-failed"))
		r.how = AGENT_EXIT_LAUNCH_FAILED;
	else
		return -EINVAL;
	if (cgroupfs_keyed_get(text, "code", &v) < 0 || v > INT32_MAX)
		return -EINVAL;
	r.code = (int)v;
	if (cgroupfs_keyed_get(text, "core", &v) == 0)
		r.core_dumped = v != 0;
	if (r.how == AGENT_EXIT_LAUNCH_FAILED) {
		int s;

		if (word_get(text, "stage", stage, sizeof(stage)) < 0)
			return -EINVAL;
		s = agent_launch_stage_from_name(stage);
		r.stage = s < 0 ? AGENT_LAUNCH_SETUP : (enum agent_launch_stage)s;
	}
	if (cgroupfs_keyed_get(text, "task_pid", &v) == 0 && v <= INT32_MAX)
		r.task_pid = (pid_t)v;
	(void)cgroupfs_keyed_get(text, "utime_us", &r.utime_us);
	(void)cgroupfs_keyed_get(text, "stime_us", &r.stime_us);
	(void)cgroupfs_keyed_get(text, "maxrss_kb", &r.maxrss_kb);
	(void)cgroupfs_keyed_get(text, "time_ns", &r.time_ns);
	*ret = r;
	return 0;
}

int agent_exit_status_read(int meta_fd, struct agent_exit_record *ret)
{
	char text[AGENT_RECORD_MAX];
	ssize_t n = file_read_bufat(meta_fd, AGENT_EXIT_STATUS_FILE, 0, text, sizeof(text));

	if (n < 0)
		return (int)n;
	return agent_exit_record_parse(text, ret);
}

/* ---------------------------------------------------------------- outcome */

static void mib(char *buf, size_t len, uint64_t bytes)
{
	if (bytes == UINT64_MAX)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
}

static void describe_end(const struct agent_exit_record *rec, char *buf, size_t len)
{
	const char *abbrev;

	switch (rec->how) {
	case AGENT_EXIT_EXITED:
		snprintf(buf, len, "exited with status %d", rec->code);
		break;
	case AGENT_EXIT_SIGNALED:
		abbrev = sigabbrev_np(rec->code);
		snprintf(buf, len, "killed by signal %d (SIG%s)%s", rec->code, abbrev ? abbrev : "?",
			 rec->core_dumped ? ", core dumped" : "");
		break;
	case AGENT_EXIT_LAUNCH_FAILED:
		snprintf(buf, len, "launch failed at %s: %s", agent_launch_stage_name(rec->stage),
			 strerror(rec->code));
		break;
	}
}

void agent_task_outcome(const struct agent_exit_record *rec, bool killed_by_agent,
			const struct agent_task_usage *usage, struct agent_task_outcome *ret)
{
	struct agent_task_outcome o = {0};
	char end[160] = "";
	bool oom = usage && (usage->valid & AGENT_USAGE_MEM_EVENTS) &&
		   usage->mem_events_oom_kill > 0;
	bool clean = rec && rec->how == AGENT_EXIT_EXITED && rec->code == 0;

	if (rec)
		describe_end(rec, end, sizeof(end));
	if (killed_by_agent) {
		o.state = AGENT_TASK_KILLED;
		snprintf(o.message, sizeof(o.message), "killed by the agent%s%s",
			 rec ? ": " : "", end);
	} else if (oom && !clean) {
		char peak[32] = "unknown", limit[32] = "unknown";

		if (usage->valid & AGENT_USAGE_MEM_PEAK)
			mib(peak, sizeof(peak), usage->mem_peak);
		if (usage->valid & AGENT_USAGE_MEM)
			mib(limit, sizeof(limit), usage->mem_max_limit);
		o.state = AGENT_TASK_FAILED;
		o.reason = "REASON_CONTAINER_LIMITATION_MEMORY";
		snprintf(o.message, sizeof(o.message),
			 "memory limit exceeded: %" PRIu64 " process%s OOM-killed (peak %s, limit %s)%s%s",
			 usage->mem_events_oom_kill, usage->mem_events_oom_kill == 1 ? "" : "es",
			 peak, limit, rec ? "; " : "", end);
	} else if (!rec) {
		o.state = AGENT_TASK_FAILED;
		o.reason = "REASON_EXECUTOR_TERMINATED";
		snprintf(o.message, sizeof(o.message),
			 "the task's exit status is lost (its supervisor is gone)");
	} else if (clean) {
		o.state = AGENT_TASK_FINISHED;
		snprintf(o.message, sizeof(o.message), "%s", end);
	} else {
		o.state = AGENT_TASK_FAILED;
		if (rec->how == AGENT_EXIT_LAUNCH_FAILED)
			o.reason = "REASON_COMMAND_EXECUTOR_FAILED";
		snprintf(o.message, sizeof(o.message), "%s", end);
	}
	*ret = o;
}
