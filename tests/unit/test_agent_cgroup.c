// SPDX-License-Identifier: Apache-2.0
/*
 * agentd cgroup runtime without root: the parsers, task-ID validation, the limit mapping,
 * the exit-status record and outcome, and the dir-fd cgroup code against a tmpdir that
 * holds hand-made cgroup.* files.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/cgroup.h"
#include "agentd/isolator.h"
#include "agentd/launch.h"
#include "agentd/supervisor.h"
#include "strv.h"
#include "util.h"

/* This development host: cgroup v1 for the controllers, cgroup2 at /sys/fs/cgroup/unified. */
static const char hybrid_mountinfo[] =
	"22 1 0:21 / / rw,relatime - overlay overlay rw\n"
	"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
	"38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static const char hybrid_proc_cgroups[] =
	"#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
	"cpuset\t3\t1\t1\n"
	"cpu\t1\t1\t1\n"
	"cpuacct\t2\t1\t1\n"
	"blkio\t7\t1\t1\n"
	"memory\t4\t20\t1\n"
	"hugetlb\t0\t1\t1\n"
	"pids\t8\t1\t1\n";

/* ---------------------------------------------------------------- parsers */

static void test_mountinfo(void **state)
{
	char *p = NULL;

	assert_int_equal(cgroupfs_mountinfo_find_cgroup2(hybrid_mountinfo, &p), 0);
	assert_string_equal(p, "/sys/fs/cgroup/unified");
	free(p);
	/* "cpu" is not "cpuacct" or "cpuset" */
	assert_int_equal(cgroupfs_mountinfo_find_v1(hybrid_mountinfo, "cpu", &p), 0);
	assert_string_equal(p, "/sys/fs/cgroup/cpu");
	free(p);
	assert_int_equal(cgroupfs_mountinfo_find_v1(hybrid_mountinfo, "pids", &p), 0);
	assert_string_equal(p, "/sys/fs/cgroup/pids");
	free(p);
	assert_int_equal(cgroupfs_mountinfo_find_v1(hybrid_mountinfo, "io", &p), -ENOENT);
	/* unified host, optional fields, an escaped space */
	assert_int_equal(cgroupfs_mountinfo_find_cgroup2(
				 "25 21 0:22 / /sys/fs/cgroup rw,nosuid shared:4 master:1 - cgroup2 cgroup2 rw,nsdelegate\n",
				 &p),
			 0);
	assert_string_equal(p, "/sys/fs/cgroup");
	free(p);
	assert_int_equal(cgroupfs_mountinfo_find_cgroup2(
				 "25 21 0:22 / /mnt/my\\040cg rw - cgroup2 none rw", &p),
			 0);
	assert_string_equal(p, "/mnt/my cg");
	free(p);
	assert_int_equal(cgroupfs_mountinfo_find_cgroup2("22 1 0:21 / / rw - ext4 /dev/sda rw\n", &p),
			 -ENOENT);
	assert_int_equal(cgroupfs_mountinfo_find_cgroup2("garbage\n\n", &p), -ENOENT);
	assert_int_equal(cgroupfs_mountinfo_find_cgroup2("", &p), -ENOENT);
}

