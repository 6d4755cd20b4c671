// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "command_info.h"
#include "util.h"

bool command_info_is_text(json_t *s)
{
	return json_is_string(s) && strlen(json_string_value(s)) == json_string_length(s);
}

static int check_environment(json_t *env, const char *path, char *err, size_t errlen)
{
	json_t *vars = json_object_get(env, "variables"), *e;
	size_t i;

	if (!json_is_object(env) || (vars && !json_is_array(vars))) {
		snprintf(err, errlen,
			 "field '%s.command.environment' must be {\"variables\": [...]}", path);
		return -EINVAL;
	}
	json_array_foreach(vars, i, e) {
		json_t *name = json_object_get(e, "name"), *value = json_object_get(e, "value");
		json_t *type = json_object_get(e, "type");

		if ((type && !(json_is_string(type) && streq(json_string_value(type), "VALUE"))) ||
		    json_object_get(e, "secret")) {
			snprintf(err, errlen,
				 "field '%s.command.environment.variables[%zu]': only variables of "
				 "type VALUE are supported (secrets are not)",
				 path, i);
			return -EINVAL;
		}
		if (!command_info_is_text(name) || !json_string_value(name)[0] ||
		    strchr(json_string_value(name), '=') || !command_info_is_text(value)) {
			snprintf(err, errlen,
				 "field '%s.command.environment.variables[%zu]' must be "
				 "{\"name\": N, \"value\": V}: strings without NUL, N not empty, "
				 "without '='",
				 path, i);
			return -EINVAL;
		}
	}
	return 0;
}

int command_info_check(json_t *cmd, const char *path, char *err, size_t errlen)
{
	json_t *val = json_object_get(cmd, "value"), *sh = json_object_get(cmd, "shell");
	json_t *args = json_object_get(cmd, "arguments"),
	       *env = json_object_get(cmd, "environment");
	json_t *arg;
	size_t i;

	if (val && !command_info_is_text(val)) {
		snprintf(err, errlen, "field '%s.command.value' must be a string without NUL",
			 path);
		return -EINVAL;
	}
	if (sh && !json_is_boolean(sh)) {
		snprintf(err, errlen, "field '%s.command.shell' must be a boolean", path);
		return -EINVAL;
	}
	if (args && !json_is_array(args)) {
		snprintf(err, errlen, "field '%s.command.arguments' must be an array", path);
		return -EINVAL;
	}
	json_array_foreach(args, i, arg) {
		if (!command_info_is_text(arg)) {
			snprintf(err, errlen,
				 "field '%s.command.arguments[%zu]' must be a string without NUL",
				 path, i);
			return -EINVAL;
		}
	}
	return env ? check_environment(env, path, err, errlen) : 0;
}
