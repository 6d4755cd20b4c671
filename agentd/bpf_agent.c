// SPDX-License-Identifier: Apache-2.0
/* The agent's eBPF side: see bpf_agent.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf_agent.h"
#include "bpf_cgstat.h"
#include "bpf_common.h"
#include "bpf_devices.h"
#include "bpf_oomkill.h"
#include "bpf_ports.h"
#include "bpf_runqlat.h"
#include "log.h"
#include "loop.h"
#include "strmap.h"

#define ERRLEN 1024

/* One task leaf the agent told us about. */
struct tracked {
	uint64_t cgid;
	struct runq_hist prev; /* the histogram at the previous sample */
	bool have_prev;
	struct bpf_runq_summary runq; /* over the last sample interval */
	bool have_oom;
	struct oom_event oom; /* the last OOM kill in the leaf */
};

struct agent_bpf {
	bool enabled;
	char why_off[ERRLEN]; /* why nothing (or not everything) loaded */
	char pin_dir[256];
	char *devices_allow; /* --task-devices */
	struct loop *loop;
	struct bpf_cgstat *cgstat;
	struct bpf_runqlat *runq;
	struct bpf_ports *ports;
	struct bpf_devices *devs;
	struct bpf_oomkill *oom;
	char err_cgstat[ERRLEN], err_runq[ERRLEN], err_ports[ERRLEN], err_devs[ERRLEN],
		err_oom[ERRLEN];
	struct loop_watch *oom_watch;
	struct loop_timer *sample_timer;
	int stats_fd;
	struct strmap tracked; /* "<cgid>" -> struct tracked */
	uint64_t samples;
	uint64_t sample_total_ns, sample_max_ns, sample_last_ns; /* time spent in sample() */
};

static void set_u64(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

static void key_of(uint64_t cgid, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64, cgid);
}

static struct tracked *find(struct agent_bpf *b, uint64_t cgid)
{
	char key[24];

	key_of(cgid, key, sizeof(key));
	return strmap_get(&b->tracked, key);
}

static void on_oom(const struct oom_event *e, void *data)
{
	struct agent_bpf *b = data;
	struct tracked *t = find(b, e->victim_cgid);
	char msg[256];

	bpf_oomkill_format(e, msg, sizeof(msg));
	if (!t) {
		log_info("bpf: %s (cgroup %" PRIu64 ", not a task of this agent)", msg,
			 (uint64_t)e->victim_cgid);
		return;
	}
	log_info("bpf: %s (task cgroup %" PRIu64 ")", msg, (uint64_t)e->victim_cgid);
	t->oom = *e;
	t->have_oom = true;
}

static void on_oom_readable(struct loop *l, int fd, uint32_t events, void *data)
{
	struct agent_bpf *b = data;

	bpf_oomkill_consume(b->oom);
}

static void on_hist(struct tracked *t, const struct runq_hist *now)
{
	bpf_runq_summarize(now, t->have_prev ? &t->prev : NULL, &t->runq);
	t->prev = *now;
	t->have_prev = true;
}

/* One sample: the cgroup walk, and every tracked histogram against the previous one. */
static void sample(struct agent_bpf *b)
{
	uint64_t t0 = (uint64_t)now_mono_ns();
	size_t it;
	void *v;

	if (b->cgstat && bpf_cgstat_collect(b->cgstat) < 0)
		log_debug("bpf: cgroup walk failed: %m");
	/* the histograms are read from the mapped array: no system call */
	for (it = 0; b->runq && strmap_next(&b->tracked, &it, NULL, &v);) {
		struct tracked *t = v;
		struct runq_hist now;

		if (bpf_runqlat_read(b->runq, t->cgid, &now) == 0)
			on_hist(t, &now);
	}
	b->samples++;
	b->sample_last_ns = (uint64_t)now_mono_ns() - t0;
	b->sample_total_ns += b->sample_last_ns;
	if (b->sample_last_ns > b->sample_max_ns)
		b->sample_max_ns = b->sample_last_ns;
}

