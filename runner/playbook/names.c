#include "tend/common.h"
#include "tend/playbook/playbook_int.h"
#include "tend/lang/template.h"

/*
 * Names Ansible knows that tend does not (yet): so that a playbook using
 * one is told what it is ("an Ansible module tend does not support yet")
 * rather than offered a look-alike of another kind ("dnf": did you mean
 * the keyword 'diff'?). Only names not in tend's own tables get here.
 */

/* ansible-core 2.14's ansible.builtin modules and well-known others. */
static const char *const ansible_modules[] = {
	"async_status", "debconf", "dnf",
	"dpkg_selections", "expect", "firewalld",
	"getent", "import_role", "include", "include_role", "iptables",
	"known_hosts", "package_facts",
	"rpm_key", "selinux", "set_stats",
	"subversion", "synchronize", "sysvinit", "ufw",
	"validate_argument_spec", "yum",
	"yum_repository", "zypper", NULL,
};

/* Ansible 2.14's task keywords (Task, Block, handlers' listen). */
static const char *const ansible_task_keywords[] = {
	"action", "always", "any_errors_fatal", "args", "async", "become",
	"become_exe", "become_flags", "become_method", "become_user", "block",
	"changed_when", "check_mode", "collections", "connection",
	"debugger", "delay", "delegate_facts", "delegate_to", "diff",
	"environment", "failed_when", "ignore_errors", "ignore_unreachable",
	"listen", "local_action", "loop", "loop_control", "module_defaults",
	"name", "no_log", "notify", "poll", "port", "register",
	"remote_user", "rescue", "retries", "run_once", "tags", "throttle",
	"timeout", "until", "vars", "when", NULL,
};

