#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/owner.h"
#include "tend/modkit/toolkit.h"
#include "tend/net/http.h"
#include "tend/net/lxd.h"
#include "tend/net/lxd_diff.h"
#include "tend/store/store.h"
#include "tend/util/buf.h"
#include "tend/util/duration.h"
#include "tend/util/isotime.h"

#include <ctype.h>
#include <time.h>

/*
 * lxd_instance: LXD containers (or VMs) as a playbook declares them,
 * through LXD's REST API from the controller (net/lxd.c).
 *
 * Check reads (one GET of every instance of the project) and works out
 * the difference as a list of actions: create, change (live, or needing
 * a restart), start/stop/restart, destroy (absent, scaled down, or
 * expired). A plan shows them and sends nothing else; apply carries them
 * out, in that order: destroys first (the highest indexes first), so
 * that a scale-down frees its names before anything is created.
 *
 * What tend owns is written on the instance itself, as user.tend.*
 * config: the owner (playbook, play, task), the creation time, the
 * expiry, the tags (user.tend.tag.KEY), the config keys the task manages
 * (so a key dropped from the task is removed) and, for a count, the
 * pattern and the index. The state DB keeps a record of each instance
 * created (kind "lxd_instance"), forgotten when it is destroyed.
 */

#define KIND "lxd_instance"
#define TEND_KEY "user.tend."
#define TAG_KEY "user.tend.tag."
/* config key user.tend.K of instance `in` (K a literal), or NULL */
#define OWNER_KEY(in, k) lxd_instance_config(in, TEND_KEY k)

static const char *const states[] = { "started", "stopped", "restarted",
				      "absent", NULL };
static const char *const types[] = { "container", "virtual-machine", NULL };
static const char *const exclusive[] = { "name|count", "name|hostname_pattern",
					 "expires_at|ttl", NULL };

