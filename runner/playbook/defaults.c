#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/lang/template.h"
#include "tend/modules/registry.h"
#include "tend/playbook/playbook_int.h"

/*
 * module_defaults (plays, blocks, tasks): default args per module, as
 * Ansible 2.14's Base._load_module_defaults reads them. Keys are static
 * module names (any spelling module_find takes: `file`,
 * `ansible.builtin.file`, `ansible.legacy.file` are one key); values are
 * dicts of args or templates giving one.
 */

/* One dict of module_defaults into `out` (later keys replace earlier). */
static void defaults_dict(struct loadctx *lc, struct val *out,
			  const struct val *d)
{
	for (size_t i = 0; i < d->u.dict.nr; i++) {
		const char *key = d->u.dict.items[i].key;
		const struct val *v = d->u.dict.items[i].v;
		const struct srcpos *kpos = val_dict_key_pos(d, key);
		const struct tend_module *m;
		const char *s = val_cstr(v);

		if (!kpos)
			kpos = &v->pos;
		if (!strncmp(key, "group/", 6)) {
			diags_add(lc->d, kpos, "module_defaults groups ('%s') "
				  "are not supported yet: name each module",
				  key);
			continue;
		}
		if (!(m = module_find(key))) {
			diags_add(lc->d, kpos, "unknown module '%s' in "
				  "module_defaults", key);
			continue;
		}
		if (val_is(v, VAL_NULL)) {
			val_dict_set(out, m->name, val_dict());
		} else if (val_is(v, VAL_DICT) ||
			   (s && template_has_jinja(s))) {
			val_dict_set(out, m->name, val_ref((struct val *)v));
		} else {
			diags_add(lc->d, &v->pos, "expected a dict of args (or "
				  "a template giving one) for '%s' in "
				  "module_defaults, got a %s", key,
				  val_type_name(v->type));
		}
	}
}

struct val *playbook_module_defaults(struct loadctx *lc, const struct val *v)
{
	struct val *out = val_dict();

	if (val_is(v, VAL_DICT)) {
		defaults_dict(lc, out, v);
		return out;
	}
	for (size_t i = 0; val_is(v, VAL_LIST) && i < v->u.list.nr; i++) {
		const struct val *d = v->u.list.items[i];

		if (val_is(d, VAL_DICT))
			defaults_dict(lc, out, d);
		else
			diags_add(lc->d, &d->pos, "expected a dict in "
				  "'module_defaults', got a %s",
				  val_type_name(d->type));
	}
	if (!val_is(v, VAL_LIST) && !val_is(v, VAL_NULL))
		diags_add(lc->d, &v->pos, "'module_defaults' is a dict (or a "
			  "list of dicts) whose keys are module names, got a "
			  "%s", val_type_name(v->type));
	return out;
}

struct val *playbook_defaults_merge(const struct val *outer,
				    const struct val *inner)
{
	struct val *out = outer ? val_copy(outer) : val_dict();

	for (size_t i = 0; inner && i < inner->u.dict.nr; i++)
		val_dict_set(out, inner->u.dict.items[i].key,
			     val_ref(inner->u.dict.items[i].v));
	return out;
}

struct val *playbook_args_with_defaults(const struct val *defaults,
					const struct tend_module *m,
					const struct val *args)
{
	const struct val *d = defaults && m ?
		val_dict_get(defaults, m->name) : NULL;
	struct val *out;

	if (!val_is(d, VAL_DICT))
		return args ? val_ref((struct val *)args) : NULL;
	out = val_copy(d);
	for (size_t i = 0; val_is(args, VAL_DICT) && i < args->u.dict.nr; i++)
		val_dict_set_pos(out, args->u.dict.items[i].key,
				 val_ref(args->u.dict.items[i].v),
				 &args->u.dict.items[i].pos);
	return out;
}
