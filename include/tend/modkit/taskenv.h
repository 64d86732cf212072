#ifndef TEND_MODKIT_TASKENV_H
#define TEND_MODKIT_TASKENV_H

/*
 * What a module that works in tend's own process on the task's behalf
 * (uri's request from the controller, get_url's fetch for a host with
 * no downloader) takes from the task's keywords, as the module would
 * see them in a process of its own, which is how Ansible runs it:
 *  - `environment:` (task_ctx.env): its proxy variables decide the
 *    request's proxy. tend's own environment is never changed (tasks
 *    run in threads that share it): the values go to libcurl per
 *    request (http_opts.proxy_env);
 *  - `timeout:` (task_ctx.deadline): the request ends by then
 *    (http_opts.max_ms), and the engine fails the task with Ansible's
 *    timeout message.
 */

#include "tend/net/http.h"
#include "tend/modkit/module.h"

struct taskenv_proxy {
	struct http_proxy_env env;
	/* the texts of the task's own values, wiped when released */
	char *own[4];
};
#define TASKENV_PROXY_INIT { { NULL, NULL, NULL, NULL }, { NULL } }

/*
 * The proxy variables of ctx's task, as curl reads them from an
 * environment made of the process's with the task's over it (http_proxy
 * in lower case only; https_proxy, all_proxy and no_proxy in lower case,
 * else upper case). Returns &out->env (borrowing from `out` and the
 * process's environment) when the task's environment names any of them,
 * else NULL: then libcurl reads the process's environment itself, which
 * is the same. `out` must be initialised with TASKENV_PROXY_INIT and
 * released with taskenv_proxy_release either way. The values may hold
 * credentials: never show them.
 */
const struct http_proxy_env *taskenv_proxy(struct taskenv_proxy *out,
					   const struct task_ctx *ctx);
void taskenv_proxy_release(struct taskenv_proxy *p);

/*
 * The milliseconds left of the task's `timeout:` (for http_opts.max_ms),
 * rounded up so that a request never ends before the deadline: 0 when
 * it has none, 1 once it ran out (the request then stops at once, and
 * the engine reports the timeout).
 */
long taskenv_time_left_ms(const struct task_ctx *ctx);

#endif
