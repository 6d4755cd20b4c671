// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "command_info.h"
#include "id.h"
#include "resources.h"
#include "util.h"
#include "health_check.h"
#include "validate.h"

/* room for a nested check's message: what is quoted of it is cut with %.512s or less */
#define SUBLEN 1024

#define P(path) (path) ? (path) : "", (path) ? "." : ""

const char *master_get_id(json_t *obj, const char *field, const char *path, char *err,
			  size_t errlen)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
	json_t *s = json_is_object(v) ? json_object_get(v, "value") : NULL;
	const char *why;

	if (!v) {
		snprintf(err, errlen, "missing field '%s%s%s'", P(path), field);
		return NULL;
	}
	if (!json_is_string(s)) {
		snprintf(err, errlen, "field '%s%s%s' must be an object {\"value\": string}",
			 P(path), field);
		return NULL;
	}
	/* Mesos's rule; what names a path or a cgroup is the ID's disk_name() (diskname.h) */
	if (!id_is_valid(json_string_value(s), json_string_length(s), &why)) {
		snprintf(err, errlen, "field '%s%s%s.value' %s", P(path), field, why);
		return NULL;
	}
	return json_string_value(s);
}

/* Where a long list is: its path's parts, innermost first (the outermost beyond 16 lost). */
struct list_path {
	const char *key[16]; /* NULL: an index */
	size_t idx[16];
	int n;
	bool cut;
};

static void path_push(struct list_path *p, const char *key, size_t idx)
{
	if (p->n == 16) {
		p->cut = true;
		return;
	}
	p->key[p->n] = key;
	p->idx[p->n++] = idx;
}

/* The first array in j longer than max (depth first), or NULL; p says where it is. */
static json_t *find_long_list(json_t *j, size_t max, struct list_path *p)
{
	json_t *v, *bad;
	const char *k;
	size_t i;

	if (json_is_array(j)) {
		if (json_array_size(j) > max)
			return j;
		json_array_foreach(j, i, v) {
			if ((bad = find_long_list(v, max, p))) {
				path_push(p, NULL, i);
				return bad;
			}
		}
	} else if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			if ((bad = find_long_list(v, max, p))) {
				path_push(p, k, 0);
				return bad;
			}
		}
	}
	return NULL;
}

bool master_call_lists_ok(json_t *call, size_t max, char *err, size_t errlen)
{
	struct list_path p = {.n = 0};
	json_t *bad = find_long_list(call, max, &p);
	char path[256] = "";
	size_t len = 0;

	if (!bad)
		return true;
	if (p.cut)
		len = (size_t)snprintf(path, sizeof(path), "...");
	for (int i = p.n - 1; i >= 0 && len < sizeof(path); i--) {
		int n = p.key[i] ? snprintf(path + len, sizeof(path) - len, "%s%s",
					    len ? "." : "", p.key[i])
				 : snprintf(path + len, sizeof(path) - len, "[%zu]", p.idx[i]);
		len += n > 0 ? (size_t)n : 0;
	}
	snprintf(err, errlen, "field '%.160s' has %zu entries, more than the %zu allowed",
		 path[0] ? path : "(body)", json_array_size(bad), max);
	return false;
}

bool master_role_is_valid(const char *role, char *err, size_t errlen)
{
	const char *p = role, *why;

	if (!role || !*role) {
		snprintf(err, errlen, "role is empty");
		return false;
	}
	if (strcmp(role, "*") == 0)
		return true;
	if (strlen(role) > ID_MAX_LEN) {
		snprintf(err, errlen, "role '%.32s...' is longer than %d bytes", role, ID_MAX_LEN);
		return false;
	}
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (!id_is_safe(p, len, &why)) {
			snprintf(err, errlen, "role '%s': a part %s", role, why);
			return false;
		}
		if (!slash)
			return true;
		p = slash + 1;
	}
}

bool master_weight_is_valid(double w)
{
	return isfinite(w) && w > 0 && w <= 1e6;
}

