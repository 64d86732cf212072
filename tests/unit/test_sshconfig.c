#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/net/sshconfig.h"
#include "tend/transport/sshargs.h"

#include "unit.h"

#include <sys/stat.h>
#include <unistd.h>

/* parse `text` as file "cfg" and look `host` up in it */
static int lookup(struct sshconfig *cfg, struct sshcfg_host *h,
		  const char *text, const char *host)
{
	int error;

	sshconfig_init(cfg);
	if ((error = sshconfig_parse(cfg, text, strlen(text), "cfg")) < 0)
		return error;
	return sshconfig_lookup(h, cfg, host);
}

static void test_sshconfig__patterns_and_negation(void **state)
{
	static const char text[] =
		"Host web? !web9 db-*\n"
		"  Port 2201\n"
		"Host *\n"
		"  Port 22\n"
		"  User any\n";
	struct sshconfig cfg;
	struct sshcfg_host h;

	(void)state;
	assert_ok(lookup(&cfg, &h, text, "web1"));
	assert_string_equal(h.v[SSHCFG_PORT].v, "2201");
	assert_string_equal(h.v[SSHCFG_USER].v, "any");
	assert_ok(sshconfig_lookup(&h, &cfg, "web9"));
	assert_string_equal(h.v[SSHCFG_PORT].v, "22");
	assert_ok(sshconfig_lookup(&h, &cfg, "web10"));
	assert_string_equal(h.v[SSHCFG_PORT].v, "22");
	assert_ok(sshconfig_lookup(&h, &cfg, "db-main"));
	assert_string_equal(h.v[SSHCFG_PORT].v, "2201");
	/* case matters in patterns, as ssh 9.2 -G shows */
	assert_ok(sshconfig_lookup(&h, &cfg, "WEB1"));
	assert_string_equal(h.v[SSHCFG_PORT].v, "22");
	sshconfig_release(&cfg);

	{
		char neg[] = "!a";
		char *only_neg[] = { neg };

		/* a line of negations alone matches nothing */
		assert_false(sshconfig_host_matches("b", only_neg, 1));
	}
	{
		char p1[] = "a*b*c", p2[] = "*", p3[] = "?", p4[] =
			"**********************************x";
		char *one[1];

		one[0] = p1;
		assert_true(sshconfig_host_matches("axxbyyc", one, 1));
		assert_true(sshconfig_host_matches("abc", one, 1));
		assert_false(sshconfig_host_matches("axxbyy", one, 1));
		one[0] = p2;
		assert_true(sshconfig_host_matches("", one, 1));
		one[0] = p3;
		assert_false(sshconfig_host_matches("", one, 1));
		/* many stars, no match: quick (was exponential) */
		one[0] = p4;
		assert_false(sshconfig_host_matches(
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaay",
			one, 1));
	}
}

static void test_sshconfig__first_wins_and_ids_add_up(void **state)
{
	static const char text[] =
		"User first\n"
		"IdentityFile ~/k1\n"
		"Host h\n"
		"  user second\n"
		"  HOSTNAME=h.example.org\n"
		"  IdentityFile = \"/k 2\"\n"
		"  Port=2222\n"
		"Host *\n"
		"  Port 1\n";
	struct sshconfig cfg;
	struct sshcfg_host h;

	(void)state;
	assert_ok(lookup(&cfg, &h, text, "h"));
	assert_string_equal(h.v[SSHCFG_USER].v, "first");
	assert_string_equal(h.v[SSHCFG_HOSTNAME].v, "h.example.org");
	assert_string_equal(h.v[SSHCFG_PORT].v, "2222");
	assert_int_equal(h.v[SSHCFG_PORT].line, 7);
	assert_int_equal(h.ids_nr, 2);
	assert_string_equal(h.ids[0].v, "~/k1");
	assert_string_equal(h.ids[1].v, "/k 2");
	sshconfig_release(&cfg);
}

static void test_sshconfig__match_refused(void **state)
{
	static const char text[] = "Host a\n  Port 1\n\nMatch host b\n";
	struct sshconfig cfg;

	(void)state;
	sshconfig_init(&cfg);
	assert_int_equal(sshconfig_parse(&cfg, text, strlen(text), "f.conf"),
			 TEND_EPARSE);
	assert_non_null(strstr(tend_error_last(),
			       "f.conf:4: 'Match' is not supported"));
	sshconfig_release(&cfg);
}

static void test_sshconfig__errors_name_file_line(void **state)
{
	struct sshconfig cfg;
	struct sshcfg_host h;

	(void)state;
	sshconfig_init(&cfg);
	assert_int_equal(sshconfig_parse(&cfg, "Host a\nUser \"x\n", 14, "u"),
			 TEND_EPARSE);
	assert_non_null(strstr(tend_error_last(), "u:2: no closing quotation"));
	sshconfig_release(&cfg);
	assert_int_equal(sshconfig_parse(&cfg, "Port\n", 5, "v"), TEND_EPARSE);
	assert_non_null(strstr(tend_error_last(), "v:1: 'Port' needs a value"));
	sshconfig_release(&cfg);
	/* refused only where it applies */
	assert_ok(lookup(&cfg, &h, "Host x\n ProxyCommand nc %h %p\n", "y"));
	assert_int_equal(sshconfig_lookup(&h, &cfg, "x"), TEND_EREFUSED);
	assert_non_null(strstr(tend_error_last(),
			       "cfg:2: 'ProxyCommand' applies to 'x'"));
	sshconfig_release(&cfg);
	/* an ignored keyword is no error */
	assert_ok(lookup(&cfg, &h, "ControlMaster auto\nForwardAgent yes\n",
			 "x"));
	sshconfig_release(&cfg);
}

