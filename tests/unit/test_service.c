#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/data/val.h"
#include "tend/util/fs.h"

/*
 * The judges of systemd and service, fed what their probes print on
 * hosts in known states (no host needed): what they decide to change,
 * what they return, and what they refuse.
 */

extern const struct tend_module mod_systemd, mod_service, mod_service_facts;

static struct val *args_of(const struct tend_module *m, const char *kv)
{
	struct val *raw = NULL, *out = NULL;
	struct diags d = DIAGS_INIT;

	assert_ok(val_parse_kv(&raw, kv, NULL));
	if (args_normalize(&out, m, raw, NULL, &d, true) < 0) {
		diags_print(&d, stderr);
		fail_msg("args_normalize failed for '%s'", kv);
	}
	diags_release(&d);
	val_unref(raw);
	return out;
}

/* a record as the probes print it: KEY:LEN\nBYTES\n */
static void rec_add(struct buf *b, const char *key, const char *v)
{
	buf_addf(b, "%s:%zu\n%s\n", key, strlen(v), v);
}

struct judged {
	struct check_result cr;
	struct probe p;
	struct val *args;
	int rc;
};

static void judge(struct judged *j, const struct tend_module *m,
		  const char *kv, const struct buf *out)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct task_ctx ctx = { .host = "h" };

	j->args = args_of(m, kv);
	ctx.args = j->args;
	check_result_init(&j->cr);
	probe_init(&j->p);
	assert_ok(m->probe(&j->p, &ctx));
	buf_addbuf(&res.out, out);
	j->rc = m->judge(&j->cr, &ctx, &j->p, &res);
	exec_result_release(&res);
}

static void judged_release(struct judged *j)
{
	check_result_release(&j->cr);
	probe_release(&j->p);
	val_unref(j->args);
}

static void show(struct buf *b, const char *active, const char *load,
		 const char *file_state, const char *need_reload)
{
	struct buf s = BUF_INIT;

	buf_addf(&s, "Type=simple\nId=web.service\nLoadState=%s\n"
		 "ActiveState=%s\nUnitFileState=%s\nNeedDaemonReload=%s\n"
		 "ExecStart={ path=/bin/web ; argv[]=/bin/web -p 1 ;\n"
		 "  ignore_errors=no }\nDescription={ not an Exec value\n"
		 "MainPID=0", load, active, file_state, need_reload);
	rec_add(b, "show", s.ptr);
	buf_release(&s);
}

static const char *status_key(const struct check_result *cr, const char *k)
{
	return val_cstr(val_dict_get(val_dict_get(cr->result, "status"), k));
}

static void test_service__systemd_start_enable(void **state)
{
	struct buf out = BUF_INIT;
	struct judged j;

	(void)state;
	show(&out, "inactive", "loaded", "disabled", "no");
	buf_adds(&out, "en_rc 1\n");
	rec_add(&out, "en", "disabled");
	judge(&j, &mod_systemd, "name=web state=started enabled=yes", &out);
	assert_ok(j.rc);
	assert_int_equal(j.cr.status, CHECK_CHANGE);
	assert_string_equal(j.cr.changes.ptr, "enable web (disabled)\n"
			    "start web (inactive)\n");
	assert_string_equal(status_key(&j.cr, "ActiveState"), "inactive");
	assert_string_equal(status_key(&j.cr, "ExecStart"),
			    "{ path=/bin/web ; argv[]=/bin/web -p 1 ;\n"
			    "  ignore_errors=no }");
	assert_string_equal(status_key(&j.cr, "Description"),
			    "{ not an Exec value");
	assert_string_equal(status_key(&j.cr, "MainPID"), "0");
	assert_true(val_dict_get(j.cr.result, "enabled")->u.b);
	assert_string_equal(val_cstr(val_dict_get(j.cr.result, "state")),
			    "started");
	judged_release(&j);
	buf_release(&out);
}

static void test_service__systemd_restart_and_converged(void **state)
{
	struct buf out = BUF_INIT;
	struct judged j;

	(void)state;
	show(&out, "active", "loaded", "enabled", "no");
	buf_adds(&out, "en_rc 0\n");
	rec_add(&out, "en", "enabled");
	judge(&j, &mod_systemd, "name=web state=restarted enabled=yes", &out);
	assert_ok(j.rc);
	assert_string_equal(j.cr.changes.ptr, "restart web (active)\n");
	assert_string_equal(val_cstr(val_dict_get(j.cr.result, "state")),
			    "started");
	judged_release(&j);
	/* started, enabled, not masked: nothing to do */
	judge(&j, &mod_systemd, "name=web state=started enabled=yes masked=no",
	      &out);
	assert_ok(j.rc);
	assert_int_equal(j.cr.status, CHECK_OK);
	judged_release(&j);
	/* daemon_reload alone: only when the unit's files changed */
	judge(&j, &mod_systemd, "name=web daemon_reload=yes", &out);
	assert_int_equal(j.cr.status, CHECK_OK);
	judged_release(&j);
	buf_reset(&out);
	show(&out, "active", "loaded", "enabled", "yes");
	judge(&j, &mod_systemd, "name=web daemon_reload=yes", &out);
	assert_int_equal(j.cr.status, CHECK_UNKNOWN);
	judged_release(&j);
	buf_release(&out);
}