static void on_sample(struct loop *l, struct loop_timer *timer, void *data)
{
	sample(data);
}

/*
 * The enforcement links a previous agent left, when this one does not run those programs
 * (--bpf off, or they did not load): their maps would no longer follow the tasks (a new
 * task's ports would be refused), so they go. Unpinning the last reference detaches.
 */
static void drop_stale_links(const char *dir, bool ports, bool devs)
{
	if (!dir || !*dir)
		return;
	if (!ports) {
		bpf_unpin(dir, "link_bind4");
		bpf_unpin(dir, "link_bind6");
	}
	if (!devs)
		bpf_unpin(dir, "link_dev");
}

static void pin_all(struct agent_bpf *b, int tasks_fd)
{
	const char *d = b->pin_dir;
	int r;

	bpf_cgstat_unpin(d);
	bpf_runqlat_unpin(d);
	bpf_ports_unpin(d);
	bpf_devices_unpin(d);
	bpf_oomkill_unpin(d);
	r = (b->cgstat ? bpf_cgstat_pin(b->cgstat, d) : 0);
	if (r == 0 && b->runq)
		r = bpf_runqlat_pin(b->runq, d);
	if (r == 0 && b->ports)
		r = bpf_ports_pin(b->ports, d);
	if (r == 0 && b->devs)
		r = bpf_devices_pin(b->devs, d);
	if (r == 0 && b->oom)
		r = bpf_oomkill_pin(b->oom, d);
	if (r < 0)
		log_warn_errno(r, "bpf: cannot pin under '%s': %m", d);
	else
		log_info("bpf: programs and maps pinned under '%s'", d);
	/* enforcement that does not lapse while the agent is down or restarting */
	if (b->ports && (r = bpf_ports_keep_links(b->ports, d, tasks_fd)) < 0)
		log_warn_errno(r, "bpf: cannot pin the bind4/bind6 links under '%s' (ports are not "
			       "enforced while the agent is down): %m", d);
	else if (b->ports)
		log_info("bpf: bind4/bind6 %s (%s/link_bind4, link_bind6)",
			 r > 0 ? "re-adopted from the previous agent" : "pinned", d);
	if (b->devs && (r = bpf_devices_keep_link(b->devs, d, tasks_fd)) < 0)
		log_warn_errno(r, "bpf: cannot pin the devices link under '%s' (devices are not "
			       "enforced while the agent is down): %m", d);
	else if (b->devs)
		log_info("bpf: devices %s (%s/link_dev)",
			 r > 0 ? "re-adopted from the previous agent" : "pinned", d);
}

/* The port ranges of res (NULL and *n = 0 when it has none, or on ENOMEM: the caller tells). */
static struct bpf_port_range *port_ranges(const struct alloc_res *res, size_t *n)
{
	const struct alloc_res_item *p = res ? alloc_res_find(res, "ports") : NULL;
	struct bpf_port_range *out;

	*n = 0;
	if (!p || !p->n || !(out = calloc(p->n, sizeof(*out))))
		return NULL;
	for (size_t i = 0; i < p->n; i++) {
		out[i].begin = (uint32_t)p->ranges[i].begin;
		out[i].end = (uint32_t)p->ranges[i].end;
	}
	*n = p->n;
	return out;
}

