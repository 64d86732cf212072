#ifndef TEND_DATA_RESULT_H
#define TEND_DATA_RESULT_H

/*
 * What a run did: one event per task (or loop item) per host, and counts
 * per host. The executor (engine/run.h) fills a run_result; the state DB,
 * saved plans and reports read it. Plain data: no I/O here.
 */

#include "tend/util/error.h"

enum run_mode {
	RUN_PLAN,
	RUN_APPLY,
};

/* What happened to one task (or one loop item) on one host. */
enum event_status {
	EV_OK,
	EV_CHANGED,     /* apply: changed; plan: would change */
	EV_UNKNOWN,     /* plan: cannot know without running it */
	EV_SKIPPED,     /* `when` was false */
	EV_FAILED,
	EV_UNREACHABLE,
};

struct run_event {
	char *play;         /* play name (borrowed from the run's play list) */
	char *task;         /* display name of the task (its name rendered,
			       as Ansible shows it) */
	const void *src;    /* the task that made it (NULL: facts), for
			       the executor */
	char *module;       /* action name */
	struct srcpos pos;  /* where the task is written */
	char *host;
	char *delegate;     /* the host it ran on (delegate_to), or NULL */
	enum event_status status;
	bool ignored;       /* failed, but ignore_errors */
	bool changed;       /* an ignored failure whose result says changed
			       (Ansible counts it ok, or changed, too) */
	bool rescued;       /* failed inside a block that had a rescue */
	bool handler;
	char *label;        /* loop item label, or NULL */
	char *diff;         /* unified diff, or NULL */
	char *changes;      /* attribute changes, one per line, or NULL */
	char *msg;          /* message (error, debug output...), or NULL */
	/*
	 * With -v, a failed task's rc, stdout and stderr ("rc: 3\nstdout:
	 * ...\nstderr: ..."), scrubbed of secrets; else NULL.
	 */
	char *detail;
	/*
	 * The task's result as `register` stores it, as compact JSON
	 * (secrets masked, scrubbed as msg is), or NULL: under no_log, and
	 * for events no module call made (an include, facts gathering).
	 */
	char *result;
	double seconds;
	/*
	 * SHA-256 (hex) of what the check observed: its outcome, attribute
	 * changes and diff. Equal fingerprints at plan and at apply time
	 * mean the host is as the plan saw it. Empty when no check ran.
	 */
	char fingerprint[65];
	/*
	 * What a provisioning module observed (check_result.observed), as
	 * one "DIGEST LABEL" line per thing it judged, in its order: the
	 * SHA-256 (hex) of the thing's canonical text, then its label ("lxd
	 * instance web-02"); covered by `fingerprint`. NULL when the module
	 * reports none.
	 */
	char *observed;
	/*
	 * SHA-256 (hex) of what the task runs: its rendered arguments, the
	 * user it becomes and the host's connection variables, each secret
	 * as its Argon2id digest (engine/run.c run_args_fingerprint). Only
	 * when the run has a saved plan's hasher, else empty.
	 */
	char args_fingerprint[65];
};

struct host_stats {
	char *host;
	unsigned int ok, changed, unknown, failed, skipped, unreachable,
		rescued, ignored;
};

struct run_result {
	struct run_event *events;
	size_t nr, alloc;
	struct host_stats *hosts; /* in the order hosts first appear */
	size_t hosts_nr, hosts_alloc;
	unsigned long round_trips; /* transport calls made, all hosts */
	bool interrupted;
};

/* Free what *r holds and zero it. */
void run_result_release(struct run_result *r);

/*
 * "ok", "changed", "unknown", "skipped", "failed", "unreachable" (a plan
 * says "change" for changed). A static string.
 */
const char *event_status_name(enum event_status s, enum run_mode mode);

#endif
