// SPDX-License-Identifier: Apache-2.0
/* Shared by the agent's BPF loaders: see bpf_common.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "bpf_common.h"
#include "log.h"

/*
 * libbpf reports through one process-wide callback; what it last warned about is kept here so
 * the loader that failed can put it into its error. Touched only by the agent's loop thread.
 */
static char last_warn[2048];

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n, have;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (strncmp(line, "libbpf: ", 8) == 0) /* most messages carry the prefix already */
		memmove(line, line + 8, strlen(line + 8) + 1), n -= 8;
	if (level == LIBBPF_WARN) {
		log_warn("libbpf: %s", line);
		have = strlen(last_warn);
		if (have + n + 3 >= sizeof(last_warn)) { /* keep the tail: drop the oldest half */
			memmove(last_warn, last_warn + have / 2, have - have / 2 + 1);
			have = strlen(last_warn);
		}
		if (n + 3 < sizeof(last_warn))
			snprintf(last_warn + have, sizeof(last_warn) - have, "%s%s", have ? " | " : "",
				 line);
	} else {
		log_debug("libbpf: %s", line);
	}
	return 0;
}

void bpf_common_log_setup(void)
{
	libbpf_set_print(print_libbpf);
}

/*
 * The tail of what libbpf warned about since the last call (the verifier's log after a failed
 * load), one line, at most len-1 bytes, "" when nothing. Clears it.
 */
static void bpf_common_last_error(char *buf, size_t len)
{
	size_t n = strlen(last_warn);

	if (!len)
		return;
	if (n >= len)
		snprintf(buf, len, "%s", last_warn + (n - len + 1));
	else
		snprintf(buf, len, "%s", last_warn);
	last_warn[0] = '\0';
}

int bpf_common_fail(int r, const char *what, char *err, size_t errlen)
{
	char tail[1024];

	if (r > 0)
		r = -r;
	bpf_common_last_error(tail, sizeof(tail));
	snprintf(err, errlen, "%s: %s%s%s", what, strerror(-r), tail[0] ? "; libbpf: " : "", tail);
	return r;
}

bool bpf_kernel_has_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

bool bpf_kernel_has_func(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return found;
}

bool bpf_kernel_has_member(const char *type, const char *member)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_member *m;
	const struct btf_type *t;
	bool found = false;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	m = t ? btf_members(t) : NULL;
	for (unsigned i = 0; t && i < btf_vlen(t) && !found; i++)
		found = strcmp(btf__name_by_offset(btf, m[i].name_off), member) == 0;
	btf__free(btf);
	return found;
}

int bpf_kernel_tp_arg_is_ptr(const char *tp, unsigned idx)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_param *params;
	const struct btf_type *t;
	char name[128];
	int id, r = -ENOENT;

	if (!btf)
		return -errno;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		goto out;
	/* typedef -> pointer -> func_proto (void *__data, the tracepoint's arguments...) */
	t = btf__type_by_id(btf, btf__resolve_type(btf, (__u32)id));
	if (!t || !btf_is_ptr(t))
		goto out;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < idx + 2)
		goto out;
	params = btf_params(t);
	t = btf__type_by_id(btf, btf__resolve_type(btf, params[idx + 1].type));
	r = t ? btf_is_ptr(t) : -ENOENT;
out:
	btf__free(btf);
	return r;
}

int bpf_cgroup_id_of_fd(int dirfd, uint64_t *ret_id)
{
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*ret_id = (uint64_t)st.st_ino;
	return 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == BPF_FS_MAGIC;
}

int bpf_pin_dir_prepare(const char *dir)
{
	char parent[PATH_MAX], *slash;

	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	if (!is_bpffs(parent)) {
		if (strcmp(parent, "/sys/fs/bpf") != 0)
			return -ENOTSUP;
		if (mount("bpf", parent, "bpf", 0, "mode=0700") < 0)
			return -errno;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return is_bpffs(dir) ? 0 : -ENOTSUP;
}

static int pin_path(const char *dir, const char *name, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/%s", dir, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int bpf_pin_prog(const char *dir, const char *name, struct bpf_program *prog)
{
	char path[PATH_MAX];
	int r = pin_path(dir, name, path, sizeof(path));

	if (r < 0)
		return r;
	unlink(path);
	return bpf_obj_pin(bpf_program__fd(prog), path) < 0 ? -errno : 0;
}

int bpf_pin_map(const char *dir, const char *name, struct bpf_map *map)
{
	char path[PATH_MAX];
	int r = pin_path(dir, name, path, sizeof(path));

	if (r < 0)
		return r;
	unlink(path);
	return bpf_obj_pin(bpf_map__fd(map), path) < 0 ? -errno : 0;
}

void bpf_unpin(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (pin_path(dir, name, path, sizeof(path)) == 0)
		unlink(path);
}

int bpf_stats_enable(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

int bpf_prog_run_stats(int prog_fd, uint64_t *ret_run_cnt, uint64_t *ret_run_time_ns)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
		return -errno;
	*ret_run_cnt = info.run_cnt;
	*ret_run_time_ns = info.run_time_ns;
	return 0;
}

int bpf_map_reuse_pinned(const char *dir, const char *name, struct bpf_map *map)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, r;

	if (!dir || !*dir || pin_path(dir, name, path, sizeof(path)) < 0)
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	/* only a map of the same shape: another layout (an older agent) starts afresh */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || info.type != bpf_map__type(map) ||
	    info.key_size != bpf_map__key_size(map) || info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map) || info.map_flags != bpf_map__map_flags(map)) {
		close(fd);
		return 0;
	}
	r = bpf_map__reuse_fd(map, fd);
	close(fd); /* reuse_fd holds its own dup */
	return r < 0 ? r : 1;
}

int bpf_link_keep(const char *dir, const char *name, int cgroup_fd, struct bpf_program *prog,
		  struct bpf_link **link)
{
	struct bpf_link_info info = {0};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	uint64_t cgid = 0;
	struct bpf_link *old;
	int r;

	r = pin_path(dir, name, path, sizeof(path));
	if (r < 0)
		return r;
	old = access(path, F_OK) == 0 ? bpf_link__open(path) : NULL;
	if (old) {
		/* the enforcement a previous agent left attached: hand it our program */
		if (bpf_obj_get_info_by_fd(bpf_link__fd(old), &info, &len) == 0 &&
		    info.type == BPF_LINK_TYPE_CGROUP && bpf_cgroup_id_of_fd(cgroup_fd, &cgid) == 0 &&
		    info.cgroup.cgroup_id == cgid && bpf_link__update_program(old, prog) == 0) {
			bpf_link__destroy(*link); /* ours was a second attachment of the same */
			*link = old;
			return 1;
		}
		bpf_link__destroy(old); /* detached, or of another cgroup: replaced */
	}
	unlink(path);
	return bpf_link__pin(*link, path) < 0 ? -errno : 0;
}
