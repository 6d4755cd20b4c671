/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text from the wire (names, messages, hostnames) made safe for a terminal, a log line or
 * a Prometheus label value.
 *
 * escape_ctrl: every control character becomes visible text, so that no string a framework,
 * agent or task chose can move the cursor, recolour or clear a terminal, or forge a log line:
 * C0 controls and DEL as \n \r \t or \xHH, and the C1 controls in their UTF-8 form
 * (U+0080..U+009F, bytes C2 80..C2 9F; 8-bit CSI among them) as \xc2\xHH. Every other byte,
 * UTF-8 and backslashes included, is kept as it is.
 */
#ifndef DROVER_ESCAPE_H
#define DROVER_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum {
	ESCAPE_KEEP_NL = 1 << 0, /* keep '\n' (and '\t'): a block of lines, e.g. metrics text */
};

/* Does s[0..n) hold anything escape_ctrl() would change? */
bool escape_ctrl_needed(const char *s, size_t n, unsigned flags);

/*
 * s[0..n) escaped into buf (always NUL-terminated when len > 0), cut at a whole escape when
 * buf is too small. Returns the length the whole escaped text needs (as snprintf does).
 */
size_t escape_ctrl(const char *s, size_t n, unsigned flags, char *buf, size_t len);

/* The escaped copy of the string s (malloc'ed), or NULL without memory. */
char *escape_ctrl_dup(const char *s, unsigned flags);

/*
 * Every string in the tree v, object keys included, replaced by its escaped form: for a
 * reply from the wire about to be printed as plain text. 0, or -ENOMEM (v then holds some
 * strings escaped, none freed).
 */
int escape_json_strings(json_t *v);

/*
 * A Prometheus label value (text exposition format): backslash, double quote and newline
 * as \\, \" and \n; then control characters as escape_ctrl() does. Returns what
 * escape_ctrl() returns.
 */
size_t escape_prom_label(const char *s, char *buf, size_t len);

#endif
