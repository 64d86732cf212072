/*
 * Variables: the scopes a task sees, its conditions, and the secrets
 * kept out of its output.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"
#include "tend/lang/template.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>

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
	sc->secret_text = NULL;
	sc->limits = NULL;
	sc->kind = SCOPE_PLAIN;
	ss->nr++;
}

enum role_field { ROLE_DEFAULTS, ROLE_VARS, ROLE_PARAMS };

/*
 * One field of each role of the chain of `r` (a dependency's parents
 * first), outermost first: a dependency sees what its parents set, and
 * its own over it.
 */
static void push_role_chain(struct scopes *ss, const struct role *r,
			    enum role_field f)
{
	const struct role *chain[MAX_SCOPES / 4];
	size_t n = 0;

	for (; r && n < ARRAY_SIZE(chain); r = r->parent)
		chain[n++] = r;
	while (n--)
		run_push_scope(ss, f == ROLE_DEFAULTS ? chain[n]->defaults :
			       f == ROLE_VARS ? chain[n]->vars :
			       chain[n]->params, NULL);
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

	const struct role *role = vs ? vs->role : NULL;

	ss->nr = 0;
	run_push_scope(ss, hs->conn_magic, pc->rs->pb->dir);
	if (ss->nr)
		ss->s[0].kind = SCOPE_CONN_MAGIC;
	run_push_scope(ss, pc->rs->opts->defaults, pc->rs->pb->dir);
	/* Ansible's precedence: role defaults lowest, role vars over play vars */
	run_push_scope(ss, __atomic_load_n(&pc->role_defaults,
					   __ATOMIC_ACQUIRE), pc->rs->pb->dir);
	push_role_chain(ss, role, ROLE_DEFAULTS);
	run_push_scope(ss, hs->inv_vars, pc->rs->pb->dir);
	run_push_scope(ss, hs->factvars, NULL);
	run_push_scope(ss, pc->play_vars, NULL);
	run_push_scope(ss, __atomic_load_n(&pc->role_vars, __ATOMIC_ACQUIRE),
		       NULL);
	push_role_chain(ss, role, ROLE_VARS);
	for (size_t i = 0; vs && i < vs->nr; i++)
		if (!vs->param[i])
			run_push_scope(ss, vs->items[i], NULL);
	run_push_scope(ss, task_vars, NULL);
	run_push_scope(ss, hs->incvars, NULL);
	run_push_scope(ss, hs->hostfacts, NULL);
	/* role params (roles: - {role: x, param: 1}) over set_fact */
	push_role_chain(ss, role, ROLE_PARAMS);
	/* the include params of the dynamic includes around it over those */
	for (size_t i = 0; vs && i < vs->nr; i++)
		if (vs->param[i])
			run_push_scope(ss, vs->items[i], NULL);
	if (loopvars) {
		run_push_scope(ss, loopvars, NULL);
		ss->s[ss->nr - 1].kind = SCOPE_LOOP;
	}
	run_push_scope(ss, scratch, NULL);
	run_push_scope(ss, hs->magic, NULL);
	if (role)
		run_push_scope(ss, role->magic, NULL);
	run_push_scope(ss, pc->common, NULL);
	run_push_scope(ss, pc->rs->opts->extra_vars, NULL);
	/* rendering in this scope records the host's secret text */
	ss->s[0].secret_text = hs->secret_text;
	/* every link: lookups read files and the environment within these */
	for (size_t i = 0; i < ss->nr; i++)
		ss->s[i].limits = &pc->rs->pb->limits;
	return &ss->s[ss->nr - 1];
}

/* A new dict: `base` (or nothing) with `add` over it. */
static struct val *merged(const struct val *base, const struct val *add)
{
	struct val *d = base ? val_copy(base) : val_dict();

	val_dict_update(d, add, false);
	return d;
}

void run_role_public(struct playctx *pc, const struct role *r)
{
	struct val *d, *v;

	pthread_mutex_lock(&pc->rs->lock);
	d = merged(pc->role_defaults, r->defaults);
	v = merged(pc->role_vars, r->vars);
	if (!pc->role_vars_old)
		pc->role_vars_old = val_list();
	if (pc->role_defaults)
		val_list_push(pc->role_vars_old, pc->role_defaults);
	if (pc->role_vars)
		val_list_push(pc->role_vars_old, pc->role_vars);
	__atomic_store_n(&pc->role_defaults, d, __ATOMIC_RELEASE);
	__atomic_store_n(&pc->role_vars, v, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pc->rs->lock);
}

/* ---- conditions ---- */

