// SPDX-License-Identifier: Apache-2.0
/* Sandboxes through the agent's API (Mesos's /files): paths, safety and threads, files.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "base64.h"
#include "diskname.h"
#include "files.h"
#include "http_server.h"
#include "id.h"
#include "launch.h"
#include "log.h"

#define BROWSE_MAX 10000 /* entries listed at most */

/* ---------------------------------------------------------------- pure parsing */

/* The next component of *p ("a//b/" yields "a", "b"), NUL-terminated in place; NULL at end. */
static char *next_component(char **p)
{
	char *s = *p, *slash;

	while (*s == '/')
		s++;
	if (!*s)
		return NULL;
	slash = strchr(s, '/');
	if (slash) {
		*slash = '\0';
		*p = slash + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

int agent_files_vpath_parse(char *path, struct agent_files_vpath *ret)
{
	static const char *const fixed[3] = {"frameworks", "executors", "runs"};
	const char *ids[3];
	char *p = path, *c;

	for (int i = 0; i < 3; i++) {
		c = next_component(&p);
		if (!c || strcmp(c, fixed[i]) != 0)
			return -EINVAL;
		c = next_component(&p);
		/* framework and executor IDs as Mesos has them (any but '/'); runs are ours */
		if (!c || !(i < 2 ? id_is_valid(c, strlen(c), NULL) : agent_task_id_valid(c)))
			return -EINVAL;
		ids[i] = c;
	}
	while (*p == '/')
		p++;
	/* below the run: no "." or ".." component (openat2 would also keep it beneath) */
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");

		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return -EINVAL;
		s += n;
		while (*s == '/')
			s++;
	}
	*ret = (struct agent_files_vpath){.fw = ids[0], .exec = ids[1], .run = ids[2], .rest = p};
	return 0;
}

/* A decimal integer >= -1, nothing else; -EINVAL. */
static int parse_int(const char *s, int64_t *ret)
{
	int64_t v = 0;
	bool neg = false;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - (*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (neg && v != 1)
		return -EINVAL; /* -1 is the one negative value with a meaning */
	*ret = neg ? -1 : v;
	return 0;
}

int agent_files_range_parse(const char *offset, const char *length, int64_t *ret_offset,
			    int64_t *ret_length)
{
	int64_t off = -1, len = -1;

	if ((offset && parse_int(offset, &off) < 0) || (length && parse_int(length, &len) < 0))
		return -EINVAL;
	*ret_offset = off;
	*ret_length = len;
	return 0;
}

/*
 * Bytes as a JSON string's text (Mesos's /files/read "data"): UTF-8 as it is, each byte
 * that is not part of a valid sequence as U+FFFD. A sequence cut by the end of a read that
 * did not reach the end of the file is left out (*ret_used says how much was taken) so the
 * next read starts on it.
 */
static json_t *text_json(const unsigned char *b, size_t n, bool more, size_t *ret_used)
{
	char *out = malloc(n * 3 + 1);
	size_t o = 0, i = 0;
	json_t *j;

	if (!out)
		return NULL;
	while (i < n) {
		unsigned char c = b[i];
		size_t len = c < 0x80		? 1 :
			     (c & 0xe0) == 0xc0 ? 2 :
			     (c & 0xf0) == 0xe0 ? 3 :
			     (c & 0xf8) == 0xf0 ? 4 :
						  0;
		bool ok = len > 0 && c != 0xc0 && c != 0xc1 && c <= 0xf4;
		size_t k;

		if (ok && i + len > n) {
			for (k = 1; i + k < n; k++)
				if ((b[i + k] & 0xc0) != 0x80)
					break;
			if (i + k == n && more)
				break; /* cut by the read: next time */
			ok = false;
		}
		for (k = 1; ok && k < len; k++)
			ok = (b[i + k] & 0xc0) == 0x80;
		if (ok && len == 3 &&
		    ((c == 0xe0 && b[i + 1] < 0xa0) || (c == 0xed && b[i + 1] > 0x9f)))
			ok = false; /* overlong, surrogates */
		if (ok && len == 4 &&
		    ((c == 0xf0 && b[i + 1] < 0x90) || (c == 0xf4 && b[i + 1] > 0x8f)))
			ok = false;
		if (!ok) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, b + i, len);
		o += len;
		i += len;
	}
	j = json_stringn(out, o);
	free(out);
	*ret_used = i;
	return j;
}

/* ---------------------------------------------------------------- the HTTP thread */

struct agent_files_query {
	bool browse;
	char *path;
	int64_t offset, length;
};

bool agent_files_endpoint(const char *path)
{
	return streq(path, "/files/read") || streq(path, "/files/read.json") ||
	       streq(path, "/files/browse") || streq(path, "/files/browse.json");
}

void agent_files_query_free(struct agent_files_query *q)
{
	if (!q)
		return;
	free(q->path);
	free(q);
}

struct agent_files_query *agent_files_query_new(struct http_request *req)
{
	const char *path = http_request_query(req, "path");
	struct agent_files_query *q;

	if (!streq(http_request_method(req), "GET")) {
		http_reply_error(req, 405, "Expecting 'GET', received '%s'",
				 http_request_method(req));
		return NULL;
	}
	if (!path) {
		http_reply_error(req, 400, "Expecting 'path=value' in query.");
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q || !(q->path = strdup(path))) {
		free(q);
		http_reply_error(req, 503, "out of memory");
		return NULL;
	}
	q->browse = strncmp(http_request_path(req), "/files/browse", 13) == 0;
	q->offset = q->length = -1;
	if (!q->browse && agent_files_range_parse(http_request_query(req, "offset"),
						  http_request_query(req, "length"), &q->offset,
						  &q->length) < 0) {
		http_reply_error(req, 400,
				 "Failed to parse offset or length: a decimal integer >= -1 is "
				 "expected");
		agent_files_query_free(q);
		return NULL;
	}
	return q;
}

/* ---------------------------------------------------------------- resolution (the loop) */

static int openat2_beneath(int dirfd, const char *path, uint64_t flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd;

	for (int attempt = 0; attempt < 3; attempt++) {
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN) /* EAGAIN: a rename raced the walk */
			break;
	}
	return fd < 0 ? -errno : (int)fd;
}

