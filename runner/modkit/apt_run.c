#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"
#include "tend/data/val.h"
#include "tend/transport/transport.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/apt_int.h"

/*
 * The apply half of the apt engine (apt.h), and the checks of its args
 * made when the playbook loads.
 */

/* apt-get as Ansible runs it: nothing asks, C locale */
static const char *const apt_env =
	"DEBIAN_FRONTEND=noninteractive; DEBIAN_PRIORITY=critical; "
	"LANG=C; LC_ALL=C; LC_MESSAGES=C; LC_CTYPE=C\n"
	"export DEBIAN_FRONTEND DEBIAN_PRIORITY LANG LC_ALL LC_MESSAGES "
	"LC_CTYPE\n";

static bool templated(const char *s)
{
	return s && (strstr(s, "{{") || strstr(s, "{%"));
}

/* one name of the list, checked as Ansible's apt would (literal only) */
static int spec_check(const char *spec, const char *state, bool absent)
{
	const char *eq;

	if (templated(spec))
		return 0;
	if (strchr(spec, '*') || strchr(spec, '?') || strchr(spec, '['))
		if (!(eq = strchr(spec, '=')) || strpbrk(spec, "*?[") < eq)
			return tend_error_set("package name patterns ('%s') "
					      "are not supported: name each "
					      "package", spec);
	if ((eq = strchr(spec, '=')) && strchr(eq + 1, '='))
		return tend_error_set("invalid package spec: %s", spec);
	if (eq && absent)
		return tend_error_set("state=%s with a version ('%s') is not "
				      "supported: name the package only",
				      state, spec);
	return 0;
}

static int bool_refused(const struct val *args, const char *name,
			const char *why, const char **arg)
{
	const struct val *v = val_dict_get(args, name);

	if (!v || !val_is(v, VAL_BOOL) || !v->u.b)
		return 0;
	*arg = name;
	return tend_error_set("%s=yes is not supported: %s", name, why);
}

int apt_args_validate(const struct val *args, const char **arg)
{
	const char *state = val_cstr(val_dict_get(args, "state"));
	const char *deb = val_cstr(val_dict_get(args, "deb"));
	const struct val *names = val_dict_get(args, "name");
	bool absent = state && !strcmp(state, "absent");
	int error;

	*arg = "state";
	if (state && !strcmp(state, "build-dep"))
		return tend_error_set("state=build-dep is not supported");
	if ((error = bool_refused(args, "clean", "run apt-get clean with "
				  "command", arg)) < 0 ||
	    (error = bool_refused(args, "autoclean", "run apt-get autoclean "
				  "with command", arg)) < 0)
		return error;
	*arg = "deb";
	if (deb && state && !templated(state) && strcmp(state, "present"))
		return tend_error_set("deb only supports state=present");
	if (deb && strstr(deb, "://"))
		return tend_error_set("deb from a URL is not supported: "
				      "download it with get_url first");
	*arg = "name";
	for (size_t i = 0; i < val_len(names) && val_is(names, VAL_LIST); i++) {
		const char *s = val_cstr(val_list_at(names, i));

		if (s && (error = spec_check(s, state, absent)) < 0)
			return error;
	}
	/*
	 * Ansible's required_one_of (autoremove, deb, package,
	 * update_cache, upgrade) always holds: upgrade has a default. An
	 * apt task with none of them does nothing, and says so.
	 */
	*arg = NULL;
	return 0;
}

/* Ansible's run_command output: KEY, and KEY_lines as splitlines() */
static void set_output(struct val *res, const char *key, const struct buf *b)
{
	struct buf k = BUF_INIT;

	val_dict_set(res, key, val_strn(b->ptr, b->len));
	buf_addf(&k, "%s_lines", key);
	val_dict_set(res, k.ptr, task_split_lines(b->ptr, b->len));
	buf_release(&k);
}

static int run(const struct task_ctx *ctx, const char *script,
	       struct exec_result *res)
{
	struct exec_req req = { 0 };

	req.script = script;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	return ctx->t->exec(ctx->t, &req, res);
}

