/*
 * One module call (one loop item): render, normalize, check through a
 * read-only transport, apply, changed_when/failed_when, record.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/engine/run_int.h"
#include "tend/lang/template.h"
#include "tend/transport/table.h"
#include "tend/data/truth.h"
#include "tend/util/interrupt.h"

#include <time.h>

/* ---- one module call (one loop item) ---- */

/* One module call in progress: what its steps share. */
struct call {
	struct hostctx *hc;
	const struct task *t;
	const struct varstack *vs;
	const struct val *loopvars;
	const char *label;
	struct scopes *ss;
	const struct scope *sc;
	struct val *args, *norm, *result;
	struct check_result cr;
	struct apply_result ar;
	struct diags d;
	struct transport *ro;
	struct transport *tx; /* what apply runs on (the host's, or a view) */
	struct transport *envt; /* the environment view, owned, or NULL */
	struct transport *tmt;  /* the timeout view, owned, or NULL */
	long long timeout;      /* the task's timeout (seconds), or 0 */
	long long async_val, poll; /* the task's async (0: not) and poll */
	char *async_dir;          /* ansible_async_dir rendered, or NULL */
	struct transport *job_tx; /* async: where its job's keys are asked */
	char *delegate;       /* the host the task is delegated to, or NULL */
	char *become_user;    /* become_user rendered, or NULL */
	struct val *env;      /* the rendered environment, or NULL */
	struct engine_data ed;
	struct task_ctx ctx;
	enum event_status st;
	struct buf msg;
	size_t check_msg_at; /* where the check's own message starts in msg */
	struct val *secrets;
	char args_fp[65]; /* run_args_fingerprint, or empty */
	bool failed, changed;
	bool result_unknown; /* plan: ok, but its result is known at apply */
	bool ends_loop; /* failed on a template (run_exec_once) */
	double t0;
	size_t ev0; /* the host's event count before this call */
};

/* Where a step sends the call next. */
enum call_next {
	CALL_GO,          /* on to the next step */
	CALL_EVENT,       /* record the event (ok, changed, unreachable) */
	CALL_UNKNOWN,     /* record it as unknown */
	CALL_FAIL,        /* record a failure ("changed" false) */
	CALL_FAIL_RESULT, /* record a failure, the result as it is */
	CALL_OUT,         /* done, already recorded (skipped) */
};

/* The task's `when`: skipped, unknown, an error, or on. */
static enum call_next call_when(struct call *c)
{
	const char *false_cond = NULL;
	bool cond;
	int error;

	if ((error = run_eval_when(&cond, c->hc, c->t->when, c->sc,
				   &false_cond)) < 0) {
		if (run_plan_unknown(c->hc, error)) {
			c->st = EV_UNKNOWN;
			run_unknown_why(&c->msg, c->hc, c->t);
			return CALL_UNKNOWN;
		}
		buf_addf(&c->msg, "error in 'when': %s", tend_error_last());
		c->ends_loop = true; /* any error, in Ansible's Conditional */
		return CALL_FAIL;
	}
	if (!cond) {
		run_add_event(c->hc, c->t, EV_SKIPPED, c->label, NULL);
		val_dict_set_bool(c->result, "changed", false);
		val_dict_set_bool(c->result, "skipped", true);
		val_dict_set_str(c->result, "skip_reason",
				 "Conditional result was False");
		if (false_cond)
			val_dict_set_str(c->result, "false_condition", false_cond);
		return CALL_OUT;
	}
	return CALL_GO;
}

/*
 * become_user, rendered in the call's scope as Ansible templates it (a
 * name without a template as it is): into c->become_user.
 */
static int call_become_user(struct call *c)
{
	struct buf b = BUF_INIT;
	const char *u = c->hc->become_user;

	free(c->become_user);
	c->become_user = NULL;
	if (!strstr(u, "{{") && !strstr(u, "{%")) {
		c->become_user = xstrdup(u);
		return 0;
	}
	if (template_render_str(&b, u, c->sc) < 0) {
		buf_release(&b);
		return -1;
	}
	c->become_user = buf_detach(&b, NULL);
	return 0;
}

/*
 * Whether the call becomes a user through su with a password set (the
 * variables Ansible's su plugin reads): su asks for it on a terminal,
 * which tend does not answer yet, so such a task fails, saying so.
 */
static bool su_password(const struct call *c)
{
	static const char *const vars[] = {
		"ansible_become_password", "ansible_become_pass",
		"ansible_su_password", "ansible_su_pass",
	};

	if (!c->ctx.become_method || strcmp(c->ctx.become_method, "su"))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
		if (scope_get(c->sc, vars[i]))
			return true;
	return false;
}

/*
 * delegate_to rendered for this call: NULL when unset, empty or the host
 * itself (Ansible runs that on the host's own connection too).
 */
