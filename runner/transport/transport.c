#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/transport/transport.h"
#include "tend/util/quote.h"
#include <sodium.h>
#include <time.h>

void exec_result_release(struct exec_result *r)
{
	buf_release(&r->out);
	buf_release(&r->err);
	r->status = 0;
}

void transport_close(struct transport *t)
{
	if (t && t->become_password) {
		sodium_memzero(t->become_password, strlen(t->become_password));
		free(t->become_password);
		t->become_password = NULL;
	}
	if (t) {
		free(t->detail);
		t->detail = NULL;
	}
	if (t && t->close)
		t->close(t);
}

/*
 * The read-only view handed to check(): it forwards what cannot change
 * the host and refuses the rest, so a module cannot write during check
 * even by mistake.
 */
struct readonly {
	struct transport parent;
	struct transport *inner;
};

static int readonly_exec(struct transport *t, const struct exec_req *req,
			 struct exec_result *out)
{
	struct readonly *ro = (struct readonly *)t;

	if (req->in)
		return tend_error_set("refusing to send input to a command "
				      "on a read-only transport");
	if (!ro->inner->exec)
		return tend_error_set("transport '%s' cannot run commands",
				      ro->inner->name);
	return ro->inner->exec(ro->inner, req, out);
}

static int readonly_put(struct transport *t, const char *path,
			const void *data, size_t len, unsigned int mode,
			const char *become_user)
{
	(void)t;
	(void)data;
	(void)len;
	(void)mode;
	(void)become_user;
	return tend_error_set("refusing to write '%s' on a read-only transport",
			      path);
}

static int readonly_get(struct transport *t, const char *path,
			struct buf *out, const char *become_user)
{
	struct readonly *ro = (struct readonly *)t;

	if (!ro->inner->get)
		return tend_error_set("transport '%s' cannot read files",
				      ro->inner->name);
	return ro->inner->get(ro->inner, path, out, become_user);
}

static void readonly_close(struct transport *t)
{
	free(t);
}

int transport_readonly_new(struct transport **out, struct transport *inner)
{
	struct readonly *ro = xcalloc(1, sizeof(*ro));

	ro->parent.name = inner->name;
	ro->parent.flags = inner->flags | TRANSPORT_READONLY;
	ro->parent.exec = readonly_exec;
	ro->parent.put = readonly_put;
	ro->parent.get = readonly_get;
	ro->parent.close = readonly_close;
	ro->inner = inner;
	*out = &ro->parent;
	return 0;
}

int transport_put_by_exec(struct transport *t, const char *path,
			  const void *data, size_t len, unsigned int mode,
			  const char *become_user)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct buf script = BUF_INIT;
	struct exec_req req = { 0 };
	int error;

	buf_adds(&script, "p=");
	sh_quote(&script, path);
	/*
	 * What landed is measured before it replaces the file: a transport
	 * that lost or cut the input (a pipeline hides its writer's
	 * failure) must fail the write, never leave a short file.
	 */
	buf_addf(&script, "\nt=$(mktemp \"$p.tend-XXXXXX\") || exit 1\n"
		 "if cat >\"$t\" && n=$(wc -c <\"$t\") && "
		 "[ \"$((n))\" -eq %zu ]; then :; else rm -f -- \"$t\"; "
		 "echo \"wrote $((n)) of %zu bytes\" >&2; exit 1; fi\n"
		 "chmod %o \"$t\" && mv -f -- \"$t\" \"$p\" "
		 "|| { rm -f -- \"$t\"; exit 1; }\n", len, len, mode & 07777);
	req.script = script.ptr;
	req.in = data ? data : "";
	req.inlen = len;
	req.become_user = become_user;
	if ((error = t->exec(t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		buf_rtrim(&res.err);
		error = tend_error_set("cannot write '%s': %s", path,
				       res.err.ptr);
	}
out:
	exec_result_release(&res);
	buf_release(&script);
	return error;
}

/* get's exit status for "no such file"; cat never exits with it */
#define GET_ENOENT_STATUS 44

int transport_get_by_cat(struct transport *t,
			 int (*run)(struct transport *t,
				    const struct exec_req *req,
				    struct exec_result *out),
			 const char *path, struct buf *out,
			 const char *become_user)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct buf script = BUF_INIT;
	struct exec_req req = { 0 };
	int error;

	buf_adds(&script, "p=");
	sh_quote(&script, path);
	buf_addf(&script, "\n[ -e \"$p\" ] || exit %d\nexec cat -- \"$p\"\n",
		 GET_ENOENT_STATUS);
	req.script = script.ptr;
	req.become_user = become_user;
	if ((error = run(t, &req, &res)) < 0)
		goto out;
	if (res.status == GET_ENOENT_STATUS) {
		error = tend_error_set_code(TEND_ENOTFOUND,
			"cannot read '%s': %s", path, strerror(ENOENT));
	} else if (res.status) {
		buf_rtrim(&res.err);
		error = tend_error_set("cannot read '%s': %s", path,
				       res.err.ptr);
	} else {
		buf_addbuf(out, &res.out);
	}
out:
	exec_result_release(&res);
	buf_release(&script);
	return error;
}

