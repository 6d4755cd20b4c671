/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc/sorter: the incremental ordered set behind every level of the allocation tree.
 * Clients (roles, frameworks) are ordered by (key, count, name): key comes from the
 * level's policy (DRF: weighted dominant share), count is the number of allocations the
 * client has had, name makes the order total and deterministic. A skip list keeps the
 * order: insert/remove/re-key are O(log n), in-order iteration is a pointer walk.
 *
 * Ownership: entries are embedded in their owners (struct fw, struct role); the sorter
 * only links them. name must outlive the entry's membership.
 */
#ifndef DROVER_ALLOC_SORTER_H
#define DROVER_ALLOC_SORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALLOC_SKIP_LEVELS 20

struct alloc_sorter_entry {
	double key;
	uint64_t count;
	const char *name;
	uint64_t name8; /* first 8 bytes of name, big-endian: most ties end here, no strcmp */
	int level; /* 0 while not in a sorter */
	struct alloc_sorter_entry *next[ALLOC_SKIP_LEVELS];
};

struct alloc_sorter {
	struct alloc_sorter_entry head;
	int level;
	size_t n;
	uint64_t rng; /* level coin flips: deterministic per seed */
};

void alloc_sorter_init(struct alloc_sorter *s, uint64_t seed);
/* Link e (key, count and name set by the caller). e must not be linked. */
void alloc_sorter_insert(struct alloc_sorter *s, struct alloc_sorter_entry *e);
/* Unlink e if linked. */
void alloc_sorter_remove(struct alloc_sorter *s, struct alloc_sorter_entry *e);
/* Change e's key and count, keeping the order. e must be linked. */
void alloc_sorter_update(struct alloc_sorter *s, struct alloc_sorter_entry *e, double key,
			 uint64_t count);
static inline struct alloc_sorter_entry *alloc_sorter_first(const struct alloc_sorter *s)
{
	return s->head.next[0];
}
static inline struct alloc_sorter_entry *alloc_sorter_next(const struct alloc_sorter_entry *e)
{
	return e->next[0];
}
/* <0 when a sorts before b: by key, then count, then name. */
int alloc_sorter_cmp(const struct alloc_sorter_entry *a, const struct alloc_sorter_entry *b);

/* A small deterministic generator (splitmix64): the state lives with its user. */
static inline uint64_t alloc_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform double in (0, 1]. */
static inline double alloc_rng_unit(uint64_t *s)
{
	return ((double)(alloc_rng_next(s) >> 11) + 1.0) / 9007199254740992.0;
}

/*
 * A sorting policy: how a client's key is made. Adding a policy is one file defining a
 * struct alloc_policy and one line in policy.c's table.
 */
struct alloc_policy {
	const char *name;
	/* Sort key (lower first) of a client with this dominant share and weight. */
	double (*key)(double share, double weight, uint64_t *rng);
	/* Keys are re-drawn for every client at the start of every cycle. */
	bool rekey_each_cycle;
};

extern const struct alloc_policy alloc_policy_drf;
extern const struct alloc_policy alloc_policy_random;

/* The policy called name ("drf", "random"), or NULL. */
const struct alloc_policy *alloc_policy_find(const char *name);

#endif
