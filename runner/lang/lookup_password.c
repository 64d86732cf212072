/*
 * lookup('password', 'PATH [length=N] [chars=...]'): a random password
 * kept in a file on the controller, as Ansible 2.14's password plugin:
 * the file's content (up to " salt=") if it exists, else a new password
 * written to it (mode 0600, parents 0700); with /dev/null a new one each
 * time, stored nowhere. The value is secret (never printed). A git
 * source's checkout is never written: a missing file there is refused.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/lang/lookup_files_int.h"
#include "tend/lang/scope_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

/* Ansible's maximum is what memory allows; this is plenty. */
#define MAX_PASSWORD_LENGTH 4096

struct pwparams {
	struct buf path;
	long long length;
	struct buf chars; /* the candidate characters */
};

/* Python's string module constants that chars= may name. */
static const struct {
	const char *name, *chars;
} charsets[] = {
	{ "ascii_letters", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" },
	{ "ascii_lowercase", "abcdefghijklmnopqrstuvwxyz" },
	{ "ascii_uppercase", "ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
	{ "digits", "0123456789" },
	{ "hexdigits", "0123456789abcdefABCDEF" },
	{ "octdigits", "01234567" },
	{ "punctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" },
	{ "printable", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
		       "OPQRSTUVWXYZ!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n"
		       "\r\x0b\x0c" },
	{ "whitespace", " \t\n\r\x0b\x0c" },
};

static void add_charset(struct buf *out, const char *spec)
{
	for (size_t i = 0; i < ARRAY_SIZE(charsets); i++)
		if (!strcmp(charsets[i].name, spec)) {
			spec = charsets[i].chars;
			break;
		}
	/* Ansible drops quotes from the set */
	for (; *spec; spec++)
		if (*spec != '\'' && *spec != '"')
			buf_addch(out, *spec);
}

/* chars= as a list, or a string split at ',' (",," is a comma). */
static int parse_chars(struct buf *out, const struct val *v)
{
	if (v->type == VAL_LIST) {
		for (size_t i = 0; i < v->u.list.nr; i++) {
			if (!val_cstr(v->u.list.items[i]))
				return tend_error_set("lookup('password'): "
						      "chars must be strings");
			add_charset(out, val_cstr(v->u.list.items[i]));
		}
		return 0;
	}
	if (!val_cstr(v))
		return tend_error_set("lookup('password'): chars must be a "
				      "list or a string");
	if (strstr(val_cstr(v), ",,"))
		add_charset(out, ",");
	for (const char *s = val_cstr(v); *s;) {
		size_t n = strcspn(s, ",");
		char *one = xstrndup(s, n);

		add_charset(out, one);
		free(one);
		s += n;
		while (*s == ',')
			s++;
	}
	return 0;
}

static int set_param(struct pwparams *p, const char *key,
		     const struct val *v)
{
	if (!strcmp(key, "length")) {
		char *end;

		if (v->type == VAL_INT)
			p->length = v->u.i;
		else if (!val_cstr(v) ||
			 (p->length = strtoll(val_cstr(v), &end, 10),
			  *end || end == val_cstr(v)))
			return tend_error_set("lookup('password'): length must "
					      "be an integer");
		if (p->length < 0 || p->length > MAX_PASSWORD_LENGTH)
			return tend_error_set("lookup('password'): length "
					      "%lld is out of range",
					      p->length);
		return 0;
	}
	if (!strcmp(key, "chars")) {
		buf_reset(&p->chars);
		return parse_chars(&p->chars, v);
	}
	if (!strcmp(key, "encrypt") || !strcmp(key, "ident") ||
	    !strcmp(key, "seed"))
		return tend_error_set("lookup('password'): '%s' is not "
				      "supported yet", key);
	return tend_error_set("Unrecognized parameter(s) given to password "
			      "lookup: %s", key);
}

/* "PATH k=v ..." and the call's options into p. */
static int parse_term(struct pwparams *p, const char *term,
		      const struct lookup_env *env)
{
	const char *sp = strchr(term, ' ');
	int error = 0;

	p->length = 20;
	add_charset(&p->chars, "ascii_letters");
	add_charset(&p->chars, "digits");
	add_charset(&p->chars, ".,:-_");
	for (size_t i = 0; env->a && i < env->a->nkw; i++)
		if ((error = set_param(p, env->a->kwname[i], env->a->kw[i])) < 0)
			return error;
	buf_add(&p->path, term, sp ? (size_t)(sp - term) : strlen(term));
	if (sp) {
		struct val *kv;

		if (val_parse_kv(&kv, sp + 1, NULL) < 0)
			return tend_error_set("Unrecognized value after "
					      "key=value parameters given to "
					      "password lookup");
		for (size_t i = 0; !error && i < kv->u.dict.nr; i++)
			error = set_param(p, kv->u.dict.items[i].key,
					  kv->u.dict.items[i].v);
		val_unref(kv);
	}
	if (!error && !p->chars.len && p->length)
		error = tend_error_set("lookup('password'): no characters to "
				       "make a password of");
	return error;
}

static void generate(struct buf *out, const struct pwparams *p)
{
	/* randombytes needs it; it is idempotent and thread-safe */
	if (sodium_init() < 0)
		BUG("sodium_init failed");
	for (long long i = 0; i < p->length; i++)
		buf_addch(out, p->chars.ptr[randombytes_uniform(
				       (uint32_t)p->chars.len)]);
}

/*
 * The directories above the file, as Python's os.makedirs(dir, 0o700):
 * the file's own directory 0700, those above it 0777 less the umask.
 */
static int make_parents(char *path)
{
	char *last = strrchr(path, '/');

	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, s == last ? 0700 : 0777) < 0 &&
		    errno != EEXIST) {
			int e = errno;

			*s = '/';
			return tend_error_set("cannot create '%s': %s", path,
					      strerror(e));
		}
		*s = '/';
	}
	return 0;
}

