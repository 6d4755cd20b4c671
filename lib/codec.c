// SPDX-License-Identifier: Apache-2.0
/*
 * Media-type negotiation and the two encodings of the v1 APIs (codec.h). The conversions
 * are lib/pbjson's; this file decides which one runs and frames what it gives.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "http_server.h"
#include "jsonnum.h"
#include "mesos/v1/executor/executor.pb-c.h"
#include "mesos/v1/master/master.pb-c.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "pbjson.h"
#include "recordio.h"
#include "util.h"

const char *codec_content_type(enum codec c)
{
	return c == CODEC_PROTOBUF ? CODEC_PROTOBUF_TYPE : CODEC_JSON_TYPE;
}

int codec_request_type(const char *content_type, enum codec *ret, char *err, size_t errlen)
{
	if (!content_type) {
		snprintf(err, errlen, "Expecting 'Content-Type' to be present");
		return 400;
	}
	if (strcmp(content_type, CODEC_JSON_TYPE) == 0) {
		*ret = CODEC_JSON;
		return 0;
	}
	if (strcmp(content_type, CODEC_PROTOBUF_TYPE) == 0) {
		*ret = CODEC_PROTOBUF;
		return 0;
	}
	snprintf(err, errlen, "Expecting 'Content-Type' of %s or %s", CODEC_JSON_TYPE,
		 CODEC_PROTOBUF_TYPE);
	return 415;
}

/* s[0..n) without the blanks (space, tab) at either end. */
static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/*
 * The media range of one element of an Accept list ("type/sub;q=0.5;x=y") equals range?
 * Then 1 with *ret_zero (its q is 0), else 0.
 */
static int range_match(const char *el, size_t n, const char *range, bool *ret_zero)
{
	const char *semi = memchr(el, ';', n);
	const char *name = el;
	size_t nlen = semi ? (size_t)(semi - el) : n;

	trim(&name, &nlen);
	if (nlen != strlen(range) || strncasecmp(name, range, nlen) != 0)
		return 0;
	*ret_zero = false;
	while (semi) {
		const char *p = semi + 1;
		size_t plen;

		semi = memchr(p, ';', n - (size_t)(p - el));
		plen = semi ? (size_t)(semi - p) : n - (size_t)(p - el);
		trim(&p, &plen);
		if (plen >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			char num[32];
			char *end;
			double q;

			if (plen - 2 >= sizeof(num))
				continue;
			memcpy(num, p + 2, plen - 2);
			num[plen - 2] = '\0';
			q = strtod(num, &end);
			/* only q=0 means something: other values, or none that parses, accept */
			if (end != num && *end == '\0' && q == 0.0)
				*ret_zero = true;
		}
	}
	return 1;
}

/* Is type ("application/json") acceptable by the Accept value accept? */
static bool accepts(const char *accept, const char *type)
{
	char wild[64];
	const char *ranges[3] = {type, wild, "*/*"};
	const char *slash = strchr(type, '/');

	snprintf(wild, sizeof(wild), "%.*s/*", (int)(slash - type), type);
	/* the most specific range that names the type decides */
	for (size_t r = 0; r < ARRAY_SIZE(ranges); r++) {
		const char *p = accept;

		for (;;) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			bool zero;

			if (range_match(p, n, ranges[r], &zero))
				return !zero;
			if (!comma)
				break;
			p = comma + 1;
		}
	}
	return false;
}

int codec_negotiate(const char *accept, enum codec *ret, char *err, size_t errlen)
{
	if (!accept || accepts(accept, CODEC_JSON_TYPE)) {
		*ret = CODEC_JSON;
		return 0;
	}
	if (accepts(accept, CODEC_PROTOBUF_TYPE)) {
		*ret = CODEC_PROTOBUF;
		return 0;
	}
	snprintf(err, errlen, "Expecting 'Accept' to allow %s or %s", CODEC_JSON_TYPE,
		 CODEC_PROTOBUF_TYPE);
	return 406;
}

/* A map<K, V> field: a repeated "...Entry" message of key = 1 and value = 2. */
static bool field_is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *e = f->descriptor;
	size_t n;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE || !e ||
	    e->n_fields != 2 || strcmp(e->fields[0].name, "key") != 0 ||
	    strcmp(e->fields[1].name, "value") != 0)
		return false;
	n = strlen(e->short_name);
	return n > 5 && strcmp(e->short_name + n - 5, "Entry") == 0;
}

/*
 * One scalar value v of field f, as Mesos's JSON parser takes it: a new value to put in
 * its place (a number for a numeric string, a bool for "true"/"false"), v itself (no
 * change, a borrowed reference), or NULL when the value is to be dropped (an enum name the
 * schema does not know, in an optional or repeated field).
 */
static json_t *normalize_scalar(const ProtobufCFieldDescriptor *f, json_t *v)
{
	const char *s = json_string_value(v);
	char *end;

	if (!s)
		return v;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		long long i;

		errno = 0;
		i = strtoll(s, &end, 10);
		if (*s && *end == '\0' && errno == 0)
			return json_integer(i);
		return v; /* not a number (or beyond int64): the validators say so */
	}
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_FLOAT: {
		double d = strtod(s, &end);

		/* NaN and the infinities stay strings: no JSON number holds them */
		if (*s && *end == '\0' && isfinite(d))
			return json_real(d);
		return v;
	}
	case PROTOBUF_C_TYPE_BOOL:
		if (strcmp(s, "true") == 0)
			return json_true();
		if (strcmp(s, "false") == 0)
			return json_false();
		return v;
	case PROTOBUF_C_TYPE_ENUM:
		if (!protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, s) &&
		    f->label != PROTOBUF_C_LABEL_REQUIRED)
			return NULL;
		return v;
	default:
		return v;
	}
}