/* The run's sandbox directory (O_PATH) for vp: the task table first, then the disk. */
static int sandbox_open(struct agent *a, const struct agent_files_vpath *vp)
{
	char key[2 * ID_MAX_LEN + 2], dir[PATH_MAX], run[ID_MAX_LEN + 1];
	char fw_name[DISK_NAME_MAX + 1], task_name[DISK_NAME_MAX + 1];
	const char *name = vp->run;
	struct agent_task *t;
	ssize_t n;
	int tfd, fd;

	snprintf(key, sizeof(key), "%s/%s", vp->fw, vp->exec);
	t = strmap_get(&a->tasks, key);
	if (t && t->sandbox[0] && (streq(vp->run, "latest") || streq(vp->run, t->run))) {
		fd = open(t->sandbox, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	/* the layout of agent_task_new(): sandboxes/<fw>/<task>/<run>, by the IDs' disk names */
	if (disk_name(vp->fw, strlen(vp->fw), 0, fw_name) < 0 ||
	    disk_name(vp->exec, strlen(vp->exec), 0, task_name) < 0)
		return -ENOENT;
	if (snprintf(dir, sizeof(dir), "%s/sandboxes/%s/%s", a->flags->work_dir, fw_name,
		     task_name) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	tfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0)
		return -errno;
	if (streq(vp->run, "latest")) {
		n = readlinkat(tfd, "latest", run, sizeof(run) - 1);
		if (n < 0) {
			close(tfd);
			return -ENOENT;
		}
		run[n] = '\0';
		name = run;
		if (!agent_task_id_valid(name)) {
			close(tfd);
			return -ENOENT;
		}
	}
	fd = openat2_beneath(tfd, name, O_PATH | O_DIRECTORY);
	close(tfd);
	return fd;
}

/* The HTTP status of a resolution error, and its message. */
static unsigned resolve_status(int r, char *msg, size_t len)
{
	switch (-r) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		snprintf(msg, len, "No such file or directory");
		return 404;
	case ELOOP:
	case EXDEV:
		snprintf(msg, len, "The path leaves the sandbox or crosses a symbolic link");
		return 403;
	case EACCES:
	case EPERM:
		snprintf(msg, len, "Permission denied");
		return 403;
	case ENOSYS:
		snprintf(msg, len,
			 "This kernel has no openat2 (Linux 5.6): files cannot be served safely");
		return 503;
	default:
		snprintf(msg, len, "%s", strerror(-r));
		return 500;
	}
}

/*
 * path (a virtual path) to an O_PATH fd of what it names, with its stat. 0, or the HTTP
 * status with msg.
 */
static unsigned resolve(struct agent *a, const char *path, int *ret_fd, struct stat *st, char *msg,
			size_t len)
{
	_cleanup_free_ char *copy = strdup(path);
	struct agent_files_vpath vp;
	int sfd, fd;

	if (!copy) {
		snprintf(msg, len, "out of memory");
		return 503;
	}
	if (agent_files_vpath_parse(copy, &vp) < 0) {
		if (strstr(path, "/..") || strstr(path, "/./")) {
			snprintf(msg, len, "The path has a '.' or '..' component");
			return 400;
		}
		/* what Mesos does not attach (the agent's log, paths above a run) is not found */
		snprintf(msg, len,
			 "No such file or directory: paths are "
			 "/frameworks/FW/executors/EXEC/runs/RUN|latest[/FILE]");
		return 404;
	}
	sfd = sandbox_open(a, &vp);
	if (sfd < 0)
		return resolve_status(sfd, msg, len);
	/* RESOLVE_NO_SYMLINKS: a symlink as the last component is ELOOP (403) too */
	fd = openat2_beneath(sfd, vp.rest[0] ? vp.rest : ".", O_PATH);
	close(sfd);
	if (fd < 0)
		return resolve_status(fd, msg, len);
	if (fstat(fd, st) < 0) {
		int e = errno;

		close(fd);
		return resolve_status(-e, msg, len);
	}
	*ret_fd = fd;
	return 0;
}

/*
 * Up to want bytes at off of the regular file behind the O_PATH fd, never blocking.
 * The bytes read, or -errno.
 */
static ssize_t read_at(int pfd, const struct stat *st, int64_t off, size_t want, char *buf)
{
	char proc[64];
	struct stat now;
	ssize_t n, total = 0;
	int fd;

	/* reopen exactly that inode (no path walk again) for reading */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode) || now.st_ino != st->st_ino ||
	    now.st_dev != st->st_dev) {
		close(fd);
		return -EBADFD;
	}
	while ((size_t)total < want) {
		n = pread(fd, buf + total, want - (size_t)total, (off_t)off + total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			total = total ? total : -errno;
			break;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	return total;
}

static void reply_json(struct http_request *req, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (s)
		http_reply(req, 200, "application/json", s, strlen(s), NULL);
	else
		http_reply_error(req, 503, "out of memory");
	free(s);
	json_decref(j);
}

/*
 * The read both /files/read and READ_FILE do: offset -1 is the size; at most
 * AGENT_FILES_READ_MAX bytes. 0 with *ret_n bytes in buf and the size, or an HTTP status.
 */
static unsigned file_read(struct agent *a, const char *path, int64_t offset, int64_t length,
			  char *buf, size_t *ret_n, int64_t *ret_size, char *msg, size_t len)
{
	struct stat st;
	size_t want;
	ssize_t n;
	unsigned status;
	int fd;

	status = resolve(a, path, &fd, &st, msg, len);
	if (status)
		return status;
	if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(msg, len,
			 S_ISDIR(st.st_mode) ? "Cannot read a directory" : "Not a regular file");
		return 400;
	}
	*ret_size = (int64_t)st.st_size;
	*ret_n = 0;
	want = length < 0 || length > AGENT_FILES_READ_MAX ? AGENT_FILES_READ_MAX : (size_t)length;
	if (offset < 0 || offset >= (int64_t)st.st_size || want == 0) {
		close(fd);
		return 0;
	}
	n = read_at(fd, &st, offset, want, buf);
	close(fd);
	if (n < 0) {
		snprintf(msg, len, "Failed to read the file: %s",
			 n == -EBADFD ? "it changed while it was opened" : strerror((int)-n));
		return n == -EBADFD ? 400 : 500;
	}
	*ret_n = (size_t)n;
	return 0;
}

