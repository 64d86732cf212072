#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/modkit/lineedit.h"

/*
 * lineinfile: make sure one line is in a file (or is not), as Ansible's
 * module does. check reads the file (one round trip) and edits it here
 * (runner/lineedit.c); apply writes the result (one more).
 *
 * NEEDSWORK: `validate` is not supported; `attributes` is refused with the
 * other modules' (docs/file-args.md).
 */

static const char *const lineinfile_states[] = { "present", "absent", NULL };

static const struct arg_spec lineinfile_args[] = {
	{ "path", ARG_PATH, ARG_REQUIRED, "dest,destfile,name", NULL, NULL,
	  "the file to edit" },
	{ "line", ARG_STR, 0, "value", NULL, NULL,
	  "the line to insert or replace (required with state=present); "
	  "with backrefs, \\1 and \\g<name> are the groups of regexp" },
	{ "regexp", ARG_STR, 0, "regex", NULL, NULL,
	  "a Python regex searched in each line: present replaces the last "
	  "match (the first with firstmatch), absent removes every match" },
	{ "search_string", ARG_STR, 0, NULL, NULL, NULL,
	  "a fixed string to look for instead of regexp" },
	{ "state", ARG_STR, 0, NULL, lineinfile_states, "present",
	  "whether the line should be there" },
	{ "insertafter", ARG_STR, 0, NULL, NULL, "EOF",
	  "with no match: insert after the last line matching this regex, "
	  "or at BOF or EOF" },
	{ "insertbefore", ARG_STR, 0, NULL, NULL, NULL,
	  "with no match: insert before the last line matching this regex, "
	  "or at BOF" },
	{ "firstmatch", ARG_BOOL, 0, NULL, NULL, "no",
	  "use the first matching line of regexp or insertafter/insertbefore" },
	{ "backrefs", ARG_BOOL, 0, NULL, NULL, "no",
	  "expand regexp's groups in line; if regexp does not match, change "
	  "nothing" },
	{ "create", ARG_BOOL, 0, NULL, NULL, "no",
	  "create the file if it does not exist" },
	{ "backup", ARG_BOOL, 0, NULL, NULL, "no",
	  "keep a copy of the old file (PATH.PID.DATE~) when it changes" },
	{ "validate", ARG_STR, 0, NULL, NULL, NULL,
	  "command to check the new file first; %s is its path" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* Ansible's argument checks, in its order, before and after the read. */
static int lineinfile_exclusive(const struct task_ctx *ctx)
{
	static const char *const pairs[][2] = {
		{ "insertbefore", "insertafter" },
		{ "regexp", "search_string" },
		{ "backrefs", "search_string" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		const struct val *a = arg_get(ctx, pairs[i][0]);
		const struct val *b = arg_get(ctx, pairs[i][1]);

		if (a && b && !val_is(a, VAL_NULL) && !val_is(b, VAL_NULL))
			return tend_error_set("parameters are mutually "
					      "exclusive: %s|%s",
					      pairs[i][0], pairs[i][1]);
	}
	return 0;
}

static int lineinfile_opts_get(struct lineinfile_opts *o,
			       const struct task_ctx *ctx)
{
	const char *state = arg_str(ctx, "state");

	memset(o, 0, sizeof(*o));
	o->line = arg_str(ctx, "line");
	o->line_len = val_len(arg_get(ctx, "line")); /* NUL bytes and all */
	o->regexp = arg_str(ctx, "regexp");
	o->search_string = arg_str(ctx, "search_string");
	o->insertafter = arg_str(ctx, "insertafter");
	o->insertbefore = arg_str(ctx, "insertbefore");
	o->absent = state && !strcmp(state, "absent");
	o->backrefs = arg_bool(ctx, "backrefs", false);
	o->firstmatch = arg_bool(ctx, "firstmatch", false);
	if (o->absent) {
		if (!o->line && !o->regexp && !o->search_string)
			return tend_error_set("one of line, search_string, or "
					      "regexp is required with "
					      "state=absent");
		return 0;
	}
	if (o->backrefs && !o->regexp)
		return tend_error_set("regexp is required with backrefs=true");
	if (!o->line)
		return tend_error_set("line is required with state=present");
	return 0;
}

/* The probe: the args are checked first, then the file is read. */
static int lineinfile_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct lineinfile_opts o;
	int error;

	if ((error = lineinfile_exclusive(ctx)) < 0 ||
	    (error = lineinfile_opts_get(&o, ctx)) < 0)
		return error;
	lineedit_probe(&out->script, arg_str(ctx, "path"));
	return 0;
}

/* The judge: Ansible's lineinfile on the content, then the file's plan. */
static int lineinfile_judge(struct check_result *out,
			    const struct task_ctx *ctx, struct probe *p,
			    const struct exec_result *res)
{
	const char *path = arg_str(ctx, "path");
	struct lineinfile_opts o;
	struct file_state st;
	struct lineedit_result r;
	int error;

	(void)p;
	file_state_init(&st);
	lineedit_result_init(&r);
	if ((error = lineedit_judge_read(&st, res, path)) < 0 ||
	    (error = lineinfile_opts_get(&o, ctx)) < 0)
		goto out;
	if (!st.exists && o.absent) {
		out->status = CHECK_OK;
		buf_adds(&out->msg, "file not present");
		goto out;
	}
	if (!st.exists && !arg_bool(ctx, "create", false)) {
		out->result = val_dict();
		val_dict_set_int(out->result, "rc", 257);
		error = tend_error_set("Destination %s does not exist !", path);
		goto out;
	}
	if ((error = lineedit_lineinfile(&r, st.exists ? st.content.ptr : NULL,
					 st.content.len, &o)) < 0 ||
	    (error = lineedit_plan(out, ctx, &st, &r)) < 0)
		goto out;
	if (!out->result)
		out->result = val_dict();
	val_dict_set_str(out->result, "backup", "");
	if (o.absent)
		val_dict_set_int(out->result, "found", (long long)r.found);
out:
	lineedit_result_release(&r);
	file_state_release(&st);
	return error;
}

static int lineinfile_apply(struct apply_result *out,
			    const struct task_ctx *ctx,
			    const struct check_result *planned)
{
	return lineedit_apply(out, ctx, planned, "backup", true);
}

static const char *const lineinfile_exclusive_args[] = {
	"insertbefore|insertafter", "regexp|search_string",
	"backrefs|search_string", NULL,
};

const struct tend_module mod_lineinfile = {
	.name = "lineinfile",
	.args = lineinfile_args,
	.exclusive = lineinfile_exclusive_args,
	.flags = MOD_FILE_ARGS,
	.doc = "make sure a line is in a file, or replace it by regex",
	.returns =
		"msg: \"line added\", \"line replaced\", \"N line(s) removed\" or empty\n"
		"backup: the copy made with backup: yes (else empty)\n"
		"mode, owner, group, uid, gid, size, state: of dest after the task\n",
	.example =
		"- lineinfile:\n"
		"    path: /etc/ssh/sshd_config\n"
		"    regexp: '^#?PasswordAuthentication '\n"
		"    line: PasswordAuthentication no\n"
		"    state: present\n",
	.probe = lineinfile_probe,
	.judge = lineinfile_judge,
	.apply = lineinfile_apply,
};
