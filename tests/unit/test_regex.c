#include "tend/common.h"

#include "unit.h"

#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/regex.h"

enum op {
	OP_SEARCH,    /* want: spans of the groups ("0-3,1-2,-") or None */
	OP_MATCH,
	OP_FULLMATCH,
	OP_FINDITER,  /* want: the span of each match, space-separated */
	OP_SUB,       /* want: re.sub(pattern, repl, subject, count) */
	OP_SUBERROR,  /* want: the message re.sub raises (template) */
	OP_ERROR,     /* want: the message re.compile raises */
	OP_ESCAPE,    /* want: re.escape(subject) */
};

struct rcase {
	enum op op;
	const char *pattern;
	unsigned int flags;
	const char *subject, *repl;
	size_t count;
	const char *want;
};

/*
 * Every `want` below is what Python 3.11's re module answered: the table
 * is written by tests/unit/test_regex_gen.py (run it with /usr/bin/python3
 * to regenerate; add cases there, not here). Offsets are bytes into the
 * UTF-8 subject. For errors, `want` is Python's message, which tend's
 * "bad regex '...': MESSAGE at offset N" must contain.
 */
static const struct rcase cases[] = {
	/* GENERATED BEGIN */
	{ OP_SEARCH, "^(.*?)=.*$", 0,
	  "key=a=b", "", 0,
	  "0-7,0-3" },
	{ OP_SEARCH, "^(.*)=.*$", 0,
	  "key=a=b", "", 0,
	  "0-7,0-5" },
	{ OP_SEARCH, "a+?", 0,
	  "aaa", "", 0,
	  "0-1" },
	{ OP_SEARCH, "a{2,3}?", 0,
	  "aaaa", "", 0,
	  "0-2" },
	{ OP_SEARCH, "<.*?>", 0,
	  "<a><b>", "", 0,
	  "0-3" },
	{ OP_SEARCH, "a??b", 0,
	  "ab", "", 0,
	  "0-2" },
	{ OP_SEARCH, "(a|ab)(c|bcd)(d*)", 0,
	  "abcd", "", 0,
	  "0-4,0-1,1-4,4-4" },
	{ OP_SEARCH, "(a|ab)", 0,
	  "ab", "", 0,
	  "0-1,0-1" },
	{ OP_FULLMATCH, "a|ab", 0,
	  "ab", "", 0,
	  "0-2" },
	{ OP_SEARCH, "(a)|b", 0,
	  "b", "", 0,
	  "0-1,-" },
	{ OP_SEARCH, "foo(?=bar)", 0,
	  "foobaz foobar", "", 0,
	  "7-10" },
	{ OP_SEARCH, "foo(?!bar)", 0,
	  "foobar foobaz", "", 0,
	  "7-10" },
	{ OP_SEARCH, "(?<=\\$)\\d+", 0,
	  "cost $42", "", 0,
	  "6-8" },
	{ OP_SEARCH, "(?<!\\$)\\b\\d+", 0,
	  "$42 17", "", 0,
	  "4-6" },
	{ OP_SEARCH, "^(?=.*\\d)(?=.*[a-z]).{6,}$", 0,
	  "abc123", "", 0,
	  "0-6" },
	{ OP_SEARCH, "(?P<key>\\w+)=(?P<val>\\w*)", 0,
	  "a=1", "", 0,
	  "0-3,0-1,2-3" },
	{ OP_SEARCH, "(?P<q>['\"]).*?(?P=q)", 0,
	  "say \"hi\" 'x'", "", 0,
	  "4-8,4-5" },
	{ OP_SEARCH, "(\\w)\\1", 0,
	  "abccd", "", 0,
	  "2-4,2-3" },
	{ OP_SEARCH, "(?:a|b)(c)\\1", 0,
	  "acd acc", "", 0,
	  "4-7,5-6" },
	{ OP_SEARCH, "(<)?\\w+(?(1)>)", 0,
	  "<a> b", "", 0,
	  "0-3,0-1" },
	{ OP_SEARCH, "(?P<o><)?\\w+(?(o)>|!)", 0,
	  "x!", "", 0,
	  "0-2,-" },
	{ OP_SEARCH, "a$", 0,
	  "a\012", "", 0,
	  "0-1" },
	{ OP_SEARCH, "a\\Z", 0,
	  "a\012", "", 0,
	  "None" },
	{ OP_SEARCH, "\\Aa\\Z", 0,
	  "a", "", 0,
	  "0-1" },
	{ OP_SEARCH, "(?m)^b$", 0,
	  "a\012b\012c", "", 0,
	  "2-3" },
	{ OP_SEARCH, "a$", REGEX_MULTILINE,
	  "a\015\012", "", 0,
	  "None" },
	{ OP_FINDITER, "(?m)^", 0,
	  "a\012", "", 0,
	  "0-0 2-2" },
	{ OP_FINDITER, "$", 0,
	  "a\012", "", 0,
	  "1-1 2-2" },
	{ OP_FINDITER, "(?m)^$", 0,
	  "a\012\012b\012", "", 0,
	  "2-2 5-5" },
	{ OP_SEARCH, "\\bfoo\\b", 0,
	  "a foo.", "", 0,
	  "2-5" },
	{ OP_SEARCH, "\\Boo\\B", 0,
	  "foo fooa", "", 0,
	  "5-7" },
	{ OP_SEARCH, "a.b", 0,
	  "a\012b", "", 0,
	  "None" },
	{ OP_SEARCH, "(?s)a.b", 0,
	  "a\012b", "", 0,
	  "0-3" },
	{ OP_SEARCH, "a.b", REGEX_DOTALL,
	  "a\012b", "", 0,
	  "0-3" },
	{ OP_SEARCH, "a(?s:.)b", 0,
	  "a\012b", "", 0,
	  "0-3" },
	{ OP_SEARCH, "(?i)abc", 0,
	  "xABC", "", 0,
	  "1-4" },
	{ OP_SEARCH, "abc", REGEX_IGNORECASE,
	  "xABC", "", 0,
	  "1-4" },
	{ OP_SEARCH, "(?i:A)b", 0,
	  "aB ab", "", 0,
	  "3-5" },
	{ OP_SEARCH, "(?-i:a)B", REGEX_IGNORECASE,
	  "Ab ab", "", 0,
	  "3-5" },
	{ OP_SEARCH, "(?i)\303\251", 0,
	  "CAF\303\211", "", 0,
	  "3-5" },
	{ OP_SEARCH, "(?i)k", 0,
	  "\342\204\252", "", 0,
	  "0-3" },
	{ OP_SEARCH, "(?x) a \\s+ b  # a comment (with a paren", 0,
	  "a   b", "", 0,
	  "0-5" },
	{ OP_SEARCH, "a b", REGEX_VERBOSE,
	  "ab", "", 0,
	  "0-2" },
	{ OP_SEARCH, "(?x) [ ]+ \\# x", 0,
	  "a  #x", "", 0,
	  "1-5" },
	{ OP_SEARCH, "(?x)a{1, 2}", 0,
	  "a{1,2}", "", 0,
	  "0-6" },
	{ OP_SEARCH, "(?x:a b)c d", 0,
	  "abc d", "", 0,
	  "0-5" },
	{ OP_SEARCH, "x{,2}y", 0,
	  "xxxy", "", 0,
	  "1-4" },
	{ OP_SEARCH, "x{2,}", 0,
	  "xxxx", "", 0,
	  "0-4" },
	{ OP_SEARCH, "a{", 0,
	  "a{", "", 0,
	  "0-2" },
	{ OP_SEARCH, "a{}", 0,
	  "a{}", "", 0,
	  "0-3" },
	{ OP_SEARCH, "a{x}", 0,
	  "a{x}", "", 0,
	  "0-4" },
	{ OP_SEARCH, "a}", 0,
	  "a}", "", 0,
	  "0-2" },
	{ OP_SEARCH, "[]a]+", 0,
	  "b]a]", "", 0,
	  "1-4" },
	{ OP_SEARCH, "[^]a]+", 0,
	  "]ab", "", 0,
	  "2-3" },
	{ OP_SEARCH, "[[:alpha:]]+", 0,
	  "ab:]", "", 0,
	  "2-4" },
	{ OP_SEARCH, "[a-]+", 0,
	  "x-a-", "", 0,
	  "1-4" },
	{ OP_SEARCH, "[\\d.-]+", 0,
	  "v1.2-3", "", 0,
	  "1-6" },
	{ OP_SEARCH, "[\\^]", 0,
	  "a^b", "", 0,
	  "1-2" },
	{ OP_SEARCH, "(?>a+)b", 0,
	  "aaab", "", 0,
	  "0-4" },
	{ OP_SEARCH, "a++b", 0,
	  "aaab", "", 0,
	  "0-4" },
	{ OP_SEARCH, "(?>a+)ab", 0,
	  "aaab", "", 0,
	  "None" },
	{ OP_SEARCH, "a(?#comment)*b", 0,
	  "aaab", "", 0,
	  "0-4" },
	{ OP_SEARCH, "\\x41\\101\\u0042\\U00000043", 0,
	  "xAABC", "", 0,
	  "1-5" },
	{ OP_SEARCH, "\\t\\n\\v\\f\\r\\a", 0,
	  "\011\012\013\014\015\007", "", 0,
	  "0-6" },
	{ OP_SEARCH, "[\\b]", 0,
	  "a\010b", "", 0,
	  "1-2" },
	{ OP_SEARCH, "\\.\\*\\+\\?\\-\\#\\ ", 0,
	  "x.*+?-# ", "", 0,
	  "1-8" },
	{ OP_SEARCH, "\\\303\251", 0,
	  "caf\303\251", "", 0,
	  "3-5" },
	{ OP_SEARCH, "[\\0101]", 0,
	  "A1", "", 0,
	  "1-2" },
	{ OP_SEARCH, "\\d+", 0,
	  "x\331\243\331\244y", "", 0,
	  "1-5" },
	{ OP_SEARCH, "(?a)\\d+", 0,
	  "x\331\243\331\2445", "", 0,
	  "5-6" },
	{ OP_SEARCH, "\\w+", 0,
	  "caf\303\251 au", "", 0,
	  "0-5" },
	{ OP_SEARCH, "\\w+", REGEX_BYTES,
	  "caf\303\251 au", "", 0,
	  "0-3" },
	{ OP_SEARCH, "\\w+", REGEX_ASCII,
	  "caf\303\251 au", "", 0,
	  "0-3" },
	{ OP_SEARCH, ".", 0,
	  "\303\251", "", 0,
	  "0-2" },
	{ OP_SEARCH, ".", REGEX_BYTES,
	  "\303\251", "", 0,
	  "0-1" },
	{ OP_SEARCH, "caf.$", 0,
	  "caf\303\251", "", 0,
	  "0-5" },
	{ OP_SEARCH, "caf.$", REGEX_BYTES,
	  "caf\303\251", "", 0,
	  "None" },
	{ OP_SEARCH, "\\s", 0,
	  "a\034b", "", 0,
	  "1-2" },
	{ OP_SEARCH, "\\s", REGEX_BYTES,
	  "a\034b", "", 0,
	  "None" },
	{ OP_SEARCH, "\\S+", 0,
	  "\034ab\034", "", 0,
	  "1-3" },
	{ OP_SEARCH, "[\\s]+", 0,
	  "a\034\037 b", "", 0,
	  "1-4" },
	{ OP_SEARCH, "[^\\S\\n]+", 0,
	  "a \034\012b", "", 0,
	  "1-3" },
	{ OP_SEARCH, "\\s+", 0,
	  "a\302\240\342\200\203b", "", 0,
	  "1-6" },
	{ OP_SEARCH, "[\303\251]", 0,
	  "caf\303\251", "", 0,
	  "3-5" },
	{ OP_SEARCH, "[\303\251]", REGEX_BYTES,
	  "caf\303\251", "", 0,
	  "3-4" },
	{ OP_SEARCH, "[\303\240-\303\274]+", 0,
	  "voil\303\240 \303\274ber", "", 0,
	  "4-6" },
	{ OP_MATCH, "\\d+", 0,
	  "a1", "", 0,
	  "None" },
	{ OP_MATCH, "a", 0,
	  "ab", "", 0,
	  "0-1" },
	{ OP_MATCH, "(?m)^b", 0,
	  "a\012b", "", 0,
	  "None" },
	{ OP_FULLMATCH, "a*", 0,
	  "aab", "", 0,
	  "None" },
	{ OP_FULLMATCH, "a*?", 0,
	  "aaa", "", 0,
	  "0-3" },
	{ OP_SEARCH, "", 0,
	  "abc", "", 0,
	  "0-0" },
	{ OP_FINDITER, "x*", 0,
	  "abxd", "", 0,
	  "0-0 1-1 2-3 3-3 4-4" },
	{ OP_FINDITER, "|a", 0,
	  "a", "", 0,
	  "0-0 0-1 1-1" },
	{ OP_FINDITER, "\\b", 0,
	  "ab cd", "", 0,
	  "0-0 2-2 3-3 5-5" },
	{ OP_FINDITER, "a*?", 0,
	  "aa", "", 0,
	  "0-0 0-1 1-1 1-2 2-2" },
	{ OP_FINDITER, "\\w+", 0,
	  "h\303\251llo w\303\266rld", "", 0,
	  "0-6 7-13" },
	{ OP_FINDITER, ".", 0,
	  "a\303\251", "", 0,
	  "0-1 1-3" },
	{ OP_FINDITER, ".", REGEX_BYTES,
	  "a\303\251", "", 0,
	  "0-1 1-2 2-3" },
	{ OP_FINDITER, "(?<=a)", 0,
	  "aaa", "", 0,
	  "1-1 2-2 3-3" },
	{ OP_FINDITER, "\\d*", 0,
	  "12ab3", "", 0,
	  "0-2 2-2 3-3 4-5 5-5" },
	{ OP_SUB, "^(.*?)=.*$", 0,
	  "key=a=b", "\\1", 0,
	  "key" },
	{ OP_SUB, "x*", 0,
	  "abxd", "-", 0,
	  "-a-b--d-" },
	{ OP_SUB, "|a", 0,
	  "a", "-", 0,
	  "---" },
	{ OP_SUB, "", 0,
	  "ab", "-", 0,
	  "-a-b-" },
	{ OP_SUB, "(?P<k>\\w+): (?P<v>\\w+)", 0,
	  "key: value", "\\g<v>:\\g<k>", 0,
	  "value:key" },
	{ OP_SUB, "(a)(b)?", 0,
	  "a", "[\\1][\\2]", 0,
	  "[a][]" },
	{ OP_SUB, "(a)", 0,
	  "a", "\\1\\n\\t\\\\\\.\\&", 0,
	  "a\012\011\\\\.\\&" },
	{ OP_SUB, "(a)", 0,
	  "a", "\\101\\1010", 0,
	  "AA0" },
	{ OP_SUB, "(\\w+)", 0,
	  "ab", "\\g<1>\\g<0>", 0,
	  "abab" },
	{ OP_SUB, "o", 0,
	  "foo", "0", 1,
	  "f0o" },
	{ OP_SUB, "(?i)HELLO", 0,
	  "Hello", "bye", 0,
	  "bye" },
	{ OP_SUB, "\\d+", 0,
	  "a1b22c333", "#", 0,
	  "a#b#c#" },
	{ OP_SUB, "\303\251", 0,
	  "caf\303\251", "e", 0,
	  "cafe" },
	{ OP_SUB, "(?m)^", 0,
	  "a\012b\012", "> ", 0,
	  "> a\012> b\012> " },
	{ OP_SUB, "a", 0,
	  "a", "\\377", 0,
	  "\303\277" },
	{ OP_SUB, "a", REGEX_BYTES,
	  "a", "\\377", 0,
	  "\377" },
	{ OP_SUB, "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)", 0,
	  "abcdefghijk", "\\11\\10\\g<1>0", 0,
	  "kja0" },
	{ OP_SUB, "\\s+", 0,
	  " a  b ", " ", 0,
	  " a b " },
	{ OP_SUB, "(?<=\\d)(?=(\\d{3})+$)", 0,
	  "1234567", ",", 0,
	  "1,234,567" },
	{ OP_SUBERROR, "(a)", 0,
	  "a", "\\10", 0,
	  "invalid group reference 10" },
	{ OP_SUBERROR, "(a)", 0,
	  "a", "\\g<x>", 0,
	  "unknown group name 'x" },
	{ OP_SUBERROR, "(a)", 0,
	  "a", "\\g<1x>", 0,
	  "bad character in group name '1x'" },
	{ OP_SUBERROR, "(a)", 0,
	  "a", "\\g<1", 0,
	  "missing >, unterminated name" },
	{ OP_SUBERROR, "a", 0,
	  "a", "\\q", 0,
	  "bad escape \\q" },
	{ OP_SUBERROR, "a", 0,
	  "a", "x\\", 0,
	  "bad escape (end of pattern)" },
	{ OP_SUBERROR, "x", 0,
	  "abc", "\\9", 0,
	  "invalid group reference 9" },
	{ OP_SUBERROR, "a", 0,
	  "a", "\\400", 0,
	  "octal escape value \\400 outside of range 0-0o377" },
	{ OP_ESCAPE, "", 0,
	  "a.b*c d-e#f&g~h/i:j_k\011\303\251!\"%", "", 0,
	  "a\\.b\\*c\\ d\\-e\\#f\\&g\\~h/i:j_k\\\011\303\251!\"%" },
	{ OP_ERROR, "(a", 0,
	  "", "", 0,
	  "missing ), unterminated subpattern" },
	{ OP_ERROR, "a)", 0,
	  "", "", 0,
	  "unbalanced parenthesis" },
	{ OP_ERROR, "[ab", 0,
	  "", "", 0,
	  "unterminated character set" },
	{ OP_ERROR, "*a", 0,
	  "", "", 0,
	  "nothing to repeat" },
	{ OP_ERROR, "a**", 0,
	  "", "", 0,
	  "multiple repeat" },
	{ OP_ERROR, "^*", 0,
	  "", "", 0,
	  "nothing to repeat" },
	{ OP_ERROR, "\\q", 0,
	  "", "", 0,
	  "bad escape \\q" },
	{ OP_ERROR, "a\\", 0,
	  "", "", 0,
	  "bad escape (end of pattern)" },
	{ OP_ERROR, "\\2(a)", 0,
	  "", "", 0,
	  "invalid group reference 2" },
	{ OP_ERROR, "(a\\1)", 0,
	  "", "", 0,
	  "cannot refer to an open group" },
	{ OP_ERROR, "(?P<1>a)", 0,
	  "", "", 0,
	  "bad character in group name '1'" },
	{ OP_ERROR, "(?P=x)", 0,
	  "", "", 0,
	  "unknown group name 'x'" },
	{ OP_ERROR, "(?P<a>x)(?P<a>y)", 0,
	  "", "", 0,
	  "redefinition of group name 'a' as group 2; was group 1" },
	{ OP_ERROR, "(?<name>a)", 0,
	  "", "", 0,
	  "unknown extension ?<n" },
	{ OP_ERROR, "a(?i)b", 0,
	  "", "", 0,
	  "global flags not at the start of the expression" },
	{ OP_ERROR, "(?z)", 0,
	  "", "", 0,
	  "unknown extension ?z" },
	{ OP_ERROR, "(?i-i:a)", 0,
	  "", "", 0,
	  "bad inline flags: flag turned on and off" },
	{ OP_ERROR, "x{2,1}", 0,
	  "", "", 0,
	  "min repeat greater than max repeat" },
	{ OP_ERROR, "[z-a]", 0,
	  "", "", 0,
	  "bad character range z-a" },
	{ OP_ERROR, "[\\d-z]", 0,
	  "", "", 0,
	  "bad character range \\d-z" },
	{ OP_ERROR, "\\x4", 0,
	  "", "", 0,
	  "incomplete escape \\x4" },
	{ OP_ERROR, "[\\8]", 0,
	  "", "", 0,
	  "bad escape \\8" },
	{ OP_ERROR, "\\u00e9", REGEX_BYTES,
	  "", "", 0,
	  "bad escape \\u" },
	{ OP_ERROR, "(?u)a", REGEX_BYTES,
	  "", "", 0,
	  "bad inline flags: cannot use 'u' flag with a bytes pattern" },
	{ OP_ERROR, "(?L)a", 0,
	  "", "", 0,
	  "bad inline flags: cannot use 'L' flag with a str pattern" },
	{ OP_ERROR, "(a)(?(2)b)", 0,
	  "", "", 0,
	  "invalid group reference 2" },
	{ OP_ERROR, "(?#unterminated", 0,
	  "", "", 0,
	  "missing ), unterminated comment" },
	{ OP_ERROR, "(?P", 0,
	  "", "", 0,
	  "unexpected end of pattern" },
	{ OP_ERROR, "(*VERB)", 0,
	  "", "", 0,
	  "nothing to repeat" },
	{ OP_ERROR, "(?|a)", 0,
	  "", "", 0,
	  "unknown extension ?|" },
	{ OP_ERROR, "(?R)", 0,
	  "", "", 0,
	  "unknown extension ?R" },
	{ OP_ERROR, "\\h\\K", 0,
	  "", "", 0,
	  "bad escape \\h" },
	/* GENERATED END */
};

