// SPDX-License-Identifier: Apache-2.0
/*
 * Descriptor-driven conversion between protobuf-c messages and jansson JSON with Mesos's
 * JSON mapping (pbjson.h). Parsing and packing the bytes is protobuf-c's job; this file
 * only walks the fields the descriptors list.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "pbjson.h"
#include "util.h"

struct ctx {
	char *err;
	size_t errlen;
	unsigned flags;
	char path[256];
	size_t plen;
};

_printf_(2, 3) static int fail(struct ctx *c, const char *fmt, ...)
{
	char msg[PBJSON_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen) {
		/* a long path keeps its end, where the field is */
		if (c->plen > 120)
			snprintf(c->err, c->errlen, "field '...%s': %s", c->path + c->plen - 100,
				 msg);
		else if (c->plen)
			snprintf(c->err, c->errlen, "field '%s': %s", c->path, msg);
		else
			snprintf(c->err, c->errlen, "%s", msg);
	}
	return -EINVAL;
}

static int nomem(struct ctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "out of memory");
	return -ENOMEM;
}

/* Appends n bytes of s to the path, as much as fits (the path is for error messages). */
static void path_put(struct ctx *c, const char *s, size_t n)
{
	size_t room = sizeof(c->path) - 1 - c->plen;

	if (n > room)
		n = room;
	memcpy(c->path + c->plen, s, n);
	c->plen += n;
	c->path[c->plen] = '\0';
}

/*
 * Appends ".name" (or "name" at the top) or "[i]" to the path; returns the old length.
 * Every field and element of every message goes through here, so no printf: a DECLINE of
 * 10,000 offers is 20,000 pushes, and snprintf was the converter's largest cost.
 */
static size_t path_push(struct ctx *c, const char *name, long idx)
{
	size_t old = c->plen;

	if (name) {
		if (c->plen)
			path_put(c, ".", 1);
		path_put(c, name, strlen(name));
	} else {
		char digits[24], *d = digits + sizeof(digits);
		unsigned long v = idx < 0 ? 0 : (unsigned long)idx;

		*--d = ']';
		do
			*--d = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		*--d = '[';
		path_put(c, d, (size_t)(digits + sizeof(digits) - d));
	}
	return old;
}

static void path_pop(struct ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* ------------------------------------------------------------------ descriptors */

static size_t element_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return 4;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/*
 * A proto map<K, V> field is compiled as a repeated message "<CamelName>Entry" of fields
 * key = 1 and value = 2; protobuf-c's descriptors do not flag it, so recognise it so.
 */
static bool field_is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *e = f->descriptor;
	char want[160];
	size_t n = 0;
	bool up = true;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE || !e ||
	    e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 ||
	    strcmp(e->fields[0].name, "key") || strcmp(e->fields[1].name, "value"))
		return false;
	for (const char *p = f->name; *p && n < sizeof(want) - 6; p++) {
		if (*p == '_') {
			up = true;
			continue;
		}
		want[n++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
		up = false;
	}
	memcpy(want + n, "Entry", 6);
	return strcmp(e->short_name, want) == 0;
}

static bool has_required(const ProtobufCMessageDescriptor *d)
{
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].label == PROTOBUF_C_LABEL_REQUIRED)
			return true;
	return false;
}

/* Is the non-repeated field f set in message m? */
static bool field_is_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;
	const void *member = base + f->offset;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(void *const *)member != NULL;
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *s = *(const char *const *)member;
		/* protobuf-c points an unset string with a default at the default itself */
		return s && (f->label == PROTOBUF_C_LABEL_REQUIRED || s != f->default_value);
	}
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return true;
	return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
}

/* ------------------------------------------------------------------ protobuf -> JSON */

static int msg_to_json(struct ctx *c, const ProtobufCMessage *m, int depth, json_t **ret);

/* One value (slot points at it) as JSON; returns 0, 1 (an enum value the schema does not
 * know: leave it out) or -errno. */
