#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"

#include <pthread.h>

struct tend_error {
	int code;
	struct buf msg;
};

static _Thread_local struct tend_error last_error = { 0, BUF_INIT };

static int error_vset(int code, const char *fmt, va_list ap)
{
	/* formatted apart first: an argument may be tend_error_last() */
	struct buf b = BUF_INIT;

	buf_vaddf(&b, fmt, ap);
	buf_release(&last_error.msg);
	last_error.msg = b;
	last_error.code = code;
	return code;
}

int tend_error_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(TEND_ERROR, fmt, ap);
	va_end(ap);
	return TEND_ERROR;
}

int tend_error_set_code(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

int tend_error_prefix(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_adds(&b, ": ");
	buf_addbuf(&b, &last_error.msg);
	buf_release(&last_error.msg);
	last_error.msg = b;
	if (!last_error.code)
		last_error.code = TEND_ERROR;
	return last_error.code;
}

const char *tend_error_last(void)
{
	return last_error.msg.len ? last_error.msg.ptr : "unknown error";
}

int tend_error_code(void)
{
	return last_error.code;
}

void tend_error_clear(void)
{
	buf_release(&last_error.msg);
	last_error.code = 0;
}

static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;
static char **interned;
static size_t interned_nr, interned_alloc;

static void intern_free(void)
{
	for (size_t i = 0; i < interned_nr; i++)
		free(interned[i]);
	free(interned);
	interned = NULL;
	interned_nr = interned_alloc = 0;
}

const char *srcfile_intern(const char *path)
{
	const char *r = NULL;

	pthread_mutex_lock(&intern_lock);
	for (size_t i = 0; i < interned_nr; i++)
		if (!strcmp(interned[i], path)) {
			r = interned[i];
			break;
		}
	if (!r) {
		if (!interned)
			atexit(intern_free);
		ALLOC_GROW(interned, interned_nr + 1, interned_alloc);
		r = interned[interned_nr++] = xstrdup(path);
	}
	pthread_mutex_unlock(&intern_lock);
	return r;
}

static void diags_vadd(struct diags *d, const struct srcpos *pos,
		       const char *kind, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	if (pos && pos->file) {
		buf_adds(&b, pos->file);
		if (pos->line)
			buf_addf(&b, ":%u:%u", pos->line, pos->col);
		buf_adds(&b, ": ");
	}
	buf_adds(&b, kind);
	buf_vaddf(&b, fmt, ap);
	ALLOC_GROW(d->items, d->nr + 1, d->alloc);
	d->items[d->nr++] = buf_detach(&b, NULL);
}

void diags_add(struct diags *d, const struct srcpos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, pos, "", fmt, ap);
	va_end(ap);
	d->errors++;
}

void diags_warn(struct diags *d, const struct srcpos *pos, const char *fmt,
		...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, pos, "warning: ", fmt, ap);
	va_end(ap);
}

void diags_print(const struct diags *d, FILE *f)
{
	for (size_t i = 0; i < d->nr; i++)
		fprintf(f, "%s\n", d->items[i]);
}

void diags_release(struct diags *d)
{
	for (size_t i = 0; i < d->nr; i++)
		free(d->items[i]);
	free(d->items);
	d->items = NULL;
	d->nr = d->alloc = d->errors = 0;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xcalloc(lb + 1, sizeof(*row));
	size_t r;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	r = row[lb];
	free(row);
	return r;
}

const char *did_you_mean(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	size_t limit = strlen(word) / 3 + 1;

	for (size_t i = 0; candidates[i]; i++) {
		size_t d = edit_distance(word, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
