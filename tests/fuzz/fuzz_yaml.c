#include "fuzz.h"
#include "tend/data/yaml.h"

/*
 * The YAML loader (data/yaml.c) on any bytes, then the emitters on what
 * it loaded: to_nice_yaml's output must load again, since tend writes it
 * into files that Ansible and tend read back.
 */

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
	}
	val_unref(again);
	val_unref(v);
	buf_release(&out);
	diags_release(&d2);
	diags_release(&d);
	fuzz_done();
	return 0;
}
