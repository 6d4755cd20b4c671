// SPDX-License-Identifier: Apache-2.0
/* alloc/vec: interned resource names, dense resource vectors, the per-cycle arena. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

/* ---------------------------------------------------------------- names */

void names_init(struct alloc_names *nm)
{
	memset(nm, 0, sizeof(*nm));
	alloc_map_init(&nm->map, true);
}

void names_free(struct alloc_names *nm)
{
	for (uint32_t i = 0; i < nm->n; i++)
		free(nm->name[i]);
	free(nm->name);
	free(nm->sorted);
	free(nm->excluded);
	free(nm->types);
	free(nm->tmpl);
	alloc_map_free(&nm->map);
	memset(nm, 0, sizeof(*nm));
}

int names_find(const struct alloc_names *nm, const char *name)
{
	uintptr_t v = (uintptr_t)alloc_map_get_str(&nm->map, name);

	return v ? (int)(v - 1) : -1;
}

static int names_grow(struct alloc_names *nm)
{
	uint32_t cap = nm->cap ? nm->cap * 2 : 8;
	char **n = realloc(nm->name, cap * sizeof(*n));
	uint32_t *so;
	bool *ex;
	uint8_t *ty;
	struct alloc_res_item *it;

	if (!n)
		return -ENOMEM;
	nm->name = n;
	so = realloc(nm->sorted, cap * sizeof(*so));
	if (!so)
		return -ENOMEM;
	nm->sorted = so;
	ex = realloc(nm->excluded, cap * sizeof(*ex));
	if (!ex)
		return -ENOMEM;
	nm->excluded = ex;
	ty = realloc(nm->types, cap * sizeof(*ty));
	if (!ty)
		return -ENOMEM;
	nm->types = ty;
	it = realloc(nm->tmpl, cap * sizeof(*it));
	if (!it)
		return -ENOMEM;
	nm->tmpl = it;
	nm->cap = cap;
	return 0;
}

int names_id(struct alloc_names *nm, const char *name)
{
	int id = names_find(nm, name);
	uint32_t pos;
	char *copy;

	if (id >= 0)
		return id;
	if (nm->n == nm->cap && names_grow(nm) < 0)
		return -ENOMEM;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	if (alloc_map_put_str(&nm->map, copy, (void *)(uintptr_t)(nm->n + 1)) < 0) {
		free(copy);
		return -ENOMEM;
	}
	id = (int)nm->n++;
	nm->name[id] = copy;
	nm->excluded[id] = false;
	nm->types[id] = 0;
	memset(&nm->tmpl[id], 0, sizeof(nm->tmpl[id]));
	snprintf(nm->tmpl[id].name, sizeof(nm->tmpl[id].name), "%s", copy);
	nm->tmpl[id].type = ALLOC_RES_SCALAR;
	for (pos = 0; pos < (uint32_t)id && strcmp(nm->name[nm->sorted[pos]], copy) < 0; pos++)
		;
	memmove(&nm->sorted[pos + 1], &nm->sorted[pos], ((uint32_t)id - pos) * sizeof(uint32_t));
	nm->sorted[pos] = (uint32_t)id;
	return id;
}

/* Record that name was seen with type t; two types for one name make clashes possible. */
static int names_note(struct alloc_names *nm, const char *name, enum alloc_res_type t)
{
	int id = names_id(nm, name);

	if (id < 0)
		return id;
	nm->types[id] |= (uint8_t)(1u << t);
	if (nm->types[id] & (nm->types[id] - 1))
		nm->mixed = true;
	return id;
}

/* ---------------------------------------------------------------- vectors */

void vec_clear(struct vec *v)
{
	free(v->s);
	alloc_res_clear(&v->x);
	v->s = NULL;
	v->ns = 0;
}

void vec_zero(struct vec *v)
{
	if (v->ns)
		memset(v->s, 0, v->ns * sizeof(*v->s));
	if (v->x.n)
		alloc_res_clear(&v->x);
}

