// SPDX-License-Identifier: Apache-2.0
/* alloc/resources: scalars (fixed point), ranges and sets; text and JSON forms; arithmetic. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resources.h"
#include "err.h"
#include "util.h"

void alloc_res_init(struct alloc_res *r)
{
	memset(r, 0, sizeof(*r));
}

static void item_free(struct alloc_res_item *it)
{
	if (it->type == ALLOC_RES_SET)
		for (size_t i = 0; i < it->n; i++)
			free(it->set[i]);
	free(it->ranges);
	free(it->set);
	it->ranges = NULL;
	it->set = NULL;
	it->n = 0;
}

void alloc_res_clear(struct alloc_res *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		item_free(&r->items[i]);
	free(r->items);
	alloc_res_init(r);
}

static int item_copy(struct alloc_res_item *dst, const struct alloc_res_item *src)
{
	*dst = *src;
	dst->ranges = NULL;
	dst->set = NULL;
	if (src->type == ALLOC_RES_RANGES) {
		dst->ranges = malloc(src->n * sizeof(*src->ranges));
		if (!dst->ranges)
			return -ENOMEM;
		memcpy(dst->ranges, src->ranges, src->n * sizeof(*src->ranges));
	} else if (src->type == ALLOC_RES_SET) {
		dst->set = calloc(src->n, sizeof(char *));
		if (!dst->set)
			return -ENOMEM;
		for (size_t i = 0; i < src->n; i++) {
			dst->set[i] = strdup(src->set[i]);
			if (!dst->set[i]) {
				dst->n = i;
				item_free(dst);
				return -ENOMEM;
			}
		}
	}
	return 0;
}

static int reserve(struct alloc_res *r, size_t n)
{
	struct alloc_res_item *p;
	size_t cap;

	if (n <= r->cap)
		return 0;
	cap = r->cap ? r->cap * 2 : 1; /* exact for the usual one- to four-item vectors */
	while (cap < n)
		cap *= 2;
	p = realloc(r->items, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->items = p;
	r->cap = cap;
	return 0;
}

int alloc_res_copy(struct alloc_res *dst, const struct alloc_res *src)
{
	int rc;

	if (dst == src)
		return 0;
	for (size_t i = 0; i < dst->n; i++)
		item_free(&dst->items[i]);
	dst->n = 0;
	rc = reserve(dst, src->n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < src->n; i++) {
		rc = item_copy(&dst->items[i], &src->items[i]);
		if (rc < 0)
			return rc;
		dst->n = i + 1;
	}
	return 0;
}

/* Index of name in r, or -(insertion point) - 1. */
static long find_idx(const struct alloc_res *r, const char *name)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(r->items[mid].name, name);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

/* find_idx for merges: both lists sorted, so scan on from the last position. */
static long find_from(const struct alloc_res *r, const char *name, size_t *cur)
{
	size_t i = *cur;
	int c = -1;

	while (i < r->n && (c = strcmp(r->items[i].name, name)) < 0)
		i++;
	*cur = i;
	return i < r->n && c == 0 ? (long)i : -(long)i - 1;
}

const struct alloc_res_item *alloc_res_find(const struct alloc_res *r, const char *name)
{
	long i = find_idx(r, name);

	return i >= 0 ? &r->items[i] : NULL;
}

int64_t alloc_res_scalar(const struct alloc_res *r, const char *name)
{
	const struct alloc_res_item *it = alloc_res_find(r, name);

	return it && it->type == ALLOC_RES_SCALAR ? it->scalar : 0;
}

static void remove_at(struct alloc_res *r, size_t i)
{
	item_free(&r->items[i]);
	memmove(&r->items[i], &r->items[i + 1], (r->n - i - 1) * sizeof(r->items[0]));
	r->n--;
}

/* Insert an empty item of the given name and type at the place name sorts; returns it. */
static struct alloc_res_item *insert_at(struct alloc_res *r, size_t pos, const char *name,
					enum alloc_res_type type)
{
	struct alloc_res_item *it;

	if (reserve(r, r->n + 1) < 0)
		return NULL;
	memmove(&r->items[pos + 1], &r->items[pos], (r->n - pos) * sizeof(r->items[0]));
	r->n++;
	it = &r->items[pos];
	memset(it, 0, sizeof(*it));
	strncpy(it->name, name, sizeof(it->name) - 1);
	it->type = type;
	return it;
}

