/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc: Drover's allocator, after Mesos's HierarchicalAllocator. Pure: no I/O, no
 * clock reads, no globals; time is an argument (seconds, any epoch, monotonic).
 *
 * Model. Agents have a total; what is not allocated is available. Frameworks belong to
 * one or more roles (a tree: "eng", "eng/ml") and one priority tier (int, default 0). A
 * cycle visits the agents and gives each agent's available resources to the first eligible
 * framework in this order: higher tier first; within a tier, weighted DRF (or the chosen
 * policy) at every level of the role tree, then among the role's frameworks (by their share
 * in that role); ties by allocation count, then name. Offered resources count as
 * allocated until the master gives them back with alloc_recover() (tasks ended, offer
 * rescinded/unused) or alloc_decline() (declined, with a refuse filter).
 *
 * Mapping of Mesos allocator calls:
 *   addSlave / removeSlave / updateSlave     alloc_agent_add / _remove / _update_total
 *   activateSlave / deactivateSlave          alloc_agent_set_active
 *   addFramework (+ used resources)          alloc_framework_add (+ alloc_allocation_add)
 *   removeFramework                          alloc_framework_remove
 *   activate/deactivateFramework             alloc_framework_set_active
 *   recoverResources(filters)                alloc_recover / alloc_decline
 *   reviveOffers / suppressOffers            alloc_framework_revive / _suppress (per role)
 *   updateFramework (roles)                  alloc_framework_role_add / _role_remove
 *   updateWeights / updateQuota              alloc_role_set_weight / alloc_role_set_quota
 *   allocate() (timer or batched event)      alloc_cycle
 *   GET_ROLES shares                         alloc_role_get / alloc_roles_foreach
 *
 * Errors: 0/positive or -errno: -EEXIST (id taken), -ENOENT (unknown id), -EINVAL (bad
 * argument), -ENOMEM. IDs are copied; callers keep ownership of every argument.
 * Not thread-safe: one owner thread (the master's).
 */
#ifndef DROVER_ALLOC_ALLOC_H
#define DROVER_ALLOC_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resources.h"
#include "sorter.h"

#define ALLOC_ROLE_DEPTH_MAX 16
#define ALLOC_REFUSE_MAX (365.0 * 86400.0) /* one year */

struct alloc;

struct alloc_config {
	double allocation_interval;    /* seconds; minimum filter length (default 1) */
	double default_refuse_seconds; /* for a decline with refuse_seconds < 0 (default 5) */
	/* alternatives of which an offer must contain one: "cpus:0.01|mem:32" (default);
	 * "" means any non-empty offer */
	const char *min_allocatable;
	const char *fairness_exclude;  /* comma list of resources DRF ignores (default "gpus") */
	const char *role_sorter;       /* "drf" (default) or "random" */
	const char *framework_sorter;  /* "drf" (default) or "random" */
	uint64_t seed;                 /* random policy and skip lists (default 1) */
	uint32_t walk_budget;          /* steps of the in-order walk before the bitmap scan */
	/* agents from which a filter group switches from a list to a bitmap (0: automatic,
	 * max(16, agents / 256)); tests set it low to exercise both forms */
	uint32_t filter_dense_min;
};

/* Fill c with the defaults above. The strings are static literals. */
void alloc_config_defaults(struct alloc_config *c);

/* New allocator; cfg NULL means defaults. On -EINVAL err names the bad field. */
int alloc_new(const struct alloc_config *cfg, struct alloc **ret, char *err, size_t errlen);
/* Free a and everything it holds. NULL-safe. */
void alloc_free(struct alloc *a);

/* ---------------------------------------------------------------- agents */

/* Add an active agent with nothing allocated. total is copied. */
int alloc_agent_add(struct alloc *a, const char *id, const char *hostname,
		    const struct alloc_res *total);
/* Remove an agent; allocations on it are dropped from their frameworks and roles, its
 * filters go too (the master rescinds its outstanding offers). */
int alloc_agent_remove(struct alloc *a, const char *id);
/* New total (UPDATE_RESOURCES, REREGISTER). available = total - allocated, at 0 floor. */
int alloc_agent_update_total(struct alloc *a, const char *id, const struct alloc_res *total);
/* An inactive agent keeps its allocations but is not offered. */
int alloc_agent_set_active(struct alloc *a, const char *id, bool active);
/* Borrowed pointers into a (valid until the next call that changes the agent). */
int alloc_agent_get(const struct alloc *a, const char *id, const struct alloc_res **ret_total,
		    const struct alloc_res **ret_available);

/* ---------------------------------------------------------------- frameworks */

/*
 * Frameworks in several roles (MULTI_ROLE). A framework is one client per role, as in
 * Mesos: each is sorted among its role's frameworks by its share in that role, holds its
 * own allocations (charged to that role), filters and suppression; every offer is made
 * to one client, so it is allocated to one role. The framework's tier, activity and GPU
 * choice apply to all its clients. Where a call below takes a role, NULL means the
 * framework's first role (alloc_framework_add's), or all roles where so written.
 */

/* Add a framework under role (created if new, default weight 1) and tier. */
int alloc_framework_add(struct alloc *a, const char *id, const char *role, int tier,
			bool active);
/*
 * Add role to framework id (a MULTI_ROLE framework's further roles, or a role an
 * UPDATE_FRAMEWORK adds back), suppressed or not (FrameworkInfo's suppressed_roles).
 * A role the framework is already in only has its suppression set.
 */
int alloc_framework_role_add(struct alloc *a, const char *id, const char *role, bool suppressed);
/*
 * Remove role from framework id (UPDATE_FRAMEWORK): no more offers in it, its filters
 * go; what is allocated in it stays charged to the role until recovered (the master
 * rescinds the role's offers; its tasks keep running).
 */
int alloc_framework_role_remove(struct alloc *a, const char *id, const char *role);
/* Remove a framework: its allocations return to their agents, its filters go. */
int alloc_framework_remove(struct alloc *a, const char *id);
/* An inactive (disconnected) framework keeps allocations and filters, gets no offers. */
int alloc_framework_set_active(struct alloc *a, const char *id, bool active);
/* SUPPRESS: no offers in role (NULL: all roles) until revived. */
int alloc_framework_suppress(struct alloc *a, const char *id, const char *role);
/*
 * Whether agents with GPUs (a "gpus" scalar in their total) are offered to the framework at
 * all (default true). Mesos's --filter_gpu_resources: false for frameworks without the
 * GPU_RESOURCES capability, so that they do not hold the GPU agents' other resources.
 */
int alloc_framework_set_gpu_agents(struct alloc *a, const char *id, bool offer);
/* REVIVE: clear the framework's filters in role (NULL: all roles) and un-suppress it there. */
int alloc_framework_revive(struct alloc *a, const char *id, const char *role);

/* ---------------------------------------------------------------- roles */

/* Validate a role name ("eng", "eng/ml", "*"); -EINVAL with a message. */
int alloc_role_validate(const char *role, char *err, size_t errlen);
/* UPDATE_WEIGHTS: weight > 0 and finite. Creates the role if new. */
int alloc_role_set_weight(struct alloc *a, const char *role, double weight);
/*
 * UPDATE_QUOTA: guarantee (set aside for the role first in each cycle, and held back as
 * headroom from other roles) and limit (cap on what the role's subtree holds). Scalars
 * only; NULL or empty means none. guarantee must fit within limit. Copied.
 */
int alloc_role_set_quota(struct alloc *a, const char *role, const struct alloc_res *guarantee,
			 const struct alloc_res *limit);

/* ---------------------------------------------------------------- allocations */

/* Record resources a framework already uses on an agent (recovered at master restart, or
 * tasks an agent re-registered with). */
int alloc_allocation_add(struct alloc *a, const char *fw, const char *role, const char *agent,
			 const struct alloc_res *res);
/* Give back resources allocated to fw on agent (task ended, offer rescinded or the unused
 * part of an accepted offer). No filter. Resources beyond what was allocated are ignored. */
int alloc_recover(struct alloc *a, const char *fw, const char *role, const char *agent,
		  const struct alloc_res *res);
/*
 * DECLINE: recover res and keep them from fw in role (Mesos: filters are per framework,
 * role and agent) on that agent for
 * max(allocation_interval, refuse_seconds), at most one year; refuse_seconds < 0 means
 * the default (5 s); 0 means no filter. now is the caller's clock (seconds).
 */
int alloc_decline(struct alloc *a, const char *fw, const char *role, const char *agent,
		  const struct alloc_res *res, double refuse_seconds, double now);

/* ---------------------------------------------------------------- the cycle */

/* One offer, allocated to fw in role: ids, role and res are borrowed, valid during the
 * callback only. */
typedef void (*alloc_offer_fn)(void *opaque, const char *fw, const char *role, const char *agent,
			       const struct alloc_res *res);

/*
 * Run one allocation cycle at time now: expire filters, then (if any role has a quota
 * guarantee) a guarantee stage, then the fair-share stage. Calls fn once per
 * (framework, agent) offered, in the order the offers were made; offered resources are
 * allocated to the framework when fn runs. fn may call alloc_recover()/alloc_decline()
 * for the offer it is given (the simulator declines from inside fn). Returns the number
 * of offers or -errno.
 */
int alloc_cycle(struct alloc *a, double now, alloc_offer_fn fn, void *opaque);

/* ---------------------------------------------------------------- queries (GET_ROLES) */

struct alloc_role_info {
	const char *name;
	double weight;
	double share;          /* dominant share of the subtree's allocation */
	double weighted_share; /* share / weight */
	uint32_t frameworks;   /* frameworks directly in this role */
	const struct alloc_res *allocated, *guarantee, *limit; /* borrowed */
};

struct alloc_framework_info {
	const char *id, *role;
	int tier;
	bool active, suppressed;
	double share; /* dominant share of the framework's allocation */
	uint64_t allocations;
	const struct alloc_res *allocated; /* borrowed */
};

int alloc_role_get(struct alloc *a, const char *role, struct alloc_role_info *ret);
/* fw in role; role NULL: the whole framework (allocated and share over all its roles,
 * suppressed when every role is, role is the first). */
int alloc_framework_get(struct alloc *a, const char *fw, const char *role,
			struct alloc_framework_info *ret);
/* Visit every known role (not the root), in no particular order. */
void alloc_roles_foreach(struct alloc *a, void (*fn)(void *opaque, const struct alloc_role_info *),
			 void *opaque);
/* Dominant share of res against the cluster total (fairness-excluded names skipped). */
double alloc_dominant_share(struct alloc *a, const struct alloc_res *res);
/* Cluster total (sum of agent totals, scalars only). Borrowed. */
const struct alloc_res *alloc_cluster_total(const struct alloc *a);
/* Number of live filters (for metrics and tests). */
size_t alloc_filter_count(const struct alloc *a);

#endif
