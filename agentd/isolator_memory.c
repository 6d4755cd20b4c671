// SPDX-License-Identifier: Apache-2.0
/*
 * The memory isolator: memory.max, memory.high, memory.swap.max; memory.current, .peak
 * and .events (the OOM kills a terminal status reports).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "isolator.h"
#include "isolator_util.h"
#include "util.h"

#define PAGE_ALIGN_DOWN(x) ((x) & ~(uint64_t)4095)

int agent_memory_limits(const struct agent_task_limits *lim, uint64_t *ret_max,
			uint64_t *ret_high)
{
	uint64_t max;

	if (lim->mem_limit_bytes == AGENT_MEM_UNLIMITED)
		max = UINT64_MAX;
	else if (lim->mem_limit_bytes)
		max = lim->mem_limit_bytes;
	else if (lim->mem_bytes)
		max = lim->mem_bytes;
	else
		max = UINT64_MAX;
	if (max != UINT64_MAX && max < AGENT_MEM_MIN_BYTES)
		return -EINVAL;
	*ret_max = max;
	*ret_high = max == UINT64_MAX ? UINT64_MAX : PAGE_ALIGN_DOWN(max - max / 16);
	return 0;
}

static int memory_apply(const struct agent_isolator_ctx *ctx, int leaf_fd,
			const struct agent_task_limits *lim, char *err, size_t errlen)
{
	uint64_t max, high;
	char buf[32];
	int r;

	r = agent_memory_limits(lim, &max, &high);
	if (r < 0) {
		snprintf(err, errlen, "mem must be at least %llu MiB", AGENT_MEM_MIN_BYTES >> 20);
		return r;
	}
	if (max == UINT64_MAX && !lim->mem_bytes)
		return 0; /* nothing asked for */
	r = agent_isolator_need(ctx, AGENT_CTRL_MEMORY, true, "memory limit", err, errlen);
	if (r != 0)
		return r;
	/* Lower high first when shrinking: the kernel takes either order, reclaim is gentler. */
	agent_u64_format(high, buf, sizeof(buf));
	r = agent_isolator_write(leaf_fd, "memory.high", buf, err, errlen);
	if (r < 0)
		return r;
	agent_u64_format(max, buf, sizeof(buf));
	r = agent_isolator_write(leaf_fd, "memory.max", buf, err, errlen);
	if (r < 0)
		return r;
	/* Without swap accounting (swapaccount=0, !CONFIG_MEMCG_SWAP) the file is absent. */
	r = agent_write_fileat(leaf_fd, "memory.swap.max", "0");
	if (r < 0 && r != -ENOENT) {
		snprintf(err, errlen, "cannot write '0' to memory.swap.max: %s", strerror(-r));
		return r;
	}
	return 0;
}

int agent_memory_events_parse(const char *text, struct agent_task_usage *u)
{
	int r;

	r = cgroupfs_keyed_get(text, "oom_kill", &u->mem_events_oom_kill);
	if (r < 0)
		return r;
	(void)cgroupfs_keyed_get(text, "high", &u->mem_events_high);
	(void)cgroupfs_keyed_get(text, "max", &u->mem_events_max);
	(void)cgroupfs_keyed_get(text, "oom", &u->mem_events_oom);
	u->valid |= AGENT_USAGE_MEM_EVENTS;
	return 0;
}

static int memory_usage(const struct agent_isolator_ctx *ctx, int leaf_fd,
			struct agent_task_usage *u)
{
	_cleanup_free_ char *events = NULL;
	int r;

	r = agent_isolator_read_u64(leaf_fd, "memory.current", &u->mem_current);
	if (r == -ENOENT)
		return 0; /* no memory controller in this leaf */
	if (r < 0)
		return r;
	u->valid |= AGENT_USAGE_MEM;
	if (agent_isolator_read_u64(leaf_fd, "memory.max", &u->mem_max_limit) < 0)
		u->mem_max_limit = UINT64_MAX;
	/* memory.peak: 5.19 and later */
	if (agent_isolator_read_u64(leaf_fd, "memory.peak", &u->mem_peak) == 0)
		u->valid |= AGENT_USAGE_MEM_PEAK;
	r = agent_read_fileat(leaf_fd, "memory.events", &events);
	if (r == 0 || r > 0)
		(void)agent_memory_events_parse(events, u);
	return 0;
}

const struct agent_isolator_ops agent_isolator_memory = {
	.name = "memory",
	.ctrl = AGENT_CTRL_MEMORY,
	.prepare = memory_apply,
	.usage = memory_usage,
};
