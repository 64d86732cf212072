#include "unit.h"
#include "tend/util/buf.h"
#include "tend/inventory/inventory.h"
#include "tend/data/val.h"
#include "tend/util/fs.h"
#include "tend/util/interrupt.h"

#include <dirent.h>
#include <time.h>
#include <unistd.h>

/*
 * Every expectation here was obtained from Ansible 2.14
 * (ansible-inventory --list/--host, ansible PATTERN --list-hosts and
 * debug var=group_names/groups) run on the same fixtures.
 */

#define FIX "tests/fixtures/inventory/"

static struct inventory *load(const char *path)
{
	struct diags d = DIAGS_INIT;
	struct inventory *inv = NULL;
	int error = inventory_load(&inv, path, NULL, &d);

	if (error < 0) {
		diags_print(&d, stderr);
		fail_msg("inventory_load(%s) failed (%d): %s", path, error,
			 tend_error_last());
	}
	assert_int_equal(d.nr, 0);
	diags_release(&d);
	return inv;
}

/* The selected host names, space separated ("" for none). */
static void check_select(const struct inventory *inv, const char *pattern,
			 const char *want)
{
	struct host **hs = NULL;
	struct buf got = BUF_INIT;
	size_t nr = 0;

	assert_ok(inventory_select(&hs, &nr, inv, pattern));
	for (size_t i = 0; i < nr; i++) {
		if (i)
			buf_addch(&got, ' ');
		buf_adds(&got, hs[i]->name);
	}
	if (strcmp(got.ptr, want))
		fail_msg("pattern '%s': got '%s', want '%s'", pattern, got.ptr,
			 want);
	buf_release(&got);
	free(hs);
}

/* Compare with compact JSON written with ' for " (for readability). */
static void check_json(const struct val *v, const char *want)
{
	struct buf got = BUF_INIT, w = BUF_INIT;

	val_to_json(&got, v, 0);
	for (const char *p = want; *p; p++)
		buf_addch(&w, *p == '\'' ? '"' : *p);
	if (strcmp(got.ptr, w.ptr))
		fail_msg("got %s\nwant %s", got.ptr, w.ptr);
	buf_release(&got);
	buf_release(&w);
}

static void check_host_vars(const struct inventory *inv, const char *name,
			    const char *want)
{
	struct host *h = inventory_find_host(inv, name);
	struct val *v;

	assert_non_null(h);
	v = inventory_host_vars(inv, h);
	check_json(v, want);
	val_unref(v);
}

static void check_group_names(const struct inventory *inv, const char *name,
			      const char *want)
{
	struct host *h = inventory_find_host(inv, name);
	struct val *v;

	assert_non_null(h);
	v = inventory_group_names(inv, h);
	check_json(v, want);
	val_unref(v);
}

static struct group *find_group(const struct inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->groups_nr; i++)
		if (!strcmp(inv->groups[i]->name, name))
			return inv->groups[i];
	fail_msg("no group '%s'", name);
	return NULL;
}

/*
 * -i a.ini -i b.yml -i h9,: hosts and groups of all three (all lists
 * ungrouped's first, as `ansible all --list-hosts` does), w2's x from the
 * later source (ansible-inventory --host w2 gives the same).
 */
static void test_inventory__merged_sources(void **state)
{
	const struct inventory_source srcs[] = {
		{ FIX "merge/a.ini", NULL }, { FIX "merge/b.yml", NULL },
		{ "h9,", NULL },
	};
	struct diags d = DIAGS_INIT;
	struct inventory *inv = NULL;

	(void)state;
	assert_ok(inventory_load_sources(&inv, srcs, 3, &d));
	assert_int_equal(d.nr, 0);
	check_select(inv, "all", "h9 w1 w2 w3 d1");
	check_select(inv, "web", "w1 w2 w3");
	check_host_vars(inv, "w2", "{'x': 'b'}");
	check_group_names(inv, "h9", "['ungrouped']");
	inventory_free(inv);
	{
		/* a missing one fails the whole load */
		const struct inventory_source bad[] = {
			{ FIX "merge/a.ini", NULL }, { FIX "merge/none", NULL },
		};

		assert_int_equal(inventory_load_sources(&inv, bad, 2, &d),
				 TEND_ENOTFOUND);
		assert_null(inv);
	}
	diags_release(&d);
}

