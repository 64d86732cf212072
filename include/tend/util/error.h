#ifndef TEND_ERROR_H
#define TEND_ERROR_H

/*
 * Errors (after libgit2's git_error_set).
 *
 * Fallible functions return int: 0 for success, < 0 for an error. The
 * message of the last error lives in thread-local storage: set it with
 * tend_error_set(), which returns -1, so
 *
 *	return tend_error_set("cannot open '%s'", path);
 *
 * reads naturally. Codes callers branch on are below; everything else -1.
 * Propagate an error unchanged; never overwrite it with a vaguer one.
 */

enum {
	TEND_ERROR = -1,
	TEND_ENOTFOUND = -3,    /* a file, key, host, ref ... does not exist */
	TEND_EPARSE = -4,       /* bad input; diagnostics were collected */
	TEND_ESTALE = -5,       /* the world moved since the plan */
	TEND_EUNREACHABLE = -6, /* a host could not be reached */
	TEND_EUNDEFINED = -7,   /* a template used an undefined variable */
	TEND_EINTERRUPTED = -8, /* stopped by SIGINT/SIGTERM (interrupt.h) */
	TEND_EREFUSED = -9,     /* a policy said no (a change window) */
	TEND_ELOCKED = -10,     /* another run holds what this one needs
				   (a host's lock) */
	TEND_EPYTHON = -11,     /* a template failed where Ansible raises a
				   plain Python exception, not an Ansible
				   error: in a loop item's arguments or
				   environment it fails only that item */
};

/* Set the message (printf format) and return -1. */
int tend_error_set(const char *fmt, ...) TEND_PRINTF(1, 2);
/* Set the message and return `code`. */
int tend_error_set_code(int code, const char *fmt, ...) TEND_PRINTF(2, 3);
/*
 * Prefix the current message with "<prefix>: " (printf format), keeping
 * its code. Returns the code of the current error.
 */
int tend_error_prefix(const char *fmt, ...) TEND_PRINTF(1, 2);
/* The last message of this thread, or "unknown error". Borrowed. */
const char *tend_error_last(void);
/* The code of the last error (0 if none). */
int tend_error_code(void);
void tend_error_clear(void);

/*
 * A source position. `file` is interned (srcfile_intern) and lives until
 * exit; line and col count from 1 (0: unknown).
 */
struct srcpos {
	const char *file;
	unsigned int line;
	unsigned int col;
};

/* Return a copy of `path` that lives until exit; equal paths share one. */
const char *srcfile_intern(const char *path);

/*
 * Diagnostics collected by a loader, so that one run reports every error
 * in the input, not just the first. Each item is a complete line such as
 * "site.yml:3:5: unknown key 'nmae' (did you mean 'name'?)".
 */
struct diags {
	char **items;
	size_t nr, alloc;
	size_t errors; /* items that are errors (the rest are warnings) */
};
#define DIAGS_INIT { NULL, 0, 0, 0 }

void diags_add(struct diags *d, const struct srcpos *pos, const char *fmt, ...)
	TEND_PRINTF(3, 4);
void diags_warn(struct diags *d, const struct srcpos *pos, const char *fmt,
		...) TEND_PRINTF(3, 4);
/* Print each item on its own line to `f`. */
void diags_print(const struct diags *d, FILE *f);
void diags_release(struct diags *d);

/*
 * The closest of `candidates` (NULL-terminated) to `word` by edit distance,
 * if close enough to be a likely typo; else NULL.
 */
const char *did_you_mean(const char *word, const char *const *candidates);

#endif
