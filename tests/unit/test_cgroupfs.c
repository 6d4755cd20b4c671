// SPDX-License-Identifier: Apache-2.0
/*
 * lib/cgroupfs: the cgroupfs and /proc parsers the agent and the CLI share (the agent's
 * wrappers of the same names with agent_ are exercised by test_agent_cgroup).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "cgroupfs.h"

/* A hybrid host: cgroup v1 for the controllers, cgroup2 at /sys/fs/cgroup/unified. */
static const char hybrid_mountinfo[] =
	"22 1 0:21 / / rw,relatime - overlay overlay rw\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void test_mountinfo(void **state)
{
	char *p = NULL;

	assert_int_equal(cgroupfs_mountinfo_find_cgroup2(hybrid_mountinfo, &p), 0);
	assert_string_equal(p, "/sys/fs/cgroup/unified");
	free(p);
	/* "cpu" is not "cpuacct" */
	assert_int_equal(cgroupfs_mountinfo_find_v1(hybrid_mountinfo, "cpu", &p), 0);
	assert_string_equal(p, "/sys/fs/cgroup/cpu");
	free(p);
	assert_int_equal(cgroupfs_mountinfo_find_v1(hybrid_mountinfo, "memory", &p), -ENOENT);
	/* optional fields, an escaped space */
	assert_int_equal(
		cgroupfs_mountinfo_find_cgroup2(
			"25 21 0:22 / /mnt/my\\040cg rw shared:4 master:1 - cgroup2 none rw", &p),
		0);
	assert_string_equal(p, "/mnt/my cg");
	free(p);
	assert_int_equal(cgroupfs_mountinfo_find_cgroup2("garbage\n\n", &p), -ENOENT);
	assert_int_equal(cgroupfs_mountinfo_find_cgroup2("", &p), -ENOENT);
	assert_int_equal(cgroupfs_mountinfo_find_cgroup2(NULL, &p), -ENOENT);
}

static void test_proc_cgroups(void **state)
{
	static const char text[] = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
				   "cpu\t1\t1\t1\n"
				   "hugetlb\t0\t1\t0\n"
				   "pids\tx\n";
	unsigned hier = 9;
	bool en = false;

	assert_int_equal(cgroupfs_proc_cgroups_lookup(text, "cpu", &hier, &en), 0);
	assert_int_equal(hier, 1);
	assert_true(en);
	assert_int_equal(cgroupfs_proc_cgroups_lookup(text, "hugetlb", &hier, &en), 0);
	assert_int_equal(hier, 0);
	assert_false(en);
	assert_int_equal(cgroupfs_proc_cgroups_lookup(text, "pids", &hier, &en), -EINVAL);
	assert_int_equal(cgroupfs_proc_cgroups_lookup(text, "rdma", &hier, &en), -ENOENT);
	assert_int_equal(cgroupfs_proc_cgroups_lookup(text, "subsys_name", &hier, &en), -ENOENT);
}

static void test_keyed_and_events(void **state)
{
	uint64_t v;
	int pop, fr;

	assert_int_equal(cgroupfs_keyed_get("a 1\nab 2\nb max\n", "ab", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(cgroupfs_keyed_get("a 1\nab 2\nb max\n", "b", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(cgroupfs_keyed_get("a 1\n", "c", &v), -ENOENT);
	assert_int_equal(cgroupfs_keyed_get("a x\n", "a", &v), -EINVAL);
	assert_int_equal(cgroupfs_events_parse("populated 1\nfrozen 0\n", &pop, &fr), 0);
	assert_int_equal(pop, 1);
	assert_int_equal(fr, 0);
	assert_int_equal(cgroupfs_events_parse("populated 0\n", &pop, &fr), 0);
	assert_int_equal(pop, 0);
	assert_int_equal(fr, -1);
	assert_int_equal(cgroupfs_events_parse("populated 2\n", &pop, &fr), -EINVAL);
	assert_int_equal(cgroupfs_events_parse("frozen 1\n", &pop, &fr), -ENOENT);
}

static void test_cpulist(void **state)
{
	assert_int_equal(cgroupfs_cpulist_count("0\n"), 1);
	assert_int_equal(cgroupfs_cpulist_count("0-3\n"), 4);
	assert_int_equal(cgroupfs_cpulist_count("0-3,8,10-11\n"), 7);
	assert_int_equal(cgroupfs_cpulist_count("5"), 1);
	assert_int_equal(cgroupfs_cpulist_count("\n"), 0);
	assert_int_equal(cgroupfs_cpulist_count(""), 0);
	assert_int_equal(cgroupfs_cpulist_count("3-1"), -EINVAL);
	assert_int_equal(cgroupfs_cpulist_count("a"), -EINVAL);
	assert_int_equal(cgroupfs_cpulist_count("0-"), -EINVAL);
	assert_int_equal(cgroupfs_cpulist_count("1;2"), -EINVAL);
	assert_int_equal(cgroupfs_cpulist_count("0-99999999"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_proc_cgroups),
		cmocka_unit_test(test_keyed_and_events),
		cmocka_unit_test(test_cpulist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
