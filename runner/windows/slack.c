#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/net/http.h"
#include "tend/windows/announce.h"
#include "tend/windows/window.h"
#include "tend/windows/window_int.h"
#include "tend/data/settings.h"
#include "tend/data/truth.h"

/*
 * Slack announcements. With a bot token and a channel: one
 * chat.postMessage before the run, then chat.update of that message as
 * the run goes and when it ends (the external id is "CHANNEL TS"). With
 * only an incoming-webhook URL: a post before and one after. Mattermost's
 * incoming webhooks take the same payload, so `mattermost` is this
 * provider without the bot API. A standalone announcement (drift) is one
 * message, posted the same way, never edited.
 */

#define SLACK_API "https://slack.com/api"

static const char *const slack_keys[] = {
	"channel", "api_url", "announce", NULL
};
static const char *const slack_secrets[] = { "token", "webhook_url", NULL };
static const char *const mm_keys[] = { "channel", "announce", NULL };
static const char *const mm_secrets[] = { "webhook_url", NULL };

static bool has_secret(const struct val *cfg, const char *name)
{
	struct buf k = BUF_INIT;
	bool has;

	buf_addf(&k, "%s_file", name);
	has = val_dict_get(cfg, k.ptr) != NULL;
	buf_reset(&k);
	buf_addf(&k, "%s_env", name);
	has |= val_dict_get(cfg, k.ptr) != NULL;
	buf_release(&k);
	return has;
}

static bool use_bot(const struct val *cfg)
{
	return has_secret(cfg, "token");
}

static void slack_check(const struct val *cfg, struct diags *d)
{
	if (use_bot(cfg) && !val_cstr(val_dict_get(cfg, "channel")))
		diags_add(d, &cfg->pos, "slack with a token needs a 'channel'");
	if (!use_bot(cfg) && !has_secret(cfg, "webhook_url"))
		diags_add(d, &cfg->pos, "slack needs 'token_file' (or "
			  "'token_env') and 'channel', or 'webhook_url_file' "
			  "(or 'webhook_url_env')");
	window_announce_check(cfg, d);
}

static void mm_check(const struct val *cfg, struct diags *d)
{
	if (!has_secret(cfg, "webhook_url"))
		diags_add(d, &cfg->pos, "mattermost needs 'webhook_url_file' "
			  "(or 'webhook_url_env')");
	window_announce_check(cfg, d);
}

/*
 * body.text = text, with &, < and > escaped as Slack asks: in its markup
 * "<!channel>" would notify a whole channel and "<url|x>" is a link, and
 * a task's name or a host's must stay plain text. Mattermost reads
 * Slack's "<!channel>" too, and its Markdown shows the entities as the
 * characters.
 */
static void set_text(struct val *body, const char *text)
{
	struct buf b = BUF_INIT;

	for (const char *p = text; *p; p++) {
		if (*p == '&')
			buf_adds(&b, "&amp;");
		else if (*p == '<')
			buf_adds(&b, "&lt;");
		else if (*p == '>')
			buf_adds(&b, "&gt;");
		else
			buf_addch(&b, *p);
	}
	val_dict_set_str(body, "text", b.ptr);
	buf_release(&b);
}

/* POST {text, channel?} to the incoming webhook. */
static int post_webhook(const struct val *cfg, const char *text)
{
	struct val *url = NULL, *body = val_dict();
	struct http_opts o;
	int error;

	window_http_opts(&o, cfg);
	o.secret_url = true;
	set_text(body, text);
	if (val_cstr(val_dict_get(cfg, "channel")))
		val_dict_set_str(body, "channel",
				 val_cstr(val_dict_get(cfg, "channel")));
	if ((error = settings_secret(&url, cfg, "webhook_url")) == 0)
		error = http_json(NULL, "POST", val_cstr(url), body, NULL, &o);
	else if (error == TEND_ENOTFOUND)
		error = tend_error_set("no webhook_url");
	val_unref(url);
	val_unref(body);
	return error;
}

/* Call Web API `method` with a bot token; Slack says ok:false on errors. */
static int call_api(struct val **out, const struct val *cfg,
		    const char *method, struct val *body)
{
	const char *base = val_cstr(val_dict_get(cfg, "api_url"));
	struct buf url = BUF_INIT, auth = BUF_INIT;
	const char *headers[2] = { NULL, NULL };
	struct http_opts o;
	struct val *resp = NULL;
	int error;

	*out = NULL;
	window_http_opts(&o, cfg);
	buf_adds(&url, base ? base : SLACK_API);
	while (url.len && url.ptr[url.len - 1] == '/')
		buf_setlen(&url, url.len - 1);
	buf_addf(&url, "/%s", method);
	if ((error = window_auth_header(&auth, cfg, "token", "Bearer ")) < 0)
		goto out;
	headers[0] = auth.ptr;
	if ((error = http_json(&resp, "POST", url.ptr, body, headers,
			       &o)) < 0)
		goto out;
	if (!truth_python(val_dict_get(resp, "ok"))) {
		const char *e = val_cstr(val_dict_get(resp, "error"));

		error = tend_error_set("%s: %s", method, e ? e : "not ok");
		goto out;
	}
	*out = resp;
	resp = NULL;
out:
	val_unref(resp);
	buf_release(&url);
	buf_release_secret(&auth);
	return error;
}

