// SPDX-License-Identifier: Apache-2.0
/*
 * drover-regfill: write a master registry of N agents, F frameworks and T running tasks,
 * through the master's own registry code (masterd/registry.c), for the restart benchmark
 * at sizes one box cannot reach with live agents (docs/benchmarks.md, "(d) restart"):
 *
 *   drover-regfill --registry PATH --agents 40000 --frameworks 100 --tasks 400000
 *   drover-master --registry sqlite:PATH ...   # then read drover_master_recovery_seconds
 *
 * Records look like those the master writes for simulated agents and tasks.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>

#include "loop.h"
#include "masterd/registry.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: drover-regfill --registry PATH [--agents N] [--frameworks F] "
		   "[--tasks T]\n"
		   "Writes N agents (default 40000), F frameworks (default 100) and T running\n"
		   "tasks (default 400000, spread evenly) into a new master registry at PATH.\n");
}

static json_t *resources(double cpus, double mem)
{
	return json_pack("[{s:s,s:s,s:{s:f}},{s:s,s:s,s:{s:f}}]", "name", "cpus", "type", "SCALAR",
			 "scalar", "value", cpus, "name", "mem", "type", "SCALAR", "scalar", "value",
			 mem);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"registry", required_argument, NULL, 'r'}, {"agents", required_argument, NULL, 'a'},
		{"frameworks", required_argument, NULL, 'f'}, {"tasks", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},           {0},
	};
	const char *path = NULL;
	long nagents = 40000, nfw = 100, ntasks = 400000;
	struct registry *r;
	char err[512], aid[64], fid[64], tid[64], host[64];
	int64_t t0;
	int c, e;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			path = optarg;
			break;
		case 'a':
			nagents = atol(optarg);
			break;
		case 'f':
			nfw = atol(optarg);
			break;
		case 't':
			ntasks = atol(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || nagents <= 0 || nfw <= 0 || ntasks < 0) {
		usage(stderr);
		return 2;
	}
	if (registry_open(path, 1000, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "drover-regfill: %s\n", err);
		return 1;
	}
	t0 = now_mono_ns();
	for (long i = 0; i < nagents; i++) {
		json_t *info;
		snprintf(aid, sizeof(aid), "00000000-0000-4000-8000-%012ld", i);
		snprintf(host, sizeof(host), "sim-%ld", i);
		info = json_pack("{s:s,s:{s:s},s:o}", "hostname", host, "id", "value", aid,
				 "resources", resources(8, 16384));
		struct registry_agent a = {aid, host, info, true, false, false};
		e = registry_put_agent(r, &a);
		json_decref(info);
		if (e < 0)
			goto fail;
	}
	for (long i = 0; i < nfw; i++) {
		json_t *info;
		snprintf(fid, sizeof(fid), "11111111-0000-4000-8000-%012ld", i);
		info = json_pack("{s:s,s:s,s:s,s:{s:s},s:f}", "name", "regfill", "user", "root",
				 "role", "*", "id", "value", fid, "failover_timeout", 3600.0);
		struct registry_framework fw = {fid, "*", info, 0, 3600, false};
		e = registry_put_framework(r, &fw);
		json_decref(info);
		if (e < 0)
			goto fail;
	}
	for (long i = 0; i < ntasks; i++) {
		json_t *info, *st;
		snprintf(fid, sizeof(fid), "11111111-0000-4000-8000-%012ld", i % nfw);
		snprintf(aid, sizeof(aid), "00000000-0000-4000-8000-%012ld", i % nagents);
		snprintf(tid, sizeof(tid), "t%ld", i);
		info = json_pack("{s:s,s:{s:s},s:{s:s},s:{s:s},s:o}", "name", "sim", "task_id",
				 "value", tid, "agent_id", "value", aid, "command", "value", "true",
				 "resources", resources(0.5, 256));
		st = json_pack("{s:{s:s},s:{s:s},s:s,s:s,s:f}", "task_id", "value", tid,
			       "agent_id", "value", aid, "state", "TASK_RUNNING", "source",
			       "SOURCE_EXECUTOR", "timestamp", 1.7e9);
		/* as the master writes a launched task: its name and resources (text form) beside
		 * the TaskInfo */
		struct registry_task t = {fid, tid, aid, "TASK_RUNNING", info, st, NULL, NULL, false,
					  .name = "sim", .res_text = "cpus:0.5;mem:256"};
		e = registry_put_task(r, &t);
		json_decref(info);
		json_decref(st);
		if (e < 0)
			goto fail;
		if (i % 10000 == 9999 && (e = registry_submit(r)) < 0)
			goto fail;
	}
	e = registry_commit(r);
	if (e < 0)
		goto fail;
	registry_close(r);
	printf("regfill: %ld agents, %ld frameworks, %ld tasks written to %s in %.2f s\n", nagents,
	       nfw, ntasks, path, (double)(now_mono_ns() - t0) / 1e9);
	return 0;
fail:
	fprintf(stderr, "drover-regfill: %s\n", registry_error(r));
	registry_close(r);
	return 1;
}
