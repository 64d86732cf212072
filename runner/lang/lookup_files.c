/*
 * The lookups of the controller: its files (file, template, first_found,
 * fileglob, password) and its commands (pipe, lines), as Ansible 2.14's
 * plugins of those names. Relative paths are searched as Ansible's
 * find_file_in_search_path does for a playbook: BASEDIR/SUBDIR/NAME,
 * then BASEDIR/NAME. Every read goes through readlog_read, confined to
 * a git source's checkout; nothing is written into a checkout, and an
 * untrusted source runs no command (docs/sources.md).
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/util/proc.h"
#include "tend/util/readlog.h"
#include "tend/lang/lookup_files_int.h"
#include "tend/lang/scope_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"
#include "tend/data/vault.h"

#include <ctype.h>
#include <fcntl.h>
#include <glob.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *lookup_root(const struct lookup_env *env)
{
	return scope_limits(env->scope)->root;
}

static int need_str(const char **out, const struct val *t, const char *who)
{
	if (!(*out = val_cstr(t)))
		return tend_error_set("lookup('%s'): a term is a %s, not a "
				      "string", who, template_type_name(t));
	return 0;
}

/*
 * The base directory, absolute as Ansible's (a relative one is taken
 * from the current directory, "." and "./" dropped), in `out`; false if
 * there is none.
 */
static bool abs_basedir(struct buf *out, const struct lookup_env *env)
{
	const char *base = scope_basedir(env->scope);
	char cwd[PATH_MAX];

	if (!base)
		return false;
	if (base[0] != '/' && getcwd(cwd, sizeof(cwd)))
		buf_addf(out, "%s/", strcmp(cwd, "/") ? cwd : "");
	while (base[0] == '.' && base[1] == '/')
		base += 2;
	if (strcmp(base, "."))
		buf_adds(out, base);
	while (out->len > 1 && out->ptr[out->len - 1] == '/')
		buf_setlen(out, out->len - 1);
	return true;
}

/*
 * Find `name` as Ansible's path_dwim_relative_stack does: an absolute
 * path as it is; in a role's task (role_path is set) ROLE/SUBDIR/NAME,
 * ROLE/NAME, ROLE/tasks/SUBDIR/NAME, ROLE/tasks/NAME first; then
 * BASEDIR/SUBDIR/NAME (unless NAME starts with SUBDIR/), then
 * BASEDIR/NAME. 1 with the path in `out`, 0 if none exists,
 * TEND_EREFUSED if a candidate leads out of the source.
 */
static int find_file(struct buf *out, const struct lookup_env *env,
		     const char *subdir, const char *name)
{
	struct buf absbase = BUF_INIT;
	const char *base = abs_basedir(&absbase, env) ? absbase.ptr : NULL;
	const char *role = val_cstr(scope_get(env->scope, "role_path"));
	size_t sublen = strlen(subdir);
	int n = 0, found = 0;
	struct buf cand[6] = { BUF_INIT, BUF_INIT, BUF_INIT,
			       BUF_INIT, BUF_INIT, BUF_INIT };

	if (name[0] == '/' || (!base && !role)) {
		buf_sets(&cand[n++], name);
	} else {
		if (role) {
			buf_addf(&cand[n++], "%s/%s/%s", role, subdir, name);
			buf_addf(&cand[n++], "%s/%s", role, name);
			buf_addf(&cand[n++], "%s/tasks/%s/%s", role, subdir,
				 name);
			buf_addf(&cand[n++], "%s/tasks/%s", role, name);
		}
		if (base && (strncmp(name, subdir, sublen) ||
			     name[sublen] != '/'))
			buf_addf(&cand[n++], "%s/%s/%s", base, subdir, name);
		if (base)
			buf_addf(&cand[n++], "%s/%s", base, name);
	}
	for (int i = 0; i < n && !found; i++) {
		found = fs_exists_beneath(lookup_root(env), cand[i].ptr);
		if (found > 0)
			buf_sets(out, cand[i].ptr);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cand); i++)
		buf_release(&cand[i]);
	buf_release(&absbase);
	return found;
}

