#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/vault.h"
#include "tend/data/yaml.h"
#include "tend/lang/template.h"
#include "tend/modkit/facts_opts.h"
#include "tend/playbook/playbook_int.h"
#include "tend/playbook/timing.h"
#include "tend/util/fs.h"

/*
 * One play: each key through its row of play_keywords[], then what
 * needs the whole play (remote_user, connection, hosts) and its four
 * task lists.
 */

static void parse_name(const struct kwarg *a)
{
	a->p->name = playbook_expect_str(a->lc, a->v, a->key);
}

static void parse_hosts(const struct kwarg *a)
{
	if (a->v->type == VAL_STR || a->v->type == VAL_LIST)
		a->p->hosts = val_ref((struct val *)a->v);
	else
		diags_add(a->lc->d, &a->v->pos, "expected a host pattern for "
			  "'hosts', got a %s", val_type_name(a->v->type));
}

static void parse_vars(const struct kwarg *a)
{
	a->p->vars = playbook_expect_vars(a->lc, a->v, a->key);
}

/*
 * A vars file the play will load, checked now: a literal name that leads
 * out of a git source's checkout is refused, and one that holds vault
 * data (encrypted whole, or !vault values) is decrypted, so that a wrong
 * password or damaged data stops the run before any host is touched, not
 * at the play. Paths with a template, and files that do not exist yet,
 * wait for the play (engine/play.c load_vars_files), as other vars files
 * do.
 */
static void check_vars_file(struct loadctx *lc, const struct val *f)
{
	const char *name = val_cstr(f);
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct val *doc = NULL;
	size_t errors;

	if (!name || template_has_jinja(name))
		return;
	if (name[0] != '/')
		buf_addf(&path, "%s/", lc->basedir);
	buf_adds(&path, name);
	errors = lc->d->errors;
	playbook_check_beneath(lc, path.ptr, &f->pos);
	if (lc->d->errors > errors)
		goto out;
	if (fs_read_beneath(&text, lc->root, path.ptr) == 0 &&
	    (vault_is_vault(text.ptr, text.len) || strstr(text.ptr, "!vault")))
		yaml_load_input(&doc, lc->root, path.ptr, lc->d);
	tend_error_clear();
out:
	val_unref(doc);
	buf_release_secret(&text);
	buf_release(&path);
}

/*
 * vars_files: each entry a file name, or a list of names of which the
 * first that exists is loaded (Ansible's "conditional includes").
 */
static void parse_vars_files(const struct kwarg *a)
{
	struct val *l = val_list();

	if (a->v->type != VAL_LIST) {
		val_unref(l);
		l = playbook_string_list(a->lc, a->v, a->key, false);
	}
	for (size_t i = 0; a->v->type == VAL_LIST && i < a->v->u.list.nr; i++) {
		struct val *it = a->v->u.list.items[i], *alts;

		if (it->type != VAL_LIST) {
			alts = playbook_string_list(a->lc, it, a->key, false);
			if (alts && alts->u.list.nr == 1)
				val_list_push(l, val_ref(alts->u.list.items[0]));
			val_unref(alts);
			continue;
		}
		alts = playbook_string_list(a->lc, it, a->key, false);
		if (alts)
			val_list_push(l, alts);
	}
	a->p->vars_files = l;
	for (size_t i = 0; i < val_len(l); i++) {
		const struct val *e = l->u.list.items[i];

		for (size_t j = 0; j < (e->type == VAL_LIST ? val_len(e) : 1);
		     j++)
			check_vars_file(a->lc, e->type == VAL_LIST ?
					e->u.list.items[j] : e);
	}
}

/*
 * collections: only the built-in ones, which tend's module names are
 * already looked up in; another would change what a short name means.
 */
static void parse_collections(const struct kwarg *a)
{
	if (a->v->type != VAL_LIST) {
		diags_add(a->lc->d, &a->v->pos,
			  "expected a list of collections for 'collections'");
		return;
	}
	for (size_t i = 0; i < a->v->u.list.nr; i++) {
		const struct val *c = a->v->u.list.items[i];
		const char *s = val_cstr(c);

		if (!s || (strcmp(s, "ansible.builtin") &&
			   strcmp(s, "ansible.legacy")))
			diags_add(a->lc->d, &c->pos, "collection '%s' is not "
				  "supported yet (tend has ansible.builtin's "
				  "modules only)", s ? s : val_type_name(c->type));
	}
}

