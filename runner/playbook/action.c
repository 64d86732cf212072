#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/modules/registry.h"
#include "tend/playbook/playbook_int.h"

/*
 * What a task does, from the one key of the task that names it: a module
 * call, a block, meta, include_tasks / import_tasks, or `action:` (a
 * module and its args in one value).
 */

/* Keys of a command-like free-form string that are args, not words. */
static const char *const free_form_keys[] = {
	"creates", "removes", "chdir", "executable", "stdin",
	"stdin_add_newline", "strip_empty_ends", "warn", NULL,
};

/* The meta actions; the message below lists them again. */
static const char *const metas[] = {
	"flush_handlers", "noop", "end_play", "end_host", "end_batch",
	"clear_facts", "reset_connection", NULL,
};

/*
 * Fill in `t` for action `key` with value `v`: 0, or TEND_EPARSE when the
 * task cannot go on (action_load says which problems those are).
 */
typedef int action_fn(struct loadctx *lc, struct task *t, const char *key,
		      const struct val *v);

/* Module args in any of the forms Ansible takes, as a new dict. */
static struct val *module_args(struct loadctx *lc,
			       const struct tend_module *m, const struct val *v)
{
	struct val *args = NULL;

	if (v->type == VAL_NULL)
		return val_dict();
	if (v->type == VAL_DICT)
		return val_copy(v);
	if (v->type == VAL_STR) {
		int error;

		if (m->flags & MOD_FREE_FORM)
			error = val_parse_kv(&args, v->u.s.ptr,
					     m->free_form_keys ?
					     m->free_form_keys :
					     free_form_keys);
		else
			error = val_parse_kv(&args, v->u.s.ptr, NULL);
		if (error < 0) {
			diags_add(lc->d, &v->pos, "%s", tend_error_last());
			tend_error_clear();
			return NULL;
		}
		/* the values came from this string: give them its position */
		for (size_t i = 0; i < args->u.dict.nr; i++) {
			args->u.dict.items[i].v->pos = v->pos;
			args->u.dict.items[i].pos = v->pos;
		}
		return args;
	}
	if (m->flags & MOD_FREE_FORM) {
		struct buf b = BUF_INIT;

		args = val_dict();
		val_to_str(&b, v);
		val_dict_set(args, "_raw_params", val_str(b.ptr));
		buf_release(&b);
		return args;
	}
	diags_add(lc->d, &v->pos, "expected a dict or k=v string as the args of "
		  "'%s', got a %s", m->name, val_type_name(v->type));
	return NULL;
}

/* `module: args` */
static int load_module(struct loadctx *lc, struct task *t, const char *key,
		       const struct val *v)
{
	t->kind = TASK_MODULE;
	t->module = module_find(key);
	t->action = xstrdup(key);
	t->args = module_args(lc, t->module, v);
	return 0;
}

/* action: "copy src=a dest=b" or action: {module: copy, src: a, ...} */
static int load_action(struct loadctx *lc, struct task *t, const char *key,
		       const struct val *v)
{
	(void)key;
	if (v->type == VAL_STR) {
		const char *s = v->u.s.ptr;
		size_t n = strcspn(s, " \t");
		char *mod = xstrndup(s, n);
		struct val *rest = val_str(s + n + strspn(s + n, " \t"));

		rest->pos = v->pos;
		t->module = module_find(mod);
		t->action = mod;
		if (t->module)
			t->args = module_args(lc, t->module, rest);
		val_unref(rest);
	} else if (v->type == VAL_DICT &&
		   val_cstr(val_dict_get(v, "module"))) {
		t->action = xstrdup(val_cstr(val_dict_get(v, "module")));
		t->module = module_find(t->action);
		t->args = val_copy(v);
		val_dict_del(t->args, "module");
	} else {
		diags_add(lc->d, &v->pos, "expected 'action: MODULE ARGS'");
		return TEND_EPARSE;
	}
	if (!t->module) {
		/* an Ansible module tend lacks is named as such (names.c) */
		if (!playbook_ansible_name(lc, &v->pos, t->action))
			diags_add(lc->d, &v->pos, "unknown module '%s'",
				  t->action);
		return TEND_EPARSE;
	}
	t->kind = TASK_MODULE;
	return 0;
}

