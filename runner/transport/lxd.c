#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/data/val.h"
#include "tend/net/http.h"
#include "tend/transport/lxd.h"

#include <errno.h>
#include <stdlib.h>

struct lxdt {
	struct transport parent;
	struct lxd *l;
	char *instance;
	char *files;        /* "/1.0/instances/NAME/files?path=" */
};

/* An LXD refusal to run in the instance: the host cannot be reached. */
static int unreachable(const struct lxdt *x, int error)
{
	if (error == TEND_EUNREACHABLE)
		return error;
	return tend_error_set_code(TEND_EUNREACHABLE, "LXD instance '%s': %s",
				   x->instance, tend_error_last());
}

/* A new name for a file in the instance's /tmp. */
static void temp_name(struct buf *out)
{
	unsigned char r[12];

	arc4random_buf(r, sizeof(r));
	buf_adds(out, "/tmp/.tend-in-");
	for (size_t i = 0; i < sizeof(r); i++)
		buf_addf(out, "%02x", r[i]);
}

/* Write `len` bytes to `path` in the instance (files API, mode 0600). */
static int upload(struct lxdt *x, const char *path, const void *data,
		  size_t len)
{
	static const char *const headers[] = {
		"Content-Type: application/octet-stream", "X-LXD-type: file",
		"X-LXD-mode: 0600", "X-LXD-uid: 0", "X-LXD-gid: 0",
		"X-LXD-write: overwrite", NULL,
	};
	struct buf p = BUF_INIT, ignored = BUF_INIT;
	int error;

	buf_adds(&p, x->files);
	http_escape(&p, path);
	error = lxd_raw(&ignored, NULL, x->l, "POST", p.ptr, headers,
			data ? data : "", len);
	buf_release(&p);
	buf_release(&ignored);
	return error;
}

/* Remove stdin file `path` that no command opened (a failed exec). */
static void remove_input(struct lxdt *x, const char *path)
{
	struct buf p = BUF_INIT, ignored = BUF_INIT;

	buf_adds(&p, x->files);
	http_escape(&p, path);
	if (lxd_raw(&ignored, NULL, x->l, "DELETE", p.ptr, NULL, NULL, 0) < 0)
		tend_error_clear(); /* the instance may be gone */
	buf_release(&p);
	buf_release(&ignored);
}

/*
 * An exec's recorded output `log` ("/1.0/instances/NAME/logs/exec_ID.
 * stdout") appended to *out, then deleted.
 */
static int fetch_log(struct lxdt *x, const struct val *log, struct buf *out)
{
	const char *path = val_cstr(log);
	struct buf ignored = BUF_INIT;
	int error;

	if (!path || strncmp(path, "/1.0/", 5))
		return 0;
	error = lxd_raw(out, NULL, x->l, "GET", path, NULL, NULL, 0);
	if (lxd_raw(&ignored, NULL, x->l, "DELETE", path, NULL, NULL, 0) < 0)
		tend_error_clear(); /* a log left behind harms nothing */
	buf_release(&ignored);
	return error;
}

static int run(struct lxdt *x, const struct exec_req *req,
	       struct exec_result *out)
{
	struct buf line = BUF_INIT, in = BUF_INIT, path = BUF_INIT;
	struct val *body = val_dict(), *cmd = val_list(), *md = NULL;
	const struct val *res, *ret, *logs;
	size_t err_from = out->err.len;
	int error;

