// SPDX-License-Identifier: Apache-2.0
/*
 * drover-offerbench: the master's OFFERS writer (masterd/offers.c) in both codecs, in one
 * run: every framework is offered every agent once per round, as an allocation cycle that
 * offers the whole cluster does, and the events are written as JSON text and as protobuf
 * bytes, alternately (ABAB...), after one warm-up round of each (the per-agent fragments
 * are made then, as in a running master). Reports the CPU time per offer and the bytes per
 * offer of each codec.
 *
 *   drover-offerbench [--agents N] [--frameworks F] [--rounds R]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "masterd/master.h"

struct obench_flags {
	int64_t agents, frameworks, rounds;
	char *resources;
};

#define F(field) offsetof(struct obench_flags, field)

static const struct conf_opt obench_flag_table[] = {
	{"agents", CONF_INT, F(agents), "10000", "N", "agents offered", 1, 10000000},
	{"frameworks", CONF_INT, F(frameworks), "10", "F", "frameworks offered each agent", 1,
	 100000},
	{"rounds", CONF_INT, F(rounds), "5", "R", "measured rounds of each codec", 1, 1000},
	{"resources", CONF_STRING, F(resources), "cpus:8;mem:16384;ports:[31000-32000]", "RES",
	 "each agent's offered resources"},
	CONF_END,
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One round in codec c: returns CPU seconds, adds the bytes written to *bytes. */
static double round_once(struct framework *fws, size_t nfw, struct offer *offers, size_t na,
			 enum codec c, size_t *bytes)
{
	double t0 = cpu_now();

	for (size_t f = 0; f < nfw; f++) {
		struct offers_event *ev = master_offers_event_new_codec(&fws[f], c);
		const char *rec;
		size_t len;

		if (!ev)
			exit(1);
		for (size_t i = 0; i < na; i++) {
			offers[i].fw = &fws[f];
			if (master_offers_event_add(ev, &offers[i]) < 0)
				exit(1);
		}
		if (master_offers_event_record(ev, &rec, &len) < 0)
			exit(1);
		*bytes += len;
		master_offers_event_free(ev);
	}
	return cpu_now() - t0;
}

int main(int argc, char **argv)
{
	static const struct daemon_desc desc = {
		.prog = "drover-offerbench",
		.synopsis = "[OPTIONS]",
		.env_prefix = "DROVER_OFFERBENCH",
		.table = obench_flag_table,
	};
	struct obench_flags fl = {0};
	int rc = daemon_parse_tool_args(&desc, &fl, argc, argv);
	struct agent *agents;
	struct offer *offers;
	struct framework *fws;
	struct alloc_res res = ALLOC_RES_INIT;
	double cpu[2] = {0, 0};
	size_t bytes[2] = {0, 0}, na, nfw;
	char err[256], buf[64];

	if (rc >= 0)
		return rc;
	if (alloc_res_parse(fl.resources, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "offerbench: --resources: %s\n", err);
		return 2;
	}
	na = (size_t)fl.agents;
	nfw = (size_t)fl.frameworks;
	agents = calloc(na, sizeof(*agents));
	offers = calloc(na, sizeof(*offers));
	fws = calloc(nfw, sizeof(*fws));
	if (!agents || !offers || !fws)
		return 2;
	for (size_t f = 0; f < nfw; f++) {
		snprintf(buf, sizeof(buf), "6c1a7d2e-3f4b-4c5d-8e9f-%012zx", f);
		fws[f].id = strdup(buf);
		fws[f].role = "*";
	}
	for (size_t i = 0; i < na; i++) {
		struct agent *a = &agents[i];

		snprintf(buf, sizeof(buf), "0b9e4c1d-2a3b-4c5d-9e8f-%012zx", i);
		a->id = strdup(buf);
		snprintf(buf, sizeof(buf), "node%zu.example.org", i);
		a->hostname = strdup(buf);
		a->info = json_pack("{s:s,s:[{s:s,s:s,s:{s:s}}]}", "hostname", buf, "attributes",
				    "name", "rack", "type", "TEXT", "text", "value", "r1");
		a->url = master_agent_url_json(buf, "10.0.0.1", 5051);
		snprintf(buf, sizeof(buf), "5d1c0a9e-O%zu", i);
		offers[i].id = strdup(buf);
		offers[i].agent = a;
		if (alloc_res_copy(&offers[i].res, &res) < 0)
			return 2;
	}
	/* warm-up: the per-agent fragments of both codecs */
	round_once(fws, nfw, offers, na, CODEC_JSON, &bytes[0]);
	round_once(fws, nfw, offers, na, CODEC_PROTOBUF, &bytes[1]);
	bytes[0] = bytes[1] = 0;
	for (int64_t r = 0; r < fl.rounds; r++) {
		for (int k = 0; k < 2; k++) {
			enum codec c = (r + k) % 2 ? CODEC_PROTOBUF : CODEC_JSON; /* ABBA... */
			cpu[c] += round_once(fws, nfw, offers, na, c, &bytes[c]);
		}
	}
	printf("offerbench agents=%zu frameworks=%zu rounds=%lld offers_per_round=%zu\n", na, nfw,
	       (long long)fl.rounds, na * nfw);
	for (int c = 0; c < 2; c++)
		printf("offerbench codec=%s ns_per_offer=%.0f bytes_per_offer=%.0f cpu_s=%.3f\n",
		       c ? "protobuf" : "json", cpu[c] * 1e9 / ((double)fl.rounds * na * nfw),
		       (double)bytes[c] / ((double)fl.rounds * na * nfw), cpu[c]);
	return 0;
}
