/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RecordIO as Mesos streams it: "<decimal byte length>\n<bytes>" repeated.
 * The decoder is incremental and pure (bytes in, records out), so tests and fuzzers feed it
 * arbitrary splits.
 */
#ifndef DROVER_RECORDIO_H
#define DROVER_RECORDIO_H

#include <stddef.h>

#include "buf.h"

#define RECORDIO_MAX_DIGITS 20

struct recordio_decoder {
	struct buf in; /* unconsumed bytes */
	size_t max_record; /* a longer record is an error */
	int error;         /* sticky: once malformed, always malformed */
	char *last;        /* the record handed out last, freed on the next call */
};

void recordio_decoder_init(struct recordio_decoder *d, size_t max_record);
void recordio_decoder_free(struct recordio_decoder *d);
/* Append bytes. Returns 0, -ENOMEM, or -EOVERFLOW when the total would not fit in size_t. */
int recordio_feed(struct recordio_decoder *d, const char *data, size_t len);
/*
 * Take the next complete record: 1 with *ret_rec and *ret_len (a NUL-terminated copy owned by
 * the decoder, valid until the next call), 0 when more bytes are needed, -EBADMSG on a malformed header,
 * -EMSGSIZE on a record longer than max_record.
 */
int recordio_next(struct recordio_decoder *d, const char **ret_rec, size_t *ret_len);

/* Encode one record into a new buffer "<len>\n<data>"; returns its length or -ENOMEM. */
long recordio_encode(const char *data, size_t len, char **ret);

#endif