static int call_delegate(struct call *c)
{
	struct val *r = NULL;
	struct buf b = BUF_INIT;

	free(c->delegate);
	c->delegate = NULL;
	if (!c->hc->delegate_to)
		return 0;
	if (template_render(&r, c->hc->delegate_to, c->sc) < 0)
		return tend_error_prefix("in 'delegate_to'");
	if (!val_is(r, VAL_NULL))
		val_to_text(&b, r);
	val_unref(r);
	if (b.len && strcmp(b.ptr, c->hc->hs->name))
		c->delegate = buf_detach(&b, NULL);
	buf_release(&b);
	return 0;
}

/*
 * What a saved plan binds of the call: its args, and with them where it
 * runs (delegate_to) and its environment, when it has them.
 */
static int call_fingerprint(struct call *c)
{
	struct runstate *rs = c->hc->pc->rs;
	struct val *what = val_ref(c->args);
	int error;

	if (c->delegate || val_len(c->env)) {
		val_unref(what);
		what = val_dict();
		val_dict_set(what, "args", val_ref(c->args));
		val_dict_set(what, "delegate_to", c->delegate ?
			     val_str(c->delegate) : val_null());
		val_dict_set(what, "environment", c->env ? val_ref(c->env) :
			     val_null());
	}
	error = run_args_fingerprint(c->args_fp, what, c->ctx.become_user,
				     c->sc, rs->secrets, rs->opts->hasher);
	val_unref(what);
	return error;
}

/* Render and normalize the arguments, fill ctx. */
static enum call_next call_prepare(struct call *c)
{
	struct hostctx *hc = c->hc;
	const struct task *t = c->t;
	int error;

	hc->facts_cacheable = false;
	c->args = run_render_args(hc, t, c->sc, &error);
	if (!c->args) {
		if (run_plan_unknown(hc, error)) {
			c->st = EV_UNKNOWN;
			run_unknown_why(&c->msg, hc, c->t);
			return CALL_UNKNOWN;
		}
		buf_addf(&c->msg, "%s", tend_error_last());
		c->ends_loop = tend_error_code() != TEND_EPYTHON;
		return CALL_FAIL;
	}
	if (args_normalize(&c->norm, t->module, c->args, &t->pos, &c->d,
			   true) < 0) {
		for (size_t i = 0; i < c->d.nr; i++)
			buf_addf(&c->msg, "%s%s", i ? "; " : "", c->d.items[i]);
		return CALL_FAIL;
	}
	/* set_fact's cacheable: its facts join the fact cache (register.c) */
	hc->facts_cacheable = t->module &&
			      !strcmp(t->module->name, "set_fact") &&
			      truth_python(val_dict_get(c->norm, "cacheable"));

	if (call_delegate(c) < 0 ||
	    (c->hc->env_nr && run_env_render(&c->env, hc, c->sc) < 0)) {
		if (run_plan_unknown(hc, tend_error_code())) {
			c->st = EV_UNKNOWN;
			run_unknown_why(&c->msg, hc, c->t);
			return CALL_UNKNOWN;
		}
		buf_adds(&c->msg, tend_error_last());
		c->ends_loop = tend_error_code() != TEND_EPYTHON;
		return CALL_FAIL;
	}
	c->ed.sc = c->sc;
	c->ed.pb = hc->pc->rs->pb;
	c->ed.hc = hc;
	c->ed.own_conn = !c->delegate && !hc->connection;
	c->ctx.env = c->env;
	c->ctx.args = c->norm;
	c->ctx.host = hc->hs->name;
	c->ctx.basedir = hc->pc->rs->pb->dir;
	c->ctx.role_dirs = t->role ? t->role->dirs : NULL;
	c->ctx.root = hc->pc->rs->pb->limits.root;
	c->ctx.verbosity = hc->pc->rs->opts->verbosity;
	c->ctx.plan = run_is_plan(hc);
	c->ctx.check_only = hc->check_mode == CHECK_MODE_ON;
	c->ctx.unknown_inputs = run_plan_pass(hc) && hc->hs->unknown_results;
	if (hc->become && hc->become_user && call_become_user(c) < 0) {
		buf_addf(&c->msg, "in 'become_user': %s", tend_error_last());
		c->ends_loop = true; /* the play context's error */
		return CALL_FAIL;
	}
	c->ctx.become_user = hc->become ? (c->become_user ? c->become_user :
					  "root") : NULL;
	c->ctx.become_method = hc->become ? hc->become_method : NULL;
	if (su_password(c)) {
		buf_adds(&c->msg, "become_method 'su' with a become password "
			 "(ansible_become_password) is not supported yet: "
			 "only a root login becomes another user with su");
		return CALL_FAIL;
	}
	c->ctx.engine = &run_engine_ops;
	c->ctx.engine_data = &c->ed;
	c->ctx.store = run_is_plan(hc) ? NULL : hc->pc->rs->opts->store;
	c->ctx.run_id = hc->pc->rs->opts->run_id;
	c->ctx.playbook = hc->pc->rs->pb->path;
	c->ctx.play = hc->pc->play->name ? hc->pc->play->name : "";
	c->ctx.task = t->name ? t->name : "";
	c->ctx.task_key = t;
	/* a saved plan binds what the task runs, not only what it found */
	if (hc->pc->rs->opts->hasher && call_fingerprint(c) < 0) {
		buf_adds(&c->msg, tend_error_last());
		return CALL_FAIL;
	}
	return CALL_GO;
}

