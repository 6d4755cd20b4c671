// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "acl.h"
#include "util.h"

#define MAX_RULES 10000
#define MAX_VALUES 10000

static const struct {
	const char *name, *object;
} actions[_ACL_ACTION_MAX] = {
	[ACL_REGISTER_FRAMEWORKS] = {"register_frameworks", "roles"},
	[ACL_RUN_TASKS] = {"run_tasks", "users"},
	[ACL_KILL_TASKS] = {"kill_tasks", "framework_principals"},
	[ACL_TEARDOWN_FRAMEWORKS] = {"teardown_frameworks", "framework_principals"},
	[ACL_REGISTER_AGENTS] = {"register_agents", "agents"},
	[ACL_VIEW] = {"view", "calls"},
	[ACL_UPDATE_WEIGHTS] = {"update_weights", "roles"},
	[ACL_DRAIN_AGENTS] = {"drain_agents", "agents"},
	[ACL_REQUEST_TIERS] = {"request_tiers", "tiers"},
	[ACL_VIEW_ROLES] = {"view_roles", "roles"},
	[ACL_UPDATE_QUOTAS] = {"update_quotas", "roles"},
	[ACL_SET_LOG_LEVEL] = {"set_log_level", "levels"},
	[ACL_MARK_AGENTS_GONE] = {"mark_agents_gone", "agents"},
};

const char *master_acl_action_name(enum acl_action action)
{
	return action < _ACL_ACTION_MAX ? actions[action].name : "?";
}

const char *master_acl_object_name(enum acl_action action)
{
	return action < _ACL_ACTION_MAX ? actions[action].object : "?";
}

void master_acls_init(struct acls *a)
{
	memset(a, 0, sizeof(*a));
	a->permissive = true;
}

static void entity_clear(struct acl_entity *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->values[i]);
	free(e->values);
	e->values = NULL;
	e->n = 0;
}

void master_acls_clear(struct acls *a)
{
	if (!a)
		return;
	for (int k = 0; k < _ACL_ACTION_MAX; k++) {
		for (size_t i = 0; i < a->n[k]; i++) {
			entity_clear(&a->rules[k][i].principals);
			entity_clear(&a->rules[k][i].objects);
		}
		free(a->rules[k]);
	}
	master_acls_init(a);
}

/* "ANY", "NONE" (objects only: sets *ret_none) or an array of non-empty strings. */
static int entity_parse(json_t *v, const char *where, bool object, struct acl_entity *e,
			bool *ret_none, char *err, size_t errlen)
{
	json_t *x;
	size_t i;

	if (json_is_string(v) && streq(json_string_value(v), "ANY")) {
		e->any = true;
		return 0;
	}
	if (object && json_is_string(v) && streq(json_string_value(v), "NONE")) {
		e->any = true;
		*ret_none = true;
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) > MAX_VALUES) {
		snprintf(err, errlen, "%s must be \"ANY\"%s or an array of names", where,
			 object ? ", \"NONE\"" : "");
		return -EINVAL;
	}
	e->values = calloc(json_array_size(v) + 1, sizeof(char *));
	if (!e->values)
		return -ENOMEM;
	json_array_foreach(v, i, x) {
		if (!json_is_string(x) || json_string_length(x) == 0 ||
		    strlen(json_string_value(x)) != json_string_length(x)) {
			snprintf(err, errlen, "%s[%zu] must be a non-empty string without NUL", where,
				 i);
			return -EINVAL;
		}
		e->values[i] = strdup(json_string_value(x));
		if (!e->values[i])
			return -ENOMEM;
		e->n = i + 1;
	}
	return 0;
}

/* Tiers may be written as numbers: each becomes its decimal text, the object compared. */
static void tiers_as_text(json_t *v)
{
	char text[32];
	json_t *x;
	size_t i;

	json_array_foreach(v, i, x) {
		if (!json_is_integer(x))
			continue;
		snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(x));
		json_array_set_new(v, i, json_string(text));
	}
}

static int rule_parse(json_t *r, enum acl_action act, size_t idx, struct acl_rule *rule,
		      char *err, size_t errlen)
{
	const char *name = actions[act].name, *obj = actions[act].object, *k;
	char where[128];
	json_t *v, *allow;
	bool none = false;
	int ret;

	snprintf(where, sizeof(where), "%s[%zu]", name, idx);
	if (!json_is_object(r)) {
		snprintf(err, errlen, "%s must be an object", where);
		return -EINVAL;
	}
	json_object_foreach(r, k, v) {
		if (!streq(k, "principals") && !streq(k, obj) && !streq(k, "allow")) {
			snprintf(err, errlen, "%s: unknown field '%.64s' (expected 'principals', '%s', 'allow')",
				 where, k, obj);
			return -EINVAL;
		}
	}
	v = json_object_get(r, "principals");
	if (!v) {
		snprintf(err, errlen, "%s: missing field 'principals'", where);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "%s[%zu].principals", name, idx);
	ret = entity_parse(v, where, false, &rule->principals, &none, err, errlen);
	if (ret < 0)
		return ret;
	v = json_object_get(r, obj);
	if (act == ACL_REQUEST_TIERS)
		tiers_as_text(v);
	snprintf(where, sizeof(where), "%s[%zu].%s", name, idx, obj);
	if (!v) {
		snprintf(err, errlen, "%s[%zu]: missing field '%s'", name, idx, obj);
		return -EINVAL;
	}
	ret = entity_parse(v, where, true, &rule->objects, &none, err, errlen);
	if (ret < 0)
		return ret;
	allow = json_object_get(r, "allow");
	if (allow && !json_is_boolean(allow)) {
		snprintf(err, errlen, "%s[%zu].allow must be a boolean", name, idx);
		return -EINVAL;
	}
	if (allow && none && json_is_true(allow)) {
		snprintf(err, errlen, "%s[%zu]: \"NONE\" with \"allow\": true makes no sense", name,
			 idx);
		return -EINVAL;
	}
	rule->allow = none ? false : allow ? json_is_true(allow) : true;
	return 0;
}

