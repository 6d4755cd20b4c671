// SPDX-License-Identifier: Apache-2.0
/* lib/wire: task states, the field getters and the errors they name, events, records. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "recordio.h"
#include "wire.h"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	assert_non_null(j);
	return j;
}

/* Every state's name parses back to it; terminal states are exactly Mesos's. */
static void test_task_states(void **state)
{
	static const enum task_state terminal[] = {
		TASK_FINISHED, TASK_FAILED,  TASK_KILLED, TASK_ERROR,
		TASK_LOST,     TASK_DROPPED, TASK_GONE,	  TASK_GONE_BY_OPERATOR,
	};
	enum task_state s = TASK_RUNNING;
	int nterminal = 0;

	for (int i = 0; i < TASK_STATE_MAX; i++) {
		const char *name = task_state_name((enum task_state)i);
		enum task_state back = TASK_STATE_MAX;
		bool want = false;

		assert_non_null(name);
		assert_int_equal(strncmp(name, "TASK_", 5), 0);
		assert_int_equal(task_state_parse(name, &back), 0);
		assert_int_equal(back, i);
		for (size_t k = 0; k < sizeof(terminal) / sizeof(terminal[0]); k++)
			want = want || terminal[k] == (enum task_state)i;
		assert_int_equal(task_state_terminal((enum task_state)i), want);
		nterminal += want;
	}
	assert_int_equal(nterminal, 8);
	assert_string_equal(task_state_name(TASK_GONE_BY_OPERATOR), "TASK_GONE_BY_OPERATOR");
	assert_string_equal(task_state_name(TASK_STATE_MAX), "TASK_UNKNOWN");
	assert_string_equal(task_state_name((enum task_state) - 1), "TASK_UNKNOWN");
	assert_int_equal(task_state_parse("RUNNING", &s), -EINVAL);
	assert_int_equal(task_state_parse("task_running", &s), -EINVAL);
	assert_int_equal(task_state_parse("", &s), -EINVAL);
	assert_int_equal(s, TASK_RUNNING); /* untouched on failure */
	assert_false(task_state_terminal(TASK_RUNNING));
	assert_false(task_state_terminal(TASK_UNREACHABLE)); /* may come back */
}

static void test_ids(void **state)
{
	char err[WIRE_ERR_LEN] = "";
	json_t *id = wire_id("abc"), *empty = wire_id(NULL);
	json_t *o = parse("{\"ok\": {\"value\": \"t1\"}, \"str\": \"t1\", \"num\": {\"value\": 3},"
			  " \"novalue\": {}}");

	assert_string_equal(json_string_value(json_object_get(id, "value")), "abc");
	assert_int_equal(json_object_size(id), 1);
	assert_string_equal(json_string_value(json_object_get(empty, "value")), "");
	assert_string_equal(wire_get_id(o, "ok", err, sizeof(err)), "t1");
	assert_string_equal(err, "");
	assert_null(wire_get_id(o, "missing", err, sizeof(err)));
	assert_string_equal(err, "missing field 'missing'");
	assert_null(wire_get_id(o, "str", err, sizeof(err)));
	assert_string_equal(err, "field 'str' must be an object {\"value\": string}");
	assert_null(wire_get_id(o, "num", err, sizeof(err)));
	assert_non_null(strstr(err, "'num'"));
	assert_null(wire_get_id(o, "novalue", err, sizeof(err)));
	assert_non_null(strstr(err, "'novalue'"));
	assert_null(wire_get_id(NULL, "ok", err, sizeof(err)));
	assert_string_equal(err, "missing field 'ok'");
	json_decref(id);
	json_decref(empty);
	json_decref(o);
}

