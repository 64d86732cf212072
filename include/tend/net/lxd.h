#ifndef TEND_NET_LXD_H
#define TEND_NET_LXD_H

/*
 * LXD: a client of LXD's REST API (the `/1.0` API of LXD 5), through
 * net/http only.
 *
 * An endpoint is either `unix:/path/to/unix.socket` (the local daemon's
 * socket; whoever may open it is trusted) or `https://host:port` with a
 * client certificate and key that the server trusts. The key is a path
 * handed to the TLS library: tend never reads it, and no message, result
 * or record ever holds it.
 *
 * LXD answers every call with an envelope: {"type": "sync", "metadata":
 * ...}, {"type": "async", "operation": "/1.0/operations/ID", ...} for work
 * it does in the background, or {"type": "error", "error": "...",
 * "error_code": 404}. lxd_call() turns these into a value or an error
 * carrying LXD's own message, and waits on background operations.
 *
 * Calls are safe from several threads as long as each uses its own
 * struct lxd, or none changes it (nothing in a struct lxd changes after
 * lxd_open).
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"

struct lxd;

struct lxd_opts {
	const char *url;         /* "unix:/path" or "https://host:port" */
	const char *client_cert; /* https: PEM certificate path */
	const char *client_key;  /* https: its PEM key path (never read) */
	const char *ca_file;     /* https: trust this certificate (the
				    server's own, or its CA); NULL: the
				    system's CAs */
	bool insecure;           /* https: verify neither peer nor name */
	const char *project;     /* NULL or "": the default project */
	long timeout_s;          /* each request, and each operation wait
				    (seconds); 0: 60 */
	bool wait_forever;       /* operations: wait again while they run
				    (the lxd connection's commands: the
				    task's own timeout bounds them) */
};

/*
 * Check `o` and make a client into *out (the caller frees it with
 * lxd_free). Nothing is sent. Returns 0, or -1 with the error set for a
 * URL that is neither unix: nor https:, or https without a certificate.
 */
int lxd_open(struct lxd **out, const struct lxd_opts *o);

void lxd_free(struct lxd *l);

/* The endpoint as given ("unix:/path"), for messages and records. */
const char *lxd_where(const struct lxd *l);

/* The project ("default" when none was given). */
const char *lxd_project(const struct lxd *l);

/*
 * Send `method` to `path` (below the server: "/1.0/instances/web-01";
 * the project is added as a query parameter) with `body` as JSON (NULL:
 * none). A background operation is waited on (lxd_wait) until it ends
 * or the timeout passes.
 *
 * *out (may be NULL) gets a new reference to the metadata of a sync
 * answer, or the finished operation's metadata. Errors:
 *  - TEND_EUNREACHABLE: no answer ("cannot reach LXD at 'unix:/...':
 *    why");
 *  - TEND_ENOTFOUND: LXD said 404 (its message);
 *  - -1: any other refusal, a failed operation ("LXD: POST
 *    /1.0/instances: <LXD's message>"), or a wait that timed out.
 * GETs are retried as net/http retries; nothing that changes LXD is.
 */
int lxd_call(struct val **out, struct lxd *l, const char *method,
	     const char *path, const struct val *body);

/*
 * Wait for operation `op` (its path "/1.0/operations/ID" or its ID) with
 * LXD's own wait (`GET /1.0/operations/ID/wait?timeout=N`), N being the
 * client's timeout. *out (may be NULL) gets the operation's metadata.
 * Returns 0 when it succeeded; -1 with LXD's message ("err") when it
 * failed, or when it is still running at the timeout.
 */
int lxd_wait(struct val **out, struct lxd *l, const char *op);

/*
 * A request whose bodies are not JSON: the files API and an exec's
 * recorded output. `headers` is NULL-terminated "Name: value" lines, or
 * NULL; `body` may be NULL. A 2xx answer's body is appended to *out, and
 * *type (may be NULL) gets its X-LXD-type header ("file", "directory",
 * "symlink"), or NULL. Errors as lxd_call (404: TEND_ENOTFOUND). Only
 * GETs are retried.
 */
int lxd_raw(struct buf *out, char **type, struct lxd *l, const char *method,
	    const char *path, const char *const *headers, const void *body,
	    size_t len);

/*
 * Append "/1.0/instances/NAME" (the name escaped) to `out`, then
 * `suffix` ("", "/state").
 */
void lxd_instance_path(struct buf *out, const char *name, const char *suffix);

/*
 * The `source` of a new instance from a local image: a fingerprint (hex,
 * 12 digits or more) or an alias. A new dict.
 */
struct val *lxd_image_source(const char *image);

/*
 * Instances, as `GET /1.0/instances?recursion=2` gives them: each a dict
 * with name, status ("Running", "Stopped"), config, devices (its own,
 * not its profiles'), profiles, and its live state (state.network ...).
 */

/*
 * Every instance of the client's project into *out: a dict name ->
 * instance (new reference). Errors as lxd_call.
 */
int lxd_instances_read(struct val **out, struct lxd *l);

/* Config key `key` of instance `in`, or NULL (borrowed from `in`). */
const char *lxd_instance_config(const struct val *in, const char *key);

/* Whether instance `in` (may be NULL) is running. */
bool lxd_instance_running(const struct val *in);

/*
 * The global addresses of instance `in` (not loopback, not link-local),
 * as a list of strings (new reference).
 */
struct val *lxd_instance_addresses(const struct val *in);

/*
 * PUT /1.0/instances/NAME/state {action, force}: "start", "stop",
 * "restart", waited on. Errors as lxd_call.
 */
int lxd_instance_state_put(struct lxd *l, const char *name,
			   const char *action, bool force);

/*
 * Delete instance `name` (`in`: as read, or NULL), killing it first if
 * it runs (LXD refuses to delete a running instance). Errors as
 * lxd_call.
 */
int lxd_instance_delete(struct lxd *l, const char *name, const struct val *in);

/*
 * PUT instance `in` (as read) back, with the keys of `over` (config,
 * devices, profiles ...) in place of its own: LXD applies what a running
 * instance takes live and refuses the rest with its message. Errors as
 * lxd_call.
 */
int lxd_instance_put(struct lxd *l, const struct val *in,
		     const struct val *over);

#endif
