#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"
#include "tend/util/regex.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>

/*
 * find: the files under some paths that match, as Ansible's find lists
 * them. Read-only: one script walks every path (find(1), each entry's
 * lstat by stat(1)), and the judge filters what it printed and puts it
 * in Ansible's order: os.walk's, a directory's files before its
 * subdirectories (each in the order the directory lists them), then
 * each subdirectory the same way.
 *
 * The script prints, per path, "path" and the path framed ("LEN\nTEXT"),
 * then "notdir", or batches of entries: "b N", N framed entries each
 * preceded by its "d"/"f" (a directory once links are followed, as
 * os.walk sorts them), N stat lines, and a "sum" line per entry when
 * checksums are asked ("-" for what is not a regular file); then "end"
 * or "fail" (find(1) could not read all of it).
 */

static const char *const file_types[] = { "any", "directory", "file", "link",
					  NULL };
static const char *const stamps[] = { "atime", "ctime", "mtime", NULL };

static const struct arg_spec find_args[] = {
	{ "paths", ARG_LIST, ARG_REQUIRED, "name,path", NULL, NULL,
	  "the directories to look in (absolute; ~ is the home directory)" },
	{ "patterns", ARG_LIST, 0, "pattern", NULL, NULL,
	  "the basenames to list: shell patterns (regexes with use_regex); "
	  "default all" },
	{ "excludes", ARG_LIST, 0, "exclude", NULL, NULL,
	  "basenames to leave out, of those the patterns matched" },
	{ "file_type", ARG_STR, 0, NULL, file_types, "file",
	  "what to list" },
	{ "age", ARG_STR, 0, NULL, NULL, NULL,
	  "at least this old (-N: at most), N in s, m, h, d or w" },
	{ "age_stamp", ARG_STR, 0, NULL, stamps, "mtime",
	  "which time age reads" },
	{ "size", ARG_STR, 0, NULL, NULL, NULL,
	  "regular files at least this big (-N: at most), N in b, k, m, g "
	  "or t" },
	{ "recurse", ARG_BOOL, 0, NULL, NULL, "no",
	  "look in subdirectories too" },
	{ "depth", ARG_INT, 0, NULL, NULL, NULL,
	  "with recurse: no deeper than this many levels" },
	{ "hidden", ARG_BOOL, 0, NULL, NULL, "no",
	  "list names that start with a dot too" },
	{ "follow", ARG_BOOL, 0, NULL, NULL, "no",
	  "walk into symbolic links to directories" },
	{ "get_checksum", ARG_BOOL, 0, NULL, NULL, "no",
	  "the SHA-1 of each regular file listed" },
	{ "use_regex", ARG_BOOL, 0, NULL, NULL, "no",
	  "patterns and excludes are Python regexes (matched at the start "
	  "of the name)" },
	{ "contains", ARG_STR, ARG_REFUSED, NULL, NULL, NULL,
	  "a regex over the files' content: not supported yet (tend would "
	  "have to read every file on the controller)" },
	{ "read_whole_file", ARG_BOOL, 0, NULL, NULL, "no",
	  "for contains (not supported yet): no effect" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/*
 * The script. The paths come in through sh_quote(); `max` is find's
 * -maxdepth (0: none). What find hands to `sh -c` in batches is the
 * batch's part (walk), in $w.
 */
static void build_script(struct buf *s, const struct val *paths, bool follow,
			 long long max, bool sums)
{
	struct buf w = BUF_INIT;

	buf_adds(&w, "printf 'b %s\\n' \"$#\"\n"
		 "for f do\n"
		 "\tk=f; [ -d \"$f\" ] && k=d\n"
		 "\tprintf '%s %s\\n%s\\n' \"$k\" \"${#f}\" \"$f\"\n"
		 "done\n"
		 "stat -c '%f %s %X %Y %Z %u %g %h %i %d %U:%G' -- \"$@\" "
		 "|| echo fail\n");
	if (sums)
		buf_adds(&w, "for f do\n"
			 "\tif [ -f \"$f\" ] && [ ! -L \"$f\" ]; then\n"
			 "\t\th=$(sha1sum < \"$f\") || h=-\n"
			 "\t\techo \"sum ${h%% *}\"\n"
			 "\telse echo 'sum -'; fi\n"
			 "done\n");
	buf_adds(s, "LC_ALL=C; export LC_ALL\n"
		 "printf 'now %s\\n' \"$(date +%s)\"\nw=");
	sh_quote(s, w.ptr);
	buf_addch(s, '\n');
	buf_release(&w);
	for (size_t i = 0; i < val_len(paths); i++) {
		buf_adds(s, "p=");
		sh_quote(s, val_cstr(val_list_at(paths, i)));
		/* os.path.expanduser: ~ and ~/... are the home directory */
		buf_adds(s, "\ncase $p in \"~\") p=$HOME ;; \"~/\"*) "
			 "p=$HOME/${p#\"~/\"} ;; esac\n"
			 "printf 'path %s\\n%s\\n' \"${#p}\" \"$p\"\n"
			 "if [ -d \"$p\" ]; then\n\tfind ");
		buf_adds(s, follow ? "-L" : "-H");
		buf_adds(s, " \"$p\"");
		if (max)
			buf_addf(s, " -maxdepth %lld", max);
		buf_adds(s, " -exec sh -c \"$w\" sh {} + 2>/dev/null || "
			 "echo fail\nelse echo notdir; fi\n");
	}
	buf_adds(s, "echo end\n");
}

/* One entry find printed: a file or directory under a path. */
struct entry {
	const char *path;  /* as find printed it (in the output) */
	size_t len;
	const char *name;  /* its last part */
	size_t name_len;
	bool isdir;        /* a directory, links followed (os.walk's dirs) */
	struct val *st;    /* Ansible's statinfo, or NULL (stat failed) */
	unsigned int type; /* S_IFMT bits */
	long long size, times[3]; /* atime, ctime, mtime */
	struct val *sum;   /* the SHA-1, or NULL */
	size_t *kids, nkids, kids_alloc;
};

struct walk {
	const struct task_ctx *ctx;
	struct entry *e;
	size_t nr, alloc;
	long long now;
	/* the filters */
	const struct val *patterns, *excludes;
	struct regex **pre, **ere; /* use_regex: compiled */
	const char *type, *stamp;
	bool has_age, has_size, recurse, hidden, sums;
	long long age, size, depth;
	/* what it found */
	struct val *files;
	long long looked;
};

/* A framed "KEY LEN\nTEXT\n" at *pos; the text's bounds. */
static int framed(const struct buf *out, size_t *pos, const char *key,
		  const char **text, size_t *len)
{
	const char *line = out->ptr + *pos;
	const char *nl = memchr(line, '\n', out->len - *pos);
	size_t klen = strlen(key);
	unsigned long long n;
	char *end;

	if (!nl || (size_t)(nl - line) <= klen + 1 ||
	    memcmp(line, key, klen) || line[klen] != ' ')
		return -1;
	errno = 0;
	n = strtoull(line + klen + 1, &end, 10);
	if (errno || end != nl)
		return -1;
	*pos = (size_t)(nl - out->ptr) + 1;
	/* `n` came from the host: no arithmetic may wrap */
	if (n >= out->len - *pos || out->ptr[*pos + n] != '\n')
		return -1;
	*text = out->ptr + *pos;
	*len = (size_t)n;
	*pos += (size_t)n + 1;
	return 0;
}

/* The next line at *pos (without its newline) into l. */
static int next_line(const struct buf *out, size_t *pos, struct buf *l)
{
	const char *line = out->ptr + *pos;
	const char *nl = memchr(line, '\n', out->len - *pos);

	if (*pos >= out->len || !nl)
		return -1;
	buf_reset(l);
	buf_add(l, line, (size_t)(nl - line));
	*pos = (size_t)(nl - out->ptr) + 1;
	return 0;
}

/* A stat(1) line into Ansible's statinfo. Returns -1 if malformed. */
static int parse_stat(struct entry *e, const char *s)
{
	unsigned long raw;
	long long uid, gid, nlink, ino, dev;
	unsigned int mode;
	struct buf m = BUF_INIT;
	const char *colon;
	struct val *d;
	int n = 0;
	static const struct { const char *key; unsigned int bit; } bits[] = {
		{ "wusr", 0200 }, { "rusr", 0400 }, { "xusr", 0100 },
		{ "wgrp", 0020 }, { "rgrp", 0040 }, { "xgrp", 0010 },
		{ "woth", 0002 }, { "roth", 0004 }, { "xoth", 0001 },
		{ "isuid", 04000 }, { "isgid", 02000 },
	};

	if (sscanf(s, "%lx %lld %lld %lld %lld %lld %lld %lld %lld %lld %n",
		   &raw, &e->size, &e->times[0], &e->times[2], &e->times[1],
		   &uid, &gid, &nlink, &ino, &dev, &n) < 10 || !n ||
	    !(colon = strchr(s + n, ':')))
		return -1;
	mode = (unsigned int)(raw & 07777);
	e->type = (unsigned int)(raw & 0170000);
	d = e->st = val_dict();
	mode_format(&m, mode);
	val_dict_set_str(d, "mode", m.ptr);
	buf_release(&m);
	val_dict_set_bool(d, "isdir", e->type == 0040000);
	val_dict_set_bool(d, "ischr", e->type == 0020000);
	val_dict_set_bool(d, "isblk", e->type == 0060000);
	val_dict_set_bool(d, "isreg", e->type == 0100000);
	val_dict_set_bool(d, "isfifo", e->type == 0010000);
	val_dict_set_bool(d, "islnk", e->type == 0120000);
	val_dict_set_bool(d, "issock", e->type == 0140000);
	val_dict_set_int(d, "uid", uid);
	val_dict_set_int(d, "gid", gid);
	val_dict_set_int(d, "size", e->size);
	val_dict_set_int(d, "inode", ino);
	val_dict_set_int(d, "dev", dev);
	val_dict_set_int(d, "nlink", nlink);
	val_dict_set(d, "atime", val_float((double)e->times[0]));
	val_dict_set(d, "mtime", val_float((double)e->times[2]));
	val_dict_set(d, "ctime", val_float((double)e->times[1]));
	/* stat(1) says UNKNOWN where Python's pwd/grp find no name */
	if (!strcmp(colon + 1, "UNKNOWN"))
		val_dict_set_str(d, "gr_name", "");
	else
		val_dict_set_str(d, "gr_name", colon + 1);
	if ((size_t)(colon - (s + n)) == 7 && !memcmp(s + n, "UNKNOWN", 7))
		val_dict_set_str(d, "pw_name", "");
	else
		val_dict_set(d, "pw_name",
			     val_strn(s + n, (size_t)(colon - (s + n))));
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
		val_dict_set_bool(d, bits[i].key, mode & bits[i].bit);
	return 0;
}

static void entry_free(struct entry *e)
{
	val_unref(e->st);
	val_unref(e->sum);
	free(e->kids);
}

/*
 * One batch ("b N" read): its N entries, their stat lines and sums.
 * Returns 1 when the batch says it failed, 0, or -1 if malformed.
 */
static int read_batch(struct walk *w, const struct buf *out, size_t *pos,
		      size_t n)
{
	struct buf l = BUF_INIT;
	size_t start = w->nr;
	int error = 0;

	for (size_t i = 0; i < n && !error; i++) {
		const char *key = *pos < out->len && out->ptr[*pos] == 'd' ?
				  "d" : "f";
		struct entry *e;
		const char *text;
		size_t len;

		if (framed(out, pos, key, &text, &len) < 0) {
			error = -1;
			break;
		}
		ALLOC_GROW(w->e, w->nr + 1, w->alloc);
		e = &w->e[w->nr++];
		memset(e, 0, sizeof(*e));
		e->path = text;
		e->len = len;
		e->isdir = *key == 'd';
	}
	for (size_t i = start; i < w->nr && !error; i++) {
		if (next_line(out, pos, &l) < 0) {
			error = -1;
		} else if (!strcmp(l.ptr, "fail")) {
			error = 1;
		} else if (parse_stat(&w->e[i], l.ptr) < 0) {
			error = -1;
		}
	}
	for (size_t i = start; w->sums && i < w->nr && !error; i++) {
		if (next_line(out, pos, &l) < 0 || strncmp(l.ptr, "sum ", 4))
			error = -1;
		else if (strcmp(l.ptr + 4, "-"))
			w->e[i].sum = val_str(l.ptr + 4);
	}
	buf_release(&l);
	return error;
}

/* Whether e is a directory entry right inside directory d; its name. */
static bool inside(const struct entry *d, const struct entry *e)
{
	size_t dl = d->len;
	const char *rest;
	size_t rl;

	while (dl && d->path[dl - 1] == '/')
		dl--;
	if (e->len <= dl + 1 || memcmp(e->path, d->path, dl) ||
	    e->path[dl] != '/')
		return false;
	rest = e->path + dl;
	rl = e->len - dl;
	while (rl && *rest == '/') {
		rest++;
		rl--;
	}
	return rl && !memchr(rest, '/', rl);
}

/* Each entry of a path's [first, nr) into its directory's kids. */
static void link_tree(struct walk *w, size_t first)
{
	size_t *stack = xmalloc((w->nr - first + 1) * sizeof(*stack));
	size_t sp = 0;

	for (size_t i = first; i < w->nr; i++) {
		struct entry *e = &w->e[i];

		while (sp && !inside(&w->e[stack[sp - 1]], e))
			sp--;
		if (i > first && !sp)
			continue; /* not under the path: find said no such */
		if (sp) {
			struct entry *d = &w->e[stack[sp - 1]];

			e->name = memrchr(e->path, '/', e->len) + 1;
			e->name_len = e->len - (size_t)(e->name - e->path);
			ALLOC_GROW(d->kids, d->nkids + 1, d->kids_alloc);
			d->kids[d->nkids++] = i;
		}
		if (i == first || e->isdir)
			stack[sp++] = i;
	}
	free(stack);
}

/* Ansible's pfilter: a pattern matches the name and no exclude does. */
static int name_filter(bool *out, const struct walk *w, const char *name)
{
	const struct val *lists[] = { w->patterns, w->excludes };
	struct regex **res[] = { w->pre, w->ere };
	bool hit[2] = { false, false };

	/* no patterns: Ansible's default, '*' ('.*' with use_regex) */
	hit[0] = !val_len(w->patterns);
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < val_len(lists[l]) && !hit[l]; i++) {
			struct regex_match m = REGEX_MATCH_INIT;

			if (!res[l]) {
				hit[l] = !fnmatch(val_cstr(val_list_at(lists[l],
								       i)),
						  name, FNM_NOESCAPE);
				continue;
			}
			if (regex_exec(&m, res[l][i], name, strlen(name), 0,
				       REGEX_MATCH) < 0) {
				regex_match_release(&m);
				return -1;
			}
			hit[l] = m.matched;
			regex_match_release(&m);
		}
		if (!l && !hit[0])
			break;
	}
	*out = hit[0] && !hit[1];
	return 0;
}

