#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <math.h>
#include <strings.h>

/*
 * Filters of numbers and types: the conversions int, float, string and
 * bool, abs, round, type_debug; Ansible's log, pow and root (Python's
 * math module: glibc's libm underneath, as CPython's), human_readable
 * and human_to_bytes.
 */

/* The value of c as a digit of any base up to 36, or 99. */
static int digit_of(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'z' ? c - 'a' + 10 : 99;
}

/*
 * Python's int(str, base) (base 0 or 2..36), without the exceptions:
 * whitespace around, a sign, 0x/0o/0b for base 16/8/2 (base 0 takes
 * any, and without one refuses leading zeros), single underscores
 * between digits (and after a prefix); false past 64 bits.
 */
static bool parse_int(const char *s, int base, long long *out)
{
	const char *p = s, *e = s + strlen(s);
	unsigned long long n = 0, max = LLONG_MAX;
	bool neg = false, digits = false, zero_lead = false;

	while (isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	if (p < e && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (e - p > 1 && p[0] == '0') {
		char x = (char)tolower((unsigned char)p[1]);
		int pb = x == 'x' ? 16 : x == 'o' ? 8 : x == 'b' ? 2 : 0;

		if (pb && (base == 0 || base == pb)) {
			base = pb;
			p += 2;
			if (p < e && *p == '_')
				p++;
		}
	}
	if (base == 0) {
		base = 10;
		zero_lead = p < e && *p == '0';
	}
	max += neg;
	for (; p < e; p++) {
		int d;

		if (*p == '_' && digits && p + 1 < e && p[1] != '_')
			continue;
		if ((d = digit_of(*p)) >= base)
			return false;
		if (zero_lead && d)
			return false; /* base 0: "010" is no int */
		if (n > (max - (unsigned long long)d) / (unsigned long long)base)
			return false;
		n = n * (unsigned long long)base + (unsigned long long)d;
		digits = true;
	}
	if (!digits)
		return false;
	*out = neg ? (long long)(0 - n) : (long long)n;
	return true;
}

static bool parse_float(const char *s, double *out)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return false;
	*out = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	return !*end;
}

/*
 * Jinja's int(default=0, base=10): what cannot be read gives `default`
 * as it is, and a base that is no integer only leaves the float reading
 * of a string (Python's int() refuses it, and Jinja falls back).
 */
static int f_int(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	struct val *def = targs_get(a, 0, "default");
	struct val *b = targs_get(a, 1, "base");
	long long base = 10, n;
	double f;

	(void)c;
	if (b)
		base = val_is(b, VAL_INT) ? b->u.i :
		       val_is(b, VAL_BOOL) ? b->u.b : -1;
	switch (in->type) {
	case VAL_INT:
		*out = val_ref(in);
		return 0;
	case VAL_BOOL:
		*out = val_int(in->u.b);
		return 0;
	case VAL_FLOAT:
		/* past 64 bits Python's int grows; tend gives the default */
		if (isfinite(in->u.f) && fabs(in->u.f) < 9.2e18) {
			*out = val_int((long long)in->u.f);
			return 0;
		}
		break;
	case VAL_STR:
		if ((base == 0 || (base >= 2 && base <= 36)) &&
		    parse_int(in->u.s.ptr, (int)base, &n)) {
			*out = val_int(n);
			return 0;
		}
		if (parse_float(in->u.s.ptr, &f) && isfinite(f) &&
		    fabs(f) < 9.2e18) {
			*out = val_int((long long)f);
			return 0;
		}
		break;
	default:
		break;
	}
	*out = def ? val_ref(def) : val_int(0);
	return 0;
}

static int f_float(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	struct val *defv = targs_get(a, 0, "default");
	double f, def = 0.0;

	(void)c;
	if (defv && (defv->type == VAL_FLOAT || defv->type == VAL_INT))
		def = defv->type == VAL_FLOAT ? defv->u.f : (double)defv->u.i;
	switch (in->type) {
	case VAL_INT:
		*out = val_float((double)in->u.i);
		return 0;
	case VAL_BOOL:
		*out = val_float(in->u.b);
		return 0;
	case VAL_FLOAT:
		*out = val_ref(in);
		return 0;
	case VAL_STR:
		*out = val_float(parse_float(in->u.s.ptr, &f) ? f : def);
		return 0;
	default:
		*out = val_float(def);
		return 0;
	}
}

static int f_string(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	(void)a;
	(void)c;
	/* Ansible's string filter gives a plain str of Markup too */
	if (template_is_markup(in))
		*out = val_strn(in->u.s.ptr, in->u.s.len);
	else
		*out = template_str_of(in);
	return 0;
}

static int f_bool(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	(void)a;
	(void)c;
	/* to_bool() hands None back as None */
	*out = in->type == VAL_NULL ? val_ref(in) : val_bool(truth_to_bool(in));
	return 0;
}

static int f_abs(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)a;
	(void)c;
	if (in->type == VAL_INT && in->u.i != LLONG_MIN)
		*out = val_int(in->u.i < 0 ? -in->u.i : in->u.i);
	else if (in->type == VAL_BOOL)
		*out = val_int(in->u.b);
	else if (in->type == VAL_FLOAT)
		*out = val_float(fabs(in->u.f));
	else
		return tend_error_set("bad operand type for abs(): '%s'",
				      template_type_name(in));
	return 0;
}

