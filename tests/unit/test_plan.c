#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/util/pwhash.h"
#include "tend/util/quote.h"
#include "tend/util/readlog.h"
#include "tend/store/plan.h"

#include <sodium.h>

#include <unistd.h>

#include "unit.h"

/*
 * Saved plans: what plan_write writes, plan_load reads back; plan_load
 * refuses every other shape with the JSON path of what is wrong.
 */

static char scratch[] = "/tmp/tend-plan-test.XXXXXX";
static struct pwhash *writer; /* the hasher the good plan was made with */
static struct buf good = BUF_INIT; /* a real plan file's text */

static void write_file(const char *name, const char *text)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s/%s", scratch, name);
	assert_ok(buf_write_file_atomic(p.ptr, text, strlen(text), 0600));
	buf_release(&p);
}

/* One event per plan-mode status, so every action name is written. */
static void write_plan(const char *name)
{
	static const enum event_status all[] = {
		EV_OK, EV_CHANGED, EV_UNKNOWN, EV_SKIPPED, EV_FAILED,
		EV_UNREACHABLE,
	};
	struct run_event ev[ARRAY_SIZE(all)];
	struct host_stats hs = { .host = (char *)"web1" };
	struct run_result r = { .events = ev, .nr = ARRAY_SIZE(all),
				.hosts = &hs, .hosts_nr = 1 };
	struct buf pb = BUF_INIT, out = BUF_INIT;
	const char *pbs[1];
	struct val *extra = val_dict(), *pw = val_str("hunter2");
	struct plan_meta m = { .playbooks = pbs, .playbooks_nr = 1,
			       .extra_vars = extra };
	struct readlog *reads = readlog_new(), *prev = readlog_use(reads);
	struct plan_bind b = { .reads = reads, .root = scratch };
	struct val *shape = val_dict();
	struct buf vars = BUF_INIT, text = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		ev[i] = (struct run_event){
			.play = (char *)"p", .task = (char *)"t",
			.module = (char *)"copy", .host = (char *)"web1",
			.pos = { .file = "site.yml", .line = 4 + i, .col = 7 },
			.status = all[i], .changes = (char *)"mode: a -> b\n",
		};
		memset(ev[i].fingerprint, 'a', 64);
		ev[i].fingerprint[64] = '\0';
		memset(ev[i].args_fingerprint, 'b', 64);
		ev[i].args_fingerprint[64] = '\0';
	}
	ev[0].label = (char *)"item1";
	ev[1].diff = (char *)"--- a\n+++ b\n";
	ev[2].msg = (char *)"a message";
	write_file("site.yml", "- hosts: all\n  tasks: []\n");
	buf_addf(&pb, "%s/site.yml", scratch);
	pbs[0] = pb.ptr;
	pw->flags |= VAL_F_SECRET;
	val_dict_set_str(extra, "msg", "hi");
	val_dict_set(extra, "pw", pw);
	/* a user's var shaped as format 1's redacted secret */
	val_dict_set_str(shape, "secret_sha256", "abc");
	val_dict_set(extra, "shape", shape);
	/* a file the run read, beneath the root: named relative to it */
	write_file("vars.yml", "msg: hi\n");
	buf_addf(&vars, "%s/vars.yml", scratch);
	assert_ok(readlog_read(&text, NULL, vars.ptr));
	buf_addf(&out, "%s/%s", scratch, name);
	writer = pwhash_new(NULL);
	b.hasher = writer;
	assert_ok(plan_write(out.ptr, &r, &m, &b));
	readlog_use(prev);
	readlog_free(reads);
	buf_release(&vars);
	buf_release(&text);
	val_unref(extra);
	buf_release(&pb);
	buf_release(&out);
}

static int group_setup(void **state)
{
	struct buf p = BUF_INIT;

	(void)state;
	if (!mkdtemp(scratch))
		return -1;
	write_plan("good.json");
	buf_addf(&p, "%s/good.json", scratch);
	if (buf_read_file(&good, p.ptr) < 0)
		return -1;
	buf_release(&p);
	return 0;
}

static int group_teardown(void **state)
{
	struct buf cmd = BUF_INIT;

	(void)state;
	buf_release(&good);
	pwhash_free(writer);
	buf_adds(&cmd, "rm -rf ");
	sh_quote(&cmd, scratch);
	if (system(cmd.ptr) != 0)
		return -1;
	buf_release(&cmd);
	return 0;
}

/*
 * Load the good plan with `from` (found exactly once) replaced by `to`;
 * returns plan_load's code, its message in *msg with the scratch dir
 * dropped.
 */
