#ifndef TEND_DATA_SETTINGS_H
#define TEND_DATA_SETTINGS_H

/*
 * Settings read from a YAML dict (tend.yml sections, provider settings,
 * a play's maintenance:): unknown keys, and secrets that come from a file
 * or an environment variable, never inline.
 */

#include "tend/data/val.h"

/*
 * Where `key` of `dict` was written, for messages: the key's position,
 * else the dict's. Borrowed from dict.
 */
const struct srcpos *settings_key_pos(const struct val *dict,
				      const char *key);

/*
 * Read secret setting `name` of the dict `section` from name_file or
 * name_env. *out is a new string flagged VAL_F_SECRET (val_unref wipes it)
 * with surrounding whitespace trimmed. Returns 0, TEND_ENOTFOUND (no
 * error set) when neither is given, or -1 with the error set (file
 * unreadable, variable unset or empty).
 */
int settings_secret(struct val **out, const struct val *section,
		    const char *name);

/*
 * Check that the keys of dict `v` (at `what`, e.g. "maintenance") are in
 * `keys` (NULL-terminated), adding "unknown key" diagnostics to `d`.
 * Exposed for the providers' and playbooks' sub-settings.
 */
void settings_check_keys(struct diags *d, const struct val *v,
			   const char *const *keys);

#endif