int vec_reserve(struct vec *v, uint32_t ns)
{
	uint32_t cap;
	int64_t *s;

	if (ns <= v->ns)
		return 0;
	cap = ns < 4 ? 4 : (ns + 3) & ~3u;
	s = realloc(v->s, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + v->ns, 0, (cap - v->ns) * sizeof(*s));
	v->s = s;
	v->ns = cap;
	return 0;
}

int vec_from_res(struct alloc_names *nm, struct vec *v, const struct alloc_res *r)
{
	int rc;

	vec_zero(v);
	for (size_t i = 0; i < r->n; i++) {
		const struct alloc_res_item *it = &r->items[i];
		int id = names_note(nm, it->name, it->type);

		if (id < 0)
			return id;
		if (it->type == ALLOC_RES_SCALAR) {
			if ((rc = vec_reserve(v, (uint32_t)id + 1)) < 0)
				return rc;
			v->s[id] = it->scalar;
		} else {
			/* a one-item view of r: alloc_res_add deep-copies it */
			struct alloc_res one = {1, 1, (struct alloc_res_item *)it};

			if ((rc = alloc_res_add(&v->x, &one)) < 0)
				return rc;
		}
	}
	return 0;
}

int vec_to_res(const struct alloc_names *nm, const struct vec *v, struct alloc_res *r)
{
	int rc;

	alloc_res_clear(r);
	for (uint32_t k = 0; k < nm->n; k++) {
		uint32_t id = nm->sorted[k];

		if (vec_get(v, id) > 0 && (rc = alloc_res_set_scalar(r, nm->name[id], v->s[id])) < 0)
			return rc;
	}
	return v->x.n ? alloc_res_add(r, &v->x) : 0;
}

int vec_copy(struct vec *d, const struct vec *s)
{
	int rc;

	if (d == s)
		return 0;
	if ((rc = vec_reserve(d, s->ns)) < 0)
		return rc;
	if (s->ns)
		memcpy(d->s, s->s, s->ns * sizeof(*s->s));
	if (d->ns > s->ns)
		memset(d->s + s->ns, 0, (d->ns - s->ns) * sizeof(*d->s));
	if (!s->x.n && !d->x.n)
		return 0;
	return alloc_res_copy(&d->x, &s->x);
}

bool vec_is_empty(const struct vec *v)
{
	if (v->x.n)
		return false;
	for (uint32_t i = 0; i < v->ns; i++)
		if (v->s[i])
			return false;
	return true;
}

bool vec_contains(const struct vec *a, const struct vec *b)
{
	for (uint32_t i = 0; i < b->ns; i++)
		if (b->s[i] > vec_get(a, i))
			return false;
	return !b->x.n || alloc_res_contains(&a->x, &b->x);
}

bool vec_clash(const struct alloc_names *nm, const struct vec *d, const struct vec *s)
{
	if (!nm->mixed)
		return false;
	for (size_t i = 0; i < s->x.n; i++)
		if (vec_get(d, (uint32_t)names_find(nm, s->x.items[i].name)) > 0)
			return true;
	for (size_t i = 0; i < d->x.n; i++)
		if (vec_get(s, (uint32_t)names_find(nm, d->x.items[i].name)) > 0)
			return true;
	return false;
}

int vec_sub(const struct alloc_names *nm, struct vec *d, const struct vec *s)
{
	if (vec_clash(nm, d, s))
		return -EINVAL;
	vec_sub_scalars(d, s);
	return s->x.n && d->x.n ? alloc_res_sub(&d->x, &s->x) : 0;
}

int vec_intersect(const struct vec *a, const struct vec *b, struct vec *ret)
{
	uint32_t n = a->ns < b->ns ? a->ns : b->ns;
	int rc;

	vec_zero(ret);
	if ((rc = vec_reserve(ret, n)) < 0)
		return rc;
	for (uint32_t i = 0; i < n; i++)
		ret->s[i] = a->s[i] < b->s[i] ? a->s[i] : b->s[i];
	return a->x.n && b->x.n ? alloc_res_intersect(&a->x, &b->x, &ret->x) : 0;
}

