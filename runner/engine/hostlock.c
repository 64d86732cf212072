#include "tend/common.h"
#include "tend/engine/hostlock.h"
#include "tend/util/buf.h"
#include "tend/util/duration.h"
#include "tend/util/interrupt.h"

#include <time.h>

/* The first and the longest pause between two tries of a held lock. */
#define FIRST_PAUSE 0.05
#define LONGEST_PAUSE 1.0

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Sleep `seconds`, in slices of 50 ms: the signal that sets
 * tend_interrupted may be delivered to another thread and leave this
 * one's nanosleep alone.
 */
static void nap(double seconds)
{
	double until = now_seconds() + seconds, left;

	while (!tend_interrupted && (left = until - now_seconds()) > 0) {
		struct timespec ts = { 0, 0 };

		if (left > 0.05)
			left = 0.05;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
}

static void say(const struct hostlock *hl, bool warning, const char *fmt,
		...) TEND_PRINTF(3, 4);
static void say(const struct hostlock *hl, bool warning, const char *fmt,
		...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!hl->say)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	hl->say(warning, b.ptr, hl->payload);
	buf_release(&b);
}

/* A holder (store_lock_holder's dict) for people: "run 12 (pid 3 ...)". */
static void describe(struct buf *out, const struct val *who)
{
	const struct val *pid = val_dict_get(who, "pid");

	buf_addf(out, "%s (pid %lld on %s, since %s)",
		 val_cstr(val_dict_get(who, "owner")),
		 pid && val_is(pid, VAL_INT) ? pid->u.i : 0LL,
		 val_cstr(val_dict_get(who, "controller")),
		 val_cstr(val_dict_get(who, "acquired")));
}

/* Why `host` (held by `who`) is refused after `waited` seconds. */
static int refuse(const struct hostlock *hl, const char *host,
		  const struct val *who, bool take, double waited)
{
	const char *nothing = take ? "nothing was changed on this batch's "
			      "hosts" : "nothing was changed";
	struct buf by = BUF_INIT, limit = BUF_INIT;
	int error;

	describe(&by, who);
	duration_format(&limit, hl->timeout);
	if (hl->checked && take)
		error = tend_error_set_code(TEND_ELOCKED, "refused: host '%s' "
			"is being applied to by %s, which took it after this "
			"run checked it against the plan, so that check is out "
			"of date; %s: apply the plan again once that run has "
			"ended (it may be stale by then)", host, by.ptr,
			nothing);
	else if (hl->timeout <= 0)
		error = tend_error_set_code(TEND_ELOCKED, "refused: host '%s' "
			"is being applied to by %s; this run did not wait for "
			"it (--lock-timeout 0); %s: apply again once that run "
			"has ended, or wait for it with --lock-timeout", host,
			by.ptr, nothing);
	else
		error = tend_error_set_code(TEND_ELOCKED, "refused: host '%s' "
			"is still being applied to by %s after waiting %.1fs "
			"(--lock-timeout %s); %s: apply again once that run "
			"has ended", host, by.ptr, waited, limit.ptr, nothing);
	buf_release(&by);
	buf_release(&limit);
	return error;
}

/* A lock taken over from a holder that is gone: never silent. */
static void say_broken(const struct hostlock *hl, const char *host,
		       const struct val *broken)
{
	struct buf by = BUF_INIT;

	describe(&by, broken);
	say(hl, true, "broke the lock on host '%s' of %s: %s", host, by.ptr,
	    val_cstr(val_dict_get(broken, "why")));
	buf_release(&by);
}

/*
 * One try at lock `name`: take it (`take`), or only look whether it is
 * free. *done says whether that worked; else *who gets its live holder
 * (NULL: freed since the try, so try again). *broken gets the holder a
 * take-over took the lock from.
 */
static int try_once(bool *done, struct val **who, struct val **broken,
		    struct hostlock *hl, const char *name, bool take)
{
	int error = 0;

	*done = false;
	*who = NULL;
	if (take && (error = store_lock_acquire(hl->store, name, hl->owner,
						0, done, broken)) < 0)
		return error;
	if (*done || (error = store_lock_holder(who, hl->store, name)) < 0)
		return error;
	*done = !take && !*who;
	return 0;
}

/*
 * Wait for lock `name` of `host` until it is taken (`take`) or seen
 * free, the timeout passes, or a signal comes. Returns 0,
 * TEND_ELOCKED, TEND_EINTERRUPTED or -1.
 */
