// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "util.h"

#define FIELD(cfg, opt, type) ((type *)((char *)(cfg) + (opt)->offset))

static const struct {
	const char *suffix;
	int64_t mult;
} duration_units[] = {
	{"ns", 1},
	{"us", 1000},
	{"ms", 1000000},
	{"s", 1000000000LL},
	{"m", 60LL * 1000000000LL},
	{"h", 3600LL * 1000000000LL},
	{"d", 86400LL * 1000000000LL},
};

static const struct {
	const char *suffix;
	int64_t mult;
} size_units[] = {
	{"", 1},      {"B", 1},	   {"KiB", 1LL << 10}, {"MiB", 1LL << 20}, {"GiB", 1LL << 30},
	{"TiB", 1LL << 40}, {"K", 1LL << 10}, {"M", 1LL << 20}, {"G", 1LL << 30},
};

/* Strict decimal: optional sign, digits, optional fraction; returns the end in *end. */
static int parse_number(const char *s, double *ret, const char **end)
{
	char *e;
	double v;

	if (!*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &e);
	if (e == s || errno || !isfinite(v))
		return -EINVAL;
	/* strtod accepts hex and "inf"/"nan" spellings; only plain decimals are wanted */
	for (const char *p = s; p < e; p++)
		if (!isdigit((unsigned char)*p) && *p != '.' && *p != '-' && *p != '+')
			return -EINVAL;
	*ret = v;
	*end = e;
	return 0;
}

int conf_parse_duration(const char *s, int64_t *ret_ns)
{
	const char *end;
	double v;

	if (parse_number(s, &v, &end) < 0 || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++) {
		if (strcmp(end, duration_units[i].suffix) == 0) {
			double ns = v * (double)duration_units[i].mult;
			if (ns > (double)INT64_MAX / 2)
				return -ERANGE;
			*ret_ns = (int64_t)llround(ns);
			return 0;
		}
	}
	return -EINVAL;
}

