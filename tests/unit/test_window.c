#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/config.h"
#include "tend/engine/winplan.h"
#include "tend/net/http.h"
#include "tend/store/store.h"
#include "tend/windows/alertmanager.h"
#include "tend/windows/announce.h"
#include "tend/windows/window.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "unit.h"

/*
 * Maintenance windows against a real Alertmanager (tests/lib/
 * lib-alertmanager.sh) and a local receiver that speaks the Slack,
 * PagerDuty and signed-webhook wire formats and checks them
 * (tests/lib/http-receiver.py). Run from the repository root, or set
 * TEND_TOP.
 */

static char scratch[] = "/tmp/tend-window-test.XXXXXX";
static const char *top = ".";
static char am_url[64], rcv_url[64], dead_url[64];
static struct store *st;

TEND_PRINTF(1, 2) static int sh(const char *fmt, ...)
{
	struct buf cmd = BUF_INIT, body = BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	buf_vaddf(&body, fmt, ap);
	va_end(ap);
	buf_adds(&cmd, "cd ");
	sh_quote(&cmd, top);
	buf_adds(&cmd, " && TOP=. && . tests/lib/lib-alertmanager.sh && S=");
	sh_quote(&cmd, scratch);
	buf_adds(&cmd, " && ");
	buf_addbuf(&cmd, &body);
	rc = system(cmd.ptr);
	buf_release(&cmd);
	buf_release(&body);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

static void read_port(char *out, size_t n, const char *dir)
{
	struct buf path = BUF_INIT, b = BUF_INIT;

	buf_addf(&path, "%s/%s/port", scratch, dir);
	assert_ok(buf_read_file(&b, path.ptr));
	buf_trim(&b);
	snprintf(out, n, "http://127.0.0.1:%s", b.ptr);
	buf_release(&path);
	buf_release(&b);
}

static int group_setup(void **state)
{
	struct buf db = BUF_INIT;

	(void)state;
	if (getenv("TEND_TOP"))
		top = getenv("TEND_TOP");
	if (!mkdtemp(scratch))
		return -1;
	/* a port nobody listens on: an Alertmanager started and stopped */
	if (sh("am_start \"$S/dead\" && am_stop \"$S/dead\"") ||
	    sh("am_start \"$S/am\"") ||
	    sh("rcv_start \"$S/rcv\" --secret s3cret"))
		return -1;
	read_port(am_url, sizeof(am_url), "am");
	read_port(rcv_url, sizeof(rcv_url), "rcv");
	read_port(dead_url, sizeof(dead_url), "dead");
	buf_addf(&db, "%s/hook/mm", rcv_url);
	setenv("TEND_TEST_HOOK", db.ptr, 1);
	buf_reset(&db);
	buf_addf(&db, "%s/state.db", scratch);
	if (store_open(&st, db.ptr) < 0)
		return -1;
	buf_release(&db);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	store_close(st);
	sh("am_stop \"$S/am\"; rcv_stop \"$S/rcv\"; rm -rf \"$S\"");
	return 0;
}

/* Load a tend.yml written from `yml` (printf format). */
TEND_PRINTF(1, 2) static struct config *config(const char *yml, ...)
{
	struct buf text = BUF_INIT, path = BUF_INIT;
	struct diags d = DIAGS_INIT;
	struct config *c = NULL;
	va_list ap;

	va_start(ap, yml);
	buf_vaddf(&text, yml, ap);
	va_end(ap);
	buf_addf(&path, "%s/tend.yml", scratch);
	assert_ok(buf_write_file_atomic(path.ptr, text.ptr, text.len, 0600));
	if (config_load(&c, path.ptr, &d) < 0) {
		diags_print(&d, stderr);
		fail_msg("config: %s", tend_error_last());
	}
	diags_release(&d);
	buf_release(&text);
	buf_release(&path);
	return c;
}

static struct val *am_get(const char *path)
{
	struct buf url = BUF_INIT;
	struct val *v = NULL;

	buf_addf(&url, "%s%s", am_url, path);
	assert_ok(http_json(&v, "GET", url.ptr, NULL, NULL, NULL));
	buf_release(&url);
	return v;
}

/* The silences in `state` ("active", "expired"...). */
static size_t count_silences(const char *state)
{
	struct val *l = am_get("/api/v2/silences");
	size_t n = 0;

	for (size_t i = 0; i < val_len(l); i++) {
		const char *s = val_cstr(val_dict_path(val_list_at(l, i),
						       "status.state"));

		n += s && !strcmp(s, state);
	}
	val_unref(l);
	return n;
}

/* The sorted "instance/severity" of the alerts Alertmanager silences. */
static void silenced(struct buf *out)
{
	struct val *l = am_get("/api/v2/alerts?silenced=true&active=false&"
			       "inhibited=false&unprocessed=false");
	char *names[32];
	size_t n = 0;

	for (size_t i = 0; i < val_len(l) && n < 32; i++) {
		const struct val *a = val_list_at(l, i);
		struct buf b = BUF_INIT;

		buf_addf(&b, "%s/%s",
			 val_cstr(val_dict_path(a, "labels.instance")),
			 val_cstr(val_dict_path(a, "labels.severity")));
		names[n++] = buf_detach(&b, NULL);
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0;
		     j--) {
			char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		buf_addf(out, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	val_unref(l);
}

static void post_alerts(void)
{
	static const char *const alerts[][2] = {
		{ "h1:9100", "P1" }, { "h2", "P2" }, { "web.1", "P1" },
		{ "h1", "P3" }, { "h3", "P1" }, { "webx1", "P1" },
		{ "h10", "P1" },
	};
	struct val *l = val_list();
	struct buf url = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(alerts); i++) {
		struct val *a = val_dict(), *labels = val_dict();

		val_dict_set_str(labels, "alertname", "TestAlert");
		val_dict_set_str(labels, "instance", alerts[i][0]);
		val_dict_set_str(labels, "severity", alerts[i][1]);
		val_dict_set(a, "labels", labels);
		val_list_push(l, a);
	}
	buf_addf(&url, "%s/api/v2/alerts", am_url);
	assert_ok(http_json(NULL, "POST", url.ptr, l, NULL, NULL));
	val_unref(l);
	buf_release(&url);
}

static const char *const hosts[] = { "h1", "h2", "web.1" };

static void opts_init(struct window_opts *o, const struct config *c)
{
	memset(o, 0, sizeof(*o));
	o->settings = &c->maintenance;
	o->store = st;
	o->hosts = hosts;
	o->hosts_nr = ARRAY_SIZE(hosts);
	o->playbook = "site.yml";
	o->commit = "0123456789abcdef0123";
	o->user = "alice";
	o->plan = "4 changes on 3 hosts";
}

static const char *db_status(long long id)
{
	static char status[32];
	struct val *w = NULL;

	assert_ok(store_window_get(&w, st, id));
	snprintf(status, sizeof(status), "%s",
		 val_cstr(val_dict_get(w, "status")));
	val_unref(w);
	return status;
}

static void test_window__alertmanager(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *firing = NULL, *sil;
	struct buf b = BUF_INIT;
	char *id;
	size_t active;
	const struct window_result res = { "ok", 3, 10, 4, 0, 0, 12.5 };

	(void)state;
	c = config("maintenance:\n  duration: 10m\n  providers:\n"
		   "    - type: alertmanager\n      url: %s\n"
		   "      matchers: ['severity=~\"P1|P2\"']\n", am_url);
	post_alerts();
	active = count_silences("active");
	opts_init(&o, c);
	assert_ok(window_open(&w, &o));
	assert_non_null(w);
	assert_int_equal(w->ends_at - w->starts_at, 600);
	assert_string_equal(db_status(w->id), "open");
	/* exactly one new silence, matching exactly those hosts */
	assert_int_equal(count_silences("active"), active + 1);
	silenced(&b);
	assert_string_equal(b.ptr, "h1:9100/P1 h2/P2 web.1/P1");
	sil = NULL;
	{
		struct buf p = BUF_INIT;

		buf_addf(&p, "/api/v2/silence/%s", w->slots[0].id);
		sil = am_get(p.ptr);
		buf_release(&p);
	}
	assert_string_equal(val_cstr(val_dict_get(sil, "createdBy")), "tend");
	assert_non_null(strstr(val_cstr(val_dict_get(sil, "comment")),
			       "site.yml at 0123456789ab by alice"));
	val_unref(sil);

	/* extend keeps the id */
	id = xstrdup(w->slots[0].id);
	assert_ok(window_extend(w, 3600));
	assert_string_equal(w->slots[0].id, id);
	assert_int_equal(count_silences("active"), active + 1);
	/* a tick far from the end changes nothing */
	assert_ok(window_tick(w, w->starts_at));
	assert_string_equal(w->slots[0].id, id);

	/* close expires it and reports what still fires on the hosts */
	assert_ok(window_close(&firing, w, &res));
	assert_int_equal(count_silences("active"), active);
	silenced(&b);
	assert_string_equal(b.ptr, "");
	assert_int_equal(val_len(firing), 4); /* h1:9100, h1, h2, web.1 */
	assert_string_equal(db_status(w->id), "closed");
	val_unref(firing);
	free(id);
	window_free(w);
	buf_release(&b);
	config_free(c);
}

static void test_window__alertmanager_ha_and_grace(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *firing = NULL;
	size_t active;

	(void)state;
	/* the same Alertmanager twice stands in for an HA pair */
	c = config("maintenance:\n  grace: 2m\n  providers:\n"
		   "    - type: alertmanager\n      url: [%s, %s/]\n",
		   am_url, am_url);
	active = count_silences("active");
	opts_init(&o, c);
	o.duration = 300;
	assert_ok(window_open(&w, &o));
	assert_int_equal(count_silences("active"), active + 2);
	assert_non_null(strchr(w->slots[0].id, ' '));
	/* grace: the silences stay until now + 2m, then end by themselves */
	assert_ok(window_close(&firing, w, NULL));
	assert_int_equal(count_silences("active"), active + 2);
	val_unref(firing);
	window_free(w);
	config_free(c);
}

static void test_window__alertmanager_down(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *f;
	size_t active = count_silences("active"), expired;

	(void)state;
	/* abort: the good provider's silence is taken back */
	c = config("maintenance:\n  providers:\n"
		   "    - type: alertmanager\n      url: %s\n"
		   "    - type: alertmanager\n      url: %s\n"
		   "      retries: 0\n", am_url, dead_url);
	opts_init(&o, c);
	expired = count_silences("expired");
	assert_true(window_open(&w, &o) < 0);
	assert_null(w);
	assert_non_null(strstr(tend_error_last(), "cannot open maintenance "
			       "window: alertmanager: cannot reach"));
	assert_int_equal(count_silences("active"), active);
	assert_int_equal(count_silences("expired"), expired + 1);
	config_free(c);

	/* warn: reported, and the run goes on */
	c = config("maintenance:\n  on_failure: warn\n  providers:\n"
		   "    - type: alertmanager\n      url: %s\n"
		   "      retries: 0\n", dead_url);
	opts_init(&o, c);
	assert_ok(window_open(&w, &o));
	assert_non_null(w);
	f = window_failures(w);
	assert_int_equal(val_len(f), 1);
	assert_non_null(strstr(val_cstr(val_list_at(f, 0)),
			       "alertmanager: cannot reach"));
	val_unref(f);
	assert_ok(window_close(NULL, w, NULL));
	window_free(w);
	config_free(c);
}

/*
 * What Alertmanager answers is not trusted further than its shape: an
 * answer to GET /api/v2/alerts that is not a list (here a JSON object,
 * from the receiver's /odd-am/) closed the window and then aborted tend
 * (val_list_at on a dict; found by tests/fuzz/fuzz_alertmanager.c).
 */
static void test_window__alertmanager_odd_answers(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *firing = NULL;
	const struct window_result res = { "ok", 1, 1, 1, 0, 0, 1.0 };

	(void)state;
	c = config("maintenance:\n  providers:\n"
		   "    - type: alertmanager\n      url: %s/odd-am\n"
		   "      retries: 0\n", rcv_url);
	opts_init(&o, c);
	assert_ok(window_open(&w, &o));
	assert_non_null(w);
	assert_string_equal(w->slots[0].id, "odd-1");
	assert_ok(window_close(&firing, w, &res));
	assert_int_equal(val_len(firing), 0);
	assert_string_equal(db_status(w->id), "closed");
	val_unref(firing);
	window_free(w);
	config_free(c);
}

/* The readers of those answers, on every shape (tests/fuzz/regress/
 * alertmanager/ keeps the input the fuzzer found). */
static void test_window__alertmanager_answer_shapes(void **state)
{
	static const char *const not_lists[] = {
		"{\"silenceID\": \"1a2b3c\"}", "{}", "null", "\"alerts\"", "42",
	};
	static const char mixed[] =
		"[1, null, [], {\"labels\": 3},"
		" {\"labels\": {\"a\": \"b\"}, \"fingerprint\": \"f\"},"
		" {\"labels\": {\"a\": \"c\"}, \"fingerprint\": \"f\"},"
		" {\"labels\": {}, \"fingerprint\": 7}]";
	struct val *answer = NULL, *out = val_list(), *upd;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(not_lists); i++) {
		assert_ok(val_from_json(&answer, not_lists[i],
					strlen(not_lists[i])));
		assert_true(alertmanager_read_alerts(out, answer) < 0);
		assert_non_null(strstr(tend_error_last(),
				       "expected a list of alerts, got"));
		assert_int_equal(val_len(out), 0);
		val_unref(answer);
	}
	tend_error_clear();
	/* in a list, items of any shape: only alerts with labels count, once
	 * per fingerprint */
	assert_ok(val_from_json(&answer, mixed, strlen(mixed)));
	assert_ok(alertmanager_read_alerts(out, answer));
	assert_int_equal(val_len(out), 2);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(out, 0), "a")),
			    "b");
	assert_null(alertmanager_silence_id(answer));
	upd = alertmanager_silence_update(answer, "2024-01-01T00:00:00Z");
	assert_int_equal(val_len(upd), 1); /* endsAt only */
	val_unref(upd);
	val_unref(answer);
	val_unref(out);
}

