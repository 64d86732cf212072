#ifndef TEND_VAL_H
#define TEND_VAL_H

/*
 * struct val: the dynamic value of playbooks, variables, facts and module
 * results (the data model of YAML and JSON): null, bool, int, float,
 * string, list, dict (ordered by insertion, as Python's).
 *
 * Values are reference counted. A constructor returns a new value with one
 * reference, owned by the caller. Containers *take* the reference of what
 * is stored into them (val_list_push, val_dict_set). Getters return
 * borrowed pointers that live as long as the container holds them; call
 * val_ref() to keep one longer.
 *
 * A value that is shared (refcnt > 1) must not be changed: treat values
 * that came from elsewhere as immutable and build new ones (val_copy makes
 * a deep copy that is yours to change).
 *
 * Every value carries the source position it was loaded from (zero when
 * computed), so errors can name file:line:col.
 *
 * Dict lookups take constant time on average: past a small size a dict
 * keeps a hash index beside its items (which stay in insertion order).
 * Change a dict's items only through the val_dict_* functions, which keep
 * that index true; reading u.dict.items directly is fine.
 *
 * Reference counts are atomic, so threads may share (ref, read, unref) a
 * value; its contents must not change while it is shared.
 */

#include "tend/util/error.h"

struct buf;
struct val_dict_index;

enum val_type {
	VAL_NULL,
	VAL_BOOL,
	VAL_INT,
	VAL_FLOAT,
	VAL_STR,
	VAL_LIST,
	VAL_DICT,
};

enum {
	VAL_F_OCTAL = 1 << 0,  /* int written as a YAML octal literal (0644) */
	VAL_F_QUOTED = 1 << 1, /* string written quoted in YAML */
	VAL_F_SECRET = 1 << 2, /* never print, log or store this value */
	VAL_F_UNSAFE = 1 << 3, /* never template this string (!unsafe, or
				  text that came from a host); on a list or
				  dict: every string in it is unsafe */
	VAL_F_TUPLE = 1 << 4,  /* a list that Python would hold as a tuple:
				  str() prints it as (a, b) */
	/* 1 << 16 and up: private to the template engine (lang/value_int.h) */
};

struct val_pair {
	char *key;
	struct val *v;
	struct srcpos pos; /* where the key was written (zero if computed) */
};

struct val {
	enum val_type type;
	unsigned int flags;
	int refcnt;
	struct srcpos pos;
	union {
		bool b;
		long long i;
		double f;
		struct {
			char *ptr;
			size_t len;
		} s;
		struct {
			struct val **items;
			size_t nr, alloc;
		} list;
		struct {
			struct val_pair *items;
			size_t nr, alloc;
			/*
			 * Private to val.c: a hash index over items, kept
			 * by every change once the dict holds more than a
			 * few keys (NULL until then). Lookups only read it,
			 * so a shared dict stays safe to read from many
			 * threads.
			 */
			struct val_dict_index *index;
		} dict;
	} u;
};

/* Constructors: each returns a new value with one reference. */
struct val *val_null(void);
struct val *val_bool(bool b);
struct val *val_int(long long i);
struct val *val_float(double f);
struct val *val_str(const char *s);
struct val *val_strn(const char *s, size_t len);
/* Take ownership of `s` (malloc'd, NUL-terminated at len). */
struct val *val_str_take(char *s, size_t len);
struct val *val_strf(const char *fmt, ...) TEND_PRINTF(1, 2);
struct val *val_list(void);
struct val *val_dict(void);

/* Add a reference and return v. NULL-safe. */
struct val *val_ref(struct val *v);
/* Drop a reference, freeing on the last. NULL-safe. */
void val_unref(struct val *v);
/* A deep copy with one reference (positions and flags kept). */
struct val *val_copy(const struct val *v);

/*
 * Ansible's wrap_var: take v's reference and return one to a value whose
 * every string (and every list and dict) carries VAL_F_UNSAFE, so that
 * nothing in it is ever rendered as a template. Text a host sent back
 * (module results, facts) goes through this before a playbook can see it.
 * A shared value is copied first, never changed.
 */
struct val *val_unsafe(struct val *v);

/*
 * Take v's reference and return one to a value flagged VAL_F_SECRET,
 * and every list, dict and string in it too: what the template engine
 * computed from a secret is secret. A shared value is copied first,
 * never changed.
 */
struct val *val_secret(struct val *v);

/* True if v, or anything inside it, is flagged VAL_F_SECRET. */
bool val_holds_secret(const struct val *v);

/* "null", "bool", "int", "float", "str", "list", "dict". */
const char *val_type_name(enum val_type t);

static inline bool val_is(const struct val *v, enum val_type t)
{
	return v && v->type == t;
}

