// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the agent's checkpoint reader (agentd/checkpoint.c). The input is
 * split at NUL bytes into the files a crashed agent may leave behind: meta/agent_id,
 * then task.json and updates.json of one task (an absent part means an absent file).
 * Every task the reader finds is either handed on in the shape recovery relies on (a
 * record object holding a "task" object, an array of updates each with a "uuid" and a
 * known "state") or reported as unreadable: never dropped without a word.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentd/checkpoint.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char work[64];

struct seen {
	int good, bad;
};

static void on_task(const char *fw, const char *task, json_t *record, json_t *updates,
		    void *data)
{
	struct seen *s = data;
	size_t i;
	json_t *u;

	if (strcmp(fw, "fw") != 0 || strcmp(task, "t1") != 0)
		abort();
	if (!json_is_object(record) || !json_is_object(json_object_get(record, "task")) ||
	    !json_is_array(updates))
		abort();
	json_array_foreach(updates, i, u) {
		enum task_state st;

		if (!json_is_string(json_object_get(u, "uuid")) ||
		    task_state_parse(json_string_value(json_object_get(u, "state")), &st) < 0)
			abort();
	}
	s->good++;
	json_decref(record);
	json_decref(updates);
}

static void on_bad(const char *path, const char *why, void *data)
{
	struct seen *s = data;

	if (!path || !why || !*why)
		abort();
	s->bad++;
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[3] = {NULL, NULL, NULL};
	size_t len[3] = {0, 0, 0}, i, k = 0, start = 0;
	const char *names[3] = {"meta/agent_id", "meta/tasks/fw/t1/task.json",
				"meta/tasks/fw/t1/updates.json"};
	struct checkpoint c = {.meta_fd = -1, .tasks_fd = -1};
	struct seen s = {0, 0};
	char path[128];
	char *id = NULL;
	int r;

	if (!work[0]) {
		snprintf(work, sizeof(work), "/tmp/fuzz-ckpt.XXXXXX");
		if (!mkdtemp(work))
			abort();
	}
	for (i = 0; i <= size && k < 3; i++) {
		if (i == size || data[i] == '\0') {
			part[k] = data + start;
			len[k] = i - start;
			k++;
			start = i + 1;
		}
	}
	snprintf(path, sizeof(path), "%s/meta/tasks/fw/t1", work);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", work, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/meta", work);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/meta/tasks", work);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/meta/tasks/fw", work);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/meta/tasks/fw/t1", work);
	mkdir(path, 0700);
	for (i = 0; i < 3; i++) {
		if (!part[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", work, names[i]);
		put(path, part[i], len[i]);
	}

	if (agent_checkpoint_open(work, &c) < 0)
		abort();
	r = agent_checkpoint_agent_id_load(&c, &id);
	if (r == 0 && (!id || !*id))
		abort();
	free(id);
	r = agent_checkpoint_tasks_load(&c, on_task, on_bad, &s);
	/* the one task directory is reported, one way or the other, exactly once */
	if (r < 0 || r != s.good || s.good + s.bad != 1)
		abort();
	agent_checkpoint_close(&c);
	return 0;
}
