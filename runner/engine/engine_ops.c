/*
 * What the engine offers the controller-side modules (debug, assert,
 * set_fact, template...): evaluating and rendering in the task's scope
 * (modkit/module.h, struct engine_ops).
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/engine/run_int.h"
#include "tend/lang/template.h"
#include "tend/playbook/playbook.h"

/*
 * As Ansible's debug `var`: the expression templated as "{{ expr }}"
 * (Templar.template with convert_bare), so a lone variable keeps its
 * number or bool and anything else is its text, read back as a literal
 * (template.h); one that holds "{{" is templated as it is.
 */
static int engine_eval(struct val **out, const char *expr, void *data)
{
	struct buf b = BUF_INIT;
	struct val *in;
	int error;

	if (strstr(expr, "{{"))
		buf_adds(&b, expr);
	else
		buf_addf(&b, "{{ %s }}", expr);
	in = val_str(b.ptr);
	error = template_render(out, in, ((struct engine_data *)data)->sc);
	val_unref(in);
	buf_release(&b);
	return error;
}

static int engine_render(struct buf *out, const char *text, void *data)
{
	return template_render_str(out, text, ((struct engine_data *)data)->sc);
}

static int engine_render_file(struct buf *out, const char *text,
			      const char *path, const struct val *opts,
			      void *data)
{
	const struct scope *sc = ((struct engine_data *)data)->sc;
	const struct val *src = val_dict_get(opts, "src");
	const struct val *dest = val_dict_get(opts, "dest");
	struct val *tvars = NULL;
	struct scope child;
	int error;

	if ((error = template_file_vars(&tvars, val_cstr(src), path,
					val_cstr(dest))) < 0)
		return error;
	/* the template's own variables, over the task's */
	child = *sc;
	child.parent = sc;
	child.vars = tvars;
	error = template_render_file(out, text, opts, &child);
	val_unref(tvars);
	return error;
}

static int engine_eval_bool(bool *out, const char *expr, void *data)
{
	return expr_eval_bool(out, expr, ((struct engine_data *)data)->sc);
}

static int engine_render_vars(struct buf *out, const char *text,
			      const struct val *vars, void *data)
{
	const struct scope *sc = ((struct engine_data *)data)->sc;
	struct scope child;

	child = *sc;
	child.parent = sc;
	child.vars = vars;
	return template_render_str(out, text, &child);
}

static size_t engine_count_tasks(const char *play, const char *task,
				 const char *module, void *data)
{
	return playbook_count_tasks(((struct engine_data *)data)->pb, play,
				    task, module);
}

static int engine_reconnect(struct transport **out, bool fresh, void *data)
{
	struct engine_data *ed = data;
	int error;

	if (!ed->own_conn)
		return tend_error_set("reconnecting is not supported yet with "
				      "delegate_to or a connection: keyword");
	if (fresh)
		return run_host_reconnect(out, ed->hc, ed->sc);
	if ((error = run_host_connect(ed->hc, ed->sc)) < 0)
		return error;
	*out = ed->hc->hs->conn->t;
	return 0;
}

const struct engine_ops run_engine_ops = {
	.reconnect = engine_reconnect,
	.count_tasks = engine_count_tasks,
	.render_vars = engine_render_vars,
	.eval = engine_eval,
	.render = engine_render,
	.eval_bool = engine_eval_bool,
	.render_file = engine_render_file,
};
