/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Principals and their secrets (--credentials FILE on the daemons, --credential FILE on
 * the clients), and the checks behind HTTP Basic and bearer authentication.
 *
 * A credentials file (Mesos' format, plus optional bearer tokens):
 *
 *	{"credentials": [{"principal": "fw1", "secret": "s3cret"},
 *	                 {"principal": "ops", "secret": "x", "token": "tok-123"}]}
 *
 * A credential file (one principal, what a client presents): {"principal": ..., "secret": ...}
 *
 * Secrets are compared in constant time (the time depends on the lengths, never on where
 * the bytes differ), and every entry is compared, so a lookup takes the same time whichever
 * entry matches.
 */
#ifndef DROVER_AUTH_H
#define DROVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct auth_entry {
	char *principal;
	char *secret; /* HTTP Basic password; NULL: no Basic for this principal */
	char *token;  /* bearer token; NULL: none */
};

struct auth_credentials {
	struct auth_entry *entries;
	size_t n;
};

/* Parse a credentials file's text. -EINVAL with a message naming the field in err. */
int auth_credentials_parse(const char *text, size_t len, struct auth_credentials *ret, char *err,
			   size_t errlen);
int auth_credentials_load(const char *path, struct auth_credentials *ret, char *err,
			  size_t errlen);
void auth_credentials_clear(struct auth_credentials *c);

/* Parse/load one credential {"principal", "secret"}; ret_* are malloc'ed. */
int auth_credential_parse(const char *text, size_t len, char **ret_principal, char **ret_secret,
			  char *err, size_t errlen);
int auth_credential_load(const char *path, char **ret_principal, char **ret_secret, char *err,
			 size_t errlen);

/* Equal bytes, in time that depends only on the lengths. */
bool auth_secret_equal(const char *a, size_t alen, const char *b, size_t blen);

/* The principal whose Basic user/password these are, or NULL. */
const char *auth_check_basic(const struct auth_credentials *c, const char *user,
			     const char *password);
/* The principal whose bearer token this is, or NULL. */
const char *auth_check_token(const struct auth_credentials *c, const char *token);

#endif
