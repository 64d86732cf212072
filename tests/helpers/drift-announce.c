#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/engine/config.h"
#include "tend/windows/announce.h"

/*
 * drift-announce [--root DIR] TEND_YML PLAN_JSON [SCHEDULE]
 *
 * What the daemon does with a scheduled plan that found drift, as a
 * program the integration tests can run (t7005): load tend.yml, read the
 * JSON that `tend plan --format json` printed, and announce its drifted
 * hosts through the configured providers (window_announce). The
 * playbook, source commit and run id come from the plan; SCHEDULE names
 * the schedule (none when absent); DIR is the source's checkout (as
 * `tend pull` prints it), which the plan names its files under.
 *
 * Prints each failed provider to stderr, "TYPE (provider N): why".
 * Exits 0 when every provider succeeded (or nothing drifted), 1 when one
 * failed, 2 on bad input.
 */

static int load_plan(struct val **out, const char *path)
{
	struct buf text = BUF_INIT;
	int error;

	if ((error = buf_read_file(&text, path)) == 0)
		error = val_from_json(out, text.ptr, text.len);
	buf_release(&text);
	return error;
}

int main(int argc, char **argv)
{
	struct diags d = DIAGS_INIT;
	struct config *c = NULL;
	struct val *plan = NULL, *failed = NULL;
	struct window_announcement a = { 0 };
	const char *playbook, *root = NULL;
	int rc = 2;

	if (argc > 2 && !strcmp(argv[1], "--root")) {
		root = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: drift-announce [--root DIR] TEND_YML "
			"PLAN_JSON [SCHEDULE]\n");
		return 2;
	}
	if (config_load(&c, argv[1], &d) < 0) {
		diags_print(&d, stderr);
		fprintf(stderr, "drift-announce: %s\n", tend_error_last());
		goto out;
	}
	if (load_plan(&plan, argv[2]) < 0) {
		fprintf(stderr, "drift-announce: %s\n", tend_error_last());
		goto out;
	}
	playbook = val_cstr(val_dict_get(plan, "playbook"));
	a.kind = "drift";
	a.schedule = argc > 3 ? argv[3] : NULL;
	a.playbook = playbook && *playbook ? playbook : NULL;
	a.commit = val_cstr(val_dict_path(plan, "source.commit"));
	a.root = root;
	if (val_is(val_dict_get(plan, "run_id"), VAL_INT))
		a.run_id = val_dict_get(plan, "run_id")->u.i;
	a.hosts = val_dict_get(plan, "hosts");
	rc = window_announce(&failed, &c->maintenance, &a) < 0;
	for (size_t i = 0; i < val_len(failed); i++) {
		const struct val *f = val_list_at(failed, i);

		fprintf(stderr, "%s (provider %lld): %s\n",
			val_cstr(val_dict_get(f, "type")),
			(long long)val_dict_get(f, "index")->u.i,
			val_cstr(val_dict_get(f, "error")));
	}
out:
	val_unref(failed);
	val_unref(plan);
	config_free(c);
	diags_release(&d);
	return rc;
}
