#include "unit.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/lang/template.h"
#include "tend/data/val.h"
#include "tend/data/yaml.h"
#include "tend/data/vault.h"
#include "tend/lang/lookup_files_int.h"

#include <sys/stat.h>
#include <unistd.h>

/*
 * The lookup plugins (runner/lang/lookup*.c). Expected values were
 * produced by ansible-playbook 2.14 (debug: msg="{{ ... }}" of each
 * source below) and hard-coded here.
 */

static const char vars_yaml[] =
	"qz_a: 1\n"
	"qz_b: two\n"
	"other: 3\n"
	"lets: [a, b]\n"
	"nums: [1, 2, 3]\n"
	"users: {alice: 1, bob: 2}\n"
	"people:\n"
	"  - {name: ann, keys: [k1, k2], db: {hosts: [h1]}}\n"
	"  - {name: ben, keys: [k3]}\n"
	"  - {name: cid}\n"
	"tpl: '{{ qz_b }}!'\n";

struct tcase {
	const char *src, *want;
};

static const struct tcase cases[] = {
	{ "{{ lookup('vars', 'qz_b') }} {{ lookup('vars', 'tpl') }}",
	  "two two!" },
	{ "{{ query('vars', 'qz_b', 'nope', default='d') }}", "['two', 'd']" },
	{ "{{ query('varnames', '^qz_') }}", "['qz_a', 'qz_b']" },
	{ "{{ lookup('dict', users) }}",
	  "[{'key': 'alice', 'value': 1}, {'key': 'bob', 'value': 2}]" },
	{ "{{ lookup('ansible.builtin.dict', {'k': 'v'}) }}",
	  "{'key': 'k', 'value': 'v'}" },
	{ "{{ query('items', [1, [2, [3]]], 4) }}", "[1, [2, [3]], 4]" },
	{ "{{ query('items', 1, [2, [3]]) }}", "[1, 2, [3]]" },
	{ "{{ query('list', nums, lets) }}", "[[1, 2, 3], ['a', 'b']]" },
	{ "{{ lookup('items', lets) }}|{{ lookup('items', lets, wantlist=True) }}",
	  "a,b|['a', 'b']" },
	{ "{{ lookup('items', [1, 2]) }}|{{ lookup('items', [7]) }}",
	  "[1, 2]|7" },
	{ "{{ query('nested', lets, nums) | length }} {{ query('nested', lets, nums)[4] }}",
	  "6 ['b', 2]" },
	{ "{{ query('nested', ['ab']) }}", "[['a', 'b']]" },
	{ "{{ query('together', nums, lets) }}",
	  "[[1, 'a'], [2, 'b'], [3, None]]" },
	{ "{{ query('indexed_items', lets) }}", "[(0, 'a'), (1, 'b')]" },
	{ "{{ query('subelements', people, 'keys', {'skip_missing': True}) | map('last') | list }}",
	  "['k1', 'k2', 'k3']" },
	{ "{{ (query('subelements', people, 'keys', {'skip_missing': True}) | first)[0] }}",
	  "{'name': 'ann', 'db': {'hosts': ['h1']}}" },
	{ "{{ query('subelements', people, 'db.hosts', {'skip_missing': True}) }}",
	  "[({'name': 'ann', 'keys': ['k1', 'k2'], 'db': {}}, 'h1')]" },
	{ "{{ query('sequence', 'start=1 end=10 stride=3 format=h%02d') }}",
	  "['h01', 'h04', 'h07', 'h10']" },
	{ "{{ query('sequence', '4-8/2', 'count=3', '0x0a-0x0c:%x') }}",
	  "['4', '6', '8', '1', '2', '3', 'a', 'b', 'c']" },
	{ "{{ query('sequence', 'start=5 end=1 stride=-2') }} {{ query('sequence', 'count=0') }}",
	  "['5', '3', '1'] []" },
	{ "{{ query('sequence', '5:%o') }} {{ lookup('sequence', 'start=0x10 count=2') }}",
	  "['1', '2', '3', '4', '5'] 16,17" },
	{ "{{ query('sequence', 'start=9223372036854775804 end=9223372036854775806 stride=2') }}",
	  "['9223372036854775804', '9223372036854775806']" },
	{ "[{{ lookup('env', 'TEND_T_NOPE', default='dflt') }}|{{ lookup('env', 'TEND_T_NOPE') }}|{{ lookup('env', 'TEND_T_ENV extra') }}]",
	  "[dflt||envval]" },
	{ "{{ lookup('sequence', 'end=x', errors='ignore') is none }} {{ query('sequence', 'end=x', errors='ignore') }}",
	  "True []" },
	{ "{{ lookup('items', '{' + '{ qz_b }}') }}", "two" },
	{ "{{ lookup('pipe', 'printf \"a b  \\n\\n\"') }}|{{ query('lines', 'printf \"x\\ny\\r\\nz\"') }}",
	  "a b|['x', 'y', 'z']" },
};

