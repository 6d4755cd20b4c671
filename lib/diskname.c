// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <openssl/evp.h>

#include "diskname.h"
#include "id.h"

#define HASH_HEX 64 /* SHA-256 in hex */

_Static_assert(DISK_NAME_PREFIX + 1 + HASH_HEX == DISK_NAME_MAX, "a hashed name fills NAME_MAX");

/* The interface files of a cgroup directory are "<prefix>.<file>" for these (cgroup v2). */
static const char *const cgroup_prefixes[] = {
	"cgroup", "cpu",     "cpuacct", "cpuset",  "io",       "blkio",
	"memory", "pids",    "rdma",	"hugetlb", "misc",     "dmem",
	"irq",	  "devices", "freezer", "net_cls", "net_prio", "perf_event",
};

static bool byte_kept(unsigned char c, size_t pos)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c == '_' || c == ':' || c == '-' || (c == '.' && pos > 0);
}

/* With DISK_NAME_CGROUP: the position of the '.' to escape, or len when there is none. */
static size_t cgroup_dot(const char *id, size_t len)
{
	const char *dot = memchr(id, '.', len);
	size_t n;

	if (!dot)
		return len;
	n = (size_t)(dot - id);
	for (size_t i = 0; i < sizeof(cgroup_prefixes) / sizeof(cgroup_prefixes[0]); i++)
		if (strlen(cgroup_prefixes[i]) == n && memcmp(id, cgroup_prefixes[i], n) == 0)
			return n;
	return len;
}

int disk_name(const char *id, size_t len, unsigned flags, char ret[DISK_NAME_MAX + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3 * ID_MAX_LEN + 1];
	size_t n = 0, cut = 0, dot;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!id_is_valid(id, len, NULL))
		return -EINVAL;
	dot = flags & DISK_NAME_CGROUP ? cgroup_dot(id, len) : len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id[i];

		if (byte_kept(c, i) && i != dot) {
			esc[n++] = (char)c;
		} else {
			esc[n++] = '%';
			esc[n++] = hex[c >> 4];
			esc[n++] = hex[c & 15];
		}
		if (n <= DISK_NAME_PREFIX)
			cut = n; /* the longest prefix of whole escapes that fits */
	}
	if (n <= DISK_NAME_MAX) {
		memcpy(ret, esc, n);
		ret[n] = '\0';
		return 0;
	}
	if (!EVP_Digest(id, len, md, &mdlen, EVP_sha256(), NULL) || mdlen * 2 != HASH_HEX)
		return -EIO;
	memcpy(ret, esc, cut);
	ret[cut] = '~';
	for (unsigned int i = 0; i < mdlen; i++) {
		ret[cut + 1 + 2 * i] = hex[md[i] >> 4];
		ret[cut + 2 + 2 * i] = hex[md[i] & 15];
	}
	ret[cut + 1 + HASH_HEX] = '\0';
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int disk_name_decode(const char *name, char ret[DISK_NAME_MAX + 1])
{
	char id[DISK_NAME_MAX + 1];
	size_t n = 0;

	for (const char *p = name; *p; p++) {
		int hi, lo;

		if (n == DISK_NAME_MAX || *p == '~')
			return -EINVAL;
		if (*p != '%') {
			id[n++] = *p;
			continue;
		}
		hi = hex_value(p[1]);
		lo = hi < 0 ? -1 : hex_value(p[2]);
		if (lo < 0)
			return -EINVAL;
		id[n++] = (char)(hi << 4 | lo);
		p += 2;
	}
	if (!id_is_valid(id, n, NULL))
		return -EINVAL;
	memcpy(ret, id, n);
	ret[n] = '\0';
	return 0;
}
