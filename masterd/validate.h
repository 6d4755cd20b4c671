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

#endif
