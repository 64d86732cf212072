#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/vault.h"
#include "tend/data/yaml.h"
#include "tend/util/fs.h"
#include "tend/util/readlog.h"

#include <ctype.h>
#include <math.h>

#include <yaml.h>

struct anchor {
	char *name;
	struct val *v;
};

struct loader {
	yaml_parser_t parser;
	const char *file; /* interned */
	struct diags *d;
	struct anchor *anchors;
	size_t anchors_nr, anchors_alloc;
	int depth;
	bool all; /* every document, as a list (yaml_load_string_all) */
};

#define MAX_DEPTH 256

static void set_pos(struct loader *l, struct val *v, const yaml_mark_t *m)
{
	v->pos.file = l->file;
	v->pos.line = (unsigned int)m->line + 1;
	v->pos.col = (unsigned int)m->column + 1;
}

static int error_from_yaml(struct loader *l)
{
	struct srcpos pos = { l->file, (unsigned int)l->parser.problem_mark.line + 1,
			      (unsigned int)l->parser.problem_mark.column + 1 };

	if (l->parser.context)
		diags_add(l->d, &pos, "invalid YAML: %s %s",
			  l->parser.problem ? l->parser.problem : "error",
			  l->parser.context);
	else
		diags_add(l->d, &pos, "invalid YAML: %s",
			  l->parser.problem ? l->parser.problem : "error");
	return TEND_EPARSE;
}

static bool match_any(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

static const char *const yaml_true[] = { "yes", "Yes", "YES", "true", "True",
					  "TRUE", "on", "On", "ON", NULL };
static const char *const yaml_false[] = { "no", "No", "NO", "false", "False",
					   "FALSE", "off", "Off", "OFF", NULL };
static const char *const yaml_null[] = { "", "~", "null", "Null", "NULL",
					  NULL };

/*
 * Parse digits of `base`, allowing '_', into a magnitude of at most
 * LLONG_MAX + 1 (the magnitude of LLONG_MIN). Returns false if not all
 * valid or too large.
 */
static bool parse_digits(const char *s, int base, unsigned long long *out)
{
	unsigned long long n = 0;
	bool any = false;

	for (; *s; s++) {
		int d;

		if (*s == '_')
			continue;
		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			return false;
		if (d >= base)
			return false;
		if (n > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			return false;
		n = n * (unsigned)base + (unsigned)d;
		any = true;
	}
	if (!any || n > (unsigned long long)LLONG_MAX + 1)
		return false;
	*out = n;
	return true;
}

/*
 * The int of sign and magnitude, or NULL when it does not fit a long long
 * (-9223372036854775808 fits; 9223372036854775808 does not). Computed
 * without signed overflow.
 * NEEDSWORK: Python's ints have no bound; a larger one stays a string.
 */
static struct val *signed_int(bool neg, unsigned long long n)
{
	if (neg)
		return val_int(n == (unsigned long long)LLONG_MAX + 1 ?
			       LLONG_MIN : -(long long)n);
	if (n > (unsigned long long)LLONG_MAX)
		return NULL;
	return val_int((long long)n);
}

static struct val *resolve_int(const char *s)
{
	const char *p = s;
	bool neg = false;
	unsigned long long n;
	struct val *v;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!*p)
		return NULL;
	if (p[0] == '0' && p[1] == 'b')
		return parse_digits(p + 2, 2, &n) ? signed_int(neg, n) : NULL;
	if (p[0] == '0' && p[1] == 'x')
		return parse_digits(p + 2, 16, &n) ? signed_int(neg, n) : NULL;
	if (p[0] == '0' && p[1]) {
		if (p[1] == 'o') /* YAML 1.2 style, which PyYAML leaves a string */
			return NULL;
		if (!parse_digits(p + 1, 8, &n) || !(v = signed_int(neg, n)))
			return NULL;
		v->flags |= VAL_F_OCTAL;
		return v;
	}
	if (!isdigit((unsigned char)p[0]))
		return NULL;
	return parse_digits(p, 10, &n) ? signed_int(neg, n) : NULL;
}

/*
 * PyYAML's float: [-+]?[0-9][0-9_]*\.[0-9_]* or \.[0-9][0-9_]*, then an
 * optional [eE][-+][0-9]+ (the sign is required: 1.5e3 is a string), or
 * .inf/.nan. NEEDSWORK: sexagesimal floats (1:30.5) stay strings.
 */
static struct val *resolve_float(const char *s)
{
	const char *p = s;
	struct buf clean = BUF_INIT;
	struct val *v = NULL;
	char *end;
	double f;

	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") ||
	    !strcmp(s, "+.inf") || !strcmp(s, "+.Inf") || !strcmp(s, "+.INF"))
		return val_float(INFINITY);
	if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF"))
		return val_float(-INFINITY);
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return val_float(NAN);
	/* a sign needs a digit after it: "-.5" is a string to PyYAML */
	if (*p == '-' || *p == '+')
		buf_addch(&clean, *p++);
	if (!isdigit((unsigned char)*p) &&
	    (clean.len || *p != '.' || !isdigit((unsigned char)p[1])))
		goto out;
	for (; isdigit((unsigned char)*p) || *p == '_'; p++)
		if (*p != '_')
			buf_addch(&clean, *p);
	if (*p != '.')
		goto out;
	buf_addch(&clean, *p++);
	for (; isdigit((unsigned char)*p) || *p == '_'; p++)
		if (*p != '_')
			buf_addch(&clean, *p);
	if (*p == 'e' || *p == 'E') {
		buf_addch(&clean, *p++);
		if (*p != '-' && *p != '+')
			goto out;
		buf_addch(&clean, *p++);
		if (!isdigit((unsigned char)*p))
			goto out;
		while (isdigit((unsigned char)*p))
			buf_addch(&clean, *p++);
	}
	if (*p)
		goto out;
	f = strtod(clean.ptr, &end);
	if (!*end)
		v = val_float(f);
out:
	buf_release(&clean);
	return v;
}