/* "drwxr-xr-x", as ls -l. */
static void mode_string(mode_t m, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = S_ISDIR(m)  ? 'd' :
		 S_ISLNK(m)  ? 'l' :
		 S_ISFIFO(m) ? 'p' :
		 S_ISSOCK(m) ? 's' :
		 S_ISCHR(m)  ? 'c' :
		 S_ISBLK(m)  ? 'b' :
			       '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = m & (1u << (8 - i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[3] = m & S_IXUSR ? 's' : 'S';
	if (m & S_ISGID)
		out[6] = m & S_IXGRP ? 's' : 'S';
	if (m & S_ISVTX)
		out[9] = m & S_IXOTH ? 't' : 'T';
	out[10] = '\0';
}

static void user_name(uid_t uid, char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, len, "%s", res->pw_name);
	else
		snprintf(out, len, "%u", (unsigned)uid); /* a dynamic uid has no name */
}

static void group_name(gid_t gid, char *out, size_t len)
{
	struct group gr, *res = NULL;
	char buf[1024];

	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, len, "%s", res->gr_name);
	else
		snprintf(out, len, "%u", (unsigned)gid);
}

/* One entry: Mesos's /files/browse fields, or (operator) a FileInfo. */
static json_t *file_info(const char *vpath, const char *name, const struct stat *st, bool operator)
{
	char mode[11], user[64], group[64];
	json_t *p = name ? json_sprintf("%s/%s", vpath, name) : json_string(vpath);

	if (!p)
		return NULL; /* not UTF-8: left out */
	user_name(st->st_uid, user, sizeof(user));
	group_name(st->st_gid, group, sizeof(group));
	if (operator)
		return json_pack("{s:o,s:I,s:I,s:{s:I},s:I,s:s,s:s}", "path", p, "nlink",
				 (json_int_t)st->st_nlink, "size", (json_int_t)st->st_size, "mtime",
				 "nanoseconds",
				 (json_int_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
				 "mode", (json_int_t)st->st_mode, "uid", user, "gid", group);
	mode_string(st->st_mode, mode);
	return json_pack("{s:o,s:I,s:I,s:f,s:s,s:s,s:s}", "path", p, "nlink",
			 (json_int_t)st->st_nlink, "size", (json_int_t)st->st_size, "mtime",
			 (double)st->st_mtim.tv_sec, "mode", mode, "uid", user, "gid", group);
}

/* A directory's entries (not followed), or the one file path names. 0 or an HTTP status. */
static unsigned file_list(struct agent *a, const char *path, bool operator, json_t ** ret,
			  char *msg, size_t len)
{
	_cleanup_free_ char *vpath = strdup(path);
	struct stat st;
	struct dirent *de;
	json_t *arr = json_array();
	unsigned status;
	size_t vlen;
	DIR *d;
	int fd, dfd;

	if (!vpath || !arr) {
		json_decref(arr);
		snprintf(msg, len, "out of memory");
		return 503;
	}
	vlen = strlen(vpath);
	while (vlen > 1 && vpath[vlen - 1] == '/')
		vpath[--vlen] = '\0';
	status = resolve(a, path, &fd, &st, msg, len);
	if (status) {
		json_decref(arr);
		return status;
	}
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		json_array_append_new(arr, file_info(vpath, NULL, &st, operator));
		*ret = arr;
		return 0;
	}
	dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		status = resolve_status(-errno, msg, len);
		if (dfd >= 0)
			close(dfd);
		close(fd);
		json_decref(arr);
		return status;
	}
	close(fd);
	while ((de = readdir(d)) && json_array_size(arr) < BROWSE_MAX) {
		json_t *e;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		e = file_info(vpath, de->d_name, &st, operator);
		if (e)
			json_array_append_new(arr, e);
	}
	closedir(d);
	*ret = arr;
	return 0;
}

