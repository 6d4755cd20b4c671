// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

static char tomb;
#define STRMAP_TOMB (&tomb)

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void strmap_clear(struct strmap *m, void (*free_value)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		char *k = m->slots[i].key;
		if (!k || k == STRMAP_TOMB)
			continue;
		free(k);
		if (free_value && m->slots[i].value)
			free_value(m->slots[i].value);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static struct strmap_slot *find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t mask, i;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		struct strmap_slot *s = &m->slots[i];
		if (!s->key)
			return NULL;
		if (s->hash == h && s->key != STRMAP_TOMB && strcmp(s->key, key) == 0)
			return s;
	}
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key, hash(key));

	return s ? s->value : NULL;
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	struct strmap_slot *old = m->slots, *n;
	size_t oldcap = m->cap;

	/* rehash in place when mostly tombstones */
	if (m->count * 2 < m->used && m->cap)
		cap = m->cap;
	n = calloc(cap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->slots = n;
	m->cap = cap;
	m->used = 0;
	for (size_t i = 0; i < oldcap; i++) {
		size_t j;
		if (!old[i].key || old[i].key == STRMAP_TOMB)
			continue;
		for (j = old[i].hash & (cap - 1); n[j].key; j = (j + 1) & (cap - 1))
			;
		n[j] = old[i];
		m->used++;
	}
	free(old);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, void *value, void **ret_old)
{
	uint64_t h = hash(key);
	struct strmap_slot *s = find(m, key, h);
	size_t i, mask;
	char *k;

	if (ret_old)
		*ret_old = NULL;
	if (s) {
		if (ret_old)
			*ret_old = s->value;
		s->value = value;
		return 0;
	}
	if ((m->used + 1) * 4 >= m->cap * 3 && grow(m) < 0)
		return -ENOMEM;
	k = strdup(key);
	if (!k)
		return -ENOMEM;
	mask = m->cap - 1;
	for (i = h & mask; m->slots[i].key && m->slots[i].key != STRMAP_TOMB; i = (i + 1) & mask)
		;
	if (!m->slots[i].key)
		m->used++;
	m->slots[i].key = k;
	m->slots[i].value = value;
	m->slots[i].hash = h;
	m->count++;
	return 0;
}

void *strmap_del(struct strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key, hash(key));
	void *v;

	if (!s)
		return NULL;
	v = s->value;
	free(s->key);
	s->key = STRMAP_TOMB;
	s->value = NULL;
	m->count--;
	return v;
}

bool strmap_next(const struct strmap *m, size_t *iter, const char **ret_key, void **ret_value)
{
	for (; *iter < m->cap; (*iter)++) {
		struct strmap_slot *s = &m->slots[*iter];
		if (s->key && s->key != STRMAP_TOMB) {
			if (ret_key)
				*ret_key = s->key;
			if (ret_value)
				*ret_value = s->value;
			(*iter)++;
			return true;
		}
	}
	return false;
}
