/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure checks of what callers send, shared by the scheduler, agent and operator APIs and the
 * --roles file. No master state: every function reads JSON and writes a message naming the
 * offending field into err (WIRE_ERR_LEN bytes).
 */
#ifndef DROVER_MASTER_VALIDATE_H
#define DROVER_MASTER_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "resources.h"
#include "wire.h"

/*
 * obj[field] as an ID that may name a file or a cgroup: {"value": s} with s 1..255 bytes of
 * [A-Za-z0-9._:-], no NUL (jansson keeps "\u0000" inside the string, so the length is
 * json_string_length, not strlen), not starting with '.' (an agent's recovery skips hidden
 * names). path prefixes the field's name in err
 * ("accept.operations[0].launch.task_infos[1]"); NULL for a top-level field.
 */
const char *master_get_id(json_t *obj, const char *field, const char *path, char *err,
			  size_t errlen);

/*
 * Is every array anywhere in call (a whole request body) at most max entries long? On false,
 * err names the first longer one ("field 'reconcile.tasks' has 40000 entries, ...").
 */
bool master_call_lists_ok(json_t *call, size_t max, char *err, size_t errlen);

/* A role: "*" or a path of safe names ("eng/ml"). */
bool master_role_is_valid(const char *role, char *err, size_t errlen);

/* One weight: finite and > 0 and at most 1e6. */
bool master_weight_is_valid(double w);

/*
 * UPDATE_WEIGHTS' weight_infos: [{"role": R, "weight": W}, ...], each role once.
 * Calls fn for each entry only after all of them are valid. Returns the count or -EINVAL.
 */
int master_parse_weights(json_t *infos, const char *path, void (*fn)(void *, const char *, double),
			 void *opaque, char *err, size_t errlen);

/*
 * A SUBSCRIBE call, parsed and checked alone (no master state). Pointers go into the call's
 * JSON and live as long as it does.
 */
struct master_subscribe_req {
	json_t *info; /* subscribe.framework_info */
	const char *id; /* framework_info.id: a failover; NULL: a new framework */
	const char *role; /* "role" (default "*"), or MULTI_ROLE's first of "roles"; valid */
	json_t *roles; /* MULTI_ROLE: "roles" (valid strings, none twice, at least one); else NULL */
	const char *principal; /* framework_info.principal if a string, else NULL */
	double failover_s; /* framework_info.failover_timeout: finite, >= 0, not capped */
	bool has_tier; /* framework_info.tier is present ... */
	int tier; /* ... and this integer in [-1000, 1000] */
	bool partition_aware; /* capabilities name PARTITION_AWARE */
	bool suppressed; /* subscribe.suppressed_roles names one of its roles */
};

/* Whether role is one of req's roles. */
bool master_subscribe_has_role(const struct master_subscribe_req *req, const char *role);

/*
 * obj.suppressed_roles (SUBSCRIBE's, UPDATE_FRAMEWORK's): strings, each one of req's roles.
 * *ret: whether any is named. 0; -EINVAL (wrong types) or -EDOM (another role) with err.
 */
int master_parse_suppressed_roles(json_t *obj, const char *path,
				  const struct master_subscribe_req *req, bool *ret, char *err,
				  size_t errlen);

/*
 * Parse call (a whole SUBSCRIBE body) into *ret: framework_info's fields, its ID, a top-level
 * framework_id equal to it, suppressed_roles. 0; -EINVAL when a field has the wrong type or
 * the IDs differ (the call does not parse or fails Mesos's structural checks: 400), -EDOM
 * for a FrameworkInfo Mesos refuses with an ERROR event (roles, suppressed roles); err says
 * which field ("field 'framework_info.role': ...").
 */
int master_parse_subscribe(json_t *call, struct master_subscribe_req *ret, char *err,
			   size_t errlen);

/*
 * One TaskInfo of a LAUNCH, checked alone: an object with a safe task_id and agent_id, a
 * name, a command (value or arguments, no NUL), positive finite limits, resources that parse
 * and are not empty, and no field Drover would not carry out (executor, check,
 * max_completion_time, command.uris, a container other than a bare MESOS one, reserved,
 * volume, revocable or shared resources, fractional gpus, a negative kill grace period). Whether the ID is free, the agent the offers' and the resources within
 * them is the caller's to check. path names the TaskInfo in err
 * ("accept.operations[0].launch.task_infos[1]"). On 0 *ret is written (the caller clears
 * ret->res); -EINVAL with err otherwise.
 */
struct master_task_shape {
	const char *id; /* task_id.value, in ti */
	const char *agent_id; /* agent_id.value, in ti */
	struct alloc_res res;
};
int master_validate_task_info(json_t *ti, const char *path, struct master_task_shape *ret,
			      char *err, size_t errlen);

/*
 * ti.health_check, when there is one, checked with Mesos's rules (lib/health_check.h); a
 * type left out is inferred and written into it. 0, or -EINVAL with err naming the field
 * (the caller answers TASK_ERROR or 400). master_validate_task_info() calls it.
 */
int master_validate_health_check(json_t *ti, const char *path, char *err, size_t errlen);

/*
 * What of a TaskInfo a protobuf parse would need: an object with task_id and agent_id of
 * shape {"value": string} and a string name. Their content is master_validate_task_info's to
 * judge (a bad ID is a TASK_ERROR, not a 400). *ret_id: task_id.value, in ti.
 */
int master_task_info_parse(json_t *ti, const char *path, const char **ret_id, char *err,
			   size_t errlen);

/* Whether a FrameworkInfo lists capability cap ("PARTITION_AWARE"...). */
bool master_framework_has_capability(json_t *info, const char *cap);

/* The most entries an agent's "capabilities" list may have (Mesos has 8 types). */
#define MASTER_AGENT_CAPABILITIES_MAX 32
/*
 * An agent's SUBSCRIBE "capabilities" (AgentInfo.Capability: [{"type": NAME}, ...]) as the
 * master keeps them: *ret a new array of {"type": NAME} with each of Mesos's type names once,
 * in the order given; a name Mesos does not know is dropped (its JSON mapping leaves an
 * unknown enum unset), NULL or null is none. -EINVAL with err: not an array, more than
 * MASTER_AGENT_CAPABILITIES_MAX entries, an entry not an object or a type not a string.
 */
int master_agent_capabilities_parse(json_t *caps, json_t **ret, char *err, size_t errlen);

#endif
