/*
 * The run's state: its mode, its clock and the events of the current step.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/engine/run_int.h"
#include "tend/util/pwhash.h"
#include "tend/data/digest.h"
#include "tend/data/truth.h"
#include "tend/lang/template.h"
#include "tend/util/interrupt.h"

#include <ctype.h>
#include <sodium.h>
#include <time.h>

/*
 * Whether the task at hand only checks: the run is a plan, or its
 * check_mode is true. check_mode: false runs it for real even in a plan,
 * except for an untrusted source: its plan runs nothing.
 */
bool run_is_plan(const struct hostctx *hc)
{
	if (hc->check_mode == CHECK_MODE_ON)
		return true;
	if (hc->check_mode == CHECK_MODE_OFF &&
	    !hc->pc->rs->pb->limits.untrusted)
		return false;
	return run_plan_pass(hc);
}

/*
 * A check_mode keyword (`t`'s, or the play's when t is NULL) into
 * hc->check_mode: -1 when its template fails (the failure recorded).
 */
int run_check_mode(struct hostctx *hc, const struct val *raw,
		   struct varstack *vs, const struct task *t)
{
	bool b;

	if (run_flag(&b, hc, raw, vs, t ? t->vars : NULL) < 0) {
		run_add_event(hc, t, EV_FAILED, NULL, tend_error_last());
		tend_error_clear();
		return -1;
	}
	hc->check_mode = b ? CHECK_MODE_ON : CHECK_MODE_OFF;
	return 0;
}

/* Whether `name` is a whole word (a variable's name) in `text`. */
static bool names_var(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; n && (p = strstr(p, name)); p++) {
		char before = p > text ? p[-1] : ' ', after = p[n];

		if (!(isalnum((unsigned char)before) || before == '_' ||
		      before == '.') &&
		    !(isalnum((unsigned char)after) || after == '_'))
			return true;
	}
	return false;
}

void run_unknown_why(struct buf *msg, const struct hostctx *hc,
		     const struct task *t)
{
	const struct hoststate *hs = hc->hs;
	const struct val *from = hs->unknown_from, *who = hs->unknown_last;
	struct buf text = BUF_INIT;

	/* what the task renders: its when, args, loop, name */
	if (t) {
		const struct val *parts[] = { t->when, t->args, t->loop,
					      t->until };

		for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
			if (parts[i])
				val_to_json(&text, parts[i], 0);
		buf_adds(&text, t->name ? t->name : "");
	}
	for (size_t i = 0; from && i < from->u.dict.nr; i++)
		if (names_var(text.ptr, from->u.dict.items[i].key)) {
			who = from->u.dict.items[i].v;
			break;
		}
	if (who)
		buf_addf(msg, "depends on %s, a result known only at apply",
			 val_cstr(who));
	else
		buf_adds(msg, "depends on a result known only at apply");
	buf_release(&text);
}

void run_task_ref(struct buf *out, const struct task *t)
{
	buf_addch(out, '\'');
	task_display_name(out, t);
	buf_addf(out, "' (%s:%u)", t->pos.file ? t->pos.file : "?",
		 t->pos.line);
}

bool run_plan_pass(const struct hostctx *hc)
{
	return hc->pc->rs->opts->mode == RUN_PLAN;
}

double run_now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A copy of s scrubbed of secrets, for an event. */
static char *scrubbed(const char *s, const struct val *secrets)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, s);
	run_scrub(&b, secrets);
	return buf_detach(&b, NULL);
}

/*
 * Every message and label of a run passes here, whatever made it (a
 * module, a template error that quotes a value, an include's file
 * name): the one place they are scrubbed of the host's secrets, and
 * hidden under no_log (as Ansible: a failure says why nothing is shown,
 * an item is "None").
 */
/*
 * A plan's event whose running hangs on an unknown task's outcome (a
 * block with a rescue): what would change or fail there is unknown, and
 * its message says on what. *st is updated; the message to use is
 * returned (in *b when it is a new one).
 */
static const char *hang(struct hostctx *hc, enum event_status *st,
			const char *msg, struct buf *b)
{
	const struct val *on = hc->rescue_of ? hc->rescue_of :
			       hc->after_unknown;

	if (!on || !(*st == EV_CHANGED || hc->rescue_of))
		return msg;
	buf_addf(b, "runs only if %s %s%s%s", val_cstr(on),
		 hc->rescue_of ? "fails" : "succeeds", msg && *msg ? ": " : "",
		 msg ? msg : "");
	if (*st == EV_CHANGED || *st == EV_FAILED)
		*st = EV_UNKNOWN;
	return b->ptr;
}

