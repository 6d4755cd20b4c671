// SPDX-License-Identifier: Apache-2.0
/* agentd/bpf_*: the pure parts (histogram quantiles and deltas, the CPU split, OOM text, device
 * rules). Loading programs needs root and is covered by tests/integration/test_bpf.sh and
 * tests/vm/guest/test_bpf_*.sh. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agentd/bpf_cgstat.h"
#include "agentd/bpf_devices.h"
#include "agentd/bpf_oomkill.h"
#include "agentd/bpf_runqlat.h"

static void test_quantile_empty(void **state)
{
	struct runq_hist h;

	memset(&h, 0, sizeof(h));
	assert_int_equal(bpf_runq_quantile_us(&h, 0.5), 0);
}

static void test_quantile_buckets(void **state)
{
	struct runq_hist h;

	memset(&h, 0, sizeof(h));
	h.slots[2] = 98; /* [4, 8) us */
	h.slots[10] = 2; /* [1024, 2048) us */
	assert_int_equal(bpf_runq_quantile_us(&h, 0.5), 8);
	assert_int_equal(bpf_runq_quantile_us(&h, 0.98), 8);
	assert_int_equal(bpf_runq_quantile_us(&h, 0.99), 2048);
	assert_int_equal(bpf_runq_quantile_us(&h, 1.0), 2048);
}

static void test_delta_and_reset(void **state)
{
	struct runq_hist prev, now, d;
	struct bpf_runq_summary s;

	memset(&prev, 0, sizeof(prev));
	memset(&now, 0, sizeof(now));
	prev.slots[3] = 10;
	prev.total_ns = 1000;
	now.slots[3] = 15;
	now.slots[12] = 1;
	now.total_ns = 9000;
	now.max_ns = 5000000;
	bpf_runq_delta(&now, &prev, &d);
	assert_int_equal(d.slots[3], 5);
	assert_int_equal(d.slots[12], 1);
	assert_int_equal(runq_count(&d), 6);
	assert_int_equal(d.total_ns, 8000);
	bpf_runq_summarize(&now, &prev, &s);
	assert_int_equal(s.count, 6);
	assert_int_equal(s.p50_us, 16);
	assert_int_equal(s.p99_us, 8192);
	assert_int_equal(s.max_us, 5000);
	assert_int_equal(s.total_count, 16);
	/* a histogram that went backwards was reset: count from zero */
	bpf_runq_delta(&prev, &now, &d);
	assert_int_equal(runq_count(&d), 10);
	assert_int_equal(d.slots[3], 10);
	/* no previous sample */
	bpf_runq_summarize(&now, NULL, &s);
	assert_int_equal(s.count, 16);
}

/* The agent's side of the runq_hists table: probing, claiming, forgetting (tombstones). */
static void test_runq_table(void **state)
{
	struct runq_hist *t = calloc(RUNQ_MAX_CGROUPS, sizeof(*t)), *a, *b, *c;
	uint64_t base = 5 * RUNQ_MAX_CGROUPS + 7; /* ids that share a first entry */

	assert_non_null(t);
	assert_null(bpf_runq_entry_find(t, base, false));
	a = bpf_runq_entry_find(t, base, true);
	assert_ptr_equal(a, &t[7]);
	a->cgid = base;
	b = bpf_runq_entry_find(t, base + RUNQ_MAX_CGROUPS, true);
	assert_ptr_equal(b, &t[8]); /* the next one along */
	b->cgid = base + RUNQ_MAX_CGROUPS;
	assert_ptr_equal(bpf_runq_entry_find(t, base + RUNQ_MAX_CGROUPS, false), b);
	/* a forgotten entry keeps the probe going for the ones behind it, and is reused */
	a->cgid = RUNQ_TOMB;
	assert_null(bpf_runq_entry_find(t, base, false));
	assert_ptr_equal(bpf_runq_entry_find(t, base + RUNQ_MAX_CGROUPS, false), b);
	c = bpf_runq_entry_find(t, base + 2 * RUNQ_MAX_CGROUPS, true);
	assert_ptr_equal(c, a);
	/* the last entry wraps around to the first */
	t[RUNQ_MAX_CGROUPS - 1].cgid = RUNQ_MAX_CGROUPS - 1;
	assert_ptr_equal(bpf_runq_entry_find(t, 2 * RUNQ_MAX_CGROUPS - 1, true), &t[0]);
	/* no room within RUNQ_PROBES entries */
	for (int i = 0; i < RUNQ_PROBES; i++)
		t[100 + i].cgid = 1000 + i;
	assert_null(bpf_runq_entry_find(t, 100 + RUNQ_MAX_CGROUPS, true));
	free(t);
}