/* The task's environment as a view of the transport, if it has one. */
static int call_environment(struct call *c)
{
	struct buf prelude = BUF_INIT;
	int error = 0;

	if (c->t->module->flags & MOD_NO_ENV)
		return 0; /* the module's to apply (ctx.env) */
	run_env_prelude(&prelude, c->env);
	if (prelude.len &&
	    (error = transport_prelude_new(&c->envt, c->tx, prelude.ptr)) < 0)
		buf_adds(&c->msg, tend_error_last());
	if (c->envt)
		c->tx = c->envt;
	buf_release_secret(&prelude);
	return error;
}

/*
 * The task's `timeout:` (its own, or its blocks'), rendered: past it,
 * what the module runs on the host is stopped (transport_timeout_new).
 */
static int call_timeout(struct call *c)
{
	struct val *r = NULL;
	const char *s;
	char *end = NULL;
	int error = 0;

	if (!c->hc->timeout)
		return 0;
	if (template_render(&r, c->hc->timeout, c->sc) < 0) {
		buf_addf(&c->msg, "in 'timeout': %s", tend_error_last());
		return -1;
	}
	if (val_is(r, VAL_INT))
		c->timeout = r->u.i;
	else if ((s = val_cstr(r)) && *s)
		c->timeout = strtoll(s, &end, 10);
	if ((!val_is(r, VAL_INT) && (!end || *end)) || c->timeout < 0) {
		buf_adds(&c->msg, "invalid 'timeout': expected a number of "
			 "seconds");
		error = -1;
	} else if (c->timeout > 0 &&
		   (error = transport_timeout_new(&c->tmt, c->tx,
						  (double)c->timeout)) < 0) {
		buf_adds(&c->msg, tend_error_last());
	} else if (c->tmt) {
		c->tx = c->tmt;
		c->ctx.deadline = run_now_seconds() + (double)c->timeout;
	}
	val_unref(r);
	return error;
}

/* async and poll (async.c): Ansible's refusals, before anything runs */
static enum call_next call_async(struct call *c)
{
	const char *why = NULL;

	if (run_async_settings(&c->async_val, &c->poll, &c->async_dir, c->t,
			       c->sc) < 0)
		why = tend_error_last();
	else if (c->async_val > 0)
		why = run_async_refused(c->t, c->poll, run_is_plan(c->hc));
	if (why)
		buf_adds(&c->msg, why);
	c->ctx.async_dir = c->async_dir;
	return why ? CALL_FAIL : CALL_GO;
}

/* async's time limit (run_async_limit) in place of timeout's, or timeout */
static int call_limit(struct call *c)
{
	int error;

	if (c->async_val <= 0)
		return call_timeout(c);
	c->job_tx = c->tx;
	if ((error = run_async_limit(&c->tmt, &c->ctx, c->tx, c->async_val,
				     c->poll)) < 0)
		buf_adds(&c->msg, tend_error_last());
	else if (c->tmt)
		c->tx = c->tmt;
	return error;
}

/* The task's `connection:` keyword, rendered, and its transport. */
static int call_task_connect(struct call *c)
{
	struct val *r = NULL;
	struct buf type = BUF_INIT;
	int error;

	if ((error = template_render(&r, c->hc->connection, c->sc)) < 0)
		return tend_error_prefix("in 'connection'");
	val_to_text(&type, r);
	val_unref(r);
	error = run_task_connect(&c->tx, c->hc, c->sc, type.ptr);
	buf_release(&type);
	return error;
}

/* Connect (unless controller-side) and check through a read-only transport. */
static enum call_next call_check(struct call *c)
{
	struct hostctx *hc = c->hc;
	struct hoststate *hs = hc->hs;
	const struct task *t = c->t;
	int error;

