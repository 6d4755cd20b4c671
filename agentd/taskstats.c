// SPDX-License-Identifier: Apache-2.0
/*
 * Terminal accounting from taskstats exit notifications: the socket, the parser and the
 * per-task sums. Design and attribution rules: taskstats.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fileio.h"
#include "taskstats.h"
#include "util.h"

#define RCVBUF_BYTES (4 << 20)
#define PIDS_MAX 65536 /* known live processes per task (a snapshot of cgroup.procs) */

struct tracked {
	struct tracked *next;
	const void *owner;
	char *cgroup_path;
	pid_t supervisor, task;
	pid_t *pids;
	size_t npids;
	struct agent_taskstats_sum sum;
};

struct agent_taskstats {
	struct nl_sock *sk;
	int family;
	char cpumask[256];
	char *proc_root;
	struct tracked *tracked;
	uint64_t lost;
};

/* ---------------------------------------------------------------- parsing */

static void copy_stats(const struct taskstats *t, struct agent_taskstats_rec *r)
{
	r->version = t->version;
	r->pid = t->ac_pid;
	r->ppid = t->ac_ppid;
	/* ac_tgid arrived in version 12 (5.17); before that a thread's tgid is unknown */
	r->tgid = t->version >= 12 && t->ac_tgid ? t->ac_tgid : t->ac_pid;
	memcpy(r->comm, t->ac_comm, sizeof(r->comm) - 1 < TS_COMM_LEN ? sizeof(r->comm) - 1
								     : TS_COMM_LEN);
	r->comm[sizeof(r->comm) - 1] = '\0';
	r->utime_us = t->ac_utime;
	r->stime_us = t->ac_stime;
	r->cpu_count = t->cpu_count;
	r->cpu_delay_ns = t->cpu_delay_total;
	r->blkio_count = t->blkio_count;
	r->blkio_delay_ns = t->blkio_delay_total;
	r->swapin_count = t->swapin_count;
	r->swapin_delay_ns = t->swapin_delay_total;
	r->freepages_count = t->freepages_count;
	r->freepages_delay_ns = t->freepages_delay_total;
	r->thrashing_count = t->thrashing_count;
	r->thrashing_delay_ns = t->thrashing_delay_total;
	r->compact_count = t->compact_count;
	r->compact_delay_ns = t->compact_delay_total;
	r->hiwater_rss_kb = t->hiwater_rss;
	r->minflt = t->ac_minflt;
	r->majflt = t->ac_majflt;
	r->read_bytes = t->read_bytes;
	r->write_bytes = t->write_bytes;
	r->nvcsw = t->nvcsw;
	r->nivcsw = t->nivcsw;
}

int agent_taskstats_parse(const void *attrs, size_t len, struct agent_taskstats_rec *ret)
{
	struct nlattr *tb[TASKSTATS_TYPE_MAX + 1], *in[TASKSTATS_TYPE_MAX + 1];
	struct taskstats t;
	size_t n;

	if (len > INT32_MAX)
		return -EINVAL;
	if (nla_parse(tb, TASKSTATS_TYPE_MAX, (struct nlattr *)attrs, (int)len, NULL) < 0)
		return -EINVAL;
	if (!tb[TASKSTATS_TYPE_AGGR_PID])
		return -ENOENT;
	if (nla_parse_nested(in, TASKSTATS_TYPE_MAX, tb[TASKSTATS_TYPE_AGGR_PID], NULL) < 0 ||
	    !in[TASKSTATS_TYPE_STATS])
		return -EINVAL;
	/* Older kernels send a shorter struct, newer ones a longer one: both only append. */
	n = (size_t)nla_len(in[TASKSTATS_TYPE_STATS]);
	if (n < offsetof(struct taskstats, ac_stime) + sizeof(t.ac_stime))
		return -EINVAL;
	memset(&t, 0, sizeof(t));
	memcpy(&t, nla_data(in[TASKSTATS_TYPE_STATS]), n < sizeof(t) ? n : sizeof(t));
	*ret = (struct agent_taskstats_rec){0};
	copy_stats(&t, ret);
	if (in[TASKSTATS_TYPE_PID] && nla_len(in[TASKSTATS_TYPE_PID]) >= 4)
		ret->pid = nla_get_u32(in[TASKSTATS_TYPE_PID]);
	if (ret->tgid == 0)
		ret->tgid = ret->pid;
	return 0;
}

