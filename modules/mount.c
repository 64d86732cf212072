#include "tend/common.h"
#include <ctype.h>
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/diff.h"
#include "tend/util/quote.h"

/*
 * mount (ansible.posix.mount): a file system's line in fstab, and
 * whether it is mounted, with the host's mount and umount.
 *
 * One probe reads the fstab, whether the path is a mount point (Python's
 * os.path.ismount) and /proc/self/mountinfo (Ansible's bind mount
 * check); the judge edits the fstab lines as Ansible's set_mount and
 * unset_mount do (fields escaped: space \040, & \046, \ \134) and
 * decides what to mount; one script writes the fstab in place (its mode
 * stays) and mounts, remounts or unmounts. state=ephemeral is refused.
 */

static const char *const mount_states[] = { "mounted", "unmounted",
	"present", "absent", "absent_from_fstab", "remounted", "ephemeral",
	NULL };

static const struct arg_spec mount_args[] = {
	{ "path", ARG_PATH, ARG_REQUIRED, "name", NULL, NULL,
	  "the mount point" },
	{ "src", ARG_PATH, 0, NULL, NULL, NULL,
	  "the device, or what to mount (required for mounted and present)" },
	{ "fstype", ARG_STR, 0, NULL, NULL, NULL,
	  "the file system type (required for mounted and present)" },
	{ "opts", ARG_STR, 0, NULL, NULL, "defaults", "mount options" },
	{ "dump", ARG_STR, 0, NULL, NULL, "0", "the fstab dump field" },
	{ "passno", ARG_STR, 0, NULL, NULL, "0", "the fstab pass field" },
	{ "state", ARG_STR, ARG_REQUIRED, NULL, mount_states, NULL,
	  "mounted (in fstab and mounted), unmounted, present (fstab only), "
	  "absent (out of fstab, unmounted, the directory removed), "
	  "absent_from_fstab, remounted; ephemeral is refused" },
	{ "fstab", ARG_STR, 0, NULL, NULL, "/etc/fstab",
	  "the fstab file (another one is passed to mount with -T)" },
	{ "boot", ARG_BOOL, 0, NULL, NULL, "yes",
	  "mounted at boot (no adds noauto to opts)" },
	{ "backup", ARG_BOOL, 0, NULL, NULL, "no",
	  "keep a copy of the fstab before a change (backup_file)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* The args as Ansible's main() settles them (args dict), escaped. */
struct mount_plan {
	char *name, *src, *fstype, *opts, *dump, *passno, *fstab;
	const char *state;
	bool boot, boot_no;   /* boot_no: Ansible's args['boot'] = 'no' */
	struct val *warnings;
	struct buf before, after;  /* the fstab */
	bool fstab_changed, ismount, bind, exists;
	bool do_mount, do_remount, do_umount, do_rmdir;
};

static void mount_plan_free(void *p)
{
	struct mount_plan *m = p;

	if (!m)
		return;
	free(m->name);
	free(m->src);
	free(m->fstype);
	free(m->opts);
	free(m->dump);
	free(m->passno);
	free(m->fstab);
	val_unref(m->warnings);
	buf_release(&m->before);
	buf_release(&m->after);
	free(m);
}

static bool lit_is(const struct val *args, const char *key, const char *s)
{
	const struct val *v = val_dict_get(args, key);

	return v && val_cstr(v) && !strcmp(val_cstr(v), s);
}

static int mount_validate(const struct val *args, const char **arg)
{
	const struct val *src = val_dict_get(args, "src");
	const struct val *fs = val_dict_get(args, "fstype");
	bool no_src = !src || val_is(src, VAL_NULL);
	bool no_fs = !fs || val_is(fs, VAL_NULL);

	*arg = "state";
	if (lit_is(args, "state", "ephemeral"))
		return tend_error_set("state=ephemeral is not supported by "
				      "tend's mount");
	if ((lit_is(args, "state", "mounted") ||
	     lit_is(args, "state", "present")) && (no_src || no_fs))
		return tend_error_set("state is %s but all of the following "
				      "are missing: %s%s%s",
				      val_cstr(val_dict_get(args, "state")),
				      no_src ? "src" : "",
				      no_src && no_fs ? ", " : "",
				      no_fs ? "fstype" : "");
	return 0;
}

/* Ansible's _escape_fstab */
static char *escape(const char *v)
{
	struct buf b = BUF_INIT;

	for (; v && *v; v++) {
		if (*v == '\\')
			buf_adds(&b, "\\134");
		else if (*v == ' ')
			buf_adds(&b, "\\040");
		else if (*v == '&')
			buf_adds(&b, "\\046");
		else
			buf_addch(&b, *v);
	}
	return buf_detach(&b, NULL);
}

static char *arg_or(const struct task_ctx *ctx, const char *key,
		    const char *dflt)
{
	const char *s = arg_str(ctx, key);

	return xstrdup(s ? s : dflt);
}

/* Ansible's main(): defaults, boot=no as noauto, and its warnings. */
static void settle_args(struct mount_plan *m, const struct task_ctx *ctx)
{
	struct buf opts = BUF_INIT;
	const char *o;
	bool noauto = false, defaults = false;

	m->name = xstrdup(arg_str(ctx, "path"));
	m->state = arg_str(ctx, "state");
	m->src = arg_or(ctx, "src", "");
	m->fstype = arg_or(ctx, "fstype", "");
	m->opts = arg_or(ctx, "opts", "defaults");
	m->dump = arg_or(ctx, "dump", "0");
	m->passno = arg_or(ctx, "passno", "0");
	m->fstab = arg_or(ctx, "fstab", "/etc/fstab");
	m->boot = arg_bool(ctx, "boot", true);
	m->warnings = val_list();
	for (o = m->opts; *o; ) {
		size_t n = strcspn(o, ",");

		noauto |= n == 6 && !strncmp(o, "noauto", 6);
		defaults |= n == 8 && !strncmp(o, "defaults", 8);
		o += n + (o[n] == ',');
	}
	if (noauto) {
		val_list_push(m->warnings, val_str("Ignore the 'boot' due to "
						   "'opts' contains 'noauto'."));
	} else if (!m->boot && defaults) {
		m->boot_no = true;
		val_list_push(m->warnings, val_str("Ignore the 'boot' due to "
						   "'opts' contains 'defaults'."));
	} else if (!m->boot) {
		m->boot_no = true;
		buf_addf(&opts, "%s,noauto", m->opts);
		free(m->opts);
		m->opts = buf_detach(&opts, NULL);
	}
}

static int mount_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct mount_plan *m = xcalloc(1, sizeof(*m));
	struct buf *s = &out->script;
	const char *arg;

	buf_init(&m->before, 0);
	buf_init(&m->after, 0);
	out->priv = m;
	out->priv_free = mount_plan_free;
	if (mount_validate(ctx->args, &arg) < 0)
		return -1;
	settle_args(m, ctx);
	buf_adds(s, "LC_ALL=C; export LC_ALL\np=");
	sh_quote(s, m->name);
	buf_adds(s, "\nf=");
	sh_quote(s, m->fstab);
	buf_adds(s, "\nif [ -f \"$f\" ]; then\n"
		 "\tx=$(cat -- \"$f\"; r=$?; echo x; exit $r) || exit 4\n"
		 "\tx=${x%x}; printf 'fstab:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "fi\n"
		 "[ ! -e \"$p\" ] || echo 'exists 1'\n"
		 /* os.path.ismount: another device than .., or the same inode */
		 "if [ ! -L \"$p\" ] && a=$(stat -c '%d %i' -- \"$p\" 2>/dev/null) "
		 "&& b=$(stat -c '%d %i' -- \"$p/..\" 2>/dev/null); then\n"
		 "\t[ \"${a% *}\" != \"${b% *}\" ] || [ \"${a#* }\" = \"${b#* }\" ] "
		 "&& echo 'ismount 1'\n"
		 "fi\n"
		 "x=$(cat /proc/self/mountinfo 2>/dev/null)\n"
		 "printf 'mi:%s\\n%s\\n' \"${#x}\" \"$x\"\n");
	return 0;
}

/*
 * Python's str.split() of `l` in place (NULs written): up to `max` field
 * pointers in f; returns the number of fields, all of them counted.
 */
static size_t split_ws(char *l, char **f, size_t max)
{
	size_t n = 0;

	for (;;) {
		while (*l && isspace((unsigned char)*l))
			l++;
		if (!*l)
			return n;
		if (n < max)
			f[n] = l;
		n++;
		while (*l && !isspace((unsigned char)*l))
			l++;
		if (*l)
			*l++ = '\0';
	}
}

static bool blank_or_comment(const char *l)
{
	while (isspace((unsigned char)*l))
		l++;
	return !*l || *l == '#';
}

/* One fstab line as Ansible writes it. */
static void fstab_line(struct buf *out, char *const *ld)
{
	buf_addf(out, "%s %s %s %s %s %s\n", ld[0], ld[1], ld[2], ld[3], ld[4],
		 ld[5]);
}

/*
 * Ansible's _set_mount_save_old (add) and unset_mount (!add): m->after
 * from m->before; returns whether it changed. Fields: src, name, fstype,
 * opts, dump, passno.
 */
static bool edit_fstab(struct mount_plan *m, bool add, bool have_src)
{
	char *esc[6] = { escape(m->src), escape(m->name), escape(m->fstype),
			 escape(m->opts), escape(m->dump), escape(m->passno) };
	const char *s = m->before.ptr, *end = s + m->before.len;
	bool changed = false, exists = false;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = (size_t)((nl ? nl : end) - s);
		char *l = xstrndup(s, len), *f[6] = { 0 }, *ld[6];
		struct buf line = BUF_INIT;
		size_t n;

		buf_add(&line, s, len);
		buf_addch(&line, '\n');
		s = nl ? nl + 1 : end;
		n = blank_or_comment(l) ? 0 : split_ws(l, f, 6);
		if (!n || (add && (n < 4 || n > 6)) || (!add && n != 6) ||
		    strcmp(f[1], esc[1]) || (have_src && !strcmp(f[1], "none") &&
					     !strcmp(f[2], "swap") &&
					     strcmp(f[0], m->src))) {
			buf_addbuf(&m->after, &line);
		} else if (add) {
			exists = true;
			/* a missing dump or passno is Python's 0: never equal */
			for (size_t i = 0; i < 6; i++) {
				ld[i] = f[i];
				if (i != 1 && (!f[i] || strcmp(f[i], esc[i]))) {
					ld[i] = esc[i];
					changed = true;
				}
			}
			if (changed)
				fstab_line(&m->after, ld);
			else
				buf_addbuf(&m->after, &line);
		} else {
			changed = true;
		}
		buf_release(&line);
		free(l);
	}
	if (add && !exists) {
		fstab_line(&m->after, esc);
		changed = true;
	}
	for (size_t i = 0; i < 6; i++)
		free(esc[i]);
	return changed;
}

