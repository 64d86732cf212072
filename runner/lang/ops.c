#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/ops_int.h"
#include "tend/lang/ast_int.h"
#include "tend/lang/value_int.h"
#include "tend/lang/datetime_int.h"
#include "tend/data/val.h"

#include <math.h>

/*
 * Operators
 */

static bool num_of(const struct val *v, bool *is_int, long long *i, double *f)
{
	switch (v->type) {
	case VAL_BOOL:
		*is_int = true;
		*i = v->u.b;
		*f = v->u.b;
		return true;
	case VAL_INT:
		*is_int = true;
		*i = v->u.i;
		*f = (double)v->u.i;
		return true;
	case VAL_FLOAT:
		*is_int = false;
		*f = v->u.f;
		return true;
	default:
		return false;
	}
}

static const char *const op_text[] = {
	[OP_ADD] = "+",	 [OP_SUB] = "-",  [OP_MUL] = "*",
	[OP_DIV] = "/",	 [OP_FLOORDIV] = "//", [OP_MOD] = "%",
	[OP_POW] = "**", [OP_CONCAT] = "~", [OP_EQ] = "==",
	[OP_NE] = "!=",	 [OP_LT] = "<", [OP_GT] = ">",
	[OP_LE] = "<=",	 [OP_GE] = ">=", [OP_IN] = "in",
	[OP_NOTIN] = "not in",
};

const char *ops_name(int op)
{
	return op >= 0 && op < (int)ARRAY_SIZE(op_text) ? op_text[op] : "?";
}

static int type_error(int op, const struct val *a, const struct val *b)
{
	return tend_error_set("unsupported operand type(s) for %s: '%s' and "
			      "'%s'", ops_name(op), template_type_name(a),
			      template_type_name(b));
}

static struct val *repeat(const struct val *seq, long long n)
{
	struct val *r;

	if (seq->type == VAL_STR) {
		struct buf b = BUF_INIT;
		size_t len;
		char *s;

		for (long long k = 0; k < n; k++)
			buf_add(&b, seq->u.s.ptr, seq->u.s.len);
		s = buf_detach(&b, &len);
		return val_str_take(s, len);
	}
	r = val_list();
	for (long long k = 0; k < n; k++)
		for (size_t i = 0; i < seq->u.list.nr; i++)
			val_list_push(r, val_ref(seq->u.list.items[i]));
	return r;
}

/* a <op> b when either is not a number: str and list +, str %, repetition. */
static int arith_seq(struct val **out, int op, const struct val *a,
		     const struct val *b)
{
	const struct val *seq = a, *cnt = b;

	if (op == OP_ADD && a->type == b->type &&
	    (a->type == VAL_STR || a->type == VAL_LIST)) {
		if (a->type == VAL_STR) {
			struct buf s = BUF_INIT;
			size_t len;
			char *p;

			buf_add(&s, a->u.s.ptr, a->u.s.len);
			buf_add(&s, b->u.s.ptr, b->u.s.len);
			p = buf_detach(&s, &len);
			*out = val_str_take(p, len);
		} else {
			struct val *l = val_list();

			for (size_t i = 0; i < a->u.list.nr; i++)
				val_list_push(l, val_ref(a->u.list.items[i]));
			for (size_t i = 0; i < b->u.list.nr; i++)
				val_list_push(l, val_ref(b->u.list.items[i]));
			*out = l;
		}
		return 0;
	}
	if (op == OP_MOD && a->type == VAL_STR) {
		struct buf s = BUF_INIT;
		size_t len;
		char *p;
		int error = template_percent_format(&s, a->u.s.ptr, b);

		if (error < 0) {
			buf_release(&s);
			return error;
		}
		p = buf_detach(&s, &len);
		*out = val_str_take(p, len);
		return 0;
	}
	if (op == OP_MUL && (b->type == VAL_STR || b->type == VAL_LIST)) {
		seq = b;
		cnt = a;
	}
	if (op == OP_MUL && (seq->type == VAL_STR ||
			     seq->type == VAL_LIST) &&
	    (cnt->type == VAL_INT || cnt->type == VAL_BOOL)) {
		long long n = cnt->type == VAL_INT ? cnt->u.i : cnt->u.b;

		if (n > 0 && val_len(seq) && (unsigned long long)n >
		    (64ull << 20) / val_len(seq))
			return tend_error_set("repetition too large");
		*out = repeat(seq, n);
		return 0;
	}
	return type_error(op, a, b);
}