static int f_round(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	const char *method;
	long long prec;
	double f, m;
	int error;

	(void)c;
	if ((error = targs_int(&prec, a, 0, "precision", 0, "round")) < 0 ||
	    (error = targs_str(&method, a, 1, "method", "common", "round")) < 0)
		return error;
	if (in->type == VAL_INT || in->type == VAL_BOOL)
		f = in->type == VAL_INT ? (double)in->u.i : in->u.b;
	else if (in->type == VAL_FLOAT)
		f = in->u.f;
	else
		return tend_error_set("round: expected a number, got %s",
				      template_type_name(in));
	if (prec < -20 || prec > 20)
		return tend_error_set("round: precision out of range");
	m = pow(10, (double)prec);
	if (!strcmp(method, "common"))
		f = nearbyint(f * m) / m; /* half to even, as Python */
	else if (!strcmp(method, "ceil"))
		f = ceil(f * m) / m;
	else if (!strcmp(method, "floor"))
		f = floor(f * m) / m;
	else
		return tend_error_set("round: method must be common, ceil or "
				      "floor");
	*out = val_float(f);
	return 0;
}

static int f_type_debug(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	static const char *const names[] = {
		[VAL_NULL] = "NoneType", [VAL_BOOL] = "bool",
		[VAL_INT] = "int", [VAL_FLOAT] = "float",
		[VAL_STR] = "AnsibleUnicode", [VAL_LIST] = "list",
		[VAL_DICT] = "dict",
	};

	(void)a;
	(void)c;
	*out = val_str(in->type == VAL_STR && (in->flags & TEMPLATE_F_TEXT) ?
		       "NativeJinjaText" : names[in->type]);
	return 0;
}

/* A Python real number (bool, int, float) as a double. */
static bool real_of(double *out, const struct val *v)
{
	if (v->type == VAL_INT)
		*out = (double)v->u.i;
	else if (v->type == VAL_BOOL)
		*out = v->u.b;
	else if (v->type == VAL_FLOAT)
		*out = v->u.f;
	else
		return false;
	return true;
}

/*
 * A real argument of log, pow and root as Python's math module takes
 * it: `v` NULL gives `def`, or is an error when def is NAN (required).
 */
static int math_arg(double *out, const struct val *v, double def,
		    const char *who, const char *name)
{
	if (!v && !isnan(def)) {
		*out = def;
		return 0;
	}
	if (!v)
		return tend_error_set("%s() missing 1 required positional "
				      "argument: '%s'", who, name);
	if (!real_of(out, v))
		return tend_error_set("%s() can only be used on numbers: must "
				      "be real number, not %s", who,
				      template_type_name(v));
	return 0;
}

/* CPython's m_log: log(x), with x <= 0 (and -inf) a domain error. */
static int py_log(double *out, double x, double (*fn)(double))
{
	if (x <= 0 || (isinf(x) && x < 0))
		return tend_error_set("math domain error");
	*out = isfinite(x) ? fn(x) : x;
	return 0;
}

static int f_log(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	double x = 0, base = 0, num = 0, den = 0;
	int error;

	(void)c;
	if ((error = math_arg(&x, in, NAN, "log", "x")) < 0 ||
	    (error = math_arg(&base, targs_get(a, 0, "base"), M_E, "log",
			      "base")) < 0)
		return error;
	if (base == 10) {
		if ((error = py_log(&num, x, log10)) < 0)
			return error;
		*out = val_float(num);
		return 0;
	}
	if ((error = py_log(&num, x, log)) < 0 ||
	    (error = py_log(&den, base, log)) < 0)
		return error;
	if (den == 0)
		return tend_error_set("float division by zero");
	*out = val_float(num / den);
	return 0;
}

/*
 * CPython's math.pow: libm's pow, a NaN or infinity it makes of finite
 * numbers an error (a domain error's message after `domain`).
 */