static void test_window__reap(void **state)
{
	struct config *c;
	size_t active = count_silences("active"), reaped = 99;
	struct val *open = NULL;
	pid_t pid;
	int status;

	(void)state;
	c = config("maintenance:\n  providers:\n"
		   "    - type: alertmanager\n      url: %s\n", am_url);
	/* a run that opens a window and dies */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s2 = NULL;
		struct buf db = BUF_INIT;
		struct run_info ri = { .playbook = "site.yml", .mode = "apply" };
		struct window_opts o;
		struct window *w = NULL;
		long long run;

		buf_addf(&db, "%s/state.db", scratch);
		if (store_open(&s2, db.ptr) < 0 ||
		    store_run_begin(s2, &run, &ri) < 0)
			_exit(1);
		opts_init(&o, c);
		o.store = s2;
		o.run_id = run;
		if (window_open(&w, &o) < 0 || !w)
			_exit(2);
		/* crash with the window open */
		kill(getpid(), SIGKILL);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(count_silences("active"), active + 1);
	assert_ok(window_list(&open, st, false));
	assert_int_equal(val_len(open), 1);
	assert_ok(window_reap(st, &reaped));
	assert_int_equal(reaped, 1);
	assert_int_equal(count_silences("active"), active);
	assert_string_equal(db_status(val_dict_get(val_list_at(open, 0),
						   "id")->u.i), "closed");
	val_unref(open);
	/* nothing left to reap */
	assert_ok(window_reap(st, &reaped));
	assert_int_equal(reaped, 0);
	config_free(c);
}

