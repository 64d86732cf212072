#ifndef TEND_REPORT_H
#define TEND_REPORT_H

/*
 * Reports: what a plan or an apply did, for people (text, colour on a
 * TTY) and for programs (JSON, documented in docs/plan-format.md).
 * Everything is written to a struct buf; the CLI prints it to stdout.
 */

#include "tend/util/buf.h"
#include "tend/data/result.h"
#include "tend/data/val.h"

struct report_opts {
	enum run_mode mode;
	const char *playbook;
	bool color;
	bool diff;       /* apply: show diffs (plans always do) */
	/*
	 * -v: each task's result after its line; -vv: the task's path
	 * under its banner (as ansible-playbook; -vvv's connection lines
	 * come from the engine)
	 */
	int verbosity;
	const char *commit;  /* source commit, or NULL */
	const char *subject; /* its subject, or NULL */
	const char *author;  /* its author, or NULL */
	const char *source;  /* repository URL, or NULL */
	const char *ref;     /* the ref asked for, or NULL */
	long long run_id;    /* the run's record, or 0 */
	/* apply: the waits for host locks (engine/hostlock.h), for JSON */
	unsigned long lock_waits;
	double lock_wait_seconds;
};

/* The plan, grouped by host, then the summary line. */
void report_plan_text(struct buf *out, const struct run_result *r,
		      const struct report_opts *o);

/* "Plan: 3 to change, 12 ok, 1 unknown on 2 hosts." (no newline) */
void report_plan_summary(struct buf *out, const struct run_result *r);

/*
 * The version of every JSON document tend prints (plan and apply
 * --format json, history, show, resources, window list, errors):
 * docs/plan-format.md. 2: one status vocabulary ("changed" in a plan too,
 * "failed" in stats), flags as booleans, history and show versioned.
 */
#define REPORT_JSON_FORMAT 2

/* The JSON document of a plan or apply (format_version 2). */
void report_json(struct buf *out, const struct run_result *r,
		 const struct report_opts *o);

/*
 * Markdown for a pull-request comment: the summary, the source commit,
 * then one collapsible <details> per host with its changes and diffs.
 */
void report_markdown(struct buf *out, const struct run_result *r,
		     const struct report_opts *o);

/*
 * JUnit XML: one <testsuite> per host, one <testcase> per task (and loop
 * item); failed and unreachable are <failure>s, skipped are <skipped/>,
 * diffs go to <system-out>.
 */
void report_junit(struct buf *out, const struct run_result *r,
		  const struct report_opts *o);

/* Live apply output, one event at a time (Ansible's layout). */
struct live_report {
	const struct report_opts *o;
	FILE *f;
	const char *last_task;
	struct srcpos last_pos;
	bool last_handler;
};
void report_live_play(struct live_report *lr, const char *play_name,
		      size_t hosts);
void report_live_event(struct live_report *lr, const struct run_event *ev);

/*
 * Each line of `text` after `pad`, control characters escaped for a
 * terminal as every text report escapes host output: for `tend show`.
 */
void report_text_lines(struct buf *out, const char *text, const char *pad);

/* PLAY RECAP: one line per host with its counts. */
void report_recap(struct buf *out, const struct run_result *r,
		  const struct report_opts *o);

#endif
