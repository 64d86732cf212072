#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"
#include "tend/data/val.h"
#include "tend/transport/transport.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/apt_int.h"

/*
 * apt's upgrade=yes|safe|full|dist, as Ansible's upgrade() runs it with
 * apt-get (Ansible's choice where the host has no aptitude, or with
 * force_apt_get): `apt-get dist-upgrade` for dist and full, `apt-get
 * upgrade --with-new-pkgs` for yes and safe. The probe simulates the
 * command (--simulate, as Ansible's check mode runs it): its Inst, Remv
 * and Purg lines are the plan, its output what check mode reports. The
 * apply runs it for real; "0 upgraded, 0 newly installed" in its output
 * means no change, as in Ansible.
 */

/* The upgrade asked for, or NULL for none ("no"). */
const char *apt_upgrade_mode(const struct task_ctx *ctx)
{
	const char *m = arg_str(ctx, "upgrade");

	return m && strcmp(m, "no") ? m : NULL;
}

/* Ansible's upgrade_command: "dist-upgrade " or "upgrade --with-new-pkgs " */
static void upgrade_command(struct buf *out, const struct task_ctx *ctx)
{
	const char *m = apt_upgrade_mode(ctx);
	bool dist = !strcmp(m, "dist") || !strcmp(m, "full");

	buf_addf(out, "%s %s", dist ? "dist-upgrade" : "upgrade --with-new-pkgs",
		 arg_bool(ctx, "autoremove", false) ? "--auto-remove" : "");
}

/*
 * The command, Ansible's words in its order (apt-get -y, the dpkg
 * options, force, no-remove, unauthenticated, downgrades, --simulate,
 * the upgrade, -t RELEASE), and tend's lock timeout; each word quoted.
 */
static void upgrade_words(struct buf *cmd, const struct task_ctx *ctx,
			  bool simulate)
{
	const char *opts = arg_str(ctx, "dpkg_options");
	const char *rel = arg_str(ctx, "default_release");
	struct buf up = BUF_INIT, o = BUF_INIT;

	buf_adds(cmd, "apt-get -y");
	for (const char *s = opts ? opts : "force-confdef,force-confold"; *s;) {
		size_t n = strcspn(s, ",");

		buf_reset(&o);
		buf_addf(&o, "Dpkg::Options::=--%.*s", (int)n, s);
		buf_adds(cmd, " -o ");
		sh_quote(cmd, o.ptr);
		s += n + (s[n] == ',');
	}
	buf_addf(cmd, " -o DPkg::Lock::Timeout=%lld",
		 arg_int(ctx, "lock_timeout", 60));
	if (arg_bool(ctx, "force", false))
		buf_adds(cmd, " --force-yes");
	if (arg_bool(ctx, "fail_on_autoremove", false))
		buf_adds(cmd, " --no-remove");
	if (arg_bool(ctx, "allow_unauthenticated", false))
		buf_adds(cmd, " --allow-unauthenticated");
	if (arg_bool(ctx, "allow_downgrade", false))
		buf_adds(cmd, " --allow-downgrades");
	if (simulate)
		buf_adds(cmd, " --simulate");
	upgrade_command(&up, ctx);
	buf_addf(cmd, " %s", up.ptr);
	if (rel) {
		buf_adds(cmd, " -t ");
		sh_quote(cmd, rel);
	}
	buf_release(&up);
	buf_release(&o);
}

void apt_upgrade_script(struct buf *s, const struct task_ctx *ctx)
{
	struct buf cmd = BUF_INIT;

	upgrade_words(&cmd, ctx, true);
	buf_adds(s, "command -v aptitude >/dev/null 2>&1 && echo 'aptitude 1'\n"
		 "{ e=$( { o=$(");
	buf_addbuf(s, &cmd);
	buf_adds(s, " 2>&3); r=$?\n"
		 "\tprintf 'upgrade_rc %s\\n' \"$r\" >&4\n"
		 "\tprintf 'upgrade_out:%s\\n%s\\n' \"${#o}\" \"$o\" >&4\n"
		 "\t} 3>&1 )\n"
		 "\tprintf 'upgrade_err:%s\\n%s\\n' \"${#e}\" \"$e\"\n"
		 "} 4>&1\n");
	buf_release(&cmd);
}