static void test_controllers_parse(void **state)
{
	unsigned hier;
	bool en;

	assert_int_equal(agent_ctrl_mask_parse("cpuset cpu io memory hugetlb pids rdma misc\n"),
			 AGENT_CTRL_BIT(AGENT_CTRL_CPU) | AGENT_CTRL_BIT(AGENT_CTRL_MEMORY) |
				 AGENT_CTRL_BIT(AGENT_CTRL_PIDS) | AGENT_CTRL_BIT(AGENT_CTRL_IO) |
				 AGENT_CTRL_BIT(AGENT_CTRL_CPUSET));
	assert_int_equal(agent_ctrl_mask_parse("hugetlb\n"), 0);
	assert_int_equal(agent_ctrl_mask_parse(""), 0);
	assert_int_equal(agent_ctrl_mask_parse("cpuacct"), 0);
	assert_int_equal(cgroupfs_proc_cgroups_lookup(hybrid_proc_cgroups, "cpu", &hier, &en), 0);
	assert_int_equal(hier, 1);
	assert_true(en);
	assert_int_equal(cgroupfs_proc_cgroups_lookup(hybrid_proc_cgroups, "hugetlb", &hier, &en), 0);
	assert_int_equal(hier, 0);
	assert_int_equal(cgroupfs_proc_cgroups_lookup(hybrid_proc_cgroups, "rdma", &hier, &en), -ENOENT);
	assert_int_equal(agent_ctrl_from_name("memory"), AGENT_CTRL_MEMORY);
	assert_int_equal(agent_ctrl_from_name("cpuacct"), -ENOENT);
}