/* chat.postMessage of `text` to the channel; *out is Slack's answer. */
static int post_message(struct val **out, const struct val *cfg,
			const char *text)
{
	struct val *body = val_dict();
	int error;

	val_dict_set_str(body, "channel", val_cstr(val_dict_get(cfg,
								"channel")));
	set_text(body, text);
	error = call_api(out, cfg, "chat.postMessage", body);
	val_unref(body);
	return error;
}

static int slack_open(char **out, const struct val *cfg,
		      const struct window *w)
{
	struct buf text = BUF_INIT, id = BUF_INIT;
	struct val *resp = NULL;
	int error;

	*out = NULL;
	window_describe_start(&text, w);
	if (!use_bot(cfg)) {
		error = post_webhook(cfg, text.ptr);
		goto out;
	}
	if ((error = post_message(&resp, cfg, text.ptr)) < 0)
		goto out;
	if (!val_cstr(val_dict_get(resp, "channel")) ||
	    !val_cstr(val_dict_get(resp, "ts"))) {
		error = tend_error_set("chat.postMessage: no channel or ts in "
				       "the answer");
		goto out;
	}
	buf_addf(&id, "%s %s", val_cstr(val_dict_get(resp, "channel")),
		 val_cstr(val_dict_get(resp, "ts")));
	*out = buf_detach(&id, NULL);
out:
	val_unref(resp);
	buf_release(&text);
	buf_release(&id);
	return error;
}

/* chat.update of the message named by id "CHANNEL TS". */
static int update_message(const struct val *cfg, const char *id,
			  const char *text)
{
	const char *sp = id ? strchr(id, ' ') : NULL;
	struct val *body, *resp = NULL;
	int error;

	if (!sp)
		return tend_error_set("bad message id '%s'", id ? id : "");
	body = val_dict();
	val_dict_set(body, "channel", val_strn(id, (size_t)(sp - id)));
	val_dict_set_str(body, "ts", sp + 1);
	set_text(body, text);
	error = call_api(&resp, cfg, "chat.update", body);
	val_unref(body);
	val_unref(resp);
	return error;
}

static int slack_progress(const struct val *cfg, const struct window *w,
			  const char *id, const char *status)
{
	struct buf text = BUF_INIT;
	int error = 0;

	if (!use_bot(cfg))
		return 0; /* a webhook cannot edit: say nothing until the end */
	window_describe_progress(&text, w, status);
	error = update_message(cfg, id, text.ptr);
	buf_release(&text);
	return error;
}

static int slack_extend(char **out, const struct val *cfg,
			const struct window *w, const char *id)
{
	*out = id ? xstrdup(id) : NULL;
	return slack_progress(cfg, w, id, "window extended");
}

static int slack_close(struct val **firing, const struct val *cfg,
		       const struct window *w, const char *id)
{
	struct buf text = BUF_INIT;
	int error;

	*firing = NULL;
	if (use_bot(cfg)) {
		window_describe_start(&text, w);
		buf_addch(&text, '\n');
		window_describe_end(&text, w);
		error = update_message(cfg, id, text.ptr);
	} else {
		window_describe_end(&text, w);
		error = post_webhook(cfg, text.ptr);
	}
	buf_release(&text);
	return error;
}

/* One message that is never edited: nothing to keep from the answer. */
static int slack_announce(const struct val *cfg,
			  const struct window_announcement *a)
{
	struct buf text = BUF_INIT;
	struct val *resp = NULL;
	int error;

	window_announce_describe(&text, a);
	if (use_bot(cfg))
		error = post_message(&resp, cfg, text.ptr);
	else
		error = post_webhook(cfg, text.ptr);
	val_unref(resp);
	buf_release(&text);
	return error;
}

const struct window_provider window_slack = {
	.name = "slack",
	.keys = slack_keys,
	.secrets = slack_secrets,
	.flags = WINDOW_ANNOUNCE,
	.check = slack_check,
	.open = slack_open,
	.extend = slack_extend,
	.progress = slack_progress,
	.close = slack_close,
	.announce = slack_announce,
};

const struct window_provider window_mattermost = {
	.name = "mattermost",
	.keys = mm_keys,
	.secrets = mm_secrets,
	.flags = WINDOW_ANNOUNCE,
	.check = mm_check,
	.open = slack_open,
	.extend = slack_extend,
	.progress = slack_progress,
	.close = slack_close,
	.announce = slack_announce,
};
