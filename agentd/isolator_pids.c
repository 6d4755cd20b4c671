// SPDX-License-Identifier: Apache-2.0
/* The pids isolator: pids.max (the task's limit or --pids-max), pids.current. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "isolator.h"
#include "isolator_util.h"
#include "util.h"

static int pids_apply(const struct agent_isolator_ctx *ctx, int leaf_fd,
		      const struct agent_task_limits *lim, char *err, size_t errlen)
{
	uint64_t max = lim->pids_max ? lim->pids_max : ctx->pids_max_default;
	char buf[32];
	int r;

	if (!max)
		return 0;
	/* Only a limit the task asked for is required; the agent's default is best-effort. */
	r = agent_isolator_need(ctx, AGENT_CTRL_PIDS, lim->pids_max != 0, "pids limit", err,
				errlen);
	if (r != 0)
		return r;
	agent_u64_format(max, buf, sizeof(buf));
	return agent_isolator_write(leaf_fd, "pids.max", buf, err, errlen);
}

static int pids_usage(const struct agent_isolator_ctx *ctx, int leaf_fd, struct agent_task_usage *u)
{
	int r = agent_isolator_read_u64(leaf_fd, "pids.current", &u->pids_current);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	u->valid |= AGENT_USAGE_PIDS;
	return 0;
}

const struct agent_isolator_ops agent_isolator_pids = {
	.name = "pids",
	.ctrl = AGENT_CTRL_PIDS,
	.prepare = pids_apply,
	.usage = pids_usage,
};
