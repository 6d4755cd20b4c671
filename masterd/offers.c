// SPDX-License-Identifier: Apache-2.0
/*
 * The bridge between the master's state and alloc/: the master tells the allocator what
 * exists and what is used; a cycle's decisions become offers, sent to each framework as
 * one OFFERS event per cycle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonnum.h"
#include "buf.h"
#include "log.h"
#include "master.h"
#include "mesos/v1/mesos.pb-c.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "pbjson.h"
#include "validate.h"

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
	master_alloc_framework_roles(m, fw);
	master_alloc_framework_caps(m, fw);
}

void master_alloc_framework_roles(struct master *m, struct framework *fw)
{
	/* its first role is alloc_framework_add's; the others are added; each has its
	 * suppression set */
	for (size_t i = 0; i < fw->nroles; i++) {
		const struct framework_role *fr = &fw->roles[i];

		check(alloc_framework_role_add(m->alloc, fw->id, fr->name,
					       fr->suppressed || fw->offer_capped),
		      "set the roles of", fw->id);
	}
}

void master_alloc_framework_caps(struct master *m, struct framework *fw)
{
	/* Mesos's --filter_gpu_resources (default true): no GPU agent without GPU_RESOURCES */
	check(alloc_framework_set_gpu_agents(
		      m->alloc, fw->id,
		      master_framework_has_capability(fw->info, "GPU_RESOURCES")),
	      "set the GPU capability of", fw->id);
}

void master_alloc_framework_remove(struct master *m, struct framework *fw)
{
	check(alloc_framework_remove(m->alloc, fw->id), "remove framework", fw->id);
}

void master_alloc_framework_activate(struct master *m, struct framework *fw, bool active)
{
	check(alloc_framework_set_active(m->alloc, fw->id, active), "activate framework", fw->id);
}

/* All of fw's roles suppressed (true), or those it has not suppressed itself revived. */
static void alloc_framework_suppress_all(struct master *m, struct framework *fw, bool suppress)
{
	if (suppress) {
		check(alloc_framework_suppress(m->alloc, fw->id, NULL), "suppress", fw->id);
		return;
	}
	for (size_t i = 0; i < fw->nroles; i++)
		if (!fw->roles[i].suppressed)
			check(alloc_framework_revive(m->alloc, fw->id, fw->roles[i].name), "revive",
			      fw->id);
}

void master_alloc_framework_revive(struct master *m, struct framework *fw)
{
	alloc_framework_suppress_all(m, fw, false);
}

void master_alloc_role_suppress(struct master *m, struct framework *fw, const char *role,
				bool suppress)
{
	if (suppress)
		check(alloc_framework_suppress(m->alloc, fw->id, role), "suppress", fw->id);
	else
		check(alloc_framework_revive(m->alloc, fw->id, role), "revive", fw->id);
}

void master_alloc_role_remove(struct master *m, struct framework *fw, const char *role)
{
	check(alloc_framework_role_remove(m->alloc, fw->id, role), "remove a role of", fw->id);
}

void master_alloc_agent_add(struct master *m, struct agent *a)
{
	struct alloc_res total = ALLOC_RES_INIT;
	int r = master_agent_offerable(a, &total);

	if (r == 0)
		r = alloc_agent_add(m->alloc, a->id, a->hostname, &total);
	check(r, "add agent", a->id);
	alloc_res_clear(&total);
	if (a->deactivated)
		alloc_agent_set_active(m->alloc, a->id, false);
}

void master_alloc_agent_update(struct master *m, struct agent *a)
{
	struct alloc_res total = ALLOC_RES_INIT;
	int r = master_agent_offerable(a, &total);

	if (r == 0)
		r = alloc_agent_update_total(m->alloc, a->id, &total);
	if (r < 0 && r != -ENOENT) /* not in the allocator (lost): nothing to update */
		check(r, "update agent", a->id);
	alloc_res_clear(&total);
}

void master_alloc_agent_remove(struct master *m, struct agent *a)
{
	size_t it;
	void *v;

	/* outstanding offers on it are void */
	for (it = 0; strmap_next(&a->offers, &it, NULL, &v);) {
		master_offer_rescind(m, v);
		it = 0;
	}
	alloc_agent_remove(m->alloc, a->id); /* -ENOENT when already gone is fine */
}

void master_alloc_agent_activate(struct master *m, struct agent *a, bool active)
{
	check(alloc_agent_set_active(m->alloc, a->id, active), "activate agent", a->id);
}

