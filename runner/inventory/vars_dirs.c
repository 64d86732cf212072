#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/inventory/inventory_int.h"
#include "tend/data/val.h"
#include "tend/data/yaml.h"
#include "tend/util/interrupt.h"

/*
 * group_vars/ and host_vars/ directories, and the vars layers they fill.
 */

/* Vars directories ------------------------------------------------------ */

static const char *const vars_exts[] = { "", ".yml", ".yaml", ".json", NULL };

static bool vars_ext_ok(const char *name)
{
	const char *ext = inv_file_ext(name);

	for (size_t i = 0; vars_exts[i]; i++)
		if (!strcmp(ext, vars_exts[i]))
			return true;
	return false;
}

/* Files of a NAME/ directory, in name order, recursing as Ansible does. */
static int collect_dir_files(struct val *files, const char *dir)
{
	char **names = NULL;
	size_t nr = 0;
	struct buf p = BUF_INIT;
	int error;

	if ((error = inv_list_dir(&names, &nr, dir)) < 0)
		return error;
	for (size_t i = 0; i < nr && !error; i++) {
		if (names[i][0] == '.' || inv_ends_with(names[i], "~"))
			continue;
		buf_sets(&p, dir);
		buf_addch(&p, '/');
		buf_adds(&p, names[i]);
		if (inv_is_dir(p.ptr)) {
			if (!*inv_file_ext(names[i]))
				error = collect_dir_files(files, p.ptr);
		} else if (vars_ext_ok(names[i])) {
			val_list_push(files, val_str(p.ptr));
		}
	}
	buf_release(&p);
	inv_free_names(names, nr);
	return error;
}

static int load_vars_file(struct val *into, const char *path,
			  const char *root, struct diags *d)
{
	struct val *doc = NULL;
	int error;

	if ((error = yaml_load_input(&doc, root, path, d)) < 0)
		return error == TEND_EPARSE ? 0 : error;
	if (val_is(doc, VAL_DICT))
		val_dict_update(into, doc, false);
	else if (!val_is(doc, VAL_NULL))
		diags_add(d, &doc->pos, "expected a mapping of variables, "
			  "got %s", val_type_name(doc->type));
	val_unref(doc);
	return 0;
}

struct vars_dir {
	char *path;
	const char *root; /* files are read beneath it, or NULL */
	char **names;
	size_t nr;
};

/*
 * The vars of entity `name` in a group_vars/ or host_vars/ directory: the
 * first of NAME, NAME.yml, NAME.yaml, NAME.json that exists (a directory
 * of files, or a file). Returns a new dict, or NULL if there is none.
 */
static int vars_for(struct val **out, const struct vars_dir *vd,
		    const char *name, struct diags *d)
{
	struct buf cand = BUF_INIT, p = BUF_INIT;
	struct val *files = NULL;
	int error = 0;

	*out = NULL;
	if (!vd->nr || name[0] == '/')
		return 0;
	for (size_t i = 0; vars_exts[i]; i++) {
		buf_sets(&cand, name);
		buf_adds(&cand, vars_exts[i]);
		if (!bsearch(&cand.ptr, vd->names, vd->nr, sizeof(char *),
			     inv_cmp_str))
			continue;
		buf_sets(&p, vd->path);
		buf_addch(&p, '/');
		buf_addbuf(&p, &cand);
		files = val_list();
		if (inv_is_dir(p.ptr))
			error = collect_dir_files(files, p.ptr);
		else
			val_list_push(files, val_str(p.ptr));
		break;
	}
	if (files && !error) {
		*out = val_dict();
		for (size_t i = 0; i < val_len(files) && !error; i++) {
			const char *file = val_cstr(val_list_at(files, i));

			error = load_vars_file(*out, file, vd->root, d);
		}
	}
	val_unref(files);
	buf_release(&cand);
	buf_release(&p);
	return error;
}

void inv_refresh_vars(struct inv_ext *x)
{
	struct inventory *inv = &x->inv;

	for (size_t i = 0; i < inv->groups_nr; i++) {
		struct group_ext *ge = inv_gext(inv, i);

		val_unref(ge->g.vars);
		ge->g.vars = val_dict();
		for (int l = 0; l < LAYER_NR; l++)
			val_dict_update(ge->g.vars, ge->layer[l], false);
	}
	for (size_t i = 0; i <= inv->hosts_nr && !tend_interrupted; i++) {
		struct host_ext *he = i < inv->hosts_nr ? inv_hext(inv->hosts[i]) :
							  x->implicit;

		if (!he)
			continue;
		val_unref(he->h.vars);
		he->h.vars = val_dict();
		for (int l = 0; l < LAYER_NR; l++)
			val_dict_update(he->h.vars, he->layer[l], false);
	}
}

int inv_load_vars_dirs(struct inv_ext *x, const char *dir, const char *root,
		       enum layer l, struct diags *d)
{
	struct inventory *inv = &x->inv;
	struct vars_dir gv = { NULL, root, NULL, 0 };
	struct vars_dir hv = { NULL, root, NULL, 0 };
	struct buf p = BUF_INIT;
	struct val *vars = NULL;
	int error;

	buf_sets(&p, dir);
	buf_adds(&p, "/group_vars");
	gv.path = buf_detach(&p, NULL);
	buf_sets(&p, dir);
	buf_adds(&p, "/host_vars");
	hv.path = buf_detach(&p, NULL);
	if ((error = inv_list_dir(&gv.names, &gv.nr, gv.path)) < 0 ||
	    (error = inv_list_dir(&hv.names, &hv.nr, hv.path)) < 0)
		goto out;
	for (size_t i = 0; i < inv->groups_nr && !error; i++) {
		if ((error = vars_for(&vars, &gv, inv->groups[i]->name, d)) < 0)
			break;
		for (size_t j = 0; vars && j < vars->u.dict.nr; j++)
			inv_group_set_var(x, i, l, vars->u.dict.items[j].key,
				      val_ref(vars->u.dict.items[j].v), d);
		val_unref(vars);
		vars = NULL;
	}
	for (size_t i = 0; i <= inv->hosts_nr && !error; i++) {
		struct host_ext *he = i < inv->hosts_nr ? inv_hext(inv->hosts[i]) :
							  x->implicit;

		if ((error = inv_check_interrupted()) < 0)
			goto out;
		if (!he)
			continue;
		if ((error = vars_for(&vars, &hv, he->h.name, d)) < 0)
			break;
		if (vars)
			val_dict_update(he->layer[l], vars, false);
		val_unref(vars);
		vars = NULL;
	}
	inv_refresh_vars(x);
	if (!error)
		error = inv_check_interrupted();
out:
	free(gv.path);
	free(hv.path);
	inv_free_names(gv.names, gv.nr);
	inv_free_names(hv.names, hv.nr);
	return error;
}

int inventory_load_vars_dirs(struct inventory *inv, const char *dir,
			     const char *root, struct diags *d)
{
	size_t errors_before = d->errors;
	int error = inv_load_vars_dirs(inv_ext_of(inv), dir, root,
				       LAYER_PLAY_FILES, d);

	if (!error && d->errors > errors_before)
		error = TEND_EPARSE;
	return error;
}
