#include "tend/common.h"
#include "tend/daemon/daemon_int.h"
#include "tend/store/store.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"

#include <sodium.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * The tick loop (daemon.h). Signal handlers only set a flag and wake the
 * loop through d->wake; everything else happens here, in order: reap
 * children, reload, poll sources, settle new commits, start due runs.
 */

static volatile sig_atomic_t got_hup, got_term, got_signal;
static int wake_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGTERM || sig == SIGINT)
		got_term++;
	got_signal = 1;
	if (wake_fd >= 0 && write(wake_fd, "s", 1) < 0) {
		/* the pipe is full: the loop wakes anyway */
	}
	errno = saved;
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void sd_notify_send(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (*path != '/' && *path != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (*path == '@')
		sa.sun_path[0] = '\0'; /* the abstract namespace */
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, len) < 0)
		dlog(DLOG_WARN, 0, "cannot notify systemd: %s",
		     strerror(errno));
	close(fd);
}

/* When schedule s starts next after `after`, jitter added. */
static time_t next_time(const struct dschedule *s, time_t after)
{
	time_t t = 0;

	if (s->t.has_cron) {
		if (cron_next(&t, &s->t.cron, after, s->t.timezone) < 0) {
			tend_error_clear();
			return 0;
		}
	} else if (s->t.every) {
		t = after + s->t.every;
	} else {
		return 0;
	}
	if (s->t.jitter > 0)
		t += arc4random_uniform((uint32_t)(s->t.jitter + 1));
	return t;
}

/* A timed or commit start of schedule s: queue it, or skip it. */
static void fire(struct dsched_state *st,
		 const struct dschedule *s, const char *trigger)
{
	if (st->running && s->overlap == DOVERLAP_SKIP) {
		st->skipped++;
		dlog(DLOG_WARN, 0, "schedule '%s': %s skipped: the run started "
		     "at %lld (pid %d) is still going", s->name, trigger,
		     (long long)st->last_start, (int)st->running);
		return;
	}
	if (!st->pending)
		st->pending = xstrdup(trigger);
}

/*
 * Start what waits, as far as max_concurrent allows. The scan starts
 * after the last schedule started, so that a schedule that always has
 * a start queued cannot keep the others waiting for ever.
 */
static void start_pending(struct daemon *d)
{
	static size_t next;

	for (size_t k = 0; k < d->sch_nr; k++) {
		size_t i = (next + k) % d->sch_nr;
		struct dsched_state *st = &d->sch[i];
		const struct dschedule *s = dconfig_schedule(d->cfg, st->name);
		const struct dsource_state *src;
		int error;

		if ((!st->pending && !st->drift_hosts) || st->running || !s)
			continue;
		if (d->running >= (size_t)d->cfg->max_concurrent)
			return;
		src = s->source ? daemon_source(d, s->source->name) : NULL;
		if (s->source && (!src || !src->commit))
			continue; /* waits for its source's first fetch */
		if (st->drift_hosts) {
			/* the drifted hosts, at the commit their plan saw */
			error = dspawn_run(d, st, s, "drift", DMODE_APPLY,
					   st->drift_hosts, st->drift_commit);
			free(st->drift_hosts);
			free(st->drift_commit);
			st->drift_hosts = st->drift_commit = NULL;
		} else {
			error = dspawn_run(d, st, s, st->pending, s->mode,
					   NULL, NULL);
			free(st->pending);
			st->pending = NULL;
		}
		if (error < 0) {
			dlog(DLOG_ERROR, 0, "schedule '%s': %s", s->name,
			     tend_error_last());
			tend_error_clear();
		}
		next = i + 1;
	}
}

static void adopt(struct daemon *d, struct dconfig *c, time_t now);

/*
 * The plays' own schedules of the schedules that follow source `src`,
 * read again from its checkout (into config c, the daemon's or a reload's).
 */