void master_alloc_used(struct master *m, struct agent *a, struct framework *fw,
		       const char *role, const struct alloc_res *res)
{
	int r = alloc_allocation_add(m->alloc, fw->id, role, a->id, res);

	if (r == -ENOENT && role && !master_framework_role(fw, role)) {
		/* a task of a role the framework has left (recovered after a restart): charged to
		 * that role, in which the framework is offered nothing */
		r = alloc_framework_role_add(m->alloc, fw->id, role, true);
		if (r == 0)
			r = alloc_allocation_add(m->alloc, fw->id, role, a->id, res);
		if (r == 0)
			r = alloc_framework_role_remove(m->alloc, fw->id, role);
	}

	if (r < 0 && r != -ENOENT)
		check(r, "record allocation of", fw->id);
}

void master_alloc_recover(struct master *m, struct agent *a, struct framework *fw,
			  const char *role, const struct alloc_res *res, double refuse_s)
{
	int r;

	if (refuse_s > 0)
		r = alloc_decline(m->alloc, fw->id, role, a->id, res, refuse_s, now_s());
	else
		r = alloc_recover(m->alloc, fw->id, role, a->id, res);
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

/* below --max-offers-per-framework again: offers resume (unless it suppressed them) */
static void offer_uncap(struct master *m, struct framework *fw)
{
	if (fw->offer_capped &&
	    strmap_size(&fw->offers) < (size_t)m->flags->max_offers_per_framework) {
		fw->offer_capped = false;
		alloc_framework_suppress_all(m, fw, false); /* the roles it did not suppress */
		master_request_allocation(m);
	}
}

void master_offer_remove(struct master *m, struct offer *o, bool recover, double refuse_s)
{
	struct framework *fw = o->fw;

	offer_unlink(m, o);
	if (recover)
		master_alloc_recover(m, o->agent, fw, o->role, &o->res, refuse_s);
	offer_free(o);
	offer_uncap(m, fw);
}

/*
 * At 10,000 agents a framework declines a thousand offers in one call, and the allocator's
 * part (recovering the resources, adding the filter) took the owner 25 - 35 ms during which
 * every ACCEPT, update and acknowledgement waited. The offers go at once (no one can use or
 * name them again); their resources stay allocated to the framework, so offered to no one,
 * until handed back here a slice at a time between calls (master_drain).
 */
void master_offer_decline(struct master *m, struct offer *o, double refuse_s)
{
	struct framework *fw = o->fw;
	struct decline *d = calloc(1, sizeof(*d));

	if (d) {
		d->fw_id = strdup(fw->id);
		d->agent_id = strdup(o->agent->id);
		/* (without MULTI_ROLE, its one role is the allocator's default: no copy) */
		d->role = fw->multi_role ? strdup(o->role) : NULL;
	}
	if (!d || !d->fw_id || !d->agent_id || (fw->multi_role && !d->role)) {
		if (d) {
			free(d->fw_id);
			free(d->agent_id);
			free(d->role);
			free(d);
		}
		master_offer_remove(m, o, true, refuse_s);
		return;
	}
	offer_unlink(m, o);
	d->res = o->res; /* taken */
	o->res = (struct alloc_res)ALLOC_RES_INIT;
	d->refuse_s = refuse_s;
	if (m->declines_tail)
		m->declines_tail->next = d;
	else
		m->declines = d;
	m->declines_tail = d;
	offer_free(o);
	offer_uncap(m, fw);
}

static struct decline *decline_pop(struct master *m)
{
	struct decline *d = m->declines;

	if (d) {
		m->declines = d->next;
		if (!m->declines)
			m->declines_tail = NULL;
	}
	return d;
}

static void decline_free(struct decline *d)
{
	alloc_res_clear(&d->res);
	free(d->fw_id);
	free(d->agent_id);
	free(d->role);
	free(d);
}

bool master_offers_declines_run(struct master *m, int64_t budget_ns)
{
	int64_t end = now_mono_ns() + budget_ns;
	double now = now_s();
	struct decline *d;

	while ((d = decline_pop(m))) {
		/* -ENOENT: the framework or the agent went meanwhile, and the resources with it */
		int r = d->refuse_s > 0
				? alloc_decline(m->alloc, d->fw_id, d->role, d->agent_id, &d->res,
						d->refuse_s, now)
				: alloc_recover(m->alloc, d->fw_id, d->role, d->agent_id, &d->res);
		if (r < 0 && r != -ENOENT)
			check(r, "recover resources of", d->fw_id);
		decline_free(d);
		/* (one can take a fraction of a ms: a filter group's first bitmap, new pages) */
		if (budget_ns > 0 && now_mono_ns() >= end)
			break;
	}
	return m->declines != NULL;
}

void master_offers_declines_drop(struct master *m)
{
	struct decline *d;

	while ((d = decline_pop(m)))
		decline_free(d);
}

void master_offer_rescind(struct master *m, struct offer *o)
{
	struct framework *fw = o->fw;

	if (fw->connected)
		master_stream_send_event(
			fw->stream, wire_event("RESCIND", "rescind",
					       json_pack("{s:o}", "offer_id", wire_id(o->id))));
	m->metrics.offers_rescinded++;
	master_offer_remove(m, o, true, 0);
	master_request_allocation(m);
}

json_t *master_offer_to_json(const struct offer *o)
{
	json_t *attrs = json_object_get(o->agent->info, "attributes");
	json_t *res = alloc_res_to_json(&o->res), *r, *j;
	size_t i;

	/* "o" steals: a reference of our own to the agent's attributes, or a new array */
	j = json_pack("{s:o,s:o,s:o,s:s,s:o,s:o}", "id", wire_id(o->id), "framework_id",
		      wire_id(o->fw->id), "agent_id", wire_id(o->agent->id), "hostname",
		      o->agent->hostname, "resources", res, "attributes",
		      attrs ? json_incref(attrs) : json_array());
	if (j && o->agent->url)
		json_object_set(j, "url", o->agent->url);
	/* as Mesos: the role it is allocated to, on the offer and on every resource, for
	 * MULTI_ROLE frameworks only (the others get neither) */
	if (j && o->fw->multi_role) {
		json_array_foreach(res, i, r)
			json_object_set_new(r, "allocation_info",
					    json_pack("{s:s}", "role", o->role));
		json_object_set_new(j, "allocation_info", json_pack("{s:s}", "role", o->role));
	}
	return j;
}

/*
 * OFFERS events are written as text, not built as a jansson tree and dumped: at 10,000
 * agents the dump of one cycle's events was half of the owner thread (docs/benchmarks.md,
 * "Offer path at 10,000 agents"). The bytes are those jsonnum_dumps(master_offer_to_json(o),
 * JSON_COMPACT | JSON_ENSURE_ASCII) gives, key for key: the parts that depend on the agent
 * come from its cached fragment (made by jansson, once per agent and offered resources),
 * the framework's parts are escaped by jansson once per event, and offer ids are ours
 * ("<8 hex digits>-O<number>": nothing to escape). tests/unit/test_master_offers.c checks
 * the two encodings byte for byte.
 */
struct obuf {
	struct buf b;
	bool failed; /* sticky: a writer checks once, at the end */
};

/* n more bytes at the end of b (their content is the caller's), or NULL after a failure. */
static char *obuf_grow(struct obuf *b, size_t n)
{
	char *at;

	if (b->failed)
		return NULL;
	if (buf_grow(&b->b, n, &at) < 0) {
		b->failed = true;
		return NULL;
	}
	return at;
}

static void obuf_add(struct obuf *b, const char *s, size_t n)
{
	if (!b->failed && buf_append(&b->b, s, n) < 0)
		b->failed = true;
}

static void obuf_adds(struct obuf *b, const char *s)
{
	obuf_add(b, s, strlen(s));
}

/* s as a JSON string literal, escaped as json_dumps escapes it. */
static void obuf_add_string(struct obuf *b, const char *s)
{
	json_t *j = json_string(s);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	if (t)
		obuf_adds(b, t);
	else
		b->failed = true;
	free(t);
	json_decref(j);
}

void master_agent_offer_frag_drop(struct agent *a)
{
	if (!a)
		return;
	free(a->offer_frag.text);
	a->offer_frag.text = NULL;
	a->offer_frag.len = 0;
	free(a->offer_frag.pb);
	a->offer_frag.pb = NULL;
	a->offer_frag.pb_len = 0;
	alloc_res_clear(&a->offer_frag.res);
}

/* a's fragment for offering res, made again when res is not what it was made for. */
static const struct offer_frag *agent_offer_frag(struct agent *a, const struct alloc_res *res)
{
	struct offer_frag *f = &a->offer_frag;
	json_t *attrs, *j;
	char *t;
	size_t n;

	if (f->text && alloc_res_equal(&f->res, res))
		return f;
	master_agent_offer_frag_drop(a);
	attrs = json_object_get(a->info, "attributes");
	j = json_pack("{s:o,s:s,s:o,s:o}", "agent_id", wire_id(a->id), "hostname", a->hostname,
		      "resources", alloc_res_to_json(res), "attributes",
		      attrs ? json_incref(attrs) : json_array());
	if (j && a->url)
		json_object_set(j, "url", a->url);
	t = j ? jsonnum_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	n = t ? strlen(t) : 0;
	if (n < 2 || alloc_res_copy(&f->res, res) < 0) {
		free(t);
		alloc_res_clear(&f->res);
		return NULL;
	}
	/* without the braces */
	memmove(t, t + 1, n - 2);
	t[n - 2] = '\0';
	f->text = t;
	f->len = n - 2;
	return f;
}

/* Room for the RecordIO header ("<length>\n"), written in front of the JSON when sent. */
#define RECORD_HDR_ROOM 24
/* protobuf: also the Event's own fields before its offers (type, the Offers' tag, length) */
#define PB_HDR_ROOM (RECORD_HDR_ROOM + 16)

/* What an Offer's id and framework_id are packed as when both are "" (stripped below). */
static const uint8_t empty_ids[] = {0x0a, 0x02, 0x0a, 0x00, 0x12, 0x02, 0x0a, 0x00};

/*
 * a's fragment as protobuf: the Offer fields agent_id, hostname, url, resources and
 * attributes, packed by the schema (lib/pbjson) once per agent and offered resources, as
 * the text is. protobuf-c packs an Offer's fields in its descriptor's order, id and
 * framework_id first and allocation_info last, so the bytes between are these fields.
 */
static const struct offer_frag *agent_offer_frag_pb(struct agent *a, const struct alloc_res *res)
{
	const struct offer_frag *t = agent_offer_frag(a, res);
	struct offer_frag *f = &a->offer_frag;
	char err[PBJSON_ERR_LEN];
	json_t *attrs, *j;
	uint8_t *b = NULL;
	size_t n = 0;
	int r;

	if (!t || f->pb)
		return t;
	attrs = json_object_get(a->info, "attributes");
	j = json_pack("{s:{s:s},s:{s:s},s:o,s:s,s:o,s:o}", "id", "value", "", "framework_id",
		      "value", "", "agent_id", wire_id(a->id), "hostname", a->hostname,
		      "resources", alloc_res_to_json(res), "attributes",
		      attrs ? json_incref(attrs) : json_array());
	if (j && a->url)
		json_object_set(j, "url", a->url);
	r = j ? pbjson_encode(&mesos__v1__offer__descriptor, j, 0, &b, &n, err, sizeof(err))
	      : -ENOMEM;
	json_decref(j);
	if (r < 0 || n < sizeof(empty_ids) || memcmp(b, empty_ids, sizeof(empty_ids)) != 0) {
		if (r < 0)
			log_warn("agent %s: its offers have no protobuf form: %s", a->id, err);
		free(b);
		return NULL;
	}
	memmove(b, b + sizeof(empty_ids), n - sizeof(empty_ids));
	f->pb = b;
	f->pb_len = n - sizeof(empty_ids);
	return f;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* v as a protobuf varint into p; returns the bytes written (varint_len(v)). */
static size_t varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
		n++;
	}
	*p = (uint8_t)v;
	return n;
}

