// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "api.h"
#include "api_peer.h"
#include "codec.h"
#include "escape.h"
#include "files.h"
#include "http_auth.h"
#include "http_server.h"
#include "isolator.h"
#include "legacy.h"
#include "log.h"
#include "mesos/v1/agent/agent.pb-c.h"
#include "version.h"

struct api_req {
	struct api_req *next;
	struct http_request *req;
	json_t *body; /* NULL: GET /metrics */
	enum codec accept; /* the answer's (lib/codec.h) */
	struct agent_files_query *files; /* GET /files/...: its arguments (files.h) */
	bool executor; /* POST /api/v1/executor (executor_api.c) */
	char *bearer;  /* its bearer token, copied on the HTTP thread */
};

struct agent_api {
	struct http_server *srv;
	pthread_mutex_t lock;
	struct api_req *head, *tail;
};

/* Calls that name nothing about tasks: open to every caller (as /health). HTTP thread. */
static bool call_is_public(const char *path, json_t *body)
{
	const char *type = json_string_value(json_object_get(body, "type"));

	return (strcmp(path, "/api/v1") == 0 &&
		(streq(type, "GET_HEALTH") || streq(type, "GET_VERSION"))) ||
	       strcmp(path, "/version") == 0;
}

/*
 * Without --api-credentials, task data (IDs, sandboxes, pids, usage, /metrics) goes only to
 * a caller on this host whose socket belongs to root or to the agent's own uid: a task
 * (another uid) cannot read its neighbours' (docs/security.md). 403 otherwise. Runs on
 * the HTTP thread.
 */
static bool peer_may_read(struct http_request *req)
{
	uint32_t uid;
	int r = agent_api_peer_uid(http_request_socket(req), &uid);

	if (r == 0 && (uid == 0 || uid == (uint32_t)geteuid()))
		return true;
	if (r == 0)
		http_reply_error(req, 403,
				 "the agent's API serves task data to root on this host only (the "
				 "caller's uid is %u); give the agent --api-credentials to serve "
				 "others",
				 uid);
	else
		http_reply_error(req, 403,
				 "the agent's API serves task data to root on this host only (%s); "
				 "give the agent --api-credentials to serve others",
				 r == -EADDRNOTAVAIL ? "the caller is not on this host"
						     : "the caller's uid is unknown");
	return false;
}

/* HTTP thread: hand req (and body, taken) to on_wake(), on the loop. */
static void queue_request(struct agent *a, struct http_request *req, json_t *body,
			  struct agent_files_query *files, enum codec accept, bool executor)
{
	struct agent_api *api = a->api;
	const char *bearer = executor ? http_request_bearer(req) : NULL;
	struct api_req *r = calloc(1, sizeof(*r));

	if (!r || (bearer && !(r->bearer = strdup(bearer)))) {
		free(r);
		json_decref(body);
		agent_files_query_free(files);
		http_reply_error(req, 503, "out of memory");
		return;
	}
	r->req = req;
	r->body = body;
	r->files = files;
	r->accept = accept;
	r->executor = executor;
	pthread_mutex_lock(&api->lock);
	if (api->tail)
		api->tail->next = r;
	else
		api->head = r;
	api->tail = r;
	pthread_mutex_unlock(&api->lock);
	loop_wakeup(a->loop);
}

/*
 * On the HTTP server's thread: /health, authentication, parsing and refusals are answered
 * here; every other request is queued for on_wake(), on the loop, which owns the state
 * (this thread reads only what agent_init set: the credentials and flags).
 */
