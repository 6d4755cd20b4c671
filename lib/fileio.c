// SPDX-License-Identifier: Apache-2.0
/* The safe whole-file reader (fileio.h). No stdio, no locale: file_read_bufat is AS-safe. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

#define READ_CHUNK 4096

/* Open name as a regular file, never blocking and (without FOLLOW) not through a symlink. */
static int open_regular(int dirfd, const char *name, int flags)
{
	int oflags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat st;
	int fd, e;

	if (!(flags & FILE_READ_FOLLOW))
		oflags |= O_NOFOLLOW;
	fd = openat(dirfd, name, oflags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EBADFD;
	}
	return fd;
}

static ssize_t read_retry(int fd, char *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	/* O_NONBLOCK on a regular file never says EAGAIN; should a file system, stop */
	return n < 0 ? -errno : n;
}

ssize_t file_read_bufat(int dirfd, const char *name, int flags, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	if (len == 0)
		return -ENOBUFS;
	fd = open_regular(dirfd, name, flags);
	if (fd < 0)
		return fd;
	for (;;) {
		/* one byte more than fits tells a file that is too long from one that fits */
		char extra;

		if (off + 1 < len)
			n = read_retry(fd, buf + off, len - 1 - off);
		else
			n = read_retry(fd, &extra, 1);
		if (n <= 0)
			break;
		if (off + 1 >= len) {
			n = -EFBIG;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	if (n < 0)
		return n;
	return (ssize_t)off;
}

int file_read_allat(int dirfd, const char *name, size_t max, int flags, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open_regular(dirfd, name, flags);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			size_t nc = cap ? cap * 2 : READ_CHUNK;
			char *nb;

			/* room for max bytes, one more to see that there is more, and the NUL */
			if (nc > max + 2)
				nc = max + 2;
			if (nc <= cap)
				return -EFBIG;
			nb = realloc(buf, nc);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap = nc;
		}
		n = read_retry(fd, buf + len, cap - len - 1);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int file_read_all(const char *path, size_t max, char **ret, size_t *ret_len)
{
	return file_read_allat(AT_FDCWD, path, max, FILE_READ_FOLLOW, ret, ret_len);
}
