// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: TaskInfo.health_check (lib/health_check.h) on any JSON, then what the
 * supervisor would exec for it (agentd/health.h); and the input as a <meta>/health record.
 * What the parser accepts must hold Mesos's rules (a known type with its sub-message, a
 * port in range, a path starting with '/', times finite and >= 0) and turn into a check
 * that can run; what it refuses must say why; a record that parses formats back to itself.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "agentd/health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct health_check *c)
{
	struct agent_health_run *hr = NULL;
	char *env[] = {"A=1", NULL};

	if (c->type < HEALTH_CHECK_COMMAND || c->type > HEALTH_CHECK_TCP)
		abort();
	if (c->type != HEALTH_CHECK_COMMAND && c->port == 0)
		abort();
	if (c->type == HEALTH_CHECK_COMMAND && !json_is_object(c->command))
		abort();
	if (!c->path || c->path[0] != '/')
		abort();
	if (!(c->delay_s >= 0) || !(c->interval_s >= 0) || !(c->timeout_s >= 0) ||
	    !(c->grace_s >= 0) || !isfinite(c->delay_s + c->interval_s + c->timeout_s + c->grace_s))
		abort();
	if (agent_health_run_new(c, env, "/probe", 3000000000LL, &hr) < 0)
		return; /* out of memory only */
	if (!hr->path || !hr->argv || !hr->argv[0] || !hr->envp || hr->delay_ns < 0 ||
	    hr->interval_ns < AGENT_HEALTH_MIN_INTERVAL_NS || hr->timeout_ns < 0 ||
	    hr->params.grace_ns < 0)
		abort();
	agent_health_run_free(hr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_health_record rec, back;
	struct health_check c;
	char err[512] = "", text[4097], buf[512];
	json_t *j = json_loadb((const char *)data, size, JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);
	int n;

	if (j) {
		if (health_check_parse(j, "hc", &c, err, sizeof(err)) == 0)
			check_accepted(&c);
		else if (!err[0])
			abort();
		json_decref(j);
	}
	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (agent_health_record_parse(text, &rec) == 0) {
		n = agent_health_record_format(&rec, buf, sizeof(buf));
		if (n <= 0 || agent_health_record_parse(buf, &back) != 0 ||
		    back.updates != rec.updates || back.healthy != rec.healthy ||
		    back.kill != rec.kill || back.result != rec.result || back.code != rec.code ||
		    back.consecutive_failures != rec.consecutive_failures)
			abort();
	}
	return 0;
}
