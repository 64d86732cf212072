#include "tend/common.h"
#include <ctype.h>
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/diff.h"
#include "tend/util/quote.h"

/*
 * sysctl (ansible.posix.sysctl): a kernel parameter in a sysctl file
 * and, with sysctl_set, in the running kernel, with the host's sysctl.
 *
 * One probe reads the running value (`sysctl -e -n NAME`) and the file;
 * the judge rewrites the file as Ansible does (every line stripped,
 * "key=value" without spaces, a key's later duplicates dropped) and
 * decides as its process() does; one script sets the value, writes the
 * file (temp file beside it, the old file's mode and owner, rename) and
 * reloads it (`sysctl -p FILE`).
 */

static const char *const sysctl_states[] = { "present", "absent", NULL };

static const struct arg_spec sysctl_args[] = {
	{ "name", ARG_STR, ARG_REQUIRED, "key", NULL, NULL,
	  "the parameter (net.ipv4.ip_forward)" },
	{ "value", ARG_STR, 0, "val", NULL, NULL,
	  "its value (yes/no become 1/0); required with state=present" },
	{ "state", ARG_STR, 0, NULL, sysctl_states, "present",
	  "present: in the file; absent: out of it" },
	{ "reload", ARG_BOOL, 0, NULL, NULL, "yes",
	  "load the file (sysctl -p FILE) after a change" },
	{ "sysctl_set", ARG_BOOL, 0, NULL, NULL, "no",
	  "also set the running value with sysctl -w" },
	{ "ignoreerrors", ARG_BOOL, 0, NULL, NULL, "no",
	  "ignore unknown keys (sysctl -e)" },
	{ "sysctl_file", ARG_PATH, 0, NULL, NULL, "/etc/sysctl.conf",
	  "the file that holds the setting" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

struct sysctl_plan {
	char *name, *value;
	char *proc;          /* the running value, or NULL (unreadable) */
	struct buf before;   /* the file, as read */
	struct buf after;    /* the file as Ansible rewrites it */
	bool set_proc, write_file, reload;
};

static void sysctl_plan_free(void *p)
{
	struct sysctl_plan *s = p;

	if (!s)
		return;
	free(s->name);
	free(s->value);
	free(s->proc);
	buf_release(&s->before);
	buf_release(&s->after);
	free(s);
}

static const char *file_arg(const struct task_ctx *ctx)
{
	const char *f = arg_str(ctx, "sysctl_file");

	return f ? f : "/etc/sysctl.conf";
}

static bool is_absent_args(const struct val *args)
{
	const struct val *v = val_dict_get(args, "state");

	return v && val_cstr(v) && !strcmp(val_cstr(v), "absent");
}

static bool templated(const struct val *v)
{
	const char *s = v ? val_cstr(v) : NULL;

	return s && (strstr(s, "{{") || strstr(s, "{%"));
}

/* Ansible's refusals (required_if, "cannot be blank") */
static int sysctl_validate(const struct val *args, const char **arg)
{
	const struct val *name = val_dict_get(args, "name");
	const struct val *value = val_dict_get(args, "value");

	if (name && val_cstr(name) && !*val_cstr(name)) {
		*arg = "name";
		return tend_error_set("name cannot be blank");
	}
	if (is_absent_args(args) || templated(val_dict_get(args, "state")))
		return 0;
	if (!value || val_is(value, VAL_NULL)) {
		*arg = "name";
		return tend_error_set("state is present but all of the "
				      "following are missing: value");
	}
	if (val_cstr(value) && !*val_cstr(value)) {
		*arg = "value";
		return tend_error_set("value cannot be blank");
	}
	return 0;
}

/* Python's str.strip() */
static char *strip(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Ansible's _parse_value: booleans become 1 and 0, the rest is stripped */
static char *parse_value(const char *v)
{
	static const char *const yes[] = { "y", "yes", "on", "1", "true", "t",
					   "1.0" };
	static const char *const no[] = { "n", "no", "off", "0", "false", "f",
					  "0.0" };

	if (!v)
		return xstrdup("");
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (!strcasecmp(v, yes[i]))
			return xstrdup("1");
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (!strcasecmp(v, no[i]))
			return xstrdup("0");
	return strip(v, strlen(v));
}

static int sysctl_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct sysctl_plan *p = xcalloc(1, sizeof(*p));
	struct buf *s = &out->script;
	const char *name = arg_str(ctx, "name"), *arg;

	buf_init(&p->before, 0);
	buf_init(&p->after, 0);
	out->priv = p;
	out->priv_free = sysctl_plan_free;
	if (sysctl_validate(ctx->args, &arg) < 0)
		return -1;
	p->name = strip(name, strlen(name));
	p->value = parse_value(arg_str(ctx, "value"));
	buf_adds(s, "LC_ALL=C LANG=C LC_MESSAGES=C; export LC_ALL LANG "
		 "LC_MESSAGES\nPATH=$PATH:/sbin:/usr/sbin:/usr/local/sbin\n"
		 "command -v sysctl >/dev/null 2>&1 || { echo \"Failed to find "
		 "required executable \\\"sysctl\\\" in paths: $PATH\" >&2; "
		 "exit 3; }\nk=");
	sh_quote(s, p->name);
	buf_adds(s, "\nf=");
	sh_quote(s, file_arg(ctx));
	buf_adds(s, "\nx=$(sysctl -e -n \"$k\" 2>/dev/null; r=$?; echo x; "
		 "exit $r) && x=${x%x} && printf 'proc:%s\\n%s\\n' \"${#x}\" "
		 "\"$x\"\n"
		 "if [ -f \"$f\" ]; then\n"
		 "\tx=$(cat -- \"$f\"; r=$?; echo x; exit $r) || exit 4\n"
		 "\tx=${x%x}\n"
		 "\tprintf 'file:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "fi\n");
	return 0;
}

/* Python's str.split() comparison of two values (_values_is_equal) */
static bool same_words(const char *a, const char *b)
{
	for (;;) {
		size_t na, nb;

		while (isspace((unsigned char)*a))
			a++;
		while (isspace((unsigned char)*b))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		na = strcspn(a, " \t\n\r\f\v");
		nb = strcspn(b, " \t\n\r\f\v");
		if (na != nb || memcmp(a, b, na))
			return false;
		a += na;
		b += nb;
	}
}

/* A "key = value" line (not blank, #, ; or without '='): its key and value. */
static bool kv_line(const char *l, char **k, char **v)
{
	const char *eq = strchr(l, '=');

	if (!*l || *l == '#' || *l == ';' || !eq)
		return false;
	*k = strip(l, (size_t)(eq - l));
	*v = strip(eq + 1, strlen(eq + 1));
	return true;
}

/*
 * Ansible's read_sysctl_file + fix_lines + write_sysctl: the new file into
 * p->after; *file_value is the name's value there (last one), or NULL.
 */
static void rewrite(struct sysctl_plan *p, bool present, char **file_value)
{
	struct val *seen = val_dict();
	const char *s = p->before.ptr, *end = s + p->before.len;

	*file_value = NULL;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		char *l = strip(s, (size_t)((nl ? nl : end) - s)), *k, *v;

		s = nl ? nl + 1 : end;
		if (!kv_line(l, &k, &v)) {
			buf_addf(&p->after, "%s\n", l);
			free(l);
			continue;
		}
		if (!strcmp(k, p->name)) {
			free(*file_value);
			*file_value = xstrdup(v);
		}
		if (!val_dict_get(seen, k)) {
			val_dict_set_bool(seen, k, true);
			if (strcmp(k, p->name))
				buf_addf(&p->after, "%s=%s\n", k, v);
			else if (present)
				buf_addf(&p->after, "%s=%s\n", k, p->value);
		}
		free(k);
		free(v);
		free(l);
	}
	if (!val_dict_get(seen, p->name) && present)
		buf_addf(&p->after, "%s=%s\n", p->name, p->value);
	val_unref(seen);
}

/* What process() decides, as plan lines. */
static void decide(struct check_result *out, const struct task_ctx *ctx,
		   struct sysctl_plan *p, const char *fv, bool present)
{
	const char *f = file_arg(ctx);
	bool changed = false;

	if ((!fv && present) || (fv && *fv && !present) ||
	    (fv && strcmp(fv, p->value))) {
		changed = p->write_file = true;
		if (present)
			buf_addf(&out->changes, "set %s %s -> %s in %s\n",
				 p->name, fv ? fv : "(unset)", p->value, f);
		else
			buf_addf(&out->changes, "remove %s from %s\n", p->name,
				 f);
	} else if (fv && arg_bool(ctx, "reload", true) &&
		   (!p->proc || !same_words(p->proc, p->value))) {
		changed = true;
		buf_addf(&out->changes, "reload %s: %s is %s in the kernel\n",
			 f, p->name, p->proc ? p->proc : "(unreadable)");
	}
	if (arg_bool(ctx, "sysctl_set", false) && present &&
	    (!p->proc || !same_words(p->proc, p->value))) {
		changed = true;
		p->set_proc = p->proc != NULL;
		if (p->set_proc)
			buf_addf(&out->changes, "set %s %s -> %s (running "
				 "kernel)\n", p->name, p->proc, p->value);
	}
	p->reload = changed && arg_bool(ctx, "reload", true);
	out->status = changed ? CHECK_CHANGE : CHECK_OK;
}

static int sysctl_judge(struct check_result *out, const struct task_ctx *ctx,
			struct probe *pr, const struct exec_result *res)
{
	struct sysctl_plan *p = pr->priv;
	const char *state = arg_str(ctx, "state");
	bool present = !state || strcmp(state, "absent");
	char *fv = NULL;
	struct rec r;
	size_t pos = 0;
	int n;

	out->priv = p;
	out->priv_free = pr->priv_free;
	pr->priv = NULL;
	if (res->status)
		return exec_error(res, "cannot read the sysctl file");
	while ((n = rec_next(&r, &res->out, &pos)) > 0) {
		if (rec_is(&r, "proc"))
			p->proc = strip(r.val, r.len);
		else if (rec_is(&r, "file"))
			buf_add(&p->before, r.val, r.len);
	}
	if (n < 0)
		return n;
	rewrite(p, present, &fv);
	decide(out, ctx, p, fv, present);
	if (p->write_file)
		diff_unified(&out->diff, p->before.ptr, p->before.len,
			     file_arg(ctx), p->after.ptr, p->after.len,
			     file_arg(ctx));
	free(fv);
	return 0;
}

/* $e: a sysctl's output; Ansible fails on these lines even with rc 0 */
static const char stderr_check[] =
	"printf '%s\\n' \"$e\" | grep -Eq '^sysctl: setting key \"[^\"]+\": "
	"(Invalid argument|Read-only file system)$' && r=1\n";

static void apply_script(struct buf *s, const struct task_ctx *ctx,
			 const struct sysctl_plan *p)
{
	const char *ign = arg_bool(ctx, "ignoreerrors", false) ? "-e " : "";

	buf_adds(s, "LC_ALL=C LANG=C LC_MESSAGES=C; export LC_ALL LANG "
		 "LC_MESSAGES\nPATH=$PATH:/sbin:/usr/sbin:/usr/local/sbin\nk=");
	sh_quote(s, p->name);
	buf_adds(s, "\nv=");
	sh_quote(s, p->value);
	buf_adds(s, "\nf=");
	sh_quote(s, file_arg(ctx));
	buf_addch(s, '\n');
	if (p->set_proc) {
		buf_addf(s, "e=$(sysctl %s-w \"$k=$v\" 2>&1); r=$?\n", ign);
		buf_adds(s, stderr_check);
		buf_adds(s, "[ $r = 0 ] || { printf 'setting %s failed: %s\\n' "
			 "\"$k\" \"$e\" >&2; exit 4; }\n");
	}
	if (p->write_file)
		/* Ansible's atomic_move: the old file's mode and owner stay */
		buf_adds(s, "t=$(mktemp \"$(dirname -- \"$f\")/"
			 ".ansible_m_sysctl_XXXXXXXX.conf\") || exit 4\n"
			 "cat >\"$t\" || { rm -f -- \"$t\"; exit 4; }\n"
			 "if [ -e \"$f\" ]; then\n"
			 "\tchmod --reference=\"$f\" -- \"$t\" && "
			 "chown --reference=\"$f\" -- \"$t\"\n"
			 "else\n"
			 "\tchmod \"$(printf '%o' $((0666 & ~$(umask))))\" -- "
			 "\"$t\"\n"
			 "fi && mv -f -- \"$t\" \"$f\" || { rm -f -- \"$t\"; "
			 "exit 4; }\n");
	if (p->reload) {
		buf_addf(s, "e=$(sysctl %s-p \"$f\" 2>&1); r=$?\n", ign);
		buf_adds(s, stderr_check);
		buf_adds(s, "[ $r = 0 ] || { printf 'Failed to reload sysctl: "
			 "%s\\n' \"$e\" >&2; exit 4; }\n");
	}
}

static int sysctl_apply(struct apply_result *out, const struct task_ctx *ctx,
			const struct check_result *planned)
{
	struct sysctl_plan *p = planned->priv;
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	int error = 0;

	apply_script(&s, ctx, p);
	req.script = s.ptr;
	if (p->write_file) {
		req.in = p->after.ptr;
		req.inlen = p->after.len;
	}
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = exec_error(&res, "sysctl failed");
		goto out;
	}
	out->changed = true;
out:
	buf_release(&s);
	exec_result_release(&res);
	return error;
}

const struct tend_module mod_sysctl = {
	.name = "sysctl",
	.args = sysctl_args,
	.doc = "a kernel parameter in a sysctl file and the running kernel "
	       "(ansible.posix.sysctl)",
	.probe = sysctl_probe,
	.judge = sysctl_judge,
	.validate = sysctl_validate,
	.apply = sysctl_apply,
	.returns = "changed: the only key Ansible's sysctl returns\n",
	.example =
		"- ansible.posix.sysctl:\n"
		"    name: net.ipv4.ip_forward\n"
		"    value: \"1\"\n"
		"    sysctl_set: true\n",
};
