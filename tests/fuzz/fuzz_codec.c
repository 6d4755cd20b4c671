// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the master's call path in protobuf (lib/codec through masterd/http.c
 * to the owner thread), over the in-memory transport of harness_http.c. Each input starts
 * from the same cluster: one agent (JSON, Drover's agent protocol) and one framework that
 * subscribed in protobuf and reads its stream in protobuf (the harness checks that every
 * record is a mesos.v1.scheduler.Event), holding an offer.
 *
 * Input: records of [selector][length, 2 bytes little-endian][body]. Selector bit 0: the
 * scheduler endpoint (with the framework's Mesos-Stream-Id) or the operator's; bit 1:
 * Content-Type application/x-protobuf or application/json; bit 2: Accept protobuf. A call
 * the master refuses (4xx) must have changed nothing: frameworks, agents, offers and the
 * launch/decline/accept counters are what they were. Nothing may be answered 5xx (the
 * harness aborts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness_http.h"
#include "log.h"
#include "masterd/master.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct master_flags flags;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *args[] = {"fuzz_codec",	     "--registry=sqlite::memory:", "--listen=127.0.0.1:0",
			"--log-level=error", "--max-call-list=16",	   NULL};
	char err[256];
	int first;

	if (conf_parse(master_flag_table, &flags, "DROVER_FUZZ_", 4, args, &first, err,
		       sizeof(err)) != CONF_OK) {
		fprintf(stderr, "fuzz_codec: %s\n", err);
		abort();
	}
	log_max_level = LOG_ERR;
	return 0;
}

struct snap {
	size_t frameworks, agents, offers;
	uint64_t launched, declined, accepted;
};

static void take(const struct master *m, struct snap *s)
{
	s->frameworks = strmap_size(&m->frameworks);
	s->agents = strmap_size(&m->agents);
	s->offers = strmap_size(&m->offers);
	s->launched = m->metrics.tasks_launched;
	s->declined = m->metrics.offers_declined;
	s->accepted = m->metrics.offers_accepted;
}

static unsigned call(struct master *m, const char *path, const char *sid, const char *ct,
		     const char *accept, const void *body, size_t len)
{
	struct http_request req = {
		.method = "POST",
		.path = path,
		.stream_id = sid && *sid ? sid : NULL,
		.content_type = ct,
		.accept = accept,
		.body = body,
		.len = len,
	};

	master_http_handler(&req, m);
	master_drain(m);
	master_sync(m);
	if (!req.answered) {
		fprintf(stderr, "fuzz_codec: %s was never answered\n", path);
		abort();
	}
	harness_close_ended();
	master_drain(m);
	return req.status;
}

#define PB "application/x-protobuf"
#define JS "application/json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char agent_sub[] =
		"{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_info\":{\"hostname\":\"h1\","
		"\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4}},"
		"{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4096}}]}}}";
	struct harness_state *hs = harness_state();
	json_t *sub = json_loads("{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":"
				 "{\"user\":\"root\",\"name\":\"fuzz\",\"role\":\"*\"}}}",
				 0, NULL);
	char err[PBJSON_ERR_LEN];
	struct master m;
	uint8_t *b = NULL;
	size_t n = 0, i = 0;

	memset(hs, 0, sizeof(*hs));
	if (!sub || pbjson_encode(&mesos__v1__scheduler__call__descriptor, sub, 0, &b, &n, err,
				  sizeof(err)) != 0)
		abort();
	json_decref(sub);
	if (master_init(&m, &flags) < 0)
		abort();
	call(&m, "/api/v1/agent", NULL, JS, NULL, agent_sub, strlen(agent_sub));
	call(&m, "/api/v1/scheduler", NULL, PB, PB, b, n);
	free(b);
	master_offers_allocate(&m);
	master_drain(&m);
	if (!hs->fw_id[0] || !hs->agent_id[0] || !hs->offer_id[0])
		abort(); /* the preamble itself must work, in protobuf */

	while (size - i >= 3) {
		uint8_t sel = data[i];
		size_t len = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;
		struct snap before, after;
		unsigned status;

		i += 3;
		if (len > size - i)
			len = size - i;
		take(&m, &before);
		status = call(&m, sel & 1 ? "/api/v1/scheduler" : "/api/v1",
			      sel & 1 ? hs->fw_stream_id : NULL, sel & 2 ? PB : JS,
			      sel & 4 ? PB : NULL, data + i, len);
		i += len;
		take(&m, &after);
		if (status >= 400 && memcmp(&before, &after, sizeof(before)) != 0) {
			fprintf(stderr, "fuzz_codec: a call refused with %u changed the master\n",
				status);
			abort();
		}
	}
	master_fini(&m);
	return 0;
}
