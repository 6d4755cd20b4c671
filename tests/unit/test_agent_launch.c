// SPDX-License-Identifier: Apache-2.0
/*
 * agentd runtime against the real cgroup2 mount: launch through the supervisor, output
 * files, exit codes, signals, missing executables, users, kill with grace + cgroup.kill of
 * a double-forked daemon, the clone3 fallback, re-attach after the "agent" died, cleanup.
 * Needs root and a writable cgroup2 mount; otherwise every test is a SKIP with the reason.
 * Works under a unique root (drover-test-<pid>.slice) and removes it at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/cgroup.h"
#include "agentd/isolator.h"
#include "agentd/launch.h"
#include "agentd/supervisor.h"
#include "strv.h"
#include "util.h"

static struct agent_cgroup cg = {.mount_fd = -1};
static char skip_reason[600];
static char sandbox_base[64];
static struct agent_isolator_ctx ictx;

static int group_setup(void **state)
{
	char root[64], err[512];
	int r;

	if (geteuid() != 0) {
		snprintf(skip_reason, sizeof(skip_reason), "needs root (creates cgroups)");
		return 0;
	}
	snprintf(root, sizeof(root), "drover-test-%d.slice", (int)getpid());
	r = agent_cgroup_init(root, 0, &cg, err, sizeof(err));
	if (r < 0) {
		snprintf(skip_reason, sizeof(skip_reason), "no writable cgroup2: %s", err);
		cg.mount_fd = -1;
		return 0;
	}
	ictx = (struct agent_isolator_ctx){.strict = false, .available = cg.report.available,
					   .pids_max_default = 4096};
	snprintf(sandbox_base, sizeof(sandbox_base), "/tmp/drover-launch-XXXXXX");
	if (!mkdtemp(sandbox_base))
		return -1;
	chmod(sandbox_base, 0755);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];
	int r = 0;

	if (cg.mount_fd >= 0) {
		char **left = NULL;

		/* nothing may be left behind; a failed test's leftovers are removed all the same */
		if (agent_cgroup_task_list(&cg, &left) != 0) {
			for (char **l = left; l && *l; l++) {
				char *slash = strchr(*l, '/');
				int fd;

				fprintf(stderr, "leftover task cgroup: %s\n", *l);
				*slash = '\0';
				if (agent_cgroup_task_open(&cg, *l, slash + 1, &fd) == 0) {
					(void)agent_cgroup_kill(fd);
					(void)agent_cgroup_wait_empty(fd, 2000);
					close(fd);
				}
				(void)agent_cgroup_task_remove(&cg, *l, slash + 1);
			}
			r = -1;
		}
		strv_free(left);
		if (agent_cgroup_teardown(&cg, 0) < 0) {
			fprintf(stderr, "cannot remove the test cgroup root: %m\n");
			r = -1;
		}
		agent_cgroup_done(&cg);
	}
	if (sandbox_base[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sandbox_base);
		(void)!system(cmd);
	}
	return r;
}

#define NEED_CGROUP()                                                     \
	do {                                                              \
		if (skip_reason[0]) {                                     \
			printf("# SKIP: %s\n", skip_reason);              \
			skip();                                           \
		}                                                         \
	} while (0)

/* One task: its sandbox, leaf and process. */
struct task {
	char id[64];
	int sandbox_fd;
	int meta_fd; /* the supervisor's records: <base>/<id>.meta, root's 0700 */
	int leaf_fd;
	struct agent_task_proc proc;
};

static void task_open(struct task *t, const char *id)
{
	char path[256];

	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(path, sizeof(path), "%s/%s", sandbox_base, id);
	assert_int_equal(mkdir(path, 0755), 0);
	t->sandbox_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->sandbox_fd >= 0);
	snprintf(path, sizeof(path), "%s/%s.meta", sandbox_base, id);
	assert_int_equal(mkdir(path, 0700), 0);
	t->meta_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->meta_fd >= 0);
	assert_int_equal(agent_cgroup_task_create(&cg, "fw", id, &t->leaf_fd), 0);
	t->proc.supervisor_pidfd = -1;
}

