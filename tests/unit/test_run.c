#include "unit.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/modkit/facts.h"
#include "tend/engine/run.h"
#include "tend/inventory/inventory.h"
#include "tend/playbook/playbook.h"
#include "tend/transport/table.h"

#include <pthread.h>
#include <unistd.h>

/*
 * The executor through a fake transport opened from the transport table
 * (`ansible_connection=fake`): no host, no sh. The fake records every
 * script it is sent, per host, and answers by what the script says:
 * FAIL exits 1, DROP loses the connection, anything else prints
 * "hello from HOST". `fake_mode=refuse` in a host's vars makes opening it
 * fail, as an unreachable host does.
 */

struct fake {
	struct transport parent;
	char *host;
};

#define MAX_LOG 64
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *host;
	char *script;
} fake_log[MAX_LOG];
static size_t fake_log_nr;
static unsigned fake_opens;

static void log_reset(void)
{
	for (size_t i = 0; i < fake_log_nr; i++) {
		free(fake_log[i].host);
		free(fake_log[i].script);
	}
	fake_log_nr = 0;
	fake_opens = 0;
}

/* How many scripts sent to `host` contain `needle` (NULL: all). */
static size_t sent(const char *host, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < fake_log_nr; i++)
		if (!strcmp(fake_log[i].host, host) &&
		    (!needle || strstr(fake_log[i].script, needle)))
			n++;
	return n;
}

static int fake_exec(struct transport *t, const struct exec_req *req,
		     struct exec_result *out)
{
	struct fake *f = (struct fake *)t;

	pthread_mutex_lock(&log_lock);
	if (fake_log_nr < MAX_LOG) {
		fake_log[fake_log_nr].host = xstrdup(f->host);
		fake_log[fake_log_nr].script = xstrdup(req->script);
		fake_log_nr++;
	}
	pthread_mutex_unlock(&log_lock);
	t->round_trips++;
	if (strstr(req->script, "DROP"))
		return tend_error_set_code(TEND_EUNREACHABLE, "lost the "
					   "connection to '%s'", f->host);
	if (strstr(req->script, "FAIL")) {
		buf_adds(&out->err, "boom\n");
		out->status = 1;
		return 0;
	}
	buf_addf(&out->out, "hello from %s\n", f->host);
	out->status = 0;
	return 0;
}

static void fake_close(struct transport *t)
{
	struct fake *f = (struct fake *)t;

	free(f->host);
	free(f);
}

static int fake_open(struct transport **out, const struct transport_vars *v)
{
	static const char *const v_mode[] = { "fake_mode", NULL };
	struct fake *f;
	char *mode = NULL;
	int error;

	if ((error = v->get(&mode, v_mode, v->payload)) < 0)
		return error;
	__atomic_fetch_add(&fake_opens, 1, __ATOMIC_RELAXED);
	if (mode && !strcmp(mode, "refuse")) {
		free(mode);
		return tend_error_set_code(TEND_EUNREACHABLE, "'%s' refused "
					   "the connection", v->inventory_name);
	}
	free(mode);
	f = xcalloc(1, sizeof(*f));
	f->parent.name = "fake";
	f->parent.exec = fake_exec;
	f->parent.put = transport_put_by_exec;
	f->parent.close = fake_close;
	f->host = xstrdup(v->inventory_name);
	*out = &f->parent;
	return 0;
}

static const struct transport_kind fake_kind = {
	.name = "fake", .aliases = NULL, .open = fake_open,
};

static char dir[] = "/tmp/tend-test-run.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	return transport_register(&fake_kind);
}

static int teardown(void **state)
{
	struct buf cmd = BUF_INIT;
	int rc;

	(void)state;
	log_reset();
	buf_addf(&cmd, "rm -rf '%s'", dir);
	rc = system(cmd.ptr);
	buf_release(&cmd);
	return rc;
}

static const char inventory_ini[] =
	"[web]\n"
	"h1 ansible_connection=fake\n"
	"h2 ansible_connection=fake\n"
	"h3 ansible_connection=fake fake_mode=refuse\n";

/* Run `playbook` (YAML text) over the fake inventory in `mode`. */
static void run_text(struct run_result *res, const char *playbook,
		     enum run_mode mode, const char *limit)
{
	struct buf pb_path = BUF_INIT, inv_path = BUF_INIT;
	struct playbook *pb = NULL;
	struct inventory *inv = NULL;
	struct diags d = DIAGS_INIT;
	struct run_opts o = { .mode = mode, .forks = 2, .limit = limit };

	log_reset();
	buf_addf(&pb_path, "%s/pb.yml", dir);
	buf_addf(&inv_path, "%s/inv.ini", dir);
	assert_ok(buf_write_file_atomic(pb_path.ptr, playbook,
					strlen(playbook), 0644));
	assert_ok(buf_write_file_atomic(inv_path.ptr, inventory_ini,
					strlen(inventory_ini), 0644));
	assert_ok(playbook_load(&pb, pb_path.ptr, NULL, &d));
	assert_ok(inventory_load(&inv, inv_path.ptr, NULL, &d));
	memset(res, 0, sizeof(*res));
	assert_ok(run_playbook(res, pb, inv, &o));
	playbook_free(pb);
	inventory_free(inv);
	diags_release(&d);
	buf_release(&pb_path);
	buf_release(&inv_path);
}

