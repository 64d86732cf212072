#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/data/yaml.h"
#include "tend/lang/template.h"
#include "tend/playbook/playbook_int.h"

#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Roles: a play's `roles:`, import_role and include_role. A use of a role
 * becomes one TASK_ROLE task holding the role's tasks (its meta
 * dependencies first, each a TASK_ROLE of its own), loaded now, as
 * Ansible compiles roles when it loads the play. The role's handlers join
 * the play's; its defaults and vars live in its struct role, which the
 * executor pushes at Ansible's precedence (engine/vars.c).
 */

/* A use of a role, as roles:, a dependency or import/include_role says. */
struct rolespec {
	const char *name;
	const struct srcpos *pos;
	/* each owned, released by spec_release */
	struct val *vars;        /* the use's vars:, or NULL */
	struct val *params;      /* the use's other keys: a dict */
	struct val *tags;        /* tags for each of its tasks, or NULL */
	struct val *when;        /* conditions for each of its tasks, or NULL */
	struct val *own_tags;    /* the use's own tags (in tags), or NULL */
	const char *from[4];     /* tasks_from, vars_from, defaults_from,
				    handlers_from: NULL for main */
	int allow_duplicates;    /* -1: the role's meta says */
	const struct task *apply; /* include_role's apply, or NULL */
	bool play_wide;          /* roles:, import_role, public include */
	bool push_down;          /* when and tags go to each task */
	/*
	 * include_role: its vars are include params (the engine puts them
	 * over set_fact, walk.c), not the role's vars
	 */
	bool vars_are_params;
	const struct role *parent;
};

enum { FROM_TASKS, FROM_VARS, FROM_DEFAULTS, FROM_HANDLERS };

/*
 * The keys of a roles: entry that are not role params: the Role's
 * attributes. Those tend has no effect for are refused by name.
 */
static const char *const entry_keys[] = {
	"role", "name", "vars", "tags", "when", "become", "become_user",
	"no_log", NULL,
};
static const char *const entry_refused[] = {
	"connection", "remote_user", "port", "delegate_to", "delegate_facts",
	"environment", "ignore_errors", "ignore_unreachable",
	"any_errors_fatal", "check_mode", "diff", "module_defaults",
	"run_once", "throttle", "timeout", "debugger", "collections",
	"become_method", "become_flags", "become_exe", NULL,
};

static bool in_list(const char *const *l, const char *s)
{
	for (size_t i = 0; l[i]; i++)
		if (!strcmp(l[i], s))
			return true;
	return false;
}

/*
 * 1 if `path` exists (beneath lc->root), 0 if not, -1 if it leads out of
 * lc->root (reported at `pos`: a role's file is read as the playbook's
 * includes are).
 */
static int exists(struct loadctx *lc, const char *path,
		  const struct srcpos *pos)
{
	int yes;

	if (!lc->root)
		return !access(path, F_OK);
	yes = fs_exists_beneath(lc->root, path);
	if (yes == TEND_EREFUSED) {
		diags_add(lc->d, pos, "role: %s", tend_error_last());
		tend_error_clear();
		return -1;
	}
	return yes == 1;
}

/*
 * Whether a role directory candidate is there: 1 yes, 0 no, -1 when it
 * is spelled beneath a git source's checkout but leads out (reported at
 * `pos`). A candidate spelled outside the checkout (a configured roles
 * path) is not there for a git source: its roles come with its commit.
 */
static int role_dir_there(struct loadctx *lc, const char *path,
			  const struct srcpos *pos)
{
	struct buf abs = BUF_INIT;
	char cwd[4096];
	bool below;
	int yes;

	if (!lc->root)
		return !access(path, F_OK);
	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return 0;
		buf_addf(&abs, "%s/", cwd);
	}
	buf_adds(&abs, path);
	below = fs_path_is_below(lc->root, abs.ptr);
	buf_release(&abs);
	if (!below)
		return 0;
	yes = fs_exists_beneath(lc->root, path);
	if (yes == TEND_EREFUSED) {
		diags_add(lc->d, pos, "role: %s", tend_error_last());
		tend_error_clear();
		return -1;
	}
	return yes == 1;
}

/*
 * `path` made absolute (role_path is, in Ansible), without a leading
 * "./"; symlinks are kept, as the reads beneath a checkout judge them.
 */
