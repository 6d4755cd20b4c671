// SPDX-License-Identifier: Apache-2.0
/*
 * The master's authentication (who is calling: --credentials, HTTP Basic or a bearer
 * token) and authorization (may they: --acls), and its TLS material. docs/security.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "http_auth.h"
#include "log.h"
#include "master.h"

#define REALM "drover"

static int read_pem(const char *flag, const char *path, char **ret)
{
	size_t len;
	int r = file_read_all(path, 1 << 20, ret, &len);

	if (r < 0)
		return log_error_errno(r, "--%s: cannot read '%s': %m", flag, path);
	return 0;
}

int master_security_init(struct master *m)
{
	struct master_flags *f = m->flags;
	char err[1024];
	int r;

	master_acls_init(&m->acls);
	if (f->credentials) {
		r = auth_credentials_load(f->credentials, &m->creds, err, sizeof(err));
		if (r < 0) {
			log_error("--credentials: %s", err);
			return r;
		}
		m->authenticate = true;
		log_info("authentication on: %zu principals from '%s'", m->creds.n, f->credentials);
	}
	if (f->acls) {
		r = master_acls_load(f->acls, &m->acls, err, sizeof(err));
		if (r < 0) {
			log_error("--acls: %s", err);
			return r;
		}
		log_info("ACLs from '%s' (permissive: %s)", f->acls,
			 m->acls.permissive ? "true" : "false");
	}
	if (!f->tls_cert != !f->tls_key) {
		log_error("--tls-cert and --tls-key go together");
		return -EINVAL;
	}
	if (f->tls_cert) {
		r = read_pem("tls-cert", f->tls_cert, &m->tls_cert_pem);
		if (r < 0)
			return r;
		r = read_pem("tls-key", f->tls_key, &m->tls_key_pem);
		if (r < 0)
			return r;
	} else if (m->authenticate) {
		log_warn("--credentials without --tls-cert: secrets cross the network in clear text");
	}
	return 0;
}

void master_security_fini(struct master *m)
{
	auth_credentials_clear(&m->creds);
	master_acls_clear(&m->acls);
	if (m->tls_key_pem)
		explicit_bzero(m->tls_key_pem, strlen(m->tls_key_pem));
	free(m->tls_key_pem);
	free(m->tls_cert_pem);
	m->tls_key_pem = m->tls_cert_pem = NULL;
}

bool master_authenticate(struct master *m, struct http_request *req, char **ret_principal)
{
	int r;

	*ret_principal = NULL;
	if (!m->authenticate)
		return true;
	r = http_authenticate(&m->creds, req, REALM, ret_principal);
	if (r < 0)
		master_count_status(m, (unsigned)-r);
	return r == 0;
}

static bool authorize(struct master *m, struct msg *msg, enum acl_action action,
		      const char *object, bool explicit_only)
{
	char why[256] = "";

	if (explicit_only ?
		    master_acls_allowed_explicit(&m->acls, action, msg->principal, object, why,
						 sizeof(why)) :
		    master_acls_allowed(&m->acls, action, msg->principal, object, why, sizeof(why)))
		return true;
	log_info("denied: principal '%s' may not %s '%s' (%s)",
		 msg->principal ? msg->principal : "(none)", master_acl_action_name(action),
		 object ? object : "", why);
	master_reply_error(m, msg->req, 403,
			   "Not authorized: principal '%s' may not %s with %s '%s' (denied by %s)",
			   msg->principal ? msg->principal : "(unauthenticated)",
			   master_acl_action_name(action), master_acl_object_name(action),
			   object ? object : "", why);
	return false;
}

bool master_authorize(struct master *m, struct msg *msg, enum acl_action action,
		      const char *object)
{
	return authorize(m, msg, action, object, false);
}

bool master_authorize_explicit(struct master *m, struct msg *msg, enum acl_action action,
			       const char *object)
{
	return authorize(m, msg, action, object, true);
}

const char *master_framework_principal(const struct framework *fw)
{
	return json_string_value(json_object_get(fw->info, "principal"));
}
