/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer: bytes appended at the end into memory that doubles as it fills
 * (4 KiB at first). The bytes are always followed by a NUL that len does not count, so a
 * buffer of text is a C string. Size arithmetic is checked: a length that would not fit in
 * size_t is refused, never wrapped. Limits on what a buffer may hold are the caller's.
 *
 * Ownership: a struct buf owns p; buf_free() releases it, buf_steal() hands it over.
 */
#ifndef DROVER_BUF_H
#define DROVER_BUF_H

#include <stddef.h>

struct buf {
	char *p; /* NULL until something is reserved */
	size_t len; /* bytes held, p[len] == '\0' */
	size_t cap; /* bytes allocated, the NUL included */
};

#define BUF_INIT           \
	{                  \
		NULL, 0, 0 \
	}
#define BUF_MIN_CAP 4096

void buf_init(struct buf *b);
/*
 * Room for n more bytes (and the NUL). 0, -ENOMEM, or -EOVERFLOW when len + n would not fit
 * in size_t; on failure b is as it was.
 */
int buf_reserve(struct buf *b, size_t n);
/* n more bytes at the end, whose content is the caller's: 0 with *ret_at, or as buf_reserve. */
int buf_grow(struct buf *b, size_t n, char **ret_at);
/* Append n bytes (data may be NULL when n is 0). 0 or as buf_reserve. */
int buf_append(struct buf *b, const void *data, size_t n);
int buf_append_str(struct buf *b, const char *s);
/* Drop the first n bytes (at most len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);
/* Empty b; its memory is kept for reuse. */
void buf_reset(struct buf *b);
/*
 * Hand the bytes over (NUL-terminated, free() them; "" when empty) and leave b empty, or
 * NULL (-ENOMEM: b is as it was).
 */
char *buf_steal(struct buf *b, size_t *ret_len);
/* Release the memory and leave b empty. NULL-safe. */
void buf_free(struct buf *b);

#endif
