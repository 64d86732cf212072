#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

#include <fnmatch.h>

/*
 * unarchive: extract a tar (gzip, bzip2, xz or none) or zip archive into
 * a directory, as Ansible's unarchive does, with the host's GNU tar or
 * unzip. Idempotent as Ansible is: the archive is listed, and compared
 * with dest (`tar --diff`; for zip, each member's bytes with cmp), and
 * extracted only when something differs.
 *
 * With remote_src the archive is on the host and the check is one probe.
 * Else it is on the controller: the check cannot compare without sending
 * it (unknown), and the apply sends it to a temp file beside dest,
 * compares, extracts, and removes it.
 */

static const struct arg_spec unarchive_args[] = {
	{ "src", ARG_PATH, ARG_REQUIRED, NULL, NULL, NULL,
	  "the archive: on the controller (looked up in files/ first), or "
	  "on the host with remote_src" },
	{ "dest", ARG_PATH, ARG_REQUIRED, NULL, NULL, NULL,
	  "the directory to extract into (it must exist)" },
	{ "remote_src", ARG_BOOL, 0, NULL, NULL, "no",
	  "src is on the host already" },
	{ "copy", ARG_BOOL, 0, NULL, NULL, "yes",
	  "the old inverse of remote_src" },
	{ "creates", ARG_PATH, 0, NULL, NULL, NULL,
	  "skip the task if this path exists on the host" },
	{ "list_files", ARG_BOOL, 0, NULL, NULL, "no",
	  "return the archive's members in `files`" },
	{ "exclude", ARG_LIST, 0, NULL, NULL, NULL,
	  "members (fnmatch patterns) not to extract" },
	{ "extra_opts", ARG_LIST, 0, NULL, NULL, NULL,
	  "more options for tar (after --show-transformed-names) or unzip" },
	{ "keep_newer", ARG_BOOL, 0, NULL, NULL, "no",
	  "tar's --keep-newer-files" },
	{ "validate_certs", ARG_BOOL, 0, NULL, NULL, "yes",
	  "accepted (src by URL is not supported)" },
	{ "mode", ARG_MODE, 0, NULL, NULL, NULL,
	  "permissions of every extracted path" },
	{ "owner", ARG_STR, 0, NULL, NULL, NULL, "owner of every extracted path" },
	{ "group", ARG_STR, 0, NULL, NULL, NULL, "group of every extracted path" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* What the inspection of the archive and dest found. */
struct ua_plan {
	char *src;            /* the archive on the host (a temp file for a
				 controller src, once sent) */
	char *local;          /* a controller src: its path there */
	char *handler;        /* Ansible's class name: TgzArchive ... */
	char *tool;           /* the tar or unzip that handles it */
	const char *flag;     /* tar's compression flag, "" for none */
	struct val *files;    /* members, excludes left out */
	struct buf diff;      /* why dest differs (tar --diff, zip members) */
	bool unarchived;      /* dest has it all */
	bool attrs;           /* some path's mode/owner/group differs */
	bool creates;         /* `creates` exists: skip */
	struct file_state dest;
};

static void ua_plan_free(void *p)
{
	struct ua_plan *u = p;

	if (!u)
		return;
	free(u->src);
	free(u->local);
	free(u->handler);
	free(u->tool);
	val_unref(u->files);
	buf_release(&u->diff);
	file_state_release(&u->dest);
	free(u);
}

static bool remote_src(const struct task_ctx *ctx)
{
	return arg_bool(ctx, "remote_src", false) ||
	       !arg_bool(ctx, "copy", true);
}

static const struct val *list_arg(const struct task_ctx *ctx, const char *n)
{
	const struct val *v = arg_get(ctx, n);

	return val_is(v, VAL_LIST) ? v : NULL;
}

/* Append " --exclude=E ..." or the extra opts, each quoted. */
static void add_words(struct buf *s, const struct val *l, const char *prefix)
{
	for (size_t i = 0; l && i < val_len(l); i++) {
		struct buf w = BUF_INIT;

		buf_addf(&w, "%s", prefix);
		val_to_text(&w, val_list_at(l, i));
		buf_addch(s, ' ');
		sh_quote(s, w.ptr);
		buf_release(&w);
	}
}

/*
 * The read-only inspection of "$s" against "$d": records uid, handler,
 * tool, flag, list (members, one a line), diff (what differs), then
 * with attributes asked for, "st" (hex mode, owner, group, name) of
 * each member there, and last dest's tend_probe record.
 */
static void inspect_script(struct buf *s, const struct task_ctx *ctx,
			   bool want_stat)
{
	const struct val *opts = list_arg(ctx, "extra_opts");
	const struct val *excl = list_arg(ctx, "exclude");

	buf_adds(s, "[ -e \"$s\" ] || { printf \"Source '%s' does not exist\\n\" "
		 "\"$s\" >&2; exit 3; }\n"
		 "[ -s \"$s\" ] || { printf \"Invalid archive '%s', the file "
		 "is 0 bytes\\n\" \"$s\" >&2; exit 3; }\n"
		 "[ -d \"$d\" ] || { printf \"Destination '%s' is not a "
		 "directory\\n\" \"$d\" >&2; exit 3; }\n"
		 "case $s in -*) s=./$s ;; esac\n"
		 "echo \"uid $(id -u)\"\n"
		 "m=$(od -An -tx1 -N4 -- \"$s\" | tr -d ' \\n')\n"
		 "if [ \"$m\" = 504b0304 ] || [ \"$m\" = 504b0506 ]; then\n"
		 "\tu=$(command -v unzip) || { printf \"'%s' is a zip archive "
		 "and the host has no unzip: install it first\\n\" \"$s\" >&2; "
		 "exit 3; }\n"
		 "\techo 'handler ZipArchive'; echo 'flag -'\n"
		 "\tprintf 'tool:%s\\n%s\\n' \"${#u}\" \"$u\"\n"
		 "\tl=$(unzip -Z1 \"$s\") || exit 1\n"
		 "\tprintf 'list:%s\\n%s\\n' \"${#l}\" \"$l\"\n"
		 "\tx=$(printf '%s\\n' \"$l\" | while IFS= read -r n; do\n"
		 "\t\tcase $n in */) [ -d \"$d/$n\" ] || printf 'missing "
		 "%s\\n' \"$n\"; continue ;; esac\n"
		 "\t\tq=$(printf '%s' \"$n\" | sed 's/\\\\/\\\\\\\\/g; "
		 "s/[][*?]/[&]/g; s/^-/[-]/')\n"
		 "\t\tif [ -L \"$d/$n\" ]; then unzip -Z \"$s\" \"$q\" | "
		 "grep -q '^l' && [ \"$(unzip -p \"$s\" \"$q\")\" = "
		 "\"$(readlink -- \"$d/$n\")\" ] || printf 'differs %s\\n' "
		 "\"$n\"; continue; fi\n"
		 "\t\t[ -f \"$d/$n\" ] && unzip -p \"$s\" \"$q\" | cmp -s - "
		 "\"$d/$n\" || printf 'differs %s\\n' \"$n\"\n"
		 "\tdone)\n"
		 "else\n"
		 "\tu=$(command -v gtar || command -v tar) || { echo \"Unable "
		 "to find required 'gtar' or 'tar' binary in the path\" >&2; "
		 "exit 3; }\n"
		 "\t\"$u\" --version 2>/dev/null | head -n 1 | grep -q GNU || "
		 "{ echo \"$u is not GNU tar, which unarchive needs\" >&2; "
		 "exit 3; }\n"
		 "\tprintf 'tool:%s\\n%s\\n' \"${#u}\" \"$u\"\n"
		 "\tset --");
	if (opts)
		buf_adds(s, " --show-transformed-names");
	add_words(s, opts, "");
	add_words(s, excl, "--exclude=");
	buf_adds(s, "\n\th=\n"
		 "\tfor f in -z '' -j -J; do\n"
		 "\t\tif l=$(cd \"$d\" && \"$u\" --list --quoting-style=literal "
		 "-C \"$d\" $f \"$@\" -f \"$s\" 2>/dev/null) && [ -n \"$l\" ]; "
		 "then h=${f:--}; break; fi\n"
		 "\tdone\n"
		 "\t[ -n \"$h\" ] || { printf \"Failed to find handler for "
		 "'%s': not an archive tar or unzip can read\\n\" \"$s\" >&2; "
		 "exit 3; }\n"
		 "\techo \"flag $h\"\n"
		 "\tprintf 'list:%s\\n%s\\n' \"${#l}\" \"$l\"\n");
	if (arg_str(ctx, "owner")) {
		buf_adds(s, "\tset -- \"$@\" ");
		buf_adds(s, "--owner=");
		sh_quote(s, arg_str(ctx, "owner"));
		buf_addch(s, '\n');
	}
	if (arg_str(ctx, "group")) {
		buf_adds(s, "\tset -- \"$@\" --group=");
		sh_quote(s, arg_str(ctx, "group"));
		buf_addch(s, '\n');
	}
	if (arg_bool(ctx, "keep_newer", false))
		buf_adds(s, "\tset -- \"$@\" --keep-newer-files\n");
	buf_adds(s, "\t[ \"$h\" = - ] && h=\n"
		 "\tx=$(cd \"$d\" && \"$u\" --diff -C \"$d\" $h \"$@\" -f \"$s\" "
		 "2>&1)\nfi\n"
		 "printf 'diff:%s\\n%s\\n' \"${#x}\" \"$x\"\n");
	if (want_stat)
		buf_adds(s, "printf '%s\\n' \"$l\" | while IFS= read -r n; do\n"
			 "\tn=${n#/}; [ -n \"$n\" ] || continue\n"
			 "\tif [ -e \"$d/$n\" ] || [ -L \"$d/$n\" ]; then\n"
			 "\t\tx=$(stat -c '%f %U %G' -- \"$d/$n\") || exit 1\n"
			 "\t\tx=\"$x $n\"\n"
			 "\t\tprintf 'st:%s\\n%s\\n' \"${#x}\" \"$x\"; fi\n"
			 "done\n");
	buf_adds(s, "echo 'dest 1'\ntend_probe \"$d\" L n\n");
}

static bool want_attrs(const struct task_ctx *ctx)
{
	const struct val *m = arg_get(ctx, "mode");

	return (m && !val_is(m, VAL_NULL)) || arg_str(ctx, "owner") ||
	       arg_str(ctx, "group");
}

/* Script head: the probe function, and $s (archive) and $d (dest). */
static void script_head(struct buf *s, const char *src, const char *dest)
{
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(s);
	buf_adds(s, "s=");
	sh_quote(s, src);
	buf_adds(s, "\nd=");
	sh_quote(s, dest);
	buf_addch(s, '\n');
}

static int unarchive_probe(struct probe *out, const struct task_ctx *ctx)
{
	const char *src = arg_str(ctx, "src"), *dest = arg_str(ctx, "dest");
	const char *creates = arg_str(ctx, "creates");
	struct ua_plan *u = xcalloc(1, sizeof(*u));
	struct buf *s = &out->script;

	buf_init(&u->diff, 0);
	file_state_init(&u->dest);
	out->priv = u;
	out->priv_free = ua_plan_free;
	if (!src || !dest)
		return tend_error_set("src and dest are required");
	if (strstr(src, "://"))
		return tend_error_set("unarchive: a src by URL is not "
				      "supported; download it with get_url "
				      "first");
	if (!remote_src(ctx)) {
		struct buf b = BUF_INIT;

		if (task_find_file(&u->local, ctx, "files", src) < 0)
			return -1;
		/* read now: a missing or unreadable src fails the check */
		if (task_read_file(&b, ctx, u->local) < 0)
			return -1;
		buf_release(&b);
	}
	script_head(s, src, dest);
	if (creates) {
		buf_adds(s, "if [ -e ");
		sh_quote(s, creates);
		buf_adds(s, " ]; then echo 'creates 1'; exit 0; fi\n");
	}
	if (remote_src(ctx))
		inspect_script(s, ctx, want_attrs(ctx));
	else
		buf_adds(s, "[ -d \"$d\" ] || { printf \"Destination '%s' is "
			 "not a directory\\n\" \"$d\" >&2; exit 3; }\n"
			 "echo 'dest 1'\ntend_probe \"$d\" L n\n");
	return 0;
}

/* Ansible's TgzArchive.is_unarchived: which --diff lines mean "differs". */
static bool diff_line_counts(const char *l, size_t n, long uid,
			     const struct task_ctx *ctx)
{
	const struct val *mode = arg_get(ctx, "mode");
	bool has_mode = mode && !val_is(mode, VAL_NULL);

#define ENDS(s) (n >= sizeof(s) - 1 && !memcmp(l + n - (sizeof(s) - 1), s, \
						sizeof(s) - 1))
	if (ENDS(": : Warning: Cannot stat: No such file or directory"))
		return false;
	if (uid == 0 && !arg_str(ctx, "owner") && ENDS(": Uid differs"))
		return true;
	if (uid == 0 && !arg_str(ctx, "group") && ENDS(": Gid differs"))
		return true;
	if (!has_mode && ENDS(": Mode differs"))
		return true;
	if (ENDS(": Mod time differs") ||
	    ENDS(": Warning: Cannot stat: No such file or directory"))
		return true;
#undef ENDS
	return memmem(l, n, ": Invalid owner", 15) ||
	       memmem(l, n, ": Invalid group", 15);
}

