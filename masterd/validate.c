// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "id.h"
#include "util.h"
#include "validate.h"

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
	if (!id_is_safe(json_string_value(s), json_string_length(s), &why)) {
		snprintf(err, errlen, "field '%s%s%s.value' %s", P(path), field, why);
		return NULL;
	}
	/* a hidden name: an agent recovering its tasks from their directories skips it */
	if (json_string_value(s)[0] == '.') {
		snprintf(err, errlen, "field '%s%s%s.value' starts with '.'", P(path), field);
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