static bool listed(const char *const *names, const char *s)
{
	for (size_t i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return true;
	return false;
}

/* "ansible.builtin.dnf" -> "dnf"; other names as they are. */
static const char *builtin_short(const char *key)
{
	static const char *const prefixes[] = { "ansible.builtin.",
						"ansible.legacy.", NULL };

	for (size_t i = 0; prefixes[i]; i++)
		if (!strncmp(key, prefixes[i], strlen(prefixes[i])))
			return key + strlen(prefixes[i]);
	return key;
}

/*
 * A short name Ansible resolves to a collection's module: its full name
 * (a new string), or NULL.
 */
static char *routed(const char *name)
{
	struct buf b = BUF_INIT;

	for (const struct module_route *r = playbook_module_routes;
	     r->collection; r++) {
		const char *at = r->names;

		while ((at = strstr(at, name))) {
			size_t n = strlen(name);

			if (at > r->names && at[-1] == ' ' &&
			    (at[n] == ' ' || at[n] == '=')) {
				buf_addf(&b, "%s.", r->collection);
				if (at[n] == '=')
					buf_add(&b, at + n + 1,
						strcspn(at + n + 1, " "));
				else
					buf_adds(&b, name);
				return buf_detach(&b, NULL);
			}
			at += n;
		}
	}
	return NULL;
}

bool playbook_ansible_name(struct loadctx *lc, const struct srcpos *pos,
			   const char *key)
{
	const char *s = builtin_short(key);
	const char *dot = strchr(key, '.');
	char *full;

	if (listed(ansible_modules, s)) {
		diags_add(lc->d, pos, "'%s' is an Ansible module tend does not "
			  "support yet", key);
		return true;
	}
	if (!dot && *key && (full = routed(key))) {
		diags_add(lc->d, pos, "'%s' is Ansible's short name for %s, a "
			  "module of the collection '%.*s', which tend does not "
			  "support yet", key, full,
			  (int)(strchr(strchr(full, '.') + 1, '.') - full),
			  full);
		free(full);
		return true;
	}
	if (s == key && dot && strchr(dot + 1, '.')) {
		diags_add(lc->d, pos, "'%s' is a module of the collection "
			  "'%.*s', which tend does not support yet", key,
			  (int)(strchr(dot + 1, '.') - key), key);
		return true;
	}
	if (s == key && listed(ansible_task_keywords, key)) {
		diags_add(lc->d, pos, "task keyword '%s' is not supported yet",
			  key);
		return true;
	}
	return false;
}

/*
 * Templates: every string of a task that Ansible renders is parsed at
 * load, so a filter, test or lookup that does not exist (or a syntax
 * error) is refused by `tend validate` with its place, not found only
 * when (and if) the task runs.
 */
static void check_string(struct loadctx *lc, const struct val *v, bool bare)
{
	if (v->flags & VAL_F_UNSAFE)
		return; /* !unsafe: never rendered */
	if (!bare && !template_has_jinja(v->u.s.ptr))
		return;
	if (template_check(v->u.s.ptr, bare) < 0) {
		diags_add(lc->d, &v->pos, "%s", tend_error_last());
		tend_error_clear();
	}
}

static void check_value(struct loadctx *lc, const struct val *v, bool bare)
{
	switch (v->type) {
	case VAL_STR:
		check_string(lc, v, bare);
		break;
	case VAL_LIST:
		for (size_t i = 0; i < v->u.list.nr; i++)
			check_value(lc, v->u.list.items[i], bare);
		break;
	case VAL_DICT:
		for (size_t i = 0; i < v->u.dict.nr; i++)
			check_value(lc, v->u.dict.items[i].v, bare);
		break;
	default:
		break;
	}
}

/* A module's args: debug's var and assert's that are expressions. */
static void check_args(struct loadctx *lc, const char *action,
		       const struct val *args)
{
	const char *a = builtin_short(action);

	if (args->type != VAL_DICT) {
		check_value(lc, args, false);
		return;
	}
	for (size_t i = 0; i < args->u.dict.nr; i++) {
		const char *k = args->u.dict.items[i].key;

		check_value(lc, args->u.dict.items[i].v,
			    (!strcmp(a, "debug") && !strcmp(k, "var")) ||
			    (!strcmp(a, "assert") && !strcmp(k, "that")));
	}
}

void playbook_check_templates(struct loadctx *lc, const struct val *task,
			      const char *action)
{
	static const char *const conditions[] = { "when", "changed_when",
						  "failed_when", "until", NULL };
	/* not rendered, or checked where they are loaded */
	static const char *const skipped[] = { "block", "rescue", "always",
					       "register", "tags", "notify",
					       "listen", "tasks", "pre_tasks",
					       "post_tasks", "handlers",
					       "roles", NULL };

	for (size_t i = 0; i < task->u.dict.nr; i++) {
		const char *k = task->u.dict.items[i].key;
		const struct val *v = task->u.dict.items[i].v;

		if (listed(skipped, k))
			continue;
		if (listed(conditions, k))
			check_value(lc, v, true);
		else if ((action && !strcmp(k, action)) || !strcmp(k, "args"))
			check_args(lc, action ? action : "", v);
		else if (!strcmp(k, "loop_control") && v->type == VAL_DICT &&
			 val_dict_get(v, "label"))
			check_value(lc, val_dict_get(v, "label"), false);
		else if (strcmp(k, "loop_control"))
			check_value(lc, v, false);
	}
}

/* Does a handler of `hl` have the name or listen to the topic `n`? */
static bool handler_for(const struct tasklist *hl, const struct val *n)
{
	for (size_t i = 0; i < hl->nr; i++) {
		const struct task *h = hl->items[i];

		if (h->name && val_cstr(n) && !strcmp(h->name, val_cstr(n)))
			return true;
		for (size_t j = 0; j < val_len(h->listen); j++)
			if (val_equal(h->listen->u.list.items[j], n))
				return true;
	}
	return false;
}

static void check_notify_list(struct loadctx *lc, const struct tasklist *l,
			      const struct tasklist *hl)
{
	for (size_t i = 0; i < l->nr; i++) {
		const struct task *t = l->items[i];

		for (size_t j = 0; j < val_len(t->notify); j++) {
			const struct val *n = t->notify->u.list.items[j];

			if (val_cstr(n) && !template_has_jinja(val_cstr(n)) &&
			    !handler_for(hl, n))
				diags_add(lc->d, &n->pos, "notify: no handler "
					  "is named or listens to '%s' in this "
					  "play", val_cstr(n));
		}
		check_notify_list(lc, &t->block, hl);
		check_notify_list(lc, &t->rescue, hl);
		check_notify_list(lc, &t->always, hl);
		check_notify_list(lc, &t->included, hl);
	}
}

void playbook_check_notify(struct loadctx *lc, const struct play *p)
{
	check_notify_list(lc, &p->pre_tasks, &p->handlers);
	check_notify_list(lc, &p->tasks, &p->handlers);
	check_notify_list(lc, &p->post_tasks, &p->handlers);
	check_notify_list(lc, &p->handlers, &p->handlers);
}