static void test_service__systemd_missing_and_mask(void **state)
{
	struct buf out = BUF_INIT;
	struct judged j;

	(void)state;
	show(&out, "inactive", "not-found", "", "no");
	buf_adds(&out, "en_rc 4\n");
	rec_add(&out, "en", "");
	judge(&j, &mod_systemd, "name=nosuch state=started", &out);
	assert_true(j.rc < 0);
	assert_string_equal(tend_error_last(),
			    "Could not find the requested service nosuch: host");
	judged_release(&j);
	/* a unit can be masked before it exists, as Ansible allows */
	judge(&j, &mod_systemd, "name=nosuch masked=yes", &out);
	assert_ok(j.rc);
	assert_string_equal(j.cr.changes.ptr, "mask nosuch\n");
	judged_release(&j);
	/* no systemd at all: systemctl's own words */
	buf_reset(&out);
	buf_adds(&out, "en_rc 1\n");
	rec_add(&out, "en", "");
	rec_add(&out, "sc_err", "System has not been booted with systemd");
	judge(&j, &mod_systemd, "name=web state=started", &out);
	assert_true(j.rc < 0);
	assert_string_equal(tend_error_last(),
			    "System has not been booted with systemd");
	judged_release(&j);
	buf_release(&out);
}

static void test_service__probe_quotes_and_refuses(void **state)
{
	struct task_ctx ctx = { .host = "h" };
	struct probe p;
	struct val *args;

	(void)state;
	args = args_of(&mod_systemd, "name=\"-x 'a' $(b)\" state=started");
	ctx.args = args;
	probe_init(&p);
	assert_ok(mod_systemd.probe(&p, &ctx));
	assert_non_null(strstr(p.script.ptr, "u='-x '\\''a'\\'' $(b)'\n"));
	assert_non_null(strstr(p.script.ptr, "show -- \"$u\""));
	probe_release(&p);
	val_unref(args);
	args = args_of(&mod_systemd, "name=web scope=global enabled=yes");
	ctx.args = args;
	probe_init(&p);
	assert_true(mod_systemd.probe(&p, &ctx) < 0);
	assert_non_null(strstr(tend_error_last(), "scope=global is not "
			       "supported"));
	probe_release(&p);
	val_unref(args);
}

static void test_service__sysvinit(void **state)
{
	struct buf out = BUF_INIT;
	struct judged j;

	(void)state;
	/* Ansible's reading of a status line: "not running" is down */
	buf_adds(&out, "mgr sysvinit\nsysv_en 1\nst_rc 3\n");
	rec_add(&out, "st", "foo is not running\n");
	judge(&j, &mod_service, "name=foo state=started enabled=no "
	      "use=sysvinit", &out);
	assert_ok(j.rc);
	assert_string_equal(j.cr.changes.ptr, "disable foo (update-rc.d)\n"
			    "start foo (stopped)\n");
	assert_true(val_dict_get(val_dict_get(val_dict_get(j.cr.result,
		"status"), "started"), "changed")->u.b);
	judged_release(&j);
	/* a running one (exit 0, no words) is left; restarted always runs */
	buf_reset(&out);
	buf_adds(&out, "mgr sysvinit\nst_rc 0\n");
	rec_add(&out, "st", "");
	judge(&j, &mod_service, "name=foo state=started", &out);
	assert_ok(j.rc);
	assert_int_equal(j.cr.status, CHECK_OK);
	judged_release(&j);
	judge(&j, &mod_service, "name=foo state=restarted", &out);
	assert_string_equal(j.cr.changes.ptr, "restart foo (running)\n");
	judged_release(&j);
	/* several lines: the words do not count, the exit code does */
	buf_reset(&out);
	buf_adds(&out, "mgr sysvinit\nst_rc 0\n");
	rec_add(&out, "st", "foo:\n stopped\n");
	judge(&j, &mod_service, "name=foo state=stopped", &out);
	assert_string_equal(j.cr.changes.ptr, "stop foo (running)\n");
	judged_release(&j);
	buf_reset(&out);
	buf_adds(&out, "mgr sysvinit\nmissing 1\n");
	judge(&j, &mod_service, "name=foo state=stopped", &out);
	assert_true(j.rc < 0);
	judged_release(&j);
	buf_reset(&out);
	buf_adds(&out, "mgr openrc\n");
	judge(&j, &mod_service, "name=foo state=stopped", &out);
	assert_true(j.rc < 0);
	assert_string_equal(tend_error_last(), "service manager 'openrc' is "
			    "not supported (tend's service runs systemd and "
			    "sysvinit)");
	judged_release(&j);
	buf_release(&out);
}