static const struct host_stats *stats(const struct run_result *r,
				      const char *host)
{
	for (size_t i = 0; i < r->hosts_nr; i++)
		if (!strcmp(r->hosts[i].host, host))
			return &r->hosts[i];
	fail_msg("no stats for '%s'", host);
	return NULL;
}

/* The statuses of host's events, in order, as "changed,ok,..." */
static void events_of(struct buf *out, const struct run_result *r,
		      const char *host)
{
	buf_reset(out);
	for (size_t i = 0; i < r->nr; i++)
		if (!strcmp(r->events[i].host, host))
			buf_addf(out, "%s%s", out->len ? "," : "",
				 event_status_name(r->events[i].status,
						   RUN_APPLY));
}

/* An unreachable host fails alone: the others run every task. */
static void test_run__unreachable_host_fails_alone(void **state)
{
	struct run_result r;
	struct buf ev = BUF_INIT;

	(void)state;
	run_text(&r, "- hosts: web\n  gather_facts: false\n  tasks:\n"
		 "    - command: one\n    - command: two\n", RUN_APPLY, NULL);
	events_of(&ev, &r, "h1");
	assert_string_equal(ev.ptr, "changed,changed");
	events_of(&ev, &r, "h3");
	assert_string_equal(ev.ptr, "unreachable");
	assert_int_equal(stats(&r, "h3")->unreachable, 1);
	assert_int_equal(sent("h1", NULL), 2);
	assert_int_equal(sent("h2", NULL), 2);
	assert_int_equal(sent("h3", NULL), 0);
	/* one transport per host for the whole run, not one per task */
	assert_int_equal(fake_opens, 3);
	assert_true(r.round_trips >= 4);
	buf_release(&ev);
	run_result_release(&r);
}

/* A failed task stops its host; the others go on. */
static void test_run__failed_task_stops_its_host(void **state)
{
	struct run_result r;
	struct buf ev = BUF_INIT;

	(void)state;
	run_text(&r, "- hosts: web\n  gather_facts: false\n  tasks:\n"
		 "    - command: \"{{ 'FAIL' if inventory_hostname == 'h1' "
		 "else 'fine' }}\"\n    - command: after\n", RUN_APPLY,
		 "h1:h2");
	events_of(&ev, &r, "h1");
	assert_string_equal(ev.ptr, "failed");
	events_of(&ev, &r, "h2");
	assert_string_equal(ev.ptr, "changed,changed");
	assert_int_equal(sent("h1", "after"), 0);
	assert_int_equal(sent("h2", "after"), 1);
	assert_int_equal(stats(&r, "h1")->failed, 1);
	buf_release(&ev);
	run_result_release(&r);
}

/*
 * A plan never runs a command: without creates/removes its answer is
 * unknown, and the host is sent nothing for it.
 */
static void test_run__plan_runs_no_command(void **state)
{
	struct run_result r;
	struct buf ev = BUF_INIT;

	(void)state;
	run_text(&r, "- hosts: web\n  gather_facts: false\n  tasks:\n"
		 "    - command: rm -rf /important\n", RUN_PLAN, "h1");
	events_of(&ev, &r, "h1");
	assert_string_equal(ev.ptr, "unknown");
	assert_int_equal(sent("h1", "important"), 0);
	buf_release(&ev);
	run_result_release(&r);
}

/* A registered result drives `when:` on the next task. */
static void test_run__register_and_when(void **state)
{
	struct run_result r;
	struct buf ev = BUF_INIT;

	(void)state;
	run_text(&r, "- hosts: web\n  gather_facts: false\n  tasks:\n"
		 "    - command: greet\n      register: g\n"
		 "    - command: only-h2\n"
		 "      when: g.stdout == 'hello from h2'\n", RUN_APPLY,
		 "h1:h2");
	events_of(&ev, &r, "h1");
	assert_string_equal(ev.ptr, "changed,skipped");
	events_of(&ev, &r, "h2");
	assert_string_equal(ev.ptr, "changed,changed");
	assert_int_equal(sent("h1", "only-h2"), 0);
	assert_int_equal(sent("h2", "only-h2"), 1);
	buf_release(&ev);
	run_result_release(&r);
}

/* A handler notified twice runs once per host, after the tasks. */
static void test_run__handler_once_per_host(void **state)
{
	struct run_result r;

	(void)state;
	run_text(&r, "- hosts: web\n  gather_facts: false\n  tasks:\n"
		 "    - command: first\n      notify: h\n"
		 "    - command: second\n      notify: h\n"
		 "  handlers:\n    - name: h\n      command: HANDLER\n",
		 RUN_APPLY, "h1:h2");
	assert_int_equal(sent("h1", "HANDLER"), 1);
	assert_int_equal(sent("h2", "HANDLER"), 1);
	assert_int_equal(sent("h1", NULL), 3);
	/* the handler came last */
	for (size_t i = 0, seen = 0; i < fake_log_nr; i++) {
		if (strcmp(fake_log[i].host, "h1"))
			continue;
		if (++seen == 3)
			assert_non_null(strstr(fake_log[i].script, "HANDLER"));
	}
	run_result_release(&r);
}

