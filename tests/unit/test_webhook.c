#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/net/webhook.h"

#include <ctype.h>
#include <strings.h>

#include "unit.h"

/*
 * Webhook verification and push events (net/webhook.c). The HMAC
 * vectors other than GitHub's documented one were computed with
 * `openssl dgst -sha256 -hmac SECRET < FILE` over the fixtures in
 * tests/fixtures/webhook/, which follow the payloads the three hosts
 * document.
 */

#define FIX "tests/fixtures/webhook/"
#define SECRET "s3cr3t-hook"

/* GitHub's documented example */
#define DOC_SECRET "It's a Secret to Everybody"
#define DOC_BODY "Hello, World!"
#define DOC_MAC "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

/* HMAC-SHA256(SECRET, each fixture) */
#define GITHUB_PUSH_MAC \
	"c452ff50e74b1395acbd3d6a9f64656de8cd02c5e6139803241a0f14dd2a3f35"
#define GITEA_PUSH_MAC \
	"f551c12c10499ab5f58ad4f4fab6743ccb47b8f5d562e1cbdc4908d606ecc14b"

/* A request's headers as name/value pairs, NULL-terminated. */
struct headers {
	const char *kv[16];
};

static const char *lookup(const char *name, void *payload)
{
	const struct headers *h = payload;

	for (size_t i = 0; h->kv[i]; i += 2)
		if (!strcasecmp(h->kv[i], name))
			return h->kv[i + 1];
	return NULL;
}

static int verify(enum webhook_sender *out, const struct headers *h,
		  const char *body, size_t len, const char *secret)
{
	return webhook_verify(out, lookup, (void *)h, body, len, secret);
}

static void fixture(struct buf *b, const char *name)
{
	struct buf path = BUF_INIT;

	buf_addf(&path, FIX "%s", name);
	assert_ok(buf_read_file(b, path.ptr));
	buf_release(&path);
}

/* refused, with `msg` in the error and none of `hidden` */
static void assert_refused(int rc, const char *msg, const char *const *hidden)
{
	const char *e = tend_error_last();

	assert_int_equal(rc, TEND_EREFUSED);
	if (!strstr(e, msg))
		fail_msg("got '%s', want '%s'", e, msg);
	for (size_t i = 0; hidden && hidden[i]; i++)
		if (strcasestr(e, hidden[i]))
			fail_msg("'%s' shows '%s'", e, hidden[i]);
}

static void test_webhook__github_documented_vector(void **state)
{
	struct headers h = { { "X-Hub-Signature-256", "sha256=" DOC_MAC,
			       "X-GitHub-Event", "push", NULL } };
	enum webhook_sender s = 0;

	(void)state;
	assert_ok(verify(&s, &h, DOC_BODY, strlen(DOC_BODY), DOC_SECRET));
	assert_int_equal(s, WEBHOOK_GITHUB);
	assert_string_equal(webhook_sender_name(s), "GitHub");
}

static void test_webhook__header_names_any_case(void **state)
{
	/* as an HTTP/2 proxy hands them on: all lower case */
	struct headers h = { { "x-hub-signature-256", "sha256=" DOC_MAC,
			       NULL } };
	enum webhook_sender s = 0;

	(void)state;
	assert_ok(verify(&s, &h, DOC_BODY, strlen(DOC_BODY), DOC_SECRET));
	assert_int_equal(s, WEBHOOK_GITHUB);
}

static void test_webhook__uppercase_hex(void **state)
{
	struct headers h = { { "X-Hub-Signature-256", NULL, NULL } };
	struct buf v = BUF_INIT;
	enum webhook_sender s = 0;

	(void)state;
	buf_adds(&v, "sha256=");
	for (const char *p = DOC_MAC; *p; p++)
		buf_addch(&v, toupper((unsigned char)*p));
	h.kv[1] = v.ptr;
	assert_ok(verify(&s, &h, DOC_BODY, strlen(DOC_BODY), DOC_SECRET));
	buf_reset(&v);
	/* the prefix's case does not matter either */
	buf_adds(&v, "SHA256=" DOC_MAC);
	h.kv[1] = v.ptr;
	assert_ok(verify(&s, &h, DOC_BODY, strlen(DOC_BODY), DOC_SECRET));
	buf_release(&v);
}