static void agent_taskstats_sum_add(struct agent_taskstats_sum *s,
				    const struct agent_taskstats_rec *r)
{
	s->threads++;
	if (r->pid == r->tgid)
		s->processes++;
	s->utime_us += r->utime_us;
	s->stime_us += r->stime_us;
	s->cpu_count += r->cpu_count;
	s->cpu_delay_ns += r->cpu_delay_ns;
	s->blkio_count += r->blkio_count;
	s->blkio_delay_ns += r->blkio_delay_ns;
	s->swapin_count += r->swapin_count;
	s->swapin_delay_ns += r->swapin_delay_ns;
	s->freepages_count += r->freepages_count;
	s->freepages_delay_ns += r->freepages_delay_ns;
	s->thrashing_count += r->thrashing_count;
	s->thrashing_delay_ns += r->thrashing_delay_ns;
	s->compact_count += r->compact_count;
	s->compact_delay_ns += r->compact_delay_ns;
	if (r->hiwater_rss_kb > s->hiwater_rss_kb_max)
		s->hiwater_rss_kb_max = r->hiwater_rss_kb;
	s->minflt += r->minflt;
	s->majflt += r->majflt;
	s->read_bytes += r->read_bytes;
	s->write_bytes += r->write_bytes;
	s->nvcsw += r->nvcsw;
	s->nivcsw += r->nivcsw;
}

