#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/data/yaml.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/util/regex.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * include_vars: load variables from YAML/JSON files on the controller,
 * as Ansible 2.14's action plugin does. They land in the host's
 * include_vars scope (the engine puts it above task vars and below
 * set_fact: MOD_INCLUDE_VARS). Every file is read through
 * yaml_load_input, so it is confined to a git source's checkout, goes to
 * the run's read log and is decrypted as any vault file is.
 */

static const char *const hash_choices[] = { "replace", NULL };

static const struct arg_spec include_vars_args[] = {
	{ "file", ARG_PATH, ARG_LOCAL_FILE, NULL, NULL, NULL,
	  "The file to load: looked for in vars/ beside the playbook, then "
	  "beside the playbook (or give it free-form)." },
	{ "dir", ARG_PATH, 0, NULL, NULL, NULL,
	  "A directory (beside the playbook when relative) whose files are "
	  "loaded in sorted order." },
	{ "name", ARG_STR, 0, NULL, NULL, NULL,
	  "Put the loaded variables under this one variable." },
	{ "depth", ARG_INT, 0, NULL, NULL, "0",
	  "With dir: how many directories of the sorted walk to load (0: "
	  "all), as Ansible counts them." },
	{ "files_matching", ARG_STR, 0, NULL, NULL, NULL,
	  "With dir: load only file names this regex finds." },
	{ "ignore_files", ARG_LIST, 0, NULL, NULL, NULL,
	  "With dir: skip file names matching one of these regexes (at "
	  "the end of the name)." },
	{ "extensions", ARG_LIST, 0, NULL, NULL, "yaml,yml,json",
	  "With dir: the file extensions to load." },
	{ "ignore_unknown_extensions", ARG_BOOL, 0, NULL, NULL, "no",
	  "With dir: skip files of other extensions instead of failing." },
	{ "hash_behaviour", ARG_STR, 0, NULL, hash_choices, NULL,
	  "Only 'replace' (Ansible's default); 'merge' is not supported "
	  "yet." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* What one include_vars call gathers. */
struct gather {
	const struct task_ctx *ctx;
	struct val *vars;  /* merged variables */
	struct val *files; /* the files read, in order */
	struct regex *matching;
	struct val *ignore; /* compiled as "PATTERN$" on use */
};

/*
 * `path` as Ansible reports it: absolute, without "./" steps (a playbook
 * given as "site.yml" has the base directory ".").
 */
static void abs_path(struct buf *out, const char *path)
{
	char cwd[PATH_MAX];
	const char *p = path;

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		buf_adds(out, strcmp(cwd, "/") ? cwd : "");
	/* each segment but "." and empty ones ('..' stays: no symlinks) */
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n && !(n == 1 && p[0] == '.')) {
			buf_addch(out, '/');
			buf_add(out, p, n);
		}
		p += n + (p[n] == '/');
	}
	if (!out->len)
		buf_addch(out, '/');
}

/* Load one file's dict into g->vars (later files win, key by key). */
static int load_one(struct gather *g, const char *name)
{
	struct diags d = DIAGS_INIT;
	struct val *doc = NULL;
	struct buf abs = BUF_INIT;
	const char *path;
	int error;

	abs_path(&abs, name);
	path = abs.ptr;
	error = yaml_load_input(&doc, g->ctx->root, path, &d);
	if (error == TEND_EPARSE)
		error = tend_error_set("%s", d.nr ? d.items[0] :
				       "invalid vars file");
	diags_release(&d);
	if (error == 0) {
		val_list_push(g->files, val_str(path));
		if (doc->type == VAL_DICT)
			val_dict_update(g->vars, doc, false);
		else if (doc->type != VAL_NULL)
			error = tend_error_set("%s must be stored as a "
					       "dictionary/hash", path);
	}
	val_unref(doc);
	buf_release(&abs);
	return error;
}