static int load_changed(struct buf *msg, const char *from, const char *to)
{
	const char *at = strstr(good.ptr, from);
	struct buf text = BUF_INIT, p = BUF_INIT;
	struct val *plan = NULL;
	const char *s;
	int rc;

	if (!at || strstr(at + 1, from))
		fail_msg("'%s' is not once in the plan", from);
	buf_add(&text, good.ptr, (size_t)(at - good.ptr));
	buf_adds(&text, to);
	buf_adds(&text, at + strlen(from));
	write_file("bad.json", text.ptr);
	buf_addf(&p, "%s/bad.json", scratch);
	rc = plan_load(&plan, p.ptr);
	assert_true(rc < 0 ? plan == NULL : plan != NULL);
	val_unref(plan);
	buf_reset(msg);
	for (s = rc < 0 ? tend_error_last() : ""; *s; ) {
		if (!strncmp(s, scratch, strlen(scratch)))
			s += strlen(scratch) + 1;
		else
			buf_addch(msg, *s++);
	}
	tend_error_clear();
	buf_release(&text);
	buf_release(&p);
	return rc;
}

static void test_plan__roundtrip(void **state)
{
	struct buf p = BUF_INIT;
	struct val *plan = NULL, *hosts, *extra = NULL, *secrets = val_dict();
	struct val *stale = NULL;
	struct run_result none = { 0 };
	struct pwhash *h;
	struct readlog *reads = readlog_new();
	struct plan_bind b = { .reads = reads, .root = scratch };

	(void)state;
	buf_addf(&p, "%s/good.json", scratch);
	assert_true(plan_is_file(p.ptr));
	assert_ok(plan_load(&plan, p.ptr));
	h = plan_hasher(plan);
	b.hasher = h;
	assert_ok(plan_check_inputs(plan, h));
	/* beneath the root, the file read is named relative to it */
	assert_int_equal(val_len(val_dict_get(plan, "files")), 1);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(
		val_dict_get(plan, "files"), 0), "path")), "vars.yml");
	hosts = plan_hosts(plan);
	assert_int_equal(val_len(hosts), 1);
	assert_string_equal(val_cstr(val_list_at(hosts, 0)), "web1");
	/* the secret is only a digest in the file, and comes back from secrets */
	assert_null(strstr(good.ptr, "hunter2"));
	assert_true(plan_extra_vars(&extra, plan, secrets, h) == TEND_ESTALE);
	tend_error_clear();
	val_dict_set_str(secrets, "pw", "hunter3");
	assert_true(plan_extra_vars(&extra, plan, secrets, h) == TEND_ESTALE);
	assert_string_equal(tend_error_last(), "the secret 'pw' differs from "
			    "the one the plan was made with");
	tend_error_clear();
	val_dict_set_str(secrets, "pw", "hunter2");
	assert_ok(plan_extra_vars(&extra, plan, secrets, h));
	assert_string_equal(val_cstr(val_dict_get(extra, "pw")), "hunter2");
	assert_string_equal(val_cstr(val_dict_get(extra, "msg")), "hi");
	/* a var shaped as an old redacted secret is only a var */
	assert_string_equal(val_cstr(val_dict_path(extra,
						   "shape.secret_sha256")), "abc");
	/* the files the run read: as they were, then one changed */
	assert_ok(plan_check_files(plan, &b));
	write_file("vars.yml", "msg: pwned\n");
	assert_true(plan_check_files(plan, &b) == TEND_ESTALE);
	assert_non_null(strstr(tend_error_last(), "/vars.yml' changed since "
			       "the plan"));
	tend_error_clear();
	write_file("vars.yml", "msg: hi\n");
	/* a host of the plan that no check saw is stale */
	assert_ok(plan_compare(&stale, plan, &none));
	assert_non_null(val_dict_get(stale, "web1"));
	val_unref(stale);
	val_unref(extra);
	val_unref(hosts);
	val_unref(secrets);
	val_unref(plan);
	pwhash_free(h);
	readlog_free(reads);
	buf_release(&p);
}

