#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/data/val.h"

/* Bits a class may own, and its sticky/setid bit, as Ansible maps them. */
struct who_bits {
	unsigned int rwx_shift;
	unsigned int special;
};

static const struct who_bits who_u = { 6, 04000 };
static const struct who_bits who_g = { 3, 02000 };
static const struct who_bits who_o = { 0, 01000 };

static int parse_octal(unsigned int *out, const char *s, const char *orig)
{
	unsigned long v = 0;

	if (!*s)
		return tend_error_set("invalid mode '%s'", orig);
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return tend_error_set("invalid mode '%s'", orig);
		v = v * 8 + (unsigned long)(*s - '0');
		if (v > 07777)
			return tend_error_set("invalid mode '%s': out of range",
					      orig);
	}
	*out = (unsigned int)v;
	return 0;
}

/* The permission bits that `perms` ("rwxst" or one of "ugo") grant one class. */
static unsigned int class_bits(const struct who_bits *w, const char *perms,
			       size_t len, unsigned int current, bool is_dir)
{
	unsigned int bits = 0;

	if (len == 1 && strchr("ugo", perms[0])) {
		unsigned int from = perms[0] == 'u' ? 6 : perms[0] == 'g' ? 3 : 0;

		return ((current >> from) & 07) << w->rwx_shift;
	}
	for (size_t i = 0; i < len; i++) {
		switch (perms[i]) {
		case 'r':
			bits |= 04u << w->rwx_shift;
			break;
		case 'w':
			bits |= 02u << w->rwx_shift;
			break;
		case 'x':
			bits |= 01u << w->rwx_shift;
			break;
		case 'X':
			if (is_dir || (current & 0111))
				bits |= 01u << w->rwx_shift;
			break;
		case 's':
			if (w->special != 01000)
				bits |= w->special;
			break;
		case 't':
			if (w->special == 01000)
				bits |= w->special;
			break;
		}
	}
	return bits;
}

static int parse_symbolic(unsigned int *out, const char *s,
			  unsigned int current, bool is_dir)
{
	unsigned int mode = current & 07777;
	const char *p = s;

	while (*p) {
		const struct who_bits *who[3];
		size_t nwho = 0;
		bool u = false, g = false, o = false;

		for (; *p && strchr("ugoa", *p); p++) {
			u |= *p == 'u' || *p == 'a';
			g |= *p == 'g' || *p == 'a';
			o |= *p == 'o' || *p == 'a';
		}
		if (!u && !g && !o)
			u = g = o = true;
		if (u)
			who[nwho++] = &who_u;
		if (g)
			who[nwho++] = &who_g;
		if (o)
			who[nwho++] = &who_o;
		if (!*p || !strchr("+-=", *p))
			return tend_error_set("invalid mode '%s'", s);
		while (*p && strchr("+-=", *p)) {
			char op = *p++;
			const char *perms = p;
			size_t len;
			unsigned int base = mode;

			if (*p && strchr("ugo", *p))
				p++;
			else
				while (*p && strchr("rwxXst", *p))
					p++;
			len = (size_t)(p - perms);
			for (size_t i = 0; i < nwho; i++) {
				unsigned int bits = class_bits(who[i], perms, len,
							       base, is_dir);
				unsigned int mask = (07u << who[i]->rwx_shift) |
						    who[i]->special;

				if (op == '+')
					mode |= bits;
				else if (op == '-')
					mode &= ~bits;
				else
					mode = (mode & ~mask) | bits;
			}
		}
		if (*p == ',')
			p++;
		else if (*p)
			return tend_error_set("invalid mode '%s'", s);
	}
	*out = mode;
	return 0;
}

int mode_parse(unsigned int *out, const struct val *mode,
	       unsigned int current, bool is_dir)
{
	struct buf tmp = BUF_INIT;
	const char *s;
	int error;

	if (val_is(mode, VAL_INT)) {
		if (mode->u.i < 0)
			return tend_error_set("invalid mode '%lld'", mode->u.i);
		if (mode->flags & VAL_F_OCTAL) {
			if (mode->u.i > 07777)
				return tend_error_set("invalid mode '%llo': "
						      "out of range", mode->u.i);
			*out = (unsigned int)mode->u.i;
			return 0;
		}
		buf_addf(&tmp, "%lld", mode->u.i);
		error = parse_octal(out, tmp.ptr, tmp.ptr);
		buf_release(&tmp);
		return error;
	}
	if (!(s = val_cstr(mode)))
		return tend_error_set("invalid mode: expected a string or an "
				      "int, got %s",
				      val_type_name(mode ? mode->type : VAL_NULL));
	if (!*s)
		return tend_error_set("invalid mode ''");
	if (strspn(s, "01234567") == strlen(s))
		return parse_octal(out, s, s);
	return parse_symbolic(out, s, current, is_dir);
}

void mode_format(struct buf *out, unsigned int mode)
{
	buf_addf(out, "%04o", mode & 07777);
}

void mode_format_info(struct buf *out, unsigned int mode)
{
	buf_addf(out, "0%03o", mode & 07777);
}
