/* SPDX-License-Identifier: Apache-2.0 */
/* The master's configuration: one table drives flags, DROVER_MASTER_* and GET_FLAGS. */
#ifndef DROVER_MASTER_FLAGS_H
#define DROVER_MASTER_FLAGS_H

#include <stdint.h>
#include "conf.h"

struct master_flags {
	char *listen;
	char *work_dir;
	char *registry;
	int64_t allocation_interval_ns;
	int64_t allocation_max_share;
	char *roles;
	int64_t agent_ping_timeout_ns;
	int64_t max_agent_ping_timeouts;
	int64_t offer_timeout_ns;
	int64_t max_body_size;
	int64_t framework_failover_timeout_ns;
	int64_t agent_reregister_timeout_ns;
	int64_t max_completed_tasks;
	char *log_level;
	char *zk;
	int64_t zk_session_timeout_ns;
	char *zk_credential;
	char *advertise;
	/* security (docs/security.md) */
	char *credentials;
	char *acls;
	char *tls_cert;
	char *tls_key;
	int64_t max_agents;
	int64_t max_frameworks;
	int64_t max_tasks_per_framework;
	int64_t max_offers_per_framework;
	int64_t max_connections_per_peer;
	int64_t max_header_size;
	int64_t http_idle_timeout_ns;
	/* trust boundaries between tenants (docs/security.md) */
	int64_t max_stream_queue;
	int64_t max_call_list;
	int64_t max_failover_timeout_ns;
	int64_t max_operator_subscribers;
	int64_t http_threads;
};

extern const struct conf_opt master_flag_table[];

#endif
