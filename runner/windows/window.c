#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/cron.h"
#include "tend/net/http.h"
#include "tend/store/store.h"
#include "tend/windows/window.h"
#include "tend/windows/window_int.h"
#include "tend/util/duration.h"
#include "tend/data/settings.h"
#include "tend/data/truth.h"

#include <math.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_DURATION (30 * 60)
#define ESTIMATE_MIN_RUNS 3
#define ESTIMATE_RUNS 20
#define ESTIMATE_MARGIN 120
#define MAX_HOSTS_SHOWN 10

/* The keys of a play's `maintenance:`. */
static const char *const play_keys[] = {
	"duration", "grace", "matchers", "announce", "skip", NULL
};

void window_fmt_time(struct buf *out, time_t t)
{
	struct tm tm;
	char s[40];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	buf_adds(out, s);
}

int window_parse_time(time_t *out, const char *s)
{
	struct tm tm = { 0 };
	const char *p;
	long off = 0;

	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return tend_error_set("bad time '%s'", s ? s : "");
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == '+' || *p == '-') {
		int h, m;

		if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2)
			return tend_error_set("bad time '%s'", s);
		off = (h * 3600L + m * 60L) * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z' && *p != 'z') {
		return tend_error_set("bad time '%s'", s);
	}
	*out = timegm(&tm) - off;
	return 0;
}

void window_http_opts(struct http_opts *out, const struct val *cfg)
{
	const struct val *t = val_dict_get(cfg, "timeout");
	const struct val *r = val_dict_get(cfg, "retries");
	long long secs;

	memset(out, 0, sizeof(*out));
	if (val_is(t, VAL_INT))
		out->timeout_ms = (long)t->u.i * 1000;
	else if (val_cstr(t) && duration_parse(&secs, val_cstr(t)) == 0)
		out->timeout_ms = (long)secs * 1000;
	if (val_is(r, VAL_INT))
		out->retries = r->u.i > 0 ? (int)r->u.i : -1;
}

int window_auth_header(struct buf *out, const struct val *cfg,
		       const char *name, const char *prefix)
{
	struct val *secret = NULL;
	int error;

	if ((error = settings_secret(&secret, cfg, name)) < 0)
		return error;
	buf_addf(out, "Authorization: %s%s", prefix, val_cstr(secret));
	val_unref(secret);
	return 0;
}

void window_fmt_minute(struct buf *out, time_t t)
{
	struct tm tm;
	char s[40];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M UTC", &tm);
	buf_adds(out, s);
}

static void add_hosts(struct buf *out, const struct window *w)
{
	buf_addf(out, "%zu host%s (", w->hosts_nr, w->hosts_nr == 1 ? "" : "s");
	for (size_t i = 0; i < w->hosts_nr && i < MAX_HOSTS_SHOWN; i++)
		buf_addf(out, "%s%s", i ? ", " : "", w->hosts[i]);
	if (w->hosts_nr > MAX_HOSTS_SHOWN)
		buf_addf(out, " and %zu more", w->hosts_nr - MAX_HOSTS_SHOWN);
	buf_addch(out, ')');
}

/* One task of the plan as a line: "h1: write config (unknown)". */
static void add_change(struct buf *out, const struct val *c)
{
	const char *status = val_cstr(val_dict_get(c, "status"));
	const char *del = val_cstr(val_dict_get(c, "delegate"));

	buf_addf(out, "\n%s: %s", val_cstr(val_dict_get(c, "host")),
		 val_cstr(val_dict_get(c, "task")));
	if (del)
		buf_addf(out, " on %s", del);
	if (status && !strcmp(status, "failed"))
		buf_adds(out, " (check failed)");
	else if (status && strcmp(status, "change"))
		buf_addf(out, " (%s)", status);
}

/* The plan's tasks, a line each after the first, then "and N more". */
static void add_changes(struct buf *out, const struct window *w)
{
	if (!val_len(w->changes))
		return;
	for (size_t i = 0; i < val_len(w->changes); i++)
		add_change(out, val_list_at(w->changes, i));
	if (w->changes_more)
		buf_addf(out, "\nand %zu more", w->changes_more);
}

