/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one codec layer of the v1 HTTP APIs (scheduler, master operator, agent operator):
 * which media type a request is in and which one its answer may be in, decided as Mesos
 * decides it, and the two encodings of one internal representation (jansson json_t in
 * Mesos's JSON mapping, lib/pbjson.h) for requests, replies and RecordIO stream records.
 *
 *   - Requests by Content-Type: exactly "application/json" or "application/x-protobuf"
 *     (no parameters), else 415; no Content-Type: 400.
 *   - Replies and streams by Accept: JSON first, then protobuf; no Accept header accepts
 *     both (JSON); for each candidate the most specific range naming it counts (the type
 *     itself, then "type/ *", then "* / *"), and it is refused when that range has q=0
 *     (other q-values are ignored); neither acceptable: 406.
 *   - A request body becomes the one internal form, Mesos's JSON mapping: protobuf is
 *     unpacked by protobuf-c against the message type of the schema (proto/; truncated
 *     varints, wrong wire types, lengths past the end, missing required fields: 400;
 *     unknown fields dropped; unknown enum values of optional fields unset) and written as
 *     JSON by lib/pbjson; JSON is parsed by jansson and normalized against the same schema
 *     (codec_json_normalize): null is unset, numeric strings in integer and double fields
 *     are numbers, "true"/"false" in bool fields are bools, an enum name the schema does
 *     not know is unset (optional) or dropped (repeated). Keys the schema does not know
 *     stay (the master's validators ignore them; Drover's documented extensions are read
 *     from them), and required fields are left to the validators, which name the field.
 *   - Written JSON is compact with shortest round-trip doubles (lib/jsonnum.h); written
 *     protobuf is the message packed by protobuf-c.
 *
 * Library code: no logging, no globals but constant tables.
 */
#ifndef DROVER_CODEC_H
#define DROVER_CODEC_H

#include <stddef.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

struct http_request;

enum codec {
	CODEC_JSON = 0,
	CODEC_PROTOBUF = 1,
};

#define CODEC_JSON_TYPE "application/json"
#define CODEC_PROTOBUF_TYPE "application/x-protobuf"
#define CODEC_ERR_LEN 320

/* "application/json" or "application/x-protobuf". */
const char *codec_content_type(enum codec c);

/*
 * A request's Content-Type value (NULL: none) -> its codec. Returns 0, or the HTTP status
 * to answer: 400 (none) or 415 (anything else), with err saying why.
 */
int codec_request_type(const char *content_type, enum codec *ret, char *err, size_t errlen);

/*
 * An Accept header's value (NULL: none) -> the codec of the answer. Returns 0, or 406 with
 * err when neither type is acceptable.
 */
int codec_negotiate(const char *accept, enum codec *ret, char *err, size_t errlen);

/*
 * Read a request body of codec c as a desc message into a new JSON object (*ret).
 * Returns 0, or 400 with err (the body does not parse, or protobuf is not a desc), or
 * -ENOMEM. desc NULL: a JSON object outside the schema (protobuf is then 415).
 */
int codec_decode(enum codec c, const ProtobufCMessageDescriptor *desc, const char *body, size_t len,
		 json_t **ret, char *err, size_t errlen);

/*
 * The gate of a v1 POST: Content-Type, then the body (codec_request_type, codec_decode).
 * Returns 0 with *ret_codec and *ret (a new object), or an HTTP status (400, 415) with err,
 * or -ENOMEM. Nothing is answered: the caller does.
 */
int codec_read_request(const struct http_request *req, const ProtobufCMessageDescriptor *desc,
		       enum codec *ret_codec, json_t **ret, char *err, size_t errlen);

/*
 * json (a desc message in Mesos's JSON mapping; not taken) written in codec c into *ret
 * (free it) of *ret_len bytes. JSON is written as it is (compact, jsonnum doubles, ASCII);
 * protobuf through the schema (pbjson_encode: a required field missing is -EINVAL).
 * desc may be NULL for JSON only (a message outside the schema, e.g. Drover's agent
 * protocol). Returns 0, -EINVAL (err says why) or -ENOMEM.
 */
int codec_encode(enum codec c, const ProtobufCMessageDescriptor *desc, json_t *json, char **ret,
		 size_t *ret_len, char *err, size_t errlen);

/* codec_encode framed as one RecordIO record "<length>\n<bytes>". */
int codec_record(enum codec c, const ProtobufCMessageDescriptor *desc, json_t *json, char **ret,
		 size_t *ret_len, char *err, size_t errlen);

/*
 * Answer req with status and json (taken) written in codec c, Content-Type set to match.
 * An answer the schema refuses in protobuf (a required field Drover does not fill yet):
 * 406 naming the field, so the client may ask for JSON; out of memory: 500. Returns the
 * status sent.
 */
unsigned codec_reply(struct http_request *req, unsigned status, enum codec c,
		     const ProtobufCMessageDescriptor *desc, json_t *json);

/*
 * What a stream's records are: a codec and the message type of each record (NULL: JSON
 * without a schema). codec_stream_format() gives a constant, shared, never freed, for a
 * stream tag (lib/http_server.h http_stream_set_tag); NULL when desc is not a stream type
 * of the schema (scheduler, master operator or executor Event).
 */
struct codec_format {
	enum codec codec;
	const ProtobufCMessageDescriptor *desc;
};
const struct codec_format *codec_stream_format(enum codec c,
					       const ProtobufCMessageDescriptor *desc);

#endif
