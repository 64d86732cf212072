#ifndef TEND_UTIL_PROC_H
#define TEND_UTIL_PROC_H

/*
 * Commands run on the controller itself (the pipe and lines lookups, as
 * Ansible runs them: /bin/sh -c, in a directory, stdin empty, stderr
 * passed through). Whoever calls this decides that the command may run
 * at all (docs/sources.md: never for an untrusted source).
 */

#include "tend/util/buf.h"

/*
 * Run `cmd` with /bin/sh -c in `cwd` (NULL: the current directory) and
 * append its stdout to `out`; *status is its exit status (128 + the
 * signal's number if a signal ended it). Returns 0, or -1 with the error
 * set if it could not be run at all.
 */
int proc_sh(struct buf *out, int *status, const char *cmd, const char *cwd);

#endif