int master_parse_weights(json_t *infos, const char *path, void (*fn)(void *, const char *, double),
			 void *opaque, char *err, size_t errlen)
{
	char sub[WIRE_ERR_LEN];
	size_t i, k;
	json_t *e;

	if (!json_is_array(infos)) {
		snprintf(err, errlen, "field '%s' must be an array", path);
		return -EINVAL;
	}
	json_array_foreach(infos, i, e) {
		json_t *r = json_object_get(e, "role"), *w = json_object_get(e, "weight");
		if (!json_is_object(e)) {
			snprintf(err, errlen, "field '%s[%zu]' must be an object", path, i);
			return -EINVAL;
		}
		if (!json_is_string(r) || strlen(json_string_value(r)) != json_string_length(r)) {
			snprintf(err, errlen, "field '%s[%zu].role' must be a string", path, i);
			return -EINVAL;
		}
		if (!master_role_is_valid(json_string_value(r), sub, sizeof(sub))) {
			snprintf(err, errlen, "field '%s[%zu].role': %s", path, i, sub);
			return -EINVAL;
		}
		if (!json_is_number(w) || !master_weight_is_valid(json_number_value(w))) {
			snprintf(err, errlen,
				 "field '%s[%zu].weight' must be a number in (0, 1000000]", path, i);
			return -EINVAL;
		}
		for (k = 0; k < i; k++) {
			if (streq(json_string_value(json_object_get(json_array_get(infos, k), "role")),
				  json_string_value(r))) {
				snprintf(err, errlen, "field '%s[%zu].role': role '%s' appears twice",
					 path, i, json_string_value(r));
				return -EINVAL;
			}
		}
	}
	json_array_foreach(infos, i, e)
		fn(opaque, json_string_value(json_object_get(e, "role")),
		   json_number_value(json_object_get(e, "weight")));
	return (int)json_array_size(infos);
}

/*
 * framework_info's roles, by Mesos's rules: with MULTI_ROLE, "roles" (strings, none twice, each
 * a valid role) and no "role"; without, no "roles" and "role" (default "*"). Drover wants at
 * least one role. 0 with req->role (the first) and req->roles (MULTI_ROLE's array); -EINVAL (a
 * field of the wrong type: the call does not parse) or -EDOM (a FrameworkInfo Mesos refuses)
 * with err.
 */
static int framework_role(json_t *info, struct master_subscribe_req *req, char *err,
			  size_t errlen)
{
	char sub[SUBLEN];
	const char *role = wire_get_string(info, "role", false, err, errlen);
	json_t *roles = json_object_get(info, "roles"), *r;
	bool multi = master_framework_has_capability(info, "MULTI_ROLE");
	size_t i, k;

	if (!role && json_object_get(info, "role"))
		return -EINVAL;
	if (!wire_get_string(info, "user", false, err, errlen) && json_object_get(info, "user"))
		return -EINVAL;
	if (!wire_get_string(info, "name", true, err, errlen))
		return -EINVAL;
	if (roles && !json_is_array(roles)) {
		snprintf(err, errlen, "field 'framework_info.roles' must be an array of strings");
		return -EINVAL;
	}
	json_array_foreach(roles, i, r) {
		if (!json_is_string(r)) {
			snprintf(err, errlen, "field 'framework_info.roles[%zu]' must be a string", i);
			return -EINVAL;
		}
		for (k = 0; k < i; k++) {
			if (streq(json_string_value(json_array_get(roles, k)), json_string_value(r))) {
				snprintf(err, errlen,
					 "field 'framework_info.roles[%zu]': role '%.64s' appears twice",
					 i, json_string_value(r));
				return -EDOM;
			}
		}
	}
	if (!multi) {
		if (json_array_size(roles) > 0) {
			snprintf(err, errlen,
				 "field 'framework_info.roles' needs the MULTI_ROLE capability "
				 "(without it, set 'role')");
			return -EDOM;
		}
		req->role = role && *role ? role : "*";
		if (!master_role_is_valid(req->role, sub, sizeof(sub))) {
			snprintf(err, errlen, "field 'framework_info.role': %.512s", sub);
			return -EDOM;
		}
		return 0;
	}
	if (role) {
		snprintf(err, errlen,
			 "field 'framework_info.role' must not be set with the MULTI_ROLE "
			 "capability (set 'roles')");
		return -EDOM;
	}
	if (json_array_size(roles) == 0) {
		snprintf(err, errlen, "field 'framework_info.roles' must name at least one role");
		return -EDOM;
	}
	json_array_foreach(roles, i, r) {
		if (!master_role_is_valid(json_string_value(r), sub, sizeof(sub))) {
			snprintf(err, errlen, "field 'framework_info.roles[%zu]': %.512s", i, sub);
			return -EDOM;
		}
	}
	req->role = json_string_value(json_array_get(roles, 0));
	req->roles = roles;
	return 0;
}