/*
 * The environment view (a task's `environment:`): every script runs
 * after the prelude, which the caller built of sh_quote'd exports, so
 * the variables reach the module's commands, under become too (the
 * prelude is part of the script sudo runs). Files move through the inner
 * transport as they are: its put and get run no module code.
 */
struct envview {
	struct transport parent;
	struct transport *inner;
	char *prelude;
};

static int envview_exec(struct transport *t, const struct exec_req *req,
			struct exec_result *out)
{
	struct envview *ev = (struct envview *)t;
	struct exec_req r = *req;
	struct buf script = BUF_INIT;
	int error;

	buf_adds(&script, ev->prelude);
	buf_adds(&script, req->script);
	r.script = script.ptr;
	error = ev->inner->exec(ev->inner, &r, out);
	buf_release(&script);
	return error;
}

static int envview_put(struct transport *t, const char *path,
		       const void *data, size_t len, unsigned int mode,
		       const char *become_user)
{
	struct envview *ev = (struct envview *)t;

	return ev->inner->put(ev->inner, path, data, len, mode, become_user);
}

static int envview_get(struct transport *t, const char *path,
		       struct buf *out, const char *become_user)
{
	struct envview *ev = (struct envview *)t;

	return ev->inner->get(ev->inner, path, out, become_user);
}

static void envview_close(struct transport *t)
{
	struct envview *ev = (struct envview *)t;

	free(ev->prelude);
	free(ev);
}

int transport_prelude_new(struct transport **out, struct transport *inner,
			  const char *prelude)
{
	struct envview *ev = xcalloc(1, sizeof(*ev));

	if (!inner->exec) {
		free(ev);
		return tend_error_set("transport '%s' cannot run commands",
				      inner->name);
	}
	ev->parent.name = inner->name;
	ev->parent.flags = inner->flags;
	ev->parent.exec = envview_exec;
	ev->parent.put = inner->put ? envview_put : NULL;
	ev->parent.get = inner->get ? envview_get : NULL;
	ev->parent.close = envview_close;
	ev->inner = inner;
	ev->prelude = xstrdup(prelude);
	*out = &ev->parent;
	return 0;
}

/*
 * The timeout view (a task's `timeout:`): every script runs under the
 * target's timeout(1) with what is left of the task's time, in a process
 * group of its own that timeout signals whole (TERM, then KILL a second
 * later), so the module's commands stop on the host, not only the wait.
 */
struct timeview {
	struct transport parent;
	struct transport *inner;
	double deadline; /* CLOCK_MONOTONIC seconds */
	bool expired;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int timeview_exec(struct transport *t, const struct exec_req *req,
			 struct exec_result *out)
{
	struct timeview *tv = (struct timeview *)t;
	struct exec_req r = *req;
	struct buf script = BUF_INIT;
	double left = tv->deadline - mono_now();
	int error;

	if (left <= 0) {
		tv->expired = true;
		out->status = 124;
		return 0;
	}
	buf_addf(&script, "timeout -k 1 %.3f sh -c ", left);
	sh_quote(&script, req->script);
	r.script = script.ptr;
	error = tv->inner->exec(tv->inner, &r, out);
	if (error == 0 && mono_now() >= tv->deadline &&
	    (out->status == 124 || out->status == 137 ||
	     out->status == 128 + 15))
		tv->expired = true;
	buf_release(&script);
	return error;
}

static int timeview_put(struct transport *t, const char *path,
			const void *data, size_t len, unsigned int mode,
			const char *become_user)
{
	struct timeview *tv = (struct timeview *)t;

	return tv->inner->put(tv->inner, path, data, len, mode, become_user);
}

static int timeview_get(struct transport *t, const char *path,
			struct buf *out, const char *become_user)
{
	struct timeview *tv = (struct timeview *)t;