void run_add_event(struct hostctx *hc, const struct task *t,
	       enum event_status st, const char *label,
	       const char *msg)
{
	struct hoststate *hs = hc->hs;
	struct run_event *ev;
	struct buf name = BUF_INIT, hung = BUF_INIT;
	struct val *secrets = run_secrets(hc);

	msg = hang(hc, &st, msg, &hung);

	ALLOC_GROW(hs->ev, hs->ev_nr + 1, hs->ev_alloc);
	ev = &hs->ev[hs->ev_nr++];
	memset(ev, 0, sizeof(*ev));
	if (t && hc->shown_for == t && hc->shown) {
		buf_adds(&name, hc->shown);
		ev->module = xstrdup(t->action);
		ev->pos = t->pos;
	} else if (t) {
		task_display_name(&name, t);
		ev->module = xstrdup(t->action);
		ev->pos = t->pos;
	} else if (hc->pc->probing) {
		buf_adds(&name, "connect");
		ev->module = xstrdup("connect");
	} else {
		buf_adds(&name, "Gathering Facts");
		ev->module = xstrdup("gather_facts");
	}
	ev->task = buf_detach(&name, NULL);
	ev->src = t;
	ev->host = xstrdup(hs->name);
	ev->status = st;
	ev->handler = hc->handler;
	if (hc->no_log) {
		label = label ? "None" : NULL;
		msg = msg && *msg && (st == EV_FAILED || st == EV_UNREACHABLE ||
				      st == EV_UNKNOWN) ? NO_LOG_MSG : NULL;
	}
	ev->label = label ? scrubbed(label, secrets) : NULL;
	ev->msg = msg && *msg ? scrubbed(msg, secrets) : NULL;
	if (hc->pc->rs->opts->verbosity >= 4)
		ev->conn_detail = run_conn_untold(hs);
	val_unref(secrets);
	buf_reset(&hung);
	/* what follows in the block runs only if this one succeeds */
	if (st == EV_UNKNOWN && hc->watch_unknown && !hc->after_unknown &&
	    !hc->rescue_of) {
		buf_addf(&hung, "'%s' (%s:%u)", ev->task,
			 ev->pos.file ? ev->pos.file : "?", ev->pos.line);
		hc->after_unknown = val_str(hung.ptr);
	}
	buf_release(&hung);
}

struct run_event *run_last_event(struct hostctx *hc)
{
	return &hc->hs->ev[hc->hs->ev_nr - 1];
}

/*
 * One "DIGEST LABEL" line per thing a module observed (run_event.observed)
 * into `out`: a digest, never the text, as a saved plan keeps them.
 */
static void observed_lines(struct buf *out, const struct val *observed)
{
	unsigned char md[crypto_hash_sha256_BYTES];
	char hex[65];

	for (size_t i = 0; val_is(observed, VAL_DICT) &&
	     i < observed->u.dict.nr; i++) {
		const char *label = observed->u.dict.items[i].key;
		const struct val *text = observed->u.dict.items[i].v;
		crypto_hash_sha256_state h;

		crypto_hash_sha256_init(&h);
		crypto_hash_sha256_update(&h, (const unsigned char *)label,
					  strlen(label) + 1);
		crypto_hash_sha256_update(&h, (const unsigned char *)
					  val_cstr(text), val_len(text));
		crypto_hash_sha256_final(&h, md);
		sodium_bin2hex(hex, sizeof(hex), md, sizeof(md));
		buf_addf(out, "%s ", hex);
		/* one line each, whatever the label holds */
		for (const char *p = label; *p; p++)
			buf_addch(out, *p == '\n' || *p == '\r' ? '?' : *p);
		buf_addch(out, '\n');
	}
}

/*
 * One value of a failure's detail, scrubbed as msg is: a string as
 * itself, anything else as it is unless its JSON quotes a secret (then
 * that JSON, scrubbed, as a string).
 */
static struct val *detail_value(const struct val *v,
				const struct val *secrets,
				const struct val *args)
{
	struct buf b = BUF_INIT, orig = BUF_INIT;
	struct val *out;

	if (v->type == VAL_STR)
		val_to_str(&b, v);
	else
		val_to_json(&b, v, 0);
	buf_addbuf(&orig, &b);
	run_scrub(&b, secrets);
	run_hide_short_secrets(&b, args);
	if (v->type != VAL_STR && b.len == orig.len &&
	    !memcmp(b.ptr, orig.ptr, b.len))
		out = val_copy(v);
	else
		out = val_strn(b.ptr, b.len);
	buf_release(&orig);
	buf_release(&b);
	return out;
}

