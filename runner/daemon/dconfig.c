#include "tend/common.h"
#include "tend/daemon/dconfig.h"
#include "tend/util/buf.h"
#include "tend/util/cron.h"
#include "tend/util/duration.h"
#include "tend/data/yaml.h"
#include "tend/playbook/playbook.h"

#include <unistd.h>

/* A string setting, copied, or NULL; anything but a string is an error. */
static char *get_str(const struct val *dict, const char *key,
		     struct diags *d)
{
	const struct val *v = val_dict_get(dict, key);

	if (!v || v->type == VAL_NULL)
		return NULL;
	if (v->type != VAL_STR || !*v->u.s.ptr) {
		diags_add(d, &v->pos, "expected a non-empty string for '%s', "
			  "got %s", key, v->type == VAL_STR ? "''" :
			  val_type_name(v->type));
		return NULL;
	}
	return xstrdup(v->u.s.ptr);
}

static bool get_bool(const struct val *dict, const char *key, bool dflt,
		     struct diags *d)
{
	const struct val *v = val_dict_get(dict, key);

	if (!v || v->type == VAL_NULL)
		return dflt;
	if (v->type != VAL_BOOL) {
		diags_add(d, &v->pos, "expected true or false for '%s'", key);
		return dflt;
	}
	return v->u.b;
}

/* One of `names` (NULL-terminated): its index, or `dflt`. */
static int get_enum(const struct val *dict, const char *key,
		    const char *const *names, int dflt, struct diags *d)
{
	const struct val *v = val_dict_get(dict, key);
	struct buf all = BUF_INIT;

	if (!v || v->type == VAL_NULL)
		return dflt;
	for (int i = 0; names[i]; i++)
		if (v->type == VAL_STR && !strcmp(v->u.s.ptr, names[i]))
			return i;
	for (int i = 0; names[i]; i++)
		buf_addf(&all, "%s%s", i ? ", " : "", names[i]);
	diags_add(d, &v->pos, "expected one of %s for '%s'", all.ptr, key);
	buf_release(&all);
	return dflt;
}

static const char *const mode_names[] = { "plan", "apply", NULL };
static const char *const overlap_names[] = { "skip", "queue", NULL };
static const char *const drift_names[] = { "record", "notify", "apply", NULL };
static const char *const trust_names[] = { "none", "required", NULL };

static bool name_ok(const struct val *item, const char *what,
		    struct diags *d)
{
	const struct val *n = val_dict_get(item, "name");

