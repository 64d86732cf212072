/*
 * Facts into a host's variables, and Ansible's fact cache.
 *
 * The cache keeps, per host, the facts by the names Ansible's cache keeps
 * them: a gathered fact as its variable (ansible_hostname), setup's
 * module_setup and gather_subset as they are, a cacheable set_fact's
 * name as written, and _ansible_facts_gathered once facts were gathered.
 * Each becomes a variable of that name and an entry of ansible_facts
 * without the ansible_ prefix (ansible_local keeps it), as Ansible's
 * clean_facts and namespace_facts make them. Memory (the run) or jsonfile
 * (a file per host, read at the run's start, written in an apply).
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/engine/run_int.h"
#include "tend/data/truth.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GATHERED "_ansible_facts_gathered"

void run_facts_merge(struct val *fv, const struct val *cached)
{
	const struct val *had = val_dict_get(fv, "ansible_facts");
	struct val *all = had ? val_copy(had) : val_dict();

	/* facts are host data: never rendered as templates */
	for (size_t i = 0; i < cached->u.dict.nr; i++) {
		const char *k = cached->u.dict.items[i].key;
		struct val *v = val_unsafe(val_ref(cached->u.dict.items[i].v));

		/* Ansible's strip_internal_keys: not a variable */
		if (strcmp(k, GATHERED))
			val_dict_set(fv, k, val_ref(v));
		val_dict_set(all, strncmp(k, "ansible_", 8) ||
			     !strcmp(k, "ansible_local") ? k : k + 8, v);
	}
	val_dict_set(fv, "ansible_facts", val_unsafe(all));
}

static void set_cached(struct hoststate *hs, const struct val *cached)
{
	run_facts_merge(hs->factvars, cached);
	if (truth_python(val_dict_get(cached, GATHERED)))
		hs->facts_gathered = true;
	hs->dirty = true;
}

struct val *run_facts_cache_form(const struct val *facts, bool gathered)
{
	struct val *c = val_dict();

	for (size_t i = 0; i < facts->u.dict.nr; i++) {
		const char *k = facts->u.dict.items[i].key;
		struct buf name = BUF_INIT;

		/* setup's own keys are not facts of the host */
		if (strncmp(k, "ansible_", 8) && strcmp(k, "module_setup") &&
		    strcmp(k, "gather_subset"))
			buf_adds(&name, "ansible_");
		buf_adds(&name, k);
		val_dict_set(c, name.ptr, val_ref(facts->u.dict.items[i].v));
		buf_release(&name);
	}
	if (gathered)
		val_dict_set_bool(c, GATHERED, true);
	return c;
}

void run_set_facts(struct hoststate *hs, const struct val *facts,
		   bool gathered)
{
	struct val *c = run_facts_cache_form(facts, gathered);

	set_cached(hs, c);
	val_unref(c);
}

struct val *run_setup_result_facts(const struct val *facts, bool no_log)
{
	struct val *f = val_dict();

	for (size_t i = 0; i < facts->u.dict.nr; i++) {
		const char *k = facts->u.dict.items[i].key;

		val_dict_set(f, strncmp(k, "ansible_", 8) ||
			     !strcmp(k, "ansible_local") ? k : k + 8,
			     val_ref(facts->u.dict.items[i].v));
	}
	return no_log ? val_secret(f) : f;
}

void run_cache_facts(struct hostctx *hc, const struct val *facts)
{
	set_cached(hc->hs, facts);
	run_cache_store(hc->pc->rs, hc->hs->name, hc->hs->factvars,
			hc->hs->facts_gathered);
}

/* The cache file of host `name`, or false: a name no file may have. */
static bool cache_path(struct buf *out, const struct fact_cache_opts *o,
		       const char *name)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	buf_addf(out, "%s/%s%s", o->dir, o->prefix ? o->prefix : "", name);
	return true;
}

static void cache_warn(struct runstate *rs, const char *fmt, ...)
	TEND_PRINTF(2, 3);
static void cache_warn(struct runstate *rs, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	/* host workers write it: run_playbook says it, on its own thread */
	pthread_mutex_lock(&rs->lock);
	val_list_push(rs->warnings, val_str(b.ptr));
	pthread_mutex_unlock(&rs->lock);
	buf_release(&b);
}

void run_say_warnings(struct runstate *rs)
{
	const struct run_hooks *h = rs->opts->hooks;

	for (size_t i = 0; i < val_len(rs->warnings); i++)
		if (h && h->warning && !rs->opts->quiet)
			h->warning(val_cstr(val_list_at(rs->warnings, i)),
				   h->payload);
	val_unref(rs->warnings);
	rs->warnings = val_list();
}

