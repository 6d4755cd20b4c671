// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonnum.h"
#include "auth.h"
#include "leader.h"
#include "log.h"
#include "master.h"
#include "registry.h"
#include "registry_zk.h"
#include "util.h"
#include "version.h"
#include "zk.h"

#define ERRLEN 512

struct master_leader {
	char *url, *hosts, *path;
	char address[300]; /* HOST:PORT of what we publish: --advertise, or --listen */
	zhandle_t *zh;
	char *mine; /* our member znode (full path), NULL until created */
	bool leading; /* owner thread */
	bool need_check; /* an election step failed: retry on the next tick */
	bool tried_join; /* a create of our member was sent (it may have succeeded) */
	int64_t elected_ns;
	struct loop_timer *lost_timer;
	struct zk_watch *watch; /* the leader's address, for redirects */
	pthread_mutex_t lock;
	bool leading_pub; /* guarded by lock: leading, as HTTP threads see it */
	/* the ACLs of what we create: open, or per --zk-credential (below) */
	struct ACL_vector *election_acl, *registry_acl;
};

/*
 * With --zk-credential: the election's znodes are readable by anyone (agents and drover find
 * the leader there) and writable by the masters' identity only; the registry is that
 * identity's alone (it holds task definitions and their environment).
 */
static struct ACL election_acl[] = {
	{0 /* ZOO_PERM_ALL (not a constant expression) */, {"auth", ""}},
	{0 /* ZOO_PERM_READ */, {"world", "anyone"}},
};
static struct ACL registry_acl[] = {{0 /* ZOO_PERM_ALL */, {"auth", ""}}};
static struct ACL_vector election_acls = {2, election_acl};
static struct ACL_vector registry_acls = {1, registry_acl};

/* --zk-credential: digest authentication on the session (the client repeats it on every
 * reconnection). */
static int add_auth(struct master *m)
{
	struct master_leader *l = m->leader;
	char err[ERRLEN], *principal = NULL, *secret = NULL, *cert = NULL;
	int r, rc;

	l->election_acl = l->registry_acl = &ZOO_OPEN_ACL_UNSAFE;
	if (!m->flags->zk_credential) {
		log_warn("zookeeper: no --zk-credential: the election and registry znodes are "
			 "open to every client of the ensemble");
		return 0;
	}
	r = auth_credential_load(m->flags->zk_credential, &principal, &secret, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "--zk-credential: %s", err);
	if (strchr(principal, ':')) {
		r = log_error_errno(EINVAL, "--zk-credential: the principal may not contain ':'");
	} else if (asprintf(&cert, "%s:%s", principal, secret) < 0) {
		cert = NULL;
		r = log_error_errno(ENOMEM, "out of memory");
	} else {
		election_acl[0].perms = registry_acl[0].perms = ZOO_PERM_ALL;
		election_acl[1].perms = ZOO_PERM_READ;
		rc = zoo_add_auth(l->zh, "digest", cert, (int)strlen(cert), NULL, NULL);
		if (rc != ZOK) {
			r = log_error_errno(EIO, "zookeeper: cannot authenticate: %s", zerror(rc));
		} else {
			r = 0;
			l->election_acl = &election_acls;
			l->registry_acl = &registry_acls;
			log_info("zookeeper: authenticated as '%s' (digest)", principal);
		}
	}
	if (cert)
		explicit_bzero(cert, strlen(cert));
	explicit_bzero(secret, strlen(secret));
	free(cert);
	free(principal);
	free(secret);
	return r;
}

/*
 * This master's advertised host (an IPv6 address without brackets) and port: --advertise,
 * else --listen, a wildcard address replaced by the host name. Any thread (flags only).
 */