	if (n && n->type == VAL_STR && *n->u.s.ptr &&
	    strspn(n->u.s.ptr, "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	    strlen(n->u.s.ptr))
		return true;
	diags_add(d, n ? &n->pos : &item->pos, "a %s needs a 'name' of "
		  "letters, digits, '.', '_' and '-'", what);
	return false;
}

static void source_release(struct dsource *s);
static void schedule_release(struct dschedule *s);

static void load_source(struct dconfig *c, const struct val *v,
			struct diags *d)
{
	struct dsource s = { 0 };
	const struct val *sig = val_dict_get(v, "signature");

	if (!name_ok(v, "source", d))
		return;
	s.name = get_str(v, "name", d);
	for (size_t i = 0; i < c->sources_nr; i++)
		if (!strcmp(c->sources[i].name, s.name))
			diags_add(d, &v->pos, "a second source named '%s'",
				  s.name);
	if (!(s.url = get_str(v, "url", d)))
		diags_add(d, &v->pos, "source '%s' needs a 'url'", s.name);
	if (!(s.ref = get_str(v, "ref", d)))
		s.ref = xstrdup("main");
	s.interval = timing_duration(v, "interval", 60, d);
	s.debounce = timing_duration(v, "debounce", 2, d);
	s.fetch_timeout = timing_duration(v, "fetch_timeout", 0, d);
	s.deploy_key_file = get_str(v, "deploy_key_file", d);
	s.known_hosts = get_str(v, "known_hosts", d);
	s.token_env = get_str(v, "token_env", d);
	s.allowed_signers = get_str(v, "allowed_signers", d);
	s.require_ancestor_of = get_str(v, "require_ancestor_of", d);
	s.webhook_secret_file = get_str(v, "webhook_secret_file", d);
	/*
	 * As `tend apply --repo` needs --verify-signatures or
	 * --trust-source, a source says how its commits are trusted.
	 */
	if (!sig)
		diags_add(d, &v->pos, "source '%s' needs 'signature: none' "
			  "(run what the branch holds) or 'signature: "
			  "required' with 'allowed_signers: FILE'", s.name);
	else
		s.verify_signatures = get_enum(v, "signature", trust_names, 0,
					       d) == 1;
	if (s.verify_signatures && !s.allowed_signers)
		diags_add(d, &sig->pos, "'signature: required' needs "
			  "'allowed_signers: FILE'");
	c->sources = xrealloc(c->sources, (c->sources_nr + 1) * sizeof(s));
	c->sources[c->sources_nr++] = s;
}

static void load_schedule(struct dconfig *c, const struct val *v,
			  struct diags *d)
{
	struct dschedule s = { 0 };
	const struct val *src = val_dict_get(v, "source"), *ev;
	struct buf what = BUF_INIT;

	if (!name_ok(v, "schedule", d))
		return;
	s.name = get_str(v, "name", d);
	if (dconfig_schedule(c, s.name))
		diags_add(d, &v->pos, "a second schedule named '%s'", s.name);
	if (src) {
		for (size_t i = 0; i < c->sources_nr; i++)
			if (val_cstr(src) && !strcmp(c->sources[i].name,
						     val_cstr(src)))
				s.source = &c->sources[i];
		if (!s.source)
			diags_add(d, &src->pos, "schedule '%s': no source "
				  "named '%s' in 'sources'", s.name,
				  val_cstr(src) ? val_cstr(src) : "");
	}
	if (!(s.playbook = get_str(v, "playbook", d)))
		diags_add(d, &v->pos, "schedule '%s' needs a 'playbook'",
			  s.name);
	s.inventory = get_str(v, "inventory", d);
	s.mode = get_enum(v, "mode", mode_names, DMODE_PLAN, d);
	s.pos = v->pos;
	buf_addf(&what, "schedule '%s'", s.name);
	timing_load(&s.t, v, what.ptr, d);
	buf_release(&what);
	s.on_commit = get_bool(v, "on_commit", s.source != NULL, d);
	if (s.on_commit && !src)
		diags_add(d, &v->pos, "schedule '%s': 'on_commit' needs a "
			  "'source'", s.name);
	if ((ev = val_dict_get(v, "extra_vars"))) {
		if (val_is(ev, VAL_DICT))
			s.extra_vars = val_ref((struct val *)ev);
		else
			diags_add(d, &ev->pos, "expected a dict for "
				  "'extra_vars'");
	}
	s.limit = get_str(v, "limit", d);
	s.tags = get_str(v, "tags", d);
	s.skip_tags = get_str(v, "skip_tags", d);
	s.overlap = get_enum(v, "overlap", overlap_names, DOVERLAP_SKIP, d);
	s.drift = get_enum(v, "drift", drift_names, DDRIFT_RECORD, d);
	if (val_dict_get(v, "drift") && s.mode != DMODE_PLAN)
		diags_add(d, &val_dict_get(v, "drift")->pos, "'drift' is for "
			  "'mode: plan' schedules");
	s.lock_timeout = timing_duration(v, "lock_timeout", 3600, d);
	c->schedules = xrealloc(c->schedules,
				(c->schedules_nr + 1) * sizeof(s));
	c->schedules[c->schedules_nr++] = s;
}

/* "host:port", "[v6]:port" or ":port"; port 0 picks a free one. */
/* The index of parent schedule `name` in c, or -1. */
static long parent_index(const struct dconfig *c, const char *name)
{
	for (size_t i = 0; i < c->schedules_nr; i++)
		if (!c->schedules[i].parent &&
		    !strcmp(c->schedules[i].name, name))
			return (long)i;
	return -1;
}

static bool same_source(const struct dschedule *s, const char *source)
{
	return source ? s->source && !strcmp(s->source->name, source) :
		!s->source;
}

/* Schedule `parent`'s own for play n (from 1) of its playbook, timed t. */
static struct dschedule play_schedule(const struct dschedule *parent,
				      int n, const struct timing *t,
				      const struct play *p)
{
	struct dschedule c = *parent;
	struct buf name = BUF_INIT;

	buf_addf(&name, "%s.play%d", parent->name, n);
	c.name = buf_detach(&name, NULL);
	c.playbook = xstrdup(parent->playbook);
	c.inventory = parent->inventory ? xstrdup(parent->inventory) : NULL;
	c.limit = parent->limit ? xstrdup(parent->limit) : NULL;
	c.tags = parent->tags ? xstrdup(parent->tags) : NULL;
	c.skip_tags = parent->skip_tags ? xstrdup(parent->skip_tags) : NULL;
	c.extra_vars = parent->extra_vars ?
		val_ref(parent->extra_vars) : NULL;
	c.t = *t;
	c.on_commit = false;
	c.play = n;
	c.parent = xstrdup(parent->name);
	c.pos = p->schedule->pos;
	return c;
}

/*
 * Parent p's play schedules, from its playbook beneath `dir`, appended
 * to *out; false when the playbook cannot be read. That is a warning in
 * `d`, not an error: the daemon reads a playbook without what its runs
 * have (vault passwords, ansible.cfg's roles path), and the runs report
 * a playbook that is really broken.
 */
static bool read_plays(struct dschedule **out, size_t *nr,
		       const struct dconfig *c, const struct dschedule *p,
		       const char *dir, struct diags *d)
{
	struct fs_limits limits = { .root = dir };
	struct playbook *pb = NULL;
	struct buf path = BUF_INIT;
	struct diags why = DIAGS_INIT;
	bool ok;
	int error;

	if (p->playbook[0] == '/' && !dir)
		buf_adds(&path, p->playbook);
	else
		buf_addf(&path, "%s/%s", dir ? dir : c->base_dir, p->playbook);
	error = playbook_load(&pb, path.ptr, &limits, &why);
	ok = error == 0;
	if (error < 0 && error != TEND_EPARSE)
		diags_add(&why, NULL, "%s", tend_error_last());
	tend_error_clear();
	for (size_t i = 0; !ok && i < why.nr; i++)
		diags_warn(d, &p->pos, "schedule '%s': its plays' schedules "
			   "are not read: %s", p->name, why.items[i]);
	diags_release(&why);
	for (size_t i = 0; ok && i < pb->nr; i++) {
		struct timing t;
		const struct val *sv = pb->plays[i]->schedule;
		struct dschedule ps;

		if (!sv || !timing_load_play(&t, sv, d))
			continue;
		ps = play_schedule(p, (int)i + 1, &t, pb->plays[i]);
		/* a commit that changes a play's timing: its timer anew */
		ps.retimed = dconfig_schedule(c, ps.name) &&
			!timing_same(&dconfig_schedule(c, ps.name)->t, &ps.t);
		if (parent_index(c, ps.name) >= 0) {
			diags_add(d, &ps.pos, "play %zu's schedule would be "
				  "named '%s', as a schedule of tend.yml is",
				  i + 1, ps.name);
			schedule_release(&ps);
			continue;
		}
		*out = xrealloc(*out, (*nr + 1) * sizeof(**out));
		(*out)[(*nr)++] = ps;
	}
	playbook_free(pb);
	buf_release(&path);
	return ok;
}

size_t dconfig_play_schedules(struct dconfig *c, const char *source,
			      const char *dir, struct diags *d)
{
	struct dschedule *out = NULL;
	size_t nr = 0, plays = 0;
	/* fresh[i]: parent i's play schedules were read anew */
	bool *fresh = xcalloc(c->schedules_nr + 1, sizeof(*fresh));

	for (size_t i = 0; i < c->schedules_nr; i++) {
		const struct dschedule *s = &c->schedules[i];
		size_t before;

		if (s->parent)
			continue;
		out = xrealloc(out, (nr + 1) * sizeof(*out));
		out[nr++] = *s;
		if (!same_source(s, source))
			continue;
		before = nr;
		fresh[i] = read_plays(&out, &nr, c, s, dir, d);
		out[before - 1].plays_unread = !fresh[i];
		plays += nr - before;
	}
	/* the old play schedules of the parents not read anew stay */
	for (size_t i = 0; i < c->schedules_nr; i++) {
		struct dschedule *s = &c->schedules[i];
		long p = s->parent ? parent_index(c, s->parent) : -1;

		if (!s->parent)
			continue;
		if (p >= 0 && !fresh[p]) {
			out = xrealloc(out, (nr + 1) * sizeof(*out));
			out[nr++] = *s;
			if (same_source(s, source))
				plays++;
		} else {
			schedule_release(s);
		}
	}
	free(c->schedules);
	c->schedules = out;
	c->schedules_nr = nr;
	free(fresh);
	return plays;
}

static void load_listen(struct dconfig *c, const struct val *http,
			struct diags *d)
{
	const struct val *v = val_dict_get(http, "listen");
	const char *s = val_cstr(v), *colon;
	char *end;
	long port;

	c->listen_host = xstrdup("127.0.0.1");
	c->listen_port = 8470;
	c->listen_loopback = true;
	if (!v)
		return;
	if (!s || !(colon = strrchr(s, ':'))) {
		diags_add(d, &v->pos, "expected 'listen: HOST:PORT' (e.g. "
			  "127.0.0.1:8470)");
		return;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535) {
		diags_add(d, &v->pos, "bad port in '%s'", s);
		return;
	}
	free(c->listen_host);
	if (*s == '[' && colon > s && colon[-1] == ']')
		c->listen_host = xstrndup(s + 1, colon - s - 2);
	else
		c->listen_host = xstrndup(s, colon - s);
	if (!*c->listen_host) {
		free(c->listen_host);
		c->listen_host = xstrdup("0.0.0.0");
	}
	c->listen_port = (int)port;
	c->listen_loopback = !strncmp(c->listen_host, "127.", 4) ||
		!strcmp(c->listen_host, "::1") ||
		!strcmp(c->listen_host, "localhost");
}

static void load_http(struct dconfig *c, struct diags *d)
{
	const struct val *http = val_dict_get(c->cfg->root, "http");

	if (!val_is(http, VAL_DICT))
		http = NULL;
	load_listen(c, http, d);
	if (!http)
		return;
	c->token_file = get_str(http, "token_file", d);
	c->tls_cert = get_str(http, "tls_cert", d);
	c->tls_key = get_str(http, "tls_key", d);
	if (!c->tls_cert != !c->tls_key)
		diags_add(d, &http->pos, "'tls_cert' and 'tls_key' go "
			  "together");
	if (!c->listen_loopback && !c->token_file)
		diags_add(d, &http->pos, "listening on '%s' (not loopback) "
			  "needs 'token_file': every call then needs the "
			  "token", c->listen_host);
}

static void load_sections(struct dconfig *c, struct diags *d)
{
	const struct val *root = c->cfg->root, *v;

	load_http(c, d);
	c->max_concurrent = 4;
	if ((v = val_dict_get(root, "daemon")) && val_is(v, VAL_DICT)) {
		const struct val *m = val_dict_get(v, "max_concurrent");

		if (m && (m->type != VAL_INT || m->u.i < 1 || m->u.i > 256))
			diags_add(d, &m->pos, "expected a number from 1 to "
				  "256 for 'max_concurrent'");
		else if (m)
			c->max_concurrent = (int)m->u.i;
	}
	v = val_dict_get(root, "sources");
	for (size_t i = 0; val_is(v, VAL_LIST) && i < val_len(v); i++)
		if (val_is(val_list_at(v, i), VAL_DICT))
			load_source(c, val_list_at(v, i), d);
	v = val_dict_get(root, "schedules");
	for (size_t i = 0; val_is(v, VAL_LIST) && i < val_len(v); i++)
		if (val_is(val_list_at(v, i), VAL_DICT))
			load_schedule(c, val_list_at(v, i), d);
}

/*
 * tend.yml has errors config_load found: read the daemon's sections all
 * the same, so that one pass names every error of the file.
 */
static void check_anyway(const char *path, struct diags *d)
{
	struct diags scratch = DIAGS_INIT;
	struct config cfg = { 0 };
	struct dconfig c = { .cfg = &cfg };

	if (yaml_load_file(&cfg.root, path, &scratch) == 0 &&
	    val_is(cfg.root, VAL_DICT)) {
		c.cfg = &cfg;
		load_sections(&c, d);
	}
	diags_release(&scratch);
	val_unref(cfg.root);
	c.cfg = NULL;
	for (size_t i = 0; i < c.sources_nr; i++)
		source_release(&c.sources[i]);
	free(c.sources);
	for (size_t i = 0; i < c.schedules_nr; i++)
		schedule_release(&c.schedules[i]);
	free(c.schedules);
	free(c.listen_host);
	free(c.token_file);
	free(c.tls_cert);
	free(c.tls_key);
}

/*
 * The plays' own schedules of the schedules with local paths (those of a
 * source are read from each commit it fetches, by the daemon); a schedule
 * that then has no way to start is an error.
 */
static void local_plays(struct dconfig *c, struct diags *d)
{
	dconfig_play_schedules(c, NULL, NULL, d);
	for (size_t i = 0; i < c->schedules_nr; i++) {
		const struct dschedule *s = &c->schedules[i];
		bool plays = false;

		for (size_t j = 0; j < c->schedules_nr; j++)
			if (c->schedules[j].parent &&
			    !strcmp(c->schedules[j].parent, s->name))
				plays = true;
		/* (a playbook not read: its plays are unknown) */
		if (!s->parent && !s->source && !s->t.has_cron &&
		    !s->t.every && !plays && !s->plays_unread)
			diags_add(d, &s->pos, "schedule '%s' never runs: give "
				  "it 'cron', 'every', a 'source' to follow, "
				  "or a play of its playbook a 'schedule:'",
				  s->name);
	}
}

int dconfig_load(struct dconfig **out, const char *path, struct diags *d)
{
	struct dconfig *c = xcalloc(1, sizeof(*c));
	size_t errors = d->errors;
	int error;

	*out = NULL;
	if ((error = config_load(&c->cfg, path, d)) < 0) {
		if (error == TEND_EPARSE && path) {
			check_anyway(path, d);
			error = tend_error_set_code(TEND_EPARSE, "'%s' has "
						    "errors", path);
		}
		dconfig_free(c);
		return error;
	}
	if (path) {
		char *abs = realpath(path, NULL);
		const char *slash;

		c->config_path = abs ? abs : xstrdup(path);
		slash = strrchr(c->config_path, '/');
		c->base_dir = slash ? xstrndup(c->config_path,
					       slash - c->config_path) : NULL;
	}
	if (!c->base_dir) {
		char cwd[4096];

		c->base_dir = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	}
	if (!*c->base_dir) {
		free(c->base_dir);
		c->base_dir = xstrdup("/");
	}
	load_sections(c, d);
	if (d->errors == errors)
		local_plays(c, d);
	if (d->errors > errors) {
		dconfig_free(c);
		return tend_error_set_code(TEND_EPARSE, "'%s' has errors",
					   path ? path : "tend.yml");
	}
	*out = c;
	return 0;
}

static void source_release(struct dsource *s)
{
	free(s->name);
	free(s->url);
	free(s->ref);
	free(s->deploy_key_file);
	free(s->known_hosts);
	free(s->token_env);
	free(s->allowed_signers);
	free(s->require_ancestor_of);
	free(s->webhook_secret_file);
}

static void schedule_release(struct dschedule *s)
{
	free(s->name);
	free(s->playbook);
	free(s->inventory);
	timing_release(&s->t);
	free(s->parent);
	free(s->limit);
	free(s->tags);
	free(s->skip_tags);
	val_unref(s->extra_vars);
}

void dconfig_free(struct dconfig *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->sources_nr; i++)
		source_release(&c->sources[i]);
	free(c->sources);
	for (size_t i = 0; i < c->schedules_nr; i++)
		schedule_release(&c->schedules[i]);
	free(c->schedules);
	config_free(c->cfg);
	free(c->config_path);
	free(c->base_dir);
	free(c->listen_host);
	free(c->token_file);
	free(c->tls_cert);
	free(c->tls_key);
	free(c);
}

const struct dschedule *dconfig_schedule(const struct dconfig *c,
					 const char *name)
{
	for (size_t i = 0; name && i < c->schedules_nr; i++)
		if (!strcmp(c->schedules[i].name, name))
			return &c->schedules[i];
	return NULL;
}
