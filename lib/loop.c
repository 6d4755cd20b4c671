// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

struct loop_watch {
	int fd;
	bool dead;
	loop_fd_cb cb;
	void *data;
	struct loop_watch *next_dead;
	struct loop_timer *timer; /* when this watch belongs to a timer */
};

struct loop_timer {
	struct loop_watch *w;
	loop_timer_cb cb;
	void *data;
};

struct loop {
	int epfd;
	int wakefd;
	struct loop_watch *wake_watch;
	loop_wake_cb wake_cb;
	void *wake_data;
	atomic_bool stop;
	struct loop_watch *dead; /* freed after the current dispatch round */
	struct loop_watch **all; /* every live watch, for loop_free */
	size_t nall, capall;
};

int64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int track(struct loop *l, struct loop_watch *w)
{
	if (l->nall == l->capall) {
		size_t cap = l->capall ? l->capall * 2 : 16;
		struct loop_watch **n = realloc(l->all, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->all = n;
		l->capall = cap;
	}
	l->all[l->nall++] = w;
	return 0;
}

static void untrack(struct loop *l, struct loop_watch *w)
{
	for (size_t i = 0; i < l->nall; i++) {
		if (l->all[i] == w) {
			l->all[i] = l->all[--l->nall];
			return;
		}
	}
}

static void on_wake(struct loop *l, int fd, uint32_t events, void *data)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (l->wake_cb)
		l->wake_cb(l, l->wake_data);
}

int loop_new(struct loop **ret)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->wakefd < 0)
		goto fail;
	l->wake_watch = loop_watch_fd(l, l->wakefd, EPOLLIN, on_wake, NULL);
	if (!l->wake_watch)
		goto fail;
	*ret = l;
	return 0;
fail:
	{
		int e = errno ? errno : ENOMEM;
		if (l->epfd >= 0)
			close(l->epfd);
		if (l->wakefd >= 0)
			close(l->wakefd);
		free(l->all);
		free(l);
		return -e;
	}
}

static void reap(struct loop *l)
{
	while (l->dead) {
		struct loop_watch *w = l->dead;
		l->dead = w->next_dead;
		free(w);
	}
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	while (l->nall) {
		struct loop_watch *w = l->all[l->nall - 1];
		if (w->timer)
			loop_timer_del(l, w->timer);
		else
			loop_unwatch(l, w);
	}
	reap(l);
	close(l->wakefd);
	close(l->epfd);
	free(l->all);
	free(l);
}

struct loop_watch *loop_watch_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *data)
{
	struct loop_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = {.events = events};

	if (!w)
		return NULL;
	w->fd = fd;
	w->cb = cb;
	w->data = data;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 || track(l, w) < 0) {
		int e = errno;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		free(w);
		errno = e;
		return NULL;
	}
	return w;
}

int loop_watch_modify(struct loop *l, struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

void loop_unwatch(struct loop *l, struct loop_watch *w)
{
	if (!w || w->dead)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	untrack(l, w);
	w->dead = true;
	w->next_dead = l->dead;
	l->dead = w;
}

static void on_timer(struct loop *l, int fd, uint32_t events, void *data)
{
	struct loop_timer *t = data;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	t->cb(l, t, t->data);
}

int loop_timer_set(struct loop_timer *t, int64_t first_ns, int64_t interval_ns)
{
	struct itimerspec its = {
		.it_value = {.tv_sec = first_ns / 1000000000, .tv_nsec = first_ns % 1000000000},
		.it_interval = {.tv_sec = interval_ns / 1000000000,
				.tv_nsec = interval_ns % 1000000000},
	};

	if (first_ns <= 0)
		its.it_value.tv_nsec = 1; /* zero would disarm: fire as soon as possible */
	return timerfd_settime(t->w->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

int loop_timer_stop(struct loop_timer *t)
{
	struct itimerspec its = {0};

	return timerfd_settime(t->w->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

struct loop_timer *loop_timer_add(struct loop *l, int64_t first_ns, int64_t interval_ns,
				  loop_timer_cb cb, void *data)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	int fd;

	if (!t)
		return NULL;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		goto fail;
	t->cb = cb;
	t->data = data;
	t->w = loop_watch_fd(l, fd, EPOLLIN, on_timer, t);
	if (!t->w) {
		close(fd);
		goto fail;
	}
	t->w->timer = t;
	if (loop_timer_set(t, first_ns, interval_ns) < 0) {
		loop_timer_del(l, t);
		return NULL;
	}
	return t;
fail:
	free(t);
	return NULL;
}

void loop_timer_del(struct loop *l, struct loop_timer *t)
{
	if (!t)
		return;
	close(t->w->fd);
	t->w->timer = NULL;
	loop_unwatch(l, t->w);
	free(t);
}

void loop_set_wake(struct loop *l, loop_wake_cb cb, void *data)
{
	l->wake_cb = cb;
	l->wake_data = data;
}

void loop_wakeup(struct loop *l)
{
	uint64_t one = 1;
	ssize_t r _unused_ = write(l->wakefd, &one, sizeof(one));
}

void loop_stop(struct loop *l)
{
	atomic_store(&l->stop, true);
	loop_wakeup(l);
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[64];

	while (!atomic_load(&l->stop)) {
		int n = epoll_wait(l->epfd, evs, ARRAY_SIZE(evs), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct loop_watch *w = evs[i].data.ptr;
			if (!w->dead)
				w->cb(l, w->fd, evs[i].events, w->data);
		}
		reap(l);
	}
	return 0;
}
