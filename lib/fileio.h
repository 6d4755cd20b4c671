/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a small file whole, safely: the one reader for every file a daemon reads
 * (certificates, keys, credentials, checkpoints, cgroupfs and /proc files, and the
 * agent's per-task records).
 *
 * A file is opened with O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC (and O_NOFOLLOW unless
 * FILE_READ_FOLLOW), must be a regular file (fstat S_ISREG: a FIFO, socket, device or
 * directory is -EBADFD before any read, so opening or reading it never blocks) and is read
 * up to max bytes (-EFBIG past that, whatever st_size says: cgroupfs and /proc report 0).
 * So a name someone else can replace (a FIFO, a symlink to /dev/zero or to another file)
 * cannot hang the reader, make it allocate more than max, or lead it elsewhere.
 */
#ifndef DROVER_FILEIO_H
#define DROVER_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Follow a symlink in the last component (operator-given paths: certificates, keys). */
#define FILE_READ_FOLLOW 0x1

/*
 * The contents of name (relative to dirfd, or AT_FDCWD), NUL-terminated, into *ret
 * (malloc'ed) and its length into *ret_len (may be NULL). 0, -EFBIG when larger than max
 * bytes, -EBADFD when not a regular file, -ELOOP when a symlink (without FOLLOW), -errno.
 */
int file_read_allat(int dirfd, const char *name, size_t max, int flags, char **ret,
		    size_t *ret_len);
/* file_read_allat(AT_FDCWD, path, max, FILE_READ_FOLLOW, ...): an operator's file. */
int file_read_all(const char *path, size_t max, char **ret, size_t *ret_len);
/*
 * The same checks into a caller's buffer, NUL-terminated, no allocation: async-signal-safe
 * (for a fork of a threaded daemon). The length, -EFBIG when the file does not fit in
 * len - 1 bytes, or -errno as above.
 */
ssize_t file_read_bufat(int dirfd, const char *name, int flags, char *buf, size_t len);

#endif
