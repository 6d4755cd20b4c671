// SPDX-License-Identifier: Apache-2.0
/*
 * drover-regfill: write a master registry of N agents, F frameworks and T running tasks,
 * through the master's own registry code (masterd/registry.c), for the restart benchmark
 * at sizes one box cannot reach with live agents (docs/benchmarks.md, "(d) restart"):
 *
 *   drover-regfill --registry PATH --agents 40000 --frameworks 100 --tasks 400000
 *   drover-master --registry sqlite:PATH ...   # then read drover_master_recovery_seconds
 *
 * Records look like those the master writes for simulated agents and tasks. The options come
 * from a lib/conf table, as the daemons' do (DROVER_REGFILL_* variables).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>

#include "daemon.h"
#include "loop.h"
#include "util.h"
#include "masterd/registry.h"

struct regfill_flags {
	char *registry, *log_level;
	int64_t agents, frameworks, tasks;
};

#define F(field) offsetof(struct regfill_flags, field)
static const struct conf_opt regfill_flag_table[] = {
	{"registry", CONF_STRING, F(registry), NULL, "PATH",
	 "the new master registry (SQLite) to write (required)"},
	{"agents", CONF_INT, F(agents), "40000", "N", "agents written", 1, 100000000},
	{"frameworks", CONF_INT, F(frameworks), "100", "F", "frameworks written", 1, 100000000},
	{"tasks", CONF_INT, F(tasks), "400000", "T",
	 "running tasks written, spread evenly over the agents and frameworks", 0, 1000000000},
	{"log-level", CONF_STRING, F(log_level), "info", "LEVEL", "error, warn, info or debug"},
	CONF_END,
};
#undef F

static const struct daemon_desc regfill_desc = {
	.prog = "drover-regfill",
	.synopsis = "--registry PATH [OPTIONS]",
	.env_prefix = "DROVER_REGFILL",
	.table = regfill_flag_table,
	.log_level_offset = offsetof(struct regfill_flags, log_level),
};

static json_t *resources(double cpus, double mem)
{
	return json_pack("[{s:s,s:s,s:{s:f}},{s:s,s:s,s:{s:f}}]", "name", "cpus", "type", "SCALAR",
			 "scalar", "value", cpus, "name", "mem", "type", "SCALAR", "scalar",
			 "value", mem);
}

int main(int argc, char **argv)
{
	struct regfill_flags fl = {0};
	_cleanup_free_ char *path = NULL;
	long nagents, nfw, ntasks;
	struct registry *r;
	char err[512], aid[64], fid[64], tid[64], host[64];
	int64_t t0;
	int e;

	e = daemon_parse_args(&regfill_desc, &fl, argc, argv);
	path = TAKE_PTR(fl.registry);
	nagents = (long)fl.agents;
	nfw = (long)fl.frameworks;
	ntasks = (long)fl.tasks;
	conf_free(regfill_flag_table, &fl);
	if (e >= 0)
		return e;
	if (!path || !*path) {
		fprintf(stderr, "drover-regfill: option '--registry' is required (see --help)\n");
		return 2;
	}
	if (master_reg_open(path, 1000, &r, err, sizeof(err)) < 0) {
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
		e = master_reg_put_agent(r, &a);
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
		e = master_reg_put_framework(r, &fw);
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
		st = json_pack("{s:{s:s},s:{s:s},s:s,s:s,s:f}", "task_id", "value", tid, "agent_id",
			       "value", aid, "state", "TASK_RUNNING", "source", "SOURCE_EXECUTOR",
			       "timestamp", 1.7e9);
		/* as the master writes a launched task: its name and resources (text form) beside
		 * the TaskInfo */
		struct registry_task t = {fid,
					  tid,
					  aid,
					  "TASK_RUNNING",
					  info,
					  st,
					  NULL,
					  NULL,
					  false,
					  .name = "sim",
					  .res_text = "cpus:0.5;mem:256"};
		e = master_reg_put_task(r, &t);
		json_decref(info);
		json_decref(st);
		if (e < 0)
			goto fail;
		if (i % 10000 == 9999 && (e = master_reg_submit(r)) < 0)
			goto fail;
	}
	e = master_reg_commit(r);
	if (e < 0)
		goto fail;
	master_reg_close(r);
	printf("regfill: %ld agents, %ld frameworks, %ld tasks written to %s in %.2f s\n", nagents,
	       nfw, ntasks, path, (double)(now_mono_ns() - t0) / 1e9);
	return 0;
fail:
	fprintf(stderr, "drover-regfill: %s\n", master_reg_error(r));
	master_reg_close(r);
	return 1;
}
