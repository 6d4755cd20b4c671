/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authorization: who may do what (--acls FILE, docs/security.md). Pure: parse text, answer
 * questions; no I/O except master_acls_load(), no logging.
 *
 *	{"permissive": true,
 *	 "register_frameworks": [{"principals": ["fw1"], "roles": ["eng", "eng/ml"]}],
 *	 "run_tasks": [{"principals": "ANY", "users": ["root"], "allow": false}], ...}
 *
 * Each action has a list of rules {"principals": P, <object>: O, "allow": bool = true};
 * P and O are a list of names or "ANY" (an object "NONE" means: any object, allow false).
 * The first rule whose principals and object both match decides. When none matches,
 * "permissive" (default true) decides, except that a task runs as root only when a rule
 * allows it. "ANY" principals also match unauthenticated callers; a list matches only
 * authenticated principals.
 */
#ifndef DROVER_MASTER_ACL_H
#define DROVER_MASTER_ACL_H

#include <stdbool.h>
#include <stddef.h>

enum acl_action {
	ACL_REGISTER_FRAMEWORKS, /* object: role */
	ACL_RUN_TASKS,           /* object: user the task runs as */
	ACL_KILL_TASKS,          /* object: principal of the task's framework */
	ACL_TEARDOWN_FRAMEWORKS, /* object: principal of the framework (also: take it over) */
	ACL_REGISTER_AGENTS,     /* object: the agent's hostname */
	ACL_VIEW,                /* object: operator call type, or "/metrics" */
	ACL_UPDATE_WEIGHTS,      /* object: role */
	ACL_DRAIN_AGENTS,        /* object: the agent's hostname (drain, (de/re)activate) */
	ACL_REQUEST_TIERS,       /* object: a tier above the role's, in decimal ("5") */
	ACL_VIEW_ROLES,          /* object: role (its frameworks and tasks in operator replies
				  * and events; applied only when the file has such rules) */
	ACL_UPDATE_QUOTAS,       /* object: role (UPDATE_QUOTA) */
	ACL_SET_LOG_LEVEL,       /* object: the level asked for, in decimal ("0", "1") */
	ACL_MARK_AGENTS_GONE,    /* object: the agent's hostname (its ID when unknown) */
	_ACL_ACTION_MAX,
};

struct acl_entity {
	bool any;
	char **values;
	size_t n;
};

struct acl_rule {
	struct acl_entity principals, objects;
	bool allow;
};

struct acls {
	bool permissive;
	struct acl_rule *rules[_ACL_ACTION_MAX];
	size_t n[_ACL_ACTION_MAX];
};

/* The defaults without a file: permissive, no rules (so: no tasks as root). */
void master_acls_init(struct acls *a);
int master_acls_parse(const char *text, size_t len, struct acls *ret, char *err, size_t errlen);
int master_acls_load(const char *path, struct acls *ret, char *err, size_t errlen);
void master_acls_clear(struct acls *a);

const char *master_acl_action_name(enum acl_action action);
/* The JSON key of an action's object: "roles", "users", ... */
const char *master_acl_object_name(enum acl_action action);

/*
 * May principal (NULL: unauthenticated) do action on object? When not, why says which rule
 * (or the default) denied it: "rule run_tasks[1]" / "no rule of 'run_tasks' matched and
 * 'permissive' is false".
 */
bool master_acls_allowed(const struct acls *a, enum acl_action action, const char *principal,
			 const char *object, char *why, size_t whylen);

/* Same, but only an explicit rule allows: "permissive" does not (root, takeovers). */
bool master_acls_allowed_explicit(const struct acls *a, enum acl_action action,
				  const char *principal, const char *object, char *why,
				  size_t whylen);

#endif