/* Python's str.rstrip() / lstrip() of ASCII whitespace. */
static void strip_ws(struct buf *b, bool left, bool right)
{
	size_t start = 0;

	if (right)
		buf_rtrim(b);
	if (left) {
		while (start < b->len && isspace((unsigned char)b->ptr[start]))
			start++;
		memmove(b->ptr, b->ptr + start, b->len - start);
		buf_setlen(b, b->len - start);
	}
}

static bool opt_bool(const struct lookup_env *env, const char *name,
		     bool def)
{
	const struct val *v = lookup_opt(env, name);

	return v ? truth_python(v) : def;
}

/*
 * A file encrypted whole with Ansible Vault is read as its plaintext (as
 * Ansible's loader does for these lookups), with the process's vault
 * passwords; what it holds is secret, as every vault value is.
 */
static int open_vault(struct buf *data, bool *secret, const char *who,
		      const char *name)
{
	struct buf plain = BUF_INIT;

	*secret = vault_is_vault(data->ptr, data->len);
	if (!*secret)
		return 0;
	if (vault_decrypt(&plain, data->ptr, data->len, vault_keys()) < 0) {
		buf_release_secret(&plain);
		return tend_error_prefix("lookup('%s', '%s')", who, name);
	}
	buf_release(data);
	*data = plain;
	return 0;
}

int lookup_read_file(struct buf *data, bool *secret,
		      const struct lookup_env *env, const char *subdir,
		      const char *name, const char *who)
{
	struct buf path = BUF_INIT;
	int found = find_file(&path, env, subdir, name), error;

	if (found <= 0) {
		buf_release(&path);
		if (found < 0)
			return tend_error_prefix("lookup('%s', '%s')", who,
						 name);
		return tend_error_set_code(TEND_ENOTFOUND,
					   "lookup('%s', '%s'): could not "
					   "locate file in lookup", who, name);
	}
	error = readlog_read(data, lookup_root(env), path.ptr);
	buf_release(&path);
	if (error < 0)
		return tend_error_prefix("lookup('%s', '%s')", who, name);
	return open_vault(data, secret, who, name);
}

int lookup_file(struct val *out, const struct val *terms,
		const struct lookup_env *env)
{
	bool lstrip = opt_bool(env, "lstrip", false);
	bool rstrip = opt_bool(env, "rstrip", true);

	for (size_t i = 0; i < terms->u.list.nr; i++) {
		struct buf data = BUF_INIT;
		const char *name;
		struct val *v;
		bool secret;
		int error;

		if ((error = need_str(&name, terms->u.list.items[i], "file")) < 0)
			return error;
		if ((error = lookup_read_file(&data, &secret, env, "files", name,
					"file")) < 0) {
			buf_release_secret(&data);
			return error;
		}
		strip_ws(&data, lstrip, rstrip);
		v = template_str_result(&data);
		val_list_push(out, secret ? val_secret(v) : v);
	}
	return 0;
}

static size_t trailing_newlines(const struct val *v)
{
	size_t n = 0;

	while (n < v->u.s.len && v->u.s.ptr[v->u.s.len - 1 - n] == '\n')
		n++;
	return n;
}

/*
 * Ansible renders a template lookup with preserve_trailing_newlines: the
 * result ends in as many newlines as the file does.
 */
static struct val *keep_newlines(struct val *v, const struct val *src)
{
	size_t want = trailing_newlines(src), have;
	struct buf b = BUF_INIT;
	struct val *r;

	if (v->type != VAL_STR || (have = trailing_newlines(v)) >= want)
		return v;
	buf_add(&b, v->u.s.ptr, v->u.s.len);
	while (have++ < want)
		buf_addch(&b, '\n');
	r = template_str_result(&b);
	r->flags |= v->flags & (VAL_F_SECRET | VAL_F_UNSAFE);
	val_unref(v);
	return r;
}

