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

/* ---- engine callbacks for controller modules ---- */

struct engine_data {
	const struct scope *sc;
};

static int engine_eval(struct val **out, const char *expr, void *data)
{
	return expr_eval(out, expr, ((struct engine_data *)data)->sc);
}

static int engine_render(struct buf *out, const char *text, void *data)
{
	return template_render_str(out, text, ((struct engine_data *)data)->sc);
}

static int engine_eval_bool(bool *out, const char *expr, void *data)
{
	return expr_eval_bool(out, expr, ((struct engine_data *)data)->sc);
}

static const struct engine_ops engine = {
	.eval = engine_eval,
	.render = engine_render,
	.eval_bool = engine_eval_bool,
};

/*
 * Whether a failure of `t` is ignored: ignore_errors is Ansible's
 * FieldAttribute(isa='bool'), rendered, then boolean(strict=True), so
 * "off", "no", "0" and "false" do not ignore and "{{ 'yes' }}" does.
 * A value that is no boolean does not ignore, and why is added to `msg`,
 * after the result's own message (Ansible fails the task with the same
 * complaint, then ignores that failure because it tests the raw string
 * for truth: tend does not).
 */
static bool ignores_errors(struct buf *msg, const struct val *result,
			   const struct task *t, const struct scope *sc)
{
	struct val *r = NULL;
	bool ignore = false;

	if (!t->ignore_errors)
		return false;
	if (template_render(&r, t->ignore_errors, sc) < 0 ||
	    (!val_is(r, VAL_NULL) && truth_boolean(&ignore, r) < 0)) {
		/* keep the failure's own message in front */
		if (!msg->len && val_cstr(val_dict_get(result, "msg")))
			buf_adds(msg, val_cstr(val_dict_get(result, "msg")));
		buf_addf(msg, "%sinvalid 'ignore_errors': %s",
			 msg->len ? "; " : "", tend_error_last());
		tend_error_clear();
		ignore = false;
	}
	val_unref(r);
	return ignore;
}

/* Undefined in a plan after an unknown result: the answer is unknown. */
bool plan_unknown(const struct hostctx *hc, int error)
{
	return is_plan(hc) && error == TEND_EUNDEFINED && hc->hs->unknown_results;
}

/* ---- one module call (one loop item) ---- */

static struct val *render_args(const struct task *t, const struct scope *sc,
			       int *error)
{
	struct val *out = val_dict();

	*error = 0;
	for (size_t i = 0; i < val_len(t->args); i++) {
		const char *k = t->args->u.dict.items[i].key;
		const struct val *v = t->args->u.dict.items[i].v;
		const struct arg_spec *spec = NULL;
		struct val *r = NULL;

		for (const struct arg_spec *a = t->module->args; a && a->name; a++)
			if (!strcmp(a->name, k))
				spec = a;
		if (spec && (spec->flags & ARG_RAW)) {
			val_dict_set(out, k, val_ref((struct val *)v));
			continue;
		}
		if ((*error = template_render(&r, v, sc)) < 0) {
			val_unref(out);
			return NULL;
		}
		if (val_cstr(r) && !strcmp(val_cstr(r), OMIT_TOKEN)) {
			val_unref(r);
			continue;
		}
		val_dict_set_pos(out, k, r, &t->args->u.dict.items[i].pos);
	}
	return out;
}

/*
 * Run the module of `t` once. Adds one event and returns the result to
 * register (a new dict). *host_failed is set when the task failed and
 * the failure is not ignored.
 */