struct ecase {
	const char *src;
	int code;
	const char *msg;
};

static const struct ecase errors[] = {
	{ "{{ lookup('nosuch', 'x') }}", TEND_EPARSE,
	  "lookup plugin 'nosuch' not found" },
	{ "{{ lookup('config', 'DEFAULT_ROLES_PATH') }}", TEND_EPARSE,
	  "lookup plugin 'config' is not supported yet" },
	{ "{{ lookup('file', 'x', nosuch=1) }}", TEND_EPARSE,
	  "lookup('file'): option 'nosuch' is not supported" },
	{ "{{ lookup(name, 'x') }}", TEND_ERROR,
	  "lookup plugin 'world' not found" },
	{ "{{ lookup('vars', 'nope') }}", TEND_EUNDEFINED,
	  "No variable found with this name: nope" },
	{ "{{ lookup('vars', 'nope', errors='ignore') }}", TEND_EUNDEFINED,
	  "No variable found with this name: nope" },
	{ "{{ lookup('items', 1, errors='loud') }}", TEND_ERROR,
	  "errors must be 'strict', 'warn' or 'ignore'" },
	{ "{{ lookup('dict', [1]) }}", TEND_ERROR, "with_dict expects a dict" },
	{ "{{ query('nested') }}", TEND_ERROR,
	  "with_nested requires at least one element" },
	{ "{{ query('subelements', people, 'keys') }}", TEND_ERROR,
	  "could not find 'keys' key in iterated item '{'name': 'cid'}'" },
	{ "{{ query('subelements', people, 'name') }}", TEND_ERROR,
	  "the key name should point to a list, got 'ann'" },
	{ "{{ query('subelements', people, 'keys', {'bogus': 1}) }}",
	  TEND_ERROR, "flag 'bogus' is not supported" },
	{ "{{ query('sequence', 'count=2 end=3') }}", TEND_ERROR,
	  "can't specify both count and end in with_sequence" },
	{ "{{ query('sequence', 'start=1') }}", TEND_ERROR,
	  "must specify count or end in with_sequence" },
	{ "{{ query('sequence', 'end=010') }}", TEND_ERROR,
	  "can't parse end=010 as integer" },
	{ "{{ query('sequence', 'start=5 end=1') }}", TEND_ERROR,
	  "to count backwards make stride negative" },
	{ "{{ query('sequence', 'end=3 format=%d%d') }}", TEND_ERROR,
	  "bad formatting string: %d%d" },
	{ "{{ query('sequence', 'end=3 step=1') }}", TEND_ERROR,
	  "unrecognized arguments to with_sequence: ['step']" },
	{ "{{ query('sequence', 'end=99999999') }}", TEND_ERROR,
	  "more than 1000000 items" },
	{ "{{ query('sequence', 'start=1 end=9223372036854775807') }}",
	  TEND_ERROR, "more than 1000000 items" },
	{ "{{ query('sequence', 'start=-9223372036854775807 end=1 stride=9223372036854775807') }}",
	  TEND_ERROR, "more than 1000000 items" },
	{ "{{ query('sequence', 'start=2 count=9223372036854775807') }}",
	  TEND_ERROR, "count=9223372036854775807 is out of range" },
	{ "{{ lookup('pipe', 'exit 3') }}", TEND_ERROR,
	  "lookup_plugin.pipe(exit 3) returned 3" },
	{ "{{ lookup('varnames', '(') }}", TEND_ERROR, "bad regex '('" },
	{ "{{ lookup('password', '/dev/null encrypt=sha512_crypt') }}",
	  TEND_ERROR, "'encrypt' is not supported yet" },
	{ "{{ lookup('password', '/dev/null lenght=3') }}", TEND_ERROR,
	  "Unrecognized parameter(s) given to password lookup: lenght" },
};

