// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the master's handling of scheduler, agent and operator calls, from the
 * raw body (masterd/http.c parses it as the HTTP thread would) through the owner thread's
 * state machine (scheduler.c, agents.c, operator.c, offers.c, persist.c into an in-memory
 * SQLite registry). Sockets are replaced by the in-memory transport of harness_http.c,
 * which checks every answer and every event. Each input starts from the same cluster: one
 * agent (cpus:4;mem:4096;ports:[31000-31010]) and one framework, subscribed, with an offer.
 *
 * Input: lines. The first character picks what happens, the rest is the body:
 *   S body   POST /api/v1/scheduler with the framework's Mesos-Stream-Id
 *   s body   the same without a stream ID
 *   A body   POST /api/v1/agent with the agent's Mesos-Stream-Id
 *   O body   POST /api/v1 (operator; SUBSCRIBE opens an operator event stream)
 *   M        GET /metrics
 *   L        GET the legacy endpoints (/master/state, state-summary, /metrics/snapshot, redirect)
 *   T        an allocation cycle
 *   C / D    the framework's / the agent's stream connection goes away
 *   P        a minute passes without pings (unreachable agents, framework failover)
 * In bodies, @fw @agent @offer @uuid stand for the IDs a client would have read from its
 * events (the last offer, the last update's uuid).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness_http.h"
#include "log.h"
#include "loop.h"
#include "masterd/master.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct master_flags flags;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *args[] = {"fuzz_master", "--registry=sqlite::memory:", "--listen=127.0.0.1:0",
			"--log-level=error", "--max-call-list=16", NULL};
	char err[256];
	int first;

	if (conf_parse(master_flag_table, &flags, "DROVER_FUZZ_", 4, args, &first, err,
		       sizeof(err)) != CONF_OK) {
		fprintf(stderr, "fuzz_master: %s\n", err);
		abort();
	}
	log_max_level = LOG_ERR;
	return 0;
}

/* body with @names replaced by the IDs read from events so far */
static char *expand(const char *p, size_t n, size_t *ret_len)
{
	struct harness_state *hs = harness_state();
	const struct {
		const char *name;
		const char *value;
	} subst[] = {{"@fw", hs->fw_id}, {"@agent", hs->agent_id}, {"@offer", hs->offer_id},
		     {"@uuid", hs->update_uuid}};
	char *out = malloc(n * HARNESS_ID_LEN / 3 + 1);
	size_t o = 0, i = 0, k;

	if (!out)
		abort();
	while (i < n) {
		for (k = 0; k < sizeof(subst) / sizeof(subst[0]); k++) {
			size_t l = strlen(subst[k].name);
			if (n - i >= l && memcmp(p + i, subst[k].name, l) == 0) {
				o += (size_t)sprintf(out + o, "%s", subst[k].value);
				i += l;
				break;
			}
		}
		if (k == sizeof(subst) / sizeof(subst[0]))
			out[o++] = p[i++];
	}
	out[o] = '\0';
	*ret_len = o;
	return out;
}

static void call(struct master *m, const char *method, const char *path, const char *sid,
		 const char *body, size_t len)
{
	struct http_request req = {
		.method = method,
		.path = path,
		.stream_id = sid && *sid ? sid : NULL,
		.content_type = "application/json",
		.body = body,
		.len = len,
	};
	size_t n;
	char *b = expand(body, len, &n);

	req.body = b;
	req.len = n;
	master_http_handler(&req, m);
	master_drain(m);
	master_sync(m); /* what the outbox holds for the registry's writer */
	if (!req.answered) {
		fprintf(stderr, "fuzz_master: %s %s was never answered\n", method, path);
		abort();
	}
	harness_close_ended();
	master_drain(m);
	free(b);
}

#define CALL(m, p, sid, s) call(m, "POST", p, sid, s, strlen(s))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness_state *hs = harness_state();
	struct master m;
	size_t i = 0;

	memset(hs, 0, sizeof(*hs));
	log_max_level = LOG_ERR; /* an earlier input's SET_LOGGING_LEVEL does not carry over */
	if (master_init(&m, &flags) < 0)
		abort();
	CALL(&m, "/api/v1/agent", NULL,
	     "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_info\":{\"hostname\":\"h1\","
	     "\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4}},"
	     "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4096}},"
	     "{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":"
	     "[{\"begin\":31000,\"end\":31010}]}}]}}}");
	CALL(&m, "/api/v1/scheduler", NULL,
	     "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\","
	     "\"name\":\"fuzz\",\"role\":\"*\",\"capabilities\":[{\"type\":\"PARTITION_AWARE\"}]}}}");
	master_offers_allocate(&m);
	master_drain(&m);
	if (!hs->fw_id[0] || !hs->agent_id[0] || !hs->offer_id[0])
		abort(); /* the preamble itself must work */

	while (i < size) {
		const char *line = (const char *)data + i;
		const char *nl = memchr(line, '\n', size - i);
		size_t len = nl ? (size_t)(nl - line) : size - i;
		const char *body = line + 1;
		size_t blen = len ? len - 1 : 0;

		i += len + 1;
		if (!len)
			continue;
		switch (line[0]) {
		case 'S':
			call(&m, "POST", "/api/v1/scheduler", hs->fw_stream_id, body, blen);
			break;
		case 's':
			call(&m, "POST", "/api/v1/scheduler", NULL, body, blen);
			break;
		case 'A':
			call(&m, "POST", "/api/v1/agent", hs->agent_stream_id, body, blen);
			break;
		case 'O':
			call(&m, "POST", "/api/v1", NULL, body, blen);
			break;
		case 'M':
			call(&m, "GET", "/metrics", NULL, "", 0);
			break;
		case 'L': /* the legacy endpoints (masterd/legacy.c) over the state so far */
			call(&m, "GET", "/master/state", NULL, "", 0);
			call(&m, "GET", "/master/state-summary", NULL, "", 0);
			call(&m, "GET", "/metrics/snapshot", NULL, "", 0);
			call(&m, "GET", "/master/redirect", NULL, "", 0);
			break;
		case 'T':
			master_offers_allocate(&m);
			master_drain(&m);
			break;
		case 'C':
		case 'D':
			harness_drop_stream(line[0] == 'D');
			master_drain(&m);
			break;
		case 'P':
			master_agents_check_pings(&m, now_mono_ns() + 60LL * 1000000000);
			master_agents_check_pings(&m, now_mono_ns() + 120LL * 1000000000);
			master_framework_check_failover(&m, now_mono_ns() + 60LL * 1000000000);
			master_drain(&m);
			break;
		default:
			break;
		}
	}
	master_fini(&m);
	return 0;
}