static bool excluded(const struct task_ctx *ctx, const char *name)
{
	const struct val *excl = list_arg(ctx, "exclude");

	for (size_t i = 0; excl && i < val_len(excl); i++) {
		const char *e = val_cstr(val_list_at(excl, i));
		struct buf p = BUF_INIT;
		bool hit;

		/* Ansible strips a trailing '/' from each pattern */
		buf_adds(&p, e ? e : "");
		while (p.len && p.ptr[p.len - 1] == '/')
			buf_setlen(&p, p.len - 1);
		hit = !fnmatch(p.ptr, name, 0);
		buf_release(&p);
		if (hit)
			return true;
	}
	return false;
}

/* The members, one a line, into u->files (a leading '/' dropped). */
static void read_list(struct ua_plan *u, const struct task_ctx *ctx,
		      const char *s, size_t len)
{
	const char *end = s + len;

	u->files = val_list();
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		char *name;

		if (*s == '/')
			s++;
		name = xstrndup(s, (size_t)(e - s));
		if (*name && !excluded(ctx, name))
			val_list_push(u->files, val_str(name));
		free(name);
		s = nl ? nl + 1 : end;
	}
}

/* What differs, as the diff record says (tar --diff, or zip's lines). */
static void read_diff(struct ua_plan *u, const struct task_ctx *ctx,
		      const char *s, size_t len, long uid)
{
	const char *end = s + len;
	bool zip = u->handler && !strcmp(u->handler, "ZipArchive");

	u->unarchived = true;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);
		bool counts;

		if (zip) {
			const char *sp = memchr(s, ' ', n);
			char *name = sp ? xstrndup(sp + 1, n - (size_t)(sp + 1 - s))
				: NULL;

			counts = name && !excluded(ctx, name);
			free(name);
		} else {
			counts = diff_line_counts(s, n, uid, ctx);
		}
		if (counts) {
			u->unarchived = false;
			buf_add(&u->diff, s, n);
			buf_addch(&u->diff, '\n');
		}
		s = nl ? nl + 1 : end;
	}
}