int run_eval_when(bool *out, const struct hostctx *hc, const struct val *when,
		  const struct scope *sc, const char **failed_cond)
{
	int error;

	for (size_t i = 0; i < hc->when_up_nr; i++)
		if ((error = run_eval_conditions(out, hc->when_up[i], sc,
						 failed_cond)) < 0 || !*out)
			return error;
	return run_eval_conditions(out, when, sc, failed_cond);
}

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

int run_flag(bool *out, struct hostctx *hc, const struct val *flag,
	     const struct varstack *vs, const struct val *task_vars)
{
	struct scopes *ss;
	struct val *r = NULL;
	int error;

	if (val_is(flag, VAL_BOOL)) {
		*out = flag->u.b;
		return 0;
	}
	ss = xmalloc(sizeof(*ss));
	if ((error = template_render(&r, flag, run_build_scope(ss, hc, vs,
				task_vars, NULL, NULL))) == 0)
		error = truth_boolean(out, r);
	val_unref(r);
	free(ss);
	return error;
}

/*
 * The truth of a no_log keyword (a bool, or a template of one), in the
 * scope of the task; what cannot be told (an error, not a bool) hides
 * the output: a secret shown is never taken back.
 */
bool run_no_log(struct hostctx *hc, const struct val *flag,
		const struct varstack *vs, const struct val *task_vars)
{
	bool b = true;

	if (run_flag(&b, hc, flag, vs, task_vars) < 0) {
		tend_error_clear();
		b = true;
	}
	return b;
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

/*
 * Add every secret string of v (a module's normalized arguments: what
 * its spec calls secret; a result: what the module gave back as secret
 * or quoted of one) to the host's secret text `set`, so that the host's
 * later output masks it too: a task that compares a result with the
 * literal, or -vvv's module_args of a later task.
 */
void run_keep_secrets(struct val *set, const struct val *v, bool inherited)
{
	bool secret = inherited || (v->flags & VAL_F_SECRET);

	if (v->type == VAL_STR && secret &&
	    strnlen(v->u.s.ptr, v->u.s.len) >= TEMPLATE_MIN_SECRET_TEXT &&
	    !val_dict_get(set, v->u.s.ptr))
		val_dict_set(set, v->u.s.ptr, val_null());
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		run_keep_secrets(set, v->u.list.items[i], secret);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		run_keep_secrets(set, v->u.dict.items[i].v, secret);
}

/*
 * Every secret string the output of a host must not show, longest first:
 * the secrets of the extra vars and what rendering made of secrets for
 * this host so far (template.h). A new list of secret strings.
 */
struct val *run_secrets(const struct hostctx *hc)
{
	return run_secret_list(hc->pc->rs, hc->hs->secret_text);
}

/* As run_secrets, with the secret text `text` (a set, or NULL). */
struct val *run_secret_list(const struct runstate *rs, const struct val *text)
{
	struct val *out = val_list();

	for (size_t i = 0; i < val_len(rs->secrets); i++)
		val_list_push(out, val_ref(rs->secrets->u.list.items[i]));
	for (size_t i = 0; i < val_len(text); i++) {
		struct val *s = val_str(text->u.dict.items[i].key);

		s->flags |= VAL_F_SECRET; /* wiped when freed */
		val_list_push(out, s);
	}
	return out;
}

/* The set of secret text of a host: its keys wiped, then freed. */
void run_wipe_secret_text(struct val *set)
{
	for (size_t i = 0; set && i < set->u.dict.nr; i++) {
		char *k = set->u.dict.items[i].key;

		sodium_memzero(k, strlen(k));
	}
	val_unref(set);
}

static int longest_first(const void *a, const void *b)
{
	size_t la = (*(const struct val *const *)a)->u.s.len;
	size_t lb = (*(const struct val *const *)b)->u.s.len;

	return la < lb ? 1 : la > lb ? -1 : 0;
}

/* Replace every secret in b by ********. */
void run_scrub(struct buf *b, const struct val *secrets)
{
	size_t n = val_len(secrets);
	const struct val **sorted;

	if (!n || !b->len)
		return;
	/*
	 * Longest first: scrubbing a piece of a longer secret (a word of
	 * it) first would leave the rest of the longer one in the text.
	 */
	sorted = xmalloc(n * sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = secrets->u.list.items[i];
	qsort(sorted, n, sizeof(*sorted), longest_first);
	for (size_t i = 0; i < n; i++) {
		const struct val *sv = sorted[i];
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
	free(sorted);
}

/*
 * Whether b quotes a secret string of v shorter than
 * TEMPLATE_MIN_SECRET_TEXT (`pw[0:3]`, a three-digit PIN): too short to
 * be scrubbed from text, as run_scrub would then mask every such letter.
 */
static bool quotes_short_secret(const struct buf *b, const struct val *v,
				bool inherited)
{
	bool secret = inherited || (v->flags & VAL_F_SECRET);

	if (v->type == VAL_STR && secret) {
		const char *s = v->u.s.ptr;
		size_t len = v->u.s.len;

		while (len && isspace((unsigned char)*s)) {
			s++;
			len--;
		}
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (len && len < TEMPLATE_MIN_SECRET_TEXT &&
		    memmem(b->ptr, b->len, s, len))
			return true;
	}
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		if (quotes_short_secret(b, v->u.list.items[i], secret))
			return true;
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		if (quotes_short_secret(b, v->u.dict.items[i].v, secret))
			return true;
	return false;
}

/*
 * Hide the whole of b when it quotes a short secret of the task's
 * rendered arguments (a module's message or attribute change that names
 * its argument: "owner: root -> Hun", fail's msg).
 */
void run_hide_short_secrets(struct buf *b, const struct val *args)
{
	if (!b->len || !args || !quotes_short_secret(b, args, false))
		return;
	buf_release_secret(b);
	buf_adds(b, "(hidden: it may quote a piece of a secret)");
}

/*
 * The password of every URL in `s` ("scheme://user:pw@host/...") as
 * ********, as Ansible's log sanitizer shows it: a new string, or NULL
 * when s holds none.
 */
static char *mask_url_passwords(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	const char *p = s, *end = s + len, *sep;
	bool masked = false;

	while ((sep = memmem(p, (size_t)(end - p), "://", 3))) {
		const char *auth = sep + 3, *stop = auth, *at = NULL, *colon;

		while (stop < end && !strchr("/?# \t\n\"'", *stop)) {
			if (*stop == '@')
				at = stop;
			stop++;
		}
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (!colon) {
			buf_add(&b, p, (size_t)(stop - p));
			p = stop;
			continue;
		}
		buf_add(&b, p, (size_t)(colon + 1 - p));
		buf_adds(&b, "********");
		p = at;
		masked = true;
	}
	if (!masked) {
		buf_release(&b);
		return NULL;
	}
	buf_add(&b, p, (size_t)(end - p));
	return buf_detach(&b, NULL);
}

void run_mask_url_passwords(struct val *v)
{
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		run_mask_url_passwords(v->u.list.items[i]);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		run_mask_url_passwords(v->u.dict.items[i].v);
	if (v->type == VAL_STR) {
		char *m = mask_url_passwords(v->u.s.ptr, v->u.s.len);

		if (m) {
			if (v->flags & VAL_F_SECRET)
				explicit_bzero(v->u.s.ptr, v->u.s.len);
			free(v->u.s.ptr);
			v->u.s.ptr = m;
			v->u.s.len = strlen(m);
		}
	}
}

/* Scrub the thread's error message of secrets (its code kept). */
void run_scrub_error(const struct val *secrets)
{
	struct buf b = BUF_INIT;
	int code = tend_error_code();

	buf_adds(&b, tend_error_last());
	run_scrub(&b, secrets);
	if (strcmp(b.ptr, tend_error_last()))
		tend_error_set_code(code, "%s", b.ptr);
	buf_release_secret(&b);
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

struct val *run_localhost_vars(const struct inventory *inv,
			       const struct val *carried)
{
	static const char *const parts[] = { "facts", "incvars", "hostfacts" };
	struct host **sel = NULL;
	size_t nr = 0;
	struct val *v;

	/* its inventory vars: the all group's, host_vars/localhost */
	if (inventory_select(&sel, &nr, inv, "localhost") < 0)
		tend_error_clear();
	v = nr ? inventory_host_vars(inv, sel[0]) : val_dict();
	free(sel);
	if (!val_dict_get(v, "ansible_connection"))
		val_dict_set_str(v, "ansible_connection", "local");
	val_dict_set(v, "ansible_facts", val_dict());
	for (size_t i = 0; carried && i < ARRAY_SIZE(parts); i++)
		val_dict_update(v, val_dict_get(carried, parts[i]), false);
	val_dict_set_str(v, "inventory_hostname", "localhost");
	val_dict_set_str(v, "inventory_hostname_short", "localhost");
	val_dict_set(v, "group_names", val_list());
	return v;
}

struct val *run_host_visible_vars(struct hoststate *hs)
{
	struct val *v = val_copy(hs->inv_vars);

	val_dict_update(v, hs->factvars, false);
	val_dict_update(v, hs->incvars, false);
	val_dict_update(v, hs->hostfacts, false);
	val_dict_update(v, hs->magic, false);
	return v;
}
