#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/data/settings.h"

const struct srcpos *settings_key_pos(const struct val *dict, const char *key)
{
	const struct srcpos *p = val_dict_key_pos(dict, key);

	return p && p->line ? p : &dict->pos;
}

void settings_check_keys(struct diags *d, const struct val *v,
		       const char *const *keys)
{
	if (!val_is(v, VAL_DICT))
		return;
	for (size_t i = 0; i < v->u.dict.nr; i++) {
		const char *k = v->u.dict.items[i].key;
		const char *guess;
		size_t j;

		for (j = 0; keys[j] && strcmp(keys[j], k); j++)
			;
		if (keys[j])
			continue;
		guess = did_you_mean(k, keys);
		if (guess)
			diags_add(d, settings_key_pos(v, k), "unknown key '%s' (did you "
				  "mean '%s'?)", k, guess);
		else
			diags_add(d, settings_key_pos(v, k), "unknown key '%s'", k);
	}
}

int settings_secret(struct val **out, const struct val *section,
		  const char *name)
{
	struct buf key = BUF_INIT, text = BUF_INIT;
	const char *file, *env, *value;
	int error = 0;

	*out = NULL;
	buf_addf(&key, "%s_file", name);
	file = val_cstr(val_dict_get(section, key.ptr));
	buf_reset(&key);
	buf_addf(&key, "%s_env", name);
	env = val_cstr(val_dict_get(section, key.ptr));
	if (file) {
		if ((error = buf_read_file(&text, file)) < 0) {
			tend_error_prefix("secret '%s'", name);
			goto out;
		}
	} else if (env) {
		if (!(value = getenv(env)) || !*value) {
			error = tend_error_set("secret '%s': environment "
					       "variable '%s' is not set",
					       name, env);
			goto out;
		}
		buf_adds(&text, value);
	} else {
		error = TEND_ENOTFOUND;
		goto out;
	}
	buf_trim(&text);
	if (!text.len) {
		error = tend_error_set("secret '%s' is empty", name);
		goto out;
	}
	*out = val_strn(text.ptr, text.len);
	(*out)->flags |= VAL_F_SECRET;
out:
	buf_release(&key);
	buf_release_secret(&text);
	return error;
}
