#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/lineedit.h"
#include "tend/modkit/module.h"
#include "tend/transport/transport.h"
#include "tend/data/val.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"
#include "tend/util/regex.h"

#include <sys/stat.h>
#include <unistd.h>

extern const struct tend_module mod_lineinfile, mod_blockinfile;

/*
 * The expectations of the case tables were obtained by running Ansible
 * 2.14 (`ansible localhost -m lineinfile -a ...`) on each "before" file
 * and reading the file, `changed` and `msg` back; before NULL means the
 * file did not exist (with create=true).
 */

struct li_case {
	const char *before;
	struct lineinfile_opts o;
	const char *after;
	bool changed;
	const char *msg;
	size_t found;
};

struct bi_case {
	const char *before;
	struct blockinfile_opts o;
	const char *after;
	bool changed;
	const char *msg;
};

static const struct li_case li_cases[] = {
	{ "a\nb\n",
	  { "c", NULL, NULL, NULL, NULL, false, false, false, 0 },
	  "a\nb\nc\n", true, "line added", 0 },
	{ "a\nb",
	  { "c", NULL, NULL, NULL, NULL, false, false, false, 0 },
	  "a\nb\nc\n", true, "line added", 0 },
	{ "a\nb",
	  { "b", NULL, NULL, NULL, NULL, false, false, false, 0 },
	  "a\nb\n", true, "line replaced", 0 },
	{ "a\nb\n",
	  { "b", NULL, NULL, NULL, NULL, false, false, false, 0 },
	  "a\nb\n", false, "", 0 },
	{ "",
	  { "x", NULL, NULL, NULL, NULL, false, false, false, 0 },
	  "x\n", true, "line added", 0 },
	{ NULL,
	  { "x", NULL, NULL, NULL, NULL, false, false, false, 0 },
	  "x\n", true, "line added", 0 },
	{ "port=1\nfoo\nport=2\n",
	  { "port=3", "^port=", NULL, NULL, NULL, false, false, false, 0 },
	  "port=1\nfoo\nport=3\n", true, "line replaced", 0 },
	{ "port=1\nfoo\nport=2\n",
	  { "port=3", "^port=", NULL, NULL, NULL, false, false, true, 0 },
	  "port=3\nfoo\nport=2\n", true, "line replaced", 0 },
	{ "a\nb\n",
	  { "c", "^z", NULL, NULL, NULL, false, false, false, 0 },
	  "a\nb\nc\n", true, "line added", 0 },
	{ "a\nb\n",
	  { "c", "^z", NULL, NULL, "BOF", false, false, false, 0 },
	  "c\na\nb\n", true, "line added", 0 },
	{ "a\nb\n",
	  { "x", NULL, NULL, "^a", NULL, false, false, false, 0 },
	  "a\nx\nb\n", true, "line added", 0 },
	{ "a\nb\na\n",
	  { "x", NULL, NULL, "^a", NULL, false, false, false, 0 },
	  "a\nb\na\nx\n", true, "line added", 0 },
	{ "a\nb\na\n",
	  { "x", NULL, NULL, "^a", NULL, false, false, true, 0 },
	  "a\nx\nb\na\n", true, "line added", 0 },
	{ "a\nb\na\n",
	  { "x", NULL, NULL, NULL, "^a", false, false, false, 0 },
	  "a\nb\nx\na\n", true, "line added", 0 },
	{ "a\nb\na\n",
	  { "x", NULL, NULL, NULL, "^a", false, false, true, 0 },
	  "x\na\nb\na\n", true, "line added", 0 },
	{ "a\nb\n",
	  { "x", NULL, NULL, "^nomatch", NULL, false, false, false, 0 },
	  "a\nb\nx\n", true, "line added", 0 },
	{ "a\nb\n",
	  { "x", NULL, NULL, NULL, "^nomatch", false, false, false, 0 },
	  "a\nb\nx\n", true, "line added", 0 },
	{ "a\nx\nb\n",
	  { "x", NULL, NULL, "^a", NULL, false, false, false, 0 },
	  "a\nx\nb\n", false, "", 0 },
	{ "a\nb",
	  { "c", NULL, NULL, "^b", NULL, false, false, false, 0 },
	  "a\nbc\n", true, "line added", 0 },
	{ "name=foo\n",
	  { "name=\\1bar", "^name=(\\w+)$", NULL, NULL, NULL, false, true, false, 0 },
	  "name=foobar\n", true, "line replaced", 0 },
	{ "x\n",
	  { "\\1", "^y(.*)", NULL, NULL, NULL, false, true, false, 0 },
	  "x\n", false, "", 0 },
	{ "a\nb\nb\nc\n",
	  { "b", NULL, NULL, NULL, NULL, true, false, false, 0 },
	  "a\nc\n", true, "2 line(s) removed", 2 },
	{ "#a\nb\n#c\n",
	  { NULL, "^#", NULL, NULL, NULL, true, false, false, 0 },
	  "b\n", true, "2 line(s) removed", 2 },
	{ "a foo\nb\nfoo\n",
	  { NULL, NULL, "foo", NULL, NULL, true, false, false, 0 },
	  "b\n", true, "2 line(s) removed", 2 },
	{ "a\nb\n",
	  { "z", NULL, NULL, NULL, NULL, true, false, false, 0 },
	  "a\nb\n", false, "", 0 },
	{ "Listen 80\nx\n",
	  { "Listen 8080", NULL, "Listen 80", NULL, NULL, false, false, false, 0 },
	  "Listen 8080\nx\n", true, "line replaced", 0 },
	{ "Listen 80\nx\n",
	  { "Listen 8080", NULL, "Listen 81", NULL, NULL, false, false, false, 0 },
	  "Listen 80\nx\nListen 8080\n", true, "line added", 0 },
	{ "a\nb\n",
	  { "x", NULL, NULL, "BOF", NULL, false, false, false, 0 },
	  "x\na\nb\n", true, "line added", 0 },
	{ "a\n",
	  { "a", NULL, NULL, NULL, "BOF", false, false, false, 0 },
	  "a\n", false, "", 0 },
	{ "port 22\n",
	  { "port 2222", "^port \\d+$", NULL, NULL, NULL, false, false, false, 0 },
	  "port 2222\n", true, "line replaced", 0 },
	{ "port 2222\n",
	  { "port 2222", "^port \\d+$", NULL, NULL, NULL, false, false, false, 0 },
	  "port 2222\n", false, "", 0 },
	{ "a\r\nb\r\n",
	  { "b", NULL, NULL, NULL, NULL, false, false, false, 0 },
	  "a\r\nb\n", true, "line replaced", 0 },
	{ "x=1\nx=2\n",
	  { "x=1", "^x=", NULL, NULL, NULL, false, false, false, 0 },
	  "x=1\nx=1\n", true, "line replaced", 0 },
	{ "a\nb\n",
	  { "x", NULL, NULL, NULL, "^a", false, false, false, 0 },
	  "x\na\nb\n", true, "line added", 0 },
	{ "a\nb\na\n",
	  { "x", "^nomatch", NULL, "^a", NULL, false, false, true, 0 },
	  "a\nx\nb\na\n", true, "line added", 0 },
	{ "ab\n",
	  { "[\\g<1>][\\2]", "^(a)?(c)?b$", NULL, NULL, NULL, false, true, false, 0 },
	  "[a][]\n", true, "line replaced", 0 },
	{ "key =  val\n",
	  { "key = new", "^key[\\s]*=", NULL, NULL, NULL, false, false, false, 0 },
	  "key = new\n", true, "line replaced", 0 },
	{ "a\n",
	  { "", NULL, NULL, NULL, NULL, false, false, false, 0 },
	  "a\n\n", true, "line added", 0 },
	{ "a\n\n",
	  { "", NULL, NULL, NULL, NULL, false, false, false, 0 },
	  "a\n\n", false, "", 0 },
	{ "HOST=x\n",
	  { "HOST=y", "(?i)^host=", NULL, NULL, NULL, false, false, false, 0 },
	  "HOST=y\n", true, "line replaced", 0 },
	{ "a\r\nb\r\n",
	  { "c", "^b$", NULL, NULL, NULL, false, false, false, 0 },
	  "a\r\nb\r\nc\n", true, "line added", 0 },
	{ "a\nb\n",
	  { "c", NULL, NULL, "^b", NULL, false, false, false, 0 },
	  "a\nb\nc\n", true, "line added", 0 },
	{ "a\nb",
	  { "c", NULL, NULL, "^a", NULL, false, false, false, 0 },
	  "a\nc\nb", true, "line added", 0 },
	{ "a\nb\n",
	  { "a", "^a", NULL, "^b", NULL, false, false, false, 0 },
	  "a\nb\n", false, "", 0 },
	{ "x\n",
	  { "y", "x", NULL, NULL, NULL, false, true, true, 0 },
	  "y\n", true, "line replaced", 0 },
	{ "v=1.2\n",
	  { "v=\\2.\\1\\tz", "^v=(\\d+)\\.(\\d+)$", NULL, NULL, NULL, false, true, false, 0 },
	  "v=2.1\tz\n", true, "line replaced", 0 },
	{ "a\nb\nc\n",
	  { "b", NULL, NULL, NULL, "^c", false, false, false, 0 },
	  "a\nb\nc\n", false, "", 0 },
	{ "a\nb\nc\n",
	  { "B", NULL, "b", NULL, NULL, false, false, true, 0 },
	  "a\nB\nc\n", true, "line replaced", 0 },
	{ "a\nb",
	  { "b", NULL, NULL, NULL, NULL, true, false, false, 0 },
	  "a\n", true, "1 line(s) removed", 1 },
	{ "a\n",
	  { NULL, "a", NULL, NULL, NULL, true, false, false, 0 },
	  "", true, "1 line(s) removed", 1 },
	{ "a\nb\nx\n",
	  { "x", NULL, NULL, "^a", NULL, false, false, true, 0 },
	  "a\nx\nb\nx\n", true, "line added", 0 },
	{ "k1=v\n",
	  { "\\1:\\g<val>", "^(?:k|j)(\\d)=(?P<val>\\w+)$", NULL, NULL, NULL, false, true, false, 0 },
	  "1:v\n", true, "line replaced", 0 },
	{ "foo bar\nfoobar\n",
	  { "BAR", "\\bbar\\b", NULL, NULL, NULL, false, false, false, 0 },
	  "BAR\nfoobar\n", true, "line replaced", 0 },
	{ "x=${HOME}\n",
	  { "x=/root", "^x=\\${HOME}$", NULL, NULL, NULL, false, false, false, 0 },
	  "x=/root\n", true, "line replaced", 0 },
	{ "aa\na\n",
	  { "b", "^a{2}$", NULL, NULL, NULL, false, false, false, 0 },
	  "b\na\n", true, "line replaced", 0 },
	{ "1.2.3.4 host\n1x2x3x4 h\n",
	  { NULL, "^1\\.2\\.3\\.4", NULL, NULL, NULL, true, false, false, 0 },
	  "1x2x3x4 h\n", true, "1 line(s) removed", 1 },
	{ "key = v\nkey=w\n",
	  { NULL, "^key[^\\s]", NULL, NULL, NULL, true, false, false, 0 },
	  "key = v\n", true, "1 line(s) removed", 1 },
	{ "a]b\nab\n",
	  { NULL, "[\\]x]", NULL, NULL, NULL, true, false, false, 0 },
	  "ab\n", true, "1 line(s) removed", 1 },
	{ "a-b\nab\n",
	  { NULL, "a[-x]b", NULL, NULL, NULL, true, false, false, 0 },
	  "ab\n", true, "1 line(s) removed", 1 },
	{ "Port 22\n#Port 22\n",
	  { "Port 2222", "^#?Port\\s+\\d+", NULL, NULL, NULL, false, false, true, 0 },
	  "Port 2222\n#Port 22\n", true, "line replaced", 0 },
	{ "a\n\tb\n",
	  { "c", "^\\tb", NULL, NULL, NULL, false, false, false, 0 },
	  "a\nc\n", true, "line replaced", 0 },
	{ "x\n",
	  { "a\\.b\\\\c", "^x$", NULL, NULL, NULL, false, true, false, 0 },
	  "a\\.b\\c\n", true, "line replaced", 0 },
	{ "x\n",
	  { "y", NULL, "", NULL, NULL, false, false, false, 0 },
	  "y\n", true, "line replaced", 0 },
	{ "a\nb\n",
	  { "y", "", NULL, NULL, NULL, false, false, false, 0 },
	  "a\ny\n", true, "line replaced", 0 },
};

