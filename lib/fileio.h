/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a small file whole (certificates, keys, credentials). */
#ifndef DROVER_FILEIO_H
#define DROVER_FILEIO_H

#include <stddef.h>

/*
 * The contents of path, NUL-terminated, into *ret (malloc'ed), its length into *ret_len.
 * -EFBIG when it is larger than max bytes, -errno when it cannot be read.
 */
int file_read_all(const char *path, size_t max, char **ret, size_t *ret_len);

#endif
