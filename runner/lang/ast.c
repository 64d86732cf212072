#include "tend/common.h"
#include "tend/lang/ast_int.h"
#include "tend/data/val.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	char data[];
};

void *ast_alloc(struct tpl *t, size_t n)
{
	struct arena_chunk *c = t->chunks;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (!c || c->used + n > c->size) {
		size_t size = n > 4000 ? n : 4000;

		c = xmalloc(sizeof(*c) + size);
		c->next = t->chunks;
		c->used = 0;
		c->size = size;
		t->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *ast_strndup(struct tpl *t, const char *s, size_t n)
{
	char *p = ast_alloc(t, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void ast_free(struct tpl *t)
{
	struct arena_chunk *c, *next;

	if (!t)
		return;
	for (c = t->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	val_unref(t->lits);
	free(t);
}
