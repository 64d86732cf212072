#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/lang/template.h"
#include "tend/playbook/playbook_int.h"

/*
 * The task keywords: one row each in task_keywords[] below, with the
 * function that checks and stores its value. A keyword's value is kept
 * raw (not templated); the executor renders it per host.
 */

static void parse_name(const struct kwarg *a)
{
	a->t->name = playbook_expect_str(a->lc, a->v, a->key);
}

static void parse_when(const struct kwarg *a)
{
	a->t->when = playbook_condition_list(a->lc, a->v, a->key);
}

static void parse_changed_when(const struct kwarg *a)
{
	a->t->changed_when = playbook_condition_list(a->lc, a->v, a->key);
}

static void parse_failed_when(const struct kwarg *a)
{
	a->t->failed_when = playbook_condition_list(a->lc, a->v, a->key);
}

/* True (and reported) if the task has a loop already. */
static bool loop_taken(const struct kwarg *a)
{
	if (!a->t->loop)
		return false;
	diags_add(a->lc->d, playbook_key_pos(a->dict, a->key),
		  "only one loop keyword per task");
	return true;
}

/* loop / with_list: the list as it is */
static void parse_loop(const struct kwarg *a)
{
	if (!loop_taken(a))
		a->t->loop = val_ref((struct val *)a->v);
}

/* with_items flattens one level when it runs */
static void parse_with_items(const struct kwarg *a)
{
	if (loop_taken(a))
		return;
	a->t->loop = val_ref((struct val *)a->v);
	a->t->loop_flatten = true;
}

/* with_dict: X is loop: X | dict2items */
static void parse_with_dict(const struct kwarg *a)
{
	const struct val *kv = a->v;
	struct task *t = a->t;

	if (loop_taken(a))
		return;
	if (kv->type == VAL_STR) {
		struct buf b = BUF_INIT;
		const char *s = kv->u.s.ptr;
		size_t n = strlen(s);

		if (template_has_jinja(s) && n > 4 &&
		    !strcmp(s + n - 2, "}}")) {
			buf_add(&b, s, n - 2);
			buf_rtrim(&b);
			buf_adds(&b, " | dict2items }}");
		} else {
			buf_addf(&b, "{{ %s | dict2items }}", s);
		}
		t->loop = val_str(b.ptr);
		t->loop->pos = kv->pos;
		buf_release(&b);
	} else if (kv->type == VAL_DICT) {
		t->loop = val_list();
		for (size_t j = 0; j < kv->u.dict.nr; j++) {
			struct val *it = val_dict();

			val_dict_set_str(it, "key", kv->u.dict.items[j].key);
			val_dict_set(it, "value",
				     val_ref(kv->u.dict.items[j].v));
			val_list_push(t->loop, it);
		}
	} else {
		diags_add(a->lc->d, &kv->pos,
			  "expected a dict for 'with_dict'");
	}
}

static void parse_loop_var(const struct kwarg *a)
{
	a->t->loop_var = playbook_expect_str(a->lc, a->v, a->key);
}

static void parse_index_var(const struct kwarg *a)
{
	a->t->index_var = playbook_expect_str(a->lc, a->v, a->key);
}

static void parse_label(const struct kwarg *a)
{
	a->t->loop_label = val_ref((struct val *)a->v);
}

/* pause: seconds (a number, or a template rendered per host) */
static void parse_pause(const struct kwarg *a)
{
	const char *s = val_cstr(a->v);

	if ((a->v->type == VAL_INT && a->v->u.i >= 0) ||
	    (a->v->type == VAL_FLOAT && a->v->u.f >= 0) ||
	    (s && template_has_jinja(s)))
		a->t->loop_pause = val_ref((struct val *)a->v);
	else
		diags_add(a->lc->d, &a->v->pos, "expected seconds (a number "
			  "of 0 or more) for 'pause'");
}

/* extended, extended_allitems: a bool, or a template rendered per host */
static struct val *loop_flag(const struct kwarg *a)
{
	const char *s = val_cstr(a->v);
	bool b;

	if ((s && template_has_jinja(s)) ||
	    !playbook_parse_bool(a->lc, a->v, a->key, &b))
		return val_ref((struct val *)a->v);
	return NULL;
}

static void parse_extended(const struct kwarg *a)
{
	a->t->loop_extended = loop_flag(a);
}

static void parse_extended_allitems(const struct kwarg *a)
{
	a->t->loop_allitems = loop_flag(a);
}