/*
 * The SysV apply script, run for real on this machine (local transport)
 * against an init script in a temp dir (a name that is a path is the
 * script itself, as Ansible's get_sysv_script says).
 */
static void sysv_apply(const char *script, const char *kv, bool *changed,
		       bool *failed, struct val **result)
{
	struct buf out = BUF_INIT, a = BUF_INIT;
	struct transport *t = NULL;
	struct apply_result ar;
	struct task_ctx ctx = { .host = "h" };
	struct judged j;

	buf_adds(&out, "mgr sysvinit\nst_rc 3\n");
	rec_add(&out, "st", "stopped\n");
	buf_addf(&a, "name=%s use=sysvinit %s", script, kv);
	judge(&j, &mod_service, a.ptr, &out);
	assert_ok(j.rc);
	assert_ok(transport_local_new(&t, NULL));
	ctx.t = t;
	ctx.args = j.args;
	apply_result_init(&ar);
	assert_ok(mod_service.apply(&ar, &ctx, &j.cr));
	*changed = ar.changed;
	*failed = ar.failed;
	*result = val_ref(ar.result);
	apply_result_release(&ar);
	transport_close(t);
	judged_release(&j);
	buf_release(&out);
	buf_release(&a);
}

static void test_service__sysv_apply_local(void **state)
{
	char dir[] = "/tmp/tend-test-service-XXXXXX";
	struct buf path = BUF_INIT, log = BUF_INIT, body = BUF_INIT;
	struct val *res = NULL, *st;
	bool changed, failed;

	(void)state;
	assert_non_null(mkdtemp(dir));
	buf_addf(&path, "%s/init", dir);
	buf_addf(&body, "#!/bin/sh\necho \"$1\" >>%s/log\n"
		 "[ -e %s/broken ] && { echo 'no way' >&2; exit 1; }\n"
		 "echo \"did $1\"\n", dir, dir);
	assert_ok(buf_write_file_atomic(path.ptr, body.ptr, body.len, 0755));
	sysv_apply(path.ptr, "state=started", &changed, &failed, &res);
	assert_true(changed);
	assert_false(failed);
	st = val_dict_get(val_dict_get(res, "status"), "started");
	assert_int_equal(val_dict_get(st, "rc")->u.i, 0);
	assert_string_equal(val_cstr(val_dict_get(st, "stdout")), "did start\n");
	val_unref(res);
	sysv_apply(path.ptr, "state=restarted", &changed, &failed, &res);
	assert_true(changed);
	val_unref(res);
	buf_addf(&log, "%s/log", dir);
	buf_reset(&body);
	assert_ok(buf_read_file(&body, log.ptr));
	assert_string_equal(body.ptr, "start\nstop\nstart\n");
	/* a failing script fails the task with its rc and stderr */
	buf_reset(&log);
	buf_addf(&log, "%s/broken", dir);
	assert_ok(buf_write_file_atomic(log.ptr, "", 0, 0644));
	sysv_apply(path.ptr, "state=started", &changed, &failed, &res);
	assert_true(failed);
	assert_int_equal(val_dict_get(res, "rc")->u.i, 1);
	assert_string_equal(val_cstr(val_dict_get(res, "stderr")), "no way\n");
	val_unref(res);
	buf_reset(&log);
	buf_addf(&log, "rm -rf %s", dir);
	assert_int_equal(system(log.ptr), 0);
	buf_release(&path);
	buf_release(&log);
	buf_release(&body);
}

/* service on a systemd host is the systemd module */
static void test_service__auto_systemd(void **state)
{
	struct buf out = BUF_INIT;
	struct judged j;

	(void)state;
	buf_adds(&out, "mgr systemd\n");
	show(&out, "active", "loaded", "enabled", "no");
	buf_adds(&out, "en_rc 0\n");
	rec_add(&out, "en", "enabled");
	judge(&j, &mod_service, "name=web state=reloaded enabled=no", &out);
	assert_ok(j.rc);
	assert_string_equal(j.cr.changes.ptr, "disable web (enabled)\n"
			    "reload web (active)\n");
	assert_string_equal(status_key(&j.cr, "UnitFileState"), "enabled");
	judged_release(&j);
	buf_release(&out);
}