/* One "st" record: whether that path's mode/owner/group differ. */
static int read_stat(struct ua_plan *u, const struct task_ctx *ctx,
		     const char *s, size_t len)
{
	const struct val *mode = arg_get(ctx, "mode");
	const char *owner = arg_str(ctx, "owner"), *group = arg_str(ctx, "group");
	char *line = xstrndup(s, len), *o, *g, *rest;
	unsigned long raw = strtoul(line, &o, 16);
	unsigned int want;

	if (*o != ' ' || !(g = strchr(o + 1, ' ')) ||
	    !(rest = strchr(g + 1, ' '))) {
		free(line);
		return tend_error_set("cannot parse the reply of the host");
	}
	*g++ = '\0';
	*rest = '\0';
	o++;
	/* a link's own mode never changes (Linux has no lchmod): Ansible
	 * tries, and counts no change */
	if (mode && !val_is(mode, VAL_NULL) && (raw & 0170000) != 0120000) {
		if (mode_parse(&want, mode, (unsigned int)(raw & 07777),
			       (raw & 0170000) == 0040000) < 0) {
			free(line);
			return -1;
		}
		if (want != (raw & 07777))
			u->attrs = true;
	}
	if ((owner && strcmp(owner, o)) || (group && strcmp(group, g)))
		u->attrs = true;
	free(line);
	return 0;
}

