#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"
#include "tend/data/ansiblecfg.h"

#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

/* ansible.cfg: configparser's syntax, the key table, paths, precedence. */

static char scratch[] = "/tmp/tend-ansiblecfg-test.XXXXXX";

static const char *const envs[] = {
	"ANSIBLE_CONFIG", "ANSIBLE_INVENTORY", "ANSIBLE_ROLES_PATH",
	"ANSIBLE_REMOTE_USER", "ANSIBLE_FORKS", "ANSIBLE_BECOME",
	"ANSIBLE_HOST_KEY_CHECKING", "ANSIBLE_STRATEGY", "ANSIBLE_TIMEOUT",
	"ANSIBLE_SSH_TIMEOUT", "ANSIBLE_HOME", "ANSIBLE_VAULT_PASSWORD_FILE",
	"ANSIBLE_PRIVATE_KEY_FILE", "ANSIBLE_GATHERING", NULL
};

static int group_setup(void **state)
{
	(void)state;
	for (size_t i = 0; envs[i]; i++)
		unsetenv(envs[i]);
	return mkdtemp(scratch) ? 0 : -1;
}

static int group_teardown(void **state)
{
	struct buf cmd = BUF_INIT;

	(void)state;
	buf_adds(&cmd, "chmod -R u+w ");
	sh_quote(&cmd, scratch);
	buf_adds(&cmd, "; rm -rf ");
	sh_quote(&cmd, scratch);
	if (system(cmd.ptr) != 0)
		return -1;
	buf_release(&cmd);
	return 0;
}

/* Parse `text` as the file "/etc/proj/ansible.cfg"; NULL on errors. */
static struct ansiblecfg *parse(const char *text, struct diags *d)
{
	struct ansiblecfg *c = NULL;

	ansiblecfg_parse(&c, "/etc/proj/ansible.cfg", text, strlen(text), d);
	return c;
}

static bool has_diag(const struct diags *d, const char *text)
{
	for (size_t i = 0; i < d->nr; i++)
		if (strstr(d->items[i], text))
			return true;
	return false;
}

static void test_ansiblecfg__syntax(void **state)
{
	struct diags d = DIAGS_INIT;
	struct ansiblecfg *c;

	(void)state;
	c = parse("# comment\n; comment too\n[defaults]\n"
		  "REMOTE_USER : 'deploy' ; inline comment\n"
		  "  ; an indented comment line\n"
		  "roles_path = a:\n   b\n\n   c\n"
		  "[privilege_escalation]\nbecome = Yes\n"
		  "become_user = \"ops #1\"   # hash is no inline comment\n",
		  &d);
	assert_non_null(c);
	assert_int_equal(d.nr, 0);
	/* keys fold to lower case; ':' delimits; quotes go for strings */
	assert_string_equal(ansiblecfg_get(c, ACFG_REMOTE_USER), "deploy");
	/*
	 * continuation lines, a blank line inside, joined with newlines;
	 * a pathspec is split on ':' alone, relative to the file, as
	 * Ansible does
	 */
	assert_string_equal(ansiblecfg_get(c, ACFG_ROLES_PATH),
			    "/etc/proj/a:/etc/proj/\nb\n\nc");
	assert_string_equal(ansiblecfg_get(c, ACFG_BECOME), "true");
	assert_string_equal(ansiblecfg_get(c, ACFG_BECOME_USER),
			    "\"ops #1\"   # hash is no inline comment");
	ansiblecfg_free(c);
	diags_release(&d);
}

static void test_ansiblecfg__forks_invalid(void **state)
{
	struct diags d = DIAGS_INIT;

	(void)state;
	assert_null(parse("[defaults]\nforks=7;x\n", &d));
	assert_true(has_diag(&d, "ansible.cfg: expected a whole number"));
	diags_release(&d);
}