/* framework_info's own fields: user, name, role(s), failover_timeout, tier. */
static int parse_framework_info(json_t *info, struct master_subscribe_req *req, char *err,
				size_t errlen)
{
	double fo = 0, t = 0;
	int r;

	r = framework_role(info, req, err, errlen);
	if (r < 0)
		return r;
	r = wire_get_number(info, "failover_timeout", &fo, err, errlen);
	if (r < 0)
		return r;
	if (!isfinite(fo) || fo < 0) {
		snprintf(err, errlen,
			 "field 'framework_info.failover_timeout' must not be negative");
		return -EINVAL;
	}
	r = wire_get_number(info, "tier", &t, err, errlen);
	if (r < 0 || t != floor(t) || fabs(t) > 1000) {
		snprintf(err, errlen,
			 "field 'framework_info.tier' must be an integer in [-1000, 1000]");
		return -EINVAL;
	}
	req->failover_s = fo;
	req->has_tier = r > 0;
	req->tier = (int)t;
	req->principal = json_string_value(json_object_get(info, "principal"));
	req->partition_aware = master_framework_has_capability(info, "PARTITION_AWARE");
	return 0;
}

/* framework_info.id, and the call's framework_id, which must be the same ID if present. */
static int parse_subscribe_id(json_t *call, json_t *info, const char **ret, char *err,
			      size_t errlen)
{
	const char *id = NULL, *cid;

	if (json_object_get(info, "id")) {
		id = master_get_id(info, "id", "subscribe.framework_info", err, errlen);
		if (!id)
			return -EINVAL;
	}
	if (json_object_get(call, "framework_id")) {
		cid = master_get_id(call, "framework_id", NULL, err, errlen);
		if (!cid)
			return -EINVAL;
		if (!streq(cid, id)) {
			snprintf(err, errlen,
				 "field 'framework_id' differs from 'subscribe.framework_info.id'");
			return -EINVAL;
		}
	}
	*ret = id;
	return 0;
}

/* Whether a FrameworkInfo lists capability cap ("PARTITION_AWARE"...). */
bool master_framework_has_capability(json_t *info, const char *cap)
{
	json_t *caps = json_object_get(info, "capabilities"), *c;
	size_t i;

	json_array_foreach(caps, i, c) {
		if (streq(json_string_value(json_object_get(c, "type")), cap))
			return true;
	}
	return false;
}

int master_parse_subscribe(json_t *call, struct master_subscribe_req *ret, char *err,
			   size_t errlen)
{
	json_t *sub = wire_get_object(call, "subscribe", true, err, errlen);
	struct master_subscribe_req req = {
		.info = sub ? wire_get_object(sub, "framework_info", true, err, errlen) : NULL,
	};

	int r;

	if (!req.info)
		return -EINVAL;
	r = parse_framework_info(req.info, &req, err, errlen);
	if (r < 0)
		return r;
	if (parse_subscribe_id(call, req.info, &req.id, err, errlen) < 0)
		return -EINVAL;
	r = master_parse_suppressed_roles(sub, "subscribe", &req, &req.suppressed, err, errlen);
	if (r < 0)
		return r;
	*ret = req;
	return 0;
}

/* Whether role is one of req's. */
bool master_subscribe_has_role(const struct master_subscribe_req *req, const char *role)
{
	json_t *r;
	size_t i;

	if (!req->roles)
		return streq(role, req->role);
	json_array_foreach(req->roles, i, r) {
		if (streq(json_string_value(r), role))
			return true;
	}
	return false;
}

int master_parse_suppressed_roles(json_t *obj, const char *path,
				  const struct master_subscribe_req *req, bool *ret, char *err,
				  size_t errlen)
{
	json_t *sr = json_object_get(obj, "suppressed_roles"), *r;
	bool suppressed = false;
	size_t i;

	if (sr && !json_is_array(sr)) {
		snprintf(err, errlen, "field '%s.suppressed_roles' must be an array of strings",
			 path);
		return -EINVAL;
	}
	json_array_foreach(sr, i, r) {
		if (!json_is_string(r)) {
			snprintf(err, errlen, "field '%s.suppressed_roles[%zu]' must be a string",
				 path, i);
			return -EINVAL;
		}
		if (!master_subscribe_has_role(req, json_string_value(r))) {
			snprintf(err, errlen,
				 "field '%s.suppressed_roles[%zu]': '%.64s' is not one of the "
				 "framework's roles",
				 path, i, json_string_value(r));
			return -EDOM;
		}
		suppressed = true;
	}
	*ret = suppressed;
	return 0;
}

static int check_command(json_t *ti, const char *path, char *err, size_t errlen);