static void parse_gather_facts(const struct kwarg *a)
{
	playbook_parse_bool(a->lc, a->v, a->key, &a->p->gather_facts);
	a->p->gather_facts_set = true;
}

/*
 * gather_subset: a list of Ansible's names (a string is one name);
 * one tend does not gather, or Ansible does not know, is refused here,
 * and so is a template (not supported yet)
 */
static void parse_gather_subset(const struct kwarg *a)
{
	unsigned int bits = 0;
	struct val *list;

	if (!val_is(a->v, VAL_STR) && !val_is(a->v, VAL_LIST)) {
		diags_add(a->lc->d, &a->v->pos, "'gather_subset' is a list of "
			  "names");
		return;
	}
	for (size_t i = 0; val_is(a->v, VAL_LIST) && i < val_len(a->v); i++)
		if (val_is(val_list_at(a->v, i), VAL_STR) &&
		    template_has_jinja(val_cstr(val_list_at(a->v, i))))
			goto templated;
	if (val_is(a->v, VAL_STR) && template_has_jinja(val_cstr(a->v))) {
templated:
		diags_add(a->lc->d, &a->v->pos, "a templated 'gather_subset' "
			  "is not supported yet");
		return;
	}
	/* a play's string is one name (Ansible does not split it) */
	list = val_is(a->v, VAL_STR) ? val_list() : val_ref((struct val *)a->v);
	if (val_is(a->v, VAL_STR))
		val_list_push(list, val_ref((struct val *)a->v));
	if (facts_subsets(&bits, list) < 0) {
		diags_add(a->lc->d, &a->v->pos, "%s", tend_error_last());
		tend_error_clear();
		val_unref(list);
		return;
	}
	a->p->gather_subset = list;
}

static void parse_fact_path(const struct kwarg *a)
{
	a->p->fact_path = playbook_expect_str(a->lc, a->v, a->key);
}

/* a bool, or a template the executor renders per host */
static void parse_become(const struct kwarg *a)
{
	struct val *f = playbook_expect_flag(a->lc, a->v, a->key);

	if (val_is(f, VAL_BOOL))
		a->p->become = f->u.b;
	else if (f)
		a->p->become_tpl = val_ref(f);
	val_unref(f);
}

static void parse_become_user(const struct kwarg *a)
{
	a->p->become_user = playbook_expect_str(a->lc, a->v, a->key);
}

static void parse_tags(const struct kwarg *a)
{
	a->p->tags = playbook_string_list(a->lc, a->v, a->key, true);
}

static void parse_serial(const struct kwarg *a)
{
	a->p->serial = val_ref((struct val *)a->v);
}

static void parse_maintenance(const struct kwarg *a)
{
	a->p->maintenance = val_ref((struct val *)a->v);
}

static void parse_schedule(const struct kwarg *a)
{
	struct timing t;

	if (timing_load_play(&t, a->v, a->lc->d))
		a->p->schedule = val_ref((struct val *)a->v);
	timing_release(&t);
}

static void parse_strategy(const struct kwarg *a)
{
	const char *st = val_cstr(a->v);

	if (st && template_has_jinja(st))
		a->p->strategy_tpl = val_ref((struct val *)a->v);
	else if (st && !strcmp(st, "free"))
		a->p->strategy_free = true;
	else if (!st || strcmp(st, "linear"))
		diags_add(a->lc->d, &a->v->pos,
			  "expected 'linear' or 'free' for 'strategy'");
}

static void parse_no_log(const struct kwarg *a)
{
	a->p->no_log = playbook_expect_flag(a->lc, a->v, a->key);
}

static void parse_environment(const struct kwarg *a)
{
	a->p->environment = playbook_expect_environment(a->lc, a->v, a->key);
}

static void parse_any_errors_fatal(const struct kwarg *a)
{
	struct val *f = playbook_expect_flag(a->lc, a->v, a->key);

	if (val_is(f, VAL_BOOL))
		a->p->any_errors_fatal = f->u.b;
	else if (f)
		a->p->any_errors_fatal_tpl = val_ref(f);
	val_unref(f);
}

