#ifndef TEND_REGEX_INT_H
#define TEND_REGEX_INT_H

/*
 * Internals shared by the files of runner/util/ that make up regex.h.
 * Nothing else includes this header; the public API is regex.h.
 *
 *	regex.c         compiling with PCRE2, matching, iterating, the
 *	                replacement templates, regex_sub and regex_escape
 *	regex_syntax.c  the reader of Python's syntax (its entry points are
 *	                regex_xl_run and regex_xl_release): repeats,
 *	                groups, flags and the loop over the items
 *	regex_chars.c   what the reader is built on: Python's rules for
 *	                characters, names and numbers, the error, writing
 *	                the PCRE2 pattern, escapes and [...] sets
 *
 * Calls go one way only, regex.c -> regex_syntax.c -> regex_chars.c
 * (regex.c also calls regex_chars.c: its template parser shares
 * Python's rules with the reader), never back: `make check-layers`
 * would report a cycle.
 *
 * The reader translates a pattern into a PCRE2 pattern as it reads it:
 * one pass over x->pat, writing x->out and, for each byte written, the
 * offset of the item it came from (x->map), so that an error PCRE2
 * finds is reported where the user wrote it.
 */

#include "tend/util/buf.h"

/* What the last item of the current branch is, for Python's checks. */
enum last { LAST_NONE, LAST_AT, LAST_REPEAT, LAST_ITEM };

/* An open group. */
struct frame {
	size_t start;  /* offset of its '(' */
	size_t group;  /* its number if it captures, else 0 */
	bool verbose;  /* verbose mode around it */
};

/* The reader's state: one pattern being translated. */
struct xlate {
	const char *pat;
	size_t len, pos;
	size_t tok;     /* where the item being translated starts */
	bool bytes;     /* a bytes pattern */
	bool unicode;   /* Python's Unicode classes (str, no (?a)) */
	bool verbose;
	bool started;   /* past where global flags may stand */
	bool global_u;  /* (?u) at the start */
	unsigned int flags;
	enum last last;
	struct buf out;
	size_t *map;    /* out offset -> pattern offset */
	size_t map_alloc;
	struct frame *stack;
	size_t depth, stack_alloc;
	size_t ngroups, groups_alloc;
	char **names;   /* [ngroups + 1] */
	bool *open;     /* [ngroups + 1]: the group is not closed yet */
	size_t condref, condref_at; /* highest (?(N)...) and where */
};

/*
 * regex_syntax.c: the reader
 */

/*
 * Translate x->pat into the PCRE2 pattern x->out. The caller zeroes *x
 * and sets pat, len, flags, bytes, unicode and verbose from its
 * arguments, and names and open to one zeroed element each (group 0,
 * groups_alloc 1). Returns 0, or -1 with the error set ("bad regex
 * 'PATTERN': REASON at offset N"). On success x->flags has the global
 * flags of the pattern added, x->names[1..ngroups] the group names
 * (NULL for unnamed groups) and x->map one entry more than x->out.len.
 * Either way, free with regex_xl_release.
 */
int regex_xl_run(struct xlate *x);

/*
 * Free what x holds. x->names is freed too unless the caller took it
 * (and set it to NULL).
 */
void regex_xl_release(struct xlate *x);

/*
 * regex_chars.c: Python's rules, shared with the template parser
 */

/* ASCII letters, and the digits 0-7. */
bool regex_is_ascii_letter(int c);
bool regex_is_octal(int c);

/*
 * Python's str.isidentifier() for s[0..n), any non-ASCII byte taken as a
 * letter: a group name.
 */
bool regex_is_identifier(const char *s, size_t n);

/*
 * Python's int(s) >= 0 for s[0..n), as group numbers in "\g<...>" and
 * "(?(...)" are read: true with the value (capped) in *out, else false.
 */
bool regex_py_int(size_t *out, const char *s, size_t n);

/*
 * regex_chars.c: the reader's tools
 */

/*
 * Set the error "bad regex 'PATTERN': MESSAGE at offset AT" and return
 * -1. May be called at any time, also after regex_xl_run.
 */
int regex_xl_error(const struct xlate *x, size_t at, const char *fmt, ...)
	TEND_PRINTF(3, 4);

/*
 * Append to x->out, each byte mapped to the item at x->tok: n bytes at s
 * (regex_emit), a string (regex_emits) or printf output of up to 63
 * bytes (regex_emitf). Anything written is an item for Python: global
 * flags may no longer follow.
 */
void regex_emit(struct xlate *x, const char *s, size_t n);
void regex_emits(struct xlate *x, const char *s);
void regex_emitf(struct xlate *x, const char *fmt, ...) TEND_PRINTF(2, 3);

/* Append code point cp as a literal: itself if ASCII alnum, else \x{..}. */
void regex_emit_literal(struct xlate *x, uint32_t cp);

/*
 * The character at x->pat[at] into *cp: one byte of a bytes pattern,
 * else a UTF-8 sequence. Returns its length (0 if not valid UTF-8,
 * which regex_xl_run rules out before it reads any item).
 */
size_t regex_xl_char(uint32_t *cp, const struct xlate *x, size_t at);

/*
 * The item at x->pos, x->pat[x->pos] being '[' (regex_xl_class) or '\\'
 * (regex_xl_escape_item): read it, write it out, move x->pos past it and
 * set x->last. Returns 0, or -1 with the error set.
 */
int regex_xl_class(struct xlate *x);
int regex_xl_escape_item(struct xlate *x);

#endif