static void set_u64(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

json_t *agent_taskstats_sum_json(const struct agent_taskstats_sum *s, bool delayacct_on,
				 const char *delayacct_why)
{
	json_t *o = json_object();

	set_u64(o, "threads", s->threads);
	set_u64(o, "processes", s->processes);
	set_u64(o, "user_ns", s->utime_us * 1000);
	set_u64(o, "system_ns", s->stime_us * 1000);
	set_u64(o, "max_rss_bytes", s->hiwater_rss_kb_max * 1024);
	set_u64(o, "minor_faults", s->minflt);
	set_u64(o, "major_faults", s->majflt);
	set_u64(o, "read_bytes", s->read_bytes);
	set_u64(o, "write_bytes", s->write_bytes);
	set_u64(o, "voluntary_switches", s->nvcsw);
	set_u64(o, "involuntary_switches", s->nivcsw);
	if (s->partial)
		json_object_set_new(o, "partial", json_true());
	if (!delayacct_on) {
		json_object_set_new(o, "delay_accounting",
				    json_string(delayacct_why && *delayacct_why ? delayacct_why
										: "off"));
		return o;
	}
	json_object_set_new(o, "delay_accounting", json_string("on"));
	set_u64(o, "cpu_delay_ns", s->cpu_delay_ns);
	set_u64(o, "cpu_delay_count", s->cpu_count);
	set_u64(o, "blkio_delay_ns", s->blkio_delay_ns);
	set_u64(o, "blkio_delay_count", s->blkio_count);
	set_u64(o, "swapin_delay_ns", s->swapin_delay_ns);
	set_u64(o, "swapin_delay_count", s->swapin_count);
	set_u64(o, "freepages_delay_ns", s->freepages_delay_ns);
	set_u64(o, "freepages_delay_count", s->freepages_count);
	set_u64(o, "thrashing_delay_ns", s->thrashing_delay_ns);
	set_u64(o, "thrashing_delay_count", s->thrashing_count);
	set_u64(o, "compact_delay_ns", s->compact_delay_ns);
	set_u64(o, "compact_delay_count", s->compact_count);
	return o;
}

static int read_text(const char *path, char *buf, size_t len)
{
	return (int)file_read_bufat(AT_FDCWD, path, 0, buf, len);
}

bool agent_taskstats_delayacct(const char *proc_root, char *why, size_t len)
{
	char path[4200], buf[16];
	int r;

	snprintf(path, sizeof(path), "%s/sys/kernel/task_delayacct", proc_root ? proc_root : "/proc");
	r = read_text(path, buf, sizeof(buf));
	if (r == -ENOENT) {
		snprintf(why, len, "unavailable (no kernel.task_delayacct: a kernel without "
				   "CONFIG_TASK_DELAY_ACCT or older than 5.14)");
		return false;
	}
	if (r < 0) {
		snprintf(why, len, "unknown (cannot read kernel.task_delayacct: %s)", strerror(-r));
		return false;
	}
	if (buf[0] == '1') {
		if (len)
			why[0] = '\0';
		return true;
	}
	snprintf(why, len, "off (kernel.task_delayacct is 0; enable it with sysctl or the "
			   "delayacct boot parameter)");
	return false;
}

/* ---------------------------------------------------------------- tracking */

static struct tracked *find(struct agent_taskstats *ts, const void *owner)
{
	for (struct tracked *t = ts->tracked; t; t = t->next)
		if (t->owner == owner)
			return t;
	return NULL;
}

static bool has_pid(const struct tracked *t, pid_t pid)
{
	if (pid <= 0)
		return false;
	if (pid == t->task)
		return true;
	for (size_t i = 0; i < t->npids; i++)
		if (t->pids[i] == pid)
			return true;
	return false;
}

/* The cgroup v2 path of pid ("/a/b"), or -errno. */
static int proc_cgroup(const struct agent_taskstats *ts, pid_t pid, char *buf, size_t len)
{
	char path[4200], text[4096];
	const char *p;
	int r;

	snprintf(path, sizeof(path), "%s/%d/cgroup", ts->proc_root ? ts->proc_root : "/proc",
		 (int)pid);
	r = read_text(path, text, sizeof(text));
	if (r < 0)
		return r;
	for (p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n >= 3 && strncmp(p, "0::", 3) == 0) {
			if (n - 3 >= len)
				return -ENAMETOOLONG;
			memcpy(buf, p + 3, n - 3);
			buf[n - 3] = '\0';
			return 0;
		}
		p = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

static bool path_within(const char *path, const char *leaf)
{
	size_t n = strlen(leaf);

	return strncmp(path, leaf, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static struct tracked *by_proc(struct agent_taskstats *ts, pid_t pid)
{
	char path[4096];

	if (pid <= 1 || proc_cgroup(ts, pid, path, sizeof(path)) < 0)
		return NULL;
	for (struct tracked *t = ts->tracked; t; t = t->next)
		if (t->cgroup_path && path_within(path, t->cgroup_path))
			return t;
	return NULL;
}

/* The tracked task an exited thread belongs to (rules in taskstats.h), or NULL. */
static struct tracked *attribute(struct agent_taskstats *ts, const struct agent_taskstats_rec *r)
{
	struct tracked *t;

	if (!ts->tracked)
		return NULL;
	for (t = ts->tracked; t; t = t->next)
		if (has_pid(t, (pid_t)r->tgid))
			return t;
	for (t = ts->tracked; t; t = t->next)
		if ((pid_t)r->tgid == t->supervisor)
			return NULL; /* the supervisor lives outside the task's cgroup */
	for (t = ts->tracked; t; t = t->next)
		if ((t->supervisor > 0 && (pid_t)r->ppid == t->supervisor) ||
		    has_pid(t, (pid_t)r->ppid))
			return t;
	t = by_proc(ts, (pid_t)r->tgid);
	return t ? t : by_proc(ts, (pid_t)r->ppid);
}

static void account(struct agent_taskstats *ts, const struct agent_taskstats_rec *r)
{
	struct tracked *t = attribute(ts, r);

	if (t)
		agent_taskstats_sum_add(&t->sum, r);
}

int agent_taskstats_feed(struct agent_taskstats *ts, const void *buf, size_t len)
{
	const struct nlmsghdr *h = buf;
	int remaining = len > INT32_MAX ? INT32_MAX : (int)len, n = 0;

	for (; nlmsg_ok(h, remaining); h = nlmsg_next((struct nlmsghdr *)h, &remaining)) {
		const struct genlmsghdr *g;
		struct agent_taskstats_rec r;

		/* a tracker without a socket (tests) takes any generic netlink family */
		if (h->nlmsg_type < NLMSG_MIN_TYPE ||
		    (ts->family >= 0 && h->nlmsg_type != ts->family) ||
		    h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
			continue;
		g = nlmsg_data(h);
		if (g->cmd != TASKSTATS_CMD_NEW)
			continue;
		if (agent_taskstats_parse(genlmsg_attrdata(g, 0), (size_t)genlmsg_attrlen(g, 0),
					  &r) < 0)
			continue;
		account(ts, &r);
		n++;
	}
	return n;
}

int agent_taskstats_receive(struct agent_taskstats *ts)
{
	static char buf[65536] __attribute__((aligned(8)));
	int fd = agent_taskstats_fd(ts), total = 0;

	if (fd < 0)
		return -EBADF;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				ts->lost++;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return total;
			return -errno;
		}
		if (n == 0)
			return total;
		total += agent_taskstats_feed(ts, buf, (size_t)n);
	}
}

int agent_taskstats_track(struct agent_taskstats *ts, const void *owner, const char *cgroup_path,
			  pid_t supervisor, pid_t task, bool partial)
{
	struct tracked *t;

	if (!ts)
		return -EOPNOTSUPP;
	t = find(ts, owner);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		t->owner = owner;
		t->next = ts->tracked;
		ts->tracked = t;
	}
	free(t->cgroup_path);
	t->cgroup_path = cgroup_path ? strdup(cgroup_path) : NULL;
	t->supervisor = supervisor;
	t->task = task;
	t->sum.partial = partial;
	return 0;
}

int agent_taskstats_add_pids(struct agent_taskstats *ts, const void *owner, const pid_t *pids,
			     size_t n)
{
	struct tracked *t = ts ? find(ts, owner) : NULL;
	pid_t *np;

	if (!t)
		return -ENOENT;
	if (t->npids + n > PIDS_MAX)
		n = PIDS_MAX > t->npids ? PIDS_MAX - t->npids : 0;
	if (!n)
		return 0;
	np = realloc(t->pids, (t->npids + n) * sizeof(pid_t));
	if (!np)
		return -ENOMEM;
	memcpy(np + t->npids, pids, n * sizeof(pid_t));
	t->pids = np;
	t->npids += n;
	return 0;
}

int agent_taskstats_untrack(struct agent_taskstats *ts, const void *owner,
			    struct agent_taskstats_sum *ret)
{
	struct tracked **pp;

	if (!ts)
		return -ENOENT;
	for (pp = &ts->tracked; *pp; pp = &(*pp)->next) {
		struct tracked *t = *pp;

		if (t->owner != owner)
			continue;
		*pp = t->next;
		if (ret)
			*ret = t->sum;
		free(t->cgroup_path);
		free(t->pids);
		free(t);
		return 0;
	}
	return -ENOENT;
}

/* ---------------------------------------------------------------- the socket */

int agent_taskstats_new(struct agent_taskstats **ret)
{
	struct agent_taskstats *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return -ENOMEM;
	ts->family = -1;
	*ret = ts;
	return 0;
}

int agent_taskstats_set_proc_root(struct agent_taskstats *ts, const char *root)
{
	char *s = root ? strdup(root) : NULL;

	if (root && !s)
		return -ENOMEM;
	free(ts->proc_root);
	ts->proc_root = s;
	return 0;
}

int agent_taskstats_fd(const struct agent_taskstats *ts)
{
	return ts && ts->sk ? nl_socket_get_fd(ts->sk) : -1;
}

static int cpumask_cmd(struct agent_taskstats *ts, int attr)
{
	struct nl_msg *msg = nlmsg_alloc();
	int r;

	if (!msg)
		return -NLE_NOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ts->family, 0, 0, TASKSTATS_CMD_GET,
			 TASKSTATS_VERSION) ||
	    nla_put_string(msg, attr, ts->cpumask) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	r = nl_send_sync(ts->sk, msg); /* frees msg; waits for the kernel's ack */
	return r;
}

/* libnl's error codes -> errno, for the few the kernel's answer can map to. */
static int nlerr_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_PERM:
		return EPERM;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_INVAL:
		return EINVAL;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	default:
		return EIO;
	}
}

