// SPDX-License-Identifier: Apache-2.0
/*
 * lib/pbjson: the protobuf codec against golden bytes made by the real protobuf
 * implementation (protoc --encode, tests/golden/pb/<type>/<case>.{txtpb,bin,json}), both
 * ways byte for byte, JSON round trips, and Mesos's JSON mapping rule by rule.
 *
 * PBJSON_GOLDEN_UPDATE=1 writes the .json of a case that has none (review it before
 * committing); tests/golden/pb/regen.sh remakes the .bin files with protoc.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fileio.h"
#include "jsonnum.h"
#include "mesos/v1/master/master.pb-c.h"
#include "mesos/v1/mesos.pb-c.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "pbjson.h"
#include "pbschema.h"

/* snprintf that must not truncate */
#define xsnprintf(buf, ...) assert_true(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

static char golden[PATH_MAX];
static char protodir[PATH_MAX];

static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		cap = cap * 2 + 4096;
		p = realloc(p, cap + 1);
		assert_non_null(p);
		n = fread(p + len, 1, cap - len, f);
		len += n;
	} while (len == cap);
	fclose(f);
	p[len] = '\0';
	*ret_len = len;
	return p;
}

static int count_cases;

/* One golden case: bin -> JSON equals .json; .json -> bytes equal bin; JSON round trip. */
static void check_case(const char *type, const char *name)
{
	const ProtobufCMessageDescriptor *d = pbschema_find(type);
	char path[PATH_MAX + 300], err[PBJSON_ERR_LEN] = "";
	size_t blen, jlen, elen;
	char *bin, *jtext;
	json_t *got = NULL, *want, *back = NULL;
	uint8_t *enc = NULL, *enc2 = NULL;

	assert_non_null(d);
	xsnprintf(path, "%s/%s/%s.bin", golden, type, name);
	bin = slurp(path, &blen);
	if (!bin)
		fail_msg("%s: no golden bytes (tests/golden/pb/regen.sh)", path);
	if (pbjson_decode(d, (uint8_t *)bin, blen, 0, &got, err, sizeof(err)) != 0)
		fail_msg("%s/%s: decode: %s", type, name, err);
	xsnprintf(path, "%s/%s/%s.json", golden, type, name);
	jtext = slurp(path, &jlen);
	if (!jtext && getenv("PBJSON_GOLDEN_UPDATE")) {
		char *s = jsonnum_dumps(got, JSON_INDENT(2));
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "%s\n", s);
		fclose(f);
		free(s);
		jtext = slurp(path, &jlen);
	}
	if (!jtext)
		fail_msg("%s: missing (PBJSON_GOLDEN_UPDATE=1 writes it)", path);
	want = json_loads(jtext, 0, NULL);
	assert_non_null(want);
	if (!json_equal(got, want)) {
		char *s = jsonnum_dumps(got, JSON_COMPACT);
		fail_msg("%s/%s: decoded JSON differs from the golden file: %s", type, name, s);
	}
	/* the other way: the golden JSON packs to protoc's very bytes */
	if (pbjson_encode(d, want, 0, &enc, &elen, err, sizeof(err)) != 0)
		fail_msg("%s/%s: encode: %s", type, name, err);
	if (elen != blen || memcmp(enc, bin, blen) != 0)
		fail_msg("%s/%s: encoded %zu bytes differ from protoc's %zu", type, name, elen,
			 blen);
	/* and the JSON text as Drover writes it reads back to the same message */
	{
		char *s = jsonnum_dumps(want, JSON_COMPACT);
		back = json_loads(s, 0, NULL);
		free(s);
		assert_non_null(back);
		assert_int_equal(pbjson_encode(d, back, 0, &enc2, &elen, err, sizeof(err)), 0);
		assert_int_equal(elen, blen);
		assert_memory_equal(enc2, bin, blen);
	}
	count_cases++;
	json_decref(got);
	json_decref(want);
	json_decref(back);
	free(enc);
	free(enc2);
	free(bin);
	free(jtext);
}

