#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * group: a local group, made, changed or removed with the host's own
 * groupadd, groupmod and groupdel, as Ansible's group module does on
 * Linux. The check is one probe (the group's `getent group` line); the
 * apply one script that runs the tool and prints the line again.
 * `local` (the lgroup* tools of libuser) is refused by name.
 */

static const char *const group_states[] = { "present", "absent", NULL };

static const struct arg_spec group_args[] = {
	{ "name", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "the group's name" },
	{ "gid", ARG_INT, 0, NULL, NULL, NULL,
	  "its GID (an existing group gets it with groupmod)" },
	{ "state", ARG_STR, 0, NULL, group_states, "present",
	  "present or absent" },
	{ "system", ARG_BOOL, 0, NULL, NULL, "no",
	  "a system group (groupadd -r; only when it is created)" },
	{ "non_unique", ARG_BOOL, 0, NULL, NULL, "no",
	  "allow a GID another group has (-o; needs gid)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

struct group_line {
	bool exists;
	long long gid;
};

/* The GID of a `getent group` line for `name`, when it is that group. */
static bool parse_line(struct group_line *g, const char *line, size_t len,
		       const char *name)
{
	size_t n = strlen(name);
	const char *p, *end = line + len;

	/* a name of digits is looked up as a GID by getent: check it */
	if (len <= n || memcmp(line, name, n) || line[n] != ':')
		return false;
	p = memchr(line + n + 1, ':', (size_t)(end - line - n - 1));
	if (!p)
		return false;
	g->exists = true;
	g->gid = strtoll(p + 1, NULL, 10);
	return true;
}

static int read_state(struct group_line *g, const struct buf *out,
		      const char *name)
{
	struct rec r;
	size_t pos = 0;
	int n;

	memset(g, 0, sizeof(*g));
	while ((n = rec_next(&r, out, &pos)) > 0)
		if (rec_is(&r, "gr"))
			parse_line(g, r.val, r.len, name);
	return n;
}

static void state_script(struct buf *s, const char *name)
{
	buf_adds(s, "LC_ALL=C; export LC_ALL\nn=");
	sh_quote(s, name);
	buf_adds(s, "\nl=$(getent group -- \"$n\") && "
		 "printf 'gr:%s\\n%s\\n' \"${#l}\" \"$l\"\nexit 0\n");
}

static int group_probe(struct probe *out, const struct task_ctx *ctx)
{
	state_script(&out->script, arg_str(ctx, "name"));
	return 0;
}

static bool want_absent(const struct task_ctx *ctx)
{
	const char *st = arg_str(ctx, "state");

	return st && !strcmp(st, "absent");
}

/* name, state, and (for a group that exists) system and gid */
static struct val *group_result(const struct task_ctx *ctx,
				const struct group_line *g)
{
	struct val *r = val_dict();

	val_dict_set_str(r, "name", arg_str(ctx, "name"));
	val_dict_set_str(r, "state", want_absent(ctx) ? "absent" : "present");
	if (g->exists) {
		val_dict_set_bool(r, "system", arg_bool(ctx, "system", false));
		val_dict_set_int(r, "gid", g->gid);
	}
	return r;
}

static int group_judge(struct check_result *out, const struct task_ctx *ctx,
		       struct probe *p, const struct exec_result *res)
{
	const char *name = arg_str(ctx, "name");
	const struct val *gid = arg_get(ctx, "gid");
	struct group_line g;
	int error;

	(void)p;
	if (res->status)
		return tend_error_set("cannot read group '%s': %s", name,
				      res->err.ptr);
	if ((error = read_state(&g, &res->out, name)) < 0)
		return error;
	out->status = CHECK_CHANGE;
	if (want_absent(ctx) && g.exists) {
		buf_addf(&out->changes, "remove group %s\n", name);
	} else if (!want_absent(ctx) && !g.exists) {
		buf_addf(&out->changes, "create group %s", name);
		if (gid)
			buf_addf(&out->changes, " (gid %lld%s)",
				 arg_int(ctx, "gid", 0),
				 arg_bool(ctx, "system", false) ?
				 ", system" : "");
		else if (arg_bool(ctx, "system", false))
			buf_adds(&out->changes, " (system)");
		buf_addch(&out->changes, '\n');
	} else if (!want_absent(ctx) && gid &&
		   arg_int(ctx, "gid", 0) != g.gid) {
		buf_addf(&out->changes, "set gid of group %s %lld -> %lld\n",
			 name, g.gid, arg_int(ctx, "gid", 0));
	} else {
		out->status = CHECK_OK;
		out->result = group_result(ctx, &g);
	}
	return 0;
}

static void command_script(struct buf *s, const struct task_ctx *ctx)
{
	bool o = arg_bool(ctx, "non_unique", false);

	if (want_absent(ctx)) {
		buf_adds(s, "groupdel -- \"$n\"");
	} else {
		/* the probe said whether it exists; the tool checks again */
		buf_adds(s, "if getent group -- \"$n\" >/dev/null; then\n"
			 "\tgroupmod");
		if (arg_get(ctx, "gid"))
			buf_addf(s, " -g %lld%s", arg_int(ctx, "gid", 0),
				 o ? " -o" : "");
		buf_adds(s, " -- \"$n\"\nelse\n\tgroupadd");
		if (arg_get(ctx, "gid"))
			buf_addf(s, " -g %lld%s", arg_int(ctx, "gid", 0),
				 o ? " -o" : "");
		if (arg_bool(ctx, "system", false))
			buf_adds(s, " -r");
		buf_adds(s, " -- \"$n\"\nfi");
	}
	buf_adds(s, " >/dev/null 2>\"$e\"\nr=$?\n"
		 "if [ $r != 0 ]; then x=$(cat -- \"$e\"); rm -f -- \"$e\"; "
		 "printf 'rc %s\\nerr:%s\\n%s\\n' $r \"${#x}\" \"$x\"; exit 0; fi\n"
		 "rm -f -- \"$e\"\n"
		 "l=$(getent group -- \"$n\") && "
		 "printf 'gr:%s\\n%s\\n' \"${#l}\" \"$l\"\nexit 0\n");
}

static int group_apply(struct apply_result *out, const struct task_ctx *ctx,
		       const struct check_result *planned)
{
	const char *name = arg_str(ctx, "name");
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct group_line g;
	struct rec r;
	size_t pos = 0;
	int error, n, rc = 0;

	(void)planned;
	buf_adds(&s, "LC_ALL=C; export LC_ALL\nn=");
	sh_quote(&s, name);
	buf_adds(&s, "\ne=$(mktemp \"${TMPDIR:-/tmp}/.tend-group-XXXXXX\") "
		 "|| exit 1\n");
	command_script(&s, ctx);
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = tend_error_set("cannot change group '%s': %s", name,
				       res.err.ptr);
		goto out;
	}
	while ((n = rec_next(&r, &res.out, &pos)) > 0) {
		if (rec_is(&r, "rc"))
			rc = (int)strtol(r.val, NULL, 10);
		else if (rec_is(&r, "err"))
			buf_add(&out->msg, r.val, r.len);
	}
	if ((error = n) < 0 || (error = read_state(&g, &res.out, name)) < 0)
		goto out;
	out->result = group_result(ctx, &g);
	if (rc) {
		/* Ansible's fail_json(name=..., msg=err): the tool's words */
		out->failed = true;
		buf_trim(&out->msg);
		goto out;
	}
	buf_reset(&out->msg);
	out->changed = true;
out:
	buf_release(&s);
	exec_result_release(&res);
	return error;
}

static bool literal(const struct val *v)
{
	return v && !(val_is(v, VAL_STR) && strstr(val_cstr(v), "{{"));
}

/* Contradictions: a GID or system for a group to remove. */
static int group_validate(const struct val *args, const char **arg)
{
	const struct val *st = val_dict_get(args, "state");
	static const char *const present_only[] = { "gid", "system",
						    "non_unique", NULL };

	if (literal(st) && !strcmp(val_cstr(st), "absent")) {
		for (size_t i = 0; present_only[i]; i++)
			if (val_dict_get(args, present_only[i])) {
				*arg = present_only[i];
				return tend_error_set("'%s' is for a group to "
						      "keep: it contradicts "
						      "state=absent",
						      present_only[i]);
			}
	}
	if (val_is(val_dict_get(args, "non_unique"), VAL_BOOL) &&
	    truth_python(val_dict_get(args, "non_unique")) &&
	    !val_dict_get(args, "gid")) {
		*arg = "non_unique";
		return tend_error_set("non_unique is True but all of the "
				      "following are missing: gid");
	}
	return 0;
}

const struct tend_module mod_group = {
	.name = "group",
	.args = group_args,
	.doc = "add, change or remove a local group with groupadd, groupmod "
	       "and groupdel",
	.probe = group_probe,
	.judge = group_judge,
	.validate = group_validate,
	.apply = group_apply,
	.returns =
		"name: the group's name\n"
		"state: present or absent\n"
		"gid: its GID (a group that exists)\n"
		"system: the system argument (a group that exists)\n",
	.example =
		"- group:\n"
		"    name: docker\n"
		"    gid: 1500\n",
};
