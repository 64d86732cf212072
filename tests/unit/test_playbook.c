#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/playbook/playbook.h"
#include "tend/util/fs.h"
#include "tend/modules/registry.h"

/*
 * The playbook loader on the fixtures in tests/fixtures/playbook (run
 * from the top of the tree, as `make test-unit` does). Every good fixture
 * passes `ansible-playbook --syntax-check`; the shapes asserted here are
 * what Ansible 2.14 makes of the same files. Bad fixtures carry the exact
 * diagnostics in *.bad.yml.err, one per line, with paths relative to the
 * fixture directory.
 */

#define FIX "tests/fixtures/playbook/"

static struct playbook *load_ok(const char *name)
{
	struct playbook *pb = NULL;
	struct diags d = DIAGS_INIT;
	struct buf path = BUF_INIT;
	int rc;

	buf_addf(&path, FIX "%s", name);
	rc = playbook_load(&pb, path.ptr, NULL, &d);
	if (rc < 0 || d.nr) {
		diags_print(&d, stderr);
		fail_msg("loading '%s' returned %d with %zu diagnostics",
			 path.ptr, rc, d.nr);
	}
	assert_non_null(pb);
	buf_release(&path);
	diags_release(&d);
	return pb;
}

/* Remove every occurrence of FIX, so messages compare independently of
 * where the fixtures live. */
static void strip_fix(struct buf *out, const char *s)
{
	const char *hit;

	while ((hit = strstr(s, FIX))) {
		buf_add(out, s, (size_t)(hit - s));
		s = hit + strlen(FIX);
	}
	buf_adds(out, s);
}

/*
 * Load FIX/<name>, expect TEND_EPARSE and exactly the diagnostics of
 * <name>.err; return how many of them were errors.
 */
static size_t load_bad(const char *name)
{
	struct playbook *pb = (struct playbook *)1;
	struct diags d = DIAGS_INIT;
	struct buf path = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	const char *line;
	size_t n = 0, errors;

	buf_addf(&path, FIX "%s", name);
	assert_int_equal(playbook_load(&pb, path.ptr, NULL, &d), TEND_EPARSE);
	assert_null(pb);
	buf_adds(&path, ".err");
	assert_ok(buf_read_file(&want, path.ptr));
	line = want.ptr;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (n >= d.nr)
			fail_msg("missing diagnostic: %.*s", (int)len, line);
		buf_reset(&got);
		strip_fix(&got, d.items[n]);
		if (got.len != len || memcmp(got.ptr, line, len))
			fail_msg("diagnostic %zu:\n  want: %.*s\n  got:  %s", n,
				 (int)len, line, got.ptr);
		n++;
		line += len + (nl ? 1 : 0);
	}
	if (n != d.nr)
		fail_msg("unexpected diagnostic: %s", d.items[n]);
	errors = d.errors;
	buf_release(&path);
	buf_release(&want);
	buf_release(&got);
	diags_release(&d);
	return errors;
}

static struct task *at(const struct tasklist *l, size_t i)
{
	assert_true(i < l->nr);
	return l->items[i];
}

static const char *arg(const struct task *t, const char *key)
{
	return val_cstr(val_dict_get(t->args, key));
}

/* The tags of a task as "a,b,c", for easy comparison. */
static void tags_str(struct buf *out, const struct task *t)
{
	for (size_t i = 0; i < val_len(t->tags); i++) {
		if (i)
			buf_addch(out, ',');
		buf_adds(out, val_cstr(val_list_at(t->tags, i)));
	}
}

