// SPDX-License-Identifier: Apache-2.0
/*
 * drover-health-probe: the HTTP and TCP health checks' probe (agentd/health.h). A task's
 * supervisor execs it as the task's user, in the task's cgroup and network namespace:
 *
 *	drover-health-probe http URL TIMEOUT_S   GET URL with libcurl, redirects followed, the
 *	                                         certificate not verified (a loopback target,
 *	                                         as Mesos's curl -k); 200-399 is success
 *	drover-health-probe tcp HOST:PORT TIMEOUT_S   connect() succeeds
 *
 * TIMEOUT_S 0: no limit of its own (the supervisor still enforces the check's timeout).
 * Exit status: 0 healthy, 1 an HTTP status outside 200-399, 2 no connection (or the
 * transfer failed or timed out), 64 usage. Nothing is printed: its output goes nowhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <curl/curl.h>

enum { PROBE_OK = 0, PROBE_STATUS = 1, PROBE_CONNECT = 2, PROBE_USAGE = 64 };

#ifdef __SANITIZE_ADDRESS__
const char *__asan_default_options(void);
/*
 * The probe runs under the task's seccomp filter, which denies ptrace: LeakSanitizer
 * could not stop the world at exit and would turn every result into a failure.
 */
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static size_t discard(char *ptr, size_t size, size_t n, void *data)
{
	return size * n;
}

static int probe_http(const char *url, long timeout_ms)
{
	CURL *c;
	CURLcode rc;
	long status = 0;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return PROBE_CONNECT;
	c = curl_easy_init();
	if (!c)
		return PROBE_CONNECT;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 16L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "drover-health-probe");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	if (rc != CURLE_OK)
		return PROBE_CONNECT;
	return status >= 200 && status <= 399 ? PROBE_OK : PROBE_STATUS;
}

static int probe_tcp(const char *target, long timeout_ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char host[128];
	const char *colon = strrchr(target, ':');
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int fd, err = 0, r;

	if (!colon || (size_t)(colon - target) >= sizeof(host))
		return PROBE_USAGE;
	memcpy(host, target, (size_t)(colon - target));
	host[colon - target] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
		return PROBE_USAGE;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return PROBE_CONNECT;
	}
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (r < 0 && errno != EINPROGRESS) {
		close(fd);
		return PROBE_CONNECT;
	}
	if (r < 0) {
		pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
		do
			r = poll(&pfd, 1, timeout_ms > 0 ? (int)timeout_ms : -1);
		while (r < 0 && errno == EINTR);
		if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
			close(fd);
			return PROBE_CONNECT;
		}
	}
	close(fd);
	return PROBE_OK;
}

int main(int argc, char **argv)
{
	char *end;
	double t;
	long timeout_ms;

	if (argc != 4)
		goto usage;
	t = strtod(argv[3], &end);
	if (end == argv[3] || *end || !(t >= 0) || t > 1e6)
		goto usage;
	timeout_ms = (long)(t * 1000);
	if (strcmp(argv[1], "http") == 0)
		return probe_http(argv[2], timeout_ms);
	if (strcmp(argv[1], "tcp") == 0)
		return probe_tcp(argv[2], timeout_ms);
usage:
	fprintf(stderr,
		"usage: drover-health-probe http URL TIMEOUT_S | tcp HOST:PORT TIMEOUT_S\n");
	return PROBE_USAGE;
}