static void test_window__manual(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *l = NULL;
	size_t active = count_silences("active");
	long long id;

	(void)state;
	c = config("maintenance:\n  providers:\n"
		   "    - type: alertmanager\n      url: %s\n", am_url);
	opts_init(&o, c);
	o.playbook = NULL;
	o.reason = "disk swap";
	o.duration = 1800;
	assert_ok(window_open(&w, &o));
	id = w->id;
	window_free(w);
	/* a manual window is not reaped while it lasts */
	assert_ok(window_reap(st, NULL));
	assert_int_equal(count_silences("active"), active + 1);
	assert_ok(window_list(&l, st, false));
	assert_int_equal(val_list_at(l, 0)->u.dict.nr > 0, 1);
	assert_int_equal(val_dict_get(val_list_at(l, 0), "id")->u.i, id);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(l, 0),
						  "reason")), "disk swap");
	val_unref(l);
	assert_ok(window_close_id(&l, st, id));
	val_unref(l);
	assert_int_equal(count_silences("active"), active);
	assert_int_equal(window_close_id(NULL, st, id), TEND_ENOTFOUND);
	config_free(c);
}

/*
 * The requests the receiver logged since `from` (a count), as a list;
 * any that broke the documented format fails the test.
 */
static struct val *requests(size_t from)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct val *l = val_list();
	size_t n = 0;

	buf_addf(&path, "%s/rcv/requests.jsonl", scratch);
	if (buf_read_file(&text, path.ptr) < 0)
		tend_error_clear();
	for (char *p = text.ptr; *p;) {
		char *nl = strchr(p, '\n');
		struct val *v = NULL;

		if (!nl)
			break;
		if (n++ >= from) {
			assert_ok(val_from_json(&v, p, (size_t)(nl - p)));
			if (val_len(val_dict_get(v, "problems")))
				fail_msg("receiver: %.*s", (int)(nl - p), p);
			val_list_push(l, v);
		}
		p = nl + 1;
	}
	buf_release(&path);
	buf_release(&text);
	return l;
}

static size_t requests_nr(void)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	size_t n = 0;

	buf_addf(&path, "%s/rcv/requests.jsonl", scratch);
	if (buf_read_file(&text, path.ptr) < 0)
		tend_error_clear();
	for (size_t i = 0; i < text.len; i++)
		n += text.ptr[i] == '\n';
	buf_release(&path);
	buf_release(&text);
	return n;
}

static void write_secret(const char *name, const char *value)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s/%s", scratch, name);
	assert_ok(buf_write_file_atomic(p.ptr, value, strlen(value), 0600));
	buf_release(&p);
}

static const char *req_str(const struct val *l, size_t i, const char *path)
{
	return val_cstr(val_dict_path(val_list_at(l, i), path));
}

static void test_window__slack(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *l;
	size_t from = requests_nr();
	const struct window_result res = { "ok", 3, 10, 4, 0, 0, 75 };

	(void)state;
	write_secret("slack-token", "xoxb-test-token\n");
	c = config("maintenance:\n  providers:\n"
		   "    - type: slack\n      api_url: %s/slack\n"
		   "      token_file: %s/slack-token\n      channel: ops\n"
		   "    - type: mattermost\n      webhook_url_env: "
		   "TEND_TEST_HOOK\n", rcv_url, scratch);
	opts_init(&o, c);
	o.duration = 1800;
	assert_ok(window_open(&w, &o));
	assert_string_equal(w->slots[0].id, "OPS 1700000000.000100");
	window_progress(w, "batch 1/2");
	assert_ok(window_close(NULL, w, &res));
	window_free(w);

	l = requests(from);
	assert_int_equal(val_len(l), 5);
	assert_string_equal(req_str(l, 0, "path"), "/slack/chat.postMessage");
	assert_string_equal(req_str(l, 0, "headers.Authorization"),
			    "Bearer xoxb-test-token");
	assert_non_null(strstr(req_str(l, 0, "body.text"), "tend: applying "
			       "site.yml to 3 hosts (h1, h2, web.1)"));
	assert_non_null(strstr(req_str(l, 0, "body.text"), "expected 30m"));
	assert_non_null(strstr(req_str(l, 0, "body.text"),
			       "commit 0123456789ab. Plan: 4 changes"));
	assert_string_equal(req_str(l, 1, "path"), "/hook/mm");
	assert_non_null(strstr(req_str(l, 1, "body.text"), "site.yml"));
	assert_string_equal(req_str(l, 2, "path"), "/slack/chat.update");
	assert_string_equal(req_str(l, 2, "body.ts"), "1700000000.000100");
	assert_string_equal(req_str(l, 2, "body.channel"), "OPS");
	assert_non_null(strstr(req_str(l, 2, "body.text"), "batch 1/2"));
	assert_string_equal(req_str(l, 3, "path"), "/slack/chat.update");
	assert_non_null(strstr(req_str(l, 3, "body.text"), "finished: ok in "
			       "1m15s; 10 ok, 4 changed, 0 failed"));
	assert_string_equal(req_str(l, 4, "path"), "/hook/mm");
	assert_non_null(strstr(req_str(l, 4, "body.text"), "finished: ok"));
	val_unref(l);
	config_free(c);
}

static void test_window__slack_webhook_and_failure(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *l;
	struct buf url = BUF_INIT;
	size_t from = requests_nr();

	(void)state;
	buf_addf(&url, "%s/hook/T000/B000/XXXXSECRET", rcv_url);
	write_secret("slack-hook", url.ptr);
	c = config("maintenance:\n  providers:\n"
		   "    - type: slack\n      webhook_url_file: %s/slack-hook\n",
		   scratch);
	opts_init(&o, c);
	assert_ok(window_open(&w, &o));
	window_progress(w, "batch 1/2"); /* a webhook cannot edit: nothing */
	assert_ok(window_close(NULL, w, NULL));
	window_free(w);
	l = requests(from);
	assert_int_equal(val_len(l), 2);
	assert_non_null(strstr(req_str(l, 1, "body.text"),
			       "finished: interrupted"));
	val_unref(l);
	config_free(c);

	/* the secret URL never shows in a message */
	buf_reset(&url);
	buf_addf(&url, "%s/nowhere/T000/B000/XXXXSECRET", rcv_url);
	write_secret("slack-hook", url.ptr);
	c = config("maintenance:\n  providers:\n"
		   "    - type: slack\n      webhook_url_file: %s/slack-hook\n"
		   "      retries: 0\n", scratch);
	opts_init(&o, c);
	assert_true(window_open(&w, &o) < 0);
	assert_null(strstr(tend_error_last(), "SECRET"));
	assert_non_null(strstr(tend_error_last(), "HTTP 404"));
	config_free(c);
	buf_release(&url);
}

