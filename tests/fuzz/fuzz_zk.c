// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: what the masters, agents and the CLI read from ZooKeeper to find the
 * leader (lib/zk.c): child names by Mesos's membership rule (zk_node_sequence,
 * zk_member_lowest, zk_member_predecessor) and a member's data (zk_member_address: a
 * MasterInfo, or an older {"address": ...}). The input's lines before an empty line are
 * child names; what follows is the data.
 *
 * Besides memory safety and UB: the lowest member has the smallest sequence number and no
 * predecessor; a predecessor is below its member; an address ends in ":PORT", 1..65535.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_NAMES 64

static void check_address(const char *data, size_t len)
{
	char *a = zk_member_address(data, len);
	const char *colon;
	char *end;
	long port;

	if (!a)
		return;
	colon = strrchr(a, ':');
	port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || colon == a || *end || port < 1 || port > 65535) {
		fprintf(stderr, "zk_member_address gave '%s'\n", a);
		abort();
	}
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *names[MAX_NAMES], *p, *nl;
	const char *low, *pred;
	int n = 0;
	int32_t s, t;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (p = text; n < MAX_NAMES && (nl = strchr(p, '\n')) && nl != p; p = nl + 1) {
		*nl = '\0';
		names[n++] = p;
	}
	if ((nl = strchr(p, '\n')) && nl == p)
		p++;
	low = zk_member_lowest(names, n);
	for (int i = 0; i < n; i++) {
		bool member = zk_node_sequence(names[i], &s) == 0;
		if (zk_member_is(names[i]) && !member)
			abort();
		if (!member)
			continue;
		if (!low || zk_node_sequence(low, &t) < 0 || t > s)
			abort(); /* a member lower than the lowest */
		pred = zk_member_predecessor(names, n, names[i]);
		if (pred && (zk_node_sequence(pred, &t) < 0 || t >= s))
			abort();
	}
	if (low && zk_member_predecessor(names, n, low))
		abort(); /* nothing is below the lowest */
	check_address(p, strlen(p));
	free(text);
	return 0;
}
