#ifndef TEND_MODKIT_URI_H
#define TEND_MODKIT_URI_H

/*
 * The uri module's halves that have logic of their own (modkit/uri.c,
 * uri_result.c, uri_host.c), apart from its file so that unit tests and
 * the fuzz harness reach them:
 *  - uri_req: the request its args make, as Ansible 2.14's uri builds
 *    it (body as JSON or a form, headers, credentials, status codes);
 *  - uri_reply: an answer, from libcurl on the controller or from the
 *    host's curl or wget (uri_host_*), and uri_result, the registered
 *    result Ansible's uri gives for it, and whether it failed;
 *  - the host's side: the script one request hop runs there, what it
 *    reads on stdin, and the parser of what it prints.
 * Secrets (url_password, the values of credential headers, cookies)
 * are flagged VAL_F_SECRET wherever they land in a result.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/net/http_rules.h"

struct task_ctx;

struct uri_req {
	char *method;          /* upper case */
	const char *url;       /* as given (borrowed from the args) */
	char *bare_url;        /* url less a user:password@ it carried, when
				  no url_username was given; else url */
	char *user, *password; /* url_username/url_password, or the URL's */
	bool force_basic_auth; /* the credentials went into `headers` */
	/* "Name: value" strings (a credential header's flagged secret) */
	struct val *headers;
	struct buf body;       /* wiped when released */
	bool has_body;
	bool body_secret;      /* it holds a secret value */
	long long *codes;      /* status_code */
	size_t ncodes;
	enum http_follow follow;
	bool return_content;
	long long timeout;     /* seconds */
	const char *dest, *unix_socket, *client_cert, *client_key, *ca_path;
	const char *creates, *removes;
	const char *agent;     /* http_agent */
	bool validate_certs, use_proxy;
	const char *const *unredirected; /* NULL-terminated, or NULL */
	const char **unredirected_own;
};

/*
 * Build the request from ctx's (normalized, rendered) args. Returns 0,
 * or -1 with the error set in Ansible's words ("Parameter 'method'
 * needs to be a single word in uppercase, like GET or POST."). Release
 * with uri_req_release even after a failure.
 */
int uri_req_build(struct uri_req *out, const struct task_ctx *ctx);
void uri_req_release(struct uri_req *r);

/*
 * Whether the request carries a secret: credentials (url_username's
 * password, the URL's, force_basic_auth's header), a credential header,
 * or a body made of a secret value.
 */
bool uri_req_secret(const struct uri_req *r);

/* Whether `status` is one of the request's status codes. */
bool uri_req_accepts(const struct uri_req *r, long status);

/* Whether an answer `status`'s body is written to dest (Ansible's rule). */
bool uri_writes_dest(const struct uri_req *r, long status);

/*
 * The body as Ansible encodes it (`format` json, form-urlencoded or
 * raw): a string as it is; json: anything else as Python's json.dumps
 * writes it (", " and ": ", non-ASCII as \uXXXX), null too ("null");
 * form-urlencoded: a dict or a list of pairs as urllib's urlencode with
 * doseq (null values left out, lists repeated), null as no body. *has
 * says whether there is a body. Secrets are written as themselves.
 */
int uri_encode_body(struct buf *out, bool *has, const struct val *body,
		    const char *format);

/* What came back, whichever way it was asked. */
struct uri_reply {
	long status;           /* -1: no answer */
	char *reason;          /* the status line's reason phrase */
	struct val *headers;   /* list of [name, value] of the last answer */
	struct buf body;       /* when body_known */
	bool body_known;
	char *url;             /* the URL that answered (after redirects) */
	int redirects;
	bool too_many_redirects;
	struct val *cookies;   /* list of [name, value] (http_cookies) */
	char *error;           /* no answer: Ansible's words for why */
	long long elapsed;     /* whole seconds */
	bool timed;            /* elapsed was measured where it was sent */
	bool written;          /* dest was written */
	bool held;             /* a read-only request stopped at a redirect
				  whose next hop would carry cookies */
	char *path;            /* dest (a directory's: with the name) */
};

void uri_reply_init(struct uri_reply *r);
void uri_reply_release(struct uri_reply *r);

/*
 * Whether the body of an answer with these headers is needed for the
 * result (Ansible's maybe_output: return_content, a status outside
 * status_code, or a JSON content type).
 */
bool uri_reply_needs_body(const struct uri_req *req, long status,
			  const struct val *headers);

/* The Content-Type of `headers` as Python reads it: "type/subtype". */
void uri_content_type(struct buf *out, const struct val *headers);

