#include "tend/common.h"
#include "tend/util/duration.h"
#include "tend/data/result.h"
#include "tend/report/report.h"
#include "tend/cli/cli_int.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

int cli_open_state(struct store **out, struct cli_args *a)
{
	if (store_open(out, a->state_path) < 0 || store_reap(*out) < 0)
		return cli_err("%s", tend_error_last());
	return 0;
}

static const char *vstr(const struct val *d, const char *key)
{
	const char *s = val_cstr(val_dict_get(d, key));

	return s ? s : "";
}

static long long vint(const struct val *d, const char *key)
{
	const struct val *v = val_dict_get(d, key);

	return val_is(v, VAL_INT) ? v->u.i : 0;
}

static int window_open_cmd(struct cli_args *a, const struct config *cfg,
			   struct store *st)
{
	struct val *hosts = cli_split_tags(NULL, a->hosts_arg ? a->hosts_arg : "");
	const char **names = xcalloc(val_len(hosts) + 1, sizeof(*names));
	struct window *w = NULL;
	struct window_opts o = { .settings = &cfg->maintenance, .store = st, .run_id = 0,
				 .reason = a->reason };
	long long secs = 0;
	int rc = 0;

	if (!val_len(hosts) || !a->reason || !a->duration) {
		rc = cli_err("usage: tend window open --hosts H1,H2 --duration 30m "
			 "--reason TEXT");
		goto out;
	}
	if (duration_parse(&secs, a->duration) < 0) {
		rc = cli_err("%s", tend_error_last());
		goto out;
	}
	for (size_t i = 0; i < val_len(hosts); i++)
		names[i] = val_cstr(val_list_at(hosts, i));
	o.hosts = names;
	o.hosts_nr = val_len(hosts);
	o.duration = secs;
	if (window_open(&w, &o) < 0) {
		rc = cli_err("%s", tend_error_last());
		goto out;
	}
	if (!w) {
		rc = cli_err("no maintenance providers are configured in tend.yml");
		goto out;
	}
	printf("window %lld open on %zu host%s until %s", w->id, o.hosts_nr,
	       o.hosts_nr == 1 ? "" : "s", ctime(&w->ends_at));
	window_free(w);
out:
	free(names);
	val_unref(hosts);
	return rc;
}

static int window_list_cmd(struct cli_args *a, struct store *st)
{
	struct val *l = NULL;
	struct buf out = BUF_INIT;

	if (window_list(&l, st, a->all) < 0)
		return cli_err("%s", tend_error_last());
	if (a->format && !strcmp(a->format, "json")) {
		struct val *doc = cli_json_doc("windows", val_ref(l));

		cli_print_json(doc);
		val_unref(doc);
	} else {
		buf_addf(&out, "%-6s %-8s %-7s %-20s %s\n", "ID", "STATUS",
			 "RUN", "ENDS", "HOSTS / REASON");
		for (size_t i = 0; i < val_len(l); i++) {
			const struct val *w = val_list_at(l, i);
			const struct val *hosts = val_dict_get(w, "hosts");
			time_t ends = (time_t)vint(w, "ends_at");
			char when[32];
			struct tm tm;

			gmtime_r(&ends, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			buf_addf(&out, "%-6lld %-8s %-7lld %-20s ", vint(w, "id"),
				 vstr(w, "status"), vint(w, "run_id"), when);
			for (size_t j = 0; j < val_len(hosts); j++)
				buf_addf(&out, "%s%s", j ? "," : "",
					 val_cstr(val_list_at(hosts, j)));
			if (vstr(w, "reason")[0])
				buf_addf(&out, " (%s)", vstr(w, "reason"));
			buf_addch(&out, '\n');
		}
	}
	fputs(out.ptr, stdout);
	buf_release(&out);
	val_unref(l);
	return 0;
}

int cmd_window(struct cli_args *a)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	const char *verb = a->pos_nr ? a->pos[0] : "";
	int rc;

	if (strcmp(verb, "open") && strcmp(verb, "list") && strcmp(verb, "close"))
		return cli_err("usage: tend window open|list|close (see 'tend help "
			   "window')");
	if ((rc = cli_load_config(&cfg, a)))
		return rc;
	if ((rc = cli_open_state(&st, a)))
		goto out;
	window_reap(st, NULL);
	if (!strcmp(verb, "open")) {
		rc = window_open_cmd(a, cfg, st);
	} else if (!strcmp(verb, "list")) {
		rc = window_list_cmd(a, st);
	} else {
		struct val *firing = NULL;
		char *end = NULL;
		long long id = a->pos_nr == 2 ? strtoll(a->pos[1], &end, 10) : 0;

		if (id <= 0 || *end) {
			rc = cli_err("usage: tend window close ID");
			goto out;
		}
		if (window_close_id(&firing, st, id) < 0) {
			rc = cli_err("%s", tend_error_last());
			goto out;
		}
		printf("window %lld closed\n", id);
		cli_report_firing(firing);
		val_unref(firing);
	}
out:
	store_close(st);
	config_free(cfg);
	return rc;
}

