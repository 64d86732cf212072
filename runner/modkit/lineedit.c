#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/modkit/lineedit.h"
#include "tend/modkit/lines.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/data/val.h"
#include "tend/util/regex.h"

/*
 * Ansible compiles regexp, insertafter and insertbefore as bytes patterns
 * (re.compile(to_bytes(regexp))) and searches each line with its line
 * ending, so these are REGEX_BYTES regexes searched in the whole line.
 */
#define LINE_RE_FLAGS REGEX_BYTES

void lineedit_result_init(struct lineedit_result *r)
{
	r->changed = false;
	r->create = false;
	r->msg_as_is = false;
	buf_init(&r->content, 0);
	buf_init(&r->msg, 0);
	r->found = 0;
}

void lineedit_result_release(struct lineedit_result *r)
{
	buf_release(&r->content);
	buf_release(&r->msg);
	lineedit_result_init(r);
}

/* Python's re.search on one line, line ending included, as Ansible does. */
static int line_search(bool *hit, const struct regex *re,
		       const struct buf *ln)
{
	struct regex_match m = REGEX_MATCH_INIT;
	int error;

	error = regex_exec(&m, re, ln->ptr, ln->len, 0, REGEX_SEARCH);
	*hit = m.matched;
	regex_match_release(&m);
	return error;
}

/* Python's `line == cur.rstrip(b'\r\n')`. */
static bool line_equals(const struct buf *ln, const char *line,
			size_t line_len)
{
	size_t len = ln->len;

	while (len && (ln->ptr[len - 1] == '\r' || ln->ptr[len - 1] == '\n'))
		len--;
	return len == line_len && !memcmp(ln->ptr, line, len);
}

/* The length of an option that may hold NUL bytes (0: up to the first). */
static size_t opt_len(const char *s, size_t len)
{
	return len ? len : strlen(s);
}

static bool line_contains(const struct buf *ln, const char *s)
{
	return memmem(ln->ptr, ln->len, s, strlen(s)) != NULL;
}

static bool ends_with_newline(const struct buf *ln)
{
	return ln->len && ln->ptr[ln->len - 1] == '\n';
}

