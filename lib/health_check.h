/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TaskInfo.health_check (Mesos's HealthCheck) parsed and checked: its type (COMMAND, HTTP,
 * TCP), its target and its timing, with Mesos's defaults (delay 15 s, interval 10 s,
 * timeout 20 s, 3 consecutive failures, grace period 10 s) and rules (validation.cpp):
 * the type is required but inferred from `command` or `http` when absent (LAUNCH's rule),
 * the sub-message of the type must be there, a command needs a `value`, an HTTP scheme is
 * `http` or `https`, a path starts with '/', every time is >= 0. Pure: the master validates
 * a LAUNCH with it, the agent reads the check it runs with it (the two cannot disagree).
 *
 * Drover refuses what it would otherwise ignore: a check command's `user` (the check runs
 * as the task's user) and `uris` (nothing is fetched). `http.statuses` is accepted and,
 * as in Mesos, ignored: 200-399 is success.
 */
#ifndef DROVER_HEALTH_CHECK_H
#define DROVER_HEALTH_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum health_check_type {
	HEALTH_CHECK_UNKNOWN = 0,
	HEALTH_CHECK_COMMAND = 1,
	HEALTH_CHECK_HTTP = 2,
	HEALTH_CHECK_TCP = 3,
};

#define HEALTH_CHECK_DELAY_S 15.0
#define HEALTH_CHECK_INTERVAL_S 10.0
#define HEALTH_CHECK_TIMEOUT_S 20.0
#define HEALTH_CHECK_CONSECUTIVE_FAILURES 3
#define HEALTH_CHECK_GRACE_S 10.0

struct health_check {
	enum health_check_type type;
	bool type_inferred; /* no "type" in the JSON: the caller may write it back */
	json_t *command; /* COMMAND: the CommandInfo, borrowed from the JSON */
	uint16_t port; /* HTTP, TCP */
	bool ipv6; /* protocol IPv6: the target is [::1], else 127.0.0.1 */
	bool https; /* HTTP */
	const char *path; /* HTTP: starts with '/' ("/" when absent); borrowed */
	double delay_s, interval_s, timeout_s, grace_s; /* finite, >= 0; timeout 0: none */
	uint32_t consecutive_failures;
};

/*
 * hc (a HealthCheck object) into *ret. path names it in err ("task.health_check").
 * 0, or -EINVAL with err naming the field.
 */
int health_check_parse(json_t *hc, const char *path, struct health_check *ret, char *err,
		       size_t errlen);
/* "COMMAND", "HTTP", "TCP" ("UNKNOWN" otherwise). */
const char *health_check_type_name(enum health_check_type t);

#endif
