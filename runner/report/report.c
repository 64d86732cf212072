#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/report/report.h"
#include "tend/data/val.h"

#define C_RESET "\033[0m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_RED "\033[31m"
#define C_CYAN "\033[36m"
#define C_MAGENTA "\033[35m"
#define C_BOLD "\033[1m"


/*
 * A playbook path as reports show it: relative to a git source's
 * checkout when it is inside it (site.yml:4, as the repository names
 * it, not the cache directory's absolute path), else as it is.
 */
static const char *shown_path(const struct report_opts *o, const char *path)
{
	size_t n = o->root ? strlen(o->root) : 0;

	if (path && n && !strncmp(path, o->root, n) && path[n] == '/')
		return path + n + 1;
	return path;
}
static const char *status_color(enum event_status s)
{
	switch (s) {
	case EV_OK:
		return C_GREEN;
	case EV_CHANGED:
		return C_YELLOW;
	case EV_UNKNOWN:
		return C_MAGENTA;
	case EV_SKIPPED:
		return C_CYAN;
	default:
		return C_RED;
	}
}

static void color(struct buf *out, const struct report_opts *o,
		  const char *c)
{
	if (o->color)
		buf_adds(out, c);
}

static const char *plan_mark(enum event_status s)
{
	switch (s) {
	case EV_OK:
		return "=";
	case EV_CHANGED:
		return "~";
	case EV_UNKNOWN:
		return "?";
	case EV_SKIPPED:
		return "-";
	default:
		return "!";
	}
}

/*
 * n bytes of s for a terminal: control characters (C0 but newline and
 * tab, DEL, and C1 as UTF-8) as \xNN. Host output, file contents and
 * names reach the text reports, and a host could otherwise send escape
 * sequences that clear the screen, retitle it, or move the cursor up to
 * overwrite "failed" with "ok".
 */
static void term_text(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n; i++) {
		if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') ||
		    p[i] == 0x7f) {
			buf_addf(out, "\\x%02x", p[i]);
		} else if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 &&
			   p[i + 1] <= 0x9f) {
			buf_addf(out, "\\u%04x", p[i + 1]);
			i++;
		} else {
			buf_addch(out, (char)p[i]);
		}
	}
}

static void term_str(struct buf *out, const char *s)
{
	term_text(out, s, strlen(s));
}

/* Each line of `text` indented by `pad`, diff lines coloured. */
static void indented(struct buf *out, const char *text, const char *pad,
		     const struct report_opts *o, bool is_diff)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *c = NULL;

		if (is_diff && o->color) {
			if (*p == '+' && strncmp(p, "+++", 3))
				c = C_GREEN;
			else if (*p == '-' && strncmp(p, "---", 3))
				c = C_RED;
			else if (*p == '@')
				c = C_CYAN;
		}
		buf_adds(out, pad);
		if (c)
			buf_adds(out, c);
		term_text(out, p, n);
		if (c)
			buf_adds(out, C_RESET);
		buf_addch(out, '\n');
		p += n + (nl ? 1 : 0);
	}
}

void report_text_lines(struct buf *out, const char *text, const char *pad)
{
	static const struct report_opts plain;

	indented(out, text, pad, &plain, false);
}

/*
 * What the provisioning modules will do (lxd_instance): the lines of
 * their changes that start "+ create ", "~ change " or "- destroy ", one
 * per instance (modkit/module.h), counted over the events that change.
 */
static void resource_counts(unsigned n[3], const struct run_result *r)
{
	static const char *const words[3] = { "+ create ", "~ change ",
					      "- destroy " };

	n[0] = n[1] = n[2] = 0;
	for (size_t i = 0; i < r->nr; i++) {
		const char *p = r->events[i].changes;

		const char *m = r->events[i].module;
		size_t ml = m ? strlen(m) : 0;

		/* the provisioning modules: lxd_instance (any prefix) */
		if (r->events[i].status != EV_CHANGED || !p || ml < 12 ||
		    strcmp(m + ml - 12, "lxd_instance"))
			continue;
		for (; *p; p += strcspn(p, "\n"), p += *p == '\n') {
			p += strspn(p, " ");
			for (size_t k = 0; k < 3; k++)
				if (!strncmp(p, words[k], strlen(words[k])))
					n[k]++;
		}
	}
}

