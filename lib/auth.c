// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "auth.h"
#include "fileio.h"
#include "util.h"

#define MAX_CREDENTIALS 100000
#define MAX_FIELD 4096

bool auth_secret_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	volatile unsigned char diff = alen != blen;
	size_t n = alen < blen ? alen : blen;

	/* every byte of the shorter one is looked at, whatever differs first */
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return diff == 0;
}

static int field(json_t *o, const char *name, const char *where, bool required, char **ret,
		 char *err, size_t errlen)
{
	json_t *v = json_object_get(o, name);

	*ret = NULL;
	if (!v) {
		if (!required)
			return 0;
		snprintf(err, errlen, "%s: missing field '%s'", where, name);
		return -EINVAL;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v) ||
	    json_string_length(v) > MAX_FIELD) {
		snprintf(err, errlen, "%s: field '%s' must be a non-empty string without NUL (at most %d bytes)",
			 where, name, MAX_FIELD);
		return -EINVAL;
	}
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

static int check_keys(json_t *o, const char *where, const char *const *allowed, char *err,
		      size_t errlen)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			ok |= strcmp(*a, k) == 0;
		if (!ok) {
			snprintf(err, errlen, "%s: unknown field '%.64s'", where, k);
			return -EINVAL;
		}
	}
	return 0;
}

static json_t *load_object(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (!j) {
		snprintf(err, errlen, "not valid JSON: %s (line %d, column %d)", je.text, je.line,
			 je.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(err, errlen, "the top level must be a JSON object");
		return NULL;
	}
	return j;
}

void auth_credentials_clear(struct auth_credentials *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct auth_entry *e = &c->entries[i];
		if (e->secret)
			explicit_bzero(e->secret, strlen(e->secret));
		if (e->token)
			explicit_bzero(e->token, strlen(e->token));
		free(e->principal);
		free(e->secret);
		free(e->token);
	}
	free(c->entries);
	c->entries = NULL;
	c->n = 0;
}

int auth_credentials_parse(const char *text, size_t len, struct auth_credentials *ret, char *err,
			   size_t errlen)
{
	static const char *const top_keys[] = {"credentials", NULL};
	static const char *const entry_keys[] = {"principal", "secret", "token", NULL};
	struct auth_credentials c = {0};
	json_t *j = load_object(text, len, err, errlen), *list, *e;
	size_t i;
	int r = -EINVAL;

	if (!j)
		return -EINVAL;
	if (check_keys(j, "credentials file", top_keys, err, errlen) < 0)
		goto out;
	list = json_object_get(j, "credentials");
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > MAX_CREDENTIALS) {
		snprintf(err, errlen, "field 'credentials' must be an array of 1 to %d entries",
			 MAX_CREDENTIALS);
		goto out;
	}
	c.entries = calloc(json_array_size(list), sizeof(*c.entries));
	if (!c.entries) {
		r = -ENOMEM;
		goto out;
	}
	json_array_foreach(list, i, e) {
		struct auth_entry *en = &c.entries[i];
		char where[64];
		snprintf(where, sizeof(where), "credentials[%zu]", i);
		c.n = i + 1;
		if (!json_is_object(e)) {
			snprintf(err, errlen, "%s must be an object", where);
			goto out;
		}
		if (check_keys(e, where, entry_keys, err, errlen) < 0 ||
		    (r = field(e, "principal", where, true, &en->principal, err, errlen)) < 0 ||
		    (r = field(e, "secret", where, false, &en->secret, err, errlen)) < 0 ||
		    (r = field(e, "token", where, false, &en->token, err, errlen)) < 0) {
			r = r < 0 ? r : -EINVAL;
			goto out;
		}
		if (strchr(en->principal, ':')) {
			snprintf(err, errlen, "%s: a principal cannot contain ':' (HTTP Basic)", where);
			r = -EINVAL;
			goto out;
		}
		if (!en->secret && !en->token) {
			snprintf(err, errlen, "%s: needs 'secret' or 'token'", where);
			r = -EINVAL;
			goto out;
		}
		for (size_t k = 0; k < i; k++) {
			if (strcmp(c.entries[k].principal, en->principal) == 0) {
				snprintf(err, errlen, "%s: principal '%.64s' appears twice", where,
					 en->principal);
				r = -EINVAL;
				goto out;
			}
			/* a token names one principal: shared, it would authenticate as
			 * whichever entry comes last (the token itself is not printed) */
			if (en->token && c.entries[k].token &&
			    strcmp(c.entries[k].token, en->token) == 0) {
				snprintf(err, errlen,
					 "%s: the token of '%.64s' is also the token of '%.64s'", where,
					 en->principal, c.entries[k].principal);
				r = -EINVAL;
				goto out;
			}
		}
	}
	*ret = c;
	c = (struct auth_credentials){0};
	r = 0;