static bool streq(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static bool truthy(const char *s)
{
	return s && *s;
}

static void insert_line(struct lines *l, size_t at, const char *line,
			size_t len)
{
	lines_insert(l, at, line, len);
	buf_addch(&l->v[at], '\n');
}

static int lineinfile_absent(struct lineedit_result *out, struct lines *l,
			     const struct lineinfile_opts *o,
			     const struct regex *re)
{
	size_t i = 0;
	bool hit;
	int error;

	while (i < l->nr) {
		if (re) {
			if ((error = line_search(&hit, re, &l->v[i])) < 0)
				return error;
		} else if (o->search_string) {
			hit = line_contains(&l->v[i], o->search_string);
		} else {
			hit = line_equals(&l->v[i], o->line,
					  opt_len(o->line, o->line_len));
		}
		if (!hit) {
			i++;
			continue;
		}
		lines_remove(l, i, i + 1);
		out->found++;
	}
	if (out->found)
		buf_addf(&out->msg, "%zu line(s) removed", out->found);
	return 0;
}

/*
 * The line to replace: the last match of regexp or search_string (the
 * first with firstmatch), or -1.
 */
static int find_match(long *idx, const struct lines *l,
		      const struct lineinfile_opts *o, const struct regex *re)
{
	bool hit;
	int error;

	*idx = -1;
	for (size_t i = 0; (re || o->search_string) && i < l->nr; i++) {
		if (!re)
			hit = line_contains(&l->v[i], o->search_string);
		else if ((error = line_search(&hit, re, &l->v[i])) < 0)
			return error;
		if (!hit)
			continue;
		*idx = (long)i;
		if (o->firstmatch)
			break;
	}
	return 0;
}

/*
 * With no match: a line equal to `line` (*idx), else where insertafter /
 * insertbefore (the regex `ins`) put it (*at, or -1).
 */
static int find_insert(long *idx, long *at, const struct lines *l,
		       const struct lineinfile_opts *o, const char *ia,
		       const char *ib, const struct regex *ins)
{
	bool hit;
	int error;

	*at = -1;
	for (size_t i = 0; i < l->nr; i++) {
		if (line_equals(&l->v[i], o->line,
				opt_len(o->line, o->line_len))) {
			*idx = (long)i;
			continue;
		}
		if (!ins)
			continue;
		if ((error = line_search(&hit, ins, &l->v[i])) < 0)
			return error;
		if (!hit)
			continue;
		if (truthy(ia)) {
			*at = (long)i + 1;
			if (o->firstmatch)
				break;
		}
		if (truthy(ib)) {
			*at = (long)i;
			if (o->firstmatch)
				break;
		}
	}
	return 0;
}

/* Replace line `idx` by `line`, with regexp's groups if backrefs. */
static int replace_line(struct lineedit_result *out, struct lines *l,
			long idx, const struct lineinfile_opts *o,
			const struct regex *re, bool matched)
{
	struct buf *cur = &l->v[idx];
	struct buf newline = BUF_INIT;
	struct regex_match m = REGEX_MATCH_INIT;
	int error = 0;

	if (o->backrefs && matched && re) {
		/* match.expand(line) of the line's match, found again */
		if ((error = regex_exec(&m, re, cur->ptr, cur->len, 0,
					REGEX_SEARCH)) < 0 ||
		    (error = regex_expand(&newline, re, &m, o->line)) < 0)
			goto out;
	} else {
		buf_add(&newline, o->line, opt_len(o->line, o->line_len));
	}
	if (!ends_with_newline(&newline))
		buf_addch(&newline, '\n');
	if (cur->len != newline.len ||
	    memcmp(cur->ptr, newline.ptr, newline.len)) {
		buf_reset(cur);
		buf_addbuf(cur, &newline);
		buf_adds(&out->msg, "line replaced");
	}
out:
	regex_match_release(&m);
	buf_release(&newline);
	return error;
}

/* Insert `line` where Ansible's present() puts it when nothing matched. */
static void insert_new_line(struct lineedit_result *out, struct lines *l,
			    const char *line, size_t len, const char *ia,
			    const char *ib, long at)
{
	if (streq(ib, "BOF") || streq(ia, "BOF")) {
		insert_line(l, 0, line, len);
		buf_adds(&out->msg, "line added");
	} else if (streq(ia, "EOF") || at < 0) {
		struct buf *last = l->nr ? &l->v[l->nr - 1] : NULL;

		if (last && last->ptr[last->len - 1] != '\n' &&
		    last->ptr[last->len - 1] != '\r')
			buf_addch(last, '\n');
		insert_line(l, l->nr, line, len);
		buf_adds(&out->msg, "line added");
	} else if (truthy(ia)) {
		/*
		 * Ansible compares with the line after the insertion point
		 * and, at the end, does not fix a last line lacking "\n".
		 */
		if ((size_t)at == l->nr) {
			if (!line_equals(&l->v[at - 1], line, len)) {
				insert_line(l, l->nr, line, len);
				buf_adds(&out->msg, "line added");
			}
		} else if (!line_equals(&l->v[at], line, len)) {
			insert_line(l, (size_t)at, line, len);
			buf_adds(&out->msg, "line added");
		}
	} else {
		insert_line(l, (size_t)at, line, len);
		buf_adds(&out->msg, "line added");
	}
}

/*
 * Ansible's present(): find the line to replace (the last match of regexp
 * or search_string, the first with firstmatch; else a line equal to
 * `line`), else where to insert.
 */
static int lineinfile_present(struct lineedit_result *out, struct lines *l,
			      const struct lineinfile_opts *o,
			      const struct regex *re)
{
	const char *ia = o->insertafter, *ib = o->insertbefore;
	const char *ins_pat = NULL;
	struct regex *ins = NULL;
	long idx, at = -1;
	bool matched;
	int error;

	if (!ia && !ib)
		ia = "EOF";
	if (ia && !streq(ia, "BOF") && !streq(ia, "EOF"))
		ins_pat = ia;
	else if (ib && !streq(ib, "BOF"))
		ins_pat = ib;
	if ((ins_pat &&
	     (error = regex_compile(&ins, ins_pat, LINE_RE_FLAGS)) < 0) ||
	    (error = find_match(&idx, l, o, re)) < 0)
		goto out;
	matched = idx >= 0;
	if (!matched && (error = find_insert(&idx, &at, l, o, ia, ib,
					     ins)) < 0)
		goto out;
	if (idx >= 0)
		error = replace_line(out, l, idx, o, re, matched);
	else if (!o->backrefs) /* backrefs and no match: leave it alone */
		insert_new_line(out, l, o->line, opt_len(o->line, o->line_len),
				ia, ib, at);
out:
	regex_free(ins);
	return error;
}

int lineedit_lineinfile(struct lineedit_result *out, const char *in,
			size_t len, const struct lineinfile_opts *o)
{
	struct lines l = LINES_INIT;
	struct regex *re = NULL;
	int error = 0;

	if (!o->absent && !o->line)
		BUG("lineinfile: present without a line");
	if (o->absent && !o->regexp && !o->search_string && !o->line)
		BUG("lineinfile: absent without line, regexp, search_string");
	if (in)
		lines_split(&l, in, len, false);
	if (o->regexp &&
	    (error = regex_compile(&re, o->regexp, LINE_RE_FLAGS)) < 0)
		goto out;
	if (o->absent)
		error = lineinfile_absent(out, &l, o, re);
	else
		error = lineinfile_present(out, &l, o, re);
	if (error < 0)
		goto out;
	out->changed = out->msg.len > 0;
	buf_reset(&out->content);
	lines_join(&out->content, &l);
out:
	regex_free(re);
	lines_release(&l);
	return error;
}

/*
 * marker with "{mark}" replaced by `mark`, and a newline. Ansible does it
 * with re.sub(b'{mark}', marker_begin, marker), so the mark is a
 * replacement template: "\t" in it is a tab, "\1" an error.
 */
static int make_marker(struct buf *out, const char *marker, const char *mark)
{
	struct regex *re = NULL;
	int error;

	if ((error = regex_compile(&re, "{mark}", REGEX_BYTES)) == 0 &&
	    (error = regex_sub(out, NULL, re, mark, marker, strlen(marker),
			       0)) == 0)
		buf_addch(out, '\n');
	regex_free(re);
	return error;
}

static bool line_is(const struct buf *ln, const struct buf *s)
{
	return ln->len == s->len && !memcmp(ln->ptr, s->ptr, s->len);
}

/* The length of the valid UTF-8 character at s (len > 0), or 0. */
static size_t utf8_char_len(const unsigned char *s, size_t len)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 :
		   s[0] >= 0xe0 && s[0] <= 0xef ? 3 :
		   s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;

	if (!n || n > len)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/*
 * Python's to_native(original).count('\n', 0, k): Ansible hands a byte
 * offset of the bytes match to a count over the decoded text, so `k`
 * counts characters (an invalid byte is one, surrogateescape's way).
 */
static size_t count_newlines(const char *s, size_t len, size_t k)
{
	size_t i = 0, n = 0;

	for (size_t chars = 0; chars < k && i < len; chars++) {
		size_t cl = utf8_char_len((const unsigned char *)s + i,
					  len - i);

		n += s[i] == '\n';
		i += cl ? cl : 1;
	}
	return n;
}

/*
 * With (?m) in the pattern, Ansible searches the whole file instead of
 * each line, and counts newlines up to the match.
 */
static int block_position_multiline(long *at, const struct regex *re,
				    const char *in, size_t len, bool after)
{
	struct regex_match m = REGEX_MATCH_INIT;
	int error;

	if ((error = regex_exec(&m, re, in, len, 0, REGEX_SEARCH)) == 0 &&
	    m.matched)
		*at = (long)count_newlines(in, len,
					   m.spans[after ? 1 : 0]);
	regex_match_release(&m);
	return error;
}

/*
 * Where the block goes when its markers are not both there: after the
 * last line matching insertafter, before the last matching insertbefore,
 * at the end if none matches; at BOF or EOF. `in` is the whole file.
 */
static int block_position(size_t *out, const struct lines *l,
			  const char *in, size_t len, const char *ia,
			  const char *ib)
{
	struct regex *re = NULL;
	const char *pat = NULL;
	long at = -1;
	bool hit;
	int error;

	if (ia && !streq(ia, "EOF"))
		pat = ia;
	else if (ib && !streq(ib, "BOF"))
		pat = ib;
	if (!pat) {
		*out = ib ? 0 : l->nr;
		return 0;
	}
	if ((error = regex_compile(&re, pat, LINE_RE_FLAGS)) < 0)
		goto out;
	if (regex_flags(re) & REGEX_MULTILINE) {
		if ((truthy(ia) || truthy(ib)) &&
		    (error = block_position_multiline(&at, re, in ? in : "",
						      in ? len : 0,
						      truthy(ia))) < 0)
			goto out;
	} else {
		for (size_t i = 0; i < l->nr; i++) {
			if ((error = line_search(&hit, re, &l->v[i])) < 0)
				goto out;
			if (hit)
				at = (long)i;
		}
	}
	if (at < 0)
		*out = l->nr;
	else
		*out = (size_t)at + (ia ? 1 : 0);
	/* where Ansible would fail with an IndexError: at the end */
	if (*out > l->nr)
		*out = l->nr;
out:
	regex_free(re);
	return error;
}

int lineedit_blockinfile(struct lineedit_result *out, const char *in,
			 size_t len, const struct blockinfile_opts *o)
{
	const char *marker = o->marker ? o->marker :
			     "# {mark} ANSIBLE MANAGED BLOCK";
	const char *ia = o->insertafter, *ib = o->insertbefore;
	struct buf m0 = BUF_INIT, m1 = BUF_INIT, block = BUF_INIT;
	struct lines l = LINES_INIT, bl = LINES_INIT;
	long n0 = -1, n1 = -1;
	size_t at;
	int error = 0;

	if (in)
		lines_split(&l, in, len, true);
	if (!ia && !ib)
		ia = "EOF";
	if ((error = make_marker(&m0, marker, o->marker_begin ?
				 o->marker_begin : "BEGIN")) < 0 ||
	    (error = make_marker(&m1, marker, o->marker_end ?
				 o->marker_end : "END")) < 0)
		goto out;
	if (!o->absent && o->block && opt_len(o->block, o->block_len)) {
		buf_add(&block, o->block, opt_len(o->block, o->block_len));
		if (!buf_ends_with(&block, "\n"))
			buf_addch(&block, '\n');
		lines_insert(&bl, 0, m0.ptr, m0.len);
		lines_split(&bl, block.ptr, block.len, true);
		lines_insert(&bl, bl.nr, m1.ptr, m1.len);
	}

	for (size_t i = 0; i < l.nr; i++) {
		if (line_is(&l.v[i], &m0))
			n0 = (long)i;
		if (line_is(&l.v[i], &m1))
			n1 = (long)i;
	}
	if (n0 < 0 || n1 < 0) {
		if ((error = block_position(&at, &l, in, len, ia, ib)) < 0)
			goto out;
	} else if (n0 < n1) {
		lines_remove(&l, (size_t)n0, (size_t)n1 + 1);
		at = (size_t)n0;
	} else {
		lines_remove(&l, (size_t)n1, (size_t)n0 + 1);
		at = (size_t)n1;
	}
	if (at > 0 && !ends_with_newline(&l.v[at - 1]))
		buf_addch(&l.v[at - 1], '\n');
	for (size_t i = 0; i < bl.nr; i++)
		lines_insert(&l, at + i, bl.v[i].ptr, bl.v[i].len);

	buf_reset(&out->content);
	lines_join(&out->content, &l);
	buf_reset(&out->msg);
	if (!in) {
		out->changed = true;
		buf_adds(&out->msg, "File created");
	} else if (out->content.len == len &&
		   !memcmp(out->content.ptr, in, len)) {
		out->changed = false;
	} else {
		out->changed = true;
		buf_adds(&out->msg, bl.nr ? "Block inserted" : "Block removed");
	}
out:
	buf_release(&m0);
	buf_release(&m1);
	buf_release(&block);
	lines_release(&l);
	lines_release(&bl);
	return error;
}

/* What lineedit_plan hands to lineedit_apply. */
struct edit_plan {
	struct file_state st;
	struct buf content;
	bool write;      /* the content changes */
	bool create;     /* the create arg's default (lineedit_result) */
	struct buf msg;
};

static void edit_plan_free(void *p)
{
	struct edit_plan *pd = p;

	file_state_release(&pd->st);
	buf_release(&pd->content);
	buf_release(&pd->msg);
	free(pd);
}

static void want_from_args(struct file_want *w, const struct task_ctx *ctx,
			   const struct file_state *st,
			   const struct buf *content, bool create)
{
	const struct val *mode = arg_get(ctx, "mode");

	memset(w, 0, sizeof(*w));
	w->path = arg_str(ctx, "path");
	w->follow = true;
	w->make_parents = arg_bool(ctx, "create", create);
	w->mode = val_is(mode, VAL_NULL) ? NULL : mode;
	w->owner = arg_str(ctx, "owner");
	w->group = arg_str(ctx, "group");
	if (content) {
		/* replace's; NULL for a module without it */
		w->validate = arg_str(ctx, "validate");
		w->content = content->ptr;
		w->content_len = content->len;
		/* Ansible backs up only when the content changes */
		w->backup = arg_bool(ctx, "backup", false) && st->exists;
	}
}

void lineedit_probe(struct buf *script, const char *path)
{
	file_state_probe(script, path, FILE_READ_CONTENT | FILE_FOLLOW);
}

int lineedit_judge_read(struct file_state *out, const struct exec_result *res,
			const char *path)
{
	int error;

	if ((error = file_state_judge(out, res, path)) < 0)
		return error;
	if (!out->exists)
		return 0;
	if (out->type == 'd')
		return tend_error_set("Path %s is a directory !", path);
	if (out->type != 'f')
		return tend_error_set("cannot edit '%s': not a regular file",
				      path);
	if (!out->content_read)
		return tend_error_set("cannot edit '%s': larger than %u bytes",
				      path, FILE_CONTENT_MAX);
	return 0;
}

/*
 * Ansible makes a new file with 0644 (0666 under the usual umask 022),
 * then sets the mode asked for: a different one counts as a change of
 * perms in its message.
 */
static bool new_mode_differs(const struct file_want *w)
{
	unsigned int m;

	return w->mode && mode_parse(&m, w->mode, 0644, false) == 0 &&
	       m != 0644;
}

int lineedit_plan(struct check_result *out, const struct task_ctx *ctx,
		  struct file_state *st, struct lineedit_result *r)
{
	struct edit_plan *pd;
	struct file_want w;
	int error;

	buf_reset(&out->msg);
	if (!out->result)
		out->result = val_dict();
	if (!st->exists && !r->changed) {
		/* nothing to write, so nothing is created */
		out->status = CHECK_OK;
		buf_addbuf(&out->msg, &r->msg);
		val_dict_set_str(out->result, "msg", out->msg.ptr);
		return 0;
	}
	want_from_args(&w, ctx, st, r->changed ? &r->content : NULL,
		       r->create);
	if ((error = file_plan(out, st, &w)) < 0)
		return error;
	buf_reset(&out->msg);
	buf_addbuf(&out->msg, &r->msg);
	if (!r->msg_as_is &&
	    (st->exists ? out->changes.len > 0 : new_mode_differs(&w)))
		buf_addf(&out->msg, "%sownership, perms or SE linux context "
			 "changed", out->msg.len ? " and " : "");

	/* Ansible's modules always say, "" when nothing changed */
	val_dict_set_str(out->result, "msg", out->msg.ptr);
	pd = xcalloc(1, sizeof(*pd));
	pd->st = *st;
	file_state_init(st);
	pd->write = r->changed;
	pd->create = r->create;
	pd->content = r->content;
	buf_init(&r->content, 0);
	buf_init(&pd->msg, 0);
	buf_addbuf(&pd->msg, &out->msg);
	out->priv = pd;
	out->priv_free = edit_plan_free;
	return 0;
}

int lineedit_apply(struct apply_result *out, const struct task_ctx *ctx,
		   const struct check_result *planned, const char *backup_key,
		   bool backup_always)
{
	const struct edit_plan *pd = planned->priv;
	const struct val *made;
	struct file_want w;
	int error;

	if (!pd)
		BUG("lineedit_apply without a plan");
	want_from_args(&w, ctx, &pd->st, pd->write ? &pd->content : NULL,
		       pd->create);
	if ((error = file_write(out, ctx, &w, &pd->st)) < 0)
		return error;
	buf_addbuf(&out->msg, &pd->msg);
	made = val_dict_get(out->result, "backup_file");
	if (made && strcmp(backup_key, "backup_file")) {
		val_dict_set_str(out->result, backup_key, val_cstr(made));
		val_dict_del(out->result, "backup_file");
	} else if (!made && backup_always) {
		val_dict_set_str(out->result, backup_key, "");
	}
	return 0;
}
