/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc/resources: the resource model. A resource vector is a list of named items kept
 * sorted by name, each a scalar (fixed point, 3 decimals, as Mesos), a set of ranges
 * (ports) or a set of strings. Vectors are normalised: no zero scalar, no empty range or
 * set item, ranges sorted and coalesced, set items sorted and unique.
 *
 * Text form (Mesos): "cpus:4;mem:4096;ports:[31000-32000,33000-33100];zones:{a,b}".
 * JSON form (Mesos v1): [{"name":"cpus","type":"SCALAR","scalar":{"value":4}},
 * {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":2}]}},
 * {"name":"zones","type":"SET","set":{"item":["a","b"]}}].
 *
 * Ownership: a struct alloc_res owns its items and everything they point to; free with
 * alloc_res_clear() (which accepts a zeroed struct). Copy with alloc_res_copy().
 */
#ifndef DROVER_ALLOC_RESOURCES_H
#define DROVER_ALLOC_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define ALLOC_RES_NAME_MAX 48 /* longest name + 1 */
#define ALLOC_SCALAR_UNIT 1000 /* fixed point: milli-units */
#define ALLOC_SCALAR_MAX 1e15 /* largest scalar accepted (in units) */

enum alloc_res_type { ALLOC_RES_SCALAR, ALLOC_RES_RANGES, ALLOC_RES_SET };

/*
 * a + b of two scalars in milli-units (both >= 0), at most INT64_MAX: one scalar is at most
 * 1e18 milli-units, so ten agents of 1e15 cpus already add up past int64. Every sum of
 * scalars in alloc/ (cluster totals, allocations, quotas, offers) goes through here; a
 * saturated total only makes shares smaller, never negative.
 */
static inline int64_t alloc_scalar_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

struct alloc_range {
	uint64_t begin, end; /* inclusive */
};

struct alloc_res_item {
	char name[ALLOC_RES_NAME_MAX];
	enum alloc_res_type type;
	int64_t scalar;              /* SCALAR: value × 1000 */
	size_t n;                    /* RANGES/SET: number of ranges or strings */
	struct alloc_range *ranges;  /* RANGES: sorted, disjoint, not adjacent */
	char **set;                  /* SET: sorted, unique, owned */
};

struct alloc_res {
	size_t n, cap;
	struct alloc_res_item *items; /* sorted by name */
};

#define ALLOC_RES_INIT {0, 0, NULL}

void alloc_res_init(struct alloc_res *r);
/* Free everything r owns and leave it empty (reusable). NULL-safe. */
void alloc_res_clear(struct alloc_res *r);
/* Replace dst's contents by a deep copy of src. 0 or -ENOMEM. */
int alloc_res_copy(struct alloc_res *dst, const struct alloc_res *src);

/* Parse the text form. On error returns -EINVAL with a message naming the problem. */
int alloc_res_parse(const char *text, struct alloc_res *ret, char *err, size_t errlen);
/* Parse the Mesos JSON form (an array of Resource objects). */
int alloc_res_from_json(const json_t *j, struct alloc_res *ret, char *err, size_t errlen);
/* New JSON array (caller owns the reference), NULL on ENOMEM. */
json_t *alloc_res_to_json(const struct alloc_res *r);
/* Text form into buf (always NUL-terminated); returns the length it needed. */
size_t alloc_res_format(const struct alloc_res *r, char *buf, size_t len);

/* dst += src. 0 or -ENOMEM, -EINVAL on a type clash for one name. */
int alloc_res_add(struct alloc_res *dst, const struct alloc_res *src);
/* dst -= src, saturating: scalars stop at 0, ranges and sets lose what src has. */
int alloc_res_sub(struct alloc_res *dst, const struct alloc_res *src);
/* True when every item of b is within a. */
bool alloc_res_contains(const struct alloc_res *a, const struct alloc_res *b);
/* ret = a ∩ b (ret must not alias a or b). */
int alloc_res_intersect(const struct alloc_res *a, const struct alloc_res *b,
			struct alloc_res *ret);
bool alloc_res_equal(const struct alloc_res *a, const struct alloc_res *b);
static inline bool alloc_res_is_empty(const struct alloc_res *r)
{
	return r->n == 0;
}

/* The item called name, or NULL. */
const struct alloc_res_item *alloc_res_find(const struct alloc_res *r, const char *name);
/* Scalar value of name in milli-units (0 when absent or not a scalar). */
int64_t alloc_res_scalar(const struct alloc_res *r, const char *name);
/* Set scalar name to milli (removing it when milli <= 0). 0, -ENOMEM or -EINVAL. */
int alloc_res_set_scalar(struct alloc_res *r, const char *name, int64_t milli);
/* Keep only the scalar items. */
void alloc_res_only_scalars(struct alloc_res *r);

/*
 * Mesos's legacy JSON model (/master/state, the agent's /state): a flat object, "cpus",
 * "gpus", "mem" and "disk" always there (0.0), scalars as numbers, ranges as
 * "[31000-32000, 33000-33001]", sets as "{a, b}". New object, NULL on ENOMEM.
 */
json_t *alloc_res_to_legacy_json(const struct alloc_res *r);
/* v1 Attributes (an array) in the same model: {"name": number or text}. */
json_t *alloc_attributes_to_legacy_json(const json_t *attrs);

#endif
