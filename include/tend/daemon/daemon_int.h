#ifndef TEND_DAEMON_DAEMON_INT_H
#define TEND_DAEMON_DAEMON_INT_H

/*
 * What the daemon's files share: its state (one struct daemon, guarded
 * by `mu` wherever the HTTP thread may read it), the children it runs,
 * and the log.
 */

#include "tend/daemon/daemon.h"
#include "tend/daemon/dconfig.h"
#include "tend/data/val.h"

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

/* A schedule's state; survives a reload when its name does. */
struct dsched_state {
	char *name;
	time_t next;            /* next timed start, 0: none */
	char *pending;          /* a start waits (its trigger), or NULL */
	char *drift_hosts;      /* a drift apply waits: its --limit, or NULL */
	char *drift_commit;     /* the commit its plan checked, or NULL */
	pid_t running;          /* its child, 0: none */
	long long running_since;
	time_t last_start, last_end;
	double last_duration;
	char *last_status;      /* "ok", "failed", "error", "locked", ... */
	long long last_run_id;
	char *last_commit;
	char *last_error;       /* the last line a failed run printed */
	struct val *runs;       /* status -> count (a dict) */
	unsigned long long changed_total, skipped, lock_waits;
	long long hosts_drifted;
};

/* A git source's state. */
struct dsource_state {
	char *name;
	char *commit;           /* the commit runs use, or NULL */
	char *dir;              /* where `commit` was checked out */
	char *seen_dir;         /* where `seen` was */
	char *seen;             /* a newer commit settling (debounce) */
	time_t seen_at;
	time_t next_poll;
	bool fetch_now;         /* a webhook asked */
	pid_t fetching;
	unsigned long long fetches, fetch_failures;
	time_t last_fetch;
};

enum dchild_kind { DCHILD_RUN, DCHILD_FETCH };

struct dchild {
	pid_t pid;
	enum dchild_kind kind;
	char *name;             /* the schedule or source */
	char *trigger;          /* run: what started it */
	char *commit;           /* run: the commit it runs, or NULL */
	enum dmode mode;
	time_t started;
	char *out_path, *err_path;
	struct dchild *next;
};

/*
 * The daemon. Only the main thread changes it, and only under `mu`; the
 * HTTP thread reads it under `mu`. The main thread may read it without
 * the lock. Fields marked fixed are set before the HTTP thread starts
 * and never change.
 */
struct daemon {
	pthread_mutex_t mu;
	const struct daemon_opts *o;
	struct dconfig *cfg;
	char *config_path;      /* fixed: tend.yml, absolute */
	bool loopback, tls;     /* fixed: http.listen is loopback; https */
	char *exe;              /* this binary, for the children */
	char *state_path;
	char *tmp_dir;          /* the children's output */
	/* the API token's SHA-256 (the token itself is never kept) */
	unsigned char token_hash[32];
	bool has_token;
	struct dsched_state *sch;
	size_t sch_nr;
	struct dsource_state *src;
	size_t src_nr;
	struct dchild *children;
	size_t running;         /* runs (not fetches) in flight */
	struct val *drift;      /* host -> {schedule, run_id, since, tasks} */
	int wake[2];            /* the HTTP thread wakes the loop */
	time_t started;
	bool ready, stopping;
	unsigned long long reloads, reload_failures, http_denied, hooks;
	void *http;             /* struct MHD_Daemon */
	int port;               /* the port it listens on */
};

/* dlog.c: "TIME LEVEL [run=ID] message" lines on stderr, or JSON. */
enum { DLOG_INFO, DLOG_WARN, DLOG_ERROR };
void dlog_init(bool json);
void dlog(int level, long long run_id, const char *fmt, ...)
	TEND_PRINTF(3, 4);

/*
 * spawn.c: children. dspawn_run, dspawn_fetch and dspawn_signal are
 * called by the loop with d->mu held; dspawn_reap without it (it takes
 * it for each change of state, and does the state DB's writes and the
 * announcements outside it).
 */
/*
 * Start schedule s's run (st->running set), in `mode` (its own, or apply
 * for drift), on `limit` (NULL: the schedule's own), at `commit` (NULL:
 * its source's current one).
 */
int dspawn_run(struct daemon *d, struct dsched_state *st,
	       const struct dschedule *s, const char *trigger,
	       enum dmode mode, const char *limit, const char *commit);
int dspawn_fetch(struct daemon *d, struct dsource_state *st,
		 const struct dsource *s);
/* Reap every child that ended; the loop's part of each. */
void dspawn_reap(struct daemon *d);
/* Send `sig` to every child. */
void dspawn_signal(struct daemon *d, int sig);

/* daemon.c: state lookups (with d->mu held). */
struct dsched_state *daemon_sched(struct daemon *d, const char *name);
struct dsource_state *daemon_source(struct daemon *d, const char *name);
/* Ask for schedule `name` to start now (trigger: "api"). */
int daemon_request_run(struct daemon *d, const char *name,
		       const char *trigger);
/* A source's commits are to be fetched now (a webhook). */
void daemon_request_fetch(struct daemon *d, struct dsource_state *st);

/* api.c: the HTTP server. */
int dapi_start(struct daemon *d);
void dapi_stop(struct daemon *d);

/* metrics.c: Prometheus's text format, with d->mu held. */
struct buf;
void dmetrics_write(struct buf *out, struct daemon *d, long long windows);
/* Maintenance windows open now (from the state DB; -1: unknown). */
long long dmetrics_open_windows(const struct daemon *d);

#endif
