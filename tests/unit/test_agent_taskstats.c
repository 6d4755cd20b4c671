// SPDX-License-Identifier: Apache-2.0
/*
 * agentd/taskstats: parsing TASKSTATS_CMD_NEW messages (built here with libnl the way the
 * kernel lays them out: AGGR_PID{PID, STATS}, optionally AGGR_TGID and a NULL pad),
 * shorter and longer struct versions, attribution of exits to tracked tasks (known pids,
 * the supervisor as parent, /proc/<pid>/cgroup from a fake /proc), the JSON of a sum, the
 * delay-accounting switch; and, with root in the initial namespaces, the real socket:
 * a busy child's exit arrives with CPU time > 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/taskstats.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/taskstats.h"

#define FAMILY 42

struct fake {
	uint32_t pid, tgid, ppid;
	uint64_t utime, stime, cpu_delay, blkio_delay;
	bool tgid_aggregate; /* also an AGGR_TGID, as for a thread group's last thread */
	size_t stats_len;    /* 0: sizeof(struct taskstats) */
};

/* One netlink message as the kernel sends it, appended to buf at *off. */
static void build(char *buf, size_t cap, size_t *off, const struct fake *f)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct taskstats t;
	struct nlattr *nest;
	struct nlmsghdr *h;
	size_t len = f->stats_len ? f->stats_len : sizeof(t);
	char big[sizeof(t) + 64];

	assert_non_null(msg);
	memset(&t, 0, sizeof(t));
	t.version = TASKSTATS_VERSION;
	t.ac_pid = f->pid;
	t.ac_tgid = f->tgid;
	t.ac_ppid = f->ppid;
	t.ac_utime = f->utime;
	t.ac_stime = f->stime;
	t.cpu_count = 3;
	t.cpu_delay_total = f->cpu_delay;
	t.blkio_delay_total = f->blkio_delay;
	t.hiwater_rss = 1000 + f->pid;
	snprintf(t.ac_comm, sizeof(t.ac_comm), "p%u", f->pid);
	memset(big, 0x5a, sizeof(big)); /* a newer kernel's extra fields */
	memcpy(big, &t, sizeof(t) < len ? sizeof(t) : len);

	assert_non_null(genlmsg_put(msg, 0, 0, FAMILY, 0, 0, TASKSTATS_CMD_NEW, TASKSTATS_VERSION));
	nest = nla_nest_start(msg, TASKSTATS_TYPE_AGGR_PID);
	assert_int_equal(nla_put_u32(msg, TASKSTATS_TYPE_PID, f->pid), 0);
	assert_int_equal(nla_put(msg, TASKSTATS_TYPE_STATS, (int)len, big), 0);
	nla_nest_end(msg, nest);
	if (f->tgid_aggregate) {
		t.ac_utime = 999999999; /* must not be counted */
		nest = nla_nest_start(msg, TASKSTATS_TYPE_AGGR_TGID);
		assert_int_equal(nla_put_u32(msg, TASKSTATS_TYPE_TGID, f->tgid), 0);
		assert_int_equal(nla_put(msg, TASKSTATS_TYPE_STATS, sizeof(t), &t), 0);
		nla_nest_end(msg, nest);
	}
	assert_int_equal(nla_put(msg, TASKSTATS_TYPE_NULL, 0, NULL), 0);
	h = nlmsg_hdr(msg);
	assert_true(*off + NLMSG_ALIGN(h->nlmsg_len) <= cap);
	memcpy(buf + *off, h, h->nlmsg_len);
	*off += NLMSG_ALIGN(h->nlmsg_len);
	nlmsg_free(msg);
}

/* The attributes of the first message in buf. */
static const void *attrs_of(const char *buf, size_t *len)
{
	const struct nlmsghdr *h = (const void *)buf;
	const struct genlmsghdr *g = nlmsg_data(h);

	*len = (size_t)genlmsg_attrlen(g, 0);
	return genlmsg_attrdata(g, 0);
}

static void test_parse(void **state)
{
	static char buf[4096] __attribute__((aligned(8)));
	struct agent_taskstats_rec r;
	struct fake f = {.pid = 101, .tgid = 100, .ppid = 7, .utime = 1500, .stime = 250,
			 .cpu_delay = 42, .tgid_aggregate = true};
	const void *a;
	size_t off = 0, len;

	build(buf, sizeof(buf), &off, &f);
	a = attrs_of(buf, &len);
	assert_int_equal(agent_taskstats_parse(a, len, &r), 0);
	assert_int_equal(r.pid, 101);
	assert_int_equal(r.tgid, 100);
	assert_int_equal(r.ppid, 7);
	assert_int_equal(r.utime_us, 1500); /* the thread's own, not the TGID aggregate */
	assert_int_equal(r.stime_us, 250);
	assert_int_equal(r.cpu_delay_ns, 42);
	assert_int_equal(r.hiwater_rss_kb, 1101);
	assert_string_equal(r.comm, "p101");
	assert_int_equal(r.version, TASKSTATS_VERSION);

	/* truncated attribute stream */
	assert_int_equal(agent_taskstats_parse(a, len / 3, &r) < 0, true);
}