int alloc_res_set_scalar(struct alloc_res *r, const char *name, int64_t milli)
{
	long i = find_idx(r, name);

	if (strlen(name) >= ALLOC_RES_NAME_MAX)
		return -EINVAL;
	if (i >= 0) {
		if (r->items[i].type != ALLOC_RES_SCALAR)
			return -EINVAL;
		if (milli <= 0)
			remove_at(r, (size_t)i);
		else
			r->items[i].scalar = milli;
		return 0;
	}
	if (milli <= 0)
		return 0;
	if (!insert_at(r, (size_t)(-i - 1), name, ALLOC_RES_SCALAR))
		return -ENOMEM;
	r->items[-i - 1].scalar = milli;
	return 0;
}

void alloc_res_only_scalars(struct alloc_res *r)
{
	size_t i = 0;

	while (i < r->n) {
		if (r->items[i].type != ALLOC_RES_SCALAR)
			remove_at(r, i);
		else
			i++;
	}
}

/* ---------------------------------------------------------------- ranges */

static int range_cmp(const void *a, const void *b)
{
	const struct alloc_range *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Sort and coalesce overlapping or adjacent ranges in place. */
static void ranges_normalize(struct alloc_range *r, size_t *n)
{
	size_t out = 0;

	if (*n == 0)
		return;
	qsort(r, *n, sizeof(*r), range_cmp);
	for (size_t i = 1; i < *n; i++) {
		if (r[i].begin <= r[out].end || r[i].begin == r[out].end + 1) {
			if (r[i].end > r[out].end)
				r[out].end = r[i].end;
		} else {
			r[++out] = r[i];
		}
	}
	*n = out + 1;
}

static int ranges_add(struct alloc_res_item *dst, const struct alloc_res_item *src)
{
	struct alloc_range *p = realloc(dst->ranges, (dst->n + src->n) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	memcpy(p + dst->n, src->ranges, src->n * sizeof(*p));
	dst->ranges = p;
	dst->n += src->n;
	ranges_normalize(dst->ranges, &dst->n);
	return 0;
}

/* dst -= src; both normalised. */
static int ranges_sub(struct alloc_res_item *dst, const struct alloc_res_item *src)
{
	/* each src range can split one dst range in two: at most dst->n + src->n pieces */
	struct alloc_range *out = malloc((dst->n + src->n + 1) * sizeof(*out));
	size_t n = 0, j = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < dst->n; i++) {
		uint64_t b = dst->ranges[i].begin, e = dst->ranges[i].end;
		bool alive = true;

		while (j < src->n && src->ranges[j].end < b)
			j++;
		for (size_t k = j; k < src->n && src->ranges[k].begin <= e; k++) {
			const struct alloc_range *s = &src->ranges[k];

			if (s->begin > b)
				out[n++] = (struct alloc_range){b, s->begin - 1};
			if (s->end >= e) {
				alive = false;
				break;
			}
			b = s->end + 1;
		}
		if (alive)
			out[n++] = (struct alloc_range){b, e};
	}
	free(dst->ranges);
	dst->ranges = out;
	dst->n = n;
	return 0;
}

static bool ranges_contain(const struct alloc_res_item *a, const struct alloc_res_item *b)
{
	size_t i = 0;

	for (size_t j = 0; j < b->n; j++) {
		while (i < a->n && a->ranges[i].end < b->ranges[j].begin)
			i++;
		if (i == a->n || a->ranges[i].begin > b->ranges[j].begin ||
		    a->ranges[i].end < b->ranges[j].end)
			return false;
	}
	return true;
}

static int ranges_intersect(const struct alloc_res_item *a, const struct alloc_res_item *b,
			    struct alloc_res_item *out)
{
	size_t i = 0, j = 0;

	out->ranges = malloc((a->n + b->n + 1) * sizeof(*out->ranges));
	if (!out->ranges)
		return -ENOMEM;
	out->n = 0;
	while (i < a->n && j < b->n) {
		uint64_t lo = a->ranges[i].begin > b->ranges[j].begin ? a->ranges[i].begin
								    : b->ranges[j].begin;
		uint64_t hi = a->ranges[i].end < b->ranges[j].end ? a->ranges[i].end
								: b->ranges[j].end;

		if (lo <= hi)
			out->ranges[out->n++] = (struct alloc_range){lo, hi};
		if (a->ranges[i].end < b->ranges[j].end)
			i++;
		else
			j++;
	}
	return 0;
}

/* ---------------------------------------------------------------- sets */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool set_has(const struct alloc_res_item *it, const char *s)
{
	return bsearch(&s, it->set, it->n, sizeof(char *), str_cmp) != NULL;
}

static int set_add(struct alloc_res_item *dst, const struct alloc_res_item *src)
{
	char **p = realloc(dst->set, (dst->n + src->n) * sizeof(char *));
	size_t n = dst->n;

	if (!p)
		return -ENOMEM;
	dst->set = p;
	for (size_t i = 0; i < src->n; i++) {
		if (set_has(dst, src->set[i]))
			continue;
		p[n] = strdup(src->set[i]);
		if (!p[n])
			return -ENOMEM;
		n++;
	}
	dst->n = n;
	qsort(dst->set, dst->n, sizeof(char *), str_cmp);
	return 0;
}

static void set_sub(struct alloc_res_item *dst, const struct alloc_res_item *src)
{
	size_t n = 0;

	for (size_t i = 0; i < dst->n; i++) {
		if (set_has(src, dst->set[i]))
			free(dst->set[i]);
		else
			dst->set[n++] = dst->set[i];
	}
	dst->n = n;
}

static bool set_contains(const struct alloc_res_item *a, const struct alloc_res_item *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (!set_has(a, b->set[i]))
			return false;
	return true;
}

/* ---------------------------------------------------------------- arithmetic */

int alloc_res_add(struct alloc_res *dst, const struct alloc_res *src)
{
	size_t cur = 0;

	for (size_t k = 0; k < src->n; k++) {
		const struct alloc_res_item *s = &src->items[k];
		long i = find_from(dst, s->name, &cur);
		struct alloc_res_item *d;
		int rc;

		if (i < 0) {
			d = insert_at(dst, (size_t)(-i - 1), s->name, s->type);
			if (!d)
				return -ENOMEM;
			rc = item_copy(d, s);
			if (rc < 0) {
				d->n = 0;
				remove_at(dst, (size_t)(-i - 1));
				return rc;
			}
			continue;
		}
		d = &dst->items[i];
		if (d->type != s->type)
			return -EINVAL;
		switch (s->type) {
		case ALLOC_RES_SCALAR:
			d->scalar = alloc_scalar_add(d->scalar, s->scalar);
			break;
		case ALLOC_RES_RANGES:
			rc = ranges_add(d, s);
			if (rc < 0)
				return rc;
			break;
		case ALLOC_RES_SET:
			rc = set_add(d, s);
			if (rc < 0)
				return rc;
			break;
		}
	}
	return 0;
}

int alloc_res_sub(struct alloc_res *dst, const struct alloc_res *src)
{
	size_t cur = 0;

	for (size_t k = 0; k < src->n; k++) {
		const struct alloc_res_item *s = &src->items[k];
		long i = find_from(dst, s->name, &cur);
		struct alloc_res_item *d;
		int rc;

		if (i < 0)
			continue;
		d = &dst->items[i];
		if (d->type != s->type)
			return -EINVAL;
		switch (s->type) {
		case ALLOC_RES_SCALAR:
			d->scalar -= s->scalar;
			if (d->scalar <= 0)
				remove_at(dst, (size_t)i);
			continue;
		case ALLOC_RES_RANGES:
			rc = ranges_sub(d, s);
			if (rc < 0)
				return rc;
			break;
		case ALLOC_RES_SET:
			set_sub(d, s);
			break;
		}
		if (d->n == 0)
			remove_at(dst, (size_t)i);
	}
	return 0;
}

static bool item_contains(const struct alloc_res_item *a, const struct alloc_res_item *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case ALLOC_RES_SCALAR:
		return a->scalar >= b->scalar;
	case ALLOC_RES_RANGES:
		return ranges_contain(a, b);
	case ALLOC_RES_SET:
		return set_contains(a, b);
	}
	return false;
}

