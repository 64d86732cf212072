/*
 * A module call's args: the task's, over its module's module_defaults,
 * rendered in the task's scope.
 */

#include "tend/common.h"
#include "tend/engine/run_int.h"
#include "tend/lang/template.h"
#include "tend/modkit/module.h"

/*
 * The module_defaults of the task's module: the innermost entry of the
 * play's, blocks' and task's (Ansible updates one dict with them in that
 * order), rendered when it is a template. *out: a new reference to the
 * dict of raw args (or, from a template, of rendered ones: *rendered
 * set), or NULL. The dict may be shared with every host (a variable's
 * value): it must not be changed.
 */
static int module_defaults(struct val **out, bool *rendered,
			   const struct hostctx *hc, const struct task *t,
			   const struct scope *sc)
{
	const struct val *d = NULL;
	struct val *r = NULL;

	*out = NULL;
	*rendered = false;
	for (size_t i = hc->mdefs_nr; i-- > 0 && !d;)
		d = val_dict_get(hc->mdefs[i], t->module->name);
	if (!d)
		return 0;
	if (val_is(d, VAL_DICT)) {
		*out = val_ref((struct val *)d);
		return 0;
	}
	if (template_render(&r, d, sc) < 0)
		return tend_error_prefix("in module_defaults of '%s'",
					 t->module->name);
	if (!val_is(r, VAL_DICT)) {
		val_unref(r);
		return tend_error_set("module_defaults of '%s': expected a "
				      "dict of args", t->module->name);
	}
	*out = r;
	*rendered = true;
	return 0;
}

/* The task's args over its module's defaults, rendered. */
struct val *run_render_args(const struct hostctx *hc, const struct task *t,
			       const struct scope *sc, int *error)
{
	struct val *out = val_dict();
	struct val *defs = NULL, *args;
	bool rendered;

	if ((*error = module_defaults(&defs, &rendered, hc, t, sc)) < 0) {
		val_unref(out);
		return NULL;
	}
	if (defs && rendered) {
		/*
		 * A lone "{{ var }}" renders to the variable's own dict,
		 * which every host's thread reads at once: the task's args
		 * go into a copy, never into it.
		 */
		val_unref(out);
		out = val_copy(defs);
		val_unref(defs);
		defs = NULL;
	}
	args = defs ? val_copy(defs) : val_ref(t->args);
	for (size_t i = 0; defs && i < val_len(t->args); i++)
		val_dict_set_pos(args, t->args->u.dict.items[i].key,
				 val_ref(t->args->u.dict.items[i].v),
				 &t->args->u.dict.items[i].pos);
	val_unref(defs);
	*error = 0;
	for (size_t i = 0; i < val_len(args); i++) {
		const char *k = args->u.dict.items[i].key;
		const struct val *v = args->u.dict.items[i].v;
		const struct arg_spec *spec = NULL, *a;
		struct val *r = NULL;

		for (size_t j = 0; (a = module_arg(t->module, j)); j++)
			if (!strcmp(a->name, k))
				spec = a;
		if (spec && (spec->flags & ARG_RAW)) {
			val_dict_set(out, k, val_ref((struct val *)v));
			continue;
		}
		if ((*error = template_render(&r, v, sc)) < 0) {
			val_unref(out);
			val_unref(args);
			return NULL;
		}
		if (val_cstr(r) && !strcmp(val_cstr(r), OMIT_TOKEN)) {
			/* an omitted arg takes no default either */
			val_unref(r);
			val_dict_del(out, k);
			continue;
		}
		val_dict_set_pos(out, k, r, &args->u.dict.items[i].pos);
	}
	val_unref(args);
	return out;
}

