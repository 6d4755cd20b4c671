/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc/sim: the offline simulator behind `drover alloc simulate`. Runs allocation
 * cycles over a scenario (agents, roles, frameworks with a per-task demand) where each
 * framework launches up to tasks_per_offer tasks from every offer and declines the rest
 * (refuse_seconds 0), until no more tasks fit. Format: docs/allocation.md.
 */
#ifndef DROVER_ALLOC_SIM_H
#define DROVER_ALLOC_SIM_H

#include <stddef.h>
#include <jansson.h>

/*
 * Run scenario (borrowed). On success *ret is a new JSON object the caller owns:
 * {"cycles": n, "frameworks": [{id, role, tier, tasks, wanted, allocated, share}],
 *  "roles": [{name, weight, allocated, share, weighted_share}]}. -EINVAL with a message
 * naming the bad field, or -ENOMEM.
 */
int alloc_sim_run(const json_t *scenario, json_t **ret, char *err, size_t errlen);

#endif
