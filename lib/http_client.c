// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "buf.h"
#include "http_client.h"
#include "loop.h"
#include "recordio.h"
#include "util.h"

#define MAX_RECORD (64u << 20)

struct rec {
	struct rec *next;
	size_t len;
	char data[];
};

struct http_call {
	struct http_client *c;
	CURL *easy;
	struct curl_slist *hdrs;
	char *req_body;
	bool stream, opened, cancelled, finished;
	long status;
	char stream_id[128];
	struct buf body; /* non-stream body, or error body of a stream */
	struct recordio_decoder dec;
	struct rec *recs, *recs_tail; /* decoded, not yet delivered */
	int rec_error;
	char errbuf[CURL_ERROR_SIZE];
	http_open_fn open;
	http_record_fn record;
	http_done_fn done;
	void *data;
	struct http_call *next, *prev;
};

struct http_client {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer *timer;
	struct http_call *calls;
	bool dispatching;
	char *local_addr; /* CURLOPT_INTERFACE "host!<addr>" for new calls, or NULL */
	char *ca_file;    /* CURLOPT_CAINFO, or NULL */
	char *user, *password;
};

static void call_free(struct http_call *call)
{
	struct http_client *c = call->c;

	if (call->prev)
		call->prev->next = call->next;
	else if (c->calls == call)
		c->calls = call->next;
	if (call->next)
		call->next->prev = call->prev;
	curl_multi_remove_handle(c->multi, call->easy);
	curl_easy_cleanup(call->easy);
	curl_slist_free_all(call->hdrs);
	while (call->recs) {
		struct rec *r = call->recs;
		call->recs = r->next;
		free(r);
	}
	recordio_decoder_free(&call->dec);
	free(call->req_body);
	buf_free(&call->body);
	free(call);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct http_call *call = ud;
	size_t len = size * n;
	static const char sid[] = "Mesos-Stream-Id:";

	if (len > sizeof(sid) && strncasecmp(p, sid, sizeof(sid) - 1) == 0) {
		const char *v = p + sizeof(sid) - 1;
		size_t vl = len - (sizeof(sid) - 1);
		while (vl && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		if (vl < sizeof(call->stream_id)) {
			memcpy(call->stream_id, v, vl);
			call->stream_id[vl] = '\0';
		}
	}
	if (len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &call->status);
		/* a redirect that libcurl follows does not open the stream: the next answer does */
		if (call->status >= 300 && call->status < 400 && call->status != 304)
			call->status = 0;
	}
	return len;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	struct http_call *call = ud;
	size_t len = size * n;
	const char *r;
	size_t rl;
	int k;

	if (!call->status)
		curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &call->status);
	if (!call->stream || call->status != 200)
		return buf_append(&call->body, p, len) < 0 ? 0 : len;
	if (recordio_feed(&call->dec, p, len) < 0)
		return 0;
	while ((k = recordio_next(&call->dec, &r, &rl)) > 0) {
		struct rec *rec = malloc(sizeof(*rec) + rl + 1);
		if (!rec)
			return 0;
		rec->next = NULL;
		rec->len = rl;
		memcpy(rec->data, r, rl + 1);
		if (call->recs_tail)
			call->recs_tail->next = rec;
		else
			call->recs = rec;
		call->recs_tail = rec;
	}
	if (k < 0) {
		call->rec_error = k;
		return 0; /* abort the transfer: the stream is malformed */
	}
	return len;
}