static void add_spans(struct buf *out, const struct regex_match *m)
{
	if (!m->matched) {
		buf_adds(out, "None");
		return;
	}
	for (size_t g = 0; g <= m->ngroups; g++) {
		size_t so, eo;

		if (g)
			buf_addch(out, ',');
		if (regex_match_group(&so, &eo, m, g))
			buf_addf(out, "%zu-%zu", so, eo);
		else
			buf_addch(out, '-');
	}
}

static int run_iter(struct buf *out, const struct regex *re, const char *s)
{
	struct regex_match m = REGEX_MATCH_INIT;
	struct regex_iter it;
	int error;

	regex_iter_init(&it, re, s, strlen(s));
	while ((error = regex_iter_next(&m, &it)) == 0 && m.matched)
		buf_addf(out, "%s%zu-%zu", out->len ? " " : "", m.spans[0],
			 m.spans[1]);
	regex_match_release(&m);
	return error;
}

/* Run one case; the answer (or the error message) into *out. */
static int run_case(struct buf *out, const struct rcase *c)
{
	static const enum regex_how hows[] = {
		[OP_SEARCH] = REGEX_SEARCH, [OP_MATCH] = REGEX_MATCH,
		[OP_FULLMATCH] = REGEX_FULLMATCH,
	};
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	int error;

	if (c->op == OP_ESCAPE) {
		regex_escape(out, c->subject, strlen(c->subject));
		return 0;
	}
	if ((error = regex_compile(&re, c->pattern, c->flags)) < 0)
		goto out;
	switch (c->op) {
	case OP_SEARCH:
	case OP_MATCH:
	case OP_FULLMATCH:
		error = regex_exec(&m, re, c->subject, strlen(c->subject), 0,
				   hows[c->op]);
		if (!error)
			add_spans(out, &m);
		break;
	case OP_FINDITER:
		error = run_iter(out, re, c->subject);
		break;
	default:
		error = regex_sub(out, NULL, re, c->repl, c->subject,
				  strlen(c->subject), c->count);
	}
out:
	if (error < 0) {
		buf_reset(out);
		buf_adds(out, tend_error_last());
	}
	regex_match_release(&m);
	regex_free(re);
	return error;
}