void report_plan_summary(struct buf *out, const struct run_result *r)
{
	unsigned res[3];
	unsigned change = 0, ok = 0, unknown = 0, failed = 0, unreach = 0;

	for (size_t i = 0; i < r->nr; i++) {
		const struct run_event *ev = &r->events[i];

		if (ev->handler && ev->status == EV_SKIPPED)
			continue;
		switch (ev->status) {
		case EV_CHANGED:
			change++;
			break;
		case EV_OK:
			ok++;
			break;
		case EV_UNKNOWN:
			unknown++;
			break;
		case EV_FAILED:
			if (!ev->ignored)
				failed++;
			break;
		case EV_UNREACHABLE:
			unreach++;
			break;
		default:
			break;
		}
	}
	buf_addf(out, "Plan: %u to change, %u ok, %u unknown", change, ok,
		 unknown);
	if (failed)
		buf_addf(out, ", %u failed", failed);
	if (unreach)
		buf_addf(out, ", %u unreachable", unreach);
	buf_addf(out, " on %zu host%s.", r->hosts_nr,
		 r->hosts_nr == 1 ? "" : "s");
	resource_counts(res, r);
	if (res[0] || res[1] || res[2])
		buf_addf(out, " Instances: %u to create, %u to change, %u to "
			 "destroy.", res[0], res[1], res[2]);
}

static void source_header(struct buf *out, const struct report_opts *o)
{
	if (!o->commit)
		return;
	buf_addf(out, "Source: %s %s @ %.12s", o->source ? o->source : "",
		 o->ref ? o->ref : "", o->commit);
	if (o->subject)
		buf_addf(out, " \"%s\"", o->subject);
	if (o->author)
		buf_addf(out, " by %s", o->author);
	buf_adds(out, "\n\n");
}

void report_plan_text(struct buf *out, const struct run_result *r,
		      const struct report_opts *o)
{
	source_header(out, o);
	for (size_t h = 0; h < r->hosts_nr; h++) {
		const char *host = r->hosts[h].host;
		const char *play = NULL;

		color(out, o, C_BOLD);
		term_str(out, host);
		buf_addch(out, '\n');
		color(out, o, C_RESET);
		for (size_t i = 0; i < r->nr; i++) {
			const struct run_event *ev = &r->events[i];

			if (strcmp(ev->host, host))
				continue;
			if (!play || strcmp(play, ev->play)) {
				play = ev->play;
				buf_adds(out, "  play: ");
				term_str(out, *play ? play : "(unnamed)");
				buf_addch(out, '\n');
			}
			/* -vvvv: the connection its call opened */
			if (o->verbosity >= 4 && ev->conn_detail)
				indented(out, ev->conn_detail, "    ", o, false);
			buf_adds(out, "    ");
			color(out, o, status_color(ev->status));
			buf_addf(out, "%s %-7s", plan_mark(ev->status),
				 event_status_name(ev->status, RUN_PLAN));
			color(out, o, C_RESET);
			buf_addf(out, " %s", ev->handler ? "handler: " : "");
			term_str(out, ev->task);
			if (ev->label) {
				buf_adds(out, " (item=");
				term_str(out, ev->label);
				buf_addch(out, ')');
			}
			if (ev->delegate) {
				buf_adds(out, " -> ");
				term_str(out, ev->delegate);
			}
			if (ev->pos.file)
				buf_addf(out, "  [%s:%u]",
					 shown_path(o, ev->pos.file),
					 ev->pos.line);
			buf_addch(out, '\n');
			if (ev->changes)
				indented(out, ev->changes, "          ", o, false);
			if (ev->diff)
				indented(out, ev->diff, "          ", o, true);
			if (ev->msg && (ev->status == EV_FAILED ||
					ev->status == EV_UNREACHABLE ||
					ev->status == EV_UNKNOWN ||
					!strcmp(ev->module, "debug")))
				indented(out, ev->msg, "          ", o, false);
		}
		buf_addch(out, '\n');
	}
	report_plan_summary(out, r);
	buf_addch(out, '\n');
}

