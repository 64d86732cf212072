#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/daemon/dconfig.h"
#include "tend/store/store.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"

#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

/* The daemon's tend.yml sections (daemon/dconfig.h) and its drift store. */

static char scratch[] = "/tmp/tend-daemon-test.XXXXXX";

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(scratch) ? 0 : -1;
}

static int group_teardown(void **state)
{
	struct buf cmd = BUF_INIT;
	int rc;

	(void)state;
	buf_adds(&cmd, "rm -rf ");
	sh_quote(&cmd, scratch);
	rc = system(cmd.ptr);
	buf_release(&cmd);
	return rc ? -1 : 0;
}

/* Write `text` to NAME beneath the scratch directory (made as needed). */
static void put(const char *name, const char *text)
{
	struct buf p = BUF_INIT;
	char *slash;

	buf_addf(&p, "%s/%s", scratch, name);
	slash = strrchr(p.ptr, '/');
	*slash = '\0';
	mkdir(p.ptr, 0755);
	*slash = '/';
	assert_ok(buf_write_file_atomic(p.ptr, text, strlen(text), 0600));
	buf_release(&p);
}

/* Load `text` as tend.yml; every diagnostic, one per line, in *diag. */
static int load(struct dconfig **out, const char *text, struct buf *diag)
{
	struct diags d = DIAGS_INIT;
	struct buf p = BUF_INIT;
	int rc;

	buf_addf(&p, "%s/tend.yml", scratch);
	assert_ok(buf_write_file_atomic(p.ptr, text, strlen(text), 0600));
	rc = dconfig_load(out, p.ptr, &d);
	buf_reset(diag);
	for (size_t i = 0; i < d.nr; i++)
		buf_addf(diag, "%s\n", d.items[i] + strlen(scratch) + 1);
	diags_release(&d);
	buf_release(&p);
	tend_error_clear();
	return rc;
}

static void test_daemon__config_good(void **state)
{
	struct dconfig *c = NULL;
	struct buf diag = BUF_INIT;
	const struct dschedule *s;

	(void)state;
	put("site.yml",
	    "- hosts: all\n  schedule: '@hourly'\n  tasks: []\n"
	    "- hosts: all\n  tasks: []\n"
	    "- name: third\n  hosts: all\n  tasks: []\n"
	    "  schedule: {every: 90s, jitter: 5s}\n");
	assert_ok(load(&c,
		"http:\n  listen: '[::1]:0'\n"
		"daemon:\n  max_concurrent: 2\n"
		"sources:\n  - name: infra\n    url: /srv/infra.git\n"
		"    signature: none\n    interval: 30s\n"
		"schedules:\n"
		"  - name: web-apply\n    source: infra\n    playbook: site.yml\n"
		"    mode: apply\n    cron: '*/30 * * * *'\n"
		"    timezone: Europe/Berlin\n    jitter: 10s\n"
		"    extra_vars: {a: 1}\n"
		"  - name: drift\n    playbook: site.yml\n    every: 5m\n"
		"    drift: record\n", &diag));
	assert_string_equal(diag.ptr, "");
	assert_string_equal(c->listen_host, "::1");
	assert_int_equal(c->listen_port, 0);
	assert_true(c->listen_loopback);
	assert_int_equal(c->max_concurrent, 2);
	assert_int_equal(c->sources_nr, 1);
	assert_int_equal(c->sources[0].interval, 30);
	assert_string_equal(c->sources[0].ref, "main");
	assert_false(c->sources[0].verify_signatures);
	s = dconfig_schedule(c, "web-apply");
	assert_non_null(s);
	assert_ptr_equal(s->source, &c->sources[0]);
	assert_int_equal(s->mode, DMODE_APPLY);
	assert_true(s->t.has_cron);
	assert_true(s->on_commit); /* a source's schedules follow it */
	assert_string_equal(s->t.timezone, "Europe/Berlin");
	assert_int_equal(s->t.jitter, 10);
	assert_int_equal(s->lock_timeout, 3600);
	s = dconfig_schedule(c, "drift");
	assert_int_equal(s->mode, DMODE_PLAN);
	assert_int_equal(s->t.every, 300);
	assert_false(s->on_commit);
	assert_int_equal(s->play, 0);
	assert_null(dconfig_schedule(c, "nope"));
	/* the plays' own schedules, for the schedule with local paths */
	assert_int_equal(c->schedules_nr, 4);
	s = dconfig_schedule(c, "drift.play1");
	assert_non_null(s);
	assert_int_equal(s->play, 1);
	assert_string_equal(s->parent, "drift");
	assert_true(s->t.has_cron);
	assert_string_equal(s->t.cron_text, "@hourly");
	assert_int_equal(s->mode, DMODE_PLAN);
	assert_false(s->on_commit);
	assert_string_equal(s->playbook, "site.yml");
	s = dconfig_schedule(c, "drift.play3");
	assert_non_null(s);
	assert_int_equal(s->t.every, 90);
	assert_int_equal(s->t.jitter, 5);
	assert_null(dconfig_schedule(c, "drift.play2"));
	assert_null(dconfig_schedule(c, "web-apply.play1")); /* read per commit */
	/* a checkout of web-apply's source: its plays, read anew each time */
	put("co/site.yml", "- hosts: all\n  schedule: '*/5 * * * *'\n"
	    "  tasks: []\n");
	{
		struct diags d = DIAGS_INIT;
		struct buf dir = BUF_INIT;

		buf_addf(&dir, "%s/co", scratch);
		assert_int_equal(dconfig_play_schedules(c, "infra", dir.ptr,
							&d), 1);
		assert_int_equal(d.nr, 0);
		s = dconfig_schedule(c, "web-apply.play1");
		assert_non_null(s);
		assert_int_equal(s->mode, DMODE_APPLY);
		assert_ptr_equal(s->source, &c->sources[0]);
		assert_non_null(dconfig_schedule(c, "drift.play3"));
		/* a broken commit keeps the schedules the last good one gave */
		put("co/site.yml", "- hosts: all\n  schedule: 5\n");
		assert_int_equal(dconfig_play_schedules(c, "infra", dir.ptr,
							&d), 1);
		assert_true(d.nr > 0); /* warnings */
		assert_non_null(dconfig_schedule(c, "web-apply.play1"));
		diags_release(&d);
		d = (struct diags)DIAGS_INIT;
		put("co/site.yml", "- hosts: all\n  tasks: []\n");
		assert_int_equal(dconfig_play_schedules(c, "infra", dir.ptr,
							&d), 0);
		assert_null(dconfig_schedule(c, "web-apply.play1"));
		assert_int_equal(c->schedules_nr, 4);
		diags_release(&d);
		buf_release(&dir);
	}
	dconfig_free(c);
	buf_release(&diag);
}

