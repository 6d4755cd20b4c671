// SPDX-License-Identifier: Apache-2.0
/*
 * The agent against bad LAUNCHes, with nothing in between: a fake master in this process
 * (lib/http_server: the agent's SUBSCRIBE gets a RecordIO stream, STATUS_UPDATEs are
 * collected) and the real agent (agent_init + its loop in a thread, best-effort mode,
 * a unique cgroup root). The real master refuses most of these before an agent sees them
 * (masterd/validate.c); this checks the agent's own line of defence:
 *
 *   path-unsafe framework/task IDs, a command line or an environment beyond the execve
 *   limits, absurd resources and limits, no command  -> TASK_ERROR, REASON_TASK_INVALID
 *   a missing executable, an unknown user            -> TASK_FAILED with the reason
 *   and in every case no sandbox, no cgroup leaf and (once acknowledged) no checkpoint left.
 *
 * A good task (`true` -> TASK_FINISHED) runs first, so a broken harness cannot pass.
 * Needs root and a writable cgroup2 mount; otherwise a SKIP with the reason.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/agent.h"
#include "http_server.h"
#include "log.h"

/* ---------------------------------------------------------------- the fake master */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct http_stream *stream; /* the agent's SUBSCRIBE */
static json_t *updates;            /* every TaskStatus received */

static void on_stream_closed(struct http_stream *s, void *data)
{
	pthread_mutex_lock(&lock);
	if (stream == s) {
		http_stream_unref(stream);
		stream = NULL;
	}
	pthread_mutex_unlock(&lock);
}

/* Queue one RecordIO record on the agent's stream (any thread; no cmocka asserts here). */
static int send_event(json_t *ev)
{
	char *js = json_dumps(ev, JSON_COMPACT), *rec = NULL;
	int n = -1, r = -EPIPE;

	json_decref(ev);
	if (js)
		n = asprintf(&rec, "%zu\n%s", strlen(js), js);
	pthread_mutex_lock(&lock);
	if (n > 0 && stream)
		r = http_stream_send(stream, rec, (size_t)n);
	pthread_mutex_unlock(&lock);
	free(rec);
	free(js);
	return r;
}

static void handler(struct http_request *req, void *data)
{
	static const char *const hdrs[] = {"Mesos-Stream-Id", "fake-stream", NULL};
	size_t len;
	const char *body = http_request_body(req, &len);
	json_t *call = json_loadb(body, len, 0, NULL);
	const char *type = json_string_value(json_object_get(call, "type"));

	if (!type) {
		http_reply_error(req, 400, "bad call");
	} else if (streq(type, "SUBSCRIBE")) {
		struct http_stream *s = http_reply_stream(req, "application/recordio", hdrs, 0,
							  on_stream_closed, NULL);
		pthread_mutex_lock(&lock);
		if (stream)
			http_stream_unref(stream);
		stream = s;
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&lock);
	} else if (streq(type, "STATUS_UPDATE")) {
		json_t *su = json_object_get(call, "status_update");
		json_t *st = json_object_get(su, "status");

		pthread_mutex_lock(&lock);
		json_array_append(updates, st);
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&lock);
		http_reply(req, 202, "application/json", "", 0, NULL);
		/* the framework acknowledges at once; the agent sends the next one after that */
		(void)send_event(json_pack("{s:s,s:{s:O,s:O,s:O}}", "type", "ACKNOWLEDGE", "acknowledge",
				     "framework_id", json_object_get(su, "framework_id"), "task_id",
				     json_object_get(st, "task_id"), "uuid",
				     json_object_get(st, "uuid")));
	} else {
		http_reply(req, 202, "application/json", "", 0, NULL);
	}
	json_decref(call);
}

/* ---------------------------------------------------------------- the agent */

static struct http_server *master;
static struct agent agent;
static struct agent_flags flags;
static pthread_t agent_thread;
static bool agent_up;
static char skip_reason[600];
static char work_dir[64], master_addr[64], cgroot[64];