bool alloc_res_contains(const struct alloc_res *a, const struct alloc_res *b)
{
	size_t i = 0;

	/* both sorted by name: one merge pass */
	for (size_t j = 0; j < b->n; j++) {
		int c = 1;

		while (i < a->n && (c = strcmp(a->items[i].name, b->items[j].name)) < 0)
			i++;
		if (i == a->n || c != 0 || !item_contains(&a->items[i], &b->items[j]))
			return false;
	}
	return true;
}

bool alloc_res_equal(const struct alloc_res *a, const struct alloc_res *b)
{
	return a->n == b->n && alloc_res_contains(a, b) && alloc_res_contains(b, a);
}

int alloc_res_intersect(const struct alloc_res *a, const struct alloc_res *b,
			struct alloc_res *ret)
{
	alloc_res_clear(ret);
	for (size_t i = 0; i < a->n; i++) {
		const struct alloc_res_item *x = &a->items[i];
		const struct alloc_res_item *y = alloc_res_find(b, x->name);
		struct alloc_res_item *o;
		int rc;

		if (!y || y->type != x->type)
			continue;
		o = insert_at(ret, ret->n, x->name, x->type);
		if (!o)
			return -ENOMEM;
		switch (x->type) {
		case ALLOC_RES_SCALAR:
			o->scalar = x->scalar < y->scalar ? x->scalar : y->scalar;
			if (o->scalar <= 0)
				remove_at(ret, ret->n - 1);
			continue;
		case ALLOC_RES_RANGES:
			rc = ranges_intersect(x, y, o);
			if (rc < 0)
				return rc;
			break;
		case ALLOC_RES_SET:
			o->set = malloc((x->n + 1) * sizeof(char *));
			if (!o->set)
				return -ENOMEM;
			for (size_t k = 0; k < x->n; k++) {
				if (!set_has(y, x->set[k]))
					continue;
				o->set[o->n] = strdup(x->set[k]);
				if (!o->set[o->n])
					return -ENOMEM;
				o->n++;
			}
			break;
		}
		if (o->n == 0)
			remove_at(ret, ret->n - 1);
	}
	return 0;
}

