#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"
#include "tend/util/interrupt.h"

#include <math.h>

/*
 * reboot: a Linux host rebooted and waited for, as Ansible's action does
 * it. One round trip reads the boot time (boot_time_command), the
 * distribution and where the shutdown command is (search_paths, as
 * Ansible's find); a second runs `shutdown -r MINUTES "MSG"` (Alpine:
 * `reboot`; or reboot_command), a lost connection counting as done.
 * After post_reboot_delay, new connections (MOD_RECONNECT) until the boot
 * time differs, then test_command until it succeeds, each for at most
 * reboot_timeout, with Ansible's back-off (2^n s and a fraction, at most
 * 12). The commands run in /bin/sh with become when the task has it, as
 * Ansible's low-level commands. On the local connection it refuses, as
 * Ansible does (it would reboot the controller); a plan and check mode
 * report the change without acting.
 */

static const char *const default_paths =
	"/sbin,/bin,/usr/sbin,/usr/bin,/usr/local/sbin";

static const struct arg_spec reboot_args[] = {
	{ "boot_time_command", ARG_STR, 0, NULL, NULL,
	  "cat /proc/sys/kernel/random/boot_id",
	  "prints something that changes when the host boots" },
	{ "connect_timeout", ARG_INT, 0, "connect_timeout_sec", NULL, NULL,
	  "taken; the connection's own timeout (ansible_timeout) applies" },
	{ "msg", ARG_STR, 0, NULL, NULL, "Reboot initiated by Ansible",
	  "the message shutdown shows" },
	{ "post_reboot_delay", ARG_INT, 0, "post_reboot_delay_sec", NULL, "0",
	  "seconds to wait after the reboot command, before checking" },
	{ "pre_reboot_delay", ARG_INT, 0, "pre_reboot_delay_sec", NULL, "0",
	  "seconds before shutdown reboots (whole minutes: shutdown's)" },
	{ "reboot_command", ARG_STR, 0, NULL, NULL, NULL,
	  "the command that reboots, with its arguments" },
	{ "reboot_timeout", ARG_INT, 0, "reboot_timeout_sec", NULL, "600",
	  "seconds to wait for the boot, and then for test_command" },
	{ "search_paths", ARG_LIST, 0, NULL, NULL, NULL,
	  "where to look for the shutdown command (default /sbin, /bin, "
	  "/usr/sbin, /usr/bin, /usr/local/sbin)" },
	{ "test_command", ARG_STR, 0, NULL, NULL, "whoami",
	  "must succeed after the boot" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* An arg, or Ansible's default when it is not given. */
static const char *arg_or(const struct task_ctx *ctx, const char *name,
			  const char *dflt)
{
	const char *v = arg_str(ctx, name);

	return v ? v : dflt;
}

#define BOOT_TIME arg_or(ctx, "boot_time_command", \
			 "cat /proc/sys/kernel/random/boot_id")

static void result_of(struct check_result *out, bool changed, bool rebooted)
{
	out->result = val_dict();
	val_dict_set_bool(out->result, "changed", changed);
	val_dict_set_int(out->result, "elapsed", 0);
	val_dict_set_bool(out->result, "rebooted", rebooted);
}

static int reboot_check(struct check_result *out, const struct task_ctx *ctx)
{
	struct transport *t = NULL;
	int error;

	if ((error = ctx->engine->reconnect(&t, false, ctx->engine_data)) < 0)
		return error;
	if (!strcmp(t->name, "local")) {
		/* Ansible's refusal, before anything else */
		out->status = CHECK_OK;
		out->failed = true;
		result_of(out, false, false);
		buf_sets(&out->msg, "Running reboot with local connection "
			 "would reboot the control node.");
		val_dict_set_str(out->result, "msg", out->msg.ptr);
		return 0;
	}
	out->status = CHECK_CHANGE;
	buf_sets(&out->changes, "reboot\n");
	if (ctx->plan || ctx->check_only)
		result_of(out, true, true);
	return 0;
}

/* Run `text` in /bin/sh on t (with the task's become). */
static int run_sh(struct exec_result *res, struct transport *t,
		  const struct task_ctx *ctx, const char *text)
{
	struct buf s = BUF_INIT;
	struct exec_req req = { 0 };
	int error;

	buf_adds(&s, "exec /bin/sh -c ");
	sh_quote(&s, text);
	buf_addch(&s, '\n');
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	error = t->exec(t, &req, res);
	buf_release(&s);
	return error;
}

/* What the host says before the reboot (one round trip). */
struct before {
	struct buf os, id, shutdown, bt_out, bt_err;
	int bt_rc;
};

static void before_release(struct before *b)
{
	buf_release(&b->os);
	buf_release(&b->id);
	buf_release(&b->shutdown);
	buf_release(&b->bt_out);
	buf_release(&b->bt_err);
}

/* find_bin NAME DIR...: the first DIR/NAME there is (Ansible's find). */
static const char find_bin[] =
	"find_bin() { b=$1; shift; for d in \"$@\"; do "
	"p=$d/$b; if [ -e \"$p\" ] || [ -L \"$p\" ]; then "
	"printf 'shutdown:%s\\n%s\\n' \"${#p}\" \"$p\"; "
	"return; fi; done; }\n";

/* The script's search for the reboot command: its path, or NULL. */
static void add_search(struct buf *s, const struct task_ctx *ctx)
{
	const char *cmd = arg_str(ctx, "reboot_command");
	const struct val *paths = arg_get(ctx, "search_paths");
	const char *p = default_paths;

	if (cmd && cmd[0] == '/')
		return; /* as it is */
	buf_adds(s, find_bin);
	if (cmd) {
		buf_adds(s, "find_bin ");
		sh_quote_n(s, cmd, strcspn(cmd, " "));
	} else {
		/* Alpine's is reboot */
		buf_adds(s, "b=shutdown; [ \"$v\" = alpine ] && b=reboot\n"
			 "find_bin \"$b\"");
	}
	if (val_is(paths, VAL_LIST)) {
		for (size_t i = 0; i < val_len(paths); i++) {
			struct buf w = BUF_INIT;

			val_to_text(&w, val_list_at(paths, i));
			buf_addch(s, ' ');
			sh_quote(s, w.ptr ? w.ptr : "");
			buf_release(&w);
		}
	} else {
		while (*p) {
			size_t n = strcspn(p, ",");

			buf_addch(s, ' ');
			sh_quote_n(s, p, n);
			p += n + (p[n] == ',');
		}
	}
	buf_addch(s, '\n');
}

static int read_before(struct before *b, struct transport *t,
		       const struct task_ctx *ctx)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct buf s = BUF_INIT;
	size_t pos = 0;
	struct rec r;
	int error, got;

	buf_adds(&s, "LC_ALL=C; export LC_ALL\n"
		 "v=$(uname -s); printf 'os:%s\\n%s\\n' \"${#v}\" \"$v\"\n"
		 "v=$( (. /etc/os-release && printf %s \"$ID\") 2>/dev/null); "
		 "printf 'id:%s\\n%s\\n' \"${#v}\" \"$v\"\n");
	add_search(&s, ctx);
	buf_adds(&s, "{ e=$( { o=$(/bin/sh -c ");
	sh_quote(&s, BOOT_TIME);
	buf_adds(&s, " 2>&3); r=$?\n"
		 "\tprintf 'bt_rc %s\\n' \"$r\" >&4\n"
		 "\tprintf 'bt_out:%s\\n%s\\n' \"${#o}\" \"$o\" >&4\n"
		 "\t} 3>&1 )\n"
		 "\tprintf 'bt_err:%s\\n%s\\n' \"${#e}\" \"$e\"\n"
		 "} 4>&1\n");
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = t->exec(t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = exec_error(&res, "cannot read the host's boot time");
		goto out;
	}
	while ((got = rec_next(&r, &res.out, &pos)) > 0) {
		struct buf *to = rec_is(&r, "os") ? &b->os :
				 rec_is(&r, "id") ? &b->id :
				 rec_is(&r, "shutdown") ? &b->shutdown :
				 rec_is(&r, "bt_out") ? &b->bt_out :
				 rec_is(&r, "bt_err") ? &b->bt_err : NULL;

		if (rec_is(&r, "bt_rc"))
			b->bt_rc = atoi(r.val);
		else if (to)
			buf_add(to, r.val, r.len);
	}
	if (got < 0)
		error = -1;
out:
	exec_result_release(&res);
	buf_release(&s);
	return error;
}

