// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the master's pure field checks (masterd/validate.c) on any JSON:
 * IDs that become file and cgroup names (never hidden: no leading '.'), roles,
 * UPDATE_WEIGHTS' weight_infos, the cap on every list in a call, a SUBSCRIBE call, a
 * LAUNCH's TaskInfo, an agent's capabilities. What they accept must be safe to use as a path component; what they
 * refuse must say why.
 */
#include <stdbool.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "masterd/validate.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_weight(void *opaque, const char *role, double w)
{
	int *n = opaque;
	char err[WIRE_ERR_LEN];

	if (!master_role_is_valid(role, err, sizeof(err)) || !master_weight_is_valid(w))
		abort();
	(*n)++;
}

/*
 * An ID the master took: what master_get_id promises, Mesos's rule: 1-255 bytes, not "." or
 * "..", no control byte, '/' or '\\'.
 */
static void check_safe_id(const char *id)
{
	if (!id || !*id || strlen(id) > 255 || strchr(id, '/') || strchr(id, '\\') ||
	    streq(id, ".") || streq(id, ".."))
		abort();
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

static void check_id(json_t *obj, const char *field)
{
	char err[WIRE_ERR_LEN] = "";
	const char *id = master_get_id(obj, field, "call", err, sizeof(err));

	if (!id) {
		if (!err[0])
			abort();
		return;
	}
	check_safe_id(id);
}

/* The longest array anywhere in j. */
static size_t longest_list(json_t *j)
{
	size_t most = json_is_array(j) ? json_array_size(j) : 0, i, n;
	const char *k;
	json_t *v;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			n = longest_list(v);
			most = n > most ? n : most;
		}
	} else if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			n = longest_list(v);
			most = n > most ? n : most;
		}
	}
	return most;
}

/* master_call_lists_ok (what http.c checks every call with) against a plain walk */
static void check_lists(json_t *j)
{
	char err[WIRE_ERR_LEN] = "";
	bool ok = master_call_lists_ok(j, 4, err, sizeof(err));

	if (ok != (longest_list(j) <= 4) || (!ok && !strstr(err, "more than the 4 allowed")))
		abort();
}

/* master_parse_subscribe: what it accepts is a valid role, timeout, tier and ID */
static void check_subscribe(json_t *j)
{
	struct master_subscribe_req req;
	char err[1024] = "";

	if (master_parse_subscribe(j, &req, err, sizeof(err)) < 0) {
		if (!err[0])
			abort();
		return;
	}
	if (!json_is_object(req.info) || !master_role_is_valid(req.role, err, sizeof(err)) ||
	    !isfinite(req.failover_s) || req.failover_s < 0 ||
	    (req.has_tier && (req.tier < -1000 || req.tier > 1000)))
		abort();
	if (req.id)
		check_safe_id(req.id);
	/* MULTI_ROLE: every role valid, none twice, the first is req.role */
	for (size_t i = 0; i < json_array_size(req.roles); i++) {
		const char *r = json_string_value(json_array_get(req.roles, i));

		if (!r || !master_role_is_valid(r, err, sizeof(err)) ||
		    (i == 0 && strcmp(r, req.role) != 0))
			abort();
		for (size_t k = 0; k < i; k++)
			if (strcmp(r, json_string_value(json_array_get(req.roles, k))) == 0)
				abort();
	}
	if (req.roles && json_array_size(req.roles) == 0)
		abort();
}

/* master_validate_task_info: what it accepts has valid IDs, resources, a command or executor */
static void check_task_info(json_t *ti)
{
	struct master_task_shape t;
	char err[1024] = "";
	const char *id = NULL;

	/* master_task_info_parse: a task_id string, or a message */
	if (master_task_info_parse(ti, "task", &id, err, sizeof(err)) < 0 ? !err[0] : !id)
		abort();
	err[0] = '\0';
	if (master_validate_task_info(ti, "task", &t, err, sizeof(err)) < 0) {
		if (!err[0])
			abort();
		return;
	}
	check_safe_id(t.id);
	check_safe_id(t.agent_id);
	/* a command, or a framework's own executor (Mesos: exactly one of the two) */
	if (alloc_res_is_empty(&t.res) ||
	    !json_object_get(ti, "command") == !json_object_get(ti, "executor"))
		abort();
	alloc_res_clear(&t.res);
}

/*
 * master_agent_capabilities_parse on j's "capabilities": what it keeps is at most Mesos's 8
 * types, each {"type": a known name} once; what it refuses says why.
 */
static void check_agent_capabilities(json_t *j)
{
	char err[WIRE_ERR_LEN] = "";
	json_t *caps = NULL, *c;
	size_t i;

	if (master_agent_capabilities_parse(json_object_get(j, "capabilities"), &caps, err,
					    sizeof(err)) < 0) {
		if (!err[0] || caps)
			abort();
		return;
	}
	if (!json_is_array(caps) || json_array_size(caps) > 8)
		abort();
	json_array_foreach(caps, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));

		if (!t || json_object_size(c) != 1 || streq(t, "UNKNOWN"))
			abort();
		for (size_t k = 0; k < i; k++)
			if (streq(t, json_string_value(
					     json_object_get(json_array_get(caps, k), "type"))))
				abort();
	}
	json_decref(caps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[WIRE_ERR_LEN] = "", *text;
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	int n = 0, r;

	if (j) {
		check_id(j, "task_id");
		check_id(j, "framework_id");
		check_lists(j);
		check_subscribe(j);
		check_task_info(j);
		check_agent_capabilities(j);
		r = master_parse_weights(json_object_get(j, "weight_infos"), "weight_infos",
					 no_weight, &n, err, sizeof(err));
		if (r >= 0 ? r != n : !err[0])
			abort();
		r = master_parse_weights(j, "weight_infos", no_weight, &n, err, sizeof(err));
		json_decref(j);
	}
	text = strndup((const char *)data, size);
	if (text) {
		err[0] = '\0';
		if (master_role_is_valid(text, err, sizeof(err))) {
			if (strcmp(text, "*") != 0 &&
			    (text[0] == '/' || strstr(text, "//") || strstr(text, "/../") ||
			     strncmp(text, "../", 3) == 0 || strcmp(text, "..") == 0))
				abort();
		} else if (!err[0]) {
			abort();
		}
		free(text);
	}
	return 0;
}
