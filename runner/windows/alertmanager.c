#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/net/http.h"
#include "tend/windows/alertmanager.h"
#include "tend/windows/window.h"
#include "tend/windows/window_int.h"

/*
 * Alertmanager (API v2): a window is one silence per Alertmanager URL (an
 * HA pair is given as a list and every member is silenced). The external
 * id is the silence ids in URL order, separated by spaces.
 */

#define DEFAULT_HOST_MATCHER "instance=~\"^({hosts})(:[0-9]+)?$\""

static const char *const am_keys[] = {
	"url", "matchers", "host_matcher", NULL
};
static const char *const am_secrets[] = { "token", NULL };

int alertmanager_parse_matcher(struct val **out, const char *s)
{
	static const char *const ops[] = { "=~", "!~", "!=", "=" };
	const char *p = s, *op = NULL;
	struct buf name = BUF_INIT, value = BUF_INIT;
	struct val *m;
	int error = 0;

	*out = NULL;
	while (*p == ' ')
		p++;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9') || *p == '_')
		buf_addch(&name, *p++);
	while (*p == ' ')
		p++;
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (!strncmp(p, ops[i], strlen(ops[i]))) {
			op = ops[i];
			p += strlen(op);
			break;
		}
	}
	if (!name.len || !op) {
		error = tend_error_set("bad matcher '%s': expected "
				       "name=\"value\" (or !=, =~, !~)", s);
		goto out;
	}
	while (*p == ' ')
		p++;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			buf_addch(&value, *p);
		}
		if (*p != '"') {
			error = tend_error_set("bad matcher '%s': unterminated "
					       "quote", s);
			goto out;
		}
		p++;
		while (*p == ' ')
			p++;
		if (*p) {
			error = tend_error_set("bad matcher '%s': text after "
					       "the value", s);
			goto out;
		}
	} else {
		buf_adds(&value, p);
		buf_rtrim(&value);
	}
	m = val_dict();
	val_dict_set_str(m, "name", name.ptr);
	val_dict_set_str(m, "value", value.ptr);
	val_dict_set_bool(m, "isRegex", op[1] == '~');
	val_dict_set_bool(m, "isEqual", op[0] == '=');
	*out = m;
out:
	buf_release(&name);
	buf_release(&value);
	return error;
}

/* Append s with RE2's special characters escaped. */
static void regex_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\.+*?()|[]{}^$", *s))
			buf_addch(out, '\\');
		buf_addch(out, *s);
	}
}

int alertmanager_matchers(struct val **out, const char *host_template,
			  const char *const *hosts, size_t hosts_nr,
			  const struct val *extra)
{
	struct val *l = val_list(), *m = NULL;
	struct buf alt = BUF_INIT, v = BUF_INIT;
	const char *tmpl, *at;
	int error;

	*out = NULL;
	if ((error = alertmanager_parse_matcher(&m, host_template ?
						host_template :
						DEFAULT_HOST_MATCHER)) < 0)
		goto out;
	for (size_t i = 0; i < hosts_nr; i++) {
		if (i)
			buf_addch(&alt, '|');
		if (val_dict_get(m, "isRegex")->u.b)
			regex_escape(&alt, hosts[i]);
		else
			buf_adds(&alt, hosts[i]);
	}
	tmpl = val_cstr(val_dict_get(m, "value"));
	if (!(at = strstr(tmpl, "{hosts}"))) {
		error = tend_error_set("host matcher '%s' has no {hosts}",
				       host_template);
		goto out;
	}
	buf_add(&v, tmpl, (size_t)(at - tmpl));
	buf_addbuf(&v, &alt);
	buf_adds(&v, at + strlen("{hosts}"));
	val_dict_set_str(m, "value", v.ptr);
	val_list_push(l, m);
	m = NULL;
	for (size_t i = 0; i < val_len(extra); i++) {
		struct val *x = NULL;
		const char *s = val_cstr(val_list_at(extra, i));

		if (!s) {
			error = tend_error_set("a matcher must be a string");
			goto out;
		}
		if ((error = alertmanager_parse_matcher(&x, s)) < 0)
			goto out;
		val_list_push(l, x);
	}
	*out = l;
	l = NULL;
out:
	val_unref(l);
	val_unref(m);
	buf_release(&alt);
	buf_release(&v);
	return error;
}

