#ifndef TEND_STORE_BACKEND_H
#define TEND_STORE_BACKEND_H

/*
 * What every store backend (store.h "struct store_ops") shares, so that
 * each records the same things the same way. For runner/store/ backends
 * only; callers use store.h.
 */

#include "tend/util/buf.h"
#include "tend/data/result.h"

/* Now as ISO 8601 UTC, "2024-06-05T12:00:00Z" (n >= 21). */
void backend_now_iso(char *out, size_t n);

/* This machine's name: the `controller` of runs, windows and locks. */
void backend_host(char *out, size_t n);

/* The effective user's login name (borrowed, static), or NULL. */
const char *backend_user(void);

/*
 * What a diff changed, never what it says: "+3 -1 lines" (header lines
 * "+++"/"---" not counted).
 */
void backend_diff_summary(struct buf *out, const char *diff);

/*
 * Whether process `pid` that machine `controller` recorded may still
 * run, asked on machine `host`: another machine's process may (nothing
 * here can tell); one of ours if it exists (kill(pid, 0)). A pid <= 0
 * is not alive.
 */
bool backend_process_alive(long long pid, const char *controller,
			   const char *host);

/* The counts of all hosts of `r` (NULL: zeros) summed into *out. */
void backend_run_totals(struct host_stats *out, const struct run_result *r);

#endif
