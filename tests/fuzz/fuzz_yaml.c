#include "fuzz.h"
#include "tend/data/yaml.h"

#include <math.h>

/*
 * The YAML loader (data/yaml.c) on any bytes, then the emitters on what
 * it loaded: to_nice_yaml's output must load again, to the same value
 * (same types, floats bit for bit or both NaN), since tend writes it into
 * files that Ansible and tend read back.
 */

static bool same(const struct val *a, const struct val *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case VAL_FLOAT:
		return (isnan(a->u.f) && isnan(b->u.f)) || a->u.f == b->u.f;
	case VAL_INT:
		return a->u.i == b->u.i;
	case VAL_BOOL:
		return a->u.b == b->u.b;
	case VAL_LIST:
		if (a->u.list.nr != b->u.list.nr)
			return false;
		for (size_t i = 0; i < a->u.list.nr; i++)
			if (!same(a->u.list.items[i], b->u.list.items[i]))
				return false;
		return true;
	case VAL_DICT:
		if (a->u.dict.nr != b->u.dict.nr)
			return false;
		for (size_t i = 0; i < a->u.dict.nr; i++) {
			const struct val *o = val_dict_get(
				b, a->u.dict.items[i].key);

			if (!o || !same(a->u.dict.items[i].v, o))
				return false;
		}
		return true;
	default:
		return val_equal(a, b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = DIAGS_INIT, d2 = DIAGS_INIT;
	struct val *v = NULL, *again = NULL;
	struct buf out = BUF_INIT;

	if (yaml_load_string(&v, (const char *)data, size, "fuzz.yml",
			     &d) == 0) {
		val_to_json(&out, v, 0);
		buf_reset(&out);
		val_to_yaml(&out, v, 0);
		if (yaml_load_string(&again, out.ptr, out.len, "again.yml",
				     &d2) < 0) {
			fprintf(stderr, "to_nice_yaml wrote YAML that does "
				"not load:\n%s\n", out.ptr);
			diags_print(&d2, stderr);
			abort();
		}
		if (!same(v, again)) {
			fprintf(stderr, "to_nice_yaml wrote YAML that loads as "
				"another value:\n%s\n", out.ptr);
			abort();
		}
	}
	val_unref(again);
	val_unref(v);
	buf_release(&out);
	diags_release(&d2);
	diags_release(&d);
	fuzz_done();
	return 0;
}