static void source_plays(struct dconfig *c, const struct dsource_state *src)
{
	struct diags dg = DIAGS_INIT;
	size_t n;

	if (!src->dir)
		return;
	n = dconfig_play_schedules(c, src->name, src->dir, &dg);
	for (size_t i = 0; i < dg.nr; i++)
		dlog(DLOG_ERROR, 0, "source '%s': %s", src->name, dg.items[i]);
	if (dg.nr)
		dlog(DLOG_ERROR, 0, "source '%s': the plays' schedules of "
		     "commit %.12s not read (until its next commit)", src->name,
		     src->commit ? src->commit : "?");
	else if (n)
		dlog(DLOG_INFO, 0, "source '%s': %zu play schedule%s at commit "
		     "%.12s", src->name, n, n == 1 ? "" : "s",
		     src->commit ? src->commit : "?");
	for (size_t i = 0; !dg.nr && i < c->schedules_nr; i++) {
		const struct dschedule *s = &c->schedules[i];
		bool plays = false;

		for (size_t j = 0; j < c->schedules_nr; j++)
			plays = plays || (c->schedules[j].parent &&
					  !strcmp(c->schedules[j].parent,
						  s->name));
		if (!s->parent && s->source && !strcmp(s->source->name,
		    src->name) && !s->on_commit && !s->t.has_cron &&
		    !s->t.every && !plays)
			dlog(DLOG_WARN, 0, "schedule '%s' never runs: no "
			     "timing, no commits followed, and no play of its "
			     "playbook has a 'schedule:'", s->name);
	}
	diags_release(&dg);
}

/* A source's new commit, once settled: the runs that follow it. */
static void settle(struct daemon *d, struct dsource_state *src, time_t now)
{
	const struct dsource *s = NULL;

	for (size_t i = 0; i < d->cfg->sources_nr; i++)
		if (!strcmp(d->cfg->sources[i].name, src->name))
			s = &d->cfg->sources[i];
	if (!src->seen || !s || now < src->seen_at + s->debounce)
		return;
	free(src->commit);
	src->commit = src->seen;
	src->seen = NULL;
	free(src->dir);
	src->dir = src->seen_dir;
	src->seen_dir = NULL;
	source_plays(d->cfg, src);
	adopt(d, d->cfg, now);
}

/*
 * A schedule that follows its source runs each commit it has not run
 * (before a restart, too: the state DB says which it last ran). A commit
 * that settles while the schedule runs waits for that run to end: it is
 * never skipped.
 */
static void follow_commits(struct daemon *d)
{
	for (size_t i = 0; i < d->sch_nr; i++) {
		struct dsched_state *st = &d->sch[i];
		const struct dschedule *s = &d->cfg->schedules[i];
		const struct dsource_state *src;
		struct buf t = BUF_INIT;

		if (!s->on_commit || !s->source || st->running ||
		    st->pending || st->drift_hosts)
			continue;
		src = daemon_source(d, s->source->name);
		if (!src || !src->commit || (st->last_commit &&
		    !strcmp(st->last_commit, src->commit)))
			continue;
		buf_addf(&t, "commit %.12s", src->commit);
		st->pending = buf_detach(&t, NULL);
	}
}

static void tick(struct daemon *d, time_t now)
{
	for (size_t i = 0; i < d->src_nr; i++) {
		struct dsource_state *st = &d->src[i];
		const struct dsource *s = &d->cfg->sources[i];

		if (!st->fetching && (st->fetch_now || (st->next_poll &&
							now >= st->next_poll))) {
			st->fetch_now = false;
			st->next_poll = s->interval ? now + s->interval : 0;
			if (dspawn_fetch(d, st, s) < 0) {
				dlog(DLOG_ERROR, 0, "source '%s': %s", s->name,
				     tend_error_last());
				tend_error_clear();
			}
		}
		settle(d, st, now);
	}
	for (size_t i = 0; i < d->sch_nr; i++) {
		struct dsched_state *st = &d->sch[i];
		const struct dschedule *s = &d->cfg->schedules[i];

		if (st->next && now >= st->next) {
			fire(st, s, s->t.has_cron ? "cron" : "every");
			st->next = next_time(s, now);
		}
	}
	follow_commits(d);
	start_pending(d);
}

/* Epoch seconds of "2026-12-03T06:18:25Z" (0 if it is not that). */
static time_t parse_utc(const char *s)
{
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	return end ? timegm(&tm) : 0;
}

/*
 * What the state DB knows of each schedule's last run, for the catch-up
 * after downtime (at most one run per schedule) and for the commits the
 * schedules already ran.
 */