int agent_bpf_init(const struct agent_bpf_config *cfg, struct agent_bpf **ret)
{
	struct agent_bpf *b = calloc(1, sizeof(*b));
	const struct alloc_res_item *ports;
	struct bpf_port_range *managed;
	size_t nmanaged;
	int r;

	if (!b)
		return -ENOMEM;
	strmap_init(&b->tracked);
	b->stats_fd = -1;
	b->loop = cfg->loop;
	if (cfg->devices_allow && *cfg->devices_allow) {
		if (bpf_devices_rule_covered(cfg->devices_allow, 'c', 0, 0, 0) < 0) {
			log_error("--task-devices: '%s' is not 'c|b MAJOR:MINOR|* rwm; ...'",
				  cfg->devices_allow);
			free(b);
			return -EINVAL;
		}
		b->devices_allow = strdup(cfg->devices_allow);
		if (!b->devices_allow) {
			free(b);
			return -ENOMEM;
		}
	}
	*ret = b;
	if (!cfg->enabled) {
		drop_stale_links(cfg->pin_dir, false, false);
		snprintf(b->why_off, sizeof(b->why_off), "turned off (--bpf off)");
		log_info("bpf: %s; usage is read from cgroupfs", b->why_off);
		return 0;
	}
	if (!bpf_kernel_has_btf()) {
		drop_stale_links(cfg->pin_dir, false, false);
		snprintf(b->why_off, sizeof(b->why_off),
			 "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)");
		log_warn("bpf: unavailable, %s; usage is read from cgroupfs, devices and ports "
			 "are not enforced",
			 b->why_off);
		return 0;
	}
	bpf_common_log_setup();

	ports = cfg->total ? alloc_res_find(cfg->total, "ports") : NULL;
	managed = port_ranges(cfg->total, &nmanaged);

	r = bpf_cgstat_open(cfg->tasks_fd, 0, &b->cgstat, b->err_cgstat, ERRLEN);
	if (r < 0)
		b->cgstat = NULL;
	r = bpf_runqlat_open_tracked(&b->runq, b->err_runq, ERRLEN);
	if (r < 0)
		b->runq = NULL;
	else
		log_info("bpf: run-queue waits from %s", bpf_runqlat_clock(b->runq));
	if (ports && ports->n && !managed) {
		snprintf(b->err_ports, ERRLEN, "ports: %s", strerror(ENOMEM));
		r = -ENOMEM;
	} else {
		r = bpf_ports_open_pinned(cfg->tasks_fd, managed, nmanaged, cfg->pin_dir,
					  &b->ports, b->err_ports, ERRLEN);
	}
	free(managed);
	if (r < 0)
		b->ports = NULL;
	r = bpf_devices_open_pinned(cfg->tasks_fd, cfg->pin_dir, &b->devs, b->err_devs, ERRLEN);
	if (r < 0)
		b->devs = NULL;
	r = bpf_oomkill_open((enum bpf_oom_mode)cfg->oom_mode, on_oom, b, &b->oom, b->err_oom,
			     ERRLEN);
	if (r < 0) {
		b->oom = NULL;
	} else {
		if (b->err_oom[0])
			log_info("bpf: OOM events: kprobe unavailable (%s)", b->err_oom);
		log_info("bpf: OOM events from %s", bpf_oomkill_source(b->oom));
	}

	b->enabled = b->cgstat || b->runq || b->ports || b->devs || b->oom;
	drop_stale_links(cfg->pin_dir, b->ports, b->devs);
	{
		const char *names[] = {"cpu/memory (cgroup iterator)", "run-queue latency", "ports",
				       "devices", "OOM events"};
		const void *parts[] = {b->cgstat, b->runq, b->ports, b->devs, b->oom};
		const char *errs[] = {b->err_cgstat, b->err_runq, b->err_ports, b->err_devs,
				      b->err_oom};
		size_t off = 0;

		for (size_t i = 0; i < 5; i++) {
			if (parts[i]) {
				log_info("bpf: %s loaded", names[i]);
				continue;
			}
			log_warn("bpf: %s unavailable: %s", names[i], errs[i]);
			off += (size_t)snprintf(b->why_off + off, off < sizeof(b->why_off) ? sizeof(b->why_off) - off : 0,
						"%s%s: %s", off ? "; " : "", names[i], errs[i]);
			if (off >= sizeof(b->why_off))
				off = sizeof(b->why_off) - 1;
		}
	}
	if (!b->cgstat)
		log_warn("bpf: usage is read from cgroupfs");
	if (b->oom) {
		b->oom_watch = loop_watch_fd(b->loop, bpf_oomkill_fd(b->oom), EPOLLIN,
					     on_oom_readable, b);
		if (!b->oom_watch)
			log_warn("bpf: cannot watch the OOM ring buffer: %m");
	}
	if (b->cgstat || b->runq) {
		b->sample_timer = loop_timer_add(b->loop, cfg->sample_ns, cfg->sample_ns, on_sample, b);
		if (!b->sample_timer)
			log_warn("bpf: cannot start the sampling timer: %m");
		sample(b);
	}
	if (cfg->stats) {
		b->stats_fd = bpf_stats_enable();
		if (b->stats_fd < 0)
			log_warn_errno(b->stats_fd, "bpf: BPF_ENABLE_STATS: %m");
		else
			log_info("bpf: run-time statistics on (run_time_ns, run_cnt)");
	}
	if (b->enabled && cfg->pin_dir && cfg->pin_dir[0]) {
		r = bpf_pin_dir_prepare(cfg->pin_dir);
		if (r < 0) {
			log_warn_errno(r, "bpf: cannot use '%s' to pin programs (%m); not pinning",
				       cfg->pin_dir);
		} else {
			snprintf(b->pin_dir, sizeof(b->pin_dir), "%s", cfg->pin_dir);
			pin_all(b, cfg->tasks_fd);
		}
	}
	return 0;
}

