#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/lineedit.h"
#include "tend/modkit/inifile.h"
#include "tend/util/buf.h"

/*
 * ini_file (community.general.ini_file, 6.6 as Debian 12's ansible has
 * it; ansible-core routes the short name there): an option of a section
 * of an INI file, set or removed. check reads the file (one round trip)
 * and edits it here (modkit/inifile.c); apply writes it (one more).
 */

static const char *const ini_states[] = { "present", "absent", NULL };

static const struct arg_spec ini_file_args[] = {
	{ "path", ARG_PATH, ARG_REQUIRED, "dest", NULL, NULL,
	  "the INI file" },
	{ "section", ARG_STR, 0, NULL, NULL, NULL,
	  "the section ([name]); none: the lines before the first section" },
	{ "option", ARG_STR, 0, NULL, NULL, NULL,
	  "the option; none: the section itself (added, or removed whole)" },
	{ "value", ARG_STR, 0, NULL, NULL, NULL, "the option's value" },
	{ "values", ARG_LIST, 0, NULL, NULL, NULL,
	  "several values: one option line each" },
	{ "state", ARG_STR, 0, NULL, ini_states, "present",
	  "present sets it, absent removes it" },
	{ "exclusive", ARG_BOOL, 0, NULL, NULL, "yes",
	  "present: other lines of the option go; absent: every line of "
	  "the option goes (else only those with the values)" },
	{ "no_extra_spaces", ARG_BOOL, 0, NULL, NULL, "no",
	  "write option=value, not option = value" },
	{ "allow_no_value", ARG_BOOL, 0, NULL, NULL, "no",
	  "an option may stand without a value" },
	{ "create", ARG_BOOL, 0, NULL, NULL, "yes",
	  "make the file (and its directories) when it is missing" },
	{ "backup", ARG_BOOL, 0, NULL, NULL, "no",
	  "keep a copy of the old file (PATH.PID.DATE~) when it changes" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/*
 * A value as the text Ansible's str-typed argument makes of it (80 ->
 * "80"), kept in `keep` (a list the caller frees).
 */
static const char *as_text(struct val *keep, const struct val *v)
{
	struct buf b = BUF_INIT;

	if (val_is(v, VAL_STR))
		return val_cstr(v);
	if (!v || val_is(v, VAL_NULL))
		return NULL;
	val_to_text(&b, v);
	val_list_push(keep, val_strn(b.ptr, b.len));
	buf_release(&b);
	return val_cstr(val_list_at(keep, val_len(keep) - 1));
}

/*
 * The args as inifile_edit takes them; o->values allocated, the text of
 * values that are no strings in `keep`.
 */
static int ini_opts(struct inifile_opts *o, struct val *keep,
		    const struct task_ctx *ctx)
{
	const struct val *value = arg_get(ctx, "value");
	const struct val *values = arg_get(ctx, "values");
	const char *state = arg_str(ctx, "state");

	memset(o, 0, sizeof(*o));
	o->section = arg_str(ctx, "section");
	o->option = arg_str(ctx, "option");
	o->absent = state && !strcmp(state, "absent");
	o->exclusive = arg_bool(ctx, "exclusive", true);
	o->no_extra_spaces = arg_bool(ctx, "no_extra_spaces", false);
	o->allow_no_value = arg_bool(ctx, "allow_no_value", false);
	if (val_is(value, VAL_NULL))
		value = NULL;
	if (val_is(values, VAL_NULL))
		values = NULL;
	if (!o->absent && !o->allow_no_value && !value && !val_len(values))
		return tend_error_set("Parameter 'value(s)' must be defined if "
				      "state=present and "
				      "allow_no_value=False.");
	if (!o->absent && !o->option && !o->allow_no_value)
		return tend_error_set("option is required to set a value");
	o->values = xcalloc(val_len(values) + 1, sizeof(*o->values));
	if (value) {
		o->values[o->values_nr++] = as_text(keep, value);
	} else {
		for (size_t i = 0; i < val_len(values); i++)
			o->values[o->values_nr++] =
				as_text(keep, val_list_at(values, i));
	}
	return 0;
}

static int ini_file_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct inifile_opts o;
	struct val *keep = val_list();
	int error = ini_opts(&o, keep, ctx);

	free(o.values);
	val_unref(keep);
	if (error < 0)
		return error;
	lineedit_probe(&out->script, arg_str(ctx, "path"));
	return 0;
}

static int ini_file_judge(struct check_result *out,
			  const struct task_ctx *ctx, struct probe *p,
			  const struct exec_result *res)
{
	const char *path = arg_str(ctx, "path");
	struct inifile_opts o = { 0 };
	struct file_state st;
	struct lineedit_result r;
	struct val *info = NULL, *keep = val_list();
	int error;

	(void)p;
	file_state_init(&st);
	lineedit_result_init(&r);
	if ((error = lineedit_judge_read(&st, res, path)) < 0 ||
	    (error = ini_opts(&o, keep, ctx)) < 0)
		goto out;
	if (!st.exists && !arg_bool(ctx, "create", true)) {
		out->result = val_dict();
		val_dict_set_int(out->result, "rc", 257);
		error = tend_error_set("Destination %s does not exist!", path);
		goto out;
	}
	if ((error = inifile_edit(&r, st.exists ? st.content.ptr : NULL,
				  st.content.len, &o)) < 0) {
		/* Ansible's module dies of it: a MODULE FAILURE, rc 1 */
		out->result = val_dict();
		val_dict_set_int(out->result, "rc", 1);
		tend_error_prefix("%s", path);
		goto out;
	}
	r.create = true;
	r.msg_as_is = true;
	/* Ansible's add_path_info, of the file as it stays */
	info = val_dict();
	file_state_info(info, &st);
	if ((error = lineedit_plan(out, ctx, &st, &r)) < 0)
		goto out;
	if (out->status == CHECK_OK)
		val_dict_update(out->result, info, false);
	val_dict_set_str(out->result, "path", path);
out:
	val_unref(info);
	val_unref(keep);
	free(o.values);
	lineedit_result_release(&r);
	file_state_release(&st);
	return error;
}

static int ini_file_apply(struct apply_result *out,
			  const struct task_ctx *ctx,
			  const struct check_result *planned)
{
	int error = lineedit_apply(out, ctx, planned, "backup_file", false);

	if (!error)
		val_dict_set_str(out->result, "path", arg_str(ctx, "path"));
	return error;
}

static const char *const ini_file_exclusive_args[] = { "value|values", NULL };

const struct tend_module mod_ini_file = {
	.name = "ini_file",
	.args = ini_file_args,
	.exclusive = ini_file_exclusive_args,
	.flags = MOD_FILE_ARGS,
	.doc = "an option of an INI file's section, set or removed "
	       "(community.general.ini_file)",
	.returns =
		"msg: \"OK\", \"option added\", \"option changed\", \"section and "
		"option added\", \"only section added\" or \"section removed\"\n"
		"path: the file\n"
		"backup_file: the copy made with backup: yes\n"
		"mode, owner, group, uid, gid, size, state: of the file after "
		"the task\n",
	.example =
		"- community.general.ini_file:\n"
		"    path: /etc/php/8.2/fpm/php.ini\n"
		"    section: PHP\n"
		"    option: memory_limit\n"
		"    value: 256M\n",
	.probe = ini_file_probe,
	.judge = ini_file_judge,
	.apply = ini_file_apply,
};