static void test_inventory__ini_groups(void **state)
{
	struct inventory *inv = load(FIX "patterns.ini");
	struct group *g;
	struct val *groups;

	(void)state;
	assert_string_equal(inv->groups[0]->name, "all");
	assert_string_equal(inv->groups[1]->name, "ungrouped");
	assert_int_equal(inv->groups_nr, 6);
	assert_int_equal(inv->hosts_nr, 8);
	assert_string_equal(inv->hosts[0]->name, "alpha");
	assert_false(inv->hosts[0]->implicit);

	/* prod:children made web and db its children, not all's */
	g = find_group(inv, "prod");
	assert_int_equal(g->children_nr, 2);
	assert_string_equal(inv->groups[g->children[0]]->name, "web");
	g = find_group(inv, "web");
	assert_int_equal(g->parents_nr, 1);
	assert_string_equal(inv->groups[g->parents[0]]->name, "prod");

	/* alpha was before any section but is in staging: not ungrouped */
	g = find_group(inv, "ungrouped");
	assert_int_equal(g->hosts_nr, 2);
	assert_string_equal(inv->hosts[g->hosts[0]]->name, "beta");
	assert_string_equal(inv->hosts[g->hosts[1]]->name, "zeta");

	check_group_names(inv, "web2", "['db', 'prod', 'web']");
	check_group_names(inv, "alpha", "['staging']");
	/* Ansible keeps "ungrouped" in group_names (it drops only "all") */
	check_group_names(inv, "beta", "['ungrouped']");

	groups = inventory_groups(inv);
	check_json(groups,
		   "{'all': ['beta', 'zeta', 'stage1', 'alpha', "
		   "'web1', 'web2', 'web3', 'db1'], "
		   "'ungrouped': ['beta', 'zeta'], "
		   "'web': ['web1', 'web2', 'web3'], "
		   "'db': ['db1', 'web2'], "
		   "'prod': ['web1', 'web2', 'web3', 'db1'], "
		   "'staging': ['stage1', 'alpha']}");
	val_unref(groups);
	assert_null(inventory_find_host(inv, "nope"));
	assert_ptr_equal(inventory_find_host(inv, "db1"), inv->hosts[5]);
	inventory_free(inv);
}

