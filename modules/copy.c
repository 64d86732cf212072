#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"

#include <dirent.h>
#include <sys/stat.h>

/*
 * copy: a file from the controller (src) or inline (content) to dest.
 * The remote half (dest resolution, plan, atomic write) is shared with
 * template in modfile.c.
 */

static const struct arg_spec copy_args[] = {
	{ "src", ARG_PATH, ARG_LOCAL_FILE, NULL, NULL, NULL,
	  "file on the controller (looked up in files/ first)" },
	{ "content", ARG_ANY, 0, NULL, NULL, NULL,
	  "the content itself, instead of src" },
	{ "dest", ARG_PATH, ARG_REQUIRED, NULL, NULL, NULL,
	  "remote path; a directory or a path ending in '/' gets src's name" },
	{ "backup", ARG_BOOL, 0, NULL, NULL, "no",
	  "keep the old file as DEST.PID.DATE~" },
	{ "force", ARG_BOOL, 0, NULL, NULL, "yes",
	  "replace a file whose content differs (no: only create)" },
	{ "directory_mode", ARG_MODE, 0, NULL, NULL, NULL,
	  "permissions of directories created for dest" },
	{ "validate", ARG_STR, 0, NULL, NULL, NULL,
	  "command to check the new file first; %s is its path" },
	{ "follow", ARG_BOOL, 0, NULL, NULL, "no",
	  "write through a symlink at dest instead of replacing it" },
	{ "remote_src", ARG_BOOL, 0, NULL, NULL, "no",
	  "src is a file on the host, not on the controller" },
	{ "local_follow", ARG_BOOL, 0, NULL, NULL, "yes",
	  "follow symlinks in a directory src on the controller" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/*
 * remote_src: the probe reads src on the host first ("rsrc LEN", then its
 * bytes; or "rsrc absent|dir|unreadable"), then dest as for any copy.
 */
static int remote_probe(struct probe *out, const struct task_ctx *ctx,
			const char *src)
{
	struct buf none = BUF_INIT;
	struct buf *s = &out->script;

	buf_adds(s, "LC_ALL=C; export LC_ALL\ns=");
	sh_quote(s, src);
	buf_adds(s, "\nif [ -d \"$s\" ]; then echo 'rsrc dir'\n"
		 "elif [ ! -e \"$s\" ]; then echo 'rsrc absent'\n"
		 "elif [ ! -r \"$s\" ]; then echo 'rsrc unreadable'\n"
		 "else n=$(wc -c < \"$s\") || exit 1; echo \"rsrc $((n))\"\n"
		 "\thead -c \"$((n))\" < \"$s\" || exit 1; echo\nfi\n");
	return file_copy_probe(out, ctx, src, &none);
}

/* The remote src's bytes into the copy; `res` is left at dest's part. */
static int remote_judge(struct probe *p, const struct task_ctx *ctx,
			struct exec_result *res)
{
	const char *src = arg_str(ctx, "src"), *o = res->out.ptr;
	unsigned long long len;
	int n = 0;

	if (res->status)
		return tend_error_set("cannot read '%s': %s", src,
				      res->err.len ? res->err.ptr :
				      "script failed");
	if (!strncmp(o, "rsrc absent\n", 12))
		return tend_error_set("Source %s not found", src);
	if (!strncmp(o, "rsrc unreadable\n", 16))
		return tend_error_set("Source %s not readable", src);
	if (!strncmp(o, "rsrc dir\n", 9))
		return tend_error_set("NEEDSWORK: copying the directory '%s' "
				      "with remote_src is not supported yet",
				      src);
	if (sscanf(o, "rsrc %llu\n%n", &len, &n) != 1 || !n ||
	    len >= res->out.len - (size_t)n || o[n + len] != '\n')
		return tend_error_set("cannot parse the reply of the host");
	file_copy_set_content(p, o + n, (size_t)len);
	res->out.ptr += (size_t)n + len + 1;
	res->out.len -= (size_t)n + len + 1;
	return 0;
}

/*
 * A directory src on the controller, copied as Ansible's copy action
 * does: `src: dir` makes DEST/dir, `src: dir/` fills DEST with dir's
 * contents. Each file is a copy (mode, owner, group; a new one gets
 * 0666 less the umask); each directory below src is made as the file
 * module would (directory_mode, owner, group applied to it); DEST and
 * DEST/dir get directory_mode only when they are made. One probe reads
 * every path (files with their content, for diffs); apply makes the
 * directories in one round trip, then writes each changed file.
 */
struct tree_file {
	char *path;           /* on the host */
	struct buf data;
	struct file_state st;
	bool change;
};

struct tree_dir {
	char *path;
	bool top;             /* DEST, DEST/dir: made, never changed */
	bool create, chmod, chown, chgrp;
	struct file_state st;
};

struct tree_plan {
	struct tree_file *files;
	size_t nfiles;
	struct tree_dir *dirs;
	size_t ndirs;
	char *dest;           /* DEST/ */
	char *src;            /* the controller's directory */
};

static void tree_free(void *p)
{
	struct tree_plan *tp = p;

	for (size_t i = 0; i < tp->nfiles; i++) {
		free(tp->files[i].path);
		buf_release(&tp->files[i].data);
		file_state_release(&tp->files[i].st);
	}
	for (size_t i = 0; i < tp->ndirs; i++) {
		free(tp->dirs[i].path);
		file_state_release(&tp->dirs[i].st);
	}
	free(tp->files);
	free(tp->dirs);
	free(tp->dest);
	free(tp->src);
	free(tp);
}

static void tree_add_dir(struct tree_plan *tp, const char *path, bool top)
{
	struct tree_dir *d;

	tp->dirs = xrealloc(tp->dirs, (tp->ndirs + 1) * sizeof(*tp->dirs));
	d = &tp->dirs[tp->ndirs++];
	memset(d, 0, sizeof(*d));
	d->path = xstrdup(path);
	d->top = top;
	file_state_init(&d->st);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of `dir`, sorted, without . and .. (NULL-terminated). */
static char **list_dir(const char *dir, size_t *nr)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;

	*nr = 0;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = xrealloc(names, (*nr + 1) * sizeof(*names));
		names[(*nr)++] = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (*nr)
		qsort(names, *nr, sizeof(*names), name_cmp);
	return names;
}

/* Walk the controller's `dir` (following symlinks) into tp at `to`. */
static int tree_walk(struct tree_plan *tp, const struct task_ctx *ctx,
		     const char *dir, const char *to, int depth)
{
	size_t nr;
	char **names = list_dir(dir, &nr);
	struct buf from = BUF_INIT, dst = BUF_INIT;
	int error = 0;

	if (depth > 64)
		error = tend_error_set("'%s': too deep (a symlink loop?)", dir);
	for (size_t i = 0; i < nr && !error; i++) {
		struct stat sb;

		buf_reset(&from);
		buf_reset(&dst);
		buf_addf(&from, "%s/%s", dir, names[i]);
		buf_addf(&dst, "%s%s", to, names[i]);
		if (stat(from.ptr, &sb) < 0) {
			error = tend_error_set("cannot read '%s': %s", from.ptr,
					       strerror(errno));
		} else if (S_ISDIR(sb.st_mode)) {
			tree_add_dir(tp, dst.ptr, false);
			buf_addch(&dst, '/');
			error = tree_walk(tp, ctx, from.ptr, dst.ptr, depth + 1);
		} else {
			struct tree_file *f;

			tp->files = xrealloc(tp->files, (tp->nfiles + 1) *
					     sizeof(*tp->files));
			f = &tp->files[tp->nfiles++];
			memset(f, 0, sizeof(*f));
			f->path = xstrdup(dst.ptr);
			buf_init(&f->data, 0);
			file_state_init(&f->st);
			error = task_read_file(&f->data, ctx, from.ptr);
		}
	}
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	buf_release(&from);
	buf_release(&dst);
	return error;
}

static int tree_probe(struct probe *out, const struct task_ctx *ctx,
		      const char *path)
{
	const char *src = arg_str(ctx, "src"), *dest = arg_str(ctx, "dest");
	struct tree_plan *tp = xcalloc(1, sizeof(*tp));
	struct buf d = BUF_INIT, *s = &out->script;
	size_t len = strlen(src);
	int error;

	out->priv = tp;
	out->priv_free = tree_free;
	if (!arg_bool(ctx, "local_follow", true))
		return tend_error_set("NEEDSWORK: local_follow: no (copying "
				      "symlinks as links) is not supported "
				      "yet");
	tp->src = xstrdup(path);
	buf_adds(&d, dest);
	if (!d.len || d.ptr[d.len - 1] != '/')
		buf_addch(&d, '/');
	tp->dest = xstrdup(d.ptr);
	tree_add_dir(tp, d.ptr, true);
	if (src[len - 1] != '/') {
		const char *slash = strrchr(src, '/');

		buf_adds(&d, slash ? slash + 1 : src);
		tree_add_dir(tp, d.ptr, true);
		buf_addch(&d, '/');
	}
	if ((error = tree_walk(tp, ctx, path, d.ptr, 0)) < 0)
		goto out;
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(s);
	for (size_t i = 0; i < tp->ndirs; i++) {
		buf_adds(s, "tend_probe ");
		sh_quote(s, tp->dirs[i].path);
		buf_adds(s, " '' n || exit 1\n");
	}
	for (size_t i = 0; i < tp->nfiles; i++) {
		buf_adds(s, "tend_probe ");
		sh_quote(s, tp->files[i].path);
		buf_adds(s, " '' C || exit 1\n");
	}
out:
	buf_release(&d);
	return error;
}

/* Whether a wanted owner or group (a name or a number) differs. */
static bool id_other(const char *want, const char *name, long long id)
{
	char *end;
	long long n;

	if (!want || !strcmp(want, name))
		return false;
	n = strtoll(want, &end, 10);
	return !(*want && !*end && n == id);
}

/* One directory's plan into out->changes; sets *changed. */
static int tree_judge_dir(struct check_result *out, const struct task_ctx *ctx,
			  struct tree_dir *d, bool *changed)
{
	const struct val *dmode = arg_get(ctx, "directory_mode");
	const char *owner = arg_str(ctx, "owner");
	const char *group = arg_str(ctx, "group");
	unsigned int m;

	if (val_is(dmode, VAL_NULL))
		dmode = NULL;
	if (d->st.exists && d->st.type != 'd')
		return tend_error_set("'%s' exists and is not a directory",
				      d->path);
	if (!d->st.exists) {
		buf_addf(&out->changes, "%s: state: absent -> directory\n",
			 d->path);
		d->create = *changed = true;
		return 0;
	}
	if (d->top)
		return 0;
	if (dmode) {
		if (mode_parse(&m, dmode, d->st.mode, true) < 0)
			return -1;
		if (m != d->st.mode) {
			struct buf a = BUF_INIT;

			mode_format(&a, d->st.mode);
			buf_addf(&out->changes, "%s: mode: %s -> ", d->path,
				 a.ptr);
			mode_format(&out->changes, m);
			buf_addch(&out->changes, '\n');
			buf_release(&a);
			d->chmod = *changed = true;
		}
	}
	if (id_other(owner, d->st.owner, d->st.uid)) {
		buf_addf(&out->changes, "%s: owner: %s -> %s\n", d->path,
			 d->st.owner, owner);
		d->chown = *changed = true;
	}
	if (id_other(group, d->st.group, d->st.gid)) {
		buf_addf(&out->changes, "%s: group: %s -> %s\n", d->path,
			 d->st.group, group);
		d->chgrp = *changed = true;
	}
	return 0;
}

static void tree_want(struct file_want *w, const struct task_ctx *ctx,
		      const struct tree_file *f)
{
	const struct val *mode = arg_get(ctx, "mode");

	memset(w, 0, sizeof(*w));
	w->path = f->path;
	w->content = f->data.ptr;
	w->content_len = f->data.len;
	w->mode = val_is(mode, VAL_NULL) ? NULL : mode;
	w->owner = arg_str(ctx, "owner");
	w->group = arg_str(ctx, "group");
	w->backup = arg_bool(ctx, "backup", false);
	w->validate = arg_str(ctx, "validate");
}

/* One file's plan: its changes, each line prefixed by its path. */
static int tree_judge_file(struct check_result *out,
			   const struct task_ctx *ctx, struct tree_file *f,
			   bool *changed)
{
	struct check_result one;
	struct file_want w;
	int error = 0;

	check_result_init(&one);
	tree_want(&w, ctx, f);
	if (f->st.exists && !arg_bool(ctx, "force", true))
		goto out;
	if ((error = file_plan(&one, &f->st, &w)) < 0)
		goto out;
	if (one.status == CHECK_CHANGE) {
		const char *line = one.changes.ptr;

		f->change = *changed = true;
		while (*line) {
			const char *nl = strchr(line, '\n');
			size_t n = nl ? (size_t)(nl - line) : strlen(line);

			buf_addf(&out->changes, "%s: %.*s\n", f->path, (int)n,
				 line);
			line += n + (nl ? 1 : 0);
		}
		if (one.msg.len)
			buf_addf(&out->changes, "%s: %s\n", f->path,
				 one.msg.ptr);
		buf_addbuf(&out->diff, &one.diff);
	}
	error = 0;
out:
	check_result_release(&one);
	return error;
}

static int tree_judge(struct check_result *out, const struct task_ctx *ctx,
		      struct probe *p, const struct exec_result *res)
{
	struct tree_plan *tp = p->priv;
	bool changed = false;
	size_t pos = 0;
	int error = 0;

	if (res->status)
		return tend_error_set("cannot read '%s': %s", tp->dest,
				      res->err.len ? res->err.ptr :
				      "script failed");
	for (size_t i = 0; i < tp->ndirs && !error; i++)
		if (!(error = file_state_parse(&tp->dirs[i].st, &res->out,
					       &pos)))
			error = tree_judge_dir(out, ctx, &tp->dirs[i], &changed);
	for (size_t i = 0; i < tp->nfiles && !error; i++)
		if (!(error = file_state_parse(&tp->files[i].st, &res->out,
					       &pos)))
			error = tree_judge_file(out, ctx, &tp->files[i],
						&changed);
	if (error < 0)
		return error;
	out->status = changed ? CHECK_CHANGE : CHECK_OK;
	out->result = val_dict();
	val_dict_set_str(out->result, "dest", tp->dest);
	val_dict_set_str(out->result, "src", tp->src);
	out->priv = tp;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	return 0;
}

/* The directories: made (parents first), then their attributes. */
static int tree_apply_dirs(const struct task_ctx *ctx,
			   const struct tree_plan *tp)
{
	const struct val *dmode = arg_get(ctx, "directory_mode");
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	unsigned int m = 0;
	bool any = false;
	int error = 0;

	if (val_is(dmode, VAL_NULL))
		dmode = NULL;
	for (size_t i = 0; i < tp->ndirs; i++) {
		const struct tree_dir *d = &tp->dirs[i];

		if (!d->create && !d->chmod && !d->chown && !d->chgrp)
			continue;
		any = true;
		buf_adds(&s, "p=");
		sh_quote(&s, d->path);
		buf_addch(&s, '\n');
		if (d->create)
			buf_adds(&s, "mkdir -p -- \"$p\" || exit 1\n");
		if (dmode && (d->create || d->chmod)) {
			if (mode_parse(&m, dmode, d->st.exists ? d->st.mode :
				       0755, true) < 0) {
				error = -1;
				goto out;
			}
			buf_addf(&s, "chmod %o \"$p\" || exit 1\n", m);
		}
		if (arg_str(ctx, "owner") && (d->create || d->chown)) {
			buf_adds(&s, "chown -- ");
			sh_quote(&s, arg_str(ctx, "owner"));
			buf_adds(&s, " \"$p\" || exit 1\n");
		}
		if (arg_str(ctx, "group") && (d->create || d->chgrp)) {
			buf_adds(&s, "chgrp -- ");
			sh_quote(&s, arg_str(ctx, "group"));
			buf_adds(&s, " \"$p\" || exit 1\n");
		}
	}
	if (!any)
		goto out;
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) >= 0 && res.status)
		error = tend_error_set("cannot create directories under '%s': "
				       "%s", tp->dest, res.err.ptr);
out:
	exec_result_release(&res);
	buf_release(&s);
	return error;
}