void window_describe_start(struct buf *out, const struct window *w)
{
	if (w->playbook)
		buf_addf(out, "tend: applying %s to ", w->playbook);
	else
		buf_adds(out, "tend: maintenance on ");
	add_hosts(out, w);
	buf_adds(out, " from ");
	window_fmt_minute(out, w->starts_at);
	buf_adds(out, ", expected ");
	duration_format(out, (long long)(w->ends_at - w->starts_at));
	buf_adds(out, " (until ");
	window_fmt_minute(out, w->ends_at);
	buf_adds(out, ")");
	if (w->commit)
		buf_addf(out, ", commit %.12s", w->commit);
	if (w->plan)
		buf_addf(out, ". Plan: %s", w->plan);
	if (w->reason)
		buf_addf(out, ". Reason: %s", w->reason);
	if (w->run_id)
		buf_addf(out, ". Run %lld", w->run_id);
	if (w->user)
		buf_addf(out, " by %s", w->user);
	buf_addch(out, '.');
	add_changes(out, w);
}

void window_describe_progress(struct buf *out, const struct window *w,
			      const char *status)
{
	window_describe_start(out, w);
	if (status)
		buf_addf(out, "\nStatus: %s", status);
}

void window_describe_end(struct buf *out, const struct window *w)
{
	const struct window_result *r = w->result;

	if (w->playbook)
		buf_addf(out, "tend: %s on ", w->playbook);
	else
		buf_adds(out, "tend: maintenance on ");
	add_hosts(out, w);
	if (!r) {
		buf_adds(out, " ended.");
		return;
	}
	buf_addf(out, " finished: %s", r->status ? r->status : "unknown");
	if (r->seconds > 0) {
		buf_adds(out, " in ");
		duration_format(out, (long long)(r->seconds + 0.5));
	}
	buf_addf(out, "; %u ok, %u changed, %u failed, %u unreachable.",
		 r->ok, r->changed, r->failed, r->unreachable);
}

static void set_opt_str(struct val *d, const char *key, const char *s)
{
	val_dict_set(d, key, s ? val_str(s) : val_null());
}

struct val *window_to_val(const struct window *w)
{
	struct val *d = val_dict(), *hosts = val_list();
	struct buf t = BUF_INIT;

	val_dict_set_int(d, "id", w->id);
	if (w->run_id)
		val_dict_set_int(d, "run_id", w->run_id);
	else
		val_dict_set(d, "run_id", val_null());
	for (size_t i = 0; i < w->hosts_nr; i++)
		val_list_push(hosts, val_str(w->hosts[i]));
	val_dict_set(d, "hosts", hosts);
	window_fmt_time(&t, w->starts_at);
	val_dict_set_str(d, "starts_at", t.ptr);
	buf_reset(&t);
	window_fmt_time(&t, w->ends_at);
	val_dict_set_str(d, "ends_at", t.ptr);
	set_opt_str(d, "playbook", w->playbook);
	set_opt_str(d, "commit", w->commit);
	set_opt_str(d, "user", w->user);
	set_opt_str(d, "reason", w->reason);
	set_opt_str(d, "plan", w->plan);
	if (w->changes) {
		val_dict_set(d, "changes", val_ref(w->changes));
		val_dict_set_int(d, "changes_more", (long long)w->changes_more);
	}
	if (w->result) {
		struct val *r = val_dict();

		set_opt_str(r, "status", w->result->status);
		val_dict_set_int(r, "hosts", w->result->hosts);
		val_dict_set_int(r, "ok", w->result->ok);
		val_dict_set_int(r, "changed", w->result->changed);
		val_dict_set_int(r, "failed", w->result->failed);
		val_dict_set_int(r, "unreachable", w->result->unreachable);
		val_dict_set(r, "seconds", val_float(w->result->seconds));
		val_dict_set(d, "result", r);
	}
	buf_release(&t);
	return d;
}

void window_free(struct window *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->hosts_nr; i++)
		free(w->hosts[i]);
	free(w->hosts);
	for (size_t i = 0; i < w->slots_nr; i++) {
		val_unref(w->slots[i].cfg);
		free(w->slots[i].id);
		free(w->slots[i].error);
	}
	free(w->slots);
	free(w->playbook);
	free(w->commit);
	free(w->user);
	free(w->reason);
	free(w->plan);
	val_unref(w->changes);
	free(w);
}

char *window_dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char *current_user(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw ? xstrdup(pw->pw_name) : NULL;
}