static const struct keyword loop_control_keywords[] = {
	{ "loop_var", parse_loop_var, 0, "the loop variable (item)" },
	{ "index_var", parse_index_var, 0, "a variable for the index" },
	{ "label", parse_label, 0, "what output shows of an item" },
	{ "pause", parse_pause, 0, "seconds between items (not in a plan)" },
	{ "extended", parse_extended, 0, "every field of ansible_loop" },
	{ "extended_allitems", parse_extended_allitems, 0,
	  "ansible_loop.allitems too (with extended)" },
	{ NULL, NULL, 0, NULL },
};

static void parse_loop_control(const struct kwarg *a)
{
	struct kwarg la = *a;

	if (a->v->type != VAL_DICT) {
		diags_add(a->lc->d, &a->v->pos,
			  "expected a dict for 'loop_control'");
		return;
	}
	la.dict = a->v;
	playbook_keywords_apply(loop_control_keywords, &la, "loop_control",
				"loop_control key");
}

bool playbook_is_with_lookup(const char *key)
{
	return !strncmp(key, "with_", 5) &&
	       !playbook_keyword_find(task_keywords, key);
}

/* with_NAME: the loop is lookup NAME over the value (engine/loop.c) */
void playbook_with_lookups(const struct kwarg *a)
{
	for (size_t i = 0; i < a->dict->u.dict.nr; i++) {
		struct kwarg ka = *a;

		ka.key = a->dict->u.dict.items[i].key;
		ka.v = a->dict->u.dict.items[i].v;
		if (!playbook_is_with_lookup(ka.key))
			continue;
		if (template_lookup_check(ka.key + 5) < 0) {
			diags_add(a->lc->d, playbook_key_pos(a->dict, ka.key),
				  "'%s': %s", ka.key, tend_error_last());
			tend_error_clear();
		} else if (!loop_taken(&ka)) {
			a->t->loop = val_ref((struct val *)ka.v);
			a->t->loop_with = xstrdup(ka.key + 5);
		}
	}
}

static void parse_register(const struct kwarg *a)
{
	a->t->register_as = playbook_expect_str(a->lc, a->v, a->key);
}

static void parse_notify(const struct kwarg *a)
{
	a->t->notify = playbook_string_list(a->lc, a->v, a->key, false);
}

static void parse_listen(const struct kwarg *a)
{
	if (!a->handler)
		diags_add(a->lc->d, playbook_key_pos(a->dict, a->key),
			  "'listen' is only valid on handlers");
	else
		a->t->listen = playbook_string_list(a->lc, a->v, a->key, false);
}

static void parse_tags(const struct kwarg *a)
{
	a->t->tags = playbook_string_list(a->lc, a->v, a->key, true);
}

/* Kept raw when templated or null: converted when the task fails. */
static void parse_ignore_errors(const struct kwarg *a)
{
	const char *s = val_cstr(a->v);
	bool b;

	if ((s && template_has_jinja(s)) || val_is(a->v, VAL_NULL) ||
	    !playbook_parse_bool(a->lc, a->v, a->key, &b))
		a->t->ignore_errors = val_ref((struct val *)a->v);
}

static void parse_ignore_unreachable(const struct kwarg *a)
{
	a->t->ignore_unreachable = playbook_expect_flag(a->lc, a->v, a->key);
}

/*
 * any_errors_fatal: a bool, or a template, which Ansible's linear
 * strategy tests as it is written (a non-empty string: true)
 */
static void parse_any_errors_fatal(const struct kwarg *a)
{
	a->t->any_errors_fatal = playbook_expect_flag(a->lc, a->v, a->key);
}

/*
 * check_mode: true runs the task as a check even in an apply; false runs
 * it for real even in a plan (the user's word that it only reads)
 */
static void parse_check_mode(const struct kwarg *a)
{
	a->t->check_mode = playbook_expect_flag(a->lc, a->v, a->key);
}

static void parse_timeout(const struct kwarg *a)
{
	a->t->timeout = playbook_expect_int(a->lc, a->v, a->key);
}

/* async and poll: ints, checked against the module by check_task */
static void parse_async(const struct kwarg *a)
{
	a->t->async_val = playbook_expect_int(a->lc, a->v, a->key);
}

static void parse_poll(const struct kwarg *a)
{
	a->t->poll = playbook_expect_int(a->lc, a->v, a->key);
}

static void parse_module_defaults(const struct kwarg *a)
{
	a->t->module_defaults = playbook_module_defaults(a->lc, a->v);
}

