#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/modkit/lineedit.h"

/*
 * blockinfile: a block of lines between two marker lines, as Ansible's
 * module does. check reads the file (one round trip) and edits it here
 * (runner/lineedit.c); apply writes the result (one more).
 *
 * NEEDSWORK: `validate` and `attributes` are not supported.
 */

static const char *const blockinfile_states[] = { "present", "absent", NULL };

static const struct arg_spec blockinfile_args[] = {
	{ "path", ARG_PATH, ARG_REQUIRED, "dest,destfile,name", NULL, NULL,
	  "the file to edit" },
	{ "block", ARG_STR, 0, "content", NULL, "",
	  "the lines to put between the markers; empty removes the block" },
	{ "marker", ARG_STR, 0, NULL, NULL, "# {mark} ANSIBLE MANAGED BLOCK",
	  "the marker line template; {mark} becomes marker_begin or "
	  "marker_end" },
	{ "marker_begin", ARG_STR, 0, NULL, NULL, "BEGIN",
	  "{mark} of the first marker line" },
	{ "marker_end", ARG_STR, 0, NULL, NULL, "END",
	  "{mark} of the last marker line" },
	{ "state", ARG_STR, 0, NULL, blockinfile_states, "present",
	  "whether the block should be there" },
	{ "insertafter", ARG_STR, 0, NULL, NULL, "EOF",
	  "a new block goes after the last line matching this regex, or at "
	  "EOF" },
	{ "insertbefore", ARG_STR, 0, NULL, NULL, NULL,
	  "a new block goes before the last line matching this regex, or at "
	  "BOF" },
	{ "create", ARG_BOOL, 0, NULL, NULL, "no",
	  "create the file if it does not exist" },
	{ "backup", ARG_BOOL, 0, NULL, NULL, "no",
	  "keep a copy of the old file (PATH.PID.DATE~) when it changes" },
	{ "validate", ARG_STR, 0, NULL, NULL, NULL,
	  "command to check the new file first; %s is its path" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* The options, from the args (no I/O). */
static int blockinfile_opts_get(struct blockinfile_opts *o,
				const struct task_ctx *ctx)
{
	const char *state = arg_str(ctx, "state");
	const struct val *ia = arg_get(ctx, "insertafter");
	const struct val *ib = arg_get(ctx, "insertbefore");

	if (ia && ib && !val_is(ia, VAL_NULL) && !val_is(ib, VAL_NULL))
		return tend_error_set("parameters are mutually exclusive: "
				      "insertbefore|insertafter");
	memset(o, 0, sizeof(*o));
	o->block = arg_str(ctx, "block");
	o->block_len = val_len(arg_get(ctx, "block")); /* NUL bytes and all */
	o->marker = arg_str(ctx, "marker");
	o->marker_begin = arg_str(ctx, "marker_begin");
	o->marker_end = arg_str(ctx, "marker_end");
	o->insertafter = arg_str(ctx, "insertafter");
	o->insertbefore = arg_str(ctx, "insertbefore");
	o->absent = state && !strcmp(state, "absent");
	return 0;
}

/* The probe: the args are checked first, then the file is read. */
static int blockinfile_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct blockinfile_opts o;
	int error;

	if ((error = blockinfile_opts_get(&o, ctx)) < 0)
		return error;
	lineedit_probe(&out->script, arg_str(ctx, "path"));
	return 0;
}

/* The judge: Ansible's blockinfile on the content, then the file's plan. */
static int blockinfile_judge(struct check_result *out,
			     const struct task_ctx *ctx, struct probe *p,
			     const struct exec_result *res)
{
	const char *path = arg_str(ctx, "path");
	struct blockinfile_opts o;
	struct file_state st;
	struct lineedit_result r;
	int error;

	(void)p;
	file_state_init(&st);
	lineedit_result_init(&r);
	if ((error = blockinfile_opts_get(&o, ctx)) < 0 ||
	    (error = lineedit_judge_read(&st, res, path)) < 0)
		goto out;
	if (!st.exists && !arg_bool(ctx, "create", false)) {
		out->result = val_dict();
		val_dict_set_int(out->result, "rc", 257);
		error = tend_error_set("Path %s does not exist !", path);
		goto out;
	}
	if (!st.exists && o.absent) {
		out->status = CHECK_OK;
		buf_addf(&out->msg, "File %s not present", path);
		goto out;
	}
	if ((error = lineedit_blockinfile(&r, st.exists ? st.content.ptr : NULL,
					  st.content.len, &o)) < 0)
		goto out;
	error = lineedit_plan(out, ctx, &st, &r);
out:
	lineedit_result_release(&r);
	file_state_release(&st);
	return error;
}

static int blockinfile_apply(struct apply_result *out,
			     const struct task_ctx *ctx,
			     const struct check_result *planned)
{
	return lineedit_apply(out, ctx, planned, "backup_file", false);
}

const struct tend_module mod_blockinfile = {
	.name = "blockinfile",
	.args = blockinfile_args,
	.flags = MOD_FILE_ARGS,
	.doc = "insert, update or remove a block of lines between markers",
	.returns =
		"msg: \"Block inserted\", \"Block removed\" or empty\n"
		"backup_file: the copy made with backup: yes\n"
		"mode, owner, group, uid, gid, size, state: of dest after the task\n",
	.example =
		"- blockinfile:\n"
		"    path: /etc/hosts\n"
		"    block: |\n"
		"      10.0.0.5 db1\n"
		"      10.0.0.6 db2\n"
		"    marker: \"# {mark} cluster hosts\"\n",
	.probe = blockinfile_probe,
	.judge = blockinfile_judge,
	.apply = blockinfile_apply,
};