/* ---------------------------------------------------------------- parsing */

static int check_name(const char *name, char *err, size_t errlen)
{
	if (!*name)
		return alloc_fail(err, errlen, "empty resource name");
	if (strlen(name) >= ALLOC_RES_NAME_MAX)
		return alloc_fail(err, errlen, "resource name '%.20s...' too long (max %d)", name,
				  ALLOC_RES_NAME_MAX - 1);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return alloc_fail(err, errlen, "bad character '%c' in resource name '%s'", *p,
					  name);
	return 0;
}

static int scalar_from_double(const char *name, double v, int64_t *ret, char *err,
			      size_t errlen)
{
	if (isnan(v))
		return alloc_fail(err, errlen, "resource '%s': value is NaN", name);
	if (isinf(v))
		return alloc_fail(err, errlen, "resource '%s': value is infinite", name);
	if (v < 0)
		return alloc_fail(err, errlen, "resource '%s': negative value %g", name, v);
	if (v > ALLOC_SCALAR_MAX)
		return alloc_fail(err, errlen, "resource '%s': value %g too large", name, v);
	*ret = llround(v * ALLOC_SCALAR_UNIT);
	return 0;
}

/* Add a freshly built item (taken over) to r, refusing duplicates. */
static int put_item(struct alloc_res *r, struct alloc_res_item *it, char *err, size_t errlen)
{
	long i = find_idx(r, it->name);
	struct alloc_res_item *d;

	if (i >= 0) {
		int rc = alloc_fail(err, errlen, "duplicate resource '%s'", it->name);

		item_free(it);
		return rc;
	}
	/* zero scalars and empty ranges/sets are dropped (normalised form) */
	if ((it->type == ALLOC_RES_SCALAR && it->scalar == 0) ||
	    (it->type != ALLOC_RES_SCALAR && it->n == 0)) {
		item_free(it);
		return 0;
	}
	d = insert_at(r, (size_t)(-i - 1), it->name, it->type);
	if (!d) {
		item_free(it);
		return -ENOMEM;
	}
	*d = *it;
	return 0;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return p;
}

