/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One table of options drives a daemon's command line, its environment variables
 * (PREFIX_<NAME>, dashes as underscores), its --help text and its dumped flags.
 * Precedence: built-in default < environment < command line. Every value, default
 * included, goes through the same parser and bounds check.
 */
#ifndef DROVER_CONF_H
#define DROVER_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

enum conf_type {
	CONF_STRING,   /* char * (owned by the config, freed by conf_free) */
	CONF_INT,      /* int64_t, within [min, max] */
	CONF_DOUBLE,   /* double, finite, within [min, max] */
	CONF_BOOL,     /* bool: true/false/yes/no/1/0; a bare --flag means true */
	CONF_DURATION, /* int64_t nanoseconds: "1s", "250ms", "2m", "1h", "3d" */
	CONF_SIZE,     /* int64_t bytes: "1MiB", "512KiB", "4096" */
	CONF_ENUM,     /* int: index into choices[] */
};

struct conf_opt {
	const char *name; /* long option without dashes: "listen" */
	enum conf_type type;
	size_t offset; /* of the field in the config struct */
	const char *def; /* default, as text; NULL: unset (strings only) */
	const char *meta; /* placeholder in --help: "HOST:PORT" */
	const char *help;
	int64_t min, max; /* numeric bounds (ignored when both are 0) */
	const char *const *choices; /* CONF_ENUM: NULL-terminated */
};

#define CONF_END {.name = NULL}

enum conf_result {
	CONF_OK = 0,
	CONF_HELP = 1,    /* --help or -h was given */
	CONF_VERSION = 2, /* --version or -V was given */
	CONF_DUMP_FLAGS = 3, /* --dump-flags was given (and everything else parsed): conf_dump */
};

/*
 * Fill cfg from defaults, environment and argv. Returns CONF_OK/CONF_HELP/CONF_VERSION,
 * or -EINVAL with a message naming the option in err. *ret_optind is the first operand.
 */
int conf_parse(const struct conf_opt *opts, void *cfg, const char *env_prefix, int argc,
	       char **argv, int *ret_optind, char *err, size_t errlen);
/* Parse one value into cfg, as conf_parse would. */
int conf_set(const struct conf_opt *opt, void *cfg, const char *value, char *err, size_t errlen);
void conf_usage(FILE *out, const char *prog, const char *synopsis, const struct conf_opt *opts,
		const char *env_prefix);
/*
 * Write "name=value" per option, its effective value (durations and sizes in their text
 * form, an unset string empty): --dump-flags. No option holds a secret itself (secrets are
 * in files named by path), so everything is printed.
 */
void conf_dump(FILE *out, const struct conf_opt *opts, const void *cfg);
/* Text form of one option's current value into buf. */
const char *conf_format(const struct conf_opt *opt, const void *cfg, char *buf, size_t len);
/* Every option of table (up to its NULL name) with a value in cfg, as {name: text}: what the
 * daemons' /flags answer. */
json_t *conf_to_json(const struct conf_opt *table, const void *cfg);
void conf_free(const struct conf_opt *opts, void *cfg);

int conf_parse_duration(const char *s, int64_t *ret_ns);
int conf_parse_size(const char *s, int64_t *ret_bytes);

#endif