/* ti.executor (instead of a command): CUSTOM (or no type), a safe executor_id, a command. */
static int check_executor(json_t *ti, const char *path, char *err, size_t errlen)
{
	json_t *ex = json_object_get(ti, "executor");
	const char *type = json_string_value(json_object_get(ex, "type"));
	char sub[SUBLEN];

	if (!json_is_object(ex)) {
		snprintf(err, errlen, "field '%s.executor' must be an object", path);
		return -EINVAL;
	}
	snprintf(sub, sizeof(sub), "%.200s.executor", path);
	if (!master_get_id(ex, "executor_id", sub, err, errlen))
		return -EINVAL;
	if (json_object_get(ex, "type") && !(type && strcmp(type, "CUSTOM") == 0)) {
		snprintf(err, errlen, "field '%s.executor.type' must be CUSTOM", path);
		return -EINVAL;
	}
	if (!json_object_get(ex, "command")) {
		snprintf(err, errlen, "missing field '%s.executor.command'", path);
		return -EINVAL;
	}
	return check_command(ex, sub, err, errlen);
}

/* ti.command: a CommandInfo (lib/command_info.h) with a value or arguments. */
static int check_command(json_t *ti, const char *path, char *err, size_t errlen)
{
	char sub[SUBLEN];
	json_t *cmd = wire_get_object(ti, "command", false, sub, sizeof(sub));
	json_t *val = json_object_get(cmd, "value"), *args = json_object_get(cmd, "arguments");

	if (!cmd && !json_object_get(ti, "command") && json_object_get(ti, "executor"))
		return check_executor(ti, path, err, errlen);
	if (cmd && json_object_get(ti, "executor")) {
		snprintf(err, errlen, "%s: exactly one of 'command' and 'executor' must be set", path);
		return -EINVAL;
	}
	if (!cmd) {
		if (json_object_get(ti, "command"))
			snprintf(err, errlen, "%.96s: %.512s", path, sub);
		else
			snprintf(err, errlen, "%s: one of 'command' and 'executor' must be set", path);
		return -EINVAL;
	}
	if (command_info_check(cmd, path, err, errlen) < 0)
		return -EINVAL;
	if (!val && (!args || json_array_size(args) == 0)) {
		snprintf(err, errlen, "field '%s.command' needs 'value' or 'arguments'", path);
		return -EINVAL;
	}
	return 0;
}

/* ti.limits: {name: number or {"value": number}}, each finite and > 0. */
static int check_limits(json_t *ti, const char *path, char *err, size_t errlen)
{
	json_t *limits = json_object_get(ti, "limits"), *lv;
	const char *k;

	if (!limits)
		return 0;
	if (!json_is_object(limits)) {
		snprintf(err, errlen, "field '%s.limits' must be an object", path);
		return -EINVAL;
	}
	json_object_foreach(limits, k, lv) {
		double d = json_is_number(lv)   ? json_number_value(lv)
			   : json_is_object(lv) ? json_number_value(json_object_get(lv, "value"))
						: NAN;
		if (!isfinite(d) || d <= 0) {
			snprintf(err, errlen, "field '%s.limits.%.32s' must be a positive number", path,
				 k);
			return -EINVAL;
		}
	}
	return 0;
}

/* ti.resources: present, parsed into *ret (the caller's on success), not empty. */
static int parse_task_resources(json_t *ti, const char *path, struct alloc_res *ret, char *err,
				size_t errlen)
{
	json_t *res = json_object_get(ti, "resources");
	struct alloc_res r = ALLOC_RES_INIT;
	char sub[SUBLEN];

	if (!res) {
		snprintf(err, errlen, "missing field '%s.resources'", path);
		return -EINVAL;
	}
	if (alloc_res_from_json(res, &r, sub, sizeof(sub)) < 0) {
		snprintf(err, errlen, "field '%s.resources': %.160s", path, sub);
		return -EINVAL;
	}
	if (alloc_res_is_empty(&r)) {
		alloc_res_clear(&r);
		snprintf(err, errlen, "field '%s.resources' is empty", path);
		return -EINVAL;
	}
	*ret = r;
	return 0;
}

/* obj[field] as {"value": string}, whatever the string: what a protobuf parse needs. */
static const char *id_shape(json_t *obj, const char *field, const char *path, char *err,
			    size_t errlen)
{
	json_t *v = json_object_get(obj, field);
	json_t *s = json_is_object(v) ? json_object_get(v, "value") : NULL;

	if (!v) {
		snprintf(err, errlen, "missing field '%s.%s'", path, field);
		return NULL;
	}
	if (!json_is_string(s)) {
		snprintf(err, errlen, "field '%s.%s' must be an object {\"value\": string}", path,
			 field);
		return NULL;
	}
	return json_string_value(s);
}

