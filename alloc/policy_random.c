// SPDX-License-Identifier: Apache-2.0
/*
 * alloc/policy_random: weighted random order, as Mesos's random sorter. The key
 * -U^(1/weight) (Efraimidis–Spirakis) puts a client first with probability proportional
 * to its weight. Keys are re-drawn at the start of each cycle and whenever a client's
 * allocation changes.
 */
#include <math.h>

#include "sorter.h"

static double random_key(double share, double weight, uint64_t *rng)
{
	return -pow(alloc_rng_unit(rng), 1.0 / weight);
}

const struct alloc_policy alloc_policy_random = {
	.name = "random",
	.key = random_key,
	.rekey_each_cycle = true,
};
