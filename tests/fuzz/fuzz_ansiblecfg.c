#include "fuzz.h"
#include "tend/data/ansiblecfg.h"

/*
 * ansible.cfg (data/ansiblecfg.c): any bytes as the file, read through
 * the same loader the command line uses (its name ends in .cfg, as the
 * lookup requires); settings that resolve are read back.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = DIAGS_INIT;
	struct ansiblecfg *c = NULL;

	if (ansiblecfg_load(&c, fuzz_file("ansible.cfg", data, size), &d) == 0) {
		for (int s = 0; s < ACFG__NR; s++)
			(void)ansiblecfg_get(c, (enum acfg_setting)s);
		ansiblecfg_free(c);
	}
	diags_release(&d);
	fuzz_done();
	return 0;
}