/* Python's str.strip() of ASCII blanks. */
static void strip(struct buf *b)
{
	size_t i = 0, n = b->len;

	while (n && strchr(" \t\n\r\v\f", b->ptr[n - 1]))
		n--;
	while (i < n && strchr(" \t\n\r\v\f", b->ptr[i]))
		i++;
	if (i)
		memmove(b->ptr, b->ptr + i, n - i);
	buf_setlen(b, n - i);
}

/*
 * Ansible's reboot command line, "PATH ARGS": reboot_command's own words
 * after its first, or shutdown's for the distribution (Alpine's reboot
 * none, Void's "-r +MIN", every other's "-r MIN") with the message in
 * double quotes (shell text, as in Ansible).
 */
static int reboot_line(struct buf *line, const struct task_ctx *ctx,
		       const struct before *b)
{
	const char *cmd = arg_str(ctx, "reboot_command");
	const char *id = b->id.ptr ? b->id.ptr : "";
	long long delay = arg_int(ctx, "pre_reboot_delay", 0);
	const char *sp;

	if (cmd && cmd[0] == '/')
		buf_add(line, cmd, strcspn(cmd, " "));
	else if (b->shutdown.len)
		buf_addbuf(line, &b->shutdown);
	else
		return tend_error_set("Unable to find command \"%.*s\" in "
				      "search paths: %s", cmd ?
				      (int)strcspn(cmd, " ") : 8,
				      cmd ? cmd : "shutdown",
				      arg_str(ctx, "search_paths") ?
				      arg_str(ctx, "search_paths") :
				      default_paths);
	buf_addch(line, ' ');
	if (cmd) {
		if ((sp = strchr(cmd, ' ')))
			buf_adds(line, sp + 1);
		return 0;
	}
	if (!strcmp(id, "alpine"))
		return 0;
	buf_addf(line, "-r %s%lld \"%s\"", strcmp(id, "void") ? "" : "+",
		 (delay > 0 ? delay : 0) / 60,
		 arg_or(ctx, "msg", "Reboot initiated by Ansible"));
	return 0;
}

