// SPDX-License-Identifier: Apache-2.0
/*
 * The codec layer's server side (codec.h): a request's body read and an answer written in
 * the negotiated codec. Apart from lib/codec.c so that a client (the CLI) that links the
 * codec does not link the HTTP server and libmicrohttpd with it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec.h"
#include "http_server.h"

int codec_read_request(const struct http_request *req, const ProtobufCMessageDescriptor *desc,
		       enum codec *ret_codec, json_t **ret, char *err, size_t errlen)
{
	size_t len;
	const char *body = http_request_body(req, &len);
	int r;

	r = codec_request_type(http_request_header(req, "Content-Type"), ret_codec, err, errlen);
	if (r != 0)
		return r;
	return codec_decode(*ret_codec, desc, body, len, ret, err, errlen);
}

unsigned codec_reply(struct http_request *req, unsigned status, enum codec c,
		     const ProtobufCMessageDescriptor *desc, json_t *json)
{
	char err[CODEC_ERR_LEN];
	char *b = NULL;
	size_t n;
	int r;

	r = json ? codec_encode(c, desc, json, &b, &n, err, sizeof(err)) : -EINVAL;
	if (!json)
		snprintf(err, sizeof(err), "out of memory");
	json_decref(json);
	if (r == -EINVAL && c == CODEC_PROTOBUF) {
		/* an answer the schema refuses (Drover does not fill it as Mesos yet) */
		http_reply_error(req, 406, "This answer is not available as %s (%s); ask for %s",
				 CODEC_PROTOBUF_TYPE, err, CODEC_JSON_TYPE);
		return 406;
	}
	if (r < 0) {
		http_reply_error(req, 500, "Failed to write the answer: %s", err);
		return 500;
	}
	http_reply(req, status, codec_content_type(c), b, n, NULL);
	free(b);
	return status;
}
