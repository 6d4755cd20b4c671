/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protobuf <-> JSON through protobuf-c's descriptors, with Mesos's JSON mapping, so that
 * Drover keeps one internal representation (jansson json_t, Mesos's JSON shape) and can
 * read and write Mesos's protobuf bytes for any message of the schema in proto/:
 *
 *   - field names are the proto names (snake_case); unknown JSON keys are ignored;
 *   - null is "unset", even for a required field; a required field left unset is an error;
 *   - bytes are standard base64 (lib/base64.h); enums are their value names;
 *   - integers are written as JSON numbers and read from numbers or numeric strings;
 *     doubles also from "Infinity"/"-Infinity"; bools also from "true"/"false";
 *   - repeated fields are arrays (a bare value counts as one element), written only when
 *     not empty; map fields are JSON objects;
 *   - an enum name (JSON) or value (protobuf) the schema does not know leaves an optional
 *     field unset and drops a repeated element, as proto2 does; for a required field it is
 *     an error.
 *
 * Errors name the field by its path ("subscribe.framework_info.user"). Nothing is returned
 * on error. Library code: no logging, no globals.
 */
#ifndef DROVER_PBJSON_H
#define DROVER_PBJSON_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* Largest protobuf message accepted or produced (bytes) */
#define PBJSON_MAX_BYTES (16u << 20)
/* Deepest nesting of messages followed, either way (Mesos's JSON parser stops at 200) */
#define PBJSON_MAX_DEPTH 64
#define PBJSON_ERR_LEN 256

enum pbjson_flags {
	/*
	 * When writing JSON: also write every unset optional field that has an explicit,
	 * non-deprecated default (failover_timeout 0.0, refuse_seconds 5.0, ...), as Mesos's
	 * JSON does. Without it only the fields set on the wire are written.
	 */
	PBJSON_DEFAULTS = 1 << 0,
	/*
	 * When reading JSON: a key the schema does not know is an error instead of being
	 * ignored (Mesos ignores them): for conformance tests of what Drover sends.
	 */
	PBJSON_STRICT = 1 << 1,
};

/*
 * Protobuf bytes -> JSON: data[0..len) is parsed as a desc message (protobuf-c: truncated
 * varints, wrong wire types, lengths past the end and missing required fields are
 * refused) and written as a new JSON object in *ret. Returns 0, -EINVAL (bad input; err
 * says why), -E2BIG (more than PBJSON_MAX_BYTES) or -ENOMEM.
 */
int pbjson_decode(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
		  unsigned flags, json_t **ret, char *err, size_t errlen);

/*
 * JSON -> protobuf bytes: json (an object) is read as a desc message and packed into
 * *ret (free it; never NULL on success) of *ret_len bytes. Returns 0, -EINVAL (err says
 * which field and why), -E2BIG or -ENOMEM.
 */
int pbjson_encode(const ProtobufCMessageDescriptor *desc, json_t *json, unsigned flags,
		  uint8_t **ret, size_t *ret_len, char *err, size_t errlen);

#endif
