/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TaskStatus.uuid as Mesos has it: 16 random bytes (a version 4 UUID), a protobuf `bytes`
 * field, so standard base64 in JSON ("3q2+7wABAgMEBQYHCAkKCw==") and the raw bytes in
 * protobuf. Drover keeps it as that base64 text everywhere inside (its JSON mapping);
 * status_uuid_canon() reads what a client or an agent may send back (base64 in any form
 * Mesos decodes, or the 36-character text form older Drover agents wrote) as the bytes
 * they stand for, so acknowledgements compare bytes.
 */
#ifndef DROVER_STATUS_UUID_H
#define DROVER_STATUS_UUID_H

#define STATUS_UUID_LEN 25 /* 24 base64 characters and a NUL */

/* A new random (version 4) uuid, as padded standard base64. */
void status_uuid_random(char out[STATUS_UUID_LEN]);

/*
 * s as the canonical base64 of its 16 bytes. Returns 0, or -EINVAL when s does not hold
 * exactly 16 bytes (base64) nor a UUID in text form.
 */
int status_uuid_canon(const char *s, char out[STATUS_UUID_LEN]);

#endif
