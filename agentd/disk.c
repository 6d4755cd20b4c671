// SPDX-License-Identifier: Apache-2.0
/*
 * The work dir's disk: sandbox GC (sandbox_gc.h) on a timer and before a launch the disk
 * would refuse, and the checkpoint reserve (checkpoint.h) a launch needs whole.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "agent_internal.h"
#include "log.h"

/* agent_gc_collect's in_use: is path the sandbox of a task in the table? */
static bool sandbox_in_use(const char *path, void *data)
{
	struct agent *a = data;
	const char *k;
	void *v;

	for (size_t it = 0; strmap_next(&a->tasks, &it, &k, &v);) {
		const struct agent_task *t = v;

		if (t->sandbox[0] && streq(t->sandbox, path))
			return true;
	}
	return agent_executor_sandbox_in_use(a, path); /* executors' sandboxes (executor.h) */
}

/* One GC pass over the sandboxes no task needs (sandbox_gc.h). */
static void agent_gc_pass(struct agent *a)
{
	struct agent_gc_stats st;
	int r;

	if (!a->gc)
		return;
	r = agent_gc_collect(a->gc, a->flags->gc_delay_ns, a->flags->gc_disk_headroom,
			     now_real_ns(), sandbox_in_use, a, &st);
	if (r < 0) {
		log_warn_errno(r, "sandbox GC: %m");
		return;
	}
	if (st.collected || st.failed)
		log_info("sandbox GC: %d collected, %d kept, %d could not be moved (disk %.0f%% "
			 "used, max age %llds)",
			 st.collected, st.kept, st.failed, st.usage * 100,
			 (long long)(st.max_age_ns / 1000000000LL));
}

/*
 * May a task be launched as far as the work dir's disk goes? The checkpoint reserve must
 * be whole and as much again free besides it (checkpoint.h); a GC pass first when not.
 * 0, or -ENOSPC with why in err.
 */
int agent_disk_admits_launch(struct agent *a, char *err, size_t errlen)
{
	uint64_t want = agent_checkpoint_reserve_effective(&a->ckpt,
							   (uint64_t)a->flags->checkpoint_reserve);
	struct statvfs sv;
	int r = 0;

	if (!want)
		return 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (attempt)
			agent_gc_pass(a);
		r = agent_checkpoint_reserve_ensure(&a->ckpt, want);
		if (r == 0 && fstatvfs(a->ckpt.meta_fd, &sv) == 0 &&
		    (uint64_t)sv.f_bavail * sv.f_frsize < want)
			r = -ENOSPC;
		if (r == 0)
			return 0;
	}
	snprintf(err, errlen,
		 "the agent's work dir has less than %llu KiB free besides its checkpoint reserve "
		 "(--checkpoint-reserve): %s",
		 (unsigned long long)(want / 1024), strerror(-r));
	return r;
}

/* The --disk-watch-interval timer: a GC pass, and the reserve made whole when it can be. */
static void on_disk_watch(struct loop *l, struct loop_timer *timer, void *data)
{
	struct agent *a = data;
	uint64_t want = agent_checkpoint_reserve_effective(&a->ckpt,
							   (uint64_t)a->flags->checkpoint_reserve);

	agent_gc_pass(a);
	/* give the reserve back its blocks once there is room again */
	if (a->ckpt.reserve_released && agent_checkpoint_reserve_ensure(&a->ckpt, want) == 0)
		log_info("the checkpoint reserve is whole again");
}

/* The --disk-watch-interval timer (60 s when unset). 0 or -errno (logged). */
int agent_disk_start(struct agent *a)
{
	int64_t every = a->flags->disk_watch_interval_ns > 0 ? a->flags->disk_watch_interval_ns
							      : 60 * 1000000000LL;

	a->disk_timer = loop_timer_add(a->loop, every, every, on_disk_watch, a);
	if (!a->disk_timer)
		return log_error_errno(errno, "cannot create timers: %m");
	return 0;
}

void agent_disk_stop(struct agent *a)
{
	if (a->loop)
		loop_timer_del(a->loop, a->disk_timer);
	a->disk_timer = NULL;
}