static bool age_ok(const struct walk *w, const struct entry *e)
{
	long long t = e->times[!strcmp(w->stamp, "atime") ? 0 :
			       !strcmp(w->stamp, "ctime") ? 1 : 2];

	if (!w->has_age)
		return true;
	return w->age >= 0 ? w->now - t >= w->age : w->now - t <= -w->age;
}

static bool size_ok(const struct walk *w, const struct entry *e)
{
	if (!w->has_size)
		return true;
	return w->size >= 0 ? e->size >= w->size : e->size <= -w->size;
}

/* An entry os.walk gave: into the files if it passes, as find.py says. */
static int consider(struct walk *w, const struct entry *e, const char *fsname)
{
	bool reg = e->type == 0100000, any = !strcmp(w->type, "any");
	bool kind = any ||
		    (e->type == 0040000 && !strcmp(w->type, "directory")) ||
		    (reg && !strcmp(w->type, "file")) ||
		    (e->type == 0120000 && !strcmp(w->type, "link"));
	char name[NAME_MAX + 1];
	bool named;
	struct val *r;

	if (!kind)
		return 0;
	if (e->name_len > NAME_MAX)
		return 0;
	memcpy(name, e->name, e->name_len);
	name[e->name_len] = '\0';
	if (name_filter(&named, w, name) < 0)
		return -1;
	if (!named || !age_ok(w, e) || (reg && !size_ok(w, e)))
		return 0;
	r = val_dict();
	val_dict_set_str(r, "path", fsname);
	val_dict_update(r, e->st, false);
	if (reg && w->sums && e->sum)
		val_dict_set(r, "checksum", val_ref(e->sum));
	val_list_push(w->files, r);
	return 0;
}