static int value_to_json(struct ctx *c, const ProtobufCFieldDescriptor *f, const void *slot,
			 int depth, json_t **ret)
{
	json_t *j = NULL;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		j = json_integer(*(const int32_t *)slot);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		j = json_integer(*(const uint32_t *)slot);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		j = json_integer(*(const int64_t *)slot);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t v = *(const uint64_t *)slot;
		/* jansson's integers are int64: above that, a double (Mesos reads it so too) */
		j = v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
		break;
	}
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE: {
		double d = f->type == PROTOBUF_C_TYPE_FLOAT ? *(const float *)slot :
							      *(const double *)slot;
		if (!isfinite(d))
			return fail(c, "%s is not a finite number (JSON cannot carry it)",
				    isnan(d) ? "NaN" : "an infinity");
		j = json_real(d);
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		j = json_boolean(*(const protobuf_c_boolean *)slot);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)slot);
		if (!ev)
			return 1;
		j = json_string(ev->name);
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)slot;
		j = json_string(s ? s : "");
		if (!j && s)
			return fail(c, "not valid UTF-8");
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = slot;
		_cleanup_free_ char *s = base64_encode(b->data, b->len);
		if (!s)
			return nomem(c);
		j = json_string(s);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		/* only a map entry without its value leaves a message NULL: the empty message,
		 * which is no message at all when the type has required fields (as in proto2) */
		if (!*(const ProtobufCMessage *const *)slot) {
			if (has_required(f->descriptor))
				return fail(c, "a map entry without its value");
			j = json_object();
		} else
			return msg_to_json(c, *(const ProtobufCMessage *const *)slot, depth + 1,
					   ret);
		break;
	}
	if (!j)
		return nomem(c);
	*ret = j;
	return 0;
}

/* A map entry's key as a JSON object key (its text; numbers and bools stringified). */
static int map_key_text(struct ctx *c, const ProtobufCMessage *entry, char **ret)
{
	const ProtobufCFieldDescriptor *kf = &entry->descriptor->fields[0];
	const void *slot = (const char *)entry + kf->offset;
	json_t *k = NULL;
	int r;

	r = value_to_json(c, kf, slot, 0, &k);
	if (r)
		return r < 0 ? r : fail(c, "map key of an unknown enum value");
	if (json_is_string(k))
		*ret = strdup(json_string_value(k));
	else
		*ret = json_dumps(k, JSON_ENCODE_ANY);
	json_decref(k);
	return *ret ? 0 : nomem(c);
}

static int repeated_to_json(struct ctx *c, const ProtobufCMessage *m,
			    const ProtobufCFieldDescriptor *f, int depth, json_t **ret)
{
	size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
	const char *arr = *(const char *const *)((const char *)m + f->offset);
	size_t es = element_size(f);
	bool map = field_is_map(f);
	json_t *out = map ? json_object() : json_array();

	if (!out)
		return nomem(c);
	for (size_t i = 0; i < n; i++) {
		size_t old = path_push(c, NULL, (long)i);
		json_t *v = NULL;
		int r;

		if (map) {
			const ProtobufCMessage *e =
				*(const ProtobufCMessage *const *)(arr + i * es);
			const ProtobufCFieldDescriptor *vf = &e->descriptor->fields[1];
			_cleanup_free_ char *key = NULL;

			r = map_key_text(c, e, &key);
			if (r == 0)
				r = value_to_json(c, vf, (const char *)e + vf->offset, depth, &v);
			if (r == 1) /* an unknown enum value: the entry is dropped */
				r = 0;
			else if (r == 0 && json_object_set_new(out, key, v) < 0)
				r = nomem(c);
		} else {
			r = value_to_json(c, f, arr + i * es, depth, &v);
			if (r == 0 && json_array_append_new(out, v) < 0)
				r = nomem(c);
		}
		path_pop(c, old);
		if (r < 0) {
			json_decref(out);
			return r;
		}
	}
	*ret = out;
	return 0;
}