static void test_plan__bad_types(void **state)
{
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{ "\"extra_vars\": {", "\"extra_vars\": \"xxxx\", \"no\": {",
		  "'bad.json': options.extra_vars: expected a dict, got a "
		  "string" },
		{ "\"tags\": []", "\"tags\": \"xxxx\"",
		  "'bad.json': options.tags: expected a list of strings, got "
		  "a string" },
		{ "\"skip_tags\": []", "\"skip_tags\": [1]",
		  "'bad.json': options.skip_tags[0]: expected a string, got "
		  "an int" },
		{ "\"hosts\": [", "\"hosts\": \"web1\", \"no\": [",
		  "'bad.json': hosts: expected a list of dicts, got a string" },
		{ "\"action\": \"ok\"", "\"action\": null",
		  "'bad.json': hosts[0].tasks[0].action: expected a string, "
		  "got null" },
		{ "\"line\": 5", "\"line\": \"5\"",
		  "'bad.json': hosts[0].tasks[1].line: expected an int, got "
		  "a string" },
		{ "\"created_epoch\": ", "\"created_epoch\": 1.5, \"no\": ",
		  "'bad.json': created_epoch: expected an int, got a float" },
		{ "\"limit\": null", "\"limit\": [\"web1\"]",
		  "'bad.json': options.limit: expected a string or null, got "
		  "a list" },
		{ "\"handler\": false,\n          \"action\": \"ok\"",
		  "\"handler\": 0,\n          \"action\": \"ok\"",
		  "'bad.json': hosts[0].tasks[0].handler: expected a bool, "
		  "got an int" },
		{ "\"host\": \"web1\"", "\"name\": \"web1\"",
		  "'bad.json': hosts[0].host: missing (expected a string)" },
		{ "\"secret_sha256\": \"abc\"", "\"secret_sha256\": 1",
		  "" /* a var, whatever its shape: secrets are apart */ },
		{ "\"memlimit\": 67108864", "\"memlimit\": 8192",
		  "'bad.json': kdf.memlimit: expected 67108864, got 8192" },
		{ "\"name\": \"argon2id13\"", "\"name\": \"sha256\"",
		  "'bad.json': kdf.name: expected \"argon2id13\", got "
		  "\"sha256\"" },
		{ "\"files\": [", "\"files\": [{\"path\": \"x\"}, ",
		  "'bad.json': files[0].argon2id: missing (expected a digest "
		  "(hex))" },
		{ "\"subject\": null,\n    \"author\": null",
		  "\"subject\": null",
		  "" /* added after format 1 shipped: optional */ },
		{ "\"kind\": \"tend-plan\"",
		  "\"kind\": \"tend-plan\", \"new\": 1",
		  "" /* unknown keys are fields of a later tend */ },
	};
	struct buf msg = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = load_changed(&msg, cases[i].from, cases[i].to);

		if (*cases[i].msg) {
			assert_true(rc < 0);
			assert_string_equal(msg.ptr, cases[i].msg);
		} else {
			assert_ok(rc);
		}
	}
	buf_release(&msg);
}

static void test_plan__kind_and_format(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	/* another format is only that error, whatever else differs */
	assert_true(load_changed(&msg, "\"format_version\": 2",
				 "\"format_version\": 1, \"hosts\": 3") < 0);
	assert_string_equal(msg.ptr, "'bad.json': format_version: expected 2, "
			    "got 1 (this tend reads plan format 2: make the "
			    "plan again)");
	assert_true(load_changed(&msg, "\"kind\": \"tend-plan\"",
				 "\"kind\": \"tend-plan\\n\"") < 0);
	assert_string_equal(msg.ptr, "'bad.json': kind: expected \"tend-plan\" "
			    "(a plan file), got \"tend-plan\\n\"");
	assert_true(load_changed(&msg, "{\n  \"kind\"", "[{\n  \"kind\"") < 0);
	assert_non_null(strstr(msg.ptr, "'bad.json' is not a plan file: "
			       "invalid JSON"));
	buf_release(&msg);
}

static void test_plan__actions(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	/* the writer's names all load (good.json has one of each) ... */
	for (enum event_status s = EV_OK; s <= EV_UNREACHABLE; s++) {
		struct buf a = BUF_INIT;

		buf_addf(&a, "\"action\": \"%s\"",
			 event_status_name(s, RUN_PLAN));
		assert_non_null(strstr(good.ptr, a.ptr));
		buf_release(&a);
	}
	/* ... and no other */
	assert_true(load_changed(&msg, "\"action\": \"unknown\"",
				 "\"action\": \"changed\"") < 0);
	assert_string_equal(msg.ptr, "'bad.json': hosts[0].tasks[2].action: "
			    "expected one of ok, change, unknown, skipped, "
			    "failed, unreachable, got \"changed\"");
	buf_release(&msg);
}

/* The hex SHA-256 of `s`: what format 1 stored for a secret. */
static void sha256_hex(char out[65], const char *s)
{
	unsigned char md[32];

	crypto_hash_sha256(md, (const unsigned char *)s, strlen(s));
	sodium_bin2hex(out, 65, md, sizeof(md));
}