	if (!(t->module->flags & (MOD_CONTROLLER | MOD_RECONNECT))) {
		if (c->delegate)
			error = run_delegate_connect(&c->tx, hc, c->delegate);
		else if (hc->connection)
			error = call_task_connect(c);
		else
			error = run_host_connect(hc, c->sc);
		if (error == TEND_EREFUSED) {
			buf_adds(&c->msg, tend_error_last());
			c->st = EV_FAILED;
			hs->failed = true;
			return CALL_EVENT;
		}
		if (error < 0) {
			buf_adds(&c->msg, tend_error_last());
			c->st = EV_UNREACHABLE;
			hs->unreachable = true;
			return CALL_EVENT;
		}
		if (!c->delegate && !hc->connection)
			c->tx = hs->conn->t;
		if (call_environment(c) < 0 || call_limit(c) < 0)
			return CALL_FAIL;
		transport_readonly_new(&c->ro, c->tx);
		c->ctx.t = c->ro;
	}
	if ((error = module_check(&c->cr, t->module, &c->ctx)) < 0) {
		if (error == TEND_EUNREACHABLE) {
			buf_adds(&c->msg, tend_error_last());
			c->st = EV_UNREACHABLE;
			hs->unreachable = true;
			return CALL_EVENT;
		}
		if (run_plan_unknown(hc, error)) {
			c->st = EV_UNKNOWN;
			run_unknown_why(&c->msg, hc, c->t);
			return CALL_UNKNOWN;
		}
		if (run_plan_pass(hc) && hs->planned_changes) {
			/* it may depend on what earlier tasks will change */
			c->st = EV_UNKNOWN;
			buf_addf(&c->msg, "cannot be checked before the earlier "
				 "changes are applied: %s", tend_error_last());
			return CALL_UNKNOWN;
		}
		buf_adds(&c->msg, tend_error_last());
		if (c->cr.result)
			val_dict_update(c->result, c->cr.result, false);
		return CALL_FAIL;
	}
	if (c->cr.failed && run_plan_pass(hc) && hs->planned_changes) {
		/* as a failed check: it may hang on the earlier changes */
		c->st = EV_UNKNOWN;
		buf_addf(&c->msg, "cannot be checked before the earlier "
			 "changes are applied: %s", c->cr.msg.ptr);
		return CALL_UNKNOWN;
	}
	if (c->cr.result)
		val_dict_update(c->result, c->cr.result, false);
	c->check_msg_at = c->msg.len;
	if (c->cr.msg.len)
		buf_addbuf(&c->msg, &c->cr.msg);
	return CALL_GO;
}

/* Apply what the check reported (not in a plan), and say so in the result. */
static enum call_next call_apply(struct call *c)
{
	struct hostctx *hc = c->hc;
	const struct task *t = c->t;
	int error;

	if (c->cr.status == CHECK_OK) {
		const struct val *skip = val_dict_get(c->cr.result, "skipped");

		/* a controller module that chose not to act (debug verbosity) */
		c->st = val_is(skip, VAL_BOOL) && skip->u.b ? EV_SKIPPED :
			EV_OK;
		c->failed = c->cr.failed;
		if (t->module->flags & MOD_INVENTORY) {
			/* applied to the run's inventory after the step */
			val_list_push(hc->hs->inv_changes,
				      val_ref(c->cr.result));
			c->changed = !run_is_plan(hc);
			c->st = c->changed ? EV_CHANGED : EV_OK;
		}
	} else if (c->cr.status == CHECK_UNKNOWN &&
		   hc->check_mode == CHECK_MODE_ON) {
		/* as Ansible: what cannot check skips in check mode */
		c->st = EV_SKIPPED;
		val_dict_set_bool(c->result, "skipped", true);
	} else if (run_is_plan(hc) || !t->module->apply) {
		c->st = c->cr.status == CHECK_CHANGE ? EV_CHANGED : EV_UNKNOWN;
		c->changed = c->cr.status == CHECK_CHANGE;
	} else {
		c->ctx.t = c->tx;
		/* what the check could not know ("would have run") is moot now */
		if (c->cr.status == CHECK_UNKNOWN)
			buf_setlen(&c->msg, c->check_msg_at);
		error = t->module->apply(&c->ar, &c->ctx, &c->cr);
		if (c->ar.result)
			val_dict_update(c->result, c->ar.result, false);
		if (error < 0) {
			buf_reset(&c->msg);
			buf_adds(&c->msg, tend_error_last());
			if (error == TEND_EUNREACHABLE) {
				c->st = EV_UNREACHABLE;
				hc->hs->unreachable = true;
				return CALL_EVENT;
			}
			return CALL_FAIL;
		}
		c->changed = c->ar.changed;
		c->failed = c->ar.failed;
		if (c->ar.msg.len) {
			buf_reset(&c->msg);
			buf_addbuf(&c->msg, &c->ar.msg);
		}
		c->st = c->changed ? EV_CHANGED : EV_OK;
	}
	val_dict_set_bool(c->result, "changed", c->changed);
	if (c->failed)
		val_dict_set_bool(c->result, "failed", true);
	if (c->msg.len && !val_dict_get(c->result, "msg"))
		val_dict_set_str(c->result, "msg", c->msg.ptr);
	return CALL_GO;
}

