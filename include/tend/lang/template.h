#ifndef TEND_TEMPLATE_H
#define TEND_TEMPLATE_H

/*
 * Jinja-style templates and expressions, as Ansible uses them.
 *
 * One expression evaluator serves `when:`, `changed_when:`, `failed_when:`,
 * `assert: that:`, loops, and `{{ }}` in strings and template files.
 *
 * Variables come from a scope chain (innermost first). Variable values are
 * templated lazily, as Ansible does: when a lookup yields a string (or a
 * list/dict holding strings) containing "{{" or "{%", it is rendered in
 * the same scope before use, with a depth limit that reports a recursive
 * definition instead of looping. Strings flagged VAL_F_UNSAFE are never
 * rendered.
 *
 * Errors: an undefined variable used where a value is needed returns
 * TEND_EUNDEFINED with "'name' is undefined" (or "'dict object' has no
 * attribute 'x'"); `default`, `is defined` and friends see undefined
 * without error. Syntax errors return TEND_EPARSE with the message naming
 * the offset in the template ("line 2, column 7: expected '}}'"). All
 * functions are thread-safe as long as the scopes they read are not
 * changed meanwhile.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/util/fs.h"

/*
 * A link in a chain of variable dicts. Lookup walks from the innermost
 * scope to the root; the first dict holding the name wins. `basedir`
 * (the first non-NULL along the chain) is where lookup('file', ...)
 * resolves relative paths; `limits` (the first non-NULL) confine what
 * lookups read: files beneath limits->root only, and no lookup('env')
 * for an untrusted source. Scopes are cheap: build them on the stack.
 *
 * Secrets: whatever the evaluator computes from a value flagged
 * VAL_F_SECRET is flagged too (a filter's, test's, method's or
 * operator's result, a slice, a string a template renders it into), so
 * output that masks flagged values masks every form of a secret. Text
 * leaves that flag behind once it is on a host and comes back (a
 * command's stdout), so rendering also records, in `secret_text` (the
 * first non-NULL along the chain), every secret text it produced: the
 * text of each {{ }} that printed a secret, each secret string of a
 * value rendered whole, and each line of those, 4 bytes or more, as keys
 * of that dict. Whoever reads output scrubs them. Rendering adds to it,
 * so one dict must not be shared by threads that render at once.
 */
/* What a layer of variables is, where that matters. */
enum scope_kind {
	SCOPE_PLAIN,
	/*
	 * Ansible's connection magic (its play context's update_vars): a
	 * layer below every other, for templates only; the connection
	 * itself never reads it (engine/conn.c), nor is it in `vars`.
	 */
	SCOPE_CONN_MAGIC,
	/* a loop's item and loop vars: not in `vars` either */
	SCOPE_LOOP,
};

struct scope {
	const struct scope *parent;
	const struct val *vars; /* a dict, or NULL */
	const char *basedir;
	struct val *secret_text; /* a dict used as a set, or NULL */
	const struct fs_limits *limits; /* NULL: read anywhere */
	enum scope_kind kind;
};

/* Secret text shorter than this is not recorded (it would mask too much). */
#define TEMPLATE_MIN_SECRET_TEXT 4

/* The value of `name`, borrowed, without templating; NULL if undefined. */
const struct val *scope_get(const struct scope *s, const char *name);

/* True if s contains "{{" or "{%" (or "{#"): it needs rendering. */
bool template_has_jinja(const char *s);

/*
 * Ansible's do_encrypt, for vars_prompt's `encrypt`: `pw` hashed with
 * passlib's algorithm `algo` (template_encrypt_known: sha512_crypt,
 * sha256_crypt, md5_crypt, bcrypt) as password_hash makes it, with
 * `salt` (NULL: a random one) of `salt_size` (0: the algorithm's).
 */
bool template_encrypt_known(const char *algo);
int template_encrypt(struct val **out, const char *pw, const char *algo,
		     const char *salt, long long salt_size);

/*
 * The variables Ansible's template module adds for the file at `path`
 * (src: the module's src as given; dest may be NULL), a new dict in
 * *out: template_host (the controller's node name), template_path (src),
 * template_fullpath (path, made absolute), template_destpath (dest, or
 * None), template_uid (the file owner's name), template_mtime and
 * template_run_date (as Python prints a datetime), and ansible_managed
 * (Ansible's default "Ansible managed"). Fails if the file cannot be
 * stat'ed.
 */
int template_file_vars(struct val **out, const char *src, const char *path,
		       const char *dest);

