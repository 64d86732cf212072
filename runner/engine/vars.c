/*
 * Variables: the scopes a task sees, its conditions, and the secrets
 * kept out of its output.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"
#include "tend/lang/template.h"
#include "tend/data/truth.h"

void run_push_scope(struct scopes *ss, const struct val *vars,
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
	sc->limits = NULL;
	ss->nr++;
}

const struct scope *run_build_scope(struct scopes *ss,
				const struct hostctx *hc,
				const struct varstack *vs,
				const struct val *task_vars,
				const struct val *loopvars,
				const struct val *scratch)
{
	struct hoststate *hs = hc->hs;
	struct playctx *pc = hc->pc;

	ss->nr = 0;
	run_push_scope(ss, pc->rs->opts->defaults, pc->rs->pb->dir);
	run_push_scope(ss, hs->inv_vars, pc->rs->pb->dir);
	run_push_scope(ss, hs->factvars, NULL);
	run_push_scope(ss, pc->play_vars, NULL);
	for (size_t i = 0; vs && i < vs->nr; i++)
		run_push_scope(ss, vs->items[i], NULL);
	run_push_scope(ss, task_vars, NULL);
	run_push_scope(ss, hs->hostfacts, NULL);
	run_push_scope(ss, loopvars, NULL);
	run_push_scope(ss, scratch, NULL);
	run_push_scope(ss, hs->magic, NULL);
	run_push_scope(ss, pc->common, NULL);
	run_push_scope(ss, pc->rs->opts->extra_vars, NULL);
	/* every link: lookups read files and the environment within these */
	for (size_t i = 0; i < ss->nr; i++)
		ss->s[i].limits = &pc->rs->pb->limits;
	return &ss->s[ss->nr - 1];
}

/* ---- conditions ---- */

int run_eval_conditions(bool *out, const struct val *conds,
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

/* ---- secrets ---- */

/* Every secret string inside v (4 bytes or more), borrowed, into `out`. */
void run_collect_secrets(struct val *out, const struct val *v,
		     bool inherited)
{
	bool secret = inherited || (v->flags & VAL_F_SECRET);

	if (v->type == VAL_STR && secret && v->u.s.len >= 4)
		val_list_push(out, val_ref((struct val *)v));
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		run_collect_secrets(out, v->u.list.items[i], secret);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		run_collect_secrets(out, v->u.dict.items[i].v, secret);
}

/* Replace every secret in b by ********. */
void run_scrub(struct buf *b, const struct val *secrets)
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
void run_taint(struct val *v, const struct val *secrets)
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
		run_taint(v->u.list.items[i], secrets);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		run_taint(v->u.dict.items[i].v, secrets);
}

struct val *run_host_visible_vars(struct hoststate *hs)
{
	struct val *v = val_copy(hs->inv_vars);

	val_dict_update(v, hs->factvars, false);
	val_dict_update(v, hs->hostfacts, false);
	val_dict_update(v, hs->magic, false);
	return v;
}