static void test_cpu_split(void **state)
{
	struct cgstat s = {.cpu_ns = 1000000, .user_raw_ns = 3, .system_raw_ns = 1};
	uint64_t u, k;

	bpf_cgstat_split(&s, &u, &k);
	assert_int_equal(u, 750000);
	assert_int_equal(k, 250000);
	assert_int_equal(u + k, s.cpu_ns);
	s.user_raw_ns = s.system_raw_ns = 0; /* no tick seen yet: all user, as the kernel says */
	bpf_cgstat_split(&s, &u, &k);
	assert_int_equal(u, 1000000);
	assert_int_equal(k, 0);
	s.cpu_ns = UINT64_MAX / 2; /* no overflow in the product */
	s.user_raw_ns = UINT64_MAX / 4;
	s.system_raw_ns = UINT64_MAX / 4;
	bpf_cgstat_split(&s, &u, &k);
	assert_true(u + k == s.cpu_ns && u > s.cpu_ns / 3 && k > s.cpu_ns / 3);
}

static void test_oom_format(void **state)
{
	struct oom_event e;
	char buf[256];

	memset(&e, 0, sizeof(e));
	e.pid = 123;
	strcpy(e.comm, "python");
	e.memcg_cgid = 42;
	e.memcg_usage = 256ULL << 20;
	e.memcg_limit = 256ULL << 20;
	bpf_oomkill_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "OOM killed: pid 123 (python) at 256 MiB, limit 256 MiB");
	e.memcg_limit = ~0ULL;
	e.memcg_usage = (3ULL << 20) + (1ULL << 19);
	bpf_oomkill_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "OOM killed: pid 123 (python) at 3.5 MiB, limit none");
	e.memcg_cgid = 0;
	bpf_oomkill_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "OOM killed: pid 123 (python) by the system OOM killer");
}

/* From the mark_victim tracepoint: the same text where a limited memcg was found, and no
 * claim about the system OOM killer where none was. */
static void test_oom_format_tracepoint(void **state)
{
	struct oom_event e;
	char buf[256];

	memset(&e, 0, sizeof(e));
	e.pid = 77;
	strcpy(e.comm, "memhog");
	e.flags = OOM_F_TRACEPOINT | OOM_F_MEMCG_GUESS;
	e.memcg_cgid = 9;
	e.memcg_usage = 32ULL << 20;
	e.memcg_limit = 32ULL << 20;
	bpf_oomkill_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "OOM killed: pid 77 (memhog) at 32 MiB, limit 32 MiB");
	e.flags = OOM_F_TRACEPOINT;
	e.memcg_cgid = 0;
	bpf_oomkill_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "OOM killed: pid 77 (memhog)");
}

static void test_device_rules(void **state)
{
	uint32_t major, minor, acc;
	char type;

	assert_int_equal(bpf_devices_rule_parse("c 10:200 rwm", &type, &major, &minor, &acc), 0);
	assert_int_equal(type, 'c');
	assert_int_equal(major, 10);
	assert_int_equal(minor, 200);
	assert_int_equal(acc, DEV_ACC_READ | DEV_ACC_WRITE | DEV_ACC_MKNOD);
	assert_int_equal(bpf_devices_rule_parse(" b 8:* r ", &type, &major, &minor, &acc), 0);
	assert_int_equal(type, 'b');
	assert_int_equal(minor, DEV_ANY_MINOR);
	assert_int_equal(acc, DEV_ACC_READ);
	assert_int_equal(bpf_devices_rule_parse("x 1:1 r", &type, &major, &minor, &acc), -EINVAL);
	assert_int_equal(bpf_devices_rule_parse("c 1:1 rx", &type, &major, &minor, &acc), -EINVAL);
	assert_int_equal(bpf_devices_rule_parse("c 1 r", &type, &major, &minor, &acc), -EINVAL);
	assert_int_equal(bpf_devices_rule_parse("c 1:1 r extra", &type, &major, &minor, &acc),
			 -EINVAL);
	assert_int_equal(bpf_devices_rule_parse("c 1:4294967295 r", &type, &major, &minor, &acc),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile_empty),  cmocka_unit_test(test_quantile_buckets),
		cmocka_unit_test(test_delta_and_reset),
		cmocka_unit_test(test_runq_table), cmocka_unit_test(test_cpu_split),
		cmocka_unit_test(test_oom_format),      cmocka_unit_test(test_oom_format_tracepoint),      cmocka_unit_test(test_device_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
