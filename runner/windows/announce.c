#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/windows/announce.h"
#include "tend/windows/window.h"
#include "tend/data/truth.h"

/*
 * Standalone announcements (announce.h): the texts and payloads the
 * providers send, and the loop over the providers. A provider's own file
 * knows its wire format; this file knows what an announcement says.
 */

/* `path` relative to `root` when it is beneath it, else as it is. */
static const char *beneath(const char *root, const char *path)
{
	size_t n = root ? strlen(root) : 0;

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (!n || !path || strncmp(path, root, n) || path[n] != '/')
		return path;
	return path + n + 1;
}

/* The drifted tasks of one entry of the plan's `hosts`, or NULL. */
static const struct val *host_tasks(const struct val *h)
{
	const struct val *tasks = val_dict_get(h, "drift_tasks");

	if (!val_cstr(val_dict_get(h, "host")) || !val_is(tasks, VAL_LIST) ||
	    !val_len(tasks))
		return NULL;
	return tasks;
}

static size_t drifted_hosts(const struct val *hosts)
{
	size_t n = 0;

	for (size_t i = 0; i < val_len(hosts); i++)
		n += host_tasks(val_list_at(hosts, i)) != NULL;
	return n;
}

/* A loop item's label as text: a string as itself, else as JSON. */
static void add_item(struct buf *out, const struct val *item)
{
	if (!item || val_is(item, VAL_NULL))
		return;
	buf_adds(out, " (item=");
	if (val_cstr(item))
		buf_adds(out, val_cstr(item));
	else
		val_to_json(out, item, 0);
	buf_addch(out, ')');
}

/* "\nweb1: write app.conf (item=a) at site.yml:12" */
static void add_task(struct buf *out, const char *root, const char *host,
		     const struct val *t)
{
	const char *name = val_cstr(val_dict_get(t, "task"));
	const char *file = beneath(root, val_cstr(val_dict_get(t, "file")));
	const struct val *line = val_dict_get(t, "line");

	buf_addf(out, "\n%s: %s", host, name ? name : "(unnamed task)");
	add_item(out, val_dict_get(t, "item"));
	if (!file)
		return;
	buf_addf(out, " at %s", file);
	if (val_is(line, VAL_INT))
		buf_addf(out, ":%lld", (long long)line->u.i);
}

/* " (schedule S, playbook P @ C, plan run N)", the parts there are. */
static void add_origin(struct buf *out, const struct window_announcement *a)
{
	const char *sep = " (";

	if (a->schedule) {
		buf_addf(out, "%sschedule %s", sep, a->schedule);
		sep = ", ";
	}
	if (a->playbook) {
		buf_addf(out, "%splaybook %s", sep,
			 beneath(a->root, a->playbook));
		if (a->commit)
			buf_addf(out, " @ %.12s", a->commit);
		sep = ", ";
	} else if (a->commit) {
		buf_addf(out, "%scommit %.12s", sep, a->commit);
		sep = ", ";
	}
	if (a->run_id > 0) {
		buf_addf(out, "%splan run %lld", sep, a->run_id);
		sep = ", ";
	}
	if (*sep == ',')
		buf_addch(out, ')');
}

void window_announce_describe(struct buf *out,
			      const struct window_announcement *a)
{
	size_t n = drifted_hosts(a->hosts), shown = 0, more = 0;

	buf_addf(out, "Drift on %zu host%s", n, n == 1 ? "" : "s");
	add_origin(out, a);
	buf_addch(out, ':');
	for (size_t i = 0; i < val_len(a->hosts); i++) {
		const struct val *h = val_list_at(a->hosts, i);
		const struct val *tasks = host_tasks(h);

		for (size_t j = 0; j < val_len(tasks); j++) {
			if (shown == WINDOW_CHANGES_SHOWN) {
				more++;
				continue;
			}
			add_task(out, a->root, val_cstr(val_dict_get(h,
								      "host")),
				 val_list_at(tasks, j));
			shown++;
		}
	}
	if (more)
		buf_addf(out, "\nand %zu more", more);
}