static void free_tracked(void *p)
{
	free(p);
}

void agent_bpf_fini(struct agent_bpf *b)
{
	if (!b)
		return;
	if (b->pin_dir[0]) {
		/*
		 * The tasks outlive the agent: the ports and devices links and their maps stay
		 * pinned (enforcement goes on; the next agent adopts them). Only the programs'
		 * own pins go, and the rest.
		 */
		bpf_cgstat_unpin(b->pin_dir);
		bpf_runqlat_unpin(b->pin_dir);
		bpf_unpin(b->pin_dir, "bind4");
		bpf_unpin(b->pin_dir, "bind6");
		bpf_unpin(b->pin_dir, "dev");
		bpf_oomkill_unpin(b->pin_dir);
		rmdir(b->pin_dir); /* (not empty while those stay) */
	}
	if (b->oom_watch)
		loop_unwatch(b->loop, b->oom_watch);
	if (b->sample_timer)
		loop_timer_del(b->loop, b->sample_timer);
	bpf_oomkill_close(b->oom);
	bpf_devices_close(b->devs);
	bpf_ports_close(b->ports);
	bpf_runqlat_close(b->runq);
	bpf_cgstat_close(b->cgstat);
	if (b->stats_fd >= 0)
		close(b->stats_fd);
	strmap_clear(&b->tracked, free_tracked);
	free(b->devices_allow);
	free(b);
}

/* Something loaded: usage comes from BPF. */
static bool agent_bpf_active(const struct agent_bpf *b)
{
	return b && b->enabled;
}