/*
 * The result as changed_when, failed_when and until see it under its
 * register name: a host's text, never rendered (val_unsafe, as register.c
 * keeps it), so output holding "{{" is only text.
 */
static struct val *result_view(const struct call *c)
{
	if (c->t->module && (c->t->module->flags & MOD_INCLUDE_VARS))
		return val_ref(c->result);
	return val_unsafe(val_ref(c->result));
}

/*
 * A plan of a task that cannot be checked (a command): a changed_when that
 * does not read its result still tells whether it will change. false (the
 * usual read-only query) makes it ok: it never counts as a change, though
 * what it registers is known only at apply.
 */
static void plan_changed_when(struct call *c)
{
	struct hostctx *hc = c->hc;
	const struct task *t = c->t;
	struct val *scratch = val_dict();
	bool b;

	if (t->register_as)
		val_dict_set(scratch, t->register_as, result_view(c));
	c->sc = run_build_scope(c->ss, hc, c->vs, t->vars, c->loopvars, scratch);
	if (run_eval_conditions(&b, t->changed_when, c->sc, NULL) < 0) {
		tend_error_clear(); /* it reads the result: unknown */
	} else {
		c->st = b ? EV_CHANGED : EV_OK;
		c->changed = b;
		c->result_unknown = true;
		buf_reset(&c->msg);
		buf_addf(&c->msg, "runs at apply; changed_when: %s", b ?
			 "a change" : "never a change");
	}
	c->sc = run_build_scope(c->ss, hc, c->vs, t->vars, c->loopvars, NULL);
	val_unref(scratch);
}

/* changed_when / failed_when see the result under its register name */
static enum call_next call_conditions(struct call *c)
{
	struct hostctx *hc = c->hc;
	const struct task *t = c->t;
	enum call_next next = CALL_EVENT;
	struct val *scratch;
	bool b;

	if (c->st == EV_UNKNOWN && run_is_plan(hc) && t->changed_when)
		plan_changed_when(c);
	if (!(t->changed_when || t->failed_when) ||
	    (run_is_plan(hc) && (c->st == EV_UNKNOWN || c->result_unknown)))
		return c->failed ? CALL_FAIL_RESULT : CALL_EVENT;
	scratch = val_dict();
	if (t->register_as)
		val_dict_set(scratch, t->register_as, result_view(c));
	c->sc = run_build_scope(c->ss, hc, c->vs, t->vars, c->loopvars, scratch);
	if (t->changed_when) {
		if (run_eval_conditions(&b, t->changed_when, c->sc, NULL) < 0) {
			buf_reset(&c->msg);
			buf_addf(&c->msg, "error in 'changed_when': %s",
				 tend_error_last());
			next = CALL_FAIL;
			goto out;
		}
		c->changed = b;
		val_dict_set_bool(c->result, "changed", c->changed);
		if (c->st == EV_CHANGED || c->st == EV_OK || c->st == EV_UNKNOWN)
			c->st = c->changed ? EV_CHANGED : EV_OK;
	}
	if (t->failed_when) {
		if (run_eval_conditions(&b, t->failed_when, c->sc, NULL) < 0) {
			buf_reset(&c->msg);
			buf_addf(&c->msg, "error in 'failed_when': %s",
				 tend_error_last());
			next = CALL_FAIL;
			goto out;
		}
		c->failed = b;
		val_dict_set_bool(c->result, "failed", c->failed);
		val_dict_set_bool(c->result, "failed_when_result", c->failed);
		if (c->failed && !c->msg.len)
			buf_adds(&c->msg, "failed_when condition is true");
	}
	next = c->failed ? CALL_FAIL_RESULT : CALL_EVENT;
out:
	/* off `scratch` before it is freed: ignore_errors is read in it */
	c->sc = run_build_scope(c->ss, hc, c->vs, t->vars, c->loopvars, NULL);
	val_unref(scratch);
	return next;
}

/* ignore_unreachable (task's, blocks', play's): what is no bool does not */
static bool ignores_unreachable(struct call *c)
{
	bool b = false;

	if (!c->hc->ignore_unreachable)
		return false;
	if (run_flag(&b, c->hc, c->hc->ignore_unreachable, c->vs,
		     c->t->vars) < 0) {
		tend_error_clear();
		return false;
	}
	return b;
}

