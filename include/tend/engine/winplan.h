#ifndef TEND_ENGINE_WINPLAN_H
#define TEND_ENGINE_WINPLAN_H

/*
 * What a maintenance window covers, from a read-only plan pass: the hosts
 * whose plan says they will change, and the tasks that say so, for the
 * announcements. Used by job.c before an apply (a plan pass of its own,
 * or the check of a saved plan).
 *
 * A host gets a window when its plan has a `change`, a check that failed
 * or the host did not answer (the apply may get further there), or an
 * `unknown` task (it will run there) unless `unknown` is
 * WINDOW_UNKNOWN_IGNORE. A host whose plan is all ok or skipped gets none:
 * a no-op apply opens no window and announces nothing.
 */

#include "tend/util/buf.h"
#include "tend/data/result.h"
#include "tend/windows/window.h"

struct winplan {
	/*
	 * The window hosts: host -> the list of hosts its delegated tasks
	 * (delegate_to) change, which its batch's window covers too.
	 */
	struct val *hosts;
	/*
	 * The tasks of those hosts that are not ok, grouped by host in the
	 * order the hosts first appear, each task once per host and status:
	 * the list window_opts.changes takes.
	 */
	struct val *changes;
	/* "3 changes, 1 unknown on 2 hosts" */
	struct buf summary;
};

/* Fill *out (caller-owned; release with winplan_release) from plan `r`. */
void winplan_build(struct winplan *out, const struct run_result *r,
		   enum window_unknown unknown);

void winplan_release(struct winplan *wp);

#endif
