#include "fuzz.h"
#include "tend/playbook/playbook.h"
#include "tend/util/fs.h"

/*
 * The playbook loader (playbook/) as `tend plan` runs it on a pull
 * request's branch: the input is the playbook file of an untrusted git
 * source whose checkout is the scratch directory. Static includes
 * resolve beside it, where the only file is the playbook itself (an
 * include of it must be refused as nested too deep, not loop), and
 * nothing outside may be read.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = DIAGS_INIT;
	struct playbook *pb = NULL;
	const char *path = fuzz_file("playbook.yml", data, size);
	/* as the playbook of an untrusted git source: reads stay beneath */
	const struct fs_limits limits = { fuzz_dir(), true };

	if (playbook_load(&pb, path, &limits, &d) == 0) {
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