/* Ansible's message when the upgrade fails. */
static void fail_msg(struct buf *msg, const struct task_ctx *ctx,
		     const struct buf *err)
{
	buf_adds(msg, "'apt-get ");
	upgrade_command(msg, ctx);
	buf_addf(msg, "' failed: %s", err->ptr);
}

/* Output as Ansible's action gives it: KEY and KEY_lines. */
static void set_text(struct val *res, const char *key, const struct buf *b)
{
	struct buf k = BUF_INIT;

	val_dict_set(res, key, val_strn(b->ptr, b->len));
	buf_addf(&k, "%s_lines", key);
	val_dict_set(res, k.ptr, task_split_lines(b->ptr, b->len));
	buf_release(&k);
}

/*
 * The plan of the simulation: "upgrade NAME OLD -> NEW", "install NAME
 * NEW", "remove NAME OLD", "purge NAME OLD", one a line.
 */
static void plan_lines(struct buf *changes, const struct buf *out)
{
	for (const char *p = out->ptr, *end = out->ptr + out->len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xstrndup(p, len), *name, *old = NULL, *new = NULL;
		char *sp = strchr(line, ' ');

		p += len + (nl != NULL);
		if (!sp || (strncmp(line, "Inst ", 5) && strncmp(line, "Remv ", 5) &&
			    strncmp(line, "Purg ", 5))) {
			free(line);
			continue;
		}
		name = sp + 1;
		sp = strchr(name, ' ');
		if (sp) {
			*sp++ = '\0';
			if (*sp == '[') {
				old = sp + 1;
				sp = strchr(old, ']');
				if (sp)
					*sp++ = '\0';
				while (sp && *sp == ' ')
					sp++;
			}
			if (sp && *sp == '(') {
				new = sp + 1;
				new[strcspn(new, " )")] = '\0';
			}
		}
		if (line[0] == 'I' && old && new)
			buf_addf(changes, "upgrade %s %s -> %s\n", name, old, new);
		else if (line[0] == 'I')
			buf_addf(changes, "install %s %s\n", name, new ? new : "");
		else
			buf_addf(changes, "%s %s %s\n", line[0] == 'R' ? "remove" :
				 "purge", name, old ? old : "");
		free(line);
	}
}

int apt_upgrade_decide(struct check_result *out, const struct task_ctx *ctx,
		       const struct apt_plan *g)
{
	const char *m = apt_upgrade_mode(ctx);

	if (g->aptitude && !arg_bool(ctx, "force_apt_get", false) &&
	    strcmp(m, "dist"))
		return tend_error_set("upgrade=%s: the host has aptitude, which "
				      "Ansible would run and tend does not "
				      "yet; force_apt_get: true runs apt-get",
				      m);
	if (g->upgrade_rc) {
		struct buf msg = BUF_INIT;
		int error;

		fail_msg(&msg, ctx, &g->upgrade_err);
		error = tend_error_set("%s", msg.ptr);
		buf_release(&msg);
		return error;
	}
	plan_lines(&out->changes, &g->upgrade_out);
	/* what check mode reports, as Ansible's --simulate run */
	out->result = val_dict();
	val_dict_set(out->result, "msg",
		     val_strn(g->upgrade_out.ptr, g->upgrade_out.len));
	set_text(out->result, "stdout", &g->upgrade_out);
	set_text(out->result, "stderr", &g->upgrade_err);
	out->status = out->changes.len ? CHECK_CHANGE : CHECK_OK;
	return 0;
}

int apt_upgrade_apply(struct apply_result *out, const struct task_ctx *ctx,
		      const char *env)
{
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	int error;

	buf_adds(&s, env);
	apt_policy_begin(&s, ctx);
	upgrade_words(&s, ctx, false);
	buf_adds(&s, "\nr=$?\n");
	apt_policy_end(&s, ctx);
	buf_adds(&s, "exit $r\n");
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	val_dict_set(out->result, "msg", val_strn(res.out.ptr, res.out.len));
	set_text(out->result, "stdout", &res.out);
	set_text(out->result, "stderr", &res.err);
	if (res.status) {
		out->failed = true;
		val_dict_del(out->result, "stderr");
		val_dict_del(out->result, "stderr_lines");
		val_dict_set_int(out->result, "rc", res.status);
		fail_msg(&out->msg, ctx, &res.err);
		goto out;
	}
	out->changed = !strstr(res.out.ptr, "\n0 upgraded, 0 newly installed");
out:
	buf_release(&s);
	exec_result_release(&res);
	return error;
}