/* Deliver what libcurl produced: stream opens, records, completions. */
static void dispatch(struct http_client *c)
{
	CURLMsg *m;
	int left;

	if (c->dispatching)
		return;
	c->dispatching = true;

	while ((m = curl_multi_info_read(c->multi, &left))) {
		struct http_call *call;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&call);
		call->finished = true;
		if (m->data.result != CURLE_OK && !call->errbuf[0])
			snprintf(call->errbuf, sizeof(call->errbuf), "%s",
				 curl_easy_strerror(m->data.result));
		if (call->rec_error)
			snprintf(call->errbuf, sizeof(call->errbuf), "malformed RecordIO stream: %s",
				 strerror(-call->rec_error));
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &call->status);
	}

	for (struct http_call *call = c->calls, *next; call; call = next) {
		next = call->next;
		if (call->stream && call->status && !call->opened && !call->cancelled) {
			call->opened = true;
			if (call->open)
				call->open(call->status, call->stream_id[0] ? call->stream_id : NULL,
					   call->data);
		}
		while (call->recs && !call->cancelled) {
			struct rec *r = call->recs;
			call->recs = r->next;
			if (!call->recs)
				call->recs_tail = NULL;
			if (call->record)
				call->record(r->data, r->len, call->data);
			free(r);
		}
		if (call->finished && !call->cancelled) {
			call->cancelled = true; /* done runs once */
			if (call->done)
				call->done(call->status, call->body.p ? call->body.p : "", call->body.len,
					   call->errbuf[0] ? call->errbuf : NULL, call->data);
		}
	}
	/* free finished and cancelled calls after every callback has run */
	for (struct http_call *call = c->calls, *next; call; call = next) {
		next = call->next;
		if (call->cancelled)
			call_free(call);
	}
	c->dispatching = false;
}

static void on_socket_event(struct loop *l, int fd, uint32_t events, void *data)
{
	struct http_client *c = data;
	int mask = 0, running;

	if (events & EPOLLIN)
		mask |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		mask |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, fd, mask, &running);
	dispatch(c);
}

