#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/net/webhook.h"

#include <ctype.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

/*
 * The rules are in webhook.h. Messages name headers and what was wrong
 * with them, never a value: a header may hold the secret itself
 * (X-Gitlab-Token), and the expected digest is as good as the secret for
 * the body it signs.
 */

#define HDR_GITHUB "X-Hub-Signature-256"
#define HDR_GITEA "X-Gitea-Signature"
#define HDR_FORGEJO "X-Forgejo-Signature"
#define HDR_GITLAB "X-Gitlab-Token"

#define MAC_LEN 32 /* SHA-256 */

const char *webhook_sender_name(enum webhook_sender sender)
{
	switch (sender) {
	case WEBHOOK_GITHUB:
		return "GitHub";
	case WEBHOOK_GITEA:
		return "Gitea";
	case WEBHOOK_GITLAB:
		return "GitLab";
	}
	return "unknown sender";
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * One signature header: `value`, after `prefix` ("sha256=" or ""), must
 * be the hex of `mac`. The hex is the sender's, not a secret, so reading
 * it may take its time; only the comparison with `mac` must not.
 */
static int check_hmac(const char *name, const char *value, const char *prefix,
		      const unsigned char *mac)
{
	unsigned char given[MAC_LEN];
	size_t plen = strlen(prefix), n;
	int same;

	if (!*value || !strcasecmp(value, prefix))
		return tend_error_set_code(TEND_EREFUSED, "bad signature in "
					   "%s: the header is empty (the hook "
					   "has no secret: give it the one "
					   "tend is configured with)", name);
	if (strncasecmp(value, prefix, plen))
		return tend_error_set_code(TEND_EREFUSED, "bad signature in "
					   "%s: expected '%s' and the hex "
					   "digest", name, prefix);
	value += plen;
	n = strlen(value);
	if (n != 2 * MAC_LEN)
		return tend_error_set_code(TEND_EREFUSED, "bad signature in "
					   "%s: expected %d hex digits, got "
					   "%zu characters", name,
					   2 * MAC_LEN, n);
	for (size_t i = 0; i < MAC_LEN; i++) {
		int hi = hex_value(value[2 * i]), lo = hex_value(value[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return tend_error_set_code(TEND_EREFUSED, "bad "
						   "signature in %s: expected "
						   "%d hex digits, got other "
						   "characters", name,
						   2 * MAC_LEN);
		given[i] = (unsigned char)(hi << 4 | lo);
	}
	same = !CRYPTO_memcmp(given, mac, MAC_LEN);
	OPENSSL_cleanse(given, sizeof(given));
	if (!same)
		return tend_error_set_code(TEND_EREFUSED, "bad signature in "
					   "%s: not the HMAC-SHA256 of the "
					   "body under the configured secret",
					   name);
	return 0;
}

/*
 * GitLab's token is the secret itself. Comparing the SHA-256 of each
 * keeps the time independent of where they differ and of their lengths.
 */
static int check_token(const char *value, const char *secret)
{
	unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
	int same;

	if (!*value)
		return tend_error_set_code(TEND_EREFUSED, "bad token in %s: "
					   "the header is empty (the hook has "
					   "no secret token: give it the one "
					   "tend is configured with)",
					   HDR_GITLAB);
	SHA256((const unsigned char *)value, strlen(value), a);
	SHA256((const unsigned char *)secret, strlen(secret), b);
	same = !CRYPTO_memcmp(a, b, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	if (!same)
		return tend_error_set_code(TEND_EREFUSED, "bad token in %s: "
					   "not the configured secret",
					   HDR_GITLAB);
	return 0;
}

int webhook_verify(enum webhook_sender *out, webhook_header_fn header,
		   void *payload, const char *body, size_t len,
		   const char *secret)
{
	const char *github = header(HDR_GITHUB, payload);
	const char *gitea = header(HDR_GITEA, payload);
	const char *forgejo = header(HDR_FORGEJO, payload);
	const char *gitlab = header(HDR_GITLAB, payload);
	unsigned char mac[MAC_LEN];
	unsigned int mac_len = 0;
	int error = 0;

	if (!secret || !*secret)
		return tend_error_set("no webhook secret configured: no "
				      "request can be verified");
	if (!github && !gitea && !forgejo && !gitlab)
		return tend_error_set_code(TEND_EREFUSED, "no signature "
					   "header (%s, %s, %s or %s)",
					   HDR_GITHUB, HDR_GITEA, HDR_FORGEJO,
					   HDR_GITLAB);
	if ((github || gitea || forgejo) &&
	    !HMAC(EVP_sha256(), secret, (int)strlen(secret),
		  (const unsigned char *)body, len, mac, &mac_len))
		return tend_error_set("cannot compute the HMAC-SHA256 of the "
				      "webhook body");
	/* every header present must hold: see the rule in webhook.h */
	if ((gitea && (error = check_hmac(HDR_GITEA, gitea, "", mac)) < 0) ||
	    (forgejo &&
	     (error = check_hmac(HDR_FORGEJO, forgejo, "", mac)) < 0) ||
	    (github &&
	     (error = check_hmac(HDR_GITHUB, github, "sha256=", mac)) < 0) ||
	    (gitlab && (error = check_token(gitlab, secret)) < 0))
		goto out;
	*out = gitea || forgejo ? WEBHOOK_GITEA :
	       github ? WEBHOOK_GITHUB : WEBHOOK_GITLAB;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return error;
}

enum webhook_event webhook_event(const char **name,
				 enum webhook_sender sender,
				 webhook_header_fn header, void *payload)
{
	static const struct {
		enum webhook_sender sender;
		const char *value;
		enum webhook_event event;
	} events[] = {
		{ WEBHOOK_GITHUB, "push", WEBHOOK_EVENT_PUSH },
		{ WEBHOOK_GITHUB, "ping", WEBHOOK_EVENT_PING },
		{ WEBHOOK_GITEA, "push", WEBHOOK_EVENT_PUSH },
		{ WEBHOOK_GITLAB, "Push Hook", WEBHOOK_EVENT_PUSH },
		{ WEBHOOK_GITLAB, "Tag Push Hook", WEBHOOK_EVENT_PUSH },
	};
	const char *v = NULL;

	switch (sender) {
	case WEBHOOK_GITHUB:
		v = header("X-GitHub-Event", payload);
		break;
	case WEBHOOK_GITEA:
		v = header("X-Gitea-Event", payload);
		if (!v)
			v = header("X-Forgejo-Event", payload);
		if (!v)
			v = header("X-GitHub-Event", payload);
		break;
	case WEBHOOK_GITLAB:
		v = header("X-Gitlab-Event", payload);
		break;
	}
	*name = v;
	for (size_t i = 0; v && i < ARRAY_SIZE(events); i++)
		if (events[i].sender == sender && !strcmp(events[i].value, v))
			return events[i].event;
	return WEBHOOK_EVENT_OTHER;
}

/*
 * The JSON of a form body (`payload=<URL-encoded JSON>`, fields split by
 * '&'): into `out`. Returns 0, 1 when the body is not such a form (a
 * JSON body, whose strings may hold "&payload=", never is), or
 * TEND_EPARSE.
 */
static int form_payload(struct buf *out, const char *body, size_t len)
{
	const char *end = body + len, *p = body;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p < end && (*p == '{' || *p == '['))
		return 1;
	p = body;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *field_end = amp ? amp : end;

		if ((size_t)(field_end - p) >= 8 && !memcmp(p, "payload=", 8)) {
			for (p += 8; p < field_end; p++) {
				int hi, lo;

				if (*p == '+') {
					buf_addch(out, ' ');
				} else if (*p != '%') {
					buf_addch(out, *p);
				} else if (field_end - p < 3 ||
					   (hi = hex_value(p[1])) < 0 ||
					   (lo = hex_value(p[2])) < 0) {
					return tend_error_set_code(TEND_EPARSE,
						"webhook body: a bad %%-escape "
						"in the form's 'payload'");
				} else {
					buf_addch(out, hi << 4 | lo);
					p += 2;
				}
			}
			return 0;
		}
		p = field_end + 1;
	}
	return 1;
}

static bool is_commit_id(const char *s)
{
	size_t n = strlen(s);

	if (n != 40 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (hex_value(s[i]) < 0)
			return false;
	return true;
}

static bool is_ref(const char *s)
{
	if (strncmp(s, "refs/", 5) || strlen(s) > 1024)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static const struct {
	const char *object, *key;
} url_keys[] = {
	{ "repository", "clone_url" },    { "repository", "ssh_url" },
	{ "repository", "html_url" },     { "repository", "git_http_url" },
	{ "repository", "git_ssh_url" },  { "repository", "homepage" },
	{ "project", "git_http_url" },    { "project", "git_ssh_url" },
	{ "project", "web_url" },
};

_Static_assert(ARRAY_SIZE(url_keys) <= WEBHOOK_PUSH_URLS_MAX,
	       "webhook_push.urls holds every URL key");

static void read_urls(struct webhook_push *out, json_t *root)
{
	for (size_t i = 0; i < ARRAY_SIZE(url_keys); i++) {
		json_t *obj = json_object_get(root, url_keys[i].object);
		const char *url = json_string_value(json_object_get(obj,
							url_keys[i].key));
		bool seen = false;

		if (!url || !*url)
			continue;
		for (size_t j = 0; j < out->nr_urls; j++)
			seen = seen || !strcmp(out->urls[j], url);
		if (!seen)
			out->urls[out->nr_urls++] = xstrdup(url);
	}
}

static int read_push_json(struct webhook_push *out, json_t *root)
{
	const char *ref = json_string_value(json_object_get(root, "ref"));
	const char *after = json_string_value(json_object_get(root, "after"));

	if (!json_is_object(root))
		return tend_error_set_code(TEND_EPARSE, "webhook body: "
					   "expected a JSON object");
	if (!ref)
		return tend_error_set_code(TEND_EPARSE, "webhook body: no "
					   "'ref' (is it a push event?)");
	if (!is_ref(ref))
		return tend_error_set_code(TEND_EPARSE, "webhook body: 'ref' "
					   "is not a full ref name such as "
					   "refs/heads/main");
	if (!after || !is_commit_id(after))
		return tend_error_set_code(TEND_EPARSE, "webhook body: "
					   "'after' is not a commit id (40 or "
					   "64 hex digits)");
	out->ref = xstrdup(ref);
	out->after = xstrdup(after);
	out->deleted = true;
	for (char *p = out->after; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
		out->deleted = out->deleted && *p == '0';
	}
	read_urls(out, root);
	if (!out->nr_urls)
		return tend_error_set_code(TEND_EPARSE, "webhook body: no "
					   "repository URL (repository."
					   "clone_url, ssh_url, git_http_url, "
					   "...)");
	return 0;
}

int webhook_read_push(struct webhook_push *out, const char *body, size_t len)
{
	struct webhook_push empty = WEBHOOK_PUSH_INIT;
	struct buf form = BUF_INIT;
	json_t *root = NULL;
	json_error_t jerr;
	int error;

	*out = empty;
	if ((error = form_payload(&form, body, len)) < 0)
		goto out;
	if (error == 0) {
		body = form.ptr;
		len = form.len;
	}
	root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
	if (!root) {
		error = tend_error_set_code(TEND_EPARSE, "webhook body: not "
					    "JSON (line %d, column %d); the "
					    "hook's content type must be "
					    "application/json or "
					    "application/x-www-form-urlencoded",
					    jerr.line, jerr.column);
		goto out;
	}
	error = read_push_json(out, root);
out:
	if (error < 0)
		webhook_push_release(out);
	json_decref(root);
	buf_release(&form);
	return error < 0 ? error : 0;
}

void webhook_push_release(struct webhook_push *p)
{
	if (!p)
		return;
	free(p->ref);
	free(p->after);
	for (size_t i = 0; i < p->nr_urls; i++)
		free(p->urls[i]);
	memset(p, 0, sizeof(*p));
}

/*
 * Where the host that starts at `host` ends: after the ']' of an IPv6
 * address ("[::1]"), else at the first ':' (a port, or scp-like syntax's
 * path) or at `limit`. NULL when a '[' has no ']' before `limit`.
 */
static const char *host_end_of(const char *host, const char *limit)
{
	const char *close, *colon;

	if (*host == '[') {
		close = memchr(host, ']', (size_t)(limit - host));
		return close ? close + 1 : NULL;
	}
	colon = memchr(host, ':', (size_t)(limit - host));
	return colon ? colon : limit;
}

/*
 * A repository URL as "host/path" in `out`: the host in lower case, the
 * path without leading or trailing slashes and without ".git". False
 * for what names no remote repository.
 */
static bool repo_key(struct buf *out, const char *url)
{
	const char *sep = strstr(url, "://"), *colon = strchr(url, ':');
	const char *slash = strchr(url, '/'), *end = url + strlen(url);
	const char *host, *host_end, *path, *at;
	size_t plen;

	if (sep) {
		const char *auth = sep + 3;

		if (sep - url == 4 && !strncasecmp(url, "file", 4))
			return false;
		path = auth + strcspn(auth, "/?#");
		at = memrchr(auth, '@', (size_t)(path - auth));
		host = at ? at + 1 : auth;
		host_end = host_end_of(host, path);
		plen = strcspn(path, "?#");
	} else if (colon && (!slash || colon < slash) && url[0] != '/') {
		/* scp-like: [user@]host:path */
		at = memchr(url, '@', (size_t)(colon - url));
		host = at ? at + 1 : url;
		host_end = host_end_of(host, end);
		if (!host_end || *host_end != ':')
			return false;
		path = host_end + 1;
		plen = strlen(path);
	} else {
		return false;
	}
	if (!host_end || host_end == host)
		return false;
	while (plen && *path == '/') {
		path++;
		plen--;
	}
	while (plen && path[plen - 1] == '/')
		plen--;
	if (plen >= 4 && !memcmp(path + plen - 4, ".git", 4))
		plen -= 4;
	while (plen && path[plen - 1] == '/')
		plen--;
	if (!plen)
		return false;
	for (const char *h = host; h < host_end; h++)
		buf_addch(out, tolower((unsigned char)*h));
	buf_addch(out, '/');
	buf_add(out, path, plen);
	return true;
}

bool webhook_url_matches(const char *configured, const char *announced)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	bool same;

	same = repo_key(&a, configured) && repo_key(&b, announced) &&
	       !strcmp(a.ptr, b.ptr);
	buf_release(&a);
	buf_release(&b);
	return same;
}

bool webhook_push_concerns(const struct webhook_push *p,
			   const char *configured)
{
	for (size_t i = 0; i < p->nr_urls; i++)
		if (webhook_url_matches(configured, p->urls[i]))
			return true;
	return false;
}