/*
 * diff: false hides the task's diff from every output, even under
 * --diff, as Ansible does. diff: true (a diff without --diff) is
 * refused rather than ignored.
 */
static void parse_diff(const struct kwarg *a)
{
	bool b;

	if (playbook_parse_bool(a->lc, a->v, a->key, &b) < 0)
		return;
	if (b)
		diags_add(a->lc->d, &a->v->pos, "'diff: true' is not supported "
			  "yet (a task's diff without --diff); 'diff: false' "
			  "is");
	else
		a->t->no_diff = true;
}

static void parse_vars(const struct kwarg *a)
{
	a->t->vars = playbook_expect_vars(a->lc, a->v, a->key);
}

/* a bool, or a template the executor renders per host */
static void parse_become(const struct kwarg *a)
{
	struct val *f = playbook_expect_flag(a->lc, a->v, a->key);

	if (val_is(f, VAL_BOOL))
		a->t->become = f->u.b;
	else if (f)
		a->t->become_tpl = val_ref(f);
	val_unref(f);
}

static void parse_become_user(const struct kwarg *a)
{
	a->t->become_user = playbook_expect_str(a->lc, a->v, a->key);
}

static void parse_no_log(const struct kwarg *a)
{
	a->t->no_log = playbook_expect_flag(a->lc, a->v, a->key);
}

static void parse_environment(const struct kwarg *a)
{
	a->t->environment = playbook_expect_environment(a->lc, a->v, a->key);
}

static void parse_until(const struct kwarg *a)
{
	a->t->until = playbook_condition_list(a->lc, a->v, a->key);
}

static void parse_retries(const struct kwarg *a)
{
	a->t->retries = playbook_expect_int(a->lc, a->v, a->key);
}

static void parse_delay(const struct kwarg *a)
{
	a->t->delay = playbook_expect_int(a->lc, a->v, a->key);
}

static void parse_delegate_to(const struct kwarg *a)
{
	if (a->t->delegate_to) {
		diags_add(a->lc->d, playbook_key_pos(a->dict, a->key),
			  "'delegate_to' conflicts with 'local_action' (which "
			  "delegates to localhost)");
		return;
	}
	if (a->v->type == VAL_DICT || a->v->type == VAL_LIST) {
		diags_add(a->lc->d, &a->v->pos, "expected a host name for "
			  "'delegate_to', got a %s", val_type_name(a->v->type));
		return;
	}
	if (a->v->type != VAL_NULL)
		a->t->delegate_to = val_ref((struct val *)a->v);
}

static void parse_delegate_facts(const struct kwarg *a)
{
	bool b;

	if (playbook_parse_bool(a->lc, a->v, a->key, &b) == 0)
		a->t->delegate_facts = b;
}

/*
 * run_once: on a module task, where it is or nested (a block's, an
 * included file's, a role's: their hosts walk together, engine/
 * lockstep.c). A block's and an import's (import_tasks, import_role)
 * pass down to the tasks inside that do not say their own, as Ansible's
 * inherit it (play.c playbook_pass_run_once); on include_tasks and
 * include_role, which Ansible keeps for the include itself, it is
 * refused.
 */
static void parse_run_once(const struct kwarg *a)
{
	bool b;

	if (playbook_parse_bool(a->lc, a->v, a->key, &b) < 0)
		return;
	a->t->run_once = b;
	a->t->run_once_said = true;
}

static void parse_connection(const struct kwarg *a)
{
	char *s = playbook_expect_str(a->lc, a->v, a->key);

	if (s)
		a->t->connection = val_str(s);
	free(s);
}

static void parse_throttle(const struct kwarg *a)
{
	a->t->throttle = playbook_expect_int(a->lc, a->v, a->key);
}

/*
 * block / rescue / always: task.c loads the lists; here, only that the
 * task is a block.
 */
static void parse_block_part(const struct kwarg *a)
{
	if (a->t->kind != TASK_BLOCK)
		diags_add(a->lc->d, playbook_key_pos(a->dict, a->key),
			  "'%s' belongs to a block, not to a '%s' task",
			  a->key, a->t->action);
}

/* args: {...} adds to the module's args; those given with the module win. */
static void parse_args(const struct kwarg *a)
{
	const struct val *kv = a->v;
	struct task *t = a->t;

	if (t->kind != TASK_MODULE || kv->type != VAL_DICT) {
		diags_add(a->lc->d, playbook_key_pos(a->dict, a->key),
			  "'args' must be a dict on a module task");
		return;
	}
	if (!t->args)
		t->args = val_dict();
	for (size_t j = 0; j < kv->u.dict.nr; j++)
		if (!val_dict_get(t->args, kv->u.dict.items[j].key))
			val_dict_set_pos(t->args, kv->u.dict.items[j].key,
					 val_ref(kv->u.dict.items[j].v),
					 &kv->u.dict.items[j].pos);
}