static void handler(struct http_request *req, void *data)
{
	struct agent *a = data;
	const char *path = http_request_path(req), *method = http_request_method(req);
	struct agent_files_query *files = NULL;
	json_t *body = NULL;
	enum codec codec, accept = CODEC_JSON;

	if (strcmp(path, "/health") == 0) {
		http_reply_error(req, 200, "OK");
		return;
	}
	if (strcmp(path, "/api/v1/executor") == 0) { /* its own token, not --api-credentials */
		body = agent_executor_api_parse(req, &accept);
		if (body)
			queue_request(a, req, body, NULL, accept, true);
		return;
	}
	if (a->api_auth) { /* --api-credentials: the same check as the master's API */
		char *principal = NULL;
		if (http_authenticate(&a->api_creds, req, "drover-agent", &principal) < 0)
			return;
		free(principal);
	}
	if (strcmp(path, "/metrics") == 0 && strcmp(method, "GET") == 0) {
		/* answered on the loop */
	} else if (strcmp(path, "/api/v1") == 0 && strcmp(method, "POST") == 0) {
		/* either codec in (Content-Type), either out (Accept), as Mesos's agent */
		char err[CODEC_ERR_LEN];
		int rc = codec_read_request(req, &mesos__v1__agent__call__descriptor, &codec, &body,
					    err, sizeof(err));
		if (rc == 0 && !json_is_string(json_object_get(body, "type"))) {
			rc = 400;
			snprintf(err, sizeof(err),
				 "Failed to validate agent::Call: 'type' must be a string naming a "
				 "known call type");
		}
		if (rc == 0)
			rc = codec_negotiate(http_request_header(req, "Accept"), &accept, err,
					     sizeof(err));
		if (rc != 0) {
			json_decref(body);
			http_reply_error(req, rc > 0 ? (unsigned)rc : 503, "%s",
					 rc > 0 ? err : "out of memory");
			return;
		}
	} else if (agent_legacy_match(req, &body)) { /* /state, /monitor/statistics... */
		if (!body)
			return; /* answered: 405, 400 */
	} else if (agent_files_endpoint(path)) {
		files = agent_files_query_new(req);
		if (!files)
			return; /* answered */
	} else {
		http_reply_error(req, 404, "No endpoint '%s %s'", method, path);
		return;
	}
	if (!a->api_auth && !call_is_public(path, body) && !peer_may_read(req)) {
		json_decref(body);
		agent_files_query_free(files);
		return;
	}
	queue_request(a, req, body, files, accept, false);
}

static json_t *usage_json(const struct agent_task_usage *u)
{
	json_t *j = json_object();

	if (u->valid & AGENT_USAGE_CPU) {
		json_object_set_new(j, "cpu_usage_ns", json_integer((json_int_t)u->cpu_usage_usec * 1000));
		json_object_set_new(j, "cpu_user_ns", json_integer((json_int_t)u->cpu_user_usec * 1000));
		json_object_set_new(j, "cpu_system_ns",
				    json_integer((json_int_t)u->cpu_system_usec * 1000));
	}
	if (u->valid & AGENT_USAGE_CPU_THROTTLE) {
		json_object_set_new(j, "cpu_nr_throttled", json_integer((json_int_t)u->cpu_nr_throttled));
		json_object_set_new(j, "cpu_throttled_ns",
				    json_integer((json_int_t)u->cpu_throttled_usec * 1000));
	}
	if (u->valid & AGENT_USAGE_MEM)
		json_object_set_new(j, "mem_current_bytes", json_integer((json_int_t)u->mem_current));
	if (u->valid & AGENT_USAGE_MEM_PEAK)
		json_object_set_new(j, "mem_peak_bytes", json_integer((json_int_t)u->mem_peak));
	if (u->valid & AGENT_USAGE_MEM_EVENTS)
		json_object_set_new(j, "oom_kills", json_integer((json_int_t)u->mem_events_oom_kill));
	if (u->valid & AGENT_USAGE_PIDS)
		json_object_set_new(j, "pids_current", json_integer((json_int_t)u->pids_current));
	return j;
}

/*
 * A container's `usage`: the last BPF sample's figures (exact, no file read), and from
 * cgroupfs only what the sample does not have (pids, or everything without BPF).
 */
json_t *agent_api_task_usage(struct agent *a, struct agent_task *t)
{
	struct agent_task_usage u;
	json_t *bpf = json_object(), *j;
	unsigned skip = 0;

	memset(&u, 0, sizeof(u));
	if (t->cgroup_fd >= 0 && bpf) {
		agent_bpf_usage_json(a->bpf, t->cgroup_fd, bpf);
		if (json_object_get(bpf, "cpu_usage_ns"))
			skip |= AGENT_CTRL_BIT(AGENT_CTRL_CPU);
		if (json_object_get(bpf, "mem_current_bytes"))
			skip |= AGENT_CTRL_BIT(AGENT_CTRL_MEMORY);
		agent_isolators_usage(&a->iso_ctx, t->cgroup_fd, skip, &u);
	}
	j = usage_json(&u);
	if (bpf)
		json_object_update(j, bpf); /* BPF's figures over cgroupfs' */
	json_decref(bpf);
	return j;
}

