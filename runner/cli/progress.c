#include "tend/common.h"
#include "tend/cli/cli_int.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

void cli_progress_erase(struct progress *p)
{
	if (p->drawn)
		fprintf(p->f, "\033[%zuA\033[J", p->drawn);
	p->drawn = 0;
}

static void progress_draw(struct progress *p)
{
	size_t busy = 0;

	cli_progress_erase(p);
	for (size_t i = 0; i < p->nr; i++) {
		if (!p->tasks[i])
			continue;
		if (++busy > PROGRESS_MAX_LINES)
			continue;
		fprintf(p->f, "  %-20s %.56s\n", p->hosts[i], p->tasks[i]);
		p->drawn++;
	}
	if (busy > PROGRESS_MAX_LINES) {
		fprintf(p->f, "  ... and %zu more hosts busy\n",
			busy - PROGRESS_MAX_LINES);
		p->drawn++;
	}
	fflush(p->f);
}

static void *progress_tick(void *arg)
{
	struct progress *p = arg;
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	while (!p->stop) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&p->lock);
		if (!p->stop)
			progress_draw(p);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

void cli_progress_set(struct progress *p, const char *host,
			 const char *task)
{
	size_t i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nr; i++)
		if (!strcmp(p->hosts[i], host))
			break;
	if (i == p->nr) {
		ALLOC_GROW(p->hosts, p->nr + 1, p->alloc);
		p->tasks = xrealloc(p->tasks, p->alloc * sizeof(*p->tasks));
		p->hosts[i] = xstrdup(host);
		p->tasks[i] = NULL;
		p->nr++;
	}
	free(p->tasks[i]);
	p->tasks[i] = task ? xstrdup(task) : NULL;
	pthread_mutex_unlock(&p->lock);
}

void cli_progress_start(struct progress *p, FILE *f)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->f = f;
	if (pthread_create(&p->ticker, NULL, progress_tick, p))
		p->stop = 1; /* no ticker: plain lines */
}

void cli_progress_stop(struct progress *p)
{
	if (!p->f)
		return;
	if (!p->stop) {
		p->stop = 1;
		pthread_join(p->ticker, NULL);
	}
	cli_progress_erase(p);
	fflush(p->f);
	for (size_t i = 0; i < p->nr; i++) {
		free(p->hosts[i]);
		free(p->tasks[i]);
	}
	free(p->hosts);
	free(p->tasks);
	pthread_mutex_destroy(&p->lock);
	p->f = NULL;
}