static struct val *load_vars(void)
{
	struct diags d = DIAGS_INIT;
	struct val *v = NULL;

	assert_ok(yaml_load_string(&v, vars_yaml, strlen(vars_yaml), "vars",
				   &d));
	diags_release(&d);
	return v;
}

static void test_lookup__data(void **state)
{
	struct val *vars = load_vars();
	struct scope s = { NULL, vars, NULL, NULL, NULL, SCOPE_PLAIN };
	struct buf out = BUF_INIT;
	size_t failed = 0;

	(void)state;
	setenv("TEND_T_ENV", "envval", 1);
	unsetenv("TEND_T_NOPE");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_reset(&out);
		if (template_render_str(&out, cases[i].src, &s) < 0) {
			print_error("%s\n  error: %s\n", cases[i].src,
				    tend_error_last());
			failed++;
		} else if (strcmp(out.ptr, cases[i].want)) {
			print_error("%s\n  want: %s\n  got:  %s\n",
				    cases[i].src, cases[i].want, out.ptr);
			failed++;
		}
	}
	buf_release(&out);
	val_unref(vars);
	if (failed)
		fail_msg("%zu lookup cases failed", failed);
}

static void test_lookup__errors(void **state)
{
	struct val *vars = load_vars();
	struct scope s = { NULL, vars, NULL, NULL, NULL, SCOPE_PLAIN };
	struct buf out = BUF_INIT;
	size_t failed = 0;

	(void)state;
	val_dict_set_str(vars, "name", "world");
	for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
		int rc;

		buf_sets(&out, "keep");
		rc = template_render_str(&out, errors[i].src, &s);
		if (rc != errors[i].code ||
		    !strstr(tend_error_last(), errors[i].msg) ||
		    strcmp(out.ptr, "keep")) {
			print_error("%s\n  want %d '%s'\n  got  %d '%s'\n",
				    errors[i].src, errors[i].code,
				    errors[i].msg, rc, tend_error_last());
			failed++;
		}
	}
	buf_release(&out);
	val_unref(vars);
	if (failed)
		fail_msg("%zu error cases failed", failed);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s/%s", dir, name);
	assert_ok(buf_write_file_atomic(p.ptr, text, strlen(text), 0644));
	buf_release(&p);
}

static void render_is(const char *src, const struct scope *s,
		      const char *want)
{
	struct buf out = BUF_INIT;

	assert_ok(template_render_str(&out, src, s));
	if (strcmp(out.ptr, want))
		fail_msg("%s\n  want: %s\n  got:  %s", src, want, out.ptr);
	buf_release(&out);
}

static void render_fails(const char *src, const struct scope *s, int code,
			 const char *msg)
{
	struct buf out = BUF_INIT;
	int rc = template_render_str(&out, src, s);

	if (rc != code || !strstr(tend_error_last(), msg))
		fail_msg("%s\n  want %d '%s'\n  got  %d '%s'", src, code, msg,
			 rc, tend_error_last());
	buf_release(&out);
}

/* A tree: DIR/files/{motd.txt,conf.d/{a,b}.conf}, templates/t.j2, top.txt */
static void make_tree(char *dir)
{
	struct buf p = BUF_INIT;

	assert_non_null(mkdtemp(dir));
	buf_addf(&p, "%s/files", dir);
	assert_int_equal(mkdir(p.ptr, 0755), 0);
	buf_adds(&p, "/conf.d");
	assert_int_equal(mkdir(p.ptr, 0755), 0);
	buf_reset(&p);
	buf_addf(&p, "%s/templates", dir);
	assert_int_equal(mkdir(p.ptr, 0755), 0);
	write_file(dir, "files/motd.txt", "  hello\n\n");
	write_file(dir, "files/conf.d/a.conf", "A");
	write_file(dir, "files/conf.d/b.conf", "B");
	write_file(dir, "files/conf.d/c.txt", "C");
	write_file(dir, "top.txt", "top");
	write_file(dir, "templates/t.j2", "{{ qz_b }}-{{ extra }}\n\n");
	buf_release(&p);
}