static void json_event(struct val *tasks, const struct run_event *ev,
		       const struct report_opts *o)
{
	struct val *t = val_dict();

	val_dict_set_str(t, "play", ev->play);
	val_dict_set_str(t, "task", ev->task);
	val_dict_set_str(t, "module", ev->module);
	if (ev->pos.file) {
		val_dict_set_str(t, "file", shown_path(o, ev->pos.file));
		val_dict_set_int(t, "line", ev->pos.line);
	}
	val_dict_set_str(t, "status", event_status_name(ev->status, RUN_APPLY));
	val_dict_set_bool(t, "handler", ev->handler);
	val_dict_set(t, "item", ev->label ? val_str(ev->label) : val_null());
	if (ev->delegate)
		val_dict_set_str(t, "delegate_to", ev->delegate);
	val_dict_set(t, "diff", ev->diff ? val_str(ev->diff) : val_null());
	{
		struct val *ch = val_list();
		const char *p = ev->changes;

		while (p && *p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			if (n)
				val_list_push(ch, val_strn(p, n));
			p += n + (nl ? 1 : 0);
		}
		val_dict_set(t, "changes", ch);
	}
	val_dict_set(t, "msg", ev->msg ? val_str(ev->msg) : val_null());
	if (ev->result) {
		struct val *res = NULL;

		/* text a short secret piece replaced is no JSON: kept as text */
		if (val_from_json(&res, ev->result, strlen(ev->result)) < 0)
			res = val_str(ev->result);
		val_dict_set(t, "result", res);
	}
	val_dict_set_bool(t, "ignored", ev->ignored);
	val_dict_set_bool(t, "rescued", ev->rescued);
	val_list_push(tasks, t);
}

/* The host's recap counts, by the names of the statuses (docs/plan-format.md). */
static struct val *host_stats_val(const struct host_stats *st)
{
	struct val *s = val_dict();

	/* as Ansible's recap (and tend's text one): ok counts changed too */
	val_dict_set_int(s, "ok", st->ok + st->changed);
	val_dict_set_int(s, "changed", st->changed);
	val_dict_set_int(s, "unknown", st->unknown);
	val_dict_set_int(s, "skipped", st->skipped);
	val_dict_set_int(s, "failed", st->failed);
	val_dict_set_int(s, "unreachable", st->unreachable);
	val_dict_set_int(s, "rescued", st->rescued);
	val_dict_set_int(s, "ignored", st->ignored);
	return s;
}

/*
 * A plan's drift report for `host`: drift is true when some task will
 * change it (unknown is not drift: plan-format.md), and drift_tasks
 * names those tasks, as CI and the daemon read it.
 */
static void json_drift(struct val *hv, const struct run_result *r,
		       const char *host, const struct report_opts *o)
{
	struct val *tasks = val_list();

	for (size_t i = 0; i < r->nr; i++) {
		const struct run_event *ev = &r->events[i];
		struct val *t;

		if (strcmp(ev->host, host) || ev->status != EV_CHANGED)
			continue;
		t = val_dict();
		val_dict_set_str(t, "task", ev->task);
		if (ev->pos.file) {
			val_dict_set_str(t, "file", shown_path(o, ev->pos.file));
			val_dict_set_int(t, "line", ev->pos.line);
		}
		val_dict_set(t, "item", ev->label ? val_str(ev->label) :
			     val_null());
		val_list_push(tasks, t);
	}
	val_dict_set_bool(hv, "drift", val_len(tasks) > 0);
	val_dict_set(hv, "drift_tasks", tasks);
}

/* summary.instances: what resource_counts counts, as a dict. */
static struct val *instances_val(const struct run_result *r)
{
	unsigned res[3];
	struct val *v = val_dict();