static void test_plan__secrets(void **state)
{
	static const char key[] = "\"pw\": \"";
	const char *at = strstr(good.ptr, key);
	struct buf msg = BUF_INIT, entry = BUF_INIT, list = BUF_INIT;
	char hex[65];

	(void)state;
	/* no unsalted digest of the secret, in any form */
	sha256_hex(hex, "hunter2");
	assert_null(strstr(good.ptr, hex));
	sha256_hex(hex, "\"hunter2\"");
	assert_null(strstr(good.ptr, hex));
	assert_null(strstr(good.ptr, "secret_sha256\": \"0"));
	/* options.secrets.pw: "<64 hex digits>", not in a list */
	assert_non_null(at);
	buf_add(&entry, at, strlen(key) + 65);
	buf_addf(&list, "\"pw\": [%.66s]", at + strlen(key) - 1);
	assert_true(load_changed(&msg, entry.ptr, list.ptr) < 0);
	assert_string_equal(msg.ptr, "'bad.json': options.secrets.pw: "
			    "expected a digest (hex), got a list");
	/* not a digest */
	assert_true(load_changed(&msg, entry.ptr, "\"pw\": \"ABC\"") < 0);
	assert_string_equal(msg.ptr, "'bad.json': options.secrets.pw: "
			    "expected 64 hex digits, got \"ABC\"");
	/* a var both plain and secret: which would apply? */
	assert_true(load_changed(&msg, "\"msg\": \"hi\"",
				 "\"msg\": \"hi\", \"pw\": 1") < 0);
	assert_string_equal(msg.ptr, "'bad.json': options.secrets.pw: "
			    "expected a var that is not also in "
			    "options.extra_vars, got one that is");
	buf_release(&entry);
	buf_release(&list);
	buf_release(&msg);
}

static void test_plan__every_error(void **state)
{
	struct buf msg = BUF_INIT, many = BUF_INIT;

	(void)state;
	assert_true(load_changed(&msg, "\"tags\": [],\n    \"skip_tags\": []",
				 "\"tags\": 1,\n    \"skip_tags\": 2") < 0);
	assert_string_equal(msg.ptr,
		"'bad.json': options.tags: expected a list of strings, got "
		"an int\n"
		"'bad.json': options.skip_tags: expected a list of strings, "
		"got an int");
	/* past ten, only a count */
	buf_adds(&many, "\"playbooks\": [");
	for (int i = 0; i < 25; i++)
		buf_adds(&many, "7, ");
	assert_true(load_changed(&msg, "\"playbooks\": [", many.ptr) < 0);
	assert_non_null(strstr(msg.ptr, "'bad.json': playbooks[9]: expected a "
			       "dict, got an int\n'bad.json': 15 more errors"));
	assert_null(strstr(msg.ptr, "playbooks[10]"));
	buf_release(&many);
	buf_release(&msg);
}

static void test_plan__repo_source(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	assert_true(load_changed(&msg, "\"url\": null",
				 "\"url\": \"file:///r\"") < 0);
	assert_string_equal(msg.ptr,
		"'bad.json': source.ref: expected a string (the plan has a "
		"source.url), got null\n"
		"'bad.json': playbooks[0].repo_path: missing (expected a "
		"string: the plan has a source.url)");
	buf_release(&msg);
}

static void test_plan__is_file(void **state)
{
	struct buf p = BUF_INIT;

	(void)state;
	write_file("list.json", " \n[{\"hosts\": \"all\"}]\n");
	write_file("garbage.json", "not JSON");
	write_file("plan.yml", "{}");
	buf_addf(&p, "%s/list.json", scratch);
	assert_false(plan_is_file(p.ptr)); /* a playbook written as JSON */
	buf_reset(&p);
	buf_addf(&p, "%s/garbage.json", scratch);
	assert_true(plan_is_file(p.ptr)); /* plan_load says what is wrong */
	buf_reset(&p);
	buf_addf(&p, "%s/plan.yml", scratch);
	assert_false(plan_is_file(p.ptr));
	buf_reset(&p);
	buf_addf(&p, "%s/missing.json", scratch);
	assert_false(plan_is_file(p.ptr));
	buf_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan__roundtrip),
		cmocka_unit_test(test_plan__bad_types),
		cmocka_unit_test(test_plan__kind_and_format),
		cmocka_unit_test(test_plan__actions),
		cmocka_unit_test(test_plan__secrets),
		cmocka_unit_test(test_plan__every_error),
		cmocka_unit_test(test_plan__repo_source),
		cmocka_unit_test(test_plan__is_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