static char *abs_path(const char *path)
{
	struct buf b = BUF_INIT;
	char cwd[4096];

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		buf_addf(&b, "%s/", strcmp(cwd, "/") ? cwd : "");
	while (path[0] == '.' && path[1] == '/')
		path += 2 + strspn(path + 2, "/");
	buf_adds(&b, path);
	return buf_detach(&b, NULL);
}

/* ansible.cfg's roles_path and home (playbook_set_roles_path), or NULL. */
static char *roles_path, *ansible_home;

void playbook_set_roles_path(const char *path, const char *home)
{
	free(roles_path);
	free(ansible_home);
	roles_path = path ? xstrdup(path) : NULL;
	ansible_home = home ? xstrdup(home) : NULL;
}

/*
 * Where role `name` lives, as Ansible looks: roles/ beside the playbook,
 * the configured roles path (ansible.cfg's roles_path or ANSIBLE_ROLES_PATH,
 * else Ansible's default one under ANSIBLE_HOME), the directory of the role that depends on it, the playbook's
 * directory, and the name as a path (*as_path: found so). An absolute
 * path, or NULL if not found (and the places tried in `tried`) or
 * refused (reported).
 */
static char *role_find(struct loadctx *lc, const char *name,
		       const struct role *parent, const struct srcpos *pos,
		       struct buf *tried, bool *as_path)
{
	const char *env = roles_path ? roles_path : getenv("ANSIBLE_ROLES_PATH");
	const char *home = getenv("HOME");
	const char *pbdir = lc->pbdir ? lc->pbdir : lc->basedir;
	struct buf paths = BUF_INIT, cand = BUF_INIT;
	char *found = NULL;
	int there = 0;

	buf_addf(&paths, "%s/roles", pbdir);
	if (env && *env)
		buf_addf(&paths, ":%s", env);
	else if (ansible_home)
		buf_addf(&paths, ":%s/roles:/usr/share/ansible/roles:"
			 "/etc/ansible/roles", ansible_home);
	else
		buf_addf(&paths, ":%s/.ansible/roles:/usr/share/ansible/roles:"
			 "/etc/ansible/roles", home ? home : "");
	if (parent) {
		char *copy = xstrdup(parent->path);

		buf_addf(&paths, ":%s", dirname(copy));
		free(copy);
	}
	buf_addf(&paths, ":%s", pbdir);
	for (const char *p = paths.ptr; *p && !there;) {
		size_t n = strcspn(p, ":");

		if (n) {
			buf_reset(&cand);
			buf_add(&cand, p, n);
			buf_addf(&cand, "/%s", name);
			there = role_dir_there(lc, cand.ptr, pos);
		}
		p += n + (p[n] == ':');
	}
	*as_path = false;
	if (!there && (there = role_dir_there(lc, name, pos)) > 0) {
		buf_reset(&cand);
		buf_adds(&cand, name);
		*as_path = true;
	}
	if (there > 0)
		found = abs_path(cand.ptr);
	if (!found && !there)
		buf_adds(tried, paths.ptr);
	buf_release(&paths);
	buf_release(&cand);
	return found;
}

/*
 * The file of `dir` in the role for `from` (NULL: main), as Ansible picks
 * it: main.yml, main.yaml, main.json, main; for a name given, the name as
 * it is first. NULL if there is none, or it leads out (reported at pos).
 */
static char *role_file(struct loadctx *lc, const struct role *r,
		       const char *dir, const char *from,
		       const struct srcpos *pos)
{
	static const char *const main_ext[] = { ".yml", ".yaml", ".json", "",
						NULL };
	static const char *const from_ext[] = { "", ".yml", ".yaml", ".json",
						NULL };
	const char *const *ext = from ? from_ext : main_ext;
	struct buf b = BUF_INIT;

	for (size_t i = 0; ext[i]; i++) {
		struct stat st;
		int there;

		buf_reset(&b);
		buf_addf(&b, "%s/%s/%s%s", r->path, dir, from ? from : "main",
			 ext[i]);
		there = exists(lc, b.ptr, pos);
		if (there < 0)
			break;
		if (there && !(stat(b.ptr, &st) == 0 && S_ISDIR(st.st_mode)))
			return buf_detach(&b, NULL);
	}
	buf_release(&b);
	return NULL;
}