	resource_counts(res, r);
	val_dict_set_int(v, "create", res[0]);
	val_dict_set_int(v, "change", res[1]);
	val_dict_set_int(v, "destroy", res[2]);
	return v;
}

void report_json(struct buf *out, const struct run_result *r,
		 const struct report_opts *o)
{
	struct val *doc = val_dict(), *hosts = val_list(), *sum = val_dict();
	unsigned counts[6] = { 0 };
	static const char *const names[] = { "ok", "changed", "unknown",
					     "skipped", "failed", "unreachable" };

	val_dict_set_int(doc, "format_version", REPORT_JSON_FORMAT);
	val_dict_set_str(doc, "tend_version", TEND_VERSION);
	val_dict_set_str(doc, "mode", o->mode == RUN_PLAN ? "plan" : "apply");
	val_dict_set_str(doc, "playbook", o->playbook ?
			 shown_path(o, o->playbook) : "");
	val_dict_set(doc, "run_id", o->run_id > 0 ? val_int(o->run_id) :
		     val_null());
	if (o->mode == RUN_APPLY) {
		struct val *lw = val_dict();

		val_dict_set_int(lw, "count", (long long)o->lock_waits);
		/* to the millisecond: a reader wants seconds, not noise */
		val_dict_set(lw, "seconds", val_float((double)(long long)
			     (o->lock_wait_seconds * 1000 + 0.5) / 1000));
		val_dict_set(doc, "lock_waits", lw);
	}
	if (o->commit) {
		struct val *src = val_dict();

		val_dict_set(src, "url", o->source ? val_str(o->source) :
			     val_null());
		val_dict_set(src, "ref", o->ref ? val_str(o->ref) : val_null());
		val_dict_set_str(src, "commit", o->commit);
		val_dict_set(src, "subject", o->subject ? val_str(o->subject) :
			     val_null());
		val_dict_set(src, "author", o->author ? val_str(o->author) :
			     val_null());
		val_dict_set(doc, "source", src);
	}
	for (size_t h = 0; h < r->hosts_nr; h++) {
		struct val *hv = val_dict(), *tasks = val_list();
		const struct host_stats *st = &r->hosts[h];

		val_dict_set_str(hv, "host", st->host);
		for (size_t i = 0; i < r->nr; i++)
			if (!strcmp(r->events[i].host, st->host)) {
				json_event(tasks, &r->events[i], o);
				if (!r->events[i].ignored)
					counts[r->events[i].status]++;
			}
		val_dict_set(hv, "tasks", tasks);
		val_dict_set(hv, "stats", host_stats_val(st));
		if (o->mode == RUN_PLAN)
			json_drift(hv, r, st->host, o);
		val_list_push(hosts, hv);
	}
	val_dict_set(doc, "hosts", hosts);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		val_dict_set_int(sum, names[i], counts[i]);
	val_dict_set_int(sum, "hosts", (long long)r->hosts_nr);
	val_dict_set(sum, "instances", instances_val(r));
	val_dict_set(doc, "summary", sum);
	val_dict_set_bool(doc, "interrupted", r->interrupted);
	val_to_json(out, doc, 2);
	buf_addch(out, '\n');
	val_unref(doc);
}

static void banner(struct buf *out, const char *kind, const char *name)
{
	size_t n = strlen(kind) + (*name ? strlen(name) + 3 : 0) + 1;

	if (*name) {
		buf_addf(out, "%s [", kind);
		term_str(out, name);
		buf_adds(out, "] ");
	} else
		buf_addf(out, "%s ", kind);
	for (size_t i = n; i < 72; i++)
		buf_addch(out, '*');
	buf_addch(out, '\n');
}

void report_live_play(struct live_report *lr, const char *play_name,
		      size_t hosts)
{
	struct buf b = BUF_INIT;

	buf_addch(&b, '\n');
	banner(&b, "PLAY", play_name ? play_name : "");
	if (!hosts)
		buf_adds(&b, "skipping: no hosts matched\n");
	fputs(b.ptr, lr->f);
	fflush(lr->f);
	buf_release(&b);
	lr->last_task = NULL;
}

