// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: what the daemons read to decide who a caller is and what it may do.
 * The first byte picks the parser; the rest is up to four fields separated by NUL bytes.
 *
 *   0  --credentials file (lib/auth.c) in field 0; then an HTTP Basic user and password
 *      (fields 1, 2) and a bearer token (field 3) checked against it, both directly and
 *      through http_authenticate() (lib/http_auth.c, as the master's and the agent's APIs
 *      call it); field 0 also as a client's --credential file.
 *   1  --acls file (masterd/acl.c) in field 0; then every action asked for the principal in
 *      field 1 ("-": unauthenticated) and the object in field 2.
 *   2  --roles file (masterd/roles.c) in field 0, loaded into a fresh allocator.
 *
 * Besides memory safety: an accepted Basic user/password or token is exactly an entry of the
 * file, http_authenticate() agrees with the direct checks, an ACL answer "allowed only by
 * an explicit rule" is also "allowed", a refusal says why, and a roles file that loads leaves
 * only valid weights and tiers.
 *
 * The roles loader logs every refusal as an error; its stderr goes to /dev/null unless
 * FUZZ_VERBOSE is set (set it to see the report of a crash inside it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "auth.h"
#include "harness_http.h"
#include "http_auth.h"
#include "log.h"
#include "masterd/acl.h"
#include "masterd/master.h"
#include "masterd/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define NFIELDS 4

static struct master_flags flags;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *args[] = {"fuzz_security", "--registry=none", NULL};
	char err[256];
	int first;

	if (conf_parse(master_flag_table, &flags, "DROVER_FUZZ_", 2, args, &first, err,
		       sizeof(err)) != CONF_OK) {
		fprintf(stderr, "fuzz_security: %s\n", err);
		abort();
	}
	log_max_level = LOG_ERR;
	return 0;
}

static bool streq_n(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The entry a correct check must find for user/password (or token), or NULL. */
static const struct auth_entry *expected(const struct auth_credentials *c, const char *user,
					 const char *password, const char *token)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct auth_entry *e = &c->entries[i];
		if (user && streq_n(e->principal, user) && streq_n(e->secret, password))
			return e;
		if (token && streq_n(e->token, token))
			return e;
	}
	return NULL;
}

static void check_authenticate(const struct auth_credentials *c, const char *user,
			       const char *password, const char *token, const char *want)
{
	struct http_request req = {
		.method = "POST",
		.path = "/api/v1",
		.basic_user = user,
		.basic_password = password,
		.bearer = token,
	};
	char *principal = NULL;
	int r = http_authenticate(c, &req, "fuzz", &principal);

	if (!req.answered && r != 0)
		abort(); /* a refusal answers the request */
	if ((r == 0) != (want != NULL) || (r == 0 && !streq_n(principal, want)) ||
	    (r != 0 && (r != -401 || req.status != 401))) {
		fprintf(stderr, "http_authenticate: %d '%s', expected '%s'\n", r,
			principal ? principal : "", want ? want : "(refused)");
		abort();
	}
	free(principal);
}

static void credentials(char *const *f, const size_t *len)
{
	struct auth_credentials c = {0};
	char err[256] = "", *principal = NULL, *secret = NULL;
	const char *user = f[1], *pass = f[2] ? f[2] : "", *token = f[3];
	const char *got, *want;
	const struct auth_entry *e;

	if (auth_credential_parse(f[0], len[0], &principal, &secret, err, sizeof(err)) == 0) {
		if (!principal || !secret)
			abort();
		free(principal);
		free(secret);
	} else if (!err[0]) {
		abort();
	}
	err[0] = '\0';
	if (auth_credentials_parse(f[0], len[0], &c, err, sizeof(err)) < 0) {
		if (!err[0])
			abort(); /* a refusal names its reason */
		return;
	}
	for (size_t i = 0; i < c.n; i++)
		if (!c.entries[i].principal || (!c.entries[i].secret && !c.entries[i].token))
			abort();
	if (user) {
		got = auth_check_basic(&c, user, pass);
		e = expected(&c, user, pass, NULL);
		want = e ? e->principal : NULL;
		if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
			abort();
		check_authenticate(&c, user, pass, NULL, want);
	}
	if (token && *token) {
		got = auth_check_token(&c, token);
		e = expected(&c, NULL, NULL, token);
		want = e ? e->principal : NULL;
		if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
			abort();
		check_authenticate(&c, NULL, NULL, token, want);
	}
	if (!user && !(token && *token))
		check_authenticate(&c, NULL, NULL, NULL, NULL);
	auth_credentials_clear(&c);
}

