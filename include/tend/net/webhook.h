#ifndef TEND_WEBHOOK_H
#define TEND_WEBHOOK_H

/*
 * Git hosting webhooks, as the daemon's `POST /hooks/git` receives them:
 * whether a request proves the shared secret and who sent it
 * (webhook_verify), what event it announces (webhook_event), and, for a
 * push, which ref moved to which commit in which repository
 * (webhook_read_push, webhook_url_matches). Nothing here does I/O; the
 * caller hands over the headers and the body as they arrived.
 *
 * Senders and what proves the secret:
 *
 *	GitHub	X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>
 *	Gitea	X-Gitea-Signature: <hex HMAC-SHA256(secret, body)>
 *		(Forgejo sends the same as X-Forgejo-Signature; both are
 *		Gitea here)
 *	GitLab	X-Gitlab-Token: <secret>
 *
 * Every comparison runs in constant time, and no message ever holds the
 * secret, the expected digest or the token that was sent.
 */

enum webhook_sender {
	WEBHOOK_GITHUB = 1,
	WEBHOOK_GITEA,
	WEBHOOK_GITLAB,
};

/* "GitHub", "Gitea", "GitLab": the sender's name for logs. */
const char *webhook_sender_name(enum webhook_sender sender);

/*
 * How webhook_verify() and webhook_event() read a request's headers: the
 * value of the header `name` ("X-Hub-Signature-256"), or NULL if the
 * request has none. Header names are case-insensitive, as HTTP's are:
 * the callback must find "x-hub-signature-256" when asked for
 * "X-Hub-Signature-256" (libmicrohttpd's MHD_lookup_connection_value
 * does). The value is borrowed and must live until the call returns.
 */
typedef const char *(*webhook_header_fn)(const char *name, void *payload);

/*
 * Check that the request (`header` with its `payload`, and the raw body
 * of `len` bytes, exactly as received) was sent by a hook that knows
 * `secret`, and say which sender it was.
 *
 * The rule when a request carries more than one sender's header: every
 * one of the headers above that is present must prove the secret, and
 * the sender is named by the most specific one: X-Gitea-Signature or
 * X-Forgejo-Signature makes it Gitea (Gitea also sends
 * X-Hub-Signature-256, with the same digest), else X-Hub-Signature-256
 * makes it GitHub, else it is GitLab.
 * So a forged header beside a good one is still refused, and the weakest
 * proof never stands in for a stronger one that failed. A header that is
 * present but empty (what Gitea sends when its hook has no secret) fails.
 * Hex digests are read in either case; a digest of the wrong length or
 * with other characters is a bad signature.
 *
 * Returns 0 and sets *out; TEND_EREFUSED with a message that names the
 * header and what was wrong with it ("no signature header", "bad
 * signature in X-Gitea-Signature", ...); or -1 when `secret` is NULL or
 * empty (a configuration error: no request can prove an empty secret).
 */
int webhook_verify(enum webhook_sender *out, webhook_header_fn header,
		   void *payload, const char *body, size_t len,
		   const char *secret);

enum webhook_event {
	/* anything else (issues, merge requests, ...): nothing to fetch */
	WEBHOOK_EVENT_OTHER = 0,
	/* a branch or tag moved: read it with webhook_read_push() */
	WEBHOOK_EVENT_PUSH,
	/* GitHub's ping when a hook is created: answer 200, fetch nothing */
	WEBHOOK_EVENT_PING,
};

/*
 * The event a request from `sender` announces, read from X-GitHub-Event
 * ("push", "ping"), X-Gitea-Event ("push"; else X-Forgejo-Event, else
 * X-GitHub-Event) or X-Gitlab-Event ("Push Hook", "Tag Push Hook"). Sets
 * *name to the header's value (borrowed from the callback, NULL if the
 * header is missing, then the event is OTHER). Gitea's and GitLab's
 * "test delivery" buttons send an ordinary push event.
 * NEEDSWORK: GitLab's "System Hook" events, which can also be pushes,
 * count as OTHER.
 */
enum webhook_event webhook_event(const char **name,
				 enum webhook_sender sender,
				 webhook_header_fn header, void *payload);

/* The most URLs a push names for its repository (see webhook_read_push) */
#define WEBHOOK_PUSH_URLS_MAX 9

/*
 * What a push event says. All strings are owned by the struct and freed
 * by webhook_push_release().
 */
struct webhook_push {
	char *ref;   /* "refs/heads/main", "refs/tags/v1" */
	char *after; /* the ref's new commit: 40 (or 64) lower-case hex */
	bool deleted; /* the push deleted the ref (`after` is all zeros) */
	/* the repository's URLs, as announced, each once */
	char *urls[WEBHOOK_PUSH_URLS_MAX];
	size_t nr_urls;
};

#define WEBHOOK_PUSH_INIT { NULL, NULL, false, { NULL }, 0 }

/*
 * Read the body of a push event (`len` bytes; any sender): `ref`,
 * `after`, and the repository's URLs from whichever of these it has:
 * repository.clone_url, .ssh_url, .html_url (GitHub, Gitea);
 * repository.git_http_url, .git_ssh_url, .homepage and
 * project.git_http_url, .git_ssh_url, .web_url (GitLab). The body is
 * JSON, or the form `payload=<URL-encoded JSON>` that GitHub and Gitea
 * send when the hook's content type is application/x-www-form-urlencoded.
 *
 * `out` is overwritten (it need not be initialized). Returns 0, or
 * TEND_EPARSE with a message saying what the body lacks (not JSON, no
 * 'ref', an 'after' that is not a commit id, no repository URL); `out`
 * then holds nothing to release.
 */
int webhook_read_push(struct webhook_push *out, const char *body, size_t len);

/* Free the strings of `p` and leave it empty. NULL-safe. */
void webhook_push_release(struct webhook_push *p);

/*
 * Do `configured` (a source's url in tend.yml) and `announced` (one of a
 * push's URLs) name the same repository? Both are reduced to a host,
 * compared without regard to case, and a path without leading and
 * trailing slashes and without a final ".git", compared exactly; the
 * scheme, the user and the port do not count. So `ssh://git@host/x.git`,
 * `git@host:x.git`, `https://host/x` and `https://host/x.git` are one
 * repository. A local path or a URL with no host or no path matches
 * nothing.
 */
bool webhook_url_matches(const char *configured, const char *announced);

/* Does any of the push's URLs match `configured` (webhook_url_matches)? */
bool webhook_push_concerns(const struct webhook_push *p,
			   const char *configured);

#endif