static void test_parse_versions(void **state)
{
	static char buf[4096] __attribute__((aligned(8)));
	struct agent_taskstats_rec r;
	const void *a;
	size_t off = 0, len;
	/* an old kernel's struct ends right after ac_stime; a newer one is longer */
	struct fake old = {.pid = 5, .tgid = 5, .utime = 10, .stime = 20,
			   .stats_len = offsetof(struct taskstats, ac_stime) + 8};
	struct fake newer = {.pid = 6, .tgid = 6, .utime = 30, .stime = 40,
			     .stats_len = sizeof(struct taskstats) + 48};
	struct fake torn = {.pid = 8, .tgid = 8, .stats_len = 16};

	build(buf, sizeof(buf), &off, &old);
	a = attrs_of(buf, &len);
	assert_int_equal(agent_taskstats_parse(a, len, &r), 0);
	assert_int_equal(r.utime_us, 10);
	assert_int_equal(r.stime_us, 20);
	assert_int_equal(r.read_bytes, 0);

	off = 0;
	build(buf, sizeof(buf), &off, &newer);
	a = attrs_of(buf, &len);
	assert_int_equal(agent_taskstats_parse(a, len, &r), 0);
	assert_int_equal(r.utime_us, 30);
	assert_int_equal(r.pid, 6);

	off = 0;
	build(buf, sizeof(buf), &off, &torn);
	a = attrs_of(buf, &len);
	assert_int_equal(agent_taskstats_parse(a, len, &r), -EINVAL);
}

static char procdir[64];

static void fake_proc(pid_t pid, const char *cgroup)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", procdir, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/cgroup", procdir, (int)pid);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s", cgroup);
	fclose(f);
}

static void test_attribution(void **state)
{
	static char buf[16384] __attribute__((aligned(8)));
	struct agent_taskstats *ts;
	struct agent_taskstats_sum s1, s2;
	int owner1, owner2, owner3;
	pid_t seen[] = {300};
	size_t off = 0;
	const struct fake exits[] = {
		{.pid = 200, .tgid = 200, .ppid = 50, .utime = 1, .stime = 2},     /* main: task1 */
		{.pid = 201, .tgid = 201, .ppid = 60, .utime = 10},                 /* orphan (sv) */
		{.pid = 202, .tgid = 202, .ppid = 400, .utime = 100},               /* /proc parent */
		{.pid = 203, .tgid = 203, .ppid = 401, .utime = 1000},              /* unrelated */
		{.pid = 300, .tgid = 300, .ppid = 1, .utime = 10000},               /* known: task2 */
		{.pid = 302, .tgid = 300, .ppid = 1, .utime = 100000},              /* its thread */
		{.pid = 60, .tgid = 60, .ppid = 1, .utime = 5},                     /* supervisor */
		{.pid = 204, .tgid = 204, .ppid = 9999, .utime = 1000000},          /* own /proc */
	};

	snprintf(procdir, sizeof(procdir), "/tmp/drover-fakeproc-XXXXXX");
	assert_non_null(mkdtemp(procdir));
	fake_proc(400, "0::/r/tasks/fw/t1\n");
	fake_proc(401, "0::/r/tasks/fw/t10\n"); /* a prefix of t1's name is not t1 */
	fake_proc(204, "12:cpu:/x\n0::/r/tasks/fw/t2/sub\n");

	assert_int_equal(agent_taskstats_new(&ts), 0);
	assert_int_equal(agent_taskstats_set_proc_root(ts, procdir), 0);
	assert_int_equal(agent_taskstats_fd(ts), -1);
	assert_int_equal(agent_taskstats_track(ts, &owner1, "/r/tasks/fw/t1", 60, 200, false), 0);
	assert_int_equal(agent_taskstats_track(ts, &owner2, "/r/tasks/fw/t2", 61, 0, true), 0);
	assert_int_equal(agent_taskstats_add_pids(ts, &owner2, seen, 1), 0);
	assert_int_equal(agent_taskstats_add_pids(ts, &owner3, seen, 1), -ENOENT);
	for (size_t i = 0; i < sizeof(exits) / sizeof(exits[0]); i++)
		build(buf, sizeof(buf), &off, &exits[i]);
	assert_int_equal(agent_taskstats_feed(ts, buf, off), 8);

	assert_int_equal(agent_taskstats_untrack(ts, &owner1, &s1), 0);
	assert_int_equal(s1.threads, 3);
	assert_int_equal(s1.processes, 3);
	assert_int_equal(s1.utime_us, 111);
	assert_int_equal(s1.stime_us, 2);
	assert_false(s1.partial);
	assert_int_equal(agent_taskstats_untrack(ts, &owner1, &s1), -ENOENT);

	assert_int_equal(agent_taskstats_untrack(ts, &owner2, &s2), 0);
	assert_int_equal(s2.threads, 3);
	assert_int_equal(s2.processes, 2);
	assert_int_equal(s2.utime_us, 1110000);
	assert_true(s2.partial);
	assert_int_equal(s2.hiwater_rss_kb_max, 1000 + 302);

	/* nothing tracked: records are read and dropped */
	assert_int_equal(agent_taskstats_feed(ts, buf, off), 8);
	agent_taskstats_free(ts);
	agent_taskstats_free(NULL);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", procdir);
		assert_int_equal(system(cmd), 0);
	}
}

