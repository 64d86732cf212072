#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/facts.h"

#include <ctype.h>

/*
 * One script prints KEY=VALUE lines (os-release values are single-line,
 * and we strip quotes here). A value from the host may still hold a
 * newline: only the keys in script_keys are taken.
 */
static const char facts_script[] =
	"h=$(uname -n); echo hostname=\"${h%%.*}\"; echo nodename=\"$h\"\n"
	"f=$(hostname -f 2>/dev/null || echo \"$h\"); echo fqdn=\"$f\"\n"
	"echo system=\"$(uname -s)\"; echo kernel=\"$(uname -r)\"\n"
	"echo machine=\"$(uname -m)\"\n"
	"echo user_id=\"$(id -un)\"; echo user_uid=\"$(id -u)\"; "
	"echo user_gid=\"$(id -g)\"\n"
	"echo env_HOME=\"$HOME\"; echo env_PATH=\"$PATH\"; "
	"echo env_USER=\"${USER:-$(id -un)}\"; echo env_SHELL=\"$SHELL\"\n"
	"echo epoch=\"$(date +%s)\"\n"
	"for f in /etc/os-release /usr/lib/os-release; do\n"
	"  if [ -r \"$f\" ]; then sed -n 's/^\\(ID\\|ID_LIKE\\|NAME\\|"
	"VERSION_ID\\|VERSION_CODENAME\\)=/os_\\1=/p' \"$f\"; break; fi\n"
	"done\n";

/*
 * The keys facts_script prints, and no other: a value with a newline in
 * it (a host's `hostname -f`) must not make up facts of its own, such as
 * ansible_user.
 */
static const char *const script_keys[] = {
	"hostname", "nodename", "fqdn", "system", "kernel", "machine",
	"user_id", "user_uid", "user_gid", "env_HOME", "env_PATH", "env_USER",
	"env_SHELL", "epoch", "os_ID", "os_ID_LIKE", "os_NAME",
	"os_VERSION_ID", "os_VERSION_CODENAME", NULL
};

static bool script_key(const char *key, size_t len)
{
	for (const char *const *k = script_keys; *k; k++)
		if (strlen(*k) == len && !memcmp(*k, key, len))
			return true;
	return false;
}

static const struct {
	const char *id;
	const char *family;
	const char *name;
} distros[] = {
	{ "debian", "Debian", "Debian" },
	{ "ubuntu", "Debian", "Ubuntu" },
	{ "linuxmint", "Debian", "Linux Mint" },
	{ "raspbian", "Debian", "Debian" },
	{ "rhel", "RedHat", "RedHat" },
	{ "centos", "RedHat", "CentOS" },
	{ "fedora", "RedHat", "Fedora" },
	{ "rocky", "RedHat", "Rocky" },
	{ "almalinux", "RedHat", "AlmaLinux" },
	{ "ol", "RedHat", "OracleLinux" },
	{ "amzn", "RedHat", "Amazon" },
	{ "sles", "Suse", "SLES" },
	{ "opensuse-leap", "Suse", "openSUSE Leap" },
	{ "arch", "Archlinux", "Archlinux" },
	{ "alpine", "Alpine", "Alpine" },
	{ "gentoo", "Gentoo", "Gentoo" },
};

const char *facts_os_family(const char *id, const char *id_like)
{
	for (size_t i = 0; i < ARRAY_SIZE(distros); i++)
		if (id && !strcmp(id, distros[i].id))
			return distros[i].family;
	for (size_t i = 0; id_like && i < ARRAY_SIZE(distros); i++)
		if (strstr(id_like, distros[i].id))
			return distros[i].family;
	return id ? id : "Unknown";
}

static const char *distro_name(const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(distros); i++)
		if (!strcmp(id, distros[i].id))
			return distros[i].name;
	return NULL;
}

static void unquote(struct buf *b)
{
	if (b->len >= 2 && (b->ptr[0] == '"' || b->ptr[0] == '\'') &&
	    b->ptr[b->len - 1] == b->ptr[0]) {
		memmove(b->ptr, b->ptr + 1, b->len - 2);
		buf_setlen(b, b->len - 2);
	}
}

int facts_gather(struct val **out, struct transport *t)
{
	struct exec_req req = { .script = facts_script };
	struct exec_result res = EXEC_RESULT_INIT;
	struct val *f, *env, *dt;
	const char *p, *id, *ver, *family, *name;
	int error;

	if ((error = t->exec(t, &req, &res)) < 0) {
		exec_result_release(&res);
		return error;
	}
	f = val_dict();
	env = val_dict();
	for (p = res.out.ptr; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *eq = memchr(p, '=', n);

		if (eq && script_key(p, (size_t)(eq - p))) {
			char *key = xstrndup(p, (size_t)(eq - p));
			struct buf v = BUF_INIT;

			buf_add(&v, eq + 1, n - (size_t)(eq - p) - 1);
			unquote(&v);
			if (!strncmp(key, "env_", 4))
				val_dict_set_str(env, key + 4, v.ptr);
			else
				val_dict_set_str(f, key, v.ptr);
			buf_release(&v);
			free(key);
		}
		p += n + (nl ? 1 : 0);
	}
	exec_result_release(&res);

	val_dict_set(f, "env", env);
	val_dict_set_str(f, "architecture",
			 val_cstr(val_dict_get(f, "machine")) ?
			 val_cstr(val_dict_get(f, "machine")) : "");
	p = val_cstr(val_dict_get(f, "fqdn"));
	val_dict_set_str(f, "domain", p && strchr(p, '.') ? strchr(p, '.') + 1 : "");
	id = val_cstr(val_dict_get(f, "os_ID"));
	family = facts_os_family(id, val_cstr(val_dict_get(f, "os_ID_LIKE")));
	val_dict_set_str(f, "os_family", family);
	name = id ? distro_name(id) : NULL;
	if (!name)
		name = val_cstr(val_dict_get(f, "os_NAME"));
	val_dict_set_str(f, "distribution", name ? name : "Unknown");
	ver = val_cstr(val_dict_get(f, "os_VERSION_ID"));
	val_dict_set_str(f, "distribution_version", ver ? ver : "");
	if (ver) {
		char *major = xstrndup(ver, strcspn(ver, "."));

		val_dict_set_str(f, "distribution_major_version", major);
		free(major);
	} else {
		val_dict_set_str(f, "distribution_major_version", "");
	}
	p = val_cstr(val_dict_get(f, "os_VERSION_CODENAME"));
	val_dict_set_str(f, "distribution_release", p ? p : "");
	p = val_cstr(val_dict_get(f, "env"));
	dt = val_dict();
	p = val_cstr(val_dict_get(f, "epoch"));
	val_dict_set_str(dt, "epoch", p ? p : "");
	val_dict_set(f, "date_time", dt);
	p = val_cstr(val_dict_get(env, "HOME"));
	val_dict_set_str(f, "user_dir", p ? p : "");
	for (const char *const *k = (const char *const[]){ "os_ID", "os_ID_LIKE",
		"os_NAME", "os_VERSION_ID", "os_VERSION_CODENAME", "epoch",
		NULL }; *k; k++)
		val_dict_del(f, *k);
	*out = f;
	return 0;
}
