// SPDX-License-Identifier: Apache-2.0
/* alloc/sorter: a skip list ordered by (key, count, name). */
#include <string.h>

#include "sorter.h"

void alloc_sorter_init(struct alloc_sorter *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->level = 1;
	s->head.level = ALLOC_SKIP_LEVELS;
	s->rng = seed;
}

int alloc_sorter_cmp(const struct alloc_sorter_entry *a, const struct alloc_sorter_entry *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->count != b->count)
		return a->count < b->count ? -1 : 1;
	if (a->name8 != b->name8)
		return a->name8 < b->name8 ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The first 8 bytes of s (zero-padded) as a big-endian number: orders as strcmp does. */
static uint64_t name_prefix(const char *s)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8 && s[i]; i++)
		v = v << 8 | (unsigned char)s[i];
	return v << (8 * (8 - i)) % 64;
}

/* Fill upd[] with the last entry before e on every level. */
static void find_prev(struct alloc_sorter *s, const struct alloc_sorter_entry *e,
		      struct alloc_sorter_entry **upd)
{
	struct alloc_sorter_entry *x = &s->head;

	for (int l = s->level - 1; l >= 0; l--) {
		while (x->next[l] && x->next[l] != e && alloc_sorter_cmp(x->next[l], e) < 0)
			x = x->next[l];
		upd[l] = x;
	}
}

void alloc_sorter_insert(struct alloc_sorter *s, struct alloc_sorter_entry *e)
{
	struct alloc_sorter_entry *upd[ALLOC_SKIP_LEVELS];
	uint64_t bits = alloc_rng_next(&s->rng);
	int lvl = 1;

	/* p = 1/4 per level */
	while (lvl < ALLOC_SKIP_LEVELS && (bits & 3) == 0) {
		lvl++;
		bits >>= 2;
	}
	if (lvl > s->level) {
		for (int l = s->level; l < lvl; l++)
			s->head.next[l] = NULL;
		s->level = lvl;
	}
	e->name8 = name_prefix(e->name);
	find_prev(s, e, upd);
	for (int l = 0; l < lvl; l++) {
		e->next[l] = upd[l]->next[l];
		upd[l]->next[l] = e;
	}
	e->level = lvl;
	s->n++;
}

void alloc_sorter_remove(struct alloc_sorter *s, struct alloc_sorter_entry *e)
{
	struct alloc_sorter_entry *upd[ALLOC_SKIP_LEVELS];

	if (!e->level)
		return;
	find_prev(s, e, upd);
	for (int l = 0; l < e->level; l++)
		if (upd[l]->next[l] == e)
			upd[l]->next[l] = e->next[l];
	e->level = 0;
	s->n--;
	while (s->level > 1 && !s->head.next[s->level - 1])
		s->level--;
}

void alloc_sorter_update(struct alloc_sorter *s, struct alloc_sorter_entry *e, double key,
			 uint64_t count)
{
	struct alloc_sorter_entry *next = e->next[0];

	if (e->level && e->key == key && e->count == count)
		return;
	/*
	 * Moving later but not past the next entry (or alone): the links stay right. The
	 * common case for a role's entry and for a client that is the only one of its kind.
	 */
	if (e->level && (key > e->key || (key == e->key && count > e->count)) &&
	    (!next || key < next->key ||
	     (key == next->key && (count < next->count ||
				   (count == next->count && (e->name8 < next->name8 ||
							     (e->name8 == next->name8 &&
							      strcmp(e->name, next->name) < 0))))))) {
		e->key = key;
		e->count = count;
		return;
	}
	alloc_sorter_remove(s, e);
	e->key = key;
	e->count = count;
	alloc_sorter_insert(s, e);
}
