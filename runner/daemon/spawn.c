#include "tend/common.h"
#include "tend/daemon/daemon_int.h"
#include "tend/store/store.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/windows/announce.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The daemon's children: each run is `tend plan|apply ... --format json`
 * and each poll of a source `tend pull`, both this binary, their stdout
 * and stderr in files under d->tmp_dir, read when they end.
 */

extern char **environ;

struct argv {
	char **v;
	size_t nr, alloc;
};

static void arg(struct argv *a, const char *s)
{
	ALLOC_GROW(a->v, a->nr + 2, a->alloc);
	a->v[a->nr++] = xstrdup(s);
	a->v[a->nr] = NULL;
}

static void arg2(struct argv *a, const char *opt, const char *val)
{
	if (!val)
		return;
	arg(a, opt);
	arg(a, val);
}

static void argv_release(struct argv *a)
{
	for (size_t i = 0; i < a->nr; i++)
		free(a->v[i]);
	free(a->v);
}

static void arg_secs(struct argv *a, const char *opt, long long secs)
{
	char n[32];

	snprintf(n, sizeof(n), "%lld", secs);
	arg2(a, opt, n);
}

/* The --repo options of source s at `ref`, as `tend apply` takes them. */
static void source_args(struct argv *a, const struct dsource *s,
			const char *ref, bool offline)
{
	arg2(a, "--repo", s->url);
	arg2(a, "--ref", ref);
	arg2(a, "--key", s->deploy_key_file);
	arg2(a, "--known-hosts", s->known_hosts);
	arg2(a, "--token-env", s->token_env);
	arg2(a, "--require-ancestor-of", s->require_ancestor_of);
	if (s->verify_signatures) {
		arg(a, "--verify-signatures");
		arg2(a, "--allowed-signers", s->allowed_signers);
	}
	if (offline)
		arg(a, "--offline");
	else if (s->fetch_timeout > 0)
		arg_secs(a, "--fetch-timeout", s->fetch_timeout);
}

static int spawn(pid_t *pid, struct daemon *d, struct argv *a,
		 struct dchild *c)
{
	static unsigned long long seq;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	struct buf p = BUF_INIT;
	int rc;

	buf_addf(&p, "%s/%llu.out", d->tmp_dir, ++seq);
	c->out_path = xstrdup(p.ptr);
	p.ptr[p.len - 3] = 'e', p.ptr[p.len - 2] = 'r', p.ptr[p.len - 1] = 'r';
	c->err_path = buf_detach(&p, NULL);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, c->out_path,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, c->err_path,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	/* relative paths in tend.yml are relative to its directory */
	posix_spawn_file_actions_addchdir_np(&fa, d->cfg->base_dir);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	/*
	 * A process group of its own: a Ctrl-C at the daemon's terminal
	 * reaches the daemon alone, which passes one SIGTERM on (a child
	 * that got both would take the second as "stop at once").
	 */
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(pid, d->exe, &fa, &at, a->v, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc)
		return tend_error_set("cannot start '%s': %s", d->exe,
				      strerror(rc));
	c->pid = *pid;
	c->started = time(NULL);
	c->next = d->children;
	d->children = c;
	return 0;
}

static void child_free(struct dchild *c)
{
	if (c->out_path)
		unlink(c->out_path);
	if (c->err_path)
		unlink(c->err_path);
	free(c->out_path);
	free(c->err_path);
	free(c->name);
	free(c->trigger);
	free(c->commit);
	free(c);
}

int dspawn_run(struct daemon *d, struct dsched_state *st,
	       const struct dschedule *s, const char *trigger,
	       enum dmode mode, const char *limit, const char *commit)
{
	struct dchild *c = xcalloc(1, sizeof(*c));
	struct argv a = { 0 };
	struct buf t = BUF_INIT;
	const struct dsource_state *src = NULL;
	pid_t pid;
	int error;

