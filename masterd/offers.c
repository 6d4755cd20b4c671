// SPDX-License-Identifier: Apache-2.0
/*
 * The bridge between the master's state and alloc/: the master tells the allocator what
 * exists and what is used; a cycle's decisions become offers, sent to each framework as
 * one OFFERS event per cycle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "master.h"

static double now_s(void)
{
	return (double)now_mono_ns() / 1e9;
}

int master_alloc_init(struct master *m)
{
	struct alloc_config cfg;
	char err[256];
	int r;

	alloc_config_defaults(&cfg);
	cfg.allocation_interval = (double)m->flags->allocation_interval_ns / 1e9;
	r = alloc_new(&cfg, &m->alloc, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "allocator: %s", err);
	return 0;
}

void master_alloc_fini(struct master *m)
{
	alloc_free(m->alloc);
	m->alloc = NULL;
}

static void check(int r, const char *what, const char *id)
{
	if (r < 0)
		log_warn("allocator: %s '%s': %s", what, id, strerror(-r));
}

void master_alloc_framework_add(struct master *m, struct framework *fw)
{
	check(alloc_framework_add(m->alloc, fw->id, fw->role, fw->tier, true), "add framework",
	      fw->id);
}

void master_alloc_framework_remove(struct master *m, struct framework *fw)
{
	check(alloc_framework_remove(m->alloc, fw->id), "remove framework", fw->id);
}

void master_alloc_framework_activate(struct master *m, struct framework *fw, bool active)
{
	check(alloc_framework_set_active(m->alloc, fw->id, active), "activate framework", fw->id);
}

void master_alloc_framework_suppress(struct master *m, struct framework *fw, bool suppress)
{
	if (suppress)
		check(alloc_framework_suppress(m->alloc, fw->id), "suppress", fw->id);
	else
		check(alloc_framework_revive(m->alloc, fw->id), "revive", fw->id);
}

void master_alloc_framework_revive(struct master *m, struct framework *fw)
{
	check(alloc_framework_revive(m->alloc, fw->id), "revive", fw->id);
}

void master_alloc_agent_add(struct master *m, struct agent *a)
{
	check(alloc_agent_add(m->alloc, a->id, a->hostname, &a->total), "add agent", a->id);
	if (a->deactivated)
		alloc_agent_set_active(m->alloc, a->id, false);
}

void master_alloc_agent_remove(struct master *m, struct agent *a)
{
	size_t it;
	void *v;

	/* outstanding offers on it are void */
	for (it = 0; strmap_next(&a->offers, &it, NULL, &v);) {
		offer_rescind(m, v);
		it = 0;
	}
	alloc_agent_remove(m->alloc, a->id); /* -ENOENT when already gone is fine */
}

void master_alloc_agent_activate(struct master *m, struct agent *a, bool active)
{
	check(alloc_agent_set_active(m->alloc, a->id, active), "activate agent", a->id);
}

void master_alloc_used(struct master *m, struct agent *a, struct framework *fw,
		       const struct alloc_res *res)
{
	int r = alloc_allocation_add(m->alloc, fw->id, a->id, res);

	if (r < 0 && r != -ENOENT)
		check(r, "record allocation of", fw->id);
}

void master_alloc_recover(struct master *m, struct agent *a, struct framework *fw,
			  const struct alloc_res *res, double refuse_s)
{
	int r;

	if (refuse_s > 0)
		r = alloc_decline(m->alloc, fw->id, a->id, res, refuse_s, now_s());
	else
		r = alloc_recover(m->alloc, fw->id, a->id, res);
	if (r < 0 && r != -ENOENT)
		check(r, "recover resources of", fw->id);
}

/* ---------------------------------------------------------------- offers */

static void offer_unlink(struct master *m, struct offer *o)
{
	strmap_del(&m->offers, o->id);
	strmap_del(&o->fw->offers, o->id);
	strmap_del(&o->agent->offers, o->id);
}

static void offer_free(struct offer *o)
{
	alloc_res_clear(&o->res);
	free(o->id);
	free(o);
}

void offer_remove(struct master *m, struct offer *o, bool recover, double refuse_s)
{
	struct framework *fw = o->fw;

	offer_unlink(m, o);
	if (recover)
		master_alloc_recover(m, o->agent, fw, &o->res, refuse_s);
	offer_free(o);
	/* below --max-offers-per-framework again: offers resume (unless it suppressed them) */
	if (fw->offer_capped &&
	    strmap_size(&fw->offers) < (size_t)m->flags->max_offers_per_framework) {
		fw->offer_capped = false;
		if (!fw->suspended)
			master_alloc_framework_suppress(m, fw, false);
		master_request_allocation(m);
	}
}