int cmd_history(struct cli_args *a)
{
	struct store *st = NULL;
	struct val *runs = NULL;
	struct buf out = BUF_INIT;
	int rc;

	if ((rc = cli_open_state(&st, a)))
		return rc;
	if (store_history(&runs, st, a->history_limit ? a->history_limit :
			  20) < 0) {
		rc = cli_err("%s", tend_error_last());
		goto out;
	}
	if (a->format && !strcmp(a->format, "json")) {
		struct val *doc = cli_json_doc("runs", val_ref(runs));

		cli_print_json(doc);
		val_unref(doc);
	} else {
		buf_addf(&out, "%-6s %-20s %-6s %-11s %5s %4s %7s %6s  %s\n",
			 "ID", "STARTED", "MODE", "STATUS", "HOSTS", "OK",
			 "CHANGED", "FAILED", "PLAYBOOK");
		for (size_t i = 0; i < val_len(runs); i++) {
			const struct val *r = val_list_at(runs, i);

			buf_addf(&out, "%-6lld %-20s %-6s %-11s %5lld %4lld "
				 "%7lld %6lld  %s\n", vint(r, "id"),
				 vstr(r, "started"), vstr(r, "mode"),
				 vstr(r, "status"), vint(r, "hosts"),
				 vint(r, "ok"), vint(r, "changed"),
				 vint(r, "failed") + vint(r, "unreachable"),
				 vstr(r, "playbook"));
		}
	}
	fputs(out.ptr, stdout);
out:
	buf_release(&out);
	val_unref(runs);
	store_close(st);
	return rc;
}

/* Where a result's error and failure detail start: under its task. */
#define SHOW_PAD "              "

static void show_text(struct buf *out, const struct val *run, long long id)
{
	const struct val *results = val_dict_get(run, "results");
	const char *host = NULL;
	struct buf detail = BUF_INIT;

	buf_addf(out, "run %lld: %s %s, %s\n", id, vstr(run, "mode"),
		 vstr(run, "playbook"), vstr(run, "status"));
	buf_addf(out, "started %s by %s, finished %s\n", vstr(run, "started"),
		 vstr(run, "user"),
		 vstr(run, "finished")[0] ? vstr(run, "finished") : "-");
	for (size_t i = 0; i < val_len(results); i++) {
		const struct val *r = val_list_at(results, i);

		if (!host || strcmp(host, vstr(r, "host"))) {
			host = vstr(r, "host");
			buf_addf(out, "\n%s\n", host);
		}
		buf_addf(out, "  %-11s %s", vstr(r, "status"), vstr(r, "task"));
		if (vstr(r, "item")[0])
			buf_addf(out, " (item=%s)", vstr(r, "item"));
		if (vstr(r, "diff")[0])
			buf_addf(out, "  [%s]", vstr(r, "diff"));
		buf_addch(out, '\n');
		if (vstr(r, "error")[0])
			report_text_lines(out, vstr(r, "error"), SHOW_PAD);
		buf_reset(&detail);
		result_detail_text(&detail, r, false);
		if (detail.len)
			report_text_lines(out, detail.ptr, SHOW_PAD);
	}
	buf_release(&detail);
}

int cmd_show(struct cli_args *a)
{
	struct store *st = NULL;
	struct val *run = NULL;
	struct buf out = BUF_INIT;
	char *end;
	long long id;
	int rc;

	if (a->pos_nr != 1)
		return cli_err("usage: tend show RUN_ID");
	id = strtoll(a->pos[0], &end, 10);
	if (*end || id <= 0)
		return cli_err("'%s' is not a run id", a->pos[0]);
	if ((rc = cli_open_state(&st, a)))
		return rc;
	if (store_show(&run, st, id) < 0) {
		rc = cli_err("%s", tend_error_last());
		goto out;
	}
	if (a->format && !strcmp(a->format, "json")) {
		struct val *doc = cli_json_doc("run", val_ref(run));

		cli_print_json(doc);
		val_unref(doc);
	} else {
		show_text(&out, run, id);
	}
	fputs(out.ptr, stdout);
out:
	buf_release(&out);
	val_unref(run);
	store_close(st);
	return rc;
}