static struct val *resolve_plain(const char *s, size_t len)
{
	struct val *v;

	if (strlen(s) == len) {
		if (match_any(s, yaml_null))
			return val_null();
		if (match_any(s, yaml_true))
			return val_bool(true);
		if (match_any(s, yaml_false))
			return val_bool(false);
		if ((v = resolve_int(s)))
			return v;
		if ((v = resolve_float(s)))
			return v;
	}
	return val_strn(s, len);
}

bool yaml_plain_is_str(const char *s)
{
	struct val *v = resolve_plain(s, strlen(s));
	bool is_str = v->type == VAL_STR && strcmp(s, "<<");

	val_unref(v);
	return is_str;
}

/*
 * A !vault value: its plaintext, secret (never printed or stored) and,
 * as in Ansible, never templated. NULL after a diagnostic.
 */
static struct val *vault_scalar(struct loader *l, const char *s, size_t len,
				const struct srcpos *pos)
{
	struct buf plain = BUF_INIT;
	struct val *v = NULL;

	if (vault_decrypt(&plain, s, len, vault_keys()) < 0) {
		diags_add(l->d, pos, "cannot decrypt !vault value: %s",
			  tend_error_last());
		tend_error_clear();
	} else {
		v = val_strn(plain.ptr, plain.len);
		v->flags |= VAL_F_SECRET | VAL_F_UNSAFE;
	}
	buf_release_secret(&plain);
	return v;
}

static struct val *scalar(struct loader *l, yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	struct srcpos pos = { l->file, (unsigned int)ev->start_mark.line + 1,
			      (unsigned int)ev->start_mark.column + 1 };
	struct val *v = NULL;

	if (tag && strcmp(tag, "!")) {
		if (!strcmp(tag, YAML_STR_TAG)) {
			v = val_strn(s, len);
		} else if (!strcmp(tag, "!unsafe")) {
			v = val_strn(s, len);
			v->flags |= VAL_F_UNSAFE;
		} else if (!strcmp(tag, YAML_INT_TAG)) {
			v = resolve_int(s);
		} else if (!strcmp(tag, YAML_FLOAT_TAG)) {
			v = resolve_float(s);
			if (!v && (v = resolve_int(s))) {
				long long i = v->u.i;

				val_unref(v);
				v = val_float((double)i);
			}
		} else if (!strcmp(tag, YAML_BOOL_TAG)) {
			if (match_any(s, yaml_true))
				v = val_bool(true);
			else if (match_any(s, yaml_false))
				v = val_bool(false);
		} else if (!strcmp(tag, YAML_NULL_TAG)) {
			v = val_null();
		} else if (!strcmp(tag, "!vault")) {
			if (!(v = vault_scalar(l, s, len, &pos)))
				return NULL;
		} else {
			diags_add(l->d, &pos, "unknown YAML tag '%s'", tag);
			return NULL;
		}
		if (!v) {
			diags_add(l->d, &pos, "'%s' is not a valid %s", s, tag);
			return NULL;
		}
	} else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag) {
		v = resolve_plain(s, len);
	} else {
		v = val_strn(s, len);
		if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			v->flags |= VAL_F_QUOTED;
	}
	set_pos(l, v, &ev->start_mark);
	return v;
}

