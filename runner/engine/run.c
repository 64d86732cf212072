/*
 * The run's state: its mode, its clock and the events of the current step.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/engine/run_int.h"

#include <sodium.h>
#include <time.h>

bool run_is_plan(const struct hostctx *hc)
{
	return hc->pc->rs->opts->mode == RUN_PLAN;
}

double run_now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A copy of s scrubbed of secrets, for an event. */
static char *scrubbed(const char *s, const struct val *secrets)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, s);
	run_scrub(&b, secrets);
	return buf_detach(&b, NULL);
}

/*
 * Every message and label of a run passes here, whatever made it (a
 * module, a template error that quotes a value, an include's file
 * name): the one place they are scrubbed of the host's secrets, and
 * hidden under no_log (as Ansible: a failure says why nothing is shown,
 * an item is "None").
 */
void run_add_event(struct hostctx *hc, const struct task *t,
	       enum event_status st, const char *label,
	       const char *msg)
{
	struct hoststate *hs = hc->hs;
	struct run_event *ev;
	struct buf name = BUF_INIT;
	struct val *secrets = run_secrets(hc);

	ALLOC_GROW(hs->ev, hs->ev_nr + 1, hs->ev_alloc);
	ev = &hs->ev[hs->ev_nr++];
	memset(ev, 0, sizeof(*ev));
	if (t) {
		task_display_name(&name, t);
		ev->module = xstrdup(t->action);
		ev->pos = t->pos;
	} else {
		buf_adds(&name, "Gathering Facts");
		ev->module = xstrdup("gather_facts");
	}
	ev->task = buf_detach(&name, NULL);
	ev->host = xstrdup(hs->name);
	ev->status = st;
	ev->handler = hc->handler;
	if (hc->no_log) {
		label = label ? "None" : NULL;
		msg = msg && *msg && (st == EV_FAILED || st == EV_UNREACHABLE ||
				      st == EV_UNKNOWN) ? NO_LOG_MSG : NULL;
	}
	ev->label = label ? scrubbed(label, secrets) : NULL;
	ev->msg = msg && *msg ? scrubbed(msg, secrets) : NULL;
	val_unref(secrets);
}

struct run_event *run_last_event(struct hostctx *hc)
{
	return &hc->hs->ev[hc->hs->ev_nr - 1];
}

/* The fingerprint of a check (see struct run_event). */
void run_fingerprint(struct run_event *ev, enum event_status st,
		 const struct check_result *cr)
{
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	const char *name = event_status_name(st, RUN_PLAN);

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)name,
				  strlen(name) + 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)cr->changes.ptr,
				  cr->changes.len + 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)cr->diff.ptr,
				  cr->diff.len);
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(ev->fingerprint, sizeof(ev->fingerprint), md, sizeof(md));
}
