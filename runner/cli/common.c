#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/cli/cli_int.h"
#include "tend/util/interrupt.h"
#include "tend/util/error.h"
#include "tend/data/val.h"
#include "tend/report/report.h"

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <unistd.h>

/* What every file of the command line shares: messages and small parsers. */

/* The exit codes, in their precedence (README.md says the same). */
const struct cli_exit_code cli_exit_codes[] = {
	{ EXIT_ERROR, "error (bad input, a --limit matching no host, "
		      "interrupted)" },
	{ EXIT_LOCKED, "another run holds a host's lock (--lock-timeout)" },
	{ EXIT_STALE, "a saved plan is stale (nothing stale was applied)" },
	{ EXIT_HOSTS_FAILED, "some hosts failed or were unreachable" },
	{ EXIT_CHANGES, "plan --detailed-exitcode: there are changes" },
	{ EXIT_OK, "success" },
	{ 0, NULL },
};

/*
 * The errors of this command, kept for its JSON error document: with
 * --format json a command that fails before it printed its document
 * prints {"format_version", "tend_version", "errors": [...]} on stdout
 * instead (docs/plan-format.md), as well as the text on stderr.
 */
static struct val *json_errors;
static bool json_printed;

/* "FILE:LINE:COL: MESSAGE" (a diagnostic) as its parts, else a message. */
static struct val *error_val(const char *text)
{
	struct val *e = val_dict();

	for (const char *p = strchr(text, ':'); p; p = strchr(p + 1, ':')) {
		unsigned line, col;
		int n = 0;

		if (sscanf(p, ":%u:%u: %n", &line, &col, &n) == 2 && n > 0 &&
		    isdigit((unsigned char)p[1])) {
			val_dict_set(e, "file", val_strn(text,
						(size_t)(p - text)));
			val_dict_set_int(e, "line", line);
			val_dict_set_int(e, "column", col);
			val_dict_set_str(e, "message", p + n);
			return e;
		}
	}
	val_dict_set_str(e, "message", text);
	return e;
}

static void keep_error(const char *text)
{
	struct val *e = error_val(text);
	const char *msg = val_cstr(val_dict_get(e, "message"));

	/* a warning, placed ("f.yml:1:2: warning: ...") or not, is none */
	if (msg && !strncmp(msg, "warning: ", 9)) {
		val_unref(e);
		return;
	}
	if (!json_errors)
		json_errors = val_list();
	val_list_push(json_errors, e);
}

int cli_err(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	fprintf(stderr, "tend: %s\n", b.ptr);
	keep_error(b.ptr);
	buf_release(&b);
	return EXIT_ERROR;
}

void cli_diags_print(const struct diags *d)
{
	diags_print(d, stderr);
	for (size_t i = 0; i < d->nr; i++)
		keep_error(d->items[i]);
}

void cli_json_printed(void)
{
	json_printed = true;
}

void cli_print_json(const struct val *doc)
{
	struct buf out = BUF_INIT;

	val_to_json(&out, doc, 2);
	buf_addch(&out, '\n');
	fputs(out.ptr, stdout);
	buf_release(&out);
	json_printed = true;
}

struct val *cli_json_doc(const char *key, struct val *payload)
{
	struct val *doc = val_dict();

	val_dict_set_int(doc, "format_version", REPORT_JSON_FORMAT);
	val_dict_set_str(doc, "tend_version", TEND_VERSION);
	if (key)
		val_dict_set(doc, key, payload);
	return doc;
}

void cli_json_errors_end(const char *format, int rc)
{
	if (rc == EXIT_ERROR && format && !strcmp(format, "json") &&
	    !json_printed) {
		struct val *doc = cli_json_doc("errors", json_errors ?
					       json_errors : val_list());

		json_errors = NULL;
		cli_print_json(doc);
		val_unref(doc);
	}
	val_unref(json_errors);
	json_errors = NULL;
}

struct val *cli_split_tags(struct val *into, const char *s)
{
	if (!into)
		into = val_list();
	while (*s) {
		size_t n = strcspn(s, ",");
		struct buf b = BUF_INIT;

		buf_add(&b, s, n);
		buf_trim(&b);
		if (b.len)
			val_list_push(into, val_str(b.ptr));
		buf_release(&b);
		s += n + (s[n] == ',');
	}
	return into;
}

void cli_report_firing(const struct val *firing)
{
	for (size_t i = 0; i < val_len(firing); i++) {
		struct buf b = BUF_INIT;

		val_to_json(&b, val_list_at(firing, i), 0);
		cli_err("warning: still firing after the window closed: %s", b.ptr);
		buf_release(&b);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	if (tend_interrupted)
		_exit(130);
	tend_interrupted = 1;
}

void cli_catch_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
