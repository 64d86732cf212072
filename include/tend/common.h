#ifndef TEND_COMMON_H
#define TEND_COMMON_H

/*
 * Included first by every .c file: feature macros, the system headers
 * nearly everything uses, the allocation wrappers and BUG().
 */

#define _GNU_SOURCE 1

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define TEND_VERSION "0.1.0"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define TEND_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define TEND_NORETURN __attribute__((noreturn))
#else
#define TEND_PRINTF(fmt, args)
#define TEND_NORETURN
#endif

/*
 * Allocation that cannot fail: on out-of-memory these print a message and
 * abort, so callers never test for NULL.
 */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/*
 * Grow an array `x` of `nr` used elements to hold at least `want`, keeping
 * its capacity in `alloc` (git's ALLOC_GROW).
 */
#define ALLOC_GROW(x, want, alloc)                                           \
	do {                                                                 \
		if ((want) > (alloc)) {                                      \
			size_t alloc_grow_n_ = (alloc) < 8 ? 8 : (alloc) * 2; \
			while (alloc_grow_n_ < (want))                       \
				alloc_grow_n_ *= 2;                          \
			(x) = xrealloc((x), alloc_grow_n_ * sizeof(*(x)));   \
			(alloc) = alloc_grow_n_;                             \
		}                                                            \
	} while (0)

/* A programmer error: print file:line and the message, then abort. */
TEND_NORETURN void bug_fl(const char *file, int line, const char *fmt, ...)
	TEND_PRINTF(3, 4);
#define BUG(...) bug_fl(__FILE__, __LINE__, __VA_ARGS__)

#include "tend/banned.h"

#endif
