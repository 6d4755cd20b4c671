// SPDX-License-Identifier: Apache-2.0
/*
 * What the agent detects when --resources is not given: the cpu-list parser behind the
 * cpuset count, and agent_cgroup_cpuset_effective() walking from the agent's cgroup up to
 * the mount (against a tmpdir shaped like a cgroup tree).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/cgroup.h"

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int opendir_fd(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void test_cpuset_walk(void **state)
{
	char base[64], p[256], *text = NULL;
	struct agent_cgroup cg = {.agent_fd = -1, .root_fd = -1, .supervisor_fd = -1,
				  .tasks_fd = -1};

	snprintf(base, sizeof(base), "/tmp/drover-cgtree-XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(p, sizeof(p), "%s/outer", base);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/outer/drover.slice", base);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/outer/drover.slice/agent", base);
	mkdir(p, 0755);
	cg.root = "outer/drover.slice";
	cg.mount_fd = opendir_fd(base);
	snprintf(p, sizeof(p), "%s/outer/drover.slice", base);
	cg.root_fd = opendir_fd(p);
	snprintf(p, sizeof(p), "%s/outer/drover.slice/agent", base);
	cg.agent_fd = opendir_fd(p);

	/* nowhere on the path */
	assert_int_equal(agent_cgroup_cpuset_effective(&cg, &text), -ENOENT);
	/* only the mount (the root cgroup) */
	put(base, "cpuset.cpus.effective", "0-7\n");
	assert_int_equal(agent_cgroup_cpuset_effective(&cg, &text), 0);
	assert_string_equal(text, "0-7\n");
	free(text);
	/* an ancestor between the mount and the root wins over the mount */
	snprintf(p, sizeof(p), "%s/outer", base);
	put(p, "cpuset.cpus.effective", "2-3\n");
	assert_int_equal(agent_cgroup_cpuset_effective(&cg, &text), 0);
	assert_string_equal(text, "2-3\n");
	assert_int_equal(cgroupfs_cpulist_count(text), 2);
	free(text);
	/* the agent's own cgroup wins over all */
	snprintf(p, sizeof(p), "%s/outer/drover.slice/agent", base);
	put(p, "cpuset.cpus.effective", "3\n");
	assert_int_equal(agent_cgroup_cpuset_effective(&cg, &text), 0);
	assert_string_equal(text, "3\n");
	free(text);

	close(cg.mount_fd);
	close(cg.root_fd);
	close(cg.agent_fd);
	snprintf(p, sizeof(p), "rm -rf '%s'", base);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuset_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