static void test_usage_parsers(void **state)
{
	struct agent_task_usage u = {0};
	uint64_t v;

	/* without the cpu controller: the core lines only */
	assert_int_equal(agent_cpu_stat_parse("usage_usec 4007136\nuser_usec 3000000\nsystem_usec 1007136\n"
					      "core_sched.force_idle_usec 0\n",
					      &u),
			 0);
	assert_int_equal(u.cpu_usage_usec, 4007136);
	assert_int_equal(u.cpu_system_usec, 1007136);
	assert_true(u.valid & AGENT_USAGE_CPU);
	assert_false(u.valid & AGENT_USAGE_CPU_THROTTLE);
	memset(&u, 0, sizeof(u));
	assert_int_equal(agent_cpu_stat_parse("usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 50\n"
					      "nr_throttled 7\nthrottled_usec 12345\nnr_bursts 0\nburst_usec 0\n",
					      &u),
			 0);
	assert_true(u.valid & AGENT_USAGE_CPU_THROTTLE);
	assert_int_equal(u.cpu_nr_throttled, 7);
	assert_int_equal(u.cpu_throttled_usec, 12345);
	assert_int_equal(agent_cpu_stat_parse("user_usec 1\n", &u), -ENOENT);

	memset(&u, 0, sizeof(u));
	assert_int_equal(agent_memory_events_parse("low 0\nhigh 12\nmax 30\noom 2\noom_kill 1\noom_group_kill 0\n", &u),
			 0);
	assert_int_equal(u.mem_events_high, 12);
	assert_int_equal(u.mem_events_max, 30);
	assert_int_equal(u.mem_events_oom, 2);
	assert_int_equal(u.mem_events_oom_kill, 1);
	assert_int_equal(agent_u64_parse("123\n", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(agent_u64_parse("max\n", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(agent_u64_parse("-1\n", &v), -EINVAL);
	assert_int_equal(agent_u64_parse("12x\n", &v), -EINVAL);
}

/* ---------------------------------------------------------------- IDs */

static void test_task_id(void **state)
{
	char big[AGENT_ID_MAX + 2];

	assert_true(agent_task_id_valid("task-1"));
	assert_true(agent_task_id_valid("my task.v2_ü"));
	assert_true(agent_task_id_valid("..."));
	assert_true(agent_task_id_valid(".hidden"));
	assert_false(agent_task_id_valid(NULL));
	assert_false(agent_task_id_valid(""));
	assert_false(agent_task_id_valid("."));
	assert_false(agent_task_id_valid(".."));
	assert_false(agent_task_id_valid("a/b"));
	assert_false(agent_task_id_valid("/"));
	assert_false(agent_task_id_valid("a\nb"));
	assert_false(agent_task_id_valid("tab\there"));
	assert_false(agent_task_id_valid("del\x7f"));
	assert_false(agent_task_id_valid_n("a\0b", 3));
	assert_true(agent_task_id_valid_n("ab", 2));
	memset(big, 'x', sizeof(big));
	big[AGENT_ID_MAX] = '\0';
	assert_true(agent_task_id_valid(big));
	big[AGENT_ID_MAX] = 'x';
	big[AGENT_ID_MAX + 1] = '\0';
	assert_false(agent_task_id_valid(big));
}

/* ---------------------------------------------------------------- limits */

static void test_cpu_limits(void **state)
{
	char buf[64];

	assert_int_equal(agent_cpu_weight(1), 100);
	assert_int_equal(agent_cpu_weight(2.5), 250);
	assert_int_equal(agent_cpu_weight(0.001), 1);
	assert_int_equal(agent_cpu_weight(0), 100);
	assert_int_equal(agent_cpu_weight(1000), 10000);
	assert_int_equal(agent_cpu_max_format(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "max 100000");
	assert_int_equal(agent_cpu_max_format(INFINITY, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "max 100000");
	assert_int_equal(agent_cpu_max_format(0.5, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "50000 100000");
	assert_int_equal(agent_cpu_max_format(2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "200000 100000");
	assert_int_equal(agent_cpu_max_format(0.001, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1000 100000");
	assert_int_equal(agent_cpu_max_format(-1, buf, sizeof(buf)), -EINVAL);
}

static void test_memory_limits(void **state)
{
	struct agent_task_limits lim = {.mem_bytes = 1ULL << 30};
	uint64_t max, high;

	assert_int_equal(agent_memory_limits(&lim, &max, &high), 0);
	assert_int_equal(max, 1ULL << 30);
	assert_int_equal(high, (1ULL << 30) - (1ULL << 26));
	lim.mem_limit_bytes = 2ULL << 30;
	assert_int_equal(agent_memory_limits(&lim, &max, &high), 0);
	assert_int_equal(max, 2ULL << 30);
	lim.mem_limit_bytes = AGENT_MEM_UNLIMITED;
	assert_int_equal(agent_memory_limits(&lim, &max, &high), 0);
	assert_true(max == UINT64_MAX && high == UINT64_MAX);
	lim = (struct agent_task_limits){.mem_bytes = 100 * 1000 * 1000 + 1};
	assert_int_equal(agent_memory_limits(&lim, &max, &high), 0);
	assert_int_equal(high % 4096, 0);
	assert_true(high < max);
}

static void test_limits_check(void **state)
{
	char err[256];
	struct agent_task_limits ok = {.cpus = 1, .cpus_limit = 2, .mem_bytes = 64 << 20};
	struct agent_task_limits bad;

	assert_int_equal(agent_task_limits_check(&ok, err, sizeof(err)), 0);
	bad = ok;
	bad.cpus = NAN;
	assert_int_equal(agent_task_limits_check(&bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cpus"));
	bad = ok;
	bad.cpus = 1e12;
	assert_int_equal(agent_task_limits_check(&bad, err, sizeof(err)), -EINVAL);
	bad = ok;
	bad.cpus_limit = 0.5;
	assert_int_equal(agent_task_limits_check(&bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "below"));
	bad = ok;
	bad.mem_bytes = 1000;
	assert_int_equal(agent_task_limits_check(&bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "mem"));
	bad = ok;
	bad.mem_bytes = UINT64_MAX / 2;
	assert_int_equal(agent_task_limits_check(&bad, err, sizeof(err)), -EINVAL);
	bad = ok;
	bad.pids_max = 1ULL << 40;
	assert_int_equal(agent_task_limits_check(&bad, err, sizeof(err)), -EINVAL);
}

/* ---------------------------------------------------------------- tmpdir cgroups */

struct fake {
	char dir[64];
	int fd;
};

static void put(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char *get(int dirfd, const char *name)
{
	char *text = NULL;

	assert_true(agent_read_fileat(dirfd, name, &text) >= 0);
	return text;
}

static void assert_file(int dirfd, const char *name, const char *want)
{
	_cleanup_free_ char *text = get(dirfd, name);

	assert_string_equal(text, want);
}

/* A cgroup directory as the kernel would show it, with `controllers` in cgroup.controllers. */
static int fake_cgroup(int parent, const char *name, const char *controllers)
{
	int fd;

	if (name) {
		assert_true(mkdirat(parent, name, 0755) == 0 || errno == EEXIST);
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		fd = fcntl(parent, F_DUPFD_CLOEXEC, 3);
	}
	assert_true(fd >= 0);
	put(fd, "cgroup.controllers", controllers);
	put(fd, "cgroup.subtree_control", "");
	put(fd, "cgroup.procs", "");
	return fd;
}

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/drover-cg-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->fd >= 0);
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;
	char cmd[128];

	close(f->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_setup_unified(void **state)
{
	struct fake *f = *state;
	struct agent_cgroup cg;
	char err[512] = "", buf[512];
	int root, tasks;

	close(fake_cgroup(f->fd, NULL, "cpuset cpu io memory hugetlb pids\n"));
	root = fake_cgroup(f->fd, "drover.slice", "cpu memory pids\n");
	tasks = fake_cgroup(root, "tasks", "cpu memory pids\n");
	close(fake_cgroup(root, "agent", ""));
	close(tasks);
	close(root);
	assert_int_equal(agent_cgroup_setup(fcntl(f->fd, F_DUPFD_CLOEXEC, 3), f->dir, "drover.slice",
					    AGENT_CTRL_WANTED, 4242, NULL, NULL, &cg, err, sizeof(err)),
			 0);
	assert_int_equal(cg.report.available, AGENT_CTRL_WANTED);
	/* the agent's pid went into agent/, the controllers were enabled one by one */
	assert_file(cg.agent_fd, "cgroup.procs", "4242");
	assert_int_equal(agent_cgroup_check_strict(&cg.report, buf, sizeof(buf)), 0);
	assert_true(agent_cgroup_report_format(&cg.report, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "cpu: available; memory: available; pids: available");
	assert_int_equal(faccessat(cg.root_fd, "supervisor", F_OK, 0), 0);
	agent_cgroup_done(&cg);
	agent_cgroup_done(&cg); /* idempotent */
}

static void test_setup_hybrid(void **state)
{
	struct fake *f = *state;
	struct agent_cgroup cg;
	char err[512] = "", buf[1024];

	/* like this host: only hugetlb in the v2 root; the root is two levels down */
	close(fake_cgroup(f->fd, NULL, "hugetlb\n"));
	close(fake_cgroup(f->fd, "a", ""));
	{
		int a = openat(f->fd, "a", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int root = fake_cgroup(a, "drover.slice", "");

		close(fake_cgroup(root, "tasks", ""));
		close(root);
		close(a);
	}
	assert_int_equal(agent_cgroup_setup(fcntl(f->fd, F_DUPFD_CLOEXEC, 3), "/sys/fs/cgroup/unified",
					    "a/drover.slice", AGENT_CTRL_WANTED, 0, hybrid_mountinfo,
					    hybrid_proc_cgroups, &cg, err, sizeof(err)),
			 0);
	assert_int_equal(cg.report.available, 0);
	assert_int_equal(cg.report.ctrl[AGENT_CTRL_CPU].why, AGENT_CTRL_V1_BOUND);
	assert_int_equal(agent_ctrl_describe(&cg.report, AGENT_CTRL_CPU, buf, sizeof(buf)) > 0, 1);
	assert_string_equal(buf, "cpu: missing (bound to a cgroup v1 hierarchy at /sys/fs/cgroup/cpu)");
	agent_ctrl_describe(&cg.report, AGENT_CTRL_PIDS, buf, sizeof(buf));
	assert_string_equal(buf, "pids: missing (bound to a cgroup v1 hierarchy at /sys/fs/cgroup/pids)");
	assert_int_equal(agent_cgroup_check_strict(&cg.report, buf, sizeof(buf)), -EOPNOTSUPP);
	assert_string_equal(buf, "--enforce strict needs the cpu and memory controllers: "
				 "cpu: missing (bound to a cgroup v1 hierarchy at /sys/fs/cgroup/cpu); "
				 "memory: missing (bound to a cgroup v1 hierarchy at /sys/fs/cgroup/memory)");
	agent_cgroup_done(&cg);

	/* unbound but not offered by the parent: the parent is named */
	assert_int_equal(agent_cgroup_setup(fcntl(f->fd, F_DUPFD_CLOEXEC, 3), "/cg", "a/drover.slice",
					    AGENT_CTRL_WANTED, 0, "", "#x\ncpu\t0\t1\t1\nmemory\t0\t1\t0\n",
					    &cg, err, sizeof(err)),
			 0);
	agent_ctrl_describe(&cg.report, AGENT_CTRL_CPU, buf, sizeof(buf));
	assert_string_equal(buf, "cpu: missing (not in cgroup.controllers of /cg)");
	agent_ctrl_describe(&cg.report, AGENT_CTRL_MEMORY, buf, sizeof(buf));
	assert_string_equal(buf, "memory: missing (disabled on the kernel command line, cgroup_disable=memory)");
	agent_ctrl_describe(&cg.report, AGENT_CTRL_PIDS, buf, sizeof(buf));
	assert_string_equal(buf, "pids: missing (not built into this kernel: absent from /proc/cgroups)");
	agent_cgroup_done(&cg);

	cg.report.ctrl[AGENT_CTRL_IO] = (struct agent_ctrl_state){AGENT_CTRL_ENABLE_FAILED, EBUSY, "/cg/x"};
	agent_ctrl_describe(&cg.report, AGENT_CTRL_IO, buf, sizeof(buf));
	assert_string_equal(buf, "io: missing (cannot enable it in /cg/x/cgroup.subtree_control: Device or resource busy)");

	assert_int_equal(agent_cgroup_setup(fcntl(f->fd, F_DUPFD_CLOEXEC, 3), "/cg", "../x", 0, 0,
					    NULL, NULL, &cg, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'../x'"));
	assert_int_equal(agent_cgroup_setup(fcntl(f->fd, F_DUPFD_CLOEXEC, 3), "/cg", "/abs", 0, 0,
					    NULL, NULL, &cg, err, sizeof(err)),
			 -EINVAL);
}

static void test_task_leaves(void **state)
{
	struct fake *f = *state;
	struct agent_cgroup cg;
	char err[512], **list = NULL;
	int leaf = -1, leaf2 = -1;

	close(fake_cgroup(f->fd, NULL, ""));
	assert_int_equal(agent_cgroup_setup(fcntl(f->fd, F_DUPFD_CLOEXEC, 3), f->dir, "drover.slice",
					    AGENT_CTRL_WANTED, 0, NULL, NULL, &cg, err, sizeof(err)),
			 -ENOENT); /* mkdir in a tmpdir makes no cgroup.controllers */
	{
		int root = fake_cgroup(f->fd, "drover.slice", "");

		close(fake_cgroup(root, "tasks", ""));
		close(root);
	}
	assert_int_equal(agent_cgroup_setup(fcntl(f->fd, F_DUPFD_CLOEXEC, 3), f->dir, "drover.slice",
					    AGENT_CTRL_WANTED, 0, NULL, NULL, &cg, err, sizeof(err)),
			 0);
	assert_int_equal(agent_cgroup_task_create(&cg, "fw-1", "task-1", &leaf), 0);
	assert_int_equal(agent_cgroup_task_create(&cg, "fw-1", "task-2", &leaf2), 0);
	assert_int_equal(agent_cgroup_task_create(&cg, "fw-1", "task-1", &leaf), -EEXIST);
	assert_int_equal(agent_cgroup_task_create(&cg, "fw-1", "..", &leaf), -EINVAL);
	assert_int_equal(agent_cgroup_task_create(&cg, "a/b", "t", &leaf), -EINVAL);
	assert_int_equal(agent_cgroup_task_create(&cg, "fw", "x\ny", &leaf), -EINVAL);
	assert_int_equal(agent_cgroup_task_list(&cg, &list), 2);
	assert_true((streq(list[0], "fw-1/task-1") && streq(list[1], "fw-1/task-2")) ||
		    (streq(list[1], "fw-1/task-1") && streq(list[0], "fw-1/task-2")));
	strv_free(list);
	/* populated, procs, events in a leaf */
	put(leaf, "cgroup.events", "populated 0\nfrozen 0\n");
	put(leaf, "cgroup.procs", "12\n34\n");
	assert_int_equal(agent_cgroup_populated(leaf), 0);
	assert_int_equal(agent_cgroup_wait_empty(leaf, 10), 0);
	{
		pid_t *pids = NULL;
		size_t n = 0;

		assert_int_equal(agent_cgroup_procs(leaf, &pids, &n), 2);
		assert_int_equal(pids[0], 12);
		assert_int_equal(pids[1], 34);
		free(pids);
	}
	unlinkat(leaf, "cgroup.events", 0);
	unlinkat(leaf, "cgroup.procs", 0);
	close(leaf);
	close(leaf2);
	assert_int_equal(agent_cgroup_task_remove(&cg, "fw-1", "task-1"), 0);
	assert_int_equal(faccessat(cg.tasks_fd, "fw-1", F_OK, 0), 0); /* task-2 keeps it */
	assert_int_equal(agent_cgroup_task_remove(&cg, "fw-1", "task-2"), 0);
	assert_int_equal(faccessat(cg.tasks_fd, "fw-1", F_OK, 0), -1); /* went with its last */
	assert_int_equal(agent_cgroup_task_remove(&cg, "fw-1", "task-2"), 0); /* idempotent */
	assert_int_equal(agent_cgroup_task_list(&cg, &list), 0);
	assert_null(list[0]);
	strv_free(list);
	agent_cgroup_done(&cg);
}

static int fake_leaf(int dirfd)
{
	int leaf = fake_cgroup(dirfd, "leaf", "");

	put(leaf, "cpu.weight", "");
	put(leaf, "cpu.max", "");
	put(leaf, "memory.max", "");
	put(leaf, "memory.high", "");
	put(leaf, "memory.swap.max", "");
	put(leaf, "pids.max", "");
	return leaf;
}

static void test_isolators(void **state)
{
	struct fake *f = *state;
	struct agent_isolator_ctx ctx = {.strict = true, .available = AGENT_CTRL_WANTED,
					 .pids_max_default = 4096};
	struct agent_task_limits lim = {.cpus = 1.5, .cpus_limit = 2, .mem_bytes = 256 << 20};
	struct agent_isolation iso;
	struct agent_task_usage u;
	char err[512];
	int leaf = fake_leaf(f->fd);

	assert_int_equal(agent_isolators_prepare(&ctx, leaf, &lim, &iso, err, sizeof(err)), 0);
	assert_int_equal(iso.applied, AGENT_CTRL_WANTED);
	assert_int_equal(iso.skipped, 0);
	assert_file(leaf, "cpu.weight", "150");
	assert_file(leaf, "cpu.max", "200000 100000");
	assert_file(leaf, "memory.max", "268435456");
	assert_file(leaf, "memory.high", "251658240");
	assert_file(leaf, "memory.swap.max", "0");
	assert_file(leaf, "pids.max", "4096");

	/* strict without the controllers: the launch fails and says which */
	ctx.available = 0;
	assert_int_equal(agent_isolators_prepare(&ctx, leaf, &lim, &iso, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_string_equal(err, "cannot enforce the CPU share and limit: the cpu controller is not available");
	ctx.available = AGENT_CTRL_BIT(AGENT_CTRL_CPU);
	assert_int_equal(agent_isolators_prepare(&ctx, leaf, &lim, &iso, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_string_equal(err, "cannot enforce the memory limit: the memory controller is not available");
	/* strict: the default pids.max is best-effort, an explicit one is not */
	ctx.available = AGENT_CTRL_REQUIRED;
	assert_int_equal(agent_isolators_prepare(&ctx, leaf, &lim, &iso, err, sizeof(err)), 0);
	assert_int_equal(iso.skipped, AGENT_CTRL_BIT(AGENT_CTRL_PIDS));
	lim.pids_max = 10;
	assert_int_equal(agent_isolators_prepare(&ctx, leaf, &lim, &iso, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "pids"));

	/* best-effort: skipped and reported */
	ctx.strict = false;
	ctx.available = 0;
	assert_int_equal(agent_isolators_prepare(&ctx, leaf, &lim, &iso, err, sizeof(err)), 0);
	assert_int_equal(iso.applied, 0);
	assert_int_equal(iso.skipped, AGENT_CTRL_WANTED);
	assert_string_equal(iso.note, "cpu limits not enforced (the cpu controller is missing); "
				      "memory limits not enforced (the memory controller is missing); "
				      "pids limits not enforced (the pids controller is missing)");
	/* a failed write on a present controller fails in best-effort mode too */
	ctx.available = AGENT_CTRL_WANTED;
	unlinkat(leaf, "memory.max", 0);
	assert_int_equal(agent_isolators_prepare(&ctx, leaf, &lim, &iso, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "memory.max"));
	/* absurd values never reach a file */
	lim.cpus = -3;
	assert_int_equal(agent_isolators_prepare(&ctx, leaf, &lim, &iso, err, sizeof(err)), -EINVAL);

	put(leaf, "cpu.stat", "usage_usec 300\nuser_usec 200\nsystem_usec 100\n");
	put(leaf, "memory.current", "1048576\n");
	put(leaf, "memory.max", "max\n");
	put(leaf, "memory.peak", "2097152\n");
	put(leaf, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
	put(leaf, "pids.current", "3\n");
	assert_int_equal(agent_isolators_usage(&ctx, leaf, 0, &u), 0);
	assert_int_equal(u.valid, AGENT_USAGE_CPU | AGENT_USAGE_MEM | AGENT_USAGE_MEM_PEAK |
					  AGENT_USAGE_MEM_EVENTS | AGENT_USAGE_PIDS);
	assert_int_equal(u.cpu_usage_usec, 300);
	assert_int_equal(u.mem_current, 1048576);
	assert_int_equal(u.mem_peak, 2097152);
	assert_true(u.mem_max_limit == UINT64_MAX);
	assert_int_equal(u.mem_events_oom_kill, 1);
	assert_int_equal(u.pids_current, 3);
	close(leaf);
}

/* ---------------------------------------------------------------- exit status */

static void test_exit_record(void **state)
{
	struct agent_exit_record r = {.how = AGENT_EXIT_SIGNALED, .code = 9, .core_dumped = true,
				      .task_pid = 1234, .utime_us = 5, .stime_us = 6,
				      .maxrss_kb = 7, .time_ns = 1700000000000000000ULL};
	struct agent_exit_record back;
	char buf[512];

	assert_true(agent_exit_record_format(&r, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "drover-exit-status 1\nhow signaled\ncode 9\ncore 1\ntask_pid 1234\n"
				 "utime_us 5\nstime_us 6\nmaxrss_kb 7\ntime_ns 1700000000000000000\n");
	assert_int_equal(agent_exit_record_parse(buf, &back), 0);
	assert_memory_equal(&r, &back, sizeof(r));
	r = (struct agent_exit_record){.how = AGENT_EXIT_LAUNCH_FAILED, .code = ENOENT,
				       .stage = AGENT_LAUNCH_EXEC};
	assert_true(agent_exit_record_format(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "stage exec\n"));
	assert_int_equal(agent_exit_record_parse(buf, &back), 0);
	assert_int_equal(back.how, AGENT_EXIT_LAUNCH_FAILED);
	assert_int_equal(back.stage, AGENT_LAUNCH_EXEC);
	assert_int_equal(agent_exit_record_format(&r, buf, 20), -ENOBUFS);
	assert_int_equal(agent_exit_record_parse("how exited\ncode 1\n", &back), -EINVAL);
	assert_int_equal(agent_exit_record_parse("drover-exit-status 1\nhow bored\ncode 1\n", &back),
			 -EINVAL);
	assert_int_equal(agent_exit_record_parse("drover-exit-status 2\nhow exited\ncode 1\n", &back),
			 -EINVAL);
}

static void test_outcome(void **state)
{
	struct agent_exit_record r = {.how = AGENT_EXIT_EXITED, .code = 0};
	struct agent_task_usage u = {.valid = AGENT_USAGE_MEM | AGENT_USAGE_MEM_PEAK |
					      AGENT_USAGE_MEM_EVENTS,
				     .mem_peak = 300ULL << 20, .mem_max_limit = 256ULL << 20,
				     .mem_events_oom_kill = 1};
	struct agent_task_outcome o;

	agent_task_outcome(&r, false, NULL, &o);
	assert_int_equal(o.state, AGENT_TASK_FINISHED);
	assert_int_equal(o.state, AGENT_TASK_FINISHED);
	assert_null(o.reason);
	r.code = 3;
	agent_task_outcome(&r, false, NULL, &o);
	assert_int_equal(o.state, AGENT_TASK_FAILED);
	assert_string_equal(o.message, "exited with status 3");
	r = (struct agent_exit_record){.how = AGENT_EXIT_SIGNALED, .code = 9};
	agent_task_outcome(&r, false, NULL, &o);
	assert_string_equal(o.message, "killed by signal 9 (SIGKILL)");
	agent_task_outcome(&r, false, &u, &o);
	assert_int_equal(o.state, AGENT_TASK_FAILED);
	assert_string_equal(o.reason, "REASON_CONTAINER_LIMITATION_MEMORY");
	assert_string_equal(o.message, "memory limit exceeded: 1 process OOM-killed (peak 300.0 MiB, "
				       "limit 256.0 MiB); killed by signal 9 (SIGKILL)");
	agent_task_outcome(&r, true, &u, &o);
	assert_int_equal(o.state, AGENT_TASK_KILLED);
	assert_int_equal(o.state, AGENT_TASK_KILLED);
	agent_task_outcome(NULL, false, NULL, &o);
	assert_int_equal(o.state, AGENT_TASK_FAILED);
	assert_string_equal(o.reason, "REASON_EXECUTOR_TERMINATED");
	r = (struct agent_exit_record){.how = AGENT_EXIT_LAUNCH_FAILED, .code = ENOENT,
				       .stage = AGENT_LAUNCH_EXEC};
	agent_task_outcome(&r, false, NULL, &o);
	assert_string_equal(o.reason, "REASON_COMMAND_EXECUTOR_FAILED");
	assert_string_equal(o.message, "launch failed at exec: No such file or directory");
}

static void test_atomic_write(void **state)
{
	struct fake *f = *state;

	assert_int_equal(agent_write_file_atomic(f->fd, "rec", "one\n", 4), 0);
	assert_int_equal(agent_write_file_atomic(f->fd, "rec", "two\n", 4), 0);
	assert_file(f->fd, "rec", "two\n");
	assert_int_equal(faccessat(f->fd, ".rec.tmp", F_OK, 0), -1);
	assert_int_equal(agent_write_file_atomic(f->fd, "a/b", "x", 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_controllers_parse),
		cmocka_unit_test(test_usage_parsers),
		cmocka_unit_test(test_task_id),
		cmocka_unit_test(test_cpu_limits),
		cmocka_unit_test(test_memory_limits),
		cmocka_unit_test(test_limits_check),
		cmocka_unit_test_setup_teardown(test_setup_unified, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_setup_hybrid, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_task_leaves, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_isolators, fake_setup, fake_teardown),
		cmocka_unit_test(test_exit_record),
		cmocka_unit_test(test_outcome),
		cmocka_unit_test_setup_teardown(test_atomic_write, fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
