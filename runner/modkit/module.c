#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/fileargs.h"
#include "tend/data/val.h"
#include "tend/util/quote.h"
#include "tend/data/truth.h"
#include "tend/util/fs.h"
#include "tend/util/interrupt.h"
#include "tend/util/readlog.h"
#include "tend/lang/template.h"
#include "tend/net/http_rules.h"

#include <time.h>
#include <unistd.h>

void check_result_init(struct check_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = CHECK_OK;
	buf_init(&r->diff, 0);
	buf_init(&r->changes, 0);
	buf_init(&r->msg, 0);
}

void check_result_release(struct check_result *r)
{
	buf_release(&r->diff);
	buf_release(&r->changes);
	buf_release(&r->msg);
	val_unref(r->result);
	r->result = NULL;
	val_unref(r->observed);
	r->observed = NULL;
	if (r->priv && r->priv_free)
		r->priv_free(r->priv);
	r->priv = NULL;
	r->priv_free = NULL;
}

void apply_result_init(struct apply_result *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->msg, 0);
}

void apply_result_release(struct apply_result *r)
{
	buf_release(&r->msg);
	val_unref(r->result);
	r->result = NULL;
	r->changed = r->failed = false;
}

void probe_init(struct probe *p)
{
	buf_init(&p->script, 0);
	p->priv = NULL;
	p->priv_free = NULL;
}

void probe_release(struct probe *p)
{
	buf_release(&p->script);
	if (p->priv && p->priv_free)
		p->priv_free(p->priv);
	p->priv = NULL;
}

/*
 * The SELinux answer at the front of a probe's output: an error where
 * SELinux is enabled, else the output as the module's own script left it.
 */
static int selinux_check(struct exec_result *res)
{
	bool enabled = false;

	if (selinux_probe_parse(&enabled, &res->out) < 0)
		return exec_error(res, "the SELinux probe printed no answer");
	if (enabled)
		return tend_error_set(SELINUX_UNSUPPORTED_MSG);
	return 0;
}

int module_check(struct check_result *out, const struct tend_module *m,
		 const struct task_ctx *ctx)
{
	struct probe p;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	bool selinux;
	int error;

	selinux = (m->flags & MOD_FILE_ARGS) && file_args_selinux(ctx->args);
	if (!m->probe) {
		/* a check that is not a probe: the question asked alone */
		if (selinux) {
			struct buf s = BUF_INIT;

			selinux_probe_script(&s);
			req.script = s.ptr;
			error = ctx->t->exec(ctx->t, &req, &res);
			buf_release(&s);
			if (error < 0 || (error = selinux_check(&res)) < 0)
				goto out_check;
		}
		error = m->check(out, ctx);
out_check:
		exec_result_release(&res);
		return error;
	}
	probe_init(&p);
	if ((error = m->probe(&p, ctx)) < 0)
		goto out;
	if (selinux) {
		struct buf s = BUF_INIT;

		selinux_probe_script(&s);
		buf_addbuf(&s, &p.script);
		buf_release(&p.script);
		p.script = s;
	}
	if (p.script.len) {
		req.script = p.script.ptr;
		req.become_user = ctx->become_user;
		req.become_method = ctx->become_method;
		if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
			goto out;
	}
	if (selinux && (error = selinux_check(&res)) < 0)
		goto out;
	error = m->judge(out, ctx, &p, &res);
out:
	exec_result_release(&res);
	probe_release(&p);
	return error;
}