/* local_action: as action, delegated to localhost */
static int load_local_action(struct loadctx *lc, struct task *t,
			     const char *key, const struct val *v)
{
	int error = load_action(lc, t, key, v);

	if (error == 0) {
		t->delegate_to = val_str("localhost");
		t->delegate_to->pos = v->pos;
	}
	return error;
}

/* block: [tasks]; task.c loads the lists after the keywords. */
static int load_block(struct loadctx *lc, struct task *t, const char *key,
		      const struct val *v)
{
	(void)lc;
	(void)key;
	(void)v;
	t->kind = TASK_BLOCK;
	t->action = xstrdup("block");
	return 0;
}

/* meta: flush_handlers */
static int load_meta(struct loadctx *lc, struct task *t, const char *key,
		     const struct val *v)
{
	(void)key;
	t->kind = TASK_META;
	t->action = xstrdup("meta");
	t->meta = playbook_expect_str(lc, v, "meta");
	for (size_t i = 0; t->meta && metas[i]; i++)
		if (!strcmp(t->meta, metas[i]))
			return 0;
	if (t->meta && (!strcmp(t->meta, "clear_host_errors") ||
			!strcmp(t->meta, "refresh_inventory") ||
			!strcmp(t->meta, "role_complete")))
		diags_add(lc->d, &v->pos, "meta action '%s' is not supported "
			  "yet", t->meta);
	else if (t->meta)
		diags_add(lc->d, &v->pos,
			  "unknown meta action '%s' (expected one of "
			  "flush_handlers, noop, end_play, end_host, end_batch, "
			  "clear_facts, reset_connection)", t->meta);
	return 0;
}

/*
 * Whether the free form of an old `include` passes variables after the
 * file name ("x.yml a=1"): a blank outside {{ }} followed by a word with
 * '='.
 */
static bool include_has_params(const char *s)
{
	int depth = 0;

	for (; *s; s++) {
		if (s[0] == '{' && s[1] == '{')
			depth++;
		else if (s[0] == '}' && s[1] == '}' && depth > 0)
			depth--;
		else if (!depth && (*s == ' ' || *s == '\t')) {
			size_t n = strcspn(s + 1, " \t");

			if (memchr(s + 1, '=', n))
				return true;
		}
	}
	return false;
}

/*
 * include_tasks: FILE or include_tasks: {file: FILE}; the file itself is
 * loaded by task.c.
 */
