/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Standard base64 (RFC 4648 alphabet, '=' padding): how Mesos's JSON carries protobuf
 * `bytes` fields. Decoding follows Mesos's rules: whitespace is skipped, decoding stops at
 * the first '=', any other character outside the alphabet is an error.
 */
#ifndef DROVER_BASE64_H
#define DROVER_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* A NUL-terminated, padded encoding of data[0..len) (free it), or NULL when out of memory. */
char *base64_encode(const uint8_t *data, size_t len);
/*
 * Decodes s[0..slen) into *ret (free it; never NULL on success, even for no bytes) and
 * *ret_len. Returns 0, -EINVAL on a character outside the alphabet, or -ENOMEM.
 */
int base64_decode(const char *s, size_t slen, uint8_t **ret, size_t *ret_len);

#endif
