// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the supervisor's records as the agent reads them (supervisor.h), the
 * exit status and <meta>/supervisor. The input is written to a file and read back through
 * agent_exit_status_read() and agent_task_reattach()'s reader (lib/fileio.h's bounded
 * reader: longer than AGENT_RECORD_MAX is -EFBIG, never a partial parse), then parsed
 * directly. What parses must format back (agent_exit_record_format) to a record that
 * parses to the same values.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentd/supervisor.h"
#include "fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int dir_fd = -1;

static void put(const char *name, const uint8_t *data, size_t size)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

static bool same(const struct agent_exit_record *a, const struct agent_exit_record *b)
{
	return a->how == b->how && a->code == b->code && a->core_dumped == b->core_dumped &&
	       (a->how != AGENT_EXIT_LAUNCH_FAILED || a->stage == b->stage) &&
	       a->task_pid == b->task_pid && a->utime_us == b->utime_us &&
	       a->stime_us == b->stime_us && a->maxrss_kb == b->maxrss_kb &&
	       a->time_ns == b->time_ns;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_exit_record via_file, direct, again;
	struct agent_supervisor_record sr;
	char text[AGENT_RECORD_MAX], out[512];
	int rf, rd, n;
	bool fits = size < sizeof(text) && !memchr(data, '\0', size);

	if (dir_fd < 0) {
		char dir[] = "/tmp/drover-fuzz-exit-XXXXXX";

		if (!mkdtemp(dir))
			abort();
		dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir_fd < 0)
			abort();
	}
	put(AGENT_EXIT_STATUS_FILE, data, size);
	rf = agent_exit_status_read(dir_fd, &via_file);
	if (size >= sizeof(text)) {
		if (rf != -EFBIG)
			abort(); /* never a parse of a cut record */
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	rd = agent_exit_record_parse(text, &direct);
	if (fits && (rf < 0) != (rd < 0))
		abort();
	if (fits && rd == 0 && !same(&via_file, &direct))
		abort();
	if (rd == 0) {
		n = agent_exit_record_format(&direct, out, sizeof(out));
		if (n < 0 || agent_exit_record_parse(out, &again) < 0 || !same(&direct, &again))
			abort();
	}
	put(AGENT_SUPERVISOR_FILE, data, size);
	if (file_read_bufat(dir_fd, AGENT_SUPERVISOR_FILE, 0, text, sizeof(text)) >= 0 &&
	    agent_supervisor_record_parse(text, &sr) == 0 && (sr.pid <= 0 || sr.task_pid < 0))
		abort();
	return 0;
}
