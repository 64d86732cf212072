#ifndef TEND_MODKIT_OWNER_H
#define TEND_MODKIT_OWNER_H

#include <stdbool.h>

struct buf;
struct task_ctx;

/*
 * Who owns what a provisioning module creates (lxd_instance): the
 * playbook, play and task that created it, kept with it, so that an
 * apply of that playbook can retire it once it has expired even after
 * its task was removed (the expiry sweep, docs/provisioning.md).
 */

/*
 * The run's playbook as an owner, into `out`: beneath a git source's
 * checkout, its path there (the same for every commit); else its real
 * path (the same from any directory).
 */
void owner_playbook(struct buf *out, const struct task_ctx *ctx);

/*
 * Whether a thing recorded as created by (`playbook`, `play`, `task`),
 * expiring at `expires_at` (isotime; NULL: never), is an expired orphan
 * of this run's playbook (`owner`, as owner_playbook gives it: worked
 * out once by the caller, not per thing) that the task `ctx` of `module`
 * sweeps: its playbook is this one, the expiry has passed, and no task of the
 * playbook names it any more: its owner task is gone from the playbook,
 * or is this one (which no longer names it; only if no other task of
 * the play has the same name: two unnamed tasks are not told apart). An
 * owner task that is still there deals with it itself. *exp gets the
 * expiry (epoch s).
 */
bool owner_expired_orphan(long long *exp, const struct task_ctx *ctx,
			  const char *owner, const char *module,
			  const char *playbook, const char *play,
			  const char *task, const char *expires_at,
			  long long now);

/*
 * Claims: which task of a run deals with something no task names (an
 * expired orphan that several tasks see). The first task to claim a key
 * keeps it for the rest of the process (one run): a plan and its apply
 * give it to the same task, since they run the tasks in the same order.
 * `who` is the task's identity (task_ctx.task_key). Thread-safe. True
 * if `who` holds `key` now (it was free, or already `who`'s).
 */
bool owner_claim(const char *key, const void *who);

#endif