int agent_taskstats_open(struct agent_taskstats **ret, char *err, size_t errlen)
{
	struct agent_taskstats *ts;
	int r, one = RCVBUF_BYTES;
	char buf[256];

	r = agent_taskstats_new(&ts);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	r = read_text("/sys/devices/system/cpu/possible", buf, sizeof(buf));
	if (r <= 0) {
		snprintf(err, errlen, "cannot read /sys/devices/system/cpu/possible");
		r = r < 0 ? r : -EIO;
		goto out_free;
	}
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(ts->cpumask, sizeof(ts->cpumask), "%s", buf);

	ts->sk = nl_socket_alloc();
	if (!ts->sk) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out_free;
	}
	r = genl_connect(ts->sk);
	if (r < 0) {
		snprintf(err, errlen, "cannot open a generic netlink socket: %s", nl_geterror(r));
		r = -nlerr_errno(r);
		goto out_free;
	}
	(void)fcntl(nl_socket_get_fd(ts->sk), F_SETFD, FD_CLOEXEC);
	ts->family = genl_ctrl_resolve(ts->sk, TASKSTATS_GENL_NAME);
	if (ts->family < 0) {
		snprintf(err, errlen, "the kernel has no TASKSTATS generic netlink family (%s)",
			 nl_geterror(ts->family));
		r = -ENOENT;
		goto out_free;
	}
	/* Exit notifications carry sequence number 0; the ack of the registration does not. */
	nl_socket_disable_seq_check(ts->sk);
	if (setsockopt(nl_socket_get_fd(ts->sk), SOL_SOCKET, SO_RCVBUFFORCE, &one, sizeof(one)) < 0)
		(void)nl_socket_set_buffer_size(ts->sk, RCVBUF_BYTES, 0);
	r = cpumask_cmd(ts, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK);
	if (r < 0) {
		snprintf(err, errlen,
			 "cannot register for exit notifications on CPUs %s: %s (needs "
			 "CAP_NET_ADMIN in the initial user and pid namespaces)",
			 ts->cpumask, nl_geterror(r));
		r = -nlerr_errno(r);
		ts->cpumask[0] = '\0'; /* nothing to deregister */
		goto out_free;
	}
	r = nl_socket_set_nonblocking(ts->sk);
	if (r < 0) {
		snprintf(err, errlen, "cannot make the socket non-blocking: %s", nl_geterror(r));
		r = -nlerr_errno(r);
		goto out_free;
	}
	*ret = ts;
	return 0;
out_free:
	agent_taskstats_free(ts);
	return r;
}

void agent_taskstats_free(struct agent_taskstats *ts)
{
	if (!ts)
		return;
	while (ts->tracked)
		agent_taskstats_untrack(ts, ts->tracked->owner, NULL);
	if (ts->sk) {
		if (ts->cpumask[0] && ts->family >= 0) {
			/* blocking again, so the deregistration's ack is waited for */
			int fd = nl_socket_get_fd(ts->sk);
			int fl = fcntl(fd, F_GETFL);

			if (fl >= 0)
				(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			(void)cpumask_cmd(ts, TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK);
		}
		nl_socket_free(ts->sk);
	}
	free(ts->proc_root);
	free(ts);
}