static void parse_max_fail_percentage(const struct kwarg *a)
{
	const struct val *kv = a->v;

	if (kv->type == VAL_INT && kv->u.i >= 0 && kv->u.i <= 100)
		a->p->max_fail_percentage = (int)kv->u.i;
	else
		diags_add(a->lc->d, &kv->pos, "expected a number from 0 to 100 "
			  "for 'max_fail_percentage'");
}

static void parse_ignore_errors(const struct kwarg *a)
{
	a->p->ignore_errors = playbook_expect_flag(a->lc, a->v, a->key);
}

static void parse_check_mode(const struct kwarg *a)
{
	a->p->check_mode = playbook_expect_flag(a->lc, a->v, a->key);
}

static void parse_ignore_unreachable(const struct kwarg *a)
{
	a->p->ignore_unreachable = playbook_expect_flag(a->lc, a->v, a->key);
}

static void parse_play_run_once(const struct kwarg *a)
{
	playbook_parse_bool(a->lc, a->v, a->key, &a->p->run_once);
}

/* Ansible post-validates it before the play runs: no template */
static void parse_force_handlers(const struct kwarg *a)
{
	playbook_parse_bool(a->lc, a->v, a->key, &a->p->force_handlers);
}

static void parse_order(const struct kwarg *a)
{
	static const char *const names[] = {
		[ORDER_INVENTORY] = "inventory",
		[ORDER_REVERSE_INVENTORY] = "reverse_inventory",
		[ORDER_SORTED] = "sorted",
		[ORDER_REVERSE_SORTED] = "reverse_sorted",
		[ORDER_SHUFFLE] = "shuffle",
	};
	const char *s = val_cstr(a->v);

	for (size_t i = 0; s && i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			a->p->order = (enum play_order)i;
			return;
		}
	diags_add(a->lc->d, &a->v->pos, "expected one of inventory, "
		  "reverse_inventory, sorted, reverse_sorted, shuffle for "
		  "'order'");
}

static void parse_module_defaults(const struct kwarg *a)
{
	a->p->module_defaults = playbook_module_defaults(a->lc, a->v);
}

/*
 * The rows are in the order "did you mean" has always tried them; keep
 * new rows at the end. Rows without a parse function are read by
 * play_load after the keywords, by the playbook loader (import_playbook),
 * or have no effect yet.
 */
static const struct keyword play_keywords[] = {
	{ "name", parse_name, 0, "the play's name in output" },
	{ "hosts", parse_hosts, 0, "a host pattern, or a list of them" },
	{ "vars", parse_vars, 0, "variables of the play" },
	{ "vars_files", parse_vars_files, 0,
	  "files of variables (vars/NAME first; a list: the first found)" },
	{ "gather_facts", parse_gather_facts, 0, "gather facts first" },
	{ "become", parse_become, 0,
	  "run as another user (become_method: sudo or su)" },
	{ "become_user", parse_become_user, 0, "as this user" },
	{ "become_method", playbook_parse_become_method, 0,
	  "sudo or su" },
	{ "tasks", NULL, 0, "the tasks" },
	{ "pre_tasks", NULL, 0, "tasks before the tasks" },
	{ "post_tasks", NULL, 0, "tasks after the tasks" },
	{ "handlers", NULL, 0, "tasks run when notified" },
	{ "tags", parse_tags, 0, "tags of every task of the play" },
	{ "serial", parse_serial, 0, "hosts per batch" },
	{ "schedule", parse_schedule, 0,
	  "tend: when tend daemon runs the play on its own "
	  "(docs/daemon.md)" },
	{ "maintenance", parse_maintenance, 0,
	  "tend: maintenance window settings" },
	{ "remote_user", NULL, 0, "ansible_user, unless vars set it" },
	{ "user", NULL, 0, "the old name of remote_user (Ansible 2.14 takes it)" },
	{ "connection", NULL, 0, "ansible_connection, unless vars set it" },
	{ "strategy", parse_strategy, 0, "linear or free" },
	{ "any_errors_fatal", parse_any_errors_fatal, 0,
	  "one failed host ends the play for all" },
	{ "max_fail_percentage", parse_max_fail_percentage, 0,
	  "end the play past this share of failed hosts" },
	{ "roles", NULL, 0, "roles run before the tasks (docs/roles.md)" },
	{ "environment", parse_environment, 0,
	  "environment variables for the modules of every task" },
	{ "vars_prompt", playbook_parse_vars_prompt, 0,
	  "variables asked for on the terminal before the run (encrypt: "
	  "hashed as password_hash hashes)" },
	{ "collections", parse_collections, 0,
	  "ansible.builtin (or ansible.legacy) only: tend has no others" },
	{ "order", parse_order, 0, "the order hosts run in" },
	{ "ignore_errors", parse_ignore_errors, 0,
	  "go on when a task fails (tasks and blocks may say otherwise)" },
	{ "check_mode", parse_check_mode, 0,
	  "true: every task only checks; false: every task runs, even in "
	  "a plan" },
	{ "diff", NULL, KW_REFUSED,
	  "not supported yet: shows or hides every task's diff" },
	{ "import_playbook", NULL, 0, "another playbook's plays" },
	{ "no_log", parse_no_log, 0,
	  "hide the messages, diffs, loop labels and results of every task" },
	{ "force_handlers", parse_force_handlers, 0,
	  "a failed host still runs the handlers it notified" },
	{ "ignore_unreachable", parse_ignore_unreachable, 0,
	  "go on past an unreachable host" },
	{ "run_once", parse_play_run_once, 0,
	  "each task runs on the batch's first host, unless it says" },
	{ "module_defaults", parse_module_defaults, 0,
	  "default args per module" },
	{ "gather_subset", parse_gather_subset, 0,
	  "which facts to gather (docs/facts.md)" },
	{ "fact_path", parse_fact_path, 0,
	  "where local facts are (default /etc/ansible/facts.d)" },
	{ "gather_timeout", NULL, KW_REFUSED,
	  "not supported yet: facts are one script, with the connection's "
	  "own timeout" },
	{ NULL, NULL, 0, NULL },
};

