#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/net/http.h"
#include "tend/modkit/module.h"
#include "tend/modkit/taskenv.h"

#include <sodium.h>
#include <time.h>

/* The names curl reads, in the order it tries them, per slot of env. */
static const char *const proxy_names[4][3] = {
	{ "http_proxy", NULL },
	{ "https_proxy", "HTTPS_PROXY", NULL },
	{ "all_proxy", "ALL_PROXY", NULL },
	{ "no_proxy", "NO_PROXY", NULL },
};

/*
 * Variable `name` of the task's environment over the process's: the
 * task's text (kept in *own), the process's value, or NULL.
 */
static const char *lookup(char **own, const struct val *env, const char *name)
{
	const struct val *v = val_dict_get(env, name);
	struct buf b = BUF_INIT;

	if (!v)
		return getenv(name);
	/* as the command's environment would hold it (run_env_prelude) */
	val_to_text(&b, v);
	*own = buf_detach(&b, NULL);
	return *own;
}

const struct http_proxy_env *taskenv_proxy(struct taskenv_proxy *out,
					   const struct task_ctx *ctx)
{
	const char **slot[4] = { &out->env.http, &out->env.https,
				 &out->env.all, &out->env.no };
	bool named = false;

	if (!ctx->env || !val_is(ctx->env, VAL_DICT))
		return NULL;
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; proxy_names[i][j]; j++)
			named = named || val_dict_get(ctx->env,
						      proxy_names[i][j]);
	if (!named)
		return NULL;
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; proxy_names[i][j] && !*slot[i]; j++)
			*slot[i] = lookup(&out->own[i], ctx->env,
					  proxy_names[i][j]);
	return &out->env;
}

void taskenv_proxy_release(struct taskenv_proxy *p)
{
	for (size_t i = 0; i < 4; i++) {
		if (p->own[i]) {
			/* a proxy URL may carry user:password@ */
			sodium_memzero(p->own[i], strlen(p->own[i]));
			free(p->own[i]);
		}
		p->own[i] = NULL;
	}
	memset(&p->env, 0, sizeof(p->env));
}

long taskenv_time_left_ms(const struct task_ctx *ctx)
{
	struct timespec ts;
	double now, left;

	if (ctx->deadline <= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	left = (ctx->deadline - now) * 1000.0;
	/*
	 * Rounded up: the request must not end before the deadline, which
	 * is when the engine sees the task's time as up and says so.
	 */
	/* (capped at 1e12 ms, 31 years: no overflow, and no comparison
	 * with LONG_MAX, which a double cannot hold exactly) */
	return left < 1 ? 1 : left > 1e12 ? 1000000000000L : (long)left + 1;
}
