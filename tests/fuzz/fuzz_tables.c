#include "fuzz.h"
#include "tend/data/val.h"
#include "tend/lang/lookup_files_int.h"

/*
 * The readers of the ini and csvfile lookups (lang/lookup_ini.c). The
 * first line of the input is the key; the rest is read as an INI file
 * (the key as a name in section "s" and in DEFAULT, then as a regex, with
 * and without case sensitivity and valueless options) and as CSV and TSV
 * (column 1, then the last column).
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl = memchr(text, '\n', size);
	size_t klen = nl ? (size_t)(nl - text) : size;
	char *key = fuzz_cstr(data, klen);
	const char *body = nl ? nl + 1 : "";
	size_t blen = nl ? size - klen - 1 : 0;
	struct val *col1 = val_str("1"), *last = val_int(-1);

	for (int i = 0; i < 6; i++) {
		struct val *out = val_list();

		lookup_ini_text(out, body, blen, key, i % 3 ? "s" : "DEFAULT",
				i % 3 == 2, i >= 3, i >= 3);
		val_unref(out);
		tend_error_clear();
	}
	for (int i = 0; i < 4; i++) {
		struct val *v = NULL;

		lookup_csv_text(&v, body, blen, key, i % 2 ? ',' : '\t',
				i < 2 ? col1 : last);
		val_unref(v);
		tend_error_clear();
	}
	val_unref(col1);
	val_unref(last);
	free(key);
	fuzz_done();
	return 0;
}
