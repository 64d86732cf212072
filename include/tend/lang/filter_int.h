#ifndef TEND_LANG_FILTER_INT_H
#define TEND_LANG_FILTER_INT_H

/*
 * The filters and tests of Jinja2 and Ansible that playbooks use, in
 * families: each runner/lang/filter_<kind>.c holds the filters of one
 * kind (strings, numbers, lists and dicts, data formats, regular
 * expressions), tests.c the tests, and each exports a family: its rows,
 * sorted by name. filters.c (filters_int.h) lists the families and
 * finds names in them. Each function follows the Python
 * implementation's behaviour; where that is out of reach the function
 * says so. Internal to runner/lang/.
 *
 * Adding a filter: write it in the file of its kind, add its row there
 * in strcmp order (a name must be in one family only), and add a case
 * to tests/unit/test_template.c.
 */

#include "tend/lang/targs_int.h"
#include "tend/data/val.h"

/* Evaluation state; opaque to filters and tests, which only pass it on. */
struct tctx;

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
	/*
	 * takes Markup input (value_int.h) and does with it what Jinja
	 * does; other filters refuse it
	 */
	TFILTER_MARKUP_OK = 1 << 1,
	/*
	 * uses its input whole (prints, hashes or sorts it): an undefined
	 * item anywhere inside fails, as in Jinja (map('extract') makes
	 * lists that may hold one; select('defined') may take them out)
	 */
	TFILTER_WHOLE = 1 << 2,
	/*
	 * one of Ansible's STRING_TYPE_FILTERS: its string result is
	 * flagged TEMPLATE_F_TEXT (value_int.h)
	 */
	TFILTER_TEXT = 1 << 3,
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

/*
 * One family's rows, each array sorted by name (strcmp order); a family
 * without filters or without tests leaves those fields NULL and 0.
 */
struct filter_family {
	const struct tfilter *filters;
	size_t nfilters;
	const struct ttest *tests;
	size_t ntests;
};

/*
 * 0 if filters and tests may read the controller (its files, its
 * environment, its users' homes), else TEND_EREFUSED with the error set,
 * "refusing to <what> of the controller for an untrusted source": an
 * untrusted source may not probe them (docs/sources.md).
 */
int template_controller_allowed(const struct tctx *c, const char *what);

/*
 * The now(utc=False, fmt=None) global: the controller's time, a
 * datetime (datetime_int.h) as Ansible gives it, or the text strftime
 * makes of it with `fmt`. *out is a new string.
 */
int template_now(struct val **out, const struct targs *a);

/*
 * The broken-down time of instant t in UTC, or in the controller's zone
 * as Python's time.localtime sees it ($TZ, else /etc/localtime), with
 * tm_zone as Python sets it ("GMT" for UTC).
 */
struct tm;
void template_localtime(struct tm *tm, long long t, bool utc);

/*
 * A sorted copy of the items of `in` (a list, a dict's keys, a string's
 * characters), as Jinja's sort filter orders them: by `attribute` (a
 * path, as template_get_path(); NULL for the items themselves), strings
 * ignoring case unless case_sensitive. *out is a new reference.
 */
int template_sorted(struct val **out, const struct val *in,
		    const char *attribute, bool case_sensitive);

/* A copy of v with every dict's keys sorted (json's sort_keys=True). */
struct val *template_sort_keys(const struct val *v);

/* The families, besides the one of filters.c itself. */
extern const struct filter_family filter_str_family;
extern const struct filter_family filter_num_family;
extern const struct filter_family filter_list_family;
extern const struct filter_family filter_iter_family;
extern const struct filter_family filter_data_family;
extern const struct filter_family filter_path_family;
extern const struct filter_family filter_url_family;
extern const struct filter_family filter_ip_family;
extern const struct filter_family filter_iprange_family;
extern const struct filter_family filter_regex_family;
extern const struct filter_family filter_crypt_family;
extern const struct filter_family filter_os_family;
extern const struct filter_family filter_html_family;
extern const struct filter_family filter_text_family;
extern const struct filter_family filter_seq_family;
extern const struct filter_family tests_family;
extern const struct filter_family tests_path_family;
extern const struct filter_family tests_ip_family;

#endif
