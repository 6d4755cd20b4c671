// SPDX-License-Identifier: Apache-2.0
/* lib/auth (credentials, secret checks) and masterd/acl (ACL parsing and decisions). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"
#include "masterd/acl.h"

#define P(s) s, strlen(s)

static void test_secret_equal(void **state)
{
	assert_true(auth_secret_equal(P("abc"), P("abc")));
	assert_false(auth_secret_equal(P("abc"), P("abd")));
	assert_false(auth_secret_equal(P("abc"), P("ab")));
	assert_false(auth_secret_equal(P("ab"), P("abc")));
	assert_false(auth_secret_equal(P("xbc"), P("abc")));
	assert_true(auth_secret_equal(P(""), P("")));
	assert_false(auth_secret_equal(P(""), P("a")));
}

static void test_credentials_parse(void **state)
{
	struct auth_credentials c;
	char err[256];
	const char *ok = "{\"credentials\":[{\"principal\":\"fw1\",\"secret\":\"s1\"},"
			 "{\"principal\":\"ops\",\"secret\":\"s2\",\"token\":\"t2\"},"
			 "{\"principal\":\"bot\",\"token\":\"t3\"}]}";

	assert_int_equal(auth_credentials_parse(P(ok), &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(auth_check_basic(&c, "fw1", "s1"), "fw1");
	assert_null(auth_check_basic(&c, "fw1", "s2"));
	assert_null(auth_check_basic(&c, "fw1", "s"));
	assert_null(auth_check_basic(&c, "fw1", "s1x"));
	assert_null(auth_check_basic(&c, "nobody", "s1"));
	assert_null(auth_check_basic(&c, "bot", "t3")); /* a token is not a Basic secret */
	assert_string_equal(auth_check_token(&c, "t2"), "ops");
	assert_string_equal(auth_check_token(&c, "t3"), "bot");
	assert_null(auth_check_token(&c, "s1"));
	assert_null(auth_check_token(&c, "t"));
	assert_null(auth_check_token(&c, ""));
	auth_credentials_clear(&c);

	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"", "not valid JSON"},
		{"[]", "top level"},
		{"{}", "'credentials'"},
		{"{\"credentials\":[]}", "'credentials'"},
		{"{\"credentials\":[{\"secret\":\"x\"}]}", "credentials[0]: missing field 'principal'"},
		{"{\"credentials\":[{\"principal\":\"a\"}]}", "needs 'secret' or 'token'"},
		{"{\"credentials\":[{\"principal\":\"a\",\"secret\":\"\"}]}", "field 'secret'"},
		{"{\"credentials\":[{\"principal\":\"a\",\"secret\":1}]}", "field 'secret'"},
		{"{\"credentials\":[{\"principal\":\"a:b\",\"secret\":\"x\"}]}", "':'"},
		{"{\"credentials\":[{\"principal\":\"a\",\"secret\":\"x\",\"pw\":\"y\"}]}", "unknown field 'pw'"},
		{"{\"credentials\":[{\"principal\":\"a\",\"secret\":\"x\"},{\"principal\":\"a\",\"secret\":\"y\"}]}",
		 "appears twice"},
		{"{\"credentials\":[{\"principal\":\"a\",\"token\":\"t\"},{\"principal\":\"b\",\"token\":\"t\"}]}",
		 "the token of 'b' is also the token of 'a'"},
		{"{\"credentials\":[{\"principal\":\"a\",\"secret\":\"x\"}],\"x\":1}", "unknown field 'x'"},
		{"{\"credentials\":[{\"principal\":\"a\",\"secret\":\"x\\u0000y\"}]}", "not allowed"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(auth_credentials_parse(P(bad[i].text), &c, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].text, err, bad[i].msg);
	}
}

