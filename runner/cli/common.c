#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/cli/cli_int.h"
#include "tend/util/interrupt.h"

#include <signal.h>
#include <unistd.h>

/* What every file of the command line shares: messages and small parsers. */

int cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("tend: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ERROR;
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
