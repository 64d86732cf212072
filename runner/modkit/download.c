#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"

/*
 * What a download on the host tells its curl or wget: the config read
 * from stdin (curl) or a private file (wget), so that credentials and
 * headers never reach a command line (toolkit.h).
 */

/* One value in curl's config syntax: "..." with \ and " escaped. */
static int conf_quote(struct buf *out, const char *what, const char *s)
{
	if (strpbrk(s, "\r\n"))
		return tend_error_set("get_url: %s holds a line break", what);
	buf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addch(out, '\\');
		buf_addch(out, *s);
	}
	buf_adds(out, "\"\n");
	return 0;
}

/* The headers as "Name: value" lines (checked for line breaks). */
int download_headers(struct val **out, const struct task_ctx *ctx)
{
	const struct val *h = arg_get(ctx, "headers");

	*out = val_list();
	if (!h || !val_is(h, VAL_DICT))
		return 0;
	for (size_t i = 0; i < h->u.dict.nr; i++) {
		struct buf l = BUF_INIT;

		buf_addf(&l, "%s: ", h->u.dict.items[i].key);
		val_to_text(&l, h->u.dict.items[i].v);
		if (strpbrk(l.ptr, "\r\n")) {
			buf_release_secret(&l);
			return tend_error_set("get_url: a header holds a line "
					      "break");
		}
		size_t len;
		char *t = buf_detach(&l, &len);

		val_list_push(*out, val_str_take(t, len));
	}
	return 0;
}


/* Whether the "Name: value" lines hold a header NAME (any case). */
static bool has_header(const struct val *hl, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < val_len(hl); i++) {
		const char *l = val_cstr(val_list_at(hl, i));

		if (!strncasecmp(l, name, n) && l[n] == ':')
			return true;
	}
	return false;
}

/*
 * curl's config (read from stdin): the URL, credentials, headers. The
 * request's own headers are Python's (Ansible's urllib): no Accept, and
 * Accept-Encoding: identity, and with force Cache-Control: no-cache,
 * unless the task's headers say otherwise.
 */
static int curl_config(struct buf *c, const struct task_ctx *ctx)
{
	const char *user = arg_str(ctx, "url_username");
	const char *pass = arg_str(ctx, "url_password");
	struct val *hl = NULL;
	int error;

	buf_adds(c, "url = ");
	if ((error = conf_quote(c, "url", arg_str(ctx, "url"))) < 0)
		return error;
	buf_adds(c, "user-agent = ");
	if ((error = conf_quote(c, "http_agent", arg_str(ctx, "http_agent") ?
				arg_str(ctx, "http_agent") :
				"ansible-httpget")) < 0)
		return error;
	/* credentials only when the server asks (a 401), as Ansible's
	 * handlers, unless force_basic_auth: then Basic at once */
	if (!arg_bool(ctx, "force_basic_auth", false))
		buf_adds(c, "anyauth\n");
	if (user) {
		struct buf up = BUF_INIT;

		buf_addf(&up, "%s:%s", user, pass ? pass : "");
		buf_adds(c, "user = ");
		error = conf_quote(c, "url_username", up.ptr);
		buf_release_secret(&up);
		if (error < 0)
			return error;
	}
	if ((error = download_headers(&hl, ctx)) < 0)
		goto out;
	for (size_t i = 0; i < val_len(hl); i++) {
		buf_adds(c, "header = ");
		if ((error = conf_quote(c, "a header",
					val_cstr(val_list_at(hl, i)))) < 0)
			goto out;
	}
	if (!has_header(hl, "accept"))
		buf_adds(c, "header = \"Accept:\"\n");
	if (!has_header(hl, "accept-encoding"))
		buf_adds(c, "header = \"Accept-Encoding: identity\"\n");
	if (arg_bool(ctx, "force", false) && !has_header(hl, "cache-control"))
		buf_adds(c, "header = \"Cache-Control: no-cache\"\n");
out:
	val_unref(hl);
	return error;
}

/* wget's config (wgetrc syntax, from stdin): credentials, headers. */
static int wget_config(struct buf *c, const struct task_ctx *ctx)
{
	const char *user = arg_str(ctx, "url_username");
	const char *pass = arg_str(ctx, "url_password");
	const char *agent = arg_str(ctx, "http_agent");
	struct val *hl = NULL;
	int error;

	if ((user && strpbrk(user, "\r\n")) || (pass && strpbrk(pass, "\r\n")) ||
	    (agent && strpbrk(agent, "\r\n")))
		return tend_error_set("get_url: a value holds a line break");
	buf_addf(c, "user_agent = %s\n", agent ? agent : "ansible-httpget");
	if (user)
		buf_addf(c, "http_user = %s\nhttp_password = %s\n", user,
			 pass ? pass : "");
	if (arg_bool(ctx, "force_basic_auth", false))
		buf_adds(c, "auth_no_challenge = on\n");
	if ((error = download_headers(&hl, ctx)) < 0)
		goto out;
	for (size_t i = 0; i < val_len(hl); i++)
		buf_addf(c, "header = %s\n", val_cstr(val_list_at(hl, i)));
	if (arg_bool(ctx, "force", false) && !has_header(hl, "cache-control"))
		buf_adds(c, "header = Cache-Control: no-cache\n");
out:
	val_unref(hl);
	return error;
}

int download_config(struct buf *out, const struct task_ctx *ctx, char tool)
{
	return tool == 'c' ? curl_config(out, ctx) : wget_config(out, ctx);
}
