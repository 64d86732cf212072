#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/util/tz.h"
#include "tend/source/source.h"
#include "tend/source/source_int.h"

#include <ctype.h>
#include <strings.h>

/*
 * allowed_signers: the file that says which keys may sign, for which
 * principals, namespaces and times (ssh-keygen(1), ALLOWED SIGNERS).
 */

/* The next whitespace-separated token; double quotes group. */
static bool next_token(const char **p, const char *end, struct buf *tok)
{
	const char *s = *p;
	bool quoted = false;

	buf_reset(tok);
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end)
		return false;
	for (; s < end && (quoted || (*s != ' ' && *s != '\t')); s++) {
		if (*s == '"')
			quoted = !quoted;
		buf_addch(tok, *s);
	}
	*p = s;
	return true;
}

static void unquote(struct buf *b)
{
	if (b->len >= 2 && b->ptr[0] == '"' && b->ptr[b->len - 1] == '"') {
		memmove(b->ptr, b->ptr + 1, b->len - 2);
		buf_setlen(b, b->len - 2);
	}
}

static bool is_key_type(const char *s)
{
	return !strncmp(s, "ssh-", 4) || !strncmp(s, "ecdsa-", 6) ||
	       !strncmp(s, "sk-", 3);
}

/* YYYYMMDD[HHMM[SS]][Z] as UTC seconds; -1 if malformed */
static long long parse_time(const char *s)
{
	size_t n = strlen(s);
	int f[6] = { 0, 1, 1, 0, 0, 0 };
	const int widths[6] = { 4, 2, 2, 2, 2, 2 };

	if (n && s[n - 1] == 'Z')
		n--;
	if (n != 8 && n != 12 && n != 14)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	for (size_t i = 0, off = 0; off < n; off += (size_t)widths[i], i++) {
		f[i] = 0;
		for (int j = 0; j < widths[i]; j++)
			f[i] = f[i] * 10 + (s[off + (size_t)j] - '0');
	}
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
	    f[4] > 59 || f[5] > 60)
		return -1;
	return tz_days_from_civil(f[0], (int)f[1], (int)f[2]) * 86400 +
	       f[3] * 3600 + f[4] * 60 + f[5];
}

static int parse_options(struct source_signer *sg, const char *opts,
			 const char *name, unsigned int line)
{
	const char *p = opts;

	while (*p) {
		struct buf opt = BUF_INIT;
		bool quoted = false;
		const char *eq;
		int error = 0;

		for (; *p && (quoted || *p != ','); p++) {
			if (*p == '"')
				quoted = !quoted;
			buf_addch(&opt, *p);
		}
		if (*p == ',')
			p++;
		eq = strchr(opt.ptr, '=');
		if (eq) {
			struct buf v = BUF_INIT;
			size_t klen = (size_t)(eq - opt.ptr);

			buf_adds(&v, eq + 1);
			unquote(&v);
			if (klen == 10 && !strncasecmp(opt.ptr, "namespaces", 10)) {
				free(sg->namespaces);
				sg->namespaces = buf_detach(&v, NULL);
			} else if (klen == 11 &&
				   !strncasecmp(opt.ptr, "valid-after", 11)) {
				if ((sg->valid_after = parse_time(v.ptr)) < 0)
					error = -1;
			} else if (klen == 12 &&
				   !strncasecmp(opt.ptr, "valid-before", 12)) {
				if ((sg->valid_before = parse_time(v.ptr)) < 0)
					error = -1;
			} else {
				error = -2;
			}
			buf_release(&v);
		} else if (!strcasecmp(opt.ptr, "cert-authority")) {
			sg->cert_authority = true;
		} else {
			error = -2;
		}
		if (error == -1)
			error = tend_error_set_code(TEND_EPARSE, "%s:%u: bad "
				"time in '%s' (YYYYMMDD[HHMM[SS]][Z])", name,
				line, opt.ptr);
		else if (error == -2)
			error = tend_error_set_code(TEND_EPARSE, "%s:%u: "
				"unknown option '%s'", name, line, opt.ptr);
		buf_release(&opt);
		if (error < 0)
			return error;
	}
	return 0;
}

static void signer_release(struct source_signer *sg)
{
	free(sg->principals);
	free(sg->namespaces);
	free(sg->key);
	free(sg->key_type);
}

static int parse_signer_line(struct source_signer *sg, const char *p,
			     const char *end, const char *name,
			     unsigned int line)
{
	struct buf tok = BUF_INIT;
	struct wire w;
	const unsigned char *t;
	size_t tlen;
	int error = 0;

	memset(sg, 0, sizeof(*sg));
	sg->line = line;
	next_token(&p, end, &tok);
	unquote(&tok);
	sg->principals = xstrdup(tok.ptr);
	if (!next_token(&p, end, &tok))
		goto truncated;
	if (!is_key_type(tok.ptr)) {
		if ((error = parse_options(sg, tok.ptr, name, line)) < 0)
			goto out;
		if (!next_token(&p, end, &tok))
			goto truncated;
	}
	sg->key_type = xstrdup(tok.ptr);
	if (!next_token(&p, end, &tok))
		goto truncated;
	if (source_b64_decode(&sg->key, &sg->key_len, tok.ptr, tok.len) < 0) {
		error = tend_error_set_code(TEND_EPARSE, "%s:%u: the key is "
					    "not valid base64", name, line);
		goto out;
	}
	w.p = sg->key;
	w.left = sg->key_len;
	if (!source_wire_string(&w, &t, &tlen) ||
	    !source_bytes_are(t, tlen, sg->key_type)) {
		error = tend_error_set_code(TEND_EPARSE, "%s:%u: the key is not "
			"a '%s' key", name, line, sg->key_type);
		goto out;
	}
	goto out;
truncated:
	error = tend_error_set_code(TEND_EPARSE, "%s:%u: expected "
		"'principals [options] keytype key'", name, line);
out:
	buf_release(&tok);
	if (error < 0)
		signer_release(sg);
	return error;
}

int source_signers_parse(struct source_signers *out, const char *text,
			 size_t len, const char *name)
{
	const char *p = text, *end = text + len;
	unsigned int line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *q = p;
		struct source_signer sg;
		int error;

		line++;
		while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		while (eol > q && (eol[-1] == '\r' || eol[-1] == ' ' ||
				   eol[-1] == '\t'))
			eol--;
		p = nl ? nl + 1 : end;
		if (q == eol || *q == '#')
			continue;
		if ((error = parse_signer_line(&sg, q, eol, name, line)) < 0)
			return error;
		ALLOC_GROW(out->items, out->nr + 1, out->alloc);
		out->items[out->nr++] = sg;
	}
	return 0;
}

int source_signers_load(struct source_signers *out, const char *path)
{
	struct buf b = BUF_INIT;
	int error;

	if ((error = buf_read_file(&b, path)) == 0)
		error = source_signers_parse(out, b.ptr, b.len, path);
	buf_release(&b);
	return error;
}

void source_signers_release(struct source_signers *s)
{
	for (size_t i = 0; i < s->nr; i++)
		signer_release(&s->items[i]);
	free(s->items);
	s->items = NULL;
	s->nr = s->alloc = 0;
}
