#include "fuzz.h"
#include "tend/store/plan.h"

/*
 * The saved-plan reader (store/plan.c): a plan file may come from
 * anywhere (a CI artefact), so plan_load checks it against the schema
 * and the readers after it rely on that. Both run here: plan_load, then
 * the readers `tend apply PLAN` calls before touching a host.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct val *plan = NULL, *vars = NULL;

	if (plan_load(&plan, fuzz_file("plan.json", data, size)) == 0) {
		val_unref(plan_hosts(plan));
		/* no secrets given: a plan that names one is refused before
		 * any digest is computed (so no hasher is needed) */
		if (plan_extra_vars(&vars, plan, NULL, NULL) == 0)
			val_unref(vars);
	}
	val_unref(plan);
	fuzz_done();
	return 0;
}