int master_acls_parse(const char *text, size_t len, struct acls *ret, char *err, size_t errlen)
{
	struct acls a;
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *v;
	const char *k;
	int r = -EINVAL;

	master_acls_init(&a);
	if (!j) {
		snprintf(err, errlen, "not valid JSON: %s (line %d, column %d)", je.text, je.line,
			 je.column);
		return -EINVAL;
	}
	if (!json_is_object(j)) {
		snprintf(err, errlen, "the top level must be a JSON object");
		goto out;
	}
	json_object_foreach(j, k, v) {
		int act = -1;
		size_t i;
		json_t *rule;

		if (streq(k, "permissive")) {
			if (!json_is_boolean(v)) {
				snprintf(err, errlen, "field 'permissive' must be a boolean");
				goto out;
			}
			a.permissive = json_is_true(v);
			continue;
		}
		for (int x = 0; x < _ACL_ACTION_MAX; x++)
			if (streq(actions[x].name, k))
				act = x;
		if (act < 0) {
			snprintf(err, errlen, "unknown field '%.64s' (not an action)", k);
			goto out;
		}
		if (!json_is_array(v) || json_array_size(v) > MAX_RULES) {
			snprintf(err, errlen, "field '%s' must be an array of at most %d rules", k,
				 MAX_RULES);
			goto out;
		}
		a.rules[act] = calloc(json_array_size(v) + 1, sizeof(struct acl_rule));
		if (!a.rules[act]) {
			r = -ENOMEM;
			goto out;
		}
		json_array_foreach(v, i, rule) {
			a.n[act] = i + 1;
			r = rule_parse(rule, (enum acl_action)act, i, &a.rules[act][i], err, errlen);
			if (r < 0)
				goto out;
		}
	}
	*ret = a;
	master_acls_init(&a);
	r = 0;
out:
	master_acls_clear(&a);
	json_decref(j);
	return r;
}

int master_acls_load(const char *path, struct acls *ret, char *err, size_t errlen)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *text = NULL;
	char sub[512];
	size_t cap = 0;
	ssize_t n;
	int r;

	if (!f) {
		r = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(-r));
		return r;
	}
	n = getdelim(&text, &cap, '\0', f);
	if (n < 0) {
		snprintf(err, errlen, "cannot read '%s' (or it is empty)", path);
		return -EIO;
	}
	r = master_acls_parse(text, (size_t)n, ret, sub, sizeof(sub));
	if (r < 0)
		snprintf(err, errlen, "'%s': %s", path, sub);
	return r;
}

static bool entity_matches(const struct acl_entity *e, const char *name)
{
	if (e->any)
		return true;
	if (!name)
		return false;
	for (size_t i = 0; i < e->n; i++)
		if (streq(e->values[i], name))
			return true;
	return false;
}

static bool allowed(const struct acls *a, enum acl_action action, const char *principal,
		    const char *object, bool explicit_only, char *why, size_t whylen)
{
	const char *name = master_acl_action_name(action);

	if (action >= _ACL_ACTION_MAX)
		return false;
	for (size_t i = 0; i < a->n[action]; i++) {
		const struct acl_rule *r = &a->rules[action][i];
		if (entity_matches(&r->principals, principal) &&
		    entity_matches(&r->objects, object)) {
			if (!r->allow && why)
				snprintf(why, whylen, "rule %s[%zu]", name, i);
			return r->allow;
		}
	}
	if (action == ACL_RUN_TASKS && streq(object, "root")) {
		if (why)
			snprintf(why, whylen,
				 "no rule of 'run_tasks' allows user 'root' (never allowed by default)");
		return false;
	}
	if (explicit_only) {
		if (why)
			snprintf(why, whylen, "no rule of '%s' allows it (needs an explicit rule)",
				 name);
		return false;
	}
	if (!a->permissive && why)
		snprintf(why, whylen, "no rule of '%s' matched and 'permissive' is false", name);
	return a->permissive;
}

bool master_acls_allowed(const struct acls *a, enum acl_action action, const char *principal,
			 const char *object, char *why, size_t whylen)
{
	return allowed(a, action, principal, object, false, why, whylen);
}

bool master_acls_allowed_explicit(const struct acls *a, enum acl_action action,
				  const char *principal, const char *object, char *why,
				  size_t whylen)
{
	return allowed(a, action, principal, object, true, why, whylen);
}
