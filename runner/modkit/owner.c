/*
 * Owners of provisioned things and the expiry sweep's rules
 * (modkit/owner.h).
 */

#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/owner.h"
#include "tend/util/buf.h"
#include "tend/util/isotime.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

void owner_playbook(struct buf *out, const struct task_ctx *ctx)
{
	const char *p = ctx->playbook ? ctx->playbook : "";
	size_t n = ctx->root ? strlen(ctx->root) : 0;
	char real[PATH_MAX];

	if (n && !strncmp(p, ctx->root, n) && p[n] == '/')
		buf_sets(out, p + n + 1);
	else
		buf_sets(out, *p && realpath(p, real) ? real : p);
}

bool owner_expired_orphan(long long *exp, const struct task_ctx *ctx,
			  const char *owner, const char *module,
			  const char *playbook, const char *play,
			  const char *task, const char *expires_at,
			  long long now)
{
	size_t n;

	if (!playbook || strcmp(playbook, owner) || !expires_at || isotime_parse(exp, expires_at) < 0) {
		tend_error_clear();
		return false;
	}
	if (*exp > now)
		return false;
	play = play ? play : "";
	task = task ? task : "";
	/* (no way to ask: as if it were there) */
	if (!ctx->engine || !ctx->engine->count_tasks)
		return false;
	n = ctx->engine->count_tasks(play, task, module, ctx->engine_data);
	/* gone; or this task, the only one of that name, no longer names it */
	return n == 0 || (n == 1 && !strcmp(play, ctx->play ? ctx->play : "") &&
			  !strcmp(task, ctx->task ? ctx->task : ""));
}

/* key -> the task that claimed it first: a run claims a handful at most */
struct claim {
	char *key;
	const void *who;
};

static pthread_mutex_t claims_lock = PTHREAD_MUTEX_INITIALIZER;
static struct claim *claims;
static size_t claims_nr, claims_alloc;

bool owner_claim(const char *key, const void *who)
{
	bool mine = true;
	size_t i;

	pthread_mutex_lock(&claims_lock);
	for (i = 0; i < claims_nr && strcmp(claims[i].key, key); i++)
		;
	if (i < claims_nr) {
		mine = claims[i].who == who;
	} else {
		ALLOC_GROW(claims, claims_nr + 1, claims_alloc);
		claims[claims_nr].key = xstrdup(key);
		claims[claims_nr++].who = who;
	}
	pthread_mutex_unlock(&claims_lock);
	return mine;
}