/*
 * 200 with j (taken, an agent::Response) in the negotiated codec. An answer Drover does
 * not yet give in Mesos's shape has no protobuf form: 406 then (docs/api.md).
 */
static void reply(struct api_req *r, json_t *j)
{
	const ProtobufCMessageDescriptor *d = &mesos__v1__agent__response__descriptor;
	char err[CODEC_ERR_LEN];
	char *s = NULL;
	size_t n = 0;

	if (!j || codec_encode(r->accept, d, j, &s, &n, err, sizeof(err)) < 0) {
		if (j && r->accept == CODEC_PROTOBUF)
			http_reply_error(r->req, 406,
					 "This answer is not available as %s (%s); ask for %s",
					 CODEC_PROTOBUF_TYPE, err, CODEC_JSON_TYPE);
		else
			http_reply_error(r->req, 503, "out of memory");
		json_decref(j);
		return;
	}
	http_reply(r->req, 200, codec_content_type(r->accept), s, n, NULL);
	free(s);
	json_decref(j);
}

static void metrics(struct agent *a, struct http_request *req)
{
	char *buf = NULL;
	size_t len = 0, it;
	FILE *f = open_memstream(&buf, &len);
	int count[TASK_STATE_MAX] = {0};
	void *v;

	if (!f) {
		http_reply_error(req, 503, "out of memory");
		return;
	}
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);)
		count[((struct agent_task *)v)->state]++;
	fprintf(f, "# TYPE drover_agent_tasks gauge\n");
	for (int s = 0; s < TASK_STATE_MAX; s++)
		fprintf(f, "drover_agent_tasks{state=\"%s\"} %d\n", task_state_name(s), count[s]);
	fprintf(f, "# TYPE drover_agent_subscribed gauge\ndrover_agent_subscribed %d\n",
		a->subscribed);
	fprintf(f, "# TYPE drover_agent_task_cpu_seconds_total counter\n"
		   "# TYPE drover_agent_task_memory_bytes gauge\n"
		   "# TYPE drover_agent_task_oom_kills_total counter\n");
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		json_t *u = agent_api_task_usage(a, t), *n;
		char fw_id[2 * ID_MAX_LEN + 1], id[2 * ID_MAX_LEN + 1]; /* label values */
		escape_prom_label(t->fw_id, fw_id, sizeof(fw_id));
		escape_prom_label(t->id, id, sizeof(id));
		if ((n = json_object_get(u, "cpu_usage_ns")))
			fprintf(f, "drover_agent_task_cpu_seconds_total{framework=\"%s\",task=\"%s\"} %.9f\n",
				fw_id, id, (double)json_integer_value(n) / 1e9);
		if ((n = json_object_get(u, "mem_current_bytes")))
			fprintf(f, "drover_agent_task_memory_bytes{framework=\"%s\",task=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
				fw_id, id, json_integer_value(n));
		if ((n = json_object_get(u, "oom_kills")))
			fprintf(f, "drover_agent_task_oom_kills_total{framework=\"%s\",task=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
				fw_id, id, json_integer_value(n));
		json_decref(u);
		if (t->cgroup_fd >= 0) {
			char labels[4 * ID_MAX_LEN + 32];
			snprintf(labels, sizeof(labels), "framework=\"%s\",task=\"%s\"", fw_id, id);
			agent_bpf_metrics(a->bpf, t->cgroup_fd, labels, f);
		}
	}
	fclose(f);
	http_reply(req, 200, "text/plain; version=0.0.4", buf, len, NULL);
	free(buf);
}

/* "GET_STATE" -> "get_state": a Response's member for its type. */
static const char *key_of(const char *type, char *buf, size_t len)
{
	size_t i;

	for (i = 0; type[i] && i + 1 < len; i++)
		buf[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] - 'A' + 'a' : type[i]);
	buf[i] = '\0';
	return buf;
}

