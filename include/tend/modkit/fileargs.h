#ifndef TEND_MODKIT_FILEARGS_H
#define TEND_MODKIT_FILEARGS_H

/*
 * Ansible's common file arguments (FILE_COMMON_ARGUMENTS: mode, owner,
 * group, seuser, serole, setype, selevel, attributes/attr,
 * unsafe_writes), as one table that a module takes by setting
 * MOD_FILE_ARGS (module.h): module_arg() walks the module's own args,
 * then these, skipping a name the module's table already has (its own
 * row wins, as a module's own argument_spec entry does in Ansible).
 *
 * SELinux: Ansible ignores seuser/serole/setype/selevel on a target where
 * SELinux is not enabled. tend does the same, and fails the check where
 * it is enabled (contexts are not supported yet) rather than ignoring
 * them. module_check folds the detection into the module's own probe
 * script (still one round trip): selinux_probe_script() goes first and
 * prints one line, selinux_probe_parse() takes it off the output before
 * the module's judge sees it.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"

#include "tend/modkit/argspec.h"

/* The common file arguments, terminated by a row with name NULL. */
extern const struct arg_spec file_common_args[];

/*
 * Whether the normalized `args` set any of seuser, serole, setype,
 * selevel (a null value does not count).
 */
bool file_args_selinux(const struct val *args);

/*
 * Append the sh fragment that prints "tend-selinux 1" and exits 0 when
 * SELinux is enabled on the host (selinuxenabled(8) says so; without
 * it, /sys/fs/selinux/enforce and /etc/selinux/config both exist), and
 * prints "tend-selinux 0" otherwise, then
 * lets the rest of the script run. It must come first in the script.
 */
void selinux_probe_script(struct buf *script);

/*
 * Take the line selinux_probe_script printed off the front of `out`
 * (the script's stdout) and set *enabled. Returns 0, or -1 with the error
 * set when `out` does not start with that line.
 */
int selinux_probe_parse(bool *enabled, struct buf *out);

/* The error of a task given SELinux contexts on a host that enforces them. */
#define SELINUX_UNSUPPORTED_MSG \
	"SELinux is enabled on this host and SELinux contexts (seuser, " \
	"serole, setype, selevel) are not supported yet"

#endif