static void test_window__webhook(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *l;
	size_t from = requests_nr();

	(void)state;
	setenv("TEND_TEST_SECRET", "s3cret", 1);
	c = config("maintenance:\n  providers:\n"
		   "    - type: webhook\n      url: %s/signed/x\n"
		   "      secret_env: TEND_TEST_SECRET\n", rcv_url);
	opts_init(&o, c);
	assert_ok(window_open(&w, &o));
	assert_ok(window_close(NULL, w, NULL));
	window_free(w);
	l = requests(from); /* fails on a bad signature */
	assert_int_equal(val_len(l), 2);
	assert_string_equal(req_str(l, 0, "body.event"), "window.open");
	assert_string_equal(req_str(l, 1, "body.event"), "window.close");
	assert_string_equal(req_str(l, 1, "body.window.result.status"),
			    "interrupted");
	assert_int_equal(val_len(val_dict_path(val_list_at(l, 0),
					       "body.window.hosts")), 3);
	val_unref(l);
	config_free(c);

	/* a wrong secret is refused by the receiver: open fails */
	setenv("TEND_TEST_SECRET", "wrong", 1);
	c = config("maintenance:\n  providers:\n"
		   "    - type: webhook\n      url: %s/signed/x\n"
		   "      secret_env: TEND_TEST_SECRET\n      retries: 0\n",
		   rcv_url);
	opts_init(&o, c);
	assert_true(window_open(&w, &o) < 0);
	assert_non_null(strstr(tend_error_last(), "HTTP 401"));
	config_free(c);
}

static void test_window__pagerduty(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *l;
	size_t from = requests_nr();

	(void)state;
	setenv("TEND_TEST_PD", "pd-token", 1);
	c = config("maintenance:\n  providers:\n"
		   "    - type: pagerduty\n      api_url: %s/pd\n"
		   "      token_env: TEND_TEST_PD\n      from: ops@example.com\n"
		   "      services: [PSVC1, PSVC2]\n", rcv_url);
	opts_init(&o, c);
	assert_ok(window_open(&w, &o));
	assert_non_null(w->slots[0].id);
	assert_ok(window_extend(w, 7200));
	assert_ok(window_close(NULL, w, NULL));
	window_free(w);
	l = requests(from);
	assert_int_equal(val_len(l), 3);
	assert_string_equal(req_str(l, 0, "method"), "POST");
	assert_string_equal(req_str(l, 0, "path"), "/pd/maintenance_windows");
	assert_string_equal(req_str(l, 0, "headers.Authorization"),
			    "Token token=pd-token");
	assert_string_equal(req_str(l, 0, "headers.From"), "ops@example.com");
	assert_int_equal(val_len(val_dict_path(val_list_at(l, 0),
			 "body.maintenance_window.services")), 2);
	assert_string_equal(req_str(l, 1, "method"), "PUT");
	assert_non_null(strstr(req_str(l, 1, "path"), "/pd/maintenance_windows/PW"));
	assert_string_equal(req_str(l, 2, "method"), "DELETE");
	val_unref(l);
	config_free(c);
}

/* A plan's results, for winplan_build: {host, task, status, delegate}. */
static void plan_of(struct run_result *r, struct run_event *evs,
		    const char *const (*rows)[3], const char *const *dels,
		    const enum event_status *sts, size_t n)
{
	memset(r, 0, sizeof(*r));
	memset(evs, 0, n * sizeof(*evs));
	for (size_t i = 0; i < n; i++) {
		evs[i].host = (char *)rows[i][0];
		evs[i].task = (char *)rows[i][1];
		evs[i].module = (char *)rows[i][2];
		evs[i].delegate = (char *)dels[i];
		evs[i].status = sts[i];
	}
	r->events = evs;
	r->nr = n;
}

/*
 * The hosts a plan puts in a window, and the tasks it lists: ok and
 * skipped results count for nothing, loop items are one task, unknown
 * counts unless `unknown: ignore`, a delegate's host joins the window.
 */
static void test_window__winplan(void **state)
{
	static const char *const rows[][3] = {
		{ "h1", "facts", "setup" }, { "h2", "write config", "copy" },
		{ "h2", "write config", "copy" }, { "h3", "query", "command" },
		{ "h1", "query", "command" }, { "h4", "skip me", "copy" },
		{ "h1", "push key", "copy" }, { "h5", "install", "apt" },
	};
	static const char *const dels[] = {
		NULL, NULL, NULL, NULL, NULL, NULL, "bastion", NULL,
	};
	static const enum event_status sts[] = {
		EV_OK, EV_CHANGED, EV_CHANGED, EV_UNKNOWN, EV_UNKNOWN,
		EV_SKIPPED, EV_CHANGED, EV_FAILED,
	};
	struct run_event evs[ARRAY_SIZE(rows)];
	struct run_result r;
	struct winplan wp;
	struct buf j = BUF_INIT;

	(void)state;
	plan_of(&r, evs, rows, dels, sts, ARRAY_SIZE(rows));
	winplan_build(&wp, &r, WINDOW_UNKNOWN_INCLUDE);
	val_to_json(&j, wp.hosts, 0);
	assert_string_equal(j.ptr, "{\"h2\": [], \"h3\": [], \"h1\": "
			    "[\"bastion\"], \"h5\": []}");
	assert_string_equal(wp.summary.ptr, "2 changes, 2 unknown, 1 failed "
			    "check on 4 hosts");
	buf_reset(&j);
	val_to_json(&j, wp.changes, 0);
	assert_string_equal(j.ptr,
		"[{\"host\": \"h2\", \"task\": \"write config\", \"status\": "
		"\"change\"}, {\"host\": \"h3\", \"task\": \"query\", "
		"\"status\": \"unknown\"}, {\"host\": \"h1\", \"task\": "
		"\"query\", \"status\": \"unknown\"}, {\"host\": \"h1\", "
		"\"task\": \"push key\", \"status\": \"change\", \"delegate\": "
		"\"bastion\"}, {\"host\": \"h5\", \"task\": \"install\", "
		"\"status\": \"failed\"}]");
	winplan_release(&wp);

	/* ignore: h3 (only unknown) has none; h1's unknown is still listed */
	winplan_build(&wp, &r, WINDOW_UNKNOWN_IGNORE);
	buf_reset(&j);
	val_to_json(&j, wp.hosts, 0);
	assert_string_equal(j.ptr, "{\"h2\": [], \"h1\": [\"bastion\"], "
			    "\"h5\": []}");
	assert_string_equal(wp.summary.ptr, "2 changes, 1 unknown, 1 failed "
			    "check on 3 hosts");
	winplan_release(&wp);

	/* all ok: no window host, nothing to say */
	plan_of(&r, evs, rows, dels, sts, 1);
	winplan_build(&wp, &r, WINDOW_UNKNOWN_INCLUDE);
	assert_int_equal(val_len(wp.hosts), 0);
	assert_int_equal(val_len(wp.changes), 0);
	assert_string_equal(wp.summary.ptr, "no changes on 0 hosts");
	winplan_release(&wp);
	buf_release(&j);
}

