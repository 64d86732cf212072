#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * tempfile: a new file or directory with a name no one has, as Ansible's
 * (Python's mkstemp/mkdtemp): PREFIX, eight characters of [a-z0-9_],
 * SUFFIX, in `path` or $TMPDIR or /tmp; only its owner may use it (0600,
 * 0700). Not mktemp(1): POSIX has none and not every one takes a suffix.
 * One round trip makes it and reads its state. Every run makes a new one,
 * so it always changes; its name is known only at apply (a plan, or
 * check mode, where Ansible's module does not run at all).
 */

static const char *const tempfile_states[] = { "file", "directory", NULL };

static const struct arg_spec tempfile_args[] = {
	{ "state", ARG_STR, 0, NULL, tempfile_states, "file",
	  "make a file or a directory" },
	{ "path", ARG_PATH, 0, NULL, NULL, NULL,
	  "the directory to make it in (default: $TMPDIR, else /tmp)" },
	{ "prefix", ARG_STR, 0, NULL, NULL, "ansible.",
	  "the start of its name" },
	{ "suffix", ARG_STR, 0, NULL, NULL, NULL,
	  "the end of its name (default: none)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static bool tempfile_dir(const struct task_ctx *ctx)
{
	const char *state = arg_str(ctx, "state");

	return state && !strcmp(state, "directory");
}

static int tempfile_check(struct check_result *out,
			  const struct task_ctx *ctx)
{
	const char *path = arg_str(ctx, "path");

	out->status = CHECK_UNKNOWN;
	if (ctx->check_only) {
		/* Ansible's module does not run in check mode */
		buf_adds(&out->msg, "remote module (tempfile) does not support "
			 "check mode");
		return 0;
	}
	buf_addf(&out->msg, "makes a temporary %s in %s: its name is known "
		 "only at apply", tempfile_dir(ctx) ? "directory" : "file",
		 path ? path : "$TMPDIR (or /tmp)");
	return 0;
}

/*
 * The script: pick a name from urandom until one is free; `mkdir` and a
 * noclobber `>` each make it only if nothing is there. Prints the name's
 * length and the name, then its state (tend_probe).
 */
static void tempfile_script(struct buf *s, const struct task_ctx *ctx)
{
	const char *path = arg_str(ctx, "path");
	const char *prefix = arg_str(ctx, "prefix");
	const char *suffix = arg_str(ctx, "suffix");

	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(s);
	if (path) {
		buf_adds(s, "d=");
		sh_quote(s, path);
		/* os.path.expanduser, as the module's type: path does */
		buf_adds(s, "\ncase $d in \"~\") d=$HOME ;; \"~/\"*) "
			 "d=$HOME/${d#\"~/\"} ;; esac\n");
	} else {
		buf_adds(s, "d=${TMPDIR:-/tmp}\n");
	}
	buf_adds(s, "p=");
	sh_quote(s, prefix ? prefix : "ansible.");
	buf_adds(s, "\nx=");
	sh_quote(s, suffix ? suffix : "");
	buf_addf(s, "\numask 077\nn=0 f=\n"
		 "while [ -z \"$f\" ] && [ $n -lt 100 ]; do\n"
		 "\tn=$((n + 1))\n"
		 "\tr=$(dd if=/dev/urandom bs=256 count=1 2>/dev/null |"
		 " tr -dc 'a-z0-9_' | cut -c1-8)\n"
		 "\t[ ${#r} -eq 8 ] || continue\n"
		 "\tf=$d/$p$r$x\n"
		 "\t%s || f=\n"
		 "\t[ -n \"$f\" ] || { [ -d \"$d\" ] && [ -w \"$d\" ]; } ||"
		 " { printf '%%s: no such directory, or not writable\\n' "
		 "\"$d\" >&2; exit 1; }\n"
		 "done\n"
		 "[ -n \"$f\" ] || exit 1\n"
		 "printf '%%s\\n%%s\\n' \"${#f}\" \"$f\"\n"
		 "tend_probe \"$f\" '' ''\n",
		 tempfile_dir(ctx) ? "mkdir -- \"$f\" 2>/dev/null" :
		 "( set -C; : > \"$f\" ) 2>/dev/null");
}

static int tempfile_apply(struct apply_result *out,
			  const struct task_ctx *ctx,
			  const struct check_result *planned)
{
	struct buf script = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct file_state st;
	char *end = NULL;
	const char *nl;
	size_t len = 0, pos;
	int error;

	(void)planned;
	file_state_init(&st);
	tempfile_script(&script, ctx);
	req.script = script.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		buf_rtrim(&res.err);
		error = tend_error_set("cannot make a temporary %s: %s",
				       tempfile_dir(ctx) ? "directory" : "file",
				       res.err.len ? res.err.ptr :
				       "no free name");
		goto out;
	}
	if (res.out.len)
		len = strtoul(res.out.ptr, &end, 10);
	nl = end && *end == '\n' ? end + 1 : NULL;
	pos = nl ? (size_t)(nl - res.out.ptr) + len + 1 : 0;
	if (!nl || pos > res.out.len || res.out.ptr[pos - 1] != '\n') {
		error = tend_error_set("the host's answer could not be read");
		goto out;
	}
	if ((error = file_state_parse(&st, &res.out, &pos)) < 0)
		goto out;
	out->changed = true;
	out->result = val_dict();
	val_dict_set(out->result, "path", val_strn(nl, len));
	file_state_info(out->result, &st);
out:
	file_state_release(&st);
	exec_result_release(&res);
	buf_release(&script);
	return error;
}

const struct tend_module mod_tempfile = {
	.name = "tempfile",
	.args = tempfile_args,
	.flags = MOD_MAY_BE_UNKNOWN,
	.doc = "make a new temporary file or directory that only its owner "
	       "may use",
	.returns =
		"path: the file or directory made\n"
		"uid, gid, owner, group, mode, state, size: its state then",
	.example =
		"- tempfile:\n"
		"    state: directory\n"
		"    suffix: build\n"
		"  register: build_dir\n"
		"- file:\n"
		"    path: \"{{ build_dir.path }}\"\n"
		"    state: absent\n",
	.check = tempfile_check,
	.apply = tempfile_apply,
};
