// SPDX-License-Identifier: Apache-2.0
/*
 * A framework's roles: one without MULTI_ROLE ("role"), one or more with it ("roles"), each
 * suppressed or not. Offers borrow the role strings, so a role kept across an update keeps
 * its string; the allocator is told in offers.c (master_alloc_framework_roles).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"

struct framework_role *master_framework_role(const struct framework *fw, const char *role)
{
	for (size_t i = 0; role && i < fw->nroles; i++)
		if (fw->roles[i].name && strcmp(fw->roles[i].name, role) == 0)
			return &fw->roles[i];
	return NULL;
}

bool master_framework_all_suppressed(const struct framework *fw)
{
	for (size_t i = 0; i < fw->nroles; i++)
		if (!fw->roles[i].suppressed)
			return false;
	return fw->nroles > 0;
}

int master_framework_set_roles(struct framework *fw, const char *const *names, size_t n)
{
	struct framework_role *nr, *old;
	char *first;
	size_t i;

	if (n == 0)
		return -EINVAL;
	nr = calloc(n, sizeof(*nr));
	first = strdup(names[0]);
	for (i = 0; nr && first && i < n; i++)
		if (!(nr[i].name = strdup(names[i])))
			break;
	if (!nr || !first || i < n) {
		while (nr && i--)
			free(nr[i].name);
		free(nr);
		free(first);
		return -ENOMEM;
	}
	/* a role fw keeps keeps its string (offers borrow it) and its suppression */
	for (i = 0; i < n; i++) {
		old = master_framework_role(fw, names[i]);
		if (!old)
			continue;
		free(nr[i].name);
		nr[i] = *old;
		old->name = NULL;
	}
	master_framework_roles_free(fw);
	fw->roles = nr;
	fw->nroles = n;
	free(fw->role);
	fw->role = first;
	return 0;
}

void master_framework_roles_free(struct framework *fw)
{
	for (size_t i = 0; i < fw->nroles; i++)
		free(fw->roles[i].name);
	free(fw->roles);
	fw->roles = NULL;
	fw->nroles = 0;
}

const char *master_task_info_role(json_t *ti)
{
	json_t *r = json_array_get(json_object_get(ti, "resources"), 0);

	return json_string_value(json_object_get(json_object_get(r, "allocation_info"), "role"));
}