static void test_webhook__wrong_secret(void **state)
{
	static const char *const hidden[] = { DOC_MAC, DOC_SECRET,
					      "Secret to", NULL };
	/* signed with another secret, "not the secret" */
	struct headers h = { { "X-Hub-Signature-256", "sha256=84e9f24d1370c7"
			       "ae8f76097cd33f621760f5fc8241e09367467091bafa"
			       "7daf17", NULL } };
	enum webhook_sender s = 0;

	(void)state;
	assert_refused(verify(&s, &h, DOC_BODY, strlen(DOC_BODY), DOC_SECRET),
		       "bad signature in X-Hub-Signature-256: not the "
		       "HMAC-SHA256 of the body", hidden);
	assert_int_equal(s, 0);
	/* the right signature, another secret configured */
	h.kv[1] = "sha256=" DOC_MAC;
	assert_refused(verify(&s, &h, DOC_BODY, strlen(DOC_BODY), "not it"),
		       "bad signature in X-Hub-Signature-256", hidden);
}

static void test_webhook__body_changed(void **state)
{
	struct headers h = { { "X-Hub-Signature-256", "sha256=" DOC_MAC,
			       NULL } };
	enum webhook_sender s = 0;

	(void)state;
	assert_refused(verify(&s, &h, "Hello, World?", 13, DOC_SECRET),
		       "bad signature", NULL);
	/* a byte more (the signed body is exact: no trailing newline) */
	assert_refused(verify(&s, &h, DOC_BODY "\n", 14, DOC_SECRET),
		       "bad signature", NULL);
}

static void test_webhook__missing_header(void **state)
{
	struct headers none = { { "X-GitHub-Event", "push", NULL } };
	enum webhook_sender s = 0;

	(void)state;
	assert_refused(verify(&s, &none, DOC_BODY, strlen(DOC_BODY),
			      DOC_SECRET),
		       "no signature header (X-Hub-Signature-256, "
		       "X-Gitea-Signature, X-Forgejo-Signature or "
		       "X-Gitlab-Token)", NULL);
	/* GitHub's old SHA-1 header alone is not enough */
	none.kv[2] = "X-Hub-Signature";
	none.kv[3] = "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59";
	assert_refused(verify(&s, &none, DOC_BODY, strlen(DOC_BODY),
			      DOC_SECRET), "no signature header", NULL);
}

