#ifndef TEND_WINDOWS_ANNOUNCE_H
#define TEND_WINDOWS_ANNOUNCE_H

/*
 * Standalone announcements: a message with no window around it, posted
 * through the providers that announce (flag WINDOW_ANNOUNCE and an
 * `announce` op: Slack, Mattermost, the webhook), each in its own wire
 * format. The one kind today is "drift": a scheduled `tend plan` (the
 * daemon's drift check) found hosts that a run would change.
 *
 *	struct window_announcement a = {
 *		.kind = "drift", .schedule = "web-drift",
 *		.playbook = "site.yml", .commit = sha, .run_id = 12,
 *		.hosts = val_dict_get(plan_json, "hosts"),
 *	};
 *	struct val *failed = NULL;
 *
 *	if (window_announce(&failed, &cfg->maintenance, &a) < 0)
 *		log each of `failed`; the run itself is not affected
 *	val_unref(failed);
 *
 * PagerDuty's provider opens maintenance windows and announces nothing
 * (its `announce` op is NULL), and so does Alertmanager's: drift never
 * pages anyone (docs/windows.md, "Drift announcements").
 */

#include "tend/util/buf.h"
#include "tend/windows/window.h"

struct window_announcement {
	const char *kind;       /* "drift" (required) */
	const char *schedule;   /* the daemon's schedule, or NULL */
	const char *playbook;   /* or NULL */
	const char *commit;     /* the source commit, or NULL */
	/*
	 * The source's checkout (source_fetch's tree), or NULL: a playbook
	 * or task file beneath it is shown relative to it ("site.yml"), as
	 * a run from --repo names its files by their path in the cache.
	 */
	const char *root;
	long long run_id;       /* the plan's run in the state DB; 0: none */
	/*
	 * The hosts, as the plan JSON's `hosts` (docs/plan-format.md): a
	 * list of dicts with `host` and `drift_tasks`, a list of {task,
	 * file, line, item}. Other keys are ignored, and so are hosts whose
	 * drift_tasks is empty: the plan's whole `hosts` may be passed.
	 * Borrowed.
	 */
	const struct val *hosts;
};

/*
 * Post `a` through every provider of `m` that has an `announce` op and
 * whose `announce:` setting (tend.yml, per provider, default true) is
 * not off. Nothing is posted when no host drifted. Each provider is
 * called with its own `timeout` and `retries`; one that fails does not
 * stop the others.
 *
 * *errors (required) is a new list, empty when all went well, of one
 * dict per failed provider: `type` (its `type:`), `index` (its place in
 * maintenance.providers, from 0) and `error` (the message: never a
 * secret, a Slack webhook URL is shown as its scheme and host only).
 * Returns 0 when every provider succeeded, else -1 with the error set to
 * "cannot announce drift: TYPE: why" of the first failure. An unknown
 * `kind` is -1 before any provider is called.
 */
int window_announce(struct val **errors, const struct maintenance_config *m,
		    const struct window_announcement *a);

/*
 * For the providers (runner/windows/<name>.c).
 *
 * window_announce_describe: the announcement as plain text (a provider
 * that needs markup escapes it, as Slack's does): "Drift on 2 hosts
 * (schedule web-drift, playbook site.yml @ 0123456789ab, plan run 12):"
 * then one line per drifted task, "HOST: TASK (item=ITEM) at FILE:LINE",
 * host by host, at most WINDOW_CHANGES_SHOWN lines, then "and N more".
 *
 * window_announce_to_val: the announcement as a dict, for JSON payloads
 * (a new reference): event (the kind), schedule, playbook, commit, run_id
 * (null when absent), hosts: [{host, tasks: [{task, file, line, item}]}]
 * with every drifted host and task (not capped).
 *
 * Both show the playbook and files relative to a->root when beneath it.
 *
 * window_announce_check: for a provider's `check`: its `announce:`
 * setting, when given, must be a bool (Ansible's boolean()); adds to d.
 */
void window_announce_describe(struct buf *out,
			      const struct window_announcement *a);
struct val *window_announce_to_val(const struct window_announcement *a);
void window_announce_check(const struct val *cfg, struct diags *d);

#endif
