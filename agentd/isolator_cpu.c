// SPDX-License-Identifier: Apache-2.0
/* The cpu isolator: cpu.weight from the cpus resource, cpu.max from a CPU limit, cpu.stat. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "isolator.h"
#include "isolator_util.h"
#include "util.h"

uint64_t agent_cpu_weight(double cpus)
{
	double w;

	if (!(cpus > 0))
		return 100;
	w = round(cpus * 100.0);
	if (w < 1)
		return 1;
	if (w > 10000)
		return 10000;
	return (uint64_t)w;
}

static bool has_cpu_limit(double cpus_limit)
{
	return cpus_limit > 0 && isfinite(cpus_limit);
}

int agent_cpu_max_format(double cpus_limit, char *buf, size_t len)
{
	uint64_t quota;
	int n;

	if (isnan(cpus_limit) || cpus_limit < 0)
		return -EINVAL;
	if (!has_cpu_limit(cpus_limit)) {
		n = snprintf(buf, len, "max %llu", AGENT_CPU_PERIOD_US);
	} else {
		quota = (uint64_t)ceil(cpus_limit * (double)AGENT_CPU_PERIOD_US);
		if (quota < AGENT_CPU_QUOTA_MIN_US)
			quota = AGENT_CPU_QUOTA_MIN_US;
		n = snprintf(buf, len, "%" PRIu64 " %llu", quota, AGENT_CPU_PERIOD_US);
	}
	return n < 0 || (size_t)n >= len ? -ENOBUFS : 0;
}

static int cpu_apply(const struct agent_isolator_ctx *ctx, int leaf_fd,
		     const struct agent_task_limits *lim, char *err, size_t errlen)
{
	char buf[64];
	int r;

	if (!(lim->cpus > 0) && !has_cpu_limit(lim->cpus_limit))
		return 0;
	r = agent_isolator_need(ctx, AGENT_CTRL_CPU, true, "CPU share and limit", err, errlen);
	if (r != 0)
		return r;
	if (lim->cpus > 0) {
		snprintf(buf, sizeof(buf), "%" PRIu64, agent_cpu_weight(lim->cpus));
		r = agent_isolator_write(leaf_fd, "cpu.weight", buf, err, errlen);
		if (r < 0)
			return r;
	}
	r = agent_cpu_max_format(lim->cpus_limit, buf, sizeof(buf));
	if (r < 0)
		return r;
	return agent_isolator_write(leaf_fd, "cpu.max", buf, err, errlen);
}

int agent_cpu_stat_parse(const char *text, struct agent_task_usage *u)
{
	int r;

	r = cgroupfs_keyed_get(text, "usage_usec", &u->cpu_usage_usec);
	if (r < 0)
		return r;
	r = cgroupfs_keyed_get(text, "user_usec", &u->cpu_user_usec);
	if (r < 0)
		return r;
	r = cgroupfs_keyed_get(text, "system_usec", &u->cpu_system_usec);
	if (r < 0)
		return r;
	u->valid |= AGENT_USAGE_CPU;
	/* the throttling lines come with the cpu controller only */
	if (cgroupfs_keyed_get(text, "nr_periods", &u->cpu_nr_periods) == 0 &&
	    cgroupfs_keyed_get(text, "nr_throttled", &u->cpu_nr_throttled) == 0 &&
	    cgroupfs_keyed_get(text, "throttled_usec", &u->cpu_throttled_usec) == 0)
		u->valid |= AGENT_USAGE_CPU_THROTTLE;
	return 0;
}

static int cpu_usage(const struct agent_isolator_ctx *ctx, int leaf_fd, struct agent_task_usage *u)
{
	_cleanup_free_ char *text = NULL;
	int r;

	/* cpu.stat is a core file: there even without the cpu controller. */
	r = agent_read_fileat(leaf_fd, "cpu.stat", &text);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = agent_cpu_stat_parse(text, u);
	return r == -ENOENT ? 0 : r;
}

const struct agent_isolator_ops agent_isolator_cpu = {
	.name = "cpu",
	.ctrl = AGENT_CTRL_CPU,
	.prepare = cpu_apply,
	.usage = cpu_usage,
};