static void test_webhook__malformed_signatures(void **state)
{
	static const char *const hidden[] = { DOC_MAC, DOC_SECRET, NULL };
	static const struct {
		const char *value, *msg;
	} cases[] = {
		/* truncated hex: one digit short */
		{ "sha256=" "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46"
		  "f4379c8b043e1",
		  "expected 64 hex digits, got 63 characters" },
		/* one digit more */
		{ "sha256=" DOC_MAC "7", "expected 64 hex digits, got 65" },
		/* not hex */
		{ "sha256=" "g57107ea0eb2509fc211221cce984b8a37570b6d7586c22c46"
		  "f4379c8b043e17",
		  "got other characters" },
		/* no prefix */
		{ DOC_MAC, "expected 'sha256=' and the hex digest" },
		{ "sha1=" DOC_MAC, "expected 'sha256='" },
		/* what a hook without a secret sends */
		{ "sha256=", "the header is empty" },
		{ "", "the header is empty" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct headers h = { { "X-Hub-Signature-256", cases[i].value,
				       NULL } };
		enum webhook_sender s = 0;

		assert_refused(verify(&s, &h, DOC_BODY, strlen(DOC_BODY),
				      DOC_SECRET), cases[i].msg, hidden);
	}
}

static void test_webhook__no_secret_configured(void **state)
{
	struct headers h = { { "X-Hub-Signature-256", "sha256=" DOC_MAC,
			       NULL } };
	enum webhook_sender s = 0;

	(void)state;
	assert_int_equal(verify(&s, &h, DOC_BODY, strlen(DOC_BODY), ""), -1);
	assert_non_null(strstr(tend_error_last(), "no webhook secret"));
	assert_int_equal(verify(&s, &h, DOC_BODY, strlen(DOC_BODY), NULL), -1);
}

/* The headers Gitea sends with a push (services/webhook/deliver.go). */
static void gitea_headers(struct headers *h, const char *sig,
			  const char *hub)
{
	struct headers g = { {
		"X-Gitea-Delivery", "f6266f16-1bf3-46a5-9ea4-602e06ead473",
		"X-Gitea-Event", "push",
		"X-Gitea-Signature", sig,
		"X-Gogs-Event", "push",
		"X-Hub-Signature-256", hub,
		"X-GitHub-Event", "push",
		NULL,
	} };

	*h = g;
}

static void test_webhook__gitea(void **state)
{
	struct headers h;
	struct buf body = BUF_INIT;
	struct webhook_push p;
	enum webhook_sender s = 0;
	const char *name = NULL;

	(void)state;
	fixture(&body, "gitea-push.json");
	gitea_headers(&h, GITEA_PUSH_MAC, "sha256=" GITEA_PUSH_MAC);
	assert_ok(verify(&s, &h, body.ptr, body.len, SECRET));
	assert_int_equal(s, WEBHOOK_GITEA);
	assert_int_equal(webhook_event(&name, s, lookup, &h),
			 WEBHOOK_EVENT_PUSH);
	assert_string_equal(name, "push");

	assert_ok(webhook_read_push(&p, body.ptr, body.len));
	assert_string_equal(p.ref, "refs/heads/production");
	assert_string_equal(p.after,
			    "bffeb74224043ba2feb48d137756c8a9331c449a");
	assert_false(p.deleted);
	assert_int_equal(p.nr_urls, 3);
	assert_string_equal(p.urls[0], "https://git.example.org/ops/infra.git");
	assert_string_equal(p.urls[1],
			    "ssh://git@git.example.org:2222/ops/infra.git");
	assert_string_equal(p.urls[2], "https://git.example.org/ops/infra");
	assert_true(webhook_push_concerns(&p,
					  "git@git.example.org:ops/infra.git"));
	assert_true(webhook_push_concerns(&p, "ssh://git@GIT.example.org:2222"
					  "/ops/infra"));
	assert_false(webhook_push_concerns(&p, "git@git.example.org:ops/"
					   "infra-old.git"));
	webhook_push_release(&p);
	buf_release(&body);
}

static void test_webhook__gitea_without_github_header(void **state)
{
	/* older Gitea: no X-Hub-Signature-256, event in X-GitHub-Event */
	struct headers h = { { "X-Gitea-Signature", GITEA_PUSH_MAC,
			       "X-GitHub-Event", "push", NULL } };
	struct buf body = BUF_INIT;
	enum webhook_sender s = 0;
	const char *name = NULL;

	(void)state;
	fixture(&body, "gitea-push.json");
	assert_ok(verify(&s, &h, body.ptr, body.len, SECRET));
	assert_int_equal(s, WEBHOOK_GITEA);
	assert_int_equal(webhook_event(&name, s, lookup, &h),
			 WEBHOOK_EVENT_PUSH);
	buf_release(&body);
}

static void test_webhook__forgejo(void **state)
{
	static const char *const hidden[] = { GITEA_PUSH_MAC, SECRET, NULL };
	struct headers h = { { "X-Forgejo-Signature", GITEA_PUSH_MAC,
			       "X-Forgejo-Event", "push", NULL } };
	struct buf body = BUF_INIT;
	enum webhook_sender s = 0;
	const char *name = NULL;

	(void)state;
	fixture(&body, "gitea-push.json");
	assert_ok(verify(&s, &h, body.ptr, body.len, SECRET));
	assert_int_equal(s, WEBHOOK_GITEA);
	assert_int_equal(webhook_event(&name, s, lookup, &h),
			 WEBHOOK_EVENT_PUSH);
	assert_string_equal(name, "push");
	h.kv[1] = GITHUB_PUSH_MAC;
	assert_refused(verify(&s, &h, body.ptr, body.len, SECRET),
		       "bad signature in X-Forgejo-Signature", hidden);
	buf_release(&body);
}

static void test_webhook__every_header_must_hold(void **state)
{
	static const char *const hidden[] = { GITEA_PUSH_MAC, SECRET, NULL };
	struct headers h;
	struct buf body = BUF_INIT;
	enum webhook_sender s = 0;

	(void)state;
	fixture(&body, "gitea-push.json");
	/* a good Gitea signature beside a forged GitHub one */
	gitea_headers(&h, GITEA_PUSH_MAC, "sha256=" GITHUB_PUSH_MAC);
	assert_refused(verify(&s, &h, body.ptr, body.len, SECRET),
		       "bad signature in X-Hub-Signature-256", hidden);
	/* and the other way round */
	gitea_headers(&h, GITHUB_PUSH_MAC, "sha256=" GITEA_PUSH_MAC);
	assert_refused(verify(&s, &h, body.ptr, body.len, SECRET),
		       "bad signature in X-Gitea-Signature", hidden);
	/* a hook without a secret: Gitea sends both headers empty */
	gitea_headers(&h, "", "sha256=");
	assert_refused(verify(&s, &h, body.ptr, body.len, SECRET),
		       "bad signature in X-Gitea-Signature: the header is "
		       "empty", hidden);
	/* a good HMAC does not excuse a wrong GitLab token */
	{
		struct headers mixed = { { "X-Hub-Signature-256",
					   "sha256=" GITEA_PUSH_MAC,
					   "X-Gitlab-Token", "guess", NULL } };

		assert_refused(verify(&s, &mixed, body.ptr, body.len, SECRET),
			       "bad token in X-Gitlab-Token", hidden);
		/* both good: the signature names the sender */
		mixed.kv[3] = SECRET;
		assert_ok(verify(&s, &mixed, body.ptr, body.len, SECRET));
		assert_int_equal(s, WEBHOOK_GITHUB);
	}
	assert_int_equal(s, WEBHOOK_GITHUB);
	buf_release(&body);
}

static void test_webhook__gitlab_token(void **state)
{
	static const char *const hidden[] = { SECRET, "s3cr3t", NULL };
	static const char *const wrong[] = {
		"s3cr3t-hooK", "s3cr3t-hoo", "s3cr3t-hook ", "s3cr3t-hook-2",
		"x", "",
	};
	struct headers h = { { "X-Gitlab-Token", SECRET, "X-Gitlab-Event",
			       "Push Hook", NULL } };
	struct buf body = BUF_INIT;
	struct webhook_push p;
	enum webhook_sender s = 0;
	const char *name = NULL;

	(void)state;
	fixture(&body, "gitlab-push.json");
	assert_ok(verify(&s, &h, body.ptr, body.len, SECRET));
	assert_int_equal(s, WEBHOOK_GITLAB);
	assert_string_equal(webhook_sender_name(s), "GitLab");
	assert_int_equal(webhook_event(&name, s, lookup, &h),
			 WEBHOOK_EVENT_PUSH);
	assert_string_equal(name, "Push Hook");
	for (size_t i = 0; i < ARRAY_SIZE(wrong); i++) {
		h.kv[1] = wrong[i];
		assert_refused(verify(&s, &h, body.ptr, body.len, SECRET),
			       "bad token in X-Gitlab-Token", hidden);
	}

	assert_ok(webhook_read_push(&p, body.ptr, body.len));
	assert_string_equal(p.ref, "refs/heads/main");
	assert_string_equal(p.after,
			    "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
	/* repository.* and project.* name the same three URLs */
	assert_int_equal(p.nr_urls, 3);
	assert_string_equal(p.urls[0],
			    "https://gitlab.example.com/platform/infra.git");
	assert_string_equal(p.urls[1],
			    "git@gitlab.example.com:platform/infra.git");
	assert_string_equal(p.urls[2],
			    "https://gitlab.example.com/platform/infra");
	assert_true(webhook_push_concerns(&p, "ssh://git@gitlab.example.com/"
					  "platform/infra.git"));
	assert_false(webhook_push_concerns(&p, "ssh://git@gitlab.example.com/"
					   "platform/Infra.git"));
	webhook_push_release(&p);
	buf_release(&body);
}

static void test_webhook__gitlab_tag_deleted(void **state)
{
	struct buf body = BUF_INIT;
	struct webhook_push p;

	(void)state;
	fixture(&body, "gitlab-tag-delete.json");
	assert_ok(webhook_read_push(&p, body.ptr, body.len));
	assert_string_equal(p.ref, "refs/tags/v1.0.0");
	assert_true(p.deleted);
	assert_int_equal(p.nr_urls, 3);
	webhook_push_release(&p);
	buf_release(&body);
}

static void test_webhook__github_push(void **state)
{
	struct headers h = { { "X-Hub-Signature-256",
			       "sha256=" GITHUB_PUSH_MAC, "X-GitHub-Event",
			       "push", NULL } };
	struct buf body = BUF_INIT;
	struct webhook_push p;
	enum webhook_sender s = 0;
	const char *name = NULL;

	(void)state;
	fixture(&body, "github-push.json");
	assert_ok(verify(&s, &h, body.ptr, body.len, SECRET));
	assert_int_equal(s, WEBHOOK_GITHUB);
	assert_int_equal(webhook_event(&name, s, lookup, &h),
			 WEBHOOK_EVENT_PUSH);

	assert_ok(webhook_read_push(&p, body.ptr, body.len));
	assert_string_equal(p.ref, "refs/heads/main");
	assert_string_equal(p.after,
			    "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
	assert_false(p.deleted);
	assert_int_equal(p.nr_urls, 3);
	assert_string_equal(p.urls[0], "https://github.com/octo-org/infra.git");
	assert_string_equal(p.urls[1], "git@github.com:octo-org/infra.git");
	assert_string_equal(p.urls[2], "https://github.com/octo-org/infra");
	assert_true(webhook_push_concerns(&p, "ssh://git@github.com/octo-org/"
					  "infra.git"));
	assert_false(webhook_push_concerns(&p, "ssh://git@github.com/octo-org/"
					   "infra2.git"));
	assert_false(webhook_push_concerns(&p, "ssh://git@gitlab.com/octo-org/"
					   "infra.git"));
	webhook_push_release(&p);
	buf_release(&body);
}

/* application/x-www-form-urlencoded: payload=<the JSON, %-encoded> */
static void form_encode(struct buf *out, const struct buf *json)
{
	buf_adds(out, "payload=");
	for (size_t i = 0; i < json->len; i++) {
		unsigned char c = (unsigned char)json->ptr[i];

		if (c == ' ')
			buf_addch(out, '+');
		else if (isalnum(c) || strchr("-._~", c))
			buf_addch(out, c);
		else
			buf_addf(out, "%%%02X", c);
	}
}

static void test_webhook__form_encoded(void **state)
{
	struct buf json = BUF_INIT, form = BUF_INIT;
	struct webhook_push p;

	(void)state;
	fixture(&json, "github-push.json");
	form_encode(&form, &json);
	assert_ok(webhook_read_push(&p, form.ptr, form.len));
	assert_string_equal(p.ref, "refs/heads/main");
	assert_string_equal(p.after,
			    "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
	assert_int_equal(p.nr_urls, 3);
	webhook_push_release(&p);
	/* a bad escape */
	buf_sets(&form, "payload=%7B%2");
	assert_int_equal(webhook_read_push(&p, form.ptr, form.len),
			 TEND_EPARSE);
	assert_non_null(strstr(tend_error_last(), "bad %-escape"));
	/* another field first */
	buf_reset(&form);
	buf_adds(&form, "x=1&");
	form_encode(&form, &json);
	assert_ok(webhook_read_push(&p, form.ptr, form.len));
	webhook_push_release(&p);
	buf_release(&form);
	buf_release(&json);
}

static void test_webhook__ping(void **state)
{
	struct headers h = { { "X-Hub-Signature-256", "sha256=" DOC_MAC,
			       "X-GitHub-Event", "ping", NULL } };
	struct buf body = BUF_INIT;
	struct webhook_push p;
	const char *name = NULL;

	(void)state;
	assert_int_equal(webhook_event(&name, WEBHOOK_GITHUB, lookup, &h),
			 WEBHOOK_EVENT_PING);
	assert_string_equal(name, "ping");
	/* a ping is no push */
	fixture(&body, "github-ping.json");
	assert_int_equal(webhook_read_push(&p, body.ptr, body.len),
			 TEND_EPARSE);
	assert_non_null(strstr(tend_error_last(), "no 'ref'"));
	assert_null(p.ref);
	buf_release(&body);
}

static void test_webhook__events(void **state)
{
	static const struct {
		enum webhook_sender sender;
		const char *header, *value;
		enum webhook_event event;
	} cases[] = {
		{ WEBHOOK_GITHUB, "X-GitHub-Event", "push", WEBHOOK_EVENT_PUSH },
		{ WEBHOOK_GITHUB, "x-github-event", "ping", WEBHOOK_EVENT_PING },
		{ WEBHOOK_GITHUB, "X-GitHub-Event", "issues",
		  WEBHOOK_EVENT_OTHER },
		{ WEBHOOK_GITHUB, "X-Gitlab-Event", "Push Hook",
		  WEBHOOK_EVENT_OTHER },
		{ WEBHOOK_GITEA, "X-Gitea-Event", "push", WEBHOOK_EVENT_PUSH },
		{ WEBHOOK_GITEA, "X-Gitea-Event", "create",
		  WEBHOOK_EVENT_OTHER },
		{ WEBHOOK_GITLAB, "X-Gitlab-Event", "Push Hook",
		  WEBHOOK_EVENT_PUSH },
		{ WEBHOOK_GITLAB, "X-Gitlab-Event", "Tag Push Hook",
		  WEBHOOK_EVENT_PUSH },
		{ WEBHOOK_GITLAB, "X-Gitlab-Event", "Merge Request Hook",
		  WEBHOOK_EVENT_OTHER },
		{ WEBHOOK_GITLAB, "X-GitHub-Event", "push",
		  WEBHOOK_EVENT_OTHER },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct headers h = { { cases[i].header, cases[i].value,
				       NULL } };
		const char *name = "unset";
		enum webhook_event e;

		e = webhook_event(&name, cases[i].sender, lookup, &h);
		if (e != cases[i].event)
			fail_msg("%s %s: %s: got %d, want %d",
				 webhook_sender_name(cases[i].sender),
				 cases[i].header, cases[i].value, (int)e,
				 (int)cases[i].event);
		if (e != WEBHOOK_EVENT_OTHER)
			assert_string_equal(name, cases[i].value);
	}
	{
		struct headers none = { { NULL } };
		const char *name = "unset";

		assert_int_equal(webhook_event(&name, WEBHOOK_GITHUB, lookup,
					       &none), WEBHOOK_EVENT_OTHER);
		assert_null(name);
	}
}

static void bad_push(const char *body, const char *msg)
{
	struct webhook_push p;

	assert_int_equal(webhook_read_push(&p, body, strlen(body)),
			 TEND_EPARSE);
	if (!strstr(tend_error_last(), msg))
		fail_msg("'%s': got '%s', want '%s'", body, tend_error_last(),
			 msg);
	assert_null(p.ref);
	assert_int_equal(p.nr_urls, 0);
}

#define REPO "\"repository\": {\"clone_url\": \"https://h/x.git\"}"
#define SHA "\"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c\""

static void test_webhook__bad_push(void **state)
{
	(void)state;
	bad_push("", "not JSON (line 1");
	bad_push("{\"ref\": ", "not JSON (line 1, column 8)");
	bad_push("[1, 2]", "expected a JSON object");
	bad_push("\"refs/heads/main\"", "expected a JSON object");
	bad_push("{\"after\": " SHA ", " REPO "}", "no 'ref'");
	bad_push("{\"ref\": 7, \"after\": " SHA ", " REPO "}", "no 'ref'");
	bad_push("{\"ref\": \"main\", \"after\": " SHA ", " REPO "}",
		 "'ref' is not a full ref name");
	bad_push("{\"ref\": \"refs/heads/a\\nb\", \"after\": " SHA ", " REPO
		 "}", "'ref' is not a full ref name");
	bad_push("{\"ref\": \"refs/heads/main\", " REPO "}",
		 "'after' is not a commit id");
	bad_push("{\"ref\": \"refs/heads/main\", \"after\": \"0d1a26e\", "
		 REPO "}", "'after' is not a commit id");
	bad_push("{\"ref\": \"refs/heads/main\", \"after\": "
		 "\"zd1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c\", " REPO "}",
		 "'after' is not a commit id");
	bad_push("{\"ref\": \"refs/heads/main\", \"after\": " SHA "}",
		 "no repository URL");
	bad_push("{\"ref\": \"refs/heads/main\", \"after\": " SHA ", "
		 "\"repository\": {\"clone_url\": 3, \"ssh_url\": \"\"}}",
		 "no repository URL");
}

static void test_webhook__odd_push(void **state)
{
	/* "&payload=" inside a JSON string does not make it a form */
	static const char json[] = " {\"ref\": \"refs/heads/a&payload=b\", "
		"\"after\": \"0D1A26E67D8F5EAF1F6BA5C57FC3C7D91AC0FD1C\", "
		REPO "}";
	/* a repository in SHA-256 object format */
	static const char sha256[] = "{\"ref\": \"refs/heads/main\", "
		"\"after\": \"0000000000000000000000000000000000000000000000000"
		"000000000000000\", " REPO "}";
	struct webhook_push p;

	(void)state;
	assert_ok(webhook_read_push(&p, json, strlen(json)));
	assert_string_equal(p.ref, "refs/heads/a&payload=b");
	/* commit ids come out in lower case */
	assert_string_equal(p.after,
			    "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
	assert_false(p.deleted);
	webhook_push_release(&p);
	assert_ok(webhook_read_push(&p, sha256, strlen(sha256)));
	assert_int_equal(strlen(p.after), 64);
	assert_true(p.deleted);
	webhook_push_release(&p);
	webhook_push_release(NULL);
}

static void test_webhook__url_matches(void **state)
{
	static const struct {
		const char *a, *b;
		bool same;
	} cases[] = {
		{ "ssh://git@host/x.git", "git@host:x.git", true },
		{ "ssh://git@host/x.git", "https://host/x", true },
		{ "ssh://git@host/x.git", "https://host/x.git", true },
		{ "git@host:x.git", "https://host/x/", true },
		{ "git@host:group/sub/x.git", "https://host/group/sub/x",
		  true },
		{ "https://HOST.Example.org/x", "git@host.example.org:x.git",
		  true },
		{ "ssh://git@host:2222/x.git", "https://host/x", true },
		{ "https://user:pw@host:8443/x.git", "http://host/x", true },
		{ "git@host:/srv/x.git", "ssh://host/srv/x.git", true },
		{ "ssh://git@[::1]:2222/x.git", "git@[::1]:x.git", true },
		{ "git+ssh://git@host/x.git", "git://host/x", true },
		{ "https://host/x?ref=main", "https://host/x", true },
		/* different repositories */
		{ "ssh://git@host/x.git", "git@host:y.git", false },
		{ "ssh://git@host/x.git", "git@other:x.git", false },
		{ "ssh://git@host/x.git", "https://host/x2", false },
		{ "ssh://git@host/x.git", "https://host/g/x", false },
		{ "https://host/X", "https://host/x", false },
		{ "https://host/x.git.git", "https://host/x", false },
		{ "https://host.example/x", "https://host/x", false },
		/* nothing to match */
		{ "/srv/git/x.git", "/srv/git/x.git", false },
		{ "file:///srv/git/x.git", "file:///srv/git/x.git", false },
		{ "x.git", "x.git", false },
		{ "https://host", "https://host/", false },
		{ "https://host/.git", "https://host/", false },
		{ "https:///x", "https:///x", false },
		{ "git@:x.git", "git@:x.git", false },
		{ "", "", false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool ab = webhook_url_matches(cases[i].a, cases[i].b);
		bool ba = webhook_url_matches(cases[i].b, cases[i].a);

		if (ab != cases[i].same || ba != cases[i].same)
			fail_msg("'%s' vs '%s': got %d/%d, want %d",
				 cases[i].a, cases[i].b, ab, ba,
				 cases[i].same);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook__github_documented_vector),
		cmocka_unit_test(test_webhook__header_names_any_case),
		cmocka_unit_test(test_webhook__uppercase_hex),
		cmocka_unit_test(test_webhook__wrong_secret),
		cmocka_unit_test(test_webhook__body_changed),
		cmocka_unit_test(test_webhook__missing_header),
		cmocka_unit_test(test_webhook__malformed_signatures),
		cmocka_unit_test(test_webhook__no_secret_configured),
		cmocka_unit_test(test_webhook__gitea),
		cmocka_unit_test(test_webhook__gitea_without_github_header),
		cmocka_unit_test(test_webhook__forgejo),
		cmocka_unit_test(test_webhook__every_header_must_hold),
		cmocka_unit_test(test_webhook__gitlab_token),
		cmocka_unit_test(test_webhook__gitlab_tag_deleted),
		cmocka_unit_test(test_webhook__github_push),
		cmocka_unit_test(test_webhook__form_encoded),
		cmocka_unit_test(test_webhook__ping),
		cmocka_unit_test(test_webhook__events),
		cmocka_unit_test(test_webhook__bad_push),
		cmocka_unit_test(test_webhook__odd_push),
		cmocka_unit_test(test_webhook__url_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