/*
 * Render a template file's text as Ansible's template module does, into
 * `out` (appending): `opts` (a dict, or NULL) may hold the module's
 * trim_blocks (default on), lstrip_blocks (off), newline_sequence ("\n",
 * "\r" or "\r\n", also written with backslashes) and the delimiter
 * strings variable_start_string, variable_end_string, block_start_string,
 * block_end_string, comment_start_string, comment_end_string; a first
 * line "#jinja2: key: value, ..." (Python literals) overrides them and
 * is not output. keep_trailing_newline is accepted and changes nothing:
 * Ansible keeps trailing newlines either way. Another Jinja setting is
 * an error naming it.
 */
int template_render_file(struct buf *out, const char *src,
			 const struct val *opts, const struct scope *s);

/*
 * Render template text (the template module, any string) into `out`
 * (appending). Supports {{ expr }}, {% if/elif/else/endif %},
 * {% for x in xs %}...{% else %}...{% endfor %} (loop.index, loop.index0,
 * loop.first, loop.last, loop.length), {% set x = expr %}, {# comments #},
 * whitespace control with '-' ({%- -%}, {{- -}}), and Jinja's default
 * trim of one newline after a block tag (trim_blocks, as Ansible's
 * template module sets it). A trailing newline of the source is kept.
 */
int template_render_str(struct buf *out, const char *src,
			const struct scope *s);

/*
 * Render a value for use as data (module args, vars, loop lists), as
 * Ansible 2.14's Templar.template does without native Jinja:
 * - a string "{{ NAME }}" whose variable holds a number, a bool or None
 *   yields that value as it is;
 * - any other string with jinja yields its text (a lone "{{ expr }}" the
 *   expression's value as text: "{{ 5 }}" is "5", "{{ none }}" is ""),
 *   read back as a Python literal (true, false, null as JSON's) when it
 *   starts with '{' or '[' or is True or False: so lists, dicts and
 *   bools keep their type and "{{ '[1]' }}" is a list (ansible_eval_concat);
 *   what string, to_json, to_nice_json, to_yaml and to_nice_yaml give
 *   stays text (TEMPLATE_F_TEXT), and a tuple is its text;
 * - lists and dicts are rendered item by item (dict keys too);
 * - everything else, and strings without jinja, are returned as is.
 * *out is a new reference.
 */
int template_render(struct val **out, const struct val *in,
		    const struct scope *s);

/*
 * Evaluate a bare expression ("x | default(3) > 2", "item.name") into a
 * new reference. An expression that is itself wrapped in {{ }} is
 * accepted too (Ansible warns about it but allows it).
 */
int expr_eval(struct val **out, const char *expr, const struct scope *s);

/*
 * Evaluate a condition as Ansible 2.14's Conditional does for `when:`,
 * `changed_when:`, `failed_when:` and assert's `that:`, and return its
 * truth in *out:
 * - a bare expression ("x", "r.rc == 0") is evaluated, and its value
 *   judged by truth_python() (tend/truth.h): x = "no" is true;
 * - a template ("{{ x }}", "{{ a }} == 1") is rendered first; a string it
 *   renders to is then evaluated as an expression (unless it is unsafe:
 *   an error, or empty: false), and that value judged by truth_python():
 *   x = "False" or "0" is false, x = "yes" is an error ('yes' is
 *   undefined), as in Ansible;
 * - a template that renders to a non-string (a lone "{{ x }}" with x a
 *   list or bool) is judged as it is.
 * Returns 0, or <0 with the error set (TEND_EUNDEFINED for an undefined
 * variable).
 */
int expr_eval_bool(bool *out, const char *expr, const struct scope *s);

/*
 * Lookups (lang/lookup.c; docs/lookups.md): 0 if tend runs the lookup
 * plugin `name`, else -1 with the error set ("lookup plugin 'x' not
 * found", or "... is not supported yet (why)").
 */
int template_lookup_check(const char *name);

/*
 * A with_NAME loop: lookup NAME over the loop's raw value `raw`, as
 * Ansible's task executor runs it: the value is rendered (a string, or
 * anything but a list, becomes a list of one term), and for first_found
 * a term with an undefined variable is skipped instead of failing.
 * `subdir` is where first_found looks beside the playbook ("files",
 * "templates" or "vars", after the task's action). *out is a new list,
 * flagged unsafe (never templated again), as Ansible's.
 */
int template_lookup_loop(struct val **out, const char *name,
			 const struct val *raw, const char *subdir,
			 const struct scope *s);
/*
 * Parse without evaluating, for `tend validate`: template text, or with
 * `bare` an expression as `when:` takes it (text with jinja is parsed
 * as a template either way). A syntax error, or a filter, test or lookup
 * that does not exist, returns TEND_EPARSE with the message set as
 * rendering would ("template error in '...': line 1, column 8: no filter
 * named 'x'").
 */
int template_check(const char *src, bool bare);

#endif