static int parse_u64(const char *name, const char **pp, uint64_t *ret, char *err, size_t errlen)
{
	const char *p = skip_ws(*pp);
	char *end;
	unsigned long long v;

	if (*p < '0' || *p > '9')
		return alloc_fail(err, errlen, "resource '%s': expected a number at '%.16s'", name, p);
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno == ERANGE)
		return alloc_fail(err, errlen, "resource '%s': range bound overflows at '%.24s'", name, p);
	*ret = v;
	*pp = skip_ws(end);
	return 0;
}

static int parse_ranges(struct alloc_res_item *it, const char **pp, char *err, size_t errlen)
{
	const char *p = *pp + 1; /* after '[' */
	size_t cap = 0;
	int rc;

	p = skip_ws(p);
	while (*p != ']') {
		struct alloc_range r;

		rc = parse_u64(it->name, &p, &r.begin, err, errlen);
		if (rc < 0)
			return rc;
		if (*p != '-')
			return alloc_fail(err, errlen, "resource '%s': expected '-' in range at '%.16s'",
					  it->name, p);
		p++;
		rc = parse_u64(it->name, &p, &r.end, err, errlen);
		if (rc < 0)
			return rc;
		if (r.begin > r.end)
			return alloc_fail(err, errlen, "resource '%s': range %llu-%llu has begin > end",
					  it->name, (unsigned long long)r.begin,
					  (unsigned long long)r.end);
		if (it->n == cap) {
			struct alloc_range *n;

			cap = cap ? cap * 2 : 4;
			n = realloc(it->ranges, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			it->ranges = n;
		}
		it->ranges[it->n++] = r;
		if (*p == ',' && *skip_ws(p + 1) == ']')
			return alloc_fail(err, errlen, "resource '%s': empty range after ','", it->name);
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p != ']')
			return alloc_fail(err, errlen, "resource '%s': expected ',' or ']' at '%.16s'",
					  it->name, p);
	}
	ranges_normalize(it->ranges, &it->n);
	*pp = p + 1;
	return 0;
}

/*
 * A set item must survive the text form: no separators of that form, no control
 * characters (NUL included), no leading or trailing blanks.
 */
static bool set_item_ok(const char *s, size_t len)
{
	if (len == 0 || s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || strchr(",;:{}[]", c))
			return false;
	}
	return true;
}