static const struct arg_spec *own_arg(const struct tend_module *m,
				      const char *name)
{
	for (const struct arg_spec *a = m->args; a && a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

const struct arg_spec *module_arg(const struct tend_module *m, size_t i)
{
	size_t own = 0;

	while (m->args && m->args[own].name)
		own++;
	if (i < own)
		return &m->args[i];
	if (!(m->flags & MOD_FILE_ARGS))
		return NULL;
	i -= own;
	for (const struct arg_spec *a = file_common_args; a->name; a++) {
		if (own_arg(m, a->name))
			continue;
		if (!i--)
			return a;
	}
	return NULL;
}

/*
 * Whether a value still needs rendering. Kept here rather than calling
 * the template engine so that arg checking does not depend on it.
 */
static bool has_jinja(const struct val *v)
{
	const char *s = val_cstr(v);

	return s && (strstr(s, "{{") || strstr(s, "{%") || strstr(s, "{#"));
}

static bool alias_matches(const char *aliases, const char *key)
{
	size_t n = strlen(key);

	while (aliases && *aliases) {
		const char *comma = strchr(aliases, ',');
		size_t len = comma ? (size_t)(comma - aliases) : strlen(aliases);

		if (len == n && !strncmp(aliases, key, n))
			return true;
		aliases = comma ? comma + 1 : NULL;
	}
	return false;
}

static const struct arg_spec *spec_find(const struct tend_module *m,
					const char *key)
{
	const struct arg_spec *any = NULL, *a;

	for (size_t i = 0; (a = module_arg(m, i)); i++) {
		if (!strcmp(a->name, "*"))
			any = a; /* a module that takes any key (set_fact) */
		else if (!strcmp(a->name, key) || alias_matches(a->aliases, key))
			return a;
	}
	return any;
}

/* Every name and alias of the spec, for "did you mean". Caller frees. */
static char **spec_names(const struct tend_module *m, struct buf *storage)
{
	char **names = NULL;
	size_t nr = 0, alloc = 0;
	const struct arg_spec *a;

	for (size_t i = 0; (a = module_arg(m, i)); i++) {
		buf_adds(storage, a->name);
		buf_addch(storage, ',');
		if (a->aliases) {
			buf_adds(storage, a->aliases);
			buf_addch(storage, ',');
		}
	}
	for (char *p = storage->ptr; *p;) {
		char *comma = strchr(p, ',');

		*comma = '\0';
		ALLOC_GROW(names, nr + 2, alloc);
		names[nr++] = p;
		p = comma + 1;
	}
	ALLOC_GROW(names, nr + 1, alloc);
	names[nr] = NULL;
	return names;
}

static const struct srcpos *pos_of(const struct val *v,
				   const struct srcpos *dflt)
{
	return v && v->pos.file ? &v->pos : dflt;
}

static void add_text(struct buf *out, const struct val *v)
{
	if (val_is(v, VAL_STR))
		buf_add(out, v->u.s.ptr, v->u.s.len);
	else
		val_to_text(out, v);
}

static struct val *with_origin(struct val *nv, const struct val *v)
{
	nv->pos = v->pos;
	nv->flags |= v->flags & VAL_F_UNSAFE;
	/* a string made of a list that holds a secret holds it too */
	if (val_holds_secret(v))
		nv->flags |= VAL_F_SECRET;
	return nv;
}

static int parse_int(long long *out, const struct val *v)
{
	const char *s = val_cstr(v);
	char *end;

	if (val_is(v, VAL_INT)) {
		*out = v->u.i;
		return 0;
	}
	if (val_is(v, VAL_FLOAT) && v->u.f == (double)(long long)v->u.f) {
		*out = (long long)v->u.f;
		return 0;
	}
	if (!s || !*s)
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static struct val *split_commas(const struct val *v)
{
	struct val *list = val_list();
	const char *s = val_cstr(v);

	while (*s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		struct buf item = BUF_INIT;

		buf_add(&item, s, len);
		buf_trim(&item);
		if (item.len)
			val_list_push(list, with_origin(val_str(item.ptr), v));
		buf_release(&item);
		s += len + (comma ? 1 : 0);
	}
	return list;
}

/*
 * Coerce one value to its spec's type. Returns a new reference, or NULL
 * after adding a diagnostic.
 */
static struct val *coerce(const struct arg_spec *a, const struct val *v,
			  const struct srcpos *pos, struct diags *d)
{
	struct buf text = BUF_INIT;
	struct val *nv = NULL;
	bool b;
	long long i;

	if (val_is(v, VAL_NULL))
		return val_ref((struct val *)v);
	switch (a->type) {
	case ARG_STR:
	case ARG_PATH:
		if (val_is(v, VAL_STR))
			return val_ref((struct val *)v);
		if (val_is(v, VAL_LIST) || val_is(v, VAL_DICT))
			break;
		add_text(&text, v);
		nv = with_origin(val_str(text.ptr), v);
		break;
	case ARG_BOOL:
		/* the message below names the argument; this one does not */
		if (!truth_boolean(&b, v))
			nv = with_origin(val_bool(b), v);
		else
			tend_error_clear();
		break;
	case ARG_INT:
		if (!parse_int(&i, v))
			nv = with_origin(val_int(i), v);
		break;
	case ARG_MODE: {
		unsigned int mode;

		if (!val_is(v, VAL_INT) && !val_is(v, VAL_STR))
			break;
		if (mode_parse(&mode, v, 0, false) < 0) {
			diags_add(d, pos, "invalid value for 'mode': %s",
				  tend_error_last());
			tend_error_clear();
			return NULL;
		}
		return val_ref((struct val *)v);
	}
	case ARG_LIST:
		if (val_is(v, VAL_LIST))
			return val_ref((struct val *)v);
		if (val_is(v, VAL_STR))
			return split_commas(v);
		if (val_is(v, VAL_DICT))
			break;
		nv = val_list();
		val_list_push(nv, val_ref((struct val *)v));
		return with_origin(nv, v);
	case ARG_DICT:
		if (val_is(v, VAL_DICT))
			return val_ref((struct val *)v);
		if (val_is(v, VAL_STR) && v->u.s.ptr[0] == '{' &&
		    !val_from_json(&nv, v->u.s.ptr, v->u.s.len) &&
		    val_is(nv, VAL_DICT))
			return with_origin(nv, v);
		val_unref(nv);
		nv = NULL;
		tend_error_clear();
		if (val_is(v, VAL_STR) && !val_parse_kv(&nv, v->u.s.ptr, NULL))
			return with_origin(nv, v);
		tend_error_clear();
		break;
	case ARG_ANY:
		return val_ref((struct val *)v);
	}
	if (!nv) {
		static const char *const names[] = {
			[ARG_STR] = "a string", [ARG_BOOL] = "a bool",
			[ARG_INT] = "an int",   [ARG_PATH] = "a path",
			[ARG_MODE] = "a mode",  [ARG_LIST] = "a list",
			[ARG_DICT] = "a dict",  [ARG_ANY] = "a value",
		};

		buf_reset(&text);
		if (val_is(v, VAL_LIST) || val_is(v, VAL_DICT))
			buf_adds(&text, val_type_name(v->type));
		else {
			buf_addch(&text, '\'');
			add_text(&text, v);
			buf_addch(&text, '\'');
		}
		diags_add(d, pos, "expected %s for '%s', got %s", names[a->type],
			  a->name, text.ptr);
	}
	buf_release(&text);
	return nv;
}

/*
 * The one choice a YAML bool stands for, as Ansible's argument check
 * finds it: a value that reads 'True' ('False') is the only choice among
 * y, yes, on, 1, true, t (n, no, off, 0, false, f), if there is exactly
 * one and the value is not itself a choice (apt's `upgrade: true` is
 * "yes"); else NULL.
 */
static const char *bool_choice(const struct arg_spec *a, const char *text)
{
	static const char *const yes[] = { "y", "yes", "on", "1", "true", "t",
					   NULL };
	static const char *const no[] = { "n", "no", "off", "0", "false", "f",
					  NULL };
	const char *const *set = !strcmp(text, "True") ? yes :
		!strcmp(text, "False") ? no : NULL;
	const char *found = NULL;

	for (size_t i = 0; set && a->choices[i]; i++)
		if (!strcmp(a->choices[i], text))
			return NULL; /* a choice as it is */
	for (size_t i = 0; set && a->choices[i]; i++)
		for (size_t j = 0; set[j]; j++)
			if (!strcmp(a->choices[i], set[j])) {
				if (found)
					return NULL;
				found = a->choices[i];
			}
	return found;
}

static bool check_choice(const struct arg_spec *a, struct val **v,
			 const struct srcpos *pos, struct diags *d)
{
	struct buf text = BUF_INIT, list = BUF_INIT;
	const char *as_bool;
	bool ok = false;

	if (!a->choices || val_is(*v, VAL_NULL))
		return true;
	add_text(&text, *v);
	if ((as_bool = bool_choice(a, text.ptr))) {
		val_unref(*v);
		*v = val_str(as_bool);
		buf_reset(&text);
		buf_adds(&text, as_bool);
	}
	for (size_t i = 0; a->choices[i]; i++) {
		if (!strcmp(text.ptr, a->choices[i]))
			ok = true;
		buf_addf(&list, "%s%s", i ? ", " : "", a->choices[i]);
	}
	if (!ok)
		diags_add(d, pos, "value of '%s' must be one of: %s, got '%s'",
			  a->name, list.ptr, text.ptr);
	buf_release(&text);
	buf_release(&list);
	return ok;
}

/*
 * The module's mutually exclusive pairs, both given. Before rendering
 * (!final) a value holding jinja may yet be omitted: it is left for the
 * run.
 */
static void check_exclusive(const struct tend_module *m, const struct val *res,
			    const struct srcpos *pos, struct diags *d,
			    bool final)
{
	for (size_t i = 0; m->exclusive && m->exclusive[i]; i++) {
		const char *pair = m->exclusive[i], *bar = strchr(pair, '|');
		char *a;
		const struct val *va, *vb;

		if (!bar)
			BUG("exclusive pair without '|'");
		a = xstrndup(pair, (size_t)(bar - pair));
		va = val_dict_get(res, a);
		vb = val_dict_get(res, bar + 1);
		if (va && vb && !val_is(va, VAL_NULL) &&
		    !val_is(vb, VAL_NULL) &&
		    (final || (!has_jinja(va) && !has_jinja(vb))))
			diags_add(d, pos_of(vb, pos), "parameters are mutually "
				  "exclusive: %s", pair);
		free(a);
	}
}

int args_normalize(struct val **out, const struct tend_module *m,
		   const struct val *args, const struct srcpos *pos,
		   struct diags *d, bool final)
{
	struct val *res = val_dict();
	size_t errors = d->errors;

	if (args && !val_is(args, VAL_NULL) && !val_is(args, VAL_DICT)) {
		diags_add(d, pos_of(args, pos),
			  "expected a dict of args for module '%s', got %s",
			  m->name, val_type_name(args->type));
		goto out;
	}
	for (size_t i = 0; val_is(args, VAL_DICT) && i < args->u.dict.nr; i++) {
		const char *key = args->u.dict.items[i].key;
		const struct val *v = args->u.dict.items[i].v;
		const struct srcpos *vpos = pos_of(v, pos);
		const struct arg_spec *a = spec_find(m, key);
		const struct srcpos *kpos = val_dict_key_pos(args, key);
		const char *name;
		struct val *nv;

		if (!a && !strcmp(key, "_raw_params") &&
		    (m->flags & MOD_FREE_FORM)) {
			val_dict_set(res, key, val_ref((struct val *)v));
			continue;
		}
		if (!a) {
			struct buf storage = BUF_INIT;
			char **names = spec_names(m, &storage);
			const char *hint = did_you_mean(key,
							(const char *const *)names);

			if (!kpos)
				kpos = vpos;
			if (!strcmp(key, "_raw_params"))
				diags_add(d, kpos, "module '%s' does not take "
					  "free-form arguments", m->name);
			else if (hint)
				diags_add(d, kpos, "unsupported parameter '%s' "
					  "(did you mean '%s'?)", key, hint);
			else
				diags_add(d, kpos, "unsupported parameter '%s' "
					  "for module '%s'", key, m->name);
			free(names);
			buf_release(&storage);
			continue;
		}
		name = strcmp(a->name, "*") ? a->name : key;
		if ((a->flags & ARG_REFUSED) && !val_is(v, VAL_NULL)) {
			diags_add(d, kpos ? kpos : vpos, "parameter '%s' is "
				  "refused by module '%s': %s", key, m->name,
				  a->doc);
			continue;
		}
		if (val_dict_get(res, name)) {
			diags_add(d, vpos, "parameter '%s' given twice (as '%s')",
				  name, key);
			continue;
		}
		if (!final && has_jinja(v)) {
			val_dict_set(res, name, val_ref((struct val *)v));
			continue;
		}
		if (!(nv = coerce(a, v, vpos, d)))
			continue;
		if (!check_choice(a, &nv, vpos, d)) {
			val_unref(nv);
			continue;
		}
		if (a->flags & ARG_SECRET)
			nv = val_secret(nv);
		else if (a->flags & ARG_HEADERS)
			nv = http_headers_secret(nv);
		val_dict_set(res, name, nv);
	}
	/* a missing argument cannot appear by rendering: check it at load */
	{
		struct buf missing = BUF_INIT;
		const struct arg_spec *a;

		for (size_t i = 0; (a = module_arg(m, i)); i++) {
			const struct val *v = val_dict_get(res, a->name);

			if ((a->flags & ARG_REQUIRED) &&
			    (!v || val_is(v, VAL_NULL)))
				buf_addf(&missing, "%s%s", missing.len ? ", " : "",
					 a->name);
		}
		if (missing.len)
			diags_add(d, pos, "missing required arguments: %s",
				  missing.ptr);
		buf_release(&missing);
	}
	check_exclusive(m, res, pos, d, final);
out:
	if (d->errors > errors) {
		val_unref(res);
		*out = NULL;
		return TEND_EPARSE;
	}
	*out = res;
	return 0;
}

const struct val *arg_get(const struct task_ctx *ctx, const char *name)
{
	return ctx->args ? val_dict_get(ctx->args, name) : NULL;
}

const char *arg_str(const struct task_ctx *ctx, const char *name)
{
	return val_cstr(arg_get(ctx, name));
}

bool arg_bool(const struct task_ctx *ctx, const char *name, bool dflt)
{
	const struct val *v = arg_get(ctx, name);
	bool b;

	if (!v || val_is(v, VAL_NULL))
		return dflt;
	if (truth_boolean(&b, v) < 0) {
		/* coerce() reported it before the module ran */
		tend_error_clear();
		return dflt;
	}
	return b;
}

long long arg_int(const struct task_ctx *ctx, const char *name,
		  long long dflt)
{
	const struct val *v = arg_get(ctx, name);
	long long i;

	if (!v || val_is(v, VAL_NULL) || parse_int(&i, v) < 0)
		return dflt;
	return i;
}

/*
 * 1 if `path` exists, 0 if not, TEND_EREFUSED (error set) if it leads
 * out of `root`.
 */
static int exists(const char *root, const char *path)
{
	if (!root)
		return !access(path, F_OK);
	return fs_exists_beneath(root, path);
}

/*
 * The places Ansible looks for a relative `src` (path_dwim_relative_stack):
 * for a role's task each role of the chain (ROLE/SUBDIR/src, ROLE/src),
 * then the role's tasks/ (tasks/SUBDIR/src, tasks/src); last the
 * playbook's directory (BASE/SUBDIR/src, BASE/src). Each new in `l`.
 */
static void search_paths(struct val *l, const struct task_ctx *ctx,
			 const char *subdir, const char *src)
{
	const char *base = ctx->basedir ? ctx->basedir : ".";
	struct buf b = BUF_INIT;

	for (size_t i = 0; ctx->role_dirs && ctx->role_dirs[i]; i++) {
		buf_reset(&b);
		buf_addf(&b, "%s/%s/%s", ctx->role_dirs[i], subdir, src);
		val_list_push(l, val_str(b.ptr));
		buf_reset(&b);
		buf_addf(&b, "%s/%s", ctx->role_dirs[i], src);
		val_list_push(l, val_str(b.ptr));
	}
	if (ctx->role_dirs && ctx->role_dirs[0]) {
		buf_reset(&b);
		buf_addf(&b, "%s/tasks/%s/%s", ctx->role_dirs[0], subdir, src);
		val_list_push(l, val_str(b.ptr));
		buf_reset(&b);
		buf_addf(&b, "%s/tasks/%s", ctx->role_dirs[0], src);
		val_list_push(l, val_str(b.ptr));
	}
	buf_reset(&b);
	buf_addf(&b, "%s/%s/%s", base, subdir, src);
	val_list_push(l, val_str(b.ptr));
	buf_reset(&b);
	buf_addf(&b, "%s/%s", base, src);
	val_list_push(l, val_str(b.ptr));
	buf_release(&b);
}

int task_find_file(char **out, const struct task_ctx *ctx, const char *subdir,
		   const char *src)
{
	struct val *paths;
	struct buf tried = BUF_INIT;
	int error = 0;

	*out = NULL;
	if (src[0] == '/') {
		if ((error = exists(ctx->root, src)) < 0)
			return error;
		if (!error)
			return tend_error_set_code(TEND_ENOTFOUND,
						   "cannot find '%s'", src);
		*out = xstrdup(src);
		return 0;
	}
	paths = val_list();
	search_paths(paths, ctx, subdir, src);
	for (size_t i = 0; i < paths->u.list.nr && !*out; i++) {
		const char *p = val_cstr(paths->u.list.items[i]);

		if ((error = exists(ctx->root, p)) < 0)
			break;
		if (error)
			*out = xstrdup(p);
		buf_addf(&tried, "%s'%s'", i ? ", " : "", p);
	}
	if (error >= 0 && !*out)
		error = tend_error_set_code(TEND_ENOTFOUND, "cannot find '%s' "
					    "(searched %s)", src, tried.ptr);
	else if (error > 0)
		error = 0;
	buf_release(&tried);
	val_unref(paths);
	return error;
}

int task_read_file(struct buf *b, const struct task_ctx *ctx,
		   const char *path)
{
	return readlog_read(b, ctx->root, path);
}

void args_check_files(const struct tend_module *m, const struct val *args,
		      const char *basedir, const char *const *role_dirs,
		      const char *root, struct diags *d)
{
	struct task_ctx ctx = { .args = args, .basedir = basedir,
				.role_dirs = role_dirs, .root = root };

	/* remote_src: yes (copy) makes src the host's file */
	if (root && arg_bool(&ctx, "remote_src", false))
		return;
	const struct arg_spec *s;

	for (size_t i = 0; root && (s = module_arg(m, i)); i++) {
		const struct val *v = val_dict_get(args, s->name);
		const char *path = val_cstr(v);
		char *found = NULL;

		if (!(s->flags & ARG_LOCAL_FILE) || !path ||
		    template_has_jinja(path))
			continue;
		if (task_find_file(&found, &ctx, m->files_dir ? m->files_dir :
				   ".", path) == TEND_EREFUSED)
			diags_add(d, &v->pos, "%s: %s", s->name,
				  tend_error_last());
		tend_error_clear();
		free(found);
	}
}

int sh_split(struct val **out, const char *s)
{
	struct val *list = val_list();
	struct buf word = BUF_INIT;
	bool have = false;
	const char *p = s;

	while (*p) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			if (have)
				val_list_push(list, val_strn(word.ptr, word.len));
			buf_reset(&word);
			have = false;
			p++;
			continue;
		}
		have = true;
		if (*p == '\\') {
			if (p[1])
				p++;
			buf_addch(&word, *p++);
		} else if (*p == '\'') {
			const char *end = strchr(p + 1, '\'');

			if (!end)
				goto unbalanced;
			buf_add(&word, p + 1, (size_t)(end - p - 1));
			p = end + 1;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
					p++;
				buf_addch(&word, *p);
			}
			if (!*p)
				goto unbalanced;
			p++;
		} else {
			buf_addch(&word, *p++);
		}
	}
	if (have)
		val_list_push(list, val_strn(word.ptr, word.len));
	buf_release(&word);
	*out = list;
	return 0;
unbalanced:
	buf_release(&word);
	val_unref(list);
	*out = NULL;
	return tend_error_set("unbalanced quotes in '%s'", s);
}

/* Ansible's stdout_lines: Python's splitlines() of the text. */
struct val *task_split_lines(const char *s, size_t len)
{
	struct val *list = val_list();
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\n' && s[i] != '\r')
			continue;
		val_list_push(list, val_strn(s + start, i - start));
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			i++;
		start = i + 1;
	}
	if (start < len)
		val_list_push(list, val_strn(s + start, len - start));
	return list;
}

int exec_error(const struct exec_result *res, const char *fallback)
{
	struct buf e = BUF_INIT;
	int error;

	buf_addbuf(&e, &res->err);
	buf_trim(&e);
	error = tend_error_set("%s", e.len ? e.ptr : fallback);
	buf_release(&e);
	return error;
}

void probe_val_free(void *v)
{
	val_unref(v);
}

double task_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void task_nap(double secs)
{
	double end = task_now() + secs;

	while (!tend_interrupted && task_now() < end) {
		double left = end - task_now();
		struct timespec ts = { 0, 0 };

		if (left > 0.1)
			left = 0.1;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
}
