#include "tend/common.h"
#include "tend/util/buf.h"

#include <ctype.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <wctype.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

char buf_empty[1];

void buf_init(struct buf *b, size_t hint)
{
	b->ptr = buf_empty;
	b->len = 0;
	b->alloc = 0;
	if (hint)
		buf_grow(b, hint);
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->ptr);
	buf_init(b, 0);
}

void buf_release_secret(struct buf *b)
{
	if (b->alloc)
		sodium_memzero(b->ptr, b->alloc);
	buf_release(b);
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;

	if (want < b->len)
		BUG("buf_grow overflow");
	if (!b->alloc) {
		size_t n = want < 64 ? 64 : want;

		b->ptr = xmalloc(n);
		b->alloc = n;
		b->ptr[0] = '\0';
		return;
	}
	if (want > b->alloc) {
		size_t n = b->alloc * 2;

		while (n < want)
			n *= 2;
		b->ptr = xrealloc(b->ptr, n);
		b->alloc = n;
	}
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (!b->alloc)
		buf_grow(b, 0);
	p = b->ptr;
	if (len)
		*len = b->len;
	buf_init(b, 0);
	return p;
}

void buf_setlen(struct buf *b, size_t len)
{
	if (len > (b->alloc ? b->alloc - 1 : 0))
		BUG("buf_setlen beyond allocation");
	b->len = len;
	if (b->alloc)
		b->ptr[len] = '\0';
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	if (!len)
		return;
	buf_grow(b, len);
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, int c)
{
	buf_grow(b, 1);
	b->ptr[b->len++] = (char)c;
	b->ptr[b->len] = '\0';
}

void buf_addbuf(struct buf *b, const struct buf *other)
{
	buf_add(b, other->ptr, other->len);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		BUG("vsnprintf failed");
	if ((size_t)n >= b->alloc - b->len) {
		buf_grow(b, (size_t)n);
		n = vsnprintf(b->ptr + b->len, b->alloc - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_sets(struct buf *b, const char *s)
{
	buf_reset(b);
	buf_adds(b, s);
}

void buf_rtrim(struct buf *b)
{
	while (b->len && isspace((unsigned char)b->ptr[b->len - 1]))
		b->len--;
	if (b->alloc)
		b->ptr[b->len] = '\0';
}

void buf_trim(struct buf *b)
{
	size_t i = 0;

	buf_rtrim(b);
	while (i < b->len && isspace((unsigned char)b->ptr[i]))
		i++;
	if (i) {
		memmove(b->ptr, b->ptr + i, b->len - i);
		buf_setlen(b, b->len - i);
	}
}

bool buf_starts_with(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	return b->len >= n && !memcmp(b->ptr, s, n);
}

bool buf_ends_with(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	return b->len >= n && !memcmp(b->ptr + b->len - n, s, n);
}

void buf_add_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_addch(b, (int)cp);
	} else if (cp < 0x800) {
		buf_addch(b, (int)(0xc0 | (cp >> 6)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addch(b, (int)(0xe0 | (cp >> 12)));
		buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		buf_addch(b, (int)(0xf0 | ((cp >> 18) & 0x07)));
		buf_addch(b, (int)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	}
}

size_t utf8_decode(uint32_t *cp, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static bool is_cased(uint32_t cp)
{
	return utf8_locale && (towlower_l((wint_t)cp, utf8_locale) != cp ||
			       towupper_l((wint_t)cp, utf8_locale) != cp);
}

/* Unicode's Case_Ignorable, as far as text around a sigma holds it. */
static bool is_case_ignorable(uint32_t cp)
{
	return (cp >= 0x300 && cp <= 0x36f) || cp == 0x27 || cp == 0x2e ||
	       cp == 0x3a || cp == 0x5e || cp == 0x60 || cp == 0xa8 ||
	       cp == 0xad || cp == 0xaf || cp == 0xb4 || cp == 0xb7 ||
	       cp == 0xb8 || cp == 0x2018 || cp == 0x2019 || cp == 0x2024 ||
	       cp == 0x2027;
}

/*
 * Unicode's Final_Sigma: a capital sigma at s[at] with a cased letter
 * before it and none after it (case-ignorable characters skipped).
 */
static bool final_sigma(const char *s, size_t len, size_t at, size_t n)
{
	uint32_t cp = 0;
	bool before = false;

	for (size_t i = at; i > 0;) {
		size_t j = i - 1, k;

		while (j > 0 && ((unsigned char)s[j] & 0xc0) == 0x80)
			j--;
		if (!(k = utf8_decode(&cp, s + j, i - j)))
			break;
		i = j;
		if (!is_case_ignorable(cp)) {
			before = is_cased(cp);
			break;
		}
	}
	if (!before)
		return false;
	for (size_t i = at + n, k; i < len; i += k) {
		if (!(k = utf8_decode(&cp, s + i, len - i)))
			return true;
		if (!is_case_ignorable(cp))
			return !is_cased(cp);
	}
	return true;
}

/*
 * glibc's C.UTF-8 towlower is Python 3.11's str.lower() for every code
 * point but U+0130, which Python lowers to two ("i" and U+0307), and a
 * capital sigma, which is final at the end of a word.
 */
void buf_add_lower(struct buf *b, const char *s, size_t len)
{
	pthread_once(&utf8_locale_once, utf8_locale_init);
	for (size_t i = 0, n; i < len; i += n) {
		uint32_t cp;

		if ((unsigned char)s[i] < 0x80) {
			buf_addch(b, tolower((unsigned char)s[i]));
			n = 1;
		} else if (!(n = utf8_decode(&cp, s + i, len - i))) {
			buf_addch(b, s[i]);
			n = 1;
		} else if (cp == 0x130) {
			buf_add(b, "i\xcc\x87", 3);
		} else if (cp == 0x3a3 && final_sigma(s, len, i, n)) {
			buf_add_utf8(b, 0x3c2);
		} else {
			buf_add_utf8(b, utf8_locale ?
				     (unsigned long)towlower_l((wint_t)cp,
							       utf8_locale) :
				     cp);
		}
	}
}
