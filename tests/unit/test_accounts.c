#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/accounts.h"

/* What the account modules read of getent's lines. */

static void test_accounts__fields(void **state)
{
	const char *l = "deploy:x:1500:1500:50% \\ \"q\":/home/deploy:/bin/bash";
	char *f;

	(void)state;
	f = accounts_field(l, strlen(l), 4);
	assert_string_equal(f, "50% \\ \"q\"");
	free(f);
	f = accounts_field(l, strlen(l), 6);
	assert_string_equal(f, "/bin/bash");
	free(f);
	assert_null(accounts_field(l, strlen(l), 7));
	assert_int_equal(accounts_field_num(l, strlen(l), 2), 1500);
	/* an empty shadow field (no expiry) is -1, as getspnam gives */
	assert_int_equal(accounts_field_num("a:!:19000:0:99999:7:::", 22, 7), -1);
}

static void test_accounts__groups(void **state)
{
	struct buf db = BUF_INIT;
	struct val *m;
	long long gid = 0;
	char *name = NULL;

	(void)state;
	buf_adds(&db, "sudo:x:27:bob,deploy\n1000:x:1600:\n"
		 "docker:x:1000:deployer\nusers:x:100:\n");
	/* digits: a GID first, as Ansible's group_exists */
	assert_true(accounts_group_find(&db, "1000", &gid, &name));
	assert_int_equal(gid, 1000);
	assert_string_equal(name, "docker");
	free(name);
	assert_true(accounts_group_find(&db, "users", &gid, NULL));
	assert_int_equal(gid, 100);
	assert_false(accounts_group_find(&db, "nosuch", &gid, NULL));
	/* members whole, never a prefix: deployer is not deploy */
	m = accounts_member_of(&db, "deploy");
	assert_int_equal(val_len(m), 1);
	assert_string_equal(val_cstr(val_list_at(m, 0)), "sudo");
	val_unref(m);
	buf_release(&db);
}

static void test_accounts__split_and_dates(void **state)
{
	struct val *g;
	struct buf b = BUF_INIT;
	char d[32];

	(void)state;
	g = accounts_groups_split(" sudo, docker,,sudo ,x");
	accounts_join(&b, g);
	assert_string_equal(b.ptr, "sudo,docker,x");
	val_unref(g);
	accounts_date(d, 1893456000);
	assert_string_equal(d, "2030-01-01");
	buf_reset(&b);
	accounts_expires_opt(&b, -1);
	assert_string_equal(b.ptr, " -e ''");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accounts__fields),
		cmocka_unit_test(test_accounts__groups),
		cmocka_unit_test(test_accounts__split_and_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