void offer_rescind(struct master *m, struct offer *o)
{
	struct framework *fw = o->fw;

	if (fw->connected)
		stream_send_event(fw->stream,
				  wire_event("RESCIND", "rescind",
					     json_pack("{s:o}", "offer_id", wire_id(o->id))));
	m->metrics.offers_rescinded++;
	offer_remove(m, o, true, 0);
	master_request_allocation(m);
}

struct cycle {
	struct master *m;
	struct strmap batches; /* framework id -> json array of offers */
};

json_t *offer_to_json(const struct offer *o)
{
	json_t *attrs = json_object_get(o->agent->info, "attributes");

	/* "o" steals: a reference of our own to the agent's attributes, or a new array */
	return json_pack("{s:o,s:o,s:o,s:s,s:o,s:o,s:{s:s}}", "id", wire_id(o->id),
			 "framework_id", wire_id(o->fw->id), "agent_id", wire_id(o->agent->id),
			 "hostname", o->agent->hostname, "resources", alloc_res_to_json(&o->res),
			 "attributes", attrs ? json_incref(attrs) : json_array(), "allocation_info", "role",
			 o->fw->role);
}

static void on_offer(void *opaque, const char *fw_id, const char *agent_id,
		     const struct alloc_res *res)
{
	struct cycle *c = opaque;
	struct master *m = c->m;
	struct framework *fw = strmap_get(&m->frameworks, fw_id);
	struct agent *a = strmap_get(&m->agents, agent_id);
	struct offer *o;
	json_t *batch;
	char id[UUID_STR_LEN + 32];

	if (!fw || !a || !fw->connected || !a->connected ||
	    (m->flags->max_offers_per_framework > 0 &&
	     strmap_size(&fw->offers) >= (size_t)m->flags->max_offers_per_framework)) {
		/*
		 * the allocator and the master disagree, or the framework holds as many offers
		 * as it may (it is suppressed after this cycle): hand the resources back
		 */
		alloc_recover(m->alloc, fw_id, agent_id, res);
		return;
	}
	o = calloc(1, sizeof(*o));
	if (!o || alloc_res_copy(&o->res, res) < 0) {
		free(o);
		alloc_recover(m->alloc, fw_id, agent_id, res);
		return;
	}
	snprintf(id, sizeof(id), "%.8s-O%llu", m->master_id, (unsigned long long)++m->next_offer);
	o->id = strdup(id);
	o->fw = fw;
	o->agent = a;
	o->created_ns = now_mono_ns();
	strmap_put(&m->offers, o->id, o, NULL);
	strmap_put(&fw->offers, o->id, o, NULL);
	strmap_put(&a->offers, o->id, o, NULL);

	batch = strmap_get(&c->batches, fw_id);
	if (!batch) {
		batch = json_array();
		strmap_put(&c->batches, fw_id, batch, NULL);
	}
	json_array_append_new(batch, offer_to_json(o));
	m->metrics.offers_sent++;
}

void offers_allocate(struct master *m)
{
	struct cycle c = {.m = m};
	int64_t t0 = now_mono_ns(), us;
	const char *fw_id;
	size_t it;
	void *v;
	int n, b;

	strmap_init(&c.batches);
	n = alloc_cycle(m->alloc, now_s(), on_offer, &c);
	us = (now_mono_ns() - t0) / 1000;
	for (b = 0; b < 15 && (1LL << (b + 1)) <= us; b++)
		;
	m->metrics.alloc_cycle_hist[b]++;
	m->metrics.alloc_cycles++;
	m->metrics.alloc_cycle_sum_us += (uint64_t)us;
	if (n < 0)
		log_warn("allocation cycle failed: %s", strerror(-n));

	for (it = 0; strmap_next(&c.batches, &it, &fw_id, &v);) {
		struct framework *fw = strmap_get(&m->frameworks, fw_id);
		json_t *ev = wire_event("OFFERS", "offers", json_pack("{s:o}", "offers", v));
		if (fw && !stream_send_event(fw->stream, ev))
			log_warn("could not send offers to framework %s", fw_id);
		if (fw && !fw->offer_capped && m->flags->max_offers_per_framework > 0 &&
		    strmap_size(&fw->offers) >= (size_t)m->flags->max_offers_per_framework) {
			fw->offer_capped = true;
			master_alloc_framework_suppress(m, fw, true);
			log_info("framework %s holds %zu offers (--max-offers-per-framework): no "
				 "more until it answers",
				 fw->id, strmap_size(&fw->offers));
		}
		if (!fw)
			json_decref(ev);
	}
	strmap_clear(&c.batches, NULL);
}
