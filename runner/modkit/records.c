#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/modkit/toolkit.h"

/*
 * The records modules' scripts print (toolkit.h): plain "KEY VALUE"
 * lines, and framed "KEY:LEN" ones whose bytes no content can forge.
 */

int rec_next(struct rec *r, const struct buf *out, size_t *pos)
{
	const char *line, *nl, *sep;
	size_t klen;

	if (*pos >= out->len)
		return 0;
	line = out->ptr + *pos;
	if (!(nl = memchr(line, '\n', out->len - *pos)))
		return tend_error_set("cannot parse the reply of the host: "
				      "a record without its end");
	sep = line + strcspn(line, " :\n");
	klen = (size_t)(sep - line);
	if (!klen || klen >= sizeof(r->key))
		return tend_error_set("cannot parse the reply of the host");
	memcpy(r->key, line, klen);
	r->key[klen] = '\0';
	if (*sep == ':') {
		char *end;
		unsigned long long len = strtoull(sep + 1, &end, 10);
		size_t at = (size_t)(nl - out->ptr) + 1;

		/* `len` came from the host: no arithmetic on it may wrap */
		if (end != nl || end == sep + 1 || at > out->len ||
		    len >= out->len - at || out->ptr[at + len] != '\n')
			return tend_error_set("cannot parse the reply of the "
					      "host: a bad length");
		r->val = out->ptr + at;
		r->len = (size_t)len;
		*pos = at + (size_t)len + 1;
		return 1;
	}
	r->val = *sep == ' ' ? sep + 1 : sep;
	r->len = (size_t)(nl - r->val);
	*pos = (size_t)(nl - out->ptr) + 1;
	return 1;
}

bool rec_is(const struct rec *r, const char *key)
{
	return !strcmp(r->key, key);
}