static size_t slashes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

/*
 * os.walk from directory entry d, whose path is `root`: its files, then
 * its directories, then (recurse) into each of those.
 */
static int walk_dir(struct walk *w, size_t d, const char *root,
		    size_t base)
{
	struct buf fs = BUF_INIT;
	bool prune = false;
	int error = 0;

	w->looked += (long long)w->e[d].nkids;
	for (int pass = 0; pass < 2 && !error; pass++) {
		for (size_t k = 0; k < w->e[d].nkids && !error; k++) {
			const struct entry *e = &w->e[w->e[d].kids[k]];
			const char *base_name;

			if (e->isdir != (pass == 1))
				continue;
			buf_reset(&fs);
			buf_addf(&fs, "%s/", root);
			buf_add(&fs, e->name, e->name_len);
			fs_normpath(&fs);
			if (w->depth > 0 && (long long)slashes(fs.ptr) -
			    (long long)base + 1 > w->depth) {
				prune = true;
				continue;
			}
			base_name = strrchr(fs.ptr, '/') + 1;
			if (*base_name == '.' && !w->hidden)
				continue;
			error = consider(w, e, fs.ptr);
		}
	}
	for (size_t k = 0; w->recurse && !prune && !error &&
	     k < w->e[d].nkids; k++) {
		const struct entry *e = &w->e[w->e[d].kids[k]];

		/* os.walk goes into a link only when it follows them */
		if (!e->isdir || (e->type == 0120000 &&
				  !arg_bool(w->ctx, "follow", false)))
			continue;
		buf_reset(&fs);
		buf_addf(&fs, "%s/", root);
		buf_add(&fs, e->name, e->name_len);
		fs_normpath(&fs);
		error = walk_dir(w, w->e[d].kids[k], fs.ptr, base);
	}
	buf_release(&fs);
	return error;
}