/* The extension check of Ansible's _is_valid_file_ext. */
static bool valid_ext(const struct task_ctx *ctx, const char *name)
{
	const struct val *exts = arg_get(ctx, "extensions");
	const char *dot = strrchr(name, '.');
	const char *ext = dot && dot != name ? dot + 1 : "";

	if (!exts || val_is(exts, VAL_NULL))
		return !strcmp(ext, "yaml") || !strcmp(ext, "yml") ||
		       !strcmp(ext, "json");
	for (size_t i = 0; i < val_len(exts); i++)
		if (val_cstr(exts->u.list.items[i]) &&
		    !strcmp(val_cstr(exts->u.list.items[i]), ext))
			return true;
	return false;
}

/* Ansible's _ignore_file: re.search(PATTERN + '$', name). */
static int ignored(bool *out, struct gather *g, const char *name)
{
	*out = false;
	for (size_t i = 0; i < val_len(g->ignore) && !*out; i++) {
		struct buf pat = BUF_INIT;
		struct regex *re = NULL;
		struct regex_match m = REGEX_MATCH_INIT;
		int error;

		buf_addf(&pat, "%s$", val_cstr(g->ignore->u.list.items[i]) ?
			 val_cstr(g->ignore->u.list.items[i]) : "");
		error = regex_compile(&re, pat.ptr, 0);
		if (!error)
			error = regex_exec(&m, re, name, strlen(name), 0,
					   REGEX_SEARCH);
		*out = !error && m.matched;
		regex_match_release(&m);
		regex_free(re);
		buf_release(&pat);
		if (error < 0)
			return error;
	}
	return 0;
}

static int matches(bool *out, struct gather *g, const char *name)
{
	struct regex_match m = REGEX_MATCH_INIT;
	int error;

	*out = true;
	if (!g->matching)
		return 0;
	error = regex_exec(&m, g->matching, name, strlen(name), 0,
			   REGEX_SEARCH);
	*out = !error && m.matched;
	regex_match_release(&m);
	return error;
}

/* One file of a directory, as _load_files_in_dir takes it. */
static int dir_file(struct gather *g, const char *dir, const char *name)
{
	struct buf path = BUF_INIT;
	bool want, skip;
	int error;

	if ((error = matches(&want, g, name)) < 0 || !want ||
	    (error = ignored(&skip, g, name)) < 0 || skip)
		return error;
	if (!valid_ext(g->ctx, name)) {
		const struct val *exts = arg_get(g->ctx, "extensions");
		struct buf list = BUF_INIT;

		if (arg_bool(g->ctx, "ignore_unknown_extensions", false))
			return 0;
		for (size_t i = 0; i < val_len(exts); i++)
			buf_addf(&list, "%s%s", i ? ", " : "",
				 val_cstr(exts->u.list.items[i]) ?
				 val_cstr(exts->u.list.items[i]) : "");
		error = tend_error_set("%s/%s does not have a valid extension: "
				       "%s", dir, name, list.len ? list.ptr :
				       "yaml, yml, json");
		buf_release(&list);
		return error;
	}
	buf_addf(&path, "%s/%s", dir, name);
	error = load_one(g, path.ptr);
	buf_release(&path);
	return error;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * One directory of the walk: `out` gets [DIR, FILE...] (files sorted),
 * and the subdirectories are walked after, as os.walk with followlinks
 * lists them (the caller sorts the walk by directory).
 */
static int walk(struct val *out, const struct task_ctx *ctx,
		const char *dir, int level)
{
	struct val *entry = val_list(), *subdirs = val_list();
	char **files = NULL;
	size_t nr = 0, alloc = 0;
	struct dirent *de;
	DIR *dh;
	int fd, error = 0;

	if (level > 40)
		return tend_error_set("'%s': directories nested too deep", dir);
	if ((fd = fs_open_beneath(ctx->root, dir,
				  O_RDONLY | O_DIRECTORY)) < 0)
		return fd;
	if (!(dh = fdopendir(fd))) {
		close(fd);
		return tend_error_set("cannot read directory '%s': %s", dir,
				      strerror(errno));
	}
	while ((de = readdir(dh))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(dh), de->d_name, &st, 0) == 0 &&
		    S_ISDIR(st.st_mode)) {
			struct buf sub = BUF_INIT;

			buf_addf(&sub, "%s/%s", dir, de->d_name);
			val_list_push(subdirs, val_str(sub.ptr));
			buf_release(&sub);
			continue;
		}
		if (nr == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			files = xrealloc(files, alloc * sizeof(*files));
		}
		files[nr++] = xstrdup(de->d_name);
	}
	closedir(dh);
	qsort(files, nr, sizeof(*files), cmp_str);
	val_list_push(entry, val_str(dir));
	for (size_t i = 0; i < nr; i++) {
		val_list_push(entry, val_str(files[i]));
		free(files[i]);
	}
	free(files);
	val_list_push(out, entry);
	for (size_t i = 0; i < val_len(subdirs) && !error; i++)
		error = walk(out, ctx, val_cstr(subdirs->u.list.items[i]),
			     level + 1);
	val_unref(subdirs);
	return error;
}