static const char *handler_of(const char *flag)
{
	if (!strcmp(flag, "-z"))
		return "TgzArchive";
	if (!strcmp(flag, "-j"))
		return "TarBzipArchive";
	if (!strcmp(flag, "-J"))
		return "TarXzArchive";
	return "TarArchive";
}

/* Parse an inspection's reply into u. */
static int read_inspect(struct ua_plan *u, const struct task_ctx *ctx,
			const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	long uid = -1;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		if (rec_is(&r, "creates")) {
			u->creates = true;
			return 0;
		} else if (rec_is(&r, "uid")) {
			uid = strtol(r.val, NULL, 10);
		} else if (rec_is(&r, "tmp")) {
			free(u->src);
			u->src = xstrndup(r.val, r.len);
		} else if (rec_is(&r, "handler")) {
			u->handler = xstrndup(r.val, r.len);
		} else if (rec_is(&r, "flag") && !u->handler) {
			u->flag = r.len == 2 && r.val[1] == 'z' ? "-z" :
				r.len == 2 && r.val[1] == 'j' ? "-j" :
				r.len == 2 && r.val[1] == 'J' ? "-J" : "";
			u->handler = xstrdup(handler_of(u->flag));
		} else if (rec_is(&r, "tool")) {
			u->tool = xstrndup(r.val, r.len);
		} else if (rec_is(&r, "list")) {
			read_list(u, ctx, r.val, r.len);
		} else if (rec_is(&r, "diff")) {
			read_diff(u, ctx, r.val, r.len, uid);
		} else if (rec_is(&r, "st")) {
			if (read_stat(u, ctx, r.val, r.len) < 0)
				return -1;
		} else if (rec_is(&r, "dest")) {
			return file_state_parse(&u->dest, out, &pos);
		}
	}
	return n < 0 ? n : tend_error_set("cannot parse the reply of the host");
}

