// SPDX-License-Identifier: Apache-2.0
/* Blocking calls to the operator API for one-shot commands (list, show, kill). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "api.h"
#include "escape.h"
#include "http_client.h"
#include "main.h"
#include "zk.h"

/* Set while a caller can do without the answer: errors are not printed. */
static bool quiet;
#define api_err(...) ({ if (!quiet) p_err(__VA_ARGS__); })

struct buf {
	char *data;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	char *nd = realloc(b->data, b->len + size * n + 1);

	if (!nd)
		return 0;
	memcpy(nd + b->len, p, size * n);
	b->len += size * n;
	nd[b->len] = '\0';
	b->data = nd;
	return size * n;
}

const char *api_leader(const char *hostport, bool fresh)
{
	static char *cached;
	char err[512], *addr;

	if (!zk_url_is(hostport))
		return hostport;
	if (cached && !fresh)
		return cached;
	zk_client_log_quiet(true); /* our own message says it once */
	if (zk_leader_resolve(hostport, 15000, &addr, err, sizeof(err)) < 0) {
		api_err("%s", err);
		return cached; /* NULL: api_url() makes an empty URL, and callers stop there */
	}
	free(cached);
	cached = addr;
	return cached;
}

/* A bare HOST:PORT is https:// when a CA to verify it by is given. */
void api_url(const char *hostport, const char *path, char *buf, size_t len)
{
	hostport = api_leader(hostport, false);
	if (!hostport) {
		buf[0] = '\0';
		return;
	}
	if (strncmp(hostport, "http://", 7) == 0 || strncmp(hostport, "https://", 8) == 0)
		snprintf(buf, len, "%s%s", hostport, path);
	else
		snprintf(buf, len, "%s://%s%s", tls_ca_opt ? "https" : "http", hostport, path);
}

/* TLS verification (always on; --tls-ca picks the CA) and --credential. */
static void secure(CURL *c)
{
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (tls_ca_opt)
		curl_easy_setopt(c, CURLOPT_CAINFO, tls_ca_opt);
	if (cli_principal) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, cli_principal);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cli_secret);
	}
}

int api_client_setup(struct http_client *c)
{
	if ((tls_ca_opt && http_client_set_tls_ca(c, tls_ca_opt) < 0) ||
	    (cli_principal && http_client_set_basic_auth(c, cli_principal, cli_secret) < 0)) {
		p_err("out of memory");
		return -1;
	}
	return 0;
}

/* POST req as JSON; the parsed 2xx answer, or NULL after printing the error. */
static json_t *api_call(const char *hostport, const char *path, json_t *req, long *ret_status)
{
	struct curl_slist *hdrs = NULL;
	struct buf b = {0};
	char url[512], *body;
	json_t *out = NULL;
	long status = 0;
	CURLcode rc;
	CURL *c;

	api_url(hostport, path, url, sizeof(url));
	if (!url[0])
		return NULL; /* no leader: said already */
	body = json_dumps(req, JSON_COMPACT);
	c = curl_easy_init();
	if (!c || !body) {
		api_err("out of memory");
		goto out;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	if (http_client_redirect_policy(c, url) < 0) {
		api_err("cannot fetch %s: not a URL", url);
		goto out;
	}
	secure(c);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		api_err("cannot reach %s: %s", url, curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status / 100 == 2 && b.len) {
		json_error_t e;
		out = json_loadb(b.data, b.len, 0, &e);
		if (!out)
			api_err("bad JSON from %s: %s", url, e.text);
		/* names, messages, hostnames: no control character reaches the terminal (the JSON
		 * printer writes them as \uXXXX) */
		else if (!json_output && escape_json_strings(out) < 0) {
			api_err("out of memory");
			json_decref(out);
			out = NULL;
		}
	} else if (status / 100 == 2) {
		out = json_object();
	} else {
		api_err("%s answered %ld: %s", url, status, b.data ? b.data : "");
	}
out:
	if (ret_status)
		*ret_status = status;
	curl_slist_free_all(hdrs);
	if (c)
		curl_easy_cleanup(c);
	free(body);
	free(b.data);
	return out;
}

/* GET_STATE -> "get_state" */
static void lower(const char *type, char *key, size_t len)
{
	size_t i;

	for (i = 0; type[i] && i < len - 1; i++)
		key[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
	key[i] = '\0';
}

static json_t *call_payload(const char *hostport, const char *type)
{
	json_t *req = json_pack("{s:s}", "type", type);
	json_t *resp = api_call(hostport, "/api/v1", req, NULL);
	char key[64];
	json_t *payload;

	json_decref(req);
	if (!resp)
		return NULL;
	lower(type, key, sizeof(key));
	payload = json_incref(json_object_get(resp, key));
	json_decref(resp);
	if (!payload)
		api_err("the answer to %s has no '%s'", type, key);
	return payload;
}

json_t *api_master(const char *type)
{
	return call_payload(master_url, type);
}

json_t *api_agent_quiet(const char *type)
{
	json_t *p;

	quiet = true;
	p = call_payload(agent_url, type);
	quiet = false;
	return p;
}

int api_master_change(const char *type, json_t *body)
{
	char key[64];
	json_t *req = json_pack("{s:s}", "type", type), *resp;

	lower(type, key, sizeof(key));
	if (body)
		json_object_set_new(req, key, body);
	resp = api_call(master_url, "/api/v1", req, NULL);
	json_decref(req);
	if (!resp)
		return -1;
	json_decref(resp);
	return 0;
}

char *api_get_text(const char *hostport, const char *path)
{
	struct buf b = {0};
	char url[512];
	long status = 0;
	CURLcode rc;
	CURL *c = curl_easy_init();

	if (!c) {
		p_err("out of memory");
		return NULL;
	}
	api_url(hostport, path, url, sizeof(url));
	if (!url[0]) {
		curl_easy_cleanup(c);
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	secure(c);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		p_err("cannot reach %s: %s", url, curl_easy_strerror(rc));
	else if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status), status / 100 != 2)
		p_err("%s answered %ld: %s", url, status, b.data ? b.data : "");
	curl_easy_cleanup(c);
	if (rc != CURLE_OK || status / 100 != 2) {
		free(b.data);
		return NULL;
	}
	return b.data ? b.data : strdup("");
}
