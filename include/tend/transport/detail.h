#ifndef TEND_TRANSPORT_DETAIL_H
#define TEND_TRANSPORT_DETAIL_H

/*
 * What a connection is, for -vvvv (struct transport's `detail`): lines
 * like Ansible's "<ADDR> ESTABLISH SSH CONNECTION FOR USER: NAME", then
 * the settings tend resolved (port, key files, known_hosts, host key
 * checking, timeouts, jump hosts). Never a secret. Each returns a new
 * string, the caller's to free.
 */

#include "tend/transport/ssh.h"

char *transport_ssh_detail(const struct ssh_opts *o);
char *transport_local_detail(const char *host);
char *transport_lxd_detail(const char *instance, const char *url,
			   const char *project);

#endif
