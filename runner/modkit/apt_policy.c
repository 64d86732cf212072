#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/apt_int.h"

/*
 * apt's policy_rc_d, as Ansible's PolicyRcD context manager wraps each
 * apt-get run (apt_int.h): the host's /usr/sbin/policy-rc.d set aside in
 * a fresh /tmp/ansible* directory, one that exits with the given code in
 * its place, and afterwards the old one back (or none), with Ansible's
 * messages when a step fails.
 */

static bool policy_set(const struct task_ctx *ctx)
{
	const struct val *v = arg_get(ctx, "policy_rc_d");

	return v && !val_is(v, VAL_NULL);
}

void apt_policy_begin(struct buf *s, const struct task_ctx *ctx)
{
	if (!policy_set(ctx))
		return;
	buf_addf(s, "p=/usr/sbin/policy-rc.d b=\n"
		 "if [ -e \"$p\" ]; then\n"
		 "\tb=$(mktemp -d /tmp/ansibleXXXXXXXX) && mv \"$p\" \"$b/\" || "
		 "{ echo \"Fail to move $p to $b\" >&2; exit 1; }\n"
		 "fi\n"
		 "{ printf '#!/bin/sh\\nexit %%d\\n' %lld >\"$p\" && "
		 "chmod 0755 \"$p\"; } || { echo 'Failed to create or chmod "
		 "/usr/sbin/policy-rc.d' >&2; exit 1; }\n",
		 arg_int(ctx, "policy_rc_d", 0));
}

void apt_policy_end(struct buf *s, const struct task_ctx *ctx)
{
	if (!policy_set(ctx))
		return;
	buf_adds(s, "if [ -n \"$b\" ]; then\n"
		 "\tmv \"$b/policy-rc.d\" \"$p\" && rmdir \"$b\" || "
		 "{ echo \"Fail to move back $b/policy-rc.d to $p\" >&2; "
		 "exit 1; }\n"
		 "else rm -f \"$p\" || { echo 'Fail to remove "
		 "/usr/sbin/policy-rc.d (after package manipulation)' >&2; "
		 "exit 1; }\n"
		 "fi\n");
}
