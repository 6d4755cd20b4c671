// SPDX-License-Identifier: Apache-2.0
/*
 * <meta>/health, the supervisor's record of a task's latest health: its async-signal-safe
 * formatter (on the records' one writer, supervisor.h), its parser and reader, and its
 * words for a status message. Format: health.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroupfs.h"
#include "fileio.h"
#include "health.h"
#include "supervisor.h"
#include "util.h"

int agent_health_record_format(const struct agent_health_record *r, char *buf, size_t len)
{
	struct agent_record_out o = {.buf = buf, .len = len};

	if (!len)
		return -ENOBUFS;
	buf[0] = '\0';
	agent_record_put_kv(&o, "drover-health", 1);
	agent_record_put_kv(&o, "updates", r->updates);
	agent_record_put_kv(&o, "healthy", r->healthy);
	agent_record_put_kv(&o, "consecutive_failures", r->consecutive_failures);
	agent_record_put_kv(&o, "kill", r->kill);
	agent_record_put_kv(&o, "result", (uint64_t)r->result);
	agent_record_put_kv(&o, "code", r->code < 0 ? 0 : (uint64_t)r->code);
	agent_record_put_kv(&o, "time_ns", r->time_ns);
	return o.overflow ? -ENOBUFS : (int)o.off;
}

int agent_health_record_parse(const char *text, struct agent_health_record *ret)
{
	uint64_t magic, updates, healthy, cf, kill, result, code, time_ns = 0;

	if (cgroupfs_keyed_get(text, "drover-health", &magic) < 0 || magic != 1 ||
	    cgroupfs_keyed_get(text, "updates", &updates) < 0 ||
	    cgroupfs_keyed_get(text, "healthy", &healthy) < 0 || healthy > 1 ||
	    cgroupfs_keyed_get(text, "consecutive_failures", &cf) < 0 || cf > UINT32_MAX ||
	    cgroupfs_keyed_get(text, "kill", &kill) < 0 || kill > 1 ||
	    cgroupfs_keyed_get(text, "result", &result) < 0 ||
	    result > AGENT_HEALTH_LAUNCH_FAILED || cgroupfs_keyed_get(text, "code", &code) < 0 ||
	    code > INT32_MAX)
		return -EINVAL;
	(void)cgroupfs_keyed_get(text, "time_ns", &time_ns);
	*ret = (struct agent_health_record){
		.updates = updates,
		.healthy = healthy,
		.consecutive_failures = (uint32_t)cf,
		.kill = kill,
		.result = (enum agent_health_result)result,
		.code = (int)code,
		.time_ns = time_ns,
	};
	return 0;
}

int agent_health_record_read(int meta_fd, struct agent_health_record *ret)
{
	char buf[AGENT_RECORD_MAX];
	ssize_t n = file_read_bufat(meta_fd, AGENT_HEALTH_FILE, 0, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return agent_health_record_parse(buf, ret);
}

void agent_health_result_describe(const struct agent_health_record *r, enum health_check_type type,
				  char *buf, size_t len)
{
	bool probe = type == HEALTH_CHECK_HTTP || type == HEALTH_CHECK_TCP;

	switch (r->result) {
	case AGENT_HEALTH_OK:
		snprintf(buf, len, "passed");
		break;
	case AGENT_HEALTH_EXITED:
		if (probe && r->code == 1)
			snprintf(buf, len, "the HTTP status is not in 200-399");
		else if (probe && r->code == 2)
			snprintf(buf, len, "cannot connect to the port");
		else
			snprintf(buf, len, "exited with status %d", r->code);
		break;
	case AGENT_HEALTH_SIGNALED:
		snprintf(buf, len, "killed by signal %d", r->code);
		break;
	case AGENT_HEALTH_TIMEOUT:
		snprintf(buf, len, "timed out");
		break;
	case AGENT_HEALTH_LAUNCH_FAILED:
		snprintf(buf, len, "could not start: %s", strerror(r->code));
		break;
	}
}
