#ifndef TEND_REGEX_H
#define TEND_REGEX_H

/*
 * Python regular expressions, run by PCRE2.
 *
 * Every regex a playbook can write (filters, tests, lineinfile and
 * blockinfile, host patterns) is a pattern for Python's `re` module, and
 * this is the one place that understands them. A pattern is parsed with
 * Python's grammar (Python 3.11, which ansible-core 2.14 runs on) and
 * rewritten into an equivalent PCRE2 pattern, so what Python accepts means
 * what it means in Python, what Python rejects is rejected, and PCRE2-only
 * syntax (\h, \K, (?|...), (*VERB), [[:alpha:]] as a POSIX class, ...)
 * never leaks through.
 *
 * Supported: everything of Python's syntax but what is listed as refused
 * below: (?P<name>...), (?P=name), (?:...), (?>...), lookahead and
 * lookbehind, (?(1)yes|no), (?#...), greedy, lazy and possessive
 * quantifiers, {m,n} with Python's rules for a '{' that is no quantifier,
 * \d \w \s \b \B \A \Z (Python's \Z is PCRE2's \z), octal, \x \u \U
 * escapes, global flags (?aimsux) at the start and scoped (?imsx-imsx:...).
 *
 * Two kinds of pattern, as in Python:
 *
 *  - str patterns (the default: filters, tests, host patterns) match
 *    UTF-8 text by code point, with Python's Unicode classes (PCRE2_UTF |
 *    PCRE2_UCP): '.' is one character, \w matches 'é', \d Arabic digits,
 *    (?i) folds case beyond ASCII. (?a) / REGEX_ASCII keeps the classes
 *    ASCII. A subject that is not valid UTF-8 is still searched
 *    (PCRE2_MATCH_INVALID_UTF), but its invalid bytes match nothing, where
 *    Python (surrogateescape) would let '.' match each of them.
 *
 *  - bytes patterns (REGEX_BYTES: lineinfile and blockinfile, which
 *    compile to_bytes(regexp)) match bytes: '.' is one byte, classes and
 *    case folding are ASCII only, \u \U \N are bad escapes.
 *
 * Known differences from Python, all rare in playbooks:
 *  - refused with an error that says so: \N{NAME}, (?L), scoped (?a:...)
 *    and (?u:...) that would change the class mode, repeat counts above
 *    65535 (PCRE2's limit);
 *  - accepted where Python refuses: a lookbehind whose alternatives have
 *    different fixed lengths, (?<=a|bc); group names with non-ASCII
 *    characters that are not letters (any non-ASCII one is taken);
 *  - Unicode tables are PCRE2's: \s matches U+180E, (?i) uses full case
 *    folding sets, and (?ai) still folds non-ASCII letters;
 *  - \S inside [...] of a str pattern matches \x1c-\x1f (Python counts
 *    them as whitespace; \s, [\s] and \S outside [...] do too);
 *  - a match that backtracks without end fails with "match limit
 *    exceeded" instead of running forever;
 *  - error offsets count bytes, Python's count characters.
 *
 * A compiled regex is immutable: matching does not change it, so one may
 * be used from several threads.
 */

#include "tend/util/buf.h"

/* Flags for regex_compile: Python's re flags, and the kind of pattern. */
enum {
	REGEX_IGNORECASE = 1 << 0, /* re.I, (?i) */
	REGEX_MULTILINE = 1 << 1,  /* re.M, (?m): ^ $ at each line */
	REGEX_DOTALL = 1 << 2,     /* re.S, (?s): '.' matches "\n" */
	REGEX_VERBOSE = 1 << 3,    /* re.X, (?x): spaces, # comments */
	REGEX_ASCII = 1 << 4,      /* re.A, (?a): ASCII \w \d \s \b */
	REGEX_BYTES = 1 << 5,      /* a bytes pattern (see above) */
};

struct regex;

/*
 * Compile the Python pattern `pattern` with `flags` into *out (free with
 * regex_free). Returns 0, or -1 with the error set as
 * "bad regex 'PATTERN': REASON at offset N", where REASON is Python's
 * wording for what Python rejects ("missing ), unterminated subpattern"),
 * "... is not supported" for what tend refuses, or PCRE2's message.
 */
int regex_compile(struct regex **out, const char *pattern,
		  unsigned int flags);

/* Free a compiled regex (NULL is fine). */
void regex_free(struct regex *re);

/* The Python pattern it was compiled from (borrowed). */
const char *regex_pattern(const struct regex *re);