/* Record an ok, changed or unreachable call (scrubbed of secrets). */
static void record_event(struct call *c, bool *host_failed)
{
	struct hostctx *hc = c->hc;
	const struct task *t = c->t;

	run_scrub(&c->msg, c->secrets);
	run_scrub(&c->cr.diff, c->secrets);
	run_scrub(&c->cr.changes, c->secrets);
	run_hide_short_secrets(&c->msg, c->args);
	run_hide_short_secrets(&c->cr.diff, c->args);
	run_hide_short_secrets(&c->cr.changes, c->args);
	run_add_event(hc, t, c->st, c->label, c->msg.ptr);
	run_fingerprint(run_last_event(hc), c->st, &c->cr);
	memcpy(run_last_event(hc)->args_fingerprint, c->args_fp,
	       sizeof(c->args_fp));
	if (!hc->no_log) {
		if (c->cr.diff.len && !hc->no_diff)
			run_last_event(hc)->diff = xstrdup(c->cr.diff.ptr);
		if (c->cr.changes.len)
			run_last_event(hc)->changes = xstrdup(c->cr.changes.ptr);
	}
	if (c->st == EV_UNREACHABLE) {
		/* Ansible's registered result: these keys, no `failed` */
		val_dict_set_bool(c->result, "changed", false);
		val_dict_set_str(c->result, "msg", c->msg.ptr);
		val_dict_set_bool(c->result, "unreachable", true);
		if (ignores_unreachable(c)) {
			/* as Ansible: ignored, the host goes on */
			hc->hs->unreachable = false;
			run_last_event(hc)->ignored = true;
		} else {
			*host_failed = true;
			hc->hs->fatal = hc->any_errors_fatal;
			hc->hs->fatal_set = true;
		}
	} else if (!val_dict_get(c->result, "failed")) {
		/* Ansible's registered results always say (skipped ones not) */
		val_dict_set_bool(c->result, "failed", false);
	}
}

static void record_unknown(struct call *c)
{
	run_scrub(&c->msg, c->secrets);
	run_hide_short_secrets(&c->msg, c->args);
	run_add_event(c->hc, c->t, EV_UNKNOWN, c->label, c->msg.ptr);
	val_dict_set_bool(c->result, "changed", false);
	val_dict_set_bool(c->result, "tend_unknown", true);
}

/* Record a failure, ignored or not (ignore_errors). */
static void record_failure(struct call *c, bool *host_failed)
{
	struct hostctx *hc = c->hc;
	const struct task *t = c->t;
	/* the task's own ignore_errors, else its blocks' (apply's) */
	bool ignore = run_ignores_errors(&c->msg, c->result, t->ignore_errors ?
				     t->ignore_errors : hc->ignore_errors,
				     c->sc);

	run_scrub(&c->msg, c->secrets);
	run_scrub(&c->cr.diff, c->secrets);
	run_hide_short_secrets(&c->msg, c->args);
	run_hide_short_secrets(&c->cr.diff, c->args);
	val_dict_set_bool(c->result, "failed", true);
	if (!val_dict_get(c->result, "msg") || c->msg.len)
		val_dict_set_str(c->result, "msg", c->msg.ptr);
	run_add_event(hc, t, EV_FAILED, c->label, c->msg.ptr);
	memcpy(run_last_event(hc)->args_fingerprint, c->args_fp,
	       sizeof(c->args_fp));
	run_last_event(hc)->ignored = ignore;
	run_last_event(hc)->changed = ignore &&
		(c->changed || truth_python(val_dict_get(c->result,
							  "changed")));
	if (!hc->no_log && !hc->no_diff && c->cr.diff.len)
		run_last_event(hc)->diff = xstrdup(c->cr.diff.ptr);
	run_failure_detail(hc, c->result, c->secrets, c->args);
	if (!ignore) {
		*host_failed = true;
		hc->hs->fatal = hc->any_errors_fatal;
		hc->hs->fatal_set = true;
	}
}

static void call_record(struct call *c, enum call_next next,
			bool *host_failed)
{
	/*
	 * The secrets to scrub and taint with: taken now, after every
	 * template of the call (args, conditions) has been rendered.
	 */
	c->secrets = run_secrets(c->hc);
	if (c->args)
		run_collect_secrets(c->secrets, c->args, false);
	/* and what the module's spec says is secret (ARG_SECRET ...) */
	if (c->norm) {
		run_collect_secrets(c->secrets, c->norm, false);
		if (c->hc->hs->secret_text)
			run_keep_secrets(c->hc->hs->secret_text, c->norm,
					 false);
	}
	switch (next) {
	case CALL_EVENT:
		record_event(c, host_failed);
		break;
	case CALL_UNKNOWN:
		record_unknown(c);
		break;
	case CALL_FAIL:
		val_dict_set_bool(c->result, "changed", false);
		/* fall through */
	case CALL_FAIL_RESULT:
		record_failure(c, host_failed);
		break;
	case CALL_GO:
	case CALL_OUT:
		break;
	}
}