static void load_history(struct daemon *d, time_t now)
{
	struct store *s = NULL;
	struct val *runs = NULL;

	if (store_open(&s, d->state_path) < 0 ||
	    store_history(&runs, s, 2000) < 0) {
		dlog(DLOG_WARN, 0, "no catch-up: %s", tend_error_last());
		tend_error_clear();
		store_close(s);
		return;
	}
	for (size_t i = 0; i < d->sch_nr; i++) {
		struct dsched_state *st = &d->sch[i];
		const struct dschedule *sc = &d->cfg->schedules[i];
		struct buf prefix = BUF_INIT;
		time_t last = 0, prev = 0;

		buf_addf(&prefix, "schedule %s,", st->name);
		for (size_t j = 0; j < val_len(runs) && !last; j++) {
			const struct val *r = val_list_at(runs, j);
			const char *t = val_cstr(val_dict_get(r, "trigger"));

			if (!t || strncmp(t, prefix.ptr, prefix.len))
				continue;
			last = parse_utc(val_cstr(val_dict_get(r, "started")));
			free(st->last_commit);
			st->last_commit = NULL;
			if (val_cstr(val_dict_get(r, "commit")))
				st->last_commit = xstrdup(val_cstr(
					val_dict_get(r, "commit")));
		}
		buf_release(&prefix);
		if (!last)
			continue;
		if (sc->t.has_cron && cron_prev(&prev, &sc->t.cron, now,
					      sc->t.timezone) < 0)
			tend_error_clear();
		if ((sc->t.has_cron && prev > last) ||
		    (sc->t.every && now - last > sc->t.every)) {
			dlog(DLOG_INFO, 0, "schedule '%s': missed a start while "
			     "down (last run %lld): one catch-up run",
			     st->name, (long long)last);
			fire(st, sc, "catch-up");
		}
	}
	val_unref(runs);
	store_close(s);
}

static void state_release(struct dsched_state *st)
{
	free(st->name);
	free(st->pending);
	free(st->drift_hosts);
	free(st->drift_commit);
	free(st->last_status);
	free(st->last_commit);
	free(st->last_error);
	val_unref(st->runs);
}