/*
 * The directories in one round trip, then each changed file (one round
 * trip each: NEEDSWORK, all files in one).
 */
static int tree_apply(struct apply_result *out, const struct task_ctx *ctx,
		      const struct check_result *planned)
{
	const struct tree_plan *tp = planned->priv;
	int error;

	if ((error = tree_apply_dirs(ctx, tp)) < 0)
		return error;
	for (size_t i = 0; i < tp->nfiles; i++) {
		struct apply_result one;
		struct file_want w;

		if (!tp->files[i].change)
			continue;
		apply_result_init(&one);
		tree_want(&w, ctx, &tp->files[i]);
		error = file_write(&one, ctx, &w, &tp->files[i].st);
		apply_result_release(&one);
		if (error < 0)
			return error;
	}
	out->changed = true;
	out->result = val_dict();
	val_dict_set_str(out->result, "dest", tp->dest);
	val_dict_set_str(out->result, "src", tp->src);
	return 0;
}

/* The probe: the content to copy (from `content` or `src`), then dest's. */
static int copy_probe(struct probe *out, const struct task_ctx *ctx)
{
	const struct val *content = arg_get(ctx, "content");
	const char *src = arg_str(ctx, "src");
	struct buf data = BUF_INIT;
	char *path = NULL;
	int error;

	if (val_is(content, VAL_NULL))
		content = NULL;
	if (content && src)
		return tend_error_set("src and content are mutually exclusive");
	if (!content && !src)
		return tend_error_set("src (or content) is required");
	if (src && arg_bool(ctx, "remote_src", false))
		return remote_probe(out, ctx, src);
	if (content) {
		if (val_is(content, VAL_LIST) || val_is(content, VAL_DICT))
			val_to_json_text(&data, content, 0);
		else
			val_to_text(&data, content);
	} else {
		struct stat sb;

		if ((error = task_find_file(&path, ctx, "files", src)) < 0)
			goto out;
		if (!stat(path, &sb) && S_ISDIR(sb.st_mode)) {
			error = tree_probe(out, ctx, path);
			goto out;
		}
		if ((error = task_read_file(&data, ctx, path)) < 0)
			goto out;
	}
	error = file_copy_probe(out, ctx, path, &data);
out:
	buf_release(&data);
	free(path);
	return error;
}