static void add_anchor(struct loader *l, const yaml_char_t *name,
		       struct val *v)
{
	if (!name)
		return;
	ALLOC_GROW(l->anchors, l->anchors_nr + 1, l->anchors_alloc);
	l->anchors[l->anchors_nr].name = xstrdup((const char *)name);
	l->anchors[l->anchors_nr].v = val_ref(v);
	l->anchors_nr++;
}

static int node(struct loader *l, yaml_event_t *ev, struct val **out);

/* Read events until the end of the current collection into `v`. */
static int mapping(struct loader *l, struct val *v)
{
	struct val *merges = val_list();
	int error = 0;

	for (;;) {
		yaml_event_t kev, vev;
		struct val *k = NULL, *item = NULL;
		struct buf key = BUF_INIT;

		if (!yaml_parser_parse(&l->parser, &kev)) {
			error = error_from_yaml(l);
			break;
		}
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			break;
		}
		error = node(l, &kev, &k);
		yaml_event_delete(&kev);
		if (error < 0)
			break;
		if (!yaml_parser_parse(&l->parser, &vev)) {
			val_unref(k);
			error = error_from_yaml(l);
			break;
		}
		error = node(l, &vev, &item);
		yaml_event_delete(&vev);
		if (error < 0) {
			val_unref(k);
			break;
		}
		if (k && k->type == VAL_STR && !(k->flags & VAL_F_QUOTED) &&
		    !strcmp(k->u.s.ptr, "<<")) {
			if (val_is(item, VAL_LIST)) {
				for (size_t i = item->u.list.nr; i-- > 0;)
					val_list_push(merges,
						      val_ref(item->u.list.items[i]));
			} else if (item) {
				val_list_push(merges, val_ref(item));
			}
		} else if (k && item) {
			if (k->type == VAL_DICT || k->type == VAL_LIST)
				diags_add(l->d, &k->pos,
					  "a mapping key must be a scalar");
			else
				val_to_str(&key, k);
			if (val_dict_get(v, key.ptr))
				diags_warn(l->d, &k->pos,
					   "duplicate key '%s': the last one wins",
					   key.ptr);
			val_dict_set_pos(v, key.ptr, val_ref(item), &k->pos);
		}
		buf_release(&key);
		val_unref(k);
		val_unref(item);
	}
	/*
	 * As PyYAML: merged keys come first, then the explicit ones, and a
	 * later key replaces an earlier one in place. `merges` holds each
	 * '<<: [a, b]' reversed, so explicit keys win, then earlier merges.
	 */
	if (!error && merges->u.list.nr) {
		struct val *res = val_dict();
		struct val tmp;

		for (size_t i = 0; i < merges->u.list.nr; i++) {
			struct val *m = merges->u.list.items[i];

			if (!val_is(m, VAL_DICT)) {
				diags_add(l->d, &m->pos,
					  "'<<' expects a mapping");
				continue;
			}
			for (size_t j = 0; j < m->u.dict.nr; j++)
				val_dict_set_pos(res, m->u.dict.items[j].key,
						 val_ref(m->u.dict.items[j].v),
						 &m->u.dict.items[j].pos);
		}
		for (size_t j = 0; j < v->u.dict.nr; j++)
			val_dict_set_pos(res, v->u.dict.items[j].key,
					 val_ref(v->u.dict.items[j].v),
					 &v->u.dict.items[j].pos);
		tmp.u = v->u;
		v->u = res->u;
		res->u = tmp.u;
		val_unref(res);
	}
	val_unref(merges);
	return error;
}

static int sequence(struct loader *l, struct val *v)
{
	for (;;) {
		yaml_event_t ev;
		struct val *item = NULL;
		int error;

		if (!yaml_parser_parse(&l->parser, &ev))
			return error_from_yaml(l);
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		error = node(l, &ev, &item);
		yaml_event_delete(&ev);
		if (error < 0)
			return error;
		if (item)
			val_list_push(v, item);
	}
}

/*
 * Build the node that starts with `ev`. *out may be NULL after a
 * diagnostic that does not stop the load (a bad tag).
 */
