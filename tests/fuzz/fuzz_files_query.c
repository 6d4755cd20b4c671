// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: what the agent parses of a /files request itself (libmicrohttpd splits
 * and decodes the query): the virtual sandbox path, and offset and length. Input: the three
 * strings separated by NUL bytes. A path that parses names valid IDs and nothing below the
 * run that could climb ("." or ".."); a range that parses is -1 or more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/files.h"
#include "agentd/launch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 3), *parts[3];
	struct agent_files_vpath vp;
	int64_t off, len;
	size_t at = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = '\0';
	for (int i = 0; i < 3; i++) {
		parts[i] = buf + at;
		at += strlen(buf + at) + 1;
		if (at > size + 2)
			at = size + 2;
	}
	if (agent_files_vpath_parse(parts[0], &vp) == 0) {
		if (!agent_task_id_valid(vp.fw) || !agent_task_id_valid(vp.exec) ||
		    !agent_task_id_valid(vp.run))
			abort();
		for (const char *s = vp.rest; *s;) {
			size_t n = strcspn(s, "/");

			if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
				abort();
			s += n;
			while (*s == '/')
				s++;
		}
	}
	if (agent_files_range_parse(*parts[1] ? parts[1] : NULL, *parts[2] ? parts[2] : NULL, &off,
				    &len) == 0 &&
	    (off < -1 || len < -1))
		abort();
	free(buf);
	return 0;
}