/* ---------------------------------------------------------------- answers (the loop) */

void agent_files_answer(struct agent *a, struct http_request *req, struct agent_files_query *q)
{
	char msg[256];
	unsigned status;

	if (q->browse) {
		json_t *arr;

		status = file_list(a, q->path, false, &arr, msg, sizeof(msg));
		if (status)
			http_reply_error(req, status, "%s", msg);
		else
			reply_json(req, arr);
	} else {
		_cleanup_free_ char *buf = malloc(AGENT_FILES_READ_MAX);
		size_t n = 0, used = 0;
		int64_t size = 0;
		json_t *data;

		status = buf ? file_read(a, q->path, q->offset, q->length, buf, &n, &size, msg,
					 sizeof(msg)) :
			       (snprintf(msg, sizeof(msg), "out of memory"), 503);
		if (status) {
			http_reply_error(req, status, "%s", msg);
		} else if (q->offset < 0) {
			reply_json(req,
				   json_pack("{s:I,s:s}", "offset", (json_int_t)size, "data", ""));
		} else {
			data = text_json((const unsigned char *)buf, n,
					 q->offset + (int64_t)n < size, &used);
			reply_json(req, data ? json_pack("{s:I,s:o}", "offset",
							 (json_int_t)q->offset, "data", data) :
					       NULL);
		}
	}
	agent_files_query_free(q);
}

