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
 * Is s[0..len) a valid task, framework, executor or agent ID, by Mesos's rule
 * (src/common/validation.cpp): 1..255 bytes (NAME_MAX), not "." or "..", no control
 * character (C0 or DEL), no '/' and no '\'. Spaces, '@', '%' and UTF-8 are valid: paths and
 * cgroups are named from an ID through disk_name() (diskname.h), never from the ID itself.
 * On false, *ret_why (optional) says why.
 */
bool id_is_valid(const char *s, size_t len, const char **ret_why);

/*
 * Is s a portable name: 1..255 bytes of [A-Za-z0-9._:-], not "." or ".."? The charset of a
 * role's parts (and of task IDs before id_is_valid). On false, *ret_why says why.
 */
bool id_is_safe(const char *s, size_t len, const char **ret_why);

#endif
