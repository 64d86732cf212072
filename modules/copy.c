#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"

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
	{ "mode", ARG_MODE, 0, NULL, NULL, NULL, "permissions of the file" },
	{ "owner", ARG_STR, 0, NULL, NULL, NULL, "owning user" },
	{ "group", ARG_STR, 0, NULL, NULL, NULL, "owning group" },
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
			/* NEEDSWORK: copy a directory recursively. */
			error = tend_error_set("NEEDSWORK: copying the directory "
					       "'%s' is not supported yet", path);
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

const struct tend_module mod_copy = {
	.name = "copy",
	.args = copy_args,
	.exclusive = copy_exclusive,
	.files_dir = "files",
	.doc = "copy a file or inline content to the host",
	.probe = copy_probe,
	.judge = copy_judge,
	.apply = file_copy_apply,
};
