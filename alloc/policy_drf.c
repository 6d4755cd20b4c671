// SPDX-License-Identifier: Apache-2.0
/* alloc/policy_drf: weighted dominant resource fairness, the default policy. */
#include "sorter.h"

static double drf_key(double share, double weight, uint64_t *rng)
{
	return share / weight;
}

const struct alloc_policy alloc_policy_drf = {
	.name = "drf",
	.key = drf_key,
	.rekey_each_cycle = false,
};