void run_failure_detail(struct hostctx *hc, const struct val *result,
			const struct val *secrets, const struct val *args)
{
	static const char *const keys[] = { "rc", "stdout", "stderr" };
	struct run_event *ev = run_last_event(hc);
	struct val *d = NULL;
	struct buf b = BUF_INIT;

	if (hc->no_log)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct val *v = val_dict_get(result, keys[i]);

		if (!v)
			continue;
		if (!d)
			d = val_dict();
		val_dict_set(d, keys[i], detail_value(v, secrets, args));
	}
	if (!d)
		return;
	result_detail_text(&b, d, hc->pc->rs->opts->verbosity < 1);
	ev->detail = buf_detach(&b, NULL);
	ev->detail_json = result_detail_json(d);
	val_unref(d);
}

/* The fingerprint of a check (see struct run_event). */
void run_fingerprint(struct run_event *ev, enum event_status st,
		 const struct check_result *cr)
{
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	const char *name = event_status_name(st, RUN_PLAN);
	struct buf seen = BUF_INIT;

	observed_lines(&seen, cr->observed);
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)name,
				  strlen(name) + 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)cr->changes.ptr,
				  cr->changes.len + 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)cr->diff.ptr,
				  cr->diff.len);
	/* (nothing observed adds nothing: older fingerprints stay valid) */
	if (seen.len)
		crypto_hash_sha256_update(&h, (const unsigned char *)seen.ptr,
					  seen.len);
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(ev->fingerprint, sizeof(ev->fingerprint), md, sizeof(md));
	free(ev->observed);
	ev->observed = seen.len ? buf_detach(&seen, NULL) : NULL;
	buf_release(&seen);
}

/*
 * The earliest of the run's secret strings in [p, end) (the longest of
 * those that start there), or NULL; *which gets it.
 */
static const char *next_secret(const struct val **which, const char *p,
			       const char *end, const struct val *secrets)
{
	const char *best = NULL;

	for (size_t i = 0; i < val_len(secrets); i++) {
		const struct val *sv = secrets->u.list.items[i];
		const char *hit = memmem(p, (size_t)(end - p), sv->u.s.ptr,
					 sv->u.s.len);

		if (hit && (!best || hit < best ||
			    (hit == best && sv->u.s.len > (*which)->u.s.len))) {
			best = hit;
			*which = sv;
		}
	}
	return best;
}

/*
 * The string `v` with each of the run's secret strings in it replaced by
 * "<secret:DIGEST>". The digest is of the secret alone (one Argon2id per
 * secret, however many strings hold it, shared with the var's), for a
 * purpose of its own so that it is not the plan's published digest of
 * the var: the rest of the string then cannot be tested against guesses
 * without an Argon2id either.
 * *subst says whether there was anything to replace.
 */
static int substitute(struct val **out, bool *subst, const struct val *v,
		      const struct val *secrets, struct pwhash *h)
{
	const char *p = v->u.s.ptr, *end = p + v->u.s.len, *hit;
	const struct val *sv = NULL;
	struct buf b = BUF_INIT;
	int error = 0;

	*subst = false;
	while ((hit = next_secret(&sv, p, end, secrets))) {
		char hex[PWHASH_HEX];

		if ((error = val_digest(hex, sv, h, "in arguments")) < 0)
			break;
		buf_add(&b, p, (size_t)(hit - p));
		buf_addf(&b, "<secret:%s>", hex);
		p = hit + sv->u.s.len;
		*subst = true;
	}
	buf_add(&b, p, (size_t)(end - p));
	*out = error < 0 ? NULL : val_strn(b.ptr, b.len);
	buf_release_secret(&b);
	return error;
}

/*
 * A copy of `v` to fingerprint, with nothing secret left in it: the run's
 * secret strings replaced where they occur (substitute), and a value
 * flagged secret that holds none of them (a derived form: b64encode, a
 * number) replaced whole by {"secret": its Argon2id digest}. Its SHA-256
 * then tells a changed secret without telling it.
 */
