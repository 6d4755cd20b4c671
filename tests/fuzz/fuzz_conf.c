// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: command-line parsing through lib/conf with the master's and the
 * agent's real flag tables. The input is an argument vector (arguments separated by NUL
 * bytes). Whatever parses must format back to text that parses to the same value, and a
 * refused command line must say why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "agentd/flags.h"
#include "masterd/flags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static void roundtrip(const struct conf_opt *opts, void *cfg, void *fresh)
{
	char a[512], b[512], err[256];
	const struct conf_opt *o;

	for (o = opts; o->name; o++) {
		const char *text = conf_format(o, cfg, a, sizeof(a));
		if (!text)
			continue;
		if (o->type == CONF_STRING) {
			/* an unset string formats as "" and stays unset: nothing to compare */
			char *const *s = (char *const *)((char *)cfg + o->offset);
			if (!*s)
				continue;
		}
		if (conf_set(o, fresh, text, err, sizeof(err)) != 0) {
			fprintf(stderr, "'%s': its own text '%s' does not parse: %s\n", o->name,
				text, err);
			abort();
		}
		if (strcmp(conf_format(o, fresh, b, sizeof(b)), text) != 0) {
			fprintf(stderr, "'%s': '%s' came back as '%s'\n", o->name, text, b);
			abort();
		}
	}
}

static void run(const struct conf_opt *opts, void *cfg, void *fresh, int argc, char **argv)
{
	char err[256] = "";
	int first = 0, r;

	r = conf_parse(opts, cfg, "DROVER_FUZZ_", argc, argv, &first, err, sizeof(err));
	if (r < 0) {
		if (!err[0])
			abort(); /* a refusal must name its reason */
	} else if (r == CONF_OK || r == CONF_DUMP_FLAGS) {
		if (first < 1 || first > argc)
			abort();
		roundtrip(opts, cfg, fresh);
	}
	conf_free(opts, cfg);
	conf_free(opts, fresh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	struct master_flags mf, mf2;
	struct agent_flags af, af2;
	int argc = 0;
	size_t i, start = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "drover-fuzz";
	for (i = 0; i <= size && argc < MAX_ARGS; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;

	memset(&mf, 0, sizeof(mf));
	memset(&mf2, 0, sizeof(mf2));
	run(master_flag_table, &mf, &mf2, argc, argv);
	memset(&af, 0, sizeof(af));
	memset(&af2, 0, sizeof(af2));
	run(agent_flag_table, &af, &af2, argc, argv);

	/* the value parsers on their own, with the whole input as one value */
	{
		int64_t v;
		conf_parse_duration(buf, &v);
		conf_parse_size(buf, &v);
	}
	free(buf);
	return 0;
}
