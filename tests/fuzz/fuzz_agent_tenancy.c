// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: what the agent decodes for its trust boundaries between tasks. The
 * first byte picks the decoder, the rest is its input:
 *
 *	0  <work-dir>/dynamic-uids.json (agent_uid_pool_load_json): whatever loads holds only
 *	   uids of the range, each once, and dumps to a text that loads back equal
 *	1  a TaskInfo's limits (agent_task_limits_from_json with its mem/cpus resources, then
 *	   agent_task_limits_check and agent_task_limits_cap): no UB on any number
 *	2  a /proc/net/tcp table (agent_peer_table_find) and 3 a --task-devices allowlist
 *	   (bpf_devices_rule_covered): no crash, results in their ranges
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "agentd/api_peer.h"
#include "agentd/bpf_devices.h"
#include "agentd/task_limits.h"
#include "agentd/uid_pool.h"
#include "devices.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void uid_pool(const char *text, size_t len)
{
	struct agent_uid_pool p, q;
	char err[256], *dump, *dump2;
	size_t it;
	const char *k;
	void *v;

	agent_uid_pool_init(&p, 100, 200);
	if (agent_uid_pool_load_json(&p, text, len, err, sizeof(err)) == 0) {
		for (it = 0; strmap_next(&p.fw, &it, &k, &v);) {
			uint32_t uid = (uint32_t)(uintptr_t)v, other;
			size_t it2;
			const char *k2;

			if (uid < 100 || uid > 200)
				abort();
			for (it2 = 0; strmap_next(&p.fw, &it2, &k2, &v);) {
				other = (uint32_t)(uintptr_t)v;
				if (k2 != k && other == uid)
					abort();
			}
		}
		dump = agent_uid_pool_dump_json(&p);
		agent_uid_pool_init(&q, 100, 200);
		if (dump) {
			if (agent_uid_pool_load_json(&q, dump, strlen(dump), err, sizeof(err)) < 0 ||
			    strmap_size(&q.fw) != strmap_size(&p.fw))
				abort();
			dump2 = agent_uid_pool_dump_json(&q);
			if (dump2 && strcmp(dump, dump2) != 0)
				abort();
			free(dump2);
		}
		free(dump);
		agent_uid_pool_clear(&q);
	}
	agent_uid_pool_clear(&p);
}

static void limits(const char *text, size_t len)
{
	json_t *info = json_loadb(text, len, 0, NULL);
	struct alloc_res res = ALLOC_RES_INIT;
	struct agent_task_limits lim;
	char err[256];

	if (!info)
		return;
	if (alloc_res_from_json(json_object_get(info, "resources"), &res, err, sizeof(err)) == 0 &&
	    agent_task_limits_from_json(info, &res, &lim, err, sizeof(err)) == 0) {
		(void)agent_task_limits_check(&lim, err, sizeof(err));
		(void)agent_task_limits_cap(&lim, 2, 1ULL << 30, 1, err, sizeof(err));
		(void)agent_task_limits_cap(&lim, 0.5, 4ULL << 20, 1000, err, sizeof(err));
	}
	alloc_res_clear(&res);
	json_decref(info);
}

static void peer_table(const char *text)
{
	struct agent_peer_end a = {.addr = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1},
				   .port = 40000},
			      b = {.addr = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1},
				   .port = 5051};
	uint32_t uid = 0;
	int r = agent_peer_table_find(text, &a, &b, &uid);

	if (r != 0 && r != -ENOENT)
		abort();
}

static void devices(const char *text)
{
	int r = bpf_devices_rule_covered(text, 'c', 10, 200, DEV_ACC_READ);

	if (r != -EINVAL && r != 0 && r != 1)
		abort();
	(void)bpf_devices_rule_covered(text, 'b', 8, DEV_ANY_MINOR, DEV_ACC_READ | DEV_ACC_WRITE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1 || size > 65536)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0'; /* the decoders of 2 and 3 take C strings */
	switch (data[0] % 4) {
	case 0:
		uid_pool(text, size - 1);
		break;
	case 1:
		limits(text, size - 1);
		break;
	case 2:
		peer_table(text);
		break;
	default:
		devices(text);
	}
	free(text);
	return 0;
}