	if (s->source) {
		src = daemon_source(d, s->source->name);
		if (!src || !src->commit)
			BUG("a run of '%s' before its source's commit",
			    s->name);
	}
	arg(&a, d->exe);
	arg(&a, mode == DMODE_APPLY ? "apply" : "plan");
	arg2(&a, "-i", s->inventory);
	arg2(&a, "--format", "json");
	arg2(&a, "--config", d->cfg->config_path);
	arg2(&a, "--state", d->state_path);
	arg2(&a, "--limit", limit ? limit : s->limit);
	arg2(&a, "--tags", s->tags);
	arg2(&a, "--skip-tags", s->skip_tags);
	if (s->extra_vars) {
		struct buf ev = BUF_INIT;

		val_to_json(&ev, s->extra_vars, 0);
		arg2(&a, "-e", ev.ptr);
		buf_release(&ev);
	}
	if (mode == DMODE_APPLY)
		arg_secs(&a, "--lock-timeout", s->lock_timeout);
	buf_addf(&t, "schedule %s, %s", s->name, trigger);
	arg2(&a, "--trigger", t.ptr);
	if (src) {
		c->commit = xstrdup(commit ? commit : src->commit);
		source_args(&a, s->source, c->commit, true);
		if (!s->source->verify_signatures)
			arg(&a, "--trust-source");
	}
	if (s->play > 0) {
		char n[24];

		snprintf(n, sizeof(n), "%d", s->play);
		arg2(&a, "--play", n);
	}
	/* last, after "--": a playbook named "-x.yml" is not an option */
	arg(&a, "--");
	arg(&a, s->playbook);
	c->kind = DCHILD_RUN;
	c->name = xstrdup(s->name);
	c->trigger = buf_detach(&t, NULL);
	c->mode = mode;
	if ((error = spawn(&pid, d, &a, c)) < 0) {
		child_free(c);
	} else {
		st->running = pid;
		st->last_start = c->started;
		d->running++;
		dlog(DLOG_INFO, 0, "schedule '%s': %s started (%s, pid %d%s%s)",
		     s->name, mode == DMODE_APPLY ? "apply" : "plan", trigger,
		     (int)pid, c->commit && strncmp(trigger, "commit ", 7) ?
		     ", commit " : "", c->commit && strncmp(trigger,
		     "commit ", 7) ? c->commit : "");
	}
	argv_release(&a);
	return error;
}

int dspawn_fetch(struct daemon *d, struct dsource_state *st,
		 const struct dsource *s)
{
	struct dchild *c = xcalloc(1, sizeof(*c));
	struct argv a = { 0 };
	pid_t pid;
	int error;

	arg(&a, d->exe);
	arg(&a, "pull");
	source_args(&a, s, s->ref, false);
	c->kind = DCHILD_FETCH;
	c->name = xstrdup(s->name);
	if ((error = spawn(&pid, d, &a, c)) < 0)
		child_free(c);
	else
		st->fetching = pid;
	argv_release(&a);
	return error;
}