int window_estimate(long long *out, struct store *s, const char *playbook)
{
	struct val *l = NULL;
	double *d = NULL, p95;
	size_t n, k;
	int error;

	if ((error = store_run_durations(&l, s, playbook, ESTIMATE_RUNS)) < 0)
		return error;
	n = val_len(l);
	if (n < ESTIMATE_MIN_RUNS) {
		val_unref(l);
		return TEND_ENOTFOUND;
	}
	d = xcalloc(n, sizeof(*d));
	for (size_t i = 0; i < n; i++)
		d[i] = val_list_at(l, i)->u.f;
	/* insertion sort: at most ESTIMATE_RUNS items */
	for (size_t i = 1; i < n; i++) {
		double x = d[i];
		size_t j = i;

		for (; j > 0 && d[j - 1] > x; j--)
			d[j] = d[j - 1];
		d[j] = x;
	}
	/* nearest-rank p95 */
	k = (size_t)ceil(0.95 * (double)n);
	/* whole milliseconds: julianday() arithmetic is not exact */
	p95 = round(d[k ? k - 1 : 0] * 1000) / 1000;
	*out = (long long)ceil(p95 * 1.5) + ESTIMATE_MARGIN;
	free(d);
	val_unref(l);
	return 0;
}

/* Keywords of `maintenance:` that are bools, as Ansible's keywords are. */
static const char *const play_bools[] = { "skip", "announce" };

/* A bool of `maintenance:` (checked by check_play_settings), or dflt. */
static bool play_bool(const struct val *m, const char *k, bool dflt)
{
	const struct val *v = val_dict_get(m, k);
	bool b = dflt;

	if (v && !val_is(v, VAL_NULL) && truth_boolean(&b, v) < 0) {
		tend_error_clear();
		b = dflt;
	}
	return b;
}

/*
 * Check a play's `maintenance:`: the core's keys, and what the configured
 * providers read from it. TEND_EPARSE with every problem.
 */
static int check_play_settings(const struct val *m,
			       const struct maintenance_config *mc)
{
	struct diags d = DIAGS_INIT;
	struct buf msg = BUF_INIT;
	int error = 0;

	if (!val_is(m, VAL_DICT))
		return tend_error_set_code(TEND_EPARSE, "%s:%u:%u: expected a "
					   "dict for 'maintenance'",
					   m->pos.file ? m->pos.file : "?",
					   m->pos.line, m->pos.col);
	settings_check_keys(&d, m, play_keys);
	for (size_t i = 0; i < mc->providers_nr; i++)
		if (mc->providers[i].provider->check_play)
			mc->providers[i].provider->check_play(m, &d);
	for (size_t i = 0; i < ARRAY_SIZE(play_bools); i++) {
		const struct val *v = val_dict_get(m, play_bools[i]);
		bool b;

		if (v && !val_is(v, VAL_NULL) && truth_boolean(&b, v) < 0) {
			diags_add(&d, &v->pos, "expected a bool for '%s', "
				  "got '%s'", play_bools[i],
				  val_cstr(v) ? val_cstr(v) :
				  val_type_name(v->type));
			tend_error_clear();
		}
	}
	if (d.nr) {
		for (size_t i = 0; i < d.nr; i++)
			buf_addf(&msg, "%s%s", i ? "\n" : "", d.items[i]);
		error = tend_error_set_code(TEND_EPARSE, "%s", msg.ptr);
	}
	diags_release(&d);
	buf_release(&msg);
	return error;
}

static int play_duration(long long *out, const struct val *m, const char *k)
{
	const struct val *v = val_dict_get(m, k);

	if (!v)
		return 0;
	if (val_is(v, VAL_INT)) {
		*out = v->u.i;
		return 0;
	}
	if (val_cstr(v) && duration_parse(out, val_cstr(v)) == 0)
		return 0;
	return tend_error_set_code(TEND_EPARSE, "%s:%u:%u: bad duration for "
				   "maintenance.%s",
				   v->pos.file ? v->pos.file : "?", v->pos.line,
				   v->pos.col, k);
}

/* The settings a slot uses: the provider's, with the play's merged in. */
static struct val *slot_settings(const struct provider_config *pc,
				 const struct val *play)
{
	if (!play || !pc->provider->play_settings)
		return val_ref(pc->v);
	return pc->provider->play_settings(pc->v, play);
}

static struct val *window_record(const struct window *w)
{
	struct val *d = window_to_val(w), *providers = val_list();

	val_dict_set_int(d, "starts_at", (long long)w->starts_at);
	val_dict_set_int(d, "ends_at", (long long)w->ends_at);
	val_dict_set_int(d, "grace", w->grace);
	for (size_t i = 0; i < w->slots_nr; i++) {
		struct val *p = val_dict();

		val_dict_set_str(p, "type", w->slots[i].provider->name);
		val_dict_set(p, "config", val_ref(w->slots[i].cfg));
		val_list_push(providers, p);
	}
	val_dict_set(d, "providers", providers);
	return d;
}

