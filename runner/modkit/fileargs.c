#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/data/val.h"
#include "tend/modkit/argspec.h"
#include "tend/modkit/fileargs.h"

/*
 * One doc string each; what tend does with them is docs/file-args.md.
 * attributes is refused (ARG_REFUSED) rather than left out, so that the
 * error names it and says why instead of "unsupported parameter".
 */
const struct arg_spec file_common_args[] = {
	{ "mode", ARG_MODE, 0, NULL, NULL, NULL,
	  "permissions: octal (0644, '0644') or symbolic (u=rw,g=r,o=r)" },
	{ "owner", ARG_STR, 0, NULL, NULL, NULL,
	  "owning user (name or uid)" },
	{ "group", ARG_STR, 0, NULL, NULL, NULL,
	  "owning group (name or gid)" },
	{ "seuser", ARG_STR, 0, NULL, NULL, NULL,
	  "SELinux user: ignored where SELinux is not enabled (as Ansible "
	  "does); where it is, the task fails (not supported yet)" },
	{ "serole", ARG_STR, 0, NULL, NULL, NULL,
	  "SELinux role: as seuser" },
	{ "setype", ARG_STR, 0, NULL, NULL, NULL,
	  "SELinux type: as seuser" },
	{ "selevel", ARG_STR, 0, NULL, NULL, NULL,
	  "SELinux level: as seuser" },
	{ "attributes", ARG_STR, ARG_REFUSED, "attr", NULL, NULL,
	  "file attributes (lsattr/chattr): not supported yet, refused "
	  "(docs/file-args.md)" },
	{ "unsafe_writes", ARG_BOOL, 0, NULL, NULL, "no",
	  "accepted: tend's writes are atomic (temp file, rename) "
	  "whatever its value" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

bool file_args_selinux(const struct val *args)
{
	static const char *const names[] = {
		"seuser", "serole", "setype", "selevel", NULL,
	};

	for (size_t i = 0; names[i]; i++) {
		const struct val *v = val_dict_get(args, names[i]);

		if (v && !val_is(v, VAL_NULL))
			return true;
	}
	return false;
}

/*
 * As Ansible's selinux_enabled(): libselinux's is_selinux_enabled(),
 * which selinuxenabled(8) reports as its status. Without that tool, what
 * that function looks at: a mounted selinuxfs and the host's own
 * /etc/selinux/config (a Debian container on an SELinux host sees the
 * host's selinuxfs but has no config: disabled, for libselinux too).
 */
void selinux_probe_script(struct buf *s)
{
	buf_adds(s, "if command -v selinuxenabled >/dev/null 2>&1; then\n"
		 "\tselinuxenabled >/dev/null 2>&1\n"
		 "else\n"
		 "\t[ -e /sys/fs/selinux/enforce ] && "
		 "[ -e /etc/selinux/config ]\n"
		 "fi && { echo 'tend-selinux 1'; exit 0; }\n"
		 "echo 'tend-selinux 0'\n");
}

int selinux_probe_parse(bool *enabled, struct buf *out)
{
	static const char prefix[] = "tend-selinux ";
	size_t n = sizeof(prefix) - 1;

	if (out->len < n + 2 || memcmp(out->ptr, prefix, n) ||
	    (out->ptr[n] != '0' && out->ptr[n] != '1') ||
	    out->ptr[n + 1] != '\n')
		return tend_error_set("the SELinux probe printed no answer");
	*enabled = out->ptr[n] == '1';
	memmove(out->ptr, out->ptr + n + 2, out->len - (n + 2));
	buf_setlen(out, out->len - (n + 2));
	return 0;
}
