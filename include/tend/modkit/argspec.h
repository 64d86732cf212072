#ifndef TEND_MODKIT_ARGSPEC_H
#define TEND_MODKIT_ARGSPEC_H

/*
 * A module's arguments as data: one struct arg_spec row each, in a table
 * that ends with a row whose name is NULL. Part of the module contract
 * (module.h includes this); apart so that tables shared by several
 * modules (fileargs.h) can be written without the rest of it.
 */

enum arg_type {
	ARG_STR,  /* a string; numbers and bools are converted to text */
	ARG_BOOL, /* bool, or yes/no/true/false/on/off/1/0 in any case */
	ARG_INT,  /* an int, or a string of digits */
	ARG_PATH, /* a string; "~/" is left for the remote shell to expand */
	ARG_MODE, /* octal int/string, or symbolic "u+rwx,g-w"; see mode_parse */
	ARG_LIST, /* a list; a string is split on commas */
	ARG_DICT, /* a dict */
	ARG_ANY,  /* anything */
};

enum {
	ARG_REQUIRED = 1 << 0,
	ARG_RAW = 1 << 1, /* not templated before the module runs (assert.that) */
	/*
	 * Never shown (the content of a secret): its value is flagged
	 * VAL_F_SECRET when normalized, so the engine scrubs it from
	 * messages and results as it does a vaulted variable.
	 */
	ARG_SECRET = 1 << 2,
	/*
	 * A file on the controller, found as task_find_file says in the
	 * module's files_dir: a literal one that leads out of a git source's
	 * checkout is refused when the playbook loads (args_check_files).
	 */
	ARG_LOCAL_FILE = 1 << 3,
	/*
	 * Accepted by name and refused when given (not null) with the
	 * row's doc as the reason: an Ansible argument tend cannot honour
	 * yet (attributes), so that validate names it and says why.
	 */
	ARG_REFUSED = 1 << 4,
	/*
	 * A dict of HTTP headers: the values of those that carry
	 * credentials (http_header_is_secret: Authorization, Cookie,
	 * X-Auth-Token ...) are flagged VAL_F_SECRET, as ARG_SECRET's.
	 */
	ARG_HEADERS = 1 << 5,
};

struct arg_spec {
	const char *name;
	enum arg_type type;
	unsigned int flags;
	const char *aliases;         /* comma-separated, or NULL */
	const char *const *choices;  /* NULL-terminated, or NULL */
	const char *dflt;            /* default shown by `tend doc`, or NULL */
	const char *doc;
};

#endif