static void *agent_main(void *arg)
{
	agent_run(&agent);
	return NULL;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int group_setup(void **state)
{
	struct http_server_config cfg = {.listen = "127.0.0.1:0", .max_body = 8 << 20,
					 .handler = handler};
	int64_t deadline;
	char listen[64];

	if (geteuid() != 0) {
		snprintf(skip_reason, sizeof(skip_reason), "needs root (creates cgroups)");
		return 0;
	}
	log_max_level = LOG_WARN;
	updates = json_array();
	if (http_server_start(&cfg, &master) < 0)
		return -1;
	snprintf(master_addr, sizeof(master_addr), "127.0.0.1:%u", http_server_port(master));
	snprintf(work_dir, sizeof(work_dir), "/tmp/drover-badinput-XXXXXX");
	if (!mkdtemp(work_dir))
		return -1;
	snprintf(cgroot, sizeof(cgroot), "drover-badinput-%d.slice", (int)getpid());
	snprintf(listen, sizeof(listen), "127.0.0.1:0");
	flags = (struct agent_flags){
		.master = master_addr,
		.listen = strdup(listen),
		.work_dir = work_dir,
		.cgroup_root = cgroot,
		.resources = "cpus:2;mem:1024;ports:[31000-31099]",
		.enforce = AGENT_ENFORCE_BEST_EFFORT,
		.recover = AGENT_RECOVER_RECONNECT,
		.pids_max = 4096,
		.sample_interval_ns = 1000000000LL,
		.bpf = AGENT_BPF_OFF, /* the runtime alone; the eBPF isolators have their tests */
		.dynamic_uids = "6100000-6165535", /* the flags' defaults */
		.max_limit_ratio = 1,
		.task_user = "nobody",
		.checkpoint_reserve = 1 << 20,
		.gc_delay_ns = 7 * 24 * 3600 * 1000000000LL,
		.gc_disk_headroom = 0.1,
		.disk_watch_interval_ns = 60 * 1000000000LL,
	};
	if (agent_init(&agent, &flags) < 0) {
		snprintf(skip_reason, sizeof(skip_reason),
			 "the agent cannot start here (no writable cgroup2?)");
		agent_fini(&agent);
		return 0;
	}
	loop_timer_set(agent.reconnect_timer, 0, 0); /* subscribe at once, as main.c does */
	if (pthread_create(&agent_thread, NULL, agent_main, NULL) != 0)
		return -1;
	agent_up = true;

	deadline = mono_ms() + 10000;
	pthread_mutex_lock(&lock);
	while (!stream && mono_ms() < deadline) {
		pthread_mutex_unlock(&lock);
		usleep(10000);
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	if (!stream)
		return -1;
	return send_event(json_pack("{s:s,s:{s:{s:s},s:i}}", "type", "SUBSCRIBED", "subscribed",
			     "agent_id", "value", "fake-agent-1", "heartbeat_interval_seconds", 60)) < 0 ? -1 : 0;
}

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int group_teardown(void **state)
{
	char cmd[128];
	int r = 0;

	if (agent_up) {
		loop_stop(agent.loop);
		pthread_join(agent_thread, NULL);
		/* nothing may be left under tasks/: the root comes down only when it is empty */
		if (agent_cgroup_teardown(&agent.cg, getpid()) < 0) {
			fprintf(stderr, "cgroups left under '%s'\n", cgroot);
			r = -1;
		}
		agent_fini(&agent);
	}
	if (master)
		http_server_stop(master);
	free(flags.listen);
	json_decref(updates);
	if (work_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work_dir);
		(void)!system(cmd);
	}
	return r;
}

#define NEED_AGENT()                                              \
	do {                                                      \
		if (skip_reason[0]) {                             \
			printf("# SKIP: %s\n", skip_reason);      \
			skip();                                   \
		}                                                 \
	} while (0)

/* ---------------------------------------------------------------- helpers */

static json_t *resources(double cpus, double mem)
{
	return json_pack("[{s:s,s:s,s:{s:f}},{s:s,s:s,s:{s:f}}]", "name", "cpus", "type", "SCALAR",
			 "scalar", "value", cpus, "name", "mem", "type", "SCALAR", "scalar",
			 "value", mem);
}

/* A TaskInfo running `command` (shell), with 0.1 cpus and 32 MiB. */
static json_t *task_info(const char *id, const char *command)
{
	return json_pack("{s:{s:s},s:s,s:{s:s},s:o,s:{s:b,s:s}}", "task_id", "value", id, "name",
			 "bad-input", "agent_id", "value", "fake-agent-1", "resources",
			 resources(0.1, 32), "command", "shell", 1, "value", command);
}

static void launch(const char *fw, json_t *task)
{
	assert_int_equal(send_event(json_pack("{s:s,s:{s:{s:s},s:{s:s,s:s},s:o}}", "type", "LAUNCH", "launch",
			     "framework_id", "value", fw, "framework_info", "user", "root", "name",
			     "bad-input-test", "task", task)), 0);
}

/* Wait for the terminal status of task id; return it (borrowed from updates) or NULL. */
static json_t *wait_terminal(const char *id, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	json_t *found = NULL;

	pthread_mutex_lock(&lock);
	for (;;) {
		size_t i;
		json_t *st;

		json_array_foreach(updates, i, st) {
			const char *tid = json_string_value(
				json_object_get(json_object_get(st, "task_id"), "value"));
			const char *s = json_string_value(json_object_get(st, "state"));

			if (streq(tid, id) && s &&
			    (streq(s, "TASK_ERROR") || streq(s, "TASK_FAILED") ||
			     streq(s, "TASK_FINISHED") || streq(s, "TASK_KILLED")))
				found = st;
		}
		if (found || mono_ms() >= deadline)
			break;
		pthread_mutex_unlock(&lock);
		usleep(10000);
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return found;
}

static void expect(const char *fw, const char *id, const char *state, const char *reason,
		   const char *msg_part)
{
	json_t *st = wait_terminal(id, 10000);
	const char *s, *r, *m;
	char path[1024];

	if (!st)
		fail_msg("no terminal status for task '%s'", id);
	s = json_string_value(json_object_get(st, "state"));
	r = json_string_value(json_object_get(st, "reason"));
	m = json_string_value(json_object_get(st, "message"));
	printf("# %.40s: %s %s: %s\n", id, s, r ? r : "-", m ? m : "-");
	assert_string_equal(s, state);
	if (reason)
		assert_string_equal(r ? r : "(none)", reason);
	if (msg_part && (!m || !strstr(m, msg_part)))
		fail_msg("task '%s': message '%s' lacks '%s'", id, m ? m : "", msg_part);
	/* no sandbox, no leaf (at the IDs' disk names) */
	if (agent_task_id_valid(fw) && agent_task_id_valid(id)) {
		char fn[DISK_NAME_MAX + 1], tn[DISK_NAME_MAX + 1];
		struct stat sb;
		int fd = -1;

		assert_int_equal(disk_name(fw, strlen(fw), 0, fn), 0);
		assert_int_equal(disk_name(id, strlen(id), 0, tn), 0);
		snprintf(path, sizeof(path), "%s/sandboxes/%s/%s", work_dir, fn, tn);
		if (strcmp(state, "TASK_FINISHED") != 0 && stat(path, &sb) == 0)
			fail_msg("the sandbox of failed task '%s' was left: %s", id, path);
		assert_int_equal(disk_name(fw, strlen(fw), DISK_NAME_CGROUP, fn), 0);
		assert_int_equal(disk_name(id, strlen(id), DISK_NAME_CGROUP, tn), 0);
		assert_int_equal(agent_cgroup_task_open(&agent.cg, fn, tn, &fd), -ENOENT);
	}
}

/* ---------------------------------------------------------------- tests */

static void test_good_task_runs(void **state)
{
	NEED_AGENT();
	launch("fw-good", task_info("good", "true"));
	expect("fw-good", "good", "TASK_FINISHED", NULL, NULL);
}

static void test_unsafe_ids(void **state)
{
	char long_id[300];

	NEED_AGENT();
	launch("fw-bad", task_info("../escape", "touch /tmp/drover-should-not-exist"));
	expect("fw-bad", "../escape", "TASK_ERROR", "REASON_TASK_INVALID", "must be valid");
	launch("fw-bad", task_info("a/b", "true"));
	expect("fw-bad", "a/b", "TASK_ERROR", "REASON_TASK_INVALID", "must be valid");
	launch("fw-bad", task_info("a\\b", "true"));
	expect("fw-bad", "a\\b", "TASK_ERROR", "REASON_TASK_INVALID", "must be valid");
	launch("fw-bad", task_info("..", "true"));
	expect("fw-bad", "..", "TASK_ERROR", "REASON_TASK_INVALID", "must be valid");
	launch("fw-bad", task_info("tab\there", "true"));
	expect("fw-bad", "tab\there", "TASK_ERROR", "REASON_TASK_INVALID", "must be valid");
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	launch("fw-bad", task_info(long_id, "true"));
	expect("fw-bad", long_id, "TASK_ERROR", "REASON_TASK_INVALID", "must be valid");
	launch(".", task_info("fine-task", "true"));
	expect(".", "fine-task", "TASK_ERROR", "REASON_TASK_INVALID", "must be valid");
	assert_int_equal(access("/tmp/drover-should-not-exist", F_OK), -1);
}

/*
 * Mesos's IDs the old charset refused run: paths are named by disk_name(), so a leading
 * '.', spaces, '%', UTF-8, an interface file's name and an ID that escapes past NAME_MAX
 * all get their own sandbox, checkpoint and leaf.
 */
static void test_mesos_ids_run(void **state)
{
	static const char *const ids[] = {
		".hidden", "web server@1", "a%2Fb", "\xc3\xbc-1", "memory.max", "cgroup.procs",
	};
	char long_id[ID_MAX_LEN + 1];

	NEED_AGENT();
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		launch("fw ok@1", task_info(ids[i], "true"));
		expect("fw ok@1", ids[i], "TASK_FINISHED", NULL, NULL);
	}
	memset(long_id, ' ', ID_MAX_LEN);
	long_id[ID_MAX_LEN] = '\0';
	long_id[0] = 'L';
	launch(".fw", task_info(long_id, "true"));
	expect(".fw", long_id, "TASK_FINISHED", NULL, NULL);
}

/*
 * DROVER_AGENT_TASK_USER= with --dynamic-uids '' : tasks naming no user would run as the
 * agent's user, root.
 */
static void test_empty_task_user_refused(void **state)
{
	struct agent_flags f = flags;
	struct agent *other = calloc(1, sizeof(*other));

	NEED_AGENT();
	assert_non_null(other);
	if (geteuid() != 0) {
		free(other);
		skip();
	}
	f.dynamic_uids = "";
	f.task_user = "";
	assert_int_equal(agent_init(other, &f), -EINVAL);
	agent_fini(other);
	f.task_user = NULL;
	assert_int_equal(agent_init(other, &f), -EINVAL);
	agent_fini(other);
	free(other);
}

static void test_oversized_command_and_env(void **state)
{
	size_t big = 200 * 1024;
	char *cmd = malloc(big + 1), *val = malloc(120 * 1024 + 1);
	json_t *t, *vars;

	NEED_AGENT();
	/* one argument beyond the kernel's 128 KiB per string */
	memset(cmd, ' ', big);
	memcpy(cmd, "true", 4);
	cmd[big] = '\0';
	launch("fw-big", task_info("long-command", cmd));
	expect("fw-big", "long-command", "TASK_ERROR", "REASON_TASK_INVALID", "too large");

	/* 20000 variables: more strings than allowed */
	t = task_info("many-vars", "true");
	vars = json_array();
	for (int i = 0; i < 20000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "V%d", i);
		json_array_append_new(vars, json_pack("{s:s,s:s}", "name", name, "value", "1"));
	}
	json_object_set_new(json_object_get(t, "command"), "environment",
			    json_pack("{s:o}", "variables", vars));
	launch("fw-big", t);
	expect("fw-big", "many-vars", "TASK_ERROR", "REASON_TASK_INVALID", "too large");

	/* ten 120 KiB values: each fine, 1.2 MiB in all is not */
	memset(val, 'v', 120 * 1024);
	val[120 * 1024] = '\0';
	t = task_info("huge-env", "true");
	vars = json_array();
	for (int i = 0; i < 10; i++) {
		char name[32];

		snprintf(name, sizeof(name), "BIG%d", i);
		json_array_append_new(vars, json_pack("{s:s,s:s}", "name", name, "value", val));
	}
	json_object_set_new(json_object_get(t, "command"), "environment",
			    json_pack("{s:o}", "variables", vars));
	launch("fw-big", t);
	expect("fw-big", "huge-env", "TASK_ERROR", "REASON_TASK_INVALID", "too large");
	free(cmd);
	free(val);
}