static const struct arg_spec lxd_instance_args[] = {
	{ "name", ARG_STR, 0, NULL, NULL, NULL,
	  "the instance's name (or count with hostname_pattern)" },
	{ "count", ARG_INT, 0, NULL, NULL, NULL,
	  "how many instances, named by hostname_pattern; scaling down "
	  "destroys the highest indexes first" },
	{ "hostname_pattern", ARG_STR, ARG_RAW, NULL, NULL, NULL,
	  "a template rendered once per instance with `index` = 1..count "
	  "(\"web-{{ '%02d' | format(index) }}\")" },
	{ "image", ARG_STR, 0, NULL, NULL, NULL,
	  "a local image's alias or fingerprint (needed to create)" },
	{ "type", ARG_STR, 0, NULL, types, "container",
	  "container or virtual-machine" },
	{ "profiles", ARG_LIST, 0, NULL, NULL, NULL,
	  "the instance's profiles (given: exactly these)" },
	{ "config", ARG_DICT, 0, NULL, NULL, NULL,
	  "instance config (limits.cpu, limits.memory, user.*); a key "
	  "dropped from the task later is removed" },
	{ "devices", ARG_DICT, 0, NULL, NULL, NULL,
	  "devices by name, each a dict of strings (given: exactly these)" },
	{ "state", ARG_STR, 0, NULL, states, "started",
	  "started, stopped, restarted (every run) or absent" },
	{ "tags", ARG_DICT, 0, NULL, NULL, NULL,
	  "labels, stored as user.tend.tag.KEY config" },
	{ "expires_at", ARG_STR, 0, NULL, NULL, NULL,
	  "when an apply of this playbook destroys it (UTC: "
	  "2026-11-20T10:00Z, a date, or epoch seconds)" },
	{ "ttl", ARG_STR, 0, NULL, NULL, NULL,
	  "its lifetime from creation (7d, 12h, 90m)" },
	{ "force_stop", ARG_BOOL, 0, NULL, NULL, "no",
	  "stop by killing, not by asking the instance's init (an "
	  "instance is always killed before it is destroyed)" },
	{ "allow_restart", ARG_BOOL, 0, NULL, NULL, "no",
	  "restart a running instance whose change needs it" },
	{ "timeout", ARG_INT, 0, NULL, NULL, "60",
	  "seconds for each request and each background operation" },
	{ "url", ARG_STR, 0, NULL, NULL, "unix:/var/lib/lxd/unix.socket",
	  "unix:/path/to/unix.socket or https://host:8443" },
	{ "client_cert", ARG_PATH, 0, NULL, NULL, NULL,
	  "https: a PEM client certificate the server trusts" },
	{ "client_key", ARG_PATH, 0, NULL, NULL, NULL,
	  "https: its PEM key (a path; read by the TLS library only)" },
	{ "ca_cert", ARG_PATH, 0, NULL, NULL, NULL,
	  "https: the server's certificate (or CA) to trust" },
	{ "validate_certs", ARG_BOOL, 0, NULL, NULL, "yes",
	  "https: verify the server's certificate" },
	{ "project", ARG_STR, 0, NULL, NULL, "default",
	  "the LXD project" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

enum act_kind { ACT_DESTROY, ACT_CHANGE, ACT_CREATE, ACT_STATE };

struct act {
	enum act_kind kind;
	char *name;
	struct val *config;   /* create/change: the config to set */
	struct val *inst;     /* change: the instance as read */
	const char *state;    /* ACT_STATE: start, stop, restart */
	bool start;           /* create: start it after */
	bool restart;         /* change: restart after */
	long long index;      /* count: 1..; else 0 */
	long long expiry;     /* create/change: epoch s; 0: never */
};

/* What check found and apply does. */
struct plan {
	struct act *acts;
	size_t nr, alloc;
	struct val *instances; /* name -> instance, as read */
	struct val *names;     /* wanted_names */
	struct val *devices;   /* wanted_devices, or NULL */
	struct val *profiles;  /* wanted_profiles, or NULL */
	struct val *observed;  /* check_result.observed */
	char *project;         /* for the labels of `observed` */
};

static void plan_free(void *p)
{
	struct plan *pl = p;

	if (!pl)
		return;
	for (size_t i = 0; i < pl->nr; i++) {
		free(pl->acts[i].name);
		val_unref(pl->acts[i].config);
		val_unref(pl->acts[i].inst);
	}
	free(pl->acts);
	val_unref(pl->instances);
	val_unref(pl->names);
	val_unref(pl->devices);
	val_unref(pl->profiles);
	val_unref(pl->observed);
	free(pl->project);
	free(pl);
}

static struct act *plan_add(struct plan *pl, enum act_kind kind,
			    const char *name)
{
	struct act *a;

	ALLOC_GROW(pl->acts, pl->nr + 1, pl->alloc);
	a = &pl->acts[pl->nr++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->name = xstrdup(name);
	return a;
}

/* The state asked for (started unless given). */
static const char *state_of(const struct task_ctx *ctx)
{
	const char *s = arg_str(ctx, "state");

	return s ? s : "started";
}

/* ---- reading LXD ---- */

static int lxd_of(struct lxd **out, const struct task_ctx *ctx)
{
	struct lxd_opts o = { 0 };

	o.url = arg_str(ctx, "url");
	if (!o.url)
		o.url = "unix:/var/lib/lxd/unix.socket";
	o.client_cert = arg_str(ctx, "client_cert");
	o.client_key = arg_str(ctx, "client_key");
	o.ca_file = arg_str(ctx, "ca_cert");
	o.insecure = !arg_bool(ctx, "validate_certs", true);
	o.project = arg_str(ctx, "project");
	o.timeout_s = arg_int(ctx, "timeout", 60);
	return lxd_open(out, &o);
}

/* ---- what the task wants ---- */

/* The names the task manages: [{name, index}], index 0 for `name`. */
static int wanted_names(struct val **out, const struct task_ctx *ctx)
{
	const char *name = arg_str(ctx, "name");
	const char *pat = arg_str(ctx, "hostname_pattern");
	long long count = arg_int(ctx, "count", -1);
	struct val *list = val_list(), *e;

	*out = list;
	if (name) {
		e = val_dict();
		val_dict_set_str(e, "name", name);
		val_dict_set_int(e, "index", 0);
		val_list_push(list, e);
		return 0;
	}
	if (!pat || count < 0)
		return tend_error_set("lxd_instance: give name, or count with "
				      "hostname_pattern");
	for (long long i = 1; i <= count; i++) {
		struct val *vars = val_dict();
		struct buf b = BUF_INIT;
		int error;

		val_dict_set_int(vars, "index", i);
		error = ctx->engine->render_vars(&b, pat, vars,
						 ctx->engine_data);
		val_unref(vars);
		buf_trim(&b);
		if (!error && !b.len)
			error = tend_error_set("hostname_pattern gave an "
					       "empty name for index %lld", i);
		if (error < 0) {
			buf_release(&b);
			return tend_error_prefix("in 'hostname_pattern'");
		}
		e = val_dict();
		val_dict_set_str(e, "name", b.ptr);
		val_dict_set_int(e, "index", i);
		val_list_push(list, e);
		buf_release(&b);
	}
	return 0;
}

/* A config value as LXD keeps it: a string (secret if it held one). */
static struct val *config_str(const struct val *v)
{
	struct buf b = BUF_INIT;
	struct val *out;
	char *s;
	size_t len;

	if (val_is(v, VAL_BOOL))
		buf_adds(&b, v->u.b ? "true" : "false");
	else
		val_to_text(&b, v);
	s = buf_detach(&b, &len);
	out = val_str_take(s, len);
	return val_holds_secret(v) ? val_secret(out) : out;
}

/*
 * The task's devices as LXD keeps them, every value a string, into
 * *out (NULL when the task gives none): exactly these.
 */
static int wanted_devices(struct val **out, const struct task_ctx *ctx)
{
	const struct val *dev = arg_get(ctx, "devices");
	struct val *d;

	*out = NULL;
	if (!dev)
		return 0;
	d = val_dict();
	for (size_t i = 0; i < val_len(dev); i++) {
		const struct val *one = dev->u.dict.items[i].v;
		struct val *s = val_dict();

		if (!val_is(one, VAL_DICT)) {
			val_unref(s);
			val_unref(d);
			return tend_error_set("devices: '%s': expected a dict "
					      "(type, path ...), got %s",
					      dev->u.dict.items[i].key,
					      val_type_name(one->type));
		}
		for (size_t k = 0; k < one->u.dict.nr; k++)
			val_dict_set(s, one->u.dict.items[k].key,
				     config_str(one->u.dict.items[k].v));
		val_dict_set(d, dev->u.dict.items[i].key, s);
	}
	*out = d;
	return 0;
}

/* The task's profiles, each a string, or NULL when it gives none. */
static struct val *wanted_profiles(const struct task_ctx *ctx)
{
	const struct val *prof = arg_get(ctx, "profiles");
	struct val *l;

	if (!prof)
		return NULL;
	l = val_list();
	for (size_t i = 0; i < val_len(prof); i++)
		val_list_push(l, config_str(val_list_at(prof, i)));
	return l;
}

/*
 * The config keys the task sets: its config, its tags, the expiry and
 * the list of managed keys. Created instances also get the owner keys
 * (create_keys).
 */
static struct val *wanted_config(const struct task_ctx *ctx, long long expiry)
{
	const struct val *cfg = arg_get(ctx, "config");
	const struct val *tags = arg_get(ctx, "tags");
	struct val *out = val_dict();
	struct buf managed = BUF_INIT, k = BUF_INIT;

	for (size_t i = 0; val_is(cfg, VAL_DICT) && i < cfg->u.dict.nr; i++) {
		val_dict_set(out, cfg->u.dict.items[i].key,
			     config_str(cfg->u.dict.items[i].v));
		buf_addf(&managed, "%s%s", managed.len ? "," : "",
			 cfg->u.dict.items[i].key);
	}
	for (size_t i = 0; val_is(tags, VAL_DICT) && i < tags->u.dict.nr;
	     i++) {
		buf_sets(&k, TAG_KEY);
		buf_adds(&k, tags->u.dict.items[i].key);
		val_dict_set(out, k.ptr, config_str(tags->u.dict.items[i].v));
	}
	val_dict_set_str(out, TEND_KEY "managed", managed.ptr);
	if (expiry) {
		buf_reset(&k);
		isotime_format(&k, expiry, true);
		val_dict_set_str(out, TEND_KEY "expires_at", k.ptr);
	}
	buf_release(&managed);
	buf_release(&k);
	return out;
}

/* The owner keys written once, when tend creates the instance. */
static void create_keys(struct val *cfg, const struct task_ctx *ctx,
			long long index, long long now)
{
	struct buf b = BUF_INIT;

	owner_playbook(&b, ctx);
	val_dict_set_str(cfg, TEND_KEY "playbook", b.ptr);
	val_dict_set_str(cfg, TEND_KEY "play", ctx->play ? ctx->play : "");
	val_dict_set_str(cfg, TEND_KEY "task", ctx->task ? ctx->task : "");
	buf_reset(&b);
	isotime_format(&b, now, true);
	val_dict_set_str(cfg, TEND_KEY "created", b.ptr);
	if (index) {
		val_dict_set_str(cfg, TEND_KEY "pattern",
				 arg_str(ctx, "hostname_pattern"));
		buf_reset(&b);
		buf_addf(&b, "%lld", index);
		val_dict_set_str(cfg, TEND_KEY "index", b.ptr);
	}
	buf_release(&b);
}

/* ---- judging ---- */

/* Whether `key` is in the comma-separated `list`. */
static bool in_list(const char *list, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, key, n))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/*
 * The new config of existing instance `in` (a copy of its own with
 * `want` over it and the keys the task no longer gives removed) into
 * *out, and the differences shown as "key old -> new" into `shown`.
 * *restart says whether one of them needs a restart to take effect.
 */
static bool config_diff(struct val **out, struct buf *shown, bool *restart,
			const struct val *in, const struct val *want)
{
	const struct val *cur = val_dict_get(in, "config");
	const char *managed = lxd_instance_config(in, TEND_KEY "managed");
	struct val *cfg = val_is(cur, VAL_DICT) ? val_copy(cur) : val_dict();
	bool changed = false;

	for (size_t i = 0; i < want->u.dict.nr; i++) {
		const char *k = want->u.dict.items[i].key;
		struct val *wv = want->u.dict.items[i].v;
		const char *w = val_cstr(wv);
		const struct val *cv = val_dict_get(cur, k);
		const char *c = val_cstr(cv);

		/* LXD drops a key set to "": unset is the same */
		if ((c && !strcmp(c, w)) || (!c && !*w))
			continue;
		changed = true;
		val_dict_set(cfg, k, val_ref(wv));
		if (!strcmp(k, TEND_KEY "managed"))
			continue;
		buf_adds(shown, shown->len ? ", " : "");
		lxd_show_text(shown, k);
		buf_addch(shown, ' ');
		if (cv)
			lxd_show_value(shown, cv);
		else
			buf_adds(shown, "(unset)");
		buf_adds(shown, " -> ");
		lxd_show_value(shown, wv);
		*restart = *restart || !lxd_key_is_live(k);
	}
	for (size_t i = 0; val_is(cur, VAL_DICT) && i < cur->u.dict.nr; i++) {
		const char *k = cur->u.dict.items[i].key;

		if (val_dict_get(want, k))
			continue;
		if (strncmp(k, TAG_KEY, strlen(TAG_KEY)) &&
		    !in_list(managed, k))
			continue;
		changed = true;
		val_dict_del(cfg, k);
		buf_adds(shown, shown->len ? ", " : "");
		lxd_show_text(shown, k);
		buf_addch(shown, ' ');
		lxd_show_value(shown, cur->u.dict.items[i].v);
		buf_adds(shown, " -> (unset)");
		*restart = *restart || !lxd_key_is_live(k);
	}
	*out = cfg;
	return changed;
}

/* The instance's expiry as the task sets it, else as recorded; 0: none. */
static int expiry_of(long long *out, const struct task_ctx *ctx,
		     const struct val *in, long long now)
{
	const char *at = arg_str(ctx, "expires_at");
	const char *ttl = arg_str(ctx, "ttl");
	const char *created = in ? lxd_instance_config(in, TEND_KEY "created") : NULL;
	const char *rec = in ? lxd_instance_config(in, TEND_KEY "expires_at") : NULL;
	long long secs, from = now;

	*out = 0;
	if (at)
		return isotime_parse(out, at) < 0 ?
		       tend_error_prefix("expires_at") : 0;
	if (ttl) {
		if (duration_parse(&secs, ttl) < 0)
			return tend_error_prefix("ttl");
		if (created && isotime_parse(&from, created) < 0)
			tend_error_clear();
		*out = from + secs;
		return 0;
	}
	if (rec && isotime_parse(out, rec) < 0) {
		tend_error_clear();
		*out = 0;
	}
	return 0;
}

/* A destroy line's reason, or the create/change lines, into `lines`. */
static void line_destroy(struct buf *lines, const char *name, long long exp,
			 const char *why)
{
	buf_addf(lines, "- destroy %s (", name);
	if (exp) {
		buf_adds(lines, "expired ");
		isotime_format(lines, exp, false);
	} else {
		buf_adds(lines, why);
	}
	buf_adds(lines, ")\n");
}

/*
 * Judge one existing instance the task wants: a change of config, tags,
 * expiry, devices or profiles, and its run state.
 */
static void judge_existing(struct plan *pl, struct buf *lines,
			   const struct task_ctx *ctx, struct val *in,
			   long long index, long long expiry)
{
	const char *name = val_cstr(val_dict_get(in, "name"));
	const char *state = state_of(ctx);
	struct val *want = wanted_config(ctx, expiry), *cfg = NULL;
	struct val *shape = val_dict();
	struct buf shown = BUF_INIT;
	bool restart = false, running = lxd_instance_running(in);
	bool changed = config_diff(&cfg, &shown, &restart, in, want);
	struct act *a;

	lxd_shape_diff(&shown, shape, &restart, pl->profiles, pl->devices, in);
	if (changed || val_len(shape)) {
		a = plan_add(pl, ACT_CHANGE, name);
		val_dict_set(shape, "config", cfg);
		cfg = NULL;
		a->config = shape;
		shape = NULL;
		a->inst = val_ref(in);
		a->index = index;
		a->expiry = expiry;
		a->restart = restart && running &&
			     arg_bool(ctx, "allow_restart", false);
		buf_addf(lines, "~ change %s %s (%s)\n", name,
			 shown.len ? shown.ptr : "tend's own keys",
			 !running || !restart ? "live" : a->restart ?
			 "restart" : "needs restart: allow_restart is off");
	}
	if (!strcmp(state, "restarted") ||
	    (!strcmp(state, "started") && !running) ||
	    (!strcmp(state, "stopped") && running)) {
		a = plan_add(pl, ACT_STATE, name);
		a->state = !strcmp(state, "restarted") ? (running ? "restart" :
			   "start") : !strcmp(state, "started") ? "start" :
			   "stop";
		buf_addf(lines, "~ %s %s\n", a->state, name);
	}
	val_unref(want);
	val_unref(cfg);
	val_unref(shape);
	buf_release(&shown);
}

/* Judge a wanted instance that does not exist: create it, or not. */
static void judge_missing(struct plan *pl, struct buf *lines,
			  const struct task_ctx *ctx, const char *name,
			  long long index, long long expiry, long long now)
{
	const struct val *cfg = arg_get(ctx, "config");
	struct act *a;
	struct buf shown = BUF_INIT;

	if (expiry && expiry <= now)
		return; /* born expired: nothing to make */
	a = plan_add(pl, ACT_CREATE, name);
	a->config = wanted_config(ctx, expiry);
	create_keys(a->config, ctx, index, now);
	a->index = index;
	a->expiry = expiry;
	a->start = strcmp(state_of(ctx), "stopped") != 0;
	for (size_t i = 0; val_is(cfg, VAL_DICT) && i < cfg->u.dict.nr; i++) {
		buf_adds(&shown, i ? ", " : "");
		lxd_show_text(&shown, cfg->u.dict.items[i].key);
		buf_addch(&shown, '=');
		lxd_show_value(&shown, val_dict_get(a->config,
						cfg->u.dict.items[i].key));
	}
	buf_addf(lines, "+ create %s%s%s%s\n", name, shown.len ? " (" : "",
		 shown.ptr, shown.len ? ")" : "");
	buf_release(&shown);
}

/*
 * What check saw of instance `name` (`in`; NULL: absent), for a saved
 * plan to notice that it moved (check_result.observed).
 */
static void observe(struct plan *pl, const char *name, const struct val *in)
{
	struct buf label = BUF_INIT, seen = BUF_INIT;
	size_t len;
	char *s;

	buf_addf(&label, "lxd instance %s", name);
	if (strcmp(pl->project, "default"))
		buf_addf(&label, " (project %s)", pl->project);
	lxd_instance_canonical(&seen, in);
	s = buf_detach(&seen, &len);
	val_dict_set(pl->observed, label.ptr, val_str_take(s, len));
	buf_release(&label);
}

struct indexed {
	long long index;
	const char *name;
};

/* Sort helper: instances of a pattern by index, highest first. */
static int by_index_desc(const void *a, const void *b)
{
	long long x = ((const struct indexed *)a)->index;
	long long y = ((const struct indexed *)b)->index;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * A count's instances beyond it (same pattern, a higher index), highest
 * first. (Those within it that state absent removes are the wanted
 * names' own destroys.)
 */
static void judge_scale_down(struct plan *pl, struct buf *lines,
			     const struct task_ctx *ctx,
			     const struct val *insts, long long count)
{
	const char *pat = arg_str(ctx, "hostname_pattern");
	struct indexed *idx = NULL;
	size_t nr = 0, alloc = 0;

	for (size_t i = 0; pat && i < insts->u.dict.nr; i++) {
		const struct val *in = insts->u.dict.items[i].v;
		const char *p = lxd_instance_config(in, TEND_KEY "pattern");
		const char *ix = lxd_instance_config(in, TEND_KEY "index");
		long long n = ix ? strtoll(ix, NULL, 10) : 0;

		if (!p || strcmp(p, pat) || n <= count)
			continue;
		observe(pl, insts->u.dict.items[i].key, in);
		ALLOC_GROW(idx, nr + 1, alloc);
		idx[nr].index = n;
		idx[nr].name = insts->u.dict.items[i].key;
		nr++;
	}
	if (nr)
		qsort(idx, nr, sizeof(*idx), by_index_desc);
	for (size_t i = 0; i < nr; i++) {
		struct buf why = BUF_INIT;

		buf_addf(&why, "index %lld > count %lld", idx[i].index, count);
		plan_add(pl, ACT_DESTROY, idx[i].name)->index = idx[i].index;
		line_destroy(lines, idx[i].name, 0, why.ptr);
		buf_release(&why);
	}
	free(idx);
}

/* Whether the task or the plan already deals with `name`. */
static bool judged(const struct plan *pl, const struct val *names,
		   const char *name)
{
	for (size_t i = 0; i < pl->nr; i++)
		if (!strcmp(pl->acts[i].name, name))
			return true;
	for (size_t i = 0; i < val_len(names); i++)
		if (!strcmp(val_cstr(val_dict_get(val_list_at(names, i),
						  "name")), name))
			return true;
	return false;
}

/*
 * The expiry sweep: the playbook's expired orphans in the project
 * (owner_expired_orphan), destroyed by the first task of the run that
 * reads the project.
 */
static void judge_orphans(struct plan *pl, struct buf *lines,
			  const struct task_ctx *ctx, const struct lxd *l,
			  const struct val *names, long long now)
{
	const struct val *insts = pl->instances;
	struct buf key = BUF_INIT, owner = BUF_INIT;
	long long exp;

	owner_playbook(&owner, ctx);
	for (size_t i = 0; val_is(insts, VAL_DICT) && i < insts->u.dict.nr;
	     i++) {
		const char *name = insts->u.dict.items[i].key;
		const struct val *in = insts->u.dict.items[i].v;

		if (judged(pl, names, name) ||
		    !owner_expired_orphan(&exp, ctx, owner.ptr, KIND,
					  OWNER_KEY(in, "playbook"),
					  OWNER_KEY(in, "play"),
					  OWNER_KEY(in, "task"),
					  OWNER_KEY(in, "expires_at"), now))
			continue;
		buf_reset(&key);
		buf_addf(&key, "%s\n%s\n%s\n%s", KIND, lxd_where(l),
			 lxd_project(l), name);
		if (!owner_claim(key.ptr, ctx->task_key))
			continue;
		observe(pl, name, in);
		plan_add(pl, ACT_DESTROY, name);
		line_destroy(lines, name, exp, NULL);
	}
	buf_release(&key);
	buf_release(&owner);
}

/* ---- the result ---- */

/* {instances: [{name, index, state, addresses}]} of the wanted names. */
static struct val *result_of(const struct val *insts, const struct val *names)
{
	struct val *r = val_dict(), *list = val_list();

	for (size_t i = 0; i < val_len(names); i++) {
		const struct val *w = val_list_at(names, i);
		const char *name = val_cstr(val_dict_get(w, "name"));
		const struct val *in = val_dict_get(insts, name);
		const char *st = in ? val_cstr(val_dict_get(in, "status")) :
				 NULL;
		struct val *e = val_dict();
		struct buf lc = BUF_INIT;

		for (const char *p = st ? st : "absent"; *p; p++)
			buf_addch(&lc, tolower((unsigned char)*p));
		val_dict_set_str(e, "name", name);
		val_dict_set(e, "index", val_ref(val_dict_get(w, "index")));
		val_dict_set_str(e, "state", lc.ptr);
		val_dict_set(e, "addresses", in ? lxd_instance_addresses(in) :
			     val_list());
		val_list_push(list, e);
		buf_release(&lc);
	}
	val_dict_set(r, "instances", list);
	return r;
}

/* ---- check ---- */


/* Judge every wanted name, then a count's surplus. */
static int judge_all(struct plan *pl, struct buf *lines,
		     const struct task_ctx *ctx, const struct val *names,
		     long long now)
{
	bool absent = !strcmp(state_of(ctx), "absent");

	for (size_t i = 0; i < val_len(names); i++) {
		const struct val *w = val_list_at(names, i);
		const char *name = val_cstr(val_dict_get(w, "name"));
		long long index = val_dict_get(w, "index")->u.i;
		struct val *in = val_dict_get(pl->instances, name);
		long long exp;

		observe(pl, name, in);
		if (expiry_of(&exp, ctx, in, now) < 0)
			return -1;
		if (in && (absent || (exp && exp <= now))) {
			plan_add(pl, ACT_DESTROY, name)->index = index;
			line_destroy(lines, name, absent ? 0 : exp, "absent");
		} else if (in) {
			judge_existing(pl, lines, ctx, in, index, exp);
		} else if (!absent) {
			if (!arg_str(ctx, "image"))
				return tend_error_set("'%s' does not exist and "
						      "no image is given to "
						      "create it", name);
			judge_missing(pl, lines, ctx, name, index, exp, now);
		}
	}
	if (arg_str(ctx, "hostname_pattern"))
		judge_scale_down(pl, lines, ctx, pl->instances,
				 arg_int(ctx, "count", 0));
	return 0;
}

static int lxd_instance_check(struct check_result *out,
			      const struct task_ctx *ctx)
{
	struct lxd *l = NULL;
	struct plan *pl = xcalloc(1, sizeof(*pl));
	struct val *names = NULL;
	long long now = (long long)time(NULL);
	int error;

	pl->observed = val_dict();
	pl->profiles = wanted_profiles(ctx);
	if ((error = lxd_of(&l, ctx)) < 0 ||
	    (error = wanted_names(&names, ctx)) < 0 ||
	    (error = wanted_devices(&pl->devices, ctx)) < 0 ||
	    (error = lxd_instances_read(&pl->instances, l)) < 0)
		goto out;
	pl->project = xstrdup(lxd_project(l));
	if ((error = judge_all(pl, &out->changes, ctx, names, now)) < 0)
		goto out;
	judge_orphans(pl, &out->changes, ctx, l, names, now);
	out->status = pl->nr ? CHECK_CHANGE : CHECK_OK;
	out->result = result_of(pl->instances, names);
	out->observed = val_ref(pl->observed);
	pl->names = val_ref(names);
	out->priv = pl;
	out->priv_free = plan_free;
	pl = NULL;
out:
	plan_free(pl);
	val_unref(names);
	lxd_free(l);
	return error;
}

/* ---- apply ---- */

/* What the state DB keeps of an instance tend made. */
static int record(const struct task_ctx *ctx, struct lxd *l,
		  const struct act *a)
{
	static const char *const paths[] = { "client_cert", "client_key",
					     "ca_cert" };
	struct buf owner = BUF_INIT;
	struct val *attrs;
	int error;

	if (!ctx->store)
		return 0;
	attrs = val_dict();
	val_dict_set_str(attrs, "url", lxd_where(l));
	val_dict_set_str(attrs, "project", lxd_project(l));
	/* how to ask the API again (tend resources): paths, never a key */
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (arg_str(ctx, paths[i]))
			val_dict_set_str(attrs, paths[i],
					 arg_str(ctx, paths[i]));
	if (!arg_bool(ctx, "validate_certs", true))
		val_dict_set_bool(attrs, "insecure", true);
	owner_playbook(&owner, ctx);
	val_dict_set_str(attrs, "playbook", owner.ptr);
	buf_release(&owner);
	val_dict_set_str(attrs, "play", ctx->play);
	val_dict_set_str(attrs, "task", ctx->task);
	val_dict_set_int(attrs, "run", ctx->run_id);
	if (a->index)
		val_dict_set_int(attrs, "index", a->index);
	val_dict_set(attrs, "tags", arg_get(ctx, "tags") ?
		     val_copy(arg_get(ctx, "tags")) : val_dict());
	error = store_resource_put(ctx->store, KIND, a->name, attrs,
				   a->expiry);
	val_unref(attrs);
	return error;
}

static int do_destroy(const struct task_ctx *ctx, struct lxd *l,
		      const struct plan *pl, const struct act *a)
{
	int error = lxd_instance_delete(l, a->name,
					val_dict_get(pl->instances, a->name));

	if (!error && ctx->store &&
	    (error = store_resource_delete(ctx->store, KIND, a->name)) ==
	    TEND_ENOTFOUND) {
		tend_error_clear();
		error = 0;
	}
	return error;
}

/* PUT the instance as read, with the new config, devices, profiles. */
static int do_change(const struct task_ctx *ctx, struct lxd *l,
		     const struct act *a)
{
	int error = lxd_instance_put(l, a->inst, a->config);

	if (!error && a->restart)
		error = lxd_instance_state_put(l, a->name, "restart",
					       arg_bool(ctx, "force_stop",
							false));
	/* an instance tend made: its record follows its expiry and tags */
	if (!error && lxd_instance_config(a->inst, TEND_KEY "created"))
		error = record(ctx, l, a);
	return error;
}

static int do_create(const struct task_ctx *ctx, struct lxd *l,
		     const struct plan *pl, const struct act *a)
{
	struct val *body = val_dict();
	int error;

	val_dict_set_str(body, "name", a->name);
	val_dict_set_str(body, "type", arg_str(ctx, "type") ?
			 arg_str(ctx, "type") : "container");
	val_dict_set(body, "source", lxd_image_source(arg_str(ctx, "image")));
	val_dict_set(body, "config", val_ref(a->config));
	if (pl->profiles)
		val_dict_set(body, "profiles", val_ref(pl->profiles));
	if (pl->devices)
		val_dict_set(body, "devices", val_ref(pl->devices));
	error = lxd_call(NULL, l, "POST", "/1.0/instances", body);
	val_unref(body);
	/* on record as soon as it exists, started or not */
	if (!error)
		error = record(ctx, l, a);
	if (!error && a->start)
		error = lxd_instance_state_put(l, a->name, "start", false);
	return error;
}

static int do_act(const struct task_ctx *ctx, struct lxd *l,
		  const struct plan *pl, const struct act *a)
{
	bool force = arg_bool(ctx, "force_stop", false);
	int error;

	switch (a->kind) {
	case ACT_DESTROY:
		error = do_destroy(ctx, l, pl, a);
		break;
	case ACT_CHANGE:
		error = do_change(ctx, l, a);
		break;
	case ACT_CREATE:
		error = do_create(ctx, l, pl, a);
		break;
	default:
		error = lxd_instance_state_put(l, a->name, a->state,
				  strcmp(a->state, "start") && force);
		break;
	}
	if (error < 0)
		tend_error_prefix("%s", a->name);
	return error;
}

static int lxd_instance_apply(struct apply_result *out,
			      const struct task_ctx *ctx,
			      const struct check_result *planned)
{
	static const enum act_kind order[] = { ACT_DESTROY, ACT_CHANGE,
					       ACT_CREATE, ACT_STATE };
	const struct plan *pl = planned->priv;
	struct lxd *l = NULL;
	struct val *now = NULL;
	int error;

	if (!pl)
		BUG("lxd_instance: apply without its check");
	if ((error = lxd_of(&l, ctx)) < 0)
		goto out;
	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		for (size_t i = 0; i < pl->nr; i++)
			if (pl->acts[i].kind == order[k] &&
			    (error = do_act(ctx, l, pl, &pl->acts[i])) < 0)
				goto out;
	out->changed = pl->nr > 0;
	buf_addbuf(&out->msg, &planned->changes);
	buf_rtrim(&out->msg);
	if ((error = lxd_instances_read(&now, l)) < 0)
		goto out;
	out->result = result_of(now, pl->names);
out:
	val_unref(now);
	lxd_free(l);
	return error;
}

/* A literal value (no template): it can be checked before the run. */
static const char *literal(const struct val *args, const char *key)
{
	const char *s = val_cstr(val_dict_get(args, key));

	return s && !strstr(s, "{{") && !strstr(s, "{%") ? s : NULL;
}

static int lxd_instance_validate(const struct val *args, const char **arg)
{
	long long t;
	const char *s;

	if (!val_dict_get(args, "name") &&
	    (!val_dict_get(args, "count") ||
	     !val_dict_get(args, "hostname_pattern"))) {
		*arg = val_dict_get(args, "count") ? "count" : NULL;
		return tend_error_set("lxd_instance: expected name, or count "
				      "with hostname_pattern");
	}
	if ((s = literal(args, "expires_at")) && isotime_parse(&t, s) < 0) {
		*arg = "expires_at";
		return tend_error_prefix("expires_at");
	}
	if ((s = literal(args, "ttl")) && duration_parse(&t, s) < 0) {
		*arg = "ttl";
		return tend_error_prefix("ttl");
	}
	if ((s = literal(args, "url")) && strncmp(s, "unix:/", 6) &&
	    strncmp(s, "https://", 8)) {
		*arg = "url";
		return tend_error_set("url: expected unix:/path/to/unix.socket "
				      "or https://host:port, got '%s'", s);
	}
	return 0;
}

const struct tend_module mod_lxd_instance = {
	.validate = lxd_instance_validate,
	.name = "lxd_instance",
	.args = lxd_instance_args,
	.flags = MOD_CONTROLLER,
	.doc = "LXD instances (containers, VMs) through LXD's REST API: "
	       "created, changed (live, or with a restart), started, "
	       "stopped, scaled by count and destroyed when absent or "
	       "expired; each one tend creates is recorded in the state DB",
	.returns = "instances: the task's instances, each {name, index, "
		   "state (running, stopped, absent), addresses}",
	.example = "- lxd_instance:\n"
		   "    url: unix:/var/lib/lxd/unix.socket\n"
		   "    image: debian12\n"
		   "    count: 3\n"
		   "    hostname_pattern: \"web-{{ '%02d' | format(index) }}\"\n"
		   "    config: {limits.cpu: \"2\", limits.memory: 1GB}\n"
		   "    tags: {role: web}\n"
		   "    ttl: 7d\n",
	.exclusive = exclusive,
	.check = lxd_instance_check,
	.apply = lxd_instance_apply,
};
