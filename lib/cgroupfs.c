// SPDX-License-Identifier: Apache-2.0
/*
 * The pure parsers of cgroupfs and /proc texts (mountinfo, /proc/cgroups, flat-keyed files,
 * cgroup.events, cpu lists) that the agent and the CLI share: strings in, values out, no I/O.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs.h"

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo. */
static char *mountinfo_unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
				      (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/*
 * Split one mountinfo line into its mount point, file system type and super options:
 * "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue".
 */
struct mi_line {
	const char *mnt;
	size_t mnt_len;
	const char *fstype;
	size_t fstype_len;
	const char *super;
	size_t super_len;
};

static const char *field_next(const char *p, const char *end, const char **ret_start,
			      size_t *ret_len)
{
	while (p < end && *p == ' ')
		p++;
	*ret_start = p;
	while (p < end && *p != ' ')
		p++;
	*ret_len = (size_t)(p - *ret_start);
	return p;
}

static bool mi_line_split(const char *line, const char *end, struct mi_line *ret)
{
	const char *p = line, *f;
	size_t n;

	/* id, parent, major:minor, root, mount point */
	for (int i = 0; i < 5; i++) {
		p = field_next(p, end, &f, &n);
		if (!n)
			return false;
	}
	ret->mnt = f;
	ret->mnt_len = n;
	/* optional fields up to the lone "-" */
	for (;;) {
		p = field_next(p, end, &f, &n);
		if (!n)
			return false;
		if (n == 1 && *f == '-')
			break;
	}
	p = field_next(p, end, &ret->fstype, &ret->fstype_len);
	p = field_next(p, end, &f, &n); /* source */
	field_next(p, end, &ret->super, &ret->super_len);
	return ret->fstype_len > 0;
}

static bool span_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Does the comma-separated option list hold exactly `name`? */
static bool opts_have(const char *s, size_t n, const char *name)
{
	const char *end = s + n;

	while (s < end) {
		const char *c = memchr(s, ',', (size_t)(end - s));
		size_t len = c ? (size_t)(c - s) : (size_t)(end - s);

		if (span_eq(s, len, name))
			return true;
		s += len + 1;
	}
	return false;
}

static int mountinfo_find(const char *mountinfo, const char *fstype, const char *opt,
			  char **ret_path)
{
	const char *p = mountinfo;

	if (!mountinfo)
		return -ENOENT;
	while (*p) {
		const char *eol = strchrnul(p, '\n');
		struct mi_line l;

		if (mi_line_split(p, eol, &l) && span_eq(l.fstype, l.fstype_len, fstype) &&
		    (!opt || opts_have(l.super, l.super_len, opt))) {
			char *path = mountinfo_unescape(l.mnt, l.mnt_len);

			if (!path)
				return -ENOMEM;
			*ret_path = path;
			return 0;
		}
		p = *eol ? eol + 1 : eol;
	}
	return -ENOENT;
}

int cgroupfs_mountinfo_find_cgroup2(const char *mountinfo, char **ret_path)
{
	return mountinfo_find(mountinfo, "cgroup2", NULL, ret_path);
}

int cgroupfs_mountinfo_find_v1(const char *mountinfo, const char *name, char **ret_path)
{
	return mountinfo_find(mountinfo, "cgroup", name, ret_path);
}

int cgroupfs_proc_cgroups_lookup(const char *text, const char *name, unsigned *ret_hierarchy,
				 bool *ret_enabled)
{
	const char *p = text;

	if (!text)
		return -ENOENT;
	while (*p) {
		const char *eol = strchrnul(p, '\n');
		size_t n = strcspn(p, " \t\n");

		if (*p != '#' && span_eq(p, n, name)) {
			unsigned hier, ncg, en;

			if (sscanf(p + n, "%u %u %u", &hier, &ncg, &en) != 3)
				return -EINVAL;
			*ret_hierarchy = hier;
			*ret_enabled = en != 0;
			return 0;
		}
		p = *eol ? eol + 1 : eol;
	}
	return -ENOENT;
}

int cgroupfs_keyed_get(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);
	const char *p = text;

	if (!text)
		return -ENOENT;
	while (*p) {
		const char *eol = strchrnul(p, '\n');

		if ((size_t)(eol - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == ' ') {
			const char *v = p + klen + 1;
			char *end;
			unsigned long long x;

			if (strncmp(v, "max", 3) == 0 && (v[3] == '\n' || v[3] == '\0')) {
				*ret = UINT64_MAX;
				return 0;
			}
			errno = 0;
			x = strtoull(v, &end, 10);
			if (errno || end == v || (*end != '\n' && *end != '\0'))
				return -EINVAL;
			*ret = x;
			return 0;
		}
		p = *eol ? eol + 1 : eol;
	}
	return -ENOENT;
}

int cgroupfs_events_parse(const char *text, int *ret_populated, int *ret_frozen)
{
	uint64_t pop, fr;
	int r;

	r = cgroupfs_keyed_get(text, "populated", &pop);
	if (r < 0)
		return r;
	if (pop > 1)
		return -EINVAL;
	r = cgroupfs_keyed_get(text, "frozen", &fr);
	if (r < 0 && r != -ENOENT)
		return r;
	*ret_populated = (int)pop;
	if (ret_frozen)
		*ret_frozen = r < 0 ? -1 : (int)(fr != 0);
	return 0;
}

int cgroupfs_cpulist_count(const char *text)
{
	const char *p = text;
	int n = 0;

	while (*p && *p != '\n') {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b;

		if (end == p || a > 1u << 20)
			return -EINVAL;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			if (end == p + 1 || b < a || b > 1u << 20)
				return -EINVAL;
			p = end;
		}
		n += (int)(b - a + 1);
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	return n;
}
