#ifndef TEND_BUF_H
#define TEND_BUF_H

/*
 * struct buf: a growable byte string (after git's strbuf).
 *
 * `ptr` is never NULL and always NUL-terminated, so a buf can be handed to
 * any function that wants a C string. Binary data may contain NULs; `len`
 * is authoritative. `buf_detach()` is the only way to take the memory.
 *
 * Initialise with BUF_INIT or buf_init(); free with buf_release() (or
 * buf_release_secret() for buffers that held a secret: it wipes first).
 */

struct buf {
	char *ptr;
	size_t len;
	size_t alloc; /* 0 while ptr points at the shared empty string */
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0 }

/* Initialise, reserving room for `hint` bytes (0: allocate nothing). */
void buf_init(struct buf *b, size_t hint);
/* Free the contents and re-initialise. */
void buf_release(struct buf *b);
/* As buf_release, but zero the memory first. */
void buf_release_secret(struct buf *b);
/* Make room for `extra` more bytes beyond len. */
void buf_grow(struct buf *b, size_t extra);
/* Hand the string to the caller (who frees it); the buf is re-initialised. */
char *buf_detach(struct buf *b, size_t *len);
/* Set len (<= alloc) and NUL-terminate there. */
void buf_setlen(struct buf *b, size_t len);
#define buf_reset(b) buf_setlen((b), 0)

void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addbuf(struct buf *b, const struct buf *other);
void buf_addf(struct buf *b, const char *fmt, ...) TEND_PRINTF(2, 3);
/* Append code point `cp` (at most 0x10ffff) encoded as UTF-8. */
void buf_add_utf8(struct buf *b, unsigned long cp);
/*
 * Decode the UTF-8 sequence at str (len > 0 bytes left) into *cp;
 * returns its length, or 0 if it is not valid (overlong, surrogate,
 * truncated).
 */
size_t utf8_decode(uint32_t *cp, const char *str, size_t len);
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/*
 * Append `len` bytes of `s` lowercased as Python's str.lower() lowercases
 * text (every Unicode letter); bytes that are not UTF-8 are kept as they
 * are.
 */
void buf_add_lower(struct buf *b, const char *s, size_t len);
/* Replace the contents with `s`. */
void buf_sets(struct buf *b, const char *s);

/* Strip whitespace at the end / at both ends. */
void buf_rtrim(struct buf *b);
void buf_trim(struct buf *b);

/* True if b starts / ends with s. */
bool buf_starts_with(const struct buf *b, const char *s);
bool buf_ends_with(const struct buf *b, const char *s);

#endif