static int py_pow(struct val **out, double x, double y, const char *domain)
{
	double r = pow(x, y);

	if (isfinite(x) && isfinite(y) && !isfinite(r)) {
		if (isnan(r) || x == 0)
			return tend_error_set("%smath domain error", domain);
		return tend_error_set("math range error");
	}
	*out = val_float(r);
	return 0;
}

static int f_pow(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	double x = 0, y = 0;
	int error;

	(void)c;
	if ((error = math_arg(&x, in, NAN, "pow", "x")) < 0 ||
	    (error = math_arg(&y, targs_get(a, 0, "y"), NAN, "pow", "y")) < 0)
		return error;
	return py_pow(out, x, y, "");
}

/* root(x, base=2): math.sqrt for 2, else math.pow(x, 1.0 / base). */
static int f_root(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	struct val *bv = targs_get(a, 0, "base");
	double x = 0, base = 2;
	int error;

	(void)c;
	if (bv && bv->type == VAL_STR)
		return tend_error_set("root: a base given as a string is not "
				      "supported (give a number)");
	if ((error = math_arg(&x, in, NAN, "root", "x")) < 0 ||
	    (error = math_arg(&base, bv, 2, "root", "base")) < 0)
		return error;
	if (base == 2) {
		if (x < 0)
			return tend_error_set("root() can only be used on "
					      "numbers: math domain error");
		*out = val_float(sqrt(x));
		return 0;
	}
	if (base == 0)
		return tend_error_set("float division by zero");
	return py_pow(out, x, 1.0 / base,
		      "root() can only be used on numbers: ");
}

/* Ansible's SIZE_RANGES, largest first. */
static const char size_suffixes[] = "YZEPTGMKB";

static double size_limit(char suffix)
{
	return ldexp(1, 10 * (int)(strlen(size_suffixes) - 1 -
				   (size_t)(strchr(size_suffixes, suffix) -
					    size_suffixes)));
}

/* human_readable(size, isbits=False, unit=None): bytes_to_human. */
static int f_human_readable(struct val **out, struct val *in,
			    const struct targs *a, struct tctx *c)
{
	struct val *unit = targs_get(a, 1, "unit");
	bool bits = targs_bool(a, 0, "isbits", false);
	const char *s = size_suffixes;
	struct buf b = BUF_INIT;
	double size;

	(void)c;
	if (unit && unit->type == VAL_NULL)
		unit = NULL;
	if (unit && unit->type != VAL_STR) {
		template_to_str(&b, in);
		tend_error_set("human_readable() can't interpret following "
			       "string: %s", b.ptr);
		buf_release(&b);
		return -1;
	}
	if (!real_of(&size, in))
		return tend_error_set("human_readable() failed on bad input: "
				      "%s not supported between instances of "
				      "'%s' and 'int'", unit ? "'/'" : "'>='",
				      template_type_name(in));
	for (; s[1]; s++) {
		const char *u = unit ? unit->u.s.ptr : NULL;

		if (u ? (u[0] && !u[1] && toupper((unsigned char)u[0]) == *s) :
			size >= size_limit(*s))
			break;
	}
	if (*s == 'B')
		buf_addf(&b, "%.2f %s", size, bits ? "bits" : "Bytes");
	else
		buf_addf(&b, "%.2f %c%c", size / size_limit(*s), *s,
			 bits ? 'b' : 'B');
	*out = template_str_result(&b);
	return 0;
}

/* Unicode 14's decimal digits past ASCII (Python 3.11's \d): each zero. */
static const uint32_t digit_zeros[] = {
	0x660,	 0x6f0,	  0x7c0,   0x966,   0x9e6,   0xa66,   0xae6,
	0xb66,	 0xbe6,	  0xc66,   0xce6,   0xd66,   0xde6,   0xe50,
	0xed0,	 0xf20,	  0x1040,  0x1090,  0x17e0,  0x1810,  0x1946,
	0x19d0,	 0x1a80,  0x1a90,  0x1b50,  0x1bb0,  0x1c40,  0x1c50,
	0xa620,	 0xa8d0,  0xa900,  0xa9d0,  0xa9f0,  0xaa50,  0xabf0,
	0xff10,	 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0,
	0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0,
	0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
	0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0,
	0x1e950, 0x1fbf0,
};

/*
 * The next character of s as Python's re sees it, in the ASCII of this
 * parser: a digit as '0'-'9', a space as ' ', a letter [A-Za-z] matches
 * with re.IGNORECASE as itself (or '\1' when it is not ASCII), anything
 * else as '\0'. *len is its length in bytes (at least 1).
 */