static bool case_ok(const struct rcase *c, const struct buf *got, int error)
{
	bool want_error = c->op == OP_ERROR || c->op == OP_SUBERROR;

	if (want_error)
		return error < 0 && strstr(got->ptr, c->want);
	return error == 0 && !strcmp(got->ptr, c->want);
}

/* The whole table; every mismatch is reported, then the test fails. */
static void test_regex__python_table(void **state)
{
	struct buf got = BUF_INIT;
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct rcase *c = &cases[i];
		int error;

		buf_reset(&got);
		error = run_case(&got, c);
		if (case_ok(c, &got, error))
			continue;
		bad++;
		print_error("case %zu: op %d pattern '%s' subject '%s' repl "
			    "'%s'\n  want: %s\n  got:  %s\n", i, (int)c->op,
			    c->pattern, c->subject, c->repl, c->want, got.ptr);
	}
	buf_release(&got);
	if (bad)
		fail_msg("%zu of %zu cases differ from Python", bad,
			 ARRAY_SIZE(cases));
}

static void assert_compile_error(const char *pattern, unsigned int flags,
				 const char *want)
{
	struct regex *re = NULL;

	if (regex_compile(&re, pattern, flags) == 0)
		fail_msg("'%s' compiled", pattern);
	if (!strstr(tend_error_last(), want))
		fail_msg("'%s': expected '%s' in: %s", pattern, want,
			 tend_error_last());
	assert_null(re);
}

