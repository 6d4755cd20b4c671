/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading sandboxes through the agent's API, as Mesos's files endpoints: GET /files/read
 * and GET /files/browse (also with ".json"), and the operator calls READ_FILE and
 * LIST_FILES on POST /api/v1 (docs/api.md, "Files").
 *
 * Paths are Mesos's virtual ones, mapped onto the agent's layout (checkpoint.h):
 *
 *	/frameworks/<fw>/executors/<exec>/runs/<run>/<file...>
 *	    -> <work>/sandboxes/<fw>/<exec>/<run>/<file...>
 *
 * A command task's executor ID is its task ID (as Mesos's). <run> is a run ID or "latest":
 * the task's current run while the agent has it, else the run that sandboxes/<fw>/<task>/
 * latest names (a link the agent makes, in a directory the task cannot write).
 *
 * Whatever the task put in its sandbox cannot lead a read elsewhere: below the run the
 * path is resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) from the sandbox's fd ("..", a symlink of any
 * kind, another mount: 403), only a regular file is read (a FIFO, socket or device: 400,
 * never opened for reading, so never blocked on), and a read returns at most 16 pages.
 *
 * Requests are parsed on the HTTP thread (agent_files_query_new: libmicrohttpd's argument
 * API) and answered on the agent's loop, which owns the task table; a read there is one
 * pread of at most 64 KiB, and GC (also on the loop) cannot rename a sandbox while a read
 * of it is under way.
 */
#ifndef DROVER_AGENT_FILES_H
#define DROVER_AGENT_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct agent;
struct agent_task;
struct http_request;

#define AGENT_FILES_READ_MAX (16 * 4096) /* Mesos: 16 pages */

/* A virtual path, split (pointers into the caller's copy). */
struct agent_files_vpath {
	const char *fw, *exec, *run;
	const char *rest; /* "" for the run's own directory */
};

/*
 * Split path (modified in place: '/' become NULs) into its parts. -EINVAL when it is not
 * /frameworks/F/executors/E/runs/R[/...], when an ID cannot name a file (launch.h), or
 * when a component below the run is "." or ".."; "//" and a trailing '/' are allowed.
 */
int agent_files_vpath_parse(char *path, struct agent_files_vpath *ret);

/*
 * /files/read's offset and length (strings or NULL): offset absent or -1 means "the size"
 * (-1 in *ret_offset), length absent or -1 means "to the end". -EINVAL for anything else
 * that is not a decimal integer >= 0 (Mesos: 400).
 */
int agent_files_range_parse(const char *offset, const char *length, int64_t *ret_offset,
			    int64_t *ret_length);

/* Is this one of the files endpoints? (HTTP thread) */
bool agent_files_endpoint(const char *path);

struct agent_files_query;
/*
 * HTTP thread: the request's arguments, copied for the loop. On bad input the request is
 * answered 400 here and NULL returned (also NULL, answered 503, when out of memory).
 */
struct agent_files_query *agent_files_query_new(struct http_request *req);
void agent_files_query_free(struct agent_files_query *q);
/* The loop: answer a files endpoint's request. */
void agent_files_answer(struct agent *a, struct http_request *req, struct agent_files_query *q);
/*
 * The loop: READ_FILE or LIST_FILES (body: the call): the agent::Response (a new object,
 * answered by the caller in its codec), or NULL after answering an error.
 */
json_t *agent_files_call(struct agent *a, struct http_request *req, json_t *body);

/* sandboxes/<fw>/<task>/latest -> t's run (after its launch). Logged on failure. */
void agent_files_mark_latest(struct agent_task *t);

#endif
