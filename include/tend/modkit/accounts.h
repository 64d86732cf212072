#ifndef TEND_MODKIT_ACCOUNTS_H
#define TEND_MODKIT_ACCOUNTS_H

/*
 * Local accounts, for the user, group and authorized_key modules: the
 * lines getent prints (passwd, shadow, group: fields split on ':') and
 * the sh they share. Nothing here runs anything: the modules' probes
 * print the lines, these read them.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"

/*
 * Field `n` (0-based) of a ':'-separated line of `len` bytes, as a new
 * string (caller frees), or NULL when the line has fewer fields.
 */
char *accounts_field(const char *line, size_t len, int n);
/* Field `n` as a number; -1 when it is missing or empty. */
long long accounts_field_num(const char *line, size_t len, int n);

/*
 * A group in `db` (what `getent group` printed, one line each): by GID
 * when `key` is all digits (as Ansible's group_exists tries first),
 * else by name. True when found, with *gid set and, when `name` is not
 * NULL, *name a new string (caller frees).
 */
bool accounts_group_find(const struct buf *db, const char *key,
			 long long *gid, char **name);
/* The names of the groups of `db` that list `user` as a member (new list). */
struct val *accounts_member_of(const struct buf *db, const char *user);
/* Whether the comma-separated `csv` holds `word` as one of its items. */
bool accounts_csv_has(const char *csv, const char *word);
/* Whether the list of strings `list` holds `s`. */
bool accounts_list_has(const struct val *list, const char *s);

/* Ansible's DATE_FORMAT of gmtime(secs), "YYYY-MM-DD", into out. */
void accounts_date(char out[32], double secs);

/*
 * Append the sh functions `mkhome DIR` (the skeleton `sk`, NULL for
 * /etc/skel, copied as DIR, or an empty DIR; its mode from login.defs'
 * UMASK) and `ownhome DIR` (chown -R to the account named $n), as
 * Ansible's create_homedir and chown_homedir do.
 */
void accounts_mkhome_script(struct buf *s, const char *sk);

/*
 * Append the sh that sets $kf to an ssh key's path (`file`, absolute or
 * relative to $hd; NULL: .ssh/id_TYPE) and prints, as records, kf, "key
 * 1" and "pubx 1" when the key and its .pub exist, fp (ssh-keygen -l)
 * and pub (the public key).
 */
void accounts_key_probe(struct buf *s, const char *file, const char *type);

/* Append useradd/usermod's " -e DATE", " -e ''" (never) for secs < 0. */
void accounts_expires_opt(struct buf *cmd, double secs);

/*
 * Ansible's get_groups_set: `joined` split on commas, each item trimmed,
 * empty ones dropped, each once (a new list of strings).
 */
struct val *accounts_groups_split(const char *joined);
/* Append the strings of `list` joined with commas. */
void accounts_join(struct buf *out, const struct val *list);

#endif