struct val *exec_once(struct hostctx *hc, const struct task *t,
		      const struct varstack *vs,
		      const struct val *loopvars, const char *label,
		      bool *host_failed)
{
	struct hoststate *hs = hc->hs;
	struct scopes *ss = xmalloc(sizeof(*ss));
	const struct scope *sc;
	struct val *args = NULL, *norm = NULL, *result = val_dict();
	struct check_result cr;
	struct apply_result ar;
	struct diags d = DIAGS_INIT;
	struct transport *ro = NULL;
	struct engine_data ed;
	struct task_ctx ctx = { 0 };
	enum event_status st = EV_OK;
	const char *false_cond = NULL;
	struct buf msg = BUF_INIT;
	struct val *secrets = val_list();
	bool cond, failed = false, changed = false;
	double t0 = now_seconds();
	int error;

	check_result_init(&cr);
	apply_result_init(&ar);
	sc = build_scope(ss, hc, vs, t->vars, loopvars, NULL);

	if ((error = eval_conditions(&cond, t->when, sc, &false_cond)) < 0) {
		if (plan_unknown(hc, error)) {
			st = EV_UNKNOWN;
			buf_addf(&msg, "depends on a result known only at apply: %s",
				 tend_error_last());
			goto unknown;
		}
		buf_addf(&msg, "error in 'when': %s", tend_error_last());
		goto fail;
	}
	if (!cond) {
		add_event(hc, t, EV_SKIPPED, label, NULL);
		val_dict_set_bool(result, "changed", false);
		val_dict_set_bool(result, "skipped", true);
		val_dict_set_str(result, "skip_reason",
				 "Conditional result was False");
		if (false_cond)
			val_dict_set_str(result, "false_condition", false_cond);
		goto out;
	}

	args = render_args(t, sc, &error);
	if (!args) {
		if (plan_unknown(hc, error)) {
			st = EV_UNKNOWN;
			buf_addf(&msg, "depends on a result known only at apply: %s",
				 tend_error_last());
			goto unknown;
		}
		buf_addf(&msg, "%s", tend_error_last());
		goto fail;
	}
	for (size_t i = 0; i < val_len(hc->pc->rs->secrets); i++)
		val_list_push(secrets,
			      val_ref(hc->pc->rs->secrets->u.list.items[i]));
	collect_secrets(secrets, args, false);
	if (args_normalize(&norm, t->module, args, &t->pos, &d, true) < 0) {
		for (size_t i = 0; i < d.nr; i++)
			buf_addf(&msg, "%s%s", i ? "; " : "", d.items[i]);
		goto fail;
	}

	ed.sc = sc;
	ctx.args = norm;
	ctx.host = hs->name;
	ctx.basedir = hc->pc->rs->pb->dir;
	ctx.become_user = hc->become ? (hc->become_user ? hc->become_user : "root")
				     : NULL;
	ctx.engine = &engine;
	ctx.engine_data = &ed;

	if (!(t->module->flags & MOD_CONTROLLER)) {
		if ((error = host_connect(hc, sc)) < 0) {
			buf_adds(&msg, tend_error_last());
			st = EV_UNREACHABLE;
			hs->unreachable = true;
			goto event;
		}
		transport_readonly_new(&ro, hs->conn->t);
		ctx.t = ro;
	}
	if ((error = module_check(&cr, t->module, &ctx)) < 0) {
		if (error == TEND_EUNREACHABLE) {
			buf_adds(&msg, tend_error_last());
			st = EV_UNREACHABLE;
			hs->unreachable = true;
			goto event;
		}
		if (plan_unknown(hc, error)) {
			st = EV_UNKNOWN;
			buf_addf(&msg, "depends on a result known only at apply: %s",
				 tend_error_last());
			goto unknown;
		}
		if (is_plan(hc) && hs->planned_changes) {
			/* it may depend on what earlier tasks will change */
			st = EV_UNKNOWN;
			buf_addf(&msg, "cannot be checked before the earlier "
				 "changes are applied: %s", tend_error_last());
			goto unknown;
		}
		buf_adds(&msg, tend_error_last());
		if (cr.result)
			val_dict_update(result, cr.result, false);
		goto fail;
	}
	if (cr.result)
		val_dict_update(result, cr.result, false);
	if (cr.msg.len)
		buf_addbuf(&msg, &cr.msg);

	if (cr.status == CHECK_OK) {
		st = EV_OK;
	} else if (is_plan(hc) || !t->module->apply) {
		st = cr.status == CHECK_CHANGE ? EV_CHANGED : EV_UNKNOWN;
		changed = cr.status == CHECK_CHANGE;
	} else {
		ctx.t = hs->conn->t;
		error = t->module->apply(&ar, &ctx, &cr);
		if (ar.result)
			val_dict_update(result, ar.result, false);
		if (error < 0) {
			buf_reset(&msg);
			buf_adds(&msg, tend_error_last());
			if (error == TEND_EUNREACHABLE) {
				st = EV_UNREACHABLE;
				hs->unreachable = true;
				goto event;
			}
			goto fail;
		}
		changed = ar.changed;
		failed = ar.failed;
		if (ar.msg.len) {
			buf_reset(&msg);
			buf_addbuf(&msg, &ar.msg);
		}
		st = changed ? EV_CHANGED : EV_OK;
	}
	val_dict_set_bool(result, "changed", changed);
	if (failed)
		val_dict_set_bool(result, "failed", true);
	if (msg.len && !val_dict_get(result, "msg"))
		val_dict_set_str(result, "msg", msg.ptr);

	/* changed_when / failed_when see the result under its register name */
	if ((t->changed_when || t->failed_when) &&
	    (st != EV_UNKNOWN || !is_plan(hc))) {
		struct val *scratch = val_dict();
		bool b;

		if (t->register_as)
			val_dict_set(scratch, t->register_as, val_ref(result));
		sc = build_scope(ss, hc, vs, t->vars, loopvars, scratch);
		if (t->changed_when) {
			if ((error = eval_conditions(&b, t->changed_when, sc,
						     NULL)) < 0) {
				val_unref(scratch);
				buf_reset(&msg);
				buf_addf(&msg, "error in 'changed_when': %s",
					 tend_error_last());
				goto fail;
			}
			changed = b;
			val_dict_set_bool(result, "changed", changed);
			if (st == EV_CHANGED || st == EV_OK || st == EV_UNKNOWN)
				st = changed ? EV_CHANGED : EV_OK;
		}
		if (t->failed_when) {
			if ((error = eval_conditions(&b, t->failed_when, sc,
						     NULL)) < 0) {
				val_unref(scratch);
				buf_reset(&msg);
				buf_addf(&msg, "error in 'failed_when': %s",
					 tend_error_last());
				goto fail;
			}
			failed = b;
			val_dict_set_bool(result, "failed", failed);
			if (failed && !msg.len)
				buf_adds(&msg, "failed_when condition is true");
		}
		val_unref(scratch);
		sc = build_scope(ss, hc, vs, t->vars, loopvars, NULL);
	}
	if (failed)
		goto fail_with_result;

event:
	scrub(&msg, secrets);
	scrub(&cr.diff, secrets);
	scrub(&cr.changes, secrets);
	add_event(hc, t, st, label, t->no_log ? NULL : msg.ptr);
	fingerprint(last_event(hc), st, &cr);
	if (!t->no_log) {
		if (cr.diff.len)
			last_event(hc)->diff = xstrdup(cr.diff.ptr);
		if (cr.changes.len)
			last_event(hc)->changes = xstrdup(cr.changes.ptr);
	}
	if (st == EV_UNREACHABLE) {
		val_dict_set_bool(result, "unreachable", true);
		*host_failed = true;
	}
	goto out;

unknown:
	scrub(&msg, secrets);
	add_event(hc, t, EV_UNKNOWN, label, msg.ptr);
	val_dict_set_bool(result, "changed", false);
	val_dict_set_bool(result, "tend_unknown", true);
	goto out;

fail:
	val_dict_set_bool(result, "changed", false);
fail_with_result:
	{
		bool ignore = ignores_errors(&msg, result, t, sc);

		scrub(&msg, secrets);
		scrub(&cr.diff, secrets);
		val_dict_set_bool(result, "failed", true);
		if (!val_dict_get(result, "msg") || msg.len)
			val_dict_set_str(result, "msg", t->no_log ?
					 "the output has been hidden (no_log)" :
					 msg.ptr);
		add_event(hc, t, EV_FAILED, label, t->no_log ?
			  "the output has been hidden (no_log)" : msg.ptr);
		last_event(hc)->ignored = ignore;
		if (!t->no_log && cr.diff.len)
			last_event(hc)->diff = xstrdup(cr.diff.ptr);
		if (!ignore)
			*host_failed = true;
	}
out:
	if (hs->ev_nr)
		last_event(hc)->seconds = now_seconds() - t0;
	taint(result, secrets);
	val_unref(secrets);
	if (is_plan(hc) && st == EV_UNKNOWN)
		val_dict_set_bool(result, "tend_unknown", true);
	if (is_plan(hc) && st == EV_CHANGED) {
		val_dict_set_bool(result, "changed", true);
		hs->planned_changes = true;
	}
	transport_close(ro);
	check_result_release(&cr);
	apply_result_release(&ar);
	diags_release(&d);
	val_unref(args);
	val_unref(norm);
	buf_release(&msg);
	free(ss);
	return result;
}

