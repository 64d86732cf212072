#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/net/http.h"
#include "tend/windows/window.h"
#include "tend/windows/window_int.h"

/*
 * PagerDuty (REST API v2): a maintenance window on the configured
 * services. Open is POST /maintenance_windows (with the `From` header of
 * a user of the account), extend is PUT of its end_time, close is DELETE
 * (which ends an on-going window) or, with a grace period, PUT of
 * end_time = now + grace. The external id is the window's id. It posts
 * no standalone announcements (announce.h).
 */

#define PD_API "https://api.pagerduty.com"

static const char *const pd_keys[] = { "api_url", "from", "services", NULL };
static const char *const pd_secrets[] = { "token", NULL };

static void pd_check(const struct val *cfg, struct diags *d)
{
	const struct val *s = val_dict_get(cfg, "services");

	if (!val_cstr(val_dict_get(cfg, "from")))
		diags_add(d, &cfg->pos, "pagerduty needs 'from' (the email "
			  "of a user of the account)");
	if (!val_is(s, VAL_LIST) || !val_len(s))
		diags_add(d, s ? &s->pos : &cfg->pos, "pagerduty needs "
			  "'services': a list of service ids");
	for (size_t i = 0; i < val_len(s) && val_is(s, VAL_LIST); i++) {
		if (!val_cstr(val_list_at(s, i)))
			diags_add(d, &val_list_at(s, i)->pos,
				  "expected a service id");
	}
}

/* Send `body` (or none) to path under the API with PagerDuty's headers. */
static int pd_call(struct val **out, const struct val *cfg,
		   const char *method, const char *path, struct val *body)
{
	const char *base = val_cstr(val_dict_get(cfg, "api_url"));
	struct buf url = BUF_INIT, auth = BUF_INIT, from = BUF_INIT;
	const char *headers[4] = { NULL };
	struct http_opts o;
	int error;

	window_http_opts(&o, cfg);
	buf_adds(&url, base ? base : PD_API);
	while (url.len && url.ptr[url.len - 1] == '/')
		buf_setlen(&url, url.len - 1);
	buf_adds(&url, path);
	error = window_auth_header(&auth, cfg, "token", "Token token=");
	if (error == TEND_ENOTFOUND)
		error = tend_error_set("pagerduty needs 'token_file' or "
				       "'token_env'");
	if (error < 0)
		goto out;
	buf_addf(&from, "From: %s", val_cstr(val_dict_get(cfg, "from")));
	headers[0] = auth.ptr;
	headers[1] = from.ptr;
	headers[2] = "Accept: application/vnd.pagerduty+json;version=2";
	error = http_json(out, method, url.ptr, body, headers, &o);
out:
	buf_release(&url);
	buf_release_secret(&auth);
	buf_release(&from);
	return error;
}

static struct val *pd_window(const struct val *cfg, const struct window *w,
			     bool with_start, time_t end)
{
	struct val *mw = val_dict(), *body = val_dict();
	struct buf t = BUF_INIT;

	val_dict_set_str(mw, "type", "maintenance_window");
	if (with_start) {
		const struct val *ids = val_dict_get(cfg, "services");
		struct val *services = val_list();

		window_fmt_time(&t, w->starts_at);
		val_dict_set_str(mw, "start_time", t.ptr);
		buf_reset(&t);
		window_describe_start(&t, w);
		val_dict_set_str(mw, "description", t.ptr);
		buf_reset(&t);
		for (size_t i = 0; i < val_len(ids); i++) {
			struct val *s = val_dict();

			val_dict_set_str(s, "id", val_cstr(val_list_at(ids, i)));
			val_dict_set_str(s, "type", "service_reference");
			val_list_push(services, s);
		}
		val_dict_set(mw, "services", services);
	}
	window_fmt_time(&t, end);
	val_dict_set_str(mw, "end_time", t.ptr);
	val_dict_set(body, "maintenance_window", mw);
	buf_release(&t);
	return body;
}

static int pd_open(char **out, const struct val *cfg, const struct window *w)
{
	struct val *body = pd_window(cfg, w, true, w->ends_at), *resp = NULL;
	const char *id;
	int error;

	*out = NULL;
	if ((error = pd_call(&resp, cfg, "POST", "/maintenance_windows",
			     body)) == 0) {
		id = val_cstr(val_dict_path(resp, "maintenance_window.id"));
		if (id)
			*out = xstrdup(id);
		else
			error = tend_error_set("POST /maintenance_windows: no "
					       "id in the answer");
	}
	val_unref(body);
	val_unref(resp);
	return error;
}

static int pd_set_end(const struct val *cfg, const struct window *w,
		      const char *id, time_t end)
{
	struct val *body = pd_window(cfg, w, false, end);
	struct buf path = BUF_INIT;
	int error;

	buf_adds(&path, "/maintenance_windows/");
	http_escape(&path, id ? id : "");
	error = pd_call(NULL, cfg, "PUT", path.ptr, body);
	val_unref(body);
	buf_release(&path);
	return error;
}

static int pd_extend(char **out, const struct val *cfg,
		     const struct window *w, const char *id)
{
	int error = pd_set_end(cfg, w, id, w->ends_at);

	*out = error == 0 && id ? xstrdup(id) : NULL;
	return error;
}

static int pd_close(struct val **firing, const struct val *cfg,
		    const struct window *w, const char *id)
{
	struct buf path = BUF_INIT;
	int error;

	*firing = NULL;
	if (w->grace > 0)
		return pd_set_end(cfg, w, id, time(NULL) + (time_t)w->grace);
	buf_adds(&path, "/maintenance_windows/");
	http_escape(&path, id ? id : "");
	error = pd_call(NULL, cfg, "DELETE", path.ptr, NULL);
	buf_release(&path);
	return error;
}

const struct window_provider window_pagerduty = {
	.name = "pagerduty",
	.keys = pd_keys,
	.secrets = pd_secrets,
	.flags = 0,
	.check = pd_check,
	.open = pd_open,
	.extend = pd_extend,
	.progress = NULL,
	.close = pd_close,
	/*
	 * Maintenance windows only, no announcements: drift is not an
	 * incident, and an Events v2 "trigger" would page whoever is on
	 * call (docs/windows.md, "Drift announcements").
	 */
	.announce = NULL,
};
