// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void buf_init(struct buf *b)
{
	*b = (struct buf)BUF_INIT;
}

int buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	/* len + n + 1 (the NUL) must not wrap */
	if (n > SIZE_MAX - 1 - b->len)
		return -EOVERFLOW;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : BUF_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	if (!b->p)
		p[0] = '\0';
	b->p = p;
	b->cap = cap;
	return 0;
}

int buf_grow(struct buf *b, size_t n, char **ret_at)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	*ret_at = b->p + b->len;
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t n)
{
	char *at;
	int r = buf_grow(b, n, &at);

	if (r < 0)
		return r;
	if (n)
		memcpy(at, data, n);
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

void buf_consume(struct buf *b, size_t n)
{
	if (n > b->len)
		n = b->len;
	if (!n)
		return;
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

char *buf_steal(struct buf *b, size_t *ret_len)
{
	char *p;

	if (buf_reserve(b, 0) < 0)
		return NULL;
	p = b->p;
	if (ret_len)
		*ret_len = b->len;
	buf_init(b);
	return p;
}

void buf_free(struct buf *b)
{
	if (!b)
		return;
	free(b->p);
	buf_init(b);
}