static void test_inventory__patterns(void **state)
{
	static const struct {
		const char *pattern, *want;
	} cases[] = {
		{ "all", "beta zeta stage1 alpha web1 web2 web3 db1" },
		{ "*", "beta zeta stage1 alpha web1 web2 web3 db1" },
		{ "web", "web1 web2 web3" },
		/* unions keep the order of their terms, not inventory order */
		{ "db:web", "db1 web2 web1 web3" },
		{ "web:db", "web1 web2 web3 db1" },
		{ "web,db", "web1 web2 web3 db1" },
		{ " web , db ", "web1 web2 web3 db1" },
		{ "web:&db", "web2" },
		{ "prod:!db", "web1 web3" },
		{ "!db", "beta zeta stage1 alpha web1 web3" },
		{ "&db", "web2 db1" },
		/* unions first, then &, then !, whatever their order */
		{ "!web2:prod", "web1 web3 db1" },
		{ "db:&prod:web", "db1 web2 web1 web3" },
		{ "web2,!db,db1", "" },
		{ "prod:!web2:db1", "web1 web3 db1" },
		{ "web*", "web1 web2 web3" },
		{ "w*", "web1 web2 web3" },
		{ "*1", "web1 db1 stage1" },
		{ "stag?", "" },
		{ "stag??g", "stage1 alpha" },
		{ "~web[13]", "web1 web3" },
		{ "~web\\d", "web1 web2 web3" },
		{ "~eb", "" }, /* regexes match from the start */
		{ "~(db|stage)", "db1 web2 stage1" },
		{ "web[0]", "web1" },
		{ "web[-1]", "web3" },
		{ "web[1:]", "web2 web3" },
		{ "web[0:1]", "web1 web2" },
		{ "web[0-1]", "web1 web2" },
		{ "prod[1:3]", "web2 web3 db1" },
		{ "web[5]", "" },
		{ "*[0]", "beta" },
		{ "ungrouped", "beta zeta" },
		{ "al*", "beta zeta stage1 alpha web1 web2 web3 db1" },
		{ "web1:22", "" }, /* an address with a port: one pattern */
		{ "nope", "" },
		{ "db1", "db1" },
		{ "localhost:web", "localhost web1 web2 web3" },
		{ "", "beta zeta stage1 alpha web1 web2 web3 db1" },
	};
	struct inventory *inv = load(FIX "patterns.ini");
	struct host **hs;
	size_t nr;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_select(inv, cases[i].pattern, cases[i].want);
	check_select(inv, NULL, "beta zeta stage1 alpha web1 web2 web3 db1");

	assert_int_equal(inventory_select(&hs, &nr, inv, "~web(a"), -1);
	assert_non_null(strstr(tend_error_last(), "~web(a"));
	tend_error_clear();
	inventory_free(inv);
}

static void test_inventory__implicit_localhost(void **state)
{
	struct inventory *inv = load(FIX "patterns.ini");
	struct host **hs, **hs2;
	struct val *v;
	size_t nr, nr2;

	(void)state;
	assert_ok(inventory_select(&hs, &nr, inv, "localhost"));
	assert_int_equal(nr, 1);
	assert_string_equal(hs[0]->name, "localhost");
	assert_true(hs[0]->implicit);
	assert_int_equal(hs[0]->groups_nr, 0);
	/* the same host every time, owned by the inventory */
	assert_ok(inventory_select(&hs2, &nr2, inv, "127.0.0.1"));
	assert_int_equal(nr2, 1);
	assert_ptr_equal(hs[0], hs2[0]);
	assert_ptr_equal(inventory_find_host(inv, "localhost"), hs[0]);
	v = inventory_host_vars(inv, hs[0]);
	check_json(v, "{'ansible_connection': 'local'}");
	val_unref(v);
	v = inventory_group_names(inv, hs[0]);
	check_json(v, "[]");
	val_unref(v);
	free(hs);
	free(hs2);

	/* not part of all, nor of any group listing */
	check_select(inv, "all:localhost",
		     "beta zeta stage1 alpha web1 web2 web3 db1 localhost");
	check_select(inv, "all:&localhost", "");
	v = inventory_groups(inv);
	assert_int_equal(val_len(val_dict_get(v, "all")), 8);
	val_unref(v);
	inventory_free(inv);

	/* an inventory that has a localhost gets no implicit one */
	inv = load("localhost,other,");
	check_select(inv, "127.0.0.1", "localhost");
	assert_false(inventory_find_host(inv, "127.0.0.1")->implicit);
	inventory_free(inv);
	inv = load(NULL);
	assert_ok(inventory_select(&hs, &nr, inv, "127.0.0.1"));
	assert_int_equal(nr, 1);
	assert_ptr_equal(hs[0], inv->hosts[0]);
	assert_false(hs[0]->implicit);
	free(hs);
	inventory_free(inv);
}

