// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recordio.h"

void recordio_decoder_init(struct recordio_decoder *d, size_t max_record)
{
	memset(d, 0, sizeof(*d));
	buf_init(&d->in);
	d->max_record = max_record;
}

void recordio_decoder_free(struct recordio_decoder *d)
{
	buf_free(&d->in);
	free(d->last);
	memset(d, 0, sizeof(*d));
}

int recordio_feed(struct recordio_decoder *d, const char *data, size_t len)
{
	if (len == 0)
		return 0;
	return buf_append(&d->in, data, len);
}

int recordio_next(struct recordio_decoder *d, const char **ret_rec, size_t *ret_len)
{
	const char *in = d->in.p;
	size_t i, n = 0;
	char *rec;

	if (d->error)
		return d->error;
	for (i = 0; i < d->in.len && in[i] != '\n'; i++) {
		char c = in[i];
		if (c < '0' || c > '9' || i >= RECORDIO_MAX_DIGITS)
			return d->error = -EBADMSG;
		if (n > (SIZE_MAX - 9) / 10)
			return d->error = -EMSGSIZE;
		n = n * 10 + (size_t)(c - '0');
	}
	if (i == d->in.len)
		return 0; /* header incomplete */
	if (i == 0)
		return d->error = -EBADMSG; /* empty length */
	if (n > d->max_record)
		return d->error = -EMSGSIZE;
	if (d->in.len - i - 1 < n)
		return 0; /* body incomplete */

	rec = malloc(n + 1);
	if (!rec)
		return -ENOMEM;
	memcpy(rec, in + i + 1, n);
	rec[n] = '\0';
	buf_consume(&d->in, i + 1 + n);
	free(d->last);
	d->last = rec;
	*ret_rec = rec;
	*ret_len = n;
	return 1;
}

long recordio_encode(const char *data, size_t len, char **ret)
{
	char hdr[RECORDIO_MAX_DIGITS + 2];
	int h = snprintf(hdr, sizeof(hdr), "%zu\n", len);
	char *out = malloc((size_t)h + len + 1);

	if (!out)
		return -ENOMEM;
	memcpy(out, hdr, (size_t)h);
	memcpy(out + h, data, len);
	out[(size_t)h + len] = '\0';
	*ret = out;
	return (long)((size_t)h + len);
}
