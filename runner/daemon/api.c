#include "tend/common.h"
#include "tend/daemon/daemon_int.h"
#include "tend/store/store.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/net/webhook.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>

/*
 * The daemon's HTTP API (docs/daemon.md) on libmicrohttpd: its own
 * thread parses HTTP; these handlers read the daemon's state under d->mu
 * and the state DB through the store API, and ask the loop for work.
 * Reads are open on a loopback address; every call that starts
 * something needs the bearer token, compared in constant time.
 */

#define MAX_BODY (1 << 20)

struct req {
	struct MHD_Connection *conn;
	struct daemon *d;
	const char *url, *method;
	const char *body;
	size_t body_len;
	int status;
	struct buf out;
	const char *type;
	bool challenge;          /* 401: say WWW-Authenticate: Bearer */
};

static void reply_json(struct req *r, int status, struct val *v)
{
	r->status = status;
	r->type = "application/json";
	val_to_json(&r->out, v, 2);
	buf_addch(&r->out, '\n');
	val_unref(v);
}

static void reply_error(struct req *r, int status, const char *msg)
{
	struct val *v = val_dict();

	val_dict_set_str(v, "error", msg);
	reply_json(r, status, v);
}

/*
 * Does the request carry the token? Its SHA-256 against the one the
 * daemon keeps (copied under the lock): constant time, whatever the
 * lengths.
 */
static bool authorized(struct req *r)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    "Authorization");
	unsigned char want[crypto_hash_sha256_BYTES];
	unsigned char got[crypto_hash_sha256_BYTES];
	bool has, ok;

	pthread_mutex_lock(&r->d->mu);
	has = r->d->has_token;
	memcpy(want, r->d->token_hash, sizeof(want));
	pthread_mutex_unlock(&r->d->mu);
	if (!has || !h || strncasecmp(h, "Bearer ", 7)) {
		sodium_memzero(want, sizeof(want));
		return false;
	}
	crypto_hash_sha256(got, (const unsigned char *)h + 7, strlen(h + 7));
	ok = sodium_memcmp(want, got, sizeof(want)) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

/* 401, counted. */
static void deny(struct req *r, const char *why)
{
	pthread_mutex_lock(&r->d->mu);
	r->d->http_denied++;
	pthread_mutex_unlock(&r->d->mu);
	r->challenge = true;
	reply_error(r, 401, why);
}

static void iso(struct val *dict, const char *key, time_t t)
{
	char s[32];
	struct tm tm;

	if (!t) {
		val_dict_set(dict, key, val_null());
		return;
	}
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	val_dict_set_str(dict, key, s);
}

static struct val *str_or_null(const char *s)
{
	return s ? val_str(s) : val_null();
}

static struct val *schedule_val(struct daemon *d, const struct dschedule *s)
{
	const struct dsched_state *st = daemon_sched(d, s->name);
	struct val *v = val_dict(), *last = val_dict();

	val_dict_set_str(v, "name", s->name);
	val_dict_set_str(v, "mode", s->mode == DMODE_APPLY ? "apply" : "plan");
	val_dict_set(v, "source", str_or_null(s->source ? s->source->name :
					      NULL));
	val_dict_set_str(v, "playbook", s->playbook);
	val_dict_set(v, "inventory", str_or_null(s->inventory));
	val_dict_set(v, "cron", str_or_null(s->t.cron_text));
	if (s->t.every)
		val_dict_set_int(v, "every", s->t.every);
	else
		val_dict_set(v, "every", val_null());
	val_dict_set(v, "timezone", str_or_null(s->t.timezone));
	val_dict_set_bool(v, "on_commit", s->on_commit);
	/* a play's own schedule: its play (from 1) and tend.yml's schedule */
	val_dict_set(v, "play", s->play > 0 ? val_int(s->play) : val_null());
	val_dict_set(v, "parent", str_or_null(s->parent));
	val_dict_set_str(v, "overlap", s->overlap == DOVERLAP_SKIP ? "skip" :
			 "queue");
	if (!st)
		return v;
	iso(v, "next_run", st->next);
	val_dict_set_bool(v, "running", st->running != 0);
	val_dict_set(v, "pending", str_or_null(st->pending));
	val_dict_set(last, "status", str_or_null(st->last_status));
	val_dict_set(last, "run_id", st->last_run_id ?
		     val_int(st->last_run_id) : val_null());
	iso(last, "started", st->last_start);
	iso(last, "finished", st->last_end);
	val_dict_set(last, "duration", st->last_end ?
		     val_float(st->last_duration) : val_null());
	val_dict_set(last, "commit", str_or_null(st->last_commit));
	val_dict_set(last, "error", str_or_null(st->last_error));
	val_dict_set(v, "last_run", last);
	val_dict_set(v, "runs", val_ref(st->runs));
	val_dict_set_int(v, "skipped", (long long)st->skipped);
	val_dict_set_int(v, "hosts_drifted", st->hosts_drifted);
	return v;
}