json_t *agent_bpf_enforcement_json(const struct agent_bpf *b)
{
	json_t *j = json_object(), *progs = json_array();

	json_object_set_new(j, "enabled", json_boolean(agent_bpf_active(b)));
	if (!b)
		return j;
	if (b->cgstat)
		json_array_append_new(progs, json_string("cgstat"));
	if (b->runq)
		json_array_append_new(progs, json_string("runqlat"));
	if (b->ports)
		json_array_append_new(progs, json_string("ports"));
	if (b->devs)
		json_array_append_new(progs, json_string("devices"));
	if (b->oom) {
		json_array_append_new(progs, json_string("oomkill"));
		json_object_set_new(j, "oom_source", json_string(bpf_oomkill_source(b->oom)));
	}
	json_object_set_new(j, "programs", progs);
	json_object_set_new(j, "usage_source", json_string(b->cgstat ? "bpf" : "cgroupfs"));
	json_object_set_new(j, "ports", json_boolean(b->ports != NULL));
	json_object_set_new(j, "devices", json_boolean(b->devs != NULL));
	if (b->why_off[0])
		json_object_set_new(j, "why", json_string(b->why_off));
	if (b->pin_dir[0])
		json_object_set_new(j, "pin_dir", json_string(b->pin_dir));
	json_object_set_new(j, "stats", json_boolean(b->stats_fd >= 0));
	if (b->samples) {
		json_t *sm = json_object();

		set_u64(sm, "count", b->samples);
		set_u64(sm, "total_ns", b->sample_total_ns);
		set_u64(sm, "last_ns", b->sample_last_ns);
		set_u64(sm, "max_ns", b->sample_max_ns);
		if (b->cgstat) {
			struct bpf_cgstat_timing tm;

			bpf_cgstat_timing(b->cgstat, &tm);
			set_u64(sm, "last_walk_ns", tm.walk_ns);
			set_u64(sm, "last_walk_cgroups", tm.visited);
		}
		json_object_set_new(j, "samples", sm);
	}
	return j;
}

static const char *devices_label(json_t *info)
{
	json_t *labels = json_object_get(json_object_get(info, "labels"), "labels"), *l;
	size_t i;

	json_array_foreach(labels, i, l) {
		if (streq(json_string_value(json_object_get(l, "key")), "drover.devices"))
			return json_string_value(json_object_get(l, "value"));
	}
	return NULL;
}

static int allow_devices(struct agent_bpf *b, uint64_t cgid, const char *spec, char *err,
			 size_t errlen)
{
	char *copy = strdup(spec), *save, *rule;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (rule = strtok_r(copy, ";", &save); rule && r == 0; rule = strtok_r(NULL, ";", &save)) {
		char type, acc[4] = "";
		uint32_t major, minor, mask;
		size_t k = 0;

		if (!rule[strspn(rule, " ")])
			continue;
		r = bpf_devices_rule_parse(rule, &type, &major, &minor, &mask);
		if (r < 0) {
			snprintf(err, errlen, "label 'drover.devices': '%s' is not 'c|b MAJOR:MINOR|* rwm'",
				 rule);
			break;
		}
		if (mask & DEV_ACC_READ)
			acc[k++] = 'r';
		if (mask & DEV_ACC_WRITE)
			acc[k++] = 'w';
		if (mask & DEV_ACC_MKNOD)
			acc[k++] = 'm';
		if (bpf_devices_rule_covered(b->devices_allow, type, major, minor, mask) != 1) {
			snprintf(err, errlen, "label 'drover.devices': '%s' is not within this agent's "
				 "--task-devices ('%s')", rule, b->devices_allow ? b->devices_allow : "");
			r = -EPERM;
			break;
		}
		r = bpf_devices_allow(b->devs, cgid, type, major, minor, acc);
		if (r < 0)
			snprintf(err, errlen, "cannot allow device '%s': %s", rule, strerror(-r));
	}
	free(copy);
	return r;
}

