// SPDX-License-Identifier: Apache-2.0
/*
 * The health state machine of Mesos's health checker (health_checker.cpp), as a pure
 * function: a check's result in, the update to send out. Rules: health.h.
 */
#include "health.h"

enum agent_health_action agent_health_step(struct agent_health_state *s,
					   const struct agent_health_params *p, bool ok,
					   int64_t since_launch_ns)
{
	if (s->kill)
		return AGENT_HEALTH_NONE; /* the task is being killed: no more updates */
	if (ok) {
		bool say = !s->succeeded || s->consecutive_failures > 0;

		s->succeeded = true;
		s->consecutive_failures = 0;
		if (!say)
			return AGENT_HEALTH_NONE;
		s->healthy = true;
		s->updates++;
		return AGENT_HEALTH_HEALTHY;
	}
	/* until the first success, failures within the grace period do not count */
	if (!s->succeeded && since_launch_ns <= p->grace_ns)
		return AGENT_HEALTH_NONE;
	if (s->consecutive_failures < UINT32_MAX)
		s->consecutive_failures++;
	s->healthy = false;
	s->updates++;
	if (s->consecutive_failures >= p->consecutive_failures) {
		s->kill = true;
		return AGENT_HEALTH_KILL;
	}
	return AGENT_HEALTH_UNHEALTHY;
}
