// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the resource parsers (Mesos text form and JSON form). Whatever
 * parses must print to a text form that parses back to an equal vector, and the
 * arithmetic on it must keep its invariants (a + a contains a; for scalars (a + a) - a == a).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "resources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct alloc_res *a)
{
	struct alloc_res back = ALLOC_RES_INIT, sum = ALLOC_RES_INIT;
	char text[8192], err[256];
	size_t need = alloc_res_format(a, text, sizeof(text));

	if (need < sizeof(text)) {
		if (alloc_res_parse(text, &back, err, sizeof(err)) < 0 || !alloc_res_equal(a, &back))
			abort();
	}
	/* scalars add and subtract exactly (fixed point); ranges and sets are unions */
	if (alloc_res_copy(&sum, a) == 0) {
		struct alloc_res sc = ALLOC_RES_INIT;
		alloc_res_copy(&sc, a);
		alloc_res_only_scalars(&sc);
		if (alloc_res_add(&sum, a) < 0 || !alloc_res_contains(&sum, a))
			abort();
		alloc_res_clear(&sum);
		alloc_res_copy(&sum, &sc);
		alloc_res_add(&sum, &sc);
		alloc_res_sub(&sum, &sc);
		if (!alloc_res_equal(&sum, &sc))
			abort();
		alloc_res_clear(&sc);
	}
	alloc_res_clear(&back);
	alloc_res_clear(&sum);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alloc_res r = ALLOC_RES_INIT;
	char *s = malloc(size + 1), err[256];
	json_t *j;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (alloc_res_parse(s, &r, err, sizeof(err)) == 0)
		check(&r);
	alloc_res_clear(&r);
	j = json_loadb((const char *)data, size, 0, NULL);
	if (j && alloc_res_from_json(j, &r, err, sizeof(err)) == 0) {
		json_t *back = alloc_res_to_json(&r);
		struct alloc_res r2 = ALLOC_RES_INIT;
		if (!back || alloc_res_from_json(back, &r2, err, sizeof(err)) < 0 ||
		    !alloc_res_equal(&r, &r2))
			abort();
		check(&r);
		alloc_res_clear(&r2);
		json_decref(back);
	}
	alloc_res_clear(&r);
	json_decref(j);
	free(s);
	return 0;
}