static int script_error(const struct exec_result *res, const char *what)
{
	struct buf e = BUF_INIT;
	int error;

	buf_addbuf(&e, &res->err);
	buf_trim(&e);
	if (res->status == 3)
		error = tend_error_set("%s", e.ptr);
	else
		error = tend_error_set("%s: %s", what,
				       e.len ? e.ptr : "script failed");
	buf_release(&e);
	return error;
}

/* The result keys every outcome has (Ansible's res_args, path info). */
static struct val *base_result(const struct task_ctx *ctx,
			       const struct ua_plan *u)
{
	struct val *res = val_dict();
	struct buf mode = BUF_INIT;

	val_dict_set_str(res, "handler", u->handler);
	val_dict_set_str(res, "dest", arg_str(ctx, "dest"));
	val_dict_set_str(res, "src", u->src ? u->src : arg_str(ctx, "src"));
	if (arg_bool(ctx, "list_files", false) && u->files)
		val_dict_set(res, "files", val_ref(u->files));
	if (u->dest.exists) {
		mode_format_info(&mode, u->dest.mode);
		val_dict_set_int(res, "uid", u->dest.uid);
		val_dict_set_int(res, "gid", u->dest.gid);
		val_dict_set_str(res, "owner", u->dest.owner);
		val_dict_set_str(res, "group", u->dest.group);
		val_dict_set_str(res, "mode", mode.ptr);
		val_dict_set_int(res, "size", u->dest.size);
		val_dict_set_str(res, "state", "directory");
	}
	buf_release(&mode);
	return res;
}

static void skipped(struct check_result *out, const struct task_ctx *ctx)
{
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set_bool(out->result, "skipped", true);
	val_dict_set(out->result, "msg", val_strf("skipped, since %s exists",
						  arg_str(ctx, "creates")));
}