static void test_lookup__files(void **state)
{
	char dir[] = "/tmp/tend-lookup-XXXXXX";
	struct val *vars = load_vars();
	struct scope s = { NULL, vars, NULL, NULL, NULL, SCOPE_PLAIN };
	struct buf want = BUF_INIT, cmd = BUF_INIT;

	(void)state;
	make_tree(dir);
	s.basedir = dir;
	render_is("[{{ lookup('file', 'motd.txt') }}]", &s, "[  hello]");
	render_is("[{{ lookup('file', 'motd.txt', lstrip=True, rstrip=False) }}]",
		  &s, "[hello\n\n]");
	render_is("{{ lookup('file', 'top.txt') }}", &s, "top");
	render_fails("{{ lookup('file', 'nope.txt') }}", &s, TEND_ENOTFOUND,
		     "could not locate file in lookup");
	render_is("{{ lookup('template', 't.j2', template_vars={'extra': 'x'}) }}|",
		  &s, "two-x\n\n|");
	buf_addf(&want, "%s/files/conf.d/b.conf", dir);
	render_is("{{ lookup('first_found', {'files': ['z.conf', 'b.conf'], "
		  "'paths': ['files/nope', 'files/conf.d']}) }}", &s, want.ptr);
	buf_reset(&want);
	buf_addf(&want, "%s/top.txt", dir);
	render_is("{{ lookup('first_found', ['nope', 'top.txt']) }}", &s,
		  want.ptr);
	render_is("{{ query('first_found', 'nope', skip=True) }}", &s, "[]");
	render_fails("{{ lookup('first_found', 'nope') }}", &s, TEND_ENOTFOUND,
		     "No file was found when using first_found.");
	render_is("{{ query('fileglob', 'conf.d/*.conf') | map('basename') | list }}",
		  &s, "['a.conf', 'b.conf']");
	render_is("{{ query('fileglob', '*.txt') | map('basename') | list }}",
		  &s, "['motd.txt']");
	render_is("{{ query('fileglob', 'nope/*') }}", &s, "[]");
	/* pipe and lines run in the base directory */
	render_is("{{ lookup('pipe', 'cat top.txt') }}", &s, "top");
	buf_addf(&cmd, "rm -r '%s'", dir);
	assert_int_equal(system(cmd.ptr), 0);
	buf_release(&cmd);
	buf_release(&want);
	val_unref(vars);
}