static int msg_to_json(struct ctx *c, const ProtobufCMessage *m, int depth, json_t **ret)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	json_t *obj;

	if (depth > PBJSON_MAX_DEPTH)
		return fail(c, "messages nested deeper than %d", PBJSON_MAX_DEPTH);
	obj = json_object();
	if (!obj)
		return nomem(c);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		size_t old = path_push(c, f->name, 0);
		json_t *v = NULL;
		int r = 0;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			if (*(const size_t *)((const char *)m + f->quantifier_offset))
				r = repeated_to_json(c, m, f, depth, &v);
		} else if (field_is_set(m, f)) {
			r = value_to_json(c, f, (const char *)m + f->offset, depth, &v);
			if (r == 1 && f->label == PROTOBUF_C_LABEL_REQUIRED)
				r = fail(c, "unknown value %d of enum '%s'",
					 *(const int *)((const char *)m + f->offset),
					 ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
		} else if ((c->flags & PBJSON_DEFAULTS) && f->default_value &&
			   !(f->flags & PROTOBUF_C_FIELD_FLAG_DEPRECATED) &&
			   !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
			/* a string's default_value is its text; the others point at the value */
			const void *slot = f->type == PROTOBUF_C_TYPE_STRING ?
						   (const void *)&f->default_value :
						   f->default_value;
			r = value_to_json(c, f, slot, depth, &v);
		}
		if (r == 0 && v && json_object_set_new(obj, f->name, v) < 0)
			r = nomem(c);
		path_pop(c, old);
		if (r < 0) {
			json_decref(obj);
			return r;
		}
	}
	*ret = obj;
	return 0;
}

int pbjson_decode(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
		  unsigned flags, json_t **ret, char *err, size_t errlen)
{
	struct ctx c = {.err = err, .errlen = errlen, .flags = flags};
	ProtobufCMessage *m;
	int r;

	if (len > PBJSON_MAX_BYTES) {
		snprintf(err, errlen, "%s message of %zu bytes: more than %u", desc->name, len,
			 PBJSON_MAX_BYTES);
		return -E2BIG;
	}
	/* bounded recursion: no type of the schema contains itself (proto/mesos/v1/mesos.proto) */
	m = protobuf_c_message_unpack(desc, NULL, len, data);
	if (!m)
		return fail(&c,
			    "not a valid %s protobuf message (truncated, a wrong wire type, a "
			    "length past the end or a required field missing)",
			    desc->name);
	r = msg_to_json(&c, m, 0, ret);
	protobuf_c_message_free_unpacked(m, NULL);
	return r;
}

/* ------------------------------------------------------------------ JSON -> protobuf */

static int json_to_msg(struct ctx *c, const ProtobufCMessageDescriptor *d, json_t *obj, int depth,
		       ProtobufCMessage **ret);

/* A JSON number, or a string holding one, as a jansson number (new reference). */
static json_t *as_number(json_t *v)
{
	const char *s;
	json_t *n;

	if (json_is_number(v))
		return json_incref(v);
	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	n = json_loads(s, JSON_DECODE_ANY, NULL);
	if (n && json_is_number(n))
		return n;
	json_decref(n);
	return NULL;
}

static int get_int(struct ctx *c, json_t *v, int64_t min, int64_t max, int64_t *ret)
{
	json_t *n = as_number(v);
	double d;

	if (!n)
		return fail(c, "expected a number or a string holding one");
	if (json_is_integer(n)) {
		json_int_t i = json_integer_value(n);
		json_decref(n);
		if (i < min || i > max)
			return fail(c, "%lld is out of range", (long long)i);
		*ret = i;
		return 0;
	}
	d = json_real_value(n);
	json_decref(n);
	/* Mesos casts a real to the integer type; out of range is refused here */
	if (!(d >= (double)min && d < (double)max + 1.0))
		return fail(c, "%g is out of range", d);
	*ret = (int64_t)d;
	return 0;
}