static int arith(struct val **out, int op, const struct val *a,
		 const struct val *b)
{
	bool ai, bi;
	long long x, y, r;
	double f, g;

	if (!num_of(a, &ai, &x, &f) || !num_of(b, &bi, &y, &g))
		return arith_seq(out, op, a, b);
	if (ai && bi) {
		switch (op) {
		case OP_ADD:
			if (__builtin_add_overflow(x, y, &r))
				goto overflow;
			*out = val_int(r);
			return 0;
		case OP_SUB:
			if (__builtin_sub_overflow(x, y, &r))
				goto overflow;
			*out = val_int(r);
			return 0;
		case OP_MUL:
			if (__builtin_mul_overflow(x, y, &r))
				goto overflow;
			*out = val_int(r);
			return 0;
		case OP_FLOORDIV:
		case OP_MOD:
			if (!y)
				return tend_error_set("integer division or "
						      "modulo by zero");
			if (x == LLONG_MIN && y == -1)
				goto overflow;
			r = x / y;
			if ((x % y) && ((x < 0) != (y < 0)))
				r--;
			*out = val_int(op == OP_FLOORDIV ? r : x - r * y);
			return 0;
		case OP_POW:
			if (y >= 0) {
				long long acc = 1, base = x;

				while (y) {
					if ((y & 1) &&
					    __builtin_mul_overflow(acc, base, &acc))
						goto overflow;
					y >>= 1;
					if (y && __builtin_mul_overflow(base, base,
									&base))
						goto overflow;
				}
				*out = val_int(acc);
				return 0;
			}
			break;
		default:
			break;
		}
	}
	switch (op) {
	case OP_ADD:
		*out = val_float(f + g);
		return 0;
	case OP_SUB:
		*out = val_float(f - g);
		return 0;
	case OP_MUL:
		*out = val_float(f * g);
		return 0;
	case OP_DIV:
		if (g == 0)
			return tend_error_set("division by zero");
		*out = val_float(f / g);
		return 0;
	case OP_FLOORDIV:
		if (g == 0)
			return tend_error_set("float divmod()");
		*out = val_float(floor(f / g));
		return 0;
	case OP_MOD: {
		double m;

		if (g == 0)
			return tend_error_set("float modulo");
		m = fmod(f, g);
		if (m != 0 && ((m < 0) != (g < 0)))
			m += g;
		*out = val_float(m);
		return 0;
	}
	case OP_POW:
		if (f == 0 && g < 0)
			return tend_error_set("0.0 cannot be raised to a "
					      "negative power");
		*out = val_float(pow(f, g));
		return 0;
	default:
		return type_error(op, a, b);
	}
overflow:
	return tend_error_set("integer overflow in '%s'", ops_name(op));
}

/* `needle in hay`, as Python's `in`. */
static int contains(bool *out, const struct val *hay, const struct val *needle)
{
	switch (hay->type) {
	case VAL_STR:
		if (needle->type != VAL_STR)
			return tend_error_set("'in <string>' requires string "
					      "as left operand, not %s",
					      template_type_name(needle));
		*out = memmem(hay->u.s.ptr, hay->u.s.len, needle->u.s.ptr,
			      needle->u.s.len) != NULL;
		return 0;
	case VAL_LIST:
		*out = false;
		for (size_t i = 0; i < hay->u.list.nr && !*out; i++)
			*out = val_equal(hay->u.list.items[i], needle);
		return 0;
	case VAL_DICT:
		*out = needle->type == VAL_STR &&
		       val_dict_get(hay, needle->u.s.ptr);
		return 0;
	default:
		return tend_error_set("argument of type '%s' is not iterable",
				      template_type_name(hay));
	}
}

int ops_binop(struct val **out, int op, const struct val *a,
	      const struct val *b)
{
	int error, cmp;
	bool r = false;

	if ((error = template_need(a)) < 0 || (error = template_need(b)) < 0)
		return error;
	if (op != OP_CONCAT && (template_is_time(a) || template_is_time(b)))
		return datetime_binop(out, op, a, b);
	switch (op) {
	case OP_CONCAT: {
		struct buf s = BUF_INIT;
		size_t len;
		char *p;

		template_to_str(&s, a);
		template_to_str(&s, b);
		p = buf_detach(&s, &len);
		*out = val_str_take(p, len);
		return 0;
	}
	case OP_EQ:
	case OP_NE:
		*out = val_bool(val_equal(a, b) == (op == OP_EQ));
		return 0;
	case OP_LT:
	case OP_GT:
	case OP_LE:
	case OP_GE:
		if ((a->type == VAL_NULL || b->type == VAL_NULL) ||
		    val_compare(&cmp, a, b) < 0)
			return tend_error_set("'%s' not supported between "
					      "instances of '%s' and '%s'",
					      ops_name(op), template_type_name(a),
					      template_type_name(b));
		*out = val_bool(op == OP_LT ? cmp < 0 : op == OP_GT ? cmp > 0 :
				op == OP_LE ? cmp <= 0 : cmp >= 0);
		return 0;
	case OP_IN:
	case OP_NOTIN:
		if ((error = contains(&r, b, a)) < 0)
			return error;
		*out = val_bool(r == (op == OP_IN));
		return 0;
	default:
		return arith(out, op, a, b);
	}
}

