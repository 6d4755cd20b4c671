/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's configuration: one table drives flags, DROVER_AGENT_* and --help. */
#ifndef DROVER_AGENT_FLAGS_H
#define DROVER_AGENT_FLAGS_H

#include <stdbool.h>
#include <stdint.h>
#include "conf.h"

enum agent_enforce { AGENT_ENFORCE_STRICT, AGENT_ENFORCE_BEST_EFFORT };
enum agent_recover { AGENT_RECOVER_RECONNECT, AGENT_RECOVER_CLEANUP };
enum agent_bpf_mode { AGENT_BPF_AUTO, AGENT_BPF_OFF };
enum agent_seccomp_mode { AGENT_SECCOMP_DEFAULT, AGENT_SECCOMP_OFF };

struct agent_flags {
	char *master;
	char *listen;
	char *work_dir;
	char *cgroup_root;
	char *resources;
	char *attributes;
	int enforce;
	int recover;
	int64_t pids_max;
	int64_t sample_interval_ns;
	char *log_level;
	int bpf;           /* enum agent_bpf_mode */
	char *bpf_pin_dir;
	bool bpf_stats;
	int bpf_oom;       /* enum bpf_oom_mode */
	/* security (docs/security.md) */
	char *credential;
	char *api_credentials;
	char *tls_ca;
	char *tls_cert;
	char *tls_key;
	char *task_user;
	/* trust boundaries between tasks (docs/security.md) */
	char *dynamic_uids;     /* "FIRST-LAST": a uid per framework; "" off */
	int task_seccomp;       /* enum agent_seccomp_mode */
	double max_limit_ratio; /* limits.cpus/mem at most this times the agent's total; 0: no cap */
	char *task_devices;     /* devices a drover.devices label may ask for ("" none) */
	/* the work dir's disk (docs/security.md, "A task's own files") */
	int64_t checkpoint_reserve; /* bytes */
	int64_t gc_delay_ns;
	double gc_disk_headroom;
	int64_t disk_watch_interval_ns;
	/* task output (logger.h) */
	int64_t log_max_size; /* bytes of one stdout or stderr file before it rotates; 0: no cap */
	int64_t log_max_files; /* files kept per stream: stdout, stdout.1, ... */
	/* executors (executor.h) */
	int64_t executor_registration_timeout_ns;
	int64_t executor_reregistration_timeout_ns;
	int64_t executor_shutdown_grace_ns;
	int64_t max_completed_executors_per_framework;
};

extern const struct conf_opt agent_flag_table[];

#endif
