#include "fuzz.h"
#include "tend/playbook/playbook.h"

/*
 * The playbook loader (playbook/) as `tend plan` runs it: the input is
 * the playbook file. Static includes resolve beside it, in the scratch
 * directory, where the only file is the playbook itself (an include of
 * it must be refused as recursive, not loop).
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = DIAGS_INIT;
	struct playbook *pb = NULL;
	const char *path = fuzz_file("playbook.yml", data, size);

	if (playbook_load(&pb, path, &d) == 0) {
		struct buf name = BUF_INIT;

		for (size_t i = 0; i < pb->nr; i++)
			for (size_t j = 0; j < pb->plays[i]->tasks.nr; j++) {
				buf_reset(&name);
				task_display_name(&name,
						  pb->plays[i]->tasks.items[j]);
			}
		buf_release(&name);
	}
	playbook_free(pb);
	diags_release(&d);
	fuzz_done();
	return 0;
}