static int node(struct loader *l, yaml_event_t *ev, struct val **out)
{
	struct val *v;
	int error = 0;

	*out = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		v = scalar(l, ev);
		if (v)
			add_anchor(l, ev->data.scalar.anchor, v);
		*out = v;
		return 0;
	case YAML_ALIAS_EVENT:
		for (size_t i = l->anchors_nr; i-- > 0;)
			if (!strcmp(l->anchors[i].name,
				    (const char *)ev->data.alias.anchor)) {
				*out = val_ref(l->anchors[i].v);
				return 0;
			}
		{
			struct srcpos pos = { l->file,
					      (unsigned int)ev->start_mark.line + 1,
					      (unsigned int)ev->start_mark.column + 1 };

			diags_add(l->d, &pos, "unknown anchor '%s'",
				  (const char *)ev->data.alias.anchor);
		}
		return TEND_EPARSE;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++l->depth > MAX_DEPTH) {
			struct srcpos pos = { l->file,
					      (unsigned int)ev->start_mark.line + 1,
					      (unsigned int)ev->start_mark.column + 1 };

			diags_add(l->d, &pos, "YAML nested too deeply");
			return TEND_EPARSE;
		}
		if (ev->type == YAML_SEQUENCE_START_EVENT) {
			v = val_list();
			set_pos(l, v, &ev->start_mark);
			error = sequence(l, v);
		} else {
			v = val_dict();
			set_pos(l, v, &ev->start_mark);
			error = mapping(l, v);
		}
		l->depth--;
		if (error < 0) {
			val_unref(v);
			return error;
		}
		/* named only once complete, so no alias can make a cycle */
		add_anchor(l, ev->type == YAML_SEQUENCE_START_EVENT ?
				      ev->data.sequence_start.anchor :
				      ev->data.mapping_start.anchor, v);
		*out = v;
		return 0;
	default:
		BUG("unexpected YAML event %d", ev->type);
	}
}

static int load(struct loader *l, struct val **out)
{
	struct val *doc = NULL, *docs = l->all ? val_list() : NULL;
	int error = 0;
	bool in_doc = false;

	for (;;) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&l->parser, &ev)) {
			error = error_from_yaml(l);
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			in_doc = true;
		} else if (ev.type == YAML_DOCUMENT_END_EVENT) {
			in_doc = false;
			if (docs) {
				val_list_push(docs, doc ? doc : val_null());
				doc = NULL;
			} else if (doc) {
				yaml_event_delete(&ev);
				break; /* only the first document */
			}
		} else if (in_doc && ev.type != YAML_STREAM_START_EVENT) {
			error = node(l, &ev, &doc);
			if (error < 0) {
				yaml_event_delete(&ev);
				break;
			}
		}
		yaml_event_delete(&ev);
	}
	if (error < 0 || l->d->errors) {
		val_unref(doc);
		val_unref(docs);
		return TEND_EPARSE;
	}
	*out = docs ? docs : doc ? doc : val_null();
	return 0;
}

static int load_string(struct val **out, const char *text, size_t len,
		       const char *name, struct diags *d, bool all)
{
	struct loader l = { .file = srcfile_intern(name), .d = d, .all = all };
	size_t errors_before = d->errors;
	struct diags mine = DIAGS_INIT;
	int error;

	l.d = &mine;
	*out = NULL;
	if (!yaml_parser_initialize(&l.parser))
		BUG("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)text,
				     len);
	error = load(&l, out);
	yaml_parser_delete(&l.parser);
	for (size_t i = 0; i < l.anchors_nr; i++) {
		free(l.anchors[i].name);
		val_unref(l.anchors[i].v);
	}
	free(l.anchors);
	/* hand the diagnostics over, keeping the caller's error count right */
	for (size_t i = 0; i < mine.nr; i++) {
		ALLOC_GROW(d->items, d->nr + 1, d->alloc);
		d->items[d->nr++] = mine.items[i];
	}
	d->errors = errors_before + mine.errors;
	free(mine.items);
	return error;
}

int yaml_load_string(struct val **out, const char *text, size_t len,
		     const char *name, struct diags *d)
{
	return load_string(out, text, len, name, d, false);
}

int yaml_load_string_all(struct val **out, const char *text, size_t len,
			 const char *name, struct diags *d)
{
	return load_string(out, text, len, name, d, true);
}