static void source_state_release(struct dsource_state *st)
{
	free(st->name);
	free(st->commit);
	free(st->dir);
	free(st->seen_dir);
	free(st->seen);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * The states of config c: those of the old states whose names it keeps
 * (moved), new ones for the rest.
 */
static void adopt(struct daemon *d, struct dconfig *c, time_t now)
{
	struct dsched_state *sch = xcalloc(c->schedules_nr + 1, sizeof(*sch));
	struct dsource_state *src = xcalloc(c->sources_nr + 1, sizeof(*src));

	for (size_t i = 0; i < c->schedules_nr; i++) {
		struct dsched_state *old = daemon_sched(d,
							c->schedules[i].name);

		const struct dschedule *was = d->cfg ?
			dconfig_schedule(d->cfg, c->schedules[i].name) : NULL;

		if (old) {
			sch[i] = *old;
			old->name = NULL; /* moved */
		} else {
			sch[i].name = xstrdup(c->schedules[i].name);
			sch[i].runs = val_dict();
		}
		/* a reload keeps a timer whose timing it does not change */
		if (!old || !was || !timing_same(&was->t, &c->schedules[i].t) ||
		    !sch[i].next || c->schedules[i].retimed)
			sch[i].next = next_time(&c->schedules[i], now);
		c->schedules[i].retimed = false;
	}
	for (size_t i = 0; i < c->sources_nr; i++) {
		struct dsource_state *old = daemon_source(d,
							  c->sources[i].name);

		if (old) {
			src[i] = *old;
			old->name = NULL;
		} else {
			src[i].name = xstrdup(c->sources[i].name);
			src[i].next_poll = now;
		}
	}
	for (size_t i = 0; i < d->sch_nr; i++)
		if (d->sch[i].name)
			state_release(&d->sch[i]);
	for (size_t i = 0; i < d->src_nr; i++)
		if (d->src[i].name)
			source_state_release(&d->src[i]);
	free(d->sch);
	free(d->src);
	d->sch = sch;
	d->sch_nr = c->schedules_nr;
	d->src = src;
	d->src_nr = c->sources_nr;
}

/* tend.yml's errors and warnings: log lines, or plain lines for --check. */
static void print_diags(const struct diags *dg, bool plain)
{
	for (size_t i = 0; i < dg->nr; i++)
		if (plain)
			fprintf(stderr, "%s\n", dg->items[i]);
		else
			dlog(strstr(dg->items[i], "warning: ") ? DLOG_WARN :
			     DLOG_ERROR, 0, "%s", dg->items[i]);
}

/*
 * The API token from http.token_file (trimmed), as its SHA-256 in
 * hash[]: the daemon never keeps the token itself. *has is false when
 * there is no token_file.
 */
static int read_token(unsigned char hash[32], bool *has,
		      const struct dconfig *c)
{
	struct buf b = BUF_INIT;

	*has = false;
	if (!c->token_file)
		return 0;
	if (buf_read_file(&b, c->token_file) < 0)
		return tend_error_prefix("http.token_file");
	while (b.len && strchr(" \t\r\n", b.ptr[b.len - 1]))
		b.ptr[--b.len] = '\0';
	if (b.len < 16) {
		buf_release_secret(&b);
		return tend_error_set("http.token_file '%s': the token must "
				      "be 16 characters or more",
				      c->token_file);
	}
	crypto_hash_sha256(hash, (const unsigned char *)b.ptr, b.len);
	buf_release_secret(&b);
	*has = true;
	return 0;
}

/* What a reload cannot change: the listening socket and its TLS. */
static const char *needs_restart(const struct dconfig *a,
				 const struct dconfig *b)
{
	if (a->listen_port != b->listen_port ||
	    strcmp(a->listen_host, b->listen_host))
		return "http.listen";
	if (!same_str(a->tls_cert, b->tls_cert) ||
	    !same_str(a->tls_key, b->tls_key))
		return "http.tls_cert and http.tls_key";
	return NULL;
}

static void reload(struct daemon *d)
{
	struct diags dg = DIAGS_INIT;
	struct dconfig *c = NULL;
	unsigned char hash[32];
	bool has = false;
	const char *fixed;
	int loaded;

	sd_notify_send("RELOADING=1");
	loaded = dconfig_load(&c, d->config_path, &dg);
	print_diags(&dg, false); /* errors, or warnings of a good file */
	if (loaded < 0 || read_token(hash, &has, c) < 0) {
		dlog(DLOG_ERROR, 0, "reload refused, the old config stays: %s",
		     tend_error_last());
		tend_error_clear();
		pthread_mutex_lock(&d->mu);
		d->reload_failures++;
		pthread_mutex_unlock(&d->mu);
	} else if ((fixed = needs_restart(d->cfg, c))) {
		dlog(DLOG_ERROR, 0, "reload refused, the old config stays: "
		     "'%s' changes only with a restart", fixed);
		pthread_mutex_lock(&d->mu);
		d->reload_failures++;
		pthread_mutex_unlock(&d->mu);
	} else {
		pthread_mutex_lock(&d->mu);
		for (size_t i = 0; i < d->src_nr; i++)
			source_plays(c, &d->src[i]);
		adopt(d, c, time(NULL));
		dconfig_free(d->cfg);
		d->cfg = c;
		c = NULL;
		memcpy(d->token_hash, hash, sizeof(hash));
		d->has_token = has;
		d->reloads++;
		pthread_mutex_unlock(&d->mu);
		dlog(DLOG_INFO, 0, "reloaded '%s': %zu schedules, %zu sources",
		     d->config_path, d->cfg->schedules_nr,
		     d->cfg->sources_nr);
	}
	sodium_memzero(hash, sizeof(hash));
	dconfig_free(c);
	diags_release(&dg);
	sd_notify_send("READY=1");
}

static int loop_wait(struct daemon *d, long long watchdog_ms)
{
	struct pollfd p = { .fd = d->wake[0], .events = POLLIN };
	char drain[64];
	int ms = 1000;

	if (watchdog_ms > 0 && watchdog_ms < ms)
		ms = (int)watchdog_ms;
	if (poll(&p, 1, ms) > 0)
		while (read(d->wake[0], drain, sizeof(drain)) > 0)
			;
	return 0;
}

static void run_loop(struct daemon *d)
{
	const char *wd = getenv("WATCHDOG_USEC");
	long long watchdog_ms = wd ? atoll(wd) / 2000 : 0;
	int term_seen = 0;

	while (!d->stopping || d->children) {
		dspawn_reap(d);
		pthread_mutex_lock(&d->mu);
		if (got_term > term_seen) {
			term_seen = got_term;
			if (!d->stopping)
				dlog(DLOG_INFO, 0, "stopping: no new run; %zu "
				     "in flight stop after their current "
				     "tasks", d->running);
			d->stopping = true;
			sd_notify_send("STOPPING=1");
			dspawn_signal(d, SIGTERM);
		}
		if (!d->stopping)
			tick(d, time(NULL));
		pthread_mutex_unlock(&d->mu);
		if (got_hup && !d->stopping) {
			got_hup = 0;
			reload(d);
		}
		if (watchdog_ms > 0)
			sd_notify_send("WATCHDOG=1");
		if (!d->stopping || d->children)
			loop_wait(d, watchdog_ms);
	}
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };

	sigfillset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGPIPE, &ign, NULL);
}

/* One daemon per state DB: the lock "daemon" in it, held while it runs. */
static int take_db(struct daemon *d, struct store *s, const char *owner)
{
	struct val *who = NULL;
	bool got = false;
	int error;

	if ((error = store_lock_acquire(s, "daemon", owner, 0, &got,
					NULL)) < 0)
		return error;
	if (got)
		return 0;
	if (store_lock_holder(&who, s, "daemon") < 0)
		tend_error_clear();
	error = tend_error_set("state DB '%s' is used by another daemon "
			       "(pid %lld on %s, since %s)", d->state_path,
			       who ? val_dict_get(who, "pid")->u.i : 0LL,
			       who ? val_cstr(val_dict_get(who, "controller"))
			       : "?", who ? val_cstr(val_dict_get(who,
			       "acquired")) : "?");
	val_unref(who);
	return error;
}