static void test_ansiblecfg__errors(void **state)
{
	struct diags d = DIAGS_INIT;
	struct ansiblecfg *c;

	(void)state;
	assert_null(parse("inventory = x\n", &d));
	assert_true(has_diag(&d, "ansible.cfg:1:1: expected a [section] before "
			     "'inventory = x'"));
	diags_release(&d);
	assert_null(parse("[defaults]\nforks = 2\nFORKS = 3\n[x]\n[defaults]\n"
			  "= 3\nnovalue\n", &d));
	assert_true(has_diag(&d, ":3:1: [defaults] forks given twice"));
	assert_true(has_diag(&d, ":5:1: section [defaults] given twice"));
	assert_true(has_diag(&d, ":6:1: expected a key before '='"));
	assert_true(has_diag(&d, ":7:1: expected 'key = value', got 'novalue'"));
	diags_release(&d);
	/* refused keys and values, by name with the line */
	assert_null(parse("[defaults]\nstrategy = free\nhost_key_checking = no\n"
			  "library = ./lib\nmade_up = 1\n[selinux]\nx = 1\n"
			  "[privilege_escalation]\nbecome_method = pbrun\n", &d));
	assert_true(has_diag(&d, ":2:1: [defaults] strategy = free is not "
			     "supported"));
	assert_true(has_diag(&d, ":3:1: [defaults] host_key_checking = no is "
			     "not supported: tend always checks host keys"));
	assert_true(has_diag(&d, ":4:1: [defaults] library is not supported "
			     "yet (Python modules)"));
	assert_true(has_diag(&d, ":5:1: [defaults] made_up is not supported "
			     "yet"));
	assert_true(has_diag(&d, ":7:1: [selinux] x is not supported yet"));
	assert_true(has_diag(&d, ":9: become_method 'pbrun' is not supported"));
	diags_release(&d);
	/* a key in the wrong section; a misspelt one */
	assert_null(parse("[defaults]\nbecome = true\nroles_pth = r\n", &d));
	assert_true(has_diag(&d, ":2:1: warning: [defaults] become: Ansible does "
			     "not read it there (it belongs in "
			     "[privilege_escalation]), so it is ignored"));
	assert_true(has_diag(&d, ":3:1: [defaults] roles_pth is not supported "
			     "yet (did you mean 'roles_path'?)"));
	diags_release(&d);
	/* the wrong section alone: a warning, and the key has no effect;
	 * a section one of Ansible's plugins reads the key in is refused */
	c = parse("[defaults]\nbecome = true\n", &d);
	assert_non_null(c);
	assert_int_equal(d.errors, 0);
	assert_true(has_diag(&d, ":2:1: warning: [defaults] become"));
	assert_null(ansiblecfg_get(c, ACFG_BECOME));
	ansiblecfg_free(c);
	diags_release(&d);
	assert_null(parse("[paramiko_connection]\nremote_user = u\n", &d));
	assert_true(has_diag(&d, ":2:1: [paramiko_connection] remote_user is "
			     "not supported yet"));
	diags_release(&d);
}

static void test_ansiblecfg__inert_and_only(void **state)
{
	struct diags d = DIAGS_INIT;
	struct ansiblecfg *c;

	(void)state;
	/* display keys accepted; ONLY keys with tend's value; no interpolation */
	c = parse("[defaults]\nnocows = 1\nstdout_callback = yaml\n"
		  "host_key_checking = True\ngathering = implicit\n"
		  "ansible_managed_x_not = 1\n", &d);
	assert_null(c);
	assert_int_equal(d.errors, 1);
	diags_release(&d);
	c = parse("[defaults]\nnocows = 1\nlog_path = /tmp/%(x)s %\n"
		  "host_key_checking = True\ntransport = ssh\n"
		  "[colors]\nok = green\n[galaxy]\nserver = x\n", &d);
	assert_non_null(c);
	assert_int_equal(d.nr, 0);
	ansiblecfg_free(c);
	/* ssh_args: connection sharing alone is accepted, nothing else */
	c = parse("[ssh_connection]\nssh_args = -o ControlMaster=auto "
		  "-oControlPersist=60s -o controlpath=/tmp/%h\n", &d);
	assert_non_null(c);
	assert_int_equal(d.nr, 0);
	ansiblecfg_free(c);
	c = parse("[ssh_connection]\nssh_args = -o ControlMaster=auto "
		  "-o StrictHostKeyChecking=no\n", &d);
	assert_null(c);
	assert_true(has_diag(&d, "ssh_args = -o ControlMaster=auto -o "
			     "StrictHostKeyChecking=no is not supported"));
	diags_release(&d);
	c = parse("[ssh_connection]\nssh_args = -o\n", &d);
	assert_null(c);
	diags_release(&d);
}

