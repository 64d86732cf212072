#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/lang/template.h"
#include "tend/playbook/playbook_int.h"

/*
 * vars_prompt: the checks at load time. The CLI asks (cli/prompt.c);
 * the answers become play vars (playbook_play_set_var).
 */

static const char *const prompt_keys[] = {
	"name", "prompt", "default", "private", "confirm", "encrypt",
	"salt_size", "salt", "unsafe", NULL,
};

/* One entry; true if it is kept. */
static bool check_entry(struct loadctx *lc, const struct val *e)
{
	size_t errors = lc->d->errors;

	if (!val_is(e, VAL_DICT)) {
		diags_add(lc->d, &e->pos, "expected a dict in 'vars_prompt', "
			  "got a %s", val_type_name(e->type));
		return false;
	}
	if (!val_cstr(val_dict_get(e, "name")))
		diags_add(lc->d, &e->pos, "a vars_prompt entry needs a 'name' "
			  "(a string)");
	for (size_t i = 0; i < e->u.dict.nr; i++) {
		const char *k = e->u.dict.items[i].key;
		const struct val *v = e->u.dict.items[i].v;
		const struct srcpos *kp = val_dict_key_pos(e, k);
		const char *s = val_cstr(v);
		bool known = false, b;

		for (size_t j = 0; prompt_keys[j]; j++)
			known = known || !strcmp(prompt_keys[j], k);
		if (!known) {
			diags_add(lc->d, kp ? kp : &v->pos, "unsupported key "
				  "'%s' in a vars_prompt entry", k);
		} else if (s && template_has_jinja(s)) {
			diags_add(lc->d, &v->pos, "a template in vars_prompt's "
				  "'%s' is not supported yet", k);
		} else if (!strcmp(k, "private") || !strcmp(k, "confirm") ||
			   !strcmp(k, "unsafe")) {
			playbook_parse_bool(lc, v, k, &b);
		} else if (!strcmp(k, "encrypt") && s &&
			   !template_encrypt_known(s)) {
			diags_add(lc->d, &v->pos, "vars_prompt's encrypt '%s' "
				  "is not supported (sha512_crypt, "
				  "sha256_crypt, md5_crypt, bcrypt: passlib's "
				  "names)", s);
		} else if (!strcmp(k, "salt_size") && !val_is(v, VAL_INT)) {
			diags_add(lc->d, &v->pos, "expected an int for "
				  "vars_prompt's 'salt_size', got a %s",
				  val_type_name(v->type));
		} else if (val_is(v, VAL_DICT) || val_is(v, VAL_LIST)) {
			diags_add(lc->d, &v->pos, "expected a scalar for "
				  "vars_prompt's '%s', got a %s", k,
				  val_type_name(v->type));
		}
	}
	return lc->d->errors == errors;
}

void playbook_parse_vars_prompt(const struct kwarg *a)
{
	const struct val *v = a->v;
	struct val *l = val_list();

	if (val_is(v, VAL_DICT)) {
		if (check_entry(a->lc, v))
			val_list_push(l, val_ref((struct val *)v));
	} else if (val_is(v, VAL_LIST)) {
		for (size_t i = 0; i < v->u.list.nr; i++)
			if (check_entry(a->lc, v->u.list.items[i]))
				val_list_push(l, val_ref(v->u.list.items[i]));
	} else if (!val_is(v, VAL_NULL)) {
		diags_add(a->lc->d, &v->pos, "expected a list of dicts for "
			  "'vars_prompt', got a %s", val_type_name(v->type));
	}
	if (val_len(l))
		a->p->vars_prompt = l;
	else
		val_unref(l);
}

void playbook_play_set_var(struct play *p, const char *name, struct val *v)
{
	struct val *nv = val_copy(p->vars);

	val_dict_set(nv, name, v);
	val_unref(p->vars);
	p->vars = nv;
}
