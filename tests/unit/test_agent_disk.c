// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's work dir against a task that fills it and IDs tools take for hidden:
 *   - sandbox GC: Mesos's max age (gc_delay * max(0, 1 - headroom - usage)), old unused
 *     sandboxes collected (both layouts), sandboxes in use or young kept, nothing left in
 *     the trash once the worker is done;
 *   - the checkpoint reserve: allocated, given up to a checkpoint write on a full file
 *     system (a small tmpfs; root only), and made whole again once there is room;
 *   - checkpoints of framework and task IDs starting with '.' are recovered, not skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/checkpoint.h"
#include "agentd/sandbox_gc.h"

#define SEC 1000000000LL

static char work[64];

static int setup(void **state)
{
	snprintf(work, sizeof(work), "/tmp/drover-disk-XXXXXX");
	return mkdtemp(work) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
	(void)!system(cmd);
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static void make_dir(const char *rel, time_t mtime, const char *file)
{
	char path[512], cmd[600];
	struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};

	snprintf(path, sizeof(path), "%s/%s", work, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
	if (file) {
		char f[600];
		FILE *fp;

		snprintf(f, sizeof(f), "%s/%s", path, file);
		fp = fopen(f, "w");
		assert_non_null(fp);
		fputs("output\n", fp);
		fclose(fp);
	}
	if (mtime)
		assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool exists(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", work, rel);
	return lstat(path, &st) == 0;
}

static bool in_use(const char *path, void *data)
{
	return strstr(path, (const char *)data) != NULL;
}

static void test_max_age(void **state)
{
	int64_t week = 7 * 24 * 3600 * SEC;

	assert_int_equal(agent_gc_max_age(week, 0.1, 0.0), (int64_t)(week * 0.9));
	assert_int_equal(agent_gc_max_age(week, 0.1, 0.5), (int64_t)(week * 0.4));
	assert_int_equal(agent_gc_max_age(week, 0.1, 0.9), 0);
	assert_int_equal(agent_gc_max_age(week, 0.1, 1.0), 0);
	assert_int_equal(agent_gc_max_age(week, 0.0, 0.0), week);
}

static void test_collect(void **state)
{
	struct agent_gc *gc = NULL;
	struct agent_gc_stats st;
	time_t old = time(NULL) - 400 * 24 * 3600;
	char trash[512];

	/* a task's sandbox may hold anything: a symlink out of it is removed, not followed */
	make_dir("sandboxes/fw/t-old/run-a/deep/er", 0, "x");
	{
		char l[512];

		snprintf(l, sizeof(l), "%s/sandboxes/fw/t-old/run-a/etc", work);
		assert_int_equal(symlink("/etc", l), 0);
	}
	make_dir("sandboxes/fw/t-old/run-a", old, "stdout");
	make_dir("sandboxes/fw/t-old/run-b", old, NULL);
	make_dir("sandboxes/fw/t-young/run-c", 0, "stdout");
	make_dir("sandboxes/fw/t-used/run-d", old, "stdout");
	make_dir("sandboxes/fw2/t-legacy", old, "stdout"); /* before run IDs */
	assert_int_equal(agent_gc_new(work, &gc), 0);
	assert_int_equal(agent_gc_collect(gc, 30 * 24 * 3600 * SEC, 0.0, now_ns(), in_use,
					  "t-used", &st),
			 0);
	printf("# collected %d kept %d failed %d usage %.2f max_age %llds\n", st.collected,
	       st.kept, st.failed, st.usage, (long long)(st.max_age_ns / SEC));
	agent_gc_free(gc); /* waits for the worker */
	assert_false(exists("sandboxes/fw/t-old/run-a"));
	assert_false(exists("sandboxes/fw/t-old/run-b"));
	assert_false(exists("sandboxes/fw/t-old")); /* its last run went */
	assert_false(exists("sandboxes/fw2/t-legacy"));
	assert_false(exists("sandboxes/fw2"));
	assert_true(exists("sandboxes/fw/t-used/run-d"));
	if (st.max_age_ns > 3600 * SEC)
		assert_true(exists("sandboxes/fw/t-young/run-c"));
	assert_int_equal(st.failed, 0);
	assert_true(st.collected >= 3);
	/* the trash is empty, and /etc was not followed */
	snprintf(trash, sizeof(trash), "%s/gc", work);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", trash);
		assert_int_equal(system(cmd), 0);
	}
	assert_true(access("/etc/passwd", F_OK) == 0);
}

/* Headroom reached (usage + headroom >= 1): every unused sandbox goes, whatever its age. */
static void test_collect_at_watermark(void **state)
{
	struct agent_gc *gc = NULL;
	struct agent_gc_stats st;

	make_dir("sandboxes/fw3/t/run-new", 0, "stdout");
	make_dir("sandboxes/fw3/t/run-used", 0, "stdout");
	assert_int_equal(agent_gc_new(work, &gc), 0);
	assert_int_equal(agent_gc_collect(gc, 30 * 24 * 3600 * SEC, 1.0, now_ns(), in_use,
					  "run-used", &st),
			 0);
	agent_gc_free(gc);
	assert_int_equal(st.max_age_ns, 0);
	assert_false(exists("sandboxes/fw3/t/run-new"));
	assert_true(exists("sandboxes/fw3/t/run-used"));
}

static int n_loaded;
static char loaded[2][64];

static void on_task(const char *fw, const char *task, json_t *record, json_t *updates,
		    void *data)
{
	snprintf(loaded[0], sizeof(loaded[0]), "%s", fw);
	snprintf(loaded[1], sizeof(loaded[1]), "%s", task);
	n_loaded++;
	json_decref(record);
	json_decref(updates);
}

/* An agent before this one launched ".fw/.t": a restart must still know it. */
static void test_dot_ids_recovered(void **state)
{
	struct checkpoint c = {.meta_fd = -1, .tasks_fd = -1};
	char dir[128];
	json_t *rec = json_pack("{s:{s:{s:s}}}", "task", "task_id", "value", ".t");

	snprintf(dir, sizeof(dir), "%s/dot", work);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(agent_checkpoint_open(dir, &c), 0);
	assert_int_equal(agent_checkpoint_task_save(&c, ".fw", ".t", rec), 0);
	n_loaded = 0;
	assert_int_equal(agent_checkpoint_tasks_load(&c, on_task, NULL, NULL), 1);
	assert_int_equal(n_loaded, 1);
	assert_string_equal(loaded[0], ".fw");
	assert_string_equal(loaded[1], ".t");
	assert_int_equal(agent_checkpoint_task_remove(&c, ".fw", ".t"), 0);
	assert_int_equal(agent_checkpoint_tasks_load(&c, on_task, NULL, NULL), 0);
	json_decref(rec);
	agent_checkpoint_close(&c);
}

/* meta/ is root's alone, whatever mode made it. */
static void test_meta_private(void **state)
{
	struct checkpoint c = {.meta_fd = -1, .tasks_fd = -1};
	char dir[128];
	struct stat st;
	int fd;

	snprintf(dir, sizeof(dir), "%s/priv", work);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/priv/meta", work);
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(dir, sizeof(dir), "%s/priv", work);
	assert_int_equal(agent_checkpoint_open(dir, &c), 0);
	assert_int_equal(fstat(c.meta_fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	fd = agent_checkpoint_task_dir_open(&c, "fw", "t");
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	close(fd);
	agent_checkpoint_close(&c);
}

static void test_reserve(void **state)
{
	struct checkpoint c = {.meta_fd = -1, .tasks_fd = -1};
	char dir[128], fill[160];
	struct stat st;
	json_t *rec;
	FILE *f;
	int fd;

	if (geteuid() != 0) {
		printf("# SKIP: needs root (mounts a small tmpfs)\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/small", work);
	assert_int_equal(mkdir(dir, 0755), 0);
	if (mount("drover-test", dir, "tmpfs", 0, "size=2m") < 0) {
		printf("# SKIP: cannot mount a tmpfs: %s\n", strerror(errno));
		skip();
	}
	assert_int_equal(agent_checkpoint_open(dir, &c), 0);
	/* a tenth of the file system at most */
	assert_int_equal(agent_checkpoint_reserve_effective(&c, 16 << 20), (2 << 20) / 10);
	assert_int_equal(agent_checkpoint_reserve_ensure(&c, 16 << 20), 0);
	assert_int_equal(fstatat(c.meta_fd, "reserve", &st, 0), 0);
	assert_true((uint64_t)st.st_blocks * 512 >= (2 << 20) / 10);
	/* a task fills the disk */
	snprintf(fill, sizeof(fill), "%s/fill", dir);
	f = fopen(fill, "w");
	assert_non_null(f);
	{
		static char block[4096];

		while (fwrite(block, 1, sizeof(block), f) == sizeof(block) && fflush(f) == 0)
			;
	}
	fclose(f);
	/* the checkpoint is written all the same, from the reserve */
	rec = json_pack("{s:{s:{s:s}},s:s}", "task", "task_id", "value", "t", "pad",
			"0123456789012345678901234567890123456789");
	assert_int_equal(agent_checkpoint_task_save(&c, "fw", "t", rec), 0);
	assert_true(c.reserve_released);
	fd = agent_checkpoint_task_dir_open(&c, "fw", "t");
	assert_true(fd >= 0);
	assert_int_equal(faccessat(fd, "task.json", F_OK, 0), 0);
	close(fd);
	/* no room for it again yet; then room, and it is whole */
	assert_int_equal(agent_checkpoint_reserve_ensure(&c, 16 << 20), -ENOSPC);
	assert_int_equal(unlink(fill), 0);
	assert_int_equal(agent_checkpoint_reserve_ensure(&c, 16 << 20), 0);
	assert_false(c.reserve_released);
	json_decref(rec);
	agent_checkpoint_close(&c);
	assert_int_equal(umount(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_age),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_collect_at_watermark),
		cmocka_unit_test(test_dot_ids_recovered),
		cmocka_unit_test(test_meta_private),
		cmocka_unit_test(test_reserve),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
