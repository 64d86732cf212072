#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/tz.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/lang/datetime_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <math.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/*
 * Filters of the controller and of text layout: expanduser,
 * expandvars, path_join, strftime, to_datetime (and the now() global),
 * comment.
 * Like Ansible's they run on the controller: ~ is the controller's
 * home and $VAR its environment, refused for an untrusted source.
 */

/* os.path.expanduser: ~ is $HOME (else the passwd entry), ~user theirs. */
static int f_expanduser(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	const char *s, *slash, *home = NULL;
	struct buf b = BUF_INIT;
	struct passwd pw, *res = NULL;
	char pwbuf[4096];
	int error;

	(void)a;
	if ((error = template_need_str(in, "expanduser")) < 0)
		return error;
	s = in->u.s.ptr;
	if (s[0] != '~') {
		*out = val_ref(in);
		return 0;
	}
	if ((error = template_controller_allowed(c, "expand '~'")) < 0)
		return error;
	slash = strchrnul(s, '/');
	if (slash == s + 1) {
		home = getenv("HOME");
		if (!home && !getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf),
					 &res) && res)
			home = pw.pw_dir;
	} else {
		char *user = xstrndup(s + 1, (size_t)(slash - s - 1));

		if (!getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &res) && res)
			home = pw.pw_dir;
		free(user);
	}
	if (!home) {
		*out = val_ref(in);
		return 0;
	}
	buf_adds(&b, home);
	while (b.len && b.ptr[b.len - 1] == '/')
		buf_setlen(&b, b.len - 1);
	buf_adds(&b, slash);
	if (!b.len)
		buf_addch(&b, '/');
	*out = template_str_result(&b);
	return 0;
}

/*
 * Python's posixpath._joinrealpath, not strict: each name of `rest` onto
 * the resolved `path` (absolute, no trailing '/'; "" is the root), a
 * symlink replaced by what it points to, a name that does not exist kept
 * as it is. Past 40 links (a loop) the rest stays unresolved, as Python
 * leaves it.
 */
static void realpath_walk(struct buf *path, const char *rest, int *hops)
{
	while (*rest) {
		size_t n = strcspn(rest, "/"), keep = path->len;
		char target[PATH_MAX];
		struct stat st;
		ssize_t len;

		if (n == 0 || (n == 1 && rest[0] == '.')) {
			rest += n + (rest[n] == '/');
			continue;
		}
		if (n == 2 && rest[0] == '.' && rest[1] == '.') {
			while (path->len && path->ptr[path->len - 1] != '/')
				path->len--;
			buf_setlen(path, path->len ? path->len - 1 : 0);
			rest += n + (rest[n] == '/');
			continue;
		}
		buf_addch(path, '/');
		buf_add(path, rest, n);
		rest += n + (rest[n] == '/');
		if (lstat(path->ptr, &st) < 0 || !S_ISLNK(st.st_mode))
			continue;
		if (++*hops > 40 ||
		    (len = readlink(path->ptr, target, sizeof(target) - 1)) < 0) {
			if (*rest)
				buf_addf(path, "/%s", rest);
			return;
		}
		target[len] = '\0';
		buf_setlen(path, target[0] == '/' ? 0 : keep);
		realpath_walk(path, target, hops);
	}
}