/* `path` made absolute against the current directory (NULL: the default). */
static char *absolute(const char *path)
{
	struct buf b = BUF_INIT;
	char cwd[4096];

	if (!path)
		return store_default_path();
	if (*path == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	buf_addf(&b, "%s/%s", cwd, path);
	return buf_detach(&b, NULL);
}

static int setup(struct daemon *d, const struct daemon_opts *o)
{
	struct diags dg = DIAGS_INIT;
	const char *tmp = getenv("TMPDIR");
	struct buf b = BUF_INIT;
	int error;

	error = dconfig_load(&d->cfg, o->config_path, &dg);
	print_diags(&dg, o->check); /* errors, or warnings of a good file */
	diags_release(&dg);
	if (error < 0)
		return error;
	if ((error = read_token(d->token_hash, &d->has_token, d->cfg)) < 0)
		return error;
	/*
	 * Every path absolute from here: the daemon never changes its
	 * directory, but its children start in tend.yml's.
	 */
	d->config_path = xstrdup(d->cfg->config_path);
	d->state_path = absolute(o->state_path ? o->state_path :
				 d->cfg->cfg->state_path);
	d->loopback = d->cfg->listen_loopback;
	d->tls = d->cfg->tls_cert != NULL;
	if (!(d->exe = realpath("/proc/self/exe", NULL)))
		return tend_error_set("cannot find this program: %s",
				      strerror(errno));
	buf_addf(&b, "%s/tend-daemon.XXXXXX", tmp && *tmp == '/' ? tmp :
		 "/tmp");
	if (!mkdtemp(b.ptr)) {
		error = tend_error_set("cannot make a directory in '%s': %s",
				       tmp && *tmp ? tmp : "/tmp",
				       strerror(errno));
		buf_release(&b);
		return error;
	}
	d->tmp_dir = buf_detach(&b, NULL);
	if (pipe2(d->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return tend_error_set("pipe: %s", strerror(errno));
	wake_fd = d->wake[1];
	return 0;
}

static void teardown(struct daemon *d)
{
	for (size_t i = 0; i < d->sch_nr; i++)
		state_release(&d->sch[i]);
	for (size_t i = 0; i < d->src_nr; i++)
		source_state_release(&d->src[i]);
	free(d->sch);
	free(d->src);
	if (d->tmp_dir)
		rmdir(d->tmp_dir);
	free(d->tmp_dir);
	sodium_memzero(d->token_hash, sizeof(d->token_hash));
	free(d->config_path);
	free(d->exe);
	free(d->state_path);
	val_unref(d->drift);
	dconfig_free(d->cfg);
	wake_fd = -1;
	if (d->wake[0] > 0) {
		close(d->wake[0]);
		close(d->wake[1]);
	}
	pthread_mutex_destroy(&d->mu);
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon d = { .o = o, .wake = { -1, -1 } };
	struct store *s = NULL;
	struct buf owner = BUF_INIT;
	bool locked = false;
	int error;

	dlog_init(o->log_json);
	pthread_mutex_init(&d.mu, NULL);
	d.drift = val_dict();
	if ((error = setup(&d, o)) < 0 || o->check)
		goto out;
	buf_addf(&owner, "daemon %d", (int)getpid());
	if ((error = store_open(&s, d.state_path)) < 0 ||
	    (error = take_db(&d, s, owner.ptr)) < 0)
		goto out;
	locked = true;
	d.started = time(NULL);
	adopt(&d, d.cfg, d.started);
	load_history(&d, d.started);
	catch_signals();
	if ((error = dapi_start(&d)) < 0)
		goto out;
	d.ready = true;
	dlog(DLOG_INFO, 0, "tend daemon %s ready: %zu schedules, %zu sources,"
	     " state '%s', %s://%s:%d", TEND_VERSION, d.cfg->schedules_nr,
	     d.cfg->sources_nr, d.state_path, d.tls ? "https" : "http",
	     d.cfg->listen_host, d.port);
	sd_notify_send("READY=1");
	run_loop(&d);
	dapi_stop(&d);
	dlog(DLOG_INFO, 0, "stopped");
out:
	if (locked && store_lock_release(s, "daemon", owner.ptr) < 0)
		tend_error_clear();
	store_close(s);
	buf_release(&owner);
	teardown(&d);
	return error;
}