/* A play's `schedule:`: checked as tend.yml's, named at its own line. */
static void test_daemon__play_schedule_errors(void **state)
{
	struct dconfig *c = NULL;
	struct buf diag = BUF_INIT;

	(void)state;
	put("bad.yml",
	    "- hosts: all\n  schedule: {cron: '61 * * * *', every: 1m}\n"
	    "  tasks: []\n"
	    "- hosts: all\n  schedule: {timezone: Europe/Berlin, at: 3}\n"
	    "  tasks: []\n"
	    "- hosts: all\n  schedule: [1]\n  tasks: []\n");
	put("none.yml", "- hosts: all\n  tasks: []\n");
	assert_int_equal(load(&c,
		"schedules:\n"
		"  - name: a\n    playbook: bad.yml\n"
		"  - name: b\n    playbook: none.yml\n"
		"  - name: c\n    playbook: missing.yml\n    every: 1m\n",
		&diag), TEND_EPARSE);
	assert_null(c);
	assert_non_null(strstr(diag.ptr, "bad.yml:2:41: the play's schedule: "
			       "'cron' and 'every' exclude each other\n"));
	assert_non_null(strstr(diag.ptr, "bad.yml:2:20: bad cron expression "
			       "'61 * * * *'"));
	assert_non_null(strstr(diag.ptr, "bad.yml:5:39: 'at' is not a key of "
			       "a play's 'schedule'"));
	assert_non_null(strstr(diag.ptr, "bad.yml:5:13: a play's 'schedule' "
			       "needs 'cron' or 'every'\n"));
	assert_non_null(strstr(diag.ptr, "bad.yml:8:13: expected a cron "
			       "expression for 'schedule'"));
	/* not read: warnings (a run would say more), never "never runs" */
	assert_non_null(strstr(diag.ptr, "tend.yml:2:5: warning: schedule 'a': "
			       "its plays' schedules are not read: "));
	assert_null(strstr(diag.ptr, "schedule 'a' never runs"));
	assert_non_null(strstr(diag.ptr, "tend.yml:6:5: warning: schedule 'c': "
			       "its plays' schedules are not read: cannot "
			       "read "));
	/* b's playbook was read: it has no way to start (the error) */
	assert_non_null(strstr(diag.ptr, "tend.yml:4:5: schedule 'b' never "
			       "runs"));
	assert_non_null(strstr(diag.ptr, "missing.yml"));
	assert_null(strstr(diag.ptr, "unknown error"));
	/* once the playbooks read, a schedule with no way to start */
	assert_int_equal(load(&c,
		"schedules:\n"
		"  - name: b\n    playbook: none.yml\n"
		"  - name: c\n    playbook: none.yml\n    every: 1m\n",
		&diag), TEND_EPARSE);
	assert_string_equal(diag.ptr, "tend.yml:2:5: schedule 'b' never "
			    "runs: give it 'cron', 'every', a 'source' to "
			    "follow, or a play of its playbook a 'schedule:'\n");
	buf_release(&diag);
}