/* unvault: a file's content, decrypted if it is vault data, unstripped */
int lookup_unvault(struct val *out, const struct val *terms,
		   const struct lookup_env *env)
{
	for (size_t i = 0; i < terms->u.list.nr; i++) {
		struct buf data = BUF_INIT;
		const char *name;
		struct val *v;
		bool secret;
		int error;

		if ((error = need_str(&name, terms->u.list.items[i],
				      "unvault")) < 0)
			return error;
		if ((error = lookup_read_file(&data, &secret, env, "files", name,
					"unvault")) < 0) {
			buf_release_secret(&data);
			return error;
		}
		v = template_str_result(&data);
		val_list_push(out, secret ? val_secret(v) : v);
	}
	return 0;
}

int lookup_template(struct val *out, const struct val *terms,
		    const struct lookup_env *env)
{
	const struct val *tv = lookup_opt(env, "template_vars");
	struct scope s = { env->scope, NULL, NULL, NULL, NULL, SCOPE_PLAIN };

	if (tv && tv->type != VAL_DICT)
		return tend_error_set("lookup('template'): template_vars must "
				      "be a dict, got a %s",
				      template_type_name(tv));
	s.vars = tv;
	for (size_t i = 0; i < terms->u.list.nr; i++) {
		struct buf data = BUF_INIT;
		struct val *text, *v = NULL;
		const char *name;
		bool secret;
		int error;

		if ((error = need_str(&name, terms->u.list.items[i],
				      "template")) < 0)
			return error;
		if ((error = lookup_read_file(&data, &secret, env, "templates", name,
					"template")) < 0) {
			buf_release_secret(&data);
			return error;
		}
		text = template_str_result(&data);
		if (secret)
			text = val_secret(text);
		error = env->render(&v, text, &s, env->payload);
		if (error < 0) {
			val_unref(text);
			return tend_error_prefix("lookup('template', '%s')",
						 name);
		}
		val_list_push(out, keep_newlines(v, text));
		val_unref(text);
	}
	return 0;
}

/*
 * first_found
 */

struct ff {
	struct val *search; /* the candidate names, unrendered */
	bool skip;
	const struct lookup_env *env;
};

/* Render v for first_found: an undefined item of a list is dropped. */
static int ff_render(struct val **out, const struct val *v,
		     const struct lookup_env *env)
{
	int error = env->render(out, v, env->scope, env->payload);

	if (error != TEND_EUNDEFINED)
		return error;
	tend_error_clear();
	if (v->type != VAL_LIST) {
		*out = NULL;
		return 0;
	}
	*out = val_list();
	for (size_t i = 0; i < v->u.list.nr; i++) {
		struct val *it;

		if ((error = ff_render(&it, v->u.list.items[i], env)) < 0) {
			val_unref(*out);
			return error;
		}
		if (it)
			val_list_push(*out, it);
	}
	return 0;
}

/* Python's _split_on: strings split at any of `seps`, lists spread. */
static int ff_split(struct val *out, const struct val *v, const char *seps)
{
	int error = 0;

	if (!v)
		return 0;
	if (v->type == VAL_LIST) {
		for (size_t i = 0; !error && i < v->u.list.nr; i++)
			error = ff_split(out, v->u.list.items[i], seps);
		return error;
	}
	if (!val_cstr(v))
		return tend_error_set("lookup('first_found'): files and paths "
				      "must be strings, got a %s",
				      template_type_name(v));
	for (const char *s = v->u.s.ptr;;) {
		size_t n = strcspn(s, seps);

		val_list_push(out, val_strn(s, n));
		if (!s[n])
			break;
		s += n + 1;
	}
	return 0;
}

static const struct val *ff_opt(const struct val *dict, const char *name,
				const struct lookup_env *env)
{
	return dict ? val_dict_get(dict, name) : lookup_opt(env, name);
}

