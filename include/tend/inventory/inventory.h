#ifndef TEND_INVENTORY_H
#define TEND_INVENTORY_H

/*
 * Inventories as Ansible reads them: INI or YAML files (or a directory of
 * them), groups with `children`, host and group vars, and the group_vars/
 * and host_vars/ directories beside the inventory and beside the playbook.
 *
 * Hosts and groups keep the order in which they first appear. Every host
 * is in `all`; a host in no other group is in `ungrouped`.
 */

#include "tend/data/val.h"

struct host {
	char *name;           /* inventory_hostname */
	struct val *vars;     /* the host's own vars (a dict, never NULL) */
	size_t *groups;       /* indexes into inventory.groups it is directly in */
	size_t groups_nr, groups_alloc;
	bool implicit;        /* the implicit localhost: not a member of all */
	/*
	 * Where the host was first defined (interned, never freed): an
	 * inventory file's path, or a host list given to -i ("a,b"), with
	 * source_is_list set; NULL for the implicit localhost.
	 */
	const char *source;
	bool source_is_list;
};

struct group {
	char *name;
	struct val *vars;     /* the group's own vars (a dict, never NULL) */
	size_t *hosts;        /* direct member hosts (indexes) */
	size_t hosts_nr, hosts_alloc;
	size_t *children;     /* child groups (indexes) */
	size_t children_nr, children_alloc;
	size_t *parents;      /* parent groups (indexes) */
	size_t parents_nr, parents_alloc;
};

struct inventory {
	struct host **hosts;
	size_t hosts_nr, hosts_alloc;
	struct group **groups; /* groups[0] is "all", groups[1] "ungrouped" */
	size_t groups_nr, groups_alloc;
};

/* The limits on host ranges (inventory_load), also in README.md. */
#define INVENTORY_MAX_RANGE_HOSTS 100000 /* names per host pattern */
#define INVENTORY_MAX_RANGE_TOTAL 200000 /* names of one inventory's ranges */

/*
 * Load `path`: an INI file, a YAML file (.yml/.yaml, or content that looks
 * like YAML), or a directory whose files are each loaded (in name order;
 * files ending in ~, .orig, .retry, .ini.bak... skipped). Then load the
 * group_vars/ and host_vars/ directories beside it.
 *
 * A comma-separated host list ("h1,h2," — it contains a comma and is not
 * an existing path) is accepted as Ansible's -i does.
 *
 * With path NULL, the inventory holds the single host "localhost" with
 * ansible_connection=local.
 *
 * Errors in the input are added to `d` as "file:line:col: ..." and the
 * call returns TEND_EPARSE; a missing file is TEND_ENOTFOUND with the
 * error set. *out is freed with inventory_free().
 *
 * Host ranges ("web[01:50]", "db-[a:f]") are counted before any is
 * expanded: a host pattern may expand to at most INVENTORY_MAX_RANGE_HOSTS
 * names, and the ranges of one inventory together to at most
 * INVENTORY_MAX_RANGE_TOTAL; past either, the pattern is an error in `d`
 * and the inventory expands none of its ranges (it fails).
 *
 * Once tend_interrupted is set (interrupt.h) loading stops: the call
 * returns TEND_EINTERRUPTED with the error set, and *out stays NULL.
 *
 * With `root` set (an inventory in a git source's checkout), every file
 * read, the inventory's group_vars/ and host_vars/ too, must resolve
 * beneath root (util/fs.h fs_read_beneath): one that leads out is
 * TEND_EREFUSED with the error set.
 */
int inventory_load(struct inventory **out, const char *path,
		   const char *root, struct diags *d);

/*
 * Several -i sources into one inventory, as ansible-playbook merges
 * repeated -i: each (a file, a directory or a host list, read beneath
 * its own `root` as inventory_load says) in the order given, hosts and
 * groups from every one, a later source's variables over an earlier's
 * for the same host or group, and then each file source's group_vars/
 * and host_vars/ in the same order. nr 0 is the implicit localhost
 * inventory of a NULL path. Errors and ownership as inventory_load.
 */
