#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/playbook/playbook.h"
#include "tend/lang/template.h"
#include "tend/data/yaml.h"
#include "tend/modules/registry.h"
#include "tend/data/truth.h"

#include <libgen.h>
#include <unistd.h>

#define MAX_INCLUDE_DEPTH 32

struct loadctx {
	struct diags *d;
	const char *basedir;   /* the playbook's directory */
	int depth;             /* include nesting */
};

static const char *const play_keys[] = {
	"name", "hosts", "vars", "vars_files", "gather_facts", "become",
	"become_user", "become_method", "tasks", "pre_tasks", "post_tasks",
	"handlers", "tags", "serial", "schedule", "maintenance", "remote_user",
	"connection", "strategy", "any_errors_fatal", "max_fail_percentage",
	"roles", "environment", "vars_prompt", "collections", "order",
	"ignore_errors", "check_mode", "diff", "import_playbook", "no_log",
	"force_handlers", "ignore_unreachable", "run_once", "module_defaults",
	NULL,
};

/* Play keys we parse but do not act on yet: refusing is safer than
 * ignoring them silently. */
static const char *const play_unsupported[] = {
	"roles", "environment", "vars_prompt", "module_defaults",
	"ignore_unreachable", "run_once", "order", "check_mode",
	"ignore_errors", "force_handlers", "no_log", NULL,
};

static const char *const task_keys[] = {
	"name", "when", "loop", "with_items", "with_list", "with_dict",
	"loop_control", "register", "notify", "tags", "changed_when",
	"failed_when", "ignore_errors", "vars", "become", "become_user",
	"become_method", "block", "rescue", "always", "args", "no_log",
	"listen", "action", "local_action", "delegate_to", "run_once",
	"environment", "until", "retries", "delay", "check_mode", "diff",
	"ignore_unreachable", "timeout", "async", "poll", "any_errors_fatal",
	"debugger", "throttle", "collections", "module_defaults",
	NULL,
};

static const char *const task_unsupported[] = {
	"local_action", "delegate_to", "run_once", "environment", "until",
	"retries", "delay", "check_mode", "ignore_unreachable", "async",
	"poll", "throttle", "module_defaults", "timeout", "any_errors_fatal",
	NULL,
};

/* Keys of a command-like free-form string that are args, not words. */
static const char *const free_form_keys[] = {
	"creates", "removes", "chdir", "executable", "stdin",
	"stdin_add_newline", "strip_empty_ends", "warn", NULL,
};

static bool in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

static const struct srcpos *key_pos(const struct val *dict, const char *key)
{
	const struct srcpos *p = val_dict_key_pos(dict, key);

	return p ? p : &dict->pos;
}

static void tasklist_push(struct tasklist *l, struct task *t)
{
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr++] = t;
}

static void task_free(struct task *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->action);
	val_unref(t->args);
	val_unref(t->when);
	val_unref(t->loop);
	free(t->loop_var);
	free(t->index_var);
	val_unref(t->loop_label);
	free(t->register_as);
	val_unref(t->notify);
	val_unref(t->tags);
	val_unref(t->changed_when);
	val_unref(t->failed_when);
	val_unref(t->ignore_errors);
	val_unref(t->vars);
	free(t->become_user);
	val_unref(t->listen);
	free(t->meta);
	tasklist_release(&t->block);
	tasklist_release(&t->rescue);
	tasklist_release(&t->always);
	tasklist_release(&t->included);
	free(t);
}

