#ifndef TEND_YAML_H
#define TEND_YAML_H

/*
 * YAML → struct val, with the source position of every node.
 *
 * Plain scalars resolve as PyYAML (YAML 1.1) does, since that is what
 * Ansible users write against: yes/no/on/off/true/false are booleans,
 * ~/null/empty is null, 0644 is an octal int (flagged VAL_F_OCTAL), 0x1f
 * hex, 1_000 an int, 1.5 and .inf floats. Quoted scalars are strings
 * (VAL_F_QUOTED). Anchors, aliases and merge keys (<<) work. Tags: !!str,
 * !!int, !!float, !!bool, !!null, !unsafe (string never templated), and
 * !vault (Ansible Vault ciphertext, decrypted with data/vault.h's
 * vault_keys() into a string flagged VAL_F_SECRET and VAL_F_UNSAFE; a
 * wrong password or damaged data is a diagnostic at its position).
 */

#include "tend/data/val.h"

/*
 * Load the first document of `path` into *out (a new reference; null for
 * an empty file). On bad YAML adds "file:line:col: message" to `d` and
 * returns TEND_EPARSE; TEND_ENOTFOUND (error set) if the file is missing.
 * A whole vault-encrypted file is decrypted first (vault_keys()), and
 * every string it holds is flagged VAL_F_SECRET; if it cannot be, "file:
 * cannot decrypt: why" goes to `d` (TEND_EPARSE).
 */
int yaml_load_file(struct val **out, const char *path, struct diags *d);

/*
 * As yaml_load_file, for a file that is the run's input (a playbook, a
 * task or vars file): read through readlog_read, so it is confined to
 * `root` (NULL: anywhere; a path that leads out is TEND_EREFUSED, see
 * util/fs.h) and recorded in the thread's read log, which a saved plan
 * binds.
 */
int yaml_load_input(struct val **out, const char *root, const char *path,
		    struct diags *d);

/* As yaml_load_file, from memory; `name` is used in positions. */
int yaml_load_string(struct val **out, const char *text, size_t len,
		     const char *name, struct diags *d);

/* As yaml_load_string, every document of the text, as a list in *out. */
int yaml_load_string_all(struct val **out, const char *text, size_t len,
			 const char *name, struct diags *d);

/*
 * Whether the plain (unquoted) scalar `s` loads as that same string, not
 * as a bool, null or number: val_to_yaml quotes the strings that do not.
 */
bool yaml_plain_is_str(const char *s);

/*
 * Append v as block-style YAML, as Ansible's to_nice_yaml writes it
 * (`indent` spaces a level; 0 means 2). Secret strings print
 * '********' (other secret values "<secret>", as in val_to_json).
 */
void val_to_yaml(struct buf *out, const struct val *v, int indent);
/* As val_to_yaml, secrets written as themselves (see val_to_text). */
void val_to_yaml_text(struct buf *out, const struct val *v, int indent);

#endif
