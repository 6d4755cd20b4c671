// SPDX-License-Identifier: Apache-2.0
/* alloc/policy: the table of sorting policies the master may pick per level. */
#include "sorter.h"
#include "util.h"

static const struct alloc_policy *const policies[] = {
	&alloc_policy_drf,
	&alloc_policy_random,
};

const struct alloc_policy *alloc_policy_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
		if (streq(policies[i]->name, name))
			return policies[i];
	return NULL;
}