static void normalize_message(const ProtobufCMessageDescriptor *d, json_t *obj, int depth);

/* Element or field value v of f: normalized in place, or replaced in its container. */
static json_t *normalize_value(const ProtobufCFieldDescriptor *f, json_t *v, int depth)
{
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		normalize_message(f->descriptor, v, depth + 1);
		return v;
	}
	return normalize_scalar(f, v);
}

static void normalize_message(const ProtobufCMessageDescriptor *d, json_t *obj, int depth)
{
	const char *key;
	json_t *v;
	void *tmp;

	if (!json_is_object(obj) || depth > PBJSON_MAX_DEPTH)
		return;
	json_object_foreach_safe(obj, tmp, key, v) {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(d, key);
		json_t *nv;

		if (json_is_null(v)) {
			json_object_del(obj, key);
			continue;
		}
		if (!f)
			continue; /* not Mesos's: Drover's extensions, or ignored */
		if (field_is_map(f)) {
			const ProtobufCFieldDescriptor *vf =
				&((const ProtobufCMessageDescriptor *)f->descriptor)->fields[1];
			const char *k;
			json_t *e;
			void *t2;

			if (!json_is_object(v))
				continue;
			json_object_foreach_safe(v, t2, k, e) {
				if (json_is_null(e)) {
					json_object_del(v, k);
					continue;
				}
				nv = normalize_value(vf, e, depth);
				if (!nv)
					json_object_del(v, k);
				else if (nv != e)
					json_object_set_new(v, k, nv);
			}
		} else if (f->label == PROTOBUF_C_LABEL_REPEATED && json_is_array(v)) {
			for (size_t i = 0; i < json_array_size(v);) {
				json_t *e = json_array_get(v, i);

				nv = json_is_null(e) ? NULL : normalize_value(f, e, depth);
				if (!nv) {
					json_array_remove(v, i);
					continue;
				}
				if (nv != e)
					json_array_set_new(v, i, nv);
				i++;
			}
		} else if (!json_is_array(v)) {
			nv = normalize_value(f, v, depth);
			if (!nv)
				json_object_del(obj, key);
			else if (nv != v)
				json_object_set_new(obj, key, nv);
		}
	}
}

/* JSON json (an object read as a desc message) in place, as codec.h says. */
static void codec_json_normalize(const ProtobufCMessageDescriptor *desc, json_t *json)
{
	normalize_message(desc, json, 0);
}

int codec_decode(enum codec c, const ProtobufCMessageDescriptor *desc, const char *body, size_t len,
		 json_t **ret, char *err, size_t errlen)
{
	char why[PBJSON_ERR_LEN];
	json_error_t jerr;
	json_t *j;
	int r;

	if (c == CODEC_PROTOBUF) {
		if (!desc) {
			snprintf(err, errlen, "this endpoint takes %s only", CODEC_JSON_TYPE);
			return 415;
		}
		r = pbjson_decode(desc, (const uint8_t *)body, len, 0, ret, why, sizeof(why));
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			snprintf(err, errlen, "Failed to parse body into %s: %s", desc->name, why);
			return 400;
		}
		return 0;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		snprintf(err, errlen, "Failed to parse body into JSON: %s (at line %d, column %d)",
			 jerr.text, jerr.line, jerr.column);
		return 400;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(err, errlen,
			 "Failed to convert JSON into %s: the body must be a JSON object",
			 desc ? desc->name : "a call");
		return 400;
	}
	if (desc)
		codec_json_normalize(desc, j);
	*ret = j;
	return 0;
}

int codec_encode(enum codec c, const ProtobufCMessageDescriptor *desc, json_t *json, char **ret,
		 size_t *ret_len, char *err, size_t errlen)
{
	uint8_t *b;
	char *s;
	int r;

	if (c == CODEC_PROTOBUF) {
		if (!desc) {
			snprintf(err, errlen, "no protobuf schema for this message");
			return -EINVAL;
		}
		r = pbjson_encode(desc, json, 0, &b, ret_len, err, errlen);
		if (r < 0)
			return r == -E2BIG ? -EINVAL : r;
		*ret = (char *)b;
		return 0;
	}
	s = jsonnum_dumps(json, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*ret = s;
	*ret_len = strlen(s);
	return 0;
}

int codec_record(enum codec c, const ProtobufCMessageDescriptor *desc, json_t *json, char **ret,
		 size_t *ret_len, char *err, size_t errlen)
{
	_cleanup_free_ char *b = NULL;
	size_t n;
	long r;

	r = codec_encode(c, desc, json, &b, &n, err, errlen);
	if (r < 0)
		return (int)r;
	r = recordio_encode(b, n, ret);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		return (int)r;
	}
	*ret_len = (size_t)r;
	return 0;
}

static const struct codec_format formats[] = {
	{CODEC_JSON, NULL},
	{CODEC_JSON, &mesos__v1__scheduler__event__descriptor},
	{CODEC_PROTOBUF, &mesos__v1__scheduler__event__descriptor},
	{CODEC_JSON, &mesos__v1__master__event__descriptor},
	{CODEC_PROTOBUF, &mesos__v1__master__event__descriptor},
	{CODEC_JSON, &mesos__v1__executor__event__descriptor},
	{CODEC_PROTOBUF, &mesos__v1__executor__event__descriptor},
};

const struct codec_format *codec_stream_format(enum codec c, const ProtobufCMessageDescriptor *desc)
{
	if (!desc && c == CODEC_PROTOBUF)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].codec == c && formats[i].desc == desc)
			return &formats[i];
	return NULL;
}