int conf_parse_size(const char *s, int64_t *ret_bytes)
{
	const char *end;
	double v;

	if (parse_number(s, &v, &end) < 0 || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(size_units); i++) {
		if (strcmp(end, size_units[i].suffix) == 0) {
			double b = v * (double)size_units[i].mult;
			if (b > (double)INT64_MAX / 2)
				return -ERANGE;
			*ret_bytes = (int64_t)llround(b);
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static bool has_bounds(const struct conf_opt *opt)
{
	return opt->min != 0 || opt->max != 0;
}

int conf_set(const struct conf_opt *opt, void *cfg, const char *value, char *err, size_t errlen)
{
	int64_t i64;
	double d;
	const char *end;
	bool b;
	int r;

	if (!value || (!*value && opt->type != CONF_STRING)) {
		snprintf(err, errlen, "option '--%s' needs a value", opt->name);
		return -EINVAL;
	}

	switch (opt->type) {
	case CONF_STRING: {
		char *copy = strdup(value);
		if (!copy)
			return -ENOMEM;
		free(*FIELD(cfg, opt, char *));
		*FIELD(cfg, opt, char *) = copy;
		return 0;
	}
	case CONF_INT: {
		char *e;
		long long v;
		errno = 0;
		v = strtoll(value, &e, 10);
		if (e == value || *e || errno) {
			snprintf(err, errlen, "option '--%s': '%s' is not an integer", opt->name, value);
			return -EINVAL;
		}
		i64 = v;
		goto check_int;
	}
	case CONF_DURATION:
		r = conf_parse_duration(value, &i64);
		if (r < 0) {
			snprintf(err, errlen,
				 "option '--%s': '%s' is not a duration (e.g. 500ms, 15s, 2m, 1h)",
				 opt->name, value);
			return -EINVAL;
		}
		goto check_int;
	case CONF_SIZE:
		r = conf_parse_size(value, &i64);
		if (r < 0) {
			snprintf(err, errlen, "option '--%s': '%s' is not a size (e.g. 4096, 512KiB, 1MiB)",
				 opt->name, value);
			return -EINVAL;
		}
		goto check_int;
	case CONF_DOUBLE:
		if (parse_number(value, &d, &end) < 0 || *end) {
			snprintf(err, errlen, "option '--%s': '%s' is not a number", opt->name, value);
			return -EINVAL;
		}
		if (has_bounds(opt) && (d < (double)opt->min || d > (double)opt->max)) {
			snprintf(err, errlen, "option '--%s': %s is outside [%" PRId64 ", %" PRId64 "]",
				 opt->name, value, opt->min, opt->max);
			return -ERANGE;
		}
		*FIELD(cfg, opt, double) = d;
		return 0;
	case CONF_BOOL:
		if (parse_bool(value, &b) < 0) {
			snprintf(err, errlen, "option '--%s': '%s' is not a boolean", opt->name, value);
			return -EINVAL;
		}
		*FIELD(cfg, opt, bool) = b;
		return 0;
	case CONF_ENUM:
		for (int k = 0; opt->choices && opt->choices[k]; k++) {
			if (streq(opt->choices[k], value)) {
				*FIELD(cfg, opt, int) = k;
				return 0;
			}
		}
		{
			size_t off = (size_t)snprintf(err, errlen, "option '--%s': '%s' is not one of",
						      opt->name, value);
			for (int k = 0; opt->choices && opt->choices[k] && off < errlen; k++)
				off += (size_t)snprintf(err + off, errlen - off, " %s", opt->choices[k]);
		}
		return -EINVAL;
	}
	return -EINVAL;

check_int:
	if (has_bounds(opt) && (i64 < opt->min || i64 > opt->max)) {
		snprintf(err, errlen, "option '--%s': '%s' is out of range", opt->name, value);
		return -ERANGE;
	}
	*FIELD(cfg, opt, int64_t) = i64;
	return 0;
}

static void env_name(const char *prefix, const char *name, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s_", prefix);

	for (const char *p = name; *p && n + 1 < len; p++)
		buf[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	buf[n] = '\0';
}

static const struct conf_opt *find_opt(const struct conf_opt *opts, const char *name, size_t len)
{
	for (const struct conf_opt *o = opts; o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

int conf_parse(const struct conf_opt *opts, void *cfg, const char *env_prefix, int argc,
	       char **argv, int *ret_optind, char *err, size_t errlen)
{
	char envbuf[128];
	bool dump = false;
	int r, i;

	for (const struct conf_opt *o = opts; o->name; o++) {
		if (o->def) {
			r = conf_set(o, cfg, o->def, err, errlen);
			if (r < 0)
				return r; /* a bad built-in default is a programming error */
		}
	}

	for (const struct conf_opt *o = opts; o->name; o++) {
		const char *v;

		env_name(env_prefix, o->name, envbuf, sizeof(envbuf));
		v = getenv(envbuf);
		if (!v)
			continue;
		r = conf_set(o, cfg, v, err, errlen);
		if (r < 0) {
			size_t n = strlen(err);
			snprintf(err + n, errlen - n, " (from $%s)", envbuf);
			return -EINVAL;
		}
	}

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *value;
		const struct conf_opt *o;
		size_t len;

		if (streq(arg, "--")) {
			i++;
			break;
		}
		if (streq(arg, "-h") || streq(arg, "--help"))
			return CONF_HELP;
		if (streq(arg, "-V") || streq(arg, "--version"))
			return CONF_VERSION;
		if (streq(arg, "--dump-flags")) {
			dump = true; /* after every other option: the effective values */
			continue;
		}
		if (strncmp(arg, "--", 2) != 0) {
			if (arg[0] == '-' && arg[1]) {
				snprintf(err, errlen, "unknown option '%s'", arg);
				return -EINVAL;
			}
			break; /* first operand */
		}
		arg += 2;
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		o = find_opt(opts, arg, len);
		if (!o) {
			snprintf(err, errlen, "unknown option '--%.*s' (see --help)", (int)len, arg);
			return -EINVAL;
		}
		if (eq)
			value = eq + 1;
		else if (o->type == CONF_BOOL)
			value = "true";
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			snprintf(err, errlen, "option '--%s' needs a value", o->name);
			return -EINVAL;
		}
		r = conf_set(o, cfg, value, err, errlen);
		if (r < 0)
			return -EINVAL;
	}
	if (ret_optind)
		*ret_optind = i;
	return dump ? CONF_DUMP_FLAGS : CONF_OK;
}

const char *conf_format(const struct conf_opt *opt, const void *cfg, char *buf, size_t len)
{
	const void *f = (const char *)cfg + opt->offset;

	switch (opt->type) {
	case CONF_STRING:
		snprintf(buf, len, "%s", *(char *const *)f ? *(char *const *)f : "");
		break;
	case CONF_INT:
		snprintf(buf, len, "%" PRId64, *(const int64_t *)f);
		break;
	case CONF_DOUBLE: {
		/* the shortest text that reads back as the same double */
		double d = *(const double *)f;

		for (int prec = 6; prec <= 17; prec++) {
			snprintf(buf, len, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		break;
	}
	case CONF_BOOL:
		snprintf(buf, len, "%s", *(const bool *)f ? "true" : "false");
		break;
	case CONF_DURATION: {
		int64_t ns = *(const int64_t *)f;
		if (ns % 1000000000 == 0)
			snprintf(buf, len, "%" PRId64 "s", ns / 1000000000);
		else if (ns % 1000000 == 0)
			snprintf(buf, len, "%" PRId64 "ms", ns / 1000000);
		else
			snprintf(buf, len, "%" PRId64 "ns", ns);
		break;
	}
	case CONF_SIZE: {
		int64_t b = *(const int64_t *)f;
		if (b && b % (1LL << 20) == 0)
			snprintf(buf, len, "%" PRId64 "MiB", b >> 20);
		else if (b && b % (1LL << 10) == 0)
			snprintf(buf, len, "%" PRId64 "KiB", b >> 10);
		else
			snprintf(buf, len, "%" PRId64, b);
		break;
	}
	case CONF_ENUM:
		snprintf(buf, len, "%s", opt->choices[*(const int *)f]);
		break;
	}
	return buf;
}

void conf_usage(FILE *out, const char *prog, const char *synopsis, const struct conf_opt *opts,
		const char *env_prefix)
{
	char left[96], envbuf[128];

	fprintf(out, "Usage: %s %s\n\nOptions:\n", prog, synopsis);
	for (const struct conf_opt *o = opts; o->name; o++) {
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->type == CONF_BOOL ? "" : " ",
			 o->type == CONF_BOOL ? "" : (o->meta ? o->meta : "VALUE"));
		fprintf(out, "  %-32s %s", left, o->help);
		if (o->type == CONF_ENUM) {
			fputs(" (", out);
			for (int k = 0; o->choices[k]; k++)
				fprintf(out, "%s%s", k ? "|" : "", o->choices[k]);
			fputc(')', out);
		}
		if (o->def && *o->def)
			fprintf(out, " [default: %s]", o->def);
		env_name(env_prefix, o->name, envbuf, sizeof(envbuf));
		fprintf(out, "\n  %-32s env: %s\n", "", envbuf);
	}
	fprintf(out, "  %-32s %s\n  %-32s %s\n", "-h, --help", "show this help and exit",
		"-V, --version", "show the version and exit");
	fprintf(out, "  %-32s %s\n", "--dump-flags",
		"print every option's effective value (name=value) and exit");
}

void conf_dump(FILE *out, const struct conf_opt *opts, const void *cfg)
{
	char buf[512];

	for (const struct conf_opt *o = opts; o->name; o++)
		fprintf(out, "%s=%s\n", o->name, conf_format(o, cfg, buf, sizeof(buf)));
}

void conf_free(const struct conf_opt *opts, void *cfg)
{
	for (const struct conf_opt *o = opts; o->name; o++) {
		if (o->type == CONF_STRING) {
			free(*FIELD(cfg, o, char *));
			*FIELD(cfg, o, char *) = NULL;
		}
	}
}

json_t *conf_to_json(const struct conf_opt *table, const void *cfg)
{
	json_t *j = json_object();
	char buf[512];

	for (const struct conf_opt *o = table; o->name; o++) {
		const char *v = conf_format(o, cfg, buf, sizeof(buf));
		if (v && *v)
			json_object_set_new(j, o->name, json_string(v));
	}
	return j;
}
