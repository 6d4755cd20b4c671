/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc/vec: the allocator's internal resource vectors; struct alloc_res stays the
 * exchange format of the API. Scalar names are interned per allocator (struct
 * alloc_names: one small id per name); a vector keeps its scalars as a dense array of
 * fixed-point values indexed by id and its ranges and sets as a name-sorted struct
 * alloc_res. Offers, allocations, shares, limits and filters are then integer
 * arithmetic over a few array slots: no name compares, no allocation once the arrays
 * have their size.
 *
 * Also a bump arena for what lives one cycle (the offers handed to the callback).
 */
#ifndef DROVER_ALLOC_VEC_H
#define DROVER_ALLOC_VEC_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "map.h"
#include "resources.h"

struct alloc_names {
	char **name;      /* by id, owned */
	uint32_t n, cap;
	uint32_t *sorted; /* ids in name order */
	bool *excluded;   /* by id: left out of fairness */
	uint8_t *types;   /* by id: bit per enum alloc_res_type the name was seen with */
	struct alloc_res_item *tmpl; /* by id: a scalar item of that name (value 0) */
	bool mixed;       /* some name was seen with two types: check for clashes */
	struct alloc_map map; /* name -> id + 1 */
};

struct vec {
	int64_t *s;         /* scalars by id, milli-units, >= 0; ids >= ns are 0 */
	uint32_t ns;        /* slots in s */
	struct alloc_res x; /* ranges and sets only */
};

void names_init(struct alloc_names *nm);
void names_free(struct alloc_names *nm);
/* The id of name, interning it. id or -ENOMEM. */
int names_id(struct alloc_names *nm, const char *name);
/* The id of name, or -1 when never seen. */
int names_find(const struct alloc_names *nm, const char *name);

void vec_clear(struct vec *v); /* free everything; leaves an empty vector */
void vec_zero(struct vec *v);  /* empty, keeping the scalar array */
int vec_reserve(struct vec *v, uint32_t ns);
/* v = r (names interned). 0 or -ENOMEM. */
int vec_from_res(struct alloc_names *nm, struct vec *v, const struct alloc_res *r);
/* r = v, a heap copy (alloc_res_clear frees it). 0 or -ENOMEM. */
int vec_to_res(const struct alloc_names *nm, const struct vec *v, struct alloc_res *r);
int vec_copy(struct vec *d, const struct vec *s);
bool vec_is_empty(const struct vec *v);
bool vec_contains(const struct vec *a, const struct vec *b);
/* One name held as a scalar by one side and as ranges or a set by the other. */
bool vec_clash(const struct alloc_names *nm, const struct vec *d, const struct vec *s);
/* d -= s, saturating (as alloc_res_sub). */
int vec_sub(const struct alloc_names *nm, struct vec *d, const struct vec *s);
/* ret = a ∩ b (ret distinct from a and b). */
int vec_intersect(const struct vec *a, const struct vec *b, struct vec *ret);

static inline int64_t vec_get(const struct vec *v, uint32_t id)
{
	return id < v->ns ? v->s[id] : 0;
}

/* Scalars only: d += s. 0 or -ENOMEM (only when d's array must grow). */
static inline int vec_add_scalars(struct vec *d, const struct vec *s)
{
	if (d->ns < s->ns && vec_reserve(d, s->ns) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->ns; i++)
		d->s[i] = alloc_scalar_add(d->s[i], s->s[i]);
	return 0;
}

/* Scalars only: d -= s at a floor of 0. */
static inline void vec_sub_scalars(struct vec *d, const struct vec *s)
{
	uint32_t n = d->ns < s->ns ? d->ns : s->ns;

	for (uint32_t i = 0; i < n; i++)
		d->s[i] = d->s[i] > s->s[i] ? d->s[i] - s->s[i] : 0;
}

/* ---------------------------------------------------------------- arena */

struct arena_chunk;

struct arena {
	char *buf;
	size_t used, cap, peak;
	struct arena_chunk *extra; /* overflow chunks until the next reset */
};

void *arena_alloc(struct arena *ar, size_t n);
/* Forget everything allocated; the next cycle gets one buffer as large as the peak. */
void arena_reset(struct arena *ar);
void arena_free(struct arena *ar);

/*
 * ret = the scalars s[0..ns) plus the items of x, in name order: a view whose item array
 * is *buf (grown as needed, owned by the caller) and whose ranges and sets are x's.
 * Valid while x and *buf are; must not be given to alloc_res_clear. 0 or -ENOMEM.
 */
int vec_res_view(const struct alloc_names *nm, const int64_t *s, uint32_t ns,
		 const struct alloc_res *x, struct alloc_res_item **buf, size_t *cap,
		 struct alloc_res *ret);
/* ret = a copy of x in ar (same rules). */
int res_copy_arena(const struct alloc_res *x, struct arena *ar, struct alloc_res *ret);

#endif