static int parse_set(struct alloc_res_item *it, const char **pp, char *err, size_t errlen)
{
	const char *p = skip_ws(*pp + 1);

	while (*p != '}') {
		const char *s = p;
		char **n;
		size_t len;

		while (*p && *p != ',' && *p != '}' && *p != ';')
			p++;
		len = (size_t)(p - s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (*p != ',' && *p != '}')
			return alloc_fail(err, errlen, "resource '%s': unterminated set", it->name);
		if (len == 0)
			return alloc_fail(err, errlen, "resource '%s': empty set item", it->name);
		if (!set_item_ok(s, len))
			return alloc_fail(err, errlen,
					  "resource '%s': set item '%.*s' has a control character "
					  "or one of :[]",
					  it->name, (int)len, s);
		n = realloc(it->set, (it->n + 1) * sizeof(char *));
		if (!n)
			return -ENOMEM;
		it->set = n;
		it->set[it->n] = strndup(s, len);
		if (!it->set[it->n])
			return -ENOMEM;
		it->n++;
		if (*p == ',') {
			p = skip_ws(p + 1);
			if (*p == '}')
				return alloc_fail(err, errlen, "resource '%s': empty set item", it->name);
		}
	}
	if (it->n > 1)
		qsort(it->set, it->n, sizeof(char *), str_cmp);
	for (size_t i = 1; i < it->n; i++)
		if (streq(it->set[i - 1], it->set[i]))
			return alloc_fail(err, errlen, "resource '%s': duplicate set item '%s'", it->name,
					  it->set[i]);
	*pp = p + 1;
	return 0;
}

static int parse_one(const char **pp, struct alloc_res *r, char *err, size_t errlen)
{
	struct alloc_res_item it = {0};
	const char *p = skip_ws(*pp), *s = p;
	size_t len;
	int rc;

	while (*p && *p != ':' && *p != ';')
		p++;
	len = (size_t)(p - s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (*p != ':')
		return alloc_fail(err, errlen, "expected 'name:value' at '%.*s'", (int)(len > 32 ? 32 : len), s);
	if (len >= ALLOC_RES_NAME_MAX)
		return alloc_fail(err, errlen, "resource name '%.20s...' too long (max %d)", s,
				  ALLOC_RES_NAME_MAX - 1);
	memcpy(it.name, s, len);
	rc = check_name(it.name, err, errlen);
	if (rc < 0)
		return rc;
	p = skip_ws(p + 1);
	if (*p == '[') {
		it.type = ALLOC_RES_RANGES;
		rc = parse_ranges(&it, &p, err, errlen);
	} else if (*p == '{') {
		it.type = ALLOC_RES_SET;
		rc = parse_set(&it, &p, err, errlen);
	} else {
		char *end;
		double v;

		it.type = ALLOC_RES_SCALAR;
		if (!*p || *p == ';')
			return alloc_fail(err, errlen, "resource '%s': missing value", it.name);
		v = strtod(p, &end);
		if (end == p)
			return alloc_fail(err, errlen, "resource '%s': '%.16s' is not a number", it.name, p);
		p = end;
		rc = scalar_from_double(it.name, v, &it.scalar, err, errlen);
	}
	if (rc < 0) {
		item_free(&it);
		return rc;
	}
	p = skip_ws(p);
	if (*p && *p != ';') {
		item_free(&it);
		return alloc_fail(err, errlen, "resource '%s': trailing garbage '%.16s'", it.name, p);
	}
	*pp = p;
	return put_item(r, &it, err, errlen);
}

int alloc_res_parse(const char *text, struct alloc_res *ret, char *err, size_t errlen)
{
	struct alloc_res r = ALLOC_RES_INIT;
	const char *p = text;
	int rc;

	if (!text)
		return alloc_fail(err, errlen, "no resources given");
	p = skip_ws(p);
	while (*p) {
		rc = parse_one(&p, &r, err, errlen);
		if (rc < 0) {
			alloc_res_clear(&r);
			return rc;
		}
		if (*p == ';')
			p = skip_ws(p + 1);
	}
	alloc_res_clear(ret);
	*ret = r;
	return 0;
}

static int json_u64(const json_t *j, const char *name, const char *field, uint64_t *ret,
		    char *err, size_t errlen)
{
	json_t *v = json_object_get(j, field);

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*ret = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d >= 0 && d < 18446744073709551616.0 && d == floor(d)) {
			*ret = (uint64_t)d;
			return 0;
		}
	}
	return alloc_fail(err, errlen, "resource '%s': range '%s' missing or not a non-negative integer",
			  name, field);
}

