#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/interrupt.h"
#include "tend/engine/hostlock.h"

#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

/*
 * Host locks (engine/hostlock.h) on a real SQLite store, with a second
 * handle on the same DB as the other run: refusing at once, waiting up to
 * a timeout, waiting until the holder lets go, a signal during a wait,
 * the sorted order and what a refusal leaves held, a saved plan's apply
 * refusing at once after its check, and a dead holder's lock broken with
 * a warning.
 */

static char scratch[] = "/tmp/tend-hostlock-test.XXXXXX";
static int db_nr;

/* What `say` was told, one line each, "info: ..." or "warning: ...". */
static struct buf said = BUF_INIT;

static void record_say(bool warning, const char *text, void *payload)
{
	(void)payload;
	buf_addf(&said, "%s: %s\n", warning ? "warning" : "info", text);
}

/* A fresh DB with two handles: `other` (another run) and `mine`. */
struct fixture {
	char *path;
	struct store *other, *mine;
	struct hostlock hl;
};

static void fixture_open(struct fixture *f, long long timeout)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/db%d/state.db", scratch, ++db_nr);
	f->path = buf_detach(&b, NULL);
	assert_ok(store_open(&f->other, f->path));
	assert_ok(store_open(&f->mine, f->path));
	hostlock_init(&f->hl, f->mine, 2, timeout, record_say, NULL);
	buf_reset(&said);
}

static void fixture_close(struct fixture *f)
{
	hostlock_release(&f->hl);
	store_close(f->mine);
	store_close(f->other);
	free(f->path);
}

static void take(struct store *s, const char *name, const char *owner)
{
	bool got = false;

	assert_ok(store_lock_acquire(s, name, owner, 0, &got, NULL));
	assert_true(got);
}

