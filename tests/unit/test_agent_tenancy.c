// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's trust boundaries between tasks (docs/security.md, "Between tasks"): the
 * dynamic uid pool (range, allocation, release, the JSON it is kept in), the tasks' limits
 * read from a TaskInfo (MiB to bytes without overflow) and their cap, the devices
 * allowlist, the API's caller uid (the socket table's parser, and a real loopback
 * connection made as another uid), and the seccomp filter itself (installed in a child: a new user namespace
 * fails with EPERM, clone3 with ENOSYS, keyctl with EPERM; fork still works).
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <cmocka.h>

#include "agentd/api_peer.h"
#include "agentd/bpf_devices.h"
#include "agentd/seccomp.h"
#include "agentd/task_limits.h"
#include "agentd/uid_pool.h"
#include "devices.h"

/* ---------------------------------------------------------------- uid pool */

static void test_uid_range(void **state)
{
	uint32_t a, b;

	assert_int_equal(agent_uid_range_parse("6100000-6165535", &a, &b), 0);
	assert_int_equal(a, 6100000);
	assert_int_equal(b, 6165535);
	assert_int_equal(agent_uid_range_parse("7-7", &a, &b), 0);
	assert_int_equal(agent_uid_range_parse("0-10", &a, &b), -EINVAL);
	assert_int_equal(agent_uid_range_parse("10-9", &a, &b), -EINVAL);
	assert_int_equal(agent_uid_range_parse("10-", &a, &b), -EINVAL);
	assert_int_equal(agent_uid_range_parse("-10", &a, &b), -EINVAL);
	assert_int_equal(agent_uid_range_parse("1-4294967295", &a, &b), -EINVAL);
	assert_int_equal(agent_uid_range_parse("1-10x", &a, &b), -EINVAL);
	assert_int_equal(agent_uid_range_parse("", &a, &b), -EINVAL);
}

static bool odd_taken(uint32_t uid, void *data)
{
	(*(int *)data)++;
	return uid % 2 == 1;
}

static void test_uid_pool(void **state)
{
	struct agent_uid_pool p;
	uint32_t u1, u2, u3;
	int calls = 0;
	char *s;

	agent_uid_pool_init(&p, 100, 103);
	/* one uid per framework, the same one again, never one taken() refuses */
	assert_int_equal(agent_uid_pool_get(&p, "fw1", odd_taken, &calls, &u1), 0);
	assert_int_equal(u1, 100);
	assert_int_equal(agent_uid_pool_get(&p, "fw2", odd_taken, &calls, &u2), 0);
	assert_int_equal(u2, 102);
	assert_int_equal(agent_uid_pool_get(&p, "fw1", odd_taken, &calls, &u3), 0);
	assert_int_equal(u3, 100);
	assert_int_equal(agent_uid_pool_get(&p, "fw3", odd_taken, &calls, &u3), -ENOSPC);
	assert_true(calls > 0);
	/* released, it is handed out again */
	assert_true(agent_uid_pool_put(&p, "fw1"));
	assert_false(agent_uid_pool_put(&p, "fw1"));
	assert_int_equal(agent_uid_pool_lookup(&p, "fw1"), 0);
	assert_int_equal(agent_uid_pool_get(&p, "fw3", NULL, NULL, &u3), 0);
	assert_int_equal(u3, 100);

	/* the file's JSON round-trips: a restarted agent maps fw2 to the same uid */
	s = agent_uid_pool_dump_json(&p);
	assert_non_null(s);
	agent_uid_pool_clear(&p);
	agent_uid_pool_init(&p, 100, 103);
	assert_int_equal(agent_uid_pool_load_json(&p, s, strlen(s), NULL, 0), 0);
	free(s);
	assert_int_equal(agent_uid_pool_lookup(&p, "fw2"), 102);
	assert_int_equal(agent_uid_pool_lookup(&p, "fw3"), 100);
	agent_uid_pool_clear(&p);
}

