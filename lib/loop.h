/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One epoll loop per daemon thread (Redis's ae, trimmed): fd watchers, timers on timerfds,
 * and a thread-safe wakeup (eventfd) for queues fed by other threads. Callbacks run on the
 * loop's thread only. Not thread-safe except loop_wakeup()/loop_stop().
 */
#ifndef DROVER_LOOP_H
#define DROVER_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_watch;
struct loop_timer;

typedef void (*loop_fd_cb)(struct loop *l, int fd, uint32_t events, void *data);
typedef void (*loop_timer_cb)(struct loop *l, struct loop_timer *t, void *data);
typedef void (*loop_wake_cb)(struct loop *l, void *data);

int loop_new(struct loop **ret);
/* Frees watchers and timers still registered; closes timerfds, not watched fds. */
void loop_free(struct loop *l);

/* Watch fd for EPOLLIN/EPOLLOUT...; returns the watch (owned by the loop) or NULL + errno. */
struct loop_watch *loop_watch_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *data);
int loop_watch_modify(struct loop *l, struct loop_watch *w, uint32_t events);
/* Stop watching (safe from inside the watch's own callback). Does not close the fd. */
void loop_unwatch(struct loop *l, struct loop_watch *w);

/* A timer firing after first_ns and then every interval_ns (0: once). */
struct loop_timer *loop_timer_add(struct loop *l, int64_t first_ns, int64_t interval_ns,
				  loop_timer_cb cb, void *data);
int loop_timer_set(struct loop_timer *t, int64_t first_ns, int64_t interval_ns);
/* Disarm without deleting. */
int loop_timer_stop(struct loop_timer *t);
/* Safe from inside the timer's own callback. */
void loop_timer_del(struct loop *l, struct loop_timer *t);

/* The wakeup callback runs on the loop thread after any loop_wakeup() call (coalesced). */
void loop_set_wake(struct loop *l, loop_wake_cb cb, void *data);
void loop_wakeup(struct loop *l);            /* any thread, async-signal-safe */
void loop_stop(struct loop *l);              /* any thread */
int loop_run(struct loop *l);                /* until loop_stop(); -errno on epoll failure */

/* CLOCK_MONOTONIC and CLOCK_REALTIME in ns. */
int64_t now_mono_ns(void);
int64_t now_real_ns(void);

#endif
