// SPDX-License-Identifier: Apache-2.0
/*
 * agentd/files: Mesos's virtual sandbox paths and /files/read's offset and length, parsed;
 * agentd/logger: the task's caps from its environment, and the logger process itself
 * (rotation at the cap, at most max_files files, a planted symlink never followed).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <errno.h>

#include "agentd/files.h"
#include "agentd/logger.h"

static void expect_vpath(const char *in, int want, const char *fw, const char *exec,
			 const char *run, const char *rest)
{
	char buf[512];
	struct agent_files_vpath vp;

	snprintf(buf, sizeof(buf), "%s", in);
	assert_int_equal(agent_files_vpath_parse(buf, &vp), want);
	if (want < 0)
		return;
	assert_string_equal(vp.fw, fw);
	assert_string_equal(vp.exec, exec);
	assert_string_equal(vp.run, run);
	assert_string_equal(vp.rest, rest);
}

static void test_vpath(void **state)
{
	expect_vpath("/frameworks/f1/executors/t1/runs/latest/stdout", 0, "f1", "t1", "latest",
		     "stdout");
	expect_vpath("/frameworks/f1/executors/t1/runs/latest", 0, "f1", "t1", "latest", "");
	expect_vpath("frameworks//f1/executors/t 1/runs/r1//", 0, "f1", "t 1", "r1", "");
	expect_vpath("/frameworks/f1/executors/t1/runs/r1/d/e/f", 0, "f1", "t1", "r1", "d/e/f");
	expect_vpath("/frameworks/f1/executors/t1/runs/r1/..x/.y", 0, "f1", "t1", "r1", "..x/.y");
	/* escapes and other shapes */
	expect_vpath("/frameworks/f1/executors/t1/runs/r1/../x", -EINVAL, 0, 0, 0, 0);
	expect_vpath("/frameworks/f1/executors/t1/runs/r1/a/./x", -EINVAL, 0, 0, 0, 0);
	expect_vpath("/frameworks/f1/executors/t1/runs/r1/a/..", -EINVAL, 0, 0, 0, 0);
	expect_vpath("/frameworks/f1/executors/t1/runs/..", -EINVAL, 0, 0, 0, 0);
	expect_vpath("/frameworks/../executors/t1/runs/r1", -EINVAL, 0, 0, 0, 0);
	expect_vpath("/frameworks/f1/executors/t1/runs", -EINVAL, 0, 0, 0, 0);
	expect_vpath("/frameworks/f1/tasks/t1/runs/r1", -EINVAL, 0, 0, 0, 0);
	expect_vpath("/slave/log", -EINVAL, 0, 0, 0, 0);
	expect_vpath("", -EINVAL, 0, 0, 0, 0);
	expect_vpath("/frameworks/f\x01/executors/t1/runs/r1", -EINVAL, 0, 0, 0, 0);
}

static void expect_range(const char *off, const char *len, int want, int64_t o, int64_t l)
{
	int64_t go = 7, gl = 7;

	assert_int_equal(agent_files_range_parse(off, len, &go, &gl), want);
	if (want == 0) {
		assert_int_equal(go, o);
		assert_int_equal(gl, l);
	}
}

static void test_range(void **state)
{
	expect_range(NULL, NULL, 0, -1, -1);
	expect_range("0", NULL, 0, 0, -1);
	expect_range("-1", "-1", 0, -1, -1);
	expect_range("12", "34", 0, 12, 34);
	expect_range("9223372036854775807", NULL, 0, INT64_MAX, -1);
	expect_range("9223372036854775808", NULL, -EINVAL, 0, 0);
	expect_range("-2", NULL, -EINVAL, 0, 0);
	expect_range("0", "-5", -EINVAL, 0, 0);
	expect_range("", NULL, -EINVAL, 0, 0);
	expect_range("-", NULL, -EINVAL, 0, 0);
	expect_range("1x", NULL, -EINVAL, 0, 0);
	expect_range(" 1", NULL, -EINVAL, 0, 0);
	expect_range("+1", NULL, -EINVAL, 0, 0);
}

static void test_logger_env(void **state)
{
	struct agent_logger_config c = {.max_size = {10 << 20, 10 << 20}, .max_files = 2};
	char *env[] = {"PATH=/bin", "CONTAINER_LOGGER_MAX_STDOUT_SIZE=1MiB",
		       "CONTAINER_LOGGER_MAX_STDERR_SIZE=100", NULL};
	char *more[] = {"CONTAINER_LOGGER_MAX_STDERR_SIZE=20MiB", NULL};

	agent_logger_config_env(&c, env);
	assert_int_equal(c.max_size[0], 1 << 20);
	assert_int_equal(c.max_size[1], 10 << 20); /* below a page: ignored */
	agent_logger_config_env(&c, more);
	assert_int_equal(c.max_size[1], 10 << 20); /* above the agent's cap: ignored */
	agent_logger_config_env(&c, NULL);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static off_t size_at(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_size : -1;
}

/* The logger rotates at the cap, keeps max_files files, and never follows a planted link. */
static void test_logger_process(void **state)
{
	char dir[] = "/tmp/drover-logger-XXXXXX", target[600], buf[1000];
	struct agent_logger_config c = {.max_size = {4096, 0}, .max_files = 3};
	int dfd, out, err, wo = -1, we = -1, pidfd = -1;
	struct pollfd p;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	snprintf(target, sizeof(target), "%s.target", dir);
	close(open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	/* the task's trap: stdout.2 is a link to a file outside */
	assert_int_equal(symlinkat(target, dfd, "stdout.2"), 0);
	out = openat(dfd, "stdout", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	err = openat(dfd, "stderr", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	assert_int_equal(agent_logger_start(dfd, out, err, &c, false, 0, 0, -1, &wo, &we, &pidfd),
			 0);
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 20; i++) /* 20,000 bytes: the cap is 4096 a file, 3 files */
		write_all(wo, buf, sizeof(buf));
	write_all(we, "uncapped\n", 9);
	close(wo);
	close(we);
	assert_true(pidfd >= 0);
	p = (struct pollfd){.fd = pidfd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 10000), 1); /* it ends when the writers are gone */
	close(pidfd);
	assert_true(size_at(dfd, "stdout") <= 4096);
	assert_int_equal(size_at(dfd, "stdout.1"), 4096);
	assert_int_equal(size_at(dfd, "stdout.2"), 4096); /* the link was replaced, not followed */
	assert_int_equal(size_at(dfd, "stdout.3"), -1);
	assert_int_equal(size_at(dfd, "stdout") + 2 * 4096, 20000 - (20000 / 4096 - 2) * 4096);
	assert_int_equal(size_at(dfd, "stderr"), 9);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);
	unlink(target);
	for (const char *n = "stdout\0stdout.1\0stdout.2\0stderr\0"; *n; n += strlen(n) + 1)
		unlinkat(dfd, n, 0);
	close(dfd);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vpath),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_logger_env),
		cmocka_unit_test(test_logger_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