static void obuf_varint(struct obuf *b, uint64_t v)
{
	uint8_t tmp[10];

	varint_put(tmp, v);
	obuf_add(b, (const char *)tmp, varint_len(v));
}

/* A length-delimited field: its tag, the length, the bytes. */
static void obuf_pb_field(struct obuf *b, unsigned field, const void *p, size_t n)
{
	obuf_varint(b, (uint64_t)field << 3 | 2);
	obuf_varint(b, n);
	obuf_add(b, p, n);
}

/* A message field holding one string field 1 ({"value": s}, {"role": s}). */
static void obuf_pb_wrapped(struct obuf *b, unsigned field, const char *s)
{
	size_t n = strlen(s);

	obuf_varint(b, (uint64_t)field << 3 | 2);
	obuf_varint(b, 1 + varint_len(n) + n);
	obuf_pb_field(b, 1, s, n);
}

/* One framework's OFFERS event of this cycle, as it is being written. */
struct offers_event {
	struct obuf out;
	size_t n;
	char *fw_part;   /* ,"framework_id":{"value":…}, (protobuf: Offer.framework_id) */
	char *role_part; /* ,"allocation_info":{"role":…}} (MULTI_ROLE), or } (protobuf: "") */
	size_t fw_part_len, role_part_len;
	enum codec codec;
	size_t start;	 /* once closed: where the record begins in out */
	bool multi_role; /* the framework's: each offer's resources carry allocation_info too */
	bool closed;
};