void report_live_event(struct live_report *lr, const struct run_event *ev)
{
	const struct report_opts *o = lr->o;
	struct buf b = BUF_INIT;

	if (!lr->last_task || strcmp(lr->last_task, ev->task) ||
	    lr->last_pos.line != ev->pos.line ||
	    lr->last_pos.file != ev->pos.file ||
	    lr->last_handler != ev->handler) {
		buf_addch(&b, '\n');
		banner(&b, ev->handler ? "RUNNING HANDLER" : "TASK", ev->task);
		/* -vv, as ansible-playbook: where the task is written */
		if (o->verbosity >= 2 && ev->pos.file) {
			buf_adds(&b, "task path: ");
			term_str(&b, shown_path(o, ev->pos.file));
			buf_addf(&b, ":%u\n", ev->pos.line);
		}
		lr->last_task = ev->task;
		lr->last_pos = ev->pos;
		lr->last_handler = ev->handler;
	}
	if (ev->diff && (o->diff || o->mode == RUN_PLAN))
		indented(&b, ev->diff, "", o, true);
	if (ev->changes && (o->diff || o->mode == RUN_PLAN))
		indented(&b, ev->changes, "  ", o, false);
	/* -vvvv: the connection it opened, as Ansible's plugins say it */
	if (o->verbosity >= 4 && ev->conn_detail) {
		term_str(&b, ev->conn_detail);
		buf_addch(&b, '\n');
	}
	color(&b, o, status_color(ev->status));
	if (ev->status == EV_FAILED)
		buf_addf(&b, "fatal: [%s", ev->host);
	else
		buf_addf(&b, "%s: [%s", event_status_name(ev->status, o->mode),
			 ev->host);
	/* as Ansible: where a delegated task ran */
	if (ev->delegate)
		buf_addf(&b, " -> %s", ev->delegate);
	buf_addch(&b, ']');
	if (ev->label) {
		buf_adds(&b, " => (item=");
		term_str(&b, ev->label);
		buf_addch(&b, ')');
	}
	if (ev->msg && (ev->status == EV_FAILED ||
			ev->status == EV_UNREACHABLE ||
			!strcmp(ev->module, "debug"))) {
		buf_adds(&b, ev->label ? " " : " => ");
		term_str(&b, ev->msg);
	} else if (o->verbosity >= 1 && ev->result) {
		/* -v, as ansible-playbook: the result register would store;
		 * -vvv: with the module's arguments (invocation) */
		buf_adds(&b, " => ");
		term_str(&b, o->verbosity >= 3 && ev->verbose_result ?
			 ev->verbose_result : ev->result);
	}
	color(&b, o, C_RESET);
	buf_addch(&b, '\n');
	if (ev->detail)
		indented(&b, ev->detail, "  ", o, false);
	if (ev->ignored)
		buf_adds(&b, "...ignoring\n");
	fputs(b.ptr, lr->f);
	fflush(lr->f);
	buf_release(&b);
}

void report_recap(struct buf *out, const struct run_result *r,
		  const struct report_opts *o)
{
	buf_addch(out, '\n');
	banner(out, "PLAY RECAP", "");
	for (size_t i = 0; i < r->hosts_nr; i++) {
		const struct host_stats *s = &r->hosts[i];
		const char *c = s->failed || s->unreachable ? C_RED :
				s->changed ? C_YELLOW : C_GREEN;

		color(out, o, c);
		buf_addf(out, "%-26s", s->host);
		color(out, o, C_RESET);
		buf_addf(out, " : ok=%-4u changed=%-4u unreachable=%-4u "
			 "failed=%-4u skipped=%-4u rescued=%-4u ignored=%u",
			 s->ok + s->changed, s->changed, s->unreachable,
			 s->failed, s->skipped, s->rescued, s->ignored);
		if (s->unknown)
			buf_addf(out, " unknown=%u", s->unknown);
		buf_addch(out, '\n');
	}
}