/*
 * Store `pw` in `path` unless the file appeared meanwhile (another host's
 * worker, another run): link(2) of a full temporary file never leaves a
 * half-written one, and never replaces one. 1 if stored, 0 if the file
 * was there.
 */
static int store(const char *path, const struct buf *pw)
{
	struct buf tmp = BUF_INIT;
	char *dir = xstrdup(path);
	int fd, error;

	if ((error = make_parents(dir)) < 0)
		goto out;
	buf_addf(&tmp, "%s.tend-XXXXXX", path);
	if ((fd = mkstemp(tmp.ptr)) < 0) {
		error = tend_error_set("cannot create '%s': %s", tmp.ptr,
				       strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || write(fd, pw->ptr, pw->len) !=
	    (ssize_t)pw->len || write(fd, "\n", 1) != 1 || fsync(fd) < 0)
		error = tend_error_set("cannot write '%s': %s", tmp.ptr,
				       strerror(errno));
	close(fd);
	if (!error && link(tmp.ptr, path) < 0)
		error = errno == EEXIST ? 0 :
			tend_error_set("cannot create '%s': %s", path,
				       strerror(errno));
	else if (!error)
		error = 1;
	unlink(tmp.ptr);
out:
	buf_release(&tmp);
	free(dir);
	return error;
}

/* The stored password: the file's text up to " salt=", rstripped. */
static int read_stored(struct buf *pw, const char *root, const char *path)
{
	/*
	 * Not readlog_read: a saved plan would carry the file's SHA-256,
	 * and a short password is found from that by trying them all (the
	 * plan binds its secrets by their Argon2id digests instead).
	 */
	int error = fs_read_beneath(pw, root, path);
	const char *salt;

	if (error < 0)
		return error;
	buf_rtrim(pw);
	salt = pw->len ? strstr(pw->ptr, " salt=") : NULL;
	if (salt) {
		const char *next;

		while ((next = strstr(salt + 1, " salt=")))
			salt = next;
		buf_setlen(pw, (size_t)(salt - pw->ptr));
	}
	return 0;
}

static int one_password(struct buf *pw, struct pwparams *p,
			const struct lookup_env *env)
{
	const char *root = scope_limits(env->scope)->root;
	const char *base = scope_basedir(env->scope);
	struct buf path = BUF_INIT;
	int error = 0, exists;

	if (!strcmp(p->path.ptr, "/dev/null")) {
		generate(pw, p);
		return 0;
	}
	if (p->path.ptr[0] != '/' && base)
		buf_addf(&path, "%s/", base);
	buf_addbuf(&path, &p->path);
	exists = fs_exists_beneath(root, path.ptr);
	if (exists == 0 && root)
		exists = tend_error_set_code(TEND_EREFUSED,
			"refusing to create the password file '%s' in a git "
			"source's checkout (commit it, or use '/dev/null')",
			p->path.ptr);
	if (exists == 0) {
		generate(pw, p);
		if ((error = store(path.ptr, pw)) == 0) {
			/* another worker stored one first: use theirs */
			buf_release_secret(pw);
			exists = 1;
		}
	}
	if (exists < 0)
		error = exists;
	else if (exists > 0)
		error = read_stored(pw, root, path.ptr);
	buf_release(&path);
	return error < 0 ? error : 0;
}

int lookup_password(struct val *out, const struct val *terms,
		    const struct lookup_env *env)
{
	for (size_t i = 0; i < terms->u.list.nr; i++) {
		struct pwparams p = { BUF_INIT, 0, BUF_INIT };
		struct buf pw = BUF_INIT;
		const char *term = val_cstr(terms->u.list.items[i]);
		int error;

		if (!term || !*term)
			error = tend_error_set("lookup('password'): the term "
					       "must be a path");
		else if ((error = parse_term(&p, term, env)) == 0)
			error = one_password(&pw, &p, env);
		buf_release(&p.path);
		buf_release(&p.chars);
		if (error < 0) {
			buf_release_secret(&pw);
			return tend_error_prefix("lookup('password')");
		}
		val_list_push(out, val_secret(template_str_result(&pw)));
	}
	return 0;
}
