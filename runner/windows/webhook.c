#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/net/http.h"
#include "tend/windows/announce.h"
#include "tend/windows/window.h"
#include "tend/windows/window_int.h"
#include "tend/data/settings.h"

#include <sodium.h>

/*
 * A generic webhook: a JSON POST when the window opens, is extended and
 * closes, {"event": "window.open", "window": {...}}, signed with
 * HMAC-SHA256 of the body under a shared secret, in the header
 * `X-Tend-Signature: sha256=<hex>` (the header name is configurable), so
 * that the receiver can check who sent it. A standalone announcement is
 * one POST of its own JSON, {"event": "drift", ...}, signed the same way.
 */

#define DEFAULT_HEADER "X-Tend-Signature"

static const char *const webhook_keys[] = {
	"url", "header", "announce", NULL
};
static const char *const webhook_secrets[] = { "secret", NULL };

static void webhook_check(const struct val *cfg, struct diags *d)
{
	if (!val_cstr(val_dict_get(cfg, "url")))
		diags_add(d, &cfg->pos, "webhook needs a 'url'");
	window_announce_check(cfg, d);
}

/* POST `body` as JSON to the url, signed when there is a secret. */
static int post_json(const struct val *cfg, const struct val *body)
{
	const char *header = val_cstr(val_dict_get(cfg, "header"));
	struct val *secret = NULL;
	struct buf text = BUF_INIT, sig = BUF_INIT;
	const char *headers[4] = { "Content-Type: application/json", NULL };
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_request req = { 0 };
	struct http_opts o;
	int error;

	window_http_opts(&o, cfg);
	val_to_json(&text, body, 0);
	error = settings_secret(&secret, cfg, "secret");
	if (error == 0) {
		unsigned char mac[crypto_auth_hmacsha256_BYTES];
		char hex[2 * sizeof(mac) + 1];
		crypto_auth_hmacsha256_state st;

		if (sodium_init() < 0) {
			error = tend_error_set("cannot initialise libsodium");
			goto out;
		}
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)
					    val_cstr(secret), val_len(secret));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)
					      text.ptr, text.len);
		crypto_auth_hmacsha256_final(&st, mac);
		sodium_memzero(&st, sizeof(st));
		sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
		buf_addf(&sig, "%s: sha256=%s", header ? header :
			 DEFAULT_HEADER, hex);
		headers[1] = sig.ptr;
	} else if (error != TEND_ENOTFOUND) {
		goto out;
	}
	error = 0;
	req.method = "POST";
	req.url = val_cstr(val_dict_get(cfg, "url"));
	req.headers = headers;
	req.body = text.ptr;
	req.body_len = text.len;
	req.opts = &o;
	if ((error = http_request(&resp, &req)) < 0)
		goto out;
	if (resp.status < 200 || resp.status > 299)
		error = tend_error_set("POST '%s': HTTP %ld", req.url,
				       resp.status);
out:
	http_response_release(&resp);
	val_unref(secret);
	buf_release(&text);
	buf_release(&sig);
	return error;
}

static int post_event(const struct val *cfg, const struct window *w,
		      const char *event)
{
	struct val *body = val_dict();
	int error;

	val_dict_set_str(body, "event", event);
	val_dict_set(body, "window", window_to_val(w));
	error = post_json(cfg, body);
	val_unref(body);
	return error;
}

static int webhook_open(char **out, const struct val *cfg,
			const struct window *w)
{
	*out = NULL;
	return post_event(cfg, w, "window.open");
}

static int webhook_extend(char **out, const struct val *cfg,
			  const struct window *w, const char *id)
{
	*out = id ? xstrdup(id) : NULL;
	return post_event(cfg, w, "window.extend");
}

static int webhook_close(struct val **firing, const struct val *cfg,
			 const struct window *w, const char *id)
{
	(void)id;
	*firing = NULL;
	return post_event(cfg, w, "window.close");
}

static int webhook_announce(const struct val *cfg,
			    const struct window_announcement *a)
{
	struct val *body = window_announce_to_val(a);
	int error = post_json(cfg, body);

	val_unref(body);
	return error;
}

const struct window_provider window_webhook = {
	.name = "webhook",
	.keys = webhook_keys,
	.secrets = webhook_secrets,
	.flags = WINDOW_ANNOUNCE,
	.check = webhook_check,
	.open = webhook_open,
	.extend = webhook_extend,
	.progress = NULL,
	.close = webhook_close,
	.announce = webhook_announce,
};