static void get_schedules(struct req *r)
{
	struct val *l = val_list();

	pthread_mutex_lock(&r->d->mu);
	for (size_t i = 0; i < r->d->cfg->schedules_nr; i++)
		val_list_push(l, schedule_val(r->d,
					      &r->d->cfg->schedules[i]));
	pthread_mutex_unlock(&r->d->mu);
	reply_json(r, 200, l);
}

static int open_store(struct req *r, struct store **s)
{
	if (store_open(s, r->d->state_path) == 0)
		return 0;
	reply_error(r, 503, tend_error_last());
	tend_error_clear();
	return -1;
}

static void get_runs(struct req *r)
{
	const char *lim = MHD_lookup_connection_value(r->conn,
						      MHD_GET_ARGUMENT_KIND,
						      "limit");
	const char *sched = MHD_lookup_connection_value(
		r->conn, MHD_GET_ARGUMENT_KIND, "schedule");
	char *end = NULL;
	long limit = lim ? strtol(lim, &end, 10) : 50;
	struct store *s = NULL;
	struct val *runs = NULL, *out;
	struct buf prefix = BUF_INIT;

	if ((end && *end) || limit < 1 || limit > 1000)
		return reply_error(r, 400, "limit: a number from 1 to 1000");
	if (open_store(r, &s) < 0)
		return;
	if (store_history(&runs, s, sched ? 5000 : limit) < 0) {
		reply_error(r, 500, tend_error_last());
		tend_error_clear();
		store_close(s);
		return;
	}
	store_close(s);
	if (sched)
		buf_addf(&prefix, "schedule %s,", sched);
	out = val_list();
	for (size_t i = 0; i < val_len(runs) && val_len(out) <
	     (size_t)limit; i++) {
		const struct val *run = val_list_at(runs, i);
		const char *t = val_cstr(val_dict_get(run, "trigger"));

		if (!sched || (t && !strncmp(t, prefix.ptr, prefix.len)))
			val_list_push(out, val_ref((struct val *)run));
	}
	val_unref(runs);
	buf_release(&prefix);
	reply_json(r, 200, out);
}

static void get_run(struct req *r, const char *id_text)
{
	struct store *s = NULL;
	struct val *run = NULL;
	char *end;
	long long id = strtoll(id_text, &end, 10);
	int error;

	if (*end || id < 1)
		return reply_error(r, 404, "no such run");
	if (open_store(r, &s) < 0)
		return;
	error = store_show(&run, s, id);
	store_close(s);
	if (error == TEND_ENOTFOUND)
		reply_error(r, 404, tend_error_last());
	else if (error < 0)
		reply_error(r, 500, tend_error_last());
	else
		reply_json(r, 200, run);
	tend_error_clear();
}

static void get_drift(struct req *r)
{
	struct val *v = val_dict(), *events = NULL;
	struct store *s = NULL;

	pthread_mutex_lock(&r->d->mu);
	val_dict_set(v, "hosts", val_copy(r->d->drift));
	pthread_mutex_unlock(&r->d->mu);
	if (open_store(r, &s) < 0) {
		val_unref(v);
		return;
	}
	if (store_drift_list(&events, s, 100) < 0) {
		tend_error_clear();
		events = val_list();
	}
	store_close(s);
	val_dict_set(v, "events", events);
	reply_json(r, 200, v);
}

static void post_run(struct req *r, const char *name)
{
	struct val *v;
	int error;

	pthread_mutex_lock(&r->d->mu);
	error = daemon_request_run(r->d, name, "api");
	pthread_mutex_unlock(&r->d->mu);
	if (error == TEND_ENOTFOUND)
		return reply_error(r, 404, tend_error_last()),
			tend_error_clear();
	if (error == TEND_EREFUSED)
		return reply_error(r, 409, tend_error_last()),
			tend_error_clear();
	if (error < 0)
		return reply_error(r, 503, tend_error_last()),
			tend_error_clear();
	dlog(DLOG_INFO, 0, "schedule '%s': run asked for through the API",
	     name);
	v = val_dict();
	val_dict_set_str(v, "schedule", name);
	val_dict_set_bool(v, "queued", true);
	reply_json(r, 202, v);
}