void master_offers_event_free(struct offers_event *ev)
{
	if (!ev)
		return;
	buf_free(&ev->out.b);
	free(ev->fw_part);
	free(ev->role_part);
	free(ev);
}

static void offers_event_freep(void *p)
{
	master_offers_event_free(p);
}

/* b's text (free it), or NULL after a failure; b is empty again. */
static char *obuf_take(struct obuf *b)
{
	char *p = b->failed ? NULL : buf_steal(&b->b, NULL);

	buf_free(&b->b);
	b->failed = false;
	return p;
}

struct offers_event *master_offers_event_new(const struct framework *fw)
{
	return master_offers_event_new_codec(fw, master_stream_codec(fw->stream));
}

struct offers_event *master_offers_event_new_codec(const struct framework *fw, enum codec c)
{
	struct offers_event *ev = calloc(1, sizeof(*ev));
	struct obuf t = {0};

	if (!ev)
		return NULL;
	ev->codec = c;
	ev->multi_role = fw->multi_role;
	if (c == CODEC_PROTOBUF) {
		obuf_pb_wrapped(&t, 2, fw->id);
		ev->fw_part_len = t.b.len;
		ev->fw_part = obuf_take(&t);
		obuf_grow(&ev->out, PB_HDR_ROOM);
		if (!ev->fw_part || ev->out.failed) {
			master_offers_event_free(ev);
			return NULL;
		}
		return ev;
	}
	obuf_adds(&t, "\"},\"framework_id\":{\"value\":");
	obuf_add_string(&t, fw->id);
	obuf_adds(&t, "},");
	ev->fw_part = obuf_take(&t);
	if (fw->multi_role) {
		obuf_adds(&t, ",\"allocation_info\":{\"role\":");
		obuf_add_string(&t, fw->role);
		obuf_adds(&t, "}");
	}
	obuf_adds(&t, "}");
	ev->role_part = obuf_take(&t);
	obuf_grow(&ev->out, RECORD_HDR_ROOM);
	obuf_adds(&ev->out, "{\"type\":\"OFFERS\",\"offers\":{\"offers\":[");
	if (!ev->fw_part || !ev->role_part || ev->out.failed) {
		master_offers_event_free(ev);
		return NULL;
	}
	return ev;
}