static struct val *change(const char *host, const char *task,
			  const char *status)
{
	struct val *c = val_dict();

	val_dict_set_str(c, "host", host);
	val_dict_set_str(c, "task", task);
	val_dict_set_str(c, "status", status);
	return c;
}

/*
 * The announcements list the plan's tasks of the window's hosts (Slack,
 * the webhook, PagerDuty's description), at most 20 then "and N more";
 * Slack's text is escaped; the Alertmanager comment has the summary.
 */
static void test_window__announce_changes(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *l, *changes = val_list(), *sil;
	size_t from = requests_nr();
	const char *text;
	struct buf t = BUF_INIT;
	bool found = false;

	(void)state;
	write_secret("slack-token", "xoxb-test-token\n");
	setenv("TEND_TEST_SECRET", "s3cret", 1);
	setenv("TEND_TEST_PD", "pd-token", 1);
	c = config("maintenance:\n  providers:\n"
		   "    - type: alertmanager\n      url: %s\n"
		   "    - type: slack\n      api_url: %s/slack\n"
		   "      token_file: %s/slack-token\n      channel: ops\n"
		   "    - type: webhook\n      url: %s/signed/x\n"
		   "      secret_env: TEND_TEST_SECRET\n"
		   "    - type: pagerduty\n      api_url: %s/pd\n"
		   "      token_env: TEND_TEST_PD\n      from: ops@example.com\n"
		   "      services: [PSVC1]\n",
		   am_url, rcv_url, scratch, rcv_url, rcv_url);
	val_list_push(changes, change("h2", "restart <!channel> & \"app\"",
				      "change"));
	val_list_push(changes, change("h9", "not in this window", "change"));
	val_list_push(changes, change("h1", "query", "unknown"));
	for (int i = 0; i < 22; i++) {
		buf_reset(&t);
		buf_addf(&t, "step %d", i);
		val_list_push(changes, change("web.1", t.ptr, "change"));
	}
	opts_init(&o, c);
	o.changes = changes;
	o.plan = "23 changes, 1 unknown on 3 hosts";
	assert_ok(window_open(&w, &o));
	assert_int_equal(val_len(w->changes), 20);
	assert_int_equal(w->changes_more, 4);
	assert_ok(window_close(NULL, w, NULL));
	window_free(w);

	l = requests(from); /* the receiver refuses unescaped Slack text */
	assert_string_equal(req_str(l, 0, "path"), "/slack/chat.postMessage");
	text = req_str(l, 0, "body.text");
	assert_non_null(strstr(text, "Plan: 23 changes, 1 unknown on 3 "
			       "hosts"));
	assert_non_null(strstr(text, ".\nh2: restart &lt;!channel&gt; &amp; "
			       "\"app\"\nh1: query (unknown)\nweb.1: step 0\n"));
	assert_non_null(strstr(text, "\nweb.1: step 17\nand 4 more"));
	assert_null(strstr(text, "h9"));
	assert_null(strstr(text, "step 18"));
	assert_string_equal(req_str(l, 1, "body.event"), "window.open");
	assert_int_equal(val_len(val_dict_path(val_list_at(l, 1),
					       "body.window.changes")), 20);
	assert_int_equal(val_dict_path(val_list_at(l, 1),
			 "body.window.changes_more")->u.i, 4);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(val_dict_path(
		val_list_at(l, 1), "body.window.changes"), 0), "task")),
		"restart <!channel> & \"app\"");
	text = req_str(l, 2, "body.maintenance_window.description");
	assert_non_null(strstr(text, "\nh1: query (unknown)\n"));
	assert_non_null(strstr(text, "\nand 4 more"));
	/* the close keeps the list in Slack's message */
	assert_string_equal(req_str(l, 3, "path"), "/slack/chat.update");
	assert_non_null(strstr(req_str(l, 3, "body.text"), "and 4 more"));
	val_unref(l);

	sil = am_get("/api/v2/silences");
	for (size_t i = 0; i < val_len(sil); i++) {
		const char *cm = val_cstr(val_dict_get(val_list_at(sil, i),
						       "comment"));

		if (cm && strstr(cm, "; plan: 23 changes, 1 unknown on 3 "
				 "hosts")) {
			found = true;
			assert_null(strstr(cm, "step"));
		}
	}
	assert_true(found);
	val_unref(sil);
	val_unref(changes);
	buf_release(&t);
	config_free(c);
}

static void test_window__announce_and_skip(void **state)
{
	struct config *c;
	struct window_opts o;
	struct window *w = NULL;
	struct val *m = val_dict(), *ms = val_list();
	size_t from = requests_nr();
	size_t active = count_silences("active");

	(void)state;
	c = config("maintenance:\n  providers:\n"
		   "    - type: alertmanager\n      url: %s\n"
		   "    - type: mattermost\n      webhook_url_env: "
		   "TEND_TEST_HOOK\n", am_url);
	opts_init(&o, c);
	val_dict_set_bool(m, "announce", false);
	val_dict_set_str(m, "duration", "5m");
	val_list_push(ms, val_str("team=\"db\""));
	val_dict_set(m, "matchers", ms);
	o.maintenance = m;
	assert_ok(window_open(&w, &o));
	assert_int_equal(w->slots_nr, 1);
	assert_int_equal(w->ends_at - w->starts_at, 300);
	assert_int_equal(val_len(val_dict_get(w->slots[0].cfg, "matchers")), 1);
	assert_int_equal(count_silences("active"), active + 1);
	assert_ok(window_close(NULL, w, NULL));
	window_free(w);
	assert_int_equal(requests_nr(), from);

	val_dict_set_bool(m, "skip", true);
	assert_ok(window_open(&w, &o));
	assert_null(w);
	/* a keyword bool is Ansible's boolean(): "yes" skips, "no" does not */
	val_dict_set_str(m, "skip", "yes");
	assert_ok(window_open(&w, &o));
	assert_null(w);
	val_dict_set_str(m, "skip", "bogus");
	assert_int_equal(window_open(&w, &o), TEND_EPARSE);
	assert_non_null(strstr(tend_error_last(),
			       "expected a bool for 'skip', got 'bogus'"));

	val_dict_set_str(m, "skip", "no");
	val_dict_set_bool(m, "anounce", true);
	assert_int_equal(window_open(&w, &o), TEND_EPARSE);
	assert_non_null(strstr(tend_error_last(),
			       "unknown key 'anounce' (did you mean "
			       "'announce'?)"));
	val_unref(m);
	config_free(c);
}