static void test_absurd_resources(void **state)
{
	json_t *t;

	NEED_AGENT();
	t = task_info("cpus-1e9", "true");
	json_object_set_new(t, "resources", resources(1e9, 32));
	launch("fw-res", t);
	expect("fw-res", "cpus-1e9", "TASK_ERROR", "REASON_TASK_INVALID", "more than");

	t = task_info("cpus-negative", "true");
	json_object_set_new(t, "resources", resources(-1, 32));
	launch("fw-res", t);
	expect("fw-res", "cpus-negative", "TASK_ERROR", "REASON_TASK_INVALID", NULL);

	t = task_info("mem-tiny", "true");
	json_object_set_new(t, "resources", resources(0.1, 1));
	launch("fw-res", t);
	expect("fw-res", "mem-tiny", "TASK_ERROR", "REASON_TASK_INVALID", "at least");

	t = task_info("limit-absurd", "true");
	json_object_set_new(t, "limits", json_pack("{s:f}", "cpus", 1e12));
	launch("fw-res", t);
	expect("fw-res", "limit-absurd", "TASK_ERROR", "REASON_TASK_INVALID", "cpus limit");

	t = task_info("no-command", "true");
	json_object_del(t, "command");
	launch("fw-res", t);
	expect("fw-res", "no-command", "TASK_ERROR", "REASON_TASK_INVALID", NULL);
}