static int get_uint64(struct ctx *c, json_t *v, uint64_t *ret)
{
	json_t *n;
	double d;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		unsigned long long u;

		errno = 0;
		if (*s >= '0' && *s <= '9') {
			u = strtoull(s, &end, 10);
			if (!*end && !errno) {
				*ret = u;
				return 0;
			}
		}
	}
	n = as_number(v);
	if (!n)
		return fail(c, "expected a number or a string holding one");
	if (json_is_integer(n)) {
		json_int_t i = json_integer_value(n);
		json_decref(n);
		if (i < 0)
			return fail(c, "%lld is out of range", (long long)i);
		*ret = (uint64_t)i;
		return 0;
	}
	d = json_real_value(n);
	json_decref(n);
	if (!(d >= 0 && d <= 18446744073709551616.0))
		return fail(c, "%g is out of range", d);
	/* a uint64 beyond int64 arrives as a double: 2^64 itself rounds down */
	*ret = d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
	return 0;
}

static int get_double(struct ctx *c, json_t *v, double *ret)
{
	json_t *n;

	if (json_is_string(v) && strcmp(json_string_value(v), "Infinity") == 0) {
		*ret = INFINITY;
		return 0;
	}
	if (json_is_string(v) && strcmp(json_string_value(v), "-Infinity") == 0) {
		*ret = -INFINITY;
		return 0;
	}
	n = as_number(v);
	if (!n)
		return fail(c, "expected a number or a string holding one");
	*ret = json_number_value(n);
	json_decref(n);
	return 0;
}

/* One JSON value into the slot of field f; returns 0, 1 (an enum name the schema does
 * not know: leave it unset) or -errno. */
static int json_to_value(struct ctx *c, const ProtobufCFieldDescriptor *f, json_t *v, void *slot,
			 int depth)
{
	int64_t i;
	int r;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		r = get_int(c, v, INT32_MIN, INT32_MAX, &i);
		if (r == 0)
			*(int32_t *)slot = (int32_t)i;
		return r;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		r = get_int(c, v, 0, UINT32_MAX, &i);
		if (r == 0)
			*(uint32_t *)slot = (uint32_t)i;
		return r;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return get_int(c, v, INT64_MIN, INT64_MAX, (int64_t *)slot);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return get_uint64(c, v, (uint64_t *)slot);
	case PROTOBUF_C_TYPE_FLOAT: {
		double d;
		r = get_double(c, v, &d);
		if (r == 0)
			*(float *)slot = (float)d;
		return r;
	}
	case PROTOBUF_C_TYPE_DOUBLE:
		return get_double(c, v, (double *)slot);
	case PROTOBUF_C_TYPE_BOOL:
		if (json_is_boolean(v))
			*(protobuf_c_boolean *)slot = json_is_true(v);
		else if (json_is_string(v) && strcmp(json_string_value(v), "true") == 0)
			*(protobuf_c_boolean *)slot = 1;
		else if (json_is_string(v) && strcmp(json_string_value(v), "false") == 0)
			*(protobuf_c_boolean *)slot = 0;
		else
			return fail(c, "expected true or false");
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev;
		if (json_is_number(v))
			return fail(c, "expected an enum value name, not a number");
		if (!json_is_string(v))
			return fail(c, "expected an enum value name");
		ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor,
								  json_string_value(v));
		if (!ev)
			return 1;
		*(int *)slot = ev->value;
		return 0;
	}
	case PROTOBUF_C_TYPE_STRING: {
		char *s;
		if (!json_is_string(v))
			return fail(c, "expected a string");
		s = strdup(json_string_value(v));
		if (!s)
			return nomem(c);
		*(char **)slot = s;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = slot;
		uint8_t *data;
		size_t len;
		if (!json_is_string(v))
			return fail(c, "expected a base64 string");
		r = base64_decode(json_string_value(v), json_string_length(v), &data, &len);
		if (r == -EINVAL)
			return fail(c, "not valid base64");
		if (r < 0)
			return nomem(c);
		b->data = data;
		b->len = len;
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return json_to_msg(c, f->descriptor, v, depth + 1, (ProtobufCMessage **)slot);
	}
	return fail(c, "field type %d is not supported", (int)f->type);
}