/*
 * Close the open slots; the first error is returned, all are tried. A
 * slot that fails to close stays open in the store (with its error): the
 * window is not closed, and the next tend's window_reap tries again,
 * until the window's own end passes.
 */
static int close_slots(struct val **firing, struct window *w)
{
	struct buf msg = BUF_INIT;
	int first = 0;

	for (size_t i = 0; i < w->slots_nr; i++) {
		struct window_slot *sl = &w->slots[i];
		struct val *f = NULL;
		int error = 0;

		if (!sl->open)
			continue;
		if (sl->provider->close)
			error = sl->provider->close(&f, sl->cfg, w, sl->id);
		if (error < 0) {
			tend_error_prefix("%s", sl->provider->name);
			if (!first) {
				first = error;
				buf_adds(&msg, tend_error_last());
			}
			free(sl->error);
			sl->error = xstrdup(tend_error_last());
			store_window_provider(w->store, w->id, i, "open",
					      NULL, sl->error);
		} else {
			store_window_provider(w->store, w->id, i, "closed",
					      NULL, NULL);
		}
		sl->open = false;
		for (size_t j = 0; firing && j < val_len(f); j++)
			val_list_push(*firing, val_ref(val_list_at(f, j)));
		val_unref(f);
	}
	if (first)
		tend_error_set_code(first, "%s", msg.ptr);
	buf_release(&msg);
	return first;
}

static bool is_window_host(const struct window *w, const char *host)
{
	for (size_t i = 0; host && i < w->hosts_nr; i++)
		if (!strcmp(w->hosts[i], host))
			return true;
	return false;
}

/* The plan's tasks on w's hosts: the first WINDOW_CHANGES_SHOWN kept. */
static void keep_changes(struct window *w, const struct val *changes)
{
	if (!changes)
		return;
	w->changes = val_list();
	for (size_t i = 0; i < val_len(changes); i++) {
		const struct val *c = val_list_at(changes, i);

		if (!is_window_host(w, val_cstr(val_dict_get(c, "host"))))
			continue;
		if (val_len(w->changes) < WINDOW_CHANGES_SHOWN)
			val_list_push(w->changes, val_ref((struct val *)c));
		else
			w->changes_more++;
	}
}

int window_open(struct window **out, const struct window_opts *opts)
{
	const struct maintenance_config *mc = opts->settings;
	const struct val *play = opts->maintenance;
	struct window *w = NULL;
	struct val *rec = NULL;
	long long duration = opts->duration, grace = mc->grace;
	bool announce = true;
	time_t now = time(NULL);
	int error = 0;

	*out = NULL;
	if (play && (error = check_play_settings(play, mc)) < 0)
		return error;
	if (play && play_bool(play, "skip", false))
		return 0;
	if (play)
		announce = play_bool(play, "announce", announce);
	if (!opts->hosts_nr || !mc->providers_nr)
		return 0;
	if (!duration && play && (error = play_duration(&duration, play,
							"duration")) < 0)
		return error;
	if (play && (error = play_duration(&grace, play, "grace")) < 0)
		return error;
	if (!duration)
		duration = mc->duration;
	if (!duration && opts->playbook &&
	    window_estimate(&duration, opts->store, opts->playbook) < 0) {
		tend_error_clear();
		duration = 0;
	}
	if (!duration)
		duration = DEFAULT_DURATION;

	w = xcalloc(1, sizeof(*w));
	w->store = opts->store;
	w->run_id = opts->run_id;
	w->hosts = xcalloc(opts->hosts_nr, sizeof(*w->hosts));
	for (size_t i = 0; i < opts->hosts_nr; i++)
		w->hosts[w->hosts_nr++] = xstrdup(opts->hosts[i]);
	w->starts_at = now;
	w->ends_at = now + (time_t)duration;
	w->grace = grace;
	w->extend = mc->extend ? mc->extend : WINDOW_DEFAULT_EXTEND;
	w->playbook = window_dup_or_null(opts->playbook);
	w->commit = window_dup_or_null(opts->commit);
	w->user = opts->user ? xstrdup(opts->user) : current_user();
	w->reason = window_dup_or_null(opts->reason);
	w->plan = window_dup_or_null(opts->plan);
	keep_changes(w, opts->changes);
	w->slots = xcalloc(mc->providers_nr, sizeof(*w->slots));
	for (size_t i = 0; i < mc->providers_nr; i++) {
		const struct provider_config *pc = &mc->providers[i];

		if (!announce && (pc->provider->flags & WINDOW_ANNOUNCE))
			continue;
		w->slots[w->slots_nr].provider = pc->provider;
		w->slots[w->slots_nr++].cfg = slot_settings(pc, play);
	}
	if (!w->slots_nr)
		goto out;

	/* recorded before any provider is called: a crash can be reaped */
	rec = window_record(w);
	if ((error = store_window_begin(w->store, &w->id, rec)) < 0)
		goto out;
	for (size_t i = 0; i < w->slots_nr; i++) {
		struct window_slot *sl = &w->slots[i];

		if (!sl->provider->open ||
		    sl->provider->open(&sl->id, sl->cfg, w) == 0) {
			sl->open = true;
			error = store_window_provider(w->store, w->id, i,
						      "open", sl->id, NULL);
			if (error < 0)
				break;
			continue;
		}
		tend_error_prefix("%s", sl->provider->name);
		sl->error = xstrdup(tend_error_last());
		store_window_provider(w->store, w->id, i, "failed", NULL,
				      sl->error);
		if (mc->on_failure == WINDOW_POLICY_ABORT) {
			error = -1;
			break;
		}
		tend_error_clear();
	}
	if (error < 0) {
		struct buf msg = BUF_INIT;

		buf_adds(&msg, tend_error_last());
		close_slots(NULL, w);
		store_window_update(w->store, w->id, 0, "failed");
		error = tend_error_set("cannot open maintenance window: %s",
				       msg.ptr);
		buf_release(&msg);
		goto out;
	}
out:
	val_unref(rec);
	if (error < 0 || !w->slots_nr)
		window_free(w);
	else
		*out = w;
	return error;
}

