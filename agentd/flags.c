// SPDX-License-Identifier: Apache-2.0
#include <stddef.h>

#include "flags.h"

#define F(field) offsetof(struct agent_flags, field)
#define SEC (1000LL * 1000 * 1000)

static const char *const enforce_choices[] = {"strict", "best-effort", NULL};
static const char *const recover_choices[] = {"reconnect", "cleanup", NULL};
static const char *const bpf_choices[] = {"auto", "off", NULL};
/* the order of enum bpf_oom_mode */
static const char *const bpf_oom_choices[] = {"auto", "kprobe", "tracepoint", NULL};
/* the order of enum agent_seccomp_mode */
static const char *const seccomp_choices[] = {"default", "off", NULL};

const struct conf_opt agent_flag_table[] = {
	{"master", CONF_STRING, F(master), "127.0.0.1:5050", "HOST:PORT",
	 "the master to register with, or zk://HOST:PORT,.../PATH to follow the leading one"},
	{"listen", CONF_STRING, F(listen), "127.0.0.1:5051", "HOST:PORT",
	 "address the agent's HTTP API listens on"},
	{"work-dir", CONF_STRING, F(work_dir), "/var/lib/drover/agent", "DIR",
	 "checkpoints and task sandboxes"},
	{"cgroup-root", CONF_STRING, F(cgroup_root), "drover.slice", "PATH",
	 "cgroup (relative to the cgroup2 mount) that holds the agent and its tasks"},
	{"resources", CONF_STRING, F(resources), NULL, "RESOURCES",
	 "what this host offers, e.g. 'cpus:4;mem:4096;ports:[31000-32000]' (default: detected)"},
	{"attributes", CONF_STRING, F(attributes), NULL, "ATTRS", "host attributes, e.g. 'rack:a;os:debian'"},
	{"enforce", CONF_ENUM, F(enforce), "strict", NULL,
	 "refuse to start without the cpu and memory controllers, or run and report them missing",
	 0, 0, enforce_choices},
	{"recover", CONF_ENUM, F(recover), "reconnect", NULL,
	 "after a restart, re-attach to running tasks or kill them", 0, 0, recover_choices},
	{"pids-max", CONF_INT, F(pids_max), "4096", "N", "default pids.max for a task", 1, 4194304},
	{"sample-interval", CONF_DURATION, F(sample_interval_ns), "1s", "DURATION",
	 "how often task usage is sampled", 100000000, 3600 * SEC},
	{"bpf", CONF_ENUM, F(bpf), "auto", NULL,
	 "eBPF measurement and enforcement: load what the kernel supports (auto), or read "
	 "cgroupfs and enforce no devices or ports (off)",
	 0, 0, bpf_choices},
	{"bpf-pin-dir", CONF_STRING, F(bpf_pin_dir), "/sys/fs/bpf/drover", "DIR",
	 "where the BPF programs and maps are pinned for drover and bpftool ('' : nowhere)"},
	{"bpf-oom", CONF_ENUM, F(bpf_oom), "auto", NULL,
	 "where OOM kills are seen: kprobe/oom_kill_process, falling back to the oom:mark_victim "
	 "tracepoint where the kprobe cannot attach (auto), or only one of them",
	 0, 0, bpf_oom_choices},
	{"bpf-stats", CONF_BOOL, F(bpf_stats), "false", NULL,
	 "keep BPF run-time statistics (run_time_ns, run_cnt) on while the agent runs"},
	{"log-level", CONF_STRING, F(log_level), "info", "LEVEL", "error, warn, info or debug"},
	{"credential", CONF_STRING, F(credential), NULL, "FILE",
	 "JSON {\"principal\", \"secret\"} the agent authenticates to the master with (HTTP Basic)"},
	{"api-credentials", CONF_STRING, F(api_credentials), NULL, "FILE",
	 "JSON principals and secrets (the master's --credentials format): the agent's own API "
	 "then answers only HTTP Basic or a bearer token of one of them (401), but /health"},
	{"tls-ca", CONF_STRING, F(tls_ca), NULL, "FILE",
	 "PEM CA bundle the master's certificate must chain to (https:// master; default: the "
	 "system's)"},
	{"tls-cert", CONF_STRING, F(tls_cert), NULL, "FILE",
	 "PEM certificate: the agent's own API serves HTTPS only (with --tls-key)"},
	{"tls-key", CONF_STRING, F(tls_key), NULL, "FILE", "PEM private key of --tls-cert"},
	{"task-user", CONF_STRING, F(task_user), "", "USER",
	 "user of tasks that name none (when the agent runs as root); root only if named; "
	 "'' : each framework gets its own uid from --dynamic-uids"},
	{"dynamic-uids", CONF_STRING, F(dynamic_uids), "6100000-6165535", "FIRST-LAST",
	 "uids the agent hands out, one per framework, to tasks that name no user when "
	 "--task-user is '' (none may be in the passwd database; '' : off)"},
	{"task-seccomp", CONF_ENUM, F(task_seccomp), "default", NULL,
	 "the seccomp filter every task starts under: user namespaces, keyrings, bpf, perf, "
	 "mount, modules, kexec, ptrace... fail with EPERM (default), or none (off)",
	 0, 0, seccomp_choices},
	{"max-limit-ratio", CONF_DOUBLE, F(max_limit_ratio), "1", "R",
	 "a task's limits.cpus and limits.mem may be at most R times this agent's cpus and mem "
	 "(0: no cap)", 0, 1000},
	{"task-devices", CONF_STRING, F(task_devices), "", "RULES",
	 "devices the TaskInfo label drover.devices may ask for, e.g. 'c 10:200 rwm; c 195:* rw' "
	 "(a label rule must lie within one of these; '' : the label is refused)"},
	{"checkpoint-reserve", CONF_SIZE, F(checkpoint_reserve), "16MiB", "SIZE",
	 "space kept in the work dir for checkpoints (a tenth of its file system at most); "
	 "launches are refused while less than this is free besides it", 0, 1LL << 40},
	{"gc-delay", CONF_DURATION, F(gc_delay_ns), "7d", "DURATION",
	 "how long a sandbox no task needs is kept at most (less as the disk fills)", 0,
	 3650LL * 24 * 3600 * SEC},
	{"gc-disk-headroom", CONF_DOUBLE, F(gc_disk_headroom), "0.1", "FRACTION",
	 "free fraction of the work dir's disk to keep: sandboxes are kept gc-delay * max(0, "
	 "1 - headroom - disk usage)", 0, 1},
	{"disk-watch-interval", CONF_DURATION, F(disk_watch_interval_ns), "1m", "DURATION",
	 "how often the work dir's disk is checked and sandboxes collected", 100000000,
	 24 * 3600 * SEC},
	{"log-max-size", CONF_SIZE, F(log_max_size), "10MiB", "SIZE",
	 "a task's stdout or stderr file is rotated at this size (as Mesos's max_stdout_size; a "
	 "task may ask for less with CONTAINER_LOGGER_MAX_STDOUT_SIZE/_STDERR_SIZE; 0: no "
	 "logger, the task writes its files itself, uncapped)", 0, 1LL << 40},
	{"log-max-files", CONF_INT, F(log_max_files), "2", "N",
	 "files kept per stream, the live one included (stdout, stdout.1, ...): at most "
	 "log-max-size * N bytes of each", 1, 100},
	/* executors (executor.h) */
	{"executor-registration-timeout", CONF_DURATION, F(executor_registration_timeout_ns), "1m",
	 "DURATION", "how long an executor has to subscribe before its container is destroyed",
	 100000000, 3600 * SEC},
	{"executor-reregistration-timeout", CONF_DURATION, F(executor_reregistration_timeout_ns),
	 "2s", "DURATION",
	 "how long a recovered executor has to subscribe again after an agent restart", 0,
	 15 * SEC},
	{"executor-shutdown-grace-period", CONF_DURATION, F(executor_shutdown_grace_ns), "5s",
	 "DURATION",
	 "how long an executor told to SHUT DOWN has before it is killed (its "
	 "ExecutorInfo.shutdown_grace_period wins)",
	 0, 3600 * SEC},
	/* what the operator API remembers of ended executors (completed.c) */
	{"max-completed-executors-per-framework", CONF_INT,
	 F(max_completed_executors_per_framework), "150", "N",
	 "ended executors (a command task's included) remembered per framework for the "
	 "operator API's completed_executors and completed_tasks",
	 0, 100000},
	CONF_END,
};
