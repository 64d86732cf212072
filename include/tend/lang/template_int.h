#ifndef TEND_TEMPLATE_INT_H
#define TEND_TEMPLATE_INT_H

/*
 * Internals shared by runner/template.c (lexer, parser, evaluator) and
 * runner/filters.c (the filter and test tables). Nothing outside those two
 * files includes this header.
 *
 * Undefined: while an expression is evaluated, an undefined value is a
 * string value flagged TEMPLATE_F_UNDEF whose text is the message to
 * report if it is ever used ("'foo' is undefined"). Such values never
 * leave the evaluator: the public functions turn them into
 * TEND_EUNDEFINED errors.
 */

#include "tend/util/buf.h"
#include "tend/lang/template.h"
#include "tend/data/val.h"

#define TEMPLATE_F_UNDEF (1u << 15)

/* Evaluation state; opaque to filters.c, which only passes it along. */
struct tctx;

/* Arguments of a filter, test, call or method, all evaluated (borrowed). */
#define TEMPLATE_MAX_ARGS 16
struct targs {
	size_t npos, nkw;
	struct val *pos[TEMPLATE_MAX_ARGS];
	const char *kwname[TEMPLATE_MAX_ARGS];
	struct val *kw[TEMPLATE_MAX_ARGS];
};

/*
 * A filter: `in` is the (borrowed) input, *out a new reference. Filters
 * flagged TFILTER_UNDEF_OK also receive undefined input (default,
 * mandatory); the others never see it.
 */
typedef int (*tfilter_fn)(struct val **out, struct val *in,
			  const struct targs *a, struct tctx *c);
/* A test: sets *out. TTEST_UNDEF_OK tests receive undefined input. */
typedef int (*ttest_fn)(bool *out, struct val *in, const struct targs *a,
			struct tctx *c);

enum {
	TFILTER_UNDEF_OK = 1 << 0,
	TTEST_UNDEF_OK = 1 << 0,
	TTEST_UNDEF_FALSE = 1 << 1, /* undefined input is simply false */
};

struct tfilter {
	const char *name;
	tfilter_fn fn;
	unsigned int flags;
};

struct ttest {
	const char *name;
	ttest_fn fn;
	unsigned int flags;
};

/* The filter / test called `name`, or NULL. */
const struct tfilter *template_filter_find(const char *name);
const struct ttest *template_test_find(const char *name);

/* Apply a filter / test by name, with the error set if it is unknown. */
int template_filter_apply(struct val **out, const char *name, struct val *in,
			  const struct targs *a, struct tctx *c);
int template_test_apply(bool *out, const char *name, struct val *in,
			const struct targs *a, struct tctx *c);

/* A new undefined value carrying the message (printf format). */
struct val *template_undef(const char *fmt, ...) TEND_PRINTF(1, 2);

static inline bool template_is_undef(const struct val *v)
{
	return v && (v->flags & TEMPLATE_F_UNDEF);
}

/*
 * obj.name as Jinja's getattr does on data: a dict key, else undefined
 * with Jinja's message. Undefined `obj` yields itself (Ansible chains
 * undefined through attributes). *out is a new reference.
 */
void template_getattr(struct val **out, struct val *obj, const char *name);

/* 0 if v is defined, else TEND_EUNDEFINED with its message. */
int template_need(const struct val *v);

/*
 * Append v as Jinja prints it: strings raw (even secret ones: this is
 * what templates output), everything else as Python str().
 */
void template_to_str(struct buf *out, const struct val *v);

/* Python truthiness; TEND_EUNDEFINED for an undefined value. */
int template_truthy(bool *out, const struct val *v);

/* Python-ish type name for messages: "str", "int", "dict", "NoneType". */
const char *template_type_name(const struct val *v);

/*
 * Python %-formatting of `fmt` with `args` (a list, or one value),
 * for the `format` filter and the `%` operator.
 */
int template_percent_format(struct buf *out, const char *fmt,
			    const struct val *args);

/* Python's str.split(sep, maxsplit): sep NULL splits on whitespace runs. */
struct val *template_py_split(const char *s, size_t len, const char *sep,
			      long long max);

/* Python's str.replace(from, to, max): max < 0 replaces every match. */
void template_str_replace(struct buf *out, const char *s, size_t len,
			  const char *from, const char *to, long long max);

#endif