void run_cache_store(struct runstate *rs, const char *name,
		     const struct val *fv, bool gathered)
{
	const struct fact_cache_opts *o = &rs->opts->facts;
	struct buf path = BUF_INIT, json = BUF_INIT;
	struct val *c;

	if (!o->dir || rs->opts->mode != RUN_APPLY)
		return;
	if (!cache_path(&path, o, name)) {
		cache_warn(rs, "fact cache: host '%s' has a name no file can "
			   "have: its facts are not cached", name);
		return;
	}
	/* what holds a secret stays in memory, never on disk */
	c = val_dict();
	for (size_t i = 0; i < fv->u.dict.nr; i++)
		if (strcmp(fv->u.dict.items[i].key, "ansible_facts") &&
		    !val_holds_secret(fv->u.dict.items[i].v))
			val_dict_set(c, fv->u.dict.items[i].key,
				     val_ref(fv->u.dict.items[i].v));
	if (gathered)
		val_dict_set_bool(c, GATHERED, true);
	val_to_json(&json, c, 4);
	if (buf_write_file_atomic(path.ptr, json.ptr, json.len, 0600) < 0)
		cache_warn(rs, "fact cache: %s", tend_error_last());
	val_unref(c);
	buf_release(&json);
	buf_release(&path);
}

void run_cache_clear(struct hostctx *hc)
{
	struct runstate *rs = hc->pc->rs;
	const struct fact_cache_opts *o = &rs->opts->facts;
	struct buf path = BUF_INIT;

	val_unref(hc->hs->factvars);
	hc->hs->factvars = val_dict();
	val_dict_set(hc->hs->factvars, "ansible_facts", val_dict());
	hc->hs->facts_gathered = false;
	hc->hs->dirty = true;
	if (o->dir && rs->opts->mode == RUN_APPLY &&
	    cache_path(&path, o, hc->hs->name) && unlink(path.ptr) < 0 &&
	    errno != ENOENT)
		cache_warn(rs, "fact cache: cannot remove '%s': %s", path.ptr,
			   strerror(errno));
	buf_release(&path);
}

/*
 * Host `name`'s cached facts, as what a host carries from play to play
 * (run_int.h runstate.carry), into rs->carry: 1 when there were, 0 when
 * none (no file, or expired), -1 with the error set when the file is not
 * a cache's.
 */
static int cache_load(struct runstate *rs, const char *name)
{
	const struct fact_cache_opts *o = &rs->opts->facts;
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct val *cached = NULL, *e, *fv;
	struct stat st;
	int error = 0;

	if (!cache_path(&path, o, name) || stat(path.ptr, &st) < 0 ||
	    (o->timeout && difftime(time(NULL), st.st_mtime) >
			   (double)o->timeout))
		goto out;
	if ((error = buf_read_file(&text, path.ptr)) < 0)
		goto out;
	if (val_from_json(&cached, text.ptr, text.len) < 0 ||
	    !val_is(cached, VAL_DICT)) {
		error = tend_error_set("fact cache file '%s' is not a JSON "
				       "object of facts%s%s: remove it, or run "
				       "with --flush-cache", path.ptr,
				       cached ? "" : ": ",
				       cached ? "" : tend_error_last());
		goto out;
	}
	fv = val_dict();
	run_facts_merge(fv, cached);
	e = val_dict();
	val_dict_set(e, "facts", fv);
	val_dict_set(e, "incvars", val_dict());
	val_dict_set(e, "hostfacts", val_dict());
	val_dict_set_bool(e, "gathered",
			  truth_python(val_dict_get(cached, GATHERED)));
	val_dict_set(rs->carry, name, e);
	error = 1;
out:
	val_unref(cached);
	buf_release(&text);
	buf_release(&path);
	return error;
}

const struct val *run_carried(struct runstate *rs, const char *name)
{
	const struct val *c = val_dict_get(rs->carry, name);
	const struct fact_cache_opts *o = &rs->opts->facts;

	if (c || !o->dir || o->flush)
		return c;
	/* a host add_host made: a bad file is left aside */
	if (cache_load(rs, name) < 0) {
		cache_warn(rs, "%s; ignored", tend_error_last());
		tend_error_clear();
	}
	return val_dict_get(rs->carry, name);
}

int run_cache_start(struct runstate *rs)
{
	const struct fact_cache_opts *o = &rs->opts->facts;
	bool apply = rs->opts->mode == RUN_APPLY;

	if (!o->dir)
		return 0;
	/* as Ansible's jsonfile plugin: made if missing, else usable */
	if (apply && fs_mkdirs(o->dir, 0777) < 0)
		return tend_error_set("fact_caching_connection: %s",
				      tend_error_last());
	if (apply && access(o->dir, R_OK | W_OK | X_OK) < 0)
		return tend_error_set("fact_caching_connection '%s': %s",
				      o->dir, strerror(errno));
	/* every host of the inventory: --flush-cache's, or read once */
	for (size_t i = 0; i < rs->inv->hosts_nr; i++) {
		const char *name = rs->inv->hosts[i]->name;
		struct buf path = BUF_INIT;

		if (o->flush && apply && cache_path(&path, o, name) &&
		    unlink(path.ptr) < 0 && errno != ENOENT)
			cache_warn(rs, "--flush-cache: cannot remove '%s': %s",
				   path.ptr, strerror(errno));
		buf_release(&path);
		if (!o->flush && cache_load(rs, name) < 0)
			return -1;
	}
	return 0;
}
