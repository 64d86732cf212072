#include "tend/common.h"
#include "tend/modkit/accounts.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

#include <ctype.h>
#include <math.h>
#include <time.h>

/*
 * user: a local account, made, changed or removed with the host's own
 * useradd, usermod, userdel, chpasswd, chage and ssh-keygen, as
 * Ansible's user module does on Linux.
 *
 * The check is one probe: the account's passwd and shadow lines (the
 * password hash never leaves the host: only its SHA-1 and whether it is
 * locked), the whole group database (membership, the GIDs of group and
 * groups), whether the home directories exist, and the ssh key's state.
 * The apply runs the judge's tool commands in one script and prints the
 * lines again. The hash (and a key's passphrase) travel on its stdin,
 * never in its text: chpasswd -e reads it there (no argv on the host). Arguments for other systems (hidden, seuser,
 * login_class, local, profile, authorization, role) are refused by name.
 */

static const char *const user_states[] = { "present", "absent", NULL };
static const char *const user_updates[] = { "always", "on_create", NULL };

static const struct arg_spec user_args[] = {
	{ "name", ARG_STR, ARG_REQUIRED, "user", NULL, NULL,
	  "the account's name" },
	{ "state", ARG_STR, 0, NULL, user_states, "present",
	  "present or absent" },
	{ "uid", ARG_INT, 0, NULL, NULL, NULL, "its UID" },
	{ "non_unique", ARG_BOOL, 0, NULL, NULL, "no",
	  "allow a UID another account has (-o; needs uid)" },
	{ "group", ARG_STR, 0, NULL, NULL, NULL,
	  "its primary group (a name or GID; it must exist)" },
	{ "groups", ARG_LIST, 0, NULL, NULL, NULL,
	  "its other groups (they must exist); [] removes it from all "
	  "(unless append)" },
	{ "append", ARG_BOOL, 0, NULL, NULL, "no",
	  "add it to groups, leaving it in the others (needs groups)" },
	{ "comment", ARG_STR, 0, NULL, NULL, NULL, "the GECOS field" },
	{ "home", ARG_PATH, 0, NULL, NULL, NULL, "its home directory" },
	{ "shell", ARG_STR, 0, NULL, NULL, NULL, "its login shell" },
	{ "password", ARG_STR, ARG_SECRET, NULL, NULL, NULL,
	  "its password as a crypt(3) hash (a secret: never shown)" },
	{ "update_password", ARG_STR, 0, NULL, user_updates, "always",
	  "always: set the hash when it differs; on_create: only for a new "
	  "account" },
	{ "password_lock", ARG_BOOL, 0, NULL, NULL, NULL,
	  "lock (yes) or unlock (no) the password (usermod -L/-U)" },
	{ "password_expire_max", ARG_INT, 0, NULL, NULL, NULL,
	  "days a password stays valid (chage -M)" },
	{ "password_expire_min", ARG_INT, 0, NULL, NULL, NULL,
	  "days between password changes (chage -m)" },
	{ "expires", ARG_ANY, 0, NULL, NULL, NULL,
	  "when the account expires, in seconds since the epoch (a "
	  "negative number: never)" },
	{ "create_home", ARG_BOOL, 0, "createhome", NULL, "yes",
	  "make the home directory (from the skeleton) if it is missing" },
	{ "move_home", ARG_BOOL, 0, NULL, NULL, "no",
	  "move the old home to a new home (usermod -m; needs home)" },
	{ "skeleton", ARG_PATH, 0, NULL, NULL, NULL,
	  "the skeleton directory of a new home (default /etc/skel)" },
	{ "umask", ARG_STR, 0, NULL, NULL, NULL,
	  "the umask of a new home (useradd -K UMASK=)" },
	{ "system", ARG_BOOL, 0, NULL, NULL, "no",
	  "a system account (useradd -r; only when it is created)" },
	{ "remove", ARG_BOOL, 0, NULL, NULL, "no",
	  "with state=absent: remove its home and mail spool (userdel -r)" },
	{ "force", ARG_BOOL, 0, NULL, NULL, "no",
	  "with state=absent: userdel -f; with generate_ssh_key: replace "
	  "an existing key" },
	{ "generate_ssh_key", ARG_BOOL, 0, NULL, NULL, "no",
	  "make an ssh key pair if there is none (ssh-keygen)" },
	{ "ssh_key_type", ARG_STR, 0, NULL, NULL, "rsa", "the key's type" },
	{ "ssh_key_bits", ARG_INT, 0, NULL, NULL, NULL,
	  "the key's size (ssh-keygen's default when unset)" },
	{ "ssh_key_file", ARG_PATH, 0, NULL, NULL, ".ssh/id_TYPE",
	  "the private key's path (relative: to the home)" },
	{ "ssh_key_comment", ARG_STR, 0, NULL, NULL,
	  "ansible-generated on HOSTNAME", "the key's comment" },
	{ "ssh_key_passphrase", ARG_STR, ARG_SECRET, NULL, NULL, NULL,
	  "the private key's passphrase (a secret)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* What the probe (or the apply's tail) read of the host. */
struct user_state {
	bool exists, shadow, locked, home_ok, old_home_ok, parent_ok, key, pub;
	long long uid, gid, min, max, expire;
	char *comment, *home, *shell;
	char pwsum[41];       /* SHA-1 of the hash without leading '!' */
	struct buf groups;    /* `getent group` */
	char *keyfile, *fingerprint, *pubkey;
};

/* What the judge decided; apply runs `cmds` (moved here from the probe). */
struct user_plan {
	struct user_state st;
	struct buf cmds;
	bool create, remove, set_pw;
};

static void state_release(struct user_state *s)
{
	free(s->comment);
	free(s->home);
	free(s->shell);
	free(s->keyfile);
	free(s->fingerprint);
	free(s->pubkey);
	buf_release(&s->groups);
	memset(s, 0, sizeof(*s));
}

static void plan_free(void *p)
{
	struct user_plan *u = p;

	if (!u)
		return;
	state_release(&u->st);
	buf_release(&u->cmds);
	free(u);
}

static bool want_absent(const struct task_ctx *ctx)
{
	return arg_str(ctx, "state") && !strcmp(arg_str(ctx, "state"), "absent");
}

static void read_passwd(struct user_state *s, const char *l, size_t len)
{
	s->exists = true;
	s->uid = accounts_field_num(l, len, 2);
	s->gid = accounts_field_num(l, len, 3);
	s->comment = accounts_field(l, len, 4);
	s->home = accounts_field(l, len, 5);
	s->shell = accounts_field(l, len, 6);
}

static int read_state(struct user_state *s, const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		char **slot = rec_is(&r, "kf") ? &s->keyfile :
			rec_is(&r, "fp") ? &s->fingerprint :
			rec_is(&r, "pub") ? &s->pubkey : NULL;

		if (rec_is(&r, "pw")) {
			read_passwd(s, r.val, r.len);
		} else if (rec_is(&r, "sh")) {
			/* the shadow line from its third field on */
			s->shadow = true;
			s->min = accounts_field_num(r.val, r.len, 1);
			s->max = accounts_field_num(r.val, r.len, 2);
			s->expire = accounts_field_num(r.val, r.len, 5);
		} else if (rec_is(&r, "sum")) {
			snprintf(s->pwsum, sizeof(s->pwsum), "%.*s",
				 (int)(r.len < 40 ? r.len : 40), r.val);
		} else if (rec_is(&r, "locked")) {
			s->locked = true;
		} else if (rec_is(&r, "home")) {
			s->home_ok = true;
		} else if (rec_is(&r, "parent")) {
			s->parent_ok = true;
		} else if (rec_is(&r, "oldhome")) {
			s->old_home_ok = true;
		} else if (rec_is(&r, "key")) {
			s->key = true;
		} else if (rec_is(&r, "pubx")) {
			s->pub = true;
		} else if (rec_is(&r, "gr")) {
			buf_reset(&s->groups);
			buf_add(&s->groups, r.val, r.len);
		} else if (slot) {
			free(*slot);
			*slot = xstrndup(r.val, r.len);
		}
	}
	return n;
}

static void rtrim(char *s)
{
	size_t n = s ? strlen(s) : 0;

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* $hd: the home wanted (the home arg, else the passwd line's) */
static void home_script(struct buf *s, const struct task_ctx *ctx)
{
	const char *home = arg_str(ctx, "home");

	buf_adds(s, "hd=");
	if (home)
		sh_quote(s, home);
	else
		buf_adds(s, "$oh");
	buf_addch(s, '\n');
}

static const char *key_type(const struct task_ctx *ctx)
{
	return arg_str(ctx, "ssh_key_type") ? arg_str(ctx, "ssh_key_type") :
		"rsa";
}

/*
 * Read the account: passwd, shadow (the hash as its SHA-1 only), its
 * homes, its key, the group database. Read-only; $n is the name.
 */
static void state_script(struct buf *s, const struct task_ctx *ctx)
{
	const char *home = arg_str(ctx, "home");

	/* a name of digits would be looked up as a UID: check the name */
	buf_adds(s, "p=$(getent passwd -- \"$n\") && [ \"${p%%:*}\" = \"$n\" ] "
		 "|| p=\n[ -n \"$p\" ] && printf 'pw:%s\\n%s\\n' \"${#p}\" \"$p\"\n"
		 "oh=\nif [ -n \"$p\" ]; then\n"
		 "if x=$(getent shadow -- \"$n\"); then\n"
		 "\th=${x#*:}; h=${h%%:*}; y=${x#*:*:}\n"
		 "\tprintf 'sh:%s\\n%s\\n' \"${#y}\" \"$y\"\n"
		 "\tcase $h in '!'*) echo 'locked 1';; esac\n"
		 "\twhile [ \"${h#!}\" != \"$h\" ]; do h=${h#!}; done\n"
		 "\techo \"sum $(printf '%s' \"$h\" | sha1sum | cut -d' ' -f1)\"\n"
		 "fi\n"
		 "oh=$(printf '%s\\n' \"$p\" | cut -d: -f6)\n"
		 "[ -e \"$oh\" ] && echo 'oldhome 1'\nfi\n");
	home_script(s, ctx);
	buf_adds(s, "[ -n \"$hd\" ] && [ -e \"$hd\" ] && echo 'home 1'\n");
	if (home)
		buf_adds(s, "[ -d \"$(dirname -- \"$hd\")\" ] && echo 'parent 1'\n");
	if (arg_bool(ctx, "generate_ssh_key", false))
		accounts_key_probe(s, arg_str(ctx, "ssh_key_file"),
				   key_type(ctx));
	buf_adds(s, "x=$(getent group) && printf 'gr:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "exit 0\n");
}

static void name_script(struct buf *s, const struct task_ctx *ctx)
{
	buf_adds(s, "LC_ALL=C; export LC_ALL\nn=");
	sh_quote(s, arg_str(ctx, "name"));
	buf_addch(s, '\n');
}

static int user_probe(struct probe *out, const struct task_ctx *ctx)
{
	name_script(&out->script, ctx);
	state_script(&out->script, ctx);
	return 0;
}

/* Ansible's ','.join(groups): the groups as given, one string. */
static void groups_joined(struct buf *out, const struct task_ctx *ctx)
{
	const struct val *g = arg_get(ctx, "groups");

	for (size_t i = 0; i < val_len(g); i++) {
		if (i)
			buf_addch(out, ',');
		val_to_str(out, val_list_at(g, i));
	}
}

/* The groups wanted, split on commas and trimmed, each once. */
static struct val *groups_wanted(const struct task_ctx *ctx)
{
	struct buf j = BUF_INIT;
	struct val *out;

	groups_joined(&j, ctx);
	out = accounts_groups_split(j.ptr);
	buf_release(&j);
	return out;
}

/* Every group of `want` must exist: Ansible's get_groups_set. */
static int groups_check(const struct buf *db, const struct val *want)
{
	long long gid;

	for (size_t i = 0; i < val_len(want); i++) {
		const char *g = val_cstr(val_list_at(want, i));

		if (!accounts_group_find(db, g, &gid, NULL))
			return tend_error_set("Group %s does not exist", g);
	}
	return 0;
}

/* `expires` in seconds, and whether it was given. */
static bool expires_arg(double *out, const struct task_ctx *ctx)
{
	const struct val *v = arg_get(ctx, "expires");

	if (val_is(v, VAL_INT))
		*out = (double)v->u.i;
	else if (val_is(v, VAL_FLOAT))
		*out = v->u.f;
	else if (val_is(v, VAL_STR))
		*out = strtod(val_cstr(v), NULL);
	else
		return false;
	return true;
}

static void add_opt(struct buf *cmd, const char *opt, const char *val)
{
	buf_addf(cmd, " %s ", opt);
	sh_quote(cmd, val);
}

/* Run a tool; its stderr is the task's message if it fails. */
static void run(struct buf *c, const char *cmd)
{
	buf_adds(c, cmd);
	buf_adds(c, " >/dev/null 2>\"$e\" </dev/null || fail $?\n");
}

/* "uid 1500" and the like, for the plan's summary of a new account */
static void note(struct buf *sum, const char *fmt, const char *what)
{
	buf_adds(sum, sum->len ? ", " : " (");
	buf_addf(sum, fmt, what);
}

static int plan_create(struct user_plan *u, struct buf *chg,
		       const struct task_ctx *ctx)
{
	const char *group = arg_str(ctx, "group"), *home = arg_str(ctx, "home");
	struct buf cmd = BUF_INIT, sum = BUF_INIT, x = BUF_INIT;
	struct val *want = groups_wanted(ctx);
	bool mk = arg_bool(ctx, "create_home", true);
	long long gid;
	double ex;
	int error = 0;

	buf_adds(&cmd, "useradd");
	if (arg_get(ctx, "uid")) {
		buf_addf(&cmd, " -u %lld%s", arg_int(ctx, "uid", 0),
			 arg_bool(ctx, "non_unique", false) ? " -o" : "");
		buf_addf(&x, "%lld", arg_int(ctx, "uid", 0));
		note(&sum, "uid %s", x.ptr);
	}
	if (group && !accounts_group_find(&u->st.groups, group, &gid, NULL)) {
		error = tend_error_set("Group %s does not exist", group);
		goto out;
	}
	if (group) {
		add_opt(&cmd, "-g", group);
		note(&sum, "group %s", group);
	} else if (accounts_group_find(&u->st.groups, arg_str(ctx, "name"), &gid,
			      NULL)) {
		/* no user group: one of its name exists already */
		buf_adds(&cmd, " -N");
	}
	if ((error = groups_check(&u->st.groups, want)) < 0)
		goto out;
	if (val_len(want)) {
		buf_reset(&x);
		accounts_join(&x, want);
		add_opt(&cmd, "-G", x.ptr);
		note(&sum, "groups %s", x.ptr);
	}
	if (arg_str(ctx, "comment")) {
		add_opt(&cmd, "-c", arg_str(ctx, "comment"));
		note(&sum, "comment %s", arg_str(ctx, "comment"));
	}
	if (home) {
		if (mk && !u->st.parent_ok)
			run(&u->cmds, "mkhome \"$hd\"");
		add_opt(&cmd, "-d", home);
		note(&sum, "home %s", home);
	}
	if (arg_str(ctx, "shell")) {
		add_opt(&cmd, "-s", arg_str(ctx, "shell"));
		note(&sum, "shell %s", arg_str(ctx, "shell"));
	}
	if (expires_arg(&ex, ctx)) {
		char d[32];

		accounts_expires_opt(&cmd, ex);
		accounts_date(d, ex);
		note(&sum, "expires %s", ex < 0 ? "never" : d);
	}
	if (mk) {
		buf_adds(&cmd, " -m");
		if (arg_str(ctx, "skeleton"))
			add_opt(&cmd, "-k", arg_str(ctx, "skeleton"));
		if (arg_str(ctx, "umask")) {
			buf_reset(&x);
			buf_addf(&x, "UMASK=%s", arg_str(ctx, "umask"));
			add_opt(&cmd, "-K", x.ptr);
		}
	} else {
		buf_adds(&cmd, " -M");
	}
	if (arg_bool(ctx, "system", false)) {
		buf_adds(&cmd, " -r");
		note(&sum, "%s", "system");
	}
	buf_adds(&cmd, " -- \"$n\"");
	run(&u->cmds, cmd.ptr);
	if (home && mk && !u->st.parent_ok)
		run(&u->cmds, "ownhome \"$hd\"");
	buf_addf(chg, "create user %s%s%s\n", arg_str(ctx, "name"), sum.ptr,
		 sum.len ? ")" : "");
	if (arg_str(ctx, "password")) {
		u->set_pw = true;
		buf_addf(chg, "set password of %s (hidden)\n", arg_str(ctx, "name"));
	}
out:
	val_unref(want);
	buf_release(&cmd);
	buf_release(&sum);
	buf_release(&x);
	return error;
}

/* usermod's -G/-a for groups, and the plan's lines for them */
static int plan_groups(struct user_plan *u, struct buf *cmd, struct buf *chg,
		       const struct task_ctx *ctx)
{
	const char *name = arg_str(ctx, "name");
	struct val *want = groups_wanted(ctx);
	struct val *cur = accounts_member_of(&u->st.groups, name);
	struct val *add = val_list(), *del = val_list();
	bool append = arg_bool(ctx, "append", false);
	struct buf x = BUF_INIT;
	int error;

	if ((error = groups_check(&u->st.groups, want)) < 0)
		goto out;
	for (size_t i = 0; i < val_len(want); i++)
		if (!accounts_list_has(cur, val_cstr(val_list_at(want, i))))
			val_list_push(add, val_ref(val_list_at(want, i)));
	for (size_t i = 0; !append && i < val_len(cur); i++)
		if (!accounts_list_has(want, val_cstr(val_list_at(cur, i))))
			val_list_push(del, val_ref(val_list_at(cur, i)));
	if (!val_len(add) && !val_len(del))
		goto out;
	accounts_join(&x, want);
	if (append)
		buf_adds(cmd, " -a");
	add_opt(cmd, "-G", x.ptr);
	if (val_len(add)) {
		buf_reset(&x);
		accounts_join(&x, add);
		buf_addf(chg, "add %s to groups %s\n", name, x.ptr);
	}
	if (val_len(del)) {
		buf_reset(&x);
		accounts_join(&x, del);
		buf_addf(chg, "remove %s from groups %s\n", name, x.ptr);
	}
out:
	val_unref(want);
	val_unref(cur);
	val_unref(add);
	val_unref(del);
	buf_release(&x);
	return error;
}

static void set_str(struct buf *cmd, struct buf *chg, const char *opt,
		    const char *what, const char *cur, const char *want)
{
	if (!want || (cur && !strcmp(cur, want)))
		return;
	add_opt(cmd, opt, want);
	buf_addf(chg, "set %s %s -> %s\n", what, cur ? cur : "(none)", want);
}

/* usermod -e, when the expiry date differs (Ansible compares days) */
static void plan_expires(struct user_plan *u, struct buf *cmd,
			 struct buf *chg, const struct task_ctx *ctx)
{
	long long cur = u->st.shadow ? u->st.expire : -1;
	char a[32], b[32];
	double ex;

	if (!expires_arg(&ex, ctx))
		return;
	if (cur >= 0)
		accounts_date(a, (double)cur * 86400);
	else
		snprintf(a, sizeof(a), "never");
	accounts_date(b, ex);
	if (ex < 0 ? cur < 0 : cur >= 0 && !strcmp(a, b))
		return;
	accounts_expires_opt(cmd, ex);
	buf_addf(chg, "set expires %s -> %s\n", a, ex < 0 ? "never" : b);
}

/* The hash as chpasswd -e gets it on stdin: its SHA-1 decides. */
static bool password_differs(const struct user_plan *u, const char *pw)
{
	char hex[41];

	while (*pw == '!')
		pw++;
	sha1_hex(hex, pw, strlen(pw));
	return strcmp(hex, u->st.pwsum) != 0;
}

static int plan_modify(struct user_plan *u, struct buf *chg,
		       const struct task_ctx *ctx)
{
	const char *group = arg_str(ctx, "group"), *home = arg_str(ctx, "home");
	const char *pw = arg_str(ctx, "password");
	const struct val *lock = arg_get(ctx, "password_lock");
	struct buf cmd = BUF_INIT, a = BUF_INIT;
	long long gid;
	char *gname = NULL, *cname = NULL;
	int error = 0;

	buf_adds(&cmd, "usermod");
	if (arg_get(ctx, "uid") && arg_int(ctx, "uid", 0) != u->st.uid) {
		buf_addf(&cmd, " -u %lld%s", arg_int(ctx, "uid", 0),
			 arg_bool(ctx, "non_unique", false) ? " -o" : "");
		buf_addf(chg, "set uid %lld -> %lld\n", u->st.uid,
			 arg_int(ctx, "uid", 0));
	}
	if (group && !accounts_group_find(&u->st.groups, group, &gid, &gname)) {
		error = tend_error_set("Group %s does not exist", group);
		goto out;
	}
	if (group && gid != u->st.gid) {
		buf_addf(&cmd, " -g %lld", gid);
		buf_addf(&a, "%lld", u->st.gid);
		accounts_group_find(&u->st.groups, a.ptr, &gid, &cname);
		buf_addf(chg, "set group %s -> %s\n", cname ? cname : a.ptr,
			 gname);
	}
	if (arg_get(ctx, "groups") &&
	    (error = plan_groups(u, &cmd, chg, ctx)) < 0)
		goto out;
	set_str(&cmd, chg, "-c", "comment", u->st.comment,
		arg_str(ctx, "comment"));
	if (home && strcmp(home, u->st.home ? u->st.home : "")) {
		set_str(&cmd, chg, "-d", "home", u->st.home, home);
		if (arg_bool(ctx, "move_home", false)) {
			buf_adds(&cmd, " -m");
			buf_addf(chg, "move %s to %s\n", u->st.home, home);
		}
	}
	set_str(&cmd, chg, "-s", "shell", u->st.shell, arg_str(ctx, "shell"));
	plan_expires(u, &cmd, chg, ctx);
	if (pw && strcmp(arg_str(ctx, "update_password") ?
			 arg_str(ctx, "update_password") : "always",
			 "on_create") && password_differs(u, pw)) {
		u->set_pw = true;
		buf_addf(chg, "set password of %s (hidden)\n",
			 arg_str(ctx, "name"));
	} else if (val_is(lock, VAL_BOOL) && lock->u.b != u->st.locked) {
		buf_adds(&cmd, lock->u.b ? " -L" : " -U");
		buf_addf(chg, "%s password of %s\n", lock->u.b ? "lock" :
			 "unlock", arg_str(ctx, "name"));
	}
	if (strcmp(cmd.ptr, "usermod")) {
		buf_adds(&cmd, " -- \"$n\"");
		run(&u->cmds, cmd.ptr);
	}
out:
	free(gname);
	free(cname);
	buf_release(&cmd);
	buf_release(&a);
	return error;
}

/* ssh-keygen as Ansible's ssh_key_gen: the directory 0700, the pair owned */
static void plan_key(struct user_plan *u, struct buf *chg,
		     const struct task_ctx *ctx)
{
	struct buf *c = &u->cmds, k = BUF_INIT;
	bool force = arg_bool(ctx, "force", false);

	if (!arg_bool(ctx, "generate_ssh_key", false) ||
	    (u->st.exists && !force && (u->st.key || u->st.pub)))
		return;
	accounts_key_probe(&k, arg_str(ctx, "ssh_key_file"), key_type(ctx));
	/* only its first line: $kf */
	buf_add(c, k.ptr, (size_t)(strchr(k.ptr, '\n') - k.ptr + 1));
	buf_adds(c, "d=$(dirname -- \"$kf\")\n"
		 "if [ ! -d \"$d\" ]; then mkdir -m 0700 -- \"$d\" 2>\"$e\" && "
		 "ownhome \"$d\" 2>\"$e\" || fail 1; fi\n");
	if (force)
		buf_adds(c, "rm -f -- \"$kf\" \"$kf.pub\"\n");
	buf_adds(c, "ssh-keygen -q -t ");
	sh_quote(c, key_type(ctx));
	if (arg_int(ctx, "ssh_key_bits", 0) > 0)
		buf_addf(c, " -b %lld", arg_int(ctx, "ssh_key_bits", 0));
	buf_adds(c, " -C ");
	if (arg_str(ctx, "ssh_key_comment"))
		sh_quote(c, arg_str(ctx, "ssh_key_comment"));
	else
		buf_adds(c, "\"ansible-generated on $(uname -n)\"");
	buf_adds(c, " -f \"$kf\" -N \"$pp\"");
	run(c, "");
	run(c, "ownhome \"$kf\" && ownhome \"$kf.pub\"");
	buf_addf(chg, "generate %s ssh key %s\n", key_type(ctx),
		 u->st.keyfile ? u->st.keyfile : "in the new home");
	buf_release(&k);
}

/* chage -m/-M where the shadow line differs (always for a new account) */
static void plan_chage(struct user_plan *u, struct buf *chg,
		       const struct task_ctx *ctx)
{
	static const char *const keys[] = { "password_expire_min",
					    "password_expire_max" };
	const long long cur[] = { u->st.min, u->st.max };
	struct buf cmd = BUF_INIT;

	buf_adds(&cmd, "chage");
	for (size_t i = 0; i < 2; i++) {
		long long want = arg_int(ctx, keys[i], 0);

		if (!arg_get(ctx, keys[i]) ||
		    (u->st.exists && u->st.shadow && cur[i] == want))
			continue;
		buf_addf(&cmd, " -%c %lld", i ? 'M' : 'm', want);
		if (u->st.exists && u->st.shadow)
			buf_addf(chg, "set %s %lld -> %lld\n", keys[i], cur[i],
				 want);
		else
			buf_addf(chg, "set %s %lld\n", keys[i], want);
	}
	if (strcmp(cmd.ptr, "chage")) {
		buf_adds(&cmd, " -- \"$n\"");
		run(&u->cmds, cmd.ptr);
	}
	buf_release(&cmd);
}

/* $oh and $hd as the account now is */
static void refresh_home(struct buf *c, const struct task_ctx *ctx)
{
	buf_adds(c, "oh=$(getent passwd -- \"$n\" | cut -d: -f6)\n");
	home_script(c, ctx);
}

/* A home missing after usermod (not one it moves) is made by hand. */
static void plan_home(struct user_plan *u, struct buf *chg,
		      const struct task_ctx *ctx)
{
	const char *home = arg_str(ctx, "home");
	bool moved = home && u->st.home && strcmp(home, u->st.home) &&
		arg_bool(ctx, "move_home", false) && u->st.old_home_ok;

	if (!arg_bool(ctx, "create_home", true) || u->st.home_ok || moved)
		return;
	run(&u->cmds, "mkhome \"$hd\" && ownhome \"$hd\"");
	buf_addf(chg, "create home %s\n", home ? home : u->st.home);
}

/* The keys Ansible returns for an account that is there. */
static struct val *user_result(const struct task_ctx *ctx,
			       const struct user_state *st, bool created)
{
	struct val *r = val_dict();
	struct buf g = BUF_INIT;

	val_dict_set_str(r, "name", arg_str(ctx, "name"));
	val_dict_set_str(r, "state", want_absent(ctx) ? "absent" : "present");
	if (want_absent(ctx))
		goto out;
	if (created) {
		val_dict_set_bool(r, "system", arg_bool(ctx, "system", false));
		val_dict_set_bool(r, "create_home",
				  arg_bool(ctx, "create_home", true));
	} else {
		val_dict_set_bool(r, "append", arg_bool(ctx, "append", false));
		val_dict_set_bool(r, "move_home",
				  arg_bool(ctx, "move_home", false));
	}
	if (arg_str(ctx, "password"))
		val_dict_set_str(r, "password", "NOT_LOGGING_PASSWORD");
	if (!st->exists)
		goto out;
	val_dict_set_int(r, "uid", st->uid);
	val_dict_set_int(r, "group", st->gid);
	val_dict_set_str(r, "comment", st->comment ? st->comment : "");
	val_dict_set_str(r, "home", st->home ? st->home : "");
	val_dict_set_str(r, "shell", st->shell ? st->shell : "");
	if (arg_get(ctx, "groups")) {
		groups_joined(&g, ctx);
		val_dict_set_str(r, "groups", g.ptr);
	}
	if (arg_bool(ctx, "generate_ssh_key", false)) {
		val_dict_set_str(r, "ssh_fingerprint",
				 st->fingerprint ? st->fingerprint : "");
		val_dict_set_str(r, "ssh_key_file",
				 st->keyfile ? st->keyfile : "");
		val_dict_set(r, "ssh_public_key", st->pubkey ?
			     val_str(st->pubkey) : val_null());
	}
out:
	buf_release(&g);
	return r;
}

static int user_judge(struct check_result *out, const struct task_ctx *ctx,
		      struct probe *p, const struct exec_result *res)
{
	struct user_plan *u = xcalloc(1, sizeof(*u));
	const char *name = arg_str(ctx, "name");
	struct buf *chg = &out->changes;
	int error;

	(void)p;
	buf_init(&u->st.groups, 0);
	buf_init(&u->cmds, 0);
	out->priv = u;
	out->priv_free = plan_free;
	if (res->status)
		return tend_error_set("cannot read user '%s': %s", name,
				      res->err.ptr);
	if ((error = read_state(&u->st, &res->out)) < 0)
		return error;
	rtrim(u->st.fingerprint);
	if (arg_str(ctx, "password") &&
	    strpbrk(arg_str(ctx, "password"), ":\n"))
		return tend_error_set("the password of '%s' is not a crypt(3) "
				      "hash: it holds ':' or a line break", name);
	if (arg_str(ctx, "ssh_key_passphrase") &&
	    strchr(arg_str(ctx, "ssh_key_passphrase"), '\n'))
		return tend_error_set("ssh_key_passphrase holds a line break");
	if (want_absent(ctx)) {
		if (u->st.exists) {
			u->remove = true;
			buf_adds(&u->cmds, "userdel");
			if (arg_bool(ctx, "force", false))
				buf_adds(&u->cmds, " -f");
			if (arg_bool(ctx, "remove", false))
				buf_adds(&u->cmds, " -r");
			run(&u->cmds, " -- \"$n\"");
			buf_addf(chg, "remove user %s", name);
			if (arg_bool(ctx, "remove", false))
				buf_addf(chg, " and its home %s", u->st.home);
			buf_addch(chg, '\n');
		}
	} else {
		refresh_home(&u->cmds, ctx);
		u->create = !u->st.exists;
		if ((error = u->create ? plan_create(u, chg, ctx) :
		     plan_modify(u, chg, ctx)) < 0)
			return error;
		if (u->set_pw)
			buf_adds(&u->cmds, "printf '%s\\n' \"$pwl\" | chpasswd -e "
				 ">/dev/null 2>\"$e\" || fail $?\n");
		refresh_home(&u->cmds, ctx);
		if (!u->create)
			plan_home(u, chg, ctx);
		plan_key(u, chg, ctx);
		plan_chage(u, chg, ctx);
	}
	out->status = chg->len ? CHECK_CHANGE : CHECK_OK;
	if (!chg->len)
		out->result = user_result(ctx, &u->st, false);
	return 0;
}

/* The secrets for the script's stdin: "NAME:HASH" and the passphrase. */
static void secret_input(struct buf *in, const struct user_plan *u,
			 const struct task_ctx *ctx)
{
	const char *pw = arg_str(ctx, "password");
	const char *pp = arg_str(ctx, "ssh_key_passphrase");
	const struct val *lock = arg_get(ctx, "password_lock");

	if (u->set_pw)
		buf_addf(in, "%s:%s%s", arg_str(ctx, "name"),
			 val_is(lock, VAL_BOOL) && lock->u.b && *pw != '!' ?
			 "!" : "", pw);
	buf_addf(in, "\n%s\n", pp ? pp : "");
}

static void apply_script(struct buf *s, const struct user_plan *u,
			 const struct task_ctx *ctx)
{
	name_script(s, ctx);
	buf_adds(s, "IFS= read -r pwl || exit 1\nIFS= read -r pp || exit 1\n"
		 "e=$(mktemp \"${TMPDIR:-/tmp}/.tend-user-XXXXXX\") || exit 1\n"
		 "fail() { x=$(cat -- \"$e\"); rm -f -- \"$e\"; "
		 "printf 'rc %s\\nerr:%s\\n%s\\n' \"$1\" \"${#x}\" \"$x\"; exit 0; }\n");
	accounts_mkhome_script(s, arg_str(ctx, "skeleton"));
	buf_addbuf(s, &u->cmds);
	buf_adds(s, "rm -f -- \"$e\"\n");
	if (!u->remove)
		state_script(s, ctx);
}

static int user_apply(struct apply_result *out, const struct task_ctx *ctx,
		      const struct check_result *planned)
{
	const struct user_plan *u = planned->priv;
	struct buf s = BUF_INIT, in = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct user_state st = { 0 };
	struct rec r;
	size_t pos = 0;
	int error, n, rc = 0;

	buf_init(&st.groups, 0);
	apply_script(&s, u, ctx);
	secret_input(&in, u, ctx);
	req.script = s.ptr;
	req.in = in.ptr;
	req.inlen = in.len;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = tend_error_set("cannot change user '%s': %s",
				       arg_str(ctx, "name"), res.err.ptr);
		goto out;
	}
	while ((n = rec_next(&r, &res.out, &pos)) > 0) {
		if (rec_is(&r, "rc"))
			rc = (int)strtol(r.val, NULL, 10);
		else if (rec_is(&r, "err"))
			buf_add(&out->msg, r.val, r.len);
	}
	if ((error = n) < 0 || (error = read_state(&st, &res.out)) < 0)
		goto out;
	rtrim(st.fingerprint);
	out->result = user_result(ctx, &st, u->create);
	if (u->remove) {
		val_dict_set_bool(out->result, "force",
				  arg_bool(ctx, "force", false));
		val_dict_set_bool(out->result, "remove",
				  arg_bool(ctx, "remove", false));
	}
	if (rc) {
		/* Ansible's fail_json(name=..., msg=err, rc=rc) */
		out->failed = true;
		buf_trim(&out->msg);
		val_dict_set_int(out->result, "rc", rc);
		goto out;
	}
	buf_reset(&out->msg);
	out->changed = true;
out:
	state_release(&st);
	buf_release(&s);
	buf_release_secret(&in);
	exec_result_release(&res);
	return error;
}

static bool is_number(const char *s)
{
	char *end;

	strtod(s, &end);
	return end != s && !*end;
}

static bool literal(const struct val *v)
{
	return v && !(val_is(v, VAL_STR) && strstr(val_cstr(v), "{{"));
}

static bool is_false(const struct val *v)
{
	return val_is(v, VAL_BOOL) && !v->u.b;
}

/* The args only an account to keep takes. */
static const char *const keep_args[] = {
	"uid", "non_unique", "group", "groups", "append", "comment", "home",
	"shell", "password", "update_password", "password_lock",
	"password_expire_max", "password_expire_min", "expires",
	"create_home", "move_home", "skeleton", "umask", "system",
	"generate_ssh_key", "ssh_key_type", "ssh_key_bits", "ssh_key_file",
	"ssh_key_comment", "ssh_key_passphrase", NULL,
};

/* Contradictory arguments, refused at load with the place of the arg. */
static int user_validate(const struct val *args, const char **arg)
{
	const struct val *st = val_dict_get(args, "state");
	const struct val *ex = val_dict_get(args, "expires");
	bool absent = literal(st) && !strcmp(val_cstr(st), "absent");

	for (size_t i = 0; absent && keep_args[i]; i++)
		if (val_dict_get(args, keep_args[i])) {
			*arg = keep_args[i];
			return tend_error_set("'%s' is for an account to keep: "
					      "it contradicts state=absent",
					      keep_args[i]);
		}
	if (!absent && (!st || literal(st)) &&
	    truth_python(val_dict_get(args, "remove")) &&
	    val_is(val_dict_get(args, "remove"), VAL_BOOL)) {
		*arg = "remove";
		return tend_error_set("'remove' is for state=absent: it "
				      "contradicts state=present");
	}
	/*
	 * An argument that only qualifies another one (append without
	 * groups, update_password without password, move_home without
	 * home, non_unique without uid, the ssh_key_* ones and force
	 * without generate_ssh_key) does nothing without it, in Ansible
	 * too, which runs such a task: accepted (a role's
	 * `password: "{{ pw | default(omit) }}"` beside update_password).
	 */
	if (is_false(val_dict_get(args, "create_home")) &&
	    (val_dict_get(args, "skeleton") || val_dict_get(args, "umask"))) {
		*arg = val_dict_get(args, "skeleton") ? "skeleton" : "umask";
		return tend_error_set("'%s' is for a new home: it contradicts "
				      "create_home=no", *arg);
	}
	if (literal(ex) && !val_is(ex, VAL_INT) && !val_is(ex, VAL_FLOAT) &&
	    !(val_is(ex, VAL_STR) && is_number(val_cstr(ex)))) {
		*arg = "expires";
		return tend_error_set("'expires' must be a number of seconds "
				      "since the epoch");
	}
	return 0;
}

const struct tend_module mod_user = {
	.name = "user",
	.args = user_args,
	.doc = "add, change or remove a local account with useradd, usermod "
	       "and userdel",
	.probe = user_probe,
	.judge = user_judge,
	.validate = user_validate,
	.apply = user_apply,
	.returns =
		"name: the account's name\n"
		"state: present or absent\n"
		"uid: its UID\n"
		"group: its primary GID\n"
		"groups: the groups argument, joined with commas\n"
		"comment, home, shell: its GECOS, home and shell\n"
		"system, create_home: the arguments (a new account)\n"
		"append, move_home: the arguments (an account that was there)\n"
		"force, remove: the arguments (a removed account)\n"
		"password: NOT_LOGGING_PASSWORD when a password was given\n"
		"ssh_fingerprint, ssh_key_file, ssh_public_key: the key "
		"(generate_ssh_key)\n",
	.example =
		"- user:\n"
		"    name: deploy\n"
		"    uid: 1500\n"
		"    shell: /bin/bash\n"
		"    groups: [sudo, docker]\n"
		"    append: true\n",
};
