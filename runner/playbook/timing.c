#include "tend/common.h"
#include "tend/playbook/timing.h"
#include "tend/util/duration.h"

long long timing_duration(const struct val *dict, const char *key,
			  long long dflt, struct diags *d)
{
	const struct val *v = val_dict_get(dict, key);
	long long out = dflt;

	if (!v || v->type == VAL_NULL)
		return dflt;
	if (v->type == VAL_INT && v->u.i >= 0)
		return v->u.i;
	if (v->type != VAL_STR || duration_parse(&out, v->u.s.ptr) < 0) {
		diags_add(d, &v->pos, "expected a duration for '%s' (30s, 5m, "
			  "2h, 1d or seconds)", key);
		tend_error_clear();
		return dflt;
	}
	return out;
}

static void load_cron(struct timing *t, const struct val *cron,
		      struct diags *d)
{
	if (cron->type != VAL_STR) {
		diags_add(d, &cron->pos, "expected a cron expression "
			  "(\"*/30 * * * *\" or @hourly)");
	} else if (cron_parse(&t->cron, cron->u.s.ptr) < 0) {
		diags_add(d, &cron->pos, "%s", tend_error_last());
		tend_error_clear();
	} else {
		t->has_cron = true;
		t->cron_text = xstrdup(cron->u.s.ptr);
	}
}

void timing_load(struct timing *t, const struct val *v, const char *what,
		 struct diags *d)
{
	const struct val *cron = val_dict_get(v, "cron");
	const struct val *every = val_dict_get(v, "every");
	const struct val *tz = val_dict_get(v, "timezone");

	memset(t, 0, sizeof(*t));
	if (cron && every)
		diags_add(d, &every->pos, "%s: 'cron' and 'every' exclude "
			  "each other", what);
	if (cron) {
		load_cron(t, cron, d);
	} else if (every) {
		size_t errors = d->errors;

		t->every = timing_duration(v, "every", 0, d);
		if (t->every < 1 && d->errors == errors)
			diags_add(d, &every->pos, "'every' must be 1s or more");
	}
	if (tz) {
		if (tz->type != VAL_STR || !cron_tz_valid(tz->u.s.ptr))
			diags_add(d, &tz->pos, "unknown time zone '%s'",
				  val_cstr(tz) ? val_cstr(tz) : "");
		else
			t->timezone = xstrdup(tz->u.s.ptr);
		if (!cron)
			diags_add(d, &tz->pos, "'timezone' is for 'cron'");
	}
	t->jitter = timing_duration(v, "jitter", 0, d);
}

/* The keys a play's `schedule:` dict may have. */
static const char *const play_keys[] = {
	"cron", "every", "timezone", "jitter", NULL
};

bool timing_load_play(struct timing *t, const struct val *v,
		      struct diags *d)
{
	size_t errors = d->errors;

	memset(t, 0, sizeof(*t));
	if (v && v->type == VAL_STR) {
		load_cron(t, v, d);
		return d->errors == errors;
	}
	if (!val_is(v, VAL_DICT)) {
		diags_add(d, &v->pos, "expected a cron expression for "
			  "'schedule' (\"*/30 * * * *\" or @hourly), or a dict "
			  "with 'cron' or 'every' (and 'timezone', 'jitter')");
		return false;
	}
	for (size_t i = 0; i < v->u.dict.nr; i++) {
		const struct val_pair *kv = &v->u.dict.items[i];
		size_t j = 0;

		while (play_keys[j] && strcmp(play_keys[j], kv->key))
			j++;
		if (!play_keys[j])
			diags_add(d, &kv->pos, "'%s' is not "
				  "a key of a play's 'schedule' (cron, every, "
				  "timezone, jitter)", kv->key);
	}
	timing_load(t, v, "the play's schedule", d);
	if (!val_dict_get(v, "cron") && !val_dict_get(v, "every"))
		diags_add(d, &v->pos, "a play's 'schedule' needs 'cron' or "
			  "'every'");
	return d->errors == errors;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool timing_same(const struct timing *a, const struct timing *b)
{
	return a->has_cron == b->has_cron &&
		same_str(a->cron_text, b->cron_text) &&
		a->every == b->every && a->jitter == b->jitter &&
		same_str(a->timezone, b->timezone);
}

void timing_release(struct timing *t)
{
	free(t->cron_text);
	free(t->timezone);
	memset(t, 0, sizeof(*t));
}