/* A /proc/self/mountinfo record. */
struct mi {
	long id, parent;
	char *root, *dst, *src;
};

/*
 * Ansible's get_linux_mounts, for one mount point: whether `dst` is in
 * it, and its source (the bind source for a mount under another).
 */
static bool linux_mount(const struct buf *info, const char *dst, char **src)
{
	struct mi *v = NULL, *hit = NULL;
	size_t n = 0, cap = 0;
	char *copy = xstrndup(info->ptr, info->len), *l = copy, *nl;
	bool found = false;

	for (; l && *l; l = nl) {
		char *f[64];
		size_t k;

		nl = strchr(l, '\n');
		if (nl)
			*nl++ = '\0';
		k = split_ws(l, f, 64);
		if (k < 8 || k > 64)
			continue;
		if (n == cap)
			v = xrealloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
		v[n].id = strtol(f[0], NULL, 10);
		v[n].parent = strtol(f[1], NULL, 10);
		v[n].root = f[3];
		v[n].dst = f[4];
		v[n].src = f[k - 2];
		if (!strcmp(f[4], dst))
			hit = &v[n];
		n++;
	}
	if (hit) {
		struct mi *p = NULL;
		struct buf b = BUF_INIT;
		const char *root = hit->root;
		size_t pl;

		for (size_t i = 0; i < n && hit->parent != 1; i++)
			if (v[i].id == hit->parent)
				p = &v[i];
		if (p) {
			pl = strlen(p->root);
			if (pl > 1 && !strncmp(root, p->root, pl) && root[pl] == '/')
				root += pl;
			if (strcmp(p->dst, "/"))
				buf_adds(&b, p->dst);
			buf_adds(&b, root);
			*src = buf_detach(&b, NULL);
		} else {
			*src = xstrdup(hit->src);
		}
		found = true;
	}
	free(v);
	free(copy);
	return found;
}

