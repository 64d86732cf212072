/*
 * Loops: the items of a task's loop, their loop vars and labels.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"
#include "tend/lang/template.h"

/* Render the loop list; NULL with the error set on failure. */
struct val *run_loop_items(const struct task *t, const struct scope *sc)
{
	struct val *items = NULL;

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

struct val *run_make_loopvars(const struct task *t, struct val *item,
			  size_t i, size_t n)
{
	struct val *lv = val_dict(), *loop = val_dict();

	val_dict_set(lv, t->loop_var, val_ref(item));
	val_dict_set_str(lv, "ansible_loop_var", t->loop_var);
	if (t->index_var) {
		val_dict_set_int(lv, t->index_var, (long long)i);
		val_dict_set_str(lv, "ansible_index_var", t->index_var);
	}
	val_dict_set_int(loop, "index", (long long)i + 1);
	val_dict_set_int(loop, "index0", (long long)i);
	val_dict_set_bool(loop, "first", i == 0);
	val_dict_set_bool(loop, "last", i + 1 == n);
	val_dict_set_int(loop, "length", (long long)n);
	val_dict_set(lv, "ansible_loop", loop);
	return lv;
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
