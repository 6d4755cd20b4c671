/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The on-disk name of a task, framework, executor or agent ID: the one name every path and
 * cgroup built from an ID uses (meta/tasks/<fw>/<task>/, sandboxes/<fw>/<task>/<run>/,
 * <cgroup-root>/tasks/<fw>/<task>/). An ID is any string Mesos accepts (id_is_valid(): 1..255
 * bytes, not "." or "..", no control character, '/' or '\'), so spaces, '@', '%' and UTF-8
 * reach the agent; the name is made from it so that:
 *
 *  - the bytes [A-Za-z0-9_:-] and '.' (except a leading one) are kept, every other byte is
 *    "%XX" (two upper-case hex digits): the identity on the IDs the previous release accepted
 *    ([A-Za-z0-9._:-], no leading '.'), so their directories are found again;
 *  - no name is "", ".", "..", starts with '.', or holds '/', a NUL or a control character;
 *  - when the escaped form is longer than DISK_NAME_MAX, the name is its first bytes (cut at
 *    a whole escape, at most DISK_NAME_PREFIX) then '~' then the SHA-256 of the ID in 64 hex
 *    digits. '~' is escaped everywhere else, so a hashed name never equals an escaped one;
 *  - so two different IDs never share a name: escaped names decode back to their ID, and
 *    hashed names differ unless SHA-256 collides.
 *
 * DISK_NAME_CGROUP: a cgroup's name. Every cgroup directory holds interface files named
 * "<controller>.<file>" ("cgroup.procs", "memory.max"), and mkdir of a task named so fails
 * with EEXIST. With this flag the first '.' of a name that starts with "cgroup" or a
 * controller's name and a '.' is escaped too ("memory%2Emax"): a name with a '.' never
 * equals an interface file.
 *
 * The real ID is kept in the records (task.json) so recovery reports it: a hashed name does
 * not decode.
 */
#ifndef DROVER_DISKNAME_H
#define DROVER_DISKNAME_H

#include <stddef.h>

#define DISK_NAME_MAX 255 /* NAME_MAX; a buffer holds DISK_NAME_MAX + 1 bytes */
#define DISK_NAME_PREFIX 190 /* escaped bytes kept before '~' and the hash */

enum {
	DISK_NAME_CGROUP = 1 << 0, /* a cgroup's name: see above */
};

/*
 * The name of id[0..len) into ret (DISK_NAME_MAX + 1 bytes, NUL-terminated). 0, or -EINVAL
 * when id is not a valid ID (ret untouched).
 */
int disk_name(const char *id, size_t len, unsigned flags, char ret[DISK_NAME_MAX + 1]);

/*
 * The ID an escaped (not hashed) name stands for, into ret (DISK_NAME_MAX + 1 bytes): each
 * "%XX" decoded, every other byte kept (a name of the previous release, e.g. ".x", is its
 * own ID). 0, or -EINVAL for a hashed name, a bad escape or what decodes to no valid ID.
 */
int disk_name_decode(const char *name, char ret[DISK_NAME_MAX + 1]);

#endif
