/*
 * Gathered facts into a host's variables: ansible_NAME and ansible_facts
 * (the play's gather_facts, and the setup module's result).
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"

void run_set_facts(struct hoststate *hs, const struct val *facts)
{
	const struct val *had = val_dict_get(hs->factvars, "ansible_facts");
	struct val *all = had ? val_copy(had) : val_dict();

	/* facts are host data: never rendered as templates */
	for (size_t i = 0; i < facts->u.dict.nr; i++) {
		struct buf k = BUF_INIT;
		struct val *v = val_unsafe(val_ref(facts->u.dict.items[i].v));

		/* ansible_local keeps its prefix in ansible_facts */
		if (strncmp(facts->u.dict.items[i].key, "ansible_", 8))
			buf_adds(&k, "ansible_");
		buf_adds(&k, facts->u.dict.items[i].key);
		val_dict_set(hs->factvars, k.ptr, val_ref(v));
		val_dict_set(all, facts->u.dict.items[i].key, v);
		buf_release(&k);
	}
	val_dict_set(hs->factvars, "ansible_facts", val_unsafe(all));
	hs->dirty = true;
}

/* setup's facts, keyed ansible_NAME: gathered facts, merged */
void run_setup_facts(struct hostctx *hc, const struct val *facts)
{
	struct val *f = val_dict();

	for (size_t i = 0; i < facts->u.dict.nr; i++) {
		const char *k = facts->u.dict.items[i].key;

		val_dict_set(f, strncmp(k, "ansible_", 8) ||
			     !strcmp(k, "ansible_local") ? k : k + 8,
			     val_ref(facts->u.dict.items[i].v));
	}
	if (hc->no_log)
		f = val_secret(f);
	run_set_facts(hc->hs, f);
	val_unref(f);
}
