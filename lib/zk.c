// SPDX-License-Identifier: Apache-2.0
/*
 * ZooKeeper glue: zk:// URLs, election member names (Mesos's json.info_ rule), and a leader
 * watch on a session of its own. The watch is asynchronous throughout (the client's
 * completion thread must never block on a synchronous call): a session or child event asks
 * for the children, the lowest member's data gives the address.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "util.h"
#include "zk.h"

bool zk_url_is(const char *s)
{
	return s && strncmp(s, "zk://", 5) == 0;
}

int zk_url_parse(const char *url, char **ret_hosts, char **ret_path, char *err, size_t errlen)
{
	const char *h, *slash;
	char *hosts, *path;
	size_t plen;

	if (!zk_url_is(url)) {
		snprintf(err, errlen, "'%s' is not a zk:// URL", url ? url : "");
		return -EINVAL;
	}
	h = url + 5;
	slash = strchr(h, '/');
	if (!slash || slash == h) {
		snprintf(err, errlen, "'%s' has no host list or no path (zk://HOST:PORT,.../PATH)",
			 url);
		return -EINVAL;
	}
	for (const char *p = h; p < slash; p++) {
		if (*p == ' ' || *p == '@' || *p == '?' || *p == '#') {
			snprintf(err, errlen, "'%s': bad character '%c' in the host list", url, *p);
			return -EINVAL;
		}
	}
	for (const char *p = h; p <= slash; p++) {
		/* every host must be HOST:PORT (no empty entries) */
		if ((p == slash || *p == ',') && (p == h || p[-1] == ',' || p[-1] == ':')) {
			snprintf(err, errlen, "'%s': empty host or port in the host list", url);
			return -EINVAL;
		}
	}
	plen = strlen(slash);
	while (plen > 1 && slash[plen - 1] == '/')
		plen--;
	if (plen < 2 || strstr(slash, "//") || strchr(slash, '?') || strchr(slash, ' ')) {
		snprintf(err, errlen, "'%s': the path must be /NAME[/NAME...]", url);
		return -EINVAL;
	}
	hosts = strndup(h, (size_t)(slash - h));
	path = strndup(slash, plen);
	if (!hosts || !path) {
		free(hosts);
		free(path);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*ret_hosts = hosts;
	*ret_path = path;
	return 0;
}

int zk_node_sequence(const char *name, int32_t *ret_seq)
{
	const char *end, *tok, *p;
	char buf[16];
	long long v;
	char *e;

	if (!name)
		return -EINVAL;
	/* the last non-empty piece between '_'s */
	end = name + strlen(name);
	while (end > name && end[-1] == '_')
		end--;
	tok = end;
	while (tok > name && tok[-1] != '_')
		tok--;
	if (end == tok || (size_t)(end - tok) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, tok, (size_t)(end - tok));
	buf[end - tok] = '\0';
	p = buf + (buf[0] == '-' || buf[0] == '+');
	if (!*p)
		return -EINVAL;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	errno = 0;
	v = strtoll(buf, &e, 10);
	if (errno || *e || v < INT32_MIN || v > INT32_MAX)
		return -EINVAL;
	*ret_seq = (int32_t)v;
	return 0;
}

bool zk_member_is(const char *name)
{
	int32_t seq;

	return name && strncmp(name, ZK_MEMBER_PREFIX, strlen(ZK_MEMBER_PREFIX)) == 0 &&
	       zk_node_sequence(name, &seq) == 0;
}

const char *zk_member_lowest(char *const *names, int n)
{
	const char *low = NULL;
	int32_t seq, low_seq = 0;

	for (int i = 0; i < n; i++)
		if (zk_node_sequence(names[i], &seq) == 0 && (!low || seq < low_seq)) {
			low = names[i];
			low_seq = seq;
		}
	return low;
}

const char *zk_member_predecessor(char *const *names, int n, const char *mine)
{
	const char *pred = NULL;
	int32_t seq, my_seq, pred_seq = 0;

	if (zk_node_sequence(mine, &my_seq) < 0)
		return NULL;
	for (int i = 0; i < n; i++)
		if (zk_node_sequence(names[i], &seq) == 0 && seq < my_seq &&
		    (!pred || seq > pred_seq)) {
			pred = names[i];
			pred_seq = seq;
		}
	return pred;
}