static int ff_term(struct ff *f, const struct val *term)
{
	const struct val *d = term->type == VAL_DICT ? term : NULL;
	struct val *files = NULL, *paths = NULL, *fl = val_list(),
		   *pl = val_list(), *skip = NULL;
	int error = 0;

	for (size_t i = 0; d && i < d->u.dict.nr; i++)
		if (strcmp(d->u.dict.items[i].key, "files") &&
		    strcmp(d->u.dict.items[i].key, "paths") &&
		    strcmp(d->u.dict.items[i].key, "skip"))
			error = tend_error_set("lookup('first_found'): option "
					       "'%s' is not supported",
					       d->u.dict.items[i].key);
	if (!error && ff_opt(d, "files", f->env))
		error = ff_render(&files, ff_opt(d, "files", f->env), f->env);
	if (!error && ff_opt(d, "paths", f->env))
		error = ff_render(&paths, ff_opt(d, "paths", f->env), f->env);
	if (!error && ff_opt(d, "skip", f->env))
		error = ff_render(&skip, ff_opt(d, "skip", f->env), f->env);
	if (!error)
		error = ff_split(fl, files, ",;");
	if (!error)
		error = ff_split(pl, paths, ",:;");
	if (!error && skip)
		f->skip = truth_python(skip);
	for (size_t p = 0; !error && p < pl->u.list.nr; p++)
		for (size_t k = 0; k < fl->u.list.nr; k++)
			val_list_push(f->search,
				      val_strf("%s/%s",
					       val_cstr(pl->u.list.items[p]),
					       val_cstr(fl->u.list.items[k])));
	if (!error && !pl->u.list.nr && fl->u.list.nr) {
		/* as Ansible: the files replace what earlier terms gave */
		val_unref(f->search);
		f->search = val_ref(fl);
	} else if (!error && !pl->u.list.nr && !d) {
		val_list_push(f->search, val_ref((struct val *)term));
	}
	val_unref(files);
	val_unref(paths);
	val_unref(skip);
	val_unref(fl);
	val_unref(pl);
	return error;
}

static int ff_terms(struct ff *f, const struct val *terms)
{
	int error = 0;

	for (size_t i = 0; !error && i < terms->u.list.nr; i++) {
		const struct val *t = terms->u.list.items[i];

		if (t->type == VAL_LIST)
			error = ff_terms(f, t);
		else if (t->type == VAL_DICT || t->type == VAL_STR)
			error = ff_term(f, t);
		else
			error = tend_error_set("Invalid term supplied, can "
					       "handle string, mapping or list "
					       "of strings but got: %s",
					       template_type_name(t));
	}
	return error;
}

int lookup_first_found(struct val *out, const struct val *terms,
		       const struct lookup_env *env)
{
	struct ff f = { val_list(), false, env };
	const char *subdir = env->subdir ? env->subdir : "files";
	int error = ff_terms(&f, terms);

	for (size_t i = 0; !error && i < f.search->u.list.nr; i++) {
		struct buf path = BUF_INIT;
		struct val *fn = NULL;
		int found;

		error = env->render(&fn, f.search->u.list.items[i], env->scope,
				    env->payload);
		if (error == TEND_EUNDEFINED) {
			tend_error_clear();
			error = 0;
			continue;
		}
		if (!error && !val_cstr(fn))
			error = tend_error_set("lookup('first_found'): a file "
					       "name is a %s, not a string",
					       template_type_name(fn));
		if (error < 0) {
			val_unref(fn);
			break;
		}
		found = find_file(&path, env, subdir, val_cstr(fn));
		val_unref(fn);
		if (found > 0) {
			val_list_push(out, template_str_result(&path));
			val_unref(f.search);
			return 0;
		}
		buf_release(&path);
		error = found;
	}
	val_unref(f.search);
	if (error < 0)
		return error;
	if (f.skip)
		return 0;
	return tend_error_set_code(TEND_ENOTFOUND, "No file was found when "
				   "using first_found.");
}

/*
 * fileglob: the regular files matching a pattern in one directory.
 */