/* The plan's words for what will change. */
static void describe(struct check_result *out, const struct task_ctx *ctx,
		     const struct ua_plan *u)
{
	const char *src = arg_str(ctx, "src"), *dest = arg_str(ctx, "dest");
	size_t shown = 0;

	if (!u->unarchived) {
		buf_addf(&out->changes, "extract: %s -> %s\n", src, dest);
		for (const char *l = u->diff.ptr; *l && shown < 10; shown++) {
			size_t n = strcspn(l, "\n");

			buf_addf(&out->changes, "differs: %.*s\n", (int)n, l);
			l += n + (l[n] == '\n');
		}
	}
	if (u->attrs)
		buf_addf(&out->changes, "attributes: mode/owner/group of "
			 "paths from %s in %s\n", src, dest);
}

static int unarchive_judge(struct check_result *out,
			   const struct task_ctx *ctx, struct probe *p,
			   const struct exec_result *res)
{
	struct ua_plan *u = p->priv;

	out->priv = u;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	if (res->status)
		return script_error(res, "cannot inspect the archive");
	if (read_inspect(u, ctx, &res->out) < 0)
		return -1;
	if (u->creates) {
		skipped(out, ctx);
		return 0;
	}
	if (!remote_src(ctx)) {
		out->status = CHECK_UNKNOWN;
		buf_addf(&out->msg, "send %s to the host and extract it into "
			 "%s where it differs", u->local, arg_str(ctx, "dest"));
		return 0;
	}
	describe(out, ctx, u);
	if (u->unarchived && !u->attrs) {
		out->status = CHECK_OK;
		out->result = base_result(ctx, u);
		val_dict_set_bool(out->result, "changed", false);
		return 0;
	}
	out->status = CHECK_CHANGE;
	return 0;
}