static void test_getters(void **state)
{
	char err[WIRE_ERR_LEN] = "";
	json_t *o = parse("{\"s\": \"x\", \"n\": 2.5, \"i\": 7, \"b\": true, \"f\": false,"
			  " \"o\": {\"k\": 1}, \"null\": null, \"a\": []}");
	double d = -1;
	bool b = false;
	char *dup;

	assert_string_equal(wire_get_string(o, "s", true, err, sizeof(err)), "x");
	assert_null(wire_get_string(o, "absent", false, err, sizeof(err)));
	assert_string_equal(err, ""); /* optional and absent: no error */
	assert_null(wire_get_string(o, "absent", true, err, sizeof(err)));
	assert_string_equal(err, "missing field 'absent'");
	assert_null(wire_get_string(o, "n", false, err, sizeof(err)));
	assert_string_equal(err, "field 'n' must be a string");
	assert_null(wire_get_string(o, "null", false, err, sizeof(err)));
	assert_string_equal(err, "field 'null' must be a string");

	err[0] = '\0';
	assert_ptr_equal(wire_get_object(o, "o", true, err, sizeof(err)), json_object_get(o, "o"));
	assert_null(wire_get_object(o, "absent", false, err, sizeof(err)));
	assert_string_equal(err, "");
	assert_null(wire_get_object(o, "absent", true, err, sizeof(err)));
	assert_string_equal(err, "missing field 'absent'");
	assert_null(wire_get_object(o, "a", false, err, sizeof(err)));
	assert_string_equal(err, "field 'a' must be an object");
	assert_null(wire_get_object(NULL, "o", true, err, sizeof(err)));

	assert_int_equal(wire_get_number(o, "n", &d, err, sizeof(err)), 1);
	assert_true(d == 2.5);
	assert_int_equal(wire_get_number(o, "i", &d, err, sizeof(err)), 1);
	assert_true(d == 7);
	d = -1;
	assert_int_equal(wire_get_number(o, "absent", &d, err, sizeof(err)), 0);
	assert_true(d == -1);
	assert_int_equal(wire_get_number(o, "s", &d, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "field 's' must be a number");
	assert_int_equal(wire_get_number(o, "b", &d, err, sizeof(err)), -EINVAL);
	assert_true(d == -1);

	assert_int_equal(wire_get_bool(o, "b", &b, err, sizeof(err)), 1);
	assert_true(b);
	assert_int_equal(wire_get_bool(o, "f", &b, err, sizeof(err)), 1);
	assert_false(b);
	assert_int_equal(wire_get_bool(o, "absent", &b, err, sizeof(err)), 0);
	assert_int_equal(wire_get_bool(o, "i", &b, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "field 'i' must be true or false");
	assert_int_equal(wire_get_bool(NULL, "b", &b, err, sizeof(err)), 0);

	dup = wire_dup_string(o, "s");
	assert_string_equal(dup, "x");
	free(dup);
	assert_null(wire_dup_string(o, "n"));
	assert_null(wire_dup_string(o, "absent"));

	/* a short error buffer is truncated, never overrun */
	{
		char small[8];

		memset(small, 'Z', sizeof(small));
		assert_null(wire_get_string(o, "a-long-field-name", true, small, sizeof(small)));
		assert_int_equal(strlen(small), sizeof(small) - 1);
	}
	json_decref(o);
}

/* {"type": T, key: payload}; without a key the payload is dropped (and freed). */
static void test_events(void **state)
{
	json_t *ev = wire_event("HEARTBEAT", NULL, NULL);
	json_t *payload = json_pack("{s:i}", "n", 1);

	assert_string_equal(json_string_value(json_object_get(ev, "type")), "HEARTBEAT");
	assert_int_equal(json_object_size(ev), 1);
	json_decref(ev);

	json_incref(payload);
	ev = wire_event("UPDATE", "update", payload);
	assert_ptr_equal(json_object_get(ev, "update"), payload);
	assert_int_equal(json_object_size(ev), 2);
	json_decref(ev);
	assert_int_equal(payload->refcount, 1); /* the event's reference went with it */

	ev = wire_event("ERROR", NULL, payload); /* the payload is stolen and dropped */
	assert_int_equal(json_object_size(ev), 1);
	json_decref(ev);
}

/* Members as Mesos's [{name, value}] list, in the object's order, values shared. */
static void test_name_values(void **state)
{
	json_t *obj = json_pack("{s:i,s:s}", "a", 1, "b", "x"), *arr = wire_name_values(obj);
	json_t *none = json_object(), *empty = wire_name_values(none);

	(void)state;
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "name")),
			    "a");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "value")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "value")),
			    "x");
	assert_int_equal(json_array_size(empty), 0);
	json_decref(arr);
	json_decref(empty);
	json_decref(none);
	json_decref(obj);
}

/* One RecordIO record of compact, ASCII-only JSON that decodes back to the event. */
static void test_record(void **state)
{
	json_t *ev = wire_event("MESSAGE", "message", json_pack("{s:s}", "data", "caf\xc3\xa9 \n"));
	struct recordio_decoder d;
	const char *rec;
	size_t reclen;
	char *out = NULL, prefix[32];
	long len;
	json_t *back;

	len = wire_record(ev, &out);
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(out));
	for (long i = 0; i < len; i++)
		assert_true((unsigned char)out[i] < 128);
	assert_non_null(strcasestr(out, "\\u00e9")); /* é escaped */
	assert_null(strstr(out, ": ")); /* compact */
	snprintf(prefix, sizeof(prefix), "%zu\n", strlen(strchr(out, '\n') + 1));
	assert_int_equal(strncmp(out, prefix, strlen(prefix)), 0);

	recordio_decoder_init(&d, 1 << 20);
	assert_int_equal(recordio_feed(&d, out, (size_t)len), 0);
	assert_int_equal(recordio_next(&d, &rec, &reclen), 1);
	back = json_loadb(rec, reclen, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(back, ev));
	assert_int_equal(recordio_next(&d, &rec, &reclen), 0);
	recordio_decoder_free(&d);
	json_decref(back);
	json_decref(ev);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_states), cmocka_unit_test(test_ids),
		cmocka_unit_test(test_getters),	    cmocka_unit_test(test_events),
		cmocka_unit_test(test_record),	    cmocka_unit_test(test_name_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