/* The entries of a map field from a JSON object (key -> value). */
static int json_to_map(struct ctx *c, const ProtobufCFieldDescriptor *f, json_t *v, char *arr,
		       size_t *n, int depth)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const char *key;
	json_t *val;

	if (!json_is_object(v))
		return fail(c, "expected an object (a map)");
	json_object_foreach(v, key, val) {
		size_t old = path_push(c, key, 0);
		ProtobufCMessage *e = calloc(1, ed->sizeof_message);
		json_t *k = json_string(key);
		int r = e && k ? 0 : nomem(c);

		if (e) {
			protobuf_c_message_init(ed, e);
			*(ProtobufCMessage **)(arr + *n * sizeof(e)) = e;
			(*n)++;
		}
		if (r == 0)
			r = json_to_value(c, &ed->fields[0], k, (char *)e + ed->fields[0].offset,
					  depth);
		if (r == 0 && !json_is_null(val))
			r = json_to_value(c, &ed->fields[1], val, (char *)e + ed->fields[1].offset,
					  depth);
		json_decref(k);
		if (r > 0)
			r = fail(c, "unknown enum value name");
		if (r < 0)
			return r;
		if (ed->fields[1].type == PROTOBUF_C_TYPE_MESSAGE &&
		    !*(void **)((char *)e + ed->fields[1].offset))
			return fail(c, "a map value may not be null");
		path_pop(c, old);
	}
	return 0;
}

static int json_to_repeated(struct ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
			    json_t *v, int depth)
{
	size_t *n = (size_t *)((char *)m + f->quantifier_offset);
	char **arrp = (char **)((char *)m + f->offset);
	size_t es = element_size(f), count, i;
	json_t *el;

	if (field_is_map(f)) {
		count = json_is_object(v) ? json_object_size(v) : 0;
	} else {
		count = json_is_array(v) ? json_array_size(v) : 1;
	}
	if (count == 0)
		return field_is_map(f) && !json_is_object(v) ?
			       fail(c, "expected an object (a map)") :
			       0;
	*arrp = calloc(count, es);
	if (!*arrp)
		return nomem(c);
	if (field_is_map(f))
		return json_to_map(c, f, v, *arrp, n, depth);
	/* a bare value counts as one element */
	for (i = 0; i < count; i++) {
		size_t old = path_push(c, NULL, (long)i);
		int r;

		el = json_is_array(v) ? json_array_get(v, i) : v;
		if (json_is_null(el)) {
			path_pop(c, old);
			continue;
		}
		r = json_to_value(c, f, el, *arrp + *n * es, depth);
		/* a message that failed half-way is already in its slot: count it, to be freed */
		if (r < 0 && f->type == PROTOBUF_C_TYPE_MESSAGE && *(void **)(*arrp + *n * es))
			(*n)++;
		if (r < 0)
			return r;
		if (r == 0)
			(*n)++;
		path_pop(c, old);
	}
	return 0;
}