static int cmp_walk(const void *a, const void *b)
{
	const struct val *x = *(struct val *const *)a;
	const struct val *y = *(struct val *const *)b;

	return strcmp(val_cstr(x->u.list.items[0]),
		      val_cstr(y->u.list.items[0]));
}

/*
 * dir: Ansible sorts the whole walk by directory path and counts
 * `depth` in directories of that order, not in levels: depth 1 is the
 * directory itself, depth 2 adds the first subdirectory in sorted order.
 */
static int load_dir(struct gather *g, const char *dir)
{
	const struct task_ctx *ctx = g->ctx;
	long long depth = arg_int(ctx, "depth", 0);
	struct val *dirs = val_list();
	struct buf path = BUF_INIT;
	int error;

	{
		struct buf rel = BUF_INIT;

		if (dir[0] == '/')
			buf_adds(&rel, dir);
		else
			buf_addf(&rel, "%s/%s", ctx->basedir ?
				 ctx->basedir : ".", dir);
		abs_path(&path, rel.ptr);
		buf_release(&rel);
	}
	error = fs_exists_beneath(ctx->root, path.ptr);
	if (error == 0)
		error = tend_error_set("%s directory does not exist", path.ptr);
	if (error > 0)
		error = walk(dirs, ctx, path.ptr, 0);
	if (error == 0)
		qsort(dirs->u.list.items, dirs->u.list.nr,
		      sizeof(*dirs->u.list.items), cmp_walk);
	for (size_t i = 0; error == 0 && i < val_len(dirs); i++) {
		const struct val *e = dirs->u.list.items[i];

		if (depth > 0 && (long long)i >= depth)
			break;
		for (size_t j = 1; error == 0 && j < e->u.list.nr; j++)
			error = dir_file(g, val_cstr(e->u.list.items[0]),
					 val_cstr(e->u.list.items[j]));
	}
	val_unref(dirs);
	buf_release(&path);
	return error;
}

/*
 * Ansible's words for a file it cannot find: the task's directory and
 * the playbook's, each with vars/ first (for a play's own tasks, the
 * same directory twice).
 */
static int not_found(const struct task_ctx *ctx, const char *src)
{
	struct buf base = BUF_INIT, msg = BUF_INIT;
	int error;

	abs_path(&base, ctx->basedir ? ctx->basedir : ".");
	buf_addf(&msg, "Could not find or access '%s'\nSearched in:", src);
	for (int i = 0; i < 2; i++)
		buf_addf(&msg, "\n\t%s/vars/%s\n\t%s/%s", base.ptr, src,
			 base.ptr, src);
	buf_adds(&msg, " on the Ansible Controller.\nIf you are using a "
		 "module and expect the file to exist on the remote, see the "
		 "remote_src option");
	error = tend_error_set_code(TEND_ENOTFOUND, "%s", msg.ptr);
	buf_release(&base);
	buf_release(&msg);
	return error;
}