static void test_window__matchers(void **state)
{
	static const char *const hs[] = { "db-1.example.com", "a|b" };
	struct val *l = NULL, *extra = val_list(), *m = NULL;

	(void)state;
	val_list_push(extra, val_str("severity=~\"P1|P2\""));
	val_list_push(extra, val_str("team != ops"));
	assert_ok(alertmanager_matchers(&l, NULL, hs, 2, extra));
	assert_int_equal(val_len(l), 3);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(l, 0), "value")),
			    "^(db-1\\.example\\.com|a\\|b)(:[0-9]+)?$");
	assert_true(val_dict_get(val_list_at(l, 0), "isRegex")->u.b);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(l, 1), "value")),
			    "P1|P2");
	assert_string_equal(val_cstr(val_dict_get(val_list_at(l, 2), "name")),
			    "team");
	assert_false(val_dict_get(val_list_at(l, 2), "isEqual")->u.b);
	assert_false(val_dict_get(val_list_at(l, 2), "isRegex")->u.b);
	val_unref(l);
	assert_ok(alertmanager_matchers(&l, "host=\"{hosts}\"", hs, 1, NULL));
	assert_string_equal(val_cstr(val_dict_get(val_list_at(l, 0), "value")),
			    "db-1.example.com");
	val_unref(l);
	assert_true(alertmanager_parse_matcher(&m, "=x") < 0);
	assert_true(alertmanager_parse_matcher(&m, "a=\"x") < 0);
	assert_ok(alertmanager_parse_matcher(&m, "a=\"x\\\"y\""));
	assert_string_equal(val_cstr(val_dict_get(m, "value")), "x\"y");
	val_unref(m);
	val_unref(extra);
}

static void test_window__estimate(void **state)
{
	struct buf db = BUF_INIT;
	struct run_info ri = { .playbook = "est.yml", .mode = "apply" };
	sqlite3 *h;
	long long id, est = 0;
	const int secs[] = { 100, 200, 300, 400 };

	(void)state;
	assert_int_equal(window_estimate(&est, st, "est.yml"), TEND_ENOTFOUND);
	buf_addf(&db, "%s/state.db", scratch);
	assert_int_equal(sqlite3_open(db.ptr, &h), SQLITE_OK);
	for (size_t i = 0; i < ARRAY_SIZE(secs); i++) {
		char sql[256];

		assert_ok(store_run_begin(st, &id, &ri));
		assert_ok(store_run_finish(st, id, "ok", NULL));
		snprintf(sql, sizeof(sql), "UPDATE runs SET started = "
			 "'2024-06-05T12:00:00Z', finished = strftime("
			 "'%%Y-%%m-%%dT%%H:%%M:%%SZ', 1717588800 + %d, "
			 "'unixepoch') WHERE id = %lld", secs[i], id);
		assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL),
				 SQLITE_OK);
	}
	sqlite3_close(h);
	/* p95 of 100..400 is 400: 400 * 1.5 + 120 */
	assert_ok(window_estimate(&est, st, "est.yml"));
	assert_int_equal(est, 720);
	buf_release(&db);
}

static void test_window__change_windows(void **state)
{
	struct config *c;
	bool ok;
	time_t next;
	char *why;

	(void)state;
	c = config("change_windows:\n  - name: weekend freeze\n"
		   "    deny: \"0 16 * * fri\"\n    duration: 64h\n"
		   "    timezone: Europe/Berlin\n");
	/* Thursday 2024-06-06 12:00 Berlin: fine */
	assert_ok(change_window_check(1717668000, c->change_windows, c->change_windows_nr, &ok, &next, &why));
	assert_true(ok);
	assert_null(why);
	/* Friday 15:59: fine; 16:00: frozen until Monday 08:00 */
	assert_ok(change_window_check(1717768740, c->change_windows, c->change_windows_nr, &ok, &next, &why));
	assert_true(ok);
	assert_ok(change_window_check(1717768800, c->change_windows, c->change_windows_nr, &ok, &next, &why));
	assert_false(ok);
	assert_int_equal(next, 1717999200);
	assert_non_null(strstr(why, "inside deny window 'weekend freeze' "
			       "(0 16 * * fri for 2d16h, Europe/Berlin)"));
	assert_non_null(strstr(why, "2024-06-10 06:00 UTC"));
	free(why);
	/* Saturday 10:00 */
	assert_ok(change_window_check(1717833600, c->change_windows, c->change_windows_nr, &ok, &next, &why));
	assert_false(ok);
	assert_int_equal(next, 1717999200);
	free(why);
	/* Monday 08:00: open again */
	assert_ok(change_window_check(1717999200, c->change_windows, c->change_windows_nr, &ok, &next, &why));
	assert_true(ok);
	config_free(c);

	/* allow only weekdays 09:00-17:00 Berlin, and the freeze */
	c = config("change_windows:\n"
		   "  - allow: \"0 9 * * mon-fri\"\n    duration: 8h\n"
		   "    timezone: Europe/Berlin\n"
		   "  - deny: \"0 16 * * fri\"\n    duration: 64h\n"
		   "    timezone: Europe/Berlin\n");
	/* Saturday: next open is Monday 09:00, not 08:00 */
	assert_ok(change_window_check(1717833600, c->change_windows, c->change_windows_nr, &ok, &next, &why));
	assert_false(ok);
	assert_int_equal(next, 1718002800);
	free(why);
	/* Monday 17:00: outside; Tuesday 09:00 */
	assert_ok(change_window_check(1718031600, c->change_windows, c->change_windows_nr, &ok, &next, &why));
	assert_false(ok);
	assert_int_equal(next, 1718089200);
	assert_non_null(strstr(why, "outside every allow window"));
	free(why);
	assert_ok(change_window_check(1718002800, c->change_windows, c->change_windows_nr, &ok, &next, &why));
	assert_true(ok);
	config_free(c);
}

/*
 * The plan JSON's `hosts` for the drift announcements: web1 drifted in
 * two tasks (one a loop item, one with a hostile name), db1 did not,
 * "<b>&co" (a hostile host name) in one.
 */
static const char drift_hosts[] =
	"[{\"host\": \"web1\", \"drift\": true, \"tasks\": [], "
	"\"drift_tasks\": ["
	"{\"task\": \"write app.conf\", \"file\": \"site.yml\", \"line\": 12, "
	"\"item\": null}, "
	"{\"task\": \"tidy <!channel> & <x|y>\", \"file\": \"roles/web/tasks/"
	"main.yml\", \"line\": 3, \"item\": \"a&b\"}]}, "
	"{\"host\": \"db1\", \"drift\": false, \"drift_tasks\": []}, "
	"{\"host\": \"<b>&co\", \"drift\": true, \"drift_tasks\": ["
	"{\"task\": \"install\", \"file\": \"site.yml\", \"line\": 20, "
	"\"item\": 7}]}]";

static struct val *json(const char *text)
{
	struct val *v = NULL;

	assert_ok(val_from_json(&v, text, strlen(text)));
	return v;
}

static void drift_init(struct window_announcement *a, const struct val *hosts)
{
	memset(a, 0, sizeof(*a));
	a->kind = "drift";
	a->schedule = "web-drift";
	a->playbook = "site.yml";
	a->commit = "abc1234def5678abc1234def5678abc1234def56";
	a->run_id = 12;
	a->hosts = hosts;
}

/*
 * The drift text (plain: the providers escape it) and the webhook's
 * payload: only drifted hosts, item and file:line, the origin's parts
 * there are, at most 20 task lines then "and N more".
 */
