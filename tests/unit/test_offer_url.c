// SPDX-License-Identifier: Apache-2.0
/* lib/offer_url: an agent's API address from Offer.url, and every malformed URL refused. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "offer_url.h"

static int addr_of(const char *url_json, bool by_name, char *buf, size_t len)
{
	json_t *url = url_json ? json_loads(url_json, 0, NULL) : NULL;
	int r;

	assert_true(!url_json || url);
	r = offer_url_address(url, by_name, buf, len);
	json_decref(url);
	return r;
}

static void test_valid(void **state)
{
	static const struct {
		const char *url;
		bool by_name;
		const char *want;
	} cases[] = {
		{"{\"scheme\":\"http\",\"address\":{\"hostname\":\"vm\",\"ip\":\"127.0.0.1\","
		 "\"port\":5051},\"path\":\"/slave(1)\"}",
		 false, "127.0.0.1:5051"},
		{"{\"address\":{\"hostname\":\"vm\",\"ip\":\"127.0.0.1\",\"port\":5051}}", true,
		 "vm:5051"},
		{"{\"address\":{\"ip\":\"::1\",\"port\":1}}", false, "[::1]:1"},
		{"{\"address\":{\"ip\":\"10.0.0.7\",\"port\":65535}}", false, "10.0.0.7:65535"},
		{"{\"address\":{\"hostname\":\"a-1.example.org\",\"port\":80}}", true,
		 "a-1.example.org:80"},
	};
	char buf[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(addr_of(cases[i].url, cases[i].by_name, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].want);
	}
}

static void test_refused(void **state)
{
	static const char *const ips[] = {
		NULL,
		"{}",
		"{\"address\":{\"port\":5051}}", /* no ip */
		"{\"address\":{\"ip\":\"127.0.0.1\"}}", /* no port */
		"{\"address\":{\"ip\":\"127.0.0.1\",\"port\":0}}",
		"{\"address\":{\"ip\":\"127.0.0.1\",\"port\":65536}}",
		"{\"address\":{\"ip\":\"127.0.0.1\",\"port\":-1}}",
		"{\"address\":{\"ip\":\"127.0.0.1\",\"port\":\"5051\"}}",
		"{\"address\":{\"ip\":\"127.0.0.1\",\"port\":5051.5}}",
		"{\"address\":{\"ip\":7,\"port\":5051}}",
		"{\"address\":{\"ip\":\"vm\",\"port\":5051}}", /* a name is no IP */
		"{\"address\":{\"ip\":\"127.0.0.1:80\",\"port\":5051}}",
		"{\"address\":{\"ip\":\"127.1\",\"port\":5051}}", /* inet_aton's, not pton's */
		"{\"address\":{\"ip\":\"fe80::1%lo\",\"port\":5051}}", /* a zone */
		"{\"address\":{\"ip\":\"127.0.0.1/evil\",\"port\":5051}}",
		"{\"address\":{\"ip\":\"\",\"port\":5051}}",
		"{\"address\":\"127.0.0.1:5051\"}",
	};
	static const char *const names[] = {
		"{\"address\":{\"ip\":\"127.0.0.1\",\"port\":5051}}", /* no hostname */
		"{\"address\":{\"hostname\":\"\",\"port\":5051}}",
		"{\"address\":{\"hostname\":\"a/b\",\"port\":5051}}",
		"{\"address\":{\"hostname\":\"a:1\",\"port\":5051}}",
		"{\"address\":{\"hostname\":\"a@b\",\"port\":5051}}",
		"{\"address\":{\"hostname\":\"a..b\",\"port\":5051}}",
		"{\"address\":{\"hostname\":\".a\",\"port\":5051}}",
		"{\"address\":{\"hostname\":\"-a\",\"port\":5051}}",
		"{\"address\":{\"hostname\":\"a b\",\"port\":5051}}",
		"{\"address\":{\"hostname\":\"a\\nb\",\"port\":5051}}",
	};
	char buf[300];

	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		strcpy(buf, "untouched");
		assert_int_equal(addr_of(ips[i], false, buf, sizeof(buf)), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(addr_of(names[i], true, buf, sizeof(buf)), -EINVAL);
}

static void test_long(void **state)
{
	char name[260], url[400], buf[300];

	memset(name, 'a', 254);
	name[254] = '\0';
	snprintf(url, sizeof(url), "{\"address\":{\"hostname\":\"%s\",\"port\":1}}", name);
	assert_int_equal(addr_of(url, true, buf, sizeof(buf)), -EINVAL); /* > 253 */
	name[253] = '\0';
	snprintf(url, sizeof(url), "{\"address\":{\"hostname\":\"%s\",\"port\":1}}", name);
	assert_int_equal(addr_of(url, true, buf, sizeof(buf)), 0);
	assert_int_equal(addr_of(url, true, buf, 200), -ENOSPC);
	assert_int_equal(addr_of("{\"address\":{\"ip\":\"127.0.0.1\",\"port\":5051}}", false, buf,
				 14),
			 -ENOSPC); /* "127.0.0.1:5051" needs 15 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