bool playbook_keyword_doc(bool play, size_t i, const char **name,
			  const char **doc)
{
	const struct keyword *k = play ? play_keywords : task_keywords;

	for (size_t n = 0; n < i; n++)
		if (!k[n].name)
			return false;
	if (!k[i].name)
		return false;
	*name = k[i].name;
	*doc = k[i].doc;
	return true;
}

void play_free(struct play *p)
{
	if (!p)
		return;
	free(p->name);
	val_unref(p->hosts);
	val_unref(p->gather_subset);
	free(p->fact_path);
	val_unref(p->vars);
	val_unref(p->vars_files);
	free(p->become_user);
	free(p->become_method);
	val_unref(p->tags);
	val_unref(p->gather_when);
	val_unref(p->serial);
	val_unref(p->maintenance);
	val_unref(p->schedule);
	val_unref(p->no_log);
	val_unref(p->environment);
	val_unref(p->become_tpl);
	val_unref(p->strategy_tpl);
	val_unref(p->any_errors_fatal_tpl);
	val_unref(p->ignore_errors);
	val_unref(p->ignore_unreachable);
	val_unref(p->check_mode);
	val_unref(p->module_defaults);
	val_unref(p->vars_prompt);
	tasklist_release(&p->pre_tasks);
	tasklist_release(&p->tasks);
	tasklist_release(&p->post_tasks);
	tasklist_release(&p->handlers);
	role_free_all(p);
	free(p->start_path);
	free(p);
}

void playbook_play_free(struct play *p)
{
	play_free(p);
}

/* The play's var `name` is `v`, unless its vars set it already. */
static void default_var(struct play *p, const char *name, const struct val *v)
{
	struct val *nv;

	if (!v || val_dict_get(p->vars, name))
		return;
	nv = val_copy(p->vars);
	val_dict_set(nv, name, val_ref((struct val *)v));
	val_unref(p->vars);
	p->vars = nv;
}

/* import_tasks (or import_role, roles:): its tasks are the play's */
static bool is_import(const struct task *t)
{
	if (t->kind == TASK_ROLE)
		return t->include_static;
	return t->kind == TASK_INCLUDE && !strcmp(t->action, "import_tasks");
}

/*
 * run_once as Ansible inherits it: a task that does not say takes its
 * block's, import's or play's (`on`). A dynamic include under it
 * (include_tasks, include_role: Ansible keeps it for the include, whose
 * tasks tend loads as it runs) is refused.
 */
