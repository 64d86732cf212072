#ifndef TEND_ENGINE_HOSTLOCK_H
#define TEND_ENGINE_HOSTLOCK_H

/*
 * Host locks: never two applies on one host at once. Before an apply's
 * `serial` batch touches its hosts, each is locked in the state DB as
 * "host:NAME" for "run ID" (store.h store_lock_acquire), across processes
 * and, with a shared store, machines; after the batch they are released.
 * A plan takes none: it changes nothing.
 *
 * A lock held by another live run is waited for, up to `timeout`
 * seconds, polling with a backoff (50 ms growing to 1 s); a timeout of 0
 * refuses at once. Either way a refusal is TEND_ELOCKED, with a message
 * that names the holder (run, pid, controller, since when) and how long
 * this run waited. A signal (util/interrupt.h) stops a wait within
 * about 50 ms: TEND_EINTERRUPTED.
 *
 * A lock whose holder is gone (its process died on this machine, or the
 * lock expired) is taken over, never silently: a warning names the dead
 * holder.
 *
 * Messages for people go to `say` (warning: true for a warning, false for
 * information), e.g. "waiting up to 30s for host 'web1': run 12 (pid 345
 * on ctl, since ...) holds it".
 */

#include "tend/store/store.h"

struct hostlock {
	struct store *store;   /* borrowed */
	char *owner;           /* "run ID": who holds what is taken (owned) */
	long long timeout;     /* seconds a held lock is waited for; 0: none */
	/*
	 * The hosts were checked against a saved plan after waiting for
	 * them (hostlock_wait_free): a lock another run took since means
	 * that check is out of date, so it is refused at once, never
	 * waited for.
	 */
	bool checked;
	void (*say)(bool warning, const char *text, void *payload);
	void *payload;

	struct val *held;      /* the lock names held now (a list), or NULL */
	/* for metrics: how many waits started, and their seconds in all */
	unsigned long waits;
	double waited;
};

/*
 * Set *hl up for run `run_id` on `store` (borrowed: it must outlive *hl),
 * waiting up to `timeout` seconds for a held lock. `say` may be NULL.
 * Release with hostlock_release.
 */
void hostlock_init(struct hostlock *hl, struct store *store,
		   long long run_id, long long timeout,
		   void (*say)(bool warning, const char *text, void *payload),
		   void *payload);

/*
 * Lock hosts `hosts` (nr of them; duplicates allowed), waiting for each
 * as the header says. The names are taken in sorted order, so two runs
 * that want some of the same hosts both want them in one order: the one
 * that holds the first name they share gets the others too, and neither
 * can hold what the other waits for. On success every host is held (and
 * listed in hl->held) until hostlock_unlock. On an error nothing is held:
 * TEND_ELOCKED (the message as the header says), TEND_EINTERRUPTED, or
 * -1 (the store failed).
 */
int hostlock_lock(struct hostlock *hl, const char *const *hosts, size_t nr);

/* Release every lock hl holds (none: nothing to do). Cannot fail. */
void hostlock_unlock(struct hostlock *hl);

/*
 * Wait until none of `hosts` is locked by another live run, taking none
 * (a saved plan's apply, before its read-only check: a check made while
 * another run changes the host says nothing of it). Waits and refuses as
 * hostlock_lock, and sets hl->checked. Returns 0, TEND_ELOCKED,
 * TEND_EINTERRUPTED or -1.
 */
int hostlock_wait_free(struct hostlock *hl, const char *const *hosts,
		       size_t nr);

/* Unlock and free what hl owns; the counts stay. NULL-safe. */
void hostlock_release(struct hostlock *hl);

#endif
