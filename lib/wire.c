// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonnum.h"
#include "recordio.h"
#include "util.h"
#include "wire.h"

static const char *const state_names[TASK_STATE_MAX] = {
	[TASK_STAGING] = "TASK_STAGING",
	[TASK_STARTING] = "TASK_STARTING",
	[TASK_RUNNING] = "TASK_RUNNING",
	[TASK_KILLING] = "TASK_KILLING",
	[TASK_FINISHED] = "TASK_FINISHED",
	[TASK_FAILED] = "TASK_FAILED",
	[TASK_KILLED] = "TASK_KILLED",
	[TASK_ERROR] = "TASK_ERROR",
	[TASK_LOST] = "TASK_LOST",
	[TASK_DROPPED] = "TASK_DROPPED",
	[TASK_UNREACHABLE] = "TASK_UNREACHABLE",
	[TASK_GONE] = "TASK_GONE",
	[TASK_GONE_BY_OPERATOR] = "TASK_GONE_BY_OPERATOR",
	[TASK_UNKNOWN] = "TASK_UNKNOWN",
};

const char *task_state_name(enum task_state s)
{
	return (unsigned)s < TASK_STATE_MAX ? state_names[s] : "TASK_UNKNOWN";
}

int task_state_parse(const char *name, enum task_state *ret)
{
	for (int i = 0; i < TASK_STATE_MAX; i++) {
		if (streq(name, state_names[i])) {
			*ret = (enum task_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool task_state_terminal(enum task_state s)
{
	switch (s) {
	case TASK_FINISHED:
	case TASK_FAILED:
	case TASK_KILLED:
	case TASK_ERROR:
	case TASK_LOST:
	case TASK_DROPPED:
	case TASK_GONE:
	case TASK_GONE_BY_OPERATOR:
		return true;
	default:
		return false;
	}
}

json_t *wire_id(const char *v)
{
	return json_pack("{s:s}", "value", v ? v : "");
}

const char *wire_get_string(json_t *obj, const char *field, bool required, char *err,
			    size_t errlen)
{
	json_t *v = obj ? json_object_get(obj, field) : NULL;

	if (!v) {
		if (required)
			snprintf(err, errlen, "missing field '%s'", field);
		return NULL;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "field '%s' must be a string", field);
		return NULL;
	}
	return json_string_value(v);
}

const char *wire_get_id(json_t *obj, const char *field, char *err, size_t errlen)
{
	json_t *v = obj ? json_object_get(obj, field) : NULL;
	json_t *s;

	if (!v) {
		snprintf(err, errlen, "missing field '%s'", field);
		return NULL;
	}
	s = json_is_object(v) ? json_object_get(v, "value") : NULL;
	if (!s || !json_is_string(s)) {
		snprintf(err, errlen, "field '%s' must be an object {\"value\": string}", field);
		return NULL;
	}
	return json_string_value(s);
}

json_t *wire_get_object(json_t *obj, const char *field, bool required, char *err, size_t errlen)
{
	json_t *v = obj ? json_object_get(obj, field) : NULL;

	if (!v) {
		if (required)
			snprintf(err, errlen, "missing field '%s'", field);
		return NULL;
	}
	if (!json_is_object(v)) {
		snprintf(err, errlen, "field '%s' must be an object", field);
		return NULL;
	}
	return v;
}

int wire_get_number(json_t *obj, const char *field, double *ret, char *err, size_t errlen)
{
	json_t *v = obj ? json_object_get(obj, field) : NULL;
	double d;

	if (!v)
		return 0;
	if (!json_is_number(v)) {
		snprintf(err, errlen, "field '%s' must be a number", field);
		return -EINVAL;
	}
	d = json_number_value(v);
	if (!isfinite(d)) {
		snprintf(err, errlen, "field '%s' must be finite", field);
		return -EINVAL;
	}
	*ret = d;
	return 1;
}

int wire_get_bool(json_t *obj, const char *field, bool *ret, char *err, size_t errlen)
{
	json_t *v = obj ? json_object_get(obj, field) : NULL;

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(err, errlen, "field '%s' must be true or false", field);
		return -EINVAL;
	}
	*ret = json_is_true(v);
	return 1;
}

json_t *wire_name_values(json_t *obj)
{
	json_t *arr = json_array(), *v;
	const char *name;

	json_object_foreach(obj, name, v)
		json_array_append_new(arr, json_pack("{s:s,s:O}", "name", name, "value", v));
	return arr;
}

json_t *wire_event(const char *type, const char *key, json_t *payload)
{
	json_t *ev = json_pack("{s:s}", "type", type);

	if (ev && key && payload)
		json_object_set_new(ev, key, payload);
	else if (payload)
		json_decref(payload);
	return ev;
}

long wire_record(json_t *ev, char **ret)
{
	_cleanup_free_ char *s = jsonnum_dumps(ev, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (!s)
		return -ENOMEM;
	return recordio_encode(s, strlen(s), ret);
}

char *wire_dup_string(json_t *obj, const char *field)
{
	const char *v = json_string_value(json_object_get(obj, field));

	return v ? strdup(v) : NULL;
}
