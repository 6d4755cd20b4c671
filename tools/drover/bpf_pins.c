// SPDX-License-Identifier: Apache-2.0
/* Walking --bpf-dir for pinned programs, maps and links. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "bpf_pins.h"
#include "main.h"

/* The kind of a BPF fd, from /proc/self/fdinfo. */
static enum pin_kind bpf_fd_kind(int fd)
{
	char path[64], line[256];
	enum pin_kind k = PIN_OTHER;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return PIN_OTHER;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "prog_type:", 10) && k == PIN_OTHER)
			k = PIN_PROG;
		else if (!strncmp(line, "map_type:", 9))
			k = PIN_MAP;
		else if (!strncmp(line, "link_type:", 10))
			k = PIN_LINK;
	}
	fclose(f);
	return k;
}

const char *bpf_hint(int err)
{
	if (err == EPERM || err == EACCES)
		return " (needs root: CAP_BPF or CAP_SYS_ADMIN)";
	return "";
}

static int walk(const char *base, const char *dir, struct pin **v, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[4096];
		struct stat st;
		struct pin *nv, *p;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(base, path, v, n);
			continue;
		}
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		nv = realloc(*v, (*n + 1) * sizeof(**v));
		if (!nv) {
			close(fd);
			closedir(d);
			return -ENOMEM;
		}
		*v = nv;
		p = &nv[(*n)++];
		memset(p, 0, sizeof(*p));
		p->path = strdup(path);
		p->name = p->path ? p->path + strlen(base) + 1 : "";
		p->kind = bpf_fd_kind(fd);
		if (p->kind == PIN_PROG) {
			struct bpf_prog_info info = {0};
			__u32 len = sizeof(info);
			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
				p->id = info.id;
		} else if (p->kind == PIN_MAP) {
			struct bpf_map_info info = {0};
			__u32 len = sizeof(info);
			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
				p->id = info.id;
		} else if (p->kind == PIN_LINK) {
			struct bpf_link_info info = {0};
			__u32 len = sizeof(info);
			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
				p->id = info.id;
				p->prog_id = info.prog_id;
			}
		}
		close(fd);
	}
	closedir(d);
	return 0;
}

int pins_collect(struct pin **ret, size_t *ret_n)
{
	struct pin *v = NULL;
	size_t n = 0;
	int r = walk(bpf_pin_dir, bpf_pin_dir, &v, &n);

	if (r < 0) {
		pins_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void pins_free(struct pin *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].path);
	free(p);
}
