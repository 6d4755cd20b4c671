// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the `drover alloc simulate` scenario parser and simulator
 * (alloc/sim.c). Input is the scenario file as the CLI reads it. A scenario either runs
 * and returns the documented result shape, or is refused with a message.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <jansson.h>

#include "sim.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Counts above this make one run take seconds: the fuzzer looks for bugs, not load. */
static bool too_big(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_integer(j))
		return json_integer_value(j) > 64;
	if (json_is_real(j))
		return json_real_value(j) > 64;
	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			if (too_big(v))
				return true;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (too_big(v))
				return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[WIRE_ERR_LEN] = "";
	json_t *scenario, *out = NULL;
	int r;

	/* keep each run short: the simulator's work grows with the numbers, not the bytes */
	if (size > 4096)
		return 0;
	scenario = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!scenario)
		return 0;
	if (too_big(json_object_get(scenario, "agents")) ||
	    too_big(json_object_get(scenario, "frameworks")) ||
	    too_big(json_object_get(scenario, "max_cycles"))) {
		json_decref(scenario);
		return 0;
	}
	r = alloc_sim_run(scenario, &out, err, sizeof(err));
	if (r < 0) {
		if (!err[0] || out)
			abort();
	} else {
		if (!json_is_object(out) || !json_is_array(json_object_get(out, "frameworks")) ||
		    !json_is_array(json_object_get(out, "roles")) ||
		    !json_is_integer(json_object_get(out, "cycles")))
			abort();
	}
	json_decref(out);
	json_decref(scenario);
	return 0;
}
