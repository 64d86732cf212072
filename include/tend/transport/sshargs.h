#ifndef TEND_TRANSPORT_SSHARGS_H
#define TEND_TRANSPORT_SSHARGS_H

/*
 * OpenSSH command-line options as Ansible hands them to ssh
 * (ansible_ssh_common_args, ansible_ssh_extra_args, --ssh-common-args),
 * read as the connection variables tend has for them:
 *
 *	-o User, -l            ansible_user
 *	-o Port, -p            ansible_port
 *	-o IdentityFile, -i    ansible_ssh_private_key_file
 *	-o UserKnownHostsFile  tend_known_hosts
 *	-o StrictHostKeyChecking yes|accept-new   host_key_checking
 *	-o ConnectTimeout      ansible_ssh_timeout
 *	-o ProxyJump, -J       tend_ssh_proxy_jump
 *	-o IdentitiesOnly      tend_ssh_identities_only
 *	-o ServerAliveInterval tend_ssh_server_alive_interval
 *	-F FILE                tend_ssh_config
 *
 * `-o` keywords that change nothing for tend (sshconfig.h's table:
 * ControlMaster, Compression, ...) are accepted and ignored; any other
 * option is refused by name, never dropped. As in ssh, the first value
 * given for a setting wins.
 */

#include "tend/data/val.h"

/*
 * Split `s` as Python's shlex.split (as Ansible splits these settings)
 * and put the settings it gives into the dict `vars`, keeping any value
 * `vars` already holds. `what` names the setting in messages
 * ("--ssh-common-args"). Returns 0, or -1 with the error set ("WHAT:
 * '-o ProxyCommand=x' is not supported (...)").
 */
int ssh_args_parse(struct val *vars, const char *s, const char *what);

#endif
