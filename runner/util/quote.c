#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

void sh_quote_n(struct buf *b, const char *s, size_t len)
{
	buf_grow(b, len + 2);
	buf_addch(b, '\'');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0')
			BUG("sh_quote: NUL byte in a shell word");
		if (s[i] == '\'')
			buf_add(b, "'\\''", 4);
		else
			buf_addch(b, s[i]);
	}
	buf_addch(b, '\'');
}

void sh_quote(struct buf *b, const char *s)
{
	sh_quote_n(b, s, strlen(s));
}
