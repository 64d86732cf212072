#ifndef TEND_FACTS_H
#define TEND_FACTS_H

/*
 * Gathered facts (Ansible's setup): one POSIX sh script per host, one
 * round trip, no Python on the target. docs/facts.md lists the facts and
 * the gather_subset names; facts_script.c is the script, facts.c turns
 * what it printed into the facts, facts_local.c reads local facts
 * (each FILE.fact in /etc/ansible/facts.d: JSON, INI, or executables printing them).
 */

#include "tend/transport/transport.h"
#include "tend/data/val.h"
#include "tend/util/buf.h"
#include "tend/modkit/facts_opts.h"

/*
 * What the script printed (stdout `text`) as a dict keyed as
 * `ansible_facts` is (no "ansible_" prefix). Warnings (a local fact that
 * could not be read) are appended to `warnings` (a list) when not NULL.
 */
struct val *facts_parse(const char *text, const struct facts_opts *o,
			struct val *warnings);

/*
 * Run the script on `t` (as become_user when not NULL) and parse it.
 * Returns < 0 (TEND_EUNREACHABLE for a lost host) with the error set.
 */
int facts_gather(struct val **out, struct transport *t,
		 struct facts_opts *o, const char *become_user);

/* The os_family Ansible gives a distribution ID from os-release. */
const char *facts_os_family(const char *id, const char *id_like);

#endif