/* A uint64 field of a call: a JSON integer or a decimal string (proto3 JSON). */
static int call_uint(json_t *v, int64_t *ret)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*ret = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && parse_int(json_string_value(v), ret) == 0 && *ret >= 0)
		return 0;
	return -EINVAL;
}

json_t *agent_files_call(struct agent *a, struct http_request *req, json_t *body)
{
	json_t *j = NULL;

	const char *type = json_string_value(json_object_get(body, "type"));
	bool read = streq(type, "READ_FILE");
	json_t *c = json_object_get(body, read ? "read_file" : "list_files");
	const char *path = json_string_value(json_object_get(c, "path"));
	char msg[256];
	unsigned status;

	if (!path) {
		http_reply_error(req, 400, "Failed to validate agent::Call: Expecting '%s.path'",
				 read ? "read_file" : "list_files");
		return NULL;
	}
	if (read) {
		_cleanup_free_ char *buf = malloc(AGENT_FILES_READ_MAX);
		int64_t offset, length = -1, size = 0;
		size_t n = 0;
		char *b64;

		if (call_uint(json_object_get(c, "offset"), &offset) < 0 ||
		    (json_object_get(c, "length") &&
		     call_uint(json_object_get(c, "length"), &length) < 0)) {
			http_reply_error(
				req, 400,
				"Failed to validate agent::Call: 'read_file.offset' (required) "
				"and 'read_file.length' must be integers >= 0");
			return NULL;
		}
		status =
			buf ? file_read(a, path, offset, length, buf, &n, &size, msg, sizeof(msg)) :
			      (snprintf(msg, sizeof(msg), "out of memory"), 503);
		if (status) {
			http_reply_error(req, status, "%s", msg);
			return NULL;
		}
		b64 = base64_encode((const uint8_t *)buf, n);
		j = b64 ? json_pack("{s:s,s:{s:I,s:s}}", "type", type, "read_file", "size",
				    (json_int_t)size, "data", b64) :
			  NULL;
		free(b64);
	} else {
		json_t *arr;

		status = file_list(a, path, true, &arr, msg, sizeof(msg));
		if (status) {
			http_reply_error(req, status, "%s", msg);
			return NULL;
		}
		j = json_pack("{s:s,s:{s:o}}", "type", type, "list_files", "file_infos", arr);
	}
	if (!j)
		http_reply_error(req, 503, "out of memory");
	return j;
}

/* ---------------------------------------------------------------- runs/latest */

void agent_files_mark_latest(struct agent_task *t)
{
	char dir[sizeof(t->sandbox)], *slash;
	_cleanup_close_ int dfd = -1;

	if (!t->run[0])
		return; /* a sandbox laid out before run IDs is the task's directory itself */
	snprintf(dir, sizeof(dir), "%s", t->sandbox);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	/* the task's directory is root's (0711): nothing of the task's can race this */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 ||
	    (unlinkat(dfd, ".latest.tmp", 0), symlinkat(t->run, dfd, ".latest.tmp")) < 0 ||
	    renameat(dfd, ".latest.tmp", dfd, "latest") < 0)
		log_warn("task '%s': cannot point runs/latest at its sandbox: %m", t->id);
}
