#ifndef TEND_PLAYBOOK_TIMING_H
#define TEND_PLAYBOOK_TIMING_H

/*
 * When something runs on its own: a cron expression in a time zone, or
 * an interval, with a random delay added to each start. tend daemon's
 * schedules (tend.yml) and a play's own `schedule:` key are read by the
 * same functions, so that both take the same words and give the same
 * errors (docs/config.md, docs/daemon.md).
 */

#include "tend/data/val.h"
#include "tend/util/cron.h"

#include <stdbool.h>

struct diags;

struct timing {
	bool has_cron;
	struct cron cron;
	char *cron_text;
	long long every;     /* seconds, when not cron; 0: neither */
	char *timezone;      /* NULL: UTC */
	long long jitter;    /* seconds: a random delay up to this */
};

/*
 * Read `cron`, `every`, `timezone` and `jitter` of dict `v` into *t
 * (zeroed first); every problem goes to `d` with its file:line:col,
 * `what` naming the owner ("schedule 'web'").
 */
void timing_load(struct timing *t, const struct val *v, const char *what,
		 struct diags *d);

/*
 * A play's `schedule:`: a cron expression or macro as a string
 * ("15 3 * * *", "@hourly"), or a dict of timing_load's keys. Returns
 * false (problems in `d`) when it is neither or gives no time.
 */
bool timing_load_play(struct timing *t, const struct val *v,
		      struct diags *d);

/*
 * Setting `key` of `dict` as a duration ("30s", "5m", "2h", "1d", or
 * seconds); `dflt` when absent. A bad one goes to `d`.
 */
long long timing_duration(const struct val *dict, const char *key,
			  long long dflt, struct diags *d);

/* Whether a and b start at the same times. */
bool timing_same(const struct timing *a, const struct timing *b);

void timing_release(struct timing *t);

#endif