/* The message names the pattern, Python's reason and the offset. */
static void test_regex__error_format(void **state)
{
	(void)state;
	assert_compile_error("x(a", 0, "bad regex 'x(a': missing ), "
			     "unterminated subpattern at offset 1");
	assert_compile_error("ab\\q", 0, "bad regex 'ab\\q': bad escape \\q "
			     "at offset 2");
	/* PCRE2's own complaints point into the Python pattern too */
	assert_compile_error("ab(?<=a+)c", 0, "bad regex 'ab(?<=a+)c': ");
	assert_compile_error("ab(?<=a+)c", 0, "lookbehind");
	assert_compile_error("ab(?<=a+)c", 0, " at offset 2");
}

/* What Python accepts and tend refuses, each with a reason. */
static void test_regex__refused(void **state)
{
	(void)state;
	assert_compile_error("\\N{EM DASH}", 0, "\\N{...} (a character by "
			     "its Unicode name) is not supported");
	assert_compile_error("(?a:\\w)", 0, "(?a:...) (a class mode for part "
			     "of a pattern) is not supported");
	assert_compile_error("(?a)(?u:\\w)", 0, "(?u:...) (a class mode");
	assert_compile_error("(?L)a", REGEX_BYTES, "(?L) (locale-dependent "
			     "matching) is not supported");
	assert_compile_error("a{70000}", 0, "a repeat count over 65535");
	assert_compile_error("a\xff", 0, "not valid UTF-8 at offset 1");
}