/* Every error of the file at once, each with its line and column. */
static void test_daemon__config_errors(void **state)
{
	struct dconfig *c = NULL;
	struct buf diag = BUF_INIT;

	(void)state;
	assert_int_equal(load(&c,
		"http:\n  listen: 0.0.0.0:8470\n"
		"sources:\n  - name: infra\n    url: /x\n"
		"  - name: s2\n    url: /y\n    signature: required\n"
		"schedules:\n"
		"  - name: a\n    playbook: p.yml\n    cron: '0 0 31 2 mon'\n"
		"    every: 1m\n"
		"  - name: b\n    playbook: p.yml\n    mode: apply\n"
		"    cron: '@hourly'\n    timezone: Mars/Base\n"
		"    drift: notify\n"
		"  - name: b\n    source: nope\n    playbook: p.yml\n"
		"  - name: 'bad name'\n    playbook: p.yml\n"
		"  - name: c\n    playbook: p.yml\n    overlap: wait\n"
		"    every: 2x\n", &diag), TEND_EPARSE);
	assert_null(c);
	assert_string_equal(diag.ptr,
		"tend.yml:2:3: listening on '0.0.0.0' (not loopback) needs "
		"'token_file': every call then needs the token\n"
		"tend.yml:4:5: source 'infra' needs 'signature: none' (run what "
		"the branch holds) or 'signature: required' with "
		"'allowed_signers: FILE'\n"
		"tend.yml:8:16: 'signature: required' needs 'allowed_signers: "
		"FILE'\n"
		"tend.yml:13:12: schedule 'a': 'cron' and 'every' exclude each "
		"other\n"
		"tend.yml:18:15: unknown time zone 'Mars/Base'\n"
		"tend.yml:19:12: 'drift' is for 'mode: plan' schedules\n"
		"tend.yml:20:5: a second schedule named 'b'\n"
		"tend.yml:21:13: schedule 'b': no source named 'nope' in "
		"'sources'\n"
		"tend.yml:23:11: a schedule needs a 'name' of letters, digits, "
		"'.', '_' and '-'\n"
		"tend.yml:28:12: expected a duration for 'every' (30s, 5m, 2h, "
		"1d or seconds)\n"
		"tend.yml:27:14: expected one of skip, queue for 'overlap'\n");
	buf_release(&diag);
}

/* Drift events: newest first, the tasks as given. */
static void test_daemon__drift_store(void **state)
{
	struct store *s = NULL;
	struct buf p = BUF_INIT;
	struct val *tasks = val_list(), *t = val_dict(), *l = NULL;

	(void)state;
	buf_addf(&p, "%s/state.db", scratch);
	assert_ok(store_open(&s, p.ptr));
	val_dict_set_str(t, "task", "copy <x>");
	val_dict_set_int(t, "line", 4);
	val_list_push(tasks, t);
	assert_ok(store_drift_add(s, "h1", "drift", 7, tasks));
	assert_ok(store_drift_add(s, "h2", NULL, 0, tasks));
	assert_ok(store_drift_list(&l, s, 0));
	assert_int_equal(val_len(l), 2);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(l, 0), "host")),
			    "h2");
	assert_int_equal(val_dict_get(val_list_at(l, 0), "schedule")->type,
			 VAL_NULL);
	assert_int_equal(val_dict_get(val_list_at(l, 1), "run_id")->u.i, 7);
	assert_true(val_equal(val_dict_get(val_list_at(l, 1), "tasks"),
			      tasks));
	val_unref(l);
	assert_ok(store_drift_list(&l, s, 1));
	assert_int_equal(val_len(l), 1);
	val_unref(l);
	val_unref(tasks);
	store_close(s);
	buf_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon__config_good),
		cmocka_unit_test(test_daemon__config_errors),
		cmocka_unit_test(test_daemon__play_schedule_errors),
		cmocka_unit_test(test_daemon__drift_store),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