static void test_ansiblecfg__paths(void **state)
{
	struct diags d = DIAGS_INIT;
	struct ansiblecfg *c;
	char cwd[4096];
	struct buf want = BUF_INIT;

	(void)state;
	setenv("TEND_ACFG_DIR", "/srv/x", 1);
	c = parse("[defaults]\ninventory = ../inv/./hosts\n"
		  "private_key_file = $TEND_ACFG_DIR/key\n"
		  "vault_password_file = ${TEND_ACFG_NOPE}/pw\n"
		  "roles_path = /abs//r/:{{CWD}}/r2:\n", &d);
	assert_non_null(c);
	assert_string_equal(ansiblecfg_get(c, ACFG_INVENTORY), "/etc/inv/hosts");
	assert_string_equal(ansiblecfg_get(c, ACFG_PRIVATE_KEY_FILE),
			    "/srv/x/key");
	assert_string_equal(ansiblecfg_get(c, ACFG_VAULT_PASSWORD_FILE),
			    "/etc/proj/${TEND_ACFG_NOPE}/pw");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	buf_addf(&want, "/abs/r:%s/r2:/etc/proj", cwd);
	assert_string_equal(ansiblecfg_get(c, ACFG_ROLES_PATH), want.ptr);
	assert_string_equal(c->origin[ACFG_INVENTORY], "/etc/proj/ansible.cfg:2");
	ansiblecfg_free(c);
	/* a variable's relative path is the current directory's */
	setenv("ANSIBLE_INVENTORY", "hosts", 1);
	c = parse("[defaults]\ninventory = other\n", &d);
	buf_reset(&want);
	buf_addf(&want, "%s/hosts", cwd);
	assert_string_equal(ansiblecfg_get(c, ACFG_INVENTORY), want.ptr);
	assert_string_equal(c->origin[ACFG_INVENTORY], "ANSIBLE_INVENTORY");
	ansiblecfg_free(c);
	unsetenv("ANSIBLE_INVENTORY");
	/* several sources are refused */
	assert_null(parse("[defaults]\ninventory = a, b\n", &d));
	assert_true(has_diag(&d, "ansible.cfg:2: several inventory sources"));
	diags_release(&d);
	buf_release(&want);
}

/* gathering and the fact cache: values checked, the directory the file's */
static void test_ansiblecfg__fact_cache(void **state)
{
	struct diags d = DIAGS_INIT;
	struct ansiblecfg *c;

	(void)state;
	c = parse("[defaults]\ngathering = smart\n"
		  "fact_caching = ansible.builtin.jsonfile\n"
		  "fact_caching_connection = cache/facts\n"
		  "fact_caching_timeout = 0\nfact_caching_prefix = f_\n", &d);
	assert_non_null(c);
	assert_string_equal(ansiblecfg_get(c, ACFG_GATHERING), "smart");
	assert_string_equal(ansiblecfg_get(c, ACFG_FACT_CACHING), "jsonfile");
	assert_string_equal(ansiblecfg_get(c, ACFG_FACT_CACHING_CONNECTION),
			    "/etc/proj/cache/facts");
	assert_string_equal(ansiblecfg_get(c, ACFG_FACT_CACHING_TIMEOUT), "0");
	assert_string_equal(ansiblecfg_get(c, ACFG_FACT_CACHING_PREFIX), "f_");
	ansiblecfg_free(c);
	assert_null(parse("[defaults]\ngathering = lazy\n"
			  "fact_caching = redis\nfact_caching_timeout = 1h\n",
			  &d));
	assert_true(has_diag(&d, "ansible.cfg:2: gathering 'lazy' is not one "
			     "of implicit, explicit, smart"));
	assert_true(has_diag(&d, "ansible.cfg:3: fact_caching 'redis' is not "
			     "supported (tend: memory or jsonfile)"));
	assert_true(has_diag(&d, "expected a whole number of seconds (0 or "
			     "more) for fact_caching_timeout, got '1h'"));
	diags_release(&d);
	assert_null(parse("[defaults]\nfact_caching = jsonfile\n", &d));
	assert_true(has_diag(&d, "ansible.cfg:2: fact_caching jsonfile needs "
			     "fact_caching_connection"));
	diags_release(&d);
}