/* ---------------------------------------------------------------- arena */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

#define ARENA_CHUNK_MIN (64 * 1024)

void *arena_alloc(struct arena *ar, size_t n)
{
	struct arena_chunk *c = ar->extra;
	size_t need = (n + 15) & ~(size_t)15;
	void *p;

	ar->peak += need;
	if (ar->used + need <= ar->cap) {
		p = ar->buf + ar->used;
		ar->used += need;
		return p;
	}
	if (!c || c->used + need > c->cap) {
		size_t cap = need > ARENA_CHUNK_MIN ? need : ARENA_CHUNK_MIN;

		if (c && cap < c->cap * 2)
			cap = c->cap * 2;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = ar->extra;
		ar->extra = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

void arena_reset(struct arena *ar)
{
	bool grow = ar->extra != NULL;

	while (ar->extra) {
		struct arena_chunk *c = ar->extra;

		ar->extra = c->next;
		free(c);
	}
	if (grow) {
		size_t cap = ar->peak + ar->peak / 4 + 4096;
		char *b = malloc(cap);

		if (b) { /* else keep the old buffer: the next cycle overflows again */
			free(ar->buf);
			ar->buf = b;
			ar->cap = cap;
		}
	}
	ar->used = ar->peak = 0;
}

void arena_free(struct arena *ar)
{
	arena_reset(ar);
	free(ar->buf);
	memset(ar, 0, sizeof(*ar));
}

static int item_copy_arena(struct alloc_res_item *d, const struct alloc_res_item *s,
			   struct arena *ar)
{
	*d = *s;
	d->ranges = NULL;
	d->set = NULL;
	if (s->type == ALLOC_RES_RANGES) {
		d->ranges = arena_alloc(ar, s->n * sizeof(*s->ranges));
		if (!d->ranges)
			return -ENOMEM;
		memcpy(d->ranges, s->ranges, s->n * sizeof(*s->ranges));
	} else if (s->type == ALLOC_RES_SET) {
		d->set = arena_alloc(ar, s->n * sizeof(char *));
		if (!d->set)
			return -ENOMEM;
		for (size_t k = 0; k < s->n; k++) {
			size_t len = strlen(s->set[k]) + 1;

			d->set[k] = arena_alloc(ar, len);
			if (!d->set[k])
				return -ENOMEM;
			memcpy(d->set[k], s->set[k], len);
		}
	}
	return 0;
}

int res_copy_arena(const struct alloc_res *x, struct arena *ar, struct alloc_res *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!x->n)
		return 0;
	ret->items = arena_alloc(ar, x->n * sizeof(*ret->items));
	if (!ret->items)
		return -ENOMEM;
	for (size_t i = 0; i < x->n; i++)
		if (item_copy_arena(&ret->items[i], &x->items[i], ar) < 0)
			return -ENOMEM;
	ret->n = ret->cap = x->n;
	return 0;
}

int vec_res_view(const struct alloc_names *nm, const int64_t *s, uint32_t ns,
		 const struct alloc_res *x, struct alloc_res_item **buf, size_t *cap,
		 struct alloc_res *ret)
{
	size_t n = x->n, j = 0, o = 0;

	memset(ret, 0, sizeof(*ret));
	for (uint32_t i = 0; i < ns; i++)
		n += s[i] > 0;
	if (n > *cap) {
		struct alloc_res_item *b = realloc(*buf, n * sizeof(*b));

		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = n;
	}
	for (uint32_t k = 0; k < nm->n && o + (x->n - j) < n; k++) {
		uint32_t id = nm->sorted[k];
		struct alloc_res_item *it;

		if (id >= ns || s[id] <= 0)
			continue;
		while (j < x->n && strcmp(x->items[j].name, nm->name[id]) < 0)
			(*buf)[o++] = x->items[j++];
		it = &(*buf)[o++];
		*it = nm->tmpl[id];
		it->scalar = s[id];
	}
	while (j < x->n)
		(*buf)[o++] = x->items[j++];
	ret->items = *buf;
	ret->n = ret->cap = o;
	return 0;
}