void notify(struct hostctx *hc, const struct task *t)
{
	for (size_t i = 0; i < val_len(t->notify); i++) {
		struct val *n = t->notify->u.list.items[i];
		bool seen = false;

		for (size_t j = 0; j < val_len(hc->hs->notified); j++)
			if (val_equal(hc->hs->notified->u.list.items[j], n))
				seen = true;
		if (!seen)
			val_list_push(hc->hs->notified, val_ref(n));
	}
}

void register_result(struct hostctx *hc, const struct task *t,
		     struct val *result)
{
	struct val *facts = val_dict_get(result, "ansible_facts");

	/*
	 * What a module sends back is host data: it is never rendered as a
	 * template again (Ansible's wrap_var on registered results and on
	 * facts, except set_fact's own values).
	 */
	if (facts && !val_dict_get(result, "failed")) {
		facts = val_ref(facts);
		if (!(t->module && (t->module->flags & MOD_CLEAN_FACTS)))
			facts = val_unsafe(facts);
		val_dict_update(hc->hs->hostfacts, facts, false);
		val_unref(facts);
		hc->hs->dirty = true;
	}
	if (val_dict_get(result, "tend_unknown"))
		hc->hs->unknown_results = true;
	if (t->register_as) {
		val_dict_set(hc->hs->hostfacts, t->register_as,
			     val_unsafe(val_ref(result)));
		hc->hs->dirty = true;
	}
}
