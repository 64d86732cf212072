#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/inifile.h"

/*
 * ini_file's text logic. The expectations were obtained by running
 * Ansible's module (community.general 6.6.2: `ansible localhost -m
 * ini_file -a ...`) on each "before" file and reading the file, changed
 * and msg back; before NULL: no file.
 */

struct ini_case {
	const char *before;
	struct inifile_opts o;
	const char *after;
	bool changed;
	const char *msg;
};

static const struct ini_case cases[] = {
	{ NULL,
	  { "s", "o", (const char *[]){ "v" }, 1, false, true, false, false },
	  "\n[s]\no = v\n", true, "section and option added" },
	{ "[s]\no = v\n",
	  { "s", "o", (const char *[]){ "v" }, 1, false, true, false, false },
	  "[s]\no = v\n", false, "OK" },
	{ "g = 1\n[a]\n;x = 1\n\n[b]\ny=2",
	  { "a", "x", (const char *[]){ "2" }, 1, false, true, false, false },
	  "g = 1\n[a]\nx = 2\n\n[b]\ny=2\n", true, "option changed" },
	{ "[a]\nx = 1\nx = 2\nx = 3\n",
	  { "a", "x", (const char *[]){ "3", "4" }, 2, false, true, false, false },
	  "[a]\nx = 4\nx = 3\n", true, "option changed" },
	{ "[a]\nx = 1\n# c\n\n[b]\n",
	  { "a", "y", (const char *[]){ "2" }, 1, false, true, true, false },
	  "[a]\nx = 1\ny=2\n# c\n\n[b]\n", true, "option added" },
	{ "g = 1\n[a]\nx = 1\n",
	  { NULL, NULL, NULL, 0, true, true, false, false },
	  "x = 1\n", true, "section removed" },
	{ "[a]\nx = 1\n[b]\nz = 1\n",
	  { "a", NULL, NULL, 0, true, true, false, false },
	  "[b]\nz = 1\n", true, "section removed" },
	{ "[a]\r\nx=1\r\n",
	  { "a", "x", (const char *[]){ "2" }, 1, false, true, false, false },
	  "[a]\nx = 2\n", true, "option changed" },
	{ "\xef\xbb\xbf" "[a]\nx = 1\n",
	  { "a", "skip", NULL, 0, false, true, false, true },
	  "[a]\nx = 1\nskip\n", true, "option added" },
	{ "[a]\n  x  =  1  \n#x=2\n",
	  { "a", "x", (const char *[]){ "1  " }, 1, true, false, false, false },
	  "[a]\n#x=2\n", true, "option changed" },
};

static void test_inifile__ansible_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ini_case *c = &cases[i];
		struct lineedit_result r;

		lineedit_result_init(&r);
		assert_int_equal(inifile_edit(&r, c->before, c->before ?
					      strlen(c->before) : 0, &c->o), 0);
		assert_string_equal(r.content.ptr, c->after);
		assert_int_equal(r.changed, c->changed);
		assert_string_equal(r.msg.ptr, c->msg);
		lineedit_result_release(&r);
	}
}

/* Python cannot decode it: Ansible's module fails */
static void test_inifile__not_utf8(void **state)
{
	static const char *one[] = { "1" };
	struct inifile_opts o = { "a", "x", one, 1, false, true, false, false };
	struct lineedit_result r;

	(void)state;
	lineedit_result_init(&r);
	assert_int_equal(inifile_edit(&r, "[a]\nx = caf\xe9\n", 12, &o), -1);
	tend_error_clear();
	/* a surrogate and an overlong form: Python's decoder refuses both */
	assert_int_equal(inifile_edit(&r, "x = \xed\xa0\x80\n", 8, &o), -1);
	tend_error_clear();
	assert_int_equal(inifile_edit(&r, "x = \xe0\x80\xaf\n", 8, &o), -1);
	tend_error_clear();
	assert_int_equal(inifile_edit(&r, "x = \xc3\xa9\n", 7, &o), 0);
	lineedit_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inifile__ansible_cases),
		cmocka_unit_test(test_inifile__not_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
