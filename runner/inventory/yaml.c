#include "tend/common.h"
#include "tend/inventory/inventory_int.h"
#include "tend/util/interrupt.h"

/*
 * YAML inventories.
 */

/* YAML ----------------------------------------------------------------- */

static const struct srcpos *key_pos(const struct val *dict, size_t i)
{
	const struct val_pair *kv = &dict->u.dict.items[i];

	return kv->pos.file ? &kv->pos : &kv->v->pos;
}

static size_t yaml_group(struct loader *ld, const char *name,
			 const struct val *data);

/* A section given as a string means {string: null} (as Ansible). */
static struct val *yaml_section(struct loader *ld, const char *group,
				const char *section, struct val *v)
{
	struct val *d;

	if (val_is(v, VAL_STR)) {
		d = val_dict();
		val_dict_set(d, val_cstr(v), val_null());
		return d;
	}
	if (val_is(v, VAL_NULL))
		return val_dict();
	if (!val_is(v, VAL_DICT)) {
		diags_add(ld->d, &v->pos, "expected a mapping for '%s' of "
			  "group '%s', got %s", section, group,
			  val_type_name(v->type));
		return NULL;
	}
	return val_ref(v);
}

static void yaml_hosts(struct loader *ld, size_t gi, const struct val *hosts)
{
	char *host;
	long port;

	for (size_t i = 0; i < hosts->u.dict.nr && !tend_interrupted; i++) {
		const char *pattern = hosts->u.dict.items[i].key;
		const struct val *vars = hosts->u.dict.items[i].v;

		if (!val_is(vars, VAL_NULL) && !val_is(vars, VAL_DICT)) {
			diags_add(ld->d, &vars->pos, "expected a mapping of "
				  "variables for host '%s', got %s", pattern,
				  val_type_name(vars->type));
			continue;
		}
		if (inv_host_pattern_parse(&host, &port, ld->x, pattern) < 0) {
			diags_add(ld->d, key_pos(hosts, i), "%s",
				  tend_error_last());
			tend_error_clear();
		} else {
			inv_defer_hosts(ld->x, host, port, gi,
				    val_is(vars, VAL_DICT) ? vars : NULL,
				    key_pos(hosts, i));
		}
	}
}

static size_t yaml_group(struct loader *ld, const char *name,
			 const struct val *data)
{
	static const char *const keys[] = { "hosts", "vars", "children", NULL };
	struct inv_ext *x = ld->x;
	size_t gi;

	if (!val_is(data, VAL_NULL) && !val_is(data, VAL_DICT)) {
		diags_add(ld->d, &data->pos, "expected a mapping for group "
			  "'%s', got %s", name, val_type_name(data->type));
		return NO_INDEX;
	}
	gi = inv_group_add(x, name);
	if (val_is(data, VAL_NULL))
		return gi;
	for (size_t i = 0; i < data->u.dict.nr; i++) {
		const char *key = data->u.dict.items[i].key;
		struct val *sec;

		if (strcmp(key, "hosts") && strcmp(key, "vars") &&
		    strcmp(key, "children")) {
			const char *maybe = did_you_mean(key, keys);

			diags_add(ld->d, key_pos(data, i),
				  "expected hosts, vars or children in group "
				  "'%s', got '%s'%s%s%s", name, key,
				  maybe ? " (did you mean '" : "",
				  maybe ? maybe : "", maybe ? "'?)" : "");
			continue;
		}
		sec = yaml_section(ld, name, key, data->u.dict.items[i].v);
		if (!sec)
			continue;
		if (!strcmp(key, "vars")) {
			for (size_t j = 0; j < sec->u.dict.nr; j++)
				inv_group_set_var(x, gi, LAYER_INLINE,
					      sec->u.dict.items[j].key,
					      val_ref(sec->u.dict.items[j].v),
					      ld->d);
		} else if (!strcmp(key, "children")) {
			for (size_t j = 0; j < sec->u.dict.nr; j++) {
				const char *cname = sec->u.dict.items[j].key;
				size_t ci = yaml_group(ld, cname,
						       sec->u.dict.items[j].v);

				if (ci != NO_INDEX &&
				    inv_group_add_child(x, gi, ci) < 0)
					diags_add(ld->d, key_pos(sec, j),
						  "adding group '%s' as a "
						  "child of '%s' makes a loop",
						  cname, name);
			}
		} else {
			yaml_hosts(ld, gi, sec);
		}
		val_unref(sec);
	}
	return gi;
}

void inv_yaml_parse(struct loader *ld, const struct val *doc)
{
	if (val_is(doc, VAL_NULL))
		return;
	if (!val_is(doc, VAL_DICT)) {
		diags_add(ld->d, &doc->pos, "expected a mapping of groups, "
			  "got %s", val_type_name(doc->type));
		return;
	}
	if (val_dict_get(doc, "plugin")) {
		diags_add(ld->d, &doc->pos, "inventory plugins are not "
			  "supported, expected a mapping of groups");
		return;
	}
	for (size_t i = 0; i < doc->u.dict.nr; i++)
		yaml_group(ld, doc->u.dict.items[i].key,
			   doc->u.dict.items[i].v);
}