static int read_probe(struct mount_plan *m, const struct buf *out,
		      struct buf *info)
{
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		if (rec_is(&r, "fstab"))
			buf_add(&m->before, r.val, r.len);
		else if (rec_is(&r, "exists"))
			m->exists = true;
		else if (rec_is(&r, "ismount"))
			m->ismount = true;
		else if (rec_is(&r, "mi"))
			buf_add(info, r.val, r.len);
	}
	return n;
}

/* What each state does (Ansible's main()), as plan lines. */
static void decide(struct check_result *out, struct mount_plan *m,
		   const struct buf *info)
{
	const char *st = m->state;
	char *src = NULL;
	bool in_info = linux_mount(info, m->name, &src);
	bool mounted = m->ismount || in_info;
	bool add = !strcmp(st, "mounted") || !strcmp(st, "present");

	if (add || !strcmp(st, "absent") || !strcmp(st, "absent_from_fstab"))
		m->fstab_changed = edit_fstab(m, add, true);
	if (m->fstab_changed)
		buf_addf(&out->changes, "%s %s %s %s\n", add ? "set" : "remove",
			 m->name, add ? "in" : "from", m->fstab);
	if (!strcmp(st, "absent") && m->fstab_changed) {
		m->do_umount = mounted;
		m->do_rmdir = m->exists;
	} else if (!strcmp(st, "unmounted")) {
		m->do_umount = mounted;
	} else if (!strcmp(st, "mounted")) {
		/* Ansible's is_bind_mounted with src: the source must match */
		mounted = m->ismount || (in_info && !strcmp(src, m->src));
		m->do_remount = mounted && m->fstab_changed;
		m->do_mount = !mounted;
	} else if (!strcmp(st, "remounted")) {
		m->do_remount = true;
	}
	free(src);
	if (m->do_mount)
		buf_addf(&out->changes, "mount %s (%s %s)\n", m->name, m->src,
			 m->fstype);
	if (m->do_remount)
		buf_addf(&out->changes, "remount %s\n", m->name);
	if (m->do_umount)
		buf_addf(&out->changes, "unmount %s\n", m->name);
	if (m->do_rmdir)
		buf_addf(&out->changes, "remove directory %s\n", m->name);
}

