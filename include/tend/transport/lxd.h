#ifndef TEND_TRANSPORT_LXD_H
#define TEND_TRANSPORT_LXD_H

/*
 * The `lxd` connection: tasks run inside an LXD instance through LXD's
 * REST API (net/lxd.h), with no SSH and nothing installed in it.
 *
 * exec is one `POST /1.0/instances/NAME/exec` with its output recorded
 * (Debian's libcurl speaks no websockets, so there is no long-lived
 * shell): LXD runs `/bin/sh -c SCRIPT` and the transport reads the
 * recorded stdout and stderr, then deletes them. Input for stdin goes in
 * first through the files API, as a file of mode 0600 in /tmp that the
 * command opens and removes before the script runs. put is
 * transport_put_by_exec (temp file, chmod, rename); get reads a regular
 * file through the files API in one request, else (become, a link) as
 * SSH's get does, with cat. Commands run as root, as `lxc exec` does;
 * become goes through sudo or su inside the instance.
 *
 * An instance that is missing or not running is unreachable
 * (TEND_EUNREACHABLE), as a host that does not answer.
 */

#include "tend/net/lxd.h"
#include "tend/transport/transport.h"

/* A transport into instance `instance` through the client options `o`. */
int transport_lxd_new(struct transport **out, const struct lxd_opts *o,
		      const char *instance);

#endif