/* A dict file of the role (defaults/, vars/, meta/): a new dict. */
static struct val *role_dict(struct loadctx *lc, const struct role *r,
			     const char *dir, const char *from,
			     const struct srcpos *pos)
{
	char *path = role_file(lc, r, dir, from, pos);
	struct val *doc = NULL;
	int error;

	if (!path) {
		if (from)
			diags_add(lc->d, pos, "role '%s' has no %s file '%s'",
				  r->name, dir, from);
		return val_dict();
	}
	error = yaml_load_input(&doc, lc->root, path, lc->d);
	if (error < 0 && error != TEND_EPARSE) {
		diags_add(lc->d, pos, "role '%s': %s", r->name,
			  tend_error_last());
		tend_error_clear();
	} else if (error == 0 && doc->type != VAL_DICT &&
		   doc->type != VAL_NULL) {
		struct srcpos top = { srcfile_intern(path), 1, 1 };

		diags_add(lc->d, &top, "expected a dict in role file, got a %s",
			  val_type_name(doc->type));
	}
	free(path);
	if (!doc || doc->type != VAL_DICT) {
		val_unref(doc);
		return val_dict();
	}
	return doc;
}

static void role_free(struct role *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->path);
	val_unref(r->defaults);
	val_unref(r->vars);
	val_unref(r->params);
	val_unref(r->magic);
	free(r->dirs);
	free(r);
}

void role_free_all(struct play *p)
{
	for (size_t i = 0; i < p->roles_nr; i++)
		role_free(p->roles[i]);
	free(p->roles);
	p->roles = NULL;
	p->roles_nr = p->roles_alloc = 0;
}


/*
 * The key Ansible tells the uses of a role apart by: its path, its params,
 * the files it was used with, its when, tags and vars, and how it came. A play runs a role once per key, unless
 * allow_duplicates.
 */
static void role_key(struct buf *out, const char *path,
		     const struct rolespec *s)
{
	buf_addf(out, "%s\n", path);
	val_to_json(out, s->params, 0);
	for (size_t i = 0; i < ARRAY_SIZE(s->from); i++)
		buf_addf(out, "\n%s", s->from[i] ? s->from[i] : "");
	/* Ansible's Role.load hashes these with the params */
	buf_addch(out, '\n');
	if (s->when)
		val_to_json(out, s->when, 0);
	buf_addch(out, '\n');
	if (s->own_tags)
		val_to_json(out, s->own_tags, 0);
	buf_addch(out, '\n');
	if (s->vars)
		val_to_json(out, s->vars, 0);
	buf_addf(out, "\n%d", s->play_wide);
}

/*
 * The role's when goes to each task it runs, as Ansible's role block
 * passes it down: each task is skipped (and reported) on its own.
 */
static void push_down(struct tasklist *l, const struct val *when)
{
	for (size_t i = 0; i < l->nr; i++) {
		struct task *t = l->items[i];
		struct val *nv;

		if (t->kind == TASK_BLOCK) {
			push_down(&t->block, when);
			push_down(&t->rescue, when);
			push_down(&t->always, when);
			continue;
		}
		if (t->kind == TASK_ROLE && t->include_static) {
			push_down(&t->included, when);
			continue;
		}
		if (val_len(when)) {
			nv = val_list_concat(when, t->when);
			val_unref(t->when);
			t->when = nv;
		}
	}
}

/*
 * The role's when and tags go to each task it runs (push_down: when;
 * imports.c: tags, into its static imports too and past its includes).
 */
static void push_when_tags(struct tasklist *l, const struct val *when,
			   const struct val *tags)
{
	push_down(l, when);
	imports_push_tags(l, tags);
}

/* The directories a role task's files are looked up in: its, its parents'. */
static void role_dirs(struct role *r)
{
	size_t n = 0;

	for (const struct role *q = r; q; q = q->parent)
		n++;
	r->dirs = xcalloc(n + 1, sizeof(*r->dirs));
	n = 0;
	for (const struct role *q = r; q; q = q->parent)
		r->dirs[n++] = q->path;
}

static void role_register(struct play *p, struct role *r)
{
	ALLOC_GROW(p->roles, p->roles_nr + 1, p->roles_alloc);
	p->roles[p->roles_nr++] = r;
}

static struct task *role_use(struct loadctx *lc, const struct rolespec *s);

