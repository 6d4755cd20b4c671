// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: lib/diskname. The input is two IDs (split where the first byte says);
 * for both flag sets each valid ID's name must be path-safe (1..255 bytes, not hidden, no
 * '/', NUL or control), an unhashed name must decode back to its ID, and two different
 * IDs must get two different names (injective); an invalid ID gets none.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diskname.h"
#include "id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool path_safe(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > DISK_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f ||
		    name[i] == '/' || name[i] == '\\')
			return false;
	return true;
}

/* The name of id[0..len), checked alone; false when id is not valid. */
static bool check_one(const char *id, size_t len, unsigned flags, char name[DISK_NAME_MAX + 1])
{
	char back[DISK_NAME_MAX + 1];
	int r = disk_name(id, len, flags, name);

	if (r < 0) {
		if (id_is_valid(id, len, NULL))
			abort(); /* a valid ID always has a name */
		return false;
	}
	if (!id_is_valid(id, len, NULL) || !path_safe(name))
		abort();
	if (strchr(name, '~')) {
		if (disk_name_decode(name, back) == 0)
			abort(); /* a hashed name never decodes */
	} else if (disk_name_decode(name, back) < 0 || strlen(back) != len ||
		   memcmp(back, id, len) != 0) {
		abort();
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *a, *b;
	size_t la, lb;

	if (size == 0 || size > 2 * ID_MAX_LEN + 8)
		return 0;
	la = data[0] % size;
	a = (const char *)data + 1;
	la = la ? la - 1 : 0;
	b = a + la;
	lb = size - 1 - la;
	for (unsigned f = 0; f < 2; f++) {
		unsigned flags = f ? DISK_NAME_CGROUP : 0;
		char na[DISK_NAME_MAX + 1], nb[DISK_NAME_MAX + 1];
		bool va = check_one(a, la, flags, na), vb = check_one(b, lb, flags, nb);
		bool same = la == lb && memcmp(a, b, la) == 0;

		if (va && vb && same != (strcmp(na, nb) == 0))
			abort();
	}
	return 0;
}
