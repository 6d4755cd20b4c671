/* SPDX-License-Identifier: Apache-2.0 */
/* NULL-terminated string vectors (argv, envp, lists of names). */
#ifndef DROVER_STRV_H
#define DROVER_STRV_H

/* Free every string of v, then v. Accepts NULL. */
void strv_free(char **v);

#endif