static void test_window__announce_text(void **state)
{
	struct val *hosts = json(drift_hosts), *many = val_list(), *p, *rel;
	struct window_announcement a;
	struct buf t = BUF_INIT, j = BUF_INIT;

	(void)state;
	drift_init(&a, hosts);
	window_announce_describe(&t, &a);
	assert_string_equal(t.ptr,
		"Drift on 2 hosts (schedule web-drift, playbook site.yml @ "
		"abc1234def56, plan run 12):\n"
		"web1: write app.conf at site.yml:12\n"
		"web1: tidy <!channel> & <x|y> (item=a&b) at "
		"roles/web/tasks/main.yml:3\n"
		"<b>&co: install (item=7) at site.yml:20");

	/* files beneath the checkout are shown relative to it */
	rel = json("[{\"host\": \"w\", \"drift_tasks\": [{\"task\": \"t\", "
		   "\"file\": \"/c/trees/ab/roles/r.yml\", \"line\": 1}, "
		   "{\"task\": \"u\", \"file\": \"/c/trees/abc/x.yml\"}]}]");
	a.hosts = rel;
	a.root = "/c/trees/ab/";
	a.playbook = "/c/trees/ab/site.yml";
	buf_reset(&t);
	window_announce_describe(&t, &a);
	assert_string_equal(t.ptr, "Drift on 1 host (schedule web-drift, "
			    "playbook site.yml @ abc1234def56, plan run 12):\n"
			    "w: t at roles/r.yml:1\nw: u at /c/trees/abc/x.yml");
	p = window_announce_to_val(&a);
	val_to_json(&j, p, 0);
	assert_non_null(strstr(j.ptr, "\"playbook\": \"site.yml\""));
	assert_non_null(strstr(j.ptr, "\"file\": \"roles/r.yml\""));
	assert_non_null(strstr(j.ptr, "\"file\": \"/c/trees/abc/x.yml\""));
	val_unref(p);
	val_unref(rel);
	drift_init(&a, hosts);

	/* only what is known */
	a.schedule = NULL;
	a.playbook = NULL;
	a.run_id = 0;
	buf_reset(&t);
	window_announce_describe(&t, &a);
	assert_non_null(strstr(t.ptr, "Drift on 2 hosts (commit "
			       "abc1234def56):\n"));
	a.commit = NULL;
	buf_reset(&t);
	window_announce_describe(&t, &a);
	assert_non_null(strstr(t.ptr, "Drift on 2 hosts:\nweb1: "));

	/* 3 hosts of 9 tasks: 20 lines, then "and 7 more" */
	for (int h = 0; h < 3; h++) {
		struct val *hv = val_dict(), *tl = val_list();

		buf_reset(&j);
		buf_addf(&j, "h%d", h);
		val_dict_set_str(hv, "host", j.ptr);
		for (int i = 0; i < 9; i++) {
			struct val *tv = val_dict();

			buf_reset(&j);
			buf_addf(&j, "step %d", i);
			val_dict_set_str(tv, "task", j.ptr);
			val_list_push(tl, tv);
		}
		val_dict_set(hv, "drift_tasks", tl);
		val_list_push(many, hv);
	}
	a.hosts = many;
	buf_reset(&t);
	window_announce_describe(&t, &a);
	assert_non_null(strstr(t.ptr, "Drift on 3 hosts:\nh0: step 0\n"));
	assert_non_null(strstr(t.ptr, "\nh2: step 1\nand 7 more"));
	assert_null(strstr(t.ptr, "h2: step 2"));
	assert_null(strstr(t.ptr, " at ")); /* no file: no position */

	/* the payload: every drifted host and task, four keys each */
	drift_init(&a, hosts);
	p = window_announce_to_val(&a);
	buf_reset(&j);
	val_to_json(&j, p, 0);
	assert_string_equal(j.ptr,
		"{\"event\": \"drift\", \"schedule\": \"web-drift\", "
		"\"playbook\": \"site.yml\", \"commit\": "
		"\"abc1234def5678abc1234def5678abc1234def56\", \"run_id\": 12, "
		"\"hosts\": [{\"host\": \"web1\", \"tasks\": ["
		"{\"task\": \"write app.conf\", \"file\": \"site.yml\", "
		"\"line\": 12, \"item\": null}, "
		"{\"task\": \"tidy <!channel> & <x|y>\", \"file\": "
		"\"roles/web/tasks/main.yml\", \"line\": 3, \"item\": \"a&b\"}]}, "
		"{\"host\": \"<b>&co\", \"tasks\": [{\"task\": \"install\", "
		"\"file\": \"site.yml\", \"line\": 20, \"item\": 7}]}]}");
	val_unref(p);
	a.hosts = many;
	a.schedule = NULL;
	a.commit = NULL;
	a.run_id = 0;
	p = window_announce_to_val(&a);
	assert_true(val_is(val_dict_get(p, "schedule"), VAL_NULL));
	assert_true(val_is(val_dict_get(p, "commit"), VAL_NULL));
	assert_true(val_is(val_dict_get(p, "run_id"), VAL_NULL));
	assert_int_equal(val_len(val_dict_get(val_list_at(
		val_dict_get(p, "hosts"), 2), "tasks")), 9);
	val_unref(p);
	val_unref(hosts);
	val_unref(many);
	buf_release(&t);
	buf_release(&j);
}

/* Did any request since `from` go to a path starting with `prefix`? */
static bool requested(const struct val *l, const char *prefix)
{
	for (size_t i = 0; i < val_len(l); i++)
		if (!strncmp(req_str(l, i, "path"), prefix, strlen(prefix)))
			return true;
	return false;
}

/*
 * window_announce through every kind of provider, against the receiver
 * (which refuses unescaped Slack text and a bad signature): Slack's bot
 * and Mattermost post the escaped text, the webhook its signed JSON;
 * Alertmanager and PagerDuty have no announce op and get nothing, nor
 * does a provider with `announce: false`.
 */
