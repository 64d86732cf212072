/*
 * Connections: one per host for the whole run, opened on first use with
 * the connection variables of the host's scope.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"
#include "tend/playbook/playbook.h"
#include "tend/lang/template.h"
#include "tend/transport/table.h"

/*
 * The first of `names` that is defined, rendered to a string (a new
 * heap string, or NULL if none is defined).
 */
/*
 * The first defined of the aliases `names` as Ansible's precedence has
 * it: the layer of highest precedence that defines any of them wins (an
 * inventory's ansible_ssh_user beats tend.yml's default, which tend sets
 * as ansible_user); within one layer, the first alias in the list.
 */
static const struct val *conn_lookup(const char **name, const struct scope *sc,
				     const char *const *names)
{
	for (const struct scope *s = sc; s; s = s->parent)
		for (size_t i = 0; names[i]; i++) {
			const struct val *v = val_dict_get(s->vars, names[i]);

			if (v && v->type != VAL_NULL) {
				*name = names[i];
				return v;
			}
		}
	return NULL;
}

static int conn_var(char **out, const struct scope *sc,
		    const char *const *names)
{
	const char *name = NULL;
	const struct val *v = conn_lookup(&name, sc, names);
	struct val *r = NULL;
	struct buf b = BUF_INIT;

	*out = NULL;
	if (!v)
		return 0;
	if (template_render(&r, v, sc) < 0)
		return tend_error_prefix("in '%s'", name);
	/*
	 * As itself even when secret (a user or key path from a vault
	 * file): it goes to the connection, not to the output.
	 */
	val_to_text(&b, r);
	val_unref(r);
	*out = buf_detach(&b, NULL);
	return 0;
}

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
	if (hc->pc->rs->pb->limits.untrusted && transport_on_controller(type)) {
		/* not cached in c->error: each task is refused by name */
		error = tend_error_set_code(TEND_EREFUSED, "refusing to run on "
			"the controller (connection '%s') for an untrusted "
			"source: a plan of it runs only on remote hosts "
			"(--trust-source if you trust the commit)", type);
		free(type);
		return error;
	}
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