static bool is_free(struct store *s, const char *name)
{
	struct val *who = NULL;

	assert_ok(store_lock_holder(&who, s, name));
	val_unref(who);
	return !who;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A helper thread: after 200 ms, release a lock or raise the flag. */
struct later {
	struct store *s;   /* NULL: set tend_interrupted instead */
	const char *name, *owner;
	pthread_t thr;
};

static void *later_run(void *payload)
{
	struct later *l = payload;
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	if (l->s)
		store_lock_release(l->s, l->name, l->owner);
	else
		tend_interrupted = 1;
	return NULL;
}

static const char *const h1[] = { "h1" };

static void test_hostlock__refused_at_once(void **state)
{
	struct fixture f;
	double t0;
	char pid[64];

	(void)state;
	fixture_open(&f, 0);
	take(f.other, "host:h1", "run 1");
	t0 = now_seconds();
	assert_int_equal(hostlock_lock(&f.hl, h1, 1), TEND_ELOCKED);
	assert_true(now_seconds() - t0 < 0.5);
	snprintf(pid, sizeof(pid), "run 1 (pid %lld on ", (long long)getpid());
	assert_non_null(strstr(tend_error_last(), "refused: host 'h1' is "
			       "being applied to by "));
	assert_non_null(strstr(tend_error_last(), pid));
	assert_non_null(strstr(tend_error_last(), "did not wait for it "
			       "(--lock-timeout 0)"));
	assert_int_equal(f.hl.waits, 0);
	assert_int_equal(val_len(f.hl.held), 0);
	assert_string_equal(said.ptr, ""); /* no wait began */
	tend_error_clear();
	fixture_close(&f);
}

static void test_hostlock__times_out(void **state)
{
	struct fixture f;
	double t0, took;

	(void)state;
	fixture_open(&f, 1);
	take(f.other, "host:h1", "run 1");
	t0 = now_seconds();
	assert_int_equal(hostlock_lock(&f.hl, h1, 1), TEND_ELOCKED);
	took = now_seconds() - t0;
	assert_true(took >= 1.0 && took < 2.5);
	assert_non_null(strstr(tend_error_last(), "is still being applied "
			       "to by run 1"));
	assert_non_null(strstr(tend_error_last(), "after waiting 1."));
	assert_non_null(strstr(tend_error_last(), "(--lock-timeout 1s)"));
	/* counted for metrics: one wait of about a second */
	assert_int_equal(f.hl.waits, 1);
	assert_true(f.hl.waited >= 1.0 && f.hl.waited < 2.5);
	assert_ptr_equal(strstr(said.ptr, "info: waiting up to 1s for host "
				"'h1': run 1 (pid "), said.ptr);
	tend_error_clear();
	fixture_close(&f);
}

static void test_hostlock__waits_for_release(void **state)
{
	struct fixture f;
	struct later l;

	(void)state;
	fixture_open(&f, 60);
	take(f.other, "host:h1", "run 1");
	l = (struct later){ .s = f.other, .name = "host:h1",
			    .owner = "run 1" };
	assert_int_equal(pthread_create(&l.thr, NULL, later_run, &l), 0);
	assert_ok(hostlock_lock(&f.hl, h1, 1));
	pthread_join(l.thr, NULL);
	assert_int_equal(val_len(f.hl.held), 1);
	assert_int_equal(f.hl.waits, 1);
	assert_true(f.hl.waited >= 0.15 && f.hl.waited < 5);
	assert_non_null(strstr(said.ptr, "info: host 'h1' is free after "));
	/* now ours: the other run is refused, and after unlock it is free */
	assert_false(is_free(f.other, "host:h1"));
	hostlock_unlock(&f.hl);
	assert_true(is_free(f.other, "host:h1"));
	fixture_close(&f);
}

static void test_hostlock__interrupted(void **state)
{
	struct fixture f;
	struct later l = { .s = NULL };
	double t0;

	(void)state;
	fixture_open(&f, 60);
	take(f.other, "host:h1", "run 1");
	assert_int_equal(pthread_create(&l.thr, NULL, later_run, &l), 0);
	t0 = now_seconds();
	assert_int_equal(hostlock_lock(&f.hl, h1, 1), TEND_EINTERRUPTED);
	/* the flag came at 200 ms: the wait ends within a slice of it */
	assert_true(now_seconds() - t0 < 0.6);
	pthread_join(l.thr, NULL);
	tend_interrupted = 0;
	assert_string_equal(tend_error_last(), "interrupted while waiting "
			    "for host 'h1'");
	assert_int_equal(val_len(f.hl.held), 0);
	tend_error_clear();
	fixture_close(&f);
}

/*
 * Sorted order: h1 is taken before h3 whatever the order given, and a
 * refusal on h3 leaves nothing held; a name given twice is one lock.
 */
static void test_hostlock__order_and_undo(void **state)
{
	static const char *const hosts[] = { "h3", "h1", "h1" };
	struct fixture f;

	(void)state;
	fixture_open(&f, 0);
	take(f.other, "host:h3", "run 1");
	assert_int_equal(hostlock_lock(&f.hl, hosts, 3), TEND_ELOCKED);
	assert_non_null(strstr(tend_error_last(), "host 'h3'"));
	assert_true(is_free(f.other, "host:h1"));
	assert_null(f.hl.held);
	tend_error_clear();
	assert_ok(store_lock_release(f.other, "host:h3", "run 1"));
	assert_ok(hostlock_lock(&f.hl, hosts, 3));
	assert_int_equal(val_len(f.hl.held), 2);
	assert_string_equal(val_cstr(val_list_at(f.hl.held, 0)), "host:h1");
	assert_string_equal(val_cstr(val_list_at(f.hl.held, 1)), "host:h3");
	fixture_close(&f);
}

/*
 * A saved plan's apply: it waits for its hosts to be free (taking none)
 * before its check; a lock taken after the check is refused at once,
 * timeout or not, as the check is out of date.
 */
static void test_hostlock__plan_checked(void **state)
{
	struct fixture f;
	double t0;

	(void)state;
	fixture_open(&f, 60);
	assert_ok(hostlock_wait_free(&f.hl, h1, 1));
	assert_true(f.hl.checked);
	assert_true(is_free(f.other, "host:h1"));
	take(f.other, "host:h1", "run 1");
	t0 = now_seconds();
	assert_int_equal(hostlock_lock(&f.hl, h1, 1), TEND_ELOCKED);
	assert_true(now_seconds() - t0 < 0.5);
	assert_non_null(strstr(tend_error_last(), "after this run checked "
			       "it against the plan"));
	tend_error_clear();
	/* and before the check, a held host is waited for */
	f.hl.checked = false;
	f.hl.timeout = 1;
	assert_int_equal(hostlock_wait_free(&f.hl, h1, 1), TEND_ELOCKED);
	assert_int_equal(f.hl.waits, 1);
	assert_non_null(strstr(tend_error_last(), "after waiting 1."));
	tend_error_clear();
	fixture_close(&f);
}

/* A lock whose process is gone: taken over, with a warning naming it. */
static void test_hostlock__breaks_dead_holder(void **state)
{
	struct fixture f;
	char want[128];
	pid_t pid;
	int status;

	(void)state;
	fixture_open(&f, 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s = NULL;
		bool got = false;

		_exit(store_open(&s, f.path) < 0 ||
		      store_lock_acquire(s, "host:h1", "run 1", 0, &got,
					 NULL) < 0 || !got);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_ok(hostlock_lock(&f.hl, h1, 1));
	snprintf(want, sizeof(want), "warning: broke the lock on host 'h1' "
		 "of run 1 (pid %lld on ", (long long)pid);
	assert_non_null(strstr(said.ptr, want));
	assert_non_null(strstr(said.ptr, "): its process is gone\n"));
	assert_int_equal(f.hl.waits, 0);
	fixture_close(&f);
}

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(scratch) ? 0 : -1;
}

static int group_teardown(void **state)
{
	struct buf cmd = BUF_INIT;

	(void)state;
	buf_addf(&cmd, "rm -rf '%s'", scratch);
	if (system(cmd.ptr) != 0)
		fprintf(stderr, "cannot remove %s\n", scratch);
	buf_release(&cmd);
	buf_release(&said);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostlock__refused_at_once),
		cmocka_unit_test(test_hostlock__times_out),
		cmocka_unit_test(test_hostlock__waits_for_release),
		cmocka_unit_test(test_hostlock__interrupted),
		cmocka_unit_test(test_hostlock__order_and_undo),
		cmocka_unit_test(test_hostlock__plan_checked),
		cmocka_unit_test(test_hostlock__breaks_dead_holder),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
