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
	d->max_record = max_record;
}

void recordio_decoder_free(struct recordio_decoder *d)
{
	free(d->buf);
	free(d->last);
	memset(d, 0, sizeof(*d));
}

int recordio_feed(struct recordio_decoder *d, const char *data, size_t len)
{
	if (len == 0)
		return 0;
	if (d->len + len > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		char *n;
		while (cap < d->len + len)
			cap *= 2;
		n = realloc(d->buf, cap);
		if (!n)
			return -ENOMEM;
		d->buf = n;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, data, len);
	d->len += len;
	return 0;
}

int recordio_next(struct recordio_decoder *d, const char **ret_rec, size_t *ret_len)
{
	size_t i, n = 0, consumed;
	char *rec;

	if (d->error)
		return d->error;
	for (i = 0; i < d->len && d->buf[i] != '\n'; i++) {
		char c = d->buf[i];
		if (c < '0' || c > '9' || i >= RECORDIO_MAX_DIGITS)
			return d->error = -EBADMSG;
		if (n > (SIZE_MAX - 9) / 10)
			return d->error = -EMSGSIZE;
		n = n * 10 + (size_t)(c - '0');
	}
	if (i == d->len)
		return 0; /* header incomplete */
	if (i == 0)
		return d->error = -EBADMSG; /* empty length */
	if (n > d->max_record)
		return d->error = -EMSGSIZE;
	if (d->len - i - 1 < n)
		return 0; /* body incomplete */

	rec = malloc(n + 1);
	if (!rec)
		return -ENOMEM;
	memcpy(rec, d->buf + i + 1, n);
	rec[n] = '\0';
	consumed = i + 1 + n;
	memmove(d->buf, d->buf + consumed, d->len - consumed);
	d->len -= consumed;
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