/* A host name, an IPv4 address or an IPv6 one (bare): nothing a URL would read as more. */
static bool host_ok(const char *h, size_t n)
{
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
		      (h[i] >= '0' && h[i] <= '9') || h[i] == '.' || h[i] == '-' || h[i] == '_' ||
		      h[i] == ':'))
			return false;
	return true;
}

/* "HOST:PORT" (an IPv6 host in brackets) from its parts, or NULL when either is bad. */
static char *address_make(const char *host, size_t n, long port)
{
	char *out;

	if (!host_ok(host, n) || port < 1 || port > 65535)
		return NULL;
	if (asprintf(&out, memchr(host, ':', n) ? "[%.*s]:%ld" : "%.*s:%ld", (int)n, host, port) <
	    0)
		return NULL;
	return out;
}

/* Drover's older {"address": "HOST:PORT"}, checked as address_make() checks. */
static char *address_parse(const char *a)
{
	const char *colon = strrchr(a, ':'), *h = a;
	size_t n;
	char *end;
	long port;

	if (!colon || !colon[1] || colon[1] == '-' || colon[1] == '+')
		return NULL;
	port = strtol(colon + 1, &end, 10);
	if (*end)
		return NULL;
	n = (size_t)(colon - a);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	} else if (memchr(h, ':', n)) {
		return NULL; /* an IPv6 host without brackets */
	}
	return address_make(h, n, port);
}

char *zk_member_address(const char *data, size_t len)
{
	json_t *j = data ? json_loadb(data, len, 0, NULL) : NULL;
	json_t *addr = json_object_get(j, "address");
	const char *host = NULL;
	char ipbuf[16], *out = NULL;
	json_int_t port = 0;

	if (json_is_string(addr)) { /* Drover's older member_ nodes */
		out = address_parse(json_string_value(addr));
		json_decref(j);
		return out;
	}
	host = json_string_value(json_object_get(addr, "hostname"));
	if (!host || !*host)
		host = json_string_value(json_object_get(j, "hostname"));
	if (!host || !*host)
		host = json_string_value(json_object_get(addr, "ip"));
	if ((!host || !*host) && json_is_integer(json_object_get(j, "ip"))) {
		/* the bytes of in_addr.s_addr, in network order, read as a host integer */
		uint32_t ip = (uint32_t)json_integer_value(json_object_get(j, "ip"));
		const unsigned char *b = (const unsigned char *)&ip;
		snprintf(ipbuf, sizeof(ipbuf), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		host = ipbuf;
	}
	port = json_integer_value(json_object_get(addr, "port"));
	if (port <= 0)
		port = json_integer_value(json_object_get(j, "port"));
	if (host && port > 0 && port <= 65535)
		out = address_make(host, strlen(host), (long)port);
	json_decref(j);
	return out;
}

/* ---------------------------------------------------------------- the leader watch */

struct zk_watch {
	char *hosts, *path;
	int timeout_ms;
	void (*changed)(void *data);
	void *data;
	zhandle_t *zh;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *leader; /* guarded by lock */
	bool expired; /* guarded by lock */
};

struct member_read {
	struct zk_watch *w;
	char name[64];
};

static void refresh(struct zk_watch *w, zhandle_t *zh);

static void set_leader(struct zk_watch *w, char *addr)
{
	bool changed;

	pthread_mutex_lock(&w->lock);
	changed = !(addr && w->leader && strcmp(addr, w->leader) == 0) && (addr || w->leader);
	free(w->leader);
	w->leader = addr;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (changed && w->changed)
		w->changed(w->data);
}

static void on_event(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct zk_watch *w = ctx;

	if (type == ZOO_SESSION_EVENT) {
		if (state == ZOO_CONNECTED_STATE) {
			refresh(w, zh);
		} else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
			pthread_mutex_lock(&w->lock);
			w->expired = true;
			pthread_mutex_unlock(&w->lock);
			set_leader(w, NULL);
			if (w->changed)
				w->changed(w->data);
		}
		return;
	}
	/* children changed, or the path came into being */
	refresh(w, zh);
}

static void on_member_data(int rc, const char *value, int len, const struct Stat *stat,
			   const void *data)
{
	struct member_read *mr = (struct member_read *)data;

	if (rc == ZOK)
		set_leader(mr->w, zk_member_address(value, len > 0 ? (size_t)len : 0));
	/* ZNONODE: it went meanwhile, and the child watch fires again */
	free(mr);
}