static void self_host_port(const struct master *m, char *host, size_t hostlen, unsigned *port)
{
	const char *adv = m->flags->advertise ? m->flags->advertise : m->flags->listen;
	const char *colon = strrchr(adv, ':');
	size_t n = colon ? (size_t)(colon - adv) : strlen(adv);

	*port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 5050;
	if (n >= 2 && adv[0] == '[' && adv[n - 1] == ']') {
		adv++;
		n -= 2;
	}
	snprintf(host, hostlen, "%.*s", (int)n, adv);
	if (!*host || streq(host, "0.0.0.0") || streq(host, "::")) {
		snprintf(host, hostlen, "localhost");
		gethostname(host, hostlen - 1);
		host[hostlen - 1] = '\0';
	}
}

/* "HOST:PORT" as zk_member_address() gives it back from our MasterInfo. Any thread. */
static void self_address(const struct master *m, char *buf, size_t len)
{
	char host[256];
	unsigned port;

	self_host_port(m, host, sizeof(host), &port);
	snprintf(buf, len, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

/* host's IPv4 address (a literal, else the first the resolver gives); false: none. */
static bool ipv4_of(const char *host, struct in_addr *ret)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;

	if (inet_pton(AF_INET, host, ret) == 1)
		return true;
	if (strchr(host, ':') || getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
		return false;
	*ret = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
	freeaddrinfo(ai);
	return true;
}

json_t *master_leader_info(struct master *m)
{
	char host[256], ip[INET_ADDRSTRLEN] = "", pid[300];
	struct in_addr in = {0};
	unsigned port;
	json_t *j, *addr;

	if (m->info)
		return json_incref(m->info);
	self_host_port(m, host, sizeof(host), &port);
	if (ipv4_of(host, &in))
		inet_ntop(AF_INET, &in, ip, sizeof(ip));
	snprintf(pid, sizeof(pid), "master@%s:%u", *ip ? ip : host, port);
	addr = json_pack("{s:s,s:i}", "hostname", host, "port", (int)port);
	if (*ip)
		json_object_set_new(addr, "ip", json_string(ip));
	/* ip: the bytes of in_addr.s_addr (network order) read as a host integer, as Mesos
	 * writes it; only the capabilities Drover has are claimed (docs/ha.md) */
	j = json_pack("{s:s,s:I,s:i,s:s,s:s,s:s,s:o,s:[{s:s}]}", "id", m->master_id, "ip",
		      (json_int_t)in.s_addr, "port", (int)port, "pid", pid, "hostname", host,
		      "version", DROVER_VERSION, "address", addr, "capabilities", "type",
		      "AGENT_DRAINING");
	m->info = j;
	return j ? json_incref(j) : NULL;
}

json_t *master_leader_get_master(struct master *m)
{
	json_t *j = json_pack("{s:o*,s:f}", "master_info", master_leader_info(m), "start_time",
			      (double)m->start_real_ns / 1e9);
	double t;

	if (j && master_leader_elected_time(m, &t))
		json_object_set_new(j, "elected_time", json_real(t));
	return j;
}

bool master_leader_elected_time(const struct master *m, double *ret)
{
	int64_t at;

	if (!m->leader) { /* without --zk it leads from the start */
		*ret = (double)m->start_real_ns / 1e9;
		return true;
	}
	if (!m->leader->leading)
		return false;
	at = m->leader->elected_ns;
	*ret = (double)(now_real_ns() - (now_mono_ns() - at)) / 1e9;
	return true;
}

char *master_leader_current(struct master *m, bool *ret_self)
{
	struct master_leader *l = m->leader;
	char own[300];
	bool leading = true;
	char *addr;

	if (l) {
		pthread_mutex_lock(&l->lock);
		leading = l->leading_pub;
		pthread_mutex_unlock(&l->lock);
	}
	*ret_self = leading;
	if (leading) {
		self_address(m, own, sizeof(own));
		return strdup(own);
	}
	addr = zk_watch_leader(l->watch);
	if (addr && streq(addr, l->address)) { /* ours, but we do not lead (yet, or any more) */
		free(addr);
		addr = NULL;
	}
	return addr;
}

/* ZooKeeper thread: hand the event to the owner. */
static void on_zk_event(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct master *m = ctx;
	struct msg *msg = calloc(1, sizeof(*msg));

	if (!msg)
		return;
	msg->kind = MSG_ZK;
	msg->zk_type = type;
	msg->zk_state = state;
	master_enqueue(m, msg);
}

static void publish(struct master_leader *l, bool leading)
{
	pthread_mutex_lock(&l->lock);
	l->leading_pub = leading;
	pthread_mutex_unlock(&l->lock);
}

void master_leader_step_down(struct master *m, const char *why)
{
	struct master_leader *l = m->leader;

	if (!l || m->restart)
		return;
	if (l->leading)
		log_error("stepping down as the leading master: %s", why);
	else
		log_warn("restarting the candidate: %s", why);
	l->leading = false;
	publish(l, false);
	m->restart = true;
	loop_stop(m->loop);
}

/* Create the persistent parents of path ("/a/b/c": /a, /a/b, /a/b/c). */
static int ensure_path(zhandle_t *zh, const char *path, struct ACL_vector *acl)
{
	char buf[1024];
	int rc;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			rc = zoo_create(zh, buf, NULL, -1, acl, 0, NULL, 0);
			if (rc != ZOK && rc != ZNODEEXISTS)
				return rc;
			*p = c;
			if (!c)
				return ZOK;
		}
	}
}

