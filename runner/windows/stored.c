#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/store/store.h"
#include "tend/windows/registry.h"
#include "tend/windows/window.h"
#include "tend/windows/window_int.h"

/*
 * Windows rebuilt from the state DB, for what outlives a run: reaping the
 * windows of runs that died, `tend window list` and `tend window close`.
 * Each slot's provider is found again by its type name.
 */

static int window_load(struct window **out, struct store *s, long long id)
{
	struct val *rec = NULL;
	const struct val *hosts, *providers;
	struct window *w;
	int error;

	*out = NULL;
	if ((error = store_window_get(&rec, s, id)) < 0)
		return error;
	w = xcalloc(1, sizeof(*w));
	w->store = s;
	w->id = id;
	if (val_is(val_dict_get(rec, "run_id"), VAL_INT))
		w->run_id = val_dict_get(rec, "run_id")->u.i;
	hosts = val_dict_get(rec, "hosts");
	w->hosts = xcalloc(val_len(hosts) + 1, sizeof(*w->hosts));
	for (size_t i = 0; i < val_len(hosts); i++) {
		if (val_cstr(val_list_at(hosts, i)))
			w->hosts[w->hosts_nr++] =
				xstrdup(val_cstr(val_list_at(hosts, i)));
	}
	w->starts_at = (time_t)val_dict_get(rec, "starts_at")->u.i;
	w->ends_at = (time_t)val_dict_get(rec, "ends_at")->u.i;
	w->grace = val_dict_get(rec, "grace")->u.i;
	w->extend = WINDOW_DEFAULT_EXTEND;
	w->playbook = window_dup_or_null(val_cstr(val_dict_get(rec, "playbook")));
	w->commit = window_dup_or_null(val_cstr(val_dict_get(rec, "commit")));
	w->user = window_dup_or_null(val_cstr(val_dict_get(rec, "user")));
	w->reason = window_dup_or_null(val_cstr(val_dict_get(rec, "reason")));
	w->plan = window_dup_or_null(val_cstr(val_dict_get(rec, "plan")));
	if (val_is(val_dict_get(rec, "changes"), VAL_LIST))
		w->changes = val_ref(val_dict_get(rec, "changes"));
	if (val_is(val_dict_get(rec, "changes_more"), VAL_INT))
		w->changes_more = (size_t)val_dict_get(rec, "changes_more")->u.i;
	providers = val_dict_get(rec, "providers");
	w->slots = xcalloc(val_len(providers) + 1, sizeof(*w->slots));
	for (size_t i = 0; i < val_len(providers); i++) {
		const struct val *p = val_list_at(providers, i);
		const char *type = val_cstr(val_dict_get(p, "type"));
		const char *status = val_cstr(val_dict_get(p, "status"));
		struct window_slot *sl = &w->slots[w->slots_nr++];

		sl->provider = window_provider_find(type ? type : "");
		sl->cfg = val_ref(val_dict_get(p, "config"));
		sl->id = window_dup_or_null(val_cstr(val_dict_get(p, "external_id")));
		/*
		 * NEEDSWORK: a provider still `opening` died before it
		 * answered; its window expires by itself, but we cannot
		 * name it to close it early.
		 */
		sl->open = sl->provider && status && !strcmp(status, "open");
	}
	val_dict_set(rec, "providers", val_null());
	*out = w;
	val_unref(rec);
	return 0;
}

int window_reap(struct store *s, size_t *reaped)
{
	struct val *ids = NULL;
	int first = 0, error;

	if (reaped)
		*reaped = 0;
	if ((error = store_window_orphans(&ids, s, (long long)time(NULL))) < 0)
		return error;
	for (size_t i = 0; i < val_len(ids); i++) {
		struct window *w = NULL;

		error = window_load(&w, s, val_list_at(ids, i)->u.i);
		if (error == 0)
			error = window_close(NULL, w, NULL);
		if (error < 0 && !first)
			first = error;
		else if (error == 0 && reaped)
			(*reaped)++;
		window_free(w);
	}
	val_unref(ids);
	return first;
}

int window_close_id(struct val **firing, struct store *s, long long id)
{
	static const struct window_result ok = { "ok", 0, 0, 0, 0, 0, 0 };
	struct window *w = NULL;
	struct val *rec = NULL;
	const char *status;
	int error;

	if (firing)
		*firing = NULL;
	if ((error = store_window_get(&rec, s, id)) < 0)
		return error;
	status = val_cstr(val_dict_get(rec, "status"));
	if (!status || strcmp(status, "open")) {
		error = tend_error_set_code(TEND_ENOTFOUND, "window %lld is "
					    "not open (%s)", id,
					    status ? status : "?");
		val_unref(rec);
		return error;
	}
	val_unref(rec);
	if ((error = window_load(&w, s, id)) < 0)
		return error;
	error = window_close(firing, w, &ok);
	window_free(w);
	return error;
}

int window_list(struct val **out, struct store *s, bool all)
{
	struct val *ids = NULL, *l;
	int error;

	*out = NULL;
	if ((error = store_window_ids(&ids, s, !all)) < 0)
		return error;
	l = val_list();
	for (size_t i = 0; i < val_len(ids); i++) {
		struct val *w = NULL;
		const struct val *ps;

		if ((error = store_window_get(&w, s,
					      val_list_at(ids, i)->u.i)) < 0)
			break;
		ps = val_dict_get(w, "providers");
		for (size_t j = 0; j < val_len(ps); j++)
			val_dict_del(val_list_at(ps, j), "config");
		val_list_push(l, w);
	}
	val_unref(ids);
	if (error < 0) {
		val_unref(l);
		return error;
	}
	*out = l;
	return 0;
}
