// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the protobuf codec (lib/pbjson). The first byte chooses the message
 * type (bits 3..: an index into types[]), the input form (bit 0: 0 = protobuf bytes,
 * 1 = JSON text) and whether defaults are written (bit 2); the rest is the input.
 *
 * Whatever is accepted must reach a fixpoint: its JSON packs, the bytes decode to the same
 * JSON, and (without defaults) JSON input packs to the same bytes twice. The JSON text
 * Drover writes (jsonnum_dumps) must read back equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonnum.h"
#include "pbjson.h"
#include "pbschema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const types[] = {
	"mesos.v1.scheduler.Call",  "mesos.v1.scheduler.Event", "mesos.v1.master.Call",
	"mesos.v1.master.Response", "mesos.v1.master.Event",	"mesos.v1.agent.Call",
	"mesos.v1.agent.Response",  "mesos.v1.executor.Call",	"mesos.v1.executor.Event",
};

static void check_text(json_t *j)
{
	char *s = jsonnum_dumps(j, JSON_COMPACT);
	json_t *back = s ? json_loads(s, 0, NULL) : NULL;

	if (!s || !back || !json_equal(back, j))
		abort();
	json_decref(back);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *d;
	char err[PBJSON_ERR_LEN];
	unsigned flags;
	json_t *j1 = NULL, *j2 = NULL;
	uint8_t *b1 = NULL, *b2 = NULL;
	size_t n1 = 0, n2 = 0;

	if (size == 0)
		return 0;
	d = pbschema_find(types[(data[0] >> 3) % (sizeof(types) / sizeof(types[0]))]);
	flags = data[0] & 4 ? PBJSON_DEFAULTS : 0;
	if (!d)
		abort();
	if (data[0] & 1) {
		char *text = strndup((const char *)data + 1, size - 1);
		json_t *j0 = text ? json_loads(text, 0, NULL) : NULL;

		free(text);
		if (!j0)
			return 0;
		if (pbjson_encode(d, j0, 0, &b1, &n1, err, sizeof(err)) != 0) {
			json_decref(j0);
			return 0;
		}
		json_decref(j0);
	} else {
		b1 = malloc(size);
		if (!b1)
			return 0;
		memcpy(b1, data + 1, size - 1);
		n1 = size - 1;
	}
	/* bytes -> JSON -> bytes -> JSON: the two JSONs are equal */
	if (pbjson_decode(d, b1, n1, flags, &j1, err, sizeof(err)) == 0) {
		check_text(j1);
		if (pbjson_encode(d, j1, 0, &b2, &n2, err, sizeof(err)) != 0)
			abort();
		if (pbjson_decode(d, b2, n2, flags, &j2, err, sizeof(err)) != 0)
			abort();
		if (!json_equal(j1, j2))
			abort();
		/* JSON input was packed by this codec: repacking its JSON is byte-identical */
		if ((data[0] & 1) && !flags && (n1 != n2 || memcmp(b1, b2, n1) != 0))
			abort();
	}
	json_decref(j1);
	json_decref(j2);
	free(b1);
	free(b2);
	return 0;
}