static int glob_dir(struct val *out, const struct lookup_env *env,
		    const char *dir, const char *pattern)
{
	struct buf full = BUF_INIT;
	glob_t g;
	int error = 0, rc;

	if (fs_exists_beneath(lookup_root(env), dir) < 0)
		return tend_error_prefix("lookup('fileglob', '%s')", pattern);
	buf_addf(&full, "%s/%s", dir, pattern);
	rc = glob(full.ptr, 0, NULL, &g);
	buf_release(&full);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc)
		return tend_error_set("lookup('fileglob', '%s'): cannot read "
				      "'%s'", pattern, dir);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *p = g.gl_pathv[i];
		struct stat st;

		if (fs_exists_beneath(lookup_root(env), p) <= 0) {
			tend_error_clear();
			continue;
		}
		if (!stat(p, &st) && S_ISREG(st.st_mode))
			val_list_push(out, val_str(p));
	}
	globfree(&g);
	return error;
}

int lookup_fileglob(struct val *out, const struct val *terms,
		    const struct lookup_env *env)
{
	for (size_t i = 0; i < terms->u.list.nr; i++) {
		const char *term, *slash, *base;
		size_t before = out->u.list.nr;
		struct buf dir = BUF_INIT, sub = BUF_INIT, absbase = BUF_INIT;
		int error;

		base = abs_basedir(&absbase, env) ? absbase.ptr : NULL;

		if ((error = need_str(&term, terms->u.list.items[i],
				      "fileglob")) < 0)
			return error;
		slash = strrchr(term, '/');
		if (slash) {
			buf_add(&sub, term, (size_t)(slash - term));
			if (!sub.len)
				buf_sets(&sub, "/");
			error = find_file(&dir, env, "files", sub.ptr);
			if (error > 0)
				error = glob_dir(out, env, dir.ptr, slash + 1);
		} else {
			buf_addf(&dir, "%s/files", base ? base : ".");
			error = glob_dir(out, env, dir.ptr, term);
			if (!error && out->u.list.nr == before)
				error = glob_dir(out, env, base ? base : ".",
						 term);
		}
		buf_release(&dir);
		buf_release(&sub);
		buf_release(&absbase);
		if (error < 0)
			return error;
	}
	return 0;
}

/*
 * pipe and lines: a command on the controller, never for an untrusted
 * source (it would run the committer's code on the machine that holds
 * the keys).
 */
static int run_command(struct buf *out, const struct lookup_env *env,
		       const struct val *term, const char *who)
{
	const char *cmd;
	int status, error;

	if ((error = need_str(&cmd, term, who)) < 0)
		return error;
	if (scope_limits(env->scope)->untrusted)
		return tend_error_set_code(TEND_EREFUSED,
			"lookup('%s'): refusing to run a command on the "
			"controller for an untrusted source (--trust-source "
			"if you trust the commit)", who);
	if ((error = proc_sh(out, &status, cmd, scope_basedir(env->scope))) < 0)
		return error;
	if (status)
		return tend_error_set("lookup_plugin.%s(%s) returned %d", who,
				      cmd, status);
	return 0;
}

int lookup_pipe(struct val *out, const struct val *terms,
		const struct lookup_env *env)
{
	for (size_t i = 0; i < terms->u.list.nr; i++) {
		struct buf b = BUF_INIT;
		int error = run_command(&b, env, terms->u.list.items[i], "pipe");

		if (error < 0) {
			buf_release(&b);
			return error;
		}
		buf_rtrim(&b);
		val_list_push(out, template_str_result(&b));
	}
	return 0;
}

int lookup_lines(struct val *out, const struct val *terms,
		 const struct lookup_env *env)
{
	for (size_t i = 0; i < terms->u.list.nr; i++) {
		struct buf b = BUF_INIT;
		int error = run_command(&b, env, terms->u.list.items[i],
					"lines");

		/* Python's splitlines(): \n, \r\n and \r end a line */
		for (size_t s = 0, e = 0; !error && s < b.len; s = e) {
			size_t n = strcspn(b.ptr + s, "\r\n");

			e = s + n;
			val_list_push(out, val_strn(b.ptr + s, n));
			if (e < b.len && b.ptr[e] == '\r' && e + 1 < b.len &&
			    b.ptr[e + 1] == '\n')
				e++;
			if (e < b.len)
				e++;
		}
		buf_release(&b);
		if (error < 0)
			return error;
	}
	return 0;
}
