#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

#include <time.h>

/*
 * file: the type and attributes of a path. The check script prints the
 * path's state (tend_probe) and the few extra facts a state needs; the
 * plan remembers every decision, so apply only turns it into commands.
 */

static const char *const file_states[] = { "file", "directory", "link",
					   "hard", "absent", "touch", NULL };

static const struct arg_spec file_args[] = {
	{ "path", ARG_PATH, ARG_REQUIRED, "dest,name", NULL, NULL,
	  "the path to manage" },
	{ "state", ARG_STR, 0, NULL, file_states, NULL,
	  "what the path should be (default: what it is, or file)" },
	{ "recurse", ARG_BOOL, 0, NULL, NULL, "no",
	  "set attributes below a directory too" },
	{ "src", ARG_PATH, 0, NULL, NULL, NULL,
	  "the target of a link (state link or hard)" },
	{ "force", ARG_BOOL, 0, NULL, NULL, "no",
	  "replace a file by a link, or link to a missing target" },
	{ "follow", ARG_BOOL, 0, NULL, NULL, "yes",
	  "act on the target of a symlink" },
	{ "modification_time", ARG_STR, 0, NULL, NULL, NULL,
	  "now, preserve or a time in modification_time_format" },
	{ "modification_time_format", ARG_STR, 0, NULL, NULL, "%Y%m%d%H%M.%S",
	  "strftime format of modification_time" },
	{ "access_time", ARG_STR, 0, NULL, NULL, NULL,
	  "now, preserve or a time in access_time_format" },
	{ "access_time_format", ARG_STR, 0, NULL, NULL, "%Y%m%d%H%M.%S",
	  "strftime format of access_time" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

enum time_action { TIME_KEEP, TIME_NOW, TIME_SET };

struct file_plan_data {
	char *state;          /* wanted state */
	bool exists, create, follow;
	bool set_mode;
	unsigned int mode;
	char *mode_text;      /* for chmod -R (symbolic works there too) */
	bool chown, chgrp, recurse, relink;
	long long below;      /* paths a symbolic mode changes below */
	enum time_action mtime, atime;
	long long mtime_at, atime_at;
};

static void plan_free(void *p)
{
	struct file_plan_data *pd = p;

	free(pd->state);
	free(pd->mode_text);
	free(pd);
}

static const char *type_name(const struct file_state *st)
{
	if (!st->exists)
		return "absent";
	switch (st->type) {
	case 'f':
		return "file";
	case 'd':
		return "directory";
	case 'l':
		return "link";
	default:
		return "other";
	}
}

/*
 * What Ansible's file module returns about the path: `dest` for links
 * and touch, else `path`; its attributes when it exists; its state.
 */
static struct val *path_result(const char *state, const char *path,
			       const struct file_state *st,
			       const char *state_now)
{
	struct val *r = val_dict();
	struct buf m = BUF_INIT;

	val_dict_set_str(r, !strcmp(state, "link") || !strcmp(state, "hard") ||
			 !strcmp(state, "touch") ? "dest" : "path", path);
	if (st->exists) {
		mode_format_info(&m, st->mode);
		val_dict_set_str(r, "mode", m.ptr);
		val_dict_set_str(r, "owner", st->owner);
		val_dict_set_str(r, "group", st->group);
		val_dict_set_int(r, "uid", st->uid);
		val_dict_set_int(r, "gid", st->gid);
		val_dict_set_int(r, "size", st->size);
	}
	val_dict_set_str(r, "state", state_now);
	buf_release(&m);
	return r;
}

static bool id_differs(const char *want, const char *name, long long id)
{
	char *end;
	long long n;

	if (!want || !name || !strcmp(want, name))
		return false;
	n = strtoll(want, &end, 10);
	return !(*want && !*end && n == id);
}

static int parse_time(enum time_action *act, long long *at, const char *s,
		      const char *fmt, const char *what)
{
	struct tm tm;
	const char *end;

	*act = TIME_KEEP;
	if (!s || !strcmp(s, "preserve"))
		return 0;
	if (!strcmp(s, "now")) {
		*act = TIME_NOW;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, fmt ? fmt : "%Y%m%d%H%M.%S", &tm);
	if (!end || *end)
		return tend_error_set("cannot parse %s '%s' with format '%s'",
				      what, s, fmt ? fmt : "%Y%m%d%H%M.%S");
	tm.tm_isdst = -1;
	*at = (long long)mktime(&tm);
	*act = TIME_SET;
	return 0;
}

/* Extra "key value" lines after the probe record. */
static long long extra_int(const struct buf *out, size_t pos, const char *key,
			   long long dflt)
{
	size_t klen = strlen(key);

	while (pos < out->len) {
		const char *line = out->ptr + pos;
		const char *nl = memchr(line, '\n', out->len - pos);

		if (!nl)
			break;
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
		pos = (size_t)(nl - out->ptr) + 1;
	}
	return dflt;
}

static void add_path_var(struct buf *s, const char *path)
{
	buf_adds(s, "p=");
	sh_quote(s, path);
	buf_addch(s, '\n');
}

static void add_mode_change(struct buf *changes, unsigned int from,
			    unsigned int to)
{
	buf_adds(changes, "mode: ");
	mode_format(changes, from);
	buf_adds(changes, " -> ");
	mode_format(changes, to);
	buf_addch(changes, '\n');
}

/*
 * The probe's first lines: the path's state (followed or not, as
 * pd->follow says), its atime when pd->atime sets one, and with `src`
 * whether src exists beside the path and is the same file.
 */
static void add_probe(struct buf *s, const char *path, const char *src,
		      const struct file_plan_data *pd)
{
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(s);
	add_path_var(s, path);
	/* the file module never reads content: it would change atime */
	buf_addf(s, "tend_probe \"$p\" '%s' n || exit 1\n",
		 pd->follow ? "L" : "");
	/* atime is compared only when it is set to a given time */
	if (pd->atime == TIME_SET)
		buf_addf(s, "echo \"atime $(stat %s-c %%X -- \"$p\" "
			 "2>/dev/null)\"\n", pd->follow ? "-L " : "");
	if (src) {
		buf_adds(s, "q=");
		sh_quote(s, src);
		buf_adds(s, "\nif ( cd \"$(dirname -- \"$p\")\" 2>/dev/null && "
			 "{ [ -e \"$q\" ] || [ -L \"$q\" ]; } ); "
			 "then echo 'srcok 1'; else echo 'srcok 0'; fi\n"
			 "[ -e \"$q\" ] && [ -e \"$p\" ] && "
			 "[ \"$(stat -L -c %d:%i -- \"$q\")\" = "
			 "\"$(stat -c %d:%i -- \"$p\")\" ] && echo 'samefile 1'\n");
	}
}

/*
 * The probe line that says whether anything below a directory differs
 * in owner, group or (an octal) mode: "recurse 1" if so, else "recurse 0".
 */
/* Whether `mode` is octal (an int, or a string of octal digits). */
static bool mode_octal(const struct val *mode, unsigned int *m)
{
	const char *text = val_cstr(mode);

	if (!mode)
		return false;
	if (!val_is(mode, VAL_INT) &&
	    !(text && strspn(text, "01234567") == strlen(text)))
		return false;
	return !mode_parse(m, mode, 0, false);
}

static void add_recurse_probe(struct buf *s, const char *owner,
			      const char *group, const struct val *mode)
{
	unsigned int m;

	buf_adds(s, "echo \"recurse $(find \"$p\" -mindepth 1 \\( -false");
	if (owner) {
		buf_adds(s, " -o ! -user ");
		sh_quote(s, owner);
	}
	if (group) {
		buf_adds(s, " -o ! -group ");
		sh_quote(s, group);
	}
	if (mode_octal(mode, &m))
		buf_addf(s, " -o ! -type l ! -perm %o", m);
	buf_adds(s, " \\) -print 2>/dev/null | wc -l)\"\n");
	/*
	 * A symbolic mode depends on each path's own mode: the judge
	 * works it out from every mode below (symlinks are left alone).
	 */
	if (mode && !mode_octal(mode, &m))
		buf_adds(s, "find \"$p\" -mindepth 1 ! -type l -exec "
			 "stat -c 'rmode %f' -- {} + 2>/dev/null\n");
}

/*
 * How many "rmode HEX" lines of the probe's output (from `pos` on) a
 * symbolic `mode` would change.
 */
static long long rmodes_differ(const struct buf *out, size_t pos,
			       const struct val *mode)
{
	long long n = 0;

	while (pos < out->len) {
		const char *line = out->ptr + pos;
		const char *nl = memchr(line, '\n', out->len - pos);
		unsigned long raw;
		unsigned int want;

		if (!nl)
			break;
		if (sscanf(line, "rmode %lx", &raw) == 1 &&
		    !mode_parse(&want, mode, (unsigned int)(raw & 07777),
				(raw & 0170000) == 0040000) &&
		    want != (raw & 07777))
			n++;
		pos = (size_t)(nl - out->ptr) + 1;
	}
	tend_error_clear();
	return n;
}

/*
 * The path's type against the wanted state pd->state (not absent): what
 * must change goes into out->changes and *pd, and sets *changed. A type
 * the state cannot be reached from is an error, with Ansible's message.
 * `extra` and `pos`: the probe's extra lines (extra_int).
 */
static int check_type(struct check_result *out, struct file_plan_data *pd,
		      const struct file_state *st, const char *path,
		      const char *src, bool force, bool recurse,
		      const struct buf *extra, size_t pos, bool *changed)
{
	const char *state = pd->state;
	long long below;
	int error = 0;

	if (!strcmp(state, "file")) {
		if (!st->exists) {
			error = tend_error_set("file (%s) is absent, cannot "
					       "continue", path);
			goto out;
		}
		if (st->type == 'd') {
			error = tend_error_set("file (%s) is directory, cannot "
					       "continue", path);
			goto out;
		}
	} else if (!strcmp(state, "directory")) {
		if (st->exists && st->type != 'd') {
			error = tend_error_set("%s already exists as a %s", path,
					       type_name(st));
			goto out;
		}
		if (!st->exists) {
			buf_adds(&out->changes, "state: absent -> directory\n");
			pd->create = *changed = true;
		}
		if (recurse && (below = extra_int(extra, pos, "recurse", 0) +
					pd->below) > 0) {
			buf_addf(&out->changes, "recurse: %lld change%s below "
				 "the directory\n", below, below == 1 ? "" : "s");
			pd->recurse = *changed = true;
		}
		pd->recurse = recurse;
	} else if (!strcmp(state, "touch")) {
		/*
		 * An existing path changes only by its times (now, unless
		 * given or preserved) and attributes, as in Ansible.
		 */
		if (!st->exists) {
			buf_adds(&out->changes, "state: absent -> touch\n");
			pd->create = *changed = true;
		}
	} else if (!strcmp(state, "link")) {
		if (!force && !extra_int(extra, pos, "srcok", 0)) {
			error = tend_error_set("src file does not exist, use "
					       "\"force=yes\" if you really want "
					       "to create the link: %s", src);
			goto out;
		}
		if (st->exists && st->type == 'd') {
			error = tend_error_set("refusing to convert from "
					       "directory to symlink for %s",
					       path);
			goto out;
		}
		if (st->exists && st->type != 'l' && !force) {
			error = tend_error_set("refusing to convert from %s to "
					       "symlink for %s", type_name(st),
					       path);
			goto out;
		}
		if (st->type == 'l' && strcmp(st->link_target, src)) {
			buf_addf(&out->changes, "src: %s -> %s\n",
				 st->link_target, src);
			pd->relink = *changed = true;
		} else if (st->type != 'l') {
			buf_addf(&out->changes, "state: %s -> link\n",
				 type_name(st));
			pd->relink = *changed = true;
		}
	} else if (!strcmp(state, "hard")) {
		if (!extra_int(extra, pos, "srcok", 0)) {
			error = tend_error_set("src does not exist: %s", src);
			goto out;
		}
		if (st->exists && st->type == 'd') {
			error = tend_error_set("refusing to convert from "
					       "directory to hard link for %s",
					       path);
			goto out;
		}
		if (!extra_int(extra, pos, "samefile", 0)) {
			buf_addf(&out->changes, "state: %s -> hard\n",
				 type_name(st));
			pd->relink = *changed = true;
		}
	}
out:
	return error;
}

/*
 * Attributes of what is (or will be) at path: mode, owner, group and
 * times against the task's, into out->changes and *pd, setting *changed.
 * Returns 0, or < 0 with the error set (a bad mode).
 */
static int check_attrs(struct check_result *out, struct file_plan_data *pd,
		       const struct file_state *st, const struct val *mode,
		       const char *owner, const char *group,
		       const struct buf *extra, size_t pos, bool *changed)
{
	const char *state = pd->state;
	int error = 0;

	if (mode && strcmp(state, "link")) {
		unsigned int cur = st->exists ? st->mode : 0;
		bool is_dir = !strcmp(state, "directory");

		if ((error = mode_parse(&pd->mode, mode, cur, is_dir)) < 0)
			goto out;
		pd->set_mode = true;
		if (val_cstr(mode))
			pd->mode_text = xstrdup(val_cstr(mode));
		if (st->exists && st->type != 'l' && !pd->relink &&
		    pd->mode != st->mode) {
			add_mode_change(&out->changes, st->mode, pd->mode);
			*changed = true;
		}
	}
	if (owner) {
		pd->chown = true;
		if (st->exists && !pd->relink &&
		    id_differs(owner, st->owner, st->uid)) {
			buf_addf(&out->changes, "owner: %s -> %s\n", st->owner,
				 owner);
			*changed = true;
		}
	}
	if (group) {
		pd->chgrp = true;
		if (st->exists && !pd->relink &&
		    id_differs(group, st->group, st->gid)) {
			buf_addf(&out->changes, "group: %s -> %s\n", st->group,
				 group);
			*changed = true;
		}
	}
	/* a file touch creates has the time of now anyway */
	if ((pd->mtime == TIME_NOW && !pd->create) ||
	    (pd->mtime == TIME_SET && pd->mtime_at != st->mtime)) {
		buf_adds(&out->changes, "modification_time: changes\n");
		*changed = true;
	}
	if ((pd->atime == TIME_NOW && !pd->create) ||
	    (pd->atime == TIME_SET &&
	     pd->atime_at != extra_int(extra, pos, "atime", -1))) {
		buf_adds(&out->changes, "access_time: changes\n");
		*changed = true;
	}
out:
	return error;
}

static const char *time_arg(const struct task_ctx *ctx, const char *name,
			    const char *state)
{
	const char *s = arg_str(ctx, name);

	return !s && state && !strcmp(state, "touch") ? "now" : s;
}

/* The probe: the args checked and parsed, then one script reads path. */
static int file_probe(struct probe *out, const struct task_ctx *ctx)
{
	const char *path = arg_str(ctx, "path");
	const char *state = arg_str(ctx, "state");
	const char *src = arg_str(ctx, "src");
	const char *owner = arg_str(ctx, "owner");
	const char *group = arg_str(ctx, "group");
	const struct val *mode = arg_get(ctx, "mode");
	struct file_plan_data *pd = xcalloc(1, sizeof(*pd));
	bool is_link_state;
	int error;

	out->priv = pd;
	out->priv_free = plan_free;
	if (val_is(mode, VAL_NULL))
		mode = NULL;
	is_link_state = state && (!strcmp(state, "link") ||
				  !strcmp(state, "hard") ||
				  !strcmp(state, "absent"));
	pd->follow = arg_bool(ctx, "follow", true) && !is_link_state;
	/* touch's times default to now (the other states': preserve) */
	if ((error = parse_time(&pd->mtime, &pd->mtime_at,
				time_arg(ctx, "modification_time", state),
				arg_str(ctx, "modification_time_format"),
				"modification_time")) < 0 ||
	    (error = parse_time(&pd->atime, &pd->atime_at,
				time_arg(ctx, "access_time", state),
				arg_str(ctx, "access_time_format"),
				"access_time")) < 0)
		return error;
	if (state && is_link_state && strcmp(state, "absent") && !src)
		return tend_error_set("src is required for state '%s'", state);
	add_probe(&out->script, path, src, pd);
	if (arg_bool(ctx, "recurse", false) && state &&
	    !strcmp(state, "directory") && (owner || group || mode))
		add_recurse_probe(&out->script, owner, group, mode);
	buf_adds(&out->script, "exit 0\n");
	return 0;
}

/* The judge: what the path is against what the args want. */
static int file_judge(struct check_result *out, const struct task_ctx *ctx,
		      struct probe *p, const struct exec_result *res)
{
	const char *path = arg_str(ctx, "path");
	const char *state = arg_str(ctx, "state");
	const char *src = arg_str(ctx, "src");
	const char *owner = arg_str(ctx, "owner");
	const char *group = arg_str(ctx, "group");
	const struct val *mode = arg_get(ctx, "mode");
	bool force = arg_bool(ctx, "force", false);
	bool recurse = arg_bool(ctx, "recurse", false);
	struct file_plan_data *pd = p->priv;
	struct file_state st;
	struct buf err = BUF_INIT;
	bool changed = false;
	size_t pos = 0;
	int error;

	/* the plan goes on to apply with the check */
	out->priv = pd;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	file_state_init(&st);
	if (val_is(mode, VAL_NULL))
		mode = NULL;
	if (res->status) {
		buf_addbuf(&err, &res->err);
		buf_rtrim(&err);
		error = tend_error_set("cannot read '%s': %s", path, err.ptr);
		goto out;
	}
	if ((error = file_state_parse(&st, &res->out, &pos)) < 0)
		goto out;
	if (!state)
		state = !st.exists ? "file" : st.type == 'd' ? "directory" :
			st.type == 'l' ? "link" : "file";
	pd->state = xstrdup(state);
	pd->exists = st.exists;
	/* the result of an unchanged path, or of a failure (apply's replaces it) */
	out->result = path_result(state, path, &st, type_name(&st));
	if (!strcmp(state, "absent")) {
		if (st.exists) {
			buf_addf(&out->changes, "state: %s -> absent\n",
				 type_name(&st));
			changed = true;
		}
		goto done;
	}
	if (recurse && mode && st.type == 'd')
		pd->below = rmodes_differ(&res->out, pos, mode);
	if ((error = check_type(out, pd, &st, path, src, force, recurse,
			       &res->out, pos, &changed)) < 0 ||
	    (error = check_attrs(out, pd, &st, mode, owner, group, &res->out,
				pos, &changed)) < 0)
		goto out;
done:
	out->status = changed ? CHECK_CHANGE : CHECK_OK;
out:
	file_state_release(&st);
	buf_release(&err);
	return error;
}

static void add_id_cmd(struct buf *s, const char *cmd, const char *id,
		       bool recurse, bool link)
{
	buf_addf(s, "%s %s%s-- ", cmd, recurse ? "-R " : "", link ? "-h " : "");
	sh_quote(s, id);
	buf_adds(s, " \"$p\" || exit 1\n");
}

static void add_touch(struct buf *s, const char *flag, enum time_action act,
		      long long at)
{
	if (act == TIME_NOW)
		buf_addf(s, "touch -c %s -- \"$p\" || exit 1\n", flag);
	else if (act == TIME_SET)
		buf_addf(s, "touch -c %s -d @%lld -- \"$p\" || exit 1\n", flag,
			 at);
}

/*
 * mkdir -p, where each directory made (the missing parents too) gets the
 * task's mode, owner and group, as Ansible's file module gives them.
 */
static void add_mkdirs(struct buf *s, const struct file_plan_data *pd,
		       const struct task_ctx *ctx)
{
	if (!pd->set_mode && !pd->chown && !pd->chgrp) {
		buf_adds(s, "mkdir -p -- \"$p\" || exit 1\n");
		return;
	}
	buf_adds(s, "set --; q=$p\n"
		 "while [ ! -e \"$q\" ] && [ ! -L \"$q\" ]; do\n"
		 "set -- \"$q\" \"$@\"; q=$(dirname -- \"$q\") || exit 1\n"
		 "done\n"
		 /* made meanwhile (another host on this machine): fine,
		    as Ansible's EEXIST; any other failure says why */
		 "for d; do\nmkdir -- \"$d\" 2>/dev/null || [ -d \"$d\" ] || "
		 "{ mkdir -- \"$d\"; exit 1; }\n");
	if (pd->set_mode) {
		if (pd->mode_text) {
			buf_adds(s, "chmod -- ");
			sh_quote(s, pd->mode_text);
			buf_adds(s, " \"$d\" || exit 1\n");
		} else {
			buf_addf(s, "chmod %o \"$d\" || exit 1\n", pd->mode);
		}
	}
	if (pd->chown) {
		buf_adds(s, "chown -- ");
		sh_quote(s, arg_str(ctx, "owner"));
		buf_adds(s, " \"$d\" || exit 1\n");
	}
	if (pd->chgrp) {
		buf_adds(s, "chgrp -- ");
		sh_quote(s, arg_str(ctx, "group"));
		buf_adds(s, " \"$d\" || exit 1\n");
	}
	buf_adds(s, "done\n");
}

static int file_apply(struct apply_result *out, const struct task_ctx *ctx,
		      const struct check_result *planned)
{
	const struct file_plan_data *pd = planned->priv;
	const char *path = arg_str(ctx, "path");
	const char *src = arg_str(ctx, "src");
	bool link = !strcmp(pd->state, "link");
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct file_state st;
	size_t pos = 0;
	int error;

	file_state_init(&st);
	buf_adds(&s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(&s);
	add_path_var(&s, path);
	if (!strcmp(pd->state, "absent")) {
		buf_adds(&s, "rm -rf -- \"$p\" || exit 1\n");
	} else if (!strcmp(pd->state, "directory")) {
		if (pd->create)
			add_mkdirs(&s, pd, ctx);
	} else if (!strcmp(pd->state, "touch")) {
		if (pd->create)
			buf_adds(&s, "touch -- \"$p\" || exit 1\n");
	} else if (link && pd->relink) {
		buf_adds(&s, "ln -sfn -- ");
		sh_quote(&s, src);
		buf_adds(&s, " \"$p\" || exit 1\n");
	} else if (!strcmp(pd->state, "hard") && pd->relink) {
		buf_adds(&s, "ln -f -- ");
		sh_quote(&s, src);
		buf_adds(&s, " \"$p\" || exit 1\n");
	}
	if (strcmp(pd->state, "absent")) {
		if (pd->set_mode) {
			if (pd->recurse && pd->mode_text) {
				buf_adds(&s, "chmod -R -- ");
				sh_quote(&s, pd->mode_text);
				buf_adds(&s, " \"$p\" || exit 1\n");
			} else {
				buf_addf(&s, "chmod %s%o \"$p\" || exit 1\n",
					 pd->recurse ? "-R " : "", pd->mode);
			}
		}
		if (pd->chown)
			add_id_cmd(&s, "chown", arg_str(ctx, "owner"),
				   pd->recurse, link);
		if (pd->chgrp)
			add_id_cmd(&s, "chgrp", arg_str(ctx, "group"),
				   pd->recurse, link);
		add_touch(&s, "-m", pd->mtime, pd->mtime_at);
		add_touch(&s, "-a", pd->atime, pd->atime_at);
	}
	buf_addf(&s, "tend_probe \"$p\" '%s' n\n", pd->follow ? "L" : "");
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		buf_rtrim(&res.err);
		error = tend_error_set("cannot change '%s': %s", path,
				       res.err.ptr);
		goto out;
	}
	if ((error = file_state_parse(&st, &res.out, &pos)) < 0)
		goto out;

	out->changed = true;
	out->result = path_result(pd->state, path, &st,
				  !strcmp(pd->state, "touch") ? "file" :
				  pd->state);
	if (src && (link || !strcmp(pd->state, "hard")))
		val_dict_set_str(out->result, "src", src);
out:
	file_state_release(&st);
	exec_result_release(&res);
	buf_release(&s);
	return error;
}

const struct tend_module mod_file = {
	.name = "file",
	.args = file_args,
	.flags = MOD_FILE_ARGS,
	.doc = "manage files, directories, links and their attributes",
	.returns =
		"path: the path managed (dest for a link: the link)\n"
		"src: a link's target\n"
		"mode, owner, group, uid, gid, size, state: of the path after the task\n",
	.example =
		"- file:\n"
		"    path: /srv/app/releases\n"
		"    state: directory\n"
		"    mode: \"0755\"\n"
		"- file:\n"
		"    src: /srv/app/releases/1.4\n"
		"    dest: /srv/app/current\n"
		"    state: link\n",
	.probe = file_probe,
	.judge = file_judge,
	.apply = file_apply,
};