static bool counts_as_change(const struct run_event *ev)
{
	return ev->status == EV_CHANGED;
}

/* A code fence longer than any run of backticks in `text`. */
static void fence(struct buf *out, const char *text)
{
	size_t run = 0, longest = 2;

	for (const char *p = text; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (size_t i = 0; i <= longest; i++)
		buf_addch(out, '`');
}

/* Text safe inside markdown table cells and summaries. */
/*
 * Text in a Markdown report (a PR comment) shows as itself: HTML is
 * escaped, and so is every ASCII character Markdown gives a meaning
 * ('[x](url)', '![img](url)', emphasis, code, a bare URL's ':'), so a
 * label built from host output cannot put links or images in a comment.
 */
static void md_text(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			buf_adds(out, "&lt;");
		else if (*s == '>')
			buf_adds(out, "&gt;");
		else if (*s == '&')
			buf_adds(out, "&amp;");
		else if (*s == '\n')
			buf_addch(out, ' ');
		else if (strchr("\\`*_{}[]()#+-.!~|:@", *s))
			buf_addf(out, "\\%c", *s);
		else
			buf_addch(out, *s);
	}
}

void report_markdown(struct buf *out, const struct run_result *r,
		     const struct report_opts *o)
{
	bool plan = o->mode == RUN_PLAN;

	buf_addf(out, "### tend %s: `%s`\n\n", plan ? "plan" : "apply",
		 o->playbook ? shown_path(o, o->playbook) : "");
	if (o->commit) {
		buf_addf(out, "Commit `%.12s`", o->commit);
		if (o->subject) {
			buf_adds(out, ": ");
			md_text(out, o->subject);
		}
		buf_adds(out, "\n\n");
	}
	buf_adds(out, "**");
	if (plan) {
		report_plan_summary(out, r);
	} else {
		unsigned ch = 0, fl = 0;

		for (size_t i = 0; i < r->hosts_nr; i++) {
			ch += r->hosts[i].changed;
			fl += r->hosts[i].failed + r->hosts[i].unreachable;
		}
		buf_addf(out, "Applied: %u changed, %u failed on %zu hosts.",
			 ch, fl, r->hosts_nr);
	}
	buf_adds(out, "**\n\n| host | change | ok | unknown | failed |\n"
		 "|---|---:|---:|---:|---:|\n");
	for (size_t h = 0; h < r->hosts_nr; h++) {
		const struct host_stats *st = &r->hosts[h];

		buf_adds(out, "| ");
		md_text(out, st->host);
		buf_addf(out, " | %u | %u | %u | %u |\n", st->changed, st->ok,
			 st->unknown, st->failed + st->unreachable);
	}
	for (size_t h = 0; h < r->hosts_nr; h++) {
		const char *host = r->hosts[h].host;
		bool any = false;

		for (size_t i = 0; i < r->nr; i++) {
			const struct run_event *ev = &r->events[i];

			if (strcmp(ev->host, host) ||
			    !(counts_as_change(ev) || ev->status == EV_UNKNOWN ||
			      ev->status == EV_FAILED ||
			      ev->status == EV_UNREACHABLE))
				continue;
			if (!any) {
				buf_adds(out, "\n<details><summary><b>");
				md_text(out, host);
				buf_adds(out, "</b></summary>\n\n");
				any = true;
			}
			buf_addf(out, "- **%s** ",
				 event_status_name(ev->status, o->mode));
			md_text(out, ev->task);
			if (ev->label) {
				buf_adds(out, " (item=");
				md_text(out, ev->label);
				buf_adds(out, ")");
			}
			if (ev->pos.file)
				buf_addf(out, " <sub>%s:%u</sub>",
					 shown_path(o, ev->pos.file),
					 ev->pos.line);
			buf_addch(out, '\n');
			if (ev->changes || ev->diff ||
			    (ev->msg && ev->status != EV_CHANGED)) {
				struct buf body = BUF_INIT;

				if (ev->changes)
					buf_adds(&body, ev->changes);
				if (ev->diff)
					buf_adds(&body, ev->diff);
				if (!ev->diff && !ev->changes && ev->msg)
					buf_addf(&body, "%s\n", ev->msg);
				buf_adds(out, "\n  ");
				fence(out, body.ptr);
				buf_adds(out, ev->diff ? "diff\n" : "\n");
				indented(out, body.ptr, "  ", o, false);
				buf_adds(out, "  ");
				fence(out, body.ptr);
				buf_adds(out, "\n\n");
				buf_release(&body);
			}
		}
		if (any)
			buf_adds(out, "</details>\n");
	}
}

