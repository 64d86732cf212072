#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"

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
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

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
	int error = file_copy_judge(out, ctx, p, res);

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
