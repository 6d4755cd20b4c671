// SPDX-License-Identifier: Apache-2.0
/*
 * The agent daemon's life: agent_init (flags, the work dir, cgroups, resources, BPF,
 * recovery, the API), agent_run (the loop) and agent_fini. The jobs it starts live in
 * session.c (the master), task_launch.c and tasks.c (tasks), updates.c (status updates),
 * recover.c (restart) and disk.c (the work dir's disk).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent_internal.h"
#include "api.h"
#include "completed.h"
#include "health.h"
#include "log.h"
#include "mkdir.h"

/* ------------------------------------------------------------------ lifecycle */

/* --attributes "NAME:VALUE;...": TEXT attributes. -EINVAL with err. */
static int parse_attributes(const char *text, json_t **ret, char *err, size_t errlen)
{
	json_t *arr = json_array();
	char *copy = strdup(text), *save, *part;

	for (part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(part, ':');
		if (!colon || colon == part || !colon[1]) {
			snprintf(err, errlen, "attribute '%s' is not NAME:VALUE", part);
			free(copy);
			json_decref(arr);
			return -EINVAL;
		}
		*colon = '\0';
		json_array_append_new(arr, json_pack("{s:s,s:s,s:{s:s}}", "name", part, "type",
						     "TEXT", "text", "value", colon + 1));
	}
	free(copy);
	*ret = arr;
	return 0;
}

/*
 * What this host offers when --resources is not given (called once the work dir and the
 * agent's cgroup exist):
 *   cpus   online CPUs, fewer when the agent's affinity or the cpuset.cpus.effective of its
 *          cgroup (or the nearest ancestor with one) allows fewer;
 *   mem    MemTotal less a reserve for the host: 10 %, at least 256 MiB, at most 4 GiB;
 *   disk   the space available to the work dir's file system (statvfs f_bavail) less a
 *          reserve: 5 GiB, or half of it when that is less than 10 GiB (as Mesos does);
 *   ports  31000-32000 (Mesos's default; below Linux's ephemeral range 32768-60999).
 */
static int detect_resources(struct agent *a, char *err, size_t errlen)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	long long mem_mib = (long long)pages * psize / (1024 * 1024), disk_mib = 0;
	char text[256], *cpuset = NULL, disk[48] = "";
	cpu_set_t mask;
	struct statvfs vfs;

	if (sched_getaffinity(0, sizeof(mask), &mask) == 0 && CPU_COUNT(&mask) > 0 &&
	    CPU_COUNT(&mask) < cpus)
		cpus = CPU_COUNT(&mask);
	if (a->have_cgroup && agent_cgroup_cpuset_effective(&a->cg, &cpuset) == 0) {
		int n = cgroupfs_cpulist_count(cpuset);

		if (n > 0 && n < cpus)
			cpus = n;
		free(cpuset);
	}
	if (cpus < 1)
		cpus = 1;

	/* keep a reserve for the host: 10 %, at least 256 MiB and at most 4 GiB */
	long long reserve = mem_mib / 10;
	reserve = reserve < 256 ? 256 : reserve > 4096 ? 4096 : reserve;

	if (statvfs(a->flags->work_dir, &vfs) == 0) {
		long long avail = (long long)((unsigned long long)vfs.f_bavail * vfs.f_frsize >> 20);
		long long dres = avail < 10240 ? avail / 2 : 5120;

		disk_mib = avail - dres;
		if (disk_mib > 0)
			snprintf(disk, sizeof(disk), ";disk:%lld", disk_mib);
	} else {
		log_warn("cannot measure the work dir's file system ('%s'): %m; offering no disk",
			 a->flags->work_dir);
	}
	snprintf(text, sizeof(text), "cpus:%ld;mem:%lld%s;ports:[31000-32000]", cpus,
		 mem_mib > reserve ? mem_mib - reserve : mem_mib / 2, disk);
	return alloc_res_parse(text, &a->total, err, errlen);
}