static char py_class(const char *s, size_t *len)
{
	unsigned char ch = (unsigned char)*s;
	uint32_t cp;

	*len = 1;
	if (ch < 0x80)
		return isdigit(ch) || isalpha(ch) ? (char)ch :
		       isspace(ch) || (ch >= 0x1c && ch <= 0x1f) ? ' ' : '\0';
	if (!(*len = utf8_decode(&cp, s, strlen(s)))) {
		*len = 1;
		return '\0';
	}
	for (size_t i = 0; i < ARRAY_SIZE(digit_zeros); i++)
		if (cp >= digit_zeros[i] && cp < digit_zeros[i] + 10)
			return (char)('0' + (cp - digit_zeros[i]));
	if (template_py_space(s, *len))
		return ' ';
	return cp == 0x130 || cp == 0x131 || cp == 0x17f || cp == 0x212a ?
		       '\1' : '\0';
}

/* Each character of s as one byte: ASCII as itself, anything else '\1'. */
static void py_chars(struct buf *out, const char *s)
{
	uint32_t cp;
	size_t len;

	for (; *s; s += len ? len : 1) {
		len = utf8_decode(&cp, s, strlen(s));
		buf_addch(out, len == 1 ? *s : '\1');
	}
}

/*
 * formatters.human_to_bytes(text, def, bits): the number at the start of
 * `text` (`^\s*(\d*\.?\d*)\s*([A-Za-z]+)?`) times the power of 1024 its
 * unit (else `def`) names, rounded; NAN for what Ansible cannot
 * interpret (the filter has one message for all of it).
 */
static double h2b_parse(const char *text, const char *def, bool bits)
{
	struct buf num = BUF_INIT, unit = BUF_INIT;
	const char *p = text, *k = NULL;
	double r = NAN;
	size_t len;
	char ch;
	bool dot = false;

	while (py_class(p, &len) == ' ')
		p += len;
	while (((ch = py_class(p, &len)) && isdigit((unsigned char)ch)) ||
	       (*p == '.' && !dot && (dot = true))) {
		buf_addch(&num, ch ? ch : '.');
		p += len;
	}
	while (py_class(p, &len) == ' ')
		p += len;
	while ((ch = py_class(p, &len)) && ch != ' ' &&
	       !isdigit((unsigned char)ch)) {
		buf_addch(&unit, ch);
		p += len;
	}
	if (!unit.len && def)
		py_chars(&unit, def);
	if (unit.len)
		k = strchr(size_suffixes, toupper((unsigned char)unit.ptr[0]));
	if (num.len && strcmp(num.ptr, ".") && (unit.len ? k && *k : !def)) {
		bool named = false;

		for (size_t i = 0; i + 2 < unit.len && !named; i++)
			named = !strncasecmp(unit.ptr + i, bits ? "bit" : "byte",
					     bits ? 3 : 4);
		if (unit.len < 2 || named || unit.ptr[1] == (bits ? 'b' : 'B'))
			r = nearbyint(strtod(num.ptr, NULL) *
				      (k ? size_limit(*k) : 1));
	}
	buf_release(&num);
	buf_release(&unit);
	return isinf(r) ? NAN : r;
}

static int f_human_to_bytes(struct val **out, struct val *in,
			    const struct targs *a, struct tctx *c)
{
	struct val *def = targs_get(a, 0, "default_unit");
	struct buf text = BUF_INIT;
	int error = 0;
	double r;

	(void)c;
	if (def && def->type == VAL_NULL)
		def = NULL;
	if (def && def->type != VAL_STR)
		return tend_error_set("human_to_bytes() failed on bad input: "
				      "'%s' object is not subscriptable",
				      template_type_name(def));
	template_to_str(&text, in);
	r = h2b_parse(text.ptr, def ? def->u.s.ptr : NULL,
		      targs_bool(a, 1, "isbits", false));
	if (isnan(r))
		error = tend_error_set("human_to_bytes() can't interpret "
				       "following string: %s", text.ptr);
	else if (fabs(r) >= 9223372036854775808.0)
		error = tend_error_set("human_to_bytes: %s is past tend's "
				       "integers", text.ptr);
	else
		*out = val_int((long long)r);
	buf_release(&text);
	return error;
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "abs", f_abs, 0 },
	{ "bool", f_bool, 0 },
	{ "float", f_float, 0 },
	{ "human_readable", f_human_readable, 0 },
	{ "human_to_bytes", f_human_to_bytes, 0 },
	{ "int", f_int, 0 },
	{ "log", f_log, 0 },
	{ "pow", f_pow, 0 },
	{ "root", f_root, 0 },
	{ "round", f_round, 0 },
	{ "string", f_string, TFILTER_MARKUP_OK | TFILTER_WHOLE | TFILTER_TEXT },
	{ "type_debug", f_type_debug, 0 },
};

const struct filter_family filter_num_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
