/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The drover CLI, after bpftool: `drover [OPTIONS] OBJECT { COMMAND | help }`.
 * Every object lives in its own file and ends in a cmds[] table handed to cmd_select().
 */
#ifndef DROVER_CLI_MAIN_H
#define DROVER_CLI_MAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "util.h"

/* Exit statuses: 0 ok, 1 the operation failed, 2 usage error. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *help; /* one line: "ID | help" */
};

/* Parsed global options: the only globals the CLI has. */
extern bool json_output;
extern const char *master_url;
extern const char *agent_url;
extern const char *bin_name;
extern const char *cgroup_root_opt; /* --cgroup-root, NULL: ask the agent, else drover.slice */
extern const char *bpf_pin_dir;	    /* --bpf-dir, default /sys/fs/bpf/drover */
extern const char *tls_ca_opt;      /* --tls-ca: verify https:// daemons by this CA bundle */
extern char *cli_principal, *cli_secret; /* --credential FILE, or NULL */
/* Hidden `--list-commands`: cmd_select() prints its table instead of running a command. */
extern const char *list_commands_object;

/*
 * Run the command in cmds[] whose name argv[0] is a unique prefix of. "help" or no
 * command calls help(). Returns the command's exit status.
 */
int cmd_select(const struct cmd *cmds, int argc, char **argv, int (*help)(int, char **));
/* True when arg is a (non-empty) prefix of keyword: bpftool's is_prefix(). */
bool is_prefix(const char *arg, const char *keyword);

/* Print an error: {"error": "..."} on stdout in JSON mode, "Error: ..." on stderr else. */
void p_err(const char *fmt, ...) _printf_(1, 2);
/* A progress line on stderr, "drover: TEXT", control characters escaped. */
void p_info(const char *fmt, ...) _printf_(1, 2);
/* Print a JSON value per -j/-p and free it. */
void json_print(json_t *v);

/*
 * The help of an object, made from its cmds[] table (so the two cannot disagree):
 * "Usage: drover OBJECT { help-of-each | help }" on stderr, or the table as JSON.
 */
int print_cmds_help(const char *object, const struct cmd *cmds, const char *extra);

/* ---- helpers shared by the object files (common.c) ---- */

/* {"value": "x"} member k of o, or "". */
const char *id_value(json_t *o, const char *k);
/* A Mesos resources array as text: "cpus:2;mem:1024;ports:[31000-31099]". */
void res_text(json_t *res, char *buf, size_t len);
/* 1536 -> "1.5K", bytes with binary units. */
void fmt_bytes(double v, char *buf, size_t len);
/* Print a JSON value as indented "key: value" lines (resources arrays as text). */
void print_kv(json_t *v, int indent);
/*
 * The element of arr whose id (what get_id returns) equals id or, failing that, starts with
 * it uniquely. NULL after printing an error (unknown or ambiguous).
 */
json_t *find_by_id(json_t *arr, const char *id, const char *what,
		   const char *(*get_id)(json_t *));
/* Usage error: prints "usage: drover <text>" and returns EXIT_USAGE. */
int usage_err(const char *text);

/* Per-object entry points (one file each). */
int do_alloc(int argc, char **argv);
int do_agent(int argc, char **argv);
int do_framework(int argc, char **argv);
int do_role(int argc, char **argv);
int do_offer(int argc, char **argv);
int do_task(int argc, char **argv);
int do_task_run(int argc, char **argv);
int do_task_kill(int argc, char **argv);
int do_task_logs(int argc, char **argv);
int do_cgroup(int argc, char **argv);
int do_cgroup_top(int argc, char **argv);
int do_prog(int argc, char **argv);
int do_map(int argc, char **argv);
int do_metrics(int argc, char **argv);

#define NEXT_ARG() ({ argc--; argv++; })

#endif