/*
 * A create whose answer was lost with the connection may still have made our member: find
 * it by our master ID, or it would lead nobody for as long as our session lives.
 */
static char *find_own_member(struct master *m)
{
	struct master_leader *l = m->leader;
	struct String_vector sv = {0};
	char path[1100], buf[1024], *found = NULL;

	if (zoo_get_children(l->zh, l->path, 0, &sv) != ZOK)
		return NULL;
	for (int i = 0; i < sv.count && !found; i++) {
		int len = sizeof(buf) - 1;
		json_t *j;
		if (!zk_member_is(sv.data[i]))
			continue;
		snprintf(path, sizeof(path), "%s/%s", l->path, sv.data[i]);
		if (zoo_get(l->zh, path, 0, buf, &len, NULL) != ZOK || len <= 0)
			continue;
		j = json_loadb(buf, (size_t)len, 0, NULL);
		if (streq(json_string_value(json_object_get(j, "id")), m->master_id))
			found = strdup(path);
		json_decref(j);
	}
	deallocate_String_vector(&sv);
	return found;
}

static int join(struct master *m)
{
	struct master_leader *l = m->leader;
	char member[1024], created[1024], *data;
	json_t *j;
	int rc;

	rc = ensure_path(l->zh, l->path, l->election_acl);
	if (rc != ZOK) {
		log_warn("zookeeper: cannot create '%s': %s", l->path, zerror(rc));
		return -EIO;
	}
	if (l->tried_join) {
		l->mine = find_own_member(m);
		if (l->mine) {
			log_info(
				"zookeeper: candidate '%s' (created before the connection was lost)",
				l->mine);
			return 0;
		}
	}
	l->tried_join = true;
	j = master_leader_info(m);
	data = j ? jsonnum_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	snprintf(member, sizeof(member), "%s/%s", l->path, ZK_MEMBER_PREFIX);
	rc = zoo_create(l->zh, member, data, data ? (int)strlen(data) : -1, l->election_acl,
			ZOO_EPHEMERAL | ZOO_SEQUENCE, created, sizeof(created));
	free(data);
	if (rc != ZOK) {
		log_warn("zookeeper: cannot join the election under '%s': %s", l->path, zerror(rc));
		return -EIO;
	}
	l->mine = strdup(created);
	log_info("zookeeper: candidate '%s' for %s", created, l->address);
	return l->mine ? 0 : -ENOMEM;
}