/*
 * Flag every string in v secret: what a whole encrypted file holds.
 * Numbers and booleans stay plain, so that a port or a flag from a
 * vault file still prints and joins text as itself.
 */
static void mark_strings_secret(struct val *v)
{
	if (v->type == VAL_STR)
		v->flags |= VAL_F_SECRET;
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		mark_strings_secret(v->u.list.items[i]);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		mark_strings_secret(v->u.dict.items[i].v);
}

/* root NULL: a file read as it is, not the run's input (not logged) */
static int load_file(struct val **out, const char *root, const char *path,
		     struct diags *d, bool input)
{
	struct buf b = BUF_INIT;
	int error, vault;

	*out = NULL;
	if ((error = input ? readlog_read(&b, root, path) :
		     buf_read_file(&b, path)) < 0 ||
	    (error = vault = vault_open_text(&b, path, d)) < 0) {
		buf_release(&b);
		return error;
	}
	/* vault is 1 when the file was encrypted, and b its plaintext */
	error = yaml_load_string(out, b.ptr, b.len, path, d);
	if (vault) {
		buf_release_secret(&b);
		if (!error)
			mark_strings_secret(*out);
	}
	buf_release(&b);
	return error;
}

int yaml_load_file(struct val **out, const char *path, struct diags *d)
{
	return load_file(out, NULL, path, d, false);
}

int yaml_load_input(struct val **out, const char *root, const char *path,
		    struct diags *d)
{
	return load_file(out, root, path, d, true);
}

/*
 * The emitter: block-style YAML, as Ansible's to_nice_yaml writes it.
 */

static bool yaml_plain_ok(const char *s, size_t len)
{
	if (!len || strlen(s) != len || isspace((unsigned char)s[0]) ||
	    isspace((unsigned char)s[len - 1]))
		return false;
	if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
		return false;
	/* "..." at the start of a line ends the document ("---" starts with
	 * '-', refused above): quoted, as PyYAML does */
	if (!strncmp(s, "...", 3))
		return false;
	/* ": " and " #" with a tab as the blank too: a reader sees a key or
	 * a comment there */
	if (strstr(s, ": ") || strstr(s, ":\t") || strstr(s, " #") ||
	    strstr(s, "\t#") || strchr(s, '\n') || s[len - 1] == ':')
		return false;
	/* yes, null, 0644, 1_000, .inf ... would load as something else */
	return yaml_plain_is_str(s);
}

/*
 * The length of the character at s (`left` bytes remain) if a YAML
 * reader refuses it raw (C0 controls but tab, DEL, C1 controls, U+FFFE,
 * U+FFFF), reads it as a line break (LF, CR, NEL, U+2028, U+2029) in a
 * plain or single-quoted scalar, or drops it (U+FEFF, a byte order mark
 * at the start of the text); 0 if it may stand as it is. PyYAML escapes
 * the same.
 */
static size_t yaml_unprintable(const unsigned char *s, size_t left)
{
	if ((s[0] < 0x20 && s[0] != '\t') || s[0] == 0x7f)
		return 1;
	if (s[0] == 0xc2 && left > 1 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	if (left > 2 && ((s[0] == 0xef && s[1] == 0xbf &&
			  (s[2] == 0xbe || s[2] == 0xbf)) ||
			 (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) ||
			 (s[0] == 0xe2 && s[1] == 0x80 &&
			  (s[2] == 0xa8 || s[2] == 0xa9))))
		return 3;
	return 0;
}

static bool yaml_printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (yaml_unprintable((const unsigned char *)s + i, len - i))
			return false;
	return true;
}

/* A double-quoted scalar: JSON's escapes, which YAML reads too, and a
 * \u escape for each other character yaml_unprintable names. */
static void yaml_dquote(struct buf *out, const char *s, size_t len)
{
	size_t start = 0, n;

	buf_addch(out, '"');
	for (size_t i = 0; i < len; i++) {
		const unsigned char *c = (const unsigned char *)s + i;

		if (c[0] < 0x80 || !(n = yaml_unprintable(c, len - i)))
			continue;
		val_json_escape(out, s + start, i - start);
		buf_addf(out, "\\u%04x", n == 2 ? c[1] :
			 (c[0] & 0x0fu) << 12 | (c[1] & 0x3fu) << 6 |
			 (c[2] & 0x3fu));
		i += n - 1;
		start = i + 1;
	}
	val_json_escape(out, s + start, len - start);
	buf_addch(out, '"');
}