static void test_lookup__password(void **state)
{
	char dir[] = "/tmp/tend-lookup-XXXXXX";
	struct val *vars = load_vars(), *v = NULL, *again = NULL;
	struct scope s = { NULL, vars, NULL, NULL, NULL, SCOPE_PLAIN };
	struct buf path = BUF_INIT, data = BUF_INIT, cmd = BUF_INIT;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	s.basedir = dir;
	assert_ok(expr_eval(&v, "lookup('password', 'creds/x/pw length=15 "
			    "chars=digits,,')", &s));
	assert_true(v->flags & VAL_F_SECRET);
	assert_int_equal(v->u.s.len, 15);
	assert_int_equal(strspn(v->u.s.ptr, "0123456789,"), 15);
	buf_addf(&path, "%s/creds/x/pw", dir);
	assert_ok(buf_read_file(&data, path.ptr));
	assert_int_equal(data.len, 16);
	assert_memory_equal(data.ptr, v->u.s.ptr, 15);
	assert_int_equal(stat(path.ptr, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	buf_reset(&data);
	buf_addf(&data, "%s/creds/x", dir);
	assert_int_equal(stat(data.ptr, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* read back: the same, whatever length is asked */
	assert_ok(expr_eval(&again, "lookup('password', 'creds/x/pw', "
			    "length=3)", &s));
	assert_true(val_equal(v, again));
	val_unref(again);
	/* a stored salt is not part of the password */
	write_file(dir, "salted", "pw1 salt=abc\n");
	render_is("{{ lookup('password', 'salted') }}", &s, "pw1");
	/* /dev/null: new each time, stored nowhere */
	val_unref(v);
	assert_ok(expr_eval(&v, "lookup('password', '/dev/null', length=8, "
			    "chars=['ascii_lowercase'])", &s));
	assert_int_equal(v->u.s.len, 8);
	assert_int_equal(strspn(v->u.s.ptr, "abcdefghijklmnopqrstuvwxyz"), 8);
	render_fails("{{ lookup('password', '/dev/null', chars=[]) }}", &s,
		     TEND_ERROR, "no characters to make a password of");
	buf_addf(&cmd, "rm -r '%s'", dir);
	assert_int_equal(system(cmd.ptr), 0);
	buf_release(&cmd);
	buf_release(&path);
	buf_release(&data);
	val_unref(v);
	val_unref(vars);
}

/* A file encrypted whole with Ansible Vault reads as its (secret) plaintext. */
static void test_lookup__vault(void **state)
{
	char dir[] = "/tmp/tend-lookup-XXXXXX";
	struct val *vars = load_vars(), *v = NULL;
	struct scope s = { NULL, vars, NULL, NULL, NULL, SCOPE_PLAIN };
	struct vault_keys k = VAULT_KEYS_INIT;
	struct buf enc = BUF_INIT, p = BUF_INIT, cmd = BUF_INIT;

	(void)state;
	assert_non_null(mkdtemp(dir));
	s.basedir = dir;
	vault_keys_add(&k, NULL, "pw", 2);
	assert_ok(vault_encrypt(&enc, "sealed\n\n", 8, &k.items[0]));
	buf_addf(&p, "%s/v.txt", dir);
	assert_ok(buf_write_file_atomic(p.ptr, enc.ptr, enc.len, 0600));
	vault_set_keys(&k);
	assert_ok(expr_eval(&v, "lookup('file', 'v.txt')", &s));
	assert_string_equal(val_cstr(v), "sealed");
	assert_true(v->flags & VAL_F_SECRET);
	val_unref(v);
	assert_ok(expr_eval(&v, "lookup('unvault', 'v.txt')", &s));
	assert_string_equal(val_cstr(v), "sealed\n\n");
	assert_true(v->flags & VAL_F_SECRET);
	val_unref(v);
	vault_keys_add(&k, NULL, "wrong", 5);
	vault_set_keys(&k);
	render_fails("{{ lookup('unvault', 'v.txt') }}", &s, TEND_ERROR,
		     "lookup('unvault', 'v.txt')");
	vault_set_keys(&k);
	buf_addf(&cmd, "rm -r '%s'", dir);
	assert_int_equal(system(cmd.ptr), 0);
	buf_release(&cmd);
	buf_release(&enc);
	buf_release(&p);
	val_unref(vars);
}

/* A git source's checkout: reads stay in it, it is never written. */
static void test_lookup__confined(void **state)
{
	char dir[] = "/tmp/tend-lookup-XXXXXX";
	struct val *vars = load_vars();
	struct fs_limits lim = { NULL, false };
	struct scope s = { NULL, vars, NULL, NULL, &lim, SCOPE_PLAIN };
	struct buf cmd = BUF_INIT;

	(void)state;
	make_tree(dir);
	lim.root = dir;
	s.basedir = dir;
	render_is("{{ lookup('file', 'top.txt') }}", &s, "top");
	render_fails("{{ lookup('file', '/etc/hostname') }}", &s,
		     TEND_EREFUSED, "leads outside the source checkout");
	render_fails("{{ lookup('file', '../../etc/hostname') }}", &s,
		     TEND_EREFUSED, "leads outside the source checkout");
	render_fails("{{ lookup('template', '/etc/hostname') }}", &s,
		     TEND_EREFUSED, "leads outside the source checkout");
	render_fails("{{ query('fileglob', '/etc/*') }}", &s, TEND_EREFUSED,
		     "leads outside the source checkout");
	render_fails("{{ lookup('password', 'new-pw') }}", &s, TEND_EREFUSED,
		     "refusing to create the password file 'new-pw'");
	render_is("{{ lookup('password', 'top.txt') }}", &s, "top");
	render_is("{{ lookup('pipe', 'echo trusted') }}", &s, "trusted");
	lim.untrusted = true;
	render_fails("{{ lookup('pipe', 'echo no') }}", &s, TEND_EREFUSED,
		     "refusing to run a command on the controller");
	render_fails("{{ query('lines', 'echo no') }}", &s, TEND_EREFUSED,
		     "refusing to run a command on the controller");
	render_fails("{{ lookup('env', 'HOME') }}", &s, TEND_EREFUSED,
		     "refusing to read the controller's environment");
	/* errors='ignore' does not hide a refusal */
	render_fails("{{ lookup('pipe', 'echo no', errors='ignore') }}", &s,
		     TEND_EREFUSED, "refusing to run a command");
	buf_addf(&cmd, "rm -r '%s'", dir);
	assert_int_equal(system(cmd.ptr), 0);
	buf_release(&cmd);
	val_unref(vars);
}

/* with_NAME: the loop's raw value, rendered, is the lookup's terms. */
static void test_lookup__loop(void **state)
{
	struct val *vars = load_vars(), *raw, *out = NULL;
	struct scope s = { NULL, vars, NULL, NULL, NULL, SCOPE_PLAIN };
	struct buf b = BUF_INIT;
	struct diags d = DIAGS_INIT;

	(void)state;
	raw = val_str(" start=2 end={{ other }} ");
	assert_ok(template_lookup_loop(&out, "sequence", raw, "files", &s));
	val_to_repr(&b, out);
	assert_string_equal(b.ptr, "['2', '3']");
	assert_true(out->flags & VAL_F_UNSAFE);
	val_unref(out);
	val_unref(raw);
	/* first_found: a name with an undefined variable is skipped */
	assert_ok(yaml_load_string(&raw, "['{{ nope }}.txt', '/etc/hostname']",
				   35, "t", &d));
	diags_release(&d);
	assert_ok(template_lookup_loop(&out, "first_found", raw, "files", &s));
	buf_reset(&b);
	val_to_repr(&b, out);
	assert_string_equal(b.ptr, "['/etc/hostname']");
	val_unref(out);
	val_unref(raw);
	assert_int_equal(template_lookup_check("nested"), 0);
	assert_int_equal(template_lookup_check("config"), -1);
	assert_non_null(strstr(tend_error_last(), "not supported yet"));
	assert_int_equal(template_lookup_check("bogus"), -1);
	buf_release(&b);
	val_unref(vars);
}

/* ini's reader: one key's value (joined with "|" for a regex), or "ERR". */
static char *ini_of(const char *text, const char *key, const char *sect,
		    bool is_re, bool case_sensitive, bool allow_no_value)
{
	struct val *out = val_list();
	struct buf b = BUF_INIT;

	if (lookup_ini_text(out, text, strlen(text), key, sect, is_re,
			    case_sensitive, allow_no_value) < 0) {
		tend_error_clear();
		buf_adds(&b, "ERR");
	}
	for (size_t i = 0; i < out->u.list.nr; i++) {
		if (i)
			buf_addch(&b, '|');
		if (out->u.list.items[i]->type == VAL_NULL)
			buf_adds(&b, "None");
		else
			buf_add(&b, out->u.list.items[i]->u.s.ptr,
				out->u.list.items[i]->u.s.len);
	}
	val_unref(out);
	return buf_detach(&b, NULL);
}

#define INI_IS(want, ...) do { \
		char *got_ = ini_of(__VA_ARGS__); \
		assert_string_equal(got_, want); \
		free(got_); \
	} while (0)

/* Expected values from Python 3.11's configparser, as Ansible 2.14 uses it. */
static void test_lookup__ini_text(void **state)
{
	static const char f[] =
		"; comment\n"
		"[DEFAULT]\n"
		"base = /srv\n"
		"[s]\n"
		"Name = -n 50%% \\ {{ x }}\n"
		"path: %(base)s/%(name)s\n"
		"multi = a\n"
		"  b\n"
		"\n"
		"\t c\n"
		"  # not a line of it\n"
		"\n"
		"k\xc2\xa0= nbsp\xe2\x80\x83\n"
		"[x] y]\n"
		"z = 1\n";

	(void)state;
	INI_IS("-n 50% \\ {{ x }}", f, "NAME", "s", false, false, false);
	INI_IS("/srv/-n 50% \\ {{ x }}", f, "path", "s", false, false, false);
	INI_IS("a\nb\n\nc", f, "multi", "s", false, false, false);
	INI_IS("nbsp", f, "k", "s", false, false, false);
	INI_IS("/srv", f, "base", "s", false, false, false);
	INI_IS("/srv", f, "base", "DEFAULT", false, false, false);
	INI_IS("1", f, "z", "x] y", false, false, false);
	INI_IS("", f, "nope", "s", false, false, false);
	INI_IS("ERR", f, "z", "nosuch", false, false, false);
	INI_IS("/srv|/srv/-n 50% \\ {{ x }}", f, "^(base|path)", "s", true,
	       false, false);
	INI_IS("", f, "name", "s", false, true, false); /* not lowercased */
	INI_IS("-n 50% \\ {{ x }}", f, "Name", "s", false, true, false);
	/* errors: a lone %, a loop, a line that is no option, no header,
	 * duplicates in one file */
	INI_IS("ERR", "[s]\na = 5%\n", "a", "s", false, false, false);
	INI_IS("ERR", "[s]\na = %(a)s\n", "a", "s", false, false, false);
	INI_IS("ERR", "[s]\na = %(b\n", "a", "s", false, false, false);
	INI_IS("ERR", "[s]\njust words\n", "a", "s", false, false, false);
	INI_IS("ERR", "a = 1\n", "a", "s", false, false, false);
	INI_IS("ERR", "[s]\na = 1\nA = 2\n", "a", "s", false, false, false);
	INI_IS("ERR", "[s]\n[s]\n", "a", "s", false, false, false);
	/* valueless options */
	INI_IS("", "[s]\nflag\n", "flag", "s", false, false, true);
	INI_IS("", "[s]\nflag\n", "fl.*", "s", true, false, true);
	INI_IS("ERR", "[s]\nflag\n  more\n", "flag", "s", false, false, true);
	/* names lowercased as Python's str.lower() does (U+0130 too) */
	INI_IS("1", "[s]\nUml\xc3\x84ut = 1\n", "UML\xc3\x84UT", "s", false,
	       false, false);
	INI_IS("2", "[s]\n\xc4\xb0 = 2\n", "i\xcc\x87", "s", false, false,
	       false);
}

static const char *csv_of(struct val **v, const char *text, const char *key,
			  char delim, long long col)
{
	struct val *c = val_int(col);

	*v = NULL;
	if (lookup_csv_text(v, text, strlen(text), key, delim, c) < 0) {
		tend_error_clear();
		val_unref(c);
		return "ERR";
	}
	val_unref(c);
	return *v ? val_cstr(*v) : "None";
}

#define CSV_IS(want, ...) do { \
		struct val *v_; \
		assert_string_equal(csv_of(&v_, __VA_ARGS__), want); \
		val_unref(v_); \
	} while (0)

/* Expected values from Python 3.11's csv.reader (excel dialect). */
static void test_lookup__csv_text(void **state)
{
	static const char f[] =
		"a,\"x, \"\"y\"\"\",3\n"
		"\"multi\nline\",m\r\n"
		"\n"
		"v\x0bw,1\n"
		"w,2\n"
		"half\"quoted\",h\n"
		"\"q\"tail,t\n";

	(void)state;
	CSV_IS("x, \"y\"", f, "a", ',', 1);
	CSV_IS("3", f, "a", ',', -1);
	CSV_IS("m", f, "multi\nline", ',', 1);
	CSV_IS("v\x0b", f, "v\x0b", ',', 0); /* \v ends a line */
	CSV_IS("1", f, "w", ',', 1); /* the first row of w */
	CSV_IS("h", f, "half\"quoted\"", ',', 1);
	CSV_IS("t", f, "qtail", ',', 1);
	CSV_IS("None", f, "nope", ',', 1);
	CSV_IS("ERR", f, "a", ',', 3);
	CSV_IS("open\n", "k,\"open\n", "k", ',', 1);
	CSV_IS("1", "a\rb,1\n", "b", ',', 1); /* \r ends a line too */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup__data),
		cmocka_unit_test(test_lookup__ini_text),
		cmocka_unit_test(test_lookup__csv_text),
		cmocka_unit_test(test_lookup__errors),
		cmocka_unit_test(test_lookup__files),
		cmocka_unit_test(test_lookup__password),
		cmocka_unit_test(test_lookup__vault),
		cmocka_unit_test(test_lookup__confined),
		cmocka_unit_test(test_lookup__loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