static int become_leader(struct master *m)
{
	struct master_leader *l = m->leader;
	char root[1100], err[ERRLEN];
	int r;

	snprintf(root, sizeof(root), "%s/registry", l->path);
	r = master_reg_zk_open(l->zh, root, l->mine, l->registry_acl,
			       (unsigned)m->flags->max_completed_tasks, &m->registry, err,
			       sizeof(err));
	if (r < 0) {
		log_error("cannot open the registry in ZooKeeper '%s': %s", root, err);
		return r;
	}
	r = master_registry_recover(m, root);
	if (r < 0)
		return r;
	l->leading = true;
	l->elected_ns = now_mono_ns();
	m->started_ns = l->elected_ns; /* agents get --agent-reregister-timeout from now */
	publish(l, true);
	log_info("elected the leading master (%s, %s)", l->mine, l->address);
	master_request_allocation(m);
	return 0;
}

/* Look at the members: lead when ours is the lowest, else watch our predecessor. */
static void check(struct master *m)
{
	struct master_leader *l = m->leader;
	struct String_vector sv = {0};
	const char *name, *pred;
	char path[1100];
	struct Stat st;
	int rc;

	l->need_check = false;
	if (!l->mine && join(m) < 0) {
		l->need_check = true;
		return;
	}
	name = strrchr(l->mine, '/') + 1;
	for (;;) {
		rc = zoo_get_children(l->zh, l->path, 0, &sv);
		if (rc != ZOK) {
			log_warn("zookeeper: cannot list '%s': %s", l->path, zerror(rc));
			l->need_check = true;
			return;
		}
		bool present = false;
		for (int i = 0; i < sv.count; i++)
			present = present || strcmp(sv.data[i], name) == 0;
		if (!present) {
			deallocate_String_vector(&sv);
			master_leader_step_down(m, "our election znode is gone");
			return;
		}
		pred = zk_member_predecessor(sv.data, sv.count, name);
		if (!pred) {
			deallocate_String_vector(&sv);
			if (!l->leading && become_leader(m) < 0)
				master_leader_step_down(m, "cannot recover the registry");
			return;
		}
		snprintf(path, sizeof(path), "%s/%s", l->path, pred);
		deallocate_String_vector(&sv);
		rc = zoo_wexists(l->zh, path, on_zk_event, m, &st);
		if (rc == ZOK) {
			if (l->leading) /* cannot happen: a lower member appeared */
				master_leader_step_down(m, "a lower member appeared");
			else
				log_info("zookeeper: following; watching '%s'", path);
			return;
		}
		if (rc != ZNONODE) {
			log_warn("zookeeper: cannot watch '%s': %s", path, zerror(rc));
			l->need_check = true;
			return;
		}
		/* the predecessor went meanwhile: look again */
	}
}

static void on_lost(struct loop *lp, struct loop_timer *t, void *data)
{
	struct master *m = data;

	loop_timer_stop(t);
	if (m->leader->leading)
		master_leader_step_down(m, "disconnected from ZooKeeper for 2/3 of the session "
					   "timeout");
}

void master_leader_event(struct master *m, int type, int state)
{
	struct master_leader *l = m->leader;
	int64_t timeout = m->flags->zk_session_timeout_ns;

	if (!l || m->restart)
		return;
	if (type != ZOO_SESSION_EVENT) {
		check(m); /* our predecessor went (or changed) */
		return;
	}
	if (state == ZOO_CONNECTED_STATE) {
		loop_timer_stop(l->lost_timer);
		log_info("zookeeper: session established with %s", l->hosts);
		check(m);
	} else if (state == ZOO_CONNECTING_STATE) {
		log_warn("zookeeper: disconnected from %s", l->hosts);
		if (l->leading)
			loop_timer_set(l->lost_timer, timeout * 2 / 3, 0);
	} else if (state == ZOO_EXPIRED_SESSION_STATE) {
		master_leader_step_down(m, "the ZooKeeper session expired");
	} else if (state == ZOO_AUTH_FAILED_STATE) {
		master_leader_step_down(m, "ZooKeeper authentication failed");
	}
}

