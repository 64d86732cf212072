#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"

/*
 * template: render a controller-side template (looked up in templates/)
 * in the task's scope and install it like copy.
 */

static const char *const newline_choices[] = { "\\n", "\\r", "\\r\\n",
					       "\n", "\r", "\r\n", NULL };

static const struct arg_spec template_args[] = {
	{ "src", ARG_PATH, ARG_REQUIRED | ARG_LOCAL_FILE, NULL, NULL, NULL,
	  "template on the controller (looked up in templates/ first)" },
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
	{ "newline_sequence", ARG_STR, 0, NULL, newline_choices, "\\n",
	  "line ending of the rendered file" },
	{ "trim_blocks", ARG_BOOL, 0, NULL, NULL, "yes",
	  "Jinja: drop the newline after a block tag" },
	{ "lstrip_blocks", ARG_BOOL, 0, NULL, NULL, "no",
	  "Jinja: drop the blanks before a block tag on its line" },
	{ "variable_start_string", ARG_STR, 0, NULL, NULL, NULL,
	  "Jinja: what opens an expression ({{)" },
	{ "variable_end_string", ARG_STR, 0, NULL, NULL, NULL,
	  "Jinja: what closes an expression" },
	{ "block_start_string", ARG_STR, 0, NULL, NULL, NULL,
	  "Jinja: what opens a block tag" },
	{ "block_end_string", ARG_STR, 0, NULL, NULL, NULL,
	  "Jinja: what closes a block tag" },
	{ "comment_start_string", ARG_STR, 0, NULL, NULL, NULL,
	  "Jinja: what opens a comment" },
	{ "comment_end_string", ARG_STR, 0, NULL, NULL, NULL,
	  "Jinja: what closes a comment" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* The probe: the rendered template (on the controller), then dest's. */
static int template_probe(struct probe *out, const struct task_ctx *ctx)
{
	const char *src = arg_str(ctx, "src");
	struct buf text = BUF_INIT, rendered = BUF_INIT;
	char *path = NULL;
	int error;

	if (!src)
		return tend_error_set("src is required");
	if (!ctx->engine || !ctx->engine->render_file)
		return tend_error_set("template: no template engine available");
	if ((error = task_find_file(&path, ctx, "templates", src)) < 0 ||
	    (error = task_read_file(&text, ctx, path)) < 0 ||
	    (error = ctx->engine->render_file(&rendered, text.ptr, path,
					      ctx->args, ctx->engine_data)) < 0)
		goto out;
	error = file_copy_probe(out, ctx, path, &rendered);
out:
	buf_release(&text);
	buf_release(&rendered);
	free(path);
	return error;
}

const struct tend_module mod_template = {
	.name = "template",
	.flags = MOD_NO_ASYNC | MOD_FILE_ARGS,
	.args = template_args,
	.files_dir = "templates",
	.doc = "render a template from the controller onto the host",
	.returns =
		"dest: the file written\n"
		"src: the template on the controller\n"
		"checksum: SHA-1 of the rendered content\n"
		"backup_file: the copy made with backup: yes\n"
		"mode, owner, group, uid, gid, size, state: of dest after the task\n",
	.example =
		"- template:\n"
		"    src: nginx.conf.j2\n"
		"    dest: /etc/nginx/nginx.conf\n"
		"    mode: \"0644\"\n"
		"    validate: nginx -t -c %s\n",
	.probe = template_probe,
	.judge = file_copy_judge,
	.apply = file_copy_apply,
};
