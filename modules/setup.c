#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/facts.h"
#include "tend/modkit/facts_script.h"

#include <fnmatch.h>

/*
 * setup: gather facts in a task, as the play's gather_facts does (one
 * script, one round trip: modkit/facts*.c), narrowed by gather_subset and
 * filter. The facts it returns become ansible_* variables and join
 * ansible_facts.
 */

#define SETUP_ARGS \
	{ "gather_subset", ARG_LIST, 0, NULL, NULL, "all", \
	  "which facts: all, min, hardware, network, or Ansible's other " \
	  "names of what tend gathers (docs/facts.md); `!NAME` leaves one " \
	  "out; `!all` keeps only min" }, \
	{ "filter", ARG_LIST, 0, NULL, NULL, NULL, \
	  "only the facts whose ansible_ names match one of these shell " \
	  "patterns (ansible_distribution*)" }, \
	{ "fact_path", ARG_PATH, 0, NULL, NULL, FACTS_PATH_DEFAULT, \
	  "where local facts (*.fact) are" }

static const struct arg_spec setup_args[] = {
	SETUP_ARGS,
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/*
 * gather_facts, the module: Ansible runs its fact modules (setup) with
 * the task's args; `parallel` says whether several of them run at once,
 * and tend runs one.
 */
static const struct arg_spec gather_facts_args[] = {
	SETUP_ARGS,
	{ "parallel", ARG_BOOL, 0, NULL, NULL, NULL,
	  "run several fact modules at once (tend has one: no effect)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

struct setup_priv {
	struct facts_opts o;
	struct val *subset;
	char *fact_path;
};

static void setup_priv_free(void *v)
{
	struct setup_priv *sp = v;

	val_unref(sp->subset);
	free(sp->fact_path);
	free(sp);
}

static int setup_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct setup_priv *sp = xcalloc(1, sizeof(*sp));
	const struct val *gs = arg_get(ctx, "gather_subset");

	sp->subset = gs ? val_ref((struct val *)gs) : NULL;
	sp->fact_path = arg_str(ctx, "fact_path") ?
		xstrdup(arg_str(ctx, "fact_path")) : NULL;
	out->priv = sp;
	out->priv_free = setup_priv_free;
	if (facts_subsets(&sp->o.subsets, sp->subset) < 0)
		return -1;
	sp->o.gather_subset = sp->subset;
	sp->o.fact_path = sp->fact_path;
	facts_script(&out->script, &sp->o);
	return 0;
}

/* Ansible's filter: shell patterns on the ansible_ names; none: all */
static bool wanted(const struct val *filter, const char *name)
{
	if (!val_len(filter))
		return true;
	for (size_t i = 0; i < val_len(filter); i++) {
		const char *pat = val_cstr(val_list_at(filter, i));

		if (pat && (!*pat || !fnmatch(pat, name, 0)))
			return true;
	}
	return false;
}

static int setup_judge(struct check_result *out, const struct task_ctx *ctx,
		       struct probe *p, const struct exec_result *res)
{
	struct setup_priv *sp = p->priv;
	const struct val *filter = arg_get(ctx, "filter");
	struct val *warnings = val_list();
	struct val *f, *facts;

	if (res->status)
		return tend_error_set("the facts script failed (status %d): %.*s",
				      res->status, (int)res->err.len,
				      res->err.ptr ? res->err.ptr : "");
	f = facts_parse(res->out.ptr ? res->out.ptr : "", &sp->o, warnings);
	facts = val_dict();
	for (size_t i = 0; i < f->u.dict.nr; i++) {
		struct buf k = BUF_INIT;

		if (strncmp(f->u.dict.items[i].key, "ansible_", 8))
			buf_adds(&k, "ansible_");
		buf_adds(&k, f->u.dict.items[i].key);
		if (wanted(filter, k.ptr))
			val_dict_set(facts, k.ptr,
				     val_ref(f->u.dict.items[i].v));
		buf_release(&k);
	}
	val_unref(f);
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set(out->result, "ansible_facts", facts);
	if (val_len(warnings))
		val_dict_set(out->result, "warnings", val_ref(warnings));
	val_unref(warnings);
	return 0;
}

/* a literal gather_subset names what tend gathers (facts_subsets) */
static int setup_validate(const struct val *args, const char **arg)
{
	const struct val *gs = val_dict_get(args, "gather_subset");
	unsigned int bits;

	*arg = "gather_subset";
	for (size_t i = 0; i < val_len(gs); i++) {
		const char *s = val_cstr(val_list_at(gs, i));

		if (!s || strstr(s, "{{") || strstr(s, "{%"))
			return 0;
	}
	if (val_is(gs, VAL_STR) && strstr(val_cstr(gs), "{{"))
		return 0;
	return gs ? facts_subsets(&bits, gs) : 0;
}

const struct tend_module mod_setup = {
	.name = "setup",
	.args = setup_args,
	.flags = MOD_FACTS,
	.doc = "gather facts about the host (as gather_facts does)",
	.returns =
		"ansible_facts: the facts gathered (the subsets asked for; the same\n"
		"    names as Ansible's: distribution, os_family, hostname, default_ipv4,\n"
		"    env, mounts, ... see docs/facts.md)\n",
	.example =
		"- setup:\n"
		"    gather_subset: [min, network]\n",
	.probe = setup_probe,
	.judge = setup_judge,
	.validate = setup_validate,
};

const struct tend_module mod_gather_facts = {
	.name = "gather_facts",
	.args = gather_facts_args,
	.flags = MOD_FACTS,
	.doc = "the play's gather_facts as a task (setup, with `parallel`)",
	.returns = "ansible_facts: as setup's\n",
	.example =
		"- gather_facts:\n"
		"    gather_subset: [min]\n",
	.probe = setup_probe,
	.judge = setup_judge,
	.validate = setup_validate,
};