/* String contents, or NULL if v is not a string. Borrowed. */
const char *val_cstr(const struct val *v);

/* Number of items of a list or dict, bytes of a string, else 0. */
size_t val_len(const struct val *v);

/* Append `item` to a list, taking its reference. */
void val_list_push(struct val *list, struct val *item);
/* A new list: a's items, then b's (either may be NULL: no items). */
struct val *val_list_concat(const struct val *a, const struct val *b);
/* Borrowed item i of a list (i < val_len). */
struct val *val_list_at(const struct val *list, size_t i);

/* Set key to v in a dict, taking v's reference; replaces in place. */
void val_dict_set(struct val *dict, const char *key, struct val *v);
/* As val_dict_set, recording where the key was written. */
void val_dict_set_pos(struct val *dict, const char *key, struct val *v,
		      const struct srcpos *pos);
/* Where `key` was written in a loaded dict, or NULL. */
const struct srcpos *val_dict_key_pos(const struct val *dict, const char *key);
/* Convenience setters: val_dict_set(d, key, val_str(s)) and friends. */
void val_dict_set_str(struct val *dict, const char *key, const char *s);
void val_dict_set_int(struct val *dict, const char *key, long long i);
void val_dict_set_bool(struct val *dict, const char *key, bool b);
/* Borrowed value of key, or NULL. */
struct val *val_dict_get(const struct val *dict, const char *key);
/* Borrowed value at a path of keys "a.b.c", or NULL. */
struct val *val_dict_path(const struct val *dict, const char *path);
/* Remove key; returns 0, or TEND_ENOTFOUND (no error set). */
int val_dict_del(struct val *dict, const char *key);
/*
 * Set every key of `src` into `dst` (dst must be unshared). With `deep`,
 * dicts present in both are merged recursively (Ansible's combine
 * recursive=True); otherwise src's value replaces dst's.
 */
void val_dict_update(struct val *dst, const struct val *src, bool deep);

/* Python truthiness and Ansible's boolean(): tend/truth.h. */
/* Deep equality, with ints and floats comparing by value. */
bool val_equal(const struct val *a, const struct val *b);
/*
 * Order two values as Python would (numbers, strings, lists). Sets *out
 * to <0, 0, >0. Returns -1 with the error set when they cannot be ordered.
 */
int val_compare(int *out, const struct val *a, const struct val *b);

/*
 * Append v as text, as Jinja's str() would: a string as itself; numbers in
 * decimal; None/True/False; lists and dicts in Python repr form.
 */
void val_to_str(struct buf *out, const struct val *v);
/*
 * As val_to_str, but every secret (inside lists and dicts too) is written
 * as itself: for data that goes to a host (file content, command words)
 * or into a template's result, never for output or logs, which must use
 * val_to_str (it masks secrets as ********). Whoever calls it flags what
 * it makes secret (val_holds_secret() says when).
 */
void val_to_text(struct buf *out, const struct val *v);
/* Python repr(): strings quoted; secrets masked as '********'. */
void val_to_repr(struct buf *out, const struct val *v);
/* As val_to_repr, secrets written as themselves (see val_to_text). */
void val_to_repr_text(struct buf *out, const struct val *v);
/*
 * JSON. indent 0 writes compact JSON (", " and ": " separators as Python's
 * json.dumps); indent > 0 pretty-prints. Secret values print "<secret>".
 */
void val_to_json(struct buf *out, const struct val *v, int indent);
/*
 * As val_to_json, secrets written as themselves: the to_json filter, a
 * copy's content (see val_to_text for who may use it).
 */
void val_to_json_text(struct buf *out, const struct val *v, int indent);

/*
 * Append s (len bytes) as a JSON string literal, quotes included. UTF-8
 * passes through; a byte that is not part of valid UTF-8 is written as
 * \udcXX (Python's surrogateescape), so the output is always valid UTF-8
 * and no two strings give the same text.
 */
void val_json_quote(struct buf *out, const char *s, size_t len);
/* The same without the quotes (YAML's double-quoted scalars take the same
 * escapes). */
void val_json_escape(struct buf *out, const char *s, size_t len);

/* Parse JSON text into a value (jansson). Returns 0 or -1 with error. */
int val_from_json(struct val **out, const char *text, size_t len);

/*
 * Parse an Ansible "k=v k2='v 2'" string into a dict of strings (quotes
 * removed; nothing is split inside {{ }} or {% %}).
 *
 * With `free_form_keys` NULL, every word must be k=v. Otherwise (command,
 * shell) only the keys named in that NULL-terminated list are taken out;
 * all other words keep their original text and the spacing between them
 * (newlines too), in "_raw_params". Returns 0 or -1 with the error set.
 */
int val_parse_kv(struct val **out, const char *s,
		 const char *const *free_form_keys);

#endif
