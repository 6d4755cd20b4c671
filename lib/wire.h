/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON wire types shared by the master, the agent and the CLI (Mesos v1 JSON mapping):
 * IDs as {"value": "..."}, events as {"type": T, "<t>": {...}}, task states, and field
 * getters that say which field was wrong.
 */
#ifndef DROVER_WIRE_H
#define DROVER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum task_state {
	TASK_STAGING,
	TASK_STARTING,
	TASK_RUNNING,
	TASK_KILLING,
	TASK_FINISHED,
	TASK_FAILED,
	TASK_KILLED,
	TASK_ERROR,
	TASK_LOST,
	TASK_DROPPED,
	TASK_UNREACHABLE,
	TASK_GONE,
	TASK_GONE_BY_OPERATOR,
	TASK_UNKNOWN,
	TASK_STATE_MAX,
};

const char *task_state_name(enum task_state s);
int task_state_parse(const char *name, enum task_state *ret);
bool task_state_terminal(enum task_state s);

#define WIRE_ERR_LEN 256

/* {"value": v} */
json_t *wire_id(const char *v);
/* obj[field].value, or NULL (with err naming the field) when absent or not a string. */
const char *wire_get_id(json_t *obj, const char *field, char *err, size_t errlen);
/* obj[field] as a string; NULL and err when missing or of another type. */
const char *wire_get_string(json_t *obj, const char *field, bool required, char *err,
			    size_t errlen);
/* obj[field] as an object; NULL and err when missing (if required) or not an object. */
json_t *wire_get_object(json_t *obj, const char *field, bool required, char *err, size_t errlen);
/* A copy of obj's string field (free it), or NULL when there is none (or no memory). */
char *wire_dup_string(json_t *obj, const char *field);
/* obj[field] as a finite number; returns 0/1 (present) or -EINVAL with err. */
int wire_get_number(json_t *obj, const char *field, double *ret, char *err, size_t errlen);
/* obj[field] as a bool; returns 0/1 (present) or -EINVAL with err. */
int wire_get_bool(json_t *obj, const char *field, bool *ret, char *err, size_t errlen);

/* obj's members as [{"name": member, "value": its value}] (Mesos's Flag and Metric lists). */
json_t *wire_name_values(json_t *obj);

/* {"type": type, key: payload} (payload stolen; key NULL: no payload). */
json_t *wire_event(const char *type, const char *key, json_t *payload);
/* Compact JSON with no newline, framed as one RecordIO record. Returns length or -errno. */
long wire_record(json_t *ev, char **ret);

#endif