/*
 * The flags in effect: those given to regex_compile, and the global
 * inline flags at the start of the pattern ("(?m)x" has REGEX_MULTILINE,
 * as Python's Pattern.flags has re.M).
 */
unsigned int regex_flags(const struct regex *re);

/* The number of capturing groups (Python's Pattern.groups). */
size_t regex_groups(const struct regex *re);

/*
 * The number of the group named `name` (`len` bytes) into *out. Returns
 * false, leaving *out alone, if no group has that name.
 */
bool regex_group_lookup(size_t *out, const struct regex *re,
			const char *name, size_t len);

/*
 * The outcome of one match. Initialise with REGEX_MATCH_INIT; one struct
 * can be reused for many matches; regex_match_release frees it. The
 * subject is borrowed from the caller of regex_exec.
 */
struct regex_match {
	bool matched;
	const char *subject;
	size_t len;
	size_t ngroups; /* regex_groups() of the regex that matched */
	size_t *spans;  /* [2 * (ngroups + 1)]: start, end; REGEX_UNSET */
	size_t alloc;
};
#define REGEX_MATCH_INIT { false, NULL, 0, 0, NULL, 0 }
#define REGEX_UNSET ((size_t)-1)

void regex_match_release(struct regex_match *m);

/*
 * Group `g` (0: the whole match) of a successful match: its bounds in the
 * subject into *so and *eo. Returns false if the group did not take part
 * in the match (or g > ngroups); Python's group() is then None.
 */
bool regex_match_group(size_t *so, size_t *eo, const struct regex_match *m,
		       size_t g);

/* How regex_exec matches: Python's search(), match(), fullmatch(). */
enum regex_how {
	REGEX_SEARCH,    /* anywhere from `pos` on */
	REGEX_MATCH,     /* at `pos` only */
	REGEX_FULLMATCH, /* at `pos`, up to the end of the subject */
};

/*
 * Match `re` in the subject `s` (`len` bytes, may hold NUL) from byte
 * offset `pos` (<= len), as Python's Pattern.search(s, pos) and friends:
 * ^ and \A still mean the start of `s`, and lookbehind and \b see the
 * bytes before `pos`. Fills *out (out->matched says whether it matched).
 * Returns 0, or -1 with the error set when matching itself failed (the
 * match limit was hit).
 */
int regex_exec(struct regex_match *out, const struct regex *re,
	       const char *s, size_t len, size_t pos, enum regex_how how);

/*
 * Python's finditer(): the successive non-overlapping matches, with
 * Python 3.7+'s rule for empty matches (an empty match may follow a
 * non-empty one directly; after an empty match, the next must not be
 * empty at the same place). Initialise with regex_iter_init; it borrows
 * `re` and `s`, and holds nothing that needs freeing.
 */
struct regex_iter {
	const struct regex *re;
	const char *s;
	size_t len, pos;
	bool must_advance, done;
};

void regex_iter_init(struct regex_iter *it, const struct regex *re,
		     const char *s, size_t len);

/*
 * The next match into *out; out->matched is false once there are no
 * more. Returns 0, or -1 with the error set (as regex_exec).
 */
int regex_iter_next(struct regex_match *out, struct regex_iter *it);

/*
 * Append to `out` the subject `s` with the first `count` matches of `re`
 * (0: all) replaced by the template `repl`, as Python's re.sub(). The
 * number of replacements goes to *nsubs (may be NULL). The template is
 * checked before anything is matched, as Python does; see regex_expand.
 * Returns 0, or -1 with the error set; `out` may then hold part of the
 * result.
 */
int regex_sub(struct buf *out, size_t *nsubs, const struct regex *re,
	      const char *repl, const char *s, size_t len, size_t count);

/*
 * Append the template `tmpl` expanded for the match `m` of `re`, as
 * Python's Match.expand(): \1..\99, \g<N> and \g<name> are groups (empty
 * if they did not take part), \n \t \r \f \v \a \b \\ are characters,
 * \0 and three-digit \ooo are octal, and any other escape of a non-letter
 * stays as written. Returns 0, or -1 with the error set as
 * "bad template 'TMPL': REASON at offset N" (unknown group, bad escape).
 */
int regex_expand(struct buf *out, const struct regex *re,
		 const struct regex_match *m, const char *tmpl);

/*
 * Append `s` (`len` bytes) with every character that is special in a
 * Python regex escaped, as Python's re.escape().
 */
void regex_escape(struct buf *out, const char *s, size_t len);

#endif