/*
 * o as master_offer_to_json() makes it, in the event's codec (MULTI_ROLE frameworks: few,
 * not the hot path).
 */
static int offers_event_add_json(struct offers_event *ev, const struct offer *o)
{
	json_t *j = master_offer_to_json(o);
	char err[PBJSON_ERR_LEN];
	uint8_t *pb = NULL;
	size_t len;
	char *t;
	int r;

	if (!j)
		return -ENOMEM;
	if (ev->codec == CODEC_PROTOBUF) {
		/* Offers.offers (1): the Offer message */
		r = pbjson_encode(&mesos__v1__offer__descriptor, j, 0, &pb, &len, err, sizeof(err));
		json_decref(j);
		if (r < 0)
			return -ENOMEM;
		obuf_varint(&ev->out, 1 << 3 | 2);
		obuf_varint(&ev->out, len);
		obuf_add(&ev->out, (const char *)pb, len);
		free(pb);
		ev->n++;
		return ev->out.failed ? -ENOMEM : 0;
	}
	t = jsonnum_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	if (!t)
		return -ENOMEM;
	if (ev->n++)
		obuf_adds(&ev->out, ",");
	obuf_adds(&ev->out, t);
	free(t);
	return ev->out.failed ? -ENOMEM : 0;
}

int master_offers_event_add(struct offers_event *ev, const struct offer *o)
{
	const struct offer_frag *frag;

	if (ev->closed)
		return -EINVAL;
	if (ev->multi_role) /* every resource's allocation_info: not in the agent's fragment */
		return offers_event_add_json(ev, o);
	if (ev->codec == CODEC_PROTOBUF) {
		size_t idn = strlen(o->id), idmsg = 1 + varint_len(idn) + idn, len;
		uint8_t *p;

		frag = agent_offer_frag_pb(o->agent, &o->res);
		if (!frag)
			return -ENOMEM;
		/* Offers.offers (1): id (1: {value}), framework_id, the agent's part (MULTI_ROLE:
		 * offers_event_add_json); written in place, once the buffer has room for it all */
		len = 1 + varint_len(idmsg) + idmsg + ev->fw_part_len + frag->pb_len;
		p = (uint8_t *)obuf_grow(&ev->out, 1 + varint_len(len) + len);
		if (!p)
			return -ENOMEM;
		*p++ = 1 << 3 | 2;
		p += varint_put(p, len);
		*p++ = 1 << 3 | 2;
		p += varint_put(p, idmsg);
		*p++ = 1 << 3 | 2;
		p += varint_put(p, idn);
		memcpy(p, o->id, idn);
		p += idn;
		memcpy(p, ev->fw_part, ev->fw_part_len);
		p += ev->fw_part_len;
		memcpy(p, frag->pb, frag->pb_len);
		ev->n++;
		return 0;
	}
	frag = agent_offer_frag(o->agent, &o->res);
	if (!frag)
		return -ENOMEM;
	/* what jsonnum_dumps(master_offer_to_json(o)) would give */
	obuf_adds(&ev->out, ev->n++ ? ",{\"id\":{\"value\":\"" : "{\"id\":{\"value\":\"");
	obuf_adds(&ev->out, o->id);
	obuf_adds(&ev->out, ev->fw_part);
	obuf_add(&ev->out, frag->text, frag->len);
	obuf_adds(&ev->out, ev->role_part);
	return ev->out.failed ? -ENOMEM : 0;
}

