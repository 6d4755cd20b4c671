// SPDX-License-Identifier: Apache-2.0
/* Helpers the object files share: IDs, resources and sizes as text, help, "key: value" dumps. */
#include <stdio.h>
#include <string.h>

#include "main.h"

const char *id_value(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(json_object_get(o, k), "value"));

	return v ? v : "";
}

int usage_err(const char *text)
{
	p_err("usage: %s %s", bin_name, text);
	return EXIT_USAGE;
}

int print_cmds_help(const char *object, const struct cmd *cmds, const char *extra)
{
	if (json_output) {
		json_t *arr = json_array();
		for (const struct cmd *c = cmds; c->name; c++)
			if (!streq(c->name, "help"))
				json_array_append_new(arr, json_pack("{s:s,s:s}", "name", c->name,
								     "usage", c->help ? c->help : ""));
		json_print(json_pack("{s:s,s:o}", "object", object, "commands", arr));
		return EXIT_OK;
	}
	fprintf(stderr, "Usage: %s [OPTIONS] %s { COMMAND | help }\n       COMMAND := {", bin_name,
		object);
	for (const struct cmd *c = cmds; c->name; c++)
		if (!streq(c->name, "help"))
			fprintf(stderr, "\n\t%s%s |", c->name, c->help ? c->help : "");
	fprintf(stderr, "\n\thelp }\n");
	if (extra)
		fprintf(stderr, "\n%s", extra);
	return EXIT_OK;
}

void fmt_bytes(double v, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f%c", v < 10 ? 1 : 0, v, units[u]);
}

static bool is_resources(json_t *arr)
{
	json_t *first = json_array_get(arr, 0);

	return json_is_object(first) && json_is_string(json_object_get(first, "name")) &&
	       json_is_string(json_object_get(first, "type"));
}

void res_text(json_t *res, char *buf, size_t len)
{
	size_t off = 0, i;
	json_t *r;

	buf[0] = '\0';
	json_array_foreach(res, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *type = json_string_value(json_object_get(r, "type"));
		char v[256] = "";

		if (streq(type, "SCALAR")) {
			snprintf(v, sizeof(v), "%g",
				 json_number_value(json_object_get(json_object_get(r, "scalar"), "value")));
		} else if (streq(type, "RANGES")) {
			size_t k, o = 0;
			json_t *rg;
			o += (size_t)snprintf(v + o, sizeof(v) - o, "[");
			json_array_foreach(json_object_get(json_object_get(r, "ranges"), "range"), k, rg) {
				if (o >= sizeof(v))
					break;
				o += (size_t)snprintf(v + o, sizeof(v) - o, "%s%lld-%lld", k ? "," : "",
						      (long long)json_integer_value(json_object_get(rg, "begin")),
						      (long long)json_integer_value(json_object_get(rg, "end")));
			}
			if (o < sizeof(v))
				snprintf(v + o, sizeof(v) - o, "]");
		} else if (streq(type, "SET")) {
			size_t k, o = 0;
			json_t *it;
			o += (size_t)snprintf(v + o, sizeof(v) - o, "{");
			json_array_foreach(json_object_get(json_object_get(r, "set"), "item"), k, it) {
				if (o >= sizeof(v))
					break;
				o += (size_t)snprintf(v + o, sizeof(v) - o, "%s%s", k ? "," : "",
						      json_string_value(it));
			}
			if (o < sizeof(v))
				snprintf(v + o, sizeof(v) - o, "}");
		}
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s:%s", off ? ";" : "",
						name ? name : "?", v);
	}
	if (!off)
		snprintf(buf, len, "-");
}

static void print_scalar(json_t *v)
{
	char buf[4096];

	if (json_is_string(v))
		printf("%s", json_string_value(v));
	else if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		printf("%g", json_real_value(v));
	else if (json_is_true(v))
		printf("true");
	else if (json_is_false(v))
		printf("false");
	else if (json_is_null(v))
		printf("null");
	else if (json_is_array(v) && is_resources(v)) {
		res_text(v, buf, sizeof(buf));
		printf("%s", buf);
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s", s ? s : "?");
		free(s);
	}
}

static bool is_flat(json_t *v)
{
	return !json_is_object(v) && !(json_is_array(v) && !is_resources(v) && json_array_size(v) &&
				       (json_is_object(json_array_get(v, 0)) ||
					json_is_array(json_array_get(v, 0))));
}

void print_kv(json_t *v, int indent)
{
	const char **keys;
	size_t n = 0, i;
	const char *k;
	json_t *x;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			printf("%*s- [%zu]", indent, "", i);
			if (is_flat(x)) {
				printf(" ");
				print_scalar(x);
				printf("\n");
			} else {
				printf("\n");
				print_kv(x, indent + 4);
			}
		}
		return;
	}
	/* sorted keys: the same object always prints the same way */
	keys = calloc(json_object_size(v) + 1, sizeof(*keys));
	if (!keys)
		return;
	json_object_foreach(v, k, x)
		keys[n++] = k;
	for (i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *t = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		x = json_object_get(v, keys[i]);
		/* {"value": "x"} IDs print as x */
		if (json_is_object(x) && json_object_size(x) == 1 &&
		    json_is_string(json_object_get(x, "value")))
			x = json_object_get(x, "value");
		printf("%*s%s:", indent, "", keys[i]);
		if (is_flat(x)) {
			printf(" ");
			print_scalar(x);
			printf("\n");
		} else {
			printf("\n");
			print_kv(x, indent + 4);
		}
	}
	free(keys);
}

json_t *find_by_id(json_t *arr, const char *id, const char *what,
		   const char *(*get_id)(json_t *))
{
	json_t *e, *match = NULL;
	size_t i, n = 0;

	json_array_foreach(arr, i, e)
		if (streq(get_id(e), id))
			return e;
	json_array_foreach(arr, i, e) {
		const char *x = get_id(e);
		if (x && *id && strncmp(x, id, strlen(id)) == 0) {
			match = e;
			n++;
		}
	}
	if (n == 1)
		return match;
	if (n > 1)
		p_err("%s '%s' is ambiguous (%zu match)", what, id, n);
	else
		p_err("no %s '%s'", what, id);
	return NULL;
}