static int task_launch(struct task *t, const struct agent_launch_spec *in,
		       struct agent_launch_error *err)
{
	struct agent_launch_spec spec = *in;
	struct agent_spawn *sp = NULL;
	struct agent_task_limits lim = {.cpus = 0.5, .mem_bytes = 64 << 20};
	struct agent_isolation iso;
	char msg[512];
	int r;

	spec.sandbox_fd = t->sandbox_fd;
	spec.cgroup_fd = t->leaf_fd;
	assert_int_equal(agent_isolators_prepare(&ictx, t->leaf_fd, &lim, &iso, msg, sizeof(msg)), 0);
	r = agent_spawn_prepare(&spec, &sp, err);
	if (r < 0)
		return r;
	r = agent_task_launch(sp, cg.supervisor_fd, t->meta_fd, &t->proc, err);
	agent_spawn_free(sp);
	return r;
}

/* Wait for the supervisor's pidfd, as the agent's epoll loop would. */
static void task_wait(struct task *t, int timeout_ms)
{
	struct pollfd pfd = {.fd = t->proc.supervisor_pidfd, .events = POLLIN};

	assert_int_equal(poll(&pfd, 1, timeout_ms), 1);
	agent_task_reap(&t->proc);
}

static void task_close(struct task *t)
{
	assert_int_equal(agent_cgroup_kill(t->leaf_fd), 0);
	assert_int_equal(agent_cgroup_wait_empty(t->leaf_fd, 2000), 0);
	agent_isolators_cleanup(&ictx, t->leaf_fd);
	close(t->leaf_fd);
	close(t->sandbox_fd);
	close(t->meta_fd);
	agent_task_proc_close(&t->proc);
	assert_int_equal(agent_cgroup_task_remove(&cg, "fw", t->id), 0);
}

static char *sandbox_file(struct task *t, const char *name)
{
	char *text = NULL;

	assert_true(agent_read_fileat(t->sandbox_fd, name, &text) >= 0);
	return text;
}

static void test_exit_code_and_output(void **state)
{
	struct agent_launch_spec spec = {.command = "echo hi; echo oops >&2; exit 3"};
	struct agent_launch_error err;
	struct agent_exit_record rec;
	struct agent_task_usage u;
	struct agent_task_outcome o;
	struct task t;
	char *out;

	NEED_CGROUP();
	task_open(&t, "exit3");
	assert_int_equal(task_launch(&t, &spec, &err), 0);
	assert_true(t.proc.task_pid > 0);
	task_wait(&t, 5000);
	assert_int_equal(agent_exit_status_read(t.meta_fd, &rec), 0);
	assert_int_equal(rec.how, AGENT_EXIT_EXITED);
	assert_int_equal(rec.code, 3);
	assert_int_equal(rec.task_pid, t.proc.task_pid);
	out = sandbox_file(&t, "stdout");
	assert_string_equal(out, "hi\n");
	free(out);
	out = sandbox_file(&t, "stderr");
	assert_string_equal(out, "oops\n");
	free(out);
	assert_int_equal(agent_isolators_usage(&ictx, t.leaf_fd, 0, &u), 0);
	assert_true(u.valid & AGENT_USAGE_CPU); /* cpu.stat is there without the controller */
	agent_task_outcome(&rec, false, &u, &o);
	assert_int_equal(o.state, AGENT_TASK_FAILED);
	assert_string_equal(o.message, "exited with status 3");
	task_close(&t);
}

static void test_signal(void **state)
{
	struct agent_launch_spec spec = {.command = "kill -9 $$"};
	struct agent_launch_error err;
	struct agent_exit_record rec;
	struct agent_task_outcome o;
	struct task t;

	NEED_CGROUP();
	task_open(&t, "sig");
	assert_int_equal(task_launch(&t, &spec, &err), 0);
	task_wait(&t, 5000);
	assert_int_equal(agent_exit_status_read(t.meta_fd, &rec), 0);
	assert_int_equal(rec.how, AGENT_EXIT_SIGNALED);
	assert_int_equal(rec.code, SIGKILL);
	agent_task_outcome(&rec, false, NULL, &o);
	assert_string_equal(o.message, "killed by signal 9 (SIGKILL)");
	task_close(&t);
}