static int json_item(const json_t *o, struct alloc_res_item *it, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *type = json_string_value(json_object_get(o, "type"));
	int rc;

	if (!json_is_object(o))
		return alloc_fail(err, errlen, "resource is not an object");
	if (!name)
		return alloc_fail(err, errlen, "resource without a 'name'");
	rc = check_name(name, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(it->name, sizeof(it->name), "%s", name);
	if (!type)
		return alloc_fail(err, errlen, "resource '%s': missing 'type'", name);
	if (streq(type, "SCALAR")) {
		json_t *v = json_object_get(json_object_get(o, "scalar"), "value");

		it->type = ALLOC_RES_SCALAR;
		if (!json_is_number(v))
			return alloc_fail(err, errlen, "resource '%s': 'scalar.value' missing or not a number",
					  name);
		return scalar_from_double(name, json_number_value(v), &it->scalar, err, errlen);
	}
	if (streq(type, "RANGES")) {
		json_t *arr = json_object_get(json_object_get(o, "ranges"), "range");
		size_t i;
		json_t *r;

		it->type = ALLOC_RES_RANGES;
		if (!json_is_array(arr))
			return alloc_fail(err, errlen, "resource '%s': 'ranges.range' missing or not an array",
					  name);
		it->ranges = calloc(json_array_size(arr) + 1, sizeof(*it->ranges));
		if (!it->ranges)
			return -ENOMEM;
		json_array_foreach(arr, i, r) {
			struct alloc_range g;

			rc = json_u64(r, name, "begin", &g.begin, err, errlen);
			if (rc == 0)
				rc = json_u64(r, name, "end", &g.end, err, errlen);
			if (rc < 0)
				return rc;
			if (g.begin > g.end)
				return alloc_fail(err, errlen, "resource '%s': range %llu-%llu has begin > end",
						  name, (unsigned long long)g.begin,
						  (unsigned long long)g.end);
			it->ranges[it->n++] = g;
		}
		ranges_normalize(it->ranges, &it->n);
		return 0;
	}
	if (streq(type, "SET")) {
		json_t *arr = json_object_get(json_object_get(o, "set"), "item");
		size_t i;
		json_t *s;

		it->type = ALLOC_RES_SET;
		if (!json_is_array(arr))
			return alloc_fail(err, errlen, "resource '%s': 'set.item' missing or not an array",
					  name);
		it->set = calloc(json_array_size(arr) + 1, sizeof(char *));
		if (!it->set)
			return -ENOMEM;
		json_array_foreach(arr, i, s) {
			if (!json_is_string(s) || !*json_string_value(s))
				return alloc_fail(err, errlen, "resource '%s': set item %zu is not a non-empty string",
						  name, i);
			if (!set_item_ok(json_string_value(s), json_string_length(s)))
				return alloc_fail(err, errlen,
						  "resource '%s': set item %zu has a control "
						  "character, surrounding blanks or one of ,;:{}[]",
						  name, i);
			it->set[it->n] = strdup(json_string_value(s));
			if (!it->set[it->n])
				return -ENOMEM;
			it->n++;
		}
		qsort(it->set, it->n, sizeof(char *), str_cmp);
		for (i = 1; i < it->n; i++)
			if (streq(it->set[i - 1], it->set[i]))
				return alloc_fail(err, errlen, "resource '%s': duplicate set item '%s'",
						  name, it->set[i]);
		return 0;
	}
	return alloc_fail(err, errlen, "resource '%s': unknown type '%s'", name, type);
}

int alloc_res_from_json(const json_t *j, struct alloc_res *ret, char *err, size_t errlen)
{
	struct alloc_res r = ALLOC_RES_INIT;
	size_t i;
	json_t *o;
	int rc;

	if (!json_is_array(j))
		return alloc_fail(err, errlen, "resources must be a JSON array");
	json_array_foreach(j, i, o) {
		struct alloc_res_item it = {0};

		rc = json_item(o, &it, err, errlen);
		if (rc == 0)
			rc = put_item(&r, &it, err, errlen);
		else
			item_free(&it);
		if (rc < 0) {
			alloc_res_clear(&r);
			return rc;
		}
	}
	alloc_res_clear(ret);
	*ret = r;
	return 0;
}

json_t *alloc_res_to_json(const struct alloc_res *r)
{
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		const struct alloc_res_item *it = &r->items[i];
		json_t *o = NULL, *l;

		switch (it->type) {
		case ALLOC_RES_SCALAR:
			o = json_pack("{s:s,s:s,s:{s:f}}", "name", it->name, "type", "SCALAR",
				      "scalar", "value", (double)it->scalar / ALLOC_SCALAR_UNIT);
			break;
		case ALLOC_RES_RANGES:
			l = json_array();
			for (size_t k = 0; l && k < it->n; k++)
				json_array_append_new(l, json_pack("{s:I,s:I}", "begin",
								   (json_int_t)it->ranges[k].begin,
								   "end",
								   (json_int_t)it->ranges[k].end));
			o = json_pack("{s:s,s:s,s:{s:o}}", "name", it->name, "type", "RANGES",
				      "ranges", "range", l);
			break;
		case ALLOC_RES_SET:
			l = json_array();
			for (size_t k = 0; l && k < it->n; k++)
				json_array_append_new(l, json_string(it->set[k]));
			o = json_pack("{s:s,s:s,s:{s:o}}", "name", it->name, "type", "SET", "set",
				      "item", l);
			break;
		}
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* snprintf that keeps a running offset even when the buffer is full. */
#define APPEND(...)                                                                 \
	do {                                                                        \
		int n_ = snprintf(buf + (off < len ? off : len), off < len ? len - off : 0, \
				  __VA_ARGS__);                                     \
		if (n_ > 0)                                                         \
			off += (size_t)n_;                                          \
	} while (0)

size_t alloc_res_format(const struct alloc_res *r, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		const struct alloc_res_item *it = &r->items[i];

		APPEND("%s%s:", i ? ";" : "", it->name);
		switch (it->type) {
		case ALLOC_RES_SCALAR: {
			int64_t v = it->scalar, ip = v / ALLOC_SCALAR_UNIT,
				fp = v % ALLOC_SCALAR_UNIT;

			if (fp == 0)
				APPEND("%lld", (long long)ip);
			else if (fp % 100 == 0)
				APPEND("%lld.%01lld", (long long)ip, (long long)(fp / 100));
			else if (fp % 10 == 0)
				APPEND("%lld.%02lld", (long long)ip, (long long)(fp / 10));
			else
				APPEND("%lld.%03lld", (long long)ip, (long long)fp);
			break;
		}
		case ALLOC_RES_RANGES:
			APPEND("[");
			for (size_t k = 0; k < it->n; k++)
				APPEND("%s%llu-%llu", k ? "," : "",
				       (unsigned long long)it->ranges[k].begin,
				       (unsigned long long)it->ranges[k].end);
			APPEND("]");
			break;
		case ALLOC_RES_SET:
			APPEND("{");
			for (size_t k = 0; k < it->n; k++)
				APPEND("%s%s", k ? "," : "", it->set[k]);
			APPEND("}");
			break;
		}
	}
	return off;
}

/* ---------------------------------------------------------------- Mesos's legacy JSON model */

/* Mesos's text of ranges ("[31000-32000, 33000-33001]") or of a set ("{a, b}"). */
static json_t *item_text(const struct alloc_res_item *it)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *j;

	if (!f)
		return NULL;
	fputc(it->type == ALLOC_RES_RANGES ? '[' : '{', f);
	for (size_t i = 0; i < it->n; i++) {
		if (i)
			fputs(", ", f);
		if (it->type == ALLOC_RES_RANGES)
			fprintf(f, "%llu-%llu", (unsigned long long)it->ranges[i].begin,
				(unsigned long long)it->ranges[i].end);
		else
			fputs(it->set[i], f);
	}
	fputc(it->type == ALLOC_RES_RANGES ? ']' : '}', f);
	fclose(f);
	j = json_stringn(buf, len);
	free(buf);
	return j;
}