/* Ansible's result: changed and its args dict. */
static struct val *result(const struct mount_plan *m)
{
	struct val *r = val_dict();

	val_dict_set_str(r, "name", m->name);
	val_dict_set_str(r, "opts", m->opts);
	val_dict_set_str(r, "dump", m->dump);
	val_dict_set_str(r, "passno", m->passno);
	val_dict_set_str(r, "fstab", m->fstab);
	val_dict_set_str(r, "boot", m->boot_no ? "no" : "yes");
	val_dict_set(r, "warnings", val_ref(m->warnings));
	val_dict_set_str(r, "backup_file", "");
	if (*m->src)
		val_dict_set_str(r, "src", m->src);
	if (*m->fstype)
		val_dict_set_str(r, "fstype", m->fstype);
	return r;
}

static int mount_judge(struct check_result *out, const struct task_ctx *ctx,
		       struct probe *p, const struct exec_result *res)
{
	struct mount_plan *m = p->priv;
	struct buf info = BUF_INIT;
	int error;

	out->priv = m;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	(void)ctx;
	if (res->status)
		return exec_error(res, "cannot read the fstab");
	if ((error = read_probe(m, &res->out, &info)) < 0)
		goto out;
	decide(out, m, &info);
	out->result = result(m);
	out->status = out->changes.len ? CHECK_CHANGE : CHECK_OK;
	if (m->fstab_changed)
		diff_unified(&out->diff, m->before.ptr, m->before.len, m->fstab,
			     m->after.ptr, m->after.len, m->fstab);
out:
	buf_release(&info);
	return error;
}

/* $e holds the tool's words; `fail MSG` prints MSG: $e and exits */
static void script_head(struct buf *s, const struct mount_plan *m)
{
	buf_adds(s, "LC_ALL=C; export LC_ALL\n"
		 "PATH=$PATH:/sbin:/usr/sbin\np=");
	sh_quote(s, m->name);
	buf_adds(s, "\nf=");
	sh_quote(s, m->fstab);
	buf_adds(s, "\nfail() { printf '%s %s: %s\\n' \"$1\" \"$p\" \"$e\" >&2; "
		 "exit 4; }\n"
		 "set --\n[ \"$f\" = /etc/fstab ] || set -- -T \"$f\"\n");
}

/* Write the new fstab (stdin) in place of the old: its mode stays. */
static void write_fstab(struct buf *s, const struct task_ctx *ctx)
{
	buf_adds(s, "[ -e \"$f\" ] || { mkdir -p -- \"$(dirname -- \"$f\")\" && "
		 ": >>\"$f\"; } || exit 4\n");
	if (arg_bool(ctx, "backup", false))
		buf_adds(s, "b=\"$f.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"\n"
			 "cp -p -- \"$f\" \"$b\" || exit 4\n"
			 "printf 'backup:%s\\n%s\\n' \"${#b}\" \"$b\"\n");
	buf_adds(s, "t=$(mktemp \"$(dirname -- \"$f\")/.tend-fstab-XXXXXX\") || "
		 "exit 4\n"
		 "cat >\"$t\" && chmod --reference=\"$f\" -- \"$t\" && "
		 "chown --reference=\"$f\" -- \"$t\" && mv -f -- \"$t\" \"$f\" || "
		 "{ rm -f -- \"$t\"; exit 4; }\n");
}