/*
 * The result for the JSON report: masked (run_taint flagged what holds a
 * secret), scrubbed and checked for short secret pieces as msg is.
 */
static char *result_text(const struct call *c, const struct val *result)
{
	struct buf b = BUF_INIT;

	val_to_json(&b, result, 0);
	run_scrub(&b, c->secrets);
	run_hide_short_secrets(&b, c->args);
	return buf_detach(&b, NULL);
}

/* -vvv: the result with the module's arguments, as Ansible shows it. */
static char *verbose_result_text(const struct call *c)
{
	struct val *r = val_copy(c->result), *inv = val_dict();
	struct val *args = c->args ? val_copy(c->args) : val_dict();
	char *s;

	/* a password in a URL is not an argument's secret: mask it */
	run_mask_url_passwords(args);
	val_dict_set(inv, "module_args", args);
	val_dict_set(r, "invocation", inv);
	s = result_text(c, r);
	val_unref(r);
	return s;
}

/* Time the event, taint the result, release the call: the result. */
static struct val *call_finish(struct call *c)
{
	struct hostctx *hc = c->hc;

	if (hc->hs->ev_nr)
		run_last_event(hc)->seconds = run_now_seconds() - c->t0;
	run_taint(c->result, c->secrets);
	/* what the module gave back as secret (a server's cookie) too */
	if (hc->hs->secret_text)
		run_keep_secrets(hc->hs->secret_text, c->result, false);
	if (hc->hs->ev_nr > c->ev0 && !hc->no_log) {
		run_last_event(hc)->result = result_text(c, c->result);
		if (hc->pc->rs->opts->verbosity >= 3)
			run_last_event(hc)->verbose_result =
				verbose_result_text(c);
	}
	val_unref(c->secrets);
	if (run_is_plan(hc) && (c->st == EV_UNKNOWN || c->result_unknown))
		val_dict_set_bool(c->result, "tend_unknown", true);
	if (run_is_plan(hc) && c->st == EV_CHANGED) {
		val_dict_set_bool(c->result, "changed", true);
		hc->hs->planned_changes = true;
	}
	transport_close(c->ro);
	transport_close(c->tmt);
	transport_close(c->envt);
	free(c->become_user);
	free(c->delegate);
	free(c->async_dir);
	val_unref(c->env);
	check_result_release(&c->cr);
	apply_result_release(&c->ar);
	diags_release(&c->d);
	val_unref(c->args);
	val_unref(c->norm);
	buf_release(&c->msg);
	free(c->ss);
	return c->result;
}

/* One attempt: render, check, apply, changed_when/failed_when. */
static enum call_next call_once(struct call *c)
{
	enum call_next next = call_prepare(c);

	if (next == CALL_GO)
		next = call_async(c);
	if (next == CALL_GO)
		next = call_check(c);
	if (next == CALL_GO)
		next = call_apply(c);
	if (c->job_tx && c->poll > 0 && c->st != EV_UNREACHABLE &&
	    (next == CALL_GO || next == CALL_FAIL) &&
	    run_async_result(&c->result, &c->msg, c->job_tx, &c->ctx,
			     c->async_val, c->tmt) != 0) {
		/* past the limit, or the job's keys could not be had */
		c->changed = false;
		c->st = EV_FAILED;
		return CALL_FAIL;
	} else if (c->tmt && transport_timed_out(c->tmt) &&
	    next != CALL_OUT && next != CALL_UNKNOWN) {
		/* Ansible's result: these keys and no others */
		val_unref(c->result);
		c->result = val_dict();
		c->changed = false;
		buf_reset(&c->msg);
		buf_addf(&c->msg, "The %s action failed to execute in the "
			 "expected time frame (%lld) and was terminated",
			 c->t->action, c->timeout);
		c->st = EV_FAILED;
		return CALL_FAIL;
	}
	if (next == CALL_GO)
		next = call_conditions(c);
	return next;
}

/* Release what one attempt made, for the next one. */
static void call_reset(struct call *c)
{
	transport_close(c->ro);
	transport_close(c->tmt);
	transport_close(c->envt);
	c->ro = c->envt = c->tx = c->tmt = c->job_tx = NULL;
	c->ctx.async_bg = 0;
	val_unref(c->env);
	c->env = NULL;
	c->ctx.deadline = 0;
	check_result_release(&c->cr);
	check_result_init(&c->cr);
	apply_result_release(&c->ar);
	apply_result_init(&c->ar);
	diags_release(&c->d);
	val_unref(c->args);
	val_unref(c->norm);
	c->args = c->norm = NULL;
	buf_reset(&c->msg);
	val_unref(c->result);
	c->result = val_dict();
	c->failed = c->changed = false;
	c->ends_loop = false;
	c->st = EV_OK;
	c->check_msg_at = 0;
	c->sc = run_build_scope(c->ss, c->hc, c->vs, c->t->vars, c->loopvars,
				NULL);
}

