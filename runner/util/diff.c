#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/diff.h"

/*
 * Line diff with Myers' O(ND) algorithm, printed like `diff -u`.
 *
 * The common prefix and suffix are stripped first (a typical config edit
 * touches a few lines of a long file). The middle is diffed with the
 * forward greedy algorithm keeping each round's diagonal slice for the
 * backtrack, O(D^2) memory. When more than DIFF_MAX_D edits would be
 * needed, the middle is shown as one block removed and one added: still
 * a correct diff, only less minimal.
 */

#define DIFF_MAX_D 2000
#define DIFF_CONTEXT 3

struct line {
	const char *ptr;
	size_t len;  /* including the '\n' if there is one */
	uint64_t hash;
};

struct lines {
	struct line *items;
	size_t nr, alloc;
};

enum op_kind { OP_EQ, OP_DEL, OP_INS };

struct op {
	enum op_kind kind;
	size_t a, b; /* line index in a (OP_EQ, OP_DEL) and b (OP_EQ, OP_INS) */
};

struct ops {
	struct op *items;
	size_t nr, alloc;
};

static void split_lines(struct lines *out, const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		{
			struct line *l;
			uint64_t h = 1469598103934665603ull;
			size_t end = i < len ? i + 1 : len;

			for (size_t j = start; j < end; j++)
				h = (h ^ (unsigned char)s[j]) * 1099511628211ull;
			ALLOC_GROW(out->items, out->nr + 1, out->alloc);
			l = &out->items[out->nr++];
			l->ptr = s + start;
			l->len = end - start;
			l->hash = h;
			start = end;
		}
	}
}

static bool line_eq(const struct line *x, const struct line *y)
{
	return x->hash == y->hash && x->len == y->len &&
	       !memcmp(x->ptr, y->ptr, x->len);
}

static void op_push(struct ops *ops, enum op_kind kind, size_t a, size_t b)
{
	ALLOC_GROW(ops->items, ops->nr + 1, ops->alloc);
	ops->items[ops->nr++] = (struct op){ kind, a, b };
}

/*
 * Diff a[0..n) against b[0..m) (offsets ao/bo into the full files),
 * appending ops in order. Returns false if it would take more than
 * DIFF_MAX_D edits; nothing is appended then.
 */
static bool myers(struct ops *ops, const struct line *a, long n,
		  const struct line *b, long m, size_t ao, size_t bo)
{
	long max = n + m < DIFF_MAX_D ? n + m : DIFF_MAX_D;
	long off = max + 1, d, rounds, found = -1;
	long *v = xcalloc((size_t)(2 * max + 3), sizeof(*v));
	long **trace = xcalloc((size_t)(max + 1), sizeof(*trace));
	struct ops rev = { NULL, 0, 0 };
	bool ok = false;

	for (d = 0; d <= max && found < 0; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x, y;

			if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1];
			else
				x = v[off + k - 1] + 1;
			y = x - k;
			while (x < n && y < m && line_eq(&a[x], &b[y])) {
				x++;
				y++;
			}
			v[off + k] = x;
			if (x >= n && y >= m)
				found = d;
		}
		trace[d] = xmalloc((size_t)(2 * d + 1) * sizeof(**trace));
		memcpy(trace[d], v + off - d, (size_t)(2 * d + 1) * sizeof(*v));
	}
	rounds = d;
	if (found < 0)
		goto out;

	{
		long x = n, y = m;

		for (d = found; d > 0; d--) {
			long *prev = trace[d - 1] + (d - 1); /* index by k */
			long k = x - y, pk, px, py;

			if (k == -d || (k != d && prev[k - 1] < prev[k + 1]))
				pk = k + 1;
			else
				pk = k - 1;
			px = prev[pk];
			py = px - pk;
			while (x > px && y > py) {
				x--;
				y--;
				op_push(&rev, OP_EQ, ao + (size_t)x, bo + (size_t)y);
			}
			if (x == px) {
				y--;
				op_push(&rev, OP_INS, ao + (size_t)x, bo + (size_t)y);
			} else {
				x--;
				op_push(&rev, OP_DEL, ao + (size_t)x, bo + (size_t)y);
			}
		}
		while (x > 0 && y > 0) {
			x--;
			y--;
			op_push(&rev, OP_EQ, ao + (size_t)x, bo + (size_t)y);
		}
	}
	for (size_t i = rev.nr; i > 0; i--)
		op_push(ops, rev.items[i - 1].kind, rev.items[i - 1].a,
			rev.items[i - 1].b);
	ok = true;