/* A service of ansible_facts.services: "state status source". */
static void expect_service(const struct val *services, const char *name,
			   const char *want)
{
	const struct val *s = val_dict_get(services, name);
	struct buf b = BUF_INIT;
	const struct val *status;

	assert_non_null(s);
	status = val_dict_get(s, "status");
	buf_addf(&b, "%s %s %s", val_cstr(val_dict_get(s, "state")),
		 status ? val_cstr(status) : "-",
		 val_cstr(val_dict_get(s, "source")));
	assert_string_equal(b.ptr, want);
	assert_string_equal(val_cstr(val_dict_get(s, "name")), name);
	buf_release(&b);
}

/*
 * service_facts as Ansible's module reads sysv and systemd: a bad state
 * anywhere on a list-units line sets the status and drops the first field
 * (the marker; a description's word too, as in Ansible), list-unit-files
 * gives the others their ActiveState (show, by their order) and the
 * status of the good ones.
 */
static void test_service__facts(void **state)
{
	struct buf out = BUF_INIT;
	struct judged j;
	const struct val *sv;

	(void)state;
	buf_adds(&out, "sysv_rc 0\n");
	rec_add(&out, "sysv_out", " [ + ]  ssh\n [ - ]  cron\n [ ? ]  odd\n"
		" [ + ]  two words ");
	rec_add(&out, "sysv_err", "");
	buf_adds(&out, "initd 1\nunits_rc 0\n");
	rec_add(&out, "units_out",
		"  UNIT LOAD ACTIVE SUB DESCRIPTION\n"
		"  ssh.service loaded active running OpenBSD Secure Shell\n"
		"\u25cf tend-fails.service loaded failed failed tend-fails\n"
		"\u25cf cron.service masked inactive dead cron.service\n"
		"  bar.service loaded active running Restart failed units\n"
		"\n3 loaded units listed.");
	rec_add(&out, "units_err", "");
	buf_adds(&out, "files_rc 0\n");
	rec_add(&out, "files_out",
		"UNIT FILE STATE VENDOR PRESET\n"
		"ssh.service enabled enabled\n"
		"tend-fails.service static -\n"
		"getty@.service enabled enabled\n"
		"cron.service masked enabled\n"
		"gone.service disabled enabled\n"
		"\n5 unit files listed.");
	rec_add(&out, "files_err", "");
	rec_add(&out, "s2", "ActiveState=inactive");
	rec_add(&out, "s4", "ActiveState=");
	judge(&j, &mod_service_facts, "", &out);
	assert_int_equal(j.rc, 0);
	assert_int_equal(j.cr.status, CHECK_OK);
	sv = val_dict_get(val_dict_get(j.cr.result, "ansible_facts"), "services");
	expect_service(sv, "ssh", "running - sysv");
	expect_service(sv, "cron", "stopped - sysv");
	expect_service(sv, "two words ", "running - sysv");
	assert_null(val_dict_get(sv, "odd"));
	expect_service(sv, "ssh.service", "running enabled systemd");
	expect_service(sv, "tend-fails.service", "stopped failed systemd");
	expect_service(sv, "cron.service", "stopped masked systemd");
	expect_service(sv, "getty@.service", "inactive enabled systemd");
	expect_service(sv, "gone.service", " disabled systemd");
	/* Ansible's quirk: "failed" in a description is a bad state */
	expect_service(sv, "loaded", "stopped failed systemd");
	assert_null(val_dict_get(sv, "bar.service"));
	judged_release(&j);

	/* nothing found: skipped, with Ansible's message */
	buf_reset(&out);
	judge(&j, &mod_service_facts, "", &out);
	assert_int_equal(j.rc, 0);
	assert_true(val_dict_get(j.cr.result, "skipped")->u.b);
	judged_release(&j);

	/* chkconfig and the like: refused by name */
	buf_sets(&out, "other chkconfig\n");
	judge(&j, &mod_service_facts, "", &out);
	assert_int_equal(j.rc, -1);
	assert_non_null(strstr(tend_error_last(), "chkconfig (Red Hat) hosts "
			       "are not supported yet"));
	judged_release(&j);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service__systemd_start_enable),
		cmocka_unit_test(test_service__systemd_restart_and_converged),
		cmocka_unit_test(test_service__systemd_missing_and_mask),
		cmocka_unit_test(test_service__probe_quotes_and_refuses),
		cmocka_unit_test(test_service__sysvinit),
		cmocka_unit_test(test_service__auto_systemd),
		cmocka_unit_test(test_service__sysv_apply_local),
		cmocka_unit_test(test_service__facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