/* apt-get update, retried as Ansible retries; its new time in *mtime */
int apt_update_cache(const struct task_ctx *ctx, long long *mtime)
{
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	long long tries = arg_int(ctx, "update_cache_retries", 5);
	long long delay = arg_int(ctx, "update_cache_retry_max_delay", 12);
	int error;

	buf_adds(&s, apt_env);
	buf_addf(&s, "i=0 d=1\n"
		 "until e=$(apt-get -q -o DPkg::Lock::Timeout=%lld update 2>&1 "
		 ">/dev/null) && ! printf '%%s\\n' \"$e\" | grep -q '^E:'; do\n"
		 "\ti=$((i + 1))\n"
		 "\t[ $i -lt %lld ] || { printf '%%s\\n' \"$e\" >&2; exit 5; }\n"
		 "\tsleep $d; d=$((d * 2)); [ $d -le %lld ] || d=%lld\n"
		 "done\n"
		 "if [ -e /var/lib/apt/periodic/update-success-stamp ]; then\n"
		 "\tstat -c %%Y /var/lib/apt/periodic/update-success-stamp\n"
		 "else stat -c %%Y /var/lib/apt/lists; fi\n",
		 arg_int(ctx, "lock_timeout", 60), tries > 0 ? tries : 1,
		 delay, delay);
	if ((error = run(ctx, s.ptr, &res)) < 0)
		goto out;
	if (res.status) {
		buf_trim(&res.err);
		error = tend_error_set("Failed to update apt cache: %s",
				       res.err.len ? res.err.ptr :
				       "unknown reason");
		goto out;
	}
	*mtime = strtoll(res.out.ptr, NULL, 10);
out:
	buf_release(&s);
	exec_result_release(&res);
	return error;
}

/* probe and plan again, after an update */
static int replan(struct apt_plan **out, const struct task_ctx *ctx)
{
	struct probe p;
	struct exec_result res = EXEC_RESULT_INIT;
	struct buf changes = BUF_INIT;
	int error;

	*out = NULL;
	probe_init(&p);
	if ((error = apt_probe(&p, ctx, "apt")) < 0 ||
	    (error = run(ctx, p.script.ptr, &res)) < 0)
		goto out;
	error = apt_plan_build(out, ctx, &res, &changes);
out:
	probe_release(&p);
	exec_result_release(&res);
	buf_release(&changes);
	return error;
}

/* the words of the apt-get command, Ansible's options in its order */
static void command_words(struct val *w, const struct task_ctx *ctx,
			  const struct apt_plan *g)
{
	const char *opts = arg_str(ctx, "dpkg_options");
	const char *rel = arg_str(ctx, "default_release");
	const struct val *rec = arg_get(ctx, "install_recommends");
	const char *state = arg_str(ctx, "state");
	struct buf o = BUF_INIT;

	val_list_push(w, val_str("apt-get"));
	if (g->absent || (!g->n && !arg_str(ctx, "deb")))
		val_list_push(w, val_str("-q"));
	val_list_push(w, val_str("-y"));
	for (const char *s = opts ? opts : "force-confdef,force-confold"; *s; ) {
		size_t n = strcspn(s, ",");

		buf_reset(&o);
		buf_addf(&o, "Dpkg::Options::=--%.*s", (int)n, s);
		val_list_push(w, val_str("-o"));
		val_list_push(w, val_str(o.ptr));
		s += n + (s[n] == ',');
	}
	buf_reset(&o);
	buf_addf(&o, "DPkg::Lock::Timeout=%lld", arg_int(ctx, "lock_timeout", 60));
	val_list_push(w, val_str("-o"));
	val_list_push(w, val_str(o.ptr));
	if (arg_bool(ctx, "only_upgrade", false) && !g->absent)
		val_list_push(w, val_str("--only-upgrade"));
	if (state && !strcmp(state, "fixed"))
		val_list_push(w, val_str("--fix-broken"));
	if (g->absent && arg_bool(ctx, "purge", false))
		val_list_push(w, val_str("--purge"));
	if (arg_bool(ctx, "force", false))
		val_list_push(w, val_str("--force-yes"));
	if (arg_bool(ctx, "autoremove", false) && (g->n || arg_str(ctx, "deb")))
		val_list_push(w, val_str("--auto-remove"));
	if (arg_bool(ctx, "fail_on_autoremove", false) && !g->absent)
		val_list_push(w, val_str("--no-remove"));
	if (!g->absent && rel) {
		val_list_push(w, val_str("-t"));
		val_list_push(w, val_str(rel));
	}
	if (!g->absent && rec && val_is(rec, VAL_BOOL)) {
		val_list_push(w, val_str("-o"));
		val_list_push(w, val_str(rec->u.b ? "APT::Install-Recommends=yes" :
					 "APT::Install-Recommends=no"));
	}
	if (!g->absent && arg_bool(ctx, "allow_unauthenticated", false))
		val_list_push(w, val_str("--allow-unauthenticated"));
	if (!g->absent && arg_bool(ctx, "allow_downgrade", false))
		val_list_push(w, val_str("--allow-downgrades"));
	if (!g->absent && arg_bool(ctx, "allow_change_held_packages", false))
		val_list_push(w, val_str("--allow-change-held-packages"));
	buf_release(&o);
}