void tasklist_release(struct tasklist *l)
{
	for (size_t i = 0; i < l->nr; i++)
		task_free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

/* A string, or a list of strings: as a new list; NULL on a type error. */
static struct val *string_list(struct loadctx *lc, const struct val *v,
			       const char *what, bool split_commas)
{
	struct val *l = val_list();

	if (v->type == VAL_STR) {
		if (split_commas) {
			const char *p = v->u.s.ptr;

			while (*p) {
				const char *e = strchr(p, ',');
				size_t n = e ? (size_t)(e - p) : strlen(p);
				struct buf w = BUF_INIT;

				buf_add(&w, p, n);
				buf_trim(&w);
				if (w.len)
					val_list_push(l, val_str(w.ptr));
				buf_release(&w);
				p += n + (e ? 1 : 0);
			}
		} else {
			val_list_push(l, val_ref((struct val *)v));
		}
		return l;
	}
	if (v->type == VAL_LIST) {
		for (size_t i = 0; i < v->u.list.nr; i++) {
			struct val *it = v->u.list.items[i];

			if (it->type == VAL_DICT || it->type == VAL_LIST) {
				diags_add(lc->d, &it->pos,
					  "expected a string in '%s', got a %s",
					  what, val_type_name(it->type));
				continue;
			}
			if (it->type == VAL_STR) {
				val_list_push(l, val_ref(it));
			} else {
				struct buf b = BUF_INIT;

				val_to_str(&b, it);
				val_list_push(l, val_str(b.ptr));
				buf_release(&b);
			}
		}
		return l;
	}
	if (v->type == VAL_INT || v->type == VAL_FLOAT) {
		struct buf b = BUF_INIT;

		val_to_str(&b, v);
		val_list_push(l, val_str(b.ptr));
		buf_release(&b);
		return l;
	}
	val_unref(l);
	diags_add(lc->d, &v->pos, "expected a string or a list for '%s', got a %s",
		  what, val_type_name(v->type));
	return NULL;
}

/* when / changed_when / failed_when: a condition or a list of them. */
static struct val *condition_list(struct loadctx *lc, const struct val *v,
				  const char *what)
{
	struct val *l;

	if (v->type == VAL_LIST) {
		for (size_t i = 0; i < v->u.list.nr; i++) {
			enum val_type t = v->u.list.items[i]->type;

			if (t == VAL_DICT || t == VAL_LIST) {
				diags_add(lc->d, &v->u.list.items[i]->pos,
					  "expected a condition in '%s', got a %s",
					  what, val_type_name(t));
				return NULL;
			}
		}
		return val_ref((struct val *)v);
	}
	if (v->type == VAL_DICT) {
		diags_add(lc->d, &v->pos,
			  "expected a condition for '%s', got a dict", what);
		return NULL;
	}
	l = val_list();
	val_list_push(l, val_ref((struct val *)v));
	return l;
}

/*
 * A keyword of Ansible's FieldAttribute(isa='bool'): boolean(value,
 * strict=True), checked at load time. A templated value ("{{ x }}") is
 * not a bool yet and is reported here, except for ignore_errors, which
 * is kept raw and converted when the task fails.
 */
static int parse_bool(struct loadctx *lc, const struct val *v, const char *what,
		      bool *out)
{
	if (!truth_boolean(out, v))
		return 0;
	tend_error_clear();
	diags_add(lc->d, &v->pos, "expected a bool for '%s', got '%s'", what,
		  val_cstr(v) ? val_cstr(v) : val_type_name(v->type));
	return -1;
}

static char *expect_str(struct loadctx *lc, const struct val *v,
			const char *what)
{
	struct buf b = BUF_INIT;

	if (v->type == VAL_LIST || v->type == VAL_DICT || v->type == VAL_NULL) {
		diags_add(lc->d, &v->pos, "expected a string for '%s', got a %s",
			  what, val_type_name(v->type));
		return NULL;
	}
	val_to_str(&b, v);
	return buf_detach(&b, NULL);
}

static struct val *expect_dict(struct loadctx *lc, const struct val *v,
			       const char *what)
{
	if (v->type == VAL_NULL)
		return val_dict();
	if (v->type != VAL_DICT) {
		diags_add(lc->d, &v->pos, "expected a dict for '%s', got a %s",
			  what, val_type_name(v->type));
		return NULL;
	}
	return val_ref((struct val *)v);
}

static int load_tasklist(struct loadctx *lc, struct tasklist *out,
			 const struct val *v, const char *what,
			 const struct val *inherited_tags, bool handlers);

static int load_include(struct loadctx *lc, struct task *t, const char *file,
			const struct srcpos *pos);

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
			error = val_parse_kv(&args, v->u.s.ptr, free_form_keys);
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

static void unknown_key(struct loadctx *lc, const struct val *dict,
			const char *key, const char *what,
			const char *const *keys, bool modules_too)
{
	const char *guess = did_you_mean(key, keys);
	const char **names = NULL;
	size_t n = 0, alloc = 0;

	if (!guess && modules_too) {
		for (size_t i = 0; tend_modules[i]; i++) {
			ALLOC_GROW(names, n + 2, alloc);
			names[n++] = tend_modules[i]->name;
		}
		if (names) {
			names[n] = NULL;
			guess = did_you_mean(key, names);
		}
		free(names);
	}
	if (guess)
		diags_add(lc->d, key_pos(dict, key),
			  "unknown %s '%s' (did you mean '%s'?)", what, key, guess);
	else
		diags_add(lc->d, key_pos(dict, key), "unknown %s '%s'", what,
			  key);
}

static struct task *load_task(struct loadctx *lc, const struct val *v,
			      const struct val *inherited_tags, bool handler)
{
	struct task *t;
	const struct val *action_v = NULL;
	const char *action_key = NULL;
	size_t errors = lc->d->errors;

	if (v->type != VAL_DICT) {
		diags_add(lc->d, &v->pos, "expected a task (a dict), got a %s",
			  val_type_name(v->type));
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->pos = v->pos;
	t->become = -1;

	/* find the action: a module name, block, include_tasks or meta */
	for (size_t i = 0; i < v->u.dict.nr; i++) {
		const char *k = v->u.dict.items[i].key;
		const char *kind = NULL;

		if (in_list(k, task_keys) && strcmp(k, "block") &&
		    strcmp(k, "action"))
			continue;
		if (!strcmp(k, "block") || !strcmp(k, "action") ||
		    !strcmp(k, "meta") || module_find(k) ||
		    !strcmp(k, "include_tasks") || !strcmp(k, "import_tasks") ||
		    !strcmp(k, "ansible.builtin.include_tasks") ||
		    !strcmp(k, "ansible.builtin.import_tasks") ||
		    !strcmp(k, "ansible.builtin.meta"))
			kind = k;
		if (!kind) {
			unknown_key(lc, v, k, "task keyword or module",
				    task_keys, true);
			continue;
		}
		if (action_key) {
			diags_add(lc->d, key_pos(v, k),
				  "conflicting actions in one task: '%s' and '%s'",
				  action_key, k);
			continue;
		}
		action_key = k;
		action_v = v->u.dict.items[i].v;
	}
	if (!action_key) {
		if (errors == lc->d->errors)
			diags_add(lc->d, &v->pos,
				  "no module or action in this task");
		goto fail;
	}

	if (!strcmp(action_key, "action")) {
		/* action: "copy src=a dest=b" or {module: copy, ...} */
		if (action_v->type == VAL_STR) {
			const char *s = action_v->u.s.ptr;
			size_t n = strcspn(s, " \t");
			char *mod = xstrndup(s, n);
			struct val *rest = val_str(s + n + strspn(s + n, " \t"));

			rest->pos = action_v->pos;
			t->module = module_find(mod);
			t->action = mod;
			if (t->module)
				t->args = module_args(lc, t->module, rest);
			val_unref(rest);
		} else if (action_v->type == VAL_DICT &&
			   val_cstr(val_dict_get(action_v, "module"))) {
			t->action = xstrdup(val_cstr(val_dict_get(action_v,
								  "module")));
			t->module = module_find(t->action);
			t->args = val_copy(action_v);
			val_dict_del(t->args, "module");
		} else {
			diags_add(lc->d, &action_v->pos,
				  "expected 'action: MODULE ARGS'");
			goto fail;
		}
		if (!t->module) {
			diags_add(lc->d, &action_v->pos, "unknown module '%s'",
				  t->action);
			goto fail;
		}
		t->kind = TASK_MODULE;
	} else if (!strcmp(action_key, "block")) {
		t->kind = TASK_BLOCK;
		t->action = xstrdup("block");
	} else if (!strcmp(action_key, "meta") ||
		   !strcmp(action_key, "ansible.builtin.meta")) {
		static const char *const metas[] = {
			"flush_handlers", "noop", "end_play", "end_host",
			"clear_facts", NULL,
		};

		t->kind = TASK_META;
		t->action = xstrdup("meta");
		t->meta = expect_str(lc, action_v, "meta");
		if (t->meta && !in_list(t->meta, metas))
			diags_add(lc->d, &action_v->pos,
				  "unknown meta action '%s' (expected one of "
				  "flush_handlers, noop, end_play, end_host, "
				  "clear_facts)", t->meta);
	} else if (strstr(action_key, "_tasks")) {
		const char *file = NULL;

		t->kind = TASK_INCLUDE;
		t->action = xstrdup(strstr(action_key, "import") ?
				    "import_tasks" : "include_tasks");
		if (action_v->type == VAL_STR) {
			file = action_v->u.s.ptr;
		} else if (action_v->type == VAL_DICT &&
			   val_cstr(val_dict_get(action_v, "file"))) {
			file = val_cstr(val_dict_get(action_v, "file"));
		} else {
			diags_add(lc->d, &action_v->pos,
				  "expected a file name for '%s'", action_key);
			goto fail;
		}
		t->args = val_dict();
		val_dict_set(t->args, "file", val_str(file));
		val_dict_get(t->args, "file")->pos = action_v->pos;
		if (!template_has_jinja(file) &&
		    load_include(lc, t, file, &action_v->pos) < 0)
			goto fail;
	} else {
		t->kind = TASK_MODULE;
		t->module = module_find(action_key);
		t->action = xstrdup(action_key);
		t->args = module_args(lc, t->module, action_v);
	}

	/* the keywords */
	for (size_t i = 0; i < v->u.dict.nr; i++) {
		const char *k = v->u.dict.items[i].key;
		const struct val *kv = v->u.dict.items[i].v;

		if (!in_list(k, task_keys) || !strcmp(k, "action"))
			continue;
		if (in_list(k, task_unsupported)) {
			diags_add(lc->d, key_pos(v, k),
				  "task keyword '%s' is not supported yet", k);
		} else if (!strcmp(k, "name")) {
			t->name = expect_str(lc, kv, k);
		} else if (!strcmp(k, "when")) {
			t->when = condition_list(lc, kv, k);
		} else if (!strcmp(k, "changed_when")) {
			t->changed_when = condition_list(lc, kv, k);
		} else if (!strcmp(k, "failed_when")) {
			t->failed_when = condition_list(lc, kv, k);
		} else if (!strcmp(k, "loop") || !strcmp(k, "with_items") ||
			   !strcmp(k, "with_list") || !strcmp(k, "with_dict")) {
			if (t->loop) {
				diags_add(lc->d, key_pos(v, k),
					  "only one loop keyword per task");
				continue;
			}
			if (!strcmp(k, "with_dict")) {
				struct buf b = BUF_INIT;
				/* with_dict: X is loop: X | dict2items */
				if (kv->type == VAL_STR) {
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

						val_dict_set_str(it, "key",
								 kv->u.dict.items[j].key);
						val_dict_set(it, "value",
							     val_ref(kv->u.dict.items[j].v));
						val_list_push(t->loop, it);
					}
				} else {
					diags_add(lc->d, &kv->pos,
						  "expected a dict for 'with_dict'");
				}
			} else {
				t->loop = val_ref((struct val *)kv);
				t->loop_flatten = !strcmp(k, "with_items");
			}
		} else if (!strcmp(k, "loop_control")) {
			static const char *const lc_keys[] = {
				"loop_var", "index_var", "label", "pause",
				"extended", NULL,
			};

			if (kv->type != VAL_DICT) {
				diags_add(lc->d, &kv->pos,
					  "expected a dict for 'loop_control'");
				continue;
			}
			for (size_t j = 0; j < kv->u.dict.nr; j++) {
				const char *lk = kv->u.dict.items[j].key;
				const struct val *lv = kv->u.dict.items[j].v;

				if (!in_list(lk, lc_keys))
					unknown_key(lc, kv, lk, "loop_control key",
						    lc_keys, false);
				else if (!strcmp(lk, "loop_var"))
					t->loop_var = expect_str(lc, lv, lk);
				else if (!strcmp(lk, "index_var"))
					t->index_var = expect_str(lc, lv, lk);
				else if (!strcmp(lk, "label"))
					t->loop_label = val_ref((struct val *)lv);
			}
		} else if (!strcmp(k, "register")) {
			t->register_as = expect_str(lc, kv, k);
		} else if (!strcmp(k, "notify")) {
			t->notify = string_list(lc, kv, k, false);
		} else if (!strcmp(k, "listen")) {
			if (!handler)
				diags_add(lc->d, key_pos(v, k),
					  "'listen' is only valid on handlers");
			else
				t->listen = string_list(lc, kv, k, false);
		} else if (!strcmp(k, "tags")) {
			t->tags = string_list(lc, kv, k, true);
		} else if (!strcmp(k, "ignore_errors")) {
			bool b;

			/* a template is converted when the task fails */
			if ((val_cstr(kv) && template_has_jinja(val_cstr(kv))) ||
			    val_is(kv, VAL_NULL) || !parse_bool(lc, kv, k, &b))
				t->ignore_errors = val_ref((struct val *)kv);
		} else if (!strcmp(k, "vars")) {
			t->vars = expect_dict(lc, kv, k);
		} else if (!strcmp(k, "become")) {
			bool b;

			if (!parse_bool(lc, kv, k, &b))
				t->become = b;
		} else if (!strcmp(k, "become_user")) {
			t->become_user = expect_str(lc, kv, k);
		} else if (!strcmp(k, "become_method")) {
			if (!val_cstr(kv) || strcmp(val_cstr(kv), "sudo"))
				diags_add(lc->d, &kv->pos,
					  "only 'sudo' is supported as become_method");
		} else if (!strcmp(k, "no_log")) {
			parse_bool(lc, kv, k, &t->no_log);
		} else if (!strcmp(k, "block") || !strcmp(k, "rescue") ||
			   !strcmp(k, "always")) {
			if (t->kind != TASK_BLOCK) {
				diags_add(lc->d, key_pos(v, k),
					  "'%s' belongs to a block, not to a "
					  "'%s' task", k, t->action);
				continue;
			}
		} else if (!strcmp(k, "args")) {
			if (t->kind != TASK_MODULE || kv->type != VAL_DICT) {
				diags_add(lc->d, key_pos(v, k),
					  "'args' must be a dict on a module task");
				continue;
			}
			if (!t->args)
				t->args = val_dict();
			for (size_t j = 0; j < kv->u.dict.nr; j++)
				if (!val_dict_get(t->args, kv->u.dict.items[j].key))
					val_dict_set_pos(t->args,
							 kv->u.dict.items[j].key,
							 val_ref(kv->u.dict.items[j].v),
							 &kv->u.dict.items[j].pos);
		}
		/* diff, timeout, debugger, collections, any_errors_fatal:
		 * accepted, no effect yet */
	}

	/* tags inherit down from plays and blocks */
	if (inherited_tags && val_len(inherited_tags)) {
		if (!t->tags)
			t->tags = val_list();
		for (size_t i = 0; i < inherited_tags->u.list.nr; i++)
			val_list_push(t->tags,
				      val_ref(inherited_tags->u.list.items[i]));
	}

	if (t->kind == TASK_BLOCK) {
		const struct val *b = val_dict_get(v, "block");
		const struct val *r = val_dict_get(v, "rescue");
		const struct val *a = val_dict_get(v, "always");

		load_tasklist(lc, &t->block, b, "block", t->tags, handler);
		if (r)
			load_tasklist(lc, &t->rescue, r, "rescue", t->tags,
				      handler);
		if (a)
			load_tasklist(lc, &t->always, a, "always", t->tags,
				      handler);
		if (t->loop)
			diags_add(lc->d, &t->pos,
				  "a block cannot loop (loop over include_tasks)");
	}
	if (t->kind == TASK_MODULE && t->args) {
		struct val *norm = NULL;

		if (args_normalize(&norm, t->module, t->args, &t->pos, lc->d,
				   false) == 0) {
			val_unref(norm);
		}
	}
	if (handler && !t->name && !t->listen)
		diags_add(lc->d, &t->pos, "a handler needs a name or 'listen'");
	if (lc->d->errors != errors)
		goto fail;
	if (!t->loop_var)
		t->loop_var = xstrdup("item");
	return t;
fail:
	task_free(t);
	return NULL;
}

static int load_tasklist(struct loadctx *lc, struct tasklist *out,
			 const struct val *v, const char *what,
			 const struct val *inherited_tags, bool handlers)
{
	size_t errors = lc->d->errors;

	if (!v || v->type == VAL_NULL)
		return 0;
	if (v->type != VAL_LIST) {
		diags_add(lc->d, &v->pos, "expected a list of tasks for '%s', "
			  "got a %s", what, val_type_name(v->type));
		return TEND_EPARSE;
	}
	for (size_t i = 0; i < v->u.list.nr; i++) {
		struct task *t = load_task(lc, v->u.list.items[i],
					   inherited_tags, handlers);

		if (t)
			tasklist_push(out, t);
	}
	return lc->d->errors == errors ? 0 : TEND_EPARSE;
}

/* Resolve a relative include path as Ansible does: next to the file that
 * includes it, then in the playbook's directory. */
static char *resolve_path(const char *file, const struct srcpos *pos,
			  const char *basedir)
{
	struct buf b = BUF_INIT;

	if (file[0] == '/')
		return xstrdup(file);
	if (pos && pos->file) {
		char *copy = xstrdup(pos->file);

		buf_addf(&b, "%s/%s", dirname(copy), file);
		free(copy);
		if (!access(b.ptr, F_OK))
			return buf_detach(&b, NULL);
		buf_reset(&b);
	}
	buf_addf(&b, "%s/%s", basedir, file);
	return buf_detach(&b, NULL);
}

static int load_tasks_file(struct loadctx *lc, struct tasklist *out,
			   const char *path, const struct srcpos *from)
{
	struct val *doc = NULL;
	int error;

	if (lc->depth >= MAX_INCLUDE_DEPTH) {
		diags_add(lc->d, from, "include_tasks nested more than %d deep "
			  "(an include loop?)", MAX_INCLUDE_DEPTH);
		return TEND_EPARSE;
	}
	error = yaml_load_file(&doc, path, lc->d);
	if (error == TEND_ENOTFOUND) {
		diags_add(lc->d, from, "cannot find tasks file '%s'", path);
		tend_error_clear();
		return TEND_EPARSE;
	}
	if (error < 0)
		return error;
	lc->depth++;
	error = load_tasklist(lc, out, doc, path, NULL, false);
	lc->depth--;
	val_unref(doc);
	return error;
}

static int load_include(struct loadctx *lc, struct task *t, const char *file,
			const struct srcpos *pos)
{
	char *path = resolve_path(file, pos, lc->basedir);
	int error;

	t->include_static = true;
	error = load_tasks_file(lc, &t->included, path, pos);
	free(path);
	return error;
}

int playbook_load_tasks(struct tasklist *out, const char *path,
			const char *basedir, struct diags *d)
{
	struct loadctx lc = { .d = d, .basedir = basedir };
	char *full = resolve_path(path, NULL, basedir);
	struct srcpos none = { 0 };
	int error = load_tasks_file(&lc, out, full, &none);

	free(full);
	return error;
}

static void play_free(struct play *p)
{
	if (!p)
		return;
	free(p->name);
	val_unref(p->hosts);
	val_unref(p->vars);
	val_unref(p->vars_files);
	free(p->become_user);
	val_unref(p->tags);
	val_unref(p->serial);
	val_unref(p->schedule);
	val_unref(p->maintenance);
	tasklist_release(&p->pre_tasks);
	tasklist_release(&p->tasks);
	tasklist_release(&p->post_tasks);
	tasklist_release(&p->handlers);
	free(p);
}

static struct play *load_play(struct loadctx *lc, const struct val *v)
{
	struct play *p = xcalloc(1, sizeof(*p));
	size_t errors = lc->d->errors;
	const struct val *hv;

	p->pos = v->pos;
	p->become = -1;
	p->gather_facts = true;
	p->max_fail_percentage = -1;
	for (size_t i = 0; i < v->u.dict.nr; i++) {
		const char *k = v->u.dict.items[i].key;
		const struct val *kv = v->u.dict.items[i].v;

		if (!in_list(k, play_keys)) {
			unknown_key(lc, v, k, "play keyword", play_keys, false);
		} else if (in_list(k, play_unsupported)) {
			diags_add(lc->d, key_pos(v, k),
				  "play keyword '%s' is not supported yet", k);
		} else if (!strcmp(k, "name")) {
			p->name = expect_str(lc, kv, k);
		} else if (!strcmp(k, "hosts")) {
			if (kv->type == VAL_STR || kv->type == VAL_LIST)
				p->hosts = val_ref((struct val *)kv);
			else
				diags_add(lc->d, &kv->pos, "expected a host "
					  "pattern for 'hosts', got a %s",
					  val_type_name(kv->type));
		} else if (!strcmp(k, "vars")) {
			p->vars = expect_dict(lc, kv, k);
		} else if (!strcmp(k, "vars_files")) {
			p->vars_files = string_list(lc, kv, k, false);
		} else if (!strcmp(k, "gather_facts")) {
			parse_bool(lc, kv, k, &p->gather_facts);
		} else if (!strcmp(k, "become")) {
			bool b;

			if (!parse_bool(lc, kv, k, &b))
				p->become = b;
		} else if (!strcmp(k, "become_user")) {
			p->become_user = expect_str(lc, kv, k);
		} else if (!strcmp(k, "become_method")) {
			if (!val_cstr(kv) || strcmp(val_cstr(kv), "sudo"))
				diags_add(lc->d, &kv->pos,
					  "only 'sudo' is supported as become_method");
		} else if (!strcmp(k, "tags")) {
			p->tags = string_list(lc, kv, k, true);
		} else if (!strcmp(k, "serial")) {
			p->serial = val_ref((struct val *)kv);
		} else if (!strcmp(k, "strategy")) {
			const char *st = val_cstr(kv);

			if (st && !strcmp(st, "free"))
				p->strategy_free = true;
			else if (!st || strcmp(st, "linear"))
				diags_add(lc->d, &kv->pos, "expected 'linear' or "
					  "'free' for 'strategy'");
		} else if (!strcmp(k, "any_errors_fatal")) {
			parse_bool(lc, kv, k, &p->any_errors_fatal);
		} else if (!strcmp(k, "max_fail_percentage")) {
			if (kv->type == VAL_INT && kv->u.i >= 0 && kv->u.i <= 100)
				p->max_fail_percentage = (int)kv->u.i;
			else
				diags_add(lc->d, &kv->pos, "expected a number "
					  "from 0 to 100 for 'max_fail_percentage'");
		} else if (!strcmp(k, "schedule")) {
			p->schedule = val_ref((struct val *)kv);
		} else if (!strcmp(k, "maintenance")) {
			p->maintenance = val_ref((struct val *)kv);
		}
	}
	if (!p->vars)
		p->vars = val_dict();
	/* remote_user / connection are shorthands for connection vars */
	if ((hv = val_dict_get(v, "remote_user")) &&
	    !val_dict_get(p->vars, "ansible_user")) {
		struct val *nv = val_copy(p->vars);

		val_dict_set(nv, "ansible_user", val_ref((struct val *)hv));
		val_unref(p->vars);
		p->vars = nv;
	}
	if ((hv = val_dict_get(v, "connection")) &&
	    !val_dict_get(p->vars, "ansible_connection")) {
		struct val *nv = val_copy(p->vars);

		val_dict_set(nv, "ansible_connection", val_ref((struct val *)hv));
		val_unref(p->vars);
		p->vars = nv;
	}
	if (!p->hosts && lc->d->errors == errors)
		diags_add(lc->d, &p->pos, "a play needs 'hosts'");
	load_tasklist(lc, &p->pre_tasks, val_dict_get(v, "pre_tasks"),
		      "pre_tasks", p->tags, false);
	load_tasklist(lc, &p->tasks, val_dict_get(v, "tasks"), "tasks", p->tags,
		      false);
	load_tasklist(lc, &p->post_tasks, val_dict_get(v, "post_tasks"),
		      "post_tasks", p->tags, false);
	load_tasklist(lc, &p->handlers, val_dict_get(v, "handlers"), "handlers",
		      p->tags, true);
	if (lc->d->errors != errors) {
		play_free(p);
		return NULL;
	}
	return p;
}

static int load_plays(struct loadctx *lc, struct playbook *pb,
		      const char *path, const struct srcpos *from);

static void add_play(struct playbook *pb, struct play *p)
{
	ALLOC_GROW(pb->plays, pb->nr + 1, pb->alloc);
	pb->plays[pb->nr++] = p;
}

static int load_doc(struct loadctx *lc, struct playbook *pb,
		    const struct val *doc, const char *path)
{
	struct srcpos top = { srcfile_intern(path), 1, 1 };

	if (doc->type == VAL_NULL) {
		diags_add(lc->d, &top, "the playbook is empty");
		return TEND_EPARSE;
	}
	if (doc->type != VAL_LIST) {
		diags_add(lc->d, &doc->pos, "expected a list of plays, got a %s",
			  val_type_name(doc->type));
		return TEND_EPARSE;
	}
	for (size_t i = 0; i < doc->u.list.nr; i++) {
		const struct val *pv = doc->u.list.items[i];
		const struct val *imp;
		struct play *p;

		if (pv->type != VAL_DICT) {
			diags_add(lc->d, &pv->pos,
				  "expected a play (a dict), got a %s",
				  val_type_name(pv->type));
			continue;
		}
		imp = val_dict_get(pv, "import_playbook");
		if (!imp)
			imp = val_dict_get(pv, "ansible.builtin.import_playbook");
		if (imp) {
			char *sub;

			if (!val_cstr(imp) || template_has_jinja(val_cstr(imp))) {
				diags_add(lc->d, &imp->pos, "expected a file "
					  "name for 'import_playbook'");
				continue;
			}
			sub = resolve_path(val_cstr(imp), &imp->pos, lc->basedir);
			load_plays(lc, pb, sub, &imp->pos);
			free(sub);
			continue;
		}
		p = load_play(lc, pv);
		if (p)
			add_play(pb, p);
	}
	return 0;
}

static int load_plays(struct loadctx *lc, struct playbook *pb,
		      const char *path, const struct srcpos *from)
{
	struct val *doc = NULL;
	int error;

	if (lc->depth >= MAX_INCLUDE_DEPTH) {
		diags_add(lc->d, from, "import_playbook nested too deep");
		return TEND_EPARSE;
	}
	error = yaml_load_file(&doc, path, lc->d);
	if (error == TEND_ENOTFOUND && from) {
		diags_add(lc->d, from, "cannot find playbook '%s'", path);
		tend_error_clear();
		return TEND_EPARSE;
	}
	if (error < 0)
		return error;
	lc->depth++;
	error = load_doc(lc, pb, doc, path);
	lc->depth--;
	val_unref(doc);
	return error;
}

int playbook_load(struct playbook **out, const char *path, struct diags *d)
{
	struct playbook *pb = xcalloc(1, sizeof(*pb));
	struct loadctx lc = { .d = d };
	size_t errors = d->errors;
	char *copy = xstrdup(path);
	int error;

	*out = NULL;
	pb->path = xstrdup(path);
	pb->dir = xstrdup(dirname(copy));
	free(copy);
	lc.basedir = pb->dir;
	error = load_plays(&lc, pb, path, NULL);
	if (error == TEND_ENOTFOUND) {
		playbook_free(pb);
		return error;
	}
	if (error < 0 || d->errors != errors) {
		playbook_free(pb);
		return TEND_EPARSE;
	}
	*out = pb;
	return 0;
}

void playbook_free(struct playbook *pb)
{
	if (!pb)
		return;
	for (size_t i = 0; i < pb->nr; i++)
		play_free(pb->plays[i]);
	free(pb->plays);
	free(pb->path);
	free(pb->dir);
	free(pb);
}

void task_display_name(struct buf *out, const struct task *t)
{
	if (t->name) {
		buf_adds(out, t->name);
		return;
	}
	buf_adds(out, t->action);
	if (t->kind == TASK_INCLUDE || t->kind == TASK_META) {
		const char *f = t->meta ? t->meta :
				val_cstr(val_dict_get(t->args, "file"));

		if (f)
			buf_addf(out, ": %s", f);
	}
}

static bool tags_intersect(const struct val *tags, const struct val *want)
{
	for (size_t i = 0; i < val_len(want); i++)
		for (size_t j = 0; j < val_len(tags); j++)
			if (val_equal(want->u.list.items[i],
				      tags->u.list.items[j]))
				return true;
	return false;
}

static bool has_tag(const struct val *tags, const char *tag)
{
	for (size_t j = 0; j < val_len(tags); j++)
		if (!strcmp(val_cstr(tags->u.list.items[j]) ?
			    val_cstr(tags->u.list.items[j]) : "", tag))
			return true;
	return false;
}

bool task_matches_tags(const struct task *t, const struct val *only,
		       const struct val *skip)
{
	if (skip && val_len(skip) && tags_intersect(t->tags, skip))
		return false;
	if (has_tag(t->tags, "never") &&
	    !(only && val_len(only) && tags_intersect(t->tags, only)))
		return false;
	if (!only || !val_len(only) || has_tag(only, "all"))
		return true;
	if (has_tag(t->tags, "always"))
		return true;
	if (has_tag(only, "tagged") && val_len(t->tags))
		return true;
	if (has_tag(only, "untagged") && !val_len(t->tags))
		return true;
	return tags_intersect(t->tags, only);
}
