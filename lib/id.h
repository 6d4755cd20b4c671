/* SPDX-License-Identifier: Apache-2.0 */
/* Identifiers: random UUIDs (status update uuids, stream ids) and checks on user-given IDs. */
#ifndef DROVER_ID_H
#define DROVER_ID_H

#include <stdbool.h>
#include <stddef.h>

#define UUID_STR_LEN 37 /* 36 characters and a NUL */
#define ID_MAX_LEN 255

/* A random (version 4) UUID in its text form. */
void uuid_random(char out[UUID_STR_LEN]);

/*
 * Is s safe as a task, framework or agent ID that may name a file or a cgroup?
 * 1..255 bytes of [A-Za-z0-9._:-], not "." or "..". On false, *ret_why says why.
 */
bool id_is_safe(const char *s, size_t len, const char **ret_why);

#endif
