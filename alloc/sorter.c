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
	return strcmp(a->name, b->name);
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
	if (e->level && e->key == key && e->count == count)
		return;
	alloc_sorter_remove(s, e);
	e->key = key;
	e->count = count;
	alloc_sorter_insert(s, e);
}