out:
	auth_credentials_clear(&c);
	json_decref(j);
	return r;
}

static int read_file(const char *path, char **ret, size_t *ret_len, char *err, size_t errlen)
{
	int r = file_read_all(path, 64u << 20, ret, ret_len);

	if (r < 0)
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-r));
	return r;
}

int auth_credentials_load(const char *path, struct auth_credentials *ret, char *err,
			  size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	char sub[512];
	size_t len;
	int r = read_file(path, &text, &len, err, errlen);

	if (r < 0)
		return r;
	r = auth_credentials_parse(text, len, ret, sub, sizeof(sub));
	explicit_bzero(text, len);
	if (r < 0)
		snprintf(err, errlen, "'%s': %s", path, sub);
	return r;
}

int auth_credential_parse(const char *text, size_t len, char **ret_principal, char **ret_secret,
			  char *err, size_t errlen)
{
	static const char *const keys[] = {"principal", "secret", NULL};
	json_t *j = load_object(text, len, err, errlen);
	char *p = NULL, *s = NULL;
	int r = -EINVAL;

	if (!j)
		return -EINVAL;
	if (check_keys(j, "credential", keys, err, errlen) < 0 ||
	    (r = field(j, "principal", "credential", true, &p, err, errlen)) < 0 ||
	    (r = field(j, "secret", "credential", true, &s, err, errlen)) < 0) {
		free(p);
		json_decref(j);
		return r < 0 ? r : -EINVAL;
	}
	if (strchr(p, ':')) {
		snprintf(err, errlen, "credential: a principal cannot contain ':' (HTTP Basic)");
		free(p);
		free(s);
		json_decref(j);
		return -EINVAL;
	}
	json_decref(j);
	*ret_principal = p;
	*ret_secret = s;
	return 0;
}

int auth_credential_load(const char *path, char **ret_principal, char **ret_secret, char *err,
			 size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	char sub[512];
	size_t len;
	int r = read_file(path, &text, &len, err, errlen);

	if (r < 0)
		return r;
	r = auth_credential_parse(text, len, ret_principal, ret_secret, sub, sizeof(sub));
	explicit_bzero(text, len);
	if (r < 0)
		snprintf(err, errlen, "'%s': %s", path, sub);
	return r;
}

const char *auth_check_basic(const struct auth_credentials *c, const char *user,
			     const char *password)
{
	const char *found = NULL;
	size_t pl;

	if (!c || !user || !password)
		return NULL;
	pl = strlen(password);
	/* the principal is not secret; the password comparison runs for the match only */
	for (size_t i = 0; i < c->n; i++) {
		const struct auth_entry *e = &c->entries[i];
		if (strcmp(e->principal, user) == 0 && e->secret &&
		    auth_secret_equal(e->secret, strlen(e->secret), password, pl))
			found = e->principal;
	}
	return found;
}

const char *auth_check_token(const struct auth_credentials *c, const char *token)
{
	const char *found = NULL;
	size_t tl;

	if (!c || !token)
		return NULL;
	tl = strlen(token);
	/* every token is compared: the time does not tell which entry (if any) matched */
	for (size_t i = 0; i < c->n; i++) {
		const struct auth_entry *e = &c->entries[i];
		bool eq = e->token && auth_secret_equal(e->token, strlen(e->token), token, tl);
		if (eq)
			found = e->principal;
	}
	return found;
}
