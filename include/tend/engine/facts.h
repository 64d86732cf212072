#ifndef TEND_FACTS_H
#define TEND_FACTS_H

/*
 * Minimal facts, gathered in one round trip: hostname, nodename, fqdn,
 * domain, system, kernel, architecture, machine, os_family, distribution,
 * distribution_version, distribution_major_version, distribution_release,
 * user_id, user_uid, user_gid, user_dir, env (PATH, HOME, USER, SHELL),
 * date_time.epoch.
 */

#include "tend/transport/transport.h"
#include "tend/data/val.h"

/*
 * *out: a new dict keyed as `ansible_facts` is (no "ansible_" prefix).
 * Returns < 0 (TEND_EUNREACHABLE for a lost host) with the error set.
 */
int facts_gather(struct val **out, struct transport *t);

/* The os_family Ansible gives a distribution ID from os-release. */
const char *facts_os_family(const char *id, const char *id_like);

#endif