static int load_file(struct gather *g, const char *src)
{
	char *path = NULL;
	int error;

	error = task_find_file(&path, g->ctx, "vars", src);
	if (error == TEND_ENOTFOUND)
		return not_found(g->ctx, src);
	if (error < 0)
		return error;
	error = load_one(g, path);
	free(path);
	return error;
}

/* The args that only make sense with dir. */
static const char *const dir_only[] = {
	"depth", "files_matching", "ignore_files", "extensions",
	"ignore_unknown_extensions", NULL,
};

static int gather(struct gather *g)
{
	const struct task_ctx *ctx = g->ctx;
	const char *file = arg_str(ctx, "file"), *dir = arg_str(ctx, "dir");
	const char *raw = arg_str(ctx, "_raw_params");
	const char *pat = arg_str(ctx, "files_matching");

	if (raw && (file || dir))
		return tend_error_set("give the file either free-form or as "
				      "'file'/'dir', not both");
	if (raw)
		file = raw;
	if (file && dir)
		return tend_error_set("You are mixing file only and dir only "
				      "arguments, these are incompatible");
	if (!file && !dir)
		return tend_error_set("include_vars needs a file or a dir");
	for (size_t i = 0; file && dir_only[i]; i++)
		if (arg_get(ctx, dir_only[i]))
			return tend_error_set("You are mixing file only and "
					      "dir only arguments, these are "
					      "incompatible ('%s')",
					      dir_only[i]);
	if (file)
		return load_file(g, file);
	if (pat && regex_compile(&g->matching, pat, 0) < 0)
		return -1;
	return load_dir(g, dir);
}

static int include_vars_check(struct check_result *out,
			      const struct task_ctx *ctx)
{
	struct gather g = { .ctx = ctx };
	const struct val *ign = arg_get(ctx, "ignore_files");
	const char *name = arg_str(ctx, "name");
	int error;

	g.vars = val_dict();
	g.files = val_list();
	g.ignore = val_is(ign, VAL_LIST) ? val_ref((struct val *)ign) :
		   val_list();
	if ((error = gather(&g)) == 0) {
		struct val *facts = g.vars;

		if (name) {
			facts = val_dict();
			val_dict_set(facts, name, g.vars);
		}
		g.vars = NULL;
		out->status = CHECK_OK;
		out->result = val_dict();
		val_dict_set(out->result, "ansible_facts", facts);
		val_dict_set(out->result, "ansible_included_var_files",
			     val_ref(g.files));
	} else {
		/* what Ansible registers for a failure */
		out->result = val_dict();
		val_dict_set(out->result, "ansible_facts", val_dict());
		val_dict_set(out->result, "ansible_included_var_files",
			     val_ref(g.files));
		val_dict_set_str(out->result, "message", tend_error_last());
	}
	val_unref(g.vars);
	val_unref(g.files);
	val_unref(g.ignore);
	regex_free(g.matching);
	return error;
}

static const char *const include_vars_keys[] = {
	"file", "dir", "name", "depth", "files_matching", "ignore_files",
	"extensions", "ignore_unknown_extensions", "hash_behaviour", NULL,
};

const struct tend_module mod_include_vars = {
	.name = "include_vars",
	.args = include_vars_args,
	.flags = MOD_NO_ASYNC | MOD_CONTROLLER | MOD_FREE_FORM |
		 MOD_CLEAN_FACTS | MOD_INCLUDE_VARS,
	.doc = "Load variables from YAML/JSON files on the controller.",
	.returns =
		"ansible_facts: the variables loaded (under name: when given)\n"
		"ansible_included_var_files: the files read, by absolute path\n",
	.example =
		"- include_vars:\n"
		"    file: \"{{ ansible_facts.distribution }}.yml\"\n"
		"- include_vars:\n"
		"    dir: vars/site\n"
		"    name: site\n",
	.files_dir = "vars",
	.free_form_keys = include_vars_keys,
	.check = include_vars_check,
};
