/*
 * Digests of values that a saved plan stores: a secret's, so that a
 * changed secret shows without the plan giving the secret away.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/digest.h"

/*
 * An unambiguous encoding of `v`: every value with its type and every
 * string with its length, secrets included (val_to_json would write
 * "<secret>"), flags left out.
 */
static void canonical(struct buf *out, const struct val *v)
{
	switch (v->type) {
	case VAL_NULL:
		buf_addch(out, 'n');
		break;
	case VAL_BOOL:
		buf_adds(out, v->u.b ? "t" : "f");
		break;
	case VAL_INT:
		buf_addf(out, "i%lld;", v->u.i);
		break;
	case VAL_FLOAT:
		buf_addf(out, "d%.17g;", v->u.f);
		break;
	case VAL_STR:
		buf_addf(out, "s%zu:", v->u.s.len);
		buf_add(out, v->u.s.ptr, v->u.s.len);
		break;
	case VAL_LIST:
		buf_addf(out, "l%zu:", v->u.list.nr);
		for (size_t i = 0; i < v->u.list.nr; i++)
			canonical(out, v->u.list.items[i]);
		break;
	case VAL_DICT:
		buf_addf(out, "m%zu:", v->u.dict.nr);
		for (size_t i = 0; i < v->u.dict.nr; i++) {
			const char *k = v->u.dict.items[i].key;

			buf_addf(out, "%zu:%s", strlen(k), k);
			canonical(out, v->u.dict.items[i].v);
		}
		break;
	}
}

int val_digest(char out[PWHASH_HEX], const struct val *v, struct pwhash *h,
	       const char *purpose)
{
	struct buf text = BUF_INIT;
	int error;

	canonical(&text, v);
	error = pwhash_digest(out, h, purpose, text.ptr, text.len);
	buf_release_secret(&text);
	return error;
}