/* A connection lost mid-run makes the host unreachable from then on. */
static void test_run__dropped_connection(void **state)
{
	struct run_result r;
	struct buf ev = BUF_INIT;

	(void)state;
	run_text(&r, "- hosts: web\n  gather_facts: false\n  tasks:\n"
		 "    - command: one\n"
		 "    - command: \"{{ 'DROP' if inventory_hostname == 'h2' "
		 "else 'two' }}\"\n    - command: three\n", RUN_APPLY,
		 "h1:h2");
	events_of(&ev, &r, "h2");
	assert_string_equal(ev.ptr, "changed,unreachable");
	events_of(&ev, &r, "h1");
	assert_string_equal(ev.ptr, "changed,changed,changed");
	assert_int_equal(sent("h2", "three"), 0);
	buf_release(&ev);
	run_result_release(&r);
}

/* A connection name no transport has is refused by name, per host. */
static void test_run__unknown_connection_type(void **state)
{
	struct transport *t = NULL;
	struct transport_vars v = { .inventory_name = "x" };

	(void)state;
	assert_int_equal(transport_open(&t, "telepathy", &v), -1);
	assert_non_null(strstr(tend_error_last(), "connection type "
			       "'telepathy' is not supported"));
	assert_null(t);
}

/* A host whose fqdn holds a newline cannot make up facts of its own. */
static void test_run__facts_only_known_keys(void **state)
{
	struct facts_opts o = { .subsets = FACTS_ALL };
	struct val *f;

	(void)state;
	f = facts_parse("nodename=h\nfqdn=h.example\nuser=root\n"
			"become_user=root\nenv_LD_PRELOAD=/tmp/x\n"
			"user_id=me\n", &o, NULL);
	assert_string_equal(val_cstr(val_dict_get(f, "fqdn")), "h.example");
	assert_string_equal(val_cstr(val_dict_get(f, "user_id")), "me");
	assert_null(val_dict_get(f, "user"));
	assert_null(val_dict_get(f, "become_user"));
	assert_null(val_dict_get(val_dict_get(f, "env"), "LD_PRELOAD"));
	val_unref(f);
}

/*
 * module_defaults given as a template ("{{ cmd_defaults }}") render to the
 * variable's own dict, which every host shares: a host's task args go
 * into a dict of its own, never into that variable (which hosts running
 * at once would change under each other, and later tasks would see).
 * An arg the task omits takes no default, as with literal defaults.
 */
static void test_run__templated_module_defaults_stay_unchanged(void **state)
{
	struct run_result r;
	struct buf ev = BUF_INIT;

	(void)state;
	run_text(&r, "- hosts: web\n  gather_facts: false\n"
		 "  module_defaults:\n    command: \"{{ cmd_defaults }}\"\n"
		 "  vars:\n    cmd_defaults: {chdir: /srv}\n  tasks:\n"
		 "    - command: first-{{ inventory_hostname }}\n"
		 "    - assert: {that: \"cmd_defaults | length == 1\"}\n"
		 "    - command: second-{{ inventory_hostname }}\n"
		 "    - command: {cmd: third, chdir: \"{{ omit }}\"}\n",
		 RUN_APPLY, "h1:h2");
	events_of(&ev, &r, "h1");
	assert_string_equal(ev.ptr, "changed,ok,changed,changed");
	events_of(&ev, &r, "h2");
	assert_string_equal(ev.ptr, "changed,ok,changed,changed");
	/* an omitted arg takes no default, as Ansible merges them */
	assert_int_equal(sent("h1", "third"), 1);
	assert_int_equal(sent("h1", "first-h1"), 1);
	assert_int_equal(sent("h1", "second-h1"), 1);
	assert_int_equal(sent("h1", "/srv"), 2);
	assert_int_equal(sent("h1", "-h2"), 0);
	assert_int_equal(sent("h2", "first-h2"), 1);
	assert_int_equal(sent("h2", "second-h2"), 1);
	assert_int_equal(sent("h2", "/srv"), 2);
	assert_int_equal(sent("h2", "-h1"), 0);
	buf_release(&ev);
	run_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run__unreachable_host_fails_alone),
		cmocka_unit_test(test_run__failed_task_stops_its_host),
		cmocka_unit_test(test_run__plan_runs_no_command),
		cmocka_unit_test(test_run__register_and_when),
		cmocka_unit_test(test_run__handler_once_per_host),
		cmocka_unit_test(test_run__dropped_connection),
		cmocka_unit_test(test_run__unknown_connection_type),
		cmocka_unit_test(test_run__facts_only_known_keys),
		cmocka_unit_test(test_run__templated_module_defaults_stay_unchanged),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
