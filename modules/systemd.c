#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * systemd (and systemd_service, its newer name: ansible-core 2.14 ships
 * both, byte for byte the same module): a unit's enablement, mask and
 * run state, with the host's systemctl, as Ansible's module does.
 *
 * The check is one probe: `systemctl show UNIT` (every property: the
 * result's `status`, as Ansible returns it), `systemctl is-enabled UNIT`
 * and whether an init script /etc/init.d/UNIT exists and is linked from
 * a runlevel. The judge decides, in Ansible's order, mask, then enable,
 * then state; the apply runs those systemctl commands in one script,
 * after daemon-reload / daemon-reexec when asked.
 *
 * scope user and global are refused by name: a tend task runs over an
 * SSH session as its login (root, or become), which has no user manager
 * bus for `systemctl --user`, and `--global` cannot read or change a
 * unit's run state. Glob patterns in name are refused, as Ansible does.
 */

static const char *const sd_states[] = { "started", "stopped", "restarted",
					 "reloaded", NULL };
static const char *const sd_scopes[] = { "system", "user", "global", NULL };

static const struct arg_spec sd_args[] = {
	{ "name", ARG_STR, 0, "service,unit", NULL, NULL,
	  "the unit (nginx, nginx.service, foo.timer); required by state, "
	  "enabled and masked" },
	{ "state", ARG_STR, 0, NULL, sd_states, NULL,
	  "started/stopped: start or stop it if needed; restarted: always "
	  "restart it (start it if stopped); reloaded: always reload it "
	  "(start it if stopped)" },
	{ "enabled", ARG_BOOL, 0, NULL, NULL, NULL,
	  "start it at boot (systemctl enable/disable)" },
	{ "masked", ARG_BOOL, 0, NULL, NULL, NULL,
	  "mask it (it cannot be started at all) or unmask it" },
	{ "daemon_reload", ARG_BOOL, 0, "daemon-reload", NULL, "no",
	  "systemctl daemon-reload first (re-read unit files); the task is "
	  "not changed by it, as in Ansible" },
	{ "daemon_reexec", ARG_BOOL, 0, "daemon-reexec", NULL, "no",
	  "systemctl daemon-reexec first (the task is not changed by it)" },
	{ "scope", ARG_STR, 0, NULL, sd_scopes, "system",
	  "system only: user and global are refused (no user manager over "
	  "a tend SSH session)" },
	{ "no_block", ARG_BOOL, 0, NULL, NULL, "no",
	  "systemctl --no-block: queue the job, do not wait for it" },
	{ "force", ARG_BOOL, 0, NULL, NULL, NULL,
	  "systemctl --force (enable/mask over existing links)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* What the check decided: the apply runs exactly this. */
struct sd_plan {
	bool found;          /* a unit or an init script of that name */
	const char *mask;    /* "mask", "unmask" or NULL */
	const char *enable;  /* "enable", "disable" or NULL */
	const char *action;  /* "start", "stop", "restart", "reload" or NULL */
};

static bool templated(const char *s)
{
	return s && (strstr(s, "{{") || strstr(s, "{%"));
}

/* Refusals that need no host: at load time and again once rendered. */
static int sd_validate(const struct val *args, const char **arg)
{
	const char *name = val_cstr(val_dict_get(args, "name"));
	const char *scope = val_cstr(val_dict_get(args, "scope"));
	static const char *const need_name[] = { "state", "enabled", "masked" };

	*arg = "scope";
	if (scope && !templated(scope) && !strcmp(scope, "user"))
		return tend_error_set("scope=user is not supported: systemctl "
				      "--user needs the user's own systemd manager "
				      "and session bus, which a task over SSH (as "
				      "root, or with become) does not have");
	if (scope && !templated(scope) && !strcmp(scope, "global"))
		return tend_error_set("scope=global is not supported: systemctl "
				      "--global only edits every user's default "
				      "enablement, it has no unit state to read, "
				      "start or stop");
	for (size_t i = 0; i < ARRAY_SIZE(need_name); i++) {
		const struct val *v = val_dict_get(args, need_name[i]);

		*arg = need_name[i];
		if (v && !val_is(v, VAL_NULL) && !name)
			return tend_error_set("missing parameter(s) required by "
					      "'%s': name", need_name[i]);
	}
	*arg = "name";
	if (name && !templated(name) && strpbrk(name, "*?["))
		return tend_error_set("This module does not currently support "
				      "using glob patterns, found '%c' in service "
				      "name: %s", *strpbrk(name, "*?["), name);
	return 0;
}

/* "systemctl [--no-block] [--force]" as "$@" */
static void sd_command(struct buf *s, const struct task_ctx *ctx)
{
	buf_adds(s, "set -- systemctl");
	if (arg_bool(ctx, "no_block", false))
		buf_adds(s, " --no-block");
	if (arg_bool(ctx, "force", false))
		buf_adds(s, " --force");
	buf_adds(s, "\n");
}

static void sd_head(struct buf *s, const struct task_ctx *ctx)
{
	const char *name = arg_str(ctx, "name");

	buf_adds(s, "LC_ALL=C; export LC_ALL\nu=");
	sh_quote(s, name ? name : "");
	buf_adds(s, "\ncommand -v systemctl >/dev/null 2>&1 || { printf "
		 "'Failed to find required executable \"systemctl\" in paths: "
		 "%s\\n' \"$PATH\" >&2; exit 3; }\n");
}

static int sd_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct buf *s = &out->script;
	const char *arg = NULL;

	if (sd_validate(ctx->args, &arg) < 0)
		return -1;
	sd_head(s, ctx);
	if (!arg_str(ctx, "name"))
		return 0;
	/* Ansible's sysv_exists and sysv_is_enabled beside systemctl's view */
	buf_adds(s, "if x=$(systemctl show -- \"$u\" 2>/dev/null); then "
		 "printf 'show:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 /* Ansible's last resort: can systemctl work at all? */
		 "elif ! x=$(systemctl 2>&1 >/dev/null); then "
		 "printf 'sc_err:%s\\n%s\\n' \"${#x}\" \"$x\"; fi\n"
		 "x=$(systemctl is-enabled -- \"$u\" 2>/dev/null); "
		 "printf 'en_rc %s\\n' \"$?\"\n"
		 "printf 'en:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "case $u in /*) i=$u ;; *) i=/etc/init.d/$u ;; esac\n"
		 "[ -e \"$i\" ] && echo 'initd 1'\n"
		 "if [ -d /etc/rc0.d/ ]; then set -- /etc/rc?.d/S??\"$u\"\n"
		 "else set -- /etc/init.d/rc?.d/S??\"$u\"; fi\n"
		 "for f; do [ -e \"$f\" ] && { echo 'sysv_en 1'; break; }; done\n"
		 "exit 0\n");
	return 0;
}

/*
 * Ansible's parse_systemctl_show: KEY=VALUE lines, values stripped; an
 * Exec* value opening with '{' and not closing on its line runs on to
 * the line that ends with '}'.
 */
static struct val *parse_show(const char *p, size_t len)
{
	struct val *d = val_dict();
	const char *end = p + len;
	struct buf key = BUF_INIT, multi = BUF_INIT;
	bool in_multi = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(le - p));
		struct buf v = BUF_INIT;

		if (in_multi) {
			buf_addch(&multi, '\n');
			buf_add(&multi, p, (size_t)(le - p));
			buf_add(&v, p, (size_t)(le - p));
			buf_rtrim(&v);
			if (v.len && v.ptr[v.len - 1] == '}') {
				buf_trim(&multi);
				val_dict_set_str(d, key.ptr, multi.ptr);
				in_multi = false;
			}
		} else if (eq) {
			buf_sets(&key, "");
			buf_add(&key, p, (size_t)(eq - p));
			buf_add(&v, eq + 1, (size_t)(le - eq - 1));
			buf_trim(&v);
			if (!strncmp(key.ptr, "Exec", 4) && v.len &&
			    v.ptr[0] == '{' && v.ptr[v.len - 1] != '}') {
				buf_sets(&multi, "");
				buf_add(&multi, eq + 1, (size_t)(le - eq - 1));
				in_multi = true;
			} else {
				val_dict_set_str(d, key.ptr, v.len ? v.ptr : "");
			}
		}
		buf_release(&v);
		p = le + (nl != NULL);
	}
	buf_release(&key);
	buf_release(&multi);
	return d;
}

static const char *status_of(const struct val *status, const char *key)
{
	return val_cstr(val_dict_get(status, key));
}

/* What the probe printed. */
struct sd_seen {
	struct val *status;   /* systemctl show, parsed; empty dict if none */
	bool shown;
	char *enabled_out;    /* systemctl is-enabled's stdout, trimmed */
	int enabled_rc;
	bool initd, sysv_enabled;
	char *systemctl_err;  /* systemctl alone failed with this, or NULL */
};

static int read_seen(struct sd_seen *s, const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	int n;

	s->status = NULL;
	while ((n = rec_next(&r, out, &pos)) > 0) {
		if (rec_is(&r, "show")) {
			/* Ansible's request_was_ignored (a chroot) */
			bool eq = memchr(r.val, '=', r.len) != NULL;

			if (eq || !r.len) {
				s->status = parse_show(r.val, r.len);
				s->shown = true;
			}
		} else if (rec_is(&r, "en")) {
			s->enabled_out = xstrndup(r.val, r.len);
		} else if (rec_is(&r, "en_rc")) {
			s->enabled_rc = (int)strtol(r.val, NULL, 10);
		} else if (rec_is(&r, "sc_err")) {
			s->systemctl_err = xstrndup(r.val, r.len);
		} else if (rec_is(&r, "initd")) {
			s->initd = true;
		} else if (rec_is(&r, "sysv_en")) {
			s->sysv_enabled = true;
		}
	}
	if (!s->status)
		s->status = val_dict();
	if (!s->enabled_out)
		s->enabled_out = xstrdup("");
	return n;
}

/* The states systemctl is-enabled names (systemctl(1), systemd 244) */
static bool valid_enabled_state(const char *s)
{
	static const char *const states[] = {
		"enabled", "enabled-runtime", "linked", "linked-runtime",
		"masked", "masked-runtime", "static", "indirect", "disabled",
		"generated", "transient",
	};

	for (size_t i = 0; i < ARRAY_SIZE(states); i++)
		if (!strcmp(s, states[i]))
			return true;
	return false;
}

/* Ansible's enabled test: is-enabled's rc and words, then SysV links. */
static bool seen_enabled(const struct sd_seen *s, const char *scope_system)
{
	const char *o = s->enabled_out;

	if (s->enabled_rc == 0)
		return strcmp(o, "indirect") && strcmp(o, "alias");
	if (s->enabled_rc == 1 && scope_system && s->initd) {
		size_t n = strlen(o);

		return !(n >= 8 && !strcmp(o + n - 8, "disabled")) &&
		       s->sysv_enabled;
	}
	return false;
}

static int missing(const char *name)
{
	return tend_error_set("Could not find the requested service %s: host",
			      name);
}

/* The state wanted against ActiveState: what to run, and the result. */
static int judge_state(struct sd_plan *pl, struct check_result *out,
		       const struct sd_seen *s, const char *name,
		       const char *want)
{
	const char *active = status_of(s->status, "ActiveState");
	bool running, deactivating;

	if (!pl->found)
		return missing(name);
	if (!active)
		return tend_error_set("Service is in unknown state");
	running = !strcmp(active, "active") || !strcmp(active, "activating");
	deactivating = !strcmp(active, "deactivating");
	val_dict_set_str(out->result, "state", want);
	if (!strcmp(want, "started")) {
		pl->action = running ? NULL : "start";
	} else if (!strcmp(want, "stopped")) {
		pl->action = running || deactivating ? "stop" : NULL;
	} else {
		pl->action = !running ? "start" :
			!strcmp(want, "restarted") ? "restart" : "reload";
		val_dict_set_str(out->result, "state", "started");
	}
	if (pl->action)
		buf_addf(&out->changes, "%s %s (%s)\n", pl->action, name,
			 active);
	return 0;
}

/* daemon-reload / daemon-reexec only: run at apply, reported ok */
static void judge_daemon(struct check_result *out, const struct task_ctx *ctx,
			 const struct sd_seen *s)
{
	const char *need = status_of(s->status, "NeedDaemonReload");
	const char *name = arg_str(ctx, "name");
	bool reload = arg_bool(ctx, "daemon_reload", false);
	bool reexec = arg_bool(ctx, "daemon_reexec", false);

	/* a named unit says whether its files changed since the last load */
	if (reload && name && s->shown && !(need && !strcmp(need, "yes")))
		reload = false;
	if (reload)
		buf_adds(&out->msg, "daemon-reload runs at apply");
	if (reexec)
		buf_addf(&out->msg, "%sdaemon-reexec runs at apply",
			 reload ? "; " : "");
	if ((reload || reexec) && out->status == CHECK_OK)
		out->status = CHECK_UNKNOWN;
}

static int sd_judge_seen(struct check_result *out, const struct task_ctx *ctx,
			 struct sd_plan *pl, const struct sd_seen *s)
{
	const char *name = arg_str(ctx, "name");
	const char *load = status_of(s->status, "LoadState");
	const struct val *masked = arg_get(ctx, "masked");
	const struct val *enabled = arg_get(ctx, "enabled");
	bool is_systemd, is_masked;

	val_dict_set_str(out->result, "name", name);
	val_dict_set(out->result, "status", val_ref(s->status));
	is_systemd = load ? strcmp(load, "not-found") != 0 :
		!s->shown && valid_enabled_state(s->enabled_out);
	if (!is_systemd && s->systemctl_err)
		return tend_error_set("%s", s->systemctl_err);
	is_masked = load && !strcmp(load, "masked");
	if (is_systemd && !is_masked && val_dict_get(s->status, "LoadError"))
		return tend_error_set("Error loading unit file '%s': %s", name,
				      status_of(s->status, "LoadError"));
	pl->found = is_systemd || s->initd;
	if (masked && !val_is(masked, VAL_NULL)) {
		bool want = arg_bool(ctx, "masked", false);

		if (want != !strcmp(s->enabled_out, "masked")) {
			pl->mask = want ? "mask" : "unmask";
			buf_addf(&out->changes, "%s %s\n", pl->mask, name);
		}
	}
	if (enabled && !val_is(enabled, VAL_NULL)) {
		bool want = arg_bool(ctx, "enabled", false);
		bool now;

		if (!pl->found)
			return missing(name);
		now = seen_enabled(s, "system");
		if (now != want) {
			pl->enable = want ? "enable" : "disable";
			buf_addf(&out->changes, "%s %s (%s)\n", pl->enable,
				 name, s->enabled_out[0] ? s->enabled_out :
				 "unknown");
		}
		val_dict_set_bool(out->result, "enabled", want);
	}
	if (arg_str(ctx, "state") &&
	    judge_state(pl, out, s, name, arg_str(ctx, "state")) < 0)
		return -1;
	return 0;
}

static int sd_judge(struct check_result *out, const struct task_ctx *ctx,
		    struct probe *p, const struct exec_result *res)
{
	struct sd_plan *pl = xcalloc(1, sizeof(*pl));
	struct sd_seen s = { 0 };
	int error = 0;

	(void)p;
	out->priv = pl;
	out->priv_free = free;
	out->result = val_dict();
	if (res->status) {
		return exec_error(res, "systemctl failed");
	}
	if ((error = read_seen(&s, &res->out)) < 0)
		goto out;
	val_dict_set(out->result, "status", val_dict());
	if (arg_str(ctx, "name"))
		error = sd_judge_seen(out, ctx, pl, &s);
	else
		val_dict_set(out->result, "name", val_null());
	out->status = out->changes.len ? CHECK_CHANGE : CHECK_OK;
	if (!error)
		judge_daemon(out, ctx, &s);
out:
	val_unref(s.status);
	free(s.enabled_out);
	free(s.systemctl_err);
	return error;
}

/* A systemctl step: on failure, Ansible's message on stderr and exit. */
static void step(struct buf *s, const char *verb, const char *fail_fmt,
		 bool with_out)
{
	buf_addf(s, "x=$(\"$@\" %s -- \"$u\" 2>&1%s) || { printf '%s\\n' "
		 "\"$u\" \"$x\" >&2; exit 1; }\n", verb,
		 with_out ? "" : " >/dev/null", fail_fmt);
}

static int sd_apply(struct apply_result *out, const struct task_ctx *ctx,
		    const struct check_result *planned)
{
	const struct sd_plan *pl = planned->priv;
	struct buf s = BUF_INIT, fmt = BUF_INIT, e = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	int error = 0;

	sd_head(&s, ctx);
	sd_command(&s, ctx);
	if (arg_bool(ctx, "daemon_reload", false))
		buf_adds(&s, "x=$(\"$@\" daemon-reload 2>&1 >/dev/null) || { "
			 "printf 'failure %s during daemon-reload: %s\\n' \"$?\" "
			 "\"$x\" >&2; exit 1; }\n");
	if (arg_bool(ctx, "daemon_reexec", false))
		buf_adds(&s, "x=$(\"$@\" daemon-reexec 2>&1 >/dev/null) || { "
			 "printf 'failure %s during daemon-reexec: %s\\n' \"$?\" "
			 "\"$x\" >&2; exit 1; }\n");
	/* a failed mask fails the task only for a unit that is not there */
	if (pl->mask)
		buf_addf(&s, "\"$@\" %s -- \"$u\" >/dev/null 2>&1%s\n", pl->mask,
			 pl->found ? "" : " || { printf 'Could not find the "
			 "requested service %s: host\\n' \"$u\" >&2; exit 1; }");
	if (pl->enable) {
		buf_addf(&fmt, "Unable to %s service %%s: %%s", pl->enable);
		step(&s, pl->enable, fmt.ptr, true);
	}
	if (pl->action) {
		buf_reset(&fmt);
		buf_addf(&fmt, "Unable to %s service %%s: %%s", pl->action);
		step(&s, pl->action, fmt.ptr, false);
	}
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		buf_addbuf(&e, &res.err);
		buf_trim(&e);
		error = tend_error_set("%s", e.len ? e.ptr : "systemctl failed");
		goto out;
	}
	out->changed = pl->mask || pl->enable || pl->action;
out:
	buf_release(&s);
	buf_release(&fmt);
	buf_release(&e);
	exec_result_release(&res);
	return error;
}

#define SD_RETURNS \
	"name: the unit, as given\n" \
	"state: the state asked for (started after restarted/reloaded)\n" \
	"enabled: whether it starts at boot (when enabled was given)\n" \
	"status: systemctl show's properties before the task (ActiveState, " \
	"SubState, UnitFileState, LoadState, MainPID, ...)\n"

#define SD_EXAMPLE \
	"- systemd:\n" \
	"    name: nginx\n" \
	"    state: started\n" \
	"    enabled: true\n" \
	"    daemon_reload: true\n"

const struct tend_module mod_systemd = {
	.name = "systemd",
	.args = sd_args,
	.flags = MOD_MAY_BE_UNKNOWN,
	.doc = "manage a systemd unit: started/stopped/restarted/reloaded, "
	       "enabled, masked",
	.returns = SD_RETURNS,
	.example = SD_EXAMPLE,
	.probe = sd_probe,
	.judge = sd_judge,
	.validate = sd_validate,
	.apply = sd_apply,
};

const struct tend_module mod_systemd_service = {
	.name = "systemd_service",
	.args = sd_args,
	.flags = MOD_MAY_BE_UNKNOWN,
	.doc = "the systemd module under its newer name (the same module)",
	.returns = SD_RETURNS,
	.example =
		"- systemd_service:\n"
		"    name: nginx\n"
		"    state: restarted\n",
	.probe = sd_probe,
	.judge = sd_judge,
	.validate = sd_validate,
	.apply = sd_apply,
};