/* The matcher as Alertmanager's filter syntax: name=~"value". */
static void matcher_string(struct buf *out, const struct val *m)
{
	bool re = val_dict_get(m, "isRegex")->u.b;
	bool eq = val_dict_get(m, "isEqual")->u.b;

	buf_adds(out, val_cstr(val_dict_get(m, "name")));
	buf_adds(out, eq ? (re ? "=~" : "=") : (re ? "!~" : "!="));
	buf_addch(out, '"');
	for (const char *p = val_cstr(val_dict_get(m, "value")); *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addch(out, '\\');
		buf_addch(out, *p);
	}
	buf_addch(out, '"');
}

static void am_check(const struct val *cfg, struct diags *d)
{
	const struct val *url = val_dict_get(cfg, "url");
	const struct val *tmpl = val_dict_get(cfg, "host_matcher");
	const struct val *ms = val_dict_get(cfg, "matchers");
	struct val *l = NULL;

	if (!url || (!val_cstr(url) && !(val_is(url, VAL_LIST) &&
					 val_len(url)))) {
		diags_add(d, &cfg->pos, "alertmanager needs a 'url' (or a list "
			  "of them)");
	} else if (val_is(url, VAL_LIST)) {
		for (size_t i = 0; i < val_len(url); i++) {
			if (!val_cstr(val_list_at(url, i)))
				diags_add(d, &val_list_at(url, i)->pos,
					  "expected a URL");
		}
	}
	if (ms && !val_is(ms, VAL_LIST)) {
		diags_add(d, &ms->pos, "expected a list of matchers");
		return;
	}
	if (tmpl && !val_cstr(tmpl)) {
		diags_add(d, &tmpl->pos, "expected a matcher with {hosts}");
		return;
	}
	if (alertmanager_matchers(&l, val_cstr(tmpl), NULL, 0, ms) < 0) {
		diags_add(d, ms ? &ms->pos : &cfg->pos, "%s",
			  tend_error_last());
		tend_error_clear();
	}
	val_unref(l);
}

/* The URLs as a list of strings (borrowed, valid while cfg is). */
static size_t am_urls(const char **out, size_t max, const struct val *cfg)
{
	const struct val *url = val_dict_get(cfg, "url");
	size_t n = 0;

	if (val_cstr(url)) {
		out[n++] = val_cstr(url);
	} else {
		for (size_t i = 0; i < val_len(url) && n < max; i++) {
			if (val_cstr(val_list_at(url, i)))
				out[n++] = val_cstr(val_list_at(url, i));
		}
	}
	return n;
}

/* Base URL + path, without a doubled slash. */
static void am_url(struct buf *out, const char *base, const char *path)
{
	buf_adds(out, base);
	while (out->len && out->ptr[out->len - 1] == '/')
		buf_setlen(out, out->len - 1);
	buf_adds(out, path);
}

struct am_ctx {
	struct http_opts http;
	struct buf auth;
	const char *headers[2];
	const char *urls[8];
	size_t urls_nr;
};

static int am_ctx_init(struct am_ctx *c, const struct val *cfg)
{
	int error;

	memset(c, 0, sizeof(*c));
	buf_init(&c->auth, 0);
	window_http_opts(&c->http, cfg);
	c->urls_nr = am_urls(c->urls, ARRAY_SIZE(c->urls), cfg);
	error = window_auth_header(&c->auth, cfg, "token", "Bearer ");
	if (error == TEND_ENOTFOUND)
		error = 0;
	c->headers[0] = c->auth.len ? c->auth.ptr : NULL;
	return error;
}

static void am_ctx_release(struct am_ctx *c)
{
	buf_release_secret(&c->auth);
}

static void am_comment(struct buf *out, const struct window *w)
{
	buf_addf(out, "tend window %lld", w->id);
	if (w->run_id)
		buf_addf(out, ", run %lld", w->run_id);
	if (w->playbook)
		buf_addf(out, ": %s", w->playbook);
	if (w->commit)
		buf_addf(out, " at %.12s", w->commit);
	if (w->user)
		buf_addf(out, " by %s", w->user);
	if (w->reason)
		buf_addf(out, ": %s", w->reason);
	/* the summary only: the tasks are for the announcements */
	if (w->plan)
		buf_addf(out, "; plan: %s", w->plan);
}