static int wait_for(struct hostlock *hl, const char *name, const char *host,
		    bool take)
{
	struct val *who = NULL, *broken = NULL;
	double start = 0, pause = FIRST_PAUSE, left;
	struct buf msg = BUF_INIT;
	bool done = false;
	int error = 0;

	while (!done) {
		val_unref(who);
		if ((error = try_once(&done, &who, &broken, hl, name,
				      take)) < 0)
			break;
		if (done || !who)
			continue;
		if (tend_interrupted) {
			error = tend_error_set_code(TEND_EINTERRUPTED,
				"interrupted while waiting for host '%s'",
				host);
			break;
		}
		if (!start && (hl->timeout <= 0 || (hl->checked && take))) {
			error = refuse(hl, host, who, take, 0);
			break;
		}
		if (!start) {
			start = now_seconds();
			hl->waits++;
			duration_format(&msg, hl->timeout);
			buf_addf(&msg, " for host '%s': ", host);
			describe(&msg, who);
			say(hl, false, "waiting up to %s holds it", msg.ptr);
		}
		left = start + (double)hl->timeout - now_seconds();
		if (left <= 0) {
			error = refuse(hl, host, who, take,
				       now_seconds() - start);
			break;
		}
		nap(pause < left ? pause : left);
		pause = pause * 2 < LONGEST_PAUSE ? pause * 2 : LONGEST_PAUSE;
	}
	if (start) {
		double waited = now_seconds() - start;

		hl->waited += waited;
		if (!error)
			say(hl, false, "host '%s' is free after %.1fs of "
			    "waiting", host, waited);
	}
	if (broken)
		say_broken(hl, host, broken);
	val_unref(who);
	val_unref(broken);
	buf_release(&msg);
	return error;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Wait for every host of `hosts`, taking its lock (`take`) or not, in
 * sorted order: the order hostlock_lock's comment relies on.
 */
static int wait_all(struct hostlock *hl, const char *const *hosts,
		    size_t nr, bool take)
{
	const char **sorted = xcalloc(nr ? nr : 1, sizeof(*sorted));
	struct buf name = BUF_INIT;
	int error = 0;

	memcpy(sorted, hosts, nr * sizeof(*sorted));
	qsort(sorted, nr, sizeof(*sorted), name_cmp);
	for (size_t i = 0; i < nr && !error; i++) {
		if (i && !strcmp(sorted[i], sorted[i - 1]))
			continue;
		buf_reset(&name);
		buf_addf(&name, "host:%s", sorted[i]);
		/*
		 * Waiting for name i while holding those before it is safe
		 * only because every run takes them in this one order: a
		 * run that holds what we wait for never waits for what we
		 * hold, so no two runs wait for each other.
		 */
		if ((error = wait_for(hl, name.ptr, sorted[i], take)) >= 0 &&
		    take)
			val_list_push(hl->held, val_str(name.ptr));
	}
	free(sorted);
	buf_release(&name);
	return error;
}

void hostlock_init(struct hostlock *hl, struct store *store,
		   long long run_id, long long timeout,
		   void (*say)(bool warning, const char *text, void *payload),
		   void *payload)
{
	struct buf owner = BUF_INIT;

	buf_addf(&owner, "run %lld", run_id);
	*hl = (struct hostlock){
		.store = store, .owner = buf_detach(&owner, NULL),
		.timeout = timeout > 0 ? timeout : 0,
		.say = say, .payload = payload,
	};
}

int hostlock_lock(struct hostlock *hl, const char *const *hosts, size_t nr)
{
	int error;

	if (!hl->held)
		hl->held = val_list();
	if ((error = wait_all(hl, hosts, nr, true)) < 0) {
		/* releasing clears errors of its own: keep this one */
		struct buf msg = BUF_INIT;

		buf_adds(&msg, tend_error_last());
		hostlock_unlock(hl);
		tend_error_set_code(error, "%s", msg.ptr);
		buf_release(&msg);
	}
	return error;
}

void hostlock_unlock(struct hostlock *hl)
{
	for (size_t i = 0; i < val_len(hl->held); i++)
		if (store_lock_release(hl->store, val_cstr(val_list_at(hl->held,
			i)), hl->owner) < 0)
			tend_error_clear(); /* taken over: it was free */
	val_unref(hl->held);
	hl->held = NULL;
}

int hostlock_wait_free(struct hostlock *hl, const char *const *hosts,
		       size_t nr)
{
	int error = wait_all(hl, hosts, nr, false);

	hl->checked = true;
	return error;
}

void hostlock_release(struct hostlock *hl)
{
	if (!hl)
		return;
	if (hl->store)
		hostlock_unlock(hl);
	free(hl->owner);
	hl->owner = NULL;
}
