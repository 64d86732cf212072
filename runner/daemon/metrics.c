#include "tend/common.h"
#include "tend/daemon/daemon_int.h"
#include "tend/store/store.h"
#include "tend/util/buf.h"

/*
 * /metrics in Prometheus's text exposition format 0.0.4: HELP and TYPE
 * once per family, label values escaped (backslash, quote, newline).
 */

static void label(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_addch(out, '\\');
		if (*v == '\n') {
			buf_adds(out, "\\n");
			continue;
		}
		buf_addch(out, *v);
	}
}

static void family(struct buf *out, const char *name, const char *type,
		   const char *help)
{
	buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{key="value"} number */
static void sample(struct buf *out, const char *name, const char *key,
		   const char *value, double n)
{
	buf_adds(out, name);
	if (key) {
		buf_addf(out, "{%s=\"", key);
		label(out, value);
		buf_adds(out, "\"}");
	}
	buf_addf(out, " %.17g\n", n);
}

static double m_last_start(const struct dsched_state *s)
{
	return (double)s->last_start;
}

static double m_last_duration(const struct dsched_state *s)
{
	return s->last_end ? s->last_duration : -1;
}

static double m_running(const struct dsched_state *s)
{
	return s->running ? 1 : 0;
}

static double m_skipped(const struct dsched_state *s)
{
	return (double)s->skipped;
}

static double m_changed(const struct dsched_state *s)
{
	return (double)s->changed_total;
}

static double m_drifted(const struct dsched_state *s)
{
	return (double)s->hosts_drifted;
}

static double m_lock_waits(const struct dsched_state *s)
{
	return (double)s->lock_waits;
}

/* The per-schedule families; a value < 0 (or a 0 time) is left out. */
static const struct sched_metric {
	const char *name, *type, *help;
	double (*value)(const struct dsched_state *s);
	bool is_time;
} sched_metrics[] = {
	{ "tend_run_last_start_timestamp_seconds", "gauge",
	  "When each schedule's last run started (Unix time).",
	  m_last_start, true },
	{ "tend_run_last_duration_seconds", "gauge",
	  "How long each schedule's last finished run took.",
	  m_last_duration, false },
	{ "tend_run_running", "gauge",
	  "1 while a run of the schedule is in flight.", m_running, false },
	{ "tend_runs_skipped_total", "counter",
	  "Starts skipped because the schedule's run was still going.",
	  m_skipped, false },
	{ "tend_tasks_changed_total", "counter",
	  "Tasks the schedule's applies changed.", m_changed, false },
	{ "tend_hosts_drifted", "gauge",
	  "Hosts the schedule's last plan found drifted.", m_drifted, false },
	{ "tend_lock_waits_total", "counter",
	  "Applies that waited for a host another run held.",
	  m_lock_waits, false },
};

static void run_families(struct buf *out, struct daemon *d)
{
	family(out, "tend_runs_total", "counter",
	       "Runs the daemon started, by schedule and how they ended.");
	for (size_t i = 0; i < d->sch_nr; i++) {
		const struct val *runs = d->sch[i].runs;

		for (size_t j = 0; j < val_len(runs); j++) {
			buf_adds(out, "tend_runs_total{schedule=\"");
			label(out, d->sch[i].name);
			buf_adds(out, "\",status=\"");
			label(out, runs->u.dict.items[j].key);
			buf_addf(out, "\"} %lld\n",
				 runs->u.dict.items[j].v->u.i);
		}
	}
	for (size_t m = 0; m < ARRAY_SIZE(sched_metrics); m++) {
		const struct sched_metric *sm = &sched_metrics[m];

		family(out, sm->name, sm->type, sm->help);
		for (size_t i = 0; i < d->sch_nr; i++) {
			double v = sm->value(&d->sch[i]);

			if (v < 0 || (sm->is_time && v == 0))
				continue;
			sample(out, sm->name, "schedule", d->sch[i].name, v);
		}
	}
}

static void source_families(struct buf *out, struct daemon *d)
{
	family(out, "tend_git_fetches_total", "counter",
	       "Fetches of each git source.");
	for (size_t i = 0; i < d->src_nr; i++)
		sample(out, "tend_git_fetches_total", "source",
		       d->src[i].name, (double)d->src[i].fetches);
	family(out, "tend_git_fetch_failures_total", "counter",
	       "Fetches of each git source that failed.");
	for (size_t i = 0; i < d->src_nr; i++)
		sample(out, "tend_git_fetch_failures_total", "source",
		       d->src[i].name, (double)d->src[i].fetch_failures);
	family(out, "tend_git_last_fetch_timestamp_seconds", "gauge",
	       "When each source was last fetched (Unix time).");
	for (size_t i = 0; i < d->src_nr; i++)
		if (d->src[i].last_fetch)
			sample(out, "tend_git_last_fetch_timestamp_seconds",
			       "source", d->src[i].name,
			       (double)d->src[i].last_fetch);
}

long long dmetrics_open_windows(const struct daemon *d)
{
	struct store *s = NULL;
	struct val *ids = NULL;
	long long n = -1;

	if (store_open(&s, d->state_path) == 0 &&
	    store_window_ids(&ids, s, true) == 0)
		n = (long long)val_len(ids);
	else
		tend_error_clear();
	val_unref(ids);
	store_close(s);
	return n;
}

void dmetrics_write(struct buf *out, struct daemon *d, long long windows)
{
	run_families(out, d);
	source_families(out, d);
	if (windows >= 0) {
		family(out, "tend_windows_open", "gauge",
		       "Maintenance windows open now.");
		sample(out, "tend_windows_open", NULL, NULL, (double)windows);
	}
	family(out, "tend_runs_in_flight", "gauge", "Runs in flight now.");
	sample(out, "tend_runs_in_flight", NULL, NULL, (double)d->running);
	family(out, "tend_config_reloads_total", "counter",
	       "SIGHUP reloads, by result.");
	sample(out, "tend_config_reloads_total", "result", "ok",
	       (double)d->reloads);
	sample(out, "tend_config_reloads_total", "result", "refused",
	       (double)d->reload_failures);
	family(out, "tend_http_unauthorized_total", "counter",
	       "HTTP calls refused for want of the token.");
	sample(out, "tend_http_unauthorized_total", NULL, NULL,
	       (double)d->http_denied);
	family(out, "tend_daemon_start_timestamp_seconds", "gauge",
	       "When the daemon started (Unix time).");
	sample(out, "tend_daemon_start_timestamp_seconds", NULL, NULL,
	       (double)d->started);
}
