#ifndef TEND_FUZZ_INVENTORY_H
#define TEND_FUZZ_INVENTORY_H

#include "fuzz.h"
#include "tend/inventory/inventory.h"

/*
 * Load the input as an inventory file called `name` (its extension picks
 * the parser), then do what a run does with it: select every host, and
 * work out the groups dict and the vars and group names of the first
 * hosts.
 */
static inline void fuzz_inventory(const char *name, const uint8_t *data,
				  size_t size)
{
	struct diags d = DIAGS_INIT;
	struct inventory *inv = NULL;
	struct host **hosts = NULL;
	size_t nr = 0;

	/* read beneath the scratch dir, as an inventory of a git source */
	if (inventory_load(&inv, fuzz_file(name, data, size), fuzz_dir(),
			   &d) == 0 &&
	    inventory_select(&hosts, &nr, inv, "all:!ungrouped:ungrouped") == 0) {
		val_unref(inventory_groups(inv));
		/* ranges may make 200,000 hosts: the first ones tell */
		for (size_t i = 0; i < nr && i < 64; i++) {
			val_unref(inventory_host_vars(inv, hosts[i]));
			val_unref(inventory_group_names(inv, hosts[i]));
		}
	}
	free(hosts);
	inventory_free(inv);
	diags_release(&d);
	fuzz_done();
}

#endif
