#ifndef TEND_INVENTORY_INT_H
#define TEND_INVENTORY_INT_H

/*
 * The inventory's private parts, shared by the files of runner/inventory/.
 * They stack: model.c at the bottom; ranges.c and ini_value.c on it; the
 * parsers (ini.c, yaml.c) above them; dir.c and vars_dirs.c; and the loader
 * (inventory.c) on top. vars.c and select.c read the model beside them.
 */

#include "tend/inventory/inventory.h"
#include "tend/util/error.h"


/*
 * Ansible keeps a variable in up to three places per host or group, and
 * they do not simply stack per group: every group's inventory-file vars
 * lose to group_vars/all, which loses to every other group_vars file (see
 * inventory_host_vars). So each layer is kept apart, and host->vars and
 * group->vars hold their merge for readers who want "the vars of X".
 */
enum layer {
	LAYER_INLINE,     /* the inventory file itself */
	LAYER_INV_FILES,  /* group_vars/, host_vars/ beside the inventory */
	LAYER_PLAY_FILES, /* group_vars/, host_vars/ beside the playbook */
	LAYER_NR
};

struct host_ext {
	struct host h; /* first, so a struct host * converts back */
	struct val *layer[LAYER_NR];
};

struct group_ext {
	struct group g;
	struct val *layer[LAYER_NR];
	long long priority; /* ansible_group_priority, kept out of vars */
	unsigned int depth; /* longest path from all */
};

/* name -> index, open addressing; names are borrowed from hosts/groups */
struct name_slot {
	const char *name;
	size_t idx;
};

struct name_index {
	struct name_slot *slots;
	size_t nr, cap;
};

/*
 * The hosts of one inventory line (or YAML key), added only once every
 * source is read (add_deferred_hosts): by then all the ranges are
 * counted, and an inventory refused for them has expanded none.
 */
struct deferred_hosts {
	char *host;        /* the name, its ranges unexpanded */
	long port;         /* -1: none */
	size_t group;      /* NO_INDEX: none */
	struct val *vars;  /* the line's host vars, or NULL */
	struct srcpos pos;
};

struct inv_ext {
	struct inventory inv;
	struct name_index host_names, group_names;
	struct host_ext *implicit; /* implicit localhost, or NULL */
	struct deferred_hosts *deferred;
	size_t deferred_nr, deferred_alloc;
	unsigned long long range_hosts; /* names the ranges expand to */
	bool range_refused; /* past a range limit: expand nothing */
	const char *root;   /* while loading: read beneath it, or NULL */
	const char *source; /* while loading: the file (interned), or NULL */
	bool source_is_list; /* ... or the host list being read */
};

#define NO_INDEX ((size_t)-1)
#define G_ALL 0
#define G_UNGROUPED 1

/* The source being loaded, for the parsers (inventory.c, ini.c, yaml.c). */
struct loader {
	struct inv_ext *x;
	struct diags *d;
	const char *file; /* interned */
	bool secret; /* an encrypted file: every string it sets is secret */
};

/* model.c */
extern const char *const inv_localhost_names[]; /* NULL-terminated */
struct inv_ext *inv_ext_of(const struct inventory *inv);
struct host_ext *inv_hext(const struct host *h);
struct group_ext *inv_gext(const struct inventory *inv, size_t gi);
bool inv_ends_with(const char *s, const char *suffix);
/* Flag every string in v secret (dict keys are names, and stay plain). */
void inv_mark_secret(struct val *v);
bool inv_is_localhost_name(const char *s);
int inv_check_interrupted(void);
size_t inv_index_get(const struct name_index *ix, const char *name);
void inv_push_index(size_t **arr, size_t *nr, size_t *alloc, size_t v);
bool inv_has_index(const size_t *arr, size_t nr, size_t v);
size_t inv_group_find(const struct inv_ext *x, const char *name);
size_t inv_group_add(struct inv_ext *x, const char *name);
struct host_ext *inv_host_new(const char *name);
size_t inv_host_add(struct inv_ext *x, const char *name);
void inv_group_add_host(struct inv_ext *x, size_t gi, size_t hi);
int inv_group_add_child(struct inv_ext *x, size_t parent, size_t child);
void inv_set_pos(struct val *v, const char *file, unsigned int line,
	     unsigned int col);
void inv_group_set_var(struct inv_ext *x, size_t gi, enum layer l,
		   const char *key, struct val *v, struct diags *d);
int inv_cmp_str(const void *a, const void *b);
size_t inv_localhost_for(const struct inv_ext *x);
struct host *inv_host_at(const struct inventory *inv, size_t i);

/* inventory.c */
/*
 * Once hosts or groups changed: parentless groups under all, ungrouped
 * exactly the hosts in no other group, group depths. Idempotent.
 */
void inv_reconcile(struct inv_ext *x);

/* ini_value.c */
struct val *inv_ini_value(const char *s, const char *file,
		      unsigned int line, unsigned int col);

/* ranges.c */
bool inv_word_char(int c);
bool inv_parse_address(const char *s, size_t *host_off, size_t *host_len,
		   long *port);
int inv_host_pattern_parse(char **host, long *port, struct inv_ext *x,
		       const char *pattern);
void inv_defer_hosts(struct inv_ext *x, char *host, long port, size_t gi,
		 const struct val *vars, const struct srcpos *pos);
void inv_deferred_release(struct inv_ext *x);
void inv_add_deferred_hosts(struct inv_ext *x, struct diags *d);

/* ini.c */
void inv_ini_parse(struct loader *ld, const char *text);

/* yaml.c */
void inv_yaml_parse(struct loader *ld, const struct val *doc);

/* dir.c */
const char *inv_file_ext(const char *path);
int inv_list_dir(char ***out, size_t *nr, const char *dir);
void inv_free_names(char **names, size_t nr);
bool inv_is_dir(const char *path);

/* vars_dirs.c */
void inv_refresh_vars(struct inv_ext *x);
int inv_load_vars_dirs(struct inv_ext *x, const char *dir, const char *root,
		       enum layer l, struct diags *d);

#endif