/* "-12d", "3m": Ansible's age and size, in seconds or bytes. */
static int amount(long long *out, const char *s, const char *units,
		  const long long *per)
{
	char *end;
	long long n;
	const char *u;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || end == s || !isdigit((unsigned char)end[-1]) ||
	    (*s != '-' && !isdigit((unsigned char)*s)))
		return -1;
	if (!*end) {
		*out = n;
		return 0;
	}
	if (end[1] || !(u = strchr(units, tolower((unsigned char)*end))))
		return -1;
	if (__builtin_mul_overflow(n, per[u - units], out))
		return -1;
	return 0;
}

static void skip_path(struct val *result, const char *path, const char *why)
{
	struct buf w = BUF_INIT;

	val_dict_set_str(val_dict_get(result, "skipped_paths"), path, why);
	buf_addf(&w, "Skipped '%s' path due to this access issue: %s\n", path,
		 why);
	val_list_push(val_dict_get(result, "warnings"), val_str(w.ptr));
	buf_release(&w);
}

/* One path's section of the output, from after its "path" line. */
static int read_path(struct walk *w, struct val *result, const char *npath,
		     const struct buf *out, size_t *pos)
{
	struct buf l = BUF_INIT, wpath = BUF_INIT;
	size_t first = w->nr;
	bool failed = false;
	int error = 0;

	for (size_t at = *pos; !error && next_line(out, pos, &l) == 0;
	     at = *pos) {
		unsigned long long n;
		char *end;

		if (!strcmp(l.ptr, "notdir")) {
			struct buf why = BUF_INIT;

			buf_addf(&why, "'%s' is not a directory", npath);
			skip_path(result, npath, why.ptr);
			buf_release(&why);
			goto out;
		}
		if (!strcmp(l.ptr, "fail")) {
			failed = true;
			continue;
		}
		if (strncmp(l.ptr, "b ", 2) ||
		    !isdigit((unsigned char)l.ptr[2])) {
			*pos = at; /* the next path's line, or "end" */
			break;
		}
		errno = 0;
		n = strtoull(l.ptr + 2, &end, 10);
		if (errno || *end || n > out->len)
			return tend_error_set("cannot parse what find sent");
		error = read_batch(w, out, pos, (size_t)n);
		if (error > 0) {
			failed = true;
			error = 0;
		}
	}
	if (error < 0 || w->nr == first) {
		buf_release(&l);
		return error < 0 || !failed ?
		       tend_error_set("cannot parse what find sent") :
		       (skip_path(result, npath, "find could not read it"), 0);
	}
	link_tree(w, first);
	buf_adds(&wpath, npath);
	while (wpath.len && wpath.ptr[wpath.len - 1] == '/')
		wpath.len--;
	buf_addch(&wpath, '/');
	buf_reset(&l);
	buf_adds(&l, npath);
	fs_normpath(&l);
	error = walk_dir(w, first, strcmp(l.ptr, "/") ? l.ptr : "",
			 slashes(wpath.ptr));
	if (!error && failed)
		skip_path(result, npath, "find could not read all of it");
out:
	buf_release(&wpath);
	buf_release(&l);
	return error;
}