/* Alertmanager's answers --------------------------------------------- */

const char *alertmanager_silence_id(const struct val *answer)
{
	return val_cstr(val_dict_get(answer, "silenceID"));
}

struct val *alertmanager_silence_update(const struct val *old,
					const char *ends_at)
{
	static const char *const keep[] = {
		"id", "matchers", "startsAt", "createdBy", "comment"
	};
	struct val *silence = val_dict();

	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		struct val *v = val_dict_get(old, keep[i]);

		if (v)
			val_dict_set(silence, keep[i], val_ref(v));
	}
	val_dict_set_str(silence, "endsAt", ends_at);
	return silence;
}

int alertmanager_read_alerts(struct val *out, const struct val *answer)
{
	if (!val_is(answer, VAL_LIST))
		return tend_error_set("expected a list of alerts, got %s",
				      val_type_name(answer ? answer->type :
						    VAL_NULL));
	for (size_t i = 0; i < val_len(answer); i++) {
		const struct val *a = val_list_at(answer, i);
		const char *fp = val_cstr(val_dict_get(a, "fingerprint"));
		struct val *labels = val_dict_get(a, "labels");
		bool seen = false;

		/* the members of an HA pair report the same alerts */
		for (size_t j = 0; fp && j < val_len(out); j++) {
			const char *f = val_cstr(val_dict_get(
				val_list_at(out, j), "fingerprint"));

			seen |= f && !strcmp(f, fp);
		}
		if (seen || !val_is(labels, VAL_DICT))
			continue;
		labels = val_copy(labels);
		if (fp)
			val_dict_set_str(labels, "fingerprint", fp);
		val_list_push(out, labels);
	}
	return 0;
}

/* POST a silence; *id gets the id Alertmanager returns. */
static int post_silence(char **id, const struct am_ctx *c, const char *base,
			struct val *silence)
{
	struct buf url = BUF_INIT;
	struct val *resp = NULL;
	const char *sid;
	int error;

	am_url(&url, base, "/api/v2/silences");
	if ((error = http_json(&resp, "POST", url.ptr, silence, c->headers,
			       &c->http)) < 0)
		goto out;
	if (!(sid = alertmanager_silence_id(resp))) {
		error = tend_error_set("POST '%s': no silenceID in the answer",
				       url.ptr);
		goto out;
	}
	*id = xstrdup(sid);
out:
	val_unref(resp);
	buf_release(&url);
	return error;
}

static int delete_silence(const struct am_ctx *c, const char *base,
			  const char *id)
{
	struct buf url = BUF_INIT;
	int error;

	am_url(&url, base, "/api/v2/silence/");
	http_escape(&url, id);
	error = http_json(NULL, "DELETE", url.ptr, NULL, c->headers, &c->http);
	buf_release(&url);
	return error;
}

