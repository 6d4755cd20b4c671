// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <string.h>

#include "http_auth.h"
#include "log.h"

int http_authenticate(const struct auth_credentials *c, struct http_request *req,
		      const char *realm, char **ret_principal)
{
	const char *token, *who = NULL;
	char *user = NULL, *pass = NULL;

	*ret_principal = NULL;
	if (http_request_basic_auth(req, &user, &pass) == 0) {
		who = auth_check_basic(c, user, pass);
		explicit_bzero(pass, strlen(pass));
		free(pass);
		if (!who) {
			/* the name is the caller's: no control characters into the log */
			for (char *p = user; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					*p = '?';
			log_warn("authentication of '%.64s' from %s failed", user,
				 http_request_peer(req));
			free(user);
			http_reply_unauthorized(req, realm,
						"Authentication failed: bad principal or secret");
			return -401;
		}
		free(user);
	} else if ((token = http_request_bearer(req))) {
		who = auth_check_token(c, token);
		if (!who) {
			log_warn("bearer token from %s not accepted", http_request_peer(req));
			http_reply_unauthorized(req, realm, "Authentication failed: bad token");
			return -401;
		}
	} else {
		http_reply_unauthorized(req, realm,
					"Authentication required (HTTP Basic or a bearer token)");
		return -401;
	}
	*ret_principal = strdup(who);
	if (!*ret_principal) {
		http_reply_error(req, 503, "out of memory");
		return -503;
	}
	return 0;
}
