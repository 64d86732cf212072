#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/winplan.h"

/* The name a status has in window_opts.changes, or NULL: not listed. */
static const char *status_name(enum event_status s)
{
	switch (s) {
	case EV_CHANGED:
		return "change";
	case EV_UNKNOWN:
		return "unknown";
	case EV_FAILED:
		return "failed";
	case EV_UNREACHABLE:
		return "unreachable";
	default:
		return NULL;
	}
}

/* Does this result put its host (and its delegate) in a window? */
static bool opens_window(const struct run_event *ev,
			 enum window_unknown unknown)
{
	if (!status_name(ev->status))
		return false;
	return ev->status != EV_UNKNOWN || unknown == WINDOW_UNKNOWN_INCLUDE;
}

static bool in_list(const struct val *l, const char *s)
{
	for (size_t i = 0; i < val_len(l); i++)
		if (!strcmp(val_cstr(val_list_at(l, i)), s))
			return true;
	return false;
}

static void add_hosts(struct val *d, const struct run_result *r,
		      enum window_unknown unknown)
{
	for (size_t i = 0; i < r->nr; i++) {
		const struct run_event *ev = &r->events[i];
		struct val *dels;

		if (!opens_window(ev, unknown))
			continue;
		if (!(dels = val_dict_get(d, ev->host))) {
			dels = val_list();
			val_dict_set(d, ev->host, dels);
		}
		if (ev->delegate && !in_list(dels, ev->delegate))
			val_list_push(dels, val_str(ev->delegate));
	}
}

static const char *str_or(const struct val *d, const char *k)
{
	const char *s = val_cstr(val_dict_get(d, k));

	return s ? s : "";
}

/* Is (host, task, status, delegate) in l already? */
static bool has_change(const struct val *l, const struct val *c)
{
	static const char *const keys[] = { "task", "status", "delegate" };

	for (size_t i = 0; i < val_len(l); i++) {
		const struct val *o = val_list_at(l, i);
		size_t k = 0;

		while (k < ARRAY_SIZE(keys) && !strcmp(str_or(o, keys[k]),
						       str_or(c, keys[k])))
			k++;
		if (k == ARRAY_SIZE(keys))
			return true;
	}
	return false;
}

/* The listed tasks of `host`, once each (loop items are one task). */
static void add_changes_of(struct val *out, const struct run_result *r,
			   const char *host, unsigned counts[4])
{
	struct val *mine = val_list();

	for (size_t i = 0; i < r->nr; i++) {
		const struct run_event *ev = &r->events[i];
		const char *status = status_name(ev->status);
		struct val *c;

		if (!status || strcmp(ev->host, host))
			continue;
		c = val_dict();
		val_dict_set_str(c, "host", host);
		val_dict_set_str(c, "task", ev->task ? ev->task :
				 ev->module ? ev->module : "?");
		val_dict_set_str(c, "status", status);
		if (ev->delegate && strcmp(ev->delegate, host))
			val_dict_set_str(c, "delegate", ev->delegate);
		if (has_change(mine, c)) {
			val_unref(c);
			continue;
		}
		counts[ev->status == EV_CHANGED ? 0 : ev->status == EV_UNKNOWN ?
		       1 : ev->status == EV_FAILED ? 2 : 3]++;
		val_list_push(mine, c);
	}
	for (size_t i = 0; i < val_len(mine); i++)
		val_list_push(out, val_ref(val_list_at(mine, i)));
	val_unref(mine);
}

static void add_count(struct buf *out, unsigned n, const char *what,
		      const char *plural)
{
	if (!n)
		return;
	buf_addf(out, "%s%u %s%s", out->len ? ", " : "", n, what,
		 n == 1 ? "" : plural);
}

void winplan_build(struct winplan *out, const struct run_result *r,
		   enum window_unknown unknown)
{
	unsigned counts[4] = { 0 };
	size_t nr;

	out->hosts = val_dict();
	out->changes = val_list();
	buf_init(&out->summary, 0);
	add_hosts(out->hosts, r, unknown);
	nr = val_len(out->hosts);
	for (size_t i = 0; i < nr; i++)
		add_changes_of(out->changes, r, out->hosts->u.dict.items[i].key,
			       counts);
	add_count(&out->summary, counts[0], "change", "s");
	add_count(&out->summary, counts[1], "unknown", "");
	add_count(&out->summary, counts[2], "failed check", "s");
	add_count(&out->summary, counts[3], "unreachable", "");
	if (!out->summary.len)
		buf_adds(&out->summary, "no changes");
	buf_addf(&out->summary, " on %zu host%s", nr, nr == 1 ? "" : "s");
}

void winplan_release(struct winplan *wp)
{
	val_unref(wp->hosts);
	val_unref(wp->changes);
	buf_release(&wp->summary);
	memset(wp, 0, sizeof(*wp));
}
