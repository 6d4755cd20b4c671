// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the agent's parsers of what the kernel shows under /proc and in cgroup
 * files (agentd/cgroup.c, isolator*.c): /proc/self/mountinfo, /proc/cgroups,
 * cgroup.controllers, the flat-keyed files (cgroup.events, cpu.stat, memory.events), single
 * values (memory.max, pids.current) and CPU lists (cpuset.cpus.effective). The first byte
 * picks the controller and key names asked for; the rest is the file's text, given to every
 * parser.
 *
 * Besides memory safety and UB: a found mount point is a string, a CPU count is never
 * negative but for an error, a parsed value formats back to text that parses to the same.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/cgroup.h"
#include "agentd/isolator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"cpu", "memory", "pids", "cpuset", "io", "freezer", "devices", "", "populated", "frozen",
	"usage_usec", "oom_kill", "max", "nr_periods",
};

static void check_u64(const char *text)
{
	char buf[32];
	uint64_t v, w;

	if (agent_u64_parse(text, &v) < 0)
		return;
	agent_u64_format(v, buf, sizeof(buf));
	if (agent_u64_parse(buf, &w) < 0 || w != v) {
		fprintf(stderr, "u64: '%s' came back as '%s'\n", text, buf);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_task_usage u = {0};
	const char *name;
	char *text, *path = NULL;
	unsigned hier = 0;
	bool enabled;
	uint64_t v;
	int r, pop, frozen;

	if (size < 1)
		return 0;
	name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
	text = malloc(size);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	r = cgroupfs_mountinfo_find_cgroup2(text, &path);
	if (r == 0 && !path)
		abort();
	free(path);
	path = NULL;
	if (r < 0 && r != -ENOENT && r != -ENOMEM)
		abort();
	r = cgroupfs_mountinfo_find_v1(text, name, &path);
	if (r == 0 && !path)
		abort();
	free(path);

	(void)agent_ctrl_mask_parse(text);
	r = cgroupfs_proc_cgroups_lookup(text, name, &hier, &enabled);
	if (r < 0 && r != -ENOENT && r != -EINVAL)
		abort();
	(void)cgroupfs_keyed_get(text, name, &v);
	r = cgroupfs_events_parse(text, &pop, &frozen);
	if (r == 0 && (pop < 0 || pop > 1 || frozen < -1 || frozen > 1))
		abort();
	(void)agent_cpu_stat_parse(text, &u);
	(void)agent_memory_events_parse(text, &u);
	check_u64(text);
	r = cgroupfs_cpulist_count(text);
	if (r < 0 && r != -EINVAL && r != -ERANGE)
		abort();
	free(text);
	return 0;
}
