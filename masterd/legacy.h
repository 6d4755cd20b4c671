/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The master's legacy JSON endpoints, the read-only surface Mesos's UIs, exporters and
 * tools scrape (legacy.c; docs/api.md "Legacy endpoints"): /master/state (and /state,
 * .json), /master/state-summary, /metrics/snapshot, /version, /flags, /master/redirect,
 * /master/health. Answered from the owner thread, but the redirect, which the HTTP thread
 * answers from the election alone.
 */
#ifndef DROVER_MASTER_LEGACY_H
#define DROVER_MASTER_LEGACY_H

#include <stdbool.h>

struct master;
struct msg;
struct http_request;

/*
 * HTTP thread: when req is for a legacy endpoint, answer it (redirect, 401, 404, 405, 400)
 * or queue it for the owner (MSG_LEGACY), and return true; false for every other path.
 */
bool master_legacy_http(struct master *m, struct http_request *req);
/* Owner thread: answer a queued MSG_LEGACY (authorized like the operator call it mirrors). */
void master_legacy_reply(struct master *m, struct msg *msg);

#endif
