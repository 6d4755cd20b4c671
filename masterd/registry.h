/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry: what the master must not forget across a restart, in SQLite (WAL,
 * synchronous=FULL). Admitted agents, frameworks (id, info, role), tasks with their latest
 * state and unacknowledged update (terminal ones kept as a bounded history), role weights.
 *
 * Writes are recorded by the owner thread and handed, once per loop iteration, to a writer
 * thread (master_reg_submit) that runs everything handed over since its last commit in one
 * transaction: one fsync for a burst, and the owner never waits for the disk (unless the
 * writer falls far behind). master_reg_commit waits until what was written is durable.
 * Reading back (master_reg_load) calls the caller's functions in this order: weights,
 * quotas, agents, frameworks, tasks not yet completed, then completed tasks oldest first.
 *
 * Knows nothing of struct master: records in, records out. All functions are called from
 * one thread (the owner); the writer thread is internal.
 */
#ifndef DROVER_MASTER_REGISTRY_H
#define DROVER_MASTER_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct registry;
struct registry_ops;
struct registry_agent;
struct registry_framework;
struct registry_task;
struct registry_stats;

/*
 * A registry back end (registry.c: SQLite; registry_zk.c: ZooKeeper). The registry_*()
 * functions below dispatch through it (registry_backend.c).
 */
struct registry_backend {
	const char *name;
	void (*close)(struct registry *r);
	const char *(*error)(const struct registry *r);
	int (*load)(struct registry *r, const struct registry_ops *ops, void *opaque);
	int (*put_weight)(struct registry *r, const char *role, double weight);
	int (*put_agent)(struct registry *r, const struct registry_agent *a);
	int (*put_framework)(struct registry *r, const struct registry_framework *fw);
	int (*remove_framework)(struct registry *r, const char *id);
	int (*put_task)(struct registry *r, const struct registry_task *t);
	int (*submit)(struct registry *r); /* NULL: commit (a back end that writes at once) */
	int (*commit)(struct registry *r);
	unsigned (*pending)(const struct registry *r);
	void (*stats)(struct registry *r, struct registry_stats *ret); /* NULL: none kept */
	/* NULL in a back end whose submit is its commit (nothing is ever waiting) */
	int (*durable)(struct registry *r, uint64_t *submitted, uint64_t *durable);
	void (*notify)(struct registry *r, void (*fn)(void *opaque), void *opaque);
	int (*put_quota)(struct registry *r, const char *role, json_t *config);
	int (*remove_agent)(struct registry *r, const char *id);
};

/* Every back end's registry starts with this. */
struct registry {
	const struct registry_backend *backend;
};

struct registry_agent {
	const char *id, *hostname;
	json_t *info;      /* agent_info as registered (borrowed) */
	bool reachable;    /* false once declared unreachable */
	bool deactivated;  /* not offered (DEACTIVATE_AGENT, DRAIN_AGENT) */
	bool draining;     /* its tasks are being killed (DRAIN_AGENT) */
	const char *principal; /* who registered it (authenticated), or NULL (schema 3) */
	double gone;           /* when it was marked gone (s, wall clock), 0: not (schema 5) */
	json_t *capabilities;  /* AgentInfo.Capability list (borrowed), or NULL (schema 6) */
};

struct registry_framework {
	const char *id, *role;
	json_t *info;      /* FrameworkInfo (borrowed) */
	int tier;
	double failover_timeout;
	bool suppressed;
	int64_t registered_ns; /* wall clock: first subscribed, 0: not known (schema 6) */
};

struct registry_task {
	const char *fw_id, *id, *agent_id;
	const char *state;        /* "TASK_RUNNING" */
	json_t *info, *status;    /* TaskInfo as launched, latest TaskStatus (borrowed) */
	const char *pending_uuid; /* forwarded, not yet acknowledged ("" or NULL: none) */
	const char *acked_uuid;   /* the last update the framework acknowledged */
	bool completed;           /* terminal and acknowledged, or its framework is gone */
	const char *status_text;  /* or, where a backend has it as text (SQLite), the TaskStatus
				   * as JSON text and status is NULL: the master keeps the text */
	const char *info_text;    /* likewise the TaskInfo (info is then NULL) */
	const char *name;         /* TaskInfo.name and, in alloc_res_format's text form, its */
	const char *res_text;     /* resources: written with the TaskInfo, read instead of it
				   * (NULL in rows written before schema 2, or when the text form
				   * would not give the same resources back) */
	json_t *kill;             /* {"kill_policy": …} (or {}) once a KILL was asked for,
				   * else NULL (borrowed; schema 3) */
};

struct registry_ops {
	/* Each returns 0, or -errno to stop the load. */
	int (*weight)(void *opaque, const char *role, double weight);
	int (*agent)(void *opaque, const struct registry_agent *a);
	int (*framework)(void *opaque, const struct registry_framework *fw);
	int (*task)(void *opaque, const struct registry_task *t);
	/* a role's QuotaConfig (borrowed), read after the weights (schema 4) */
	int (*quota)(void *opaque, const char *role, json_t *config);
};

/*
 * Open (creating) the SQLite registry at path; history is how many completed tasks to keep.
 * On error err says what failed (the SQLite message).
 */
int master_reg_open(const char *path, unsigned history, struct registry **ret, char *err,
		    size_t errlen);
void master_reg_close(struct registry *r);
/* The last SQLite error message. */
const char *master_reg_error(const struct registry *r);

int master_reg_load(struct registry *r, const struct registry_ops *ops, void *opaque);

int master_reg_put_weight(struct registry *r, const char *role, double weight);
/* A role's QuotaConfig {role, guarantees, limits} (an empty one too: it overrides --roles). */
int master_reg_put_quota(struct registry *r, const char *role, json_t *config);
int master_reg_put_agent(struct registry *r, const struct registry_agent *a);
int master_reg_put_framework(struct registry *r, const struct registry_framework *fw);
/* The framework goes; its tasks become completed history. */
int master_reg_remove_framework(struct registry *r, const char *id);
/* The agent is no longer admitted (it was removed: replaced at its address). */
int master_reg_remove_agent(struct registry *r, const char *id);
/* Insert or replace a task (completed or not). */
int master_reg_put_task(struct registry *r, const struct registry_task *t);

/*
 * Hand what was written since the last call to the writer and return at once. Returns the
 * first error the writer met (-errno, sticky: a registry that failed stays failed; the
 * message is in master_reg_error()), else 0.
 */
int master_reg_submit(struct registry *r);
/* master_reg_submit, then wait until everything written is durable (committed, fsynced). */
int master_reg_commit(struct registry *r);
/* Writes not yet handed to the writer. */
unsigned master_reg_pending(const struct registry *r);

/*
 * Generations, for a caller that holds back what must not be seen before the writes behind it
 * are durable (the master's outbox): every master_reg_submit that hands writes over starts
 * one. *submitted is the newest handed over, *durable the newest committed; the two are equal
 * in a back end that commits as it submits. Returns the writer's sticky error, read together
 * with *durable (so a generation that failed is never reported durable without it), else 0.
 */
int master_reg_durable(struct registry *r, uint64_t *submitted, uint64_t *durable);
/* fn(opaque) runs on the writer thread each time a generation has become durable. */
void master_reg_notify(struct registry *r, void (*fn)(void *opaque), void *opaque);

struct registry_stats {
	uint64_t commits;   /* transactions the writer committed */
	uint64_t writes;    /* statements in them */
	uint64_t commit_ns; /* time the writer spent writing and committing */
	unsigned queued;    /* handed over, not yet durable */
};
void master_reg_stats(struct registry *r, struct registry_stats *ret);

#endif