int master_offers_event_record(struct offers_event *ev, const char **ret, size_t *ret_len)
{
	char hdr[RECORD_HDR_ROOM];
	size_t json_len;
	int h;

	if (ev->codec == CODEC_PROTOBUF) {
		/* Event: type (1) = OFFERS (2), offers (3) = what was written; RecordIO */
		size_t body = ev->out.b.len - PB_HDR_ROOM, msg, at;

		if (ev->out.failed)
			return -ENOMEM;
		msg = 2 + 1 + varint_len(body) + body;
		h = snprintf(hdr, sizeof(hdr), "%zu\n", msg);
		at = PB_HDR_ROOM - (msg - body) - (size_t)h;
		if (!ev->closed) {
			uint8_t *p = (uint8_t *)ev->out.b.p + at + (size_t)h;
			memcpy(ev->out.b.p + at, hdr, (size_t)h);
			p[0] = 0x08;
			p[1] = 0x02;
			p[2] = 3 << 3 | 2;
			varint_put(p + 3, body);
			ev->closed = true;
		}
		*ret = ev->out.b.p + at;
		*ret_len = (size_t)h + msg;
		return 0;
	}
	if (!ev->closed) {
		obuf_adds(&ev->out, "]}}");
		ev->closed = true;
	}
	if (ev->out.failed)
		return -ENOMEM;
	json_len = ev->out.b.len - RECORD_HDR_ROOM;
	h = snprintf(hdr, sizeof(hdr), "%zu\n", json_len);
	memcpy(ev->out.b.p + RECORD_HDR_ROOM - h, hdr, (size_t)h);
	*ret = ev->out.b.p + RECORD_HDR_ROOM - h;
	*ret_len = (size_t)h + json_len;
	return 0;
}

/*
 * The event on a stream whose codec is not the one it was written in: read back and
 * written in the stream's codec.
 */
static bool master_offers_event_send_codec(struct offers_event *ev, struct http_stream *s,
					   const char *rec, size_t len)
{
	const char *nl = memchr(rec, '\n', len);
	char err[CODEC_ERR_LEN];
	size_t n = nl ? len - (size_t)(nl + 1 - rec) : 0;
	json_t *j = NULL;

	if (!nl)
		return false;
	if (ev->codec == CODEC_PROTOBUF)
		pbjson_decode(&mesos__v1__scheduler__event__descriptor, (const uint8_t *)nl + 1, n,
			      0, &j, err, sizeof(err));
	else
		j = json_loadb(nl + 1, n, 0, NULL);
	return j && master_stream_send_event(s, j);
}

