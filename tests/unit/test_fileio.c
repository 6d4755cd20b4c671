// SPDX-License-Identifier: Apache-2.0
/*
 * lib/fileio.h, the one reader for every file the daemons read, against what a task can
 * leave under a name the agent reads: a FIFO (must not block), a symlink to /dev/zero
 * (must not be followed, nor read without end), a device, a directory, a long file. Each
 * call runs under an alarm, so a reader that blocks fails the test instead of hanging it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fileio.h"

static char dir[64];
static int dfd = -1;

static void on_alarm(int sig)
{
	(void)sig;
	/* a read that blocks: fail loudly rather than hang the tier */
	static const char msg[] = "fileio: a read blocked (alarm)\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/drover-fileio-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	signal(SIGALRM, on_alarm);
	return dfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
	close(dfd);
	return 0;
}

static void put(const char *name, const char *text)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_regular(void **state)
{
	char *text = NULL, buf[16];
	size_t len = 0;

	put("f", "hello\n");
	alarm(5);
	assert_int_equal(file_read_allat(dfd, "f", 100, 0, &text, &len), 0);
	assert_string_equal(text, "hello\n");
	assert_int_equal(len, 6);
	free(text);
	assert_int_equal(file_read_bufat(dfd, "f", 0, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "hello\n");
	/* exactly the cap fits; one byte more does not */
	assert_int_equal(file_read_allat(dfd, "f", 6, 0, &text, &len), 0);
	free(text);
	assert_int_equal(file_read_allat(dfd, "f", 5, 0, &text, &len), -EFBIG);
	assert_int_equal(file_read_bufat(dfd, "f", 0, buf, 7), 6);
	assert_int_equal(file_read_bufat(dfd, "f", 0, buf, 6), -EFBIG);
	put("empty", "");
	assert_int_equal(file_read_allat(dfd, "empty", 10, 0, &text, &len), 0);
	assert_int_equal(len, 0);
	free(text);
	assert_int_equal(file_read_allat(dfd, "none", 10, 0, &text, &len), -ENOENT);
	alarm(0);
}

/* rm exit_status; mkfifo exit_status: no writer ever comes. */
static void test_fifo_never_blocks(void **state)
{
	char *text = NULL, buf[64];

	assert_int_equal(mkfifoat(dfd, "fifo", 0666), 0);
	alarm(5);
	assert_int_equal(file_read_allat(dfd, "fifo", 4096, 0, &text, NULL), -EBADFD);
	assert_int_equal(file_read_bufat(dfd, "fifo", 0, buf, sizeof(buf)), -EBADFD);
	assert_int_equal(file_read_bufat(dfd, "fifo", FILE_READ_FOLLOW, buf, sizeof(buf)),
			 -EBADFD);
	alarm(0);
	assert_null(text);
}

/* ln -s /dev/zero exit_status: not followed; and where following is asked, not a file. */
static void test_symlink_to_dev_zero(void **state)
{
	char *text = NULL, buf[64];

	assert_int_equal(symlinkat("/dev/zero", dfd, "zero"), 0);
	assert_int_equal(symlinkat("f", dfd, "link"), 0);
	alarm(5);
	assert_int_equal(file_read_allat(dfd, "zero", 1 << 20, 0, &text, NULL), -ELOOP);
	assert_int_equal(file_read_bufat(dfd, "zero", 0, buf, sizeof(buf)), -ELOOP);
	assert_int_equal(file_read_allat(dfd, "zero", 1 << 20, FILE_READ_FOLLOW, &text, NULL),
			 -EBADFD);
	assert_int_equal(file_read_allat(AT_FDCWD, "/dev/zero", 1 << 20, FILE_READ_FOLLOW, &text,
					 NULL),
			 -EBADFD);
	/* a symlink to a regular file: refused without FOLLOW, read with it */
	assert_int_equal(file_read_bufat(dfd, "link", 0, buf, sizeof(buf)), -ELOOP);
	assert_int_equal(file_read_bufat(dfd, "link", FILE_READ_FOLLOW, buf, sizeof(buf)), 6);
	alarm(0);
	assert_null(text);
}

static void test_directory_and_big_file(void **state)
{
	char *text = NULL, buf[64];
	int fd;

	assert_int_equal(mkdirat(dfd, "d", 0755), 0);
	assert_int_equal(file_read_bufat(dfd, "d", 0, buf, sizeof(buf)), -EBADFD);
	/* a sparse 1 GiB file: refused after the cap, not read whole */
	fd = openat(dfd, "big", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1LL << 30), 0);
	close(fd);
	alarm(5);
	assert_int_equal(file_read_allat(dfd, "big", 1 << 16, 0, &text, NULL), -EFBIG);
	assert_int_equal(file_read_bufat(dfd, "big", 0, buf, sizeof(buf)), -EFBIG);
	alarm(0);
	assert_null(text);
}

/* cgroupfs and /proc report st_size 0: the content is read all the same. */
static void test_proc(void **state)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(file_read_allat(AT_FDCWD, "/proc/self/status", 1 << 20, 0, &text, &len),
			 0);
	assert_true(len > 0);
	assert_non_null(strstr(text, "Pid:"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular),
		cmocka_unit_test(test_fifo_never_blocks),
		cmocka_unit_test(test_symlink_to_dev_zero),
		cmocka_unit_test(test_directory_and_big_file),
		cmocka_unit_test(test_proc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