static void test_argv_path_search_and_cgroup(void **state)
{
	char *const argv[] = {"cat", "/proc/self/cgroup", NULL};
	char *const envp[] = {"PATH=/nonexistent:/usr/bin:/bin", NULL};
	struct agent_launch_spec spec = {.path = "cat", .argv = argv, .envp = envp};
	struct agent_launch_error err;
	struct agent_exit_record rec;
	char want[256], *out;
	struct task t;

	NEED_CGROUP();
	for (int fallback = 0; fallback < 2; fallback++) {
		task_open(&t, fallback ? "cgfallback" : "cgclone3");
		spec.flags = fallback ? AGENT_LAUNCH_F_NO_CLONE3 : 0;
		assert_int_equal(task_launch(&t, &spec, &err), 0);
		task_wait(&t, 5000);
		assert_int_equal(agent_exit_status_read(t.meta_fd, &rec), 0);
		assert_int_equal(rec.how, AGENT_EXIT_EXITED);
		assert_int_equal(rec.code, 0);
		out = sandbox_file(&t, "stdout");
		/* the task ran in its own leaf, from its first instruction */
		snprintf(want, sizeof(want), "0::/%s/tasks/fw/%s\n", cg.root, t.id);
		assert_non_null(strstr(out, want));
		free(out);
		task_close(&t);
	}
}

static void test_missing_executable(void **state)
{
	struct agent_launch_spec spec = {.path = "/nonexistent/prog"};
	struct agent_launch_error err;
	struct agent_exit_record rec;
	struct task t;

	NEED_CGROUP();
	task_open(&t, "noexec");
	assert_int_equal(task_launch(&t, &spec, &err), -ENOENT);
	assert_int_equal(err.stage, AGENT_LAUNCH_EXEC);
	assert_string_equal(err.message, "cannot execute '/nonexistent/prog': No such file or directory");
	/* the supervisor recorded it too, and nothing runs */
	assert_int_equal(agent_exit_status_read(t.meta_fd, &rec), 0);
	assert_int_equal(rec.how, AGENT_EXIT_LAUNCH_FAILED);
	assert_int_equal(agent_cgroup_populated(t.leaf_fd), 0);
	spec.path = "no-such-command-anywhere";
	assert_int_equal(task_launch(&t, &spec, &err), -ENOENT);
	assert_int_equal(err.stage, AGENT_LAUNCH_EXEC);
	task_close(&t);
}

