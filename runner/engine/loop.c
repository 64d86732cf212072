/*
 * Loops: the items of a task's loop, their loop vars and labels.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"
#include "tend/lang/template.h"
#include "tend/data/truth.h"
#include "tend/util/interrupt.h"

#include <math.h>
#include <time.h>

/*
 * first_found's subdir by the task's action, as Ansible's task executor
 * picks it: the first of template, var, file that the action's name
 * holds, else file.
 */
static const char *lookup_subdir(const char *action)
{
	if (action && strstr(action, "template"))
		return "templates";
	if (action && strstr(action, "var"))
		return "vars";
	return "files";
}

/* Render the loop list; NULL with the error set on failure. */
struct val *run_loop_items(const struct task *t, const struct scope *sc)
{
	struct val *items = NULL;

	if (t->loop_with) {
		if (template_lookup_loop(&items, t->loop_with, t->loop,
					 lookup_subdir(t->action), sc) < 0)
			return NULL;
		return items;
	}
	if (template_render(&items, t->loop, sc) < 0)
		return NULL;
	if (val_cstr(items) && !strlen(val_cstr(items))) {
		val_unref(items);
		return val_list();
	}
	if (items->type != VAL_LIST) {
		tend_error_set("invalid data passed to 'loop': it requires a "
			       "list, got a %s", val_type_name(items->type));
		val_unref(items);
		return NULL;
	}
	if (t->loop_flatten) {
		struct val *flat = val_list();

		for (size_t i = 0; i < items->u.list.nr; i++) {
			struct val *it = items->u.list.items[i];

			if (it->type == VAL_LIST)
				for (size_t j = 0; j < it->u.list.nr; j++)
					val_list_push(flat,
						      val_ref(it->u.list.items[j]));
			else
				val_list_push(flat, val_ref(it));
		}
		val_unref(items);
		items = flat;
	}
	return items;
}

/* A loop_control flag: a bool, or a template rendered to one. */
static int loop_flag(bool *out, const struct val *raw, bool def,
		     const struct scope *sc, const char *what)
{
	struct val *v = NULL;
	int error;

	*out = def;
	if (!raw)
		return 0;
	if ((error = template_render(&v, raw, sc)) < 0)
		return error;
	error = truth_boolean(out, v);
	val_unref(v);
	if (error < 0)
		return tend_error_set("loop_control.%s: not a boolean", what);
	return 0;
}

int run_loop_control(struct loopctl *out, const struct task *t,
		     const struct scope *sc)
{
	struct val *v = NULL;
	int error;

	out->pause = 0;
	if ((error = loop_flag(&out->extended, t->loop_extended, false, sc,
			       "extended")) < 0 ||
	    (error = loop_flag(&out->allitems, t->loop_allitems, true, sc,
			       "extended_allitems")) < 0)
		return error;
	if (!t->loop_pause)
		return 0;
	if ((error = template_render(&v, t->loop_pause, sc)) < 0)
		return error;
	if (v->type == VAL_INT)
		out->pause = (double)v->u.i;
	else if (v->type == VAL_FLOAT)
		out->pause = v->u.f;
	else if (val_cstr(v))
		out->pause = strtod(val_cstr(v), NULL);
	val_unref(v);
	if (!(out->pause >= 0) || !isfinite(out->pause))
		return tend_error_set("loop_control.pause: not a number of "
				      "seconds");
	return 0;
}

void run_loop_pause(double seconds)
{
	struct timespec until, now;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)seconds;
	until.tv_nsec += (long)((seconds - floor(seconds)) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	/* in steps, so that ^C is not kept waiting */
	while (!tend_interrupted) {
		struct timespec step = { 0, 100000000L };

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec &&
						  now.tv_nsec >= until.tv_nsec))
			break;
		if (until.tv_sec == now.tv_sec ||
		    (until.tv_sec == now.tv_sec + 1 &&
		     until.tv_nsec < now.tv_nsec))
			step.tv_nsec = (until.tv_sec - now.tv_sec) * 1000000000L +
				       until.tv_nsec - now.tv_nsec;
		if (step.tv_nsec > 100000000L)
			step.tv_nsec = 100000000L;
		nanosleep(&step, NULL);
	}
}

struct val *run_make_loopvars(const struct task *t, const struct loopctl *ctl,
			      const struct val *items, size_t i)
{
	struct val *lv = val_dict(), *loop;
	struct val *item = items->u.list.items[i];
	size_t n = items->u.list.nr;

	val_dict_set(lv, t->loop_var, val_ref(item));
	val_dict_set_str(lv, "ansible_loop_var", t->loop_var);
	if (t->index_var) {
		val_dict_set_int(lv, t->index_var, (long long)i);
		val_dict_set_str(lv, "ansible_index_var", t->index_var);
	}
	/* as Ansible: ansible_loop only with loop_control.extended */
	if (!ctl->extended)
		return lv;
	loop = val_dict();
	val_dict_set_int(loop, "index", (long long)i + 1);
	val_dict_set_int(loop, "index0", (long long)i);
	val_dict_set_bool(loop, "first", i == 0);
	val_dict_set_bool(loop, "last", i + 1 == n);
	val_dict_set_int(loop, "length", (long long)n);
	val_dict_set_int(loop, "revindex", (long long)(n - i));
	val_dict_set_int(loop, "revindex0", (long long)(n - i - 1));
	if (ctl->allitems)
		val_dict_set(loop, "allitems", val_ref((struct val *)items));
	if (i + 1 < n)
		val_dict_set(loop, "nextitem", val_ref(items->u.list.items[i + 1]));
	if (i > 0)
		val_dict_set(loop, "previtem", val_ref(items->u.list.items[i - 1]));
	val_dict_set(lv, "ansible_loop", loop);
	return lv;
}

void run_loop_result(struct val *r, const struct task *t,
		     const struct val *lv)
{
	static const char *const keys[] = { "ansible_loop_var",
					    "ansible_index_var",
					    "ansible_loop" };
	struct val *v;

	val_dict_set(r, t->loop_var, val_ref(val_dict_get(lv, t->loop_var)));
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		if ((v = val_dict_get(lv, keys[k])))
			val_dict_set(r, keys[k], val_ref(v));
	if (t->index_var)
		val_dict_set(r, t->index_var,
			     val_ref(val_dict_get(lv, t->index_var)));
}

char *run_item_label(const struct task *t, const struct scope *sc,
		 const struct val *item)
{
	struct buf b = BUF_INIT;
	struct val *r = NULL;

	if (t->loop_label && template_render(&r, t->loop_label, sc) == 0) {
		val_to_str(&b, r);
		val_unref(r);
	} else {
		tend_error_clear();
		val_to_str(&b, item);
	}
	return buf_detach(&b, NULL);
}
