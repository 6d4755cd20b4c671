// SPDX-License-Identifier: Apache-2.0
/*
 * Agent heartbeats answered on the HTTP thread. At 10,000 agents a HEARTBEAT call arrives
 * every 0.5 ms; queued for the owner like any call, each was one suspend and one resume of
 * its connection in libmicrohttpd, and every resume walks the daemon's list of suspended
 * connections, where every idle agent stream sits: O(agents) per heartbeat, most of an idle
 * master's CPU (docs/benchmarks.md, "Scale"). So the owner publishes, per subscribed agent,
 * what a heartbeat must match (its stream ID and principal) in a table of its own, and the
 * HTTP thread that parses a heartbeat answers it from there, recording when it came; the
 * owner reads that when it counts missed pings. Anything that does not match exactly is
 * queued for the owner as before, which answers it with the precise error.
 */
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "master.h"

struct live {
	char stream_id[UUID_STR_LEN];
	char *principal;
	int64_t seen_ns;
};

static void live_free(void *p)
{
	struct live *l = p;

	if (l)
		free(l->principal);
	free(l);
}

void master_liveness_init(struct master *m)
{
	pthread_mutex_init(&m->live_lock, NULL);
	strmap_init(&m->live);
}

void master_liveness_fini(struct master *m)
{
	strmap_clear(&m->live, live_free);
	pthread_mutex_destroy(&m->live_lock);
}

void master_liveness_agent_up(struct master *m, const struct agent *a)
{
	struct live *l = calloc(1, sizeof(*l));

	if (!l || (a->principal && !(l->principal = strdup(a->principal)))) {
		live_free(l); /* heartbeats take the owner's way */
		master_liveness_agent_down(m, a);
		return;
	}
	snprintf(l->stream_id, sizeof(l->stream_id), "%s", a->stream_id);
	l->seen_ns = a->last_seen_ns;
	void *old = NULL;

	pthread_mutex_lock(&m->live_lock);
	if (strmap_put(&m->live, a->id, l, &old) < 0) {
		live_free(l);
		live_free(strmap_del(&m->live, a->id));
	}
	pthread_mutex_unlock(&m->live_lock);
	live_free(old);
}

void master_liveness_agent_down(struct master *m, const struct agent *a)
{
	pthread_mutex_lock(&m->live_lock);
	live_free(strmap_del(&m->live, a->id));
	pthread_mutex_unlock(&m->live_lock);
}

int64_t master_liveness_seen(struct master *m, const struct agent *a)
{
	struct live *l;
	int64_t seen = 0;

	pthread_mutex_lock(&m->live_lock);
	l = strmap_get(&m->live, a->id);
	if (l)
		seen = l->seen_ns;
	pthread_mutex_unlock(&m->live_lock);
	return seen;
}

bool master_liveness_heartbeat(struct master *m, const json_t *call, const char *stream_id,
			       const char *principal)
{
	const char *id = json_string_value(json_object_get(json_object_get(call, "agent_id"),
							   "value"));
	struct live *l;
	bool ok = false;

	if (!id || !stream_id)
		return false;
	pthread_mutex_lock(&m->live_lock);
	l = strmap_get(&m->live, id);
	if (l && strcmp(l->stream_id, stream_id) == 0 &&
	    (!l->principal || (principal && strcmp(l->principal, principal) == 0))) {
		l->seen_ns = now_mono_ns();
		ok = true;
	}
	pthread_mutex_unlock(&m->live_lock);
	return ok;
}