static void test_golden(void **state)
{
	DIR *top = opendir(golden);
	struct dirent *t;

	assert_non_null(top);
	while ((t = readdir(top))) {
		char sub[PATH_MAX + 300];
		DIR *dir;
		struct dirent *e;

		if (t->d_name[0] == '.')
			continue;
		xsnprintf(sub, "%s/%s", golden, t->d_name);
		dir = opendir(sub);
		if (!dir)
			continue;
		while ((e = readdir(dir))) {
			size_t n = strlen(e->d_name);
			char name[300];

			if (n < 7 || strcmp(e->d_name + n - 6, ".txtpb") != 0)
				continue;
			xsnprintf(name, "%.*s", (int)(n - 6), e->d_name);
			check_case(t->d_name, name);
		}
		closedir(dir);
	}
	closedir(top);
	/* every call and event type of the brief has its case */
	assert_true(count_cases >= 46);
}

/* The committed bytes are what the real protobuf implementation makes of the text form
 * (protoc --encode), checked again here when protoc is installed. */
static void test_golden_bytes_are_protocs(void **state)
{
	char cmd[3 * PATH_MAX + 600];
	int checked = 0;
	DIR *top;
	struct dirent *t;

	if (system("command -v protoc >/dev/null 2>&1") != 0) {
		printf("SKIP: protoc (Debian protobuf-compiler) is not installed\n");
		skip();
	}
	top = opendir(golden);
	assert_non_null(top);
	while ((t = readdir(top))) {
		char sub[PATH_MAX + 300];
		DIR *dir;
		struct dirent *e;

		if (t->d_name[0] == '.')
			continue;
		xsnprintf(sub, "%s/%s", golden, t->d_name);
		dir = opendir(sub);
		if (!dir)
			continue;
		while ((e = readdir(dir))) {
			size_t n = strlen(e->d_name);

			if (n < 7 || strcmp(e->d_name + n - 6, ".txtpb") != 0)
				continue;
			xsnprintf(cmd,
				  "protoc -I'%s' --encode=%s mesos/v1/scheduler/scheduler.proto "
				  "mesos/v1/master/master.proto mesos/v1/agent/agent.proto "
				  "mesos/v1/executor/executor.proto "
				  "<'%s/%s' | cmp -s - '%s/%.*s.bin'",
				  protodir, t->d_name, sub, e->d_name, sub, (int)(n - 6),
				  e->d_name);
			if (system(cmd) != 0)
				fail_msg("protoc's bytes for %s/%s differ from the committed .bin",
					 t->d_name, e->d_name);
			checked++;
		}
		closedir(dir);
	}
	closedir(top);
	assert_true(checked >= 46);
}

/* ------------------------------------------------------------------ mapping rules */

