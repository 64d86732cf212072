#ifndef TEND_MODULES_REGISTRY_H
#define TEND_MODULES_REGISTRY_H

/*
 * The modules tend knows: the one list (modules/registry.c) and lookup by
 * name. The layers above (playbook, engine, cli) find modules here;
 * modkit and the modules themselves never do.
 */

#include "tend/modkit/module.h"

/* The registry, NULL-terminated, in the order `tend modules` lists. */
extern const struct tend_module *const tend_modules[];

/*
 * The module called `name`, bare or as "ansible.builtin.NAME" /
 * "ansible.legacy.NAME"; NULL if none.
 */
const struct tend_module *module_find(const char *name);

#endif