	if (req->become_user)
		transport_become_command(&line, req);
	else
		buf_adds(&line, req->script);
	if (req->in) {
		/* stdin: a file the command opens, then removes */
		temp_name(&in);
		if ((error = upload(x, in.ptr, req->in, req->inlen)) < 0) {
			error = unreachable(x, error);
			goto out;
		}
		val_list_push(cmd, val_str("/bin/sh"));
		val_list_push(cmd, val_str("-c"));
		val_list_push(cmd, val_str("exec <\"$0\" && rm -f -- \"$0\" && "
					   "exec /bin/sh -c \"$1\""));
		val_list_push(cmd, val_str(in.ptr));
		val_list_push(cmd, val_str(line.ptr));
	} else {
		val_list_push(cmd, val_str("/bin/sh"));
		val_list_push(cmd, val_str("-c"));
		val_list_push(cmd, val_str(line.ptr));
	}
	val_dict_set(body, "command", cmd);
	val_dict_set_bool(body, "record-output", true);
	val_dict_set_bool(body, "interactive", false);
	val_dict_set_bool(body, "wait-for-websocket", false);
	lxd_instance_path(&path, x->instance, "/exec");
	if ((error = lxd_call(&md, x->l, "POST", path.ptr, body)) < 0) {
		error = unreachable(x, error);
		if (in.len) { /* (its cleanup keeps this error) */
			char *why = xstrdup(tend_error_last());

			remove_input(x, in.ptr);
			tend_error_set_code(error, "%s", why);
			free(why);
		}
		goto out;
	}
	/* the finished operation; what the exec gave is its metadata */
	res = val_dict_get(md, "metadata");
	ret = val_dict_get(res, "return");
	logs = val_dict_get(res, "output");
	if (!val_is(ret, VAL_INT)) {
		error = tend_error_set("LXD instance '%s': an exec without its "
				       "exit status", x->instance);
		goto out;
	}
	out->status = (int)ret->u.i;
	if ((error = fetch_log(x, val_dict_get(logs, "1"), &out->out)) < 0 ||
	    (error = fetch_log(x, val_dict_get(logs, "2"), &out->err)) < 0)
		goto out;
	if (req->become_user)
		transport_become_strip(&out->err, err_from);
out:
	val_unref(md);
	val_unref(body);
	buf_release(&line);
	buf_release(&in);
	buf_release(&path);
	return error;
}


static int lxdt_put(struct transport *t, const char *path, const void *data,
		    size_t len, unsigned int mode, const char *become_user)
{
	return transport_put_by_exec(t, path, data, len, mode, become_user);
}

/* exec without the round trip's count (for transport_get_by_cat) */
static int run_t(struct transport *t, const struct exec_req *req,
		 struct exec_result *out)
{
	return run((struct lxdt *)t, req, out);
}

static int lxdt_exec(struct transport *t, const struct exec_req *req,
		     struct exec_result *out)
{
	t->round_trips++;
	return run_t(t, req, out);
}

static int lxdt_get(struct transport *t, const char *path, struct buf *out,
		    const char *become_user)
{
	struct lxdt *x = (struct lxdt *)t;
	struct buf p = BUF_INIT, body = BUF_INIT;
	char *type = NULL;
	int error;

	t->round_trips++;
	if (become_user || *path != '/')
		return transport_get_by_cat(t, run_t, path, out, become_user);
	buf_adds(&p, x->files);
	http_escape(&p, path);
	error = lxd_raw(&body, &type, x->l, "GET", p.ptr, NULL, NULL, 0);
	if (error == TEND_ENOTFOUND) {
		tend_error_clear();
		error = tend_error_set_code(TEND_ENOTFOUND, "cannot read '%s': "
					    "%s", path, strerror(ENOENT));
	} else if (error < 0) {
		error = unreachable(x, error);
	} else if (!type || strcmp(type, "file")) {
		/* a link (LXD gives its target) or a directory: as cat does */
		error = transport_get_by_cat(t, run_t, path, out, NULL);
	} else {
		buf_addbuf(out, &body);
	}
	free(type);
	buf_release(&p);
	buf_release(&body);
	return error;
}

static void lxdt_close(struct transport *t)
{
	struct lxdt *x = (struct lxdt *)t;

	lxd_free(x->l);
	free(x->instance);
	free(x->files);
	free(x);
}

int transport_lxd_new(struct transport **out, const struct lxd_opts *o,
		      const char *instance)
{
	struct lxdt *x;
	struct lxd *l;
	struct buf files = BUF_INIT;
	int error;

	*out = NULL;
	if (!instance || !*instance)
		return tend_error_set("lxd: no instance named");
	if ((error = lxd_open(&l, o)) < 0)
		return error;
	x = xcalloc(1, sizeof(*x));
	x->parent.name = "lxd";
	x->parent.exec = lxdt_exec;
	x->parent.put = lxdt_put;
	x->parent.get = lxdt_get;
	x->parent.close = lxdt_close;
	x->l = l;
	x->instance = xstrdup(instance);
	lxd_instance_path(&files, instance, "/files?path=");
	x->files = buf_detach(&files, NULL);
	*out = &x->parent;
	return 0;
}