static void test_regex__flags_and_groups(void **state)
{
	struct regex *re = NULL;
	size_t g = 0;

	(void)state;
	assert_ok(regex_compile(&re, "(?m)(?P<k>a)(b)(?P<v>c)", 0));
	assert_int_equal(regex_flags(re), REGEX_MULTILINE);
	assert_int_equal(regex_groups(re), 3);
	assert_true(regex_group_lookup(&g, re, "v", 1));
	assert_int_equal(g, 3);
	assert_false(regex_group_lookup(&g, re, "b", 1));
	assert_string_equal(regex_pattern(re), "(?m)(?P<k>a)(b)(?P<v>c)");
	regex_free(re);

	assert_ok(regex_compile(&re, "(?xi)a", REGEX_BYTES));
	assert_int_equal(regex_flags(re), REGEX_BYTES | REGEX_VERBOSE |
					  REGEX_IGNORECASE);
	regex_free(re);
}

/*
 * Invalid UTF-8 in the subject of a str pattern: still searched, its bad
 * bytes match nothing (Python's surrogateescape would match them with .).
 */
static void test_regex__invalid_utf8_subject(void **state)
{
	struct regex *re = NULL;
	struct buf out = BUF_INIT;

	(void)state;
	assert_ok(regex_compile(&re, ".", 0));
	assert_ok(run_iter(&out, re, "a\xff\xc3\xa9"));
	assert_string_equal(out.ptr, "0-1 2-4");
	regex_free(re);
	buf_release(&out);
}