/* The last non-empty line of file `path` (what a failed child said). */
static char *last_line(const char *path)
{
	struct buf b = BUF_INIT;
	char *end, *start;

	if (buf_read_file(&b, path) < 0) {
		tend_error_clear();
		buf_release(&b);
		return xstrdup("");
	}
	end = b.ptr + b.len;
	while (end > b.ptr && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	*end = '\0';
	start = strrchr(b.ptr, '\n');
	start = xstrdup(start ? start + 1 : b.ptr);
	buf_release(&b);
	return start;
}

static void fetch_done(struct daemon *d, struct dchild *c, int status)
{
	struct dsource_state *st;
	struct buf out = BUF_INIT;
	const char *p;
	char *why = NULL, *commit = NULL, *dir = NULL;
	bool ok;

	if (buf_read_file(&out, c->out_path) < 0)
		tend_error_clear();
	p = strstr(out.ptr, "commit  ");
	ok = WIFEXITED(status) && !WEXITSTATUS(status) && p;
	if (ok)
		commit = xstrndup(p + 8, strcspn(p + 8, "\n"));
	if (ok && (p = strstr(out.ptr, "\ndir     ")))
		dir = xstrndup(p + 9, strcspn(p + 9, "\n"));
	else
		why = last_line(c->err_path);
	pthread_mutex_lock(&d->mu);
	if ((st = daemon_source(d, c->name))) { /* else: a reload removed it */
		st->fetching = 0;
		st->fetches++;
		st->last_fetch = time(NULL);
		if (!ok) {
			st->fetch_failures++;
			dlog(DLOG_WARN, 0, "source '%s': fetch failed: %s",
			     c->name, why);
		} else if ((!st->commit || strcmp(commit, st->commit)) &&
			   (!st->seen || strcmp(st->seen, commit))) {
			dlog(DLOG_INFO, 0, "source '%s': new commit %s",
			     c->name, commit);
			free(st->seen);
			st->seen = commit;
			st->seen_at = time(NULL);
			commit = NULL;
			free(st->seen_dir);
			st->seen_dir = dir;
			dir = NULL;
		}
	}
	pthread_mutex_unlock(&d->mu);
	free(commit);
	free(dir);
	free(why);
	buf_release(&out);
}

static const char *status_of(int status, const struct val *doc)
{
	if (WIFSIGNALED(status))
		return "killed";
	if (val_is(val_dict_get(doc, "interrupted"), VAL_BOOL) &&
	    val_dict_get(doc, "interrupted")->u.b)
		return "interrupted";
	switch (WEXITSTATUS(status)) {
	case 0: case 2: return "ok";
	case 3: return "failed";
	case 4: return "stale";
	case 5: return "locked";
	default: return "error";
	}
}

/*
 * What a drift-check plan found, in the daemon's map of drifted hosts
 * (with d->mu held): the hosts it found drifted go to `drifted` (a
 * --limit), those that started drifting or drift otherwise to `fresh`
 * (the plan's host dicts: recorded and announced); a host it found
 * converged leaves the map.
 */
static void map_drift(struct buf *drifted, struct val *fresh,
		      struct daemon *d, struct dsched_state *st,
		      const struct val *doc, long long run_id)
{
	const struct val *hosts = val_dict_get(doc, "hosts");
	char now[32];
	struct tm tm;
	time_t t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	st->hosts_drifted = 0;
	for (size_t i = 0; i < val_len(hosts); i++) {
		const struct val *h = val_list_at(hosts, i);
		const char *name = val_cstr(val_dict_get(h, "host"));
		const struct val *dr = val_dict_get(h, "drift"), *old;
		struct val *e;

		if (!name)
			continue;
		old = val_dict_get(d->drift, name);
		if (!val_is(dr, VAL_BOOL) || !dr->u.b) {
			if (old && !strcmp(val_cstr(val_dict_get(old,
				"schedule")), st->name))
				val_dict_del(d->drift, name);
			continue;
		}
		st->hosts_drifted++;
		buf_addf(drifted, "%s%s", drifted->len ? "," : "", name);
		if (!old || !val_equal(val_dict_get(old, "tasks"),
				       val_dict_get(h, "drift_tasks")))
			val_list_push(fresh, val_ref((struct val *)h));
		e = val_dict();
		val_dict_set_str(e, "schedule", st->name);
		val_dict_set_int(e, "run_id", run_id);
		val_dict_set_str(e, "since", old ? val_cstr(val_dict_get(old,
				 "since")) : now);
		val_dict_set(e, "tasks", val_ref(val_dict_get(h,
							     "drift_tasks")));
		val_dict_set(d->drift, name, e);
	}
}

/* The drift events of the hosts in `fresh`, in the state DB. */
static void record_drift(struct daemon *d, const char *schedule,
			 const struct val *fresh, long long run_id)
{
	struct store *s = NULL;

	if (!val_len(fresh))
		return;
	if (store_open(&s, d->state_path) < 0) {
		dlog(DLOG_ERROR, run_id, "cannot record drift: %s",
		     tend_error_last());
		tend_error_clear();
		return;
	}
	for (size_t i = 0; i < val_len(fresh); i++) {
		const struct val *h = val_list_at(fresh, i);
		const char *name = val_cstr(val_dict_get(h, "host"));

		dlog(DLOG_WARN, run_id, "schedule '%s': host '%s' drifted",
		     schedule, name);
		if (store_drift_add(s, name, schedule, run_id,
				    val_dict_get(h, "drift_tasks")) < 0) {
			dlog(DLOG_ERROR, run_id, "cannot record drift: %s",
			     tend_error_last());
			tend_error_clear();
		}
	}
	store_close(s);
}

static void count_status(struct dsched_state *st, const char *status)
{
	struct val *n = val_dict_get(st->runs, status);

	val_dict_set_int(st->runs, status, (n ? n->u.i : 0) + 1);
}

/*
 * Announce the hosts that started drifting (or drift otherwise) through
 * the maintenance providers that announce. Files are named relative to
 * the checkout: the playbook's path in it, less the schedule's own.
 */
static void announce(struct daemon *d, const struct dschedule *s,
		     const struct dchild *c, const struct val *doc,
		     const struct val *hosts, long long run_id)
{
	const char *pb = val_cstr(val_dict_get(doc, "playbook"));
	size_t pl = pb ? strlen(pb) : 0, sl = strlen(s->playbook);
	char *root = NULL;
	struct val *errors = NULL;
	struct window_announcement a = {
		.kind = "drift", .schedule = s->name, .playbook = pb,
		.commit = c->commit, .run_id = run_id, .hosts = hosts,
	};

	if (s->source && pl > sl + 1 && !strcmp(pb + pl - sl, s->playbook) &&
	    pb[pl - sl - 1] == '/')
		a.root = root = xstrndup(pb, pl - sl - 1);
	else if (!s->source)
		a.root = d->cfg->base_dir;
	if (window_announce(&errors, &d->cfg->cfg->maintenance, &a) < 0) {
		dlog(DLOG_ERROR, run_id, "schedule '%s': %s", s->name,
		     tend_error_last());
		tend_error_clear();
	} else {
		dlog(DLOG_INFO, run_id, "schedule '%s': drift announced",
		     s->name);
	}
	val_unref(errors);
	free(root);
}

/* A run's end, in its schedule's state (with d->mu held). */
static void note_end(struct daemon *d, struct dsched_state *st,
		     const struct dchild *c, const struct val *doc,
		     const char *result, long long run_id, char *err_line)
{
	const struct val *sum = val_dict_get(doc, "summary");
	const struct val *waits = val_dict_path(doc, "lock_waits.count");

	st->running = 0;
	st->last_end = time(NULL);
	st->last_duration = difftime(st->last_end, c->started);
	free(st->last_status);
	st->last_status = xstrdup(result);
	st->last_run_id = run_id;
	free(st->last_commit);
	st->last_commit = c->commit ? xstrdup(c->commit) : NULL;
	count_status(st, result);
	if (c->mode == DMODE_APPLY && val_is(val_dict_get(sum, "change"),
					     VAL_INT))
		st->changed_total += val_dict_get(sum, "change")->u.i;
	if (val_is(waits, VAL_INT))
		st->lock_waits += (unsigned long long)waits->u.i;
	free(st->last_error);
	st->last_error = err_line;
	(void)d;
}

/*
 * A run ended: its JSON read, its schedule's state and the drift map
 * changed under the lock; the drift events written and announced, or a
 * drift apply queued, outside it.
 */
static void run_done(struct daemon *d, struct dchild *c, int status)
{
	struct buf out = BUF_INIT, drifted = BUF_INIT;
	struct val *doc = NULL, *fresh = val_list();
	const struct dschedule *s = dconfig_schedule(d->cfg, c->name);
	struct dsched_state *st;
	long long run_id = 0;
	const char *result;
	char *err_line;

	if (buf_read_file(&out, c->out_path) < 0 ||
	    val_from_json(&doc, out.ptr, out.len) < 0)
		tend_error_clear();
	if (val_is(val_dict_get(doc, "run_id"), VAL_INT))
		run_id = val_dict_get(doc, "run_id")->u.i;
	result = status_of(status, doc);
	err_line = strcmp(result, "ok") ? last_line(c->err_path) : NULL;
	if (err_line)
		dlog(DLOG_WARN, run_id, "schedule '%s': run %s (exit %d): %s",
		     c->name, result, WIFEXITED(status) ? WEXITSTATUS(status) :
		     128 + WTERMSIG(status), err_line);
	else
		dlog(DLOG_INFO, run_id, "schedule '%s': run ok in %.0f s",
		     c->name, difftime(time(NULL), c->started));
	pthread_mutex_lock(&d->mu);
	d->running--;
	if ((st = daemon_sched(d, c->name))) {
		note_end(d, st, c, doc, result, run_id, err_line);
		err_line = NULL;
		if (c->mode == DMODE_PLAN && doc)
			map_drift(&drifted, fresh, d, st, doc, run_id);
		if (s && drifted.len && s->drift == DDRIFT_APPLY &&
		    !st->drift_hosts && !d->stopping) {
			st->drift_hosts = xstrdup(drifted.ptr);
			st->drift_commit = c->commit ? xstrdup(c->commit) :
				NULL;
		}
	}
	pthread_mutex_unlock(&d->mu);
	if (st) {
		record_drift(d, c->name, fresh, run_id);
		if (s && s->drift == DDRIFT_NOTIFY && val_len(fresh) &&
		    !d->stopping)
			announce(d, s, c, doc, fresh, run_id);
	}
	free(err_line);
	val_unref(fresh);
	val_unref(doc);
	buf_release(&out);
	buf_release(&drifted);
}

/*
 * Reap every child that ended, without d->mu but for taking each off
 * the list: what its end means may write to the state DB and post
 * announcements, which must not stall the HTTP thread.
 */
void dspawn_reap(struct daemon *d)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct dchild **pp, *c;

		pthread_mutex_lock(&d->mu);
		pp = &d->children;
		while (*pp && (*pp)->pid != pid)
			pp = &(*pp)->next;
		if ((c = *pp))
			*pp = c->next;
		pthread_mutex_unlock(&d->mu);
		if (!c)
			continue;
		if (c->kind == DCHILD_FETCH)
			fetch_done(d, c, status);
		else
			run_done(d, c, status);
		child_free(c);
	}
}

void dspawn_signal(struct daemon *d, int sig)
{
	for (struct dchild *c = d->children; c; c = c->next)
		kill(c->pid, sig);
}
