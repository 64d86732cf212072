#include "unit.h"
#include "tend/util/buf.h"
#include "tend/playbook/playbook.h"

/*
 * What imports pass down, on tests/fixtures/imports (run from the top of
 * the tree): import_playbook's vars, when and tags on each imported play,
 * task and role handler; apply loaded as a block; the tags around a
 * dynamic include kept for its tasks; import_tasks' tags on its tasks; a
 * handler import's when and vars on each handler. The fixture passes
 * `ansible-playbook --syntax-check`; the shapes are Ansible 2.14's.
 */

static struct playbook *load(void)
{
	struct playbook *pb = NULL;
	struct diags d = DIAGS_INIT;
	int rc = playbook_load(&pb, "tests/fixtures/imports/site.yml", NULL,
			       &d);

	if (rc < 0 || d.nr) {
		diags_print(&d, stderr);
		fail_msg("loading returned %d with %zu diagnostics", rc, d.nr);
	}
	diags_release(&d);
	return pb;
}

/* A list of strings as "a,b,c". */
static void assert_list(const struct val *l, const char *want)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < val_len(l); i++)
		buf_addf(&b, "%s%s", i ? "," : "", val_cstr(val_list_at(l, i)));
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void assert_var(const struct val *vars, const char *k, const char *v)
{
	assert_non_null(val_dict_get(vars, k));
	assert_string_equal(val_cstr(val_dict_get(vars, k)), v);
}

static void test_imports__playbook_vars_tags(void **state)
{
	struct playbook *pb = load();
	const struct play *p;

	(void)state;
	assert_int_equal(pb->nr, 1);
	p = pb->plays[0];
	/* outer import over inner over the play's own; 'tags' dropped */
	assert_var(p->vars, "a", "outer");
	assert_var(p->vars, "b", "inner");
	assert_var(p->vars, "c", "own");
	assert_null(val_dict_get(p->vars, "tags"));
	assert_list(p->tags, "t_out,t_in");
	assert_list(p->gather_when, "outer_cond,inner_cond");
	playbook_free(pb);
}

static void test_imports__playbook_when_on_tasks(void **state)
{
	struct playbook *pb = load();
	const struct play *p = pb->plays[0];
	const struct task *role, *debug;

	(void)state;
	/* roles: first; the role's tasks take the when, not the role */
	role = p->tasks.items[0];
	assert_int_equal(role->kind, TASK_ROLE);
	assert_list(role->included.items[0]->when, "outer_cond,inner_cond");
	debug = p->tasks.items[1];
	assert_list(debug->when, "outer_cond,inner_cond,own_cond");
	assert_list(debug->tags, "t_out,t_in");
	/* the play's own handler does not take it, the role's does */
	for (size_t i = 0; i < p->handlers.nr; i++) {
		const struct task *h = p->handlers.items[i];

		if (!strcmp(h->name, "play handler"))
			assert_null(h->when);
		else if (!strcmp(h->name, "role handler"))
			assert_list(h->when, "outer_cond,inner_cond");
	}
	playbook_free(pb);
}

static void test_imports__import_tasks_tags(void **state)
{
	struct playbook *pb = load();
	const struct task *imp = pb->plays[0]->tasks.items[2];

	(void)state;
	assert_int_equal(imp->kind, TASK_INCLUDE);
	assert_string_equal(imp->action, "import_tasks");
	/* the import's own and inherited tags reach its task */
	assert_list(imp->included.items[0]->tags, "imp,t_out,t_in");
	playbook_free(pb);
}

static void test_imports__apply_and_up_tags(void **state)
{
	struct playbook *pb = load();
	const struct task *blk = pb->plays[0]->tasks.items[3];
	const struct task *inc;

	(void)state;
	assert_int_equal(blk->kind, TASK_BLOCK);
	inc = blk->block.items[0];
	assert_string_equal(inc->action, "include_tasks");
	/* its tasks take the block's and play's tags, not its own */
	assert_list(inc->up_tags, "blk,t_out,t_in");
	assert_list(inc->tags, "inc_own,blk,t_out,t_in");
	assert_non_null(inc->apply);
	assert_int_equal(inc->apply->kind, TASK_BLOCK);
	assert_list(inc->apply->when, "ap");
	assert_list(inc->apply->tags, "ap_tag");
	assert_int_equal(inc->apply->become, 1);
	assert_non_null(val_dict_get(inc->apply->vars, "v"));
	assert_int_equal(inc->apply->block.nr, 0);
	playbook_free(pb);
}

static void test_imports__handler_import(void **state)
{
	struct playbook *pb = load();
	const struct play *p = pb->plays[0];
	const struct task *h = NULL;

	(void)state;
	for (size_t i = 0; i < p->handlers.nr; i++)
		if (!strcmp(p->handlers.items[i]->name, "imported"))
			h = p->handlers.items[i];
	assert_non_null(h);
	assert_list(h->when, "h_cond");
	/* the import's vars under the handler's own */
	assert_var(h->vars, "hv", "imp");
	assert_var(h->vars, "hw", "own");
	playbook_free(pb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imports__playbook_vars_tags),
		cmocka_unit_test(test_imports__playbook_when_on_tasks),
		cmocka_unit_test(test_imports__import_tasks_tags),
		cmocka_unit_test(test_imports__apply_and_up_tags),
		cmocka_unit_test(test_imports__handler_import),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
