// SPDX-License-Identifier: Apache-2.0
/*
 * The isolator list and the functions that run every isolator in turn; the helpers the
 * isolator_*.c files share. Interface and limit mapping: isolator.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isolator.h"
#include "isolator_util.h"
#include "util.h"

/* Every isolator, in the order they run; NULL-terminated. */
static const struct agent_isolator_ops *const agent_isolators[] = {
	&agent_isolator_cpu,
	&agent_isolator_memory,
	&agent_isolator_pids,
	NULL,
};

/* ---------------------------------------------------------------- helpers */

int agent_isolator_need(const struct agent_isolator_ctx *ctx, enum agent_ctrl ctrl, bool required,
		  const char *what, char *err, size_t errlen)
{
	if (ctx->available & AGENT_CTRL_BIT(ctrl))
		return 0;
	if (!ctx->strict || !required)
		return AGENT_ISOLATOR_SKIPPED;
	snprintf(err, errlen, "cannot enforce the %s: the %s controller is not available", what,
		 agent_ctrl_name(ctrl));
	return -EOPNOTSUPP;
}

int agent_isolator_write(int leaf_fd, const char *file, const char *value, char *err, size_t errlen)
{
	int r = agent_write_fileat(leaf_fd, file, value);

	if (r < 0)
		snprintf(err, errlen, "cannot write '%s' to %s: %s", value, file, strerror(-r));
	return r;
}

int agent_u64_parse(const char *text, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!text)
		return -EINVAL;
	if (strncmp(text, "max", 3) == 0 && (text[3] == '\n' || text[3] == '\0')) {
		*ret = UINT64_MAX;
		return 0;
	}
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	*ret = v;
	return 0;
}

void agent_u64_format(uint64_t v, char *buf, size_t len)
{
	if (v == UINT64_MAX)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%" PRIu64, v);
}

int agent_isolator_read_u64(int leaf_fd, const char *file, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = agent_read_fileat(leaf_fd, file, &text);
	if (r < 0)
		return r;
	return agent_u64_parse(text, ret);
}