static void xml_text(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '<':
			buf_adds(out, "&lt;");
			break;
		case '>':
			buf_adds(out, "&gt;");
			break;
		case '&':
			buf_adds(out, "&amp;");
			break;
		case '"':
			buf_adds(out, "&quot;");
			break;
		case '\n':
		case '\t':
		case '\r':
			buf_addch(out, (char)*p);
			break;
		default:
			/* XML 1.0 has no other control characters */
			if (*p < 0x20)
				buf_addf(out, "\\x%02x", *p);
			else
				buf_addch(out, (char)*p);
		}
	}
}

void report_junit(struct buf *out, const struct run_result *r,
		  const struct report_opts *o)
{
	buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_addf(out, "<testsuites name=\"tend %s\">\n",
		 o->mode == RUN_PLAN ? "plan" : "apply");
	for (size_t h = 0; h < r->hosts_nr; h++) {
		const struct host_stats *st = &r->hosts[h];
		unsigned tests = 0, failures = 0, skipped = 0;
		double secs = 0;

		for (size_t i = 0; i < r->nr; i++) {
			const struct run_event *ev = &r->events[i];

			if (strcmp(ev->host, st->host))
				continue;
			tests++;
			secs += ev->seconds;
			if ((ev->status == EV_FAILED && !ev->ignored) ||
			    ev->status == EV_UNREACHABLE)
				failures++;
			if (ev->status == EV_SKIPPED)
				skipped++;
		}
		buf_adds(out, "  <testsuite name=\"");
		xml_text(out, st->host);
		buf_addf(out, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
			 "skipped=\"%u\" time=\"%.3f\">\n", tests, failures,
			 skipped, secs);
		for (size_t i = 0; i < r->nr; i++) {
			const struct run_event *ev = &r->events[i];

			if (strcmp(ev->host, st->host))
				continue;
			buf_adds(out, "    <testcase classname=\"");
			xml_text(out, st->host);
			buf_adds(out, "\" name=\"");
			xml_text(out, ev->task);
			if (ev->label) {
				buf_adds(out, " (item=");
				xml_text(out, ev->label);
				buf_adds(out, ")");
			}
			buf_addf(out, "\" time=\"%.3f\"", ev->seconds);
			if (ev->pos.file) {
				buf_adds(out, " file=\"");
				xml_text(out, shown_path(o, ev->pos.file));
				buf_addf(out, "\" line=\"%u\"", ev->pos.line);
			}
			buf_adds(out, ">\n");
			if ((ev->status == EV_FAILED && !ev->ignored) ||
			    ev->status == EV_UNREACHABLE) {
				buf_addf(out, "      <failure type=\"%s\" message=\"",
					 event_status_name(ev->status, o->mode));
				xml_text(out, ev->msg ? ev->msg : "");
				buf_adds(out, "\"/>\n");
			} else if (ev->status == EV_SKIPPED) {
				buf_adds(out, "      <skipped/>\n");
			}
			buf_addf(out, "      <system-out>%s",
				 event_status_name(ev->status, o->mode));
			if (ev->changes || ev->diff)
				buf_addch(out, '\n');
			if (ev->changes)
				xml_text(out, ev->changes);
			if (ev->diff)
				xml_text(out, ev->diff);
			buf_adds(out, "</system-out>\n    </testcase>\n");
		}
		buf_adds(out, "  </testsuite>\n");
	}
	buf_adds(out, "</testsuites>\n");
}