/* Ansible's extract_results.cmd, and the same command for the script. */
static void extract_cmd(struct val **cmd, struct buf *s,
			const struct task_ctx *ctx, const struct ua_plan *u)
{
	const struct val *opts = list_arg(ctx, "extra_opts");
	const struct val *excl = list_arg(ctx, "exclude");
	const char *dest = arg_str(ctx, "dest");
	bool zip = !strcmp(u->handler, "ZipArchive");
	struct val *c = val_list();

	val_list_push(c, val_str(u->tool));
	if (zip) {
		val_list_push(c, val_str("-o"));
		for (size_t i = 0; opts && i < val_len(opts); i++)
			val_list_push(c, val_copy(val_list_at(opts, i)));
		val_list_push(c, val_str(u->src));
		if (excl && val_len(excl)) {
			val_list_push(c, val_str("-x"));
			for (size_t i = 0; i < val_len(excl); i++)
				val_list_push(c, val_copy(val_list_at(excl, i)));
		}
		val_list_push(c, val_str("-d"));
		val_list_push(c, val_str(dest));
	} else {
		val_list_push(c, val_str("--extract"));
		val_list_push(c, val_str("-C"));
		val_list_push(c, val_str(dest));
		if (*u->flag)
			val_list_push(c, val_str(u->flag));
		if (opts && val_len(opts)) {
			val_list_push(c, val_str("--show-transformed-names"));
			for (size_t i = 0; i < val_len(opts); i++)
				val_list_push(c, val_copy(val_list_at(opts, i)));
		}
		if (arg_str(ctx, "owner"))
			val_list_push(c, val_strf("--owner=%s",
						  arg_str(ctx, "owner")));
		if (arg_str(ctx, "group"))
			val_list_push(c, val_strf("--group=%s",
						  arg_str(ctx, "group")));
		if (arg_bool(ctx, "keep_newer", false))
			val_list_push(c, val_str("--keep-newer-files"));
		for (size_t i = 0; excl && i < val_len(excl); i++) {
			struct buf e = BUF_INIT;

			val_to_text(&e, val_list_at(excl, i));
			val_list_push(c, val_strf("--exclude=%s", e.ptr));
			buf_release(&e);
		}
		val_list_push(c, val_str("-f"));
		val_list_push(c, val_str(u->src));
	}
	buf_adds(s, "x=$(cd \"$d\" &&");
	for (size_t i = 0; i < val_len(c); i++) {
		buf_addch(s, ' ');
		sh_quote(s, val_cstr(val_list_at(c, i)));
	}
	buf_adds(s, " 2>\"$e\"; r=$?; echo x; exit $r); r=$?; x=${x%x}\n"
		 "printf 'rc %s\\n' \"$r\"\n"
		 "printf 'out:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "x=$(cat -- \"$e\"; echo x); x=${x%x}\n"
		 "printf 'err:%s\\n%s\\n' \"${#x}\" \"$x\"\n");
	*cmd = c;
}

/* chmod/chown/chgrp of every member and top folder, as asked. */
static int attrs_script(struct buf *s, const struct task_ctx *ctx,
			const struct ua_plan *u)
{
	const struct val *mode = arg_get(ctx, "mode");
	struct val *paths = val_list();
	int error = 0;

	for (size_t i = 0; i < val_len(u->files); i++) {
		const char *f = val_cstr(val_list_at(u->files, i));
		const char *slash = strchr(f, '/');

		val_list_push(paths, val_str(f));
		if (slash)
			val_list_push(paths, val_strn(f, (size_t)(slash - f)));
	}
	buf_adds(s, "for n in");
	for (size_t i = 0; i < val_len(paths); i++) {
		buf_addch(s, ' ');
		sh_quote(s, val_cstr(val_list_at(paths, i)));
	}
	buf_adds(s, "; do\n\tp=\"$d/$n\"; [ -e \"$p\" ] || [ -L \"$p\" ] || "
		 "continue\n");
	if (mode && !val_is(mode, VAL_NULL)) {
		if (val_is(mode, VAL_STR) && strpbrk(val_cstr(mode), "ugoa+-=")) {
			buf_adds(s, "\t[ -L \"$p\" ] || chmod ");
			sh_quote(s, val_cstr(mode));
			buf_adds(s, " -- \"$p\" || exit 1\n");
		} else {
			unsigned int m;

			if ((error = mode_parse(&m, mode, 0, false)) < 0)
				goto out;
			buf_addf(s, "\t[ -L \"$p\" ] || chmod %o -- \"$p\" || "
				 "exit 1\n", m);
		}
	}
	if (arg_str(ctx, "owner")) {
		buf_adds(s, "\tchown -h -- ");
		sh_quote(s, arg_str(ctx, "owner"));
		buf_adds(s, " \"$p\" || exit 1\n");
	}
	if (arg_str(ctx, "group")) {
		buf_adds(s, "\tchgrp -h -- ");
		sh_quote(s, arg_str(ctx, "group"));
		buf_adds(s, " \"$p\" || exit 1\n");
	}
	buf_adds(s, "done\n");
out:
	val_unref(paths);
	return error;
}

/* A controller src: send it to a temp file and inspect it there. */
static int send_and_inspect(struct ua_plan *u, const struct task_ctx *ctx)
{
	struct buf s = BUF_INIT, data = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	int error;

	if ((error = task_read_file(&data, ctx, u->local)) < 0)
		goto out;
	script_head(&s, "", arg_str(ctx, "dest"));
	buf_addf(&s, "s=$(mktemp \"${TMPDIR:-/tmp}/.tend-unarchive-XXXXXX\") "
		 "|| exit 1\ntrap '[ $? = 0 ] || rm -f -- \"$s\"' EXIT\n"
		 "cat > \"$s\" || exit 1\n"
		 "n=$(wc -c < \"$s\") && [ \"$((n))\" -eq %zu ] || "
		 "{ echo 'input cut short' >&2; exit 1; }\n"
		 "printf 'tmp:%%s\\n%%s\\n' \"${#s}\" \"$s\"\n", data.len);
	inspect_script(&s, ctx, want_attrs(ctx));
	req.script = s.ptr;
	req.in = data.ptr;
	req.inlen = data.len;
	req.become_user = ctx->become_user;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status)
		error = script_error(&res, "cannot inspect the archive");
	else
		error = read_inspect(u, ctx, &res.out);
out:
	buf_release(&s);
	buf_release(&data);
	exec_result_release(&res);
	return error;
}

