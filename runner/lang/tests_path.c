#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/eval_int.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

#include <errno.h>
#include <sys/stat.h>

/*
 * Ansible's path tests (`p is directory`, `p is is_mount`, `a is
 * same_file(b)` ...), in one family. They are Python's os.path
 * functions, and like Ansible's they look at the controller's files,
 * never a managed host's.
 */

enum path_kind {
	PATH_ABS,
	PATH_EXISTS,
	PATH_LEXISTS,
	PATH_FILE,
	PATH_DIR,
	PATH_LINK,
	PATH_MOUNT,
};

int template_controller_allowed(const struct tctx *c, const char *what)
{
	for (const struct scope *s = c->scope; s; s = s->parent)
		if (s->limits)
			return s->limits->untrusted ? tend_error_set_code(
				TEND_EREFUSED, "refusing to %s of the "
				"controller for an untrusted source "
				"(--trust-source if you trust the commit)",
				what) : 0;
	return 0;
}

static int path_arg(const char **out, const struct val *v, const char *who)
{
	if (v->type != VAL_STR)
		return tend_error_set("test '%s' needs a path (a string), "
				      "got %s", who, template_type_name(v));
	*out = v->u.s.ptr;
	return 0;
}

/*
 * Python's posixpath.ismount: not a link, and its parent is on another
 * device, or is itself (the root); any error is simply false.
 */
static bool is_mount(const char *path)
{
	struct stat st, parent;
	struct buf up = BUF_INIT;
	bool r = false;

	if (lstat(path, &st) || S_ISLNK(st.st_mode))
		return false;
	buf_addf(&up, "%s/..", path);
	if (!lstat(up.ptr, &parent))
		r = st.st_dev != parent.st_dev || st.st_ino == parent.st_ino;
	buf_release(&up);
	return r;
}

static bool path_kind_test(const char *p, enum path_kind kind)
{
	struct stat st;

	switch (kind) {
	case PATH_ABS:
		return p[0] == '/';
	case PATH_LINK:
		return !lstat(p, &st) && S_ISLNK(st.st_mode);
	case PATH_LEXISTS:
		return !lstat(p, &st);
	case PATH_MOUNT:
		return is_mount(p);
	case PATH_EXISTS:
		return !stat(p, &st);
	case PATH_FILE:
		return !stat(p, &st) && S_ISREG(st.st_mode);
	case PATH_DIR:
		return !stat(p, &st) && S_ISDIR(st.st_mode);
	}
	BUG("unknown path test %d", (int)kind);
}

static int path_test(bool *out, struct val *in, struct tctx *c,
		     enum path_kind kind, const char *who)
{
	const char *p = NULL;
	int error;

	/* is_abs reads nothing: it is about the string alone */
	if (kind != PATH_ABS && (error = template_controller_allowed(c, "test paths")) < 0)
		return error;
	if ((error = path_arg(&p, in, who)) < 0)
		return error;
	*out = path_kind_test(p, kind);
	return 0;
}

#define PATH_TEST(fname, kind, who)                                        \
	static int fname(bool *out, struct val *in, const struct targs *a, \
			 struct tctx *c)                                   \
	{                                                                  \
		(void)a;                                                   \
		return path_test(out, in, c, kind, who);                   \
	}

PATH_TEST(t_abs, PATH_ABS, "abs")
PATH_TEST(t_exists, PATH_EXISTS, "exists")
PATH_TEST(t_lexists, PATH_LEXISTS, "link_exists")
PATH_TEST(t_file, PATH_FILE, "file")
PATH_TEST(t_directory, PATH_DIR, "directory")
PATH_TEST(t_link, PATH_LINK, "link")
PATH_TEST(t_mount, PATH_MOUNT, "mount")

/* os.path.samefile: both must exist (Python raises, and so do we). */
static int t_same_file(bool *out, struct val *in, const struct targs *a,
		       struct tctx *c)
{
	struct val *other = targs_get(a, 0, "f2");
	const char *p1 = NULL, *p2 = NULL;
	struct stat s1, s2;
	int error;

	if ((error = template_controller_allowed(c, "test paths")) < 0)
		return error;
	if (!other)
		return tend_error_set("test 'same_file' needs a second path");
	if ((error = path_arg(&p1, in, "same_file")) < 0 ||
	    (error = path_arg(&p2, other, "same_file")) < 0)
		return error;
	if (stat(p1, &s1) || stat(p2, &s2))
		return tend_error_set("same_file: [Errno %d] %s: '%s'", errno,
				      strerror(errno),
				      stat(p1, &s1) ? p1 : p2);
	*out = s1.st_dev == s2.st_dev && s1.st_ino == s2.st_ino;
	return 0;
}

/* Sorted by name (strcmp order): template_test_find() bisects. */
static const struct ttest tests[] = {
	{ "abs", t_abs, 0 },
	{ "directory", t_directory, 0 },
	{ "exists", t_exists, 0 },
	{ "file", t_file, 0 },
	{ "is_abs", t_abs, 0 },
	{ "is_dir", t_directory, 0 },
	{ "is_file", t_file, 0 },
	{ "is_link", t_link, 0 },
	{ "is_mount", t_mount, 0 },
	{ "is_same_file", t_same_file, 0 },
	{ "link", t_link, 0 },
	{ "link_exists", t_lexists, 0 },
	{ "mount", t_mount, 0 },
	{ "same_file", t_same_file, 0 },
};

const struct filter_family tests_path_family = {
	.tests = tests,
	.ntests = ARRAY_SIZE(tests),
};
