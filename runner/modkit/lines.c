#include "tend/common.h"
#include "tend/modkit/lines.h"

void lines_release(struct lines *l)
{
	for (size_t i = 0; i < l->nr; i++)
		buf_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->nr = l->alloc = 0;
}

void lines_insert(struct lines *l, size_t at, const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	memmove(l->v + at + 1, l->v + at, (l->nr - at) * sizeof(*l->v));
	buf_add(&b, s, len);
	l->v[at] = b;
	l->nr++;
}

void lines_remove(struct lines *l, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		buf_release(&l->v[i]);
	memmove(l->v + from, l->v + to, (l->nr - to) * sizeof(*l->v));
	l->nr -= to - from;
}

void lines_split(struct lines *l, const char *s, size_t len, bool universal)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' && universal) {
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else if (s[i] != '\n') {
			continue;
		}
		lines_insert(l, l->nr, s + start, i + 1 - start);
		start = i + 1;
	}
	if (start < len)
		lines_insert(l, l->nr, s + start, len - start);
}

void lines_join(struct buf *out, const struct lines *l)
{
	for (size_t i = 0; i < l->nr; i++)
		buf_addbuf(out, &l->v[i]);
}