/* Ansible's remount: mount -o remount, else umount and mount. */
static void remount_script(struct buf *s, const struct mount_plan *m,
			   const char *what)
{
	bool strict = !strcmp(m->state, "remounted") &&
		strcmp(m->opts, "defaults");

	buf_adds(s, "o=remount\n");
	if (strict) {
		buf_adds(s, "o=remount,");
		sh_quote(s, m->opts);
		buf_addch(s, '\n');
	}
	buf_adds(s, "if ! e=$(mount -o \"$o\" \"$@\" \"$p\" 2>&1); then\n");
	if (strict)
		buf_adds(s, "\techo 'Options were specified with remounted, but "
			 "the remount command failed. Failing in order to "
			 "prevent an unexpected mount result. Try replacing this "
			 "command with a \"state: unmounted\" followed by a "
			 "\"state: mounted\" using the full desired mount options "
			 "instead.' >&2; exit 4\n");
	buf_addf(s, "\te=$(umount \"$p\" 2>&1) && e=$(mount \"$@\" \"$p\" 2>&1) "
		 "|| undo_fail '%s'\n"
		 "fi\n", what);
}

static void apply_script(struct buf *s, const struct task_ctx *ctx,
			 const struct mount_plan *m)
{
	script_head(s, m);
	/* a failed mount puts the old fstab back and the new dirs away */
	buf_adds(s, "top=\nundo_fail() {\n");
	if (m->fstab_changed && (m->do_mount || m->do_remount)) {
		buf_adds(s, "\tprintf %s ");
		sh_quote(s, m->before.ptr);
		buf_adds(s, " >\"$f\"\n");
	}
	buf_adds(s, "\td=$p\n"
		 "\twhile [ -n \"$top\" ] && rmdir -- \"$d\" 2>/dev/null && "
		 "[ \"$d\" != \"$top\" ]; do d=$(dirname -- \"$d\"); done\n"
		 "\tfail \"$1\"\n}\n");
	if (!strcmp(m->state, "mounted"))
		buf_adds(s, "if [ ! -e \"$p\" ]; then\n"
			 "\ttop=$p\n"
			 "\twhile [ ! -e \"$(dirname -- \"$top\")\" ]; do "
			 "top=$(dirname -- \"$top\"); done\n"
			 "\te=$(mkdir -p -- \"$p\" 2>&1) || fail 'Error making dir'\n"
			 "fi\n");
	if (m->fstab_changed)
		write_fstab(s, ctx);
	if (m->do_mount)
		buf_adds(s, "e=$(mount \"$@\" \"$p\" 2>&1) || undo_fail "
			 "'Error mounting'\n");
	if (m->do_remount)
		remount_script(s, m, !strcmp(m->state, "remounted") ?
			       "Error remounting" : "Error mounting");
	if (m->do_umount)
		buf_adds(s, "e=$(umount \"$p\" 2>&1) || fail 'Error unmounting'\n");
	if (m->do_rmdir)
		buf_adds(s, "e=$(rmdir -- \"$p\" 2>&1) || fail 'Error rmdir'\n");
}

static int mount_apply(struct apply_result *out, const struct task_ctx *ctx,
		       const struct check_result *planned)
{
	struct mount_plan *m = planned->priv;
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct rec r;
	size_t pos = 0;
	int error = 0, n;

	apply_script(&s, ctx, m);
	req.script = s.ptr;
	if (m->fstab_changed) {
		req.in = m->after.ptr;
		req.inlen = m->after.len;
	}
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = exec_error(&res, "mount failed");
		goto out;
	}
	out->result = result(m);
	while ((n = rec_next(&r, &res.out, &pos)) > 0)
		if (rec_is(&r, "backup"))
			val_dict_set(out->result, "backup_file",
				     val_strn(r.val, r.len));
	out->changed = true;
out:
	buf_release(&s);
	exec_result_release(&res);
	return error;
}

const struct tend_module mod_mount = {
	.name = "mount",
	.args = mount_args,
	.doc = "a file system in fstab, mounted or not (ansible.posix.mount)",
	.probe = mount_probe,
	.judge = mount_judge,
	.validate = mount_validate,
	.apply = mount_apply,
	.returns =
		"name, src, fstype, opts, dump, passno, fstab, boot: the "
		"entry as settled\n"
		"warnings: about boot and opts\n"
		"backup_file: the copy of the fstab made by backup=yes\n",
	.example =
		"- ansible.posix.mount:\n"
		"    path: /srv/cache\n"
		"    src: tmpfs\n"
		"    fstype: tmpfs\n"
		"    opts: size=64m\n"
		"    state: mounted\n",
};