int agent_bpf_task_start(struct agent_bpf *b, int cgroup_fd, const struct alloc_res *res,
			 json_t *task_info, char *err, size_t errlen)
{
	struct bpf_port_range *pr;
	struct tracked *t;
	const char *devs;
	char key[24];
	uint64_t cgid;
	size_t n;
	int r;

	if (!agent_bpf_active(b))
		return 0;
	r = bpf_cgroup_id_of_fd(cgroup_fd, &cgid);
	if (r < 0) {
		snprintf(err, errlen, "cannot get the task's cgroup id: %s", strerror(-r));
		return r;
	}
	if (!find(b, cgid)) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		t->cgid = cgid;
		key_of(cgid, key, sizeof(key));
		if (strmap_put(&b->tracked, key, t, NULL) < 0) {
			free(t);
			return -ENOMEM;
		}
	}
	if (b->runq && (r = bpf_runqlat_track(b->runq, cgroup_fd, cgid)) < 0)
		log_warn_errno(r, "bpf: cannot track the run queue of cgroup %" PRIu64 ": %m", cgid);
	if (b->ports) {
		pr = port_ranges(res, &n);
		if (!pr && alloc_res_find(res, "ports")) {
			snprintf(err, errlen, "cannot allow the task's ports: %s", strerror(ENOMEM));
			r = -ENOMEM;
			goto out_stop;
		}
		r = bpf_ports_allow(b->ports, cgid, pr, n);
		free(pr);
		if (r < 0) {
			snprintf(err, errlen, "cannot allow the task's ports: %s", strerror(-r));
			goto out_stop;
		}
		if (r > 0)
			log_warn("bpf: %d of the ports given to cgroup %" PRIu64 " were still held "
				 "by another cgroup; they are this one's now", r, cgid);
	}
	devs = devices_label(task_info);
	if (devs) {
		if (!b->devs) {
			snprintf(err, errlen, "the task asks for devices but device control is "
					      "unavailable (%s)", b->err_devs);
			r = -EOPNOTSUPP;
			goto out_stop;
		}
		r = allow_devices(b, cgid, devs, err, errlen);
		if (r < 0)
			goto out_stop;
	}
	return 0;

out_stop:
	agent_bpf_task_stop(b, cgroup_fd, res);
	return r;
}

void agent_bpf_task_stop(struct agent_bpf *b, int cgroup_fd, const struct alloc_res *res)
{
	struct bpf_port_range *pr;
	uint64_t cgid;
	char key[24];
	size_t n;

	if (!agent_bpf_active(b) || bpf_cgroup_id_of_fd(cgroup_fd, &cgid) < 0)
		return;
	if (b->runq)
		bpf_runqlat_forget(b->runq, cgroup_fd, cgid);
	if (b->ports) {
		pr = port_ranges(res, &n);
		bpf_ports_forget(b->ports, cgid, pr, n);
		free(pr);
	}
	if (b->devs)
		bpf_devices_forget(b->devs, cgid);
	key_of(cgid, key, sizeof(key));
	free(strmap_del(&b->tracked, key));
}

/* The fields of one cgroup's record: usage and terminal accounting share them. */
static void cgstat_json(const struct cgstat *s, json_t *o)
{
	uint64_t user, sys;

	bpf_cgstat_split(s, &user, &sys);
	set_u64(o, "cpu_usage_ns", s->cpu_ns);
	set_u64(o, "cpu_user_ns", user);
	set_u64(o, "cpu_system_ns", sys);
	if (s->flags & CGSTAT_F_CPU_CTRL) {
		set_u64(o, "cpu_nr_periods", s->nr_periods);
		set_u64(o, "cpu_nr_throttled", s->nr_throttled);
		set_u64(o, "cpu_throttled_ns", s->throttled_ns);
	}
	if (s->flags & CGSTAT_F_MEM) {
		set_u64(o, "mem_current_bytes", s->mem_current);
		set_u64(o, "mem_peak_bytes", s->mem_peak);
		set_u64(o, "oom_kills", s->oom_kill);
	}
}

static void runq_json(const struct tracked *t, json_t *o)
{
	json_t *r = json_object();

	set_u64(r, "waits", t->runq.count);
	set_u64(r, "p50_us", t->runq.p50_us);
	set_u64(r, "p99_us", t->runq.p99_us);
	set_u64(r, "max_us", t->runq.max_us);
	set_u64(r, "total_waits", t->runq.total_count);
	set_u64(r, "total_wait_ns", t->runq.total_wait_ns);
	json_object_set_new(o, "runq", r);
}

