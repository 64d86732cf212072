#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/lineedit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/regex.h"

/*
 * replace: every match of a Python regex in a file replaced, as Ansible's
 * replace (re.subn with re.MULTILINE on the file's text), optionally only
 * between the matches of `after` and `before` (one section, found with
 * re.DOTALL). check reads the file (one round trip) and edits it here;
 * apply writes the result through lineedit's glue (one more).
 */

static const char *const replace_encodings[] = { "utf-8", "utf8", "UTF-8",
						 "UTF8", NULL };

static const struct arg_spec replace_args[] = {
	{ "path", ARG_PATH, ARG_REQUIRED, "dest,destfile,name", NULL, NULL,
	  "the file to edit (a symlink is followed)" },
	{ "regexp", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "a Python regex (multiline: ^ and $ at each line) whose every "
	  "match is replaced" },
	{ "replace", ARG_STR, 0, NULL, NULL, "''",
	  "the replacement; \\1 and \\g<name> are regexp's groups" },
	{ "after", ARG_STR, 0, NULL, NULL, NULL,
	  "only replace after the first match of this regex" },
	{ "before", ARG_STR, 0, NULL, NULL, NULL,
	  "only replace before the match of this regex (with after: the "
	  "first one after it)" },
	{ "backup", ARG_BOOL, 0, NULL, NULL, "no",
	  "keep a copy of the old file (PATH.PID.DATE~) when it changes" },
	{ "validate", ARG_STR, 0, NULL, NULL, NULL,
	  "command to check the new file first; %s is its path" },
	{ "encoding", ARG_STR, 0, NULL, replace_encodings, "utf-8",
	  "the file's encoding (tend reads UTF-8 only)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int replace_probe(struct probe *out, const struct task_ctx *ctx)
{
	lineedit_probe(&out->script, arg_str(ctx, "path"));
	return 0;
}

/* Ansible's section pattern of after/before, or "" for the whole file. */
static void section_pattern(struct buf *out, const char *after,
			    const char *before)
{
	if (after && before)
		buf_addf(out, "%s(?P<subsection>.*?)%s", after, before);
	else if (after)
		buf_addf(out, "%s(?P<subsection>.*)", after);
	else if (before)
		buf_addf(out, "(?P<subsection>.*)%s", before);
}

/*
 * The edit of `in` (`len` bytes) into r. *matched is false when the
 * after/before section is not found (nothing is looked at then).
 */
static int replace_edit(struct lineedit_result *r, bool *matched,
			const struct task_ctx *ctx, const char *in, size_t len)
{
	const char *repl = arg_str(ctx, "replace");
	struct buf pat = BUF_INIT, sub = BUF_INIT;
	struct regex *sre = NULL, *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	size_t so = 0, eo = len, g, n = 0;
	int error;

	*matched = true;
	section_pattern(&pat, arg_str(ctx, "after"), arg_str(ctx, "before"));
	if (pat.len) {
		if ((error = regex_compile(&sre, pat.ptr, REGEX_DOTALL)) < 0 ||
		    (error = regex_exec(&m, sre, in, len, 0, REGEX_SEARCH)) < 0)
			goto out;
		if (!m.matched) {
			*matched = false;
			buf_addf(&r->msg, "Pattern for before/after params did "
				 "not match the given file: %s", pat.ptr);
			goto out;
		}
		if (!regex_group_lookup(&g, sre, "subsection", 10) ||
		    !regex_match_group(&so, &eo, &m, g))
			BUG("no subsection in a match");
	}
	if ((error = regex_compile(&re, arg_str(ctx, "regexp"),
				   REGEX_MULTILINE)) < 0 ||
	    (error = regex_sub(&sub, &n, re, repl ? repl : "", in + so,
			       eo - so, 0)) < 0)
		goto out;
	buf_reset(&r->content);
	buf_add(&r->content, in, so);
	buf_addbuf(&r->content, &sub);
	buf_add(&r->content, in + eo, len - eo);
	r->changed = n > 0 && (sub.len != eo - so ||
			       memcmp(sub.ptr, in + so, sub.len));
	if (r->changed)
		buf_addf(&r->msg, "%zu replacements made", n);
out:
	regex_match_release(&m);
	regex_free(sre);
	regex_free(re);
	buf_release(&pat);
	buf_release(&sub);
	return error;
}

static int replace_judge(struct check_result *out, const struct task_ctx *ctx,
			 struct probe *p, const struct exec_result *res)
{
	const char *path = arg_str(ctx, "path");
	struct file_state st;
	struct lineedit_result r;
	bool matched;
	int error;

	(void)p;
	file_state_init(&st);
	lineedit_result_init(&r);
	out->result = val_dict();
	if ((error = lineedit_judge_read(&st, res, path)) < 0) {
		if (st.type == 'd')
			val_dict_set_int(out->result, "rc", 256);
		goto out;
	}
	if (!st.exists) {
		val_dict_set_int(out->result, "rc", 257);
		error = tend_error_set("Path %s does not exist !", path);
		goto out;
	}
	if ((error = replace_edit(&r, &matched, ctx, st.content.ptr,
				  st.content.len)) < 0)
		goto out;
	val_dict_set_int(out->result, "rc", 0);
	if (!matched) {
		/* Ansible stops here: not even the file's attributes */
		out->status = CHECK_OK;
		buf_addbuf(&out->msg, &r.msg);
		val_dict_set_str(out->result, "msg", r.msg.ptr);
		goto out;
	}
	error = lineedit_plan(out, ctx, &st, &r);
out:
	lineedit_result_release(&r);
	file_state_release(&st);
	return error;
}

static int replace_apply(struct apply_result *out, const struct task_ctx *ctx,
			 const struct check_result *planned)
{
	return lineedit_apply(out, ctx, planned, "backup_file", false);
}

const struct tend_module mod_replace = {
	.name = "replace",
	.flags = MOD_FILE_ARGS,
	.args = replace_args,
	.doc = "replace every match of a regex in a file",
	.returns = "msg: \"N replacements made\", \"\" when nothing changed\n"
		   "rc: 0\n"
		   "backup_file: the copy made by backup, when one was made",
	.example = "- replace:\n"
		   "    path: /etc/ssh/sshd_config\n"
		   "    regexp: '^#?PermitRootLogin .*$'\n"
		   "    replace: 'PermitRootLogin no'\n"
		   "    validate: /usr/sbin/sshd -t -f %s",
	.probe = replace_probe,
	.judge = replace_judge,
	.apply = replace_apply,
};