/* Ansible's back-off: 2^fails seconds and a fraction, at most 12 and one. */
static double back_off(int fails)
{
	double frac = fmod(task_now() * 1000.0, 1000.0) / 1000.0;
	double s = pow(2.0, fails > 10 ? 10 : fails) + frac;

	return s > 12.0 ? 12.0 + frac : s;
}

/* The boot time now, on a new connection: 0, or < 0 with the error set. */
static int boot_time(struct buf *out, const struct task_ctx *ctx)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct transport *t = NULL;
	int error;

	if ((error = ctx->engine->reconnect(&t, true, ctx->engine_data)) < 0 ||
	    (error = run_sh(&res, t, ctx,
			    BOOT_TIME)) < 0)
		goto out;
	if (res.status) {
		error = tend_error_set("reboot: failed to get host boot time "
				       "info, rc: %d", res.status);
		goto out;
	}
	buf_reset(out);
	buf_addbuf(out, &res.out);
	strip(out);
out:
	exec_result_release(&res);
	return error;
}

static int test_ok(const struct task_ctx *ctx)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct transport *t = NULL;
	int error;

	if ((error = ctx->engine->reconnect(&t, false, ctx->engine_data)) < 0 ||
	    (error = run_sh(&res, t, ctx,
				      arg_or(ctx, "test_command", "whoami"))) < 0) {
		/* as Ansible: the next try starts on a new connection */
		struct transport *again = NULL;

		ctx->engine->reconnect(&again, true, ctx->engine_data);
	} else if (res.status) {
		error = tend_error_set("Test command failed: %.*s %.*s",
				       (int)res.err.len,
				       res.err.ptr ? res.err.ptr : "",
				       (int)res.out.len,
				       res.out.ptr ? res.out.ptr : "");
	}
	exec_result_release(&res);
	return error;
}

/*
 * Until the boot time differs from `was` (stage 0), then until
 * test_command succeeds (stage 1), each for at most reboot_timeout.
 * Returns the stage that timed out, or -1 when both passed.
 */
