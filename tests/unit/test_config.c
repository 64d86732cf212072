#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/config.h"
#include "tend/windows/registry.h"
#include "tend/windows/window.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"
#include "tend/util/duration.h"
#include "tend/data/settings.h"

#include <unistd.h>

#include "unit.h"

/* tend.yml: finding it, durations, unknown keys, secrets. */

static char scratch[] = "/tmp/tend-config-test.XXXXXX";

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(scratch) ? 0 : -1;
}

static int group_teardown(void **state)
{
	struct buf cmd = BUF_INIT;

	(void)state;
	buf_adds(&cmd, "rm -rf ");
	sh_quote(&cmd, scratch);
	if (system(cmd.ptr) != 0)
		return -1;
	buf_release(&cmd);
	return 0;
}

static void write_file(const char *name, const char *text)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s/%s", scratch, name);
	assert_ok(buf_write_file_atomic(p.ptr, text, strlen(text), 0600));
	buf_release(&p);
}

/* Load scratch/NAME; returns the code, diagnostics joined in *diag. */
static int load(struct config **out, const char *name, struct buf *diag)
{
	struct diags d = DIAGS_INIT;
	struct buf p = BUF_INIT;
	int rc;

	buf_addf(&p, "%s/%s", scratch, name);
	rc = config_load(out, p.ptr, &d);
	buf_reset(diag);
	for (size_t i = 0; i < d.nr; i++) {
		/* drop the scratch dir from positions */
		const char *s = d.items[i];

		if (!strncmp(s, scratch, strlen(scratch)))
			s += strlen(scratch) + 1;
		buf_addf(diag, "%s\n", s);
	}
	diags_release(&d);
	buf_release(&p);
	return rc;
}

static void test_config__durations(void **state)
{
	long long s;
	struct buf b = BUF_INIT;

	(void)state;
	assert_ok(duration_parse(&s, "30m"));
	assert_int_equal(s, 1800);
	assert_ok(duration_parse(&s, "1h30m"));
	assert_int_equal(s, 5400);
	assert_ok(duration_parse(&s, "64h"));
	assert_int_equal(s, 230400);
	assert_ok(duration_parse(&s, "90"));
	assert_int_equal(s, 90);
	assert_ok(duration_parse(&s, "2d"));
	assert_int_equal(s, 172800);
	assert_true(duration_parse(&s, "30x") < 0);
	assert_true(duration_parse(&s, "m") < 0);
	assert_true(duration_parse(&s, "1h30") < 0);
	assert_true(duration_parse(&s, "") < 0);
	duration_format(&b, 230400);
	assert_string_equal(b.ptr, "2d16h");
	buf_reset(&b);
	duration_format(&b, 0);
	assert_string_equal(b.ptr, "0s");
	buf_release(&b);
}

static void test_config__full(void **state)
{
	struct config *c = NULL;
	struct buf diag = BUF_INIT;

	(void)state;
	write_file("full.yml",
		   "state: { path: /tmp/x.db }\n"
		   "maintenance:\n"
		   "  duration: 45m\n  grace: 2m\n  on_failure: warn\n"
		   "  unknown: ignore\n"
		   "  providers:\n"
		   "    - type: alertmanager\n"
		   "      url: [http://a:9093, http://b:9093]\n"
		   "      matchers: ['severity=~\"P1|P2\"']\n"
		   "    - type: slack\n      webhook_url_env: HOOK\n"
		   "change_windows:\n"
		   "  - deny: \"0 16 * * fri\"\n    duration: 64h\n"
		   "    timezone: Europe/Berlin\n"
		   "ssh: { user: deploy, forks: 20 }\n");
	assert_ok(load(&c, "full.yml", &diag));
	assert_string_equal(diag.ptr, "");
	assert_string_equal(c->state_path, "/tmp/x.db");
	assert_int_equal(c->maintenance.duration, 2700);
	assert_int_equal(c->maintenance.grace, 120);
	assert_int_equal(c->maintenance.on_failure, WINDOW_POLICY_WARN);
	assert_int_equal(c->maintenance.unknown, WINDOW_UNKNOWN_IGNORE);
	assert_int_equal(c->maintenance.providers_nr, 2);
	assert_ptr_equal(c->maintenance.providers[0].provider,
			 &window_alertmanager);
	assert_int_equal(c->change_windows_nr, 1);
	assert_true(c->change_windows[0].deny);
	assert_int_equal(c->change_windows[0].duration, 230400);
	assert_string_equal(c->change_windows[0].tz, "Europe/Berlin");
	config_free(c);
	buf_release(&diag);
}