static const struct bi_case bi_cases[] = {
	{ "a\n",
	  { "x\ny", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
	{ "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n",
	  { "x\ny", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n", false, "" },
	{ "a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nz\n",
	  { "x\ny", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\nz\n", true, "Block inserted" },
	{ "a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nz\n",
	  { NULL, NULL, NULL, NULL, NULL, NULL, true, 0 },
	  "a\nz\n", true, "Block removed" },
	{ "a\n",
	  { NULL, NULL, NULL, NULL, NULL, NULL, true, 0 },
	  "a\n", false, "" },
	{ "a",
	  { NULL, NULL, NULL, NULL, NULL, NULL, true, 0 },
	  "a\n", true, "Block removed" },
	{ "a\nb\n",
	  { "x", NULL, NULL, NULL, NULL, "BOF", false, 0 },
	  "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\na\nb\n", true, "Block inserted" },
	{ "a\nb\na\nc\n",
	  { "x", NULL, NULL, NULL, "^a", NULL, false, 0 },
	  "a\nb\na\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nc\n", true, "Block inserted" },
	{ "a\nb\nb\nc\n",
	  { "x", NULL, NULL, NULL, NULL, "^b", false, 0 },
	  "a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\nc\n", true, "Block inserted" },
	{ NULL,
	  { "x", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", true, "File created" },
	{ "a\n",
	  { "x", "<!-- {mark} -->", "start", "stop", NULL, NULL, false, 0 },
	  "a\n<!-- start -->\nx\n<!-- stop -->\n", true, "Block inserted" },
	{ "a",
	  { "x", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
	{ "a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\n",
	  { "", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "a\n", true, "Block removed" },
	{ "a\n",
	  { "x\n", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
	{ "a\n# END ANSIBLE MANAGED BLOCK\nold\n# BEGIN ANSIBLE MANAGED BLOCK\nz\n",
	  { "n", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "a\n# BEGIN ANSIBLE MANAGED BLOCK\nn\n# END ANSIBLE MANAGED BLOCK\nz\n", true, "Block inserted" },
	{ "a\n",
	  { "x\r\ny", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\r\ny\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
	{ NULL,
	  { "", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "", true, "File created" },
	{ "a\n# BEGIN ANSIBLE MANAGED BLOCK\nb\n",
	  { "x", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "a\n# BEGIN ANSIBLE MANAGED BLOCK\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
	{ "a\nb\n",
	  { "x", NULL, NULL, NULL, "^nomatch", NULL, false, 0 },
	  "a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
	{ "a\r\nb\r\n",
	  { "x", NULL, NULL, NULL, "^a", NULL, false, 0 },
	  "a\r\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\r\n", true, "Block inserted" },
	{ "a\n",
	  { "x", NULL, NULL, NULL, "BOF", NULL, false, 0 },
	  "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
	{ "",
	  { "x", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
	{ "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK",
	  { "x", NULL, NULL, NULL, NULL, NULL, false, 0 },
	  "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
	{ "a\nb\n",
	  { "x", NULL, NULL, NULL, NULL, "^nomatch", false, 0 },
	  "a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
	{ "a\n<!-- start -->\nq\n<!-- stop -->\n",
	  { "x", "<!-- {mark} -->", "start", "stop", NULL, NULL, false, 0 },
	  "a\n<!-- start -->\nx\n<!-- stop -->\n", true, "Block inserted" },
	{ "a\nb\n",
	  { "x", NULL, NULL, NULL, "^b$", NULL, false, 0 },
	  "a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", true, "Block inserted" },
};

static void test_lineinfile__ansible_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(li_cases); i++) {
		const struct li_case *c = &li_cases[i];
		struct lineedit_result r;

		lineedit_result_init(&r);
		assert_ok(lineedit_lineinfile(&r, c->before,
					      c->before ? strlen(c->before) : 0,
					      &c->o));
		if (strcmp(r.content.ptr, c->after) || r.changed != c->changed ||
		    strcmp(r.msg.ptr, c->msg) || r.found != c->found)
			fail_msg("case %zu (line '%s'): got '%s' changed=%d "
				 "msg '%s' found %zu", i,
				 c->o.line ? c->o.line : "(null)", r.content.ptr,
				 r.changed, r.msg.ptr, r.found);
		lineedit_result_release(&r);
	}
}

static void test_lineinfile__blockinfile_ansible_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bi_cases); i++) {
		const struct bi_case *c = &bi_cases[i];
		struct lineedit_result r;

		lineedit_result_init(&r);
		assert_ok(lineedit_blockinfile(&r, c->before,
					       c->before ? strlen(c->before) : 0,
					       &c->o));
		if (strcmp(r.content.ptr, c->after) || r.changed != c->changed ||
		    strcmp(r.msg.ptr, c->msg))
			fail_msg("case %zu: got '%s' changed=%d msg '%s'", i,
				 r.content.ptr, r.changed, r.msg.ptr);
		lineedit_result_release(&r);
	}
}

/*
 * A line or block holding NUL is written whole, as Ansible does (it used
 * to stop at the NUL), and found again on the next run.
 */
static void test_lineinfile__nul_bytes(void **state)
{
	static const char line[] = "a\0b", block[] = "x\0y\nz";
	static const char li_want[] = "-\na\0b\n";
	static const char bi_want[] = "-\n# BEGIN ANSIBLE MANAGED BLOCK\n"
				      "x\0y\nz\n# END ANSIBLE MANAGED BLOCK\n";
	struct lineinfile_opts o = { line, NULL, NULL, NULL, NULL,
				     false, false, false, sizeof(line) - 1 };
	struct blockinfile_opts b = { block, NULL, NULL, NULL, NULL, NULL,
				      false, sizeof(block) - 1 };
	struct lineedit_result r, again;

	(void)state;
	lineedit_result_init(&r);
	lineedit_result_init(&again);
	assert_ok(lineedit_lineinfile(&r, "-\n", 2, &o));
	assert_int_equal(r.content.len, sizeof(li_want) - 1);
	assert_memory_equal(r.content.ptr, li_want, sizeof(li_want) - 1);
	assert_ok(lineedit_lineinfile(&again, r.content.ptr, r.content.len,
				      &o));
	assert_false(again.changed);
	lineedit_result_release(&r);
	lineedit_result_release(&again);

	lineedit_result_init(&r);
	lineedit_result_init(&again);
	assert_ok(lineedit_blockinfile(&r, "-\n", 2, &b));
	assert_int_equal(r.content.len, sizeof(bi_want) - 1);
	assert_memory_equal(r.content.ptr, bi_want, sizeof(bi_want) - 1);
	assert_ok(lineedit_blockinfile(&again, r.content.ptr, r.content.len,
				       &b));
	assert_false(again.changed);
	lineedit_result_release(&r);
	lineedit_result_release(&again);
}

/* Each edit, applied again to its own result, changes nothing. */
static void test_lineinfile__idempotent(void **state)
{
	static const struct lineinfile_opts opts[] = {
		{ "port=3", "^port=", NULL, NULL, NULL, false, false, false, 0 },
		{ "x", NULL, NULL, "^a", NULL, false, false, false, 0 },
		{ "x", NULL, NULL, NULL, "^b", false, false, true, 0 },
		{ "x", NULL, NULL, "BOF", NULL, false, false, false, 0 },
		{ NULL, "^#", NULL, NULL, NULL, true, false, false, 0 },
	};
	const char *in = "a\nport=1\n#c\nb";

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		struct lineedit_result r1, r2;

		lineedit_result_init(&r1);
		lineedit_result_init(&r2);
		assert_ok(lineedit_lineinfile(&r1, in, strlen(in), &opts[i]));
		assert_true(r1.changed);
		assert_ok(lineedit_lineinfile(&r2, r1.content.ptr,
					      r1.content.len, &opts[i]));
		assert_false(r2.changed);
		assert_string_equal(r2.content.ptr, r1.content.ptr);
		lineedit_result_release(&r1);
		lineedit_result_release(&r2);
	}
}

static void assert_re(const char *pattern, const char *s, bool want)
{
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;

	assert_ok(regex_compile(&re, pattern, REGEX_BYTES));
	assert_ok(regex_exec(&m, re, s, strlen(s), 0, REGEX_SEARCH));
	if (m.matched != want)
		fail_msg("'%s' on '%s': expected %s", pattern, s,
			 want ? "a match" : "no match");
	regex_match_release(&m);
	regex_free(re);
}

/* Expectations from Python's re.search. */
static void test_lineinfile__regex_search(void **state)
{
	(void)state;
	assert_re("^\\d+$", "123", true);
	assert_re("^\\d+$", "12a", false);
	assert_re("^\\D", "a1", true);
	assert_re("^\\D", "1a", false);
	assert_re("[\\d.]+x", "1.2x", true);
	assert_re("^[^\\s]+$", "ab", true);
	assert_re("^[^\\s]+$", "a b", false);
	assert_re("^[\\w-]+$", "a_b-c", true);
	assert_re("^[\\w-]+$", "a.b", false);
	assert_re("[\\^]", "a^b", true);
	assert_re("[\\^]", "ab", false);
	assert_re("[]a]", "]", true);
	assert_re("\\Afoo\\Z", "foo", true);
	assert_re("a{,2}b", "b", true);
	assert_re("^a{2,}$", "a", false);
	assert_re("x{y}", "x{y}", true);
	assert_re("(?i)abc", "ABC", true);
	assert_re("(?P<q>['\"])x(?P=q)", "'x'", true);
	assert_re("(?P<q>['\"])x(?P=q)", "'x\"", false);
	assert_re("(?:a|b)(c)\\1", "acc", true);
	assert_re("(?:a|b)(c)\\1", "acd", false);
	assert_re("a(?#comment)b", "ab", true);
	assert_re("\\x41\\.", "A.", true);
	assert_re("\\bword\\b", "a word.", true);
	assert_re("\\bword\\b", "swordy", false);
	assert_re("^$", "", true);
	assert_re("a\\tb", "a\tb", true);
	assert_re("1+?2", "112", true);
	assert_re("(?=x)", "x", true);
	assert_re("(?<!x)y", "xy", false);
	assert_re("(?<!x)y", "ay", true);
	assert_re("[\\S]", " a", true);
	assert_re("[\\S]", "  ", false);
	assert_re("(?x)a b", "ab", true);
}

static void test_lineinfile__regex_errors(void **state)
{
	static const char *const bad[] = {
		"(?<name>x)", "a**", "\\q", "(?P=nope)", "(a", "a\\", "[ab",
		"\\2(a)", "[z-a]",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct regex *re = NULL;

		if (regex_compile(&re, bad[i], REGEX_BYTES) == 0)
			fail_msg("'%s' compiled", bad[i]);
		assert_non_null(strstr(tend_error_last(), "bad regex"));
		regex_free(re);
	}
}

static void test_lineinfile__expand(void **state)
{
	static const struct {
		const char *pattern, *subject, *tmpl, *want;
	} cases[] = {
		{ "(a)(b)?", "a", "[\\1][\\2]", "[a][]" },
		{ "(?P<k>\\w+)=(\\w+)", "x=y", "\\2=\\g<k>\\g<0>", "y=xx=y" },
		{ "(a)", "a", "\\1\\n\\\\\\.", "a\n\\\\." },
		{ "(a)", "a", "\\101\\0", "A" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct regex *re = NULL;
		struct regex_match m = REGEX_MATCH_INIT;
		struct buf out = BUF_INIT;

		assert_ok(regex_compile(&re, cases[i].pattern, REGEX_BYTES));
		assert_ok(regex_exec(&m, re, cases[i].subject,
				     strlen(cases[i].subject), 0,
				     REGEX_SEARCH));
		assert_true(m.matched);
		assert_ok(regex_expand(&out, re, &m, cases[i].tmpl));
		assert_string_equal(out.ptr, cases[i].want);
		buf_release(&out);
		regex_match_release(&m);
		regex_free(re);
	}
}

static void test_lineinfile__expand_errors(void **state)
{
	static const char *const bad[] = { "\\3", "\\g<nope>", "\\q", "x\\" };
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;

	(void)state;
	assert_ok(regex_compile(&re, "(a)(b)", REGEX_BYTES));
	assert_ok(regex_exec(&m, re, "ab", 2, 0, REGEX_SEARCH));
	assert_true(m.matched);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct buf out = BUF_INIT;

		if (regex_expand(&out, re, &m, bad[i]) == 0)
			fail_msg("'%s' expanded", bad[i]);
		buf_release(&out);
	}
	regex_match_release(&m);
	regex_free(re);
}

static void test_lineinfile__bad_regexp_fails(void **state)
{
	struct lineinfile_opts o = { "x", "a**", NULL, NULL, NULL,
				     false, false, false, 0 };
	struct blockinfile_opts b = { "x", NULL, NULL, NULL, "(", NULL,
				      false, 0 };
	struct lineedit_result r;

	(void)state;
	lineedit_result_init(&r);
	assert_int_equal(lineedit_lineinfile(&r, "a\n", 2, &o), -1);
	o.regexp = NULL;
	o.insertafter = "[";
	assert_int_equal(lineedit_lineinfile(&r, "a\n", 2, &o), -1);
	assert_int_equal(lineedit_blockinfile(&r, "a\n", 2, &b), -1);
	lineedit_result_release(&r);
}

/*
 * End to end: check through a read-only view of the local transport (as
 * the planner hands it out), apply through the real one, check again.
 */
struct fixture {
	char dir[64];
	struct transport *t, *ro;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/tend-test-lineinfile-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (transport_local_new(&f->t, NULL) < 0 ||
	    transport_readonly_new(&f->ro, f->t) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct buf cmd = BUF_INIT;

	buf_adds(&cmd, "rm -rf ");
	sh_quote(&cmd, f->dir);
	if (system(cmd.ptr) != 0)
		return -1;
	buf_release(&cmd);
	transport_close(f->ro);
	transport_close(f->t);
	free(f);
	return 0;
}

static char *path_in(const struct fixture *f, const char *name)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/%s", f->dir, name);
	return buf_detach(&b, NULL);
}

static void write_file(const char *path, const char *content)
{
	assert_ok(buf_write_file_atomic(path, content, strlen(content), 0644));
}

static void assert_file(const char *path, const char *want)
{
	struct buf b = BUF_INIT;

	assert_ok(buf_read_file(&b, path));
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static unsigned int mode_on_disk(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

/*
 * Normalized args for `m`: "path" is the file `name` in the fixture's
 * dir, the rest are key/value pairs (NULL-terminated).
 */
static struct val *make_args(const struct fixture *f,
			     const struct tend_module *m, const char *name,
			     ...)
{
	struct val *raw = val_dict(), *norm = NULL;
	struct diags d = DIAGS_INIT;
	char *path = path_in(f, name);
	const char *k, *v;
	va_list ap;

	val_dict_set_str(raw, "dest", path);
	va_start(ap, name);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		val_dict_set_str(raw, k, v);
	}
	va_end(ap);
	if (args_normalize(&norm, m, raw, NULL, &d, true) < 0) {
		diags_print(&d, stderr);
		fail_msg("bad args");
	}
	diags_release(&d);
	val_unref(raw);
	free(path);
	return norm;
}

/* check (read-only), expecting `status`; the result stays in *cr. */
static void run_check(struct check_result *cr, const struct fixture *f,
		      const struct tend_module *m, const struct val *args,
		      enum check_status status)
{
	struct task_ctx ctx = { .t = f->ro, .args = args, .host = "localhost" };

	check_result_init(cr);
	assert_ok(module_check(cr, m, &ctx));
	if (cr->status != status)
		fail_msg("check status %d, expected %d (msg '%s')", cr->status,
			 status, cr->msg.ptr);
}

/* check, apply, then check again, which must be OK. */
static void check_apply_check(const struct fixture *f,
			      const struct tend_module *m,
			      const struct val *args, const char *msg,
			      struct apply_result *ar)
{
	struct task_ctx ctx = { .t = f->t, .args = args, .host = "localhost" };
	struct check_result cr;
	unsigned long trips = f->t->round_trips;

	/* one round trip to read, one to write */
	run_check(&cr, f, m, args, CHECK_CHANGE);
	assert_int_equal(f->t->round_trips, trips + 1);
	assert_string_equal(cr.msg.ptr, msg);
	apply_result_init(ar);
	assert_ok(m->apply(ar, &ctx, &cr));
	assert_int_equal(f->t->round_trips, trips + 2);
	assert_true(ar->changed);
	assert_string_equal(ar->msg.ptr, msg);
	check_result_release(&cr);

	run_check(&cr, f, m, args, CHECK_OK);
	assert_int_equal(cr.diff.len, 0);
	check_result_release(&cr);
}

static void test_lineinfile__e2e_insert(void **state)
{
	struct fixture *f = *state;
	char *p = path_in(f, "conf");
	struct val *args = make_args(f, &mod_lineinfile, "conf", "value", "c",
				     "insertafter", "^a", NULL);
	struct check_result cr;
	struct apply_result ar;

	write_file(p, "a\nb\n");
	run_check(&cr, f, &mod_lineinfile, args, CHECK_CHANGE);
	assert_string_equal(cr.msg.ptr, "line added");
	assert_non_null(strstr(cr.diff.ptr, "@@ -1,2 +1,3 @@\n a\n+c\n b\n"));
	assert_int_equal(cr.changes.len, 0);
	check_result_release(&cr);
	assert_file(p, "a\nb\n");

	check_apply_check(f, &mod_lineinfile, args, "line added", &ar);
	assert_file(p, "a\nc\nb\n");
	assert_string_equal(val_cstr(val_dict_get(ar.result, "backup")), "");
	apply_result_release(&ar);
	val_unref(args);
	free(p);
}

static void test_lineinfile__e2e_create_with_mode(void **state)
{
	struct fixture *f = *state;
	char *p = path_in(f, "new");
	struct val *args = make_args(f, &mod_lineinfile, "new", "line", "x=1",
				     "regexp", "^x=", "create", "yes", "mode",
				     "0600", NULL);
	struct check_result cr;
	struct apply_result ar;

	run_check(&cr, f, &mod_lineinfile, args, CHECK_CHANGE);
	assert_string_equal(cr.changes.ptr, "state: absent -> file\n");
	check_result_release(&cr);
	assert_int_equal(access(p, F_OK), -1);

	/* Ansible's message: the new file's 0644 became 0600 */
	check_apply_check(f, &mod_lineinfile, args, "line added and ownership, "
			  "perms or SE linux context changed", &ar);
	assert_file(p, "x=1\n");
	assert_int_equal(mode_on_disk(p), 0600);
	apply_result_release(&ar);
	val_unref(args);
	free(p);
}

static void test_lineinfile__e2e_absent(void **state)
{
	struct fixture *f = *state;
	char *p = path_in(f, "conf");
	struct val *args = make_args(f, &mod_lineinfile, "conf", "regexp",
				     "^#", "state", "absent", NULL);
	struct apply_result ar;
	struct check_result cr;

	write_file(p, "#a\nb\n#c\n");
	run_check(&cr, f, &mod_lineinfile, args, CHECK_CHANGE);
	assert_int_equal(val_dict_get(cr.result, "found")->u.i, 2);
	check_result_release(&cr);
	check_apply_check(f, &mod_lineinfile, args, "2 line(s) removed", &ar);
	assert_file(p, "b\n");
	apply_result_release(&ar);
	val_unref(args);
	free(p);
}

static void test_lineinfile__e2e_mode_only(void **state)
{
	struct fixture *f = *state;
	char *p = path_in(f, "conf");
	struct val *args = make_args(f, &mod_lineinfile, "conf", "line", "a",
				     "mode", "0640", NULL);
	struct apply_result ar;

	write_file(p, "a\n");
	check_apply_check(f, &mod_lineinfile, args,
			  "ownership, perms or SE linux context changed", &ar);
	assert_file(p, "a\n");
	assert_int_equal(mode_on_disk(p), 0640);
	apply_result_release(&ar);
	val_unref(args);
	free(p);
}

/* Through a symlink the target is edited and the link stays. */
static void test_lineinfile__e2e_symlink_and_backup(void **state)
{
	struct fixture *f = *state;
	char *p = path_in(f, "target"), *l = path_in(f, "link");
	struct val *args = make_args(f, &mod_lineinfile, "link", "line", "b",
				     "backup", "yes", NULL);
	struct apply_result ar;
	const char *backup;
	struct stat sb;

	write_file(p, "a\n");
	assert_int_equal(symlink("target", l), 0);
	check_apply_check(f, &mod_lineinfile, args, "line added", &ar);
	assert_file(p, "a\nb\n");
	assert_int_equal(lstat(l, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	backup = val_cstr(val_dict_get(ar.result, "backup"));
	assert_non_null(backup);
	assert_true(strlen(backup) > 0);
	assert_null(val_dict_get(ar.result, "backup_file"));
	assert_file(backup, "a\n");
	apply_result_release(&ar);
	val_unref(args);
	free(p);
	free(l);
}

static void assert_check_fails(const struct fixture *f,
			       const struct tend_module *m, struct val *args,
			       const char *want)
{
	struct task_ctx ctx = { .t = f->ro, .args = args, .host = "localhost" };
	struct check_result cr;

	check_result_init(&cr);
	assert_true(module_check(&cr, m, &ctx) < 0);
	if (!strstr(tend_error_last(), want))
		fail_msg("error '%s', expected '%s'", tend_error_last(), want);
	check_result_release(&cr);
	val_unref(args);
}

/*
 * The args of the pair "a|b" together are refused before the module
 * runs (at validate), with Ansible's message.
 */
static void assert_exclusive(const struct tend_module *m, const char *pair)
{
	struct val *raw = val_dict(), *norm = NULL;
	struct diags d = DIAGS_INIT;
	char *a = xstrndup(pair, strcspn(pair, "|"));

	val_dict_set_str(raw, "path", "/x");
	val_dict_set_str(raw, "line", "x");
	val_dict_set_str(raw, a, "BOF");
	val_dict_set_str(raw, strchr(pair, '|') + 1, "BOF");
	assert_int_equal(args_normalize(&norm, m, raw, NULL, &d, false),
			 TEND_EPARSE);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.items[0], "parameters are mutually "
			       "exclusive: "));
	assert_non_null(strstr(d.items[0], pair));
	assert_null(norm);
	diags_release(&d);
	val_unref(raw);
	free(a);
}

static void test_lineinfile__e2e_errors(void **state)
{
	struct fixture *f = *state;
	const struct tend_module *li = &mod_lineinfile;
	char *p = path_in(f, "conf"), *d = path_in(f, "dir");
	struct check_result cr;
	struct val *args;

	write_file(p, "a\n");
	assert_int_equal(mkdir(d, 0755), 0);
	assert_check_fails(f, li, make_args(f, li, "missing", "line", "x", NULL),
			   "/missing does not exist !");
	assert_check_fails(f, li, make_args(f, li, "dir", "line", "x", NULL),
			   "/dir is a directory !");
	assert_exclusive(li, "insertbefore|insertafter");
	assert_check_fails(f, li, make_args(f, li, "conf", "regexp", "a",
					    NULL),
			   "line is required with state=present");
	assert_check_fails(f, li, make_args(f, li, "conf", "line", "x",
					    "backrefs", "yes", NULL),
			   "regexp is required with backrefs=true");
	assert_check_fails(f, li, make_args(f, li, "conf", "state", "absent",
					    NULL),
			   "one of line, search_string, or regexp is required");
	assert_check_fails(f, li, make_args(f, li, "conf", "line", "x",
					    "regexp", "(?<x>a)", NULL),
			   "bad regex '(?<x>a)': unknown extension ?<x at "
			   "offset 1");
	assert_check_fails(f, &mod_blockinfile,
			   make_args(f, &mod_blockinfile, "missing", "block",
				     "x", NULL),
			   "/missing does not exist !");

	/* absent on a missing file is fine */
	args = make_args(f, li, "missing", "line", "x", "state", "absent",
			 NULL);
	run_check(&cr, f, li, args, CHECK_OK);
	assert_string_equal(cr.msg.ptr, "file not present");
	check_result_release(&cr);
	val_unref(args);
	free(p);
	free(d);
}

static void test_lineinfile__e2e_blockinfile(void **state)
{
	struct fixture *f = *state;
	char *p = path_in(f, "conf");
	struct val *args = make_args(f, &mod_blockinfile, "conf", "content",
				     "x\ny", "insertbefore", "^b", NULL);
	struct apply_result ar;

	write_file(p, "a\nb\n");
	check_apply_check(f, &mod_blockinfile, args, "Block inserted", &ar);
	assert_file(p, "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n"
		       "# END ANSIBLE MANAGED BLOCK\nb\n");
	apply_result_release(&ar);
	val_unref(args);

	args = make_args(f, &mod_blockinfile, "conf", "state", "absent", NULL);
	check_apply_check(f, &mod_blockinfile, args, "Block removed", &ar);
	assert_file(p, "a\nb\n");
	apply_result_release(&ar);
	val_unref(args);

	args = make_args(f, &mod_blockinfile, "created", "block", "z",
			 "create", "true", NULL);
	check_apply_check(f, &mod_blockinfile, args, "File created", &ar);
	free(p);
	p = path_in(f, "created");
	assert_file(p, "# BEGIN ANSIBLE MANAGED BLOCK\nz\n"
		       "# END ANSIBLE MANAGED BLOCK\n");
	apply_result_release(&ar);
	val_unref(args);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lineinfile__ansible_cases),
		cmocka_unit_test(test_lineinfile__blockinfile_ansible_cases),
		cmocka_unit_test(test_lineinfile__idempotent),
		cmocka_unit_test(test_lineinfile__regex_search),
		cmocka_unit_test(test_lineinfile__nul_bytes),
		cmocka_unit_test(test_lineinfile__regex_errors),
		cmocka_unit_test(test_lineinfile__expand),
		cmocka_unit_test(test_lineinfile__expand_errors),
		cmocka_unit_test(test_lineinfile__bad_regexp_fails),
		cmocka_unit_test_setup_teardown(test_lineinfile__e2e_insert,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_lineinfile__e2e_create_with_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lineinfile__e2e_absent,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_lineinfile__e2e_mode_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_lineinfile__e2e_symlink_and_backup, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_lineinfile__e2e_errors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_lineinfile__e2e_blockinfile,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
