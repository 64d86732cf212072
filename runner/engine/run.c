#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/facts.h"
#include "tend/modkit/module.h"
#include "tend/engine/run.h"
#include "tend/lang/template.h"
#include "tend/transport/table.h"
#include "tend/data/yaml.h"
#include "tend/data/truth.h"
#include "tend/util/interrupt.h"

#include <libgen.h>
#include <sodium.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define MAX_SCOPES 96
#define OMIT_TOKEN "__omit_place_holder__tend"

/* One connection per host for the whole run, shared by its plays. */
struct conn {
	char *host;
	struct transport *t;
	char *error; /* why it could not connect, once tried */
};

struct cached_include {
	char *path;
	struct tasklist tasks;
};

struct runstate {
	struct conn *conns;
	size_t conns_nr, conns_alloc;
	struct val *conn_index;  /* host name -> index into conns */
	struct val *stats_index; /* host name -> index into res->hosts */
	struct cached_include *incs;
	size_t incs_nr, incs_alloc;
	pthread_mutex_t lock; /* incs */
	struct run_result *res;
	const struct run_opts *opts;
	const struct playbook *pb;
	struct inventory *inv;
	struct val *secrets;  /* secret strings of the extra vars */
};

struct hoststate {
	struct host *host;
	const char *name;
	struct conn *conn;
	struct val *inv_vars;  /* inventory vars (precedence applied) */
	struct val *factvars;  /* ansible_facts + ansible_* */
	struct val *hostfacts; /* registered and set_fact */
	struct val *magic;     /* inventory_hostname, group_names ... */
	bool failed, unreachable, ended;
	bool dirty;            /* hostfacts changed since hostvars */
	bool unknown_results;  /* plan: a registered result is unknown */
	bool planned_changes;  /* plan: an earlier task would change it */
	struct val *notified;  /* handler names/topics notified */
	size_t stats;          /* index into res->hosts */
	struct run_event *ev;  /* events of the current step */
	size_t ev_nr, ev_alloc;
};

struct playctx {
	struct runstate *rs;
	const struct play *play;
	struct val *play_vars;
	struct val *common;    /* groups, hostvars, play hosts, omit ... */
	struct val *hostvars;
	struct hoststate *hs;
	size_t nr;
	bool end_play;
};

/* Vars of enclosing blocks and includes, outermost first. */
struct varstack {
	const struct val *items[32];
	size_t nr;
};

struct hostctx {
	struct playctx *pc;
	struct hoststate *hs;
	bool handler;
	int become;
	const char *become_user;
};

static bool is_plan(const struct hostctx *hc)
{
	return hc->pc->rs->opts->mode == RUN_PLAN;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Scopes, outermost (lowest precedence) first: inventory vars, facts,
 * play vars, block vars, task vars, registered/set_fact, loop vars,
 * extra scratch (the registered result in changed_when), host magic,
 * common magic, extra vars (-e). Ansible's precedence, condensed.
 */
struct scopes {
	struct scope s[MAX_SCOPES];
	size_t nr;
};

static void push_scope(struct scopes *ss, const struct val *vars,
		       const char *basedir)
{
	struct scope *sc;

	if (!vars)
		return;
	if (ss->nr == MAX_SCOPES)
		BUG("too many nested scopes");
	sc = &ss->s[ss->nr];
	sc->parent = ss->nr ? &ss->s[ss->nr - 1] : NULL;
	sc->vars = vars;
	sc->basedir = basedir;
	ss->nr++;
}

static const struct scope *build_scope(struct scopes *ss,
				       const struct hostctx *hc,
				       const struct varstack *vs,
				       const struct val *task_vars,
				       const struct val *loopvars,
				       const struct val *scratch)
{
	struct hoststate *hs = hc->hs;
	struct playctx *pc = hc->pc;

	ss->nr = 0;
	push_scope(ss, pc->rs->opts->defaults, pc->rs->pb->dir);
	push_scope(ss, hs->inv_vars, pc->rs->pb->dir);
	push_scope(ss, hs->factvars, NULL);
	push_scope(ss, pc->play_vars, NULL);
	for (size_t i = 0; vs && i < vs->nr; i++)
		push_scope(ss, vs->items[i], NULL);
	push_scope(ss, task_vars, NULL);
	push_scope(ss, hs->hostfacts, NULL);
	push_scope(ss, loopvars, NULL);
	push_scope(ss, scratch, NULL);
	push_scope(ss, hs->magic, NULL);
	push_scope(ss, pc->common, NULL);
	push_scope(ss, pc->rs->opts->extra_vars, NULL);
	return &ss->s[ss->nr - 1];
}

static void add_event(struct hostctx *hc, const struct task *t,
		      enum event_status st, const char *label,
		      const char *msg)
{
	struct hoststate *hs = hc->hs;
	struct run_event *ev;
	struct buf name = BUF_INIT;

	ALLOC_GROW(hs->ev, hs->ev_nr + 1, hs->ev_alloc);
	ev = &hs->ev[hs->ev_nr++];
	memset(ev, 0, sizeof(*ev));
	if (t) {
		task_display_name(&name, t);
		ev->module = xstrdup(t->action);
		ev->pos = t->pos;
	} else {
		buf_adds(&name, "Gathering Facts");
		ev->module = xstrdup("gather_facts");
	}
	ev->task = buf_detach(&name, NULL);
	ev->host = xstrdup(hs->name);
	ev->status = st;
	ev->handler = hc->handler;
	ev->label = label ? xstrdup(label) : NULL;
	ev->msg = msg && *msg ? xstrdup(msg) : NULL;
}

static struct run_event *last_event(struct hostctx *hc)
{
	return &hc->hs->ev[hc->hs->ev_nr - 1];
}

/* The fingerprint of a check (see struct run_event). */
static void fingerprint(struct run_event *ev, enum event_status st,
			const struct check_result *cr)
{
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	const char *name = event_status_name(st, RUN_PLAN);

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)name,
				  strlen(name) + 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)cr->changes.ptr,
				  cr->changes.len + 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)cr->diff.ptr,
				  cr->diff.len);
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(ev->fingerprint, sizeof(ev->fingerprint), md, sizeof(md));
}

/* ---- connections ---- */