static int load_include(struct loadctx *lc, struct task *t, const char *key,
			const struct val *v)
{
	const char *file = NULL;

	t->kind = TASK_INCLUDE;
	/*
	 * Ansible 2.14's deprecated `include` is static (an import) when its
	 * file has no template and it has no loop, else an include; walk.c
	 * decides once the task's keywords are read.
	 */
	t->action = xstrdup(!strcmp(key, "include") ||
			    !strcmp(key, "ansible.builtin.include") ? "include" :
			    strstr(key, "import") ? "import_tasks" :
			    "include_tasks");
	if (v->type == VAL_STR && !strcmp(t->action, "include") &&
	    include_has_params(v->u.s.ptr)) {
		diags_add(lc->d, &v->pos, "'%s' with variables after the file "
			  "name is not supported yet (use include_tasks with "
			  "vars:)", key);
		return TEND_EPARSE;
	}
	if (v->type == VAL_STR) {
		file = v->u.s.ptr;
	} else if (v->type == VAL_DICT && val_cstr(val_dict_get(v, "file"))) {
		file = val_cstr(val_dict_get(v, "file"));
		/* the other keys Ansible takes are refused, never ignored */
		for (size_t i = 0; i < v->u.dict.nr; i++)
			if (!strcmp(v->u.dict.items[i].key, "apply") &&
			    strcmp(t->action, "include_tasks"))
				diags_add(lc->d, &v->u.dict.items[i].pos,
					  "invalid option for %s: 'apply' (it "
					  "belongs to include_tasks)", key);
			else if (strcmp(v->u.dict.items[i].key, "file") &&
				 strcmp(v->u.dict.items[i].key, "apply"))
				diags_add(lc->d, &v->u.dict.items[i].pos,
					  "unknown key '%s' of %s (it takes "
					  "file and apply)",
					  v->u.dict.items[i].key, key);
	} else {
		diags_add(lc->d, &v->pos, "expected a file name for '%s'", key);
		return TEND_EPARSE;
	}
	t->args = val_dict();
	val_dict_set(t->args, "file", val_str(file));
	val_dict_get(t->args, "file")->pos = v->pos;
	/* task.c loads apply once the task's keywords are read */
	if (v->type == VAL_DICT && val_dict_get(v, "apply") &&
	    !strcmp(t->action, "include_tasks"))
		val_dict_set_pos(t->args, "apply",
				 val_ref(val_dict_get(v, "apply")),
				 playbook_key_pos(v, "apply"));
	return 0;
}

/*
 * import_role / include_role: NAME or {name: NAME, ...}; role.c loads the
 * role once the task's keywords are read.
 */
static int load_role(struct loadctx *lc, struct task *t, const char *key,
		     const struct val *v)
{
	t->kind = TASK_ROLE;
	t->action = xstrdup(strstr(key, "import") ? "import_role" :
			    "include_role");
	if (v->type == VAL_DICT) {
		t->args = val_copy(v);
	} else if (v->type == VAL_STR && !strchr(v->u.s.ptr, '=')) {
		t->args = val_dict();
		val_dict_set_pos(t->args, "name", val_ref((struct val *)v),
				 &v->pos);
	} else if (v->type == VAL_STR) {
		if (val_parse_kv(&t->args, v->u.s.ptr, NULL) < 0) {
			diags_add(lc->d, &v->pos, "%s", tend_error_last());
			tend_error_clear();
			return TEND_EPARSE;
		}
	} else {
		diags_add(lc->d, &v->pos, "expected a role name or a dict for "
			  "'%s', got a %s", key, val_type_name(v->type));
		return TEND_EPARSE;
	}
	return 0;
}

/* The actions that are not modules; any other action key is a module. */
static const struct {
	const char *name;
	action_fn *load;
} actions[] = {
	{ "block", load_block },
	{ "action", load_action },
	{ "local_action", load_local_action },
	{ "meta", load_meta },
	{ "ansible.builtin.meta", load_meta },
	{ "include_tasks", load_include },
	{ "import_tasks", load_include },
	{ "ansible.builtin.include_tasks", load_include },
	{ "ansible.builtin.import_tasks", load_include },
	{ "include", load_include },
	{ "ansible.builtin.include", load_include },
	{ "import_role", load_role },
	{ "include_role", load_role },
	{ "ansible.builtin.import_role", load_role },
	{ "ansible.builtin.include_role", load_role },
	{ NULL, NULL },
};

static action_fn *action_find(const char *key)
{
	for (size_t i = 0; actions[i].name; i++)
		if (!strcmp(actions[i].name, key))
			return actions[i].load;
	return module_find(key) ? load_module : NULL;
}

bool playbook_action_is(const char *key)
{
	return action_find(key) != NULL;
}

int playbook_action_load(struct loadctx *lc, struct task *t, const char *key,
		const struct val *v)
{
	action_fn *load = action_find(key);

	if (!load)
		BUG("action_load on '%s', not an action", key);
	return load(lc, t, key, v);
}
