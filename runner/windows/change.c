#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/cron.h"
#include "tend/util/duration.h"
#include "tend/windows/window.h"
#include "tend/windows/window_int.h"

/*
 * Change windows: cron-scheduled periods in which applying is allowed or
 * refused (a Friday freeze), checked before a run touches anything.
 */

static int in_change_window(bool *inside, time_t *end,
			    const struct change_window *cw, time_t t)
{
	time_t start;
	int error;

	*inside = false;
	/* an occurrence that started in (t - duration, t] covers t */
	error = cron_next(&start, &cw->start, t - (time_t)cw->duration,
			  cw->tz);
	if (error == TEND_ENOTFOUND) {
		tend_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	if (start <= t) {
		time_t s2 = start, e = start + (time_t)cw->duration;

		/* a later start may still cover t: take the latest end */
		while (cron_next(&s2, &cw->start, s2, cw->tz) == 0 && s2 <= t)
			e = s2 + (time_t)cw->duration;
		tend_error_clear();
		*inside = true;
		*end = e;
	}
	return 0;
}

static void describe_cw(struct buf *out, const struct change_window *cw)
{
	buf_addf(out, "%s window", cw->deny ? "deny" : "allow");
	if (cw->name)
		buf_addf(out, " '%s'", cw->name);
	buf_addf(out, " (%s for ", cw->expr);
	duration_format(out, cw->duration);
	buf_addf(out, ", %s)", cw->tz ? cw->tz : "UTC");
}

int change_window_check(time_t now, const struct change_window *cws,
			size_t cws_nr, bool *allowed, time_t *next_open,
			char **reason)
{
	struct buf why = BUF_INIT;
	bool have_allow = false;
	time_t t = now;
	int error = 0;

	*allowed = true;
	*next_open = now;
	*reason = NULL;
	for (size_t i = 0; i < cws_nr; i++)
		have_allow |= !cws[i].deny;

	/* walk forward until a time that no rule refuses (bounded) */
	for (int round = 0; round < 1000; round++) {
		const struct change_window *blocker = NULL;
		time_t until = 0;
		bool in_allow = !have_allow;

		for (size_t i = 0; i < cws_nr; i++) {
			const struct change_window *cw = &cws[i];
			bool inside;
			time_t end;

			if ((error = in_change_window(&inside, &end, cw,
						      t)) < 0)
				goto out;
			if (!inside)
				continue;
			if (!cw->deny) {
				in_allow = true;
			} else if (!blocker || end > until) {
				blocker = cw;
				until = end;
			}
		}
		if (blocker) {
			if (round == 0) {
				buf_adds(&why, "inside ");
				describe_cw(&why, blocker);
			}
			t = until;
			continue;
		}
		if (!in_allow) {
			time_t next = 0;

			if (round == 0)
				buf_adds(&why, "outside every allow window");
			for (size_t i = 0; i < cws_nr; i++) {
				const struct change_window *cw =
					&cws[i];
				time_t s;

				if (cw->deny)
					continue;
				if (cron_next(&s, &cw->start, t, cw->tz) < 0) {
					tend_error_clear();
					continue;
				}
				if (!next || s < next)
					next = s;
			}
			if (!next) {
				t = 0;
				break;
			}
			t = next;
			continue;
		}
		break;
	}
	if (t != now) {
		*allowed = false;
		*next_open = t;
		if (t) {
			buf_adds(&why, "; changes allowed again at ");
			window_fmt_minute(&why, t);
		} else {
			buf_adds(&why, "; no allowed time found");
		}
		*reason = buf_detach(&why, NULL);
	}
out:
	buf_release(&why);
	return error;
}
