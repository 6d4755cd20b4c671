// SPDX-License-Identifier: Apache-2.0
/* TaskInfo.health_check parsed and checked with Mesos's defaults and rules: health_check.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "command_info.h"
#include "health_check.h"
#include "util.h"

static const char *const type_names[] = {
	[HEALTH_CHECK_UNKNOWN] = "UNKNOWN",
	[HEALTH_CHECK_COMMAND] = "COMMAND",
	[HEALTH_CHECK_HTTP] = "HTTP",
	[HEALTH_CHECK_TCP] = "TCP",
};

const char *health_check_type_name(enum health_check_type t)
{
	return (unsigned)t < ARRAY_SIZE(type_names) ? type_names[t] : "UNKNOWN";
}

/* A time in seconds: absent (the default), else a finite number >= 0. */
static int get_seconds(json_t *hc, const char *field, double def, double *ret, const char *path,
		       char *err, size_t errlen)
{
	json_t *v = json_object_get(hc, field);

	if (!v) {
		*ret = def;
		return 0;
	}
	if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0) {
		snprintf(err, errlen, "field '%s.%s' must be a number of seconds >= 0", path,
			 field);
		return -EINVAL;
	}
	*ret = json_number_value(v);
	return 0;
}

/* {"port": 1..65535, "protocol": "IPv4"|"IPv6"} of http or tcp. */
static int get_target(json_t *o, const char *path, const char *what, struct health_check *hc,
		      char *err, size_t errlen)
{
	json_t *port = json_object_get(o, "port"), *proto = json_object_get(o, "protocol");

	if (!json_is_integer(port) || json_integer_value(port) < 1 ||
	    json_integer_value(port) > 65535) {
		snprintf(err, errlen, "field '%s.%s.port' must be a port number (1-65535)", path,
			 what);
		return -EINVAL;
	}
	hc->port = (uint16_t)json_integer_value(port);
	if (proto && !(json_is_string(proto) && (streq(json_string_value(proto), "IPv4") ||
						 streq(json_string_value(proto), "IPv6")))) {
		snprintf(err, errlen, "field '%s.%s.protocol' must be \"IPv4\" or \"IPv6\"", path,
			 what);
		return -EINVAL;
	}
	hc->ipv6 = proto && streq(json_string_value(proto), "IPv6");
	return 0;
}

static int check_http(json_t *http, const char *path, struct health_check *hc, char *err,
		      size_t errlen)
{
	json_t *scheme = json_object_get(http, "scheme"), *p = json_object_get(http, "path");
	json_t *statuses = json_object_get(http, "statuses");

	if (get_target(http, path, "http", hc, err, errlen) < 0)
		return -EINVAL;
	if (scheme && !(json_is_string(scheme) && (streq(json_string_value(scheme), "http") ||
						   streq(json_string_value(scheme), "https")))) {
		snprintf(err, errlen, "field '%s.http.scheme' must be \"http\" or \"https\"", path);
		return -EINVAL;
	}
	hc->https = scheme && streq(json_string_value(scheme), "https");
	if (p && !(command_info_is_text(p) && json_string_value(p)[0] == '/')) {
		snprintf(err, errlen, "field '%s.http.path' must be a string starting with '/'",
			 path);
		return -EINVAL;
	}
	hc->path = p ? json_string_value(p) : "/";
	if (statuses && !json_is_array(statuses)) {
		snprintf(err, errlen, "field '%s.http.statuses' must be an array", path);
		return -EINVAL;
	}
	return 0;
}

/* The check's CommandInfo: its shape (lib/command_info.h), a value, nothing ignored. */
static int check_command(json_t *cmd, const char *path, char *err, size_t errlen)
{
	json_t *uris = json_object_get(cmd, "uris");
	int r = command_info_check(cmd, path, err, errlen);

	if (r < 0)
		return r;
	if (!json_string_value(json_object_get(cmd, "value")) ||
	    !json_string_value(json_object_get(cmd, "value"))[0]) {
		snprintf(err, errlen, "field '%s.command.value' is required (a string without NUL)",
			 path);
		return -EINVAL;
	}
	if (json_object_get(cmd, "user")) {
		snprintf(
			err, errlen,
			"field '%s.command.user' is not supported: a check runs as its task's user",
			path);
		return -EINVAL;
	}
	if (uris && !(json_is_array(uris) && json_array_size(uris) == 0)) {
		snprintf(err, errlen,
			 "field '%s.command.uris' is not supported (nothing is fetched)", path);
		return -EINVAL;
	}
	return 0;
}