/* Extract (when dest differs), set attributes, and read dest again. */
static int extract(struct apply_result *out, const struct task_ctx *ctx,
		   struct ua_plan *u, bool cleanup)
{
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct val *cmd = NULL, *er = NULL;
	struct rec r;
	size_t pos = 0;
	int error, n;

	script_head(&s, u->src, arg_str(ctx, "dest"));
	if (cleanup)
		buf_adds(&s, "trap 'rm -f -- \"$s\"' EXIT\n");
	if (!u->unarchived) {
		buf_adds(&s, "e=$(mktemp \"${TMPDIR:-/tmp}/.tend-err-XXXXXX\") "
			 "|| exit 1\n");
		buf_adds(&s, cleanup ? "trap 'rm -f -- \"$s\" \"$e\"' EXIT\n" :
			 "trap 'rm -f -- \"$e\"' EXIT\n");
		extract_cmd(&cmd, &s, ctx, u);
		buf_adds(&s, "[ \"$r\" = 0 ] || exit 0\n");
	}
	if (u->files && want_attrs(ctx) && (error = attrs_script(&s, ctx, u)) < 0)
		goto out;
	buf_adds(&s, "echo 'dest 1'\ntend_probe \"$d\" L n\n");
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = script_error(&res, "cannot extract");
		goto out;
	}
	if (cmd) {
		er = val_dict();
		val_dict_set(er, "cmd", val_ref(cmd));
	}
	while ((n = rec_next(&r, &res.out, &pos)) > 0 && !rec_is(&r, "dest")) {
		if (!er)
			continue;
		if (rec_is(&r, "rc"))
			val_dict_set_int(er, "rc", strtol(r.val, NULL, 10));
		else if (rec_is(&r, "out") || rec_is(&r, "err"))
			val_dict_set(er, r.key, val_strn(r.val, r.len));
	}
	if (n > 0)
		error = file_state_parse(&u->dest, &res.out, &pos);
	out->result = base_result(ctx, u);
	out->changed = !u->unarchived || u->attrs;
	if (er) {
		const struct val *rc = val_dict_get(er, "rc");

		val_dict_set(out->result, "extract_results", val_ref(er));
		if (!rc || rc->u.i != 0) {
			out->failed = true;
			buf_addf(&out->msg, "failed to unpack %s to %s", u->src,
				 arg_str(ctx, "dest"));
		}
	}
out:
	val_unref(cmd);
	val_unref(er);
	buf_release(&s);
	exec_result_release(&res);
	return error;
}

static int unarchive_apply(struct apply_result *out,
			   const struct task_ctx *ctx,
			   const struct check_result *planned)
{
	struct ua_plan *u = planned->priv;
	int error;

	if (remote_src(ctx)) {
		if (!u->src)
			u->src = xstrdup(arg_str(ctx, "src"));
		return extract(out, ctx, u, false);
	}
	if ((error = send_and_inspect(u, ctx)) < 0)
		return error;
	return extract(out, ctx, u, true);
}

const struct tend_module mod_unarchive = {
	.name = "unarchive",
	.args = unarchive_args,
	.flags = MOD_NO_ASYNC | MOD_MAY_BE_UNKNOWN | MOD_FILE_ARGS,
	.files_dir = "files",
	.doc = "extract a tar or zip archive into a directory on the host",
	.probe = unarchive_probe,
	.judge = unarchive_judge,
	.apply = unarchive_apply,
	.returns =
		"dest, src: where it went, the archive on the host\n"
		"handler: TgzArchive, TarArchive, TarBzipArchive, "
		"TarXzArchive or ZipArchive\n"
		"extract_results: {cmd, rc, out, err} of the extraction, "
		"when there was one\n"
		"files: the members, with list_files\n"
		"mode, owner, group, uid, gid, size, state: of dest\n",
	.example =
		"- unarchive:\n"
		"    src: tool-1.2.tar.gz\n"
		"    dest: /opt\n"
		"    creates: /opt/tool-1.2\n",
};