static void get_metrics(struct req *r)
{
	long long windows = dmetrics_open_windows(r->d); /* the DB: unlocked */

	r->status = 200;
	r->type = "text/plain; version=0.0.4; charset=utf-8";
	pthread_mutex_lock(&r->d->mu);
	dmetrics_write(&r->out, r->d, windows);
	pthread_mutex_unlock(&r->d->mu);
}

static void get_text(struct req *r, int status, const char *text)
{
	r->status = status;
	r->type = "text/plain; charset=utf-8";
	buf_adds(&r->out, text);
}

/* "/api/v1/schedules/NAME/run" -> NAME (caller frees), or NULL. */
static char *schedule_of(const char *url)
{
	const char *p = url + strlen("/api/v1/schedules/");
	const char *slash = strchr(p, '/');

	if (!slash || strcmp(slash, "/run") || slash == p)
		return NULL;
	return xstrndup(p, slash - p);
}

static void dapi_hook(struct req *r);

/* The paths only GET (and HEAD) may take. */
static bool read_path(const char *u)
{
	return !strcmp(u, "/healthz") || !strcmp(u, "/readyz") ||
		!strcmp(u, "/metrics") || !strncmp(u, "/api/v1/runs", 12) ||
		!strcmp(u, "/api/v1/schedules") || !strcmp(u, "/api/v1/drift");
}