static void test_config__errors(void **state)
{
	struct config *c = NULL;
	struct buf diag = BUF_INIT;

	(void)state;
	write_file("bad.yml",
		   "maintenance:\n"
		   "  duraton: 30m\n"
		   "  on_failure: explode\n"
		   "  providers:\n"
		   "    - type: alertmanger\n"
		   "    - type: slack\n      token: xoxb-inline\n"
		   "      channel: ops\n"
		   "    - type: alertmanager\n      url: http://x\n"
		   "      matchers: ['sev']\n      urls: []\n"
		   "change_windows:\n"
		   "  - deny: \"0 25 * * *\"\n    duration: 1h\n"
		   "  - allow: \"@daily\"\n    duration: 1h\n"
		   "    timezone: Mars/Olympus\n"
		   "shedules: []\n");
	assert_int_equal(load(&c, "bad.yml", &diag), TEND_EPARSE);
	assert_null(c);
	assert_string_equal(diag.ptr,
		"bad.yml:19:1: unknown key 'shedules' (did you mean "
		"'schedules'?)\n"
		"bad.yml:2:3: unknown key 'duraton' (did you mean "
		"'duration'?)\n"
		"bad.yml:3:15: expected abort or warn for 'on_failure'\n"
		"bad.yml:5:13: unknown provider type 'alertmanger' (did you "
		"mean 'alertmanager'?)\n"
		"bad.yml:7:7: 'token' is a secret: give 'token_file' or "
		"'token_env' instead of the value\n"
		"bad.yml:6:7: slack needs 'token_file' (or 'token_env') and "
		"'channel', or 'webhook_url_file' (or 'webhook_url_env')\n"
		"bad.yml:12:7: unknown key 'urls' (did you mean 'url'?)\n"
		"bad.yml:11:17: bad matcher 'sev': expected name=\"value\" "
		"(or !=, =~, !~)\n"
		"bad.yml:14:11: bad cron expression '0 25 * * *': hour 25 out "
		"of range 0-23\n"
		"bad.yml:18:15: unknown time zone 'Mars/Olympus'\n");
	buf_release(&diag);
}

/* maintenance.unknown: include (the default) or ignore, nothing else. */
static void test_config__unknown(void **state)
{
	struct config *c = NULL;
	struct buf diag = BUF_INIT;

	(void)state;
	write_file("u.yml", "maintenance:\n  unknown: include\n");
	assert_ok(load(&c, "u.yml", &diag));
	assert_int_equal(c->maintenance.unknown, WINDOW_UNKNOWN_INCLUDE);
	config_free(c);
	c = NULL;
	write_file("u.yml", "maintenance:\n  duration: 5m\n");
	assert_ok(load(&c, "u.yml", &diag));
	assert_int_equal(c->maintenance.unknown, WINDOW_UNKNOWN_INCLUDE);
	config_free(c);
	c = NULL;
	write_file("u.yml", "maintenance:\n  unknown: skip\n"
		   "  providers: []\n");
	assert_int_equal(load(&c, "u.yml", &diag), TEND_EPARSE);
	assert_null(c);
	assert_string_equal(diag.ptr, "u.yml:2:12: expected include or "
			    "ignore for 'unknown', got 'skip'\n");
	buf_reset(&diag);
	write_file("u.yml", "maintenance:\n  unknown: [ignore]\n");
	assert_int_equal(load(&c, "u.yml", &diag), TEND_EPARSE);
	assert_string_equal(diag.ptr, "u.yml:2:12: expected include or "
			    "ignore for 'unknown', got 'list'\n");
	buf_release(&diag);
}

