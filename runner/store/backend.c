#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/store/backend.h"

#include <pwd.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

void backend_now_iso(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void backend_host(char *out, size_t n)
{
	memset(out, 0, n);
	gethostname(out, n - 1);
}

const char *backend_user(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw ? pw->pw_name : NULL;
}

void backend_diff_summary(struct buf *out, const char *diff)
{
	unsigned add = 0, del = 0;

	for (const char *p = diff; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (*p == '+' && strncmp(p, "+++", 3))
			add++;
		else if (*p == '-' && strncmp(p, "---", 3))
			del++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	buf_addf(out, "+%u -%u lines", add, del);
}

bool backend_process_alive(long long pid, const char *controller,
			   const char *host)
{
	if (controller && strcmp(controller, host))
		return true;
	/* EPERM: it exists, as another user's */
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

void backend_run_totals(struct host_stats *out, const struct run_result *r)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; r && i < r->hosts_nr; i++) {
		out->ok += r->hosts[i].ok;
		out->changed += r->hosts[i].changed;
		out->failed += r->hosts[i].failed;
		out->unreachable += r->hosts[i].unreachable;
		out->skipped += r->hosts[i].skipped;
		out->unknown += r->hosts[i].unknown;
	}
}
