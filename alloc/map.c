// SPDX-License-Identifier: Apache-2.0
/* alloc/map: string- or integer-keyed open-addressing hash map. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h | 1;
}

static uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x | 1;
}

void alloc_map_init(struct alloc_map *m, bool strings)
{
	memset(m, 0, sizeof(*m));
	m->strings = strings;
}

void alloc_map_free(struct alloc_map *m)
{
	if (!m)
		return;
	free(m->slots);
	m->slots = NULL;
	m->n = m->mask = 0;
}

static bool slot_match(const struct alloc_map *m, const struct alloc_map_slot *s, uint64_t h,
		       const char *skey, uint64_t ikey)
{
	if (s->hash != h)
		return false;
	return m->strings ? strcmp(s->skey, skey) == 0 : s->ikey == ikey;
}

static struct alloc_map_slot *lookup(const struct alloc_map *m, uint64_t h, const char *skey,
				     uint64_t ikey)
{
	if (!m->slots)
		return NULL;
	for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
		struct alloc_map_slot *s = &m->slots[i];

		if (!s->hash)
			return NULL;
		if (slot_match(m, s, h, skey, ikey))
			return s;
	}
}

static void place(struct alloc_map *m, const struct alloc_map_slot *src)
{
	size_t i = src->hash & m->mask;

	while (m->slots[i].hash)
		i = (i + 1) & m->mask;
	m->slots[i] = *src;
}

static int grow(struct alloc_map *m)
{
	size_t old = m->slots ? m->mask + 1 : 0, cap = old ? old * 2 : 16;
	struct alloc_map_slot *os = m->slots;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = os;
		return -ENOMEM;
	}
	m->mask = cap - 1;
	for (size_t i = 0; i < old; i++)
		if (os[i].hash)
			place(m, &os[i]);
	free(os);
	return 0;
}

static int put(struct alloc_map *m, uint64_t h, const char *skey, uint64_t ikey, void *val)
{
	struct alloc_map_slot *s = lookup(m, h, skey, ikey);
	struct alloc_map_slot n = {h, ikey, skey, val};

	if (s) {
		s->val = val;
		s->skey = skey;
		return 0;
	}
	if (!m->slots || (m->n + 1) * 4 > (m->mask + 1) * 3) {
		int rc = grow(m);

		if (rc < 0)
			return rc;
	}
	place(m, &n);
	m->n++;
	return 0;
}

static void *del(struct alloc_map *m, uint64_t h, const char *skey, uint64_t ikey)
{
	struct alloc_map_slot *s = lookup(m, h, skey, ikey);
	size_t i, j;
	void *val;

	if (!s)
		return NULL;
	val = s->val;
	i = (size_t)(s - m->slots);
	/* backward-shift: pull later members of the probe run into the hole */
	for (j = (i + 1) & m->mask; m->slots[j].hash; j = (j + 1) & m->mask) {
		size_t home = m->slots[j].hash & m->mask;

		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	memset(&m->slots[i], 0, sizeof(m->slots[i]));
	m->n--;
	return val;
}

void *alloc_map_get_str(const struct alloc_map *m, const char *key)
{
	struct alloc_map_slot *s = lookup(m, hash_str(key), key, 0);

	return s ? s->val : NULL;
}

void *alloc_map_get_u64(const struct alloc_map *m, uint64_t key)
{
	struct alloc_map_slot *s = lookup(m, hash_u64(key), NULL, key);

	return s ? s->val : NULL;
}

int alloc_map_put_str(struct alloc_map *m, const char *key, void *val)
{
	return put(m, hash_str(key), key, 0, val);
}

int alloc_map_put_u64(struct alloc_map *m, uint64_t key, void *val)
{
	return put(m, hash_u64(key), NULL, key, val);
}

void *alloc_map_del_str(struct alloc_map *m, const char *key)
{
	return del(m, hash_str(key), key, 0);
}

void *alloc_map_del_u64(struct alloc_map *m, uint64_t key)
{
	return del(m, hash_u64(key), NULL, key);
}