/* A roles: entry or a meta dependency: a string, or a dict. */
static int spec_from_entry(struct loadctx *lc, struct rolespec *s,
			   const struct val *e, const char *what)
{
	memset(s, 0, sizeof(*s));
	s->allow_duplicates = -1;
	s->pos = &e->pos;
	s->params = val_dict();
	if (val_cstr(e) && e->type == VAL_STR) {
		s->name = val_cstr(e);
		return 0;
	}
	if (e->type != VAL_DICT) {
		diags_add(lc->d, &e->pos, "expected a role (a name or a dict) "
			  "in '%s', got a %s", what, val_type_name(e->type));
		return TEND_EPARSE;
	}
	for (size_t i = 0; i < e->u.dict.nr; i++) {
		const char *k = e->u.dict.items[i].key;
		struct val *v = e->u.dict.items[i].v;

		if (in_list(entry_refused, k))
			diags_add(lc->d, playbook_key_pos(e, k), "role keyword "
				  "'%s' is not supported yet", k);
		else if (!in_list(entry_keys, k))
			val_dict_set(s->params, k, val_ref(v));
	}
	s->name = val_cstr(val_dict_get(e, "role"));
	if (!s->name)
		s->name = val_cstr(val_dict_get(e, "name"));
	if (!s->name) {
		diags_add(lc->d, &e->pos, "a role in '%s' needs 'role'", what);
		return TEND_EPARSE;
	}
	if (val_dict_get(e, "vars"))
		s->vars = playbook_expect_dict(lc, val_dict_get(e, "vars"),
					       "vars");
	if (val_dict_get(e, "tags"))
		s->tags = playbook_string_list(lc, val_dict_get(e, "tags"),
					       "tags", true);
	s->own_tags = s->tags ? val_ref(s->tags) : NULL;
	if (val_dict_get(e, "when"))
		s->when = playbook_condition_list(lc, val_dict_get(e, "when"),
						  "when");
	return 0;
}

static void spec_release(struct rolespec *s)
{
	val_unref(s->params);
	val_unref(s->vars);
	val_unref(s->tags);
	val_unref(s->own_tags);
	val_unref(s->when);
}

/* become, become_user and no_log of a roles: entry, on its task. */
static void entry_keywords(struct loadctx *lc, struct task *t,
			   const struct val *e)
{
	const struct val *v;
	bool b;

	if (e->type != VAL_DICT)
		return;
	if ((v = val_dict_get(e, "become")) &&
	    !playbook_parse_bool(lc, v, "become", &b))
		t->become = b;
	if ((v = val_dict_get(e, "become_user")))
		t->become_user = playbook_expect_str(lc, v, "become_user");
	if ((v = val_dict_get(e, "no_log")))
		t->no_log = playbook_expect_flag(lc, v, "no_log");
}

/* The meta dependencies of `r` (meta/main's dependencies), into l. */
static void load_deps(struct loadctx *lc, struct role *r,
		      const struct val *deps, const struct rolespec *s,
		      struct tasklist *l)
{
	if (!deps || deps->type == VAL_NULL)
		return;
	if (deps->type != VAL_LIST) {
		diags_add(lc->d, &deps->pos, "expected a list of roles for "
			  "'dependencies', got a %s", val_type_name(deps->type));
		return;
	}
	for (size_t i = 0; i < deps->u.list.nr; i++) {
		const struct val *e = deps->u.list.items[i];
		struct rolespec ds;
		struct task *dt = NULL;

		if (spec_from_entry(lc, &ds, e, "dependencies") == 0) {
			ds.parent = r;
			ds.play_wide = s->play_wide;
			ds.push_down = true;
			dt = role_use(lc, &ds);
		}
		if (dt) {
			entry_keywords(lc, dt, e);
			tasklist_add(l, dt);
		}
		spec_release(&ds);
	}
}

/*
 * meta/main: dependencies (returned, borrowed from *meta) and
 * allow_duplicates; galaxy_info is for Ansible Galaxy. Argument specs
 * would add a validation task: refused.
 */
