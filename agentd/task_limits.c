// SPDX-License-Identifier: Apache-2.0
/* A task's limits from its TaskInfo, and the agent's cap on them: see task_limits.h. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "task_limits.h"

#define BYTES_ABSURD ((1ULL << 62) + 1)

int agent_mib_to_bytes(double mib, uint64_t *ret)
{
	if (isnan(mib) || mib < 0)
		return -EINVAL;
	if (isinf(mib)) {
		*ret = AGENT_MEM_UNLIMITED;
		return 0;
	}
	/* 2^62 bytes is 2^42 MiB: compare in MiB, where the double is exact */
	if (mib >= (double)(1ULL << 42)) {
		*ret = BYTES_ABSURD;
		return 0;
	}
	*ret = (uint64_t)(mib * 1048576.0);
	return 0;
}

/* limits.<name> is either a number or {"value": number}; NULL when absent. */
static json_t *limit_value(json_t *limits, const char *name)
{
	json_t *v = json_object_get(limits, name);

	if (json_is_object(v))
		v = json_object_get(v, "value");
	return v;
}

int agent_task_limits_from_json(json_t *task_info, const struct alloc_res *res,
				struct agent_task_limits *ret, char *err, size_t errlen)
{
	json_t *limits = json_object_get(task_info, "limits");
	json_t *lc = limit_value(limits, "cpus"), *lm = limit_value(limits, "mem");
	struct agent_task_limits lim = {0};
	int64_t mem_scalar = alloc_res_scalar(res, "mem");

	lim.cpus = (double)alloc_res_scalar(res, "cpus") / ALLOC_SCALAR_UNIT;
	/* the fixed-point scalar: MiB * ALLOC_SCALAR_UNIT; divide first, the remainder after */
	if (mem_scalar > 0) {
		uint64_t whole = (uint64_t)mem_scalar / ALLOC_SCALAR_UNIT;
		uint64_t frac = (uint64_t)mem_scalar % ALLOC_SCALAR_UNIT;

		lim.mem_bytes = whole >= (1ULL << 42) ? BYTES_ABSURD
						      : (whole << 20) + (frac << 20) / ALLOC_SCALAR_UNIT;
	}
	if (lc && !json_is_null(lc)) {
		if (!json_is_number(lc) || isnan(json_number_value(lc)) ||
		    json_number_value(lc) < 0) {
			snprintf(err, errlen, "limits.cpus must be a number >= 0");
			return -EINVAL;
		}
		lim.cpus_limit = json_number_value(lc);
	}
	if (lm && !json_is_null(lm)) {
		if (!json_is_number(lm) || agent_mib_to_bytes(json_number_value(lm),
							       &lim.mem_limit_bytes) < 0) {
			snprintf(err, errlen, "limits.mem must be a number of MiB >= 0");
			return -EINVAL;
		}
	}
	*ret = lim;
	return 0;
}

int agent_task_limits_cap(const struct agent_task_limits *lim, double total_cpus,
			  uint64_t total_mem_bytes, double ratio, char *err, size_t errlen)
{
	if (ratio <= 0) /* --max-limit-ratio 0: no cap */
		return 0;
	if (total_cpus > 0 && lim->cpus_limit > 0 && lim->cpus_limit > ratio * total_cpus) {
		snprintf(err, errlen,
			 "the cpus limit (%g) is above %g times this agent's %g cpus "
			 "(--max-limit-ratio)",
			 lim->cpus_limit, ratio, total_cpus);
		return -EINVAL;
	}
	if (total_mem_bytes && lim->mem_limit_bytes &&
	    (double)lim->mem_limit_bytes > ratio * (double)total_mem_bytes) {
		if (lim->mem_limit_bytes == AGENT_MEM_UNLIMITED)
			snprintf(err, errlen,
				 "the mem limit is unlimited, above %g times this agent's %" PRIu64
				 " MiB (--max-limit-ratio)",
				 ratio, total_mem_bytes >> 20);
		else
			snprintf(err, errlen,
				 "the mem limit (%" PRIu64 " MiB) is above %g times this agent's %" PRIu64
				 " MiB (--max-limit-ratio)",
				 lim->mem_limit_bytes >> 20, ratio, total_mem_bytes >> 20);
		return -EINVAL;
	}
	return 0;
}