static void test_sshconfig__include(void **state)
{
	char dir[] = "/tmp/tend-sshcfg-XXXXXX";
	struct buf path = BUF_INIT, text = BUF_INIT, old = BUF_INIT;
	struct sshconfig cfg;
	struct sshcfg_host h;
	const char *home = getenv("HOME");

	(void)state;
	if (home)
		buf_adds(&old, home);
	assert_non_null(mkdtemp(dir));
	setenv("HOME", dir, 1);
	buf_addf(&path, "%s/.ssh", dir);
	assert_int_equal(mkdir(path.ptr, 0700), 0);
	buf_addf(&path, "/a.conf");
	assert_ok(buf_write_file_atomic(path.ptr, "Host h\n  Port 11\n", 17,
					0600));
	buf_reset(&path);
	buf_addf(&path, "%s/.ssh/b.conf", dir);
	assert_ok(buf_write_file_atomic(path.ptr, "User bee\n", 9, 0600));
	/*
	 * relative: under ~/.ssh; each included file starts with the
	 * condition of the Include line, which holds again after it (ssh
	 * 9.2 -G: b.conf's User applies to every host, and so does "after")
	 */
	buf_addf(&text, "Include *.conf\n  User after\nHost *\n  Port 22\n");
	assert_ok(lookup(&cfg, &h, text.ptr, "h"));
	assert_string_equal(h.v[SSHCFG_PORT].v, "11");
	assert_string_equal(h.v[SSHCFG_USER].v, "bee");
	assert_non_null(strstr(h.v[SSHCFG_PORT].file, "a.conf"));
	assert_ok(sshconfig_lookup(&h, &cfg, "zz"));
	assert_string_equal(h.v[SSHCFG_PORT].v, "22");
	assert_string_equal(h.v[SSHCFG_USER].v, "bee");
	sshconfig_release(&cfg);
	assert_int_equal(unlink(path.ptr), 0);
	assert_ok(lookup(&cfg, &h, text.ptr, "zz"));
	assert_string_equal(h.v[SSHCFG_USER].v, "after");
	sshconfig_release(&cfg);
	/* a glob matching nothing is no error */
	assert_ok(lookup(&cfg, &h, "Include nothing-*.conf\n", "h"));
	sshconfig_release(&cfg);
	setenv("HOME", old.ptr, 1);
	buf_release(&path);
	buf_release(&text);
	buf_release(&old);
}

static void test_sshconfig__expand(void **state)
{
	const char *tok[128] = { 0 };
	struct buf b = BUF_INIT;

	(void)state;
	tok['h'] = "host";
	tok['r'] = "bob";
	assert_ok(sshconfig_expand(&b, "/k/%r@%h-100%%", tok, true, "x"));
	assert_string_equal(b.ptr, "/k/bob@host-100%");
	buf_reset(&b);
	assert_int_equal(sshconfig_expand(&b, "%C", tok, true, "f:3"), -1);
	assert_non_null(strstr(tend_error_last(), "f:3: token '%C'"));
	buf_release(&b);
}

static void test_sshconfig__common_args(void **state)
{
	struct val *vars = val_dict();

	(void)state;
	assert_ok(ssh_args_parse(vars, "-p 2 -o Port=3 -oUser=u -J j1,j2 "
				 "-F /c -o 'ControlMaster auto'", "x"));
	/* the first value wins, as in ssh */
	assert_string_equal(val_cstr(val_dict_get(vars, "ansible_port")), "2");
	assert_string_equal(val_cstr(val_dict_get(vars, "ansible_user")), "u");
	assert_string_equal(val_cstr(val_dict_get(vars, "tend_ssh_proxy_jump")),
			    "j1,j2");
	assert_string_equal(val_cstr(val_dict_get(vars, "tend_ssh_config")),
			    "/c");
	assert_int_equal(ssh_args_parse(vars, "-o ProxyCommand=nc", "what"),
			 -1);
	assert_non_null(strstr(tend_error_last(),
			       "what: '-o ProxyCommand=nc' is not supported"));
	val_unref(vars);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sshconfig__patterns_and_negation),
		cmocka_unit_test(test_sshconfig__first_wins_and_ids_add_up),
		cmocka_unit_test(test_sshconfig__match_refused),
		cmocka_unit_test(test_sshconfig__errors_name_file_line),
		cmocka_unit_test(test_sshconfig__include),
		cmocka_unit_test(test_sshconfig__expand),
		cmocka_unit_test(test_sshconfig__common_args),
	};

	return cmocka_run_group_tests_name("sshconfig", tests, NULL, NULL);
}