static int json_fill_msg(struct ctx *c, const ProtobufCMessageDescriptor *d, json_t *obj,
			 ProtobufCMessage *m, int depth)
{
	if (c->flags & PBJSON_STRICT) {
		const char *key;
		json_t *v;

		json_object_foreach(obj, key, v) {
			if (!protobuf_c_message_descriptor_get_field_by_name(d, key)) {
				path_push(c, key, 0);
				return fail(c, "not a field of %s", d->name);
			}
		}
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		json_t *v = json_object_get(obj, f->name);
		size_t old = path_push(c, f->name, 0);
		int r = 0;

		if (!v || json_is_null(v)) {
			if (f->label == PROTOBUF_C_LABEL_REQUIRED)
				return fail(c, "missing required field");
		} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			r = json_to_repeated(c, m, f, v, depth);
		} else if (json_is_array(v)) {
			r = fail(c, "an array for a field that is not repeated");
		} else {
			uint32_t *oneof_case =
				(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ?
					(uint32_t *)((char *)m + f->quantifier_offset) :
					NULL;
			/* the members of a oneof share their memory: one of them only */
			if (oneof_case && *oneof_case)
				return fail(c, "another field of the same oneof is set too");
			/* set first: protobuf-c frees a oneof member only when it is the chosen one */
			if (oneof_case)
				*oneof_case = f->id;
			r = json_to_value(c, f, v, (char *)m + f->offset, depth);
			if (r > 0 && f->label == PROTOBUF_C_LABEL_REQUIRED)
				r = fail(c, "unknown value '%s' of enum '%s'", json_string_value(v),
					 ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
			if (r > 0 && oneof_case)
				*oneof_case = 0;
			if (r == 0 && !oneof_case && f->label == PROTOBUF_C_LABEL_OPTIONAL &&
			    f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
				*(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
		}
		if (r < 0)
			return r;
		path_pop(c, old);
	}
	return 0;
}

static int json_to_msg(struct ctx *c, const ProtobufCMessageDescriptor *d, json_t *obj, int depth,
		       ProtobufCMessage **ret)
{
	ProtobufCMessage *m;
	int r;

	if (depth > PBJSON_MAX_DEPTH)
		return fail(c, "messages nested deeper than %d", PBJSON_MAX_DEPTH);
	if (!json_is_object(obj))
		return fail(c, "expected an object (a %s message)", d->name);
	m = calloc(1, d->sizeof_message);
	if (!m)
		return nomem(c);
	protobuf_c_message_init(d, m);
	/* the caller's slot owns it from here, so a failure below frees it with its parent */
	*ret = m;
	r = json_fill_msg(c, d, obj, m, depth);
	return r;
}

/* json to a protobuf-c message (free it with protobuf_c_message_free_unpacked(msg, NULL)). */
static int pbjson_to_message(const ProtobufCMessageDescriptor *desc, json_t *json, unsigned flags,
			     ProtobufCMessage **ret, char *err, size_t errlen)
{
	struct ctx c = {.err = err, .errlen = errlen, .flags = flags};
	ProtobufCMessage *m = NULL;
	int r = json_to_msg(&c, desc, json, 0, &m);

	if (r < 0) {
		if (m)
			protobuf_c_message_free_unpacked(m, NULL);
		return r;
	}
	*ret = m;
	return 0;
}

int pbjson_encode(const ProtobufCMessageDescriptor *desc, json_t *json, unsigned flags,
		  uint8_t **ret, size_t *ret_len, char *err, size_t errlen)
{
	ProtobufCMessage *m = NULL;
	uint8_t *buf;
	size_t len;
	int r;

	r = pbjson_to_message(desc, json, flags, &m, err, errlen);
	if (r < 0)
		return r;
	len = protobuf_c_message_get_packed_size(m);
	if (len > PBJSON_MAX_BYTES) {
		protobuf_c_message_free_unpacked(m, NULL);
		snprintf(err, errlen, "%s message of %zu bytes: more than %u", desc->name, len,
			 PBJSON_MAX_BYTES);
		return -E2BIG;
	}
	buf = malloc(len ? len : 1);
	if (!buf) {
		protobuf_c_message_free_unpacked(m, NULL);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	protobuf_c_message_pack(m, buf);
	protobuf_c_message_free_unpacked(m, NULL);
	*ret = buf;
	*ret_len = len;
	return 0;
}
