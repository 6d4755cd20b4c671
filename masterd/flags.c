// SPDX-License-Identifier: Apache-2.0
#include <stddef.h>

#include "flags.h"

#define F(field) offsetof(struct master_flags, field)
#define SEC (1000LL * 1000 * 1000)

const struct conf_opt master_flag_table[] = {
	{"listen", CONF_STRING, F(listen), "127.0.0.1:5050", "HOST:PORT",
	 "address the HTTP APIs listen on"},
	{"work-dir", CONF_STRING, F(work_dir), "/var/lib/drover/master", "DIR",
	 "directory for the registry and other state"},
	{"registry", CONF_STRING, F(registry), NULL, "sqlite:PATH",
	 "where the registry lives (default: sqlite:<work-dir>/registry.db)"},
	{"allocation-interval", CONF_DURATION, F(allocation_interval_ns), "1s", "DURATION",
	 "time between batched allocation cycles", 1000000, 3600 * SEC},
	{"allocation-max-share", CONF_INT, F(allocation_max_share), "25", "PERCENT",
	 "most of the master's time allocation cycles may take: after a cycle of d, the next "
	 "waits d * (100 / PERCENT - 1) (100: no wait)", 1, 100},
	{"roles", CONF_STRING, F(roles), NULL, "FILE", "JSON file of role weights, quota and tiers"},
	{"agent-ping-timeout", CONF_DURATION, F(agent_ping_timeout_ns), "15s", "DURATION",
	 "an agent that sends nothing for this long has missed a ping", 1000000, 3600 * SEC},
	{"max-agent-ping-timeouts", CONF_INT, F(max_agent_ping_timeouts), "5", "N",
	 "missed pings before an agent is declared unreachable", 1, 1000},
	{"offer-timeout", CONF_DURATION, F(offer_timeout_ns), "0s", "DURATION",
	 "rescind offers not used within this time (0: never)", 0, 365 * 86400 * SEC},
	{"max-body-size", CONF_SIZE, F(max_body_size), "1MiB", "SIZE",
	 "larger request bodies are refused with 413", 1024, 1LL << 30},
	{"framework-failover-timeout", CONF_DURATION, F(framework_failover_timeout_ns), "0s",
	 "DURATION", "failover timeout for frameworks whose FrameworkInfo sets none", 0,
	 365 * 86400 * SEC},
	{"agent-reregister-timeout", CONF_DURATION, F(agent_reregister_timeout_ns), "10m",
	 "DURATION", "after a restart, agents of the registry that have not reregistered by then "
	 "are unreachable", 1000000, 365 * 86400 * SEC},
	{"max-completed-tasks", CONF_INT, F(max_completed_tasks), "1000", "N",
	 "completed tasks kept as history (registry and GET_TASKS)", 0, 10000000},
	{"zk", CONF_STRING, F(zk), NULL, "zk://HOST:PORT,.../PATH",
	 "high availability: elect the leader and keep the registry in this ZooKeeper ensemble"},
	{"zk-session-timeout", CONF_DURATION, F(zk_session_timeout_ns), "6s", "DURATION",
	 "ZooKeeper session timeout (a dead leader is replaced within about this time)",
	 1000000000LL, 600 * SEC},
	{"zk-credential", CONF_STRING, F(zk_credential), NULL, "FILE",
	 "JSON {\"principal\", \"secret\"}: authenticate to ZooKeeper (digest); the election "
	 "znodes are then writable, and the registry readable, by that identity only"},
	{"advertise", CONF_STRING, F(advertise), NULL, "HOST:PORT",
	 "the address other masters redirect to (default: --listen)"},
	{"log-level", CONF_STRING, F(log_level), "info", "LEVEL", "error, warn, info or debug"},
	{"credentials", CONF_STRING, F(credentials), NULL, "FILE",
	 "JSON principals and secrets; when given, every endpoint but /health needs HTTP Basic "
	 "or a bearer token (401 otherwise)"},
	{"acls", CONF_STRING, F(acls), NULL, "FILE",
	 "JSON access control lists (default: everything allowed but tasks as root)"},
	{"tls-cert", CONF_STRING, F(tls_cert), NULL, "FILE",
	 "PEM certificate (chain): serve HTTPS only (with --tls-key)"},
	{"tls-key", CONF_STRING, F(tls_key), NULL, "FILE", "PEM private key of --tls-cert"},
	{"max-agents", CONF_INT, F(max_agents), "0", "N",
	 "agents the master admits; more are refused with 429 (0: no cap)", 0, 10000000},
	{"max-frameworks", CONF_INT, F(max_frameworks), "1000", "N",
	 "frameworks the master holds, connected or within their failover timeout; more are "
	 "refused with 429 (0: no cap)", 0, 10000000},
	{"max-tasks-per-framework", CONF_INT, F(max_tasks_per_framework), "0", "N",
	 "active tasks of one framework; an ACCEPT going over gets 429 (0: no cap)", 0,
	 100000000},
	{"max-offers-per-framework", CONF_INT, F(max_offers_per_framework), "0", "N",
	 "outstanding offers of one framework; it gets no more until it answers (0: no cap)", 0,
	 100000000},
	{"max-connections-per-peer", CONF_INT, F(max_connections_per_peer), "0", "N",
	 "open connections from one address; its requests beyond get 429 (0: no cap)", 0,
	 1000000},
	{"max-header-size", CONF_SIZE, F(max_header_size), "32KiB", "SIZE",
	 "memory for a request's line and headers; larger requests are refused", 4096, 1 << 24},
	{"http-idle-timeout", CONF_DURATION, F(http_idle_timeout_ns), "60s", "DURATION",
	 "connections silent this long are closed (slow or idle clients)", SEC, 86400 * SEC},
	{"max-stream-queue", CONF_SIZE, F(max_stream_queue), "64MiB", "SIZE",
	 "bytes an event stream (framework or agent) may hold unread; a subscriber past it is "
	 "disconnected", 65536, 1LL << 32},
	{"max-call-list", CONF_INT, F(max_call_list), "10000", "N",
	 "entries of any one list in a call (RECONCILE's tasks, offer_ids, task_infos...); a "
	 "longer one is refused with 400", 16, 10000000},
	{"max-failover-timeout", CONF_DURATION, F(max_failover_timeout_ns), "7d", "DURATION",
	 "longest failover timeout a framework gets (a longer framework_info.failover_timeout "
	 "is cut to it)", SEC, 365 * 86400 * SEC},
	{"max-operator-subscribers", CONF_INT, F(max_operator_subscribers), "1000", "N",
	 "operator event stream subscribers (SUBSCRIBE on /api/v1) held at once; a new one "
	 "past it closes the oldest (0: no cap)", 0, 1000000},
	{"http-threads", CONF_INT, F(http_threads), "1", "N",
	 "threads serving HTTP connections, each its own share; every event on a stream costs "
	 "its thread a walk over its idle streams (agents / N)", 1, 64},
	CONF_END,
};