static void test_window__announce_drift(void **state)
{
	struct config *c;
	struct window_announcement a;
	struct val *hosts = json(drift_hosts), *errors = NULL, *l, *body;
	size_t from = requests_nr(), silences = count_silences("active");
	const char *text;

	(void)state;
	write_secret("slack-token", "xoxb-test-token\n");
	setenv("TEND_TEST_SECRET", "s3cret", 1);
	setenv("TEND_TEST_PD", "pd-token", 1);
	c = config("maintenance:\n  providers:\n"
		   "    - type: alertmanager\n      url: %s\n"
		   "    - type: slack\n      api_url: %s/slack\n"
		   "      token_file: %s/slack-token\n      channel: ops\n"
		   "    - type: pagerduty\n      api_url: %s/pd\n"
		   "      token_env: TEND_TEST_PD\n      from: ops@example.com\n"
		   "      services: [PSVC1]\n"
		   "    - type: webhook\n      url: %s/signed/drift\n"
		   "      secret_env: TEND_TEST_SECRET\n"
		   "    - type: webhook\n      url: %s/signed/off\n"
		   "      announce: off\n"
		   "    - type: mattermost\n      webhook_url_env: "
		   "TEND_TEST_HOOK\n      announce: yes\n",
		   am_url, rcv_url, scratch, rcv_url, rcv_url, rcv_url);
	drift_init(&a, hosts);
	assert_ok(window_announce(&errors, &c->maintenance, &a));
	assert_int_equal(val_len(errors), 0);
	val_unref(errors);

	l = requests(from);
	assert_int_equal(val_len(l), 3);
	assert_string_equal(req_str(l, 0, "path"), "/slack/chat.postMessage");
	assert_string_equal(req_str(l, 0, "body.channel"), "ops");
	text = req_str(l, 0, "body.text");
	assert_string_equal(text,
		"Drift on 2 hosts (schedule web-drift, playbook site.yml @ "
		"abc1234def56, plan run 12):\n"
		"web1: write app.conf at site.yml:12\n"
		"web1: tidy &lt;!channel&gt; &amp; &lt;x|y&gt; (item=a&amp;b) at "
		"roles/web/tasks/main.yml:3\n"
		"&lt;b&gt;&amp;co: install (item=7) at site.yml:20");
	assert_string_equal(req_str(l, 1, "path"), "/signed/drift");
	body = val_dict_get(val_list_at(l, 1), "body");
	assert_string_equal(val_cstr(val_dict_get(body, "event")), "drift");
	assert_string_equal(val_cstr(val_dict_get(body, "schedule")),
			    "web-drift");
	assert_int_equal(val_dict_get(body, "run_id")->u.i, 12);
	assert_int_equal(val_len(val_dict_get(body, "hosts")), 2);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(
		val_dict_get(body, "hosts"), 1), "host")), "<b>&co");
	assert_string_equal(req_str(l, 2, "path"), "/hook/mm");
	assert_string_equal(req_str(l, 2, "body.text"), text);
	assert_false(requested(l, "/pd/"));
	assert_false(requested(l, "/signed/off"));
	assert_int_equal(count_silences("active"), silences);
	val_unref(l);

	/* nothing drifted: nothing posted */
	val_unref(hosts);
	hosts = json("[{\"host\": \"db1\", \"drift\": false, "
		     "\"drift_tasks\": []}]");
	a.hosts = hosts;
	from = requests_nr();
	assert_ok(window_announce(&errors, &c->maintenance, &a));
	assert_int_equal(val_len(errors), 0);
	assert_int_equal(requests_nr(), from);
	val_unref(errors);

	/* a kind it cannot describe is refused before any provider */
	a.kind = "weather";
	assert_int_equal(window_announce(&errors, &c->maintenance, &a), -1);
	assert_string_equal(tend_error_last(),
			    "unknown announcement kind 'weather'");
	assert_int_equal(requests_nr(), from);
	tend_error_clear();
	val_unref(errors);
	val_unref(hosts);
	config_free(c);
}

/*
 * A provider that fails does not stop the others; each failure is
 * listed with its type and place, and no secret (the Slack webhook's
 * URL) is in any message.
 */
static void test_window__announce_failures(void **state)
{
	struct config *c;
	struct window_announcement a;
	struct val *hosts = json(drift_hosts), *errors = NULL, *l;
	struct buf url = BUF_INIT;
	size_t from = requests_nr();
	const struct val *e;

	(void)state;
	buf_addf(&url, "%s/nowhere/T000/B000/XXXXSECRET", rcv_url);
	write_secret("slack-hook", url.ptr);
	c = config("maintenance:\n  providers:\n"
		   "    - type: slack\n      webhook_url_file: %s/slack-hook\n"
		   "      retries: 0\n"
		   "    - type: webhook\n      url: %s/signed/x\n"
		   "      retries: 0\n      timeout: 5\n"
		   "    - type: mattermost\n      webhook_url_env: "
		   "TEND_TEST_HOOK\n", scratch, dead_url);
	drift_init(&a, hosts);
	assert_int_equal(window_announce(&errors, &c->maintenance, &a), -1);
	assert_non_null(strstr(tend_error_last(), "cannot announce drift: "
			       "slack: "));
	assert_non_null(strstr(tend_error_last(), "HTTP 404"));
	assert_null(strstr(tend_error_last(), "SECRET"));
	assert_int_equal(val_len(errors), 2);
	e = val_list_at(errors, 0);
	assert_string_equal(val_cstr(val_dict_get(e, "type")), "slack");
	assert_int_equal(val_dict_get(e, "index")->u.i, 0);
	assert_non_null(strstr(val_cstr(val_dict_get(e, "error")), "HTTP 404"));
	assert_null(strstr(val_cstr(val_dict_get(e, "error")), "SECRET"));
	e = val_list_at(errors, 1);
	assert_string_equal(val_cstr(val_dict_get(e, "type")), "webhook");
	assert_int_equal(val_dict_get(e, "index")->u.i, 1);
	assert_non_null(strstr(val_cstr(val_dict_get(e, "error")),
			       "cannot reach"));
	tend_error_clear();
	val_unref(errors);

	/* the receiver logs the refused Slack post; Mattermost still got its */
	l = requests(from);
	assert_int_equal(val_len(l), 2);
	assert_string_equal(req_str(l, 0, "path"),
			    "/nowhere/T000/B000/XXXXSECRET");
	assert_string_equal(req_str(l, 1, "path"), "/hook/mm");
	assert_non_null(strstr(req_str(l, 1, "body.text"), "Drift on 2 hosts"));
	val_unref(l);
	val_unref(hosts);
	buf_release(&url);
	config_free(c);
}

/* `announce:` must be a bool, and only announcing providers take it. */
static void test_window__announce_setting(void **state)
{
	struct buf path = BUF_INIT, text = BUF_INIT, all = BUF_INIT;
	struct diags d = DIAGS_INIT;
	struct config *c = NULL;

	(void)state;
	buf_addf(&path, "%s/bad.yml", scratch);
	buf_addf(&text, "maintenance:\n  providers:\n"
		 "    - type: slack\n      webhook_url_env: X\n"
		 "      announce: sometimes\n"
		 "    - type: alertmanager\n      url: http://127.0.0.1:1\n"
		 "      announce: false\n");
	assert_ok(buf_write_file_atomic(path.ptr, text.ptr, text.len, 0600));
	assert_int_equal(config_load(&c, path.ptr, &d), TEND_EPARSE);
	for (size_t i = 0; i < d.nr; i++)
		buf_addf(&all, "%s\n", d.items[i]);
	assert_non_null(strstr(all.ptr, "bad.yml:5:17: expected a bool for "
			       "'announce', got 'sometimes'"));
	assert_non_null(strstr(all.ptr, "bad.yml:8:7: unknown key "
			       "'announce'"));
	tend_error_clear();
	config_free(c);
	diags_release(&d);
	buf_release(&path);
	buf_release(&text);
	buf_release(&all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window__matchers),
		cmocka_unit_test(test_window__change_windows),
		cmocka_unit_test(test_window__estimate),
		cmocka_unit_test(test_window__alertmanager),
		cmocka_unit_test(test_window__alertmanager_ha_and_grace),
		cmocka_unit_test(test_window__alertmanager_down),
		cmocka_unit_test(test_window__alertmanager_odd_answers),
		cmocka_unit_test(test_window__alertmanager_answer_shapes),
		cmocka_unit_test(test_window__reap),
		cmocka_unit_test(test_window__manual),
		cmocka_unit_test(test_window__slack),
		cmocka_unit_test(test_window__slack_webhook_and_failure),
		cmocka_unit_test(test_window__webhook),
		cmocka_unit_test(test_window__pagerduty),
		cmocka_unit_test(test_window__announce_and_skip),
		cmocka_unit_test(test_window__winplan),
		cmocka_unit_test(test_window__announce_changes),
		cmocka_unit_test(test_window__announce_text),
		cmocka_unit_test(test_window__announce_drift),
		cmocka_unit_test(test_window__announce_failures),
		cmocka_unit_test(test_window__announce_setting),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
