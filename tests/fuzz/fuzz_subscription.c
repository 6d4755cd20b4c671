// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: what an event stream does with its records (lib/subscription). The
 * input is a RecordIO stream; each record goes through subscription_deliver(): decoded,
 * dispatched by type to handlers that walk their payload, or reported as malformed: a
 * malformed record is reported once and handled never, a good one handled at most once
 * (not at all when the table lacks its type) and never reported.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recordio.h"
#include "subscription.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct count {
	unsigned long handled, malformed;
};

static void walk(json_t *payload, void *data)
{
	struct count *c = data;
	char *s = payload ? json_dumps(payload, JSON_COMPACT) : NULL;

	c->handled++;
	free(s);
}

static void on_malformed(const char *why, void *data)
{
	struct count *c = data;

	if (!why || !why[0])
		abort();
	c->malformed++;
}

static const struct subscription_ops ops = {
	.malformed = on_malformed,
	.handlers = {
		{"SUBSCRIBED", walk},
		{"OFFERS", walk},
		{"UPDATE", walk},
		{"LAUNCH", walk},
		{"KILL", walk},
		{"ERROR", walk},
		{"ACKNOWLEDGE", walk},
		{"RESCIND", walk},
	},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recordio_decoder d;
	struct subscription *sub;
	struct count c = {0};
	const char *rec;
	size_t len;

	if (subscription_new(NULL, &ops, &c, &sub) < 0)
		return 0;
	recordio_decoder_init(&d, 1 << 16);
	recordio_feed(&d, (const char *)data, size);
	while (recordio_next(&d, &rec, &len) > 0) {
		struct count before = c;
		int r = subscription_deliver(sub, rec, len);

		if (r < 0 && (c.malformed != before.malformed + 1 || c.handled != before.handled))
			abort(); /* reported once, handled never */
		if (r == 0 && (c.malformed != before.malformed || c.handled > before.handled + 1))
			abort(); /* handled at most once (unknown types: not at all), not reported */
		if (subscription_malformed_count(sub) != c.malformed)
			abort();
	}
	recordio_decoder_free(&d);
	subscription_free(sub);
	return 0;
}