static void test_uid_pool_json(void **state)
{
	struct agent_uid_pool p;
	char err[128];
	const char *t;

	agent_uid_pool_init(&p, 100, 103);
	/* outside the range, twice the same uid, not a number, an empty ID: dropped */
	t = "{\"frameworks\":{\"a\":101,\"b\":101,\"c\":99,\"d\":104,\"e\":\"102\",\"\":102,"
	    "\"f\":103}}";
	assert_int_equal(agent_uid_pool_load_json(&p, t, strlen(t), err, sizeof(err)), 0);
	assert_int_equal(strmap_size(&p.fw), 2);
	assert_int_equal(agent_uid_pool_lookup(&p, "f"), 103);
	assert_true(agent_uid_pool_lookup(&p, "a") == 101 || agent_uid_pool_lookup(&p, "b") == 101);
	t = "[1]";
	assert_int_equal(agent_uid_pool_load_json(&p, t, strlen(t), err, sizeof(err)), -EINVAL);
	t = "{\"frameworks\":";
	assert_int_equal(agent_uid_pool_load_json(&p, t, strlen(t), err, sizeof(err)), -EINVAL);
	agent_uid_pool_clear(&p);
}

/* ---------------------------------------------------------------- API peers */

static void test_peer_table(void **state)
{
	/* 127.0.0.1:40000 -> 127.0.0.1:5051 owned by 6100000; the agent's side owned by 0 */
	const char *v4 =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
		"   0: 0100007F:13BB 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0 0 1\n"
		"   1: 0100007F:9C40 0100007F:13BB 01 00000000:00000000 00:00000000 00000000 6100000 0 2\n"
		"   2: 0100007F:9C41 0100007F:13BB 06 00000000:00000000 00:00000000 00000000    7 0 3\n";
	const char *v6 =
		"   0: 00000000000000000000000001000000:9C40 00000000000000000000000001000000:13BB 01 "
		"00000000:00000000 00:00000000 00000000  1234 0 9\n";
	struct agent_peer_end them = {.addr = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1},
				      .port = 40000},
			      us = {.addr = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1},
				    .port = 5051};
	uint32_t uid = 99;

	assert_int_equal(agent_peer_table_find(v4, &them, &us, &uid), 0);
	assert_int_equal(uid, 6100000);
	/* our own side is not the caller's; a TIME_WAIT line does not count */
	assert_int_equal(agent_peer_table_find(v4, &us, &them, &uid), 0);
	assert_int_equal(uid, 0);
	them.port = 40001;
	assert_int_equal(agent_peer_table_find(v4, &them, &us, &uid), -ENOENT);
	/* ::1 */
	memset(&them.addr, 0, 16);
	them.addr[15] = 1;
	them.port = 40000;
	us.addr[10] = us.addr[11] = us.addr[12] = 0;
	assert_int_equal(agent_peer_table_find(v6, &them, &us, &uid), 0);
	assert_int_equal(uid, 1234);
	assert_int_equal(agent_peer_table_find("garbage\n\n:", &them, &us, &uid), -ENOENT);
}

/* An IPv4 endpoint as agent_peer_end has it (::ffff:a.b.c.d). */
static void end_v4(const struct sockaddr_in *sa, struct agent_peer_end *e)
{
	memset(e, 0, sizeof(*e));
	e->addr[10] = e->addr[11] = 0xff;
	memcpy(e->addr + 12, &sa->sin_addr, 4);
	e->port = ntohs(sa->sin_port);
}

/*
 * sock_diag finds the other end of accepted socket c (owned by `as`) by its four-tuple, and
 * nothing for a four-tuple no connection has. SKIP (printed) where the kernel has no TCP
 * sock_diag: agent_api_peer_uid() reads the tables there.
 */
static void check_diag(int c, uid_t as)
{
	struct sockaddr_in me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	struct agent_peer_end us, them;
	uint32_t uid = 12345;
	int r;

	assert_int_equal(getsockname(c, (struct sockaddr *)&me, &ml), 0);
	assert_int_equal(getpeername(c, (struct sockaddr *)&peer, &pl), 0);
	end_v4(&me, &us);
	end_v4(&peer, &them);
	r = agent_peer_diag_find(&them, &us, &uid);
	if (r == -EPROTONOSUPPORT) {
		printf("SKIP sock_diag: this kernel has no TCP sock_diag\n");
		return;
	}
	assert_int_equal(r, 0);
	assert_int_equal(uid, as);
	/* the same ends the other way round: our own socket, owned by us */
	assert_int_equal(agent_peer_diag_find(&us, &them, &uid), 0);
	assert_int_equal(uid, geteuid());
	them.port = them.port == 1 ? 2 : 1; /* no such connection */
	assert_int_equal(agent_peer_diag_find(&them, &us, &uid), -ENOENT);
}

