/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A task's limits read from its TaskInfo (resources and limits), in the isolators' units,
 * and the agent-wide cap on them (--max-limit-ratio). Pure: no I/O, tested with strings
 * (tests/unit/test_agent_resources.c) and fuzzed (tests/fuzz/fuzz_task_limits.c).
 */
#ifndef DROVER_AGENT_TASK_LIMITS_H
#define DROVER_AGENT_TASK_LIMITS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "isolator.h"
#include "resources.h"

/*
 * MiB (a wire double) to bytes without undefined behaviour: NaN or negative -EINVAL;
 * infinity AGENT_MEM_UNLIMITED; a value whose bytes pass 2^62 saturates to 2^62 + 1 (which
 * agent_task_limits_check() refuses as absurd) instead of overflowing the cast.
 */
int agent_mib_to_bytes(double mib, uint64_t *ret);

/*
 * TaskInfo.resources (res, already parsed) and TaskInfo.limits {"cpus": {"value": x} or x,
 * "mem": ...} into *ret. -EINVAL with a message naming the field for a limit that is not
 * a number >= 0 (or infinity).
 */
int agent_task_limits_from_json(json_t *task_info, const struct alloc_res *res,
				struct agent_task_limits *ret, char *err, size_t errlen);

/*
 * The cap an agent puts on limits above a task's resources: a cpus or mem limit must not
 * pass ratio times the agent's total cpus or mem (total_cpus, total_mem_bytes; 0: no total
 * known, no cap; ratio 0: no cap). An unlimited one (infinity) counts as over. -EINVAL with a message.
 */
int agent_task_limits_cap(const struct agent_task_limits *lim, double total_cpus,
			  uint64_t total_mem_bytes, double ratio, char *err, size_t errlen);

#endif