static int compile_all(struct regex ***out, const struct val *l)
{
	*out = xcalloc(val_len(l) + 1, sizeof(**out));
	for (size_t i = 0; i < val_len(l); i++)
		if (regex_compile(&(*out)[i], val_cstr(val_list_at(l, i)),
				  0) < 0)
			return -1;
	return 0;
}

static void free_all(struct regex **res, size_t n)
{
	for (size_t i = 0; res && i < n; i++)
		regex_free(res[i]);
	free(res);
}

static int find_setup(struct walk *w, const struct task_ctx *ctx)
{
	static const long long secs[] = { 1, 60, 3600, 86400, 604800 };
	static const long long bytes[] = { 1, 1LL << 10, 1LL << 20, 1LL << 30,
					   1LL << 40 };
	const char *age = arg_str(ctx, "age"), *size = arg_str(ctx, "size");

	memset(w, 0, sizeof(*w));
	w->ctx = ctx;
	w->type = arg_str(ctx, "file_type") ? arg_str(ctx, "file_type") :
					       "file";
	w->stamp = arg_str(ctx, "age_stamp") ? arg_str(ctx, "age_stamp") :
						"mtime";
	w->recurse = arg_bool(ctx, "recurse", false);
	w->hidden = arg_bool(ctx, "hidden", false);
	w->sums = arg_bool(ctx, "get_checksum", false);
	w->depth = arg_int(ctx, "depth", 0);
	w->patterns = arg_get(ctx, "patterns");
	w->excludes = arg_get(ctx, "excludes");
	if (age && amount(&w->age, age, "smhdw", secs) < 0)
		return tend_error_set("failed to process age");
	if (size && amount(&w->size, size, "bkmgt", bytes) < 0)
		return tend_error_set("failed to process size");
	w->has_age = age != NULL;
	w->has_size = size != NULL;
	return 0;
}