/* Whether the until conditions hold, the result under its register name. */
static int call_until_holds(bool *out, struct call *c)
{
	struct val *scratch = val_dict();
	int error;

	if (c->t->register_as)
		val_dict_set(scratch, c->t->register_as, result_view(c));
	c->sc = run_build_scope(c->ss, c->hc, c->vs, c->t->vars, c->loopvars,
				scratch);
	error = run_eval_conditions(out, c->t->until, c->sc, NULL);
	c->sc = run_build_scope(c->ss, c->hc, c->vs, c->t->vars, c->loopvars,
				NULL);
	val_unref(scratch);
	return error;
}

/*
 * until / retries / delay, as Ansible's TaskExecutor: retries (3) more
 * attempts after the first, `delay` (5) seconds apart, until the
 * conditions hold on the result (registered name visible); `attempts` in
 * the result; out of attempts, failed with attempts = retries (Ansible's
 * count). retries <= 0 runs once without testing. A plan probes once:
 * what does not hold yet is unknown, the apply will retry it.
 */
static enum call_next call_attempts(struct call *c)
{
	long long retries, delay, n;
	enum call_next next;
	bool holds;
	int error;

	if (run_int_keyword(&retries, c->t->retries, 3, c->sc, "retries") < 0 ||
	    run_int_keyword(&delay, c->t->delay, 5, c->sc, "delay") < 0) {
		buf_adds(&c->msg, tend_error_last());
		return CALL_FAIL;
	}
	n = retries <= 0 ? 1 : retries + 1;
	if (delay < 0)
		delay = 1;
	for (long long attempt = 1;; attempt++) {
		next = call_once(c); /* a template's error is not retried */
		if (next == CALL_UNKNOWN || next == CALL_OUT ||
		    c->st == EV_UNREACHABLE || c->ends_loop)
			return next;
		val_dict_set_int(c->result, "attempts", attempt);
		if (n <= 1)
			return next;
		if ((error = call_until_holds(&holds, c)) < 0) {
			bool unknown = run_plan_unknown(c->hc, error);

			buf_reset(&c->msg);
			buf_addf(&c->msg, "%s in 'until': %s", unknown ?
				 "depends on a result known only at apply" :
				 "error", tend_error_last());
			c->st = unknown ? EV_UNKNOWN : c->st;
			return unknown ? CALL_UNKNOWN : CALL_FAIL;
		}
		if (holds)
			return next;
		if (run_is_plan(c->hc)) {
			c->st = EV_UNKNOWN;
			buf_reset(&c->msg);
			buf_addf(&c->msg, "'until' does not hold on the probe: "
				 "the apply tries up to %lld times", n);
			return CALL_UNKNOWN;
		}
		if (attempt >= n || tend_interrupted) {
			val_dict_set_int(c->result, "attempts", n - 1);
			c->failed = true;
			return next == CALL_FAIL ? CALL_FAIL : CALL_FAIL_RESULT;
		}
		run_sleep(delay);
		call_reset(c);
	}
}

/*
 * Run the module of `t` once. Adds one event and returns the result to
 * register (a new dict). *host_failed is set when the task failed and
 * the failure is not ignored; *ends_loop when it failed on a template
 * (run_int.h).
 */
struct val *run_exec_once(struct hostctx *hc, const struct task *t,
		      const struct varstack *vs,
		      const struct val *loopvars, const char *label,
		      bool *host_failed, bool *ends_loop)
{
	struct call c = {
		.hc = hc, .t = t, .vs = vs, .loopvars = loopvars,
		.label = label, .d = DIAGS_INIT, .st = EV_OK, .msg = BUF_INIT,
		.ev0 = hc->hs->ev_nr,
	};
	enum call_next next;

	c.ss = xmalloc(sizeof(*c.ss));
	c.result = val_dict();
	c.t0 = run_now_seconds();
	check_result_init(&c.cr);
	apply_result_init(&c.ar);
	c.sc = run_build_scope(c.ss, hc, vs, t->vars, loopvars, NULL);

	next = call_when(&c);
	if (next == CALL_GO)
		next = c.t->until ? call_attempts(&c) : call_once(&c);
	call_record(&c, next, host_failed);
	if (c.delegate && next != CALL_OUT && hc->hs->ev_nr)
		run_last_event(hc)->delegate = xstrdup(c.delegate);
	free(hc->fact_host);
	hc->fact_host = t->delegate_facts && c.delegate ?
			xstrdup(c.delegate) : NULL;
	if (loopvars) /* the item's result names it, as Ansible's */
		run_loop_result(c.result, c.t, loopvars);
	*ends_loop = c.ends_loop && (next == CALL_FAIL);
	return call_finish(&c);
}