static void test_inventory__ini_values(void **state)
{
	struct inventory *inv = load(FIX "values.ini");
	struct host *h = inventory_find_host(inv, "typed");
	struct val *v;

	(void)state;
	assert_non_null(h);
	v = h->vars;
	assert_true(val_is(val_dict_get(v, "i"), VAL_INT));
	assert_int_equal(val_dict_get(v, "i")->u.i, 1);
	assert_true(val_is(val_dict_get(v, "f"), VAL_FLOAT));
	assert_true(val_dict_get(v, "f")->u.f == 1.5);
	assert_true(val_is(val_dict_get(v, "exp"), VAL_FLOAT));
	assert_true(val_dict_get(v, "exp")->u.f == 1000.0);
	val_dict_del(v, "f");
	val_dict_del(v, "exp");
	/* "cut=a#b": '#' starts a comment, so dropped=1 is gone too */
	check_json(v, "{'i': 1, 't': true, 's': 'hello world', "
		      "'l': [1, 'two'], 'd': {'a': 1}, 'q': 'it', "
		      "'n': null, 'yes_str': 'yes', 'octal': '0644', "
		      "'hex': 31, 'empty': '', 'word': 'abc', "
		      "'neg': -3, 'tuple': [1, 2], 'under': 1000, "
		      "'esc': 'a\\nb', 'lower': 'false', 'cut': 'a'}");
	/* values keep where they were written */
	assert_string_equal(val_dict_get(v, "i")->pos.file, FIX "values.ini");
	assert_int_equal(val_dict_get(v, "i")->pos.line, 3);
	assert_int_equal(val_dict_get(v, "i")->pos.col, 9);

	check_host_vars(inv, "port_over",
			"{'ansible_port': 33, 'ansible_host': '10.0.0.1'}");
	check_host_vars(inv, "member",
			"{'gi': 1, 'gb': true, 'gwords': 'hello world', "
			"'gquoted': 'quoted', 'glist': [1, 2], "
			"'gyes': 'yes', 'gspaced': 'spaced', "
			"'gconcat': 'ab', 'geq': 'x=y', "
			"'gtuple': [1, 2], 'gcomment': 1}");
	check_group_names(inv, "port_over", "['ungrouped']");
	inventory_free(inv);
}

static void test_inventory__ranges_and_ports(void **state)
{
	struct inventory *inv = load(FIX "ranges.ini");
	struct buf names = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < inv->hosts_nr; i++)
		buf_addf(&names, "%s%s", i ? " " : "", inv->hosts[i]->name);
	assert_string_equal(names.ptr,
			    "web01.example.com web02.example.com "
			    "web03.example.com db-a db-b db-c odd1 odd4 odd7 "
			    "odd10 app8 app9 app10");
	check_host_vars(inv, "odd7", "{'r': 1, 'role': 'odd'}");
	check_host_vars(inv, "app9", "{'r': 1, 'ansible_port': 2222}");
	check_host_vars(inv, "db-b", "{'r': 1}");
	check_select(inv, "~db-[ab]", "db-a db-b");
	check_select(inv, "web[10:]", "app8 app9 app10");
	buf_release(&names);
	inventory_free(inv);
}

static void test_inventory__yaml(void **state)
{
	struct inventory *inv = load(FIX "yaml/inventory.yml");
	struct val *groups;

	(void)state;
	check_host_vars(inv, "web1",
			"{'av': 1, 'ansible_port': 22, 'wv': 'x'}");
	check_host_vars(inv, "h", "{'av': 1, 'ansible_port': 23}");
	check_host_vars(inv, "direct2", "{'av': 1, 'a': 1}");
	check_host_vars(inv, "db1", "{'av': 1, 'dbv': 2}");
	/* a host listed under all directly is also ungrouped... */
	check_group_names(inv, "direct2", "['ungrouped']");
	/* ...unless some other group has it */
	check_group_names(inv, "direct1", "['other']");
	check_group_names(inv, "deep1", "['deep', 'web']");
	groups = inventory_groups(inv);
	check_json(groups,
		   "{'all': ['direct1', 'direct2', 'web1', 'web2', "
		   "'h', 'db1', 'o1', 'deep1'], "
		   "'ungrouped': ['direct2'], "
		   "'web': ['web1', 'web2', 'h', 'deep1'], "
		   "'deep': ['deep1'], 'empty': [], 'db': ['db1'], "
		   "'other': ['o1', 'direct1']}");
	val_unref(groups);
	check_select(inv, "web:!deep", "web1 web2 h");
	check_select(inv, "other:&ungrouped", "");
	inventory_free(inv);
}