static const struct val *read_meta(struct loadctx *lc, const struct val *meta,
				   bool *allow_dup)
{
	const struct val *v;

	*allow_dup = false;
	for (size_t i = 0; i < meta->u.dict.nr; i++) {
		const char *k = meta->u.dict.items[i].key;

		if (!strcmp(k, "argument_specs"))
			diags_add(lc->d, playbook_key_pos(meta, k), "role "
				  "'argument_specs' are not supported yet");
		else if (strcmp(k, "dependencies") &&
			 strcmp(k, "allow_duplicates") &&
			 strcmp(k, "galaxy_info"))
			diags_add(lc->d, playbook_key_pos(meta, k),
				  "unknown role meta key '%s'", k);
	}
	if ((v = val_dict_get(meta, "allow_duplicates")))
		playbook_parse_bool(lc, v, "allow_duplicates", allow_dup);
	return val_dict_get(meta, "dependencies");
}

/*
 * include_role's apply reaches the role's handlers too (Ansible makes its
 * block their parent): its when in front of theirs, its vars under
 * theirs, its tags. Its other keywords would have to wrap each handler
 * when it runs: refused until they do.
 */
static void apply_handlers(struct loadctx *lc, struct tasklist *l,
			   const struct task *ap)
{
	if (ap->become >= 0 || ap->become_tpl || ap->become_user ||
	    ap->environment || ap->ignore_errors || ap->no_log ||
	    ap->delegate_to || ap->connection || ap->no_diff)
		diags_add(lc->d, &ap->pos, "'apply' of include_role with a "
			  "keyword other than when, tags and vars is not "
			  "supported yet for a role with handlers");
	imports_push_when(l, ap->when);
	imports_push_vars(l, ap->vars);
	imports_push_tags(l, ap->tags);
}

/*
 * The role's handlers join the play's, once per use of the role, with
 * the use's conditions (Ansible evaluates the role's when on them too).
 */
static void load_handlers(struct loadctx *lc, struct role *r,
			  const struct rolespec *s)
{
	struct tasklist l = { 0 };
	char *file;

	file = role_file(lc, r, "handlers", s->from[FROM_HANDLERS], s->pos);
	if (!file && s->from[FROM_HANDLERS])
		diags_add(lc->d, s->pos, "role '%s' has no handlers file '%s'",
			  r->name, s->from[FROM_HANDLERS]);
	if (file)
		task_load_file(lc, &l, file, s->pos, true);
	free(file);
	if (s->push_down)
		push_down(&l, s->when);
	if (s->apply && l.nr)
		apply_handlers(lc, &l, s->apply);
	for (size_t i = 0; i < l.nr; i++)
		tasklist_add(&lc->play->handlers, l.items[i]);
	free(l.items);
}

/* A new role for `s` at `path`, its files read; deps not yet. */
static struct role *role_new(struct loadctx *lc, const struct rolespec *s,
			     char *path, bool as_path)
{
	struct role *r = xcalloc(1, sizeof(*r));
	char *copy;

	r->path = path;
	copy = xstrdup(s->name);
	r->name = xstrdup(as_path ? basename(copy) : s->name);
	free(copy);
	r->parent = s->parent;
	r->params = val_ref(s->params);
	r->play_wide = s->play_wide;
	r->defaults = role_dict(lc, r, "defaults", s->from[FROM_DEFAULTS],
				s->pos);
	r->vars = role_dict(lc, r, "vars", s->from[FROM_VARS], s->pos);
	if (s->vars && !s->vars_are_params) {
		struct val *nv = val_copy(r->vars);

		val_dict_update(nv, s->vars, false);
		val_unref(r->vars);
		r->vars = nv;
	}
	r->magic = val_dict();
	val_dict_set_str(r->magic, "role_name", r->name);
	val_dict_set_str(r->magic, "role_path", r->path);
	role_dirs(r);
	return r;
}

/*
 * The TASK_ROLE task of use `s`, or NULL when there is none: a problem
 * was reported, or Ansible would not run the role again.
 */
static struct task *role_use(struct loadctx *lc, const struct rolespec *s)
{
	struct buf tried = BUF_INIT, key = BUF_INIT;
	const struct role *outer = lc->role;
	struct val *meta;
	const struct val *deps;
	struct role *r;
	struct task *t = NULL;
	char *path, *file;
	bool allow_dup, as_path;