out:
	for (long i = 0; i < rounds; i++)
		free(trace[i]);
	free(trace);
	free(v);
	free(rev.items);
	return ok;
}

static void add_range(struct buf *out, size_t start, size_t len)
{
	if (len == 1)
		buf_addf(out, "%zu", start + 1);
	else if (!len)
		buf_addf(out, "%zu,0", start);
	else
		buf_addf(out, "%zu,%zu", start + 1, len);
}

static void add_line(struct buf *out, char prefix, const struct line *l)
{
	buf_addch(out, prefix);
	buf_add(out, l->ptr, l->len);
	if (!l->len || l->ptr[l->len - 1] != '\n')
		buf_adds(out, "\n\\ No newline at end of file\n");
}

static void print_hunks(struct buf *out, const struct ops *ops,
			const struct lines *a, const struct lines *b)
{
	size_t i = 0;

	while (i < ops->nr) {
		size_t first, last, start, end, an = 0, bn = 0;

		while (i < ops->nr && ops->items[i].kind == OP_EQ)
			i++;
		if (i == ops->nr)
			break;
		first = last = i;
		/* Merge changes whose gap fits in both contexts. */
		for (size_t j = i + 1; j < ops->nr; j++) {
			if (ops->items[j].kind == OP_EQ)
				continue;
			if (j - last - 1 > 2 * DIFF_CONTEXT)
				break;
			last = j;
		}
		start = first > DIFF_CONTEXT ? first - DIFF_CONTEXT : 0;
		end = last + 1 + DIFF_CONTEXT < ops->nr ? last + 1 + DIFF_CONTEXT
							 : ops->nr;
		for (size_t j = start; j < end; j++) {
			an += ops->items[j].kind != OP_INS;
			bn += ops->items[j].kind != OP_DEL;
		}
		buf_adds(out, "@@ -");
		add_range(out, ops->items[start].a, an);
		buf_adds(out, " +");
		add_range(out, ops->items[start].b, bn);
		buf_adds(out, " @@\n");
		for (size_t j = start; j < end; j++) {
			const struct op *o = &ops->items[j];

			if (o->kind == OP_EQ)
				add_line(out, ' ', &a->items[o->a]);
			else if (o->kind == OP_DEL)
				add_line(out, '-', &a->items[o->a]);
			else
				add_line(out, '+', &b->items[o->b]);
		}
		i = end;
	}
}

void diff_unified(struct buf *out, const char *a, size_t alen,
		  const char *a_name, const char *b, size_t blen,
		  const char *b_name)
{
	struct lines la = { NULL, 0, 0 }, lb = { NULL, 0, 0 };
	struct ops ops = { NULL, 0, 0 };
	size_t pre = 0, suf = 0;

	if (alen == blen && (!alen || !memcmp(a, b, alen)))
		return;
	if (memchr(a, '\0', alen) || memchr(b, '\0', blen)) {
		buf_adds(out, "Binary files differ\n");
		return;
	}
	split_lines(&la, a, alen);
	split_lines(&lb, b, blen);
	while (pre < la.nr && pre < lb.nr &&
	       line_eq(&la.items[pre], &lb.items[pre]))
		pre++;
	while (suf < la.nr - pre && suf < lb.nr - pre &&
	       line_eq(&la.items[la.nr - 1 - suf], &lb.items[lb.nr - 1 - suf]))
		suf++;

	for (size_t i = 0; i < pre; i++)
		op_push(&ops, OP_EQ, i, i);
	if (!myers(&ops, la.items + pre, (long)(la.nr - pre - suf),
		   lb.items + pre, (long)(lb.nr - pre - suf), pre, pre)) {
		for (size_t i = pre; i < la.nr - suf; i++)
			op_push(&ops, OP_DEL, i, pre);
		for (size_t i = pre; i < lb.nr - suf; i++)
			op_push(&ops, OP_INS, la.nr - suf, i);
	}
	for (size_t i = 0; i < suf; i++)
		op_push(&ops, OP_EQ, la.nr - suf + i, lb.nr - suf + i);

	buf_addf(out, "--- %s\n+++ %s\n", a_name, b_name);
	print_hunks(out, &ops, &la, &lb);
	free(ops.items);
	free(la.items);
	free(lb.items);
}
