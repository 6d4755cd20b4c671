// SPDX-License-Identifier: Apache-2.0
/* The registry API: each call goes to the back end the registry was opened with. */
#include <stddef.h>
#include <string.h>

#include "registry.h"

void master_reg_close(struct registry *r)
{
	if (r)
		r->backend->close(r);
}

const char *master_reg_error(const struct registry *r)
{
	return r ? r->backend->error(r) : "out of memory";
}

int master_reg_load(struct registry *r, const struct registry_ops *ops, void *opaque)
{
	return r->backend->load(r, ops, opaque);
}

int master_reg_put_weight(struct registry *r, const char *role, double weight)
{
	return r->backend->put_weight(r, role, weight);
}

int master_reg_put_quota(struct registry *r, const char *role, json_t *config)
{
	return r->backend->put_quota(r, role, config);
}

int master_reg_put_agent(struct registry *r, const struct registry_agent *a)
{
	return r->backend->put_agent(r, a);
}

int master_reg_put_framework(struct registry *r, const struct registry_framework *fw)
{
	return r->backend->put_framework(r, fw);
}

int master_reg_remove_framework(struct registry *r, const char *id)
{
	return r->backend->remove_framework(r, id);
}

int master_reg_remove_agent(struct registry *r, const char *id)
{
	return r->backend->remove_agent(r, id);
}

int master_reg_put_task(struct registry *r, const struct registry_task *t)
{
	return r->backend->put_task(r, t);
}

int master_reg_submit(struct registry *r)
{
	return r->backend->submit ? r->backend->submit(r) : r->backend->commit(r);
}

void master_reg_stats(struct registry *r, struct registry_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (r->backend->stats)
		r->backend->stats(r, ret);
}

int master_reg_commit(struct registry *r)
{
	return r->backend->commit(r);
}

unsigned master_reg_pending(const struct registry *r)
{
	return r->backend->pending(r);
}

int master_reg_durable(struct registry *r, uint64_t *submitted, uint64_t *durable)
{
	if (!r->backend->durable) {
		*submitted = *durable = 0;
		return 0;
	}
	return r->backend->durable(r, submitted, durable);
}

void master_reg_notify(struct registry *r, void (*fn)(void *opaque), void *opaque)
{
	if (r->backend->notify)
		r->backend->notify(r, fn, opaque);
}