static json_t *decode_ok(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t n,
			 unsigned flags)
{
	char err[PBJSON_ERR_LEN] = "";
	json_t *j = NULL;

	if (pbjson_decode(d, b, n, flags, &j, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	return j;
}

static void encode_ok(const ProtobufCMessageDescriptor *d, const char *json, uint8_t **ret,
		      size_t *ret_len)
{
	char err[PBJSON_ERR_LEN] = "";
	json_t *j = json_loads(json, 0, NULL);

	assert_non_null(j);
	if (pbjson_encode(d, j, 0, ret, ret_len, err, sizeof(err)) != 0)
		fail_msg("encode %s: %s", json, err);
	json_decref(j);
}

/* Encoding fails with err as given; *ret stays untouched. */
static void encode_fails(const ProtobufCMessageDescriptor *d, const char *json, const char *want)
{
	char err[PBJSON_ERR_LEN] = "";
	json_t *j = json_loads(json, 0, NULL);
	uint8_t *out = (uint8_t *)"untouched";
	size_t len = 99;

	assert_non_null(j);
	assert_int_equal(pbjson_encode(d, j, 0, &out, &len, err, sizeof(err)), -EINVAL);
	assert_string_equal((char *)out, "untouched");
	assert_int_equal(len, 99);
	if (!strstr(err, want))
		fail_msg("error '%s' does not contain '%s'", err, want);
	json_decref(j);
}

/* JSON -> protobuf -> JSON gives want (canonical JSON text, compared as JSON). */
static void check_normalize(const ProtobufCMessageDescriptor *d, const char *json, const char *want,
			    unsigned flags)
{
	uint8_t *b;
	size_t n;
	json_t *got, *w = json_loads(want, 0, NULL);

	assert_non_null(w);
	encode_ok(d, json, &b, &n);
	got = decode_ok(d, b, n, flags);
	if (!json_equal(got, w)) {
		char *s = jsonnum_dumps(got, JSON_COMPACT);
		fail_msg("%s -> %s, want %s", json, s, want);
	}
	json_decref(got);
	json_decref(w);
	free(b);
}

static const ProtobufCMessageDescriptor *const call = &mesos__v1__scheduler__call__descriptor;
static const ProtobufCMessageDescriptor *const event = &mesos__v1__scheduler__event__descriptor;

/* null is unset, unknown keys are ignored, a null required field is missing. */
static void test_null_and_unknown(void **state)
{
	check_normalize(call,
			"{\"type\":\"SUPPRESS\",\"framework_id\":null,\"no_such\":{\"x\":1},"
			"\"suppress\":{\"roles\":null},\"kill\":null}",
			"{\"type\":\"SUPPRESS\",\"suppress\":{}}", 0);
	encode_fails(call,
		     "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":"
		     "{\"user\":null,\"name\":\"x\"}}}",
		     "field 'subscribe.framework_info.user': missing required field");
	encode_fails(call, "{\"type\":\"KILL\",\"kill\":{}}", "field 'kill.task_id': missing");
	encode_fails(call, "[1]", "expected an object");
}

/* PBJSON_STRICT: a key the schema does not know is an error, with its path. */
static void test_strict(void **state)
{
	char err[PBJSON_ERR_LEN] = "";
	json_t *j = json_loads("{\"type\":\"UPDATE\",\"update\":{\"status\":{\"task_id\":"
			       "{\"value\":\"t\"},\"state\":\"TASK_RUNNING\",\"flavour\":{}}}}",
			       0, NULL);
	uint8_t *b;
	size_t n;

	assert_non_null(j);
	assert_int_equal(pbjson_encode(event, j, 0, &b, &n, err, sizeof(err)), 0);
	free(b);
	assert_int_equal(pbjson_encode(event, j, PBJSON_STRICT, &b, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "field 'update.status.flavour': not a field of mesos.v1.TaskStatus");
	json_object_del(json_object_get(json_object_get(j, "update"), "status"), "flavour");
	assert_int_equal(pbjson_encode(event, j, PBJSON_STRICT, &b, &n, err, sizeof(err)), 0);
	free(b);
	json_decref(j);
}

/* Integers from numbers and numeric strings, written as numbers; bools from strings. */
static void test_numbers(void **state)
{
	check_normalize(call,
			"{\"type\":\"KILL\",\"kill\":{\"task_id\":{\"value\":\"t\"},"
			"\"kill_policy\":{\"grace_period\":{\"nanoseconds\":\"3000000000\"}}}}",
			"{\"type\":\"KILL\",\"kill\":{\"task_id\":{\"value\":\"t\"},"
			"\"kill_policy\":{\"grace_period\":{\"nanoseconds\":3000000000}}}}",
			0);
	check_normalize(&mesos__v1__master_info__descriptor,
			"{\"id\":\"m\",\"ip\":\"16777343\",\"port\":5050.0}",
			"{\"id\":\"m\",\"ip\":16777343,\"port\":5050}", 0);
	/* uint64 beyond int64 is read from a string exactly; written as a number (a double) */
	check_normalize(&mesos__v1__resource__descriptor,
			"{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":"
			"[{\"begin\":\"18446744073709551615\",\"end\":1}]}}",
			"{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":"
			"[{\"begin\":18446744073709551615.0,\"end\":1}]}}",
			0);
	check_normalize(
		&mesos__v1__framework_info__descriptor,
		"{\"user\":\"u\",\"name\":\"n\",\"checkpoint\":\"true\","
		"\"failover_timeout\":\"2.5\"}",
		"{\"user\":\"u\",\"name\":\"n\",\"checkpoint\":true,\"failover_timeout\":2.5}", 0);
	encode_fails(&mesos__v1__master_info__descriptor, "{\"id\":\"m\",\"ip\":-1,\"port\":1}",
		     "field 'ip': -1 is out of range");
	encode_fails(&mesos__v1__master_info__descriptor,
		     "{\"id\":\"m\",\"ip\":4294967296,\"port\":1}", "out of range");
	encode_fails(&mesos__v1__master_info__descriptor, "{\"id\":\"m\",\"ip\":\"1x\",\"port\":1}",
		     "field 'ip': expected a number");
	encode_fails(&mesos__v1__framework_info__descriptor,
		     "{\"user\":\"u\",\"name\":\"n\",\"checkpoint\":1}",
		     "field 'checkpoint': expected true or false");
	encode_fails(&mesos__v1__master_info__descriptor, "{\"id\":7,\"ip\":1,\"port\":1}",
		     "field 'id': expected a string");
}

/* "Infinity" is read; a non-finite double cannot be written as JSON: a clear error. */
static void test_infinity(void **state)
{
	uint8_t *b;
	size_t n;
	json_t *j = NULL;
	char err[PBJSON_ERR_LEN];

	encode_ok(&mesos__v1__filters__descriptor, "{\"refuse_seconds\":\"Infinity\"}", &b, &n);
	assert_int_equal(pbjson_decode(&mesos__v1__filters__descriptor, b, n, 0, &j, err,
				       sizeof(err)),
			 -EINVAL);
	assert_null(j);
	assert_non_null(strstr(err, "field 'refuse_seconds': an infinity"));
	free(b);
}

/* Enums by name only; an unknown name leaves an optional field unset, drops a repeated
 * element, and is an error for a required field. */
static void test_enums(void **state)
{
	check_normalize(call, "{\"type\":\"NO_SUCH_CALL\"}", "{}", 0);
	check_normalize(
		&mesos__v1__framework_info__descriptor,
		"{\"user\":\"u\",\"name\":\"n\",\"capabilities\":[{\"type\":\"MULTI_ROLE\"},"
		"{\"type\":\"FUTURE_THING\"}]}",
		"{\"user\":\"u\",\"name\":\"n\",\"capabilities\":[{\"type\":\"MULTI_ROLE\"},"
		"{}]}",
		0);
	encode_fails(call, "{\"type\":3}",
		     "field 'type': expected an enum value name, not a number");
	encode_fails(&mesos__v1__resource__descriptor, "{\"name\":\"cpus\",\"type\":\"SCALARS\"}",
		     "field 'type': unknown value 'SCALARS'");
}

/* Repeated: arrays, a bare value as one element, nulls skipped; an array for a single
 * field is an error. Maps are objects. */
static void test_repeated_and_maps(void **state)
{
	check_normalize(call,
			"{\"type\":\"REVIVE\",\"revive\":{\"roles\":\"web\"},"
			"\"decline\":{\"offer_ids\":[{\"value\":\"a\"},null,{\"value\":\"b\"}]}}",
			"{\"type\":\"REVIVE\",\"revive\":{\"roles\":[\"web\"]},"
			"\"decline\":{\"offer_ids\":[{\"value\":\"a\"},{\"value\":\"b\"}]}}",
			0);
	encode_fails(call, "{\"type\":[\"KILL\"]}", "field 'type': an array for a field");
	check_normalize(
		&mesos__v1__task_info__descriptor,
		"{\"name\":\"n\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"a\"},"
		"\"limits\":{\"cpus\":{\"value\":2},\"mem\":{\"value\":\"64.5\"}}}",
		"{\"name\":\"n\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"a\"},"
		"\"limits\":{\"cpus\":{\"value\":2.0},\"mem\":{\"value\":64.5}}}",
		0);
	encode_fails(&mesos__v1__task_info__descriptor,
		     "{\"name\":\"n\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"a\"},"
		     "\"limits\":{\"cpus\":{}}}",
		     "field 'limits.cpus.value': missing required field");
	encode_fails(&mesos__v1__task_info__descriptor,
		     "{\"name\":\"n\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"a\"},"
		     "\"limits\":[1]}",
		     "field 'limits': expected an object");
	encode_fails(
		call,
		"{\"type\":\"ACCEPT\",\"accept\":{\"offer_ids\":[{\"value\":\"a\"},{\"value\":7}]}}",
		"field 'accept.offer_ids[1].value': expected a string");
}

/* bytes are base64: status uuids are raw 16 bytes on the wire. */
static void test_bytes(void **state)
{
	static const uint8_t want[] = {0x0a, 0x04, 0x0a, 0x02, 'f', 'w',  0x10, 0x08, 0x42, 0x1c,
				       0x0a, 0x03, 0x0a, 0x01, 'a', 0x12, 0x03, 0x0a, 0x01, 't',
				       0x1a, 0x10, 0,	 1,    2,   3,	  4,	5,    6,    7,
				       8,    9,	   10,	 11,   12,  13,	  14,	15};
	uint8_t *b;
	size_t n;

	encode_ok(call,
		  "{\"framework_id\":{\"value\":\"fw\"},\"type\":\"ACKNOWLEDGE\",\"acknowledge\":"
		  "{\"agent_id\":{\"value\":\"a\"},\"task_id\":{\"value\":\"t\"},"
		  "\"uuid\":\"AAECAwQFBgcICQoL\\nDA0ODw==\"}}",
		  &b, &n);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(b, want, n);
	free(b);
	encode_fails(call,
		     "{\"type\":\"ACKNOWLEDGE\",\"acknowledge\":{\"agent_id\":{\"value\":\"a\"},"
		     "\"task_id\":{\"value\":\"t\"},\"uuid\":\"not*base64\"}}",
		     "field 'acknowledge.uuid': not valid base64");
}

/* With PBJSON_DEFAULTS, unset optional fields with a non-deprecated default are written
 * (Mesos's JSON); the deprecated FrameworkInfo.role is not. */
static void test_defaults(void **state)
{
	check_normalize(
		&mesos__v1__framework_info__descriptor, "{\"user\":\"u\",\"name\":\"n\"}",
		"{\"user\":\"u\",\"name\":\"n\",\"failover_timeout\":0.0,\"checkpoint\":false}",
		PBJSON_DEFAULTS);
	check_normalize(&mesos__v1__framework_info__descriptor,
			"{\"user\":\"u\",\"name\":\"n\",\"role\":\"*\"}",
			"{\"user\":\"u\",\"name\":\"n\",\"role\":\"*\"}", 0);
	check_normalize(&mesos__v1__filters__descriptor, "{}", "{\"refuse_seconds\":5.0}",
			PBJSON_DEFAULTS);
	check_normalize(&mesos__v1__filters__descriptor, "{}", "{}", 0);
}

/* oneof members share memory: only one of them. */
static void test_oneof(void **state)
{
	check_normalize(
		&mesos__v1__scheduler__attribute_constraint__descriptor,
		"{\"selector\":{\"attribute_name\":\"rack\"},\"predicate\":{\"exists\":{}}}",
		"{\"selector\":{\"attribute_name\":\"rack\"},\"predicate\":{\"exists\":{}}}", 0);
	encode_fails(
		&mesos__v1__scheduler__attribute_constraint__descriptor,
		"{\"selector\":{\"attribute_name\":\"rack\",\"pseudoattribute_type\":\"ZONE\"},"
		"\"predicate\":{\"exists\":{}}}",
		"another field of the same oneof");
}

/* Bad protobuf: a clear error and nothing returned. */
static void check_bad_pb(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t n,
			 int want_r, const char *want)
{
	char err[PBJSON_ERR_LEN] = "";
	json_t *j = (json_t *)"untouched";

	assert_int_equal(pbjson_decode(d, b, n, 0, &j, err, sizeof(err)), want_r);
	assert_string_equal((char *)j, "untouched");
	if (!strstr(err, want))
		fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_bad_protobuf(void **state)
{
	/* truncated varint */
	check_bad_pb(call, (const uint8_t[]){0x10, 0xff}, 2, -EINVAL,
		     "not a valid mesos.v1.scheduler.Call");
	/* framework_id (a message) sent as a varint */
	check_bad_pb(call, (const uint8_t[]){0x08, 0x01}, 2, -EINVAL, "not a valid");
	/* a length past the end */
	check_bad_pb(call, (const uint8_t[]){0x0a, 0x05, 0x0a, 0x01}, 4, -EINVAL, "not a valid");
	/* a required field missing: Rescind without offer_id */
	check_bad_pb(event, (const uint8_t[]){0x08, 0x03, 0x22, 0x00}, 4, -EINVAL, "not a valid");
	/* more than the cap */
	check_bad_pb(call, (const uint8_t[]){0}, PBJSON_MAX_BYTES + 1, -E2BIG, "more than");
	/* an unknown value in a required enum: Resource.type = 99 */
	check_bad_pb(&mesos__v1__resource__descriptor, (const uint8_t[]){0x0a, 0x01, 'x', 0x10, 99},
		     5, -EINVAL, "field 'type': unknown value 99 of enum 'mesos.v1.Value.Type'");
	/* a map entry (TaskInfo.limits) without its value, a message with a required field */
	check_bad_pb(&mesos__v1__task_info__descriptor,
		     (const uint8_t[]){0x0a, 0x01, 'n',	 0x12, 0x03, 0x0a, 0x01,
				       't',  0x1a, 0x03, 0x0a, 0x01, 'a',  0x7a,
				       0x06, 0x0a, 0x04, 'c',  'p',  'u',  's'},
		     21, -EINVAL, "field 'limits[0]': a map entry without its value");
}

/* An unknown value in an optional enum leaves it unset, as proto2 does (Call.type = 99:
 * the call then fails the "type is missing" check as in Mesos). */
static void test_unknown_enum_value(void **state)
{
	json_t *j = decode_ok(call, (const uint8_t[]){0x10, 99}, 2, 0);
	json_t *want = json_object();

	assert_true(json_equal(j, want));
	json_decref(j);
	json_decref(want);
}

/*
 * ContainerID.parent is not in Drover's schema (it was the one recursive field): a million
 * levels of nested ContainerIDs in protobuf are one ContainerID with an unknown field, read
 * without recursing into it (no stack overflow), and a parent in JSON is an unknown member.
 */
static void test_no_recursive_container_id(void **state)
{
	const ProtobufCMessageDescriptor *cid = &mesos__v1__container_id__descriptor;
	size_t levels = 1000000, cap = levels * 8 + 16, at = cap, inner;
	uint8_t *buf = malloc(cap);
	json_t *j, *want = json_pack("{s:s}", "value", "x");
	char err[PBJSON_ERR_LEN] = "";
	json_t *out = NULL;
	uint8_t *b;
	size_t n;

	assert_non_null(buf);
	/* innermost {value: "x"}, then each level {value: "x", 2: <inner>}, built backwards from
	 * the end of buf */
	buf[--at] = 'x';
	buf[--at] = 1;
	buf[--at] = 0x0a;
	for (size_t i = 1; i < levels; i++) {
		uint8_t len[10];
		size_t k = 0;

		inner = cap - at;
		do {
			len[k++] = (uint8_t)((inner & 0x7f) | (inner > 0x7f ? 0x80 : 0));
			inner >>= 7;
		} while (inner);
		while (k)
			buf[--at] = len[--k];
		buf[--at] = 0x12;
		buf[--at] = 'x';
		buf[--at] = 1;
		buf[--at] = 0x0a;
	}
	assert_int_equal(pbjson_decode(cid, buf + at, cap - at, 0, &out, err, sizeof(err)), 0);
	assert_true(json_equal(out, want));
	json_decref(out);
	free(buf);
	/* the same in JSON: parent is ignored */
	j = json_pack("{s:s}", "value", "x");
	for (int i = 0; i < 70; i++)
		j = json_pack("{s:s,s:o}", "value", "x", "parent", j);
	assert_int_equal(pbjson_encode(cid, j, 0, &b, &n, err, sizeof(err)), 0);
	assert_int_equal(pbjson_decode(cid, b, n, 0, &out, err, sizeof(err)), 0);
	assert_true(json_equal(out, want));
	json_decref(out);
	json_decref(j);
	json_decref(want);
	free(b);
}

/* The deepest chain of nested message types below d; -1 when a type contains itself. */
static int schema_depth(const ProtobufCMessageDescriptor *d,
			const ProtobufCMessageDescriptor **stack, int n)
{
	int max = 0;

	for (int i = 0; i < n; i++)
		if (stack[i] == d)
			return -1;
	stack[n] = d;
	for (unsigned i = 0; i < d->n_fields; i++) {
		int k;

		if (d->fields[i].type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		k = schema_depth(d->fields[i].descriptor, stack, n + 1);
		if (k < 0)
			return -1;
		if (k + 1 > max)
			max = k + 1;
	}
	return max;
}

/*
 * No message type of the API contains itself, and the deepest nesting is within the codec's
 * depth cap: protobuf-c's recursive unpacking is bounded by the schema, not by the input.
 */
static void test_schema_depth(void **state)
{
	static const char *const names[] = {
		"mesos.v1.scheduler.Call",  "mesos.v1.scheduler.Event", "mesos.v1.master.Call",
		"mesos.v1.master.Response", "mesos.v1.master.Event",	"mesos.v1.agent.Call",
		"mesos.v1.agent.Response",  "mesos.v1.executor.Call",	"mesos.v1.executor.Event",
	};
	const ProtobufCMessageDescriptor *stack[PBJSON_MAX_DEPTH + 2];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const ProtobufCMessageDescriptor *d = pbschema_find(names[i]);
		int k;

		assert_non_null(d);
		k = schema_depth(d, stack, 0);
		if (k < 0 || k >= PBJSON_MAX_DEPTH)
			fail_msg("%s: nesting %d (cap %d; -1: recursive)", names[i], k,
				 PBJSON_MAX_DEPTH);
	}
}

static void find_dirs(const char *argv0)
{
	char dir[PATH_MAX];
	const char *cands[] = {".", NULL};
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", argv0);
	if (strrchr(dir, '/'))
		strcpy(strrchr(dir, '/'), "/../../..");
	else
		strcpy(dir, "../../..");
	cands[1] = dir;
	for (size_t i = 0; i < 2; i++) {
		snprintf(golden, sizeof(golden), "%s/tests/golden/pb", cands[i]);
		snprintf(protodir, sizeof(protodir), "%s/proto", cands[i]);
		if (stat(golden, &st) == 0)
			return;
	}
	fprintf(stderr, "cannot find tests/golden/pb: run from the source tree\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_golden_bytes_are_protocs),
		cmocka_unit_test(test_null_and_unknown),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_infinity),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_repeated_and_maps),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_oneof),
		cmocka_unit_test(test_bad_protobuf),
		cmocka_unit_test(test_unknown_enum_value),
		cmocka_unit_test(test_schema_depth),
		cmocka_unit_test(test_no_recursive_container_id),
	};

	find_dirs(argv[0]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