	if (template_has_jinja(s->name)) {
		diags_add(lc->d, s->pos, "a role name with a template is not "
			  "supported yet");
		return NULL;
	}
	if (lc->depth >= MAX_INCLUDE_DEPTH) {
		diags_add(lc->d, s->pos, "roles nested more than %d deep (a "
			  "dependency loop?)", MAX_INCLUDE_DEPTH);
		return NULL;
	}
	if (!(path = role_find(lc, s->name, s->parent, s->pos, &tried,
			       &as_path))) {
		if (tried.len)
			diags_add(lc->d, s->pos, "the role '%s' was not found "
				  "in %s", s->name, tried.ptr);
		buf_release(&tried);
		return NULL;
	}
	r = role_new(lc, s, path, as_path);
	meta = role_dict(lc, r, "meta", NULL, s->pos);
	deps = read_meta(lc, meta, &allow_dup);
	if (s->allow_duplicates >= 0)
		allow_dup = s->allow_duplicates;
	role_key(&key, r->path, s);
	if (!allow_dup && val_dict_get(lc->roles_seen, key.ptr)) {
		role_free(r);
		goto out;
	}
	val_dict_set(lc->roles_seen, key.ptr, val_null());
	t = xcalloc(1, sizeof(*t));
	t->kind = TASK_ROLE;
	t->pos = *s->pos;
	t->become = -1;
	t->action = xstrdup("role");
	t->loop_var = xstrdup("item");
	t->role = outer;
	t->runs = r;
	t->include_static = s->push_down;
	lc->depth++;
	load_deps(lc, r, deps, s, &t->included);
	role_register(lc->play, r);
	lc->role = r;
	file = role_file(lc, r, "tasks", s->from[FROM_TASKS], s->pos);
	if (!file && s->from[FROM_TASKS])
		diags_add(lc->d, s->pos, "role '%s' has no tasks file '%s'",
			  r->name, s->from[FROM_TASKS]);
	if (file)
		task_load_file(lc, &t->included, file, s->pos, false);
	free(file);
	load_handlers(lc, r, s);
	lc->role = outer;
	lc->depth--;
	if (s->push_down)
		push_when_tags(&t->included, s->when, s->tags);
out:
	val_unref(meta);
	buf_release(&key);
	return t;
}

void role_load_play(struct loadctx *lc, const struct val *roles)
{
	const struct val *e;

	if (!roles || roles->type == VAL_NULL)
		return;
	if (roles->type != VAL_LIST) {
		diags_add(lc->d, &roles->pos, "expected a list of roles for "
			  "'roles', got a %s", val_type_name(roles->type));
		return;
	}
	for (size_t i = 0; i < roles->u.list.nr; i++) {
		struct rolespec s;
		struct task *t = NULL;
		struct val *tags;

		e = roles->u.list.items[i];
		if (spec_from_entry(lc, &s, e, "roles") < 0) {
			spec_release(&s);
			continue;
		}
		/* the play's tags too, as its tasks inherit them */
		tags = val_list_concat(lc->play->tags, s.tags);
		val_unref(s.tags);
		s.tags = tags;
		s.play_wide = true;
		s.push_down = true;
		if ((t = role_use(lc, &s))) {
			entry_keywords(lc, t, e);
			tasklist_add(&lc->play->tasks, t);
		}
		spec_release(&s);
	}
}

/* The args import_role and include_role take, besides name. */
static const char *const role_args[] = {
	"name", "role", "tasks_from", "vars_from", "defaults_from",
	"handlers_from", "allow_duplicates", "public", "apply",
	"rolespec_validate", NULL,
};