static void test_json(void **state)
{
	struct agent_taskstats_sum s = {.threads = 2, .processes = 1, .utime_us = 3, .stime_us = 4,
					.cpu_delay_ns = 5, .blkio_delay_ns = 6,
					.hiwater_rss_kb_max = 2};
	json_t *j = agent_taskstats_sum_json(&s, true, NULL);

	assert_int_equal(json_integer_value(json_object_get(j, "user_ns")), 3000);
	assert_int_equal(json_integer_value(json_object_get(j, "system_ns")), 4000);
	assert_int_equal(json_integer_value(json_object_get(j, "max_rss_bytes")), 2048);
	assert_int_equal(json_integer_value(json_object_get(j, "cpu_delay_ns")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "blkio_delay_ns")), 6);
	assert_string_equal(json_string_value(json_object_get(j, "delay_accounting")), "on");
	assert_null(json_object_get(j, "partial"));
	json_decref(j);

	s.partial = true;
	j = agent_taskstats_sum_json(&s, false, "off (because)");
	assert_null(json_object_get(j, "cpu_delay_ns"));
	assert_string_equal(json_string_value(json_object_get(j, "delay_accounting")),
			    "off (because)");
	assert_true(json_is_true(json_object_get(j, "partial")));
	json_decref(j);
}

static void test_delayacct_switch(void **state)
{
	char dir[64], path[128], why[300];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/drover-fakeproc-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_false(agent_taskstats_delayacct(dir, why, sizeof(why)));
	assert_non_null(strstr(why, "unavailable"));
	snprintf(path, sizeof(path), "%s/sys", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel/task_delayacct", dir);
	f = fopen(path, "w");
	fputs("0\n", f);
	fclose(f);
	assert_false(agent_taskstats_delayacct(dir, why, sizeof(why)));
	assert_non_null(strstr(why, "task_delayacct is 0"));
	f = fopen(path, "w");
	fputs("1\n", f);
	fclose(f);
	assert_true(agent_taskstats_delayacct(dir, why, sizeof(why)));
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/* The real socket: a child that burns ~50 ms of CPU is accounted when it exits. */
static void test_live(void **state)
{
	struct agent_taskstats *ts = NULL;
	struct agent_taskstats_sum s = {0};
	char err[512];
	int owner, r;
	pid_t pid;

	r = agent_taskstats_open(&ts, err, sizeof(err));
	if (r < 0) {
		printf("# SKIP: no taskstats here: %s\n", err);
		skip();
	}
	assert_true(agent_taskstats_fd(ts) >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec a, b;
		volatile unsigned long x = 0;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		do {
			for (int i = 0; i < 100000; i++)
				x += (unsigned long)i;
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		} while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 50000000L);
		_exit(0);
	}
	/* the parent (us) is known: the child is attributed through its ppid */
	assert_int_equal(agent_taskstats_track(ts, &owner, NULL, 0, getpid(), false), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* the exit record is queued before the child becomes a zombie we can reap */
	assert_true(agent_taskstats_receive(ts) >= 1);
	assert_int_equal(agent_taskstats_untrack(ts, &owner, &s), 0);
	printf("# child: %llu thread(s), user %llu us, system %llu us\n",
	       (unsigned long long)s.threads, (unsigned long long)s.utime_us,
	       (unsigned long long)s.stime_us);
	assert_int_equal(s.threads, 1);
	assert_true(s.utime_us + s.stime_us >= 20000);
	agent_taskstats_free(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_versions),
		cmocka_unit_test(test_attribution),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_delayacct_switch),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
