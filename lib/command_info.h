/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shape of a Mesos CommandInfo, checked once for everyone who takes one: a task's or an
 * executor's command (masterd/validate.c) and a COMMAND health check's (lib/health_check.c).
 * What each caller requires beyond the shape (a task needs a value or arguments, a check a
 * value; a check refuses `user` and `uris`) stays with the caller.
 */
#ifndef DROVER_COMMAND_INFO_H
#define DROVER_COMMAND_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* A JSON string without an embedded NUL (what argv, envp and paths can carry). */
bool command_info_is_text(json_t *s);

/*
 * cmd's fields, each when present: `value` text, `shell` a boolean, `arguments` an array of
 * text, `environment` {"variables": [{"name": N, "value": V}]} with N and V text, N not
 * empty and without '=', and no variable of another `type` than VALUE (secrets are not
 * implemented: refused, never dropped). Error messages name '<path>.command.<field>'.
 * 0, or -EINVAL with err.
 */
int command_info_check(json_t *cmd, const char *path, char *err, size_t errlen);

#endif