	return tv->inner->get(tv->inner, path, out, become_user);
}

static void timeview_close(struct transport *t)
{
	free(t);
}

int transport_timeout_new(struct transport **out, struct transport *inner,
			  double seconds)
{
	struct timeview *tv;

	if (!inner->exec)
		return tend_error_set("transport '%s' cannot run commands",
				      inner->name);
	tv = xcalloc(1, sizeof(*tv));
	tv->parent.name = inner->name;
	tv->parent.flags = inner->flags;
	tv->parent.exec = timeview_exec;
	tv->parent.put = inner->put ? timeview_put : NULL;
	tv->parent.get = inner->get ? timeview_get : NULL;
	tv->parent.close = timeview_close;
	tv->inner = inner;
	tv->deadline = mono_now() + seconds;
	*out = &tv->parent;
	return 0;
}

bool transport_timed_out(const struct transport *t)
{
	const struct timeview *tv = (const struct timeview *)t;

	return tv && (tv->expired || mono_now() >= tv->deadline);
}

/* Unlikely in sudo's output: two ASCII record separators around a word. */
#define BECOME_MARK "\036tend-become\036"

void transport_become_script(struct buf *out, const char *script)
{
	buf_adds(out, "printf '\\036tend-become\\036' >&2; ");
	buf_adds(out, script);
}

void transport_become_command(struct buf *out, const struct exec_req *req)
{
	struct buf script = BUF_INIT, inner = BUF_INIT;

	transport_become_script(&script, req->script);
	if (req->become_method && !strcmp(req->become_method, "su")) {
		buf_adds(&inner, "/bin/sh -c ");
		sh_quote(&inner, script.ptr);
		buf_adds(out, "su -c ");
		sh_quote(out, inner.ptr);
		buf_adds(out, " -- ");
		sh_quote(out, req->become_user);
	} else if (req->become_password_first) {
		/*
		 * A group: in a pipeline it is a subshell, so no long-lived
		 * shell keeps the variable; sudo resets the command's
		 * environment, and the script drops it in case sudoers
		 * keeps it (its first words, before the marker).
		 */
		buf_adds(out, "{ IFS= read -r TEND_BECOME_PASS && export "
			 "TEND_BECOME_PASS && SUDO_ASKPASS=/usr/bin/printenv "
			 "sudo -A -p TEND_BECOME_PASS -u ");
		sh_quote(out, req->become_user);
		buf_adds(out, " -- sh -c ");
		buf_reset(&inner);
		buf_adds(&inner, "unset TEND_BECOME_PASS; ");
		buf_addbuf(&inner, &script);
		sh_quote(out, inner.ptr);
		buf_adds(out, "; }");
	} else {
		buf_adds(out, "sudo -n -u ");
		sh_quote(out, req->become_user);
		buf_adds(out, " -- sh -c ");
		sh_quote(out, script.ptr);
	}
	buf_release(&inner);
	buf_release(&script);
}

const struct exec_req *transport_become_req(struct exec_req *r,
					    struct buf *in,
					    const struct transport *t,
					    const struct exec_req *req)
{
	if (!req->become_user || !t->become_password ||
	    (req->become_method && strcmp(req->become_method, "sudo")))
		return req;
	*r = *req;
	buf_adds(in, t->become_password);
	buf_addch(in, '\n');
	if (req->in)
		buf_add(in, req->in, req->inlen);
	r->in = in->ptr;
	r->inlen = in->len;
	r->become_password_first = true;
	return r;
}

void transport_become_strip(struct buf *err, size_t from)
{
	const char *m = err->len > from ?
		memmem(err->ptr + from, err->len - from, BECOME_MARK,
		       strlen(BECOME_MARK)) : NULL;
	size_t end;

	if (!m)
		return;
	end = (size_t)(m - err->ptr) + strlen(BECOME_MARK);
	memmove(err->ptr + from, err->ptr + end, err->len - end);
	buf_setlen(err, from + err->len - end);
}