static void test_inventory__directory(void **state)
{
	struct inventory *inv = load(FIX "dir");

	(void)state;
	/* hosts.ini, x.bak, t.txt, v~ and .hidden are skipped */
	check_select(inv, "all", "h_yml h_noext h_sub");
	check_group_names(inv, "h_sub", "['s']");
	/* group_vars/ of a directory inventory is inside it */
	check_host_vars(inv, "h_noext", "{'from_dir': 1}");
	inventory_free(inv);
}

static void test_inventory__precedence(void **state)
{
	struct inventory *inv = load(FIX "prec/hosts");
	struct diags d = DIAGS_INIT;

	(void)state;
	/*
	 * all < prod < web < db (db: ansible_group_priority=5) for the
	 * inventory file's vars; group_vars/all.yml beats all of those
	 * (i); group_vars/web/ merges 01.yml then 02.yaml; db.yml wins
	 * over db.yaml; host_vars/w1 beats the inline host var (x).
	 */
	check_host_vars(inv, "w1",
			"{'d': 'prod', 'e': 'all', 'i': 'file_all', "
			"'a': 'db', 'b': 'web', 'c': 'db', "
			"'j': 'file_all', 'f': 'dir1', 'g': 'dir2', "
			"'h': 'db_yml', 'x': 'host_vars_file'}");
	check_group_names(inv, "w1", "['db', 'prod', 'web']");
	/* the priority is not a variable */
	assert_null(val_dict_get(find_group(inv, "db")->vars,
				 "ansible_group_priority"));
	/* a group's vars: the inventory file's, then its group_vars file */
	check_json(find_group(inv, "web")->vars,
		   "{'a': 'web', 'b': 'web', 'f': 'dir1', "
		   "'g': 'dir2'}");

	/* the playbook's group_vars/ and host_vars/ come on top */
	assert_ok(inventory_load_vars_dirs(inv, FIX "prec/play", NULL, &d));
	assert_int_equal(d.nr, 0);
	check_host_vars(inv, "w1",
			"{'d': 'prod', 'e': 'all', 'i': 'file_all', "
			"'a': 'db', 'b': 'web', 'c': 'db', "
			"'j': 'play_all', 'k': 'play_web', "
			"'f': 'dir1', 'g': 'dir2', 'h': 'db_yml', "
			"'x': 'host_vars_file', 'l': 'play_host'}");
	/* a missing directory is fine */
	assert_ok(inventory_load_vars_dirs(inv, FIX "prec/nowhere", NULL, &d));
	assert_int_equal(d.nr, 0);
	diags_release(&d);
	inventory_free(inv);
}

static void test_inventory__comma_list(void **state)
{
	struct inventory *inv = load("h1, h2:2200 ,h1,[::1]:22,web[1:2],");

	(void)state;
	check_select(inv, "all", "h1 h2 ::1 web[1:2]");
	check_select(inv, "ungrouped", "h1 h2 ::1 web[1:2]");
	check_host_vars(inv, "h2", "{'ansible_port': 2200}");
	check_host_vars(inv, "::1", "{'ansible_port': 22}");
	/* ::1 is a localhost: no implicit one */
	check_select(inv, "localhost", "::1");
	inventory_free(inv);

	inv = load("single,");
	check_select(inv, "all", "single");
	inventory_free(inv);
}

static void test_inventory__null_path(void **state)
{
	struct inventory *inv = load(NULL);

	(void)state;
	assert_int_equal(inv->hosts_nr, 1);
	check_select(inv, "all", "localhost");
	check_select(inv, "ungrouped", "localhost");
	check_host_vars(inv, "localhost", "{'ansible_connection': 'local'}");
	check_group_names(inv, "localhost", "['ungrouped']");
	inventory_free(inv);
}