static int wait_back(const struct task_ctx *ctx, const struct buf *was)
{
	double limit = (double)arg_int(ctx, "reboot_timeout", 600);
	struct buf now = BUF_INIT;

	for (int stage = 0; stage < 2; stage++) {
		double end = task_now() + limit;
		int fails = 0;
		bool done = false;

		while (!done && !tend_interrupted && task_now() < end) {
			if (stage == 0)
				done = boot_time(&now, ctx) == 0 && now.len &&
				       (now.len != was->len ||
					memcmp(now.ptr, was->ptr, now.len));
			else
				done = test_ok(ctx) == 0;
			tend_error_clear();
			if (!done)
				task_nap(back_off(fails++));
		}
		if (!done) {
			buf_release(&now);
			return stage;
		}
	}
	buf_release(&now);
	return -1;
}

static int reboot_apply(struct apply_result *out, const struct task_ctx *ctx,
			const struct check_result *planned)
{
	static const char *const what[] = {
		"last boot time check", "post-reboot test command",
	};
	struct before b = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT,
			    0 };
	struct exec_result res = EXEC_RESULT_INIT;
	struct transport *t = NULL;
	struct buf line = BUF_INIT;
	double start;
	int error, late;

	(void)planned;
	out->result = val_dict();
	if ((error = ctx->engine->reconnect(&t, false, ctx->engine_data)) < 0 ||
	    (error = read_before(&b, t, ctx)) < 0)
		goto out;
	if (strcmp(b.os.ptr ? b.os.ptr : "", "Linux")) {
		error = tend_error_set("reboot: only Linux hosts are supported "
				       "yet (uname -s: %s)", b.os.ptr ? b.os.ptr :
				       "");
		goto out;
	}
	if (b.bt_rc) {
		out->failed = true;
		buf_addf(&out->msg, "reboot: failed to get host boot time info, "
			 "rc: %d, stdout: %s, stderr: %s", b.bt_rc,
			 b.bt_out.ptr ? b.bt_out.ptr : "",
			 b.bt_err.ptr ? b.bt_err.ptr : "");
		val_dict_set_bool(out->result, "reboot", false);
		val_dict_set_str(out->result, "msg", out->msg.ptr);
		goto out;
	}
	strip(&b.bt_out);
	if ((error = reboot_line(&line, ctx, &b)) < 0)
		goto out;
	/* the connection may drop before the command returns: done */
	if (run_sh(&res, t, ctx, line.ptr) < 0) {
		tend_error_clear();
		res.status = 0;
	}
	start = task_now();
	if (res.status) {
		buf_release(&b.bt_err);
		strip(&res.out);
		strip(&res.err);
		out->failed = true;
		buf_addf(&out->msg, "Reboot command failed. Error was: '%s, %s'",
			 res.out.ptr ? res.out.ptr : "",
			 res.err.ptr ? res.err.ptr : "");
		val_dict_set_bool(out->result, "rebooted", false);
		val_dict_set_str(out->result, "msg", out->msg.ptr);
		val_dict_set_int(out->result, "elapsed", 0);
		goto out;
	}
	task_nap((double)arg_int(ctx, "post_reboot_delay", 0));
	late = wait_back(ctx, &b.bt_out);
	out->changed = late < 0;
	val_dict_set_bool(out->result, "rebooted", true);
	if (late >= 0) {
		out->failed = true;
		buf_addf(&out->msg, "Timed out waiting for %s (timeout=%lld)",
			 what[late], arg_int(ctx, "reboot_timeout", 600));
		val_dict_set_str(out->result, "msg", out->msg.ptr);
	}
	val_dict_set_int(out->result, "elapsed",
			 (long long)(task_now() - start));
out:
	exec_result_release(&res);
	before_release(&b);
	buf_release(&line);
	return error;
}

const struct tend_module mod_reboot = {
	.name = "reboot",
	.args = reboot_args,
	.flags = MOD_RECONNECT | MOD_NO_ASYNC,
	.doc = "reboot a Linux host and wait until it is back (its boot time "
	       "changed, test_command succeeds), as Ansible's; refused on "
	       "the local connection; a plan says it would reboot",
	.returns =
		"rebooted: whether it rebooted\n"
		"elapsed: the seconds from the reboot command to the host's "
		"return, whole\n"
		"msg: why it failed\n",
	.example =
		"- reboot:\n"
		"    reboot_timeout: 300\n"
		"  when: reboot_required.stat.exists\n",
	.check = reboot_check,
	.apply = reboot_apply,
};