static void on_exists(int rc, const struct Stat *stat, const void *data)
{
	struct zk_watch *w = (struct zk_watch *)data;

	/* created between our two looks: no creation event will come, list it now */
	if (rc == ZOK)
		refresh(w, w->zh);
}

static void on_children(int rc, const struct String_vector *sv, const void *data)
{
	struct zk_watch *w = (struct zk_watch *)data;
	struct member_read *mr;
	const char *low;
	char path[1024];

	if (rc == ZNONODE) {
		/* nobody has created the path yet: watch for it */
		set_leader(w, NULL);
		zoo_awexists(w->zh, w->path, on_event, w, on_exists, w);
		return;
	}
	if (rc != ZOK)
		return;
	low = zk_member_lowest(sv->data, sv->count);
	if (!low) {
		set_leader(w, NULL);
		return;
	}
	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return;
	mr->w = w;
	snprintf(mr->name, sizeof(mr->name), "%s", low);
	snprintf(path, sizeof(path), "%s/%s", w->path, low);
	if (zoo_aget(w->zh, path, 0, on_member_data, mr) != ZOK)
		free(mr);
}

static void refresh(struct zk_watch *w, zhandle_t *zh)
{
	zoo_awget_children(zh, w->path, on_event, w, on_children, w);
}

static int watch_connect(struct zk_watch *w)
{
	w->zh = zookeeper_init(w->hosts, on_event, w->timeout_ms, NULL, w, 0);
	return w->zh ? 0 : -(errno ? errno : EINVAL);
}

static bool log_quiet;

void zk_client_log_quiet(bool quiet)
{
	log_quiet = quiet;
	/* level 0 turns the client's log off */
	zoo_set_debug_level(quiet ? (ZooLogLevel)0 : ZOO_LOG_LEVEL_ERROR);
}

int zk_watch_new(const char *url, int session_timeout_ms, void (*changed)(void *data), void *data,
		 struct zk_watch **ret, char *err, size_t errlen)
{
	struct zk_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = zk_url_parse(url, &w->hosts, &w->path, err, errlen);
	if (r < 0) {
		free(w);
		return r;
	}
	w->timeout_ms = session_timeout_ms;
	w->changed = changed;
	w->data = data;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	zk_client_log_quiet(log_quiet);
	r = watch_connect(w);
	if (r < 0) {
		snprintf(err, errlen, "cannot start a ZooKeeper session with '%s': %s", w->hosts,
			 strerror(-r));
		zk_watch_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

void zk_watch_free(struct zk_watch *w)
{
	if (!w)
		return;
	if (w->zh)
		zookeeper_close(w->zh);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->leader);
	free(w->hosts);
	free(w->path);
	free(w);
}

void zk_watch_poll(struct zk_watch *w)
{
	bool expired;

	pthread_mutex_lock(&w->lock);
	expired = w->expired;
	w->expired = false;
	pthread_mutex_unlock(&w->lock);
	if (!expired)
		return;
	zookeeper_close(w->zh);
	w->zh = NULL;
	watch_connect(w);
}

char *zk_watch_leader(struct zk_watch *w)
{
	char *a;

	pthread_mutex_lock(&w->lock);
	a = w->leader ? strdup(w->leader) : NULL;
	pthread_mutex_unlock(&w->lock);
	return a;
}

/* Block until a leader is known (its address in *ret, malloc'd) or timeout: -ETIMEDOUT. */
static int zk_watch_wait(struct zk_watch *w, int timeout_ms, char **ret)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->leader && rc == 0)
		rc = pthread_cond_timedwait(&w->cond, &w->lock, &until);
	*ret = w->leader ? strdup(w->leader) : NULL;
	pthread_mutex_unlock(&w->lock);
	return *ret ? 0 : -ETIMEDOUT;
}

int zk_leader_resolve(const char *url, int timeout_ms, char **ret, char *err, size_t errlen)
{
	struct zk_watch *w;
	int r = zk_watch_new(url, timeout_ms > 4000 ? timeout_ms : 4000, NULL, NULL, &w, err,
			     errlen);

	if (r < 0)
		return r;
	r = zk_watch_wait(w, timeout_ms, ret);
	if (r < 0)
		snprintf(err, errlen, "no leading master found at '%s' within %d ms", url,
			 timeout_ms);
	zk_watch_free(w);
	return r;
}
