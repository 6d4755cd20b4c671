/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Following a task's stdout or stderr from any host (`drover task logs`, `drover task run`):
 * the master says which agent ran the task (GET_TASKS, GET_AGENTS: its hostname and
 * port), and the agent's READ_FILE call gives the file's bytes (base64, exact) from an
 * offset, at most 64 KiB a call. A follower asks again every LOG_FOLLOW_INTERVAL_NS (and at
 * once while a read comes back full), so a line is printed within about that long of its
 * write; when the file was rotated under it (its size fell below the offset) it finishes
 * <stream>.1 from the offset, then starts the new file at 0.
 */
#ifndef DROVER_CLI_TASK_LOGS_H
#define DROVER_CLI_TASK_LOGS_H

#include <stdbool.h>
#include <stddef.h>

#define LOG_FOLLOW_INTERVAL_NS (25LL * 1000000)

struct http_client;
struct log_follow;

/*
 * Follow <sandbox of fw/task, latest run>/<stream> on the agent at agent ("host:port"),
 * writing its bytes to out_fd. tail > 0: start with the last tail lines (looking back at
 * most 1 MiB); tail 0: from the start; tail < 0: from the end. NULL when out of memory.
 */
struct log_follow *log_follow_new(struct http_client *c, const char *agent, const char *fw,
				  const char *task, const char *stream, int out_fd, long tail);
void log_follow_free(struct log_follow *f);
/*
 * agent was not the master's word (an offer's URL, offer_url.h): if the first read cannot
 * reach it, ask the master where agent agent_id listens (GET_AGENTS) and follow there.
 */
void log_follow_set_fallback(struct log_follow *f, const char *agent_id);
/* Ask for what is new (nothing when a read is under way). */
void log_follow_poll(struct log_follow *f);
/*
 * From now on, log_follow_done() waits for a read that starts after this call (one starts
 * now if none is under way, or at once when the one under way comes back); done(data) runs
 * once when the follower is done.
 */
void log_follow_finish(struct log_follow *f, void (*done)(void *data), void *data);
/* Finished (log_follow_finish, then everything read), or failed (the error printed). */
bool log_follow_done(const struct log_follow *f);

/* "host:port" of the API of agent agent_id, from the master's GET_AGENTS. 0 or -1 (printed). */
int log_agent_address(const char *agent_id, char *buf, size_t len);

#endif