void agent_bpf_usage_json(struct agent_bpf *b, int cgroup_fd, json_t *usage)
{
	const struct cgstat_rec *rec;
	struct tracked *t;
	uint64_t cgid;

	if (!agent_bpf_active(b) || bpf_cgroup_id_of_fd(cgroup_fd, &cgid) < 0)
		return;
	rec = b->cgstat ? bpf_cgstat_find(b->cgstat, cgid) : NULL;
	if (rec) {
		cgstat_json(&rec->s, usage);
		json_object_set_new(usage, "source", json_string("bpf"));
	}
	t = find(b, cgid);
	if (t && b->runq && t->have_prev)
		runq_json(t, usage);
	if (b->ports)
		set_u64(usage, "bind_denied", bpf_ports_denied(b->ports, cgid));
	if (b->devs)
		set_u64(usage, "dev_denied", bpf_devices_denied(b->devs, cgid));
}

void agent_bpf_metrics(struct agent_bpf *b, int cgroup_fd, const char *labels, FILE *f)
{
	const struct cgstat_rec *rec;
	struct tracked *t;
	uint64_t cgid;

	if (!agent_bpf_active(b) || bpf_cgroup_id_of_fd(cgroup_fd, &cgid) < 0)
		return;
	rec = b->cgstat ? bpf_cgstat_find(b->cgstat, cgid) : NULL;
	if (rec && (rec->s.flags & CGSTAT_F_CPU_CTRL))
		fprintf(f, "drover_agent_task_cpu_throttled_seconds_total{%s} %.9f\n", labels,
			(double)rec->s.throttled_ns / 1e9);
	t = find(b, cgid);
	if (t && b->runq && t->have_prev) {
		fprintf(f, "drover_agent_task_runq_wait_p99_seconds{%s} %.6f\n", labels,
			(double)t->runq.p99_us / 1e6);
		fprintf(f, "drover_agent_task_runq_waits_total{%s} %" PRIu64 "\n", labels,
			t->runq.total_count);
	}
	if (b->ports)
		fprintf(f, "drover_agent_task_bind_denied_total{%s} %" PRIu64 "\n", labels,
			bpf_ports_denied(b->ports, cgid));
	if (b->devs)
		fprintf(f, "drover_agent_task_device_denied_total{%s} %" PRIu64 "\n", labels,
			bpf_devices_denied(b->devs, cgid));
}

void agent_bpf_task_finish(struct agent_bpf *b, int cgroup_fd, json_t *acct, char *oom_msg,
			   size_t len)
{
	const struct cgstat_rec *rec;
	struct tracked *t;
	uint64_t cgid;
	json_t *o;

	if (len)
		oom_msg[0] = '\0';
	if (!agent_bpf_active(b) || bpf_cgroup_id_of_fd(cgroup_fd, &cgid) < 0)
		return;
	if (b->oom)
		bpf_oomkill_consume(b->oom); /* the event may still sit in the ring buffer */
	sample(b);
	o = json_object();
	rec = b->cgstat ? bpf_cgstat_find(b->cgstat, cgid) : NULL;
	if (rec)
		cgstat_json(&rec->s, o);
	t = find(b, cgid);
	if (t && b->runq && t->have_prev) {
		json_t *r = json_object();
		set_u64(r, "total_waits", t->runq.total_count);
		set_u64(r, "total_wait_ns", t->runq.total_wait_ns);
		set_u64(r, "max_us", t->runq.max_us);
		json_object_set_new(o, "runq", r);
	}
	if (b->ports)
		set_u64(o, "bind_denied", bpf_ports_denied(b->ports, cgid));
	if (b->devs)
		set_u64(o, "dev_denied", bpf_devices_denied(b->devs, cgid));
	if (t && t->have_oom) {
		json_t *e = json_object();
		set_u64(e, "pid", t->oom.pid);
		json_object_set_new(e, "comm", json_string(t->oom.comm));
		set_u64(e, "memcg_usage_bytes", t->oom.memcg_usage);
		if (t->oom.memcg_limit != ~0ULL)
			set_u64(e, "memcg_limit_bytes", t->oom.memcg_limit);
		json_object_set_new(o, "oom_kill", e);
		bpf_oomkill_format(&t->oom, oom_msg, len);
	}
	json_object_set_new(acct, "bpf", o);
}
