#ifndef TEND_WINDOW_INT_H
#define TEND_WINDOW_INT_H

/*
 * Shared by runner/window.c and the providers in runner/windows/: what a
 * provider needs to talk about a window. Not for other callers.
 */

#include "tend/util/buf.h"
#include "tend/net/http.h"
#include "tend/windows/window.h"

/* RFC 3339 in UTC with milliseconds: "2024-06-05T12:00:00.000Z". */
void window_fmt_time(struct buf *out, time_t t);

/* xstrdup(s), or NULL for NULL. */
char *window_dup_or_null(const char *s);

/* t as people read it in messages: "2024-06-07 16:00 UTC". */
void window_fmt_minute(struct buf *out, time_t t);

/* Parse RFC 3339 (UTC "Z" or an offset; fraction ignored). */
int window_parse_time(time_t *out, const char *s);

/* The provider's `timeout` and `retries` settings as http_opts. */
void window_http_opts(struct http_opts *out, const struct val *cfg);

/*
 * The announcement before a run (what, where, when, expected duration,
 * commit, plan), after it (w->result: status, counts, duration), and the
 * one-line status of a run in progress (`status`, may be NULL).
 */
void window_describe_start(struct buf *out, const struct window *w);
void window_describe_end(struct buf *out, const struct window *w);
void window_describe_progress(struct buf *out, const struct window *w,
			      const char *status);

/*
 * The window as a dict (id, run_id, hosts, starts_at, ends_at (RFC 3339),
 * playbook, commit, user, reason, plan, and result when closing), for
 * JSON payloads. A new reference.
 */
struct val *window_to_val(const struct window *w);

/*
 * "Authorization: <prefix><secret>" (prefix "Bearer " or "Token token=")
 * from secret setting `name` of cfg into `out` (wipe it with
 * buf_release_secret). Returns 0, TEND_ENOTFOUND (no error set) if the
 * setting is absent, or -1.
 */
int window_auth_header(struct buf *out, const struct val *cfg,
		       const char *name, const char *prefix);

#endif
