#ifndef TEND_FACTS_OPTS_H
#define TEND_FACTS_OPTS_H

/* What a gathering of facts asks for (facts.h gathers them). */

#include "tend/data/val.h"

/* Groups of facts: what gather_subset selects. */
enum {
	FACTS_PLATFORM = 1 << 0,     /* hostname, fqdn, kernel, architecture */
	FACTS_DISTRIBUTION = 1 << 1, /* os_family, distribution* */
	FACTS_SERVICE_MGR = 1 << 2,
	FACTS_PKG_MGR = 1 << 3,
	FACTS_PYTHON = 1 << 4,
	FACTS_LOCAL = 1 << 5,
	FACTS_ENV = 1 << 6,
	FACTS_USER = 1 << 7,
	FACTS_DATE_TIME = 1 << 8,
	FACTS_HARDWARE = 1 << 9,     /* memtotal_mb, processor_vcpus */
	FACTS_NETWORK = 1 << 10,     /* interfaces, default_ipv4, addresses */
	FACTS_MIN = (1 << 9) - 1,
	FACTS_ALL = (1 << 11) - 1,
};

#define FACTS_PATH_DEFAULT "/etc/ansible/facts.d"

struct facts_opts {
	unsigned int subsets;  /* FACTS_* */
	const char *fact_path; /* NULL: FACTS_PATH_DEFAULT */
	const struct val *gather_subset; /* the list as given, or NULL: all */
	char boundary[33];     /* facts_script fills it */
};

/*
 * Ansible's gather_subset (a list, or a comma-separated string) as
 * FACTS_* bits in *out. A name Ansible does not know, or one naming facts
 * tend does not gather (dns, virtual, ...: excluding them with `!` is
 * fine), sets the error and returns < 0.
 */
int facts_subsets(unsigned int *out, const struct val *subset);

#endif