/*
 * The first of `names` that is defined, rendered to a string (a new
 * heap string, or NULL if none is defined).
 */
static int conn_var(char **out, const struct scope *sc,
		    const char *const *names)
{
	*out = NULL;
	for (size_t i = 0; names[i]; i++) {
		const struct val *v = scope_get(sc, names[i]);
		struct val *r = NULL;
		struct buf b = BUF_INIT;
		int error;

		if (!v || v->type == VAL_NULL)
			continue;
		if ((error = template_render(&r, v, sc)) < 0)
			return tend_error_prefix("in '%s'", names[i]);
		val_to_str(&b, r);
		val_unref(r);
		*out = buf_detach(&b, NULL);
		return 0;
	}
	return 0;
}

/* transport_vars.get over the host's scope */
static int scope_conn_var(char **out, const char *const *names, void *payload)
{
	return conn_var(out, payload, names);
}

static int host_connect(struct hostctx *hc, const struct scope *sc)
{
	static const char *const v_conn[] = { "ansible_connection", NULL };
	struct hoststate *hs = hc->hs;
	struct conn *c = hs->conn;
	char *type = NULL;
	int error;

	if (c->t)
		return 0;
	if (c->error)
		return tend_error_set_code(TEND_EUNREACHABLE, "%s", c->error);
	if ((error = conn_var(&type, sc, v_conn)) < 0)
		goto out;
	{
		struct transport_vars v = {
			.inventory_name = hs->name, .get = scope_conn_var,
			.payload = (void *)sc,
		};

		error = transport_open(&c->t, type, &v);
	}
out:
	free(type);
	if (error < 0) {
		c->error = xstrdup(tend_error_last());
		return tend_error_set_code(TEND_EUNREACHABLE, "%s", c->error);
	}
	return 0;
}

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

/* ---- conditions ---- */

static int eval_conditions(bool *out, const struct val *conds,
			   const struct scope *sc, const char **failed_cond)
{
	*out = true;
	for (size_t i = 0; i < val_len(conds); i++) {
		const struct val *c = conds->u.list.items[i];
		bool b;
		int error;

		if (c->type == VAL_STR) {
			if ((error = expr_eval_bool(&b, c->u.s.ptr, sc)) < 0)
				return error;
		} else {
			b = truth_python(c);
		}
		if (!b) {
			*out = false;
			if (failed_cond)
				*failed_cond = val_cstr(c);
			return 0;
		}
	}
	return 0;
}

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

/* ---- secrets ---- */

/* Every secret string inside v (4 bytes or more), borrowed, into `out`. */
static void collect_secrets(struct val *out, const struct val *v,
			    bool inherited)
{
	bool secret = inherited || (v->flags & VAL_F_SECRET);

	if (v->type == VAL_STR && secret && v->u.s.len >= 4)
		val_list_push(out, val_ref((struct val *)v));
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		collect_secrets(out, v->u.list.items[i], secret);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		collect_secrets(out, v->u.dict.items[i].v, secret);
}

/* Replace every secret in b by ********. */
static void scrub(struct buf *b, const struct val *secrets)
{
	for (size_t i = 0; i < val_len(secrets); i++) {
		const struct val *sv = secrets->u.list.items[i];
		struct buf out = BUF_INIT;
		const char *p = b->ptr, *hit;

		if (!memmem(b->ptr, b->len, sv->u.s.ptr, sv->u.s.len))
			continue;
		while ((hit = memmem(p, b->len - (size_t)(p - b->ptr),
				     sv->u.s.ptr, sv->u.s.len))) {
			buf_add(&out, p, (size_t)(hit - p));
			buf_adds(&out, "********");
			p = hit + sv->u.s.len;
		}
		buf_add(&out, p, b->len - (size_t)(p - b->ptr));
		buf_release_secret(b);
		*b = out;
	}
}

/*
 * Flag every string of a result that holds a secret (a command that
 * echoed it): later tasks still get the value, output shows ********.
 */
static void taint(struct val *v, const struct val *secrets)
{
	if (v->type == VAL_STR) {
		for (size_t i = 0; i < val_len(secrets); i++) {
			const struct val *sv = secrets->u.list.items[i];

			if (memmem(v->u.s.ptr, v->u.s.len, sv->u.s.ptr,
				   sv->u.s.len))
				v->flags |= VAL_F_SECRET;
		}
	}
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		taint(v->u.list.items[i], secrets);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		taint(v->u.dict.items[i].v, secrets);
}

