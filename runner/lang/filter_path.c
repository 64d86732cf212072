#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

#include <limits.h>
#include <strings.h>
#include <unistd.h>

/*
 * Filters of paths, as Python's os.path (posixpath) and ntpath take
 * them apart: basename, dirname, splitext, relpath; win_basename,
 * win_dirname, win_splitdrive. Text only, except relpath of a relative
 * path, which reads the controller's current directory.
 */

static int f_basename(struct val **out, struct val *in,
		      const struct targs *a, struct tctx *c)
{
	const char *slash;
	int error;

	(void)a;
	(void)c;
	if ((error = template_need_str(in, "basename")) < 0)
		return error;
	slash = strrchr(in->u.s.ptr, '/');
	*out = val_str(slash ? slash + 1 : in->u.s.ptr);
	return 0;
}

static int f_dirname(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	const char *s, *slash;
	size_t n;
	int error;

	(void)a;
	(void)c;
	if ((error = template_need_str(in, "dirname")) < 0)
		return error;
	s = in->u.s.ptr;
	slash = strrchr(s, '/');
	n = slash ? (size_t)(slash - s) + 1 : 0;
	/* posixpath.dirname: strip trailing slashes unless all slashes */
	if (strspn(s, "/") < n)
		while (n > 0 && s[n - 1] == '/')
			n--;
	*out = val_strn(s, n);
	return 0;
}

/* A 2-tuple of new strings: s[0:cut] and s[cut:len]. */
static struct val *split_at(const char *s, size_t len, size_t cut)
{
	struct val *t = val_list();

	t->flags |= VAL_F_TUPLE;
	val_list_push(t, val_strn(s, cut));
	val_list_push(t, val_strn(s + cut, len - cut));
	return t;
}

/*
 * os.path.splitext: the extension is the last dot of the last name and
 * what follows; a name's leading dots ("..bashrc") are no extension.
 */
static int f_splitext(struct val **out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	const char *s, *name, *dot;
	size_t cut;
	int error;

	(void)a;
	(void)c;
	if ((error = template_need_str(in, "splitext")) < 0)
		return error;
	s = in->u.s.ptr;
	name = strrchr(s, '/') ? strrchr(s, '/') + 1 : s;
	dot = strrchr(name, '.');
	cut = in->u.s.len;
	if (dot && strspn(name, ".") < (size_t)(dot - name))
		cut = (size_t)(dot - s);
	*out = split_at(s, in->u.s.len, cut);
	return 0;
}

/*
 * The names of os.path.abspath(p) into *names: p's own when absolute,
 * else `cwd`'s then p's; ".", "" and ".." resolved (normpath).
 */
static void abs_names(struct val *names, const char *p, const char *cwd)
{
	if (p[0] != '/' && cwd)
		abs_names(names, cwd, NULL);
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && !strncmp(p, "..", 2)) {
			if (names->u.list.nr)
				val_unref(names->u.list.items[--names->u.list.nr]);
		} else if (n && !(n == 1 && p[0] == '.')) {
			val_list_push(names, val_strn(p, n));
		}
		p += n + (p[n] == '/');
	}
}

/* os.path.relpath(path, start='.') */
static int f_relpath(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *from = NULL, *to = NULL;
	const char *start, *cwd = NULL;
	struct buf b = BUF_INIT;
	char dir[PATH_MAX];
	size_t i = 0;
	int error;

	if ((error = template_need_str(in, "relpath")) < 0 ||
	    (error = targs_str(&start, a, 0, "start", ".", "relpath")) < 0)
		return error;
	if (!in->u.s.len)
		return tend_error_set("no path specified");
	if (in->u.s.ptr[0] != '/' || start[0] != '/') {
		if ((error = template_controller_allowed(
			     c, "read the current directory")) < 0)
			return error;
		if (!(cwd = getcwd(dir, sizeof(dir))))
			return tend_error_set("relpath: the current directory: "
					      "%s", strerror(errno));
	}
	from = val_list();
	to = val_list();
	abs_names(from, start, cwd);
	abs_names(to, in->u.s.ptr, cwd);
	while (i < from->u.list.nr && i < to->u.list.nr &&
	       val_equal(from->u.list.items[i], to->u.list.items[i]))
		i++;
	for (size_t k = i; k < from->u.list.nr; k++)
		buf_adds(&b, b.len ? "/.." : "..");
	for (size_t k = i; k < to->u.list.nr; k++) {
		if (b.len)
			buf_addch(&b, '/');
		template_to_str(&b, to->u.list.items[k]);
	}
	if (!b.len)
		buf_addch(&b, '.');
	val_unref(from);
	val_unref(to);
	*out = template_str_result(&b);
	return 0;
}

/* Byte length of ntpath.splitdrive(s)'s drive: "c:", "\\host\share". */
static size_t nt_drive(const char *s, size_t len)
{
	const char *sep, *sep2;
	size_t first = 1;

	if (len >= 2 && strchr("\\/", s[0]) && strchr("\\/", s[1])) {
		/* \\?\UNC\host\share is a UNC drive too */
		bool unc = len >= 8 && s[2] == '?' &&
			   strchr("\\/", s[3]) && !strncasecmp(s + 4, "UNC", 3) &&
			   strchr("\\/", s[7]);

		sep = s + strcspn(s + (unc ? 8 : 2), "\\/") + (unc ? 8 : 2);
		if (!*sep)
			return len;
		sep2 = sep + 1 + strcspn(sep + 1, "\\/");
		return (size_t)(sep2 - s);
	}
	/* the second character, not byte, must be the colon */
	while (first < len && ((unsigned char)s[first] & 0xc0) == 0x80)
		first++;
	return first < len && s[first] == ':' ? first + 1 : 0;
}

/*
 * ntpath.split(in): the head (drive and directory, without its final
 * slashes unless it is all slashes) for `dir`, else the tail.
 */
static int nt_split(struct val **out, struct val *in, bool dir,
		    const char *who)
{
	const char *s;
	size_t d, i, h;
	int error;

	if ((error = template_need_str(in, who)) < 0)
		return error;
	s = in->u.s.ptr;
	i = in->u.s.len;
	d = nt_drive(s, i);
	while (i > d && !strchr("\\/", s[i - 1]))
		i--;
	for (h = i; h > d && strchr("\\/", s[h - 1]); h--)
		;
	if (dir)
		*out = val_strn(s, h > d ? h : i);
	else
		*out = val_strn(s + i, in->u.s.len - i);
	return 0;
}

static int f_win_basename(struct val **out, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	(void)a;
	(void)c;
	return nt_split(out, in, false, "win_basename");
}

static int f_win_dirname(struct val **out, struct val *in,
			 const struct targs *a, struct tctx *c)
{
	(void)a;
	(void)c;
	return nt_split(out, in, true, "win_dirname");
}

static int f_win_splitdrive(struct val **out, struct val *in,
			    const struct targs *a, struct tctx *c)
{
	int error;

	(void)a;
	(void)c;
	if ((error = template_need_str(in, "win_splitdrive")) < 0)
		return error;
	*out = split_at(in->u.s.ptr, in->u.s.len,
			nt_drive(in->u.s.ptr, in->u.s.len));
	return 0;
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "basename", f_basename, 0 },
	{ "dirname", f_dirname, 0 },
	{ "relpath", f_relpath, 0 },
	{ "splitext", f_splitext, 0 },
	{ "win_basename", f_win_basename, 0 },
	{ "win_dirname", f_win_dirname, 0 },
	{ "win_splitdrive", f_win_splitdrive, 0 },
};

const struct filter_family filter_path_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
