#include "tend/common.h"
#include "tend/daemon/daemon_int.h"

#include <unistd.h>

/*
 * The daemon's state as the loop, the children and the HTTP thread look
 * it up (callers hold d->mu), and the requests the HTTP thread makes of
 * the loop: each sets what is wanted and wakes the loop through its pipe.
 */

struct dsched_state *daemon_sched(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->sch_nr; i++)
		if (d->sch[i].name && !strcmp(d->sch[i].name, name))
			return &d->sch[i];
	return NULL;
}

struct dsource_state *daemon_source(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->src_nr; i++)
		if (d->src[i].name && !strcmp(d->src[i].name, name))
			return &d->src[i];
	return NULL;
}

static void wake(struct daemon *d)
{
	if (write(d->wake[1], "w", 1) < 0) {
		/* full: a wake is already pending */
	}
}

int daemon_request_run(struct daemon *d, const char *name,
		       const char *trigger)
{
	struct dsched_state *st = daemon_sched(d, name);
	const struct dschedule *s = dconfig_schedule(d->cfg, name);

	if (!st || !s)
		return tend_error_set_code(TEND_ENOTFOUND, "no schedule "
					   "named '%s'", name);
	if (d->stopping)
		return tend_error_set("the daemon is stopping");
	if (st->running && s->overlap == DOVERLAP_SKIP)
		return tend_error_set_code(TEND_EREFUSED, "schedule '%s' is "
					   "running (pid %d) and its overlap "
					   "policy is skip", name,
					   (int)st->running);
	if (!st->pending)
		st->pending = xstrdup(trigger);
	wake(d);
	return 0;
}

void daemon_request_fetch(struct daemon *d, struct dsource_state *st)
{
	st->fetch_now = true;
	wake(d);
}