/* Matching from an offset: ^ stays the start, lookbehind sees back. */
static void test_regex__offset(void **state)
{
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;

	(void)state;
	assert_ok(regex_compile(&re, "^a", 0));
	assert_ok(regex_exec(&m, re, "aa", 2, 1, REGEX_SEARCH));
	assert_false(m.matched);
	regex_free(re);
	assert_ok(regex_compile(&re, "(?<=a)b", 0));
	assert_ok(regex_exec(&m, re, "ab", 2, 1, REGEX_MATCH));
	assert_true(m.matched);
	regex_free(re);
	regex_match_release(&m);
}

static void test_regex__expand(void **state)
{
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	assert_ok(regex_compile(&re, "(?P<k>\\w+)=(\\w+)?", 0));
	assert_ok(regex_exec(&m, re, "x=", 2, 0, REGEX_SEARCH));
	assert_ok(regex_expand(&out, re, &m, "[\\g<k>][\\2][\\g<0>]"));
	assert_string_equal(out.ptr, "[x][][x=]");
	assert_int_equal(regex_expand(&out, re, &m, "\\3"), -1);
	assert_non_null(strstr(tend_error_last(), "bad template '\\3': "
			       "invalid group reference 3 at offset 1"));
	regex_match_release(&m);
	regex_free(re);
	buf_release(&out);
}

/* A pattern that backtracks without end fails instead of hanging. */
static void test_regex__match_limit(void **state)
{
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	const char *s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";

	(void)state;
	assert_ok(regex_compile(&re, "(a|aa)+$", 0));
	assert_int_equal(regex_exec(&m, re, s, strlen(s), 0, REGEX_SEARCH),
			 -1);
	assert_non_null(strstr(tend_error_last(), "limit"));
	regex_match_release(&m);
	regex_free(re);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regex__python_table),
		cmocka_unit_test(test_regex__error_format),
		cmocka_unit_test(test_regex__refused),
		cmocka_unit_test(test_regex__flags_and_groups),
		cmocka_unit_test(test_regex__invalid_utf8_subject),
		cmocka_unit_test(test_regex__offset),
		cmocka_unit_test(test_regex__expand),
		cmocka_unit_test(test_regex__match_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