static void on_timeout(struct loop *l, struct loop_timer *t, void *data)
{
	struct http_client *c = data;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	dispatch(c);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_client *c = userp;
	struct loop_watch *w = socketp;
	uint32_t ev = 0;

	if (what == CURL_POLL_REMOVE) {
		if (w)
			loop_unwatch(c->loop, w);
		curl_multi_assign(c->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (w) {
		loop_watch_modify(c->loop, w, ev);
	} else {
		w = loop_watch_fd(c->loop, s, ev, on_socket_event, c);
		if (!w)
			return -1;
		curl_multi_assign(c->multi, s, w);
	}
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_client *c = userp;

	if (timeout_ms < 0)
		return loop_timer_stop(c->timer) < 0 ? -1 : 0;
	return loop_timer_set(c->timer, timeout_ms * 1000000, 0) < 0 ? -1 : 0;
}

int http_client_new(struct loop *l, struct http_client **ret)
{
	static bool curl_ready;
	struct http_client *c;

	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = true;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = l;
	c->multi = curl_multi_init();
	c->timer = loop_timer_add(l, 0, 0, on_timeout, c);
	if (!c->multi || !c->timer) {
		if (c->multi)
			curl_multi_cleanup(c->multi);
		loop_timer_del(l, c->timer);
		free(c);
		return -ENOMEM;
	}
	loop_timer_stop(c->timer);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	*ret = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	while (c->calls)
		call_free(c->calls);
	curl_multi_cleanup(c->multi);
	loop_timer_del(c->loop, c->timer);
	free(c->local_addr);
	free(c->ca_file);
	free(c->user);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c);
}

static int set_str(char **dst, const char *v)
{
	char *s = v ? strdup(v) : NULL;

	if (v && !s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int http_client_set_tls_ca(struct http_client *c, const char *ca_file)
{
	return set_str(&c->ca_file, ca_file);
}

int http_client_set_basic_auth(struct http_client *c, const char *user, const char *password)
{
	if (set_str(&c->user, user) < 0)
		return -ENOMEM;
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	return set_str(&c->password, user ? password : NULL);
}

int http_client_set_local_address(struct http_client *c, const char *addr)
{
	char *s = NULL;

	if (addr && asprintf(&s, "host!%s", addr) < 0)
		return -ENOMEM;
	free(c->local_addr);
	c->local_addr = s;
	return 0;
}

void http_client_set_limits(struct http_client *c, long per_host, long cache)
{
	if (per_host > 0)
		curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
	if (cache > 0)
		curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, cache);
}

static struct http_call *start(struct http_client *c, bool stream, const char *url,
			       const char *content_type, const char *body, size_t len,
			       const char *const *headers, long timeout_ms, http_open_fn open,
			       http_record_fn record, http_done_fn done, void *data)
{
	struct http_call *call = calloc(1, sizeof(*call));
	char ct[128];

	if (!call)
		return NULL;
	call->c = c;
	call->stream = stream;
	call->open = open;
	call->record = record;
	call->done = done;
	call->data = data;
	recordio_decoder_init(&call->dec, MAX_RECORD);
	call->easy = curl_easy_init();
	call->req_body = malloc(len + 1);
	if (!call->easy || !call->req_body)
		goto fail;
	memcpy(call->req_body, body, len);
	call->req_body[len] = '\0';
	snprintf(ct, sizeof(ct), "Content-Type: %s", content_type ? content_type : "application/json");
	call->hdrs = curl_slist_append(NULL, ct);
	/* a stream's records are JSON unless the caller asks for another type */
	bool accept = false;
	for (const char *const *h = headers; h && *h; h++)
		accept = accept || strncasecmp(*h, "Accept:", 7) == 0;
	if (stream && !accept)
		call->hdrs = curl_slist_append(call->hdrs, "Accept: application/json");
	call->hdrs = curl_slist_append(call->hdrs, "Expect:"); /* no 100-continue round trip */
	for (; headers && *headers; headers++)
		call->hdrs = curl_slist_append(call->hdrs, *headers);
	if (!call->hdrs)
		goto fail;

	curl_easy_setopt(call->easy, CURLOPT_URL, url);
	curl_easy_setopt(call->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(call->easy, CURLOPT_POSTFIELDS, call->req_body);
	curl_easy_setopt(call->easy, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(call->easy, CURLOPT_HTTPHEADER, call->hdrs);
	curl_easy_setopt(call->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(call->easy, CURLOPT_WRITEDATA, call);
	curl_easy_setopt(call->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(call->easy, CURLOPT_HEADERDATA, call);
	curl_easy_setopt(call->easy, CURLOPT_PRIVATE, call);
	curl_easy_setopt(call->easy, CURLOPT_ERRORBUFFER, call->errbuf);
	curl_easy_setopt(call->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(call->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(call->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	if (http_client_redirect_policy(call->easy, url) < 0)
		goto fail;
	if (timeout_ms > 0)
		curl_easy_setopt(call->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (c->local_addr)
		curl_easy_setopt(call->easy, CURLOPT_INTERFACE, c->local_addr);
	curl_easy_setopt(call->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(call->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		curl_easy_setopt(call->easy, CURLOPT_CAINFO, c->ca_file);
	if (c->user) {
		curl_easy_setopt(call->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(call->easy, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(call->easy, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
	if (curl_multi_add_handle(c->multi, call->easy) != CURLM_OK)
		goto fail;
	call->next = c->calls;
	if (call->next)
		call->next->prev = call;
	c->calls = call;
	return call;
fail:
	if (call->easy)
		curl_easy_cleanup(call->easy);
	curl_slist_free_all(call->hdrs);
	recordio_decoder_free(&call->dec);
	free(call->req_body);
	free(call);
	return NULL;
}

int http_client_redirect_policy(void *easy, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int r = -EINVAL;

	if (!u)
		return -ENOMEM;
	/* a bare HOST:PORT is what libcurl fetches over http */
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) ==
		    CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, scheme) == CURLE_OK) {
		curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
		curl_easy_setopt(easy, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
		r = 0;
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return r;
}

struct http_call *http_post(struct http_client *c, const char *url, const char *content_type,
			    const char *body, size_t len, const char *const *headers,
			    long timeout_ms, http_done_fn done, void *data)
{
	return start(c, false, url, content_type, body, len, headers, timeout_ms, NULL, NULL, done,
		     data);
}

struct http_call *http_post_stream(struct http_client *c, const char *url,
				   const char *content_type, const char *body, size_t len,
				   const char *const *headers, http_open_fn open,
				   http_record_fn record, http_done_fn done, void *data)
{
	return start(c, true, url, content_type, body, len, headers, 0, open, record, done, data);
}

void http_call_cancel(struct http_client *c, struct http_call *call)
{
	if (!call)
		return;
	call->cancelled = true;
	if (!c->dispatching)
		call_free(call);
}

int http_call_stream_error(const struct http_call *call)
{
	return call->rec_error;
}
