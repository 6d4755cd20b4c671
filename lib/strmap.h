/* SPDX-License-Identifier: Apache-2.0 */
/* A string-keyed hash map (open addressing, linear probing). Keys are copied; values are not. */
#ifndef DROVER_STRMAP_H
#define DROVER_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
	char *key; /* NULL: empty; STRMAP_TOMB: deleted */
	void *value;
	uint64_t hash; /* of key: a probe compares it before the key (no strcmp on a miss) */
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap, count, used; /* used counts tombstones too */
};

void strmap_init(struct strmap *m);
/* Frees the keys; calls free_value on each value when it is not NULL. */
void strmap_clear(struct strmap *m, void (*free_value)(void *));
void *strmap_get(const struct strmap *m, const char *key);
/* Insert or replace; returns 0 or -ENOMEM. The old value, if any, goes to *ret_old. */
int strmap_put(struct strmap *m, const char *key, void *value, void **ret_old);
/* Remove; returns the value or NULL. */
void *strmap_del(struct strmap *m, const char *key);
static inline size_t strmap_size(const struct strmap *m)
{
	return m->count;
}

/* Iterate: for (size_t it = 0; strmap_next(m, &it, &k, &v);) — no insertions meanwhile. */
bool strmap_next(const struct strmap *m, size_t *iter, const char **ret_key, void **ret_value);

#endif