static void test_config__secrets(void **state)
{
	struct val *cfg = val_dict(), *s = NULL;
	struct buf p = BUF_INIT;

	(void)state;
	write_file("token", "  s3cret\n");
	buf_addf(&p, "%s/token", scratch);
	assert_int_equal(settings_secret(&s, cfg, "token"), TEND_ENOTFOUND);
	val_dict_set_str(cfg, "token_file", p.ptr);
	assert_ok(settings_secret(&s, cfg, "token"));
	assert_string_equal(val_cstr(s), "s3cret");
	assert_true(s->flags & VAL_F_SECRET);
	val_unref(s);
	val_dict_del(cfg, "token_file");
	val_dict_set_str(cfg, "token_env", "TEND_TEST_UNSET_VAR");
	unsetenv("TEND_TEST_UNSET_VAR");
	assert_true(settings_secret(&s, cfg, "token") < 0);
	assert_non_null(strstr(tend_error_last(), "'TEND_TEST_UNSET_VAR' is "
			       "not set"));
	setenv("TEND_TEST_UNSET_VAR", "abc", 1);
	assert_ok(settings_secret(&s, cfg, "token"));
	assert_string_equal(val_cstr(s), "abc");
	val_unref(s);
	val_unref(cfg);
	buf_release(&p);
}

static void test_config__find(void **state)
{
	struct buf repo = BUF_INIT, pb = BUF_INIT, xdg = BUF_INIT;
	char *path = NULL;

	(void)state;
	buf_addf(&repo, "%s/repo", scratch);
	buf_addf(&pb, "%s/repo/playbooks", scratch);
	buf_addf(&xdg, "%s/xdg", scratch);
	write_file("tend-cli.yml", "{}\n");
	setenv("XDG_CONFIG_HOME", xdg.ptr, 1);
	assert_ok(config_find(&path, NULL, repo.ptr, pb.ptr));
	assert_null(path);
	assert_int_equal(config_find(&path, "/nonexistent/tend.yml", NULL,
				     NULL), TEND_ENOTFOUND);
	{
		struct buf cmd = BUF_INIT;

		buf_adds(&cmd, "mkdir -p ");
		sh_quote(&cmd, pb.ptr);
		buf_adds(&cmd, " ");
		sh_quote(&cmd, xdg.ptr);
		buf_adds(&cmd, "/tend");
		assert_int_equal(system(cmd.ptr), 0);
		buf_release(&cmd);
	}
	write_file("xdg/tend/tend.yml", "{}\n");
	assert_ok(config_find(&path, NULL, repo.ptr, pb.ptr));
	assert_non_null(strstr(path, "/xdg/tend/tend.yml"));
	free(path);
	write_file("repo/playbooks/tend.yml", "{}\n");
	assert_ok(config_find(&path, NULL, repo.ptr, pb.ptr));
	assert_non_null(strstr(path, "/repo/playbooks/tend.yml"));
	free(path);
	write_file("repo/tend.yml", "{}\n");
	assert_ok(config_find(&path, NULL, repo.ptr, pb.ptr));
	assert_non_null(strstr(path, "/repo/tend.yml"));
	free(path);
	buf_reset(&repo);
	buf_addf(&repo, "%s/tend-cli.yml", scratch);
	assert_ok(config_find(&path, repo.ptr, NULL, pb.ptr));
	assert_string_equal(path, repo.ptr);
	free(path);
	buf_release(&repo);
	buf_release(&pb);
	buf_release(&xdg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config__durations),
		cmocka_unit_test(test_config__full),
		cmocka_unit_test(test_config__errors),
		cmocka_unit_test(test_config__unknown),
		cmocka_unit_test(test_config__secrets),
		cmocka_unit_test(test_config__find),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
