/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator API (POST /api/v1), owner thread only: its replies in Mesos's shapes
 * (operator_state.c, reused by the legacy endpoints), quota (quota.c) and the operator event
 * stream (operator_stream.c), whose events the rest of the master raises through the
 * master_operator_*() hooks below.
 */
#ifndef DROVER_MASTER_OPERATOR_H
#define DROVER_MASTER_OPERATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "wire.h"

struct master;
struct agent;
struct framework;
struct task;
struct msg;
struct http_stream;
struct alloc_res;

/*
 * operator_state.c: the payloads of the read calls, as Mesos's Response.Get* messages in
 * JSON (every required field set). viewer is the caller's principal (NULL: unauthenticated):
 * frameworks and tasks of roles it may not view_roles (only when the ACLs have view_roles
 * rules) are left out.
 */
json_t *master_state_agents(struct master *m);
json_t *master_state_frameworks(struct master *m, const char *viewer);
json_t *master_state_tasks(struct master *m, const char *viewer);
json_t *master_state_executors(struct master *m, const char *viewer);
json_t *master_state_roles(struct master *m, const char *viewer);
json_t *master_state_get_state(struct master *m, const char *viewer);
/* One GetAgents.Agent / GetFrameworks.Framework / Task. */
json_t *master_state_agent(struct master *m, const struct agent *a);
json_t *master_state_framework(struct master *m, const struct framework *fw);
/* fw is being removed: keep its GetFrameworks.Framework (--max-completed-frameworks). */
void master_state_framework_completed(struct master *m, const struct framework *fw);
/*
 * FrameworkInfo as the operator API shows it (a new reference): with "user" ("" when the
 * framework gave none: Mesos's schema requires it).
 */
json_t *master_framework_info_view(json_t *info);
/* Mesos's metric names (master/cpus_total, master/tasks_running, ...) and Drover's own, as
 * one flat object name -> number (what /metrics/snapshot answers; GET_METRICS lists it). */
json_t *master_metrics_snapshot(struct master *m);
/* May viewer see what belongs to every role of fw (view_roles)? A framework in several roles
 * shows what it does in each. */
bool master_may_view_framework(struct master *m, const char *viewer, const struct framework *fw);
/* The same for a removed framework, by the roles its FrameworkInfo names. */
bool master_may_view_framework_info(struct master *m, const char *viewer, json_t *info);

/* quota.c: GET_QUOTA's payload; UPDATE_QUOTA (answers the call itself). */
/* The QuotaConfig the master keeps: {role, guarantees?, limits?} (scalars of g and l). */
json_t *master_quota_config(const char *role, const struct alloc_res *g, const struct alloc_res *l);
json_t *master_quota_get(struct master *m);
void master_quota_update_call(struct master *m, struct msg *msg);
/*
 * Apply one QuotaConfig ({role, guarantees, limits}; already valid) to the allocator and
 * the master's table, and persist it when persist. 0 or -errno (the allocator refused).
 */
int master_quota_apply(struct master *m, json_t *config, bool persist);
/*
 * Pure: check one QuotaConfig (path names it in err) and read its maps into guarantee and
 * limit (cleared by the caller either way). 0 or -EINVAL with err.
 */
int master_quota_parse(json_t *config, const char *path, struct alloc_res *guarantee,
		       struct alloc_res *limit, char *err, size_t errlen);

/* operator_stream.c: SUBSCRIBE and its events */
void master_operator_subscribe(struct master *m, struct msg *msg);
/* A subscriber's connection ended (MSG_OPERATOR_STREAM_CLOSED). */
void master_operator_stream_closed(struct master *m, struct http_stream *s);
/* End every subscriber's stream and free them (master_fini). */
void master_operator_streams_fini(struct master *m);
/* Subscribers now (the master/operator_event_stream_subscribers metric). */
size_t master_operator_subscribers(const struct master *m);
void master_operator_task_added(struct master *m, struct task *t);
/* t's latest status was just recorded; previous is the state t had before it. */
void master_operator_task_updated(struct master *m, struct task *t, enum task_state previous);
void master_operator_framework_added(struct master *m, const struct framework *fw);
void master_operator_framework_updated(struct master *m, const struct framework *fw);
void master_operator_framework_removed(struct master *m, const struct framework *fw);
void master_operator_agent_added(struct master *m, const struct agent *a);
/* The agent was removed (Mesos's removal path; not when unreachable or marked gone). */
void master_operator_agent_removed(struct master *m, const char *agent_id);

#endif
