#include "fuzz.h"
#include "tend/cli/cli_int.h"

/*
 * `-e` values (cli/args.c cli_parse_extra): k=v words (data/val.c
 * val_parse_kv) or an inline YAML/JSON dict. "@FILE" reads a file the
 * user names, so it is left out. The k=v reader is also run as the
 * command and shell modules use it, with free-form words kept.
 */

static const char *const free_form_keys[] = { "chdir", "creates", "removes",
					      NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct val *into = val_dict(), *kv = NULL;

	if (s[0] != '@') {
		cli_parse_extra(into, s);
		tend_error_clear();
	}
	if (val_parse_kv(&kv, s, free_form_keys) == 0)
		val_unref(kv);
	val_unref(into);
	free(s);
	fuzz_done();
	return 0;
}