/* Python's slice index arithmetic. */
static void slice_bounds(long long len, const struct val *start,
			 const struct val *stop, long long step, long long *lo,
			 long long *hi)
{
	long long dlo = step > 0 ? 0 : len - 1, dhi = step > 0 ? len : -1;

	*lo = dlo;
	*hi = dhi;
	if (start && start->type == VAL_INT) {
		*lo = start->u.i < 0 ? start->u.i + len : start->u.i;
		if (*lo < 0)
			*lo = step > 0 ? 0 : -1;
		if (*lo >= len)
			*lo = step > 0 ? len : len - 1;
	}
	if (stop && stop->type == VAL_INT) {
		*hi = stop->u.i < 0 ? stop->u.i + len : stop->u.i;
		if (*hi < 0)
			*hi = step > 0 ? 0 : -1;
		if (*hi >= len)
			*hi = step > 0 ? len : len - 1;
	}
}

int ops_slice(struct val **out, const struct val *obj, const struct val *start,
	      const struct val *stop, const struct val *stepv)
{
	long long step = 1, lo, hi, len = (long long)val_len(obj);
	const struct val *bounds[] = { start, stop, stepv };

	if (template_is_time(obj))
		return tend_error_set("'%s' object is not subscriptable",
				      template_type_name(obj));

	for (size_t i = 0; i < ARRAY_SIZE(bounds); i++)
		if (bounds[i] && bounds[i]->type != VAL_INT &&
		    bounds[i]->type != VAL_NULL)
			return tend_error_set("slice indices must be integers "
					      "or None");
	if (stepv && stepv->type == VAL_INT)
		step = stepv->u.i;
	if (!step)
		return tend_error_set("slice step cannot be zero");
	if (obj->type != VAL_STR && obj->type != VAL_LIST)
		return tend_error_set("'%s' object is not subscriptable",
				      template_type_name(obj));
	slice_bounds(len, start, stop, step, &lo, &hi);
	if (obj->type == VAL_STR) {
		struct buf b = BUF_INIT;
		size_t n;
		char *s;

		for (long long i = lo; step > 0 ? i < hi : i > hi; i += step)
			buf_addch(&b, obj->u.s.ptr[i]);
		s = buf_detach(&b, &n);
		*out = val_str_take(s, n);
	} else {
		*out = val_list();
		for (long long i = lo; step > 0 ? i < hi : i > hi; i += step)
			val_list_push(*out, val_ref(obj->u.list.items[i]));
	}
	return 0;
}

static int getitem(struct val **out, struct val *obj, const struct val *key)
{
	int error;

	if (template_is_undef(obj)) {
		*out = val_ref(obj);
		return 0;
	}
	if ((error = template_need(key)) < 0)
		return error;
	if (obj->type == VAL_DICT) {
		struct buf k = BUF_INIT;

		template_to_str(&k, key);
		template_getattr(out, obj, k.ptr);
		buf_release(&k);
		return 0;
	}
	if ((obj->type == VAL_LIST || obj->type == VAL_STR) &&
	    (key->type == VAL_INT || key->type == VAL_BOOL)) {
		long long n = (long long)val_len(obj);
		long long i = key->type == VAL_INT ? key->u.i : key->u.b;

		if (i < 0)
			i += n;
		if (i < 0 || i >= n) {
			*out = template_undef("%s object has no element %lld",
					      template_type_name(obj),
					      key->type == VAL_INT ? key->u.i :
								     key->u.b);
			return 0;
		}
		if (obj->type == VAL_LIST)
			*out = val_ref(obj->u.list.items[i]);
		else
			*out = val_strn(obj->u.s.ptr + i, 1);
		return 0;
	}
	if (key->type == VAL_STR) {
		template_getattr(out, obj, key->u.s.ptr);
		return 0;
	}
	*out = template_undef("'%s object' has no element", template_type_name(obj));
	return 0;
}

int ops_getitem(struct val **out, struct val *obj, const struct val *key)
{
	int error;

	if (template_is_time(obj))
		return tend_error_set("'%s' object is not subscriptable",
				      template_type_name(obj));
	error = getitem(out, obj, key);

	/* a missing secret key: the message must not quote it */
	if (!error && *out != obj && template_is_undef(*out) &&
	    val_holds_secret(key)) {
		val_unref(*out);
		*out = template_undef("'%s object' has no attribute '********'",
				      template_type_name(obj));
	}
	return error;
}