/* The judge: the file's plan; a secret's content never shows in a diff. */
static int copy_judge(struct check_result *out, const struct task_ctx *ctx,
		      struct probe *p, const struct exec_result *res)
{
	const struct val *content = arg_get(ctx, "content");
	struct exec_result rest = *res;
	int error;

	if (p->priv_free == tree_free)
		return tree_judge(out, ctx, p, res);
	/* rest shares res's bytes: it is never released */
	if (arg_str(ctx, "src") && arg_bool(ctx, "remote_src", false) &&
	    (error = remote_judge(p, ctx, &rest)) < 0)
		return error;
	error = file_copy_judge(out, ctx, p, &rest);

	if (!error && content && val_holds_secret(content) && out->diff.len) {
		buf_reset(&out->diff);
		buf_sets(&out->msg, "content hidden (secret)");
	}
	return error;
}

static const char *const copy_exclusive[] = { "content|src", NULL };

static int copy_apply(struct apply_result *out, const struct task_ctx *ctx,
		      const struct check_result *planned)
{
	if (planned->priv_free == tree_free)
		return tree_apply(out, ctx, planned);
	return file_copy_apply(out, ctx, planned);
}

const struct tend_module mod_copy = {
	.name = "copy",
	.flags = MOD_NO_ASYNC | MOD_FILE_ARGS,
	.args = copy_args,
	.exclusive = copy_exclusive,
	.files_dir = "files",
	.doc = "copy a file or inline content to the host",
	.returns =
		"dest: the file written (a directory dest: with src's name)\n"
		"src: the controller's file, for a src (its path)\n"
		"checksum: SHA-1 of the content\n"
		"backup_file: the copy made with backup: yes\n"
		"mode, owner, group, uid, gid, size, state: of dest after the task\n",
	.example =
		"- copy:\n"
		"    src: app.conf\n"
		"    dest: /etc/app/app.conf\n"
		"    owner: root\n"
		"    mode: \"0644\"\n"
		"    backup: yes\n"
		"- copy:\n"
		"    content: \"{{ motd }}\\n\"\n"
		"    dest: /etc/motd\n",
	.probe = copy_probe,
	.judge = copy_judge,
	.apply = copy_apply,
};
