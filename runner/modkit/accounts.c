#include "tend/common.h"
#include "tend/modkit/accounts.h"
#include "tend/util/quote.h"

#include <ctype.h>
#include <math.h>
#include <time.h>

/*
 * What the account modules (user, group, authorized_key) share: fields
 * of getent's passwd and group lines, the group database as `getent
 * group` prints it, and the sh functions that make a home as Ansible's
 * create_homedir does.
 */

/* The nth ':' field of a line (0-based) as a new string, or NULL. */
char *accounts_field(const char *line, size_t len, int n)
{
	const char *end = line + len, *p = line;

	for (int i = 0; i < n; i++) {
		p = memchr(p, ':', (size_t)(end - p));
		if (!p)
			return NULL;
		p++;
	}
	{
		const char *q = memchr(p, ':', (size_t)(end - p));

		return xstrndup(p, (size_t)((q ? q : end) - p));
	}
}

long long accounts_field_num(const char *line, size_t len, int n)
{
	char *f = accounts_field(line, len, n);
	long long v = f && *f ? strtoll(f, NULL, 10) : -1;

	free(f);
	return v;
}

/* A group of `getent group` text by GID (digits) or name. */
bool accounts_group_find(const struct buf *db, const char *key,
			 long long *gid, char **name)
{
	bool digits = *key && strspn(key, "0123456789") == strlen(key);

	for (int pass = digits ? 0 : 1; pass < 2; pass++) {
		for (const char *l = db->ptr; *l; ) {
			const char *nl = strchr(l, '\n');
			size_t len = nl ? (size_t)(nl - l) : strlen(l);
			char *nm = accounts_field(l, len, 0);
			long long g = accounts_field_num(l, len, 2);
			bool hit = pass ? !strcmp(nm, key) :
				g == strtoll(key, NULL, 10);

			if (hit) {
				*gid = g;
				if (name)
					*name = nm;
				else
					free(nm);
				return true;
			}
			free(nm);
			l += len + (nl != NULL);
		}
	}
	return false;
}

/* Whether the comma-separated list `csv` holds `word`. */
bool accounts_csv_has(const char *csv, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = csv; p && *p; ) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (len == n && !memcmp(p, word, n))
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

/* The names of the groups that list `user` as a member. */
struct val *accounts_member_of(const struct buf *db, const char *user)
{
	struct val *out = val_list();

	for (const char *l = db->ptr; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char *mem = accounts_field(l, len, 3);

		if (mem && accounts_csv_has(mem, user)) {
			char *nm = accounts_field(l, len, 0);

			val_list_push(out, val_str(nm));
			free(nm);
		}
		free(mem);
		l += len + (nl != NULL);
	}
	return out;
}

bool accounts_list_has(const struct val *list, const char *s)
{
	for (size_t i = 0; i < val_len(list); i++)
		if (!strcmp(val_cstr(val_list_at(list, i)), s))
			return true;
	return false;
}

/* Ansible's DATE_FORMAT of gmtime(secs): YYYY-MM-DD. */
void accounts_date(char out[32], double secs)
{
	time_t t = (time_t)floor(secs);
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		snprintf(out, 32, "?");
	else
		strftime(out, 32, "%Y-%m-%d", &tm);
}

/*
 * A home made by hand as Ansible's create_homedir: the skeleton copied
 * (or an empty directory), its mode from login.defs' UMASK, then owned
 * by the account (chown -R).
 */
void accounts_mkhome_script(struct buf *s, const char *sk)
{
	buf_adds(s, "mkhome() {\n\tsk=");
	sh_quote(s, sk ? sk : "/etc/skel");
	buf_adds(s, "\n\tmkdir -p -- \"$(dirname -- \"$1\")\" || return 1\n"
		 "\tif [ -d \"$sk\" ]; then cp -RP -- \"$sk\" \"$1\"; "
		 "else mkdir -- \"$1\"; fi || return 1\n"
		 "\tu=$(sed -n 's/^UMASK[[:space:]]\\{1,\\}\\([0-9]\\{1,\\}\\)$/\\1/p' "
		 "/etc/login.defs 2>/dev/null | tail -n 1)\n"
		 "\t[ -z \"$u\" ] || chmod \"$(printf '%o' $((0777 & ~0$u)))\" "
		 "-- \"$1\"\n}\n"
		 "ownhome() { chown -R -- \"$(id -u -- \"$n\"):$(id -g -- \"$n\")\" "
		 "\"$1\"; }\n");
}

/* the key file: $kf, its state and (when it exists) fingerprint */
void accounts_key_probe(struct buf *s, const char *file, const char *type)
{
	buf_adds(s, "kf=");
	if (file && file[0] == '/') {
		sh_quote(s, file);
	} else {
		struct buf rel = BUF_INIT;

		if (file)
			buf_adds(&rel, file);
		else
			buf_addf(&rel, ".ssh/id_%s", type ? type : "rsa");
		buf_adds(s, "\"$hd\"/");
		sh_quote(s, rel.ptr);
		buf_release(&rel);
	}
	buf_adds(s, "\nprintf 'kf:%s\\n%s\\n' \"${#kf}\" \"$kf\"\n"
		 "[ -e \"$kf\" ] && echo 'key 1'\n"
		 "[ -e \"$kf.pub\" ] && echo 'pubx 1'\n"
		 "if [ -e \"$kf\" ] && x=$(ssh-keygen -l -f \"$kf\" 2>/dev/null)"
		 "; then printf 'fp:%s\\n%s\\n' \"${#x}\" \"$x\"; fi\n"
		 "if [ -r \"$kf.pub\" ] && x=$(cat -- \"$kf.pub\"); then "
		 "printf 'pub:%s\\n%s\\n' \"${#x}\" \"$x\"; fi\n");
}

/* -e for useradd/usermod: "" for never, else the date */
void accounts_expires_opt(struct buf *cmd, double secs)
{
	char d[32];

	if (secs < 0) {
		buf_adds(cmd, " -e ''");
		return;
	}
	accounts_date(d, secs);
	buf_addf(cmd, " -e %s", d);
}

struct val *accounts_groups_split(const char *joined)
{
	struct val *out = val_list();

	for (const char *p = joined; *p; ) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		struct val *v;

		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		v = val_strn(p, len);
		if (len && !accounts_list_has(out, val_cstr(v)))
			val_list_push(out, v);
		else
			val_unref(v);
		if (!c)
			break;
		p = c + 1;
	}
	return out;
}

void accounts_join(struct buf *out, const struct val *list)
{
	for (size_t i = 0; i < val_len(list); i++)
		buf_addf(out, "%s%s", i ? "," : "", val_cstr(val_list_at(list, i)));
}