static void test_credential_parse(void **state)
{
	char *p = NULL, *s = NULL, err[256];

	assert_int_equal(auth_credential_parse(P("{\"principal\":\"a\",\"secret\":\"b\"}"), &p, &s,
					       err, sizeof(err)),
			 0);
	assert_string_equal(p, "a");
	assert_string_equal(s, "b");
	free(p);
	free(s);
	assert_int_equal(auth_credential_parse(P("{\"principal\":\"a\"}"), &p, &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'secret'"));
	assert_int_equal(auth_credential_parse(P("{\"principal\":\"a\",\"secret\":\"b\",\"x\":1}"),
					       &p, &s, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(auth_credential_load("/nonexistent/cred", &p, &s, err, sizeof(err)),
			 -ENOENT);
}

static void test_acl_defaults(void **state)
{
	struct acls a;
	char why[256];

	master_acls_init(&a);
	assert_true(master_acls_allowed(&a, ACL_REGISTER_FRAMEWORKS, NULL, "*", why, sizeof(why)));
	assert_true(master_acls_allowed(&a, ACL_RUN_TASKS, "fw", "nobody", why, sizeof(why)));
	assert_true(master_acls_allowed(&a, ACL_RUN_TASKS, NULL, NULL, why, sizeof(why)));
	/* never root by default */
	assert_false(master_acls_allowed(&a, ACL_RUN_TASKS, "fw", "root", why, sizeof(why)));
	assert_non_null(strstr(why, "root"));
	/* takeovers need an explicit rule */
	assert_false(master_acls_allowed_explicit(&a, ACL_TEARDOWN_FRAMEWORKS, "x", "y", why,
						  sizeof(why)));
	master_acls_clear(&a);
}

static void test_acl_rules(void **state)
{
	struct acls a;
	char why[256], err[256];
	const char *text =
		"{\"permissive\": false,"
		" \"register_frameworks\": ["
		"   {\"principals\": [\"fw1\"], \"roles\": [\"eng\", \"eng/ml\"]},"
		"   {\"principals\": \"ANY\", \"roles\": [\"prod\"], \"allow\": false},"
		"   {\"principals\": [\"ops\"], \"roles\": \"ANY\"}],"
		" \"run_tasks\": ["
		"   {\"principals\": [\"ops\"], \"users\": [\"root\"]},"
		"   {\"principals\": [\"fw1\"], \"users\": \"NONE\"},"
		"   {\"principals\": \"ANY\", \"users\": \"ANY\"}],"
		" \"view\": [{\"principals\": \"ANY\", \"calls\": [\"GET_HEALTH\"]}],"
		" \"teardown_frameworks\": [{\"principals\": [\"ops\"], \"framework_principals\": \"ANY\"}]}";

	assert_int_equal(master_acls_parse(P(text), &a, err, sizeof(err)), 0);
	assert_false(a.permissive);
	assert_true(
		master_acls_allowed(&a, ACL_REGISTER_FRAMEWORKS, "fw1", "eng", why, sizeof(why)));
	assert_true(master_acls_allowed(&a, ACL_REGISTER_FRAMEWORKS, "fw1", "eng/ml", why,
					sizeof(why)));
	assert_false(
		master_acls_allowed(&a, ACL_REGISTER_FRAMEWORKS, "fw1", "dev", why, sizeof(why)));
	assert_non_null(strstr(why, "permissive"));
	/* first match wins: the deny of prod comes before ops' ANY */
	assert_false(
		master_acls_allowed(&a, ACL_REGISTER_FRAMEWORKS, "ops", "prod", why, sizeof(why)));
	assert_string_equal(why, "rule register_frameworks[1]");
	assert_true(
		master_acls_allowed(&a, ACL_REGISTER_FRAMEWORKS, "ops", "dev", why, sizeof(why)));
	/* a list never matches the unauthenticated; ANY does */
	assert_false(
		master_acls_allowed(&a, ACL_REGISTER_FRAMEWORKS, NULL, "eng", why, sizeof(why)));
	assert_false(
		master_acls_allowed(&a, ACL_REGISTER_FRAMEWORKS, NULL, "prod", why, sizeof(why)));
	assert_true(master_acls_allowed(&a, ACL_RUN_TASKS, "ops", "root", why, sizeof(why)));
	assert_false(master_acls_allowed(&a, ACL_RUN_TASKS, "fw1", "nobody", why, sizeof(why)));
	assert_string_equal(why, "rule run_tasks[1]");
	assert_true(master_acls_allowed(&a, ACL_RUN_TASKS, "fw2", "nobody", why, sizeof(why)));
	/* root through ANY: an explicit allow */
	assert_true(master_acls_allowed(&a, ACL_RUN_TASKS, "fw2", "root", why, sizeof(why)));
	assert_true(master_acls_allowed(&a, ACL_VIEW, NULL, "GET_HEALTH", why, sizeof(why)));
	assert_false(master_acls_allowed(&a, ACL_VIEW, "ops", "GET_STATE", why, sizeof(why)));
	assert_true(master_acls_allowed_explicit(&a, ACL_TEARDOWN_FRAMEWORKS, "ops", "fw1", why,
						 sizeof(why)));
	assert_false(master_acls_allowed_explicit(&a, ACL_TEARDOWN_FRAMEWORKS, "fw2", "fw1", why,
						  sizeof(why)));
	master_acls_clear(&a);
}

/* issue 17 item 4: a tier above the role's only by an explicit grant, as a number or text */
static void test_acl_tiers(void **state)
{
	struct acls a;
	char why[256], err[256];
	const char *text = "{\"request_tiers\": [{\"principals\": [\"batch\"], \"tiers\": [5, \"7\", -2]}]}";

	assert_int_equal(master_acls_parse(P(text), &a, err, sizeof(err)), 0);
	assert_true(master_acls_allowed_explicit(&a, ACL_REQUEST_TIERS, "batch", "5", why,
						 sizeof(why)));
	assert_true(master_acls_allowed_explicit(&a, ACL_REQUEST_TIERS, "batch", "7", why,
						 sizeof(why)));
	assert_true(master_acls_allowed_explicit(&a, ACL_REQUEST_TIERS, "batch", "-2", why,
						 sizeof(why)));
	assert_false(master_acls_allowed_explicit(&a, ACL_REQUEST_TIERS, "batch", "6", why,
						  sizeof(why)));
	assert_false(
		master_acls_allowed_explicit(&a, ACL_REQUEST_TIERS, "web", "5", why, sizeof(why)));
	/* permissive (the default) grants no tier */
	assert_false(
		master_acls_allowed_explicit(&a, ACL_REQUEST_TIERS, NULL, "1", why, sizeof(why)));
	assert_string_equal(master_acl_action_name(ACL_REQUEST_TIERS), "request_tiers");
	assert_string_equal(master_acl_object_name(ACL_REQUEST_TIERS), "tiers");
	master_acls_clear(&a);
}

static void test_acl_bad(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"nope", "not valid JSON"},
		{"[]", "top level"},
		{"{\"permissive\": 1}", "'permissive' must be a boolean"},
		{"{\"run_task\": []}", "unknown field 'run_task'"},
		{"{\"run_tasks\": {}}", "'run_tasks' must be an array"},
		{"{\"run_tasks\": [1]}", "run_tasks[0] must be an object"},
		{"{\"run_tasks\": [{\"users\": \"ANY\"}]}", "run_tasks[0]: missing field 'principals'"},
		{"{\"run_tasks\": [{\"principals\": \"ANY\"}]}", "missing field 'users'"},
		{"{\"run_tasks\": [{\"principals\": \"ANY\", \"roles\": \"ANY\"}]}", "unknown field 'roles'"},
		{"{\"run_tasks\": [{\"principals\": \"NONE\", \"users\": \"ANY\"}]}",
		 "run_tasks[0].principals must be"},
		{"{\"run_tasks\": [{\"principals\": [\"\"], \"users\": \"ANY\"}]}",
		 "run_tasks[0].principals[0] must be a non-empty string"},
		{"{\"run_tasks\": [{\"principals\": \"ANY\", \"users\": [3]}]}", "run_tasks[0].users[0]"},
		{"{\"run_tasks\": [{\"principals\": \"ANY\", \"users\": \"ANY\", \"allow\": \"yes\"}]}",
		 "allow must be a boolean"},
		{"{\"run_tasks\": [{\"principals\": \"ANY\", \"users\": \"NONE\", \"allow\": true}]}",
		 "NONE"},
		{"{\"view\": [], \"view\": []}", "duplicate"},
	};
	struct acls a;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(master_acls_parse(P(bad[i].text), &a, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].text, err, bad[i].msg);
	}
	assert_int_equal(master_acls_load("/nonexistent/acls.json", &a, err, sizeof(err)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_equal),   cmocka_unit_test(test_credentials_parse),
		cmocka_unit_test(test_credential_parse), cmocka_unit_test(test_acl_defaults),
		cmocka_unit_test(test_acl_rules),      cmocka_unit_test(test_acl_bad),
		cmocka_unit_test(test_acl_tiers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