static int redact(struct val **out, const struct val *v,
		  const struct val *secrets, struct pwhash *h)
{
	char hex[PWHASH_HEX];
	bool subst = false;
	int error = 0;

	*out = NULL;
	if (v->type == VAL_STR &&
	    (error = substitute(out, &subst, v, secrets, h)) < 0)
		return error;
	if ((v->flags & VAL_F_SECRET) && !subst &&
	    v->type != VAL_LIST && v->type != VAL_DICT) {
		val_unref(*out);
		if ((error = val_digest(hex, v, h, "value")) < 0)
			return error;
		*out = val_dict();
		val_dict_set_str(*out, "secret", hex);
		return 0;
	}
	if (v->type == VAL_STR)
		return 0;
	if (v->type != VAL_LIST && v->type != VAL_DICT) {
		*out = val_ref((struct val *)v);
		return 0;
	}
	/* a secret list or dict: its items are secret too (mark_secret) */
	*out = v->type == VAL_LIST ? val_list() : val_dict();
	for (size_t i = 0; i < val_len(v) && !error; i++) {
		const struct val *item = v->type == VAL_LIST ?
			v->u.list.items[i] : v->u.dict.items[i].v;
		struct val *r = NULL;

		if (v->flags & VAL_F_SECRET && !(item->flags & VAL_F_SECRET)) {
			/* a secret's item is secret, flagged or not */
			struct val *flagged = val_copy(item);

			flagged->flags |= VAL_F_SECRET;
			error = redact(&r, flagged, secrets, h);
			val_unref(flagged);
		} else {
			error = redact(&r, item, secrets, h);
		}
		if (error < 0)
			break;
		if (v->type == VAL_LIST)
			val_list_push(*out, r);
		else
			val_dict_set(*out, v->u.dict.items[i].key, r);
	}
	if (error < 0) {
		val_unref(*out);
		*out = NULL;
	}
	return error;
}

/*
 * The connection variables that pick where and as whom a task runs: a
 * plan's extra vars could otherwise point its commands at another host.
 */
static struct val *conn_vars(const struct scope *sc)
{
	static const char *const names[] = {
		"ansible_connection", "ansible_host", "ansible_ssh_host",
		"ansible_port", "ansible_ssh_port", "ansible_user",
		"ansible_ssh_user", "ansible_become_user", NULL,
	};
	struct val *d = val_dict();

	for (size_t i = 0; names[i]; i++) {
		const struct val *v = NULL;
		struct val *r = NULL;

		/* as set: the connection magic is no choice of the run's */
		for (const struct scope *s = sc; s && !v; s = s->parent)
			if (s->kind != SCOPE_CONN_MAGIC)
				v = val_dict_get(s->vars, names[i]);
		if (!v)
			continue;
		/* what it renders to, or as written if it cannot render */
		if (template_render(&r, v, sc) < 0) {
			tend_error_clear();
			r = val_ref((struct val *)v);
		}
		val_dict_set(d, names[i], r);
	}
	return d;
}

int run_args_fingerprint(char out[65], const struct val *args,
			 const char *become_user, const struct scope *sc,
			 const struct val *secrets, struct pwhash *h)
{
	struct val *what = val_dict(), *r = NULL;
	struct buf text = BUF_INIT;
	unsigned char md[crypto_hash_sha256_BYTES];
	int error;

	val_dict_set(what, "args", val_ref((struct val *)args));
	val_dict_set(what, "become_user", become_user ? val_str(become_user) :
		     val_null());
	val_dict_set(what, "connection", conn_vars(sc));
	if ((error = redact(&r, what, secrets, h)) < 0)
		goto out;
	val_to_json(&text, r, 0);
	crypto_hash_sha256(md, (const unsigned char *)text.ptr, text.len);
	sodium_bin2hex(out, 65, md, sizeof(md));
out:
	buf_release_secret(&text);
	val_unref(r);
	val_unref(what);
	return error;
}

/* Undefined in a plan after an unknown result: the answer is unknown. */
bool run_plan_unknown(const struct hostctx *hc, int error)
{
	return run_plan_pass(hc) && error == TEND_EUNDEFINED &&
	       hc->hs->unknown_results;
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
bool run_ignores_errors(struct buf *msg, const struct val *result,
			const struct val *flag, const struct scope *sc)
{
	struct val *r = NULL;
	bool ignore = false;

	if (!flag)
		return false;
	if (template_render(&r, flag, sc) < 0 ||
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

int run_int_keyword(long long *out, const struct val *v, long long dflt,
		    const struct scope *sc, const char *what)
{
	struct val *r = NULL;
	const char *s;
	char *end;

	*out = dflt;
	if (!v)
		return 0;
	if (template_render(&r, v, sc) < 0)
		return tend_error_prefix("in '%s'", what);
	s = val_cstr(r);
	if (val_is(r, VAL_INT)) {
		*out = r->u.i;
	} else if (s && *s && (*out = strtoll(s, &end, 10), !*end)) {
		/* a string of digits */
	} else {
		val_unref(r);
		return tend_error_set("'%s' must be an integer", what);
	}
	val_unref(r);
	return 0;
}

/* Sleep `secs` seconds, or less if the run is interrupted. */
void run_sleep(long long secs)
{
	for (long long ms = secs * 1000; ms > 0 && !tend_interrupted;
	     ms -= 100) {
		struct timespec ts = { 0, (ms < 100 ? ms : 100) * 1000000L };

		nanosleep(&ts, NULL);
	}
}