struct val *window_failures(const struct window *w)
{
	struct val *l = val_list();

	for (size_t i = 0; w && i < w->slots_nr; i++) {
		if (w->slots[i].error)
			val_list_push(l, val_str(w->slots[i].error));
	}
	return l;
}

int window_extend(struct window *w, long long seconds)
{
	int first = 0;

	w->ends_at = time(NULL) + (time_t)seconds;
	for (size_t i = 0; i < w->slots_nr; i++) {
		struct window_slot *sl = &w->slots[i];
		char *id = NULL;
		int error;

		if (!sl->open || !sl->provider->extend)
			continue;
		if ((error = sl->provider->extend(&id, sl->cfg, w, sl->id)) < 0) {
			tend_error_prefix("%s", sl->provider->name);
			if (!first)
				first = error;
			continue;
		}
		free(sl->id);
		sl->id = id;
		store_window_provider(w->store, w->id, i, "open", id, NULL);
	}
	if (first) {
		struct buf msg = BUF_INIT;

		buf_adds(&msg, tend_error_last());
		store_window_update(w->store, w->id, (long long)w->ends_at,
				    NULL);
		tend_error_set("cannot extend maintenance window: %s", msg.ptr);
		buf_release(&msg);
		return first;
	}
	return store_window_update(w->store, w->id, (long long)w->ends_at,
				   NULL);
}

int window_tick(struct window *w, time_t now)
{
	time_t len, margin, left;

	if (!w)
		return 0;
	len = w->ends_at - w->starts_at;
	margin = len / 5 > 120 ? len / 5 : 120;
	left = w->ends_at - now;
	if (left > margin)
		return 0;
	return window_extend(w, (left > 0 ? left : 0) + w->extend);
}

void window_progress(struct window *w, const char *status)
{
	for (size_t i = 0; w && i < w->slots_nr; i++) {
		struct window_slot *sl = &w->slots[i];

		if (sl->open && sl->provider->progress &&
		    sl->provider->progress(sl->cfg, w, sl->id, status) < 0)
			tend_error_clear(); /* announcements are best effort */
	}
}

int window_close(struct val **firing, struct window *w,
		 const struct window_result *res)
{
	static const struct window_result interrupted = { "interrupted", 0, 0,
		0, 0, 0, 0 };
	int error;

	if (firing)
		*firing = val_list();
	if (!w)
		return 0;
	w->result = res ? res : &interrupted;
	error = close_slots(firing, w);
	w->result = NULL;
	/* a provider that did not close keeps the window open: see above */
	if (!error && store_window_update(w->store, w->id, 0, "closed") < 0)
		error = -1;
	return error;
}

/* Rebuild a window from its record, with its open providers. */
/* Change windows */

/* Is `t` inside an occurrence of cw? *end gets that occurrence's end. */