/* the operation and its packages: what the plan said, nothing else */
static void operands(struct val *w, struct buf *names,
		     const struct task_ctx *ctx, const struct apt_plan *g)
{
	const char *deb = arg_str(ctx, "deb");

	if (deb) {
		val_list_push(w, val_str("install"));
		val_list_push(w, deb[0] == '/' ? val_str(deb) :
			      val_strf("./%s", deb));
		sh_quote(names, g->deb_pkg);
		return;
	}
	if (!g->n) {
		val_list_push(w, val_str("autoremove"));
		return;
	}
	val_list_push(w, val_str(g->absent ? "remove" : "install"));
	for (size_t i = 0; i < g->n; i++) {
		if (!g->items[i].target)
			continue;
		val_list_push(w, val_str(g->items[i].target));
		if (names->len)
			buf_addch(names, ' ');
		sh_quote(names, g->items[i].name);
	}
}

static bool has_work(const struct apt_plan *g, const struct task_ctx *ctx)
{
	if (arg_str(ctx, "deb"))
		return g->deb_change;
	if (!g->n)
		return g->autoremove.len > 0;
	for (size_t i = 0; i < g->n; i++)
		if (g->items[i].target)
			return true;
	return false;
}

/* Ansible's failure message of each operation */
static void fail_msg(struct buf *msg, const struct task_ctx *ctx,
		     const struct apt_plan *g, const struct buf *cmd,
		     const struct buf *err)
{
	if (arg_str(ctx, "deb")) {
		buf_addf(msg, "%s failed", cmd->ptr);
	} else if (!g->n) {
		buf_addf(msg, "'apt-get autoremove' failed: %s", err->ptr);
	} else if (g->absent) {
		buf_adds(msg, "'apt-get remove");
		for (size_t i = 0; i < g->n; i++)
			if (g->items[i].target)
				buf_addf(msg, " '%s'", g->items[i].target);
		buf_addf(msg, "' failed: %s", err->ptr);
	} else {
		buf_addf(msg, "'%s' failed: %s", cmd->ptr, err->ptr);
	}
}

static int change(struct apply_result *out, const struct task_ctx *ctx,
		  const struct apt_plan *g)
{
	struct val *w = val_list();
	struct buf s = BUF_INIT, cmd = BUF_INIT, names = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	int error;

	command_words(w, ctx, g);
	operands(w, &names, ctx, g);
	for (size_t i = 0; i < val_len(w); i++) {
		if (i)
			buf_addch(&cmd, ' ');
		sh_quote(&cmd, val_cstr(val_list_at(w, i)));
	}
	buf_adds(&s, apt_env);
	apt_policy_begin(&s, ctx);
	buf_addf(&s, "%s\nr=$?\n", cmd.ptr);
	apt_policy_end(&s, ctx);
	/* Ansible marks what it was asked to install as manually installed */
	if (!g->absent && g->n)
		buf_addf(&s, "[ $r != 0 ] || apt-mark manual %s >/dev/null "
			 "2>&1\n", names.ptr);
	buf_adds(&s, "exit $r\n");
	if ((error = run(ctx, s.ptr, &res)) < 0)
		goto out;
	set_output(out->result, "stdout", &res.out);
	set_output(out->result, "stderr", &res.err);
	if (res.status) {
		out->failed = true;
		val_dict_set_int(out->result, "rc", res.status);
		fail_msg(&out->msg, ctx, g, &cmd, &res.err);
		goto out;
	}
	out->changed = true;
out:
	val_unref(w);
	buf_release(&s);
	buf_release(&cmd);
	buf_release(&names);
	exec_result_release(&res);
	return error;
}

int apt_apply(struct apply_result *out, const struct task_ctx *ctx,
	      const struct check_result *planned)
{
	struct apt_plan *g = planned->priv, *fresh = NULL;
	const char *upgrade = apt_upgrade_mode(ctx);
	bool only_update = !g->n && !arg_str(ctx, "deb") &&
		!arg_bool(ctx, "autoremove", false) && !upgrade;
	bool updated = false;
	long long mtime = g->mtime;
	int error = 0;

	out->result = val_dict();
	if (g->update) {
		if ((error = apt_update_cache(ctx, &mtime)) < 0)
			goto out;
		updated = mtime != g->mtime;
		if (!only_update && !upgrade) {
			if ((error = replan(&fresh, ctx)) < 0)
				goto out;
			g = fresh;
		}
	}
	if (upgrade) {
		error = apt_upgrade_apply(out, ctx, apt_env);
		goto out;
	}
	if (only_update) {
		out->changed = updated;
	} else if (has_work(g, ctx)) {
		if ((error = change(out, ctx, g)) < 0)
			goto out;
	}
	if (!g->absent && !arg_str(ctx, "deb")) {
		val_dict_set_bool(out->result, "cache_updated", updated);
		val_dict_set_int(out->result, "cache_update_time", mtime);
	}
out:
	apt_plan_free(fresh);
	return error;
}
