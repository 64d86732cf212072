/*
 * Connections: one per host for the whole run, opened on first use with
 * the connection variables of the host's scope.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"
#include "tend/lang/template.h"
#include "tend/transport/table.h"

/*
 * The first of `names` that is defined, rendered to a string (a new
 * heap string, or NULL if none is defined).
 */
static int conn_var(char **out, const struct scope *sc,
		    const char *const *names)
{
	*out = NULL;
	for (size_t i = 0; names[i]; i++) {
		const struct val *v = scope_get(sc, names[i]);
		struct val *r = NULL;
		struct buf b = BUF_INIT;
		int error;

		if (!v || v->type == VAL_NULL)
			continue;
		if ((error = template_render(&r, v, sc)) < 0)
			return tend_error_prefix("in '%s'", names[i]);
		val_to_str(&b, r);
		val_unref(r);
		*out = buf_detach(&b, NULL);
		return 0;
	}
	return 0;
}

/* transport_vars.get over the host's scope */
static int scope_conn_var(char **out, const char *const *names, void *payload)
{
	return conn_var(out, payload, names);
}

int run_host_connect(struct hostctx *hc, const struct scope *sc)
{
	static const char *const v_conn[] = { "ansible_connection", NULL };
	struct hoststate *hs = hc->hs;
	struct conn *c = hs->conn;
	char *type = NULL;
	int error;

	if (c->t)
		return 0;
	if (c->error)
		return tend_error_set_code(TEND_EUNREACHABLE, "%s", c->error);
	if ((error = conn_var(&type, sc, v_conn)) < 0)
		goto out;
	{
		struct transport_vars v = {
			.inventory_name = hs->name, .get = scope_conn_var,
			.payload = (void *)sc,
		};

		error = transport_open(&c->t, type, &v);
	}
out:
	free(type);
	if (error < 0) {
		c->error = xstrdup(tend_error_last());
		return tend_error_set_code(TEND_EUNREACHABLE, "%s", c->error);
	}
	return 0;
}