static void route(struct req *r)
{
	bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
	bool post = !strcmp(r->method, "POST");
	const char *u = r->url;
	char *name;
	bool ready;

	if (!strcmp(u, "/healthz") && get)
		return get_text(r, 200, "ok\n");
	if (!strcmp(u, "/readyz") && get) {
		pthread_mutex_lock(&r->d->mu);
		ready = r->d->ready && !r->d->stopping;
		pthread_mutex_unlock(&r->d->mu);
		return get_text(r, ready ? 200 : 503, ready ? "ready\n" :
				"not ready\n");
	}
	if (!strcmp(u, "/hooks/git"))
		return post ? dapi_hook(r) : reply_error(r, 405, "POST only");
	if (!strncmp(u, "/api/v1/schedules/", 18) &&
	    (name = schedule_of(u))) {
		if (!post)
			reply_error(r, 405, "POST only");
		else if (!authorized(r))
			deny(r, "a bearer token is needed (http.token_file)");
		else
			post_run(r, name);
		free(name);
		return;
	}
	if (!get)
		return reply_error(r, read_path(u) ? 405 : 404, read_path(u) ?
				   "GET only" : "not found");
	/* fixed at start: a reload cannot move the listening address */
	if (!r->d->loopback && !authorized(r))
		return deny(r, "a bearer token is needed");
	if (!strcmp(u, "/metrics"))
		return get_metrics(r);
	if (!strcmp(u, "/api/v1/runs"))
		return get_runs(r);
	if (!strncmp(u, "/api/v1/runs/", 13))
		return get_run(r, u + 13);
	if (!strcmp(u, "/api/v1/schedules"))
		return get_schedules(r);
	if (!strcmp(u, "/api/v1/drift"))
		return get_drift(r);
	reply_error(r, 404, "not found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	struct buf *body = *con_cls;
	struct req r = { .conn = conn, .d = cls, .url = url,
			 .method = method, .out = BUF_INIT };
	struct MHD_Response *resp;
	enum MHD_Result rc;

	(void)version;
	if (!body) {
		body = xcalloc(1, sizeof(*body));
		*body = (struct buf)BUF_INIT;
		*con_cls = body;
		return MHD_YES;
	}
	if (*upload_len) {
		if (body->len + *upload_len <= MAX_BODY)
			buf_add(body, upload, *upload_len);
		else
			body->len = MAX_BODY + 1; /* refused below */
		*upload_len = 0;
		return MHD_YES;
	}
	if (body->len > MAX_BODY) {
		reply_error(&r, 413, "the body is over 1 MiB");
	} else {
		r.body = body->ptr;
		r.body_len = body->len;
		route(&r);
	}
	resp = MHD_create_response_from_buffer(r.out.len, r.out.ptr,
					       MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", r.type ? r.type :
				"text/plain");
	if (r.challenge)
		MHD_add_response_header(resp, "WWW-Authenticate",
					"Bearer realm=\"tend\"");
	rc = MHD_queue_response(conn, (unsigned)r.status, resp);
	MHD_destroy_response(resp);
	buf_release(&r.out);
	return rc;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode why)
{
	struct buf *body = *con_cls;

	(void)cls, (void)conn, (void)why;
	if (body) {
		buf_release(body);
		free(body);
		*con_cls = NULL;
	}
}

static int tls_files(struct buf *cert, struct buf *key,
		     const struct dconfig *c)
{
	if (buf_read_file(cert, c->tls_cert) < 0)
		return tend_error_prefix("http.tls_cert");
	if (buf_read_file(key, c->tls_key) < 0)
		return tend_error_prefix("http.tls_key");
	return 0;
}

int dapi_start(struct daemon *d)
{
	const struct dconfig *c = d->cfg;
	struct sockaddr_in sa4 = { .sin_family = AF_INET };
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6 };
	struct sockaddr *sa = (struct sockaddr *)&sa4;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_ERROR_LOG;
	struct buf cert = BUF_INIT, key = BUF_INIT;
	const union MHD_DaemonInfo *info;
	const char *host = strcmp(c->listen_host, "localhost") ?
		c->listen_host : "127.0.0.1";
	int error = 0;

	if (inet_pton(AF_INET, host, &sa4.sin_addr) == 1) {
		sa4.sin_port = htons((uint16_t)c->listen_port);
	} else if (inet_pton(AF_INET6, host, &sa6.sin6_addr) == 1) {
		sa6.sin6_port = htons((uint16_t)c->listen_port);
		sa = (struct sockaddr *)&sa6;
		flags |= MHD_USE_IPv6;
	} else {
		return tend_error_set("http.listen: '%s' is not an IPv4 or "
				      "IPv6 address", c->listen_host);
	}
	if (c->tls_cert) {
		if ((error = tls_files(&cert, &key, c)) < 0)
			goto out;
		flags |= MHD_USE_TLS;
	}
	d->http = MHD_start_daemon(flags, (uint16_t)c->listen_port, NULL,
				   NULL, on_request, d,
				   MHD_OPTION_SOCK_ADDR, sa,
				   MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
				   MHD_OPTION_CONNECTION_LIMIT, 64u,
				   MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				   c->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT :
				   MHD_OPTION_END, cert.ptr,
				   MHD_OPTION_HTTPS_MEM_KEY, key.ptr,
				   MHD_OPTION_END);
	if (!d->http) {
		error = tend_error_set("cannot listen on %s:%d (in use, or "
				       "not an address of this machine)",
				       c->listen_host, c->listen_port);
		goto out;
	}
	info = MHD_get_daemon_info(d->http, MHD_DAEMON_INFO_BIND_PORT);
	d->port = info ? info->port : c->listen_port;
out:
	buf_release(&cert);
	buf_release_secret(&key);
	return error;
}

void dapi_stop(struct daemon *d)
{
	if (d->http)
		MHD_stop_daemon(d->http);
	d->http = NULL;
}

static const char *header_of(const char *name, void *payload)
{
	return MHD_lookup_connection_value(payload, MHD_HEADER_KIND, name);
}

/* Does the request prove the secret in file `path`? Read each time. */
static bool hook_proves(struct req *r, const char *source, const char *path,
			enum webhook_sender *sender, struct buf *why)
{
	struct buf secret = BUF_INIT;
	bool ok;

	if (buf_read_file(&secret, path) < 0) {
		dlog(DLOG_ERROR, 0, "source '%s': webhook_secret_file: %s",
		     source, tend_error_last());
		tend_error_clear();
		return false;
	}
	while (secret.len && strchr(" \t\r\n", secret.ptr[secret.len - 1]))
		secret.ptr[--secret.len] = '\0';
	ok = secret.len && webhook_verify(sender, header_of, r->conn, r->body,
					  r->body_len, secret.ptr) == 0;
	if (!ok && !why->len)
		buf_adds(why, secret.len ? tend_error_last() :
			 "an empty webhook secret");
	tend_error_clear();
	buf_release_secret(&secret);
	return ok;
}

/* Whether a push of `ref` concerns a source that follows `followed`. */
static bool ref_matches(const char *followed, const char *ref)
{
	if (!ref)
		return false;
	if (!strncmp(ref, "refs/heads/", 11))
		return !strcmp(ref + 11, followed);
	if (!strncmp(ref, "refs/tags/", 10))
		return !strcmp(ref + 10, followed);
	return !strcmp(ref, followed);
}

