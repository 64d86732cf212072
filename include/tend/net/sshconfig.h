#ifndef TEND_NET_SSHCONFIG_H
#define TEND_NET_SSHCONFIG_H

/*
 * OpenSSH client configuration (ssh_config(5)) as ssh reads it, for the
 * SSH transport: `Host` blocks (patterns with `*` and `?`, `!` to
 * negate, several on a line), `Include` (globs; relative names under
 * ~/.ssh), keywords in any case, `Key Value` and `Key=Value`, quoted
 * values. For each keyword the first value obtained wins; IdentityFile
 * adds up. `Match` is refused with file:line when the file is read.
 *
 * tend honours a few keywords (the SSHCFG_* below); others are either
 * harmless for tend and ignored (the table in sshconfig.c says why, one
 * row each), or refused by name by sshconfig_lookup, but only when they
 * apply to the host being looked up: a ProxyCommand for hosts tend never
 * reaches does not stop a run. docs/ssh.md lists them.
 */

#include "tend/util/buf.h"

/* The keywords tend honours; each is one value of a lookup. */
enum sshcfg_key {
	SSHCFG_HOSTNAME,
	SSHCFG_USER,
	SSHCFG_PORT,
	SSHCFG_IDENTITYFILE,  /* several: each is tried, in order */
	SSHCFG_IDENTITIESONLY,
	SSHCFG_PROXYJUMP,
	SSHCFG_KNOWNHOSTS,    /* UserKnownHostsFile (its first file) */
	SSHCFG_STRICT,        /* StrictHostKeyChecking */
	SSHCFG_CONNECTTIMEOUT,
	SSHCFG_ALIVE,         /* ServerAliveInterval */
	SSHCFG_NR,
	SSHCFG_IGNORED = -1,  /* a keyword that changes nothing for tend */
};

struct sshcfg_keyword {
	const char *name;  /* as ssh_config(5) spells it */
	int key;           /* an enum sshcfg_key, or SSHCFG_IGNORED */
	const char *why;   /* for an ignored one: why it does not matter */
};

/*
 * The row of keyword `name` (its first `len` bytes, any case), or NULL
 * for a keyword tend cannot honour (ProxyCommand, Ciphers, ...), which
 * callers refuse by name.
 */
const struct sshcfg_keyword *sshconfig_keyword(const char *name, size_t len);

/*
 * One line of a configuration: `Host` patterns or a keyword's words; or
 * the start or end of an included file: each starts with the Host
 * condition in force at its Include line, which holds again after it
 * (as ssh 9.2 -G shows).
 */
enum sshcfg_line_kind {
	SSHCFG_LINE_KEY, SSHCFG_LINE_HOST, SSHCFG_LINE_PUSH, SSHCFG_LINE_POP,
};

struct sshcfg_line {
	enum sshcfg_line_kind kind;
	char *key;      /* the keyword as written; NULL but for KEY */
	char **args;    /* its words, unquoted */
	size_t nr;
	const char *file; /* owned by the config (its files[]) */
	int line;
};

/* Parsed configuration: the lines of a file and its includes, in order. */
struct sshconfig {
	struct sshcfg_line *lines;
	size_t nr, alloc;
	char **files;
	size_t files_nr, files_alloc;
	bool no_include; /* Include refused (the fuzz harness's parses) */
	int depth;
};

/* Initialise an empty configuration (allocates nothing). */
void sshconfig_init(struct sshconfig *cfg);

/* Free the configuration's contents; NULL-safe. */
void sshconfig_release(struct sshconfig *cfg);

/*
 * Add the lines of `text` (`len` bytes; need not end in NUL), read from
 * `file` (for messages), to `cfg`, following its Includes. Returns 0, or
 * TEND_EPARSE with the error set to "file:line: what" for a bad line,
 * `Match`, an unclosed quote or an Include that cannot be read.
 */
int sshconfig_parse(struct sshconfig *cfg, const char *text, size_t len,
		    const char *file);

/*
 * Read the file `path` into `cfg` (as sshconfig_parse). A missing file
 * is TEND_ENOTFOUND (the caller decides: a missing ~/.ssh/config is no
 * error, a missing -F file is).
 */
int sshconfig_read(struct sshconfig *cfg, const char *path);

/* A value found for one keyword, and where it was set. */
struct sshcfg_value {
	const char *v;    /* borrowed from the config; NULL: not set */
	const char *file;
	int line;
};

/* What the configuration says for one host. */
struct sshcfg_host {
	struct sshcfg_value v[SSHCFG_NR]; /* IdentityFile: the first */
	struct sshcfg_value ids[16];      /* every IdentityFile, in order */
	size_t ids_nr;
};

/*
 * Walk `cfg` for the host named `host` on ssh's command line (an alias:
 * Host patterns match it, not its HostName), first value wins. Returns
 * 0, or TEND_EREFUSED with the error set ("file:line: 'ProxyCommand'
 * applies to 'host' and tend cannot honour it") when a keyword tend
 * cannot honour applies to the host. The values borrow from `cfg`.
 */
int sshconfig_lookup(struct sshcfg_host *out, const struct sshconfig *cfg,
		     const char *host);

/*
 * Does `host` match the patterns of a Host line (`!pat` negates: a
 * negated match fails the line whatever else matches)?
 */
bool sshconfig_host_matches(const char *host, char *const *pats, size_t nr);

/*
 * Expand a value as ssh does: a leading `~` or `~/` to the home
 * directory (if `tilde`), and `%c` tokens from `tokens` (indexed by the
 * letter; `%%` is a `%`). An unknown token is an error naming `what`.
 * Returns 0 or -1 with the error set.
 */
int sshconfig_expand(struct buf *out, const char *s,
		     const char *const tokens[128], bool tilde,
		     const char *what);

#endif