static int parse_type(json_t *hc, const char *path, struct health_check *ret, char *err,
		      size_t errlen)
{
	json_t *type = json_object_get(hc, "type");
	const char *t = json_string_value(type);

	if (!type) {
		/* LAUNCH's inference (Mesos): from the command, else from http */
		ret->type_inferred = true;
		if (json_object_get(hc, "command"))
			ret->type = HEALTH_CHECK_COMMAND;
		else if (json_object_get(hc, "http"))
			ret->type = HEALTH_CHECK_HTTP;
		else {
			snprintf(err, errlen, "field '%s.type' is required", path);
			return -EINVAL;
		}
		return 0;
	}
	for (int i = HEALTH_CHECK_COMMAND; i <= HEALTH_CHECK_TCP; i++)
		if (t && streq(t, type_names[i])) {
			ret->type = (enum health_check_type)i;
			return 0;
		}
	snprintf(err, errlen, "field '%s.type' must be \"COMMAND\", \"HTTP\" or \"TCP\"", path);
	return -EINVAL;
}

int health_check_parse(json_t *hc, const char *path, struct health_check *ret, char *err,
		       size_t errlen)
{
	struct health_check c = {.path = "/"};
	json_t *cf = json_object_get(hc, "consecutive_failures"), *sub;
	static const char *const subs[] = {
		[HEALTH_CHECK_COMMAND] = "command",
		[HEALTH_CHECK_HTTP] = "http",
		[HEALTH_CHECK_TCP] = "tcp",
	};

	if (!json_is_object(hc)) {
		snprintf(err, errlen, "field '%s' must be an object", path);
		return -EINVAL;
	}
	if (parse_type(hc, path, &c, err, errlen) < 0)
		return -EINVAL;
	sub = json_object_get(hc, subs[c.type]);
	if (!json_is_object(sub)) {
		snprintf(err, errlen, "field '%s.%s' is required for a %s health check (an object)",
			 path, subs[c.type], type_names[c.type]);
		return -EINVAL;
	}
	if ((c.type == HEALTH_CHECK_COMMAND && check_command(sub, path, err, errlen) < 0) ||
	    (c.type == HEALTH_CHECK_HTTP && check_http(sub, path, &c, err, errlen) < 0) ||
	    (c.type == HEALTH_CHECK_TCP && get_target(sub, path, "tcp", &c, err, errlen) < 0))
		return -EINVAL;
	if (c.type == HEALTH_CHECK_COMMAND)
		c.command = sub;
	if (get_seconds(hc, "delay_seconds", HEALTH_CHECK_DELAY_S, &c.delay_s, path, err, errlen) <
		    0 ||
	    get_seconds(hc, "interval_seconds", HEALTH_CHECK_INTERVAL_S, &c.interval_s, path, err,
			errlen) < 0 ||
	    get_seconds(hc, "timeout_seconds", HEALTH_CHECK_TIMEOUT_S, &c.timeout_s, path, err,
			errlen) < 0 ||
	    get_seconds(hc, "grace_period_seconds", HEALTH_CHECK_GRACE_S, &c.grace_s, path, err,
			errlen) < 0)
		return -EINVAL;
	c.consecutive_failures = HEALTH_CHECK_CONSECUTIVE_FAILURES;
	if (cf) {
		if (!json_is_integer(cf) || json_integer_value(cf) < 0 ||
		    json_integer_value(cf) > UINT32_MAX) {
			snprintf(err, errlen,
				 "field '%s.consecutive_failures' must be an integer >= 0", path);
			return -EINVAL;
		}
		c.consecutive_failures = (uint32_t)json_integer_value(cf);
	}
	*ret = c;
	return 0;
}