/* What /hooks/git needs of a source, copied out under the lock. */
struct hook_source {
	char *name, *url, *ref, *secret_file;
};

static size_t hook_sources(struct hook_source **out, struct daemon *d)
{
	size_t nr = 0;

	pthread_mutex_lock(&d->mu);
	*out = xcalloc(d->cfg->sources_nr + 1, sizeof(**out));
	for (size_t i = 0; i < d->cfg->sources_nr; i++) {
		const struct dsource *s = &d->cfg->sources[i];

		if (!s->webhook_secret_file)
			continue;
		(*out)[nr].name = xstrdup(s->name);
		(*out)[nr].url = xstrdup(s->url);
		(*out)[nr].ref = xstrdup(s->ref);
		(*out)[nr++].secret_file = xstrdup(s->webhook_secret_file);
	}
	pthread_mutex_unlock(&d->mu);
	return nr;
}

static void hook_sources_free(struct hook_source *hs, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(hs[i].name);
		free(hs[i].url);
		free(hs[i].ref);
		free(hs[i].secret_file);
	}
	free(hs);
}

/* Fetch the sources named in `names` now (they may be gone by now). */
static void hook_fetch(struct daemon *d, const struct val *names, bool proven)
{
	pthread_mutex_lock(&d->mu);
	d->hooks++;
	if (!proven)
		d->http_denied++;
	for (size_t i = 0; i < val_len(names); i++) {
		struct dsource_state *st = daemon_source(d,
			val_cstr(val_list_at(names, i)));

		if (st)
			daemon_request_fetch(d, st);
	}
	pthread_mutex_unlock(&d->mu);
}

/*
 * POST /hooks/git: a push from GitHub, Gitea or GitLab. The request must
 * prove the webhook secret of a source whose repository it names; that
 * source is then fetched at once (its new commit starts its schedules
 * as polling would). Anything unproven is 401 and starts nothing. The
 * secrets are read and the signatures checked outside the lock.
 */
static void dapi_hook(struct req *r)
{
	struct webhook_push push = WEBHOOK_PUSH_INIT;
	enum webhook_sender sender = 0;
	struct buf why = BUF_INIT;
	struct val *names = val_list(), *v;
	struct hook_source *hs = NULL;
	size_t nr = hook_sources(&hs, r->d);
	const char *event_name = NULL;
	enum webhook_event ev = WEBHOOK_EVENT_OTHER;
	bool proven = false, parsed = false;

	for (size_t i = 0; i < nr; i++) {
		if (!hook_proves(r, hs[i].name, hs[i].secret_file, &sender,
				 &why))
			continue;
		proven = true;
		ev = webhook_event(&event_name, sender, header_of, r->conn);
		if (ev != WEBHOOK_EVENT_PUSH)
			break;
		if (!parsed && webhook_read_push(&push, r->body,
						 r->body_len) < 0) {
			buf_reset(&why);
			buf_adds(&why, tend_error_last());
			tend_error_clear();
			break;
		}
		parsed = true;
		if (webhook_push_concerns(&push, hs[i].url) &&
		    ref_matches(hs[i].ref, push.ref) && !push.deleted)
			val_list_push(names, val_str(hs[i].name));
	}
	hook_sources_free(hs, nr);
	hook_fetch(r->d, names, proven);
	if (!proven) {
		dlog(DLOG_WARN, 0, "webhook refused: %s", why.len ? why.ptr :
		     "no source has a webhook_secret_file");
		r->challenge = false;
		reply_error(r, 401, "the request does not prove a source's "
			    "webhook secret");
	} else if (ev == WEBHOOK_EVENT_PUSH && !parsed) {
		reply_error(r, 400, why.ptr);
	} else {
		v = val_dict();
		val_dict_set_str(v, "sender", webhook_sender_name(sender));
		val_dict_set_str(v, "event", event_name ? event_name : "");
		val_dict_set(v, "fetching", val_ref(names));
		dlog(DLOG_INFO, 0, "webhook from %s (%s): %zu source(s) to "
		     "fetch", webhook_sender_name(sender), event_name ?
		     event_name : "?", val_len(names));
		reply_json(r, val_len(names) ? 202 : 200, v);
	}
	val_unref(names);
	webhook_push_release(&push);
	buf_release(&why);
}