static int am_open(char **out, const struct val *cfg, const struct window *w)
{
	struct am_ctx c;
	struct val *silence = NULL, *matchers = NULL;
	struct buf ids = BUF_INIT, t = BUF_INIT;
	char **made = NULL;
	size_t made_nr = 0;
	int error;

	*out = NULL;
	if ((error = am_ctx_init(&c, cfg)) < 0 ||
	    (error = alertmanager_matchers(&matchers,
					   val_cstr(val_dict_get(cfg,
								 "host_matcher")),
					   (const char *const *)w->hosts,
					   w->hosts_nr,
					   val_dict_get(cfg, "matchers"))) < 0)
		goto out;
	silence = val_dict();
	val_dict_set(silence, "matchers", matchers);
	window_fmt_time(&t, w->starts_at);
	val_dict_set_str(silence, "startsAt", t.ptr);
	buf_reset(&t);
	window_fmt_time(&t, w->ends_at);
	val_dict_set_str(silence, "endsAt", t.ptr);
	val_dict_set_str(silence, "createdBy", "tend");
	buf_reset(&t);
	am_comment(&t, w);
	val_dict_set_str(silence, "comment", t.ptr);
	made = xcalloc(c.urls_nr + 1, sizeof(*made));
	for (size_t i = 0; i < c.urls_nr; i++) {
		if ((error = post_silence(&made[i], &c, c.urls[i],
					  silence)) < 0)
			break;
		made_nr++;
		buf_addf(&ids, "%s%s", i ? " " : "", made[i]);
	}
	if (error < 0) {
		/* undo the silences of the other members */
		struct buf msg = BUF_INIT;

		buf_adds(&msg, tend_error_last());
		for (size_t i = 0; i < made_nr; i++)
			delete_silence(&c, c.urls[i], made[i]);
		tend_error_set("%s", msg.ptr);
		buf_release(&msg);
		goto out;
	}
	*out = buf_detach(&ids, NULL);
out:
	for (size_t i = 0; made && i < c.urls_nr; i++)
		free(made[i]);
	free(made);
	val_unref(silence);
	buf_release(&ids);
	buf_release(&t);
	am_ctx_release(&c);
	return error;
}

/* Split the external id into the ids of each URL. */
static int split_ids(char ***out, const char *id, size_t want)
{
	char **ids = xcalloc(want + 1, sizeof(*ids));
	const char *p = id ? id : "";
	size_t n = 0;

	while (*p && n <= want) {
		size_t len = strcspn(p, " ");

		if (n == want)
			break;
		ids[n++] = xstrndup(p, len);
		p += len;
		while (*p == ' ')
			p++;
	}
	if (n != want || *p) {
		for (size_t i = 0; i < n; i++)
			free(ids[i]);
		free(ids);
		return tend_error_set("silence ids '%s' do not match the %zu "
				      "URLs", id ? id : "", want);
	}
	*out = ids;
	return 0;
}

static void free_ids(char **ids)
{
	for (size_t i = 0; ids && ids[i]; i++)
		free(ids[i]);
	free(ids);
}

/*
 * Set a silence's end, keeping its id: the same matchers and (as it is
 * active) the same startsAt, else Alertmanager expires it and makes a new
 * one. Whatever id comes back is the one to keep.
 */
static int update_silence(char **out, const struct am_ctx *c,
			  const char *base, const char *id, time_t ends_at)
{
	struct buf url = BUF_INIT, t = BUF_INIT;
	struct val *old = NULL, *silence = NULL;
	int error;

	am_url(&url, base, "/api/v2/silence/");
	http_escape(&url, id);
	if ((error = http_json(&old, "GET", url.ptr, NULL, c->headers,
			       &c->http)) < 0)
		goto out;
	window_fmt_time(&t, ends_at);
	silence = alertmanager_silence_update(old, t.ptr);
	error = post_silence(out, c, base, silence);
out:
	val_unref(old);
	val_unref(silence);
	buf_release(&url);
	buf_release(&t);
	return error;
}

static int am_extend(char **out, const struct val *cfg,
		     const struct window *w, const char *id)
{
	struct am_ctx c;
	struct buf ids = BUF_INIT;
	char **old = NULL;
	int error;

	*out = NULL;
	if ((error = am_ctx_init(&c, cfg)) < 0 ||
	    (error = split_ids(&old, id, c.urls_nr)) < 0)
		goto out;
	for (size_t i = 0; i < c.urls_nr; i++) {
		char *nid = NULL;

		if ((error = update_silence(&nid, &c, c.urls[i], old[i],
					    w->ends_at)) < 0)
			goto out;
		buf_addf(&ids, "%s%s", i ? " " : "", nid);
		free(nid);
	}
	*out = buf_detach(&ids, NULL);
out:
	free_ids(old);
	buf_release(&ids);
	am_ctx_release(&c);
	return error;
}