static void test_users(void **state)
{
	struct agent_launch_spec spec = {.command = "id -u; id -g; pwd", .user = "nobody"};
	struct agent_launch_error err;
	struct agent_exit_record rec;
	struct passwd *pw;
	char want[128], *out;
	struct task t;

	NEED_CGROUP();
	task_open(&t, "unknown-user");
	spec.user = "no-such-user-drover";
	assert_int_equal(task_launch(&t, &spec, &err), -ENOENT);
	assert_int_equal(err.stage, AGENT_LAUNCH_USER);
	assert_string_equal(err.message, "unknown user 'no-such-user-drover'");
	task_close(&t);

	pw = getpwnam("nobody");
	if (!pw) {
		printf("# SKIP: no user 'nobody'\n");
		skip();
	}
	task_open(&t, "as-nobody");
	spec.user = "nobody";
	assert_int_equal(task_launch(&t, &spec, &err), 0);
	task_wait(&t, 5000);
	assert_int_equal(agent_exit_status_read(t.meta_fd, &rec), 0);
	assert_int_equal(rec.code, 0);
	out = sandbox_file(&t, "stdout");
	snprintf(want, sizeof(want), "%u\n%u\n%s/as-nobody\n", (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid, sandbox_base);
	assert_string_equal(out, want);
	free(out);
	task_close(&t);
}

static void test_kill_grace_double_fork(void **state)
{
	/* The daemon ignores SIGTERM from birth (inherited), the main process does not. */
	struct agent_launch_spec spec = {
		.command = "trap '' TERM; setsid sh -c 'while :; do sleep 1; done' </dev/null >/dev/null 2>&1 & "
			   "trap - TERM; echo started; exec sleep 1000"};
	struct agent_launch_error err;
	struct agent_exit_record rec;
	struct agent_task_outcome o;
	struct task t;
	char *out = NULL;

	NEED_CGROUP();
	task_open(&t, "daemon");
	assert_int_equal(task_launch(&t, &spec, &err), 0);
	for (int i = 0; i < 200; i++) {
		free(out);
		out = sandbox_file(&t, "stdout");
		if (strstr(out, "started"))
			break;
		usleep(10000);
	}
	assert_non_null(strstr(out, "started"));
	free(out);
	/* SIGTERM to every process in the leaf; the main one dies, the daemon does not */
	assert_true(agent_cgroup_signal(t.leaf_fd, SIGTERM) >= 2);
	task_wait(&t, 5000);
	assert_int_equal(agent_exit_status_read(t.meta_fd, &rec), 0);
	assert_int_equal(rec.how, AGENT_EXIT_SIGNALED);
	assert_int_equal(rec.code, SIGTERM);
	assert_int_equal(agent_cgroup_populated(t.leaf_fd), 1);
	/* the grace period is over: cgroup.kill takes the daemon too */
	assert_int_equal(agent_cgroup_kill(t.leaf_fd), 0);
	assert_int_equal(agent_cgroup_wait_empty(t.leaf_fd, 2000), 0);
	agent_task_outcome(&rec, true, NULL, &o);
	assert_int_equal(o.state, AGENT_TASK_KILLED);
	task_close(&t);
}

static void test_reattach_after_agent_death(void **state)
{
	struct agent_launch_spec spec = {.command = "sleep 0.3; exit 7"};
	struct agent_exit_record rec;
	struct agent_task_proc p;
	struct pollfd pfd;
	struct task t;
	pid_t agent;
	int st, r;

	NEED_CGROUP();
	task_open(&t, "reattach");
	/* a throwaway "agent" launches the task and dies at once, like kill -9 */
	agent = fork();
	assert_true(agent >= 0);
	if (agent == 0) {
		struct agent_launch_error err;

		_exit(task_launch(&t, &spec, &err) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(agent, &st, 0), agent);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the supervisor (now someone else's child) is found and watched through a pidfd */
	r = agent_task_reattach(t.meta_fd, &p);
	assert_int_equal(r, AGENT_REATTACH_RUNNING);
	assert_false(p.child);
	assert_true(p.task_pid > 0);
	pfd = (struct pollfd){.fd = p.supervisor_pidfd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	agent_task_reap(&p);
	assert_int_equal(agent_exit_status_read(t.meta_fd, &rec), 0);
	assert_int_equal(rec.how, AGENT_EXIT_EXITED);
	assert_int_equal(rec.code, 7);
	/* and after the fact: the status is what is left */
	assert_int_equal(agent_task_reattach(t.meta_fd, &p), AGENT_REATTACH_EXITED);
	task_close(&t);
}

static void test_reattach_orphaned(void **state)
{
	struct agent_task_proc p;
	struct task t;

	NEED_CGROUP();
	task_open(&t, "orphan");
	assert_int_equal(agent_task_reattach(t.meta_fd, &p), AGENT_REATTACH_ORPHANED);
	/* a recycled pid is not taken for the supervisor */
	assert_int_equal(agent_write_file_atomic(t.meta_fd, AGENT_SUPERVISOR_FILE,
						 "pid 1\nstart 12345\ntask_pid 2\n", 29),
			 0);
	assert_int_equal(agent_task_reattach(t.meta_fd, &p), AGENT_REATTACH_ORPHANED);
	task_close(&t);
}

/*
 * A task replaces, in its own sandbox, every name the supervisor's records ever had there
 * (FIFOs that no one writes, symlinks to /dev/zero): neither the supervisor nor the agent's
 * readers block or read without end, and the true status is read from the meta dir.
 */
static void test_hostile_sandbox(void **state)
{
	struct agent_launch_spec spec = {
		.command = "rm -f exit_status supervisor; mkfifo exit_status .exit_status.tmp "
			   ".supervisor.tmp; ln -s /dev/zero supervisor; sleep 0.3; exit 4"};
	struct agent_launch_error err;
	struct agent_exit_record rec;
	struct agent_task_proc p;
	struct task t;

	NEED_CGROUP();
	task_open(&t, "hostile");
	/* the FIFOs are there before the supervisor starts, too */
	assert_int_equal(mkfifoat(t.sandbox_fd, ".exit_status.tmp", 0666), 0);
	assert_int_equal(mkfifoat(t.sandbox_fd, "exit_status", 0666), 0);
	assert_int_equal(task_launch(&t, &spec, &err), 0);
	task_wait(&t, 5000); /* a supervisor blocked on a FIFO never exits */
	alarm(10);
	assert_int_equal(agent_exit_status_read(t.meta_fd, &rec), 0);
	assert_int_equal(rec.how, AGENT_EXIT_EXITED);
	assert_int_equal(rec.code, 4);
	assert_int_equal(agent_task_reattach(t.meta_fd, &p), AGENT_REATTACH_EXITED);
	/* what the task left is not read as a record, and reading it never blocks */
	assert_int_equal(agent_exit_status_read(t.sandbox_fd, &rec), -EBADFD);
	assert_int_equal(agent_task_reattach(t.sandbox_fd, &p), -ELOOP);
	alarm(0);
	task_close(&t);
}

static void test_spawn_direct(void **state)
{
	struct agent_launch_spec spec = {.command = "exit 5"};
	struct agent_launch_error err = {0};
	struct agent_spawn *sp = NULL;
	struct task t;
	pid_t pid;
	int pidfd, st;

	NEED_CGROUP();
	task_open(&t, "direct");
	spec.sandbox_fd = t.sandbox_fd;
	spec.cgroup_fd = t.leaf_fd;
	assert_int_equal(agent_spawn_prepare(&spec, &sp, &err), 0);
	assert_int_equal(agent_spawn_run(sp, &pid, &pidfd, &err), 0);
	assert_true(pidfd >= 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 5);
	close(pidfd);
	agent_spawn_free(sp);
	task_close(&t);
}

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_fd_hygiene(void **state)
{
	struct agent_launch_spec spec = {.command = "ls /proc/self/fd; sleep 0.2"};
	struct agent_launch_error err;
	struct task t;
	char *out;
	int leak;

	NEED_CGROUP();
	/* an fd without CLOEXEC, like a careless library's: neither process may keep it */
	leak = dup(0);
	assert_true(leak >= 0);
	task_open(&t, "fds");
	assert_int_equal(task_launch(&t, &spec, &err), 0);
	/* the supervisor: stdio on /dev/null, its records' directory and the exit status's
	 * temp file, nothing of the agent's (it closes the report pipe and the sandbox just
	 * after reporting: give it a moment) */
	for (int i = 0; i < 100 && count_fds(t.proc.supervisor_pid) != 5; i++)
		usleep(1000);
	assert_int_equal(count_fds(t.proc.supervisor_pid), 5);
	task_wait(&t, 5000);
	out = sandbox_file(&t, "stdout");
	assert_string_equal(out, "0\n1\n2\n3\n"); /* 3: ls's own directory fd */
	free(out);
	close(leak);
	task_close(&t);
}

static void test_move_pid(void **state)
{
	pid_t *pids = NULL, child;
	size_t n = 0;
	int st;

	NEED_CGROUP();
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(agent_cgroup_attach(cg.agent_fd, child), 0);
	assert_int_equal(agent_cgroup_procs(cg.agent_fd, &pids, &n), 1);
	assert_int_equal(pids[0], child);
	free(pids);
	assert_int_equal(agent_cgroup_kill(cg.agent_fd), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(agent_cgroup_wait_empty(cg.agent_fd, 2000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_code_and_output),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_argv_path_search_and_cgroup),
		cmocka_unit_test(test_missing_executable),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_kill_grace_double_fork),
		cmocka_unit_test(test_reattach_after_agent_death),
		cmocka_unit_test(test_reattach_orphaned),
		cmocka_unit_test(test_hostile_sandbox),
		cmocka_unit_test(test_spawn_direct),
		cmocka_unit_test(test_fd_hygiene),
		cmocka_unit_test(test_move_pid),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