/*
 * The rows are in the order "did you mean" has always tried them; keep
 * new rows at the end. The action keys that are not keywords (modules,
 * meta, include_tasks, ...) are action.c's.
 */
const struct keyword task_keywords[] = {
	{ "name", parse_name, 0, "the task's name in output" },
	{ "when", parse_when, 0, "run only if every condition is true" },
	{ "loop", parse_loop, 0,
	  "run once per item of a list (a template error in an item ends "
	  "the loop and fails the task, as in Ansible)" },
	{ "with_items", parse_with_items, 0, "loop, one level flattened" },
	{ "with_list", parse_loop, 0, "loop" },
	{ "with_dict", parse_with_dict, 0, "loop over key/value items" },
	{ "loop_control", parse_loop_control, 0,
	  "loop_var, index_var, label, pause, extended" },
	{ "register", parse_register, 0, "store the result as a variable" },
	{ "notify", parse_notify, 0, "handlers to run on change" },
	{ "tags", parse_tags, 0, "tags for --tags / --skip-tags" },
	{ "changed_when", parse_changed_when, 0, "conditions for changed" },
	{ "failed_when", parse_failed_when, 0, "conditions for failed" },
	{ "ignore_errors", parse_ignore_errors, 0, "go on if the task fails" },
	{ "vars", parse_vars, 0, "variables of the task" },
	{ "become", parse_become, 0,
	  "run as another user (become_method: sudo or su)" },
	{ "become_user", parse_become_user, 0, "as this user" },
	{ "become_method", playbook_parse_become_method, 0,
	  "sudo or su" },
	{ "block", parse_block_part, KW_ACTION, "a list of tasks" },
	{ "rescue", parse_block_part, 0, "tasks run if the block fails" },
	{ "always", parse_block_part, 0, "tasks run after the block" },
	{ "args", parse_args, 0, "more module args" },
	{ "no_log", parse_no_log, 0,
	  "hide the task's messages, diff, loop labels and result" },
	{ "listen", parse_listen, 0, "handlers: topics they answer to" },
	{ "action", NULL, KW_ACTION, "a module and its args in one value" },
	{ "local_action", NULL, KW_ACTION,
	  "action: delegated to localhost" },
	{ "delegate_to", parse_delegate_to, 0,
	  "run the task on this host, with the host's vars" },
	{ "run_once", parse_run_once, 0,
	  "run on the batch's first host there; all get its result" },
	{ "environment", parse_environment, 0,
	  "environment variables for the module" },
	{ "until", parse_until, 0,
	  "retry the task until every condition holds" },
	{ "retries", parse_retries, 0, "with until: retries (3)" },
	{ "delay", parse_delay, 0, "with until: seconds between tries (5)" },
	{ "check_mode", parse_check_mode, 0,
	  "true: only check, even in an apply; false: run it for real, "
	  "even in a plan (it must only read)" },
	{ "diff", parse_diff, 0,
	  "false: no diff of the task is shown (true is not supported yet)" },
	{ "ignore_unreachable", parse_ignore_unreachable, 0,
	  "go on past an unreachable host" },
	{ "timeout", parse_timeout, 0,
	  "seconds the module may run (0: no limit)" },
	{ "async", parse_async, 0,
	  "seconds the module may run, as an async job (0: not async)" },
	{ "poll", parse_poll, 0,
	  "with async: 0 starts the job in the background (command, shell) "
	  "and goes on; else waits for it (15)" },
	{ "any_errors_fatal", parse_any_errors_fatal, 0,
	  "a failure of it ends the play for every host" },
	{ "debugger", NULL, 0, "accepted, no effect yet" },
	{ "throttle", parse_throttle, 0,
	  "how many hosts run the task at once" },
	{ "collections", NULL, 0, "accepted, no effect yet" },
	{ "module_defaults", parse_module_defaults, 0,
	  "default args per module" },
	{ "delegate_facts", parse_delegate_facts, 0,
	  "false only (true: not supported yet)" },
	{ "connection", parse_connection, 0,
	  "the connection plugin, unless a variable sets ansible_connection" },
	{ NULL, NULL, 0, NULL },
};