/* The alerts still firing on the window's hosts, silenced or not. */
static int firing_alerts(struct val *out, const struct am_ctx *c,
			 const char *base, const struct window *w,
			 const struct val *cfg)
{
	struct val *ms = NULL, *alerts = NULL;
	struct buf url = BUF_INIT, filter = BUF_INIT;
	int error;

	if ((error = alertmanager_matchers(&ms, val_cstr(val_dict_get(cfg,
							"host_matcher")),
					   (const char *const *)w->hosts,
					   w->hosts_nr, NULL)) < 0)
		return error;
	matcher_string(&filter, val_list_at(ms, 0));
	am_url(&url, base, "/api/v2/alerts?active=true&silenced=true&"
	       "inhibited=true&unprocessed=true&filter=");
	http_escape(&url, filter.ptr);
	if ((error = http_json(&alerts, "GET", url.ptr, NULL, c->headers,
			       &c->http)) < 0)
		goto out;
	if ((error = alertmanager_read_alerts(out, alerts)) < 0)
		tend_error_prefix("GET '%s'", url.ptr);
out:
	val_unref(ms);
	val_unref(alerts);
	buf_release(&url);
	buf_release(&filter);
	return error;
}

static int am_close(struct val **firing, const struct val *cfg,
		    const struct window *w, const char *id)
{
	struct am_ctx c;
	char **ids = NULL;
	struct val *alerts = val_list();
	int error, first = 0;

	*firing = NULL;
	if ((error = am_ctx_init(&c, cfg)) < 0 ||
	    (error = split_ids(&ids, id, c.urls_nr)) < 0) {
		first = error;
		goto out;
	}
	for (size_t i = 0; i < c.urls_nr; i++) {
		char *nid = NULL;

		if (w->grace > 0)
			error = update_silence(&nid, &c, c.urls[i], ids[i],
					       time(NULL) + (time_t)w->grace);
		else
			error = delete_silence(&c, c.urls[i], ids[i]);
		free(nid);
		if (error < 0 && !first)
			first = error;
	}
	if (first) {
		struct buf msg = BUF_INIT;

		buf_adds(&msg, tend_error_last());
		tend_error_set("%s", msg.ptr);
		buf_release(&msg);
		goto out;
	}
	/* any member answers for the cluster; try them in turn */
	for (size_t i = 0; i < c.urls_nr; i++) {
		if (firing_alerts(alerts, &c, c.urls[i], w, cfg) == 0)
			break;
		tend_error_clear();
	}
	*firing = alerts;
	alerts = NULL;
out:
	val_unref(alerts);
	free_ids(ids);
	am_ctx_release(&c);
	return first;
}

/* The play's `matchers:` must parse (checked before any window opens). */
static void am_check_play(const struct val *play, struct diags *d)
{
	const struct val *matchers = val_dict_get(play, "matchers");

	if (matchers && !val_is(matchers, VAL_LIST)) {
		diags_add(d, &matchers->pos, "expected a list of matchers");
		return;
	}
	for (size_t i = 0; i < val_len(matchers); i++) {
		struct val *x = NULL;
		const struct val *s = val_list_at(matchers, i);

		if (!val_cstr(s) ||
		    alertmanager_parse_matcher(&x, val_cstr(s)) < 0) {
			diags_add(d, &s->pos, "%s", val_cstr(s) ?
				  tend_error_last() : "expected a matcher");
			tend_error_clear();
		}
		val_unref(x);
	}
}

/* The play's matchers are added to the configured ones. */
static struct val *am_play_settings(const struct val *cfg,
				    const struct val *play)
{
	const struct val *extra = val_dict_get(play, "matchers");
	struct val *out, *l;

	if (!val_is(extra, VAL_LIST) || !val_len(extra))
		return val_ref((struct val *)cfg);
	out = val_copy(cfg);
	l = val_dict_get(out, "matchers") ?
		val_copy(val_dict_get(out, "matchers")) : val_list();
	for (size_t i = 0; i < val_len(extra); i++)
		val_list_push(l, val_copy(val_list_at(extra, i)));
	val_dict_set(out, "matchers", l);
	return out;
}

const struct window_provider window_alertmanager = {
	.name = "alertmanager",
	.keys = am_keys,
	.secrets = am_secrets,
	.flags = 0,
	.check = am_check,
	.check_play = am_check_play,
	.play_settings = am_play_settings,
	.open = am_open,
	.extend = am_extend,
	.progress = NULL,
	.close = am_close,
	.announce = NULL, /* silences only: nothing to post a message to */
};