static int find_probe(struct probe *out, const struct task_ctx *ctx)
{
	const struct val *paths = arg_get(ctx, "paths");
	bool recurse = arg_bool(ctx, "recurse", false);
	long long depth = arg_int(ctx, "depth", 0);
	struct walk w;

	/* a bad age or size fails in the judge, with Ansible's result */
	if (find_setup(&w, ctx) < 0)
		tend_error_clear();
	for (size_t i = 0; i < val_len(paths); i++)
		if (!val_cstr(val_list_at(paths, i)))
			return tend_error_set("paths must be strings");
	build_script(&out->script, paths, arg_bool(ctx, "follow", false),
		     !recurse ? 1 : depth > 0 ? depth + 1 : 0,
		     w.sums);
	return 0;
}

static int find_judge(struct check_result *out, const struct task_ctx *ctx,
		      struct probe *p, const struct exec_result *res)
{
	struct val *result = val_dict();
	struct buf l = BUF_INIT, npath = BUF_INIT;
	size_t pos = 0;
	struct walk w;
	int error = 0;

	(void)p;
	if (find_setup(&w, ctx) < 0) {
		/* Ansible's fail_json(age=..., msg=...) */
		const char *key = strstr(tend_error_last(), "age") ? "age" :
								      "size";

		val_dict_set_str(result, key, arg_str(ctx, key));
		val_dict_set_str(result, "msg", tend_error_last());
		buf_adds(&out->msg, tend_error_last());
		tend_error_clear();
		out->status = CHECK_OK;
		out->failed = true;
		out->result = val_ref(result);
		error = 0;
		goto out;
	}
	if (arg_bool(ctx, "use_regex", false)) {
		if (!val_len(w.patterns))
			w.patterns = NULL;
		if ((error = compile_all(&w.pre, w.patterns)) < 0 ||
		    (error = compile_all(&w.ere, w.excludes)) < 0)
			goto out;
	}
	w.files = val_list();
	val_dict_set(result, "skipped_paths", val_dict());
	val_dict_set(result, "warnings", val_list());
	if (res->status || next_line(&res->out, &pos, &l) < 0 ||
	    sscanf(l.ptr, "now %lld", &w.now) != 1) {
		error = tend_error_set("find failed on the host: %s",
				       res->err.len ? res->err.ptr : "no output");
		goto out;
	}
	for (size_t at = pos; !error && next_line(&res->out, &pos, &l) == 0 &&
	     strcmp(l.ptr, "end"); at = pos) {
		const char *text;
		size_t len;

		pos = at;
		if (framed(&res->out, &pos, "path", &text, &len) < 0) {
			error = tend_error_set("cannot parse what find sent");
			break;
		}
		buf_reset(&npath);
		buf_add(&npath, text, len);
		if (npath.ptr[0] != '/') {
			error = tend_error_set("find: '%s' is not an absolute "
					       "path", npath.ptr);
			break;
		}
		error = read_path(&w, result, npath.ptr, &res->out, &pos);
	}
	if (error)
		goto out;
	val_dict_set(result, "files", val_ref(w.files));
	val_dict_set_bool(result, "changed", false);
	val_dict_set_str(result, "msg",
			 val_len(val_dict_get(result, "warnings")) ?
			 "Not all paths examined, check warnings for details" :
			 "All paths examined");
	val_dict_set_int(result, "matched", (long long)val_len(w.files));
	val_dict_set_int(result, "examined", w.looked);
	if (!val_len(val_dict_get(result, "warnings")))
		val_dict_del(result, "warnings");
	out->status = CHECK_OK;
	out->result = val_ref(result);
out:
	for (size_t i = 0; i < w.nr; i++)
		entry_free(&w.e[i]);
	free(w.e);
	free_all(w.pre, val_len(w.patterns));
	free_all(w.ere, val_len(w.excludes));
	val_unref(w.files);
	val_unref(result);
	buf_release(&l);
	buf_release(&npath);
	return error;
}

const struct tend_module mod_find = {
	.name = "find",
	.args = find_args,
	.doc = "list the files under some paths by name, type, age and size",
	.returns =
		"files: one dict per file listed: path, and its stat as stat's\n"
		"    (mode, isdir, isreg, islnk, uid, gid, size, mtime, pw_name ...;\n"
		"    checksum with get_checksum)\n"
		"matched: how many were listed\n"
		"examined: how many entries were looked at\n"
		"skipped_paths: the paths that could not be read, and why\n"
		"msg: All paths examined, or that some were not\n",
	.example =
		"- find:\n"
		"    paths: /var/log/app\n"
		"    patterns: '*.log'\n"
		"    age: 2w\n"
		"    recurse: true\n"
		"  register: old_logs\n",
	.probe = find_probe,
	.judge = find_judge,
};