int agent_task_limits_check(const struct agent_task_limits *lim, char *err, size_t errlen)
{
	if (!isfinite(lim->cpus) || lim->cpus < 0 || lim->cpus > AGENT_CPUS_MAX) {
		snprintf(err, errlen, "cpus must be a number between 0 and %.0f, not %g",
			 AGENT_CPUS_MAX, lim->cpus);
		return -EINVAL;
	}
	if (isnan(lim->cpus_limit) || lim->cpus_limit < 0 ||
	    (isfinite(lim->cpus_limit) && lim->cpus_limit > AGENT_CPUS_MAX)) {
		snprintf(err, errlen, "the cpus limit must be a number between 0 and %.0f (or infinity), not %g",
			 AGENT_CPUS_MAX, lim->cpus_limit);
		return -EINVAL;
	}
	if (lim->cpus_limit > 0 && isfinite(lim->cpus_limit) && lim->cpus_limit < lim->cpus) {
		snprintf(err, errlen, "the cpus limit (%g) is below the cpus resource (%g)",
			 lim->cpus_limit, lim->cpus);
		return -EINVAL;
	}
	if (lim->mem_bytes && lim->mem_bytes < AGENT_MEM_MIN_BYTES) {
		snprintf(err, errlen, "mem must be at least %llu MiB, not %" PRIu64 " bytes",
			 AGENT_MEM_MIN_BYTES >> 20, lim->mem_bytes);
		return -EINVAL;
	}
	if (lim->mem_bytes > (1ULL << 62) ||
	    (lim->mem_limit_bytes != AGENT_MEM_UNLIMITED && lim->mem_limit_bytes > (1ULL << 62))) {
		snprintf(err, errlen, "mem is absurdly large");
		return -EINVAL;
	}
	if (lim->mem_limit_bytes && lim->mem_limit_bytes < lim->mem_bytes) {
		snprintf(err, errlen, "the mem limit (%" PRIu64 " bytes) is below the mem resource (%" PRIu64 " bytes)",
			 lim->mem_limit_bytes, lim->mem_bytes);
		return -EINVAL;
	}
	if (lim->pids_max > 4194304) {
		snprintf(err, errlen, "the pids limit must be at most 4194304, not %" PRIu64,
			 lim->pids_max);
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------- running them */

static void note_skipped(struct agent_isolation *iso, const struct agent_isolator_ops *ops)
{
	size_t off = strlen(iso->note);

	iso->skipped |= AGENT_CTRL_BIT(ops->ctrl);
	snprintf(iso->note + off, sizeof(iso->note) - off, "%s%s limits not enforced (the %s controller is missing)",
		 off ? "; " : "", ops->name, agent_ctrl_name(ops->ctrl));
}

int agent_isolators_prepare(const struct agent_isolator_ctx *ctx, int leaf_fd,
			    const struct agent_task_limits *lim, struct agent_isolation *ret,
			    char *err, size_t errlen)
{
	struct agent_isolation iso = {0};
	size_t i;
	int r;

	if (errlen)
		err[0] = '\0';
	r = agent_task_limits_check(lim, err, errlen);
	if (r < 0)
		return r;
	for (i = 0; agent_isolators[i]; i++) {
		const struct agent_isolator_ops *ops = agent_isolators[i];

		if (!ops->prepare)
			continue;
		r = ops->prepare(ctx, leaf_fd, lim, err, errlen);
		if (r < 0)
			goto out_cleanup;
		if (r == AGENT_ISOLATOR_SKIPPED)
			note_skipped(&iso, ops);
		else
			iso.applied |= AGENT_CTRL_BIT(ops->ctrl);
	}
	if (ret)
		*ret = iso;
	return 0;
out_cleanup:
	while (i-- > 0)
		if (agent_isolators[i]->cleanup)
			(void)agent_isolators[i]->cleanup(ctx, leaf_fd);
	return r;
}

int agent_isolators_usage(const struct agent_isolator_ctx *ctx, int leaf_fd, unsigned skip,
			  struct agent_task_usage *ret)
{
	struct agent_task_usage u = {0};

	for (size_t i = 0; agent_isolators[i]; i++) {
		int r;

		if (!agent_isolators[i]->usage || (skip & AGENT_CTRL_BIT(agent_isolators[i]->ctrl)))
			continue;
		r = agent_isolators[i]->usage(ctx, leaf_fd, &u);
		if (r < 0)
			return r;
	}
	*ret = u;
	return 0;
}

void agent_isolators_cleanup(const struct agent_isolator_ctx *ctx, int leaf_fd)
{
	for (size_t i = 0; agent_isolators[i]; i++)
		if (agent_isolators[i]->cleanup)
			(void)agent_isolators[i]->cleanup(ctx, leaf_fd);
}

int agent_isolators_recover(const struct agent_isolator_ctx *ctx, int leaf_fd,
			    const struct agent_task_limits *lim)
{
	for (size_t i = 0; agent_isolators[i]; i++) {
		int r;

		if (!agent_isolators[i]->recover)
			continue;
		r = agent_isolators[i]->recover(ctx, leaf_fd, lim);
		if (r < 0)
			return r;
	}
	return 0;
}

int agent_isolators_aggregate(const struct agent_isolator_ctx *ctx, int tasks_fd, double cpus,
			      uint64_t mem_bytes, char *note, size_t notelen)
{
	char buf[64], err[256];
	size_t off = 0;
	int r;

	note[0] = '\0';
	if (cpus > 0) {
		if (!(ctx->available & AGENT_CTRL_BIT(AGENT_CTRL_CPU)))
			off += (size_t)snprintf(note + off, off < notelen ? notelen - off : 0,
						"cpu.max not set (no cpu controller)");
		else if ((r = agent_cpu_max_format(cpus, buf, sizeof(buf))) < 0 ||
			 (r = agent_isolator_write(tasks_fd, "cpu.max", buf, err, sizeof(err))) < 0)
			return r;
	}
	if (mem_bytes) {
		if (!(ctx->available & AGENT_CTRL_BIT(AGENT_CTRL_MEMORY))) {
			snprintf(note + off, off < notelen ? notelen - off : 0, "%smemory.max not set "
				 "(no memory controller)", off ? "; " : "");
		} else {
			agent_u64_format(mem_bytes, buf, sizeof(buf));
			r = agent_isolator_write(tasks_fd, "memory.max", buf, err, sizeof(err));
			if (r < 0)
				return r;
		}
	}
	return 0;
}
