/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc/map: an open-addressing hash map (linear probing, backward-shift deletion) from
 * a string or a 64-bit integer to a pointer. The map never owns keys or values: a string
 * key must live as long as its entry (usually it is the value's own id field).
 */
#ifndef DROVER_ALLOC_MAP_H
#define DROVER_ALLOC_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alloc_map_slot {
	uint64_t hash; /* 0: empty */
	uint64_t ikey;
	const char *skey;
	void *val;
};

struct alloc_map {
	bool strings; /* keys are strings (else 64-bit integers) */
	size_t n, mask;
	struct alloc_map_slot *slots;
};

void alloc_map_init(struct alloc_map *m, bool strings);
/* Free the table (not keys or values). NULL-safe. */
void alloc_map_free(struct alloc_map *m);

void *alloc_map_get_str(const struct alloc_map *m, const char *key);
void *alloc_map_get_u64(const struct alloc_map *m, uint64_t key);
/* Insert or replace. 0 or -ENOMEM. */
int alloc_map_put_str(struct alloc_map *m, const char *key, void *val);
int alloc_map_put_u64(struct alloc_map *m, uint64_t key, void *val);
/* Remove; returns the value removed or NULL. */
void *alloc_map_del_str(struct alloc_map *m, const char *key);
void *alloc_map_del_u64(struct alloc_map *m, uint64_t key);

#endif