/* The spec of an import_role / include_role task from its args. */
static int spec_from_task(struct loadctx *lc, struct rolespec *s,
			  const struct task *t, bool include)
{
	const struct val *a = t->args, *v;
	static const char *const froms[] = {
		"tasks_from", "vars_from", "defaults_from", "handlers_from",
	};
	bool b;

	memset(s, 0, sizeof(*s));
	s->pos = &t->pos;
	s->allow_duplicates = 1;
	s->params = val_dict();
	for (size_t i = 0; i < a->u.dict.nr; i++) {
		const char *k = a->u.dict.items[i].key;

		if (!in_list(role_args, k) ||
		    (!include && (!strcmp(k, "public") || !strcmp(k, "apply"))))
			diags_add(lc->d, playbook_key_pos(a, k), "invalid "
				  "option for %s: '%s'", t->action, k);
	}
	s->name = val_cstr(val_dict_get(a, "name"));
	if (!s->name)
		s->name = val_cstr(val_dict_get(a, "role"));
	if (!s->name) {
		diags_add(lc->d, &t->pos, "'name' is required for %s",
			  t->action);
		return TEND_EPARSE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(froms); i++) {
		if (!(v = val_dict_get(a, froms[i])))
			continue;
		s->from[i] = val_cstr(v);
		if (!s->from[i])
			diags_add(lc->d, &v->pos, "expected a file name for "
				  "'%s'", froms[i]);
		else if (!include && template_has_jinja(s->from[i]))
			diags_add(lc->d, &v->pos, "import_role '%s' with a "
				  "template is not supported (Ansible: use "
				  "include_role)", froms[i]);
	}
	if ((v = val_dict_get(a, "allow_duplicates")) &&
	    !playbook_parse_bool(lc, v, "allow_duplicates", &b))
		s->allow_duplicates = b;
	if ((v = val_dict_get(a, "public")))
		playbook_parse_bool(lc, v, "public", &b);
	if ((v = val_dict_get(a, "rolespec_validate")))
		playbook_parse_bool(lc, v, "rolespec_validate", &b);
	/* apply's tags go to each task of the role; its block: walk.c */
	if (include && t->apply) {
		s->apply = t->apply;
		s->tags = t->apply->tags ? val_ref(t->apply->tags) : NULL;
	}
	if (t->vars)
		s->vars = val_ref(t->vars);
	s->vars_are_params = include;
	return 0;
}

/* Whether the role's name or one of its files is a template. */
static bool spec_templated(const struct rolespec *s)
{
	bool yes = template_has_jinja(s->name);

	for (size_t i = 0; i < ARRAY_SIZE(s->from); i++)
		yes |= s->from[i] && template_has_jinja(s->from[i]);
	return yes;
}

void role_load_task(struct loadctx *lc, struct task *t)
{
	bool include = !strcmp(t->action, "include_role");
	const struct val *v;
	struct rolespec s;
	struct task *rt;

	if (t->loop && !include) {
		diags_add(lc->d, &t->pos, "import_role cannot loop (Ansible: "
			  "use include_role)");
		return;
	}
	if ((v = val_dict_get(t->args, "public")) && include)
		playbook_parse_bool(lc, v, "public", &t->public_role);
	if (spec_from_task(lc, &s, t, include) < 0) {
		spec_release(&s);
		return;
	}
	if (include && spec_templated(&s)) {
		/* the engine loads it at run time: playbook_role_load */
		spec_release(&s);
		return;
	}
	/*
	 * import_role: the task's when and tags go to each task of the role
	 * and the role's vars are the play's too; include_role keeps them,
	 * and gives its tasks only apply's tags.
	 */
	s.push_down = true;
	s.play_wide = !include;
	if (!include) {
		s.when = val_ref(t->when);
		s.tags = val_ref(t->tags);
	}
	rt = role_use(lc, &s);
	spec_release(&s);
	if (!rt)
		return;
	t->runs = rt->runs;
	t->include_static = !include;
	t->included = rt->included;
	memset(&rt->included, 0, sizeof(rt->included));
	/* import_role: the task's vars are the role's now (role_new merged them) */
	if (!include) {
		val_unref(t->vars);
		t->vars = NULL;
	}
	task_free(rt);
}

int playbook_role_load(struct task **out, struct play *owner,
		       const struct task *inc, const char *name,
		       const char *const from[4], const char *basedir,
		       const char *root, struct diags *d)
{
	struct loadctx lc = { .d = d, .basedir = basedir, .root = root,
			      .play = owner, .role = inc->role,
			      .load_role = role_load_task };
	size_t errors = d->errors;
	struct rolespec s;
	struct task *rt = NULL;

	*out = NULL;
	if (spec_from_task(&lc, &s, inc, true) == 0) {
		s.name = name;
		for (size_t i = 0; i < ARRAY_SIZE(s.from); i++)
			s.from[i] = from[i];
		s.push_down = true;
		lc.roles_seen = val_dict();
		rt = role_use(&lc, &s);
		val_unref(lc.roles_seen);
	}
	spec_release(&s);
	if (d->errors != errors || !rt) {
		task_free(rt);
		return TEND_EPARSE;
	}
	*out = rt;
	return 0;
}