int master_task_info_parse(json_t *ti, const char *path, const char **ret_id, char *err,
			   size_t errlen)
{
	char sub[SUBLEN];
	const char *id;

	if (!json_is_object(ti)) {
		snprintf(err, errlen, "field '%s' must be an object", path);
		return -EINVAL;
	}
	id = id_shape(ti, "task_id", path, err, errlen);
	if (!id)
		return -EINVAL;
	if (!wire_get_string(ti, "name", true, sub, sizeof(sub))) {
		snprintf(err, errlen, "%.96s: %.512s", path, sub);
		return -EINVAL;
	}
	if (!id_shape(ti, "agent_id", path, err, errlen))
		return -EINVAL;
	*ret_id = id;
	return 0;
}

/*
 * TaskInfo fields that change how a task runs and that Drover does not do: refused, never
 * accepted and ignored. (Informational ones, discovery, labels and data, are kept.)
 */
static const struct {
	const char *field, *why;
} unsupported_task_fields[] = {
	{"check", "checks are not supported"},
	{"max_completion_time", "is not supported"},
};

/* ti.container: only a MESOS container with nothing more (what Drover runs anyway). */
static int check_container(json_t *ti, const char *path, char *err, size_t errlen)
{
	json_t *c = json_object_get(ti, "container");
	const char *k;
	json_t *v;

	if (!c)
		return 0;
	if (!json_is_object(c)) {
		snprintf(err, errlen, "field '%s.container' must be an object", path);
		return -EINVAL;
	}
	json_object_foreach(c, k, v) {
		if (streq(k, "type") && streq(json_string_value(v), "MESOS"))
			continue;
		if (streq(k, "type"))
			snprintf(err, errlen,
				 "field '%s.container.type': only MESOS containers are supported",
				 path);
		else
			snprintf(err, errlen, "field '%s.container.%.32s' is not supported", path,
				 k);
		return -EINVAL;
	}
	return 0;
}

/* Per Resource: what the agent cannot honour (reservations, volumes, revocable...). */
static int check_resource_fields(json_t *ti, const char *path, char *err, size_t errlen)
{
	static const char *const unsupported[] = {"reservation", "reservations", "disk",
						   "revocable",   "shared",       "provider_id"};
	json_t *res = json_object_get(ti, "resources"), *r;
	size_t i, k;

	json_array_foreach(res, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		json_t *role = json_object_get(r, "role");
		json_t *sc = json_object_get(json_object_get(r, "scalar"), "value");

		for (k = 0; k < sizeof(unsupported) / sizeof(unsupported[0]); k++) {
			if (json_object_get(r, unsupported[k])) {
				snprintf(err, errlen,
					 "field '%s.resources[%zu].%s' is not supported", path, i,
					 unsupported[k]);
				return -EINVAL;
			}
		}
		if (role && !streq(json_string_value(role), "*")) {
			snprintf(err, errlen,
				 "field '%s.resources[%zu].role': reserved resources are not "
				 "supported",
				 path, i);
			return -EINVAL;
		}
		/* whole GPUs only (Mesos: milli-units modulo 1000) */
		if (streq(name, "gpus") && json_is_number(sc) &&
		    llround(json_number_value(sc) * 1000) % 1000 != 0) {
			snprintf(err, errlen,
				 "field '%s.resources[%zu]': 'gpus' must be an unsigned integer", path,
				 i);
			return -EINVAL;
		}
	}
	return 0;
}

/* What else a TaskInfo asks for, beyond command and resources, that Drover can do. */
static int check_task_extras(json_t *ti, const char *path, char *err, size_t errlen)
{
	json_t *kp = json_object_get(ti, "kill_policy");
	json_t *gp = json_object_get(json_object_get(kp, "grace_period"), "nanoseconds");
	size_t i;

	for (i = 0; i < sizeof(unsupported_task_fields) / sizeof(unsupported_task_fields[0]); i++) {
		if (json_object_get(ti, unsupported_task_fields[i].field)) {
			snprintf(err, errlen, "field '%s.%s': %s", path,
				 unsupported_task_fields[i].field, unsupported_task_fields[i].why);
			return -EINVAL;
		}
	}
	if (kp && !json_is_object(kp)) {
		snprintf(err, errlen, "field '%s.kill_policy' must be an object", path);
		return -EINVAL;
	}
	if (gp && (!json_is_number(gp) || json_number_value(gp) < 0)) {
		snprintf(err, errlen,
			 "field '%s.kill_policy.grace_period.nanoseconds' must not be negative",
			 path);
		return -EINVAL;
	}
	if (json_object_get(json_object_get(ti, "command"), "uris")) {
		snprintf(err, errlen, "field '%s.command.uris': fetching URIs is not supported",
			 path);
		return -EINVAL;
	}
	return check_container(ti, path, err, errlen);
}