/* The taskstats socket is readable: take the exit records in. */
static void on_taskstats(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent *a = data;
	int r = agent_taskstats_receive(a->taskstats);

	if (r < 0)
		log_warn_errno(r, "reading taskstats: %m");
}

/*
 * The work dir: created if need be, its checkpoints opened with their reserve set aside
 * (checkpoint.h), sandbox GC set up (sandbox_gc.h). 0 or -errno, logged.
 */
static int work_dir_open(struct agent *a)
{
	struct agent_flags *flags = a->flags;
	int r;

	r = mkdir_p(flags->work_dir, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot create the work dir '%s': %m", flags->work_dir);

	r = agent_checkpoint_open(flags->work_dir, &a->ckpt);
	if (r < 0)
		return log_error_errno(r, "cannot open the checkpoints in '%s': %m", flags->work_dir);
	r = agent_checkpoint_reserve_ensure(&a->ckpt, (uint64_t)flags->checkpoint_reserve);
	if (r < 0) /* not fatal: launches wait until it fits */
		log_warn_errno(r, "cannot set the checkpoint reserve aside in '%s' (%m); no task is "
			       "launched until it is", flags->work_dir);
	r = agent_gc_new(flags->work_dir, &a->gc);
	if (r < 0)
		return log_error_errno(r, "cannot set up sandbox GC in '%s': %m", flags->work_dir);
	return 0;
}

/*
 * The agent's cgroups (cgroup.h): created and reported; with --enforce strict, missing
 * controllers are fatal and what was made is removed. 0 or -errno, logged.
 */
static int cgroups_start(struct agent *a)
{
	struct agent_flags *flags = a->flags;
	char err[AGENT_ERRLEN];
	int r;

	r = agent_cgroup_init(flags->cgroup_root, getpid(), &a->cg, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "cgroup setup failed: %s", err);
	a->have_cgroup = true;
	agent_cgroup_report_format(&a->cg.report, a->cg_report, sizeof(a->cg_report));
	log_info("cgroup2 at '%s', root '%s': %s", a->cg.mount, a->cg.root, a->cg_report);
	if (agent_cgroup_check_strict(&a->cg.report, err, sizeof(err)) < 0) {
		if (flags->enforce == AGENT_ENFORCE_STRICT) {
			/* leave nothing behind: the cgroups just made (they fail EBUSY if used) */
			(void)agent_cgroup_teardown(&a->cg, getpid());
			return log_error_errno(EOPNOTSUPP,
					       "cannot enforce limits: %s (run with --enforce "
					       "best-effort to run without them)",
					       err);
		}
		log_warn("best-effort mode, limits not enforced: %s", err);
	}
	return 0;
}

/*
 * What enforces and measures tasks: the isolators' context, the taskstats socket (its
 * absence is only logged) and the BPF programs (bpf_agent.h). 0 or -errno, logged.
 */
static int enforcement_start(struct agent *a)
{
	struct agent_flags *flags = a->flags;
	struct agent_bpf_config bc = {
		.enabled = flags->bpf == AGENT_BPF_AUTO,
		.pin_dir = flags->bpf_pin_dir,
		.stats = flags->bpf_stats,
		.tasks_fd = a->cg.tasks_fd,
		.total = &a->total,
		.loop = a->loop,
		.sample_ns = flags->sample_interval_ns,
		.oom_mode = flags->bpf_oom,
		.devices_allow = flags->task_devices,
	};
	int r;

	a->iso_ctx.strict = flags->enforce == AGENT_ENFORCE_STRICT;
	a->iso_ctx.available = a->cg.report.available;
	a->iso_ctx.pids_max_default = (uint64_t)flags->pids_max;
	if (agent_taskstats_open(&a->taskstats, a->taskstats_note, sizeof(a->taskstats_note)) < 0)
		log_warn("terminal updates carry no taskstats accounting: %s", a->taskstats_note);
	else
		a->taskstats_watch = loop_watch_fd(a->loop, agent_taskstats_fd(a->taskstats),
						   EPOLLIN, on_taskstats, a);
	r = agent_bpf_init(&bc, &a->bpf);
	if (r < 0)
		return log_error_errno(r, "cannot set up BPF: %m");
	return 0;
}

/*
 * The agent, from its flags to a loop ready to run: options parsed, the loop and the HTTP
 * client, credentials (security.c), work dir, cgroups, resources, the master session, the
 * disk timer, isolation and BPF, recovery, the API. 0 or -errno, logged; agent_fini()
 * undoes what was done either way.
 */
int agent_init(struct agent *a, struct agent_flags *flags)
{
	char err[AGENT_ERRLEN];
	int r;

	memset(a, 0, sizeof(*a));
	a->ckpt.meta_fd = a->ckpt.tasks_fd = -1;
	a->flags = flags;
	strmap_init(&a->tasks);
	gethostname(a->hostname, sizeof(a->hostname) - 1);
	a->zk_fd = -1;
	a->shutdown_fd = -1;

	/* without --resources they are detected below, once the work dir and cgroup exist */
	r = flags->resources ? alloc_res_parse(flags->resources, &a->total, err, sizeof(err)) : 0;
	if (r < 0)
		return log_error_errno(r, "option '--resources': %s", err);
	if (flags->attributes && parse_attributes(flags->attributes, &a->attributes, err,
						  sizeof(err)) < 0)
		return log_error_errno(EINVAL, "option '--attributes': %s", err);

	/* credentials, TLS files and --task-user first: a bad one creates nothing */
	r = loop_new(&a->loop);
	if (r < 0)
		return log_error_errno(r, "cannot create the event loop: %m");
	r = http_client_new(a->loop, &a->http);
	if (r < 0)
		return log_error_errno(r, "cannot create the HTTP client: %m");
	r = agent_security_init(a);
	if (r < 0)
		return r;

	r = work_dir_open(a);
	if (r < 0)
		return r;
	r = cgroups_start(a);
	if (r < 0)
		return r;
	if (!flags->resources && detect_resources(a, err, sizeof(err)) < 0)
		return log_error_errno(EINVAL, "cannot describe the detected resources: %s", err);

	r = agent_session_start(a);
	if (r < 0)
		return r;
	r = agent_shutdown_start(a);
	if (r < 0)
		return r;
	r = agent_disk_start(a);
	if (r < 0)
		return r;
	r = enforcement_start(a);
	if (r < 0)
		return r;
	r = agent_recover(a);
	if (r < 0)
		return r;
	r = agent_security_start(a);
	if (r < 0)
		return r;
	r = agent_api_start(a);
	if (r < 0)
		return r;
	{
		char res[512];
		alloc_res_format(&a->total, res, sizeof(res));
		log_info("offering %s to the master at %s", res,
			 a->master_url[0] ? a->master_url : flags->master);
	}
	return 0;
}

int agent_run(struct agent *a)
{
	int r = loop_run(a->loop);

	if (r < 0)
		log_error_errno(r, "event loop failed: %m");
	return r;
}

static void free_task(void *p)
{
	agent_task_free(p);
}

void agent_fini(struct agent *a)
{
	agent_api_stop(a);
	strmap_clear(&a->tasks, free_task);
	agent_health_fini(a); /* after the tasks: they leave its table */
	agent_executors_free(a);
	agent_completed_free(a);
	agent_bpf_fini(a->bpf); /* before the loop: it owns a timer and a watch there */
	a->bpf = NULL;
	if (a->taskstats_watch)
		loop_unwatch(a->loop, a->taskstats_watch);
	agent_taskstats_free(a->taskstats);
	agent_shutdown_stop(a);
	agent_session_stop(a); /* before the http client: the stream is one of its calls */
	agent_disk_stop(a);
	if (a->http)
		http_client_free(a->http);
	agent_security_fini(a);
	if (a->loop)
		loop_free(a->loop);
	if (a->have_cgroup)
		agent_cgroup_done(&a->cg);
	alloc_res_clear(&a->total);
	alloc_res_clear(&a->used);
	json_decref(a->attributes);
	agent_gc_free(a->gc);
	a->gc = NULL;
	agent_checkpoint_close(&a->ckpt);
}