/* Close the event and send it as one RecordIO record; false when it could not be. */
static bool offers_event_send(struct offers_event *ev, struct http_stream *s)
{
	const char *rec;
	size_t len;

	if (master_offers_event_record(ev, &rec, &len) < 0 || !s)
		return false;
	if (master_stream_codec(s) != ev->codec) /* (its stream changed codec meanwhile) */
		return master_offers_event_send_codec(ev, s, rec, len);
	return http_stream_send(s, rec, len) == 0;
}

struct cycle {
	struct master *m;
	struct strmap events; /* framework id -> struct offers_event */
};

static void on_offer(void *opaque, const char *fw_id, const char *role, const char *agent_id,
		     const struct alloc_res *res)
{
	struct cycle *c = opaque;
	struct master *m = c->m;
	struct framework *fw = strmap_get(&m->frameworks, fw_id);
	struct agent *a = strmap_get(&m->agents, agent_id);
	const struct framework_role *fr;
	struct offers_event *ev;
	struct offer *o;
	char id[UUID_STR_LEN + 32];

	if (!fw || !a || !fw->connected || !a->connected ||
	    (m->flags->max_offers_per_framework > 0 &&
	     strmap_size(&fw->offers) >= (size_t)m->flags->max_offers_per_framework)) {
		/*
		 * the allocator and the master disagree, or the framework holds as many offers
		 * as it may (it is suppressed after this cycle): hand the resources back
		 */
		alloc_recover(m->alloc, fw_id, role, agent_id, res);
		return;
	}
	/* the framework's own string for the role (offers borrow it) */
	fr = !fw->multi_role && fw->nroles ? &fw->roles[0] : master_framework_role(fw, role);
	if (!fr) {
		alloc_recover(m->alloc, fw_id, role, agent_id, res);
		return;
	}
	ev = strmap_get(&c->events, fw_id);
	if (!ev) {
		ev = master_offers_event_new(fw);
		if (ev && strmap_put(&c->events, fw_id, ev, NULL) < 0) {
			master_offers_event_free(ev);
			ev = NULL;
		}
	}
	o = calloc(1, sizeof(*o));
	if (o) {
		snprintf(id, sizeof(id), "%.8s-O%llu", m->master_id,
			 (unsigned long long)++m->next_offer);
		o->id = strdup(id);
		o->fw = fw;
		o->agent = a;
		o->role = fr->name;
		o->created_ns = now_mono_ns();
	}
	if (!ev || !o || !o->id || alloc_res_copy(&o->res, res) < 0 ||
	    master_offers_event_add(ev, o) < 0) {
		if (o)
			offer_free(o);
		alloc_recover(m->alloc, fw_id, role, agent_id, res);
		return;
	}
	strmap_put(&m->offers, o->id, o, NULL);
	strmap_put(&fw->offers, o->id, o, NULL);
	strmap_put(&a->offers, o->id, o, NULL);
	m->metrics.offers_sent++;
}

void master_offers_allocate(struct master *m)
{
	struct cycle c = {.m = m};
	int64_t t0 = now_mono_ns(), us;
	const char *fw_id;
	size_t it;
	void *v;
	int n, b;

	strmap_init(&c.events);
	n = alloc_cycle(m->alloc, now_s(), on_offer, &c);
	us = (now_mono_ns() - t0) / 1000;
	for (b = 0; b < 15 && (1LL << (b + 1)) <= us; b++)
		;
	m->metrics.alloc_cycle_hist[b]++;
	m->metrics.alloc_cycles++;
	m->metrics.alloc_cycle_sum_us += (uint64_t)us;
	if (n < 0)
		log_warn("allocation cycle failed: %s", strerror(-n));

	for (it = 0; strmap_next(&c.events, &it, &fw_id, &v);) {
		struct framework *fw = strmap_get(&m->frameworks, fw_id);
		if (fw && !offers_event_send(v, fw->stream))
			log_warn("could not send offers to framework %s", fw_id);
		if (fw && !fw->offer_capped && m->flags->max_offers_per_framework > 0 &&
		    strmap_size(&fw->offers) >= (size_t)m->flags->max_offers_per_framework) {
			fw->offer_capped = true;
			alloc_framework_suppress_all(m, fw, true);
			log_info("framework %s holds %zu offers (--max-offers-per-framework): no "
				 "more until it answers",
				 fw->id, strmap_size(&fw->offers));
		}
	}
	strmap_clear(&c.events, offers_event_freep);
}
