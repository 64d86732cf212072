#include "tend/common.h"
#include <ctype.h>
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * hostname: the host's name, set as Ansible's hostname module does on
 * Debian: with hostnamectl (the systemd strategy: static and pretty name,
 * then the transient one) when systemd runs the host or `use` says
 * systemd or debian, else /etc/hostname alone (Ansible's FileStrategy
 * for Debian without systemd). The other strategies (redhat, alpine,
 * openrc, freebsd ...) are other systems' and are refused by name.
 *
 * One probe reads the transient and static names (and the FQDN for the
 * facts); one script sets what differs.
 */

static const char *const hostname_uses[] = { "alpine", "debian", "freebsd",
	"generic", "macos", "macosx", "darwin", "openbsd", "openrc", "redhat",
	"sles", "solaris", "systemd", NULL };

static const struct arg_spec hostname_args[] = {
	{ "name", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "the host's name" },
	{ "use", ARG_STR, 0, NULL, hostname_uses, NULL,
	  "the strategy: systemd or debian (both hostnamectl); default: "
	  "systemd when systemd runs the host, else /etc/hostname (the "
	  "other systems' strategies are refused)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

struct hostname_plan {
	bool systemd;       /* hostnamectl, else /etc/hostname */
	char *current, *permanent;
	char *fqdn;
};

static void hostname_plan_free(void *p)
{
	struct hostname_plan *h = p;

	if (!h)
		return;
	free(h->current);
	free(h->permanent);
	free(h->fqdn);
	free(h);
}

static int hostname_validate(const struct val *args, const char **arg)
{
	const struct val *use = val_dict_get(args, "use");
	const char *s = use ? val_cstr(use) : NULL;

	if (!s || strstr(s, "{{") || !strcmp(s, "systemd") ||
	    !strcmp(s, "debian"))
		return 0;
	*arg = "use";
	return tend_error_set("use=%s is not supported: tend sets host names "
			      "with hostnamectl (systemd, debian) or "
			      "/etc/hostname only", s);
}

/*
 * The FQDN as Python's socket.getfqdn(): the first of the host's names
 * (from its resolver) holding a dot, else the name itself.
 */
static const char fqdn_script[] =
	"h=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)\n"
	"f=$h\n"
	"for n in $(getent hosts \"$h\" 2>/dev/null | "
	"{ read -r _ a || exit 0; echo \"$a\"; }); do\n"
	"\tcase $n in *.*) f=$n; break ;; esac\n"
	"done\n"
	"printf 'fqdn:%s\\n%s\\n' \"${#f}\" \"$f\"\n";

static int hostname_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct hostname_plan *h = xcalloc(1, sizeof(*h));
	const char *use = arg_str(ctx, "use"), *arg;
	struct buf *s = &out->script;

	out->priv = h;
	out->priv_free = hostname_plan_free;
	if (hostname_validate(ctx->args, &arg) < 0)
		return -1;
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	/* Ansible's is_systemd_managed, unless use says systemd */
	if (!use)
		buf_adds(s, "if command -v systemctl >/dev/null 2>&1 && { [ -d "
			 "/run/systemd/system/ ] || [ -d /dev/.run/systemd/ ] || "
			 "[ -d /dev/.systemd/ ]; }; then sd=1; else sd=; fi\n");
	else
		buf_adds(s, "sd=1\n");
	buf_adds(s, "if [ -n \"$sd\" ]; then\n"
		 "\tcommand -v hostnamectl >/dev/null 2>&1 || { echo \"Failed "
		 "to find required executable \\\"hostnamectl\\\" in paths: "
		 "$PATH\" >&2; exit 3; }\n"
		 "\techo 'systemd 1'\n"
		 "\tfor w in transient static; do\n"
		 "\t\tx=$(hostnamectl --$w status 2>/dev/null); r=$?\n"
		 "\t\t[ $r = 0 ] || { e=$(hostnamectl --$w status 2>&1 "
		 ">/dev/null); printf 'Command failed rc=%s, out=%s, err=%s\\n' "
		 "$r \"$x\" \"$e\" >&2; exit 4; }\n"
		 "\t\tprintf '%s:%s\\n%s\\n' $w \"${#x}\" \"$x\"\n"
		 "\tdone\n"
		 "elif [ -f /etc/debian_version ]; then\n"
		 "\tx=; [ ! -f /etc/hostname ] || x=$(cat /etc/hostname) || "
		 "exit 4\n"
		 "\tprintf 'static:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "else\n"
		 "\techo 'hostname: tend sets host names with hostnamectl or "
		 "/etc/hostname (Debian) only' >&2; exit 4\n"
		 "fi\n");
	buf_adds(s, fqdn_script);
	return 0;
}

/* Python's str.strip() of a probe value. */
static char *stripped(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static int read_probe(struct hostname_plan *h, const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		char **slot = rec_is(&r, "transient") ? &h->current :
			rec_is(&r, "static") ? &h->permanent :
			rec_is(&r, "fqdn") ? &h->fqdn : NULL;

		if (rec_is(&r, "systemd"))
			h->systemd = true;
		else if (slot) {
			free(*slot);
			*slot = stripped(r.val, r.len);
		}
	}
	if (!h->current && h->permanent)
		h->current = xstrdup(h->permanent);
	if (n == 0 && (!h->current || !h->fqdn))
		return tend_error_set("cannot parse the reply of the host");
	return n;
}

/* Ansible's facts: the name's, and the FQDN the host resolves. */
static struct val *facts(const char *name, const char *fqdn)
{
	struct val *f = val_dict();
	const char *dot = strchr(fqdn, '.');

	val_dict_set(f, "ansible_hostname", val_strn(name, strcspn(name, ".")));
	val_dict_set_str(f, "ansible_nodename", name);
	val_dict_set_str(f, "ansible_fqdn", fqdn);
	val_dict_set_str(f, "ansible_domain", dot ? dot + 1 : "");
	return f;
}

static int hostname_judge(struct check_result *out, const struct task_ctx *ctx,
			  struct probe *p, const struct exec_result *res)
{
	struct hostname_plan *h = p->priv;
	const char *name = arg_str(ctx, "name");
	const char *before;
	int error;

	out->priv = h;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	if (res->status)
		return exec_error(res, "cannot read the host name");
	if ((error = read_probe(h, &res->out)) < 0)
		return error;
	before = strcmp(name, h->current) ? h->current : h->permanent;
	out->result = val_dict();
	val_dict_set_str(out->result, "name", name);
	val_dict_set(out->result, "ansible_facts", facts(name, h->fqdn));
	if (!strcmp(name, h->current) && !strcmp(name, h->permanent)) {
		out->status = CHECK_OK;
		return 0;
	}
	out->status = CHECK_CHANGE;
	buf_addf(&out->changes, "set hostname %s -> %s\n", before, name);
	buf_addf(&out->diff, "--- before\n+++ after\n@@ -1 +1 @@\n"
		 "-hostname = %s\n+hostname = %s\n", before, name);
	return 0;
}

static int hostname_apply(struct apply_result *out, const struct task_ctx *ctx,
			  const struct check_result *planned)
{
	struct hostname_plan *h = planned->priv;
	const char *name = arg_str(ctx, "name");
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct rec r;
	size_t pos = 0;
	int error = 0, n;

	if (h->systemd && strlen(name) > 64)
		return tend_error_set("name cannot be longer than 64 characters "
				      "on systemd servers, try a shorter name");
	buf_adds(&s, "LC_ALL=C; export LC_ALL\nn=");
	sh_quote(&s, name);
	buf_addch(&s, '\n');
	/* the permanent name first, as Ansible does (NetworkManager) */
	if (h->systemd && strcmp(name, h->permanent))
		buf_adds(&s, "x=$(hostnamectl --pretty --static set-hostname "
			 "\"$n\" 2>&1) || { printf 'Command failed rc=%s, out=, "
			 "err=%s\\n' $? \"$x\" >&2; exit 4; }\n");
	if (h->systemd && strcmp(name, h->current))
		buf_adds(&s, "x=$(hostnamectl --transient set-hostname \"$n\" "
			 "2>&1) || { printf 'Command failed rc=%s, out=, "
			 "err=%s\\n' $? \"$x\" >&2; exit 4; }\n");
	if (!h->systemd)
		buf_adds(&s, "printf '%s\\n' \"$n\" >/etc/hostname || exit 4\n");
	buf_adds(&s, fqdn_script);
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = exec_error(&res, "cannot set the host name");
		goto out;
	}
	while ((n = rec_next(&r, &res.out, &pos)) > 0) {
		if (rec_is(&r, "fqdn")) {
			free(h->fqdn);
			h->fqdn = stripped(r.val, r.len);
		}
	}
	out->changed = true;
	out->result = val_dict();
	val_dict_set_str(out->result, "name", name);
	val_dict_set(out->result, "ansible_facts", facts(name, h->fqdn));
out:
	buf_release(&s);
	exec_result_release(&res);
	return error;
}

const struct tend_module mod_hostname = {
	.name = "hostname",
	.args = hostname_args,
	.flags = MOD_FACTS,
	.doc = "set the host's name (hostnamectl, or /etc/hostname)",
	.probe = hostname_probe,
	.judge = hostname_judge,
	.validate = hostname_validate,
	.apply = hostname_apply,
	.returns =
		"name: the name set\n"
		"ansible_facts: ansible_hostname, ansible_nodename, "
		"ansible_fqdn, ansible_domain\n",
	.example =
		"- hostname:\n"
		"    name: web2\n",
};