/* The payload of an agent operator read call (api_state.c), NULL when type is none. */
static json_t *read_call(struct agent *a, const char *type)
{
	if (streq(type, "GET_HEALTH"))
		return json_pack("{s:b}", "healthy", 1);
	if (streq(type, "GET_VERSION"))
		return json_pack("{s:o}", "version_info", version_info_json());
	if (streq(type, "GET_FLAGS"))
		return agent_api_get_flags(a);
	if (streq(type, "GET_METRICS"))
		return agent_api_get_metrics(a);
	if (streq(type, "GET_LOGGING_LEVEL"))
		return agent_api_get_logging_level();
	if (streq(type, "GET_STATE"))
		return agent_api_get_state(a);
	if (streq(type, "GET_CONTAINERS"))
		return agent_api_get_containers(a);
	if (streq(type, "GET_FRAMEWORKS"))
		return agent_api_get_frameworks(a);
	if (streq(type, "GET_EXECUTORS"))
		return agent_api_get_executors(a);
	if (streq(type, "GET_TASKS"))
		return agent_api_get_tasks(a);
	if (streq(type, "GET_AGENT"))
		return agent_api_get_agent(a);
	return NULL;
}

/* The loop thread: answer what handler() queued. */
static void on_wake(struct loop *l, void *data)
{
	struct agent *a = data;
	struct agent_api *api = a->api;

	for (;;) {
		struct api_req *r;
		const char *type;
		char key[32];
		json_t *payload;

		pthread_mutex_lock(&api->lock);
		r = api->head;
		if (r) {
			api->head = r->next;
			if (!api->head)
				api->tail = NULL;
		}
		pthread_mutex_unlock(&api->lock);
		if (!r)
			break;
		type = json_string_value(json_object_get(r->body, "type"));
		if (r->executor)
			agent_executor_api_call(a, r->req, r->body, r->bearer, r->accept);
		else if (r->files)
			agent_files_answer(a, r->req, TAKE_PTR(r->files));
		else if (!r->body)
			metrics(a, r->req);
		else if (json_object_get(r->body, "legacy"))
			agent_legacy_reply(a, r->req, r->body);
		else if (streq(type, "READ_FILE") || streq(type, "LIST_FILES")) {
			if ((payload = agent_files_call(a, r->req, r->body)))
				reply(r, payload);
		}
		else if ((payload = read_call(a, type)))
			reply(r, wire_event(type, key_of(type, key, sizeof(key)), payload));
		else
			http_reply_error(r->req, 400,
					 "Failed to validate agent::Call: call type '%s' is not supported",
					 type);
		json_decref(r->body);
		free(r->bearer);
		free(r);
	}
}

int agent_api_start(struct agent *a)
{
	struct http_server_config hc = {
		.listen = a->flags->listen,
		.max_body = 1 << 20,
		.handler = handler,
		.handler_data = a,
	};
	struct agent_api *api = calloc(1, sizeof(*api));
	int r;

	if (!api)
		return -ENOMEM;
	pthread_mutex_init(&api->lock, NULL);
	a->api = api;
	loop_set_wake(a->loop, on_wake, a);
	hc.tls_cert_pem = a->tls_cert_pem;
	hc.tls_key_pem = a->tls_key_pem;
	r = http_server_start(&hc, &api->srv);
	if (r < 0)
		return log_error_errno(r, "cannot listen on '%s': %m", a->flags->listen);
	return 0;
}

void agent_api_stop(struct agent *a)
{
	struct agent_api *api = a->api;

	if (!api)
		return;
	while (api->head) { /* the server answers these 503 */
		struct api_req *r = api->head;
		api->head = r->next;
		json_decref(r->body);
		agent_files_query_free(r->files);
		free(r->bearer);
		free(r);
	}
	http_server_stop(api->srv);
	pthread_mutex_destroy(&api->lock);
	free(api);
	a->api = NULL;
}

unsigned agent_api_port(const struct agent *a)
{
	return a->api && a->api->srv ? http_server_port(a->api->srv) : 0;
}