void playbook_pass_run_once(struct loadctx *lc, struct tasklist *l, bool on)
{
	for (size_t i = 0; i < l->nr; i++) {
		struct task *t = l->items[i];
		bool v = t->run_once_said ? t->run_once : on;

		if (t->kind == TASK_MODULE) {
			t->run_once = v;
		} else if (t->kind == TASK_BLOCK) {
			playbook_pass_run_once(lc, &t->block, v);
			playbook_pass_run_once(lc, &t->rescue, v);
			playbook_pass_run_once(lc, &t->always, v);
		} else if (is_import(t)) {
			playbook_pass_run_once(lc, &t->included, v);
		} else if (v && (t->kind == TASK_INCLUDE ||
				 t->kind == TASK_ROLE)) {
			diags_add(lc->d, &t->pos, "'run_once' is not supported "
				  "yet on include_tasks or include_role (nor on "
				  "a block or play around one): give it to "
				  "their tasks, or use an import");
		} else {
			/* what the include brings: its blocks' own */
			playbook_pass_run_once(lc, &t->included, false);
		}
		if (t->kind != TASK_MODULE)
			t->run_once = false;
	}
}

static const struct task *list_run_once(const struct tasklist *l)
{
	for (size_t j = 0; j < l->nr; j++) {
		const struct task *t = l->items[j], *in;

		if (t->run_once)
			return t;
		if ((in = list_run_once(&t->block)) ||
		    (in = list_run_once(&t->rescue)) ||
		    (in = list_run_once(&t->always)) ||
		    (in = list_run_once(&t->included)))
			return in;
	}
	return NULL;
}

const struct task *playbook_run_once_task(const struct play *p)
{
	const struct tasklist *lists[] = { &p->pre_tasks, &p->tasks,
					   &p->post_tasks, &p->handlers };
	const struct task *t = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(lists) && !t; i++)
		t = list_run_once(lists[i]);
	return t;
}

/*
 * strategy: free lets each host walk a section alone: no step runs a
 * task for the batch, so run_once is refused there (the tasks of a file
 * include_tasks loads, when it runs).
 */
static void refuse_run_once_free(struct loadctx *lc, const struct play *p)
{
	const struct task *t = playbook_run_once_task(p);

	if (t)
		diags_add(lc->d, &t->pos, "'run_once' is not supported yet "
			  "with strategy: free");
}

/*
 * A play that import_playbook brought: the imports' vars over its own,
 * and their tags added to its own. A var 'tags' among them is dropped:
 * Ansible 2.14 pops it to split it into the play's tags, and loses what
 * it split (a value that is no string stops Ansible: refused).
 */
static void imported_vars_tags(struct loadctx *lc, struct play *p)
{
	struct val *nv = val_copy(p->vars);
	const struct val *tv;

	if (lc->imp_vars)
		val_dict_update(nv, lc->imp_vars, false);
	if ((tv = val_dict_get(nv, "tags")) && !val_cstr(tv))
		diags_add(lc->d, &tv->pos, "a variable 'tags' of an imported "
			  "play must be a string (Ansible splits it)");
	val_dict_del(nv, "tags");
	val_unref(p->vars);
	p->vars = nv;
	if (!val_len(lc->imp_tags))
		return;
	if (!p->tags)
		p->tags = val_list();
	for (size_t i = 0; i < val_len(lc->imp_tags); i++)
		val_list_push(p->tags, val_ref(lc->imp_tags->u.list.items[i]));
}

/*
 * What an import's when cannot reach yet: a top-level flush_handlers
 * (the play flushes it without testing its when) and an include_role
 * whose name is a template (its handlers load at run time).
 */
static void refuse_under_when(struct loadctx *lc, const struct tasklist *l,
			      bool top)
{
	for (size_t i = 0; i < l->nr; i++) {
		const struct task *t = l->items[i];

		if (top && t->kind == TASK_META &&
		    !strcmp(t->meta, "flush_handlers"))
			diags_add(lc->d, &t->pos, "flush_handlers in a play "
				  "imported with 'when' is not supported yet");
		if (t->kind == TASK_ROLE && !t->runs)
			diags_add(lc->d, &t->pos, "include_role with a "
				  "templated name in a play imported with "
				  "'when' is not supported yet");
		refuse_under_when(lc, &t->block, false);
		refuse_under_when(lc, &t->rescue, false);
		refuse_under_when(lc, &t->always, false);
		refuse_under_when(lc, &t->included, false);
	}
}