int master_validate_task_info(json_t *ti, const char *path, struct master_task_shape *ret,
			      char *err, size_t errlen)
{
	struct master_task_shape t = {.res = ALLOC_RES_INIT};
	char sub[SUBLEN];

	if (!json_is_object(ti)) {
		snprintf(err, errlen, "field '%s' must be an object", path);
		return -EINVAL;
	}
	t.id = master_get_id(ti, "task_id", path, err, errlen);
	if (!t.id)
		return -EINVAL;
	if (!wire_get_string(ti, "name", true, sub, sizeof(sub))) {
		snprintf(err, errlen, "%.96s: %.512s", path, sub);
		return -EINVAL;
	}
	t.agent_id = master_get_id(ti, "agent_id", path, err, errlen);
	if (!t.agent_id)
		return -EINVAL;
	if (check_task_extras(ti, path, err, errlen) < 0 || check_command(ti, path, err, errlen) < 0 ||
	    check_limits(ti, path, err, errlen) < 0 ||
	    master_validate_health_check(ti, path, err, errlen) < 0 ||
	    check_resource_fields(ti, path, err, errlen) < 0 ||
	    parse_task_resources(ti, path, &t.res, err, errlen) < 0)
		return -EINVAL;
	*ret = t;
	return 0;
}

int master_validate_health_check(json_t *ti, const char *path, char *err, size_t errlen)
{
	json_t *hc = json_object_get(ti, "health_check");
	struct health_check c;
	char sub[SUBLEN];

	if (!hc)
		return 0;
	snprintf(sub, sizeof(sub), "%s.health_check", path);
	if (health_check_parse(hc, sub, &c, err, errlen) < 0)
		return -EINVAL;
	/* the agent and the APIs see the type the master inferred (Mesos) */
	if (c.type_inferred)
		json_object_set_new(hc, "type", json_string(health_check_type_name(c.type)));
	return 0;
}

int master_agent_capabilities_parse(json_t *caps, json_t **ret, char *err, size_t errlen)
{
	/* AgentInfo.Capability.Type (proto/mesos/v1/mesos.proto), UNKNOWN aside */
	static const char *const known[] = {"MULTI_ROLE",
					    "HIERARCHICAL_ROLE",
					    "RESERVATION_REFINEMENT",
					    "RESOURCE_PROVIDER",
					    "RESIZE_VOLUME",
					    "AGENT_OPERATION_FEEDBACK",
					    "AGENT_DRAINING",
					    "TASK_RESOURCE_LIMITS"};
	bool seen[ARRAY_SIZE(known)] = {false};
	json_t *arr, *c, *t;
	size_t i;

	if (caps && !json_is_null(caps) && !json_is_array(caps)) {
		snprintf(err, errlen, "'subscribe.capabilities' must be an array");
		return -EINVAL;
	}
	if (json_array_size(caps) > MASTER_AGENT_CAPABILITIES_MAX) {
		snprintf(err, errlen, "'subscribe.capabilities' has more than the %d allowed",
			 MASTER_AGENT_CAPABILITIES_MAX);
		return -EINVAL;
	}
	json_array_foreach(caps, i, c) {
		t = json_object_get(c, "type");
		if (!json_is_object(c) || (t && !json_is_null(t) && !json_is_string(t))) {
			snprintf(err, errlen,
				 "'subscribe.capabilities[%zu]' must be an object with a string "
				 "'type'",
				 i);
			return -EINVAL;
		}
	}
	arr = json_array();
	if (!arr) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	json_array_foreach(caps, i, c) {
		const char *name = json_string_value(json_object_get(c, "type"));

		for (size_t k = 0; name && k < ARRAY_SIZE(known); k++) {
			if (!seen[k] && streq(name, known[k])) {
				seen[k] = true;
				json_array_append_new(arr, json_pack("{s:s}", "type", known[k]));
			}
		}
	}
	*ret = arr;
	return 0;
}