struct inventory_source {
	const char *path;
	const char *root; /* NULL: read anywhere */
};

int inventory_load_sources(struct inventory **out,
			   const struct inventory_source *srcs, size_t nr,
			   struct diags *d);

/*
 * Load group_vars/ and host_vars/ under `dir` (the playbook's directory):
 * these take precedence over the inventory's own (Ansible's playbook
 * group_vars/host_vars). Files: NAME, NAME.yml, NAME.yaml, NAME.json, or a
 * directory NAME/ whose files merge in name order. Vars for unknown hosts
 * or groups are ignored. Missing directories are fine. Files are read
 * beneath `root` as inventory_load says (NULL: anywhere). Interrupted
 * (interrupt.h), it returns TEND_EINTERRUPTED and the inventory is only
 * fit to be freed.
 */
int inventory_load_vars_dirs(struct inventory *inv, const char *dir,
			     const char *root, struct diags *d);

/*
 * Select hosts by an Ansible pattern: "all" or "*", a host or group name,
 * globs ("web*"), regex ("~web[0-9]+"), unions ("a:b", "a,b"),
 * intersections ("a:&b"), exclusions ("a:!b", "!b"), and subscripts
 * ("web[0]", "web[1:3]", "web[-1]"). Hosts come in the order Ansible
 * gives: union terms in the order written (a group lists its own hosts,
 * then its children's), then intersections, then exclusions; each once. "localhost" (or 127.0.0.1) that is not in the inventory selects
 * the implicit localhost. A pattern that matches nothing yields *nr = 0
 * (not an error). *out is a malloc'd array of borrowed host pointers.
 */
int inventory_select(struct host ***out, size_t *nr,
		     const struct inventory *inv, const char *pattern);

/* The host named `name`, or NULL (borrowed). */
struct host *inventory_find_host(const struct inventory *inv,
				 const char *name);

/*
 * The host's variables with inventory precedence applied: group vars from
 * `all` outward to the host's own groups (a child group over its parent;
 * groups of the same depth by ansible_group_priority, then name), then the
 * host's own vars on top. A new dict reference.
 */
struct val *inventory_host_vars(const struct inventory *inv,
				const struct host *h);

/* `group_names`: sorted names of the host's groups, all levels, without
 * "all" (an ungrouped host gives ["ungrouped"], as Ansible). A new list
 * reference. */
struct val *inventory_group_names(const struct inventory *inv,
				  const struct host *h);

/* `groups`: dict of every group name to the list of its hosts (all levels),
 * "all" and "ungrouped" included. A new dict reference. */
struct val *inventory_groups(const struct inventory *inv);

void inventory_free(struct inventory *inv);

/*
 * What a run does to its own inventory (runtime.c): add_host and
 * group_by change a copy, so that a plan pass leaves the inventory of
 * the apply pass as it was loaded.
 *
 * inventory_clone: an independent copy of `src` (same hosts, groups,
 * order, variables); free it with inventory_free.
 */
struct inventory *inventory_clone(const struct inventory *src);

/*
 * add_host: host `name` ("name:port" sets ansible_ssh_port, as
 * Ansible 2.14 does), new or
 * existing, into each group of `groups` (a list of names; each new group
 * goes under all; none: a new host is ungrouped), with `vars` (a dict,
 * or NULL) over its own variables. Returns 0, or -1 with the error set
 * (an empty name).
 */
int inventory_add_host(struct inventory *inv, const char *name,
		       const struct val *groups, const struct val *vars);

/*
 * group_by: host `host` (in the inventory) into group `group` (created
 * if new), which becomes a child of each group of `parents` (a list of
 * names, created if new; NULL: all). Returns 0, or -1 with the error set
 * (an unknown host, a parent that would make a loop).
 */
int inventory_group_by(struct inventory *inv, const char *host,
		       const char *group, const struct val *parents);

#endif