static void test_ansiblecfg__env(void **state)
{
	struct diags d = DIAGS_INIT;
	struct ansiblecfg *c;

	(void)state;
	setenv("ANSIBLE_FORKS", "9", 1);
	setenv("ANSIBLE_BECOME", "off", 1);
	setenv("ANSIBLE_SSH_TIMEOUT", "33", 1);
	c = parse("[defaults]\nforks = 3\ntimeout = 4\nremote_user = u\n"
		  "[privilege_escalation]\nbecome = true\n", &d);
	assert_non_null(c);
	assert_string_equal(ansiblecfg_get(c, ACFG_FORKS), "9");
	assert_string_equal(c->origin[ACFG_FORKS], "ANSIBLE_FORKS");
	assert_string_equal(ansiblecfg_get(c, ACFG_BECOME), "false");
	assert_string_equal(ansiblecfg_get(c, ACFG_TIMEOUT), "33");
	assert_string_equal(ansiblecfg_get(c, ACFG_REMOTE_USER), "u");
	ansiblecfg_free(c);
	unsetenv("ANSIBLE_FORKS");
	unsetenv("ANSIBLE_BECOME");
	unsetenv("ANSIBLE_SSH_TIMEOUT");
	/* no file: the variables alone; refused ones by name */
	setenv("ANSIBLE_STRATEGY", "free", 1);
	setenv("ANSIBLE_HOST_KEY_CHECKING", "0", 1);
	assert_int_equal(ansiblecfg_parse(&c, NULL, "", 0, &d), TEND_EPARSE);
	tend_error_clear();
	assert_true(has_diag(&d, "ANSIBLE_STRATEGY=free: not supported"));
	assert_true(has_diag(&d, "ANSIBLE_HOST_KEY_CHECKING=0: not supported"));
	unsetenv("ANSIBLE_STRATEGY");
	unsetenv("ANSIBLE_HOST_KEY_CHECKING");
	diags_release(&d);
	assert_ok(ansiblecfg_parse(&c, NULL, "", 0, &d));
	assert_null(ansiblecfg_get(c, ACFG_FORKS));
	ansiblecfg_free(c);
	assert_true(ansiblecfg_bool("TRUE") && ansiblecfg_bool("y") &&
		    ansiblecfg_bool("On") && ansiblecfg_bool("1"));
	assert_false(ansiblecfg_bool("2") || ansiblecfg_bool("\"true\"") ||
		     ansiblecfg_bool(""));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_ansiblecfg__find(void **state)
{
	struct buf p = BUF_INIT, home = BUF_INIT, old = BUF_INIT;
	char *path, *warning, cwd[4096];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	buf_adds(&old, getenv("HOME") ? getenv("HOME") : "/");
	buf_addf(&home, "%s/home", scratch);
	assert_int_equal(mkdir(home.ptr, 0700), 0);
	setenv("HOME", home.ptr, 1);
	buf_addf(&p, "%s/proj", scratch);
	assert_int_equal(mkdir(p.ptr, 0755), 0);
	assert_int_equal(chdir(p.ptr), 0);
	ansiblecfg_find(&path, &warning, false);
	if (path) /* /etc/ansible/ansible.cfg on this machine */
		assert_string_equal(path, "/etc/ansible/ansible.cfg");
	free(path);
	assert_null(warning);
	write_file("../home/.ansible.cfg", "");
	ansiblecfg_find(&path, &warning, false);
	assert_non_null(strstr(path, "/home/.ansible.cfg"));
	free(path);
	write_file("ansible.cfg", "");
	ansiblecfg_find(&path, &warning, false);
	assert_non_null(strstr(path, "/proj/ansible.cfg"));
	free(path);
	/* untrusted: the current directory's is skipped, with a warning */
	ansiblecfg_find(&path, &warning, true);
	assert_non_null(strstr(path, "/home/.ansible.cfg"));
	assert_non_null(strstr(warning, "untrusted"));
	free(path);
	free(warning);
	/* world-writable: skipped, with a warning */
	assert_int_equal(chmod(p.ptr, 0777), 0);
	ansiblecfg_find(&path, &warning, false);
	assert_non_null(strstr(path, "/home/.ansible.cfg"));
	assert_non_null(strstr(warning, "world-writable"));
	free(path);
	free(warning);
	/* ANSIBLE_CONFIG first, a directory meaning its ansible.cfg; no warning */
	setenv("ANSIBLE_CONFIG", ".", 1);
	ansiblecfg_find(&path, &warning, false);
	assert_non_null(strstr(path, "/proj/ansible.cfg"));
	assert_null(warning);
	free(path);
	setenv("ANSIBLE_CONFIG", "missing.cfg", 1); /* missing: the next */
	ansiblecfg_find(&path, &warning, false);
	assert_non_null(strstr(path, "/home/.ansible.cfg"));
	free(path);
	free(warning);
	unsetenv("ANSIBLE_CONFIG");
	assert_int_equal(chmod(p.ptr, 0755), 0);
	assert_int_equal(chdir(cwd), 0);
	setenv("HOME", old.ptr, 1);
	buf_release(&p);
	buf_release(&home);
	buf_release(&old);
}

static void test_ansiblecfg__load(void **state)
{
	struct diags d = DIAGS_INIT;
	struct ansiblecfg *c;
	struct buf p = BUF_INIT;

	(void)state;
	buf_addf(&p, "%s/x.conf", scratch);
	write_file(p.ptr, "[defaults]\n");
	assert_int_equal(ansiblecfg_load(&c, p.ptr, &d), TEND_EPARSE);
	assert_true(has_diag(&d, "not an INI file"));
	diags_release(&d);
	buf_reset(&p);
	buf_addf(&p, "%s/none.cfg", scratch);
	assert_int_equal(ansiblecfg_load(&c, p.ptr, &d), TEND_EPARSE);
	diags_release(&d);
	buf_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ansiblecfg__syntax),
		cmocka_unit_test(test_ansiblecfg__forks_invalid),
		cmocka_unit_test(test_ansiblecfg__errors),
		cmocka_unit_test(test_ansiblecfg__inert_and_only),
		cmocka_unit_test(test_ansiblecfg__paths),
		cmocka_unit_test(test_ansiblecfg__fact_cache),
		cmocka_unit_test(test_ansiblecfg__env),
		cmocka_unit_test(test_ansiblecfg__find),
		cmocka_unit_test(test_ansiblecfg__load),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