static void acls(char *const *f, const size_t *len)
{
	const char *principal = f[1] && strcmp(f[1], "-") != 0 ? f[1] : NULL;
	const char *object = f[2] ? f[2] : "";
	struct acls a;
	char err[256] = "", why[512];

	master_acls_init(&a);
	if (master_acls_parse(f[0], len[0], &a, err, sizeof(err)) < 0) {
		if (!err[0])
			abort();
		master_acls_clear(&a);
		return;
	}
	for (int act = 0; act < _ACL_ACTION_MAX; act++) {
		bool allowed, explicit;

		if (!master_acl_action_name(act) || !master_acl_object_name(act))
			abort();
		why[0] = '\0';
		allowed = master_acls_allowed(&a, act, principal, object, why, sizeof(why));
		if (!allowed && !why[0])
			abort();
		why[0] = '\0';
		explicit =
			master_acls_allowed_explicit(&a, act, principal, object, why, sizeof(why));
		if (!explicit && !why[0])
			abort();
		if (explicit && !allowed) {
			fprintf(stderr, "%s: allowed by an explicit rule, refused otherwise\n",
				master_acl_action_name(act));
			abort();
		}
	}
	master_acls_clear(&a);
}

/* stderr to /dev/null (unless FUZZ_VERBOSE); the saved one, or -1 */
static int quiet_stderr(void)
{
	int saved, nul;

	if (getenv("FUZZ_VERBOSE"))
		return -1;
	saved = dup(2);
	nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || nul < 0 || dup2(nul, 2) < 0)
		abort();
	close(nul);
	return saved;
}

static void restore_stderr(int saved)
{
	if (saved < 0)
		return;
	dup2(saved, 2);
	close(saved);
}

static void roles(char *const *f, const size_t *len)
{
	int saved, r;
	int fd = memfd_create("roles", MFD_CLOEXEC);
	char path[64];
	struct master m;
	const char *role;
	json_t *v;

	if (fd < 0)
		abort();
	if (write(fd, f[0], len[0]) != (ssize_t)len[0])
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&m, 0, sizeof(m));
	m.flags = &flags;
	m.weights = json_object();
	m.role_tiers = json_object();
	if (!m.weights || !m.role_tiers || master_alloc_init(&m) < 0)
		abort();
	saved = quiet_stderr();
	r = master_roles_load(&m, path);
	restore_stderr(saved);
	if (r == 0) {
		json_object_foreach(m.weights, role, v) {
			if (!master_weight_is_valid(json_number_value(v)))
				abort();
		}
		json_object_foreach(m.role_tiers, role, v) {
			if (!json_is_integer(v) || llabs(json_integer_value(v)) > 1000)
				abort();
		}
	}
	master_alloc_fini(&m);
	json_decref(m.weights);
	json_decref(m.role_tiers);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *f[NFIELDS] = {NULL};
	size_t len[NFIELDS] = {0}, n = 0, i, start;

	if (size < 1)
		return 0;
	/* a copy with a NUL after it: fields are C strings, field 0 also has its length */
	copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	for (i = 0, start = 0; i < size && n < NFIELDS; i++) {
		if (copy[i] != '\0' && i != size - 1)
			continue;
		f[n] = copy + start;
		len[n] = i - start;
		n++;
		start = i + 1;
	}
	switch (data[0] % 3) {
	case 0:
		credentials(f, len);
		break;
	case 1:
		acls(f, len);
		break;
	default:
		roles(f, len);
		break;
	}
	free(copy);
	return 0;
}