static void test_inventory__missing(void **state)
{
	struct diags d = DIAGS_INIT;
	struct inventory *inv = (struct inventory *)&d;

	(void)state;
	assert_int_equal(inventory_load(&inv, FIX "no-such-file", NULL, &d),
			 TEND_ENOTFOUND);
	assert_null(inv);
	assert_non_null(strstr(tend_error_last(), "no-such-file"));
	assert_int_equal(d.nr, 0);
	tend_error_clear();
}

/* A signal (interrupt.h) stops the load with TEND_EINTERRUPTED. */
static void test_inventory__interrupted(void **state)
{
	struct diags d = DIAGS_INIT;
	struct inventory *inv = (struct inventory *)&d;

	(void)state;
	tend_interrupted = 1;
	assert_int_equal(inventory_load(&inv, FIX "ranges.ini", NULL, &d),
			 TEND_EINTERRUPTED);
	tend_interrupted = 0;
	assert_null(inv);
	assert_string_equal(tend_error_last(),
			    "interrupted while loading the inventory");
	assert_int_equal(d.nr, 0);
	tend_error_clear();
	inv = load(FIX "ranges.ini");
	assert_int_equal(inv->hosts_nr, 13);
	inventory_free(inv);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each bad/NAME.bad.* must fail with exactly the lines of NAME.bad.*.err. */
static void test_inventory__bad_input(void **state)
{
	DIR *dh = opendir(FIX "bad");
	struct dirent *de;
	char *names[64];
	size_t nr = 0;

	(void)state;
	assert_non_null(dh);
	while ((de = readdir(dh))) {
		if (strstr(de->d_name, ".bad.") &&
		    !strstr(de->d_name, ".err")) {
			assert_true(nr < ARRAY_SIZE(names));
			names[nr++] = strdup(de->d_name);
		}
	}
	closedir(dh);
	qsort(names, nr, sizeof(*names), cmp_name);
	assert_true(nr >= 10);
	for (size_t i = 0; i < nr; i++) {
		struct diags d = DIAGS_INIT;
		struct inventory *inv = NULL;
		struct buf path = BUF_INIT, want = BUF_INIT, got = BUF_INIT;

		buf_addf(&path, FIX "bad/%s", names[i]);
		assert_int_equal(inventory_load(&inv, path.ptr, NULL, &d),
				 TEND_EPARSE);
		assert_null(inv);
		for (size_t j = 0; j < d.nr; j++)
			buf_addf(&got, "%s\n", d.items[j]);
		buf_adds(&path, ".err");
		assert_ok(buf_read_file(&want, path.ptr));
		if (strcmp(got.ptr, want.ptr))
			fail_msg("%s: got\n%swant\n%s", names[i], got.ptr,
				 want.ptr);
		assert_int_equal(d.errors, d.nr);
		buf_release(&path);
		buf_release(&want);
		buf_release(&got);
		diags_release(&d);
		free(names[i]);
	}
}

/* Thousands of hosts must load and select without quadratic costs. */
static void test_inventory__scale(void **state)
{
	char path[] = "/tmp/tend-inventory-XXXXXX";
	struct inventory *inv;
	struct host **hs;
	size_t nr;
	struct val *groups, *vars;
	FILE *f;
	int fd;
	clock_t start;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	for (int g = 0; g < 100; g++) {
		fprintf(f, "[g%d]\n", g);
		for (int h = 0; h < 100; h++)
			fprintf(f, "host%d-%d.example.com n=%d\n", g, h, h);
		fprintf(f, "[g%d:vars]\ngroup=%d\n", g, g);
	}
	fprintf(f, "[big:children]\n");
	for (int g = 0; g < 100; g++)
		fprintf(f, "g%d\n", g);
	fclose(f);

	start = clock();
	inv = load(path);
	assert_int_equal(inv->hosts_nr, 10000);
	for (int i = 0; i < 20; i++) {
		assert_ok(inventory_select(&hs, &nr, inv,
					   "big:!g5:&~host[0-9]0-.*"));
		assert_int_equal(nr, 900);
		free(hs);
	}
	assert_ok(inventory_select(&hs, &nr, inv, "host99-99.example.com"));
	assert_int_equal(nr, 1);
	vars = inventory_host_vars(inv, hs[0]);
	check_json(vars, "{'group': 99, 'n': 99}");
	val_unref(vars);
	free(hs);
	groups = inventory_groups(inv);
	assert_int_equal(val_len(val_dict_get(groups, "all")), 10000);
	val_unref(groups);
	for (size_t i = 0; i < inv->hosts_nr; i++)
		assert_ptr_equal(inventory_find_host(inv, inv->hosts[i]->name),
				 inv->hosts[i]);
	/* generous: this takes a few tens of ms, quadratic takes seconds */
	assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 5.0);
	inventory_free(inv);
	unlink(path);
}