/* The uid of a loopback connection's other end, made by a child as uid `as`. */
static void check_peer(uid_t as)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c, status;
	uint32_t uid = 12345;
	pid_t pid;

	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	pid = fork();
	if (pid == 0) {
		int s;
		char b;

		if (as != geteuid() && setresuid(as, as, as) < 0)
			_exit(1);
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(2);
		(void)!read(s, &b, 1); /* until the parent has looked */
		_exit(0);
	}
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c >= 0);
	assert_int_equal(agent_api_peer_uid(c, &uid), 0);
	assert_int_equal(uid, as);
	check_diag(c, as);
	close(c);
	close(l);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_peer_uid(void **state)
{
	check_peer(geteuid());
	if (geteuid() == 0)
		check_peer(65534);
	assert_int_equal(agent_api_peer_uid(-1, NULL), -EBADF);
}

/* ---------------------------------------------------------------- limits */

static json_t *info(const char *limits)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"limits\": %s}", limits);
	return json_loads(buf, 0, NULL);
}

static int limits_of(const char *limits, const char *res_text, struct agent_task_limits *lim)
{
	struct alloc_res res = ALLOC_RES_INIT;
	json_t *ti = info(limits);
	char err[256];
	int r;

	assert_int_equal(alloc_res_parse(res_text, &res, err, sizeof(err)), 0);
	r = agent_task_limits_from_json(ti, &res, lim, err, sizeof(err));
	json_decref(ti);
	alloc_res_clear(&res);
	return r;
}

static void test_mib_to_bytes(void **state)
{
	uint64_t b;

	assert_int_equal(agent_mib_to_bytes(1, &b), 0);
	assert_true(b == 1048576);
	assert_int_equal(agent_mib_to_bytes(0.5, &b), 0);
	assert_true(b == 524288);
	assert_int_equal(agent_mib_to_bytes(INFINITY, &b), 0);
	assert_true(b == AGENT_MEM_UNLIMITED);
	/* 2^70 MiB: no undefined cast, and the check refuses it as absurd */
	assert_int_equal(agent_mib_to_bytes(1180591620717411303424.0, &b), 0);
	assert_true(b > (1ULL << 62) && b != AGENT_MEM_UNLIMITED);
	assert_int_equal(agent_mib_to_bytes(1e300, &b), 0);
	assert_true(b > (1ULL << 62) && b != AGENT_MEM_UNLIMITED);
	assert_int_equal(agent_mib_to_bytes(-1, &b), -EINVAL);
	assert_int_equal(agent_mib_to_bytes(NAN, &b), -EINVAL);
}

static void test_limits_from_json(void **state)
{
	struct agent_task_limits lim;
	char err[256];

	assert_int_equal(limits_of("{\"cpus\": {\"value\": 2}, \"mem\": 256}", "cpus:0.5;mem:128",
				   &lim),
			 0);
	assert_true(lim.cpus == 0.5 && lim.cpus_limit == 2);
	assert_true(lim.mem_bytes == 128ULL << 20 && lim.mem_limit_bytes == 256ULL << 20);
	assert_int_equal(limits_of("{\"mem\": 1e300}", "mem:128", &lim), 0);
	assert_int_equal(agent_task_limits_check(&lim, err, sizeof(err)), -EINVAL);
	assert_int_equal(limits_of("{\"mem\": -1}", "mem:128", &lim), -EINVAL);
	assert_int_equal(limits_of("{\"cpus\": \"2\"}", "mem:128", &lim), -EINVAL);
	assert_int_equal(limits_of("{}", "mem:128", &lim), 0);
	assert_true(lim.cpus_limit == 0 && lim.mem_limit_bytes == 0);
}