/* Undefined in a plan after an unknown result: the answer is unknown. */
static bool plan_unknown(const struct hostctx *hc, int error)
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
static struct val *exec_once(struct hostctx *hc, const struct task *t,
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

static void notify(struct hostctx *hc, const struct task *t)
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

static void register_result(struct hostctx *hc, const struct task *t,
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

/* Render the loop list; NULL with the error set on failure. */
static struct val *loop_items(const struct task *t, const struct scope *sc)
{
	struct val *items = NULL;

	if (template_render(&items, t->loop, sc) < 0)
		return NULL;
	if (val_cstr(items) && !strlen(val_cstr(items))) {
		val_unref(items);
		return val_list();
	}
	if (items->type != VAL_LIST) {
		tend_error_set("invalid data passed to 'loop': it requires a "
			       "list, got a %s", val_type_name(items->type));
		val_unref(items);
		return NULL;
	}
	if (t->loop_flatten) {
		struct val *flat = val_list();

		for (size_t i = 0; i < items->u.list.nr; i++) {
			struct val *it = items->u.list.items[i];

			if (it->type == VAL_LIST)
				for (size_t j = 0; j < it->u.list.nr; j++)
					val_list_push(flat,
						      val_ref(it->u.list.items[j]));
			else
				val_list_push(flat, val_ref(it));
		}
		val_unref(items);
		items = flat;
	}
	return items;
}

static struct val *make_loopvars(const struct task *t, struct val *item,
				 size_t i, size_t n)
{
	struct val *lv = val_dict(), *loop = val_dict();

	val_dict_set(lv, t->loop_var, val_ref(item));
	val_dict_set_str(lv, "ansible_loop_var", t->loop_var);
	if (t->index_var) {
		val_dict_set_int(lv, t->index_var, (long long)i);
		val_dict_set_str(lv, "ansible_index_var", t->index_var);
	}
	val_dict_set_int(loop, "index", (long long)i + 1);
	val_dict_set_int(loop, "index0", (long long)i);
	val_dict_set_bool(loop, "first", i == 0);
	val_dict_set_bool(loop, "last", i + 1 == n);
	val_dict_set_int(loop, "length", (long long)n);
	val_dict_set(lv, "ansible_loop", loop);
	return lv;
}

static char *item_label(const struct task *t, const struct scope *sc,
			const struct val *item)
{
	struct buf b = BUF_INIT;
	struct val *r = NULL;

	if (t->loop_label && template_render(&r, t->loop_label, sc) == 0) {
		val_to_str(&b, r);
		val_unref(r);
	} else {
		tend_error_clear();
		val_to_str(&b, item);
	}
	return buf_detach(&b, NULL);
}

/* A module task on one host, with its loop. Returns true if the host
 * failed. */
static void progress(struct hostctx *hc, const struct task *t)
{
	const struct run_opts *o = hc->pc->rs->opts;
	struct buf name = BUF_INIT;

	if (!o->hooks || !o->hooks->progress || o->quiet)
		return;
	if (t)
		task_display_name(&name, t);
	o->hooks->progress(hc->hs->name, t ? name.ptr : NULL,
			   o->hooks->payload);
	buf_release(&name);
}

static bool run_module_task(struct hostctx *hc, const struct task *t,
			    const struct varstack *vs)
{
	struct val *result;
	bool host_failed = false;

	progress(hc, t);
	if (!t->loop) {
		result = exec_once(hc, t, vs, NULL, NULL, &host_failed);
	} else {
		struct scopes *ss = xmalloc(sizeof(*ss));
		const struct scope *sc = build_scope(ss, hc, vs, t->vars, NULL,
						     NULL);
		struct val *items = loop_items(t, sc);
		struct val *results;
		bool any_changed = false, any_failed = false, all_skipped = true;
		size_t n;

		if (!items) {
			int error = tend_error_code();

			result = val_dict();
			if (plan_unknown(hc, error)) {
				add_event(hc, t, EV_UNKNOWN, NULL,
					  tend_error_last());
				val_dict_set_bool(result, "tend_unknown", true);
			} else {
				add_event(hc, t, EV_FAILED, NULL,
					  tend_error_last());
				val_dict_set_bool(result, "failed", true);
				host_failed = true;
			}
			free(ss);
			goto done;
		}
		n = items->u.list.nr;
		results = val_list();
		for (size_t i = 0; i < n && !hc->hs->unreachable; i++) {
			struct val *item = items->u.list.items[i];
			struct val *lv = make_loopvars(t, item, i, n);
			struct val *r;
			char *label;
			const struct scope *isc;

			isc = build_scope(ss, hc, vs, t->vars, lv, NULL);
			label = item_label(t, isc, item);
			r = exec_once(hc, t, vs, lv, label, &host_failed);
			free(label);
			val_dict_set(r, t->loop_var, val_ref(item));
			val_dict_set_str(r, "ansible_loop_var", t->loop_var);
			any_changed |= truth_python(val_dict_get(r, "changed"));
			any_failed |= truth_python(val_dict_get(r, "failed"));
			all_skipped &= truth_python(val_dict_get(r, "skipped"));
			val_list_push(results, r);
			val_unref(lv);
		}
		result = val_dict();
		val_dict_set_bool(result, "changed", any_changed);
		if (any_failed)
			val_dict_set_bool(result, "failed", true);
		if (all_skipped && n)
			val_dict_set_bool(result, "skipped", true);
		val_dict_set_str(result, "msg", any_failed ?
				 "One or more items failed" :
				 "All items completed");
		val_dict_set(result, "results", results);
		for (size_t i = 0; i < results->u.list.nr; i++)
			if (val_dict_get(results->u.list.items[i], "tend_unknown"))
				val_dict_set_bool(result, "tend_unknown", true);
		val_unref(items);
		free(ss);
	}
done:
	if (truth_python(val_dict_get(result, "changed")) && t->notify)
		notify(hc, t);
	register_result(hc, t, result);
	val_unref(result);
	return host_failed;
}

static bool walk_list(struct hostctx *hc, const struct tasklist *l,
		      struct varstack *vs);

static const struct tasklist *include_load(struct hostctx *hc,
					   const struct task *t,
					   const char *file)
{
	struct runstate *rs = hc->pc->rs;
	struct buf path = BUF_INIT;
	const struct tasklist *found = NULL;
	struct diags d = DIAGS_INIT;

	if (file[0] == '/') {
		buf_adds(&path, file);
	} else {
		char *copy = xstrdup(t->pos.file ? t->pos.file : rs->pb->path);

		buf_addf(&path, "%s/%s", dirname(copy), file);
		free(copy);
		if (access(path.ptr, F_OK)) {
			buf_reset(&path);
			buf_addf(&path, "%s/%s", rs->pb->dir, file);
		}
	}
	pthread_mutex_lock(&rs->lock);
	for (size_t i = 0; i < rs->incs_nr; i++)
		if (!strcmp(rs->incs[i].path, path.ptr))
			found = &rs->incs[i].tasks;
	if (!found) {
		struct tasklist tl = { 0 };

		if (playbook_load_tasks(&tl, path.ptr, rs->pb->dir, &d) < 0) {
			struct buf m = BUF_INIT;

			for (size_t i = 0; i < d.nr; i++)
				buf_addf(&m, "%s%s", i ? "\n" : "", d.items[i]);
			if (!d.nr)
				buf_adds(&m, tend_error_last());
			tend_error_set("cannot include '%s': %s", file, m.ptr);
			buf_release(&m);
			tasklist_release(&tl);
		} else {
			ALLOC_GROW(rs->incs, rs->incs_nr + 1, rs->incs_alloc);
			rs->incs[rs->incs_nr].path = xstrdup(path.ptr);
			rs->incs[rs->incs_nr].tasks = tl;
			found = &rs->incs[rs->incs_nr++].tasks;
		}
	}
	pthread_mutex_unlock(&rs->lock);
	diags_release(&d);
	buf_release(&path);
	return found;
}

static bool run_include(struct hostctx *hc, const struct task *t,
			struct varstack *vs)
{
	struct scopes *ss = xmalloc(sizeof(*ss));
	const struct scope *sc = build_scope(ss, hc, vs, t->vars, NULL, NULL);
	struct val *items = NULL;
	bool failed = false, cond;
	size_t n = 1;
	int error;

	if (t->loop) {
		if (!(items = loop_items(t, sc))) {
			add_event(hc, t, EV_FAILED, NULL, tend_error_last());
			free(ss);
			return true;
		}
		n = items->u.list.nr;
	}
	for (size_t i = 0; i < n && !failed; i++) {
		struct val *lv = items ? make_loopvars(t, items->u.list.items[i],
						       i, n) : NULL;
		struct val *file = NULL, *frame = val_dict();
		const struct tasklist *tl = NULL;

		sc = build_scope(ss, hc, vs, t->vars, lv, NULL);
		if ((error = eval_conditions(&cond, t->when, sc, NULL)) < 0) {
			add_event(hc, t, plan_unknown(hc, error) ? EV_UNKNOWN :
				  EV_FAILED, NULL, tend_error_last());
			failed = !plan_unknown(hc, error);
			goto next;
		}
		if (!cond) {
			add_event(hc, t, EV_SKIPPED, NULL, NULL);
			goto next;
		}
		if (t->include_static) {
			tl = &t->included;
		} else if ((error = template_render(&file,
				val_dict_get(t->args, "file"), sc)) < 0 ||
			   !val_cstr(file)) {
			add_event(hc, t, EV_FAILED, NULL, error < 0 ?
				  tend_error_last() : "include file is not a string");
			failed = true;
			goto next;
		} else if (!(tl = include_load(hc, t, val_cstr(file)))) {
			add_event(hc, t, EV_FAILED, NULL, tend_error_last());
			failed = true;
			goto next;
		}
		/* the include's vars and loop var reach its tasks */
		if (t->vars)
			val_dict_update(frame, t->vars, false);
		if (lv)
			val_dict_update(frame, lv, false);
		if (vs->nr == ARRAY_SIZE(vs->items))
			BUG("includes nested too deep");
		vs->items[vs->nr++] = frame;
		failed = walk_list(hc, tl, vs);
		vs->nr--;
next:
		val_unref(frame);
		val_unref(file);
		val_unref(lv);
	}
	val_unref(items);
	free(ss);
	return failed;
}

static bool run_block(struct hostctx *hc, const struct task *t,
		      struct varstack *vs)
{
	struct scopes *ss = xmalloc(sizeof(*ss));
	const struct scope *sc = build_scope(ss, hc, vs, t->vars, NULL, NULL);
	bool cond, failed;
	size_t first_ev;
	int error;

	if ((error = eval_conditions(&cond, t->when, sc, NULL)) < 0) {
		add_event(hc, t, EV_FAILED, NULL, tend_error_last());
		free(ss);
		return true;
	}
	free(ss);
	if (!cond)
		return false; /* Ansible reports each task as skipped; we stay quiet */
	if (t->vars) {
		if (vs->nr == ARRAY_SIZE(vs->items))
			BUG("blocks nested too deep");
		vs->items[vs->nr++] = t->vars;
	}
	first_ev = hc->hs->ev_nr;
	failed = walk_list(hc, &t->block, vs);
	if (failed && t->rescue.nr && !hc->hs->unreachable) {
		/* the failure is rescued: mark the block's failed events */
		for (size_t i = first_ev; i < hc->hs->ev_nr; i++)
			if (hc->hs->ev[i].status == EV_FAILED)
				hc->hs->ev[i].rescued = true;
		hc->hs->failed = false;
		failed = walk_list(hc, &t->rescue, vs);
	}
	if (t->always.nr && !hc->hs->unreachable) {
		bool was = hc->hs->failed;

		hc->hs->failed = false;
		failed |= walk_list(hc, &t->always, vs);
		hc->hs->failed = was;
	}
	if (t->vars)
		vs->nr--;
	return failed;
}

static bool run_task(struct hostctx *hc, const struct task *t,
		     struct varstack *vs)
{
	const struct run_opts *o = hc->pc->rs->opts;
	int become = hc->become;
	const char *become_user = hc->become_user;
	bool failed = false;

	if (tend_interrupted || hc->hs->ended || hc->pc->end_play)
		return false;
	if (t->become >= 0)
		hc->become = t->become;
	if (t->become_user)
		hc->become_user = t->become_user;
	switch (t->kind) {
	case TASK_BLOCK:
		failed = run_block(hc, t, vs);
		break;
	case TASK_INCLUDE:
		if (task_matches_tags(t, o->tags, o->skip_tags) ||
		    !val_len(t->tags))
			failed = run_include(hc, t, vs);
		break;
	case TASK_META:
		if (!strcmp(t->meta, "end_host"))
			hc->hs->ended = true;
		else if (!strcmp(t->meta, "end_play"))
			hc->pc->end_play = true;
		else if (!strcmp(t->meta, "clear_facts")) {
			val_unref(hc->hs->factvars);
			hc->hs->factvars = val_dict();
		}
		/* flush_handlers at the top level is handled by the play */
		break;
	case TASK_MODULE:
		if (task_matches_tags(t, o->tags, o->skip_tags))
			failed = run_module_task(hc, t, vs);
		break;
	}
	hc->become = become;
	hc->become_user = become_user;
	return failed;
}

static bool walk_list(struct hostctx *hc, const struct tasklist *l,
		      struct varstack *vs)
{
	for (size_t i = 0; i < l->nr; i++) {
		if (run_task(hc, l->items[i], vs)) {
			hc->hs->failed = true;
			return true;
		}
		if (hc->hs->unreachable)
			return true;
	}
	return false;
}

/* ---- steps: one top-level task on every active host ---- */

struct step {
	struct playctx *pc;
	const struct task *t; /* NULL: gather facts (or the list below) */
	const struct tasklist *list; /* strategy free: a whole section */
	bool handler;
	size_t *hosts;
	size_t nr;
	size_t next; /* atomic */
};

static void gather_facts(struct hostctx *hc)
{
	struct hoststate *hs = hc->hs;
	struct scopes *ss = xmalloc(sizeof(*ss));
	const struct scope *sc = build_scope(ss, hc, NULL, NULL, NULL, NULL);
	struct val *facts = NULL;
	int error;

	if ((error = host_connect(hc, sc)) < 0 ||
	    (error = facts_gather(&facts, hs->conn->t)) < 0) {
		add_event(hc, NULL, error == TEND_EUNREACHABLE ? EV_UNREACHABLE :
			  EV_FAILED, NULL, tend_error_last());
		if (error == TEND_EUNREACHABLE)
			hs->unreachable = true;
		else
			hs->failed = true;
		free(ss);
		return;
	}
	/* facts are host data: never rendered as templates */
	facts = val_unsafe(facts);
	val_unref(hs->factvars);
	hs->factvars = val_dict();
	for (size_t i = 0; i < facts->u.dict.nr; i++) {
		struct buf k = BUF_INIT;

		buf_addf(&k, "ansible_%s", facts->u.dict.items[i].key);
		val_dict_set(hs->factvars, k.ptr,
			     val_ref(facts->u.dict.items[i].v));
		buf_release(&k);
	}
	val_dict_set(hs->factvars, "ansible_facts", facts);
	hs->dirty = true;
	add_event(hc, NULL, EV_OK, NULL, NULL);
	free(ss);
}

static void step_host(struct step *s, struct hoststate *hs)
{
	struct hostctx hc = { .pc = s->pc, .hs = hs, .handler = s->handler };
	struct varstack vs = { .nr = 0 };
	const struct play *p = s->pc->play;

	hc.become = p->become > 0;
	hc.become_user = p->become_user;
	if (s->t || s->list)
		progress(&hc, s->t);
	if (s->list) {
		for (size_t i = 0; i < s->list->nr; i++)
			if (run_task(&hc, s->list->items[i], &vs) ||
			    hs->unreachable) {
				hs->failed = true;
				break;
			}
	} else if (!s->t) {
		gather_facts(&hc);
	} else if (run_task(&hc, s->t, &vs)) {
		hs->failed = true;
	}
	progress(&hc, NULL);
}

static void *step_worker(void *arg)
{
	struct step *s = arg;

	for (;;) {
		size_t i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);

		if (i >= s->nr)
			break;
		step_host(s, &s->pc->hs[s->hosts[i]]);
	}
	tend_error_clear(); /* its thread-local message dies with the thread */
	return NULL;
}

static void stats_count(struct host_stats *st, const struct run_event *ev)
{
	if (ev->ignored) {
		st->ignored++;
		return;
	}
	if (ev->rescued) {
		st->rescued++;
		return;
	}
	switch (ev->status) {
	case EV_OK:
		st->ok++;
		break;
	case EV_CHANGED:
		st->changed++;
		break;
	case EV_UNKNOWN:
		st->unknown++;
		break;
	case EV_SKIPPED:
		st->skipped++;
		break;
	case EV_FAILED:
		st->failed++;
		break;
	case EV_UNREACHABLE:
		st->unreachable++;
		break;
	}
}

static bool same_task(const struct run_event *a, const struct run_event *b)
{
	return a->pos.file == b->pos.file && a->pos.line == b->pos.line &&
	       a->pos.col == b->pos.col && b->label;
}

/*
 * A loop counts once per host in the stats, as Ansible's recap does:
 * failed over changed over ok, skipped only if every item was. Counts
 * the run of items starting at (*j) when *j is its first item.
 */
static void count_loop(struct host_stats *st, const struct run_event *ev,
		       size_t *j, size_t nr)
{
	struct run_event agg;
	size_t k = *j;
	bool all_skipped = true;

	if (k > 0 && same_task(&ev[k - 1], &ev[k]) && ev[k - 1].label)
		return; /* counted with its first item */
	agg = ev[k];
	agg.ignored = false;
	agg.status = EV_OK;
	for (; k < nr && (k == *j || same_task(&ev[*j], &ev[k])); k++) {
		const struct run_event *e = &ev[k];

		if (e->status != EV_SKIPPED)
			all_skipped = false;
		if ((e->status == EV_FAILED && !e->ignored) ||
		    e->status == EV_UNREACHABLE)
			agg.status = e->status;
		else if (e->status == EV_FAILED && e->ignored &&
			 agg.status != EV_FAILED)
			agg.ignored = true;
		else if ((e->status == EV_CHANGED || e->status == EV_UNKNOWN) &&
			 agg.status == EV_OK)
			agg.status = e->status;
	}
	if (all_skipped)
		agg.status = EV_SKIPPED;
	if (agg.status == EV_FAILED || agg.status == EV_UNREACHABLE)
		agg.ignored = false;
	stats_count(st, &agg);
}

static struct val *host_visible_vars(struct hoststate *hs)
{
	struct val *v = val_copy(hs->inv_vars);

	val_dict_update(v, hs->factvars, false);
	val_dict_update(v, hs->hostfacts, false);
	val_dict_update(v, hs->magic, false);
	return v;
}

static void step_finish(struct step *s)
{
	struct playctx *pc = s->pc;
	struct run_result *res = pc->rs->res;
	const struct run_hooks *hooks = pc->rs->opts->quiet ? NULL :
					pc->rs->opts->hooks;

	for (size_t i = 0; i < s->nr; i++) {
		struct hoststate *hs = &pc->hs[s->hosts[i]];

		for (size_t j = 0; j < hs->ev_nr; j++) {
			struct run_event *ev = &hs->ev[j];

			ev->play = (char *)(pc->play->name ? pc->play->name : "");
			ALLOC_GROW(res->events, res->nr + 1, res->alloc);
			res->events[res->nr++] = *ev;
			if (ev->label)
				count_loop(&res->hosts[hs->stats], hs->ev, &j,
					   hs->ev_nr);
			else
				stats_count(&res->hosts[hs->stats], ev);
			if (hooks && hooks->event)
				hooks->event(ev, hooks->payload);
		}
		hs->ev_nr = 0;
		if (hs->dirty) {
			val_dict_set(pc->hostvars, hs->name,
				     host_visible_vars(hs));
			hs->dirty = false;
		}
	}
}

/* any_errors_fatal and max_fail_percentage, checked after each step */
static void check_failures(struct playctx *pc)
{
	size_t failed = 0;

	for (size_t i = 0; i < pc->nr; i++)
		if (pc->hs[i].failed || pc->hs[i].unreachable)
			failed++;
	if (!failed)
		return;
	if (pc->play->any_errors_fatal)
		pc->end_play = true;
	if (pc->play->max_fail_percentage >= 0 &&
	    (double)failed * 100.0 / (double)pc->nr >
	    (double)pc->play->max_fail_percentage)
		pc->end_play = true;
}

static void run_step_list(struct playctx *pc, const struct task *t,
			  const struct tasklist *list, bool handler,
			  const size_t *only, size_t only_nr)
{
	struct step s = { .pc = pc, .t = t, .list = list, .handler = handler };
	size_t workers;
	pthread_t *tids;
	const struct run_opts *o = pc->rs->opts;

	if (pc->end_play || tend_interrupted)
		return;
	s.hosts = xmalloc((pc->nr ? pc->nr : 1) * sizeof(size_t));
	for (size_t i = 0; i < (only ? only_nr : pc->nr); i++) {
		size_t h = only ? only[i] : i;
		struct hoststate *hs = &pc->hs[h];

		if (!hs->failed && !hs->unreachable && !hs->ended)
			s.hosts[s.nr++] = h;
	}
	workers = (size_t)(o->forks > 0 ? o->forks : 1);
	if (workers > s.nr)
		workers = s.nr;
	if (workers <= 1) {
		step_worker(&s);
	} else {
		tids = xmalloc(workers * sizeof(*tids));
		for (size_t i = 0; i < workers; i++)
			if (pthread_create(&tids[i], NULL, step_worker, &s))
				BUG("pthread_create failed");
		for (size_t i = 0; i < workers; i++)
			pthread_join(tids[i], NULL);
		free(tids);
	}
	step_finish(&s);
	free(s.hosts);
	check_failures(pc);
}

static void run_step(struct playctx *pc, const struct task *t, bool handler,
		     const size_t *only, size_t only_nr)
{
	run_step_list(pc, t, NULL, handler, only, only_nr);
}

static bool handler_listens(const struct task *h, const struct val *name)
{
	if (h->name && val_cstr(name) && !strcmp(h->name, val_cstr(name)))
		return true;
	for (size_t i = 0; i < val_len(h->listen); i++)
		if (val_equal(h->listen->u.list.items[i], name))
			return true;
	return false;
}

static void flush_handlers(struct playctx *pc)
{
	const struct tasklist *hl = &pc->play->handlers;
	size_t *who = xmalloc((pc->nr ? pc->nr : 1) * sizeof(size_t));

	/* a handler may notify a later one: go round until quiet */
	for (int round = 0; round < 16; round++) {
		bool any = false;

		for (size_t i = 0; i < hl->nr; i++) {
			const struct task *h = hl->items[i];
			size_t n = 0;

			for (size_t j = 0; j < pc->nr; j++) {
				struct hoststate *hs = &pc->hs[j];
				struct val *keep = val_list();
				bool hit = false;

				for (size_t k = 0; k < val_len(hs->notified); k++) {
					struct val *nv = hs->notified->u.list.items[k];

					if (handler_listens(h, nv))
						hit = true;
					else
						val_list_push(keep, val_ref(nv));
				}
				val_unref(hs->notified);
				hs->notified = keep;
				if (hit)
					who[n++] = j;
			}
			if (n) {
				any = true;
				run_step(pc, h, true, who, n);
			}
		}
		if (!any)
			break;
	}
	free(who);
}

static void run_section(struct playctx *pc, const struct tasklist *l)
{
	if (pc->play->strategy_free) {
		/* every host goes through the section at its own pace */
		if (l->nr)
			run_step_list(pc, NULL, l, false, NULL, 0);
		flush_handlers(pc);
		return;
	}
	for (size_t i = 0; i < l->nr && !pc->end_play && !tend_interrupted;
	     i++) {
		const struct task *t = l->items[i];

		if (t->kind == TASK_META && !strcmp(t->meta, "flush_handlers"))
			flush_handlers(pc);
		else
			run_step(pc, t, false, NULL, 0);
	}
	flush_handlers(pc);
}

/* ---- plays ---- */

static size_t stats_index(struct runstate *rs, const char *host)
{
	struct run_result *res = rs->res;
	const struct val *at = val_dict_get(rs->stats_index, host);

	if (at)
		return (size_t)at->u.i;
	ALLOC_GROW(res->hosts, res->hosts_nr + 1, res->hosts_alloc);
	memset(&res->hosts[res->hosts_nr], 0, sizeof(struct host_stats));
	res->hosts[res->hosts_nr].host = xstrdup(host);
	val_dict_set_int(rs->stats_index, host, (long long)res->hosts_nr);
	return res->hosts_nr++;
}

static struct conn *conn_for(struct runstate *rs, const char *host)
{
	const struct val *at = val_dict_get(rs->conn_index, host);

	if (!at)
		BUG("no connection slot for '%s'", host);
	return &rs->conns[at->u.i];
}

static void conn_slot(struct runstate *rs, const char *host)
{
	if (val_dict_get(rs->conn_index, host))
		return;
	ALLOC_GROW(rs->conns, rs->conns_nr + 1, rs->conns_alloc);
	memset(&rs->conns[rs->conns_nr], 0, sizeof(struct conn));
	rs->conns[rs->conns_nr].host = xstrdup(host);
	val_dict_set_int(rs->conn_index, host, (long long)rs->conns_nr);
	rs->conns_nr++;
}

/*
 * Keep the hosts of sel that lim holds too, in sel's order. Host names
 * are unique in an inventory, so a dict of lim's names answers "in lim?".
 */
static size_t limit_hosts(struct host **sel, size_t sel_nr,
			  struct host *const *lim, size_t lim_nr)
{
	struct val *in_lim = val_dict();
	size_t keep = 0;

	for (size_t j = 0; j < lim_nr; j++)
		val_dict_set_int(in_lim, lim[j]->name, (long long)j);
	for (size_t i = 0; i < sel_nr; i++) {
		const struct val *j = val_dict_get(in_lim, sel[i]->name);

		if (j && lim[j->u.i] == sel[i])
			sel[keep++] = sel[i];
	}
	val_unref(in_lim);
	return keep;
}

/* Render the play's host pattern(s) with the play and extra vars. */
static int play_pattern(struct buf *out, const struct play *p,
			const struct scope *sc)
{
	struct val *r = NULL;
	int error;

	if ((error = template_render(&r, p->hosts, sc)) < 0)
		return tend_error_prefix("in 'hosts'");
	if (r->type == VAL_LIST) {
		for (size_t i = 0; i < r->u.list.nr; i++) {
			if (i)
				buf_addch(out, ':');
			val_to_str(out, r->u.list.items[i]);
		}
	} else {
		val_to_str(out, r);
	}
	val_unref(r);
	return 0;
}

static int load_vars_files(struct val *play_vars, const struct play *p,
			   const struct runstate *rs, const struct scope *sc)
{
	for (size_t i = 0; i < val_len(p->vars_files); i++) {
		struct val *name = NULL, *doc = NULL;
		struct diags d = DIAGS_INIT;
		struct buf path = BUF_INIT;
		int error;

		if ((error = template_render(&name,
				p->vars_files->u.list.items[i], sc)) < 0)
			return tend_error_prefix("in 'vars_files'");
		if (val_cstr(name)[0] == '/')
			buf_adds(&path, val_cstr(name));
		else
			buf_addf(&path, "%s/%s", rs->pb->dir, val_cstr(name));
		error = yaml_load_file(&doc, path.ptr, &d);
		if (error == 0 && doc->type != VAL_DICT && doc->type != VAL_NULL)
			error = tend_error_set("vars file '%s' must hold a "
					       "dict", path.ptr);
		else if (error == TEND_EPARSE)
			error = tend_error_set("%s", d.nr ? d.items[0] :
					       "invalid vars file");
		if (error == 0)
			val_dict_update(play_vars, doc, false);
		val_unref(doc);
		val_unref(name);
		diags_release(&d);
		buf_release(&path);
		if (error < 0)
			return error;
	}
	return 0;
}

static void hoststate_release(struct hoststate *hs)
{
	val_unref(hs->inv_vars);
	val_unref(hs->factvars);
	val_unref(hs->hostfacts);
	val_unref(hs->magic);
	val_unref(hs->notified);
	free(hs->ev);
}

/* Split hosts into serial batches: a list of sizes. */
static size_t next_batch(const struct val *serial, size_t batch_no,
			 size_t total)
{
	const struct val *v = serial;
	size_t n;

	if (!v)
		return total;
	if (v->type == VAL_LIST && v->u.list.nr) {
		size_t k = batch_no < v->u.list.nr ? batch_no : v->u.list.nr - 1;

		v = v->u.list.items[k];
	}
	if (v->type == VAL_INT) {
		n = v->u.i > 0 ? (size_t)v->u.i : total;
	} else if (val_cstr(v) && strchr(val_cstr(v), '%')) {
		double pct = atof(val_cstr(v));

		n = (size_t)((double)total * pct / 100.0);
	} else if (val_cstr(v)) {
		n = (size_t)atoll(val_cstr(v));
	} else {
		n = total;
	}
	if (n == 0)
		n = 1;
	return n;
}

static void host_setup(struct playctx *pc, struct hoststate *hs,
		       struct host *h)
{
	struct runstate *rs = pc->rs;
	char *short_name;

	hs->host = h;
	hs->name = h->name;
	hs->conn = conn_for(rs, hs->name);
	hs->inv_vars = inventory_host_vars(rs->inv, h);
	hs->factvars = val_dict();
	hs->hostfacts = val_dict();
	hs->notified = val_list();
	hs->magic = val_dict();
	val_dict_set_str(hs->magic, "inventory_hostname", hs->name);
	short_name = xstrndup(hs->name, strcspn(hs->name, "."));
	val_dict_set_str(hs->magic, "inventory_hostname_short", short_name);
	free(short_name);
	val_dict_set(hs->magic, "group_names",
		     inventory_group_names(rs->inv, h));
}

/*
 * The state of each selected host, and the hostvars all of them see.
 * Each step is linear in the hosts; between hosts it checks
 * tend_interrupted, and returns false when set: pc->hs is then set up in
 * part (hoststate_release copes) and no host has stats yet.
 */
static bool play_setup(struct playctx *pc, struct host **sel, size_t sel_nr,
		       struct val *play_hosts)
{
	struct runstate *rs = pc->rs;

	/* every slot first: growing the array moves it */
	for (size_t i = 0; i < sel_nr; i++) {
		if (tend_interrupted)
			return false;
		conn_slot(rs, sel[i]->name);
	}
	for (size_t i = 0; i < sel_nr; i++) {
		struct hoststate *hs = &pc->hs[i];

		if (tend_interrupted)
			return false;
		host_setup(pc, hs, sel[i]);
		val_list_push(play_hosts, val_str(hs->name));
		val_dict_set(pc->hostvars, hs->name, host_visible_vars(hs));
	}
	/* hosts of the inventory outside this play are visible too */
	for (size_t i = 0; i < rs->inv->hosts_nr; i++) {
		struct host *h = rs->inv->hosts[i];

		if (tend_interrupted)
			return false;
		if (!val_dict_get(pc->hostvars, h->name))
			val_dict_set(pc->hostvars, h->name,
				     inventory_host_vars(rs->inv, h));
	}
	for (size_t i = 0; i < sel_nr; i++)
		pc->hs[i].stats = stats_index(rs, pc->hs[i].name);
	return !tend_interrupted;
}

/* Run the play's sections over its hosts, batch by batch (serial). */
static int play_batches(struct playctx *pc)
{
	const struct play *p = pc->play;
	const struct run_opts *o = pc->rs->opts;
	struct hoststate *all = pc->hs;
	size_t total = pc->nr, done = 0, batch_no = 0;
	int error = 0;

	while (done < total && !tend_interrupted) {
		size_t n = next_batch(p->serial, batch_no++, total - done);
		struct val *batch = val_list();

		if (n > total - done)
			n = total - done;
		pc->hs = all + done;
		pc->nr = n;
		for (size_t i = 0; i < n; i++)
			val_list_push(batch, val_str(pc->hs[i].name));
		val_dict_set(pc->common, "ansible_play_batch", batch);
		pc->end_play = false;
		if (o->hooks && o->hooks->batch_start && !o->quiet) {
			const char **names = xcalloc(n, sizeof(*names));

			for (size_t i = 0; i < n; i++)
				names[i] = pc->hs[i].name;
			error = o->hooks->batch_start(p, names, n, batch_no,
						      o->hooks->payload);
			free(names);
			if (error < 0)
				break;
		}
		if (p->gather_facts)
			run_step(pc, NULL, false, NULL, 0);
		run_section(pc, &p->pre_tasks);
		run_section(pc, &p->tasks);
		run_section(pc, &p->post_tasks);
		if (o->hooks && o->hooks->batch_end && !o->quiet)
			o->hooks->batch_end(p, o->hooks->payload);
		done += n;
	}
	pc->hs = all;
	pc->nr = total;
	return error;
}

static int run_play(struct runstate *rs, const struct play *p)
{
	struct playctx pc = { .rs = rs, .play = p };
	struct scope base[2];
	struct buf pattern = BUF_INIT;
	struct host **sel = NULL, **lim = NULL;
	size_t sel_nr = 0, lim_nr = 0;
	struct val *play_hosts = NULL;
	const struct run_opts *o = rs->opts;
	int error = 0;

	pc.play_vars = val_copy(p->vars);
	base[0] = (struct scope){ NULL, pc.play_vars, rs->pb->dir };
	base[1] = (struct scope){ &base[0], o->extra_vars, NULL };
	if ((error = play_pattern(&pattern, p, &base[1])) < 0 ||
	    (error = load_vars_files(pc.play_vars, p, rs, &base[1])) < 0 ||
	    (error = inventory_select(&sel, &sel_nr, rs->inv, pattern.ptr)) < 0)
		goto out;
	if (o->limit) {
		if ((error = inventory_select(&lim, &lim_nr, rs->inv,
					      o->limit)) < 0)
			goto out;
		sel_nr = limit_hosts(sel, sel_nr, lim, lim_nr);
	}
	if (o->only_hosts) {
		struct val *want = val_dict();
		size_t keep = 0;

		for (size_t i = 0; i < val_len(o->only_hosts); i++)
			val_dict_set(want, val_cstr(val_list_at(o->only_hosts,
							       i)), val_null());
		for (size_t i = 0; i < sel_nr; i++)
			if (val_dict_get(want, sel[i]->name))
				sel[keep++] = sel[i];
		sel_nr = keep;
		val_unref(want);
	}
	if (o->hooks && o->hooks->play_start && !o->quiet)
		o->hooks->play_start(p, sel_nr, o->hooks->payload);
	if (!sel_nr || tend_interrupted)
		goto out;

	pc.hs = xcalloc(sel_nr, sizeof(*pc.hs));
	pc.nr = sel_nr;
	pc.hostvars = val_dict();
	play_hosts = val_list();
	if (!play_setup(&pc, sel, sel_nr, play_hosts))
		goto out; /* interrupted: run_playbook says so */
	pc.common = val_dict();
	val_dict_set(pc.common, "groups", inventory_groups(rs->inv));
	val_dict_set(pc.common, "hostvars", val_ref(pc.hostvars));
	val_dict_set(pc.common, "ansible_play_hosts", val_ref(play_hosts));
	val_dict_set(pc.common, "ansible_play_hosts_all", val_ref(play_hosts));
	val_dict_set(pc.common, "play_hosts", val_ref(play_hosts));
	val_dict_set(pc.common, "ansible_play_name",
		     val_str(p->name ? p->name : ""));
	val_dict_set_str(pc.common, "playbook_dir", rs->pb->dir);
	val_dict_set_str(pc.common, "omit", OMIT_TOKEN);
	val_dict_set_bool(pc.common, "ansible_check_mode", o->mode == RUN_PLAN);
	val_dict_set_str(pc.common, "ansible_version_full", TEND_VERSION);
	error = play_batches(&pc);
out:
	for (size_t i = 0; pc.hs && i < pc.nr; i++)
		hoststate_release(&pc.hs[i]);
	free(pc.hs);
	val_unref(play_hosts);
	val_unref(pc.common);
	val_unref(pc.hostvars);
	val_unref(pc.play_vars);
	free(sel);
	free(lim);
	buf_release(&pattern);
	return error;
}

int run_playbook(struct run_result *out, const struct playbook *pb,
		 struct inventory *inv, const struct run_opts *opts)
{
	struct runstate rs = { .res = out, .opts = opts, .pb = pb, .inv = inv };
	int error = 0;

	pthread_mutex_init(&rs.lock, NULL);
	rs.conn_index = val_dict();
	rs.stats_index = val_dict();
	/* a run_result may already hold the hosts of earlier playbooks */
	for (size_t i = 0; i < out->hosts_nr; i++)
		val_dict_set_int(rs.stats_index, out->hosts[i].host,
				 (long long)i);
	rs.secrets = val_list();
	if (opts->extra_vars)
		collect_secrets(rs.secrets, opts->extra_vars, false);
	for (size_t i = 0; i < pb->nr && !tend_interrupted; i++)
		if ((error = run_play(&rs, pb->plays[i])) < 0)
			break;
	for (size_t i = 0; i < rs.conns_nr; i++) {
		if (rs.conns[i].t) {
			out->round_trips += rs.conns[i].t->round_trips;
			transport_close(rs.conns[i].t);
		}
		free(rs.conns[i].host);
		free(rs.conns[i].error);
	}
	free(rs.conns);
	val_unref(rs.conn_index);
	val_unref(rs.stats_index);
	for (size_t i = 0; i < rs.incs_nr; i++) {
		free(rs.incs[i].path);
		tasklist_release(&rs.incs[i].tasks);
	}
	free(rs.incs);
	pthread_mutex_destroy(&rs.lock);
	val_unref(rs.secrets);
	out->interrupted = tend_interrupted != 0;
	return error;
}