static void assert_repr(const struct val *v, const char *want)
{
	struct buf b = BUF_INIT;

	assert_non_null(v);
	val_to_repr(&b, v);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void test_playbook__play_fields(void **state)
{
	struct playbook *pb = load_ok("forms.yml");
	struct play *p;

	(void)state;
	assert_string_equal(pb->path, FIX "forms.yml");
	assert_string_equal(pb->dir, "tests/fixtures/playbook");
	assert_int_equal(pb->nr, 1);
	p = pb->plays[0];
	assert_string_equal(p->name, "task forms");
	assert_string_equal(val_cstr(p->hosts), "all");
	assert_false(p->gather_facts);
	assert_int_equal(p->become, -1);
	assert_true(val_is(p->vars, VAL_DICT));
	assert_int_equal(p->pos.line, 1);
	assert_int_equal(p->pos.col, 3);
	assert_int_equal(p->tasks.nr, 7);
	playbook_free(pb);
}

static void test_playbook__task_map_args(void **state)
{
	struct playbook *pb = load_ok("forms.yml");
	struct task *t = at(&pb->plays[0]->tasks, 0);

	(void)state;
	assert_int_equal(t->kind, TASK_MODULE);
	assert_string_equal(t->name, "map args");
	assert_string_equal(t->action, "copy");
	assert_ptr_equal(t->module, module_find("copy"));
	assert_repr(t->args, "{'src': 'a', 'dest': '/tmp/b'}");
	assert_string_equal(t->loop_var, "item");
	assert_null(t->loop);
	assert_null(t->when);
	assert_int_equal(t->pos.line, 5);
	assert_int_equal(t->pos.col, 7);
	playbook_free(pb);
}

static void test_playbook__task_kv_string_args(void **state)
{
	struct playbook *pb = load_ok("forms.yml");
	struct task *t = at(&pb->plays[0]->tasks, 1);
	const struct val *mode;

	(void)state;
	assert_string_equal(t->action, "copy");
	/* k=v values stay strings: 0644 is not turned into 420 */
	assert_repr(t->args, "{'src': 'a', 'dest': '/tmp/b', 'mode': '0644'}");
	/* values parsed out of the string point at the string */
	mode = val_dict_get(t->args, "mode");
	assert_int_equal(mode->pos.line, 10);
	assert_int_equal(mode->pos.col, 13);
	playbook_free(pb);
}

static void test_playbook__task_free_form_creates(void **state)
{
	struct playbook *pb = load_ok("forms.yml");
	struct task *t = at(&pb->plays[0]->tasks, 2);

	(void)state;
	assert_string_equal(t->action, "command");
	assert_int_equal(val_len(t->args), 2);
	assert_string_equal(arg(t, "_raw_params"), "echo 'a b'");
	assert_string_equal(arg(t, "creates"), "/x");
	playbook_free(pb);
}

static void test_playbook__task_action_string(void **state)
{
	struct playbook *pb = load_ok("forms.yml");
	struct task *t = at(&pb->plays[0]->tasks, 3);

	(void)state;
	assert_int_equal(t->kind, TASK_MODULE);
	assert_string_equal(t->action, "copy");
	assert_ptr_equal(t->module, module_find("copy"));
	assert_repr(t->args, "{'src': 'a', 'dest': '/tmp/b'}");
	playbook_free(pb);
}

static void test_playbook__task_args_keyword_merges(void **state)
{
	struct playbook *pb = load_ok("forms.yml");
	struct task *t = at(&pb->plays[0]->tasks, 4);

	(void)state;
	/* as Ansible: args fill in, the module's own args win */
	assert_int_equal(val_len(t->args), 2);
	assert_string_equal(arg(t, "src"), "a");
	assert_string_equal(arg(t, "dest"), "/tmp/b");
	playbook_free(pb);
}

static void test_playbook__task_fqcn(void **state)
{
	struct playbook *pb = load_ok("forms.yml");
	struct task *t = at(&pb->plays[0]->tasks, 5);
	struct buf b = BUF_INIT;

	(void)state;
	assert_string_equal(t->action, "ansible.builtin.copy");
	assert_ptr_equal(t->module, module_find("copy"));
	assert_string_equal(arg(t, "dest"), "/tmp/b");
	t = at(&pb->plays[0]->tasks, 6);
	assert_null(t->name);
	task_display_name(&b, t);
	assert_string_equal(b.ptr, "debug");
	buf_release(&b);
	playbook_free(pb);
}

static void test_playbook__loop_plain(void **state)
{
	struct playbook *pb = load_ok("loops.yml");
	struct task *t = at(&pb->plays[0]->tasks, 0);

	(void)state;
	assert_repr(t->loop, "[1, [2, 3]]");
	assert_false(t->loop_flatten);
	assert_string_equal(t->loop_var, "item");
	assert_null(t->index_var);
	assert_null(t->loop_label);
	playbook_free(pb);
}

static void test_playbook__loop_with_items_flattens(void **state)
{
	struct playbook *pb = load_ok("loops.yml");
	struct task *t = at(&pb->plays[0]->tasks, 1);

	(void)state;
	assert_repr(t->loop, "[1, [2, 3]]");
	assert_true(t->loop_flatten);
	playbook_free(pb);
}

static void test_playbook__loop_with_dict(void **state)
{
	struct playbook *pb = load_ok("loops.yml");
	struct task *t = at(&pb->plays[0]->tasks, 2);

	(void)state;
	/* what `with_dict` hands the task: dict2items of the dict */
	assert_repr(t->loop, "[{'key': 'a', 'value': 1}, "
			     "{'key': 'b', 'value': 2}]");
	assert_false(t->loop_flatten);
	t = at(&pb->plays[0]->tasks, 3);
	assert_string_equal(val_cstr(t->loop), "{{ users | dict2items }}");
	playbook_free(pb);
}

static void test_playbook__loop_control(void **state)
{
	struct playbook *pb = load_ok("loops.yml");
	struct task *t = at(&pb->plays[0]->tasks, 4);

	(void)state;
	assert_string_equal(val_cstr(t->loop), "{{ users | dict2items }}");
	assert_string_equal(t->loop_var, "u");
	assert_string_equal(t->index_var, "idx");
	assert_string_equal(val_cstr(t->loop_label), "{{ u.key }}");
	playbook_free(pb);
}

static void test_playbook__when_forms(void **state)
{
	struct playbook *pb = load_ok("when.yml");
	struct tasklist *l = &pb->plays[0]->tasks;

	(void)state;
	/* always a list of raw conditions */
	assert_repr(at(l, 0)->when, "['x is defined']");
	assert_repr(at(l, 1)->when, "[False]");
	assert_repr(at(l, 2)->when, "['a == 1', 'b']");
	playbook_free(pb);
}

static void test_playbook__tags_inherit(void **state)
{
	struct playbook *pb = load_ok("tags.yml");
	struct play *p = pb->plays[0];
	struct task *blk;
	struct buf b = BUF_INIT;

	(void)state;
	assert_repr(p->tags, "['play']");
	tags_str(&b, at(&p->tasks, 0));
	assert_string_equal(b.ptr, "play");
	buf_reset(&b);
	tags_str(&b, at(&p->tasks, 1));
	assert_string_equal(b.ptr, "own,two,play");
	buf_reset(&b);
	/* a string of tags splits on commas, as Ansible does */
	tags_str(&b, at(&p->tasks, 2));
	assert_string_equal(b.ptr, "a,b,play");
	buf_reset(&b);
	blk = at(&p->tasks, 3);
	assert_int_equal(blk->kind, TASK_BLOCK);
	tags_str(&b, blk);
	assert_string_equal(b.ptr, "blk,play");
	buf_reset(&b);
	tags_str(&b, at(&blk->block, 0));
	assert_string_equal(b.ptr, "inner,blk,play");
	buf_release(&b);
	playbook_free(pb);
}

static void test_playbook__tags_match(void **state)
{
	struct playbook *pb = load_ok("tags.yml");
	struct play *p = pb->plays[0];
	struct val *only = val_list(), *skip = val_list();

	(void)state;
	val_list_push(only, val_str("own"));
	assert_false(task_matches_tags(at(&p->tasks, 0), only, NULL));
	assert_true(task_matches_tags(at(&p->tasks, 1), only, NULL));
	val_list_push(skip, val_str("two"));
	assert_false(task_matches_tags(at(&p->tasks, 1), only, skip));
	/* the inherited play tag selects every task */
	val_list_push(only, val_str("play"));
	assert_true(task_matches_tags(at(&p->tasks, 0), only, NULL));
	assert_true(task_matches_tags(at(&p->tasks, 2), NULL, NULL));
	val_unref(only);
	val_unref(skip);
	playbook_free(pb);
}

static void test_playbook__block_rescue_always(void **state)
{
	struct playbook *pb = load_ok("blocks.yml");
	struct task *t;

	(void)state;
	assert_int_equal(pb->plays[0]->tasks.nr, 1);
	t = at(&pb->plays[0]->tasks, 0);
	assert_int_equal(t->kind, TASK_BLOCK);
	assert_string_equal(t->action, "block");
	assert_string_equal(t->name, "outer");
	assert_null(t->args);
	assert_int_equal(t->block.nr, 2);
	assert_int_equal(t->rescue.nr, 1);
	assert_int_equal(t->always.nr, 2);
	assert_string_equal(arg(at(&t->block, 0), "msg"), "b1");
	assert_int_equal(at(&t->block, 1)->kind, TASK_BLOCK);
	assert_int_equal(at(&t->block, 1)->block.nr, 1);
	assert_string_equal(arg(at(&at(&t->block, 1)->block, 0), "msg"),
			    "nested");
	assert_string_equal(arg(at(&t->rescue, 0), "msg"), "r1");
	assert_string_equal(arg(at(&t->always, 1), "msg"), "a2");
	playbook_free(pb);
}

static void test_playbook__include_tasks_static(void **state)
{
	struct playbook *pb = load_ok("include.yml");
	struct task *t, *inner;
	struct buf b = BUF_INIT;

	(void)state;
	t = at(&pb->plays[0]->tasks, 0);
	assert_int_equal(t->kind, TASK_INCLUDE);
	assert_string_equal(t->action, "include_tasks");
	assert_string_equal(arg(t, "file"), "tasks/outer.yml");
	assert_true(t->include_static);
	assert_int_equal(t->included.nr, 2);
	assert_string_equal(arg(at(&t->included, 0), "msg"), "outer");
	/* inner.yml is found next to outer.yml, which includes it */
	inner = at(&t->included, 1);
	assert_true(inner->include_static);
	assert_int_equal(inner->included.nr, 1);
	assert_string_equal(arg(at(&inner->included, 0), "msg"), "inner");
	assert_string_equal(at(&inner->included, 0)->pos.file,
			    FIX "tasks/inner.yml");
	task_display_name(&b, t);
	assert_string_equal(b.ptr, "include_tasks: tasks/outer.yml");
	buf_release(&b);
	playbook_free(pb);
}

static void test_playbook__include_tasks_dynamic(void **state)
{
	struct playbook *pb = load_ok("include.yml");
	struct task *t = at(&pb->plays[0]->tasks, 1);

	(void)state;
	assert_int_equal(t->kind, TASK_INCLUDE);
	assert_false(t->include_static);
	assert_int_equal(t->included.nr, 0);
	assert_string_equal(arg(t, "file"), "tasks/{{ which }}.yml");
	t = at(&pb->plays[0]->tasks, 2);
	assert_string_equal(t->action, "import_tasks");
	assert_string_equal(arg(t, "file"), "tasks/inner.yml");
	assert_int_equal(t->included.nr, 1);
	playbook_free(pb);
}

static void test_playbook__load_tasks_file(void **state)
{
	struct tasklist l = { 0 };
	struct diags d = DIAGS_INIT;

	(void)state;
	assert_ok(playbook_load_tasks(&l, "tasks/outer.yml", FIX "", NULL, NULL, &d));
	assert_int_equal(d.nr, 0);
	assert_int_equal(l.nr, 2);
	assert_int_equal(at(&l, 1)->included.nr, 1);
	tasklist_release(&l);
	assert_int_equal(l.nr, 0);
	diags_release(&d);
}

static void test_playbook__import_playbook(void **state)
{
	struct playbook *pb = load_ok("import.yml");
	struct play *p;

	(void)state;
	assert_int_equal(pb->nr, 3);
	assert_string_equal(pb->plays[0]->name, "first");
	p = pb->plays[1];
	assert_string_equal(p->name, "other");
	assert_string_equal(val_cstr(p->hosts), "web");
	assert_string_equal(p->pos.file, FIX "sub/other.yml");
	/* a relative include inside the imported playbook: from its dir */
	assert_int_equal(at(&p->tasks, 0)->included.nr, 1);
	assert_string_equal(pb->plays[2]->name, "last");
	playbook_free(pb);
}

static void test_playbook__handlers_listen(void **state)
{
	struct playbook *pb = load_ok("handlers.yml");
	struct play *p = pb->plays[0];

	(void)state;
	assert_repr(at(&p->tasks, 0)->notify, "['restart web']");
	assert_repr(at(&p->tasks, 1)->notify, "['restart web', 'reload all']");
	assert_int_equal(p->handlers.nr, 3);
	assert_string_equal(at(&p->handlers, 0)->name, "restart web");
	assert_null(at(&p->handlers, 0)->listen);
	assert_repr(at(&p->handlers, 1)->listen, "['reload all']");
	assert_null(at(&p->handlers, 2)->name);
	assert_repr(at(&p->handlers, 2)->listen, "['a', 'b']");
	playbook_free(pb);
}

static void test_playbook__meta(void **state)
{
	struct playbook *pb = load_ok("meta.yml");
	struct task *t = at(&pb->plays[0]->tasks, 0);
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(t->kind, TASK_META);
	assert_string_equal(t->meta, "flush_handlers");
	assert_null(t->module);
	task_display_name(&b, t);
	assert_string_equal(b.ptr, "meta: flush_handlers");
	t = at(&pb->plays[0]->tasks, 1);
	assert_int_equal(t->kind, TASK_META);
	assert_string_equal(t->meta, "end_play");
	buf_release(&b);
	playbook_free(pb);
}

static void test_playbook__missing_file(void **state)
{
	struct playbook *pb = (struct playbook *)1;
	struct diags d = DIAGS_INIT;

	(void)state;
	assert_int_equal(playbook_load(&pb, FIX "nosuch.yml", NULL, &d),
			 TEND_ENOTFOUND);
	assert_null(pb);
	assert_int_equal(d.nr, 0);
	tend_error_clear();
	diags_release(&d);
}

static void test_playbook__error_unknown_key_did_you_mean(void **state)
{
	(void)state;
	assert_int_equal(load_bad("unknown-key.bad.yml"), 1);
}

static void test_playbook__error_unknown_module(void **state)
{
	(void)state;
	assert_int_equal(load_bad("unknown-module.bad.yml"), 2);
	assert_int_equal(load_bad("unknown-action.bad.yml"), 1);
}

static void test_playbook__error_conflicting_actions(void **state)
{
	(void)state;
	assert_int_equal(load_bad("conflict.bad.yml"), 1);
}

static void test_playbook__error_handler_without_name(void **state)
{
	(void)state;
	assert_int_equal(load_bad("handler-name.bad.yml"), 1);
}

static void test_playbook__error_unsupported_keyword(void **state)
{
	(void)state;
	assert_int_equal(load_bad("unsupported.bad.yml"), 1);
}

/*
 * async: refused by name on the modules whose Ansible action refuses it,
 * poll: 0 on a module that starts no background job, on a block, on a
 * module tend runs from the controller; a templated or zero async is
 * left alone
 */
static void test_playbook__error_async(void **state)
{
	(void)state;
	assert_int_equal(load_bad("async.bad.yml"), 5);
}

static void test_playbook__error_loop_control_key(void **state)
{
	(void)state;
	assert_int_equal(load_bad("loop-control.bad.yml"), 1);
}

static void test_playbook__error_listen_on_task(void **state)
{
	(void)state;
	assert_int_equal(load_bad("listen.bad.yml"), 1);
}

static void test_playbook__error_play_without_hosts(void **state)
{
	(void)state;
	assert_int_equal(load_bad("no-hosts.bad.yml"), 1);
}

static void test_playbook__error_include(void **state)
{
	(void)state;
	assert_int_equal(load_bad("include-missing.bad.yml"), 1);
	/* from a file in another directory: both places looked in */
	assert_int_equal(load_bad("include-missing-nested.bad.yml"), 1);
	/* an error inside an included file names that file */
	assert_int_equal(load_bad("include-error.bad.yml"), 1);
}

static void test_playbook__errors_collected(void **state)
{
	(void)state;
	/* one load reports every problem, across tasks, handlers and plays */
	assert_int_equal(load_bad("many.bad.yml"), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_playbook__play_fields),
		cmocka_unit_test(test_playbook__task_map_args),
		cmocka_unit_test(test_playbook__task_kv_string_args),
		cmocka_unit_test(test_playbook__task_free_form_creates),
		cmocka_unit_test(test_playbook__task_action_string),
		cmocka_unit_test(test_playbook__task_args_keyword_merges),
		cmocka_unit_test(test_playbook__task_fqcn),
		cmocka_unit_test(test_playbook__loop_plain),
		cmocka_unit_test(test_playbook__loop_with_items_flattens),
		cmocka_unit_test(test_playbook__loop_with_dict),
		cmocka_unit_test(test_playbook__loop_control),
		cmocka_unit_test(test_playbook__when_forms),
		cmocka_unit_test(test_playbook__tags_inherit),
		cmocka_unit_test(test_playbook__tags_match),
		cmocka_unit_test(test_playbook__block_rescue_always),
		cmocka_unit_test(test_playbook__include_tasks_static),
		cmocka_unit_test(test_playbook__include_tasks_dynamic),
		cmocka_unit_test(test_playbook__load_tasks_file),
		cmocka_unit_test(test_playbook__import_playbook),
		cmocka_unit_test(test_playbook__handlers_listen),
		cmocka_unit_test(test_playbook__meta),
		cmocka_unit_test(test_playbook__missing_file),
		cmocka_unit_test(test_playbook__error_unknown_key_did_you_mean),
		cmocka_unit_test(test_playbook__error_unknown_module),
		cmocka_unit_test(test_playbook__error_conflicting_actions),
		cmocka_unit_test(test_playbook__error_handler_without_name),
		cmocka_unit_test(test_playbook__error_unsupported_keyword),
		cmocka_unit_test(test_playbook__error_async),
		cmocka_unit_test(test_playbook__error_loop_control_key),
		cmocka_unit_test(test_playbook__error_listen_on_task),
		cmocka_unit_test(test_playbook__error_play_without_hosts),
		cmocka_unit_test(test_playbook__error_include),
		cmocka_unit_test(test_playbook__errors_collected),
	};

	return cmocka_run_group_tests_name("playbook", tests, NULL, NULL);
}