/*
 * An imported play's when: in front of each task's of its sections and
 * of each role handler's (Ansible prepends it to the play's blocks and
 * roles; a play's own handlers do not take it), and on its fact
 * gathering. A top-level flush_handlers with a condition is not honoured
 * yet: refused.
 */
static void imported_when(struct loadctx *lc, struct play *p)
{
	struct tasklist *lists[] = { &p->pre_tasks, &p->tasks,
				     &p->post_tasks };
	struct tasklist roleh = { 0 };

	if (!val_len(lc->imp_when))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		imports_push_when(lists[i], lc->imp_when);
		refuse_under_when(lc, lists[i], true);
	}
	for (size_t i = 0; i < p->handlers.nr; i++)
		if (p->handlers.items[i]->role)
			tasklist_add(&roleh, p->handlers.items[i]);
	imports_push_when(&roleh, lc->imp_when);
	free(roleh.items);
	p->gather_when = val_ref(lc->imp_when);
}

struct play *play_load(struct loadctx *lc, const struct val *v)
{
	struct play *p = xcalloc(1, sizeof(*p));
	struct kwarg a = { .lc = lc, .dict = v, .p = p };
	size_t errors = lc->d->errors;

	p->pos = v->pos;
	p->become = -1;
	p->gather_facts = true;
	p->max_fail_percentage = -1;
	playbook_keywords_apply(play_keywords, &a, "play", "play keyword");
	playbook_check_templates(lc, v, NULL);
	if (!p->vars)
		p->vars = val_dict();
	if (lc->imported)
		imported_vars_tags(lc, p);
	/* remote_user / connection are shorthands for connection vars */
	if (val_dict_get(v, "user") && val_dict_get(v, "remote_user"))
		diags_add(lc->d, playbook_key_pos(v, "user"), "a play takes "
			  "'user' (the old name of 'remote_user') or "
			  "'remote_user', not both");
	default_var(p, "ansible_user", val_dict_get(v, "remote_user"));
	default_var(p, "ansible_user", val_dict_get(v, "user"));
	p->connection_kw = val_dict_get(v, "connection") &&
			   !val_dict_get(p->vars, "ansible_connection");
	default_var(p, "ansible_connection", val_dict_get(v, "connection"));
	if (!p->hosts && lc->d->errors == errors)
		diags_add(lc->d, &p->pos, "a play needs 'hosts'");
	lc->play = p;
	lc->mdefaults = p->module_defaults;
	lc->load_role = role_load_task;
	lc->roles_seen = val_dict();
	task_load_list(lc, &p->pre_tasks, val_dict_get(v, "pre_tasks"),
		       "pre_tasks", p->tags, false);
	/* roles run first in the tasks section, after pre_tasks' handlers */
	role_load_play(lc, val_dict_get(v, "roles"));
	task_load_list(lc, &p->tasks, val_dict_get(v, "tasks"), "tasks",
		       p->tags, false);
	task_load_list(lc, &p->post_tasks, val_dict_get(v, "post_tasks"),
		       "post_tasks", p->tags, false);
	task_load_list(lc, &p->handlers, val_dict_get(v, "handlers"),
		       "handlers", p->tags, true);
	imported_when(lc, p);
	playbook_pass_run_once(lc, &p->pre_tasks, p->run_once);
	playbook_pass_run_once(lc, &p->tasks, p->run_once);
	playbook_pass_run_once(lc, &p->post_tasks, p->run_once);
	playbook_pass_run_once(lc, &p->handlers, p->run_once);
	if (p->strategy_free)
		refuse_run_once_free(lc, p);
	val_unref(lc->roles_seen);
	lc->roles_seen = NULL;
	lc->play = NULL;
	lc->mdefaults = NULL;
	lc->load_role = NULL;
	/* Ansible 2.14 stops the run at a notify no handler answers */
	playbook_check_notify(lc, p);
	if (lc->d->errors != errors) {
		play_free(p);
		return NULL;
	}
	return p;
}
