#include "fuzz.h"
#include "tend/engine/config.h"

/*
 * tend.yml (engine/config.c, with the window providers' checks it runs
 * from windows/). Secrets are given as X_file paths, which config_load
 * does not read (the providers read them when a window opens).
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = DIAGS_INIT;
	struct config *c = NULL;

	if (config_load(&c, fuzz_file("tend.yml", data, size), &d) == 0)
		config_free(c);
	diags_release(&d);
	fuzz_done();
	return 0;
}