void master_leader_tick(struct master *m)
{
	struct master_leader *l = m->leader;

	if (!l || m->restart)
		return;
	zk_watch_poll(l->watch);
	if (l->need_check && zoo_state(l->zh) == ZOO_CONNECTED_STATE)
		check(m);
}

bool master_leader_elected(const struct master *m)
{
	return !m->leader || m->leader->leading;
}

bool master_leader_redirect(struct master *m, struct http_request *req)
{
	struct master_leader *l = m->leader;
	char loc[1200], *addr;
	const char *hdrs[3] = {"Location", loc, NULL};
	bool leading;

	if (!l)
		return false;
	pthread_mutex_lock(&l->lock);
	leading = l->leading_pub;
	pthread_mutex_unlock(&l->lock);
	if (leading)
		return false;
	addr = zk_watch_leader(l->watch);
	if (!addr || strcmp(addr, l->address) == 0) {
		master_count_status(m, 503);
		http_reply_error(req, 503, "no leading master is elected yet");
	} else {
		/* masters of one cluster serve TLS alike: send the client on as it came */
		snprintf(loc, sizeof(loc), "%s://%s%s", m->tls_cert_pem ? "https" : "http", addr,
			 http_request_path(req));
		master_count_status(m, 307);
		http_reply(req, 307, "text/plain", "", 0, hdrs);
	}
	free(addr);
	return true;
}

int master_leader_start(struct master *m)
{
	struct master_leader *l = calloc(1, sizeof(*l));
	char err[ERRLEN];
	int r;

	if (m->flags->registry) {
		free(l);
		return log_error_errno(EINVAL,
				       "option '--registry' cannot be combined with '--zk': "
				       "the registry lives in ZooKeeper then");
	}
	if (!l)
		return log_error_errno(ENOMEM, "out of memory");
	m->leader = l;
	pthread_mutex_init(&l->lock, NULL);
	l->url = strdup(m->flags->zk);
	r = zk_url_parse(m->flags->zk, &l->hosts, &l->path, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "option '--zk': %s", err);
	self_address(m, l->address, sizeof(l->address));
	l->lost_timer = loop_timer_add(m->loop, 0, 0, on_lost, m);
	if (!l->lost_timer)
		return log_error_errno(errno, "cannot create a timer: %m");
	loop_timer_stop(l->lost_timer);
	r = zk_watch_new(m->flags->zk, (int)(m->flags->zk_session_timeout_ns / 1000000), NULL, NULL,
			 &l->watch, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "%s", err);
	zk_client_log_quiet(false);
	l->zh = zookeeper_init(l->hosts, on_zk_event,
			       (int)(m->flags->zk_session_timeout_ns / 1000000), NULL, m, 0);
	if (!l->zh)
		return log_error_errno(errno, "cannot start a ZooKeeper session with '%s': %m",
				       l->hosts);
	r = add_auth(m);
	if (r < 0)
		return r;
	log_info("zookeeper: %s, election and registry under '%s', session timeout %.1fs", l->hosts,
		 l->path, (double)m->flags->zk_session_timeout_ns / 1e9);
	return 0;
}

void master_leader_stop(struct master *m)
{
	struct master_leader *l = m->leader;

	json_decref(m->info);
	m->info = NULL;
	if (!l)
		return;
	/* the registry uses the session: it goes first */
	master_registry_close(m);
	if (l->zh)
		zookeeper_close(l->zh); /* ends the session: our znode goes at once */
	zk_watch_free(l->watch);
	if (l->lost_timer)
		loop_timer_del(m->loop, l->lost_timer);
	pthread_mutex_destroy(&l->lock);
	free(l->mine);
	free(l->url);
	free(l->hosts);
	free(l->path);
	free(l);
	m->leader = NULL;
}
