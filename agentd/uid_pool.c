// SPDX-License-Identifier: Apache-2.0
/* Dynamic task uids: see uid_pool.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "cgroup.h"
#include "uid_pool.h"
#include "util.h"

#define UID_FILE "dynamic-uids.json"
#define UID_LAST_MAX 0x7ffffffeU /* below (uid_t)-1 and the 32-bit overflow uid */

int agent_uid_range_parse(const char *text, uint32_t *ret_first, uint32_t *ret_last)
{
	unsigned long a, b;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	a = strtoul(text, &end, 10);
	if (errno || *end != '-' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	b = strtoul(end + 1, &end, 10);
	if (errno || *end || a == 0 || a > b || b > UID_LAST_MAX)
		return -EINVAL;
	*ret_first = (uint32_t)a;
	*ret_last = (uint32_t)b;
	return 0;
}

void agent_uid_pool_init(struct agent_uid_pool *p, uint32_t first, uint32_t last)
{
	memset(p, 0, sizeof(*p));
	p->first = first;
	p->last = last;
	p->dir_fd = -1;
	strmap_init(&p->fw);
}

void agent_uid_pool_clear(struct agent_uid_pool *p)
{
	strmap_clear(&p->fw, NULL);
	closep(&p->dir_fd);
}

static bool held(const struct agent_uid_pool *p, uint32_t uid)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&p->fw, &it, NULL, &v);)
		if ((uint32_t)(uintptr_t)v == uid)
			return true;
	return false;
}

int agent_uid_pool_load_json(struct agent_uid_pool *p, const char *text, size_t len, char *err,
			     size_t errlen)
{
	json_t *root, *fws, *v;
	json_error_t je;
	const char *fw;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "not JSON: %s", je.text);
		return -EINVAL;
	}
	fws = json_object_get(root, "frameworks");
	if (!json_is_object(root) || !json_is_object(fws)) {
		json_decref(root);
		snprintf(err, errlen, "not an object with an object 'frameworks'");
		return -EINVAL;
	}
	strmap_clear(&p->fw, NULL);
	strmap_init(&p->fw);
	json_object_foreach(fws, fw, v) {
		json_int_t uid = json_integer_value(v);

		if (!json_is_integer(v) || uid < p->first || uid > p->last || !*fw ||
		    held(p, (uint32_t)uid))
			continue;
		if (strmap_put(&p->fw, fw, (void *)(uintptr_t)uid, NULL) < 0) {
			json_decref(root);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	json_decref(root);
	return 0;
}

char *agent_uid_pool_dump_json(const struct agent_uid_pool *p)
{
	json_t *root = json_pack("{s:I,s:I,s:{}}", "first", (json_int_t)p->first, "last",
				 (json_int_t)p->last, "frameworks");
	json_t *fws = json_object_get(root, "frameworks");
	const char *fw;
	char *s;
	size_t it;
	void *v;

	if (!root)
		return NULL;
	for (it = 0; strmap_next(&p->fw, &it, &fw, &v);)
		json_object_set_new(fws, fw, json_integer((json_int_t)(uintptr_t)v));
	s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return s;
}

uint32_t agent_uid_pool_lookup(const struct agent_uid_pool *p, const char *fw)
{
	return (uint32_t)(uintptr_t)strmap_get(&p->fw, fw);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int agent_uid_pool_get(struct agent_uid_pool *p, const char *fw,
		       bool (*taken)(uint32_t uid, void *data), void *data, uint32_t *ret_uid)
{
	uint32_t have = agent_uid_pool_lookup(p, fw), *used, uid;
	size_t n = 0, i = 0, it;
	void *v;
	int r;

	if (have) {
		*ret_uid = have;
		return 0;
	}
	if (!agent_uid_pool_enabled(p))
		return -ENOSPC;
	/* the held uids, sorted: walk the range past them */
	used = malloc((strmap_size(&p->fw) + 1) * sizeof(*used));
	if (!used)
		return -ENOMEM;
	for (it = 0; strmap_next(&p->fw, &it, NULL, &v);)
		used[n++] = (uint32_t)(uintptr_t)v;
	qsort(used, n, sizeof(*used), cmp_u32);
	for (uid = p->first;; uid++) {
		while (i < n && used[i] < uid)
			i++;
		if ((i >= n || used[i] != uid) && (!taken || !taken(uid, data)))
			break;
		if (uid == p->last) {
			free(used);
			return -ENOSPC;
		}
	}
	free(used);
	r = strmap_put(&p->fw, fw, (void *)(uintptr_t)uid, NULL);
	if (r < 0)
		return r;
	*ret_uid = uid;
	return 0;
}

bool agent_uid_pool_put(struct agent_uid_pool *p, const char *fw)
{
	return strmap_del(&p->fw, fw) != NULL;
}

int agent_uid_pool_open(struct agent_uid_pool *p, const char *dir, char *err, size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	int r;

	closep(&p->dir_fd);
	p->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dir_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", dir, strerror(-r));
		return r;
	}
	r = agent_read_fileat(p->dir_fd, UID_FILE, &text);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		snprintf(err, errlen, "cannot read '%s/%s': %s", dir, UID_FILE, strerror(-r));
		return r;
	}
	return agent_uid_pool_load_json(p, text, strlen(text), err, errlen);
}

int agent_uid_pool_save(struct agent_uid_pool *p)
{
	_cleanup_free_ char *s = NULL;

	if (p->dir_fd < 0)
		return 0;
	s = agent_uid_pool_dump_json(p);
	if (!s)
		return -ENOMEM;
	return agent_write_file_replace(p->dir_fd, UID_FILE, s, strlen(s), true);
}
