// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's side of docs/security.md: its credential and the CA it verifies the master
 * by, the certificate of its own API, and the user of tasks that name none.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "auth.h"
#include "fileio.h"
#include "http_client.h"
#include "log.h"

int agent_security_init(struct agent *a)
{
	struct agent_flags *f = a->flags;
	char err[1024];
	size_t len;
	int r;

	if (f->tls_ca) {
		if (access(f->tls_ca, R_OK) < 0)
			return log_error_errno(errno, "--tls-ca: cannot read '%s': %m", f->tls_ca);
		if (http_client_set_tls_ca(a->http, f->tls_ca) < 0)
			return log_error_errno(ENOMEM, "out of memory");
	}
	if (strncmp(a->master_url, "https://", 8) != 0 && f->credential)
		log_warn("--credential over plain HTTP: the secret crosses the network in clear "
			 "text (give --tls-ca or an https:// master)");
	if (f->credential) {
		char *principal = NULL, *secret = NULL;
		r = auth_credential_load(f->credential, &principal, &secret, err, sizeof(err));
		if (r < 0) {
			log_error("--credential: %s", err);
			return r;
		}
		r = http_client_set_basic_auth(a->http, principal, secret);
		log_info("authenticating to the master as '%s'", principal);
		explicit_bzero(secret, strlen(secret));
		free(secret);
		free(principal);
		if (r < 0)
			return log_error_errno(r, "out of memory");
	}
	if (f->api_credentials) {
		r = auth_credentials_load(f->api_credentials, &a->api_creds, err, sizeof(err));
		if (r < 0) {
			log_error("--api-credentials: %s", err);
			return r;
		}
		a->api_auth = true;
		log_info("the agent's API needs authentication: %zu principals from '%s'",
			 a->api_creds.n, f->api_credentials);
		if (!f->tls_cert)
			log_warn("--api-credentials without --tls-cert: secrets cross the network in "
				 "clear text");
	}
	if (!f->tls_cert != !f->tls_key) {
		log_error("--tls-cert and --tls-key go together");
		return -EINVAL;
	}
	if (f->tls_cert) {
		r = file_read_all(f->tls_cert, 1 << 20, &a->tls_cert_pem, &len);
		if (r < 0)
			return log_error_errno(r, "--tls-cert: cannot read '%s': %m", f->tls_cert);
		r = file_read_all(f->tls_key, 1 << 20, &a->tls_key_pem, &len);
		if (r < 0)
			return log_error_errno(r, "--tls-key: cannot read '%s': %m", f->tls_key);
	}
	if (f->task_user && *f->task_user) {
		struct passwd *pw = getpwnam(f->task_user);
		if (!pw) {
			log_error("--task-user: unknown user '%s'", f->task_user);
			return -ENOENT;
		}
		if (pw->pw_uid == 0) {
			log_error("--task-user: '%s' is root; tasks run as root only when they ask "
				  "for it by name and the master's ACLs allow it",
				  f->task_user);
			return -EPERM;
		}
	}
	return 0;
}

void agent_security_fini(struct agent *a)
{
	auth_credentials_clear(&a->api_creds);
	if (a->tls_key_pem)
		explicit_bzero(a->tls_key_pem, strlen(a->tls_key_pem));
	free(a->tls_key_pem);
	free(a->tls_cert_pem);
	a->tls_key_pem = a->tls_cert_pem = NULL;
}
