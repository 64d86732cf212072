#ifndef TEND_DATA_RESULT_H
#define TEND_DATA_RESULT_H

/*
 * What a run did: one event per task (or loop item) per host, and counts
 * per host. The executor (engine/run.h) fills a run_result; the state DB,
 * saved plans and reports read it. Plain data: no I/O here.
 */

#include "tend/util/error.h"

struct buf;
struct val;

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
	 * A failed task's rc, stdout and stderr as the text output shows
	 * them (result_detail_text: in full with -v, else each output's
	 * tail), scrubbed of secrets; NULL under no_log or when its result
	 * has none of them.
	 */
	char *detail;
	/*
	 * The same for the state DB: result_detail_json's {"rc", "stdout",
	 * "stderr"}, each output's tail; NULL when detail is.
	 */
	char *detail_json;
	/*
	 * The task's result as `register` stores it, as compact JSON
	 * (secrets masked, scrubbed as msg is), or NULL: under no_log, and
	 * for events no module call made (an include, facts gathering).
	 */
	char *result;
	/*
	 * -vvv, as ansible-playbook's: the result with the module's
	 * arguments as "invocation": {"module_args": ...}, masked and
	 * scrubbed as result is; NULL below -vvv and where result is NULL.
	 */
	char *verbose_result;
	/*
	 * -vvvv: what the connections this event's call opened are
	 * (transport.h's `detail`), shown before its status line; or NULL.
	 */
	char *conn_detail;
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

/*
 * A failure's output: how much of it the text output shows without -v
 * and the state DB keeps. An output within both limits is kept whole.
 */
#define RESULT_TAIL_LINES 10
#define RESULT_TAIL_BYTES 2000

/*
 * Append the tail of `text` (len bytes): its last RESULT_TAIL_LINES
 * lines, at most RESULT_TAIL_BYTES of them (cut where a UTF-8 character
 * starts), after a line that says what was left out: "[490 lines (9800
 * bytes) left out]", or with `hint` "[...left out; HINT]". A text within
 * both limits is appended whole, with no such line.
 */
void result_output_tail(struct buf *out, const char *text, size_t len,
			const char *hint);

/*
 * A failure's detail as text, one "KEY: VALUE" per key of `d` that has
 * one ("rc: 3\nstdout: out\nstderr: err"; null values left out; an
 * output of several lines goes on over the next lines). d holds some of
 * "rc", "stdout", "stderr" (strings scrubbed of secrets by the caller).
 * With `tail`, each string is its result_output_tail with the hint that
 * -v shows all. Nothing is escaped: the report escapes for a terminal.
 */
void result_detail_text(struct buf *out, const struct val *d, bool tail);

/*
 * A failure's detail as the state DB keeps it: compact JSON {"rc": ...,
 * "stdout": ..., "stderr": ...}, each string its result_output_tail (no
 * hint), bytes that are not UTF-8 as U+FFFD (so that any JSON reader
 * reads it back), a key `d` lacks as null. The caller frees it.
 */
char *result_detail_json(const struct val *d);

/* Free what *r holds and zero it. */
void run_result_release(struct run_result *r);
/* Free what one event holds; it is left zeroed. */
void run_event_release(struct run_event *ev);

/*
 * "ok", "changed", "unknown", "skipped", "failed", "unreachable" (a plan
 * says "change" for changed). A static string.
 */
const char *event_status_name(enum event_status s, enum run_mode mode);

#endif
