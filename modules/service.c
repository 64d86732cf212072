#include "tend/common.h"
#include <ctype.h>
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * service: a service through the host's service manager, as Ansible's
 * service action does: with `use: auto` it asks what PID 1 is (the
 * ansible_service_mgr fact's test, done by the probe itself) and runs the
 * systemd module (mod_systemd: its probe, judge and apply) on a systemd
 * host, or Ansible's sysvinit module on one booted with SysV init: the
 * script /etc/init.d/NAME for start/stop/restart/reload and its status
 * (read with `service NAME status`, judged by Ansible's words), and
 * update-rc.d (or chkconfig) for enabled.
 *
 * Refused by name (not in the spec): pattern, runlevel and arguments
 * (Ansible drops them on systemd hosts with a warning), and
 * service managers other than systemd and sysvinit (upstart, openrc,
 * runit...): the probe fails the task naming the one it found.
 */

extern const struct tend_module mod_systemd;

static const char *const svc_states[] = { "started", "stopped", "restarted",
					  "reloaded", NULL };
static const char *const svc_uses[] = { "auto", "systemd", "sysvinit",
					NULL };

static const struct arg_spec svc_args[] = {
	{ "name", ARG_STR, ARG_REQUIRED, "service", NULL, NULL,
	  "the service (a systemd unit, or an init script's name)" },
	{ "state", ARG_STR, 0, NULL, svc_states, NULL,
	  "started/stopped: start or stop it if needed; restarted and "
	  "reloaded: always (a stopped unit is started)" },
	{ "enabled", ARG_BOOL, 0, NULL, NULL, NULL, "start it at boot" },
	{ "use", ARG_STR, 0, NULL, svc_uses, "auto",
	  "the service manager: auto (what PID 1 is, as the "
	  "ansible_service_mgr fact says), systemd or sysvinit" },
	{ "sleep", ARG_INT, 0, NULL, NULL, "1",
	  "sysvinit: seconds to wait after the stop and after the start of "
	  "a restart (systemd ignores it, as Ansible does)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

enum svc_mgr { MGR_SYSTEMD, MGR_SYSV };

/* What the check decided, for either manager. */
struct svc_plan {
	enum svc_mgr mgr;
	void *inner;                  /* the systemd module's plan */
	void (*inner_free)(void *);
	bool enable_change;           /* sysvinit: update-rc.d to run */
	const char *action;           /* sysvinit: start/stop/restart/reload */
};

static void svc_plan_free(void *v)
{
	struct svc_plan *pl = v;

	if (!pl)
		return;
	if (pl->inner_free)
		pl->inner_free(pl->inner);
	free(pl);
}

static const char *use_of(const struct task_ctx *ctx)
{
	const char *use = arg_str(ctx, "use");

	return use ? use : "auto";
}

/*
 * The sysvinit half of the probe: Ansible's sysv_exists, sysv_is_enabled
 * and the status command (service NAME status, else SCRIPT status) with
 * its stdout kept whole (trailing newlines count in Ansible's test).
 */
static void sysv_probe(struct buf *s)
{
	buf_adds(s, "case $u in /*) i=$u ;; *) i=/etc/init.d/$u ;; esac\n"
		 "if [ ! -e \"$i\" ]; then echo 'missing 1'; else\n"
		 "if [ -d /etc/rc0.d/ ]; then set -- /etc/rc?.d/S??\"$u\"\n"
		 "else set -- /etc/init.d/rc?.d/S??\"$u\"; fi\n"
		 "for f; do [ -e \"$f\" ] && { echo 'sysv_en 1'; break; }; done\n"
		 /* Ansible's get_bin_path: these first, then PATH */
		 "b=; for d in /sbin /usr/sbin /bin /usr/bin; do "
		 "[ -x \"$d/service\" ] && { b=$d/service; break; }; done\n"
		 "[ -n \"$b\" ] || b=$(command -v service)\n"
		 "if [ -n \"$b\" ]; then\n"
		 "x=$(\"$b\" \"$u\" status 2>/dev/null; r=$?; echo x; exit $r)\n"
		 "else x=$(\"$i\" status 2>/dev/null; r=$?; echo x; exit $r); fi\n"
		 "printf 'st_rc %s\\n' \"$?\"; x=${x%x}\n"
		 "printf 'st:%s\\n%s\\n' \"${#x}\" \"$x\"\nfi\n");
}

static int svc_probe(struct probe *out, const struct task_ctx *ctx)
{
	const char *use = use_of(ctx);
	struct buf *s = &out->script;

	if (!strcmp(use, "systemd")) {
		buf_adds(s, "echo 'mgr systemd'\n");
		return mod_systemd.probe(out, ctx);
	}
	buf_adds(s, "LC_ALL=C; export LC_ALL\nu=");
	sh_quote(s, arg_str(ctx, "name") ? arg_str(ctx, "name") : "");
	buf_adds(s, "\n");
	if (!strcmp(use, "sysvinit")) {
		buf_adds(s, "echo 'mgr sysvinit'\n");
		sysv_probe(s);
		return 0;
	}
	/* Ansible's ServiceMgrFactCollector, for the two tend supports */
	buf_adds(s, "m=$(cat /proc/1/comm 2>/dev/null)\n"
		 "case $m in\n"
		 "''|init|*sh) if command -v systemctl >/dev/null 2>&1 && "
		 "{ [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || "
		 "[ -e /dev/.systemd/ ]; }; then m=systemd\n"
		 "\telif [ -e /etc/init.d/ ]; then m=sysvinit; else m=service; fi ;;\n"
		 "esac\n"
		 "echo \"mgr $m\"\n"
		 "if [ \"$m\" = sysvinit ]; then\n");
	sysv_probe(s);
	buf_adds(s, "elif [ \"$m\" = systemd ]; then (\n");
	if (mod_systemd.probe(out, ctx) < 0)
		return -1;
	buf_adds(s, "\n) fi\n");
	return 0;
}

/*
 * Ansible's sysvinit reading of a status command: a one-line answer's
 * words first, then the exit code (0 running; 1-4 and 69 stopped).
 */
static bool sysv_running(const char *name, const char *out, size_t len,
			 int rc, bool *worked)
{
	static const char *const stopped[] = { "stop", "is dead ", "dead but ",
		"could not access pid file", "inactive" };
	static const char *const started[] = { "run", "start", "active" };
	size_t lines = 0;
	bool running = false;

	*worked = false;
	for (size_t i = 0; i < len; i++)
		lines += out[i] == '\n';
	if (!strcmp(name, "iptables") && memmem(out, len, "ACCEPT", 6))
		return *worked = true;
	if (lines <= 1) {
		struct buf clean = BUF_INIT, low = BUF_INIT;
		char *hit;

		for (size_t i = 0; i < len; i++)
			buf_addch(&clean, tolower((unsigned char)out[i]));
		for (size_t i = 0; name[i]; i++)
			buf_addch(&low, tolower((unsigned char)name[i]));
		while (low.len && (hit = strstr(clean.ptr, low.ptr)))
			memmove(hit, hit + low.len, strlen(hit + low.len) + 1);
		for (size_t i = 0; i < ARRAY_SIZE(stopped) && !*worked; i++)
			*worked = strstr(clean.ptr, stopped[i]) != NULL;
		for (size_t i = 0; i < ARRAY_SIZE(started) && !*worked; i++)
			if (strstr(clean.ptr, started[i]) &&
			    !strstr(clean.ptr, "not "))
				running = *worked = true;
		buf_release(&clean);
		buf_release(&low);
	}
	if (!*worked && (rc == 1 || rc == 2 || rc == 3 || rc == 4 || rc == 69))
		*worked = true;
	if (!*worked && rc == 0)
		running = *worked = true;
	return running;
}

static struct val *sub_status(bool changed)
{
	struct val *d = val_dict();

	val_dict_set_bool(d, "changed", changed);
	val_dict_set(d, "rc", val_null());
	val_dict_set(d, "stdout", val_null());
	val_dict_set(d, "stderr", val_null());
	return d;
}

static int sysv_judge(struct check_result *out, const struct task_ctx *ctx,
		      struct svc_plan *pl, const struct buf *o)
{
	const char *name = arg_str(ctx, "name");
	const char *state = arg_str(ctx, "state");
	const struct val *en = arg_get(ctx, "enabled");
	bool missing = false, sysv_en = false, started, worked;
	const char *st = "";
	size_t st_len = 0, pos = 0;
	int rc = -1, n;
	struct val *status = val_dict();
	struct rec r;

	while ((n = rec_next(&r, o, &pos)) > 0) {
		if (rec_is(&r, "missing"))
			missing = true;
		else if (rec_is(&r, "sysv_en"))
			sysv_en = true;
		else if (rec_is(&r, "st_rc"))
			rc = (int)strtol(r.val, NULL, 10);
		else if (rec_is(&r, "st"))
			st = r.val, st_len = r.len;
	}
	val_dict_set_str(out->result, "name", name);
	val_dict_set(out->result, "status", status);
	if (n < 0)
		return n;
	if (missing)
		return tend_error_set("Could not find the requested service "
				      "%s: ", name);
	started = sysv_running(name, st, st_len, rc, &worked);
	if (!worked)
		buf_adds(&out->msg, "Unable to determine if service is up, "
			 "assuming it is down");
	pl->enable_change = en && !val_is(en, VAL_NULL) &&
			    arg_bool(ctx, "enabled", false) != sysv_en;
	val_dict_set(status, "enabled", sub_status(pl->enable_change));
	if (pl->enable_change)
		buf_addf(&out->changes, "%s %s (update-rc.d)\n",
			 sysv_en ? "disable" : "enable", name);
	if (!state)
		return 0;
	if (!strcmp(state, "restarted") || !strcmp(state, "reloaded"))
		pl->action = state[2] == 's' ? "restart" : "reload";
	else if (started != !strcmp(state, "started"))
		pl->action = started ? "stop" : "start";
	val_dict_set(status, state, sub_status(pl->action != NULL));
	if (pl->action)
		buf_addf(&out->changes, "%s %s (%s)\n", pl->action, name,
			 started ? "running" : "stopped");
	return 0;
}

static int svc_judge(struct check_result *out, const struct task_ctx *ctx,
		     struct probe *p, const struct exec_result *res)
{
	struct svc_plan *pl = xcalloc(1, sizeof(*pl));
	struct rec r;
	size_t pos = 0;
	int error;

	if (!res->status && rec_next(&r, &res->out, &pos) > 0 &&
	    rec_is(&r, "mgr") && r.len == 7 && !memcmp(r.val, "systemd", 7)) {
		pl->mgr = MGR_SYSTEMD;
		error = mod_systemd.judge(out, ctx, p, res);
		pl->inner = out->priv;
		pl->inner_free = out->priv_free;
		out->priv = pl;
		out->priv_free = svc_plan_free;
		return error;
	}
	out->priv = pl;
	out->priv_free = svc_plan_free;
	out->result = val_dict();
	pl->mgr = MGR_SYSV;
	if (res->status) {
		return exec_error(res, "service failed");
	}
	if (!rec_is(&r, "mgr") || r.len != 8 || memcmp(r.val, "sysvinit", 8))
		return tend_error_set("service manager '%.*s' is not supported "
				      "(tend's service runs systemd and sysvinit)",
				      rec_is(&r, "mgr") ? (int)r.len : 1,
				      rec_is(&r, "mgr") ? r.val : "?");
	if ((error = sysv_judge(out, ctx, pl, &res->out)) < 0)
		return error;
	out->status = out->changes.len ? CHECK_CHANGE : CHECK_OK;
	return 0;
}

/*
 * The sysvinit apply: run() keeps a command's rc, stdout and stderr,
 * rec() prints them as records KEY_rc, KEY_out, KEY_err.
 */
static void sysv_script(struct buf *s, const struct task_ctx *ctx,
			const struct svc_plan *pl)
{
	buf_adds(s, "LC_ALL=C; export LC_ALL\nu=");
	sh_quote(s, arg_str(ctx, "name"));
	buf_adds(s, "\ncase $u in /*) i=$u ;; *) i=/etc/init.d/$u ;; esac\n"
		 "e=$(mktemp \"${TMPDIR:-/tmp}/.tend-svc-XXXXXX\") || exit 1\n"
		 "trap 'rm -f -- \"$e\"' EXIT\n"
		 "run() { o=$(\"$@\" 2>\"$e\"; r=$?; echo x; exit $r); r=$?; "
		 "o=${o%x}; er=$(cat -- \"$e\"; echo x); er=${er%x}; }\n"
		 "rec() { printf '%s_rc %s\\n' \"$1\" \"$r\"; "
		 "printf '%s_out:%s\\n%s\\n' \"$1\" \"${#o}\" \"$o\"; "
		 "printf '%s_err:%s\\n%s\\n' \"$1\" \"${#er}\" \"$er\"; }\n");
	if (pl->enable_change) {
		bool on = arg_bool(ctx, "enabled", false);

		buf_addf(s, "PATH=/sbin:/usr/sbin:/bin:/usr/bin:$PATH\n"
			 "if command -v update-rc.d >/dev/null 2>&1; then "
			 "run update-rc.d \"$u\" %s\n"
			 "elif command -v chkconfig >/dev/null 2>&1; then "
			 "run chkconfig \"$u\" %s\nelse r=0 o= er=; fi\nrec en\n",
			 on ? "defaults" : "disable", on ? "on" : "off");
	}
	if (pl->action && !strcmp(pl->action, "restart")) {
		long long z = arg_int(ctx, "sleep", 1);

		if (z < 0)
			z = 0;
		buf_addf(s, "run \"$i\" stop; [ \"$r\" = 0 ] || { rec st; "
			 "exit 0; }\nsleep %lld\nrun \"$i\" start; rec st; "
			 "sleep %lld\n", z, z);
	}
	else if (pl->action)
		buf_addf(s, "run \"$i\" %s; rec st\n", pl->action);
}

/* a record KEY_rc, KEY_out or KEY_err into d's rc, stdout or stderr */
static void set_rec(struct val *d, const struct rec *r)
{
	const char *k = strchr(r->key, '_');

	if (!k)
		return;
	if (!strcmp(k, "_rc"))
		val_dict_set_int(d, "rc", strtol(r->val, NULL, 10));
	else if (!strcmp(k, "_out") || !strcmp(k, "_err"))
		val_dict_set(d, k[1] == 'o' ? "stdout" : "stderr",
			     val_strn(r->val, r->len));
}

static int sysv_apply(struct apply_result *out, const struct task_ctx *ctx,
		      const struct svc_plan *pl)
{
	const char *state = arg_str(ctx, "state");
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct val *status = val_dict(), *en = sub_status(pl->enable_change);
	struct val *st = state ? sub_status(pl->action != NULL) : NULL;
	struct rec r;
	size_t pos = 0;
	int error, n;

	sysv_script(&s, ctx, pl);
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	out->result = val_dict();
	val_dict_set(out->result, "status", status);
	val_dict_set(status, "enabled", en);
	if (st)
		val_dict_set(status, state, st);
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = tend_error_set("%s", res.err.len ? res.err.ptr :
				       "service failed");
		goto out;
	}
	while ((n = rec_next(&r, &res.out, &pos)) > 0) {
		struct val *d = !strncmp(r.key, "en_", 3) ? en : st;

		if (d)
			set_rec(d, &r);
	}
	out->changed = true;
	if (st && val_dict_get(st, "rc") &&
	    val_dict_get(st, "rc")->u.i != 0) {
		out->failed = true;
		buf_addf(&out->msg, "Failed to %s service: %s", pl->action,
			 arg_str(ctx, "name"));
		val_dict_set(out->result, "rc", val_ref(val_dict_get(st, "rc")));
		val_dict_set(out->result, "stdout",
			     val_ref(val_dict_get(st, "stdout")));
		val_dict_set(out->result, "stderr",
			     val_ref(val_dict_get(st, "stderr")));
	}
out:
	buf_release(&s);
	exec_result_release(&res);
	return error;
}

static int svc_apply(struct apply_result *out, const struct task_ctx *ctx,
		     const struct check_result *planned)
{
	const struct svc_plan *pl = planned->priv;
	struct check_result inner;

	if (pl->mgr == MGR_SYSV)
		return sysv_apply(out, ctx, pl);
	inner = *planned;
	inner.priv = pl->inner;
	return mod_systemd.apply(out, ctx, &inner);
}

const struct tend_module mod_service = {
	.name = "service",
	.args = svc_args,
	.doc = "start, stop, restart or enable a service with the host's "
	       "service manager (systemd, or SysV init scripts)",
	.returns =
		"name: the service, as given\n"
		"state, enabled, status: as the systemd module returns them "
		"(systemd hosts)\n"
		"status: on SysV hosts, {enabled: {changed, rc, stdout, stderr}, "
		"STATE: {...}} as Ansible's sysvinit module\n",
	.example =
		"- service:\n"
		"    name: nginx\n"
		"    state: restarted\n",
	.probe = svc_probe,
	.judge = svc_judge,
	.apply = svc_apply,
};
