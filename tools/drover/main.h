/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The drover CLI, after bpftool: `drover [OPTIONS] OBJECT { COMMAND | help }`.
 * Every object lives in its own file and ends in a cmds[] table handed to cmd_select().
 */
#ifndef DROVER_CLI_MAIN_H
#define DROVER_CLI_MAIN_H

#include <stdbool.h>
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
extern bool pretty_output;
extern const char *master_url;
extern const char *agent_url;
extern const char *bin_name;

/*
 * Run the command in cmds[] whose name argv[0] is a unique prefix of. "help" or no
 * command calls help(). Returns the command's exit status.
 */
int cmd_select(const struct cmd *cmds, int argc, char **argv, int (*help)(int, char **));
/* True when arg is a (non-empty) prefix of keyword: bpftool's is_prefix(). */
bool is_prefix(const char *arg, const char *keyword);

/* Print an error: {"error": "..."} on stdout in JSON mode, "Error: ..." on stderr else. */
void p_err(const char *fmt, ...) _printf_(1, 2);
/* Print a JSON value per -j/-p and free it. */
void json_print(json_t *v);

/* Per-object entry points (one file each). */
int do_version(int argc, char **argv);
int do_alloc(int argc, char **argv);
int do_task(int argc, char **argv);
int do_task_run(int argc, char **argv);

#define NEXT_ARG() ({ argc--; argv++; })

#endif