static void test_missing_executable_and_user(void **state)
{
	json_t *t;

	NEED_AGENT();
	t = task_info("no-such-exe", "unused");
	json_object_set_new(t, "command",
			    json_pack("{s:b,s:s,s:[s]}", "shell", 0, "value", "/nonexistent/bin",
				      "arguments", "/nonexistent/bin"));
	launch("fw-exec", t);
	expect("fw-exec", "no-such-exe", "TASK_FAILED", NULL,
	       "cannot execute '/nonexistent/bin': No such file or directory");

	t = task_info("no-such-user", "true");
	json_object_set_new(json_object_get(t, "command"), "user",
			    json_string("no-such-user-drover"));
	launch("fw-exec", t);
	expect("fw-exec", "no-such-user", "TASK_FAILED", "REASON_TASK_INVALID", "unknown user");
}

/* Once everything is acknowledged: no sandbox, no checkpoint, no framework dir left. */
static void test_nothing_left(void **state)
{
	char path[256];
	int n = -1;

	NEED_AGENT();
	snprintf(path, sizeof(path), "%s/sandboxes", work_dir);
	for (int i = 0; i < 100; i++) {
		/* only finished tasks' sandboxes stay: fw-good, "fw ok@1" and ".fw" */
		n = count_entries(path);
		if (n <= 3)
			break;
		usleep(20000);
	}
	assert_true(n <= 3);
	/* test_mesos_ids_run's sandboxes, at their escaped names: the run and its "latest" link */
	snprintf(path, sizeof(path), "%s/sandboxes/fw%%20ok%%401/web%%20server%%401", work_dir);
	assert_int_equal(count_entries(path), 2);
	snprintf(path, sizeof(path), "%s/sandboxes/fw%%20ok%%401/%%2Ehidden", work_dir);
	assert_int_equal(count_entries(path), 2);
	snprintf(path, sizeof(path), "%s/sandboxes/fw%%20ok%%401/%%C3%%BC-1", work_dir);
	assert_int_equal(count_entries(path), 2);
	snprintf(path, sizeof(path), "%s/sandboxes/%%2Efw", work_dir);
	assert_int_equal(count_entries(path), 1);
	snprintf(path, sizeof(path), "%s/sandboxes/fw-exec", work_dir);
	assert_int_equal(count_entries(path), 0);
	snprintf(path, sizeof(path), "%s/sandboxes/fw-bad", work_dir);
	assert_int_equal(count_entries(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_task_runs),
		cmocka_unit_test(test_unsafe_ids),
		cmocka_unit_test(test_mesos_ids_run),
		cmocka_unit_test(test_empty_task_user_refused),
		cmocka_unit_test(test_oversized_command_and_env),
		cmocka_unit_test(test_absurd_resources),
		cmocka_unit_test(test_missing_executable_and_user),
		cmocka_unit_test(test_nothing_left),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
