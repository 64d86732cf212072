#include "tend/common.h"
#include "tend/daemon/daemon_int.h"
#include "tend/util/buf.h"

#include <stdarg.h>
#include <sys/time.h>
#include <unistd.h>

/*
 * The daemon's log: one line per event on stderr (journald or a file
 * keeps it), "2026-12-03T06:30:00.123Z info run=12 message" or, with
 * --log-format json, {"time", "level", "run_id", "msg"}. One write per
 * line, so lines of the loop and the HTTP thread never interleave.
 */

static bool log_json;

void dlog_init(bool json)
{
	log_json = json;
}

static const char *const level_names[] = { "info", "warn", "error" };

void dlog(int level, long long run_id, const char *fmt, ...)
{
	struct buf msg = BUF_INIT, line = BUF_INIT;
	struct timeval tv;
	struct tm tm;
	char when[40];
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	if (log_json) {
		struct val *v = val_dict();

		buf_addf(&line, "%s.%03dZ", when, (int)(tv.tv_usec / 1000));
		val_dict_set_str(v, "time", line.ptr);
		val_dict_set_str(v, "level", level_names[level]);
		if (run_id > 0)
			val_dict_set_int(v, "run_id", run_id);
		val_dict_set_str(v, "msg", msg.ptr);
		buf_reset(&line);
		val_to_json(&line, v, 0);
		val_unref(v);
	} else {
		buf_addf(&line, "%s.%03dZ %s ", when, (int)(tv.tv_usec / 1000),
			 level_names[level]);
		if (run_id > 0)
			buf_addf(&line, "run=%lld ", run_id);
		buf_adds(&line, msg.ptr);
	}
	buf_addch(&line, '\n');
	if (write(2, line.ptr, line.len) < 0) {
		/* nowhere left to say it */
	}
	buf_release(&msg);
	buf_release(&line);
}