/*
 * add_host and group_by change a clone, never the loaded inventory; what
 * they make matches Ansible 2.14's groups/hostvars (ah.yml in t2183).
 */
static void test_inventory__runtime_changes(void **state)
{
	struct inventory *inv = load("h1,h2,");
	struct inventory *run = inventory_clone(inv);
	struct val *groups = val_list(), *vars = val_dict(), *g, *parents;
	struct host *h;

	(void)state;
	val_list_push(groups, val_str("newgrp"));
	val_dict_set_str(vars, "myvar", "v");
	assert_ok(inventory_add_host(run, "new-h1:2222", groups, vars));
	/* an existing host: into a group, out of ungrouped, vars updated */
	assert_ok(inventory_add_host(run, "h2", groups, vars));
	parents = val_list();
	val_list_push(parents, val_str("kinds"));
	assert_ok(inventory_group_by(run, "h1", "kind_h1", parents));
	g = inventory_groups(run);
	check_json(g, "{'all': ['new-h1', 'h2', 'h1'], 'ungrouped': [], "
		   "'newgrp': ['new-h1', 'h2'], 'kind_h1': ['h1'], "
		   "'kinds': ['h1']}");
	val_unref(g);
	check_host_vars(run, "new-h1", "{'ansible_ssh_port': 2222, "
			"'myvar': 'v'}");
	check_host_vars(run, "h2", "{'myvar': 'v'}");
	h = inventory_find_host(run, "h1");
	g = inventory_group_names(run, h);
	check_json(g, "['kind_h1', 'kinds']");
	val_unref(g);
	/* a parent that would make a loop is an error */
	val_list_push(parents, val_str("kind_h1"));
	assert_true(inventory_group_by(run, "h1", "kinds", parents) < 0);
	assert_true(inventory_group_by(run, "nobody", "x", NULL) < 0);
	tend_error_clear();
	/* the loaded inventory is as it was */
	g = inventory_groups(inv);
	check_json(g, "{'all': ['h1', 'h2'], 'ungrouped': ['h1', 'h2']}");
	val_unref(g);
	check_host_vars(inv, "h2", "{}");
	assert_null(inventory_find_host(inv, "new-h1"));
	val_unref(groups);
	val_unref(vars);
	val_unref(parents);
	inventory_free(run);
	inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory__ini_groups),
		cmocka_unit_test(test_inventory__patterns),
		cmocka_unit_test(test_inventory__implicit_localhost),
		cmocka_unit_test(test_inventory__ini_values),
		cmocka_unit_test(test_inventory__ranges_and_ports),
		cmocka_unit_test(test_inventory__yaml),
		cmocka_unit_test(test_inventory__directory),
		cmocka_unit_test(test_inventory__precedence),
		cmocka_unit_test(test_inventory__comma_list),
		cmocka_unit_test(test_inventory__null_path),
		cmocka_unit_test(test_inventory__missing),
		cmocka_unit_test(test_inventory__interrupted),
		cmocka_unit_test(test_inventory__bad_input),
		cmocka_unit_test(test_inventory__scale),
		cmocka_unit_test(test_inventory__runtime_changes),
		cmocka_unit_test(test_inventory__merged_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