/*
 * The registered result of `rep` as Ansible's uri makes it (a new dict
 * in *out), and *failed when the status is not one of the status codes
 * (msg "Status code was 404 and not [200]: HTTP Error 404: Not Found").
 */
void uri_result(struct val **out, bool *failed, const struct uri_req *req,
		const struct uri_reply *rep);

/*
 * Ansible's absolute_location(url, location), its quirks kept (a
 * location "/x" replaces every occurrence of url's path).
 */
void uri_absolute_location(struct buf *out, const char *url,
			   const char *location);

/* ---- on the controller, with libcurl (uri_local.c) ---- */

/*
 * Send `req` from the controller into `rep`: an answer, or none
 * (rep->status -1, rep->error in Ansible's words). The proxy follows
 * ctx's task environment (its http_proxy, https_proxy, no_proxy ...
 * over the process's; use_proxy: no, none), and the request ends when
 * ctx's task `timeout:` does (modkit/taskenv.h). With `dir`, a body
 * Ansible writes to dest goes into a temp file there (*tmp, a new path
 * the caller places or removes); the body is kept in memory only when
 * the result needs it. Returns 0, or -1 with the error set when the
 * temp file cannot be written.
 */
int uri_local_request(struct uri_reply *rep, char **tmp,
		      const struct uri_req *req, const char *dir,
		      const struct task_ctx *ctx);

/*
 * creates/removes tested on the controller (a leading "~/" as $HOME):
 * Ansible's "skipped, since '...' exists" (a new string), or NULL.
 */
char *uri_local_skip(const struct uri_req *req);

/*
 * Where a controller request writes into dest: dest itself when it is a
 * directory (*is_dir), else its parent, appended to `dir`.
 */
void uri_local_dest_dir(struct buf *dir, bool *is_dir, const char *dest);

/* ---- on a host, with its curl or wget ---- */

/* One request hop on the host. */
struct uri_hop {
	const char *method;
	const char *url;
	bool body;             /* the body goes with it */
	bool first;            /* no redirect before it */
	const char *jar;       /* the cookie jar so far, or NULL */
	size_t jar_len;
	const char *dest_dir;  /* the body goes to a temp file here, or NULL */
	const char *old_tmp;   /* a temp file of an earlier hop to remove */
	bool stdin_ok;         /* secrets go on stdin (else in the script) */
};

/*
 * The script of one hop (`script`) and what it reads on stdin (`in`,
 * wiped by the caller): the curl or wget config, the cookie jar and
 * the body. Every value reaches the script through sh_quote. The script
 * tests creates/removes first (on the first hop), finds the tool,
 * sends the request and prints records for uri_host_parse.
 */
int uri_host_script(struct buf *script, struct buf *in,
		    const struct uri_req *req, const struct uri_hop *hop);

/*
 * The creates/removes tests alone, as a read-only script: it prints a
 * "skip" record (Ansible's "skipped, since ..."), or nothing.
 */
void uri_host_skip_script(struct buf *script, const struct uri_req *req);

/* What one hop's script printed. */
struct uri_host_out {
	char tool;             /* 'c' curl, 'w' GNU wget, 0: neither */
	char *skip;            /* Ansible's "skipped, since ..." or NULL */
	int rc;                /* the tool's exit code */
	bool timed_connect;    /* it connected (a timeout came after) */
	struct buf err;        /* the tool's stderr, when it failed */
	struct buf hdr;        /* the header dump */
	struct buf jar;        /* the cookie jar after */
	struct buf body;
	bool body_known;
	char *tmp;             /* the temp file with the body (dest) */
	bool dest_dir;         /* dest is a directory */
	long long ns;          /* how long the request took, or 0 */
};

void uri_host_out_init(struct uri_host_out *o);
void uri_host_out_release(struct uri_host_out *o);

/*
 * Parse what the script printed (records, toolkit.h). Returns 0, or -1
 * with the error set for a malformed reply.
 */
int uri_host_parse(struct uri_host_out *out, const struct buf *printed);

/*
 * The last answer in a header dump (curl -D, or wget -S's lines among
 * its own): *status (-1 when none), *reason (new string) and the
 * headers (a new list of [name, value]).
 */
void uri_host_headers(long *status, char **reason, struct val **headers,
		      const char *dump, size_t len);

/*
 * A tool that got no answer: Ansible's words for why (a new string),
 * from curl's exit code or wget's message (`unix_socket`: the request
 * went to one).
 */
char *uri_host_error(const struct uri_host_out *o, bool unix_socket);

#endif