/* os.path.realpath on the controller: symlinks resolved, not strict. */
static int f_realpath(struct val **out, struct val *in,
		      const struct targs *a, struct tctx *c)
{
	struct buf b = BUF_INIT;
	char cwd[PATH_MAX];
	int error, hops = 0;

	(void)a;
	if ((error = template_need_str(in, "realpath")) < 0 ||
	    (error = template_controller_allowed(c, "resolve a path")) < 0)
		return error;
	if (in->u.s.ptr[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return tend_error_set("realpath: the current directory: "
					      "%s", strerror(errno));
		realpath_walk(&b, cwd, &hops);
	}
	realpath_walk(&b, in->u.s.ptr, &hops);
	if (!b.len)
		buf_addch(&b, '/');
	*out = template_str_result(&b);
	return 0;
}

/*
 * os.path.expandvars: $name and ${name} (name: letters, digits, _) from
 * the controller's environment; unknown ones are left as they are.
 */
static int f_expandvars(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	const char *s, *p;
	struct buf b = BUF_INIT;
	int error;

	(void)a;
	if ((error = template_need_str(in, "expandvars")) < 0)
		return error;
	s = in->u.s.ptr;
	if (!strchr(s, '$')) {
		*out = val_ref(in);
		return 0;
	}
	if ((error = template_controller_allowed(
		     c, "read the environment")) < 0)
		return error;
	for (p = s; *p;) {
		const char *name = p + 1, *end;
		char *n, *v;

		if (*p != '$') {
			buf_addch(&b, *p++);
			continue;
		}
		if (*name == '{') {
			end = strchr(name + 1, '}');
			n = end ? xstrndup(name + 1, (size_t)(end - name - 1)) :
				  NULL;
			end = end ? end + 1 : NULL;
		} else {
			for (end = name; isalnum((unsigned char)*end) ||
					 *end == '_'; end++)
				;
			n = end > name ? xstrndup(name, (size_t)(end - name)) :
					 NULL;
		}
		v = n ? getenv(n) : NULL;
		free(n);
		if (!v) {
			buf_addch(&b, *p++);
			continue;
		}
		buf_adds(&b, v);
		p = end;
	}
	*out = template_str_result(&b);
	return 0;
}

/* os.path.join(*paths), or the string itself. */
static int f_path_join(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	struct buf b = BUF_INIT;

	(void)a;
	(void)c;
	if (in->type == VAL_STR) {
		*out = val_ref(in);
		return 0;
	}
	if (in->type != VAL_LIST)
		return tend_error_set("|path_join expects string or sequence, "
				      "got %s instead.", template_type_name(in));
	if (!in->u.list.nr)
		return tend_error_set("path_join: join() missing 1 required "
				      "positional argument: 'a'");
	for (size_t i = 0; i < in->u.list.nr; i++) {
		const struct val *p = in->u.list.items[i];

		if (p->type != VAL_STR) {
			buf_release(&b);
			return tend_error_set("path_join: join() argument must "
					      "be str, not '%s'",
					      template_type_name(p));
		}
		if (p->u.s.ptr[0] == '/')
			buf_reset(&b);
		else if (b.len && b.ptr[b.len - 1] != '/')
			buf_addch(&b, '/');
		buf_add(&b, p->u.s.ptr, p->u.s.len);
	}
	*out = template_str_result(&b);
	return 0;
}

/*
 * The controller's zone, as Python's time.localtime sees it: $TZ (a
 * zone name), else the zone /etc/localtime links to, else UTC.
 */
static struct tz *local_zone(void)
{
	const char *name = getenv("TZ");
	char link[4096];
	struct tz *z = NULL;
	ssize_t n;

	if (name && *name == ':')
		name++;
	if (!name || !*name) {
		n = readlink("/etc/localtime", link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		name = strstr(link, "zoneinfo/");
		name = name ? name + strlen("zoneinfo/") : NULL;
	}
	if (tz_load(&z, name) < 0) {
		tend_error_clear();
		if (tz_load(&z, NULL) < 0)
			BUG("UTC must load");
	}
	return z;
}

void template_localtime(struct tm *tm, long long t, bool utc)
{
	struct tz *z = utc ? NULL : local_zone();

	if (!z && tz_load(&z, NULL) < 0)
		BUG("UTC must load");
	tz_localtime(tm, z, (time_t)t);
	/* what Python's time.gmtime / localtime put in tm_zone */
	if (utc)
		tm->tm_zone = "GMT";
	else if (!tm->tm_gmtoff)
		tm->tm_zone = "UTC";
	tz_free(z);
}

/* C strftime into a buf, growing until the text fits. */
static int format_tm(struct buf *out, const char *fmt, const struct tm *tm)
{
	size_t cap = 64 + 4 * strlen(fmt), n;

	if (!*fmt)
		return 0;
	for (;;) {
		buf_grow(out, cap);
		n = strftime(out->ptr + out->len, cap, fmt, tm);
		if (n) {
			buf_setlen(out, out->len + n);
			return 0;
		}
		if (cap > 65536)
			return tend_error_set("strftime: the format gives "
					      "nothing or too much");
		cap *= 4;
	}
}

static int epoch_arg(double *out, const struct val *v)
{
	char *end;

	switch (v->type) {
	case VAL_INT:
		*out = (double)v->u.i;
		return 0;
	case VAL_BOOL:
		*out = v->u.b;
		return 0;
	case VAL_FLOAT:
		*out = v->u.f;
		return 0;
	case VAL_STR:
		*out = strtod(v->u.s.ptr, &end);
		if (end != v->u.s.ptr && !*end)
			return 0;
		/* fall through */
	default:
		return tend_error_set("Invalid value for epoch value (%s)",
				      v->type == VAL_STR ? v->u.s.ptr :
				      template_type_name(v));
	}
}

/* Ansible's strftime(format, second=None, utc=False): time.strftime. */
static int f_strftime(struct val **out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	struct val *second = targs_get(a, 0, "second");
	struct buf b = BUF_INIT;
	struct tm tm;
	double t = (double)time(NULL);
	int error;

	(void)c;
	if ((error = template_need_str(in, "strftime")) < 0)
		return error;
	if (second && second->type != VAL_NULL &&
	    (error = epoch_arg(&t, second)) < 0)
		return error;
	template_localtime(&tm, (time_t)floor(t), targs_bool(a, 1, "utc", false));
	if ((error = format_tm(&b, in->u.s.ptr, &tm)) < 0) {
		buf_release(&b);
		return error;
	}
	*out = template_str_result(&b);
	return 0;
}

/*
 * The now(utc=False, fmt=None) global: datetime.now().strftime(fmt),
 * whose %f is the microseconds; without fmt, str() of the datetime.
 */
int template_now(struct val **out, const struct targs *a)
{
	struct buf fmt = BUF_INIT, b = BUF_INIT;
	const char *f;
	struct timeval tv;
	struct tm tm;
	bool fmt_given;
	int error;

	if ((error = targs_str(&f, a, 1, "fmt", "", "now")) < 0)
		return error;
	gettimeofday(&tv, NULL);
	template_localtime(&tm, tv.tv_sec, targs_bool(a, 0, "utc", false));
	fmt_given = *f;
	if (!fmt_given)
		f = tv.tv_usec ? "%Y-%m-%d %H:%M:%S.%f" : "%Y-%m-%d %H:%M:%S";
	/* datetime.strftime: %f, and %z / %Z empty for a naive datetime */
	for (const char *p = f; *p; p++) {
		if (*p == '%' && p[1] == 'f')
			buf_addf(&fmt, "%06ld", (long)tv.tv_usec);
		else if (*p == '%' && (p[1] == 'z' || p[1] == 'Z'))
			;
		else if (*p == '%' && p[1] == '%')
			buf_adds(&fmt, "%%");
		else if (*p == '%' && p[1])
			buf_add(&fmt, p, 2);
		else
			buf_addch(&fmt, *p);
		if (*p == '%' && p[1])
			p++;
	}
	error = format_tm(&b, fmt.ptr, &tm);
	buf_release(&fmt);
	if (error < 0) {
		buf_release(&b);
		return error;
	}
	*out = template_str_result(&b);
	/* without fmt Ansible returns the datetime itself */
	if (!fmt_given)
		(*out)->flags |= TEMPLATE_F_DATETIME;
	return 0;
}

/* to_datetime(string, format='%Y-%m-%d %H:%M:%S'): datetime.strptime */
static int f_to_datetime(struct val **out, struct val *in,
			 const struct targs *a, struct tctx *c)
{
	const char *fmt;
	int error;

	(void)c;
	if (in->type != VAL_STR || template_is_time(in))
		return tend_error_set("strptime() argument 1 must be str, not "
				      "%s", template_type_name(in));
	if ((error = targs_str(&fmt, a, 0, "format", "%Y-%m-%d %H:%M:%S",
			       "to_datetime")) < 0)
		return error;
	return datetime_strptime(out, in->u.s.ptr, fmt);
}

/* Ansible's comment styles: beginning, decoration, end. */
static const struct comment_style {
	const char *name, *beginning, *decoration, *end;
} comment_styles[] = {
	{ "plain", NULL, "# ", NULL },
	{ "erlang", NULL, "% ", NULL },
	{ "c", NULL, "// ", NULL },
	{ "cblock", "/*", " * ", " */" },
	{ "xml", "<!--", " - ", "-->" },
};

/* The parameters of one comment, as str() of each value. */
struct comment_params {
	struct buf newline, beginning, prefix, decoration, postfix, end;
	long long prefix_count, postfix_count;
	bool prefix_true;
};

static void rstrip_copy(struct buf *out, const char *s)
{
	buf_sets(out, s);
	while (out->len && isspace((unsigned char)out->ptr[out->len - 1]))
		buf_setlen(out, out->len - 1);
}

/* A keyword argument, as str(); false if it was not given. */
static bool comment_kw(struct buf *out, const struct targs *a,
		       const char *name)
{
	struct val *v = targs_get(a, SIZE_MAX, name), *s;

	if (!v)
		return false;
	s = template_str_of(v);
	buf_sets(out, s->u.s.ptr);
	val_unref(s);
	return true;
}

static int comment_params(struct comment_params *p, const struct targs *a)
{
	const struct comment_style *st = NULL;
	const char *style;
	struct val *pv;
	int error;

	if ((error = targs_str(&style, a, 0, "style", "plain", "comment")) < 0)
		return error;
	for (size_t i = 0; i < ARRAY_SIZE(comment_styles) && !st; i++)
		if (!strcmp(comment_styles[i].name, style))
			st = &comment_styles[i];
	if (!st)
		return tend_error_set("comment: unknown style '%s' (plain, "
				      "erlang, c, cblock or xml)", style);
	/* defaults; then the style's own; then the keywords */
	buf_sets(&p->newline, "\n");
	if (!comment_kw(&p->decoration, a, "decoration"))
		buf_sets(&p->decoration, st->decoration);
	rstrip_copy(&p->prefix, p->decoration.ptr);
	rstrip_copy(&p->postfix, p->decoration.ptr);
	buf_sets(&p->decoration, st->decoration);
	buf_sets(&p->beginning, st->beginning ? st->beginning : "");
	buf_sets(&p->end, st->end ? st->end : "");
	comment_kw(&p->newline, a, "newline");
	comment_kw(&p->beginning, a, "beginning");
	comment_kw(&p->decoration, a, "decoration");
	comment_kw(&p->end, a, "end");
	p->prefix_true = p->prefix.len;
	if ((pv = targs_get(a, SIZE_MAX, "prefix"))) {
		p->prefix_true = truth_python(pv);
		comment_kw(&p->prefix, a, "prefix");
	}
	comment_kw(&p->postfix, a, "postfix");
	if ((error = targs_int(&p->prefix_count, a, SIZE_MAX, "prefix_count", 1,
			       "comment")) < 0 ||
	    (error = targs_int(&p->postfix_count, a, SIZE_MAX, "postfix_count",
			       1, "comment")) < 0)
		return error;
	if (!p->newline.len)
		return tend_error_set("comment: newline must not be empty");
	return 0;
}

static void comment_release(struct comment_params *p)
{
	buf_release(&p->newline);
	buf_release(&p->beginning);
	buf_release(&p->prefix);
	buf_release(&p->decoration);
	buf_release(&p->postfix);
	buf_release(&p->end);
}

static void comment_build(struct buf *out, const struct comment_params *p,
			  const struct val *text)
{
	struct buf nl_dec = BUF_INIT, dec_nl = BUF_INIT, stripped = BUF_INIT;
	struct buf body = BUF_INIT;

	if (p->beginning.len) {
		buf_addbuf(out, &p->beginning);
		buf_addbuf(out, &p->newline);
	}
	for (long long i = 0; p->prefix_true && i < p->prefix_count; i++) {
		if (strcmp(p->prefix.ptr, p->newline.ptr))
			buf_addbuf(out, &p->prefix);
		buf_addbuf(out, &p->newline);
	}
	/* each line behind the decoration; no trailing blank on empty ones */
	buf_addbuf(&nl_dec, &p->newline);
	buf_addbuf(&nl_dec, &p->decoration);
	buf_addbuf(&body, &p->decoration);
	template_str_replace(&body, text->u.s.ptr, text->u.s.len,
			     p->newline.ptr, nl_dec.ptr, -1);
	buf_addbuf(&dec_nl, &p->decoration);
	buf_addbuf(&dec_nl, &p->newline);
	rstrip_copy(&stripped, p->decoration.ptr);
	buf_addbuf(&stripped, &p->newline);
	template_str_replace(out, body.ptr, body.len, dec_nl.ptr, stripped.ptr,
			     -1);
	for (long long i = 0; i < p->postfix_count; i++) {
		buf_addbuf(out, &p->newline);
		buf_addbuf(out, &p->postfix);
	}
	if (p->end.len) {
		buf_addbuf(out, &p->newline);
		buf_addbuf(out, &p->end);
	}
	buf_release(&nl_dec);
	buf_release(&dec_nl);
	buf_release(&stripped);
	buf_release(&body);
}

static int f_comment(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct comment_params p = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT,
				    BUF_INIT, BUF_INIT, 1, 1, false };
	struct buf b = BUF_INIT;
	int error;

	(void)c;
	if ((error = template_need_str(in, "comment")) < 0 ||
	    (error = comment_params(&p, a)) < 0) {
		comment_release(&p);
		return error;
	}
	comment_build(&b, &p, in);
	comment_release(&p);
	*out = template_str_result(&b);
	return 0;
}

/* Sorted by name (strcmp order): template_filter_find() bisects. */
static const struct tfilter filters[] = {
	{ "comment", f_comment, 0 },
	{ "expanduser", f_expanduser, 0 },
	{ "expandvars", f_expandvars, 0 },
	{ "path_join", f_path_join, 0 },
	{ "realpath", f_realpath, 0 },
	{ "strftime", f_strftime, 0 },
	{ "to_datetime", f_to_datetime, 0 },
};

const struct filter_family filter_os_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
