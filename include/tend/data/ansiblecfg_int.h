#ifndef TEND_DATA_ANSIBLECFG_INT_H
#define TEND_DATA_ANSIBLECFG_INT_H

/*
 * The one table of ansible.cfg's keys (ansiblecfg_keys.c), for its reader
 * (ansiblecfg.c).
 */

#include "tend/data/ansiblecfg.h"

/*
 * What tend does with a key:
 *	HONOUR  the setting `s` is used (ansiblecfg_get)
 *	INERT   only Ansible's display, logs or Python internals: accepted,
 *	        no effect on what runs (docs/ansible-cfg.md says so)
 *	ONLY    accepted with the value tend's behaviour is (`only`, a
 *	        boolean when `bool_only`); any other value is refused
 *	REFUSE  a known key that changes what runs: refused by name (a key
 *	        absent from the table is refused too; a row lets its
 *	        ANSIBLE_* variable be refused as well)
 * A row's key "*" covers its whole section.
 */
enum acfg_kind { HONOUR, INERT, ONLY, REFUSE };
/* T_SECS: a whole number from 0 up. */
enum acfg_type { T_STR, T_PATH, T_PATHLIST, T_PATHSPEC, T_INT, T_SECS, T_BOOL,
		 T_LIST };

struct acfg_row {
	const char *section, *key, *env;
	enum acfg_kind kind;
	enum acfg_setting s; /* HONOUR */
	enum acfg_type type;
	const char *only;    /* ONLY: the value accepted ("true"/"false": bool) */
	const char *what;    /* what tend does with it */
};

/* ONLY's value for ssh options: connection sharing alone (control_only) */
#define CONTROL_ONLY "\x01control"

extern const struct acfg_row acfg_rows[];
extern const size_t acfg_rows_nr;

/* The row of `key` in `section` (or its section's "*" row), or NULL. */
const struct acfg_row *acfg_find_row(const char *section, const char *key);

#endif