/*
 * A float as PyYAML's representer writes it, so that it loads back as
 * the same float: .nan, .inf, -.inf (JSON has none of them: it writes
 * null), and Python's repr with ".0" added to a mantissa without a dot
 * ("1e+16" would load as a string; YAML 1.1 floats have a dot).
 */
static void yaml_float(struct buf *out, const struct val *v)
{
	struct buf t = BUF_INIT;
	const char *e;

	if (isnan(v->u.f) || isinf(v->u.f)) {
		buf_adds(out, isnan(v->u.f) ? ".nan" :
			 v->u.f < 0 ? "-.inf" : ".inf");
		return;
	}
	val_to_json_text(&t, v, 0);
	if (!strchr(t.ptr, '.') && (e = strchr(t.ptr, 'e'))) {
		buf_add(out, t.ptr, (size_t)(e - t.ptr));
		buf_adds(out, ".0");
		buf_adds(out, e);
	} else {
		buf_addbuf(out, &t);
	}
	buf_release(&t);
}

static void yaml_scalar(struct buf *out, const struct val *v, bool reveal)
{
	if (v->type == VAL_STR) {
		bool printable = yaml_printable(v->u.s.ptr, v->u.s.len);

		if ((v->flags & VAL_F_SECRET) && !reveal)
			buf_adds(out, "'********'");
		else if (printable && yaml_plain_ok(v->u.s.ptr, v->u.s.len))
			buf_add(out, v->u.s.ptr, v->u.s.len);
		else if (printable) {
			buf_addch(out, '\'');
			for (size_t i = 0; i < v->u.s.len; i++) {
				if (v->u.s.ptr[i] == '\'')
					buf_addch(out, '\'');
				buf_addch(out, v->u.s.ptr[i]);
			}
			buf_addch(out, '\'');
		} else {
			yaml_dquote(out, v->u.s.ptr, v->u.s.len);
		}
		return;
	}
	if (v->type == VAL_NULL)
		buf_adds(out, "null");
	else if (v->type == VAL_BOOL)
		buf_adds(out, v->u.b ? "true" : "false");
	else if (v->type == VAL_FLOAT &&
		 (reveal || !(v->flags & VAL_F_SECRET)))
		yaml_float(out, v);
	else if (reveal)
		val_to_json_text(out, v, 0);
	else
		val_to_json(out, v, 0);
}

static void yaml_indent(struct buf *out, int n)
{
	for (int i = 0; i < n; i++)
		buf_addch(out, ' ');
}

static void yaml_add(struct buf *out, const struct val *v, int indent,
		     int depth, bool inline_first, bool reveal)
{
	size_t n = val_len(v);

	if ((v->type != VAL_LIST && v->type != VAL_DICT) || !n) {
		if (v->type == VAL_LIST)
			buf_adds(out, "[]");
		else if (v->type == VAL_DICT)
			buf_adds(out, "{}");
		else
			yaml_scalar(out, v, reveal);
		buf_addch(out, '\n');
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct val *child;

		if (i || !inline_first)
			yaml_indent(out, depth);
		if (v->type == VAL_LIST) {
			child = v->u.list.items[i];
			buf_adds(out, "- ");
			if ((child->type == VAL_DICT || child->type == VAL_LIST) &&
			    val_len(child))
				yaml_add(out, child, indent, depth + 2, true,
					 reveal);
			else
				yaml_add(out, child, indent, depth, true,
					 reveal);
		} else {
			struct val k = { .type = VAL_STR };

			child = v->u.dict.items[i].v;
			k.u.s.ptr = v->u.dict.items[i].key;
			k.u.s.len = strlen(k.u.s.ptr);
			yaml_scalar(out, &k, reveal);
			buf_addch(out, ':');
			if ((child->type == VAL_DICT || child->type == VAL_LIST) &&
			    val_len(child)) {
				buf_addch(out, '\n');
				yaml_add(out, child, indent,
					 depth + (child->type == VAL_DICT ?
						  indent : 0),
					 false, reveal);
			} else {
				buf_addch(out, ' ');
				yaml_add(out, child, indent, depth, true,
					 reveal);
			}
		}
	}
}

void val_to_yaml(struct buf *out, const struct val *v, int indent)
{
	yaml_add(out, v, indent > 0 ? indent : 2, 0, true, false);
}

void val_to_yaml_text(struct buf *out, const struct val *v, int indent)
{
	yaml_add(out, v, indent > 0 ? indent : 2, 0, true, true);
}