json_t *alloc_res_to_legacy_json(const struct alloc_res *r)
{
	json_t *j = json_pack("{s:f,s:f,s:f,s:f}", "cpus", 0.0, "gpus", 0.0, "mem", 0.0, "disk",
			      0.0);

	for (size_t i = 0; j && r && i < r->n; i++) {
		const struct alloc_res_item *it = &r->items[i];
		json_object_set_new(j, it->name,
				    it->type == ALLOC_RES_SCALAR ?
					    json_real((double)it->scalar / ALLOC_SCALAR_UNIT) :
					    item_text(it));
	}
	return j;
}

json_t *alloc_attributes_to_legacy_json(const json_t *attrs)
{
	json_t *j = json_object(), *a;
	size_t i;

	json_array_foreach(attrs, i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));
		const char *type = json_string_value(json_object_get(a, "type"));
		json_t *v = NULL;

		if (!name || !type)
			continue;
		if (strcmp(type, "SCALAR") == 0) {
			v = json_real(json_number_value(
				json_object_get(json_object_get(a, "scalar"), "value")));
		} else if (strcmp(type, "TEXT") == 0) {
			v = json_incref(json_object_get(json_object_get(a, "text"), "value"));
		} else {
			/* RANGES and SET: the resource model's text, through a one-item vector */
			json_t *res = json_pack("[{s:s,s:s,s:O*,s:O*}]", "name", name, "type", type,
						"ranges", json_object_get(a, "ranges"), "set",
						json_object_get(a, "set"));
			struct alloc_res r = ALLOC_RES_INIT;
			char err[128];
			if (res && alloc_res_from_json(res, &r, err, sizeof(err)) == 0 && r.n == 1)
				v = item_text(&r.items[0]);
			alloc_res_clear(&r);
			json_decref(res);
		}
		if (v)
			json_object_set_new(j, name, v);
	}
	return j;
}