static void set_opt_str(struct val *d, const char *key, const char *s)
{
	val_dict_set(d, key, s ? val_str(s) : val_null());
}

/* A copy of `v`, or null: the payload's keys are always there. */
static struct val *ref_or_null(const struct val *v)
{
	return v ? val_ref((struct val *)v) : val_null();
}

/* One drifted task as the payload has it: exactly these four keys. */
static struct val *task_to_val(const char *root, const struct val *t)
{
	const char *file = val_cstr(val_dict_get(t, "file"));
	struct val *d = val_dict();

	val_dict_set(d, "task", ref_or_null(val_dict_get(t, "task")));
	set_opt_str(d, "file", beneath(root, file));
	val_dict_set(d, "line", ref_or_null(val_dict_get(t, "line")));
	val_dict_set(d, "item", ref_or_null(val_dict_get(t, "item")));
	return d;
}

struct val *window_announce_to_val(const struct window_announcement *a)
{
	struct val *d = val_dict(), *hosts = val_list();

	set_opt_str(d, "event", a->kind);
	set_opt_str(d, "schedule", a->schedule);
	set_opt_str(d, "playbook", beneath(a->root, a->playbook));
	set_opt_str(d, "commit", a->commit);
	val_dict_set(d, "run_id", a->run_id > 0 ? val_int(a->run_id) :
		     val_null());
	for (size_t i = 0; i < val_len(a->hosts); i++) {
		const struct val *h = val_list_at(a->hosts, i);
		const struct val *tasks = host_tasks(h);
		struct val *hv, *tl;

		if (!tasks)
			continue;
		hv = val_dict();
		tl = val_list();
		val_dict_set_str(hv, "host", val_cstr(val_dict_get(h, "host")));
		for (size_t j = 0; j < val_len(tasks); j++)
			val_list_push(tl, task_to_val(a->root,
						      val_list_at(tasks, j)));
		val_dict_set(hv, "tasks", tl);
		val_list_push(hosts, hv);
	}
	val_dict_set(d, "hosts", hosts);
	return d;
}

void window_announce_check(const struct val *cfg, struct diags *d)
{
	const struct val *v = val_dict_get(cfg, "announce");
	bool b;

	if (!v || val_is(v, VAL_NULL))
		return;
	if (truth_boolean(&b, v) < 0) {
		diags_add(d, &v->pos, "expected a bool for 'announce', got "
			  "'%s'", val_cstr(v) ? val_cstr(v) :
			  val_type_name(v->type));
		tend_error_clear();
	}
}

/* The provider's `announce:` (checked when tend.yml loaded): default on. */
static bool announces(const struct val *cfg)
{
	const struct val *v = val_dict_get(cfg, "announce");
	bool b = true;

	if (v && !val_is(v, VAL_NULL) && truth_boolean(&b, v) < 0) {
		tend_error_clear();
		b = true;
	}
	return b;
}

int window_announce(struct val **errors, const struct maintenance_config *m,
		    const struct window_announcement *a)
{
	struct buf first = BUF_INIT;
	int error = 0;

	*errors = val_list();
	/* the texts above are drift's: a new kind needs its own */
	if (!a->kind || strcmp(a->kind, "drift"))
		return tend_error_set("unknown announcement kind '%s'",
				      a->kind ? a->kind : "");
	if (!drifted_hosts(a->hosts))
		return 0;
	for (size_t i = 0; i < m->providers_nr; i++) {
		const struct provider_config *pc = &m->providers[i];
		struct val *f;

		if (!pc->provider->announce || !announces(pc->v))
			continue;
		if (pc->provider->announce(pc->v, a) == 0)
			continue;
		f = val_dict();
		val_dict_set_str(f, "type", pc->provider->name);
		val_dict_set_int(f, "index", (long long)i);
		val_dict_set_str(f, "error", tend_error_last());
		val_list_push(*errors, f);
		if (!first.len)
			buf_addf(&first, "%s: %s", pc->provider->name,
				 tend_error_last());
		tend_error_clear();
	}
	if (first.len)
		error = tend_error_set("cannot announce %s: %s", a->kind,
				       first.ptr);
	buf_release(&first);
	return error;
}