static void test_limits_cap(void **state)
{
	struct agent_task_limits lim = {.cpus = 1, .cpus_limit = 4, .mem_bytes = 64ULL << 20,
					.mem_limit_bytes = 1024ULL << 20};
	char err[256];

	/* an agent of 2 cpus and 1 GiB: 4 cpus are over ratio 1, under ratio 2 */
	assert_int_equal(agent_task_limits_cap(&lim, 2, 1024ULL << 20, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cpus limit"));
	assert_int_equal(agent_task_limits_cap(&lim, 2, 1024ULL << 20, 2, err, sizeof(err)), 0);
	lim.cpus_limit = 2;
	lim.mem_limit_bytes = 2048ULL << 20;
	assert_int_equal(agent_task_limits_cap(&lim, 2, 1024ULL << 20, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "mem limit"));
	lim.mem_limit_bytes = AGENT_MEM_UNLIMITED;
	assert_int_equal(agent_task_limits_cap(&lim, 2, 1024ULL << 20, 1, err, sizeof(err)), -EINVAL);
	lim.cpus_limit = INFINITY;
	lim.mem_limit_bytes = 0;
	assert_int_equal(agent_task_limits_cap(&lim, 2, 1024ULL << 20, 1, err, sizeof(err)), -EINVAL);
	/* ratio 0: no cap */
	assert_int_equal(agent_task_limits_cap(&lim, 2, 1024ULL << 20, 0, err, sizeof(err)), 0);
}

/* ---------------------------------------------------------------- devices */

static void test_devices_covered(void **state)
{
	const char *allow = "c 10:200 rwm; c 195:* rw";

	assert_int_equal(bpf_devices_rule_covered(allow, 'c', 10, 200, DEV_ACC_READ), 1);
	assert_int_equal(bpf_devices_rule_covered(allow, 'c', 195, 3, DEV_ACC_READ | DEV_ACC_WRITE),
			 1);
	assert_int_equal(bpf_devices_rule_covered(allow, 'c', 195, DEV_ANY_MINOR, DEV_ACC_READ), 1);
	/* more access, another type, another major or minor: not covered */
	assert_int_equal(bpf_devices_rule_covered(allow, 'c', 195, 3, DEV_ACC_MKNOD), 0);
	assert_int_equal(bpf_devices_rule_covered(allow, 'b', 10, 200, DEV_ACC_READ), 0);
	assert_int_equal(bpf_devices_rule_covered(allow, 'c', 10, 201, DEV_ACC_READ), 0);
	assert_int_equal(bpf_devices_rule_covered(allow, 'c', 10, DEV_ANY_MINOR, DEV_ACC_READ), 0);
	/* no allowlist allows nothing (block devices included) */
	assert_int_equal(bpf_devices_rule_covered("", 'b', 8, 0, DEV_ACC_READ), 0);
	assert_int_equal(bpf_devices_rule_covered(NULL, 'b', 8, 0, DEV_ACC_READ), 0);
	assert_int_equal(bpf_devices_rule_covered("x 1:2 r", 'c', 1, 2, DEV_ACC_READ), -EINVAL);
}

/* ---------------------------------------------------------------- seccomp */

static int run_filtered(const struct sock_fprog *prog, int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
			_exit(100);
		_exit(fn());
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

/* exit codes: 0 what the filter should do, 1.. what it should not */
static int try_unshare_userns(void)
{
	return unshare(CLONE_NEWUSER) < 0 && errno == EPERM ? 0 : 1;
}

static int try_clone_userns(void)
{
	long pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0UL, 0UL, 0UL, 0UL);

	if (pid == 0)
		_exit(0);
	return pid < 0 && errno == EPERM ? 0 : 1;
}

static int try_clone3(void)
{
	struct clone_args args = {.exit_signal = SIGCHLD};
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid == 0)
		_exit(0);
	return pid < 0 && errno == ENOSYS ? 0 : 1;
}

static int try_keyctl(void)
{
	return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0) < 0 && errno == EPERM ? 0
											       : 1;
}

static int try_fork(void)
{
	int status;
	pid_t pid = fork(); /* glibc: clone3 fails ENOSYS, it falls back to clone */

	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(0);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? 0 : 2;
}

static void test_seccomp(void **state)
{
	struct sock_fprog prog = {0};

	assert_int_equal(agent_seccomp_build(&prog), 0);
	assert_true(prog.len > 10);
	assert_int_equal(run_filtered(&prog, try_unshare_userns), 0);
	assert_int_equal(run_filtered(&prog, try_clone_userns), 0);
	assert_int_equal(run_filtered(&prog, try_clone3), 0);
	assert_int_equal(run_filtered(&prog, try_keyctl), 0);
	assert_int_equal(run_filtered(&prog, try_fork), 0);
	agent_seccomp_free(&prog);
	assert_null(prog.filter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uid_range),
		cmocka_unit_test(test_uid_pool),
		cmocka_unit_test(test_uid_pool_json),
		cmocka_unit_test(test_peer_table),
		cmocka_unit_test(test_peer_uid),
		cmocka_unit_test(test_mib_to_bytes),
		cmocka_unit_test(test_limits_from_json),
		cmocka_unit_test(test_limits_cap),
		cmocka_unit_test(test_devices_covered),
		cmocka_unit_test(test_seccomp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
