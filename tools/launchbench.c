// SPDX-License-Identifier: Apache-2.0
/*
 * drover-launchbench: the agent's launch latency, request -> process running in its cgroup,
 * beside a bare fork + exec of the same binary measured in the same run (interleaved, from
 * the same process, so both pay the same page-table copy).
 *
 * One agent launch is what agentd/task_launch.c agent_on_launch() does between the LAUNCH
 * event and the task's exec: checkpoint the task record, make the sandbox, create the
 * cgroup leaf, write the limits (isolators), checkpoint the STARTING update, prepare the
 * spawn (argv, env, stdout/stderr files), fork the supervisor, which clones the task into its leaf
 * (clone3 CLONE_INTO_CGROUP) and reports once it has exec'ed. The clock stops there; the
 * exit, the leaf's removal and the sandbox's are done untimed between launches.
 *
 * "Running" is the same for both: execve() has succeeded (a CLOEXEC pipe reads EOF).
 *
 * Prints median and p99 of both, their ratio, and the median of each phase of the agent's
 * launch. Needs root and a writable cgroup2 mount (best-effort: limits are written where
 * the controllers are available).
 *
 *   drover-launchbench [--launches N] [--binary /bin/true] [--work-dir DIR] [--pad MiB]
 *                      [--no-vfork] [--logger=false]
 * (options from a lib/conf table, as the daemons': also DROVER_LAUNCHBENCH_* variables)
 *
 * --no-vfork clones the task fork-like (a copy of the supervisor's page tables), as the
 * agent did before it used CLONE_VM | CLONE_VFORK: to measure what that bought.
 *
 * --pad touches that much extra memory first, so this process is the size of a running
 * agent (whose fork the supervisor is): about 24 MiB of RSS with its libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agentd/cgroup.h"
#include "agentd/checkpoint.h"
#include "agentd/isolator.h"
#include "agentd/launch.h"
#include "agentd/logger.h"
#include "agentd/supervisor.h"
#include "daemon.h"

enum phase { P_CKPT, P_SANDBOX, P_LEAF, P_LIMITS, P_UPDATE, P_PREPARE, P_SPAWN, P_MAX };
static const char *const phase_names[P_MAX] = {
	"checkpoint task",     "sandbox",	"cgroup leaf",		 "limits",
	"checkpoint STARTING", "spawn prepare", "supervisor+clone+exec",
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t pct(int64_t *v, size_t n, double p)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_i64);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* fork + exec, timed until the exec has succeeded. */
static int64_t bare_launch(const char *binary)
{
	char *const argv[] = {(char *)binary, NULL};
	char *const envp[] = {NULL};
	int p[2], e = 0;
	int64_t t0, t1;
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		execve(binary, argv, envp);
		e = errno;
		(void)!write(p[1], &e, sizeof(e));
		_exit(127);
	}
	close(p[1]);
	do
		n = read(p[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	t1 = now_ns();
	close(p[0]);
	if (pid < 0 || n != 0)
		return -1;
	waitpid(pid, NULL, 0);
	return t1 - t0;
}

struct bench {
	struct agent_cgroup cg;
	struct checkpoint ck;
	struct agent_isolator_ctx ictx;
	char work[256];
	const char *binary;
	unsigned spawn_flags;
	bool logger; /* the task's output through its logger (agentd/logger.h), as the agent */
};

/* One launch as task_launch.c does it; phases[] gets each step's time. Returns the total. */
static int64_t agent_launch(struct bench *b, int i, int64_t *phases)
{
	static const struct agent_logger_config logcfg = {.max_size = {10 << 20, 10 << 20},
							  .max_files = 2};
	char id[32], sandbox[512], err[512];
	char *const argv[] = {(char *)b->binary, NULL};
	char *const envp[] = {"PATH=/usr/bin:/bin", NULL};
	struct agent_launch_spec spec = {.path = b->binary, .argv = argv, .envp = envp};
	struct agent_task_limits lim = {.cpus = 0.1, .mem_bytes = 32 << 20};
	struct agent_launch_error lerr;
	struct agent_isolation iso;
	struct agent_spawn *sp = NULL;
	struct agent_task_proc proc = {.supervisor_pidfd = -1};
	struct agent_exit_record rec;
	json_t *task, *record, *upd;
	int sfd = -1, mfd = -1, leaf = -1, r;
	int64_t t[P_MAX + 1];
	struct pollfd pfd;

	snprintf(id, sizeof(id), "task-%d", i);
	snprintf(sandbox, sizeof(sandbox), "%s/sandboxes/bench/%s", b->work, id);
	task = json_pack("{s:{s:s},s:s,s:{s:s},s:[{s:s,s:s,s:{s:f}}],s:{s:b,s:s}}", "task_id",
			 "value", id, "name", "bench", "agent_id", "value", "a1", "resources",
			 "name", "cpus", "type", "SCALAR", "scalar", "value", 0.1, "command",
			 "shell", 0, "value", b->binary);

	t[0] = now_ns();
	record = json_pack("{s:{s:s},s:O,s:b,s:s}", "framework_id", "value", "bench", "task", task,
			   "kill_requested", 0, "sandbox", sandbox);
	r = agent_checkpoint_task_save(&b->ck, "bench", id, record);
	json_decref(record);
	t[1] = now_ns();
	if (r < 0)
		goto fail;
	if (mkdir(sandbox, 0755) < 0)
		goto fail;
	sfd = open(sandbox, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	t[2] = now_ns();
	if (sfd < 0 || agent_cgroup_task_create(&b->cg, "bench", id, &leaf) < 0)
		goto fail;
	t[3] = now_ns();
	if (agent_isolators_prepare(&b->ictx, leaf, &lim, &iso, err, sizeof(err)) < 0)
		goto fail;
	t[4] = now_ns();
	upd = json_pack("[{s:{s:s},s:s,s:s}]", "task_id", "value", id, "state", "TASK_STARTING",
			"uuid", "00000000-0000-0000-0000-000000000000");
	r = agent_checkpoint_updates_save(&b->ck, "bench", id, upd);
	json_decref(upd);
	t[5] = now_ns();
	if (r < 0)
		goto fail;
	spec.sandbox_fd = sfd;
	spec.cgroup_fd = leaf;
	spec.flags = b->spawn_flags;
	if (b->logger) {
		spec.logger = &logcfg;
		spec.logger_cgroup_fd = b->cg.supervisor_fd;
	}
	if (agent_spawn_prepare(&spec, &sp, &lerr) < 0)
		goto fail;
	t[6] = now_ns();
	mfd = agent_checkpoint_task_dir_open(&b->ck, "bench", id); /* the supervisor's records */
	if (mfd < 0)
		goto fail;
	if (agent_task_launch(sp, b->cg.supervisor_fd, mfd, &proc, &lerr) < 0) {
		fprintf(stderr, "launch failed: %s\n", lerr.message);
		goto fail;
	}
	t[7] = now_ns();
	for (int p = 0; p < P_MAX; p++)
		phases[p] = t[p + 1] - t[p];

	/* untimed: the task ends, the agent cleans up */
	pfd = (struct pollfd){.fd = proc.supervisor_pidfd, .events = POLLIN};
	(void)poll(&pfd, 1, 5000);
	agent_task_reap(&proc);
	if (agent_exit_status_read(mfd, &rec) < 0 || rec.how != AGENT_EXIT_EXITED || rec.code != 0)
		fprintf(stderr, "task %s did not exit 0\n", id);
	(void)agent_cgroup_wait_empty(leaf, 2000);
	agent_isolators_cleanup(&b->ictx, leaf);
	close(leaf);
	close(sfd);
	close(mfd);
	agent_cgroup_task_remove(&b->cg, "bench", id);
	agent_sandbox_remove(sandbox);
	agent_checkpoint_task_remove(&b->ck, "bench", id);
	agent_spawn_free(sp);
	json_decref(task);
	return t[7] - t[0];
fail:
	fprintf(stderr, "launch %d failed at %s\n", i, strerror(errno));
	agent_spawn_free(sp);
	if (leaf >= 0)
		close(leaf);
	if (sfd >= 0)
		close(sfd);
	if (mfd >= 0)
		close(mfd);
	json_decref(task);
	return -1;
}

struct launchbench_flags {
	int64_t launches, pad_mib;
	char *binary, *work_dir, *log_level;
	bool no_vfork;
	bool logger;
};

#define F(field) offsetof(struct launchbench_flags, field)
static const struct conf_opt launchbench_flag_table[] = {
	{"launches", CONF_INT, F(launches), "1000", "N", "launches timed each way", 10, 10000000},
	{"binary", CONF_STRING, F(binary), "/bin/true", "PATH", "the binary launched"},
	{"work-dir", CONF_STRING, F(work_dir), NULL, "DIR",
	 "checkpoints and sandboxes, kept afterwards (default: a temporary "
	 "/var/tmp/drover-launchbench-PID, removed)"},
	{"pad", CONF_INT, F(pad_mib), "24", "MiB",
	 "memory touched first, so this process is the size of a running agent", 0, 65536},
	{"no-vfork", CONF_BOOL, F(no_vfork), "false", NULL,
	 "clone the task fork-like, as the agent did before CLONE_VM | CLONE_VFORK"},
	{"logger", CONF_BOOL, F(logger), "true", NULL,
	 "the task's stdout/stderr through its logger process, as the agent (--log-max-size > 0)"},
	{"log-level", CONF_STRING, F(log_level), "info", "LEVEL", "error, warn, info or debug"},
	CONF_END,
};
#undef F

static const struct daemon_desc launchbench_desc = {
	.prog = "drover-launchbench",
	.synopsis = "[OPTIONS]",
	.env_prefix = "DROVER_LAUNCHBENCH",
	.table = launchbench_flag_table,
	.log_level_offset = offsetof(struct launchbench_flags, log_level),
};

int main(int argc, char **argv)
{
	struct launchbench_flags fl = {0};
	struct bench b = {0};
	const char *work;
	int n, pad_mib, rc;
	int64_t *agent = NULL, *bare = NULL, *ph[P_MAX] = {0};
	char root[64], err[512], path[300];
	char *pad = NULL;

	rc = daemon_parse_args(&launchbench_desc, &fl, argc, argv);
	if (rc >= 0) {
		conf_free(launchbench_flag_table, &fl);
		return rc;
	}
	rc = 1;
	n = (int)fl.launches;
	pad_mib = (int)fl.pad_mib;
	b.binary = fl.binary;
	work = fl.work_dir;
	if (fl.no_vfork)
		b.spawn_flags = AGENT_LAUNCH_F_NO_VFORK;
	b.logger = fl.logger;
	signal(SIGPIPE, SIG_IGN);
	if (pad_mib > 0) {
		pad = malloc((size_t)pad_mib << 20);
		if (pad)
			memset(pad, 1, (size_t)pad_mib << 20);
	}
	if (work)
		snprintf(b.work, sizeof(b.work), "%s", work);
	else
		snprintf(b.work, sizeof(b.work), "/var/tmp/drover-launchbench-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/sandboxes/bench", b.work);
	if (mkdir(b.work, 0755) < 0 && errno != EEXIST)
		goto out;
	snprintf(path, sizeof(path), "%s/sandboxes", b.work);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sandboxes/bench", b.work);
	mkdir(path, 0755);
	if (agent_checkpoint_open(b.work, &b.ck) < 0) {
		fprintf(stderr, "cannot open checkpoints in %s\n", b.work);
		goto out;
	}
	snprintf(root, sizeof(root), "drover-launchbench-%d.slice", (int)getpid());
	if (agent_cgroup_init(root, 0, &b.cg, err, sizeof(err)) < 0) {
		fprintf(stderr, "cgroup setup failed: %s\n", err);
		goto out;
	}
	b.ictx = (struct agent_isolator_ctx){
		.strict = false, .available = b.cg.report.available, .pids_max_default = 4096};
	agent = calloc((size_t)n, sizeof(*agent));
	bare = calloc((size_t)n, sizeof(*bare));
	for (int p = 0; p < P_MAX; p++)
		ph[p] = calloc((size_t)n, sizeof(int64_t));

	/* warm up both paths (page cache, dentries, the kernel's cgroup caches) */
	for (int i = 0; i < 20; i++) {
		int64_t tmp[P_MAX];

		bare_launch(b.binary);
		agent_launch(&b, 1000000 + i, tmp);
	}
	for (int i = 0; i < n; i++) {
		int64_t tmp[P_MAX];

		bare[i] = bare_launch(b.binary);
		agent[i] = agent_launch(&b, i, tmp);
		if (bare[i] < 0 || agent[i] < 0)
			goto out_teardown;
		for (int p = 0; p < P_MAX; p++)
			ph[p][i] = tmp[p];
	}
	{
		int64_t am = pct(agent, (size_t)n, 0.5), a99 = pct(agent, (size_t)n, 0.99);
		int64_t bm = pct(bare, (size_t)n, 0.5), b99 = pct(bare, (size_t)n, 0.99);

		printf("launches: %d of %s; controllers in the leaves: 0x%x; work dir %s\n", n,
		       b.binary, b.cg.report.available, b.work);
		printf("%-28s %10s %10s\n", "", "median us", "p99 us");
		printf("%-28s %10.1f %10.1f\n", "bare fork+exec", bm / 1e3, b99 / 1e3);
		printf("%-28s %10.1f %10.1f\n", "agent launch", am / 1e3, a99 / 1e3);
		printf("%-28s %10.2f %10.2f\n", "ratio agent/bare", (double)am / (double)bm,
		       (double)a99 / (double)b99);
		printf("agent launch, median per phase:\n");
		for (int p = 0; p < P_MAX; p++)
			printf("  %-26s %10.1f\n", phase_names[p],
			       pct(ph[p], (size_t)n, 0.5) / 1e3);
	}
	rc = 0;
out_teardown:
	if (agent_cgroup_teardown(&b.cg, 0) < 0)
		fprintf(stderr, "cannot remove the cgroup root '%s'\n", root);
	agent_cgroup_done(&b.cg);
	agent_checkpoint_close(&b.ck);
	snprintf(path, sizeof(path), "rm -rf '%s'", b.work);
	if (!work)
		(void)!system(path);
out:
	free(agent);
	free(bare);
	for (int p = 0; p < P_MAX; p++)
		free(ph[p]);
	free(pad);
	conf_free(launchbench_flag_table, &fl);
	return rc;
}
