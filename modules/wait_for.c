#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/interrupt.h"
#include "tend/util/quote.h"
#include "tend/util/regex.h"

#include <time.h>

/*
 * wait_for: wait until a TCP port on (or seen from) the host opens or
 * closes, or a file there appears (holding a match of search_regex) or
 * goes, as Ansible's wait_for does. One poll is one small script (a
 * connect with bash's /dev/tcp, else nc; a test -e; the file's bytes for
 * the regex, matched on the controller with Python's regex rules); the
 * controller sleeps between polls. The check is one poll: a condition
 * that already holds (and no delay) is ok at once; else the check cannot
 * know how long it will take (unknown), and a plan never waits.
 *
 * Refused: state=drained (it reads the host's connection table), and
 * exclude_hosts and active_connection_states that go with it.
 */

static const char *const states[] = { "started", "present", "stopped",
				      "absent", NULL };

static const struct arg_spec wait_for_args[] = {
	{ "host", ARG_STR, 0, NULL, NULL, "127.0.0.1",
	  "the host whose port to test, as the target resolves it" },
	{ "port", ARG_INT, 0, NULL, NULL, NULL, "the TCP port" },
	{ "path", ARG_PATH, 0, NULL, NULL, NULL, "a file on the host" },
	{ "state", ARG_STR, 0, NULL, states, "started",
	  "started/present: open or there; stopped/absent: closed or gone "
	  "(drained is not supported)" },
	{ "search_regex", ARG_STR, 0, NULL, NULL, NULL,
	  "a Python regex the file (or what the port sends) must match" },
	{ "timeout", ARG_INT, 0, NULL, NULL, "300",
	  "seconds to wait before failing" },
	{ "connect_timeout", ARG_INT, 0, NULL, NULL, "5",
	  "seconds one connection attempt may take" },
	{ "delay", ARG_INT, 0, NULL, NULL, "0",
	  "seconds to wait before the first poll" },
	{ "sleep", ARG_INT, 0, NULL, NULL, "1", "seconds between polls" },
	{ "msg", ARG_STR, 0, NULL, NULL, NULL,
	  "the message of a timeout, instead of the usual one" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static bool wants_present(const struct task_ctx *ctx)
{
	const char *st = arg_str(ctx, "state");

	return !st || !strcmp(st, "started") || !strcmp(st, "present");
}

/* One poll of the condition, as a script (empty: nothing to poll). */
static int poll_script(struct buf *s, const struct task_ctx *ctx)
{
	const char *path = arg_str(ctx, "path"), *re = arg_str(ctx, "search_regex");
	long long port = arg_int(ctx, "port", 0);
	long long ct = arg_int(ctx, "connect_timeout", 5);

	if (port && path)
		return tend_error_set("port and path parameter can not both "
				      "be passed to wait_for");
	if (!port && !path)
		return 0;
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	if (path) {
		/* the path's state last: Ansible's result has it */
		file_probe_script(s);
		buf_adds(s, "p=");
		sh_quote(s, path);
		buf_adds(s, "\n[ -e \"$p\" ] || exit 0\necho 'there 1'\n");
		if (re && wants_present(ctx))
			buf_adds(s, "if [ -r \"$p\" ] && [ ! -d \"$p\" ] && "
				 "n=$(wc -c < \"$p\"); then\n"
				 "\techo \"data:$((n))\"\n"
				 "\thead -c \"$((n))\" -- \"$p\"; echo\nfi\n");
		buf_adds(s, "echo 'ps 1'\ntend_probe \"$p\" L n\n");
		return 0;
	}
	buf_adds(s, "h=");
	sh_quote(s, arg_str(ctx, "host") ? arg_str(ctx, "host") : "127.0.0.1");
	buf_addf(s, "\np=%lld t=%lld\n", port, ct < 1 ? 1 : ct);
	/* the read: until the peer closes, or connect_timeout at most */
	buf_addf(s, "if command -v bash >/dev/null 2>&1; then\n"
		 "\tc() { timeout \"$t\" bash -c 'exec 3<>\"/dev/tcp/$0/$1\"%s' "
		 "\"$h\" \"$p\" 2>/dev/null; }\n"
		 "elif command -v nc >/dev/null 2>&1; then\n"
		 "\tc() { nc %s-w \"$t\" \"$h\" \"$p\" </dev/null 2>/dev/null; }\n"
		 "else echo 'wait_for: the host has neither bash nor nc to "
		 "test a port with' >&2; exit 3; fi\n",
		 re ? " && cat <&3" : "", re ? "" : "-z ");
	if (re && wants_present(ctx))
		buf_adds(s, "x=$(c; echo x); r=$?; x=${x%x}\n"
			 "[ -n \"$x\" ] && echo 'there 1' && "
			 "printf 'data:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
			 "exit 0\n");
	else
		buf_adds(s, "c && echo 'there 1'\nexit 0\n");
	return 0;
}

/* What a poll found. */
struct poll {
	bool there;
	bool matched;
	struct val *groups, *groupdict;
	struct file_state st; /* the path's (followed) */
};

/* Python's match.groups() and groupdict() of search_regex in data. */
static int match(struct poll *p, const char *pattern, const char *data,
		 size_t len)
{
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	int error;

	if ((error = regex_compile(&re, pattern,
				   REGEX_MULTILINE | REGEX_BYTES)) < 0)
		return tend_error_set("Invalid regular expression: %s",
				      tend_error_last());
	if ((error = regex_exec(&m, re, data, len, 0, REGEX_SEARCH)) < 0 ||
	    !m.matched)
		goto out;
	p->matched = true;
	val_unref(p->groups);
	val_unref(p->groupdict);
	p->groups = val_list();
	p->groupdict = val_dict();
	for (size_t g = 1; g <= regex_groups(re); g++) {
		size_t so, eo;

		val_list_push(p->groups, regex_match_group(&so, &eo, &m, g) ?
			      val_strn(data + so, eo - so) : val_null());
	}
	/* the named groups, found in the pattern itself */
	for (const char *n = pattern; (n = strstr(n, "(?P<")); ) {
		size_t g, so, eo, nl;

		n += 4;
		nl = strcspn(n, ">");
		if (n[nl] == '>' && regex_group_lookup(&g, re, n, nl)) {
			char *key = xstrndup(n, nl);

			val_dict_set(p->groupdict, key,
				     regex_match_group(&so, &eo, &m, g) ?
				     val_strn(data + so, eo - so) : val_null());
			free(key);
		}
	}
out:
	regex_match_release(&m);
	regex_free(re);
	return error;
}

/* Run one poll; p says whether the condition holds. */
static int parse_poll(struct poll *p, const struct task_ctx *ctx,
		      const struct exec_result *res)
{
	const char *re = arg_str(ctx, "search_regex");
	struct rec r;
	size_t pos = 0;
	int n, error = 0;

	if (res->status) {
		return exec_error(res, "the poll failed");
	}
	p->there = p->matched = false;
	while ((n = rec_next(&r, &res->out, &pos)) > 0) {
		if (rec_is(&r, "there"))
			p->there = true;
		else if (rec_is(&r, "data") && re &&
			 (error = match(p, re, r.val, r.len)) < 0)
			return error;
		else if (rec_is(&r, "ps"))
			return file_state_parse(&p->st, &res->out, &pos);
	}
	return n;
}

static bool holds(const struct poll *p, const struct task_ctx *ctx)
{
	if (!wants_present(ctx))
		return !p->there;
	return p->there && (!arg_str(ctx, "search_regex") || p->matched);
}

static struct val *ok_result(const struct task_ctx *ctx, const struct poll *p,
			     long long elapsed)
{
	struct val *res = val_dict();
	const char *path = arg_str(ctx, "path"), *re = arg_str(ctx, "search_regex");
	long long port = arg_int(ctx, "port", 0);

	val_dict_set_str(res, "state", arg_str(ctx, "state") ?
			 arg_str(ctx, "state") : "started");
	val_dict_set(res, "port", port ? val_int(port) : val_null());
	val_dict_set(res, "search_regex", re ? val_str(re) : val_null());
	val_dict_set(res, "match_groups", p->groups ? val_ref(p->groups) :
		     val_list());
	val_dict_set(res, "match_groupdict", p->groupdict ?
		     val_ref(p->groupdict) : val_dict());
	val_dict_set(res, "path", path ? val_str(path) : val_null());
	val_dict_set_int(res, "elapsed", elapsed);
	if (path) /* what Ansible adds to a result with a path */
		file_state_info(res, &p->st);
	return res;
}

static void what(struct buf *out, const struct task_ctx *ctx)
{
	const char *path = arg_str(ctx, "path"), *re = arg_str(ctx, "search_regex");
	const char *host = arg_str(ctx, "host") ? arg_str(ctx, "host") :
		"127.0.0.1";

	if (path && re)
		buf_addf(out, "%s to hold a match of %s", path, re);
	else if (path)
		buf_addf(out, "%s to %s", path, wants_present(ctx) ? "exist" :
			 "be absent");
	else if (re)
		buf_addf(out, "%s:%lld to send a match of %s", host,
			 arg_int(ctx, "port", 0), re);
	else
		buf_addf(out, "%s:%lld to %s", host, arg_int(ctx, "port", 0),
			 wants_present(ctx) ? "open" : "close");
}

static int wait_for_probe(struct probe *out, const struct task_ctx *ctx)
{
	return poll_script(&out->script, ctx);
}

static int wait_for_judge(struct check_result *out,
			  const struct task_ctx *ctx, struct probe *probe,
			  const struct exec_result *res)
{
	struct poll p = { 0 };
	int error = 0;

	file_state_init(&p.st);
	if (!probe->script.len) {
		out->status = CHECK_UNKNOWN;
		buf_addf(&out->msg, "sleep %lld s", arg_int(ctx, "timeout", 300));
		return 0;
	}
	if ((error = parse_poll(&p, ctx, res)) < 0)
		goto out;
	if (holds(&p, ctx) && !arg_int(ctx, "delay", 0)) {
		out->status = CHECK_OK;
		out->result = ok_result(ctx, &p, 0);
	} else {
		out->status = CHECK_UNKNOWN;
		buf_addf(&out->msg, "wait up to %lld s for ",
			 arg_int(ctx, "timeout", 300));
		what(&out->msg, ctx);
	}
out:
	val_unref(p.groups);
	val_unref(p.groupdict);
	file_state_release(&p.st);
	return error;
}

static void timeout_msg(struct buf *m, const struct task_ctx *ctx)
{
	const char *path = arg_str(ctx, "path"), *re = arg_str(ctx, "search_regex");
	const char *host = arg_str(ctx, "host") ? arg_str(ctx, "host") :
		"127.0.0.1";
	long long port = arg_int(ctx, "port", 0);

	if (arg_str(ctx, "msg"))
		buf_adds(m, arg_str(ctx, "msg"));
	else if (!wants_present(ctx) && port)
		buf_addf(m, "Timeout when waiting for %s:%lld to stop.", host,
			 port);
	else if (!wants_present(ctx))
		buf_addf(m, "Timeout when waiting for %s to be absent.", path);
	else if (port && re)
		buf_addf(m, "Timeout when waiting for search string %s in "
			 "%s:%lld", re, host, port);
	else if (port)
		buf_addf(m, "Timeout when waiting for %s:%lld", host, port);
	else if (re)
		buf_addf(m, "Timeout when waiting for search string %s in %s",
			 re, path);
	else
		buf_addf(m, "Timeout when waiting for file %s", path);
}

static int wait_for_apply(struct apply_result *out,
			  const struct task_ctx *ctx,
			  const struct check_result *planned)
{
	struct buf s = BUF_INIT;
	struct poll p = { 0 };
	double start = task_now(), end;

	file_state_init(&p.st);
	long long slp = arg_int(ctx, "sleep", 1);
	int error = 0;

	(void)planned;
	if ((error = poll_script(&s, ctx)) < 0)
		goto out;
	task_nap((double)arg_int(ctx, "delay", 0));
	end = start + (double)arg_int(ctx, "timeout", 300);
	if (!s.len) {
		task_nap(end - task_now());
		goto done;
	}
	for (;;) {
		struct exec_result res = EXEC_RESULT_INIT;
		struct exec_req req = { .script = s.ptr,
					.become_user = ctx->become_user };

		if (task_now() >= end || tend_interrupted) {
			out->failed = true;
			timeout_msg(&out->msg, ctx);
			out->result = val_dict();
			val_dict_set_int(out->result, "elapsed",
					 (long long)(task_now() - start));
			goto out;
		}
		error = ctx->t->exec(ctx->t, &req, &res);
		if (!error)
			error = parse_poll(&p, ctx, &res);
		exec_result_release(&res);
		if (error < 0)
			goto out;
		if (holds(&p, ctx))
			break;
		task_nap((double)slp);
	}
done:
	out->result = ok_result(ctx, &p, (long long)(task_now() - start));
out:
	val_unref(p.groups);
	val_unref(p.groupdict);
	file_state_release(&p.st);
	buf_release(&s);
	return error;
}

const struct tend_module mod_wait_for = {
	.name = "wait_for",
	.args = wait_for_args,
	.flags = MOD_MAY_BE_UNKNOWN,
	.doc = "wait for a port to open or close, or a file to appear or go",
	.probe = wait_for_probe,
	.judge = wait_for_judge,
	.apply = wait_for_apply,
	.returns =
		"elapsed: whole seconds waited\n"
		"state, port, path, search_regex: as asked (null if not)\n"
		"match_groups, match_groupdict: the groups of the regex's "
		"match\n",
	.example =
		"- wait_for:\n"
		"    port: 8080\n"
		"    timeout: 60\n"
		"- wait_for:\n"
		"    path: /var/log/app.log\n"
		"    search_regex: 'ready on port (?P<port>\\d+)'\n",
};
