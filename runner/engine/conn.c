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
#include "tend/transport/sshargs.h"
#include "tend/inventory/inventory.h"
#include "tend/util/quote.h"

#include <ctype.h>

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
static const struct val *conn_lookup(const char **name,
				     const struct scope **layer,
				     const struct scope *sc,
				     const char *const *names)
{
	for (const struct scope *s = sc; s; s = s->parent)
		for (size_t i = 0; s->kind != SCOPE_CONN_MAGIC && names[i]; i++) {
			const struct val *v = val_dict_get(s->vars, names[i]);

			if (v && v->type != VAL_NULL) {
				*name = names[i];
				*layer = s;
				return v;
			}
		}
	return NULL;
}

/*
 * Where a connection var is looked up: the scope, and who set what;
 * `ssh_args` the vars the host's OpenSSH options give (NULL: none).
 */
struct conn_src {
	const struct scope *sc;
	const struct runstate *rs;
	struct val *ssh_args;
};

/*
 * Connection vars that say which hosts the controller trusts and which
 * of its keys it presents. For an untrusted source they are the
 * operator's alone (tend.yml's ssh:, -e): a committer's inventory could
 * otherwise switch host key checking off and have a plan send the
 * controller's key and the secrets its tasks render to a host of theirs.
 */
static const char *const operator_vars[] = {
	"host_key_checking", "ansible_host_key_checking",
	"tend_host_key_checking", "tend_known_hosts",
	"ansible_ssh_known_hosts_file", "ansible_ssh_private_key_file",
	"ansible_private_key_file", "tend_ssh_config", NULL
};

static int check_operator_var(const struct conn_src *src, const char *name,
			      const struct scope *layer)
{
	const struct run_opts *o = src->rs->opts;

	if (!src->rs->pb->limits.untrusted || layer->vars == o->defaults ||
	    layer->vars == o->extra_vars)
		return 0;
	for (size_t i = 0; operator_vars[i]; i++)
		if (!strcmp(name, operator_vars[i]))
			return tend_error_set_code(TEND_EREFUSED,
				"refusing '%s' from an untrusted source: which "
				"hosts and keys the controller trusts is set in "
				"tend.yml's ssh: or with -e (--trust-source if "
				"you trust the commit)", name);
	return 0;
}

static int conn_var(char **out, const struct conn_src *src,
		    const char *const *names)
{
	const struct scope *sc = src->sc, *layer = NULL;
	const char *name = NULL;
	const struct val *v = conn_lookup(&name, &layer, sc, names);
	struct val *r = NULL;
	struct buf b = BUF_INIT;
	int error;

	*out = NULL;
	if (!v)
		return 0;
	if ((error = check_operator_var(src, name, layer)) < 0)
		return error;
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

/*
 * A var the host sets wins over its OpenSSH options: Ansible puts -o
 * User=, Port=, IdentityFile=, ConnectTimeout= from the vars before
 * ansible_ssh_common_args on ssh's command line, and ssh keeps the first
 * value it sees.
 */
static int scope_conn_var(char **out, const char *const *names, void *payload)
{
	const struct conn_src *src = payload;
	int error = conn_var(out, src, names);

	for (size_t i = 0; !error && !*out && src->ssh_args && names[i]; i++) {
		const struct val *v = val_dict_get(src->ssh_args, names[i]);

		if (v)
			*out = xstrdup(val_cstr(v));
	}
	return error;
}

/*
 * The host's ansible_ssh_common_args, then ansible_ssh_extra_args (so
 * the first wins where both set a thing, as ssh's command line has them)
 * as connection vars in src->ssh_args. What they set is checked as if
 * the var were set where the option is: an untrusted inventory's `-o
 * UserKnownHostsFile=` is refused as its tend_known_hosts would be.
 */
static int conn_ssh_args(struct conn_src *src)
{
	static const char *const names[] = { "ansible_ssh_common_args",
		"ansible_ssh_extra_args" };
	int error = 0;

	for (size_t i = 0; !error && i < ARRAY_SIZE(names); i++) {
		const char *one[] = { names[i], NULL };
		const struct scope *layer = NULL;
		const char *name = NULL;
		struct val *vars = val_dict();
		char *s = NULL;

		if (conn_lookup(&name, &layer, src->sc, one) &&
		    (error = conn_var(&s, src, one)) >= 0 && s &&
		    (error = ssh_args_parse(vars, s, names[i])) >= 0)
			for (size_t j = 0; !error && j < val_len(vars); j++)
				error = check_operator_var(src,
					vars->u.dict.items[j].key, layer);
		if (!error && val_len(vars) && !src->ssh_args)
			src->ssh_args = val_dict();
		for (size_t j = 0; !error && j < val_len(vars); j++) {
			const char *k = vars->u.dict.items[j].key;

			if (!val_dict_get(src->ssh_args, k))
				val_dict_set(src->ssh_args, k, val_ref(
					vars->u.dict.items[j].v));
		}
		val_unref(vars);
		free(s);
	}
	return error;
}

/* Open connection `c` to `name` with the connection vars of `sc`. */
static int conn_open(struct conn *c, const char *name, const struct scope *sc,
		     const struct runstate *rs)
{
	static const char *const v_conn[] = { "ansible_connection", NULL };
	struct conn_src src = { .sc = sc, .rs = rs };
	char *type = NULL;
	int error;

	if (c->t)
		return 0;
	if (c->error)
		return tend_error_set_code(TEND_EUNREACHABLE, "%s", c->error);
	if ((error = conn_var(&type, &src, v_conn)) < 0)
		goto out;
	if (rs->pb->limits.untrusted && transport_on_controller(type)) {
		/* not cached in c->error: each task is refused by name */
		error = tend_error_set_code(TEND_EREFUSED, "refusing to run on "
			"the controller (connection '%s') for an untrusted "
			"source: a plan of it runs only on remote hosts "
			"(--trust-source if you trust the commit)", type);
		free(type);
		return error;
	}
	if (transport_is_ssh(type) && (error = conn_ssh_args(&src)) < 0)
		goto out;
	{
		struct transport_vars v = {
			.inventory_name = name, .basedir = rs->pb->dir,
			.get = scope_conn_var,
			.payload = &src,
		};

		error = transport_open(&c->t, type, &v);
	}
out:
	val_unref(src.ssh_args);
	free(type);
	if (error < 0) {
		c->error = xstrdup(tend_error_last());
		return tend_error_set_code(TEND_EUNREACHABLE, "%s", c->error);
	}
	return 0;
}

int run_host_connect(struct hostctx *hc, const struct scope *sc)
{
	return conn_open(hc->hs->conn, hc->hs->name, sc, hc->pc->rs);
}

int run_host_reconnect(struct transport **out, struct hostctx *hc,
		       const struct scope *sc)
{
	struct conn *c = hc->hs->conn;
	int error;

	if (c->t) {
		c->rt_closed += c->t->round_trips;
		transport_close(c->t);
		c->t = NULL;
	}
	free(c->error);
	c->error = NULL;
	c->told = false;
	if ((error = conn_open(c, hc->hs->name, sc, hc->pc->rs)) < 0)
		return error;
	*out = c->t;
	return 0;
}

static void tell(struct buf *b, struct conn *c)
{
	if (!c->t || !c->t->detail || c->told)
		return;
	c->told = true;
	if (b->len)
		buf_addch(b, '\n');
	buf_adds(b, c->t->detail);
}

char *run_conn_untold(struct hoststate *hs)
{
	struct buf b = BUF_INIT;

	if (hs->conn)
		tell(&b, hs->conn);
	for (size_t i = 0; i < hs->dels_nr; i++)
		tell(&b, &hs->dels[i].conn);
	return b.len ? buf_detach(&b, NULL) : NULL;
}

/* Ansible's C.LOCALHOST: the names of the implicit localhost */
static bool is_localhost(const char *name)
{
	return !strcmp(name, "localhost") || !strcmp(name, "127.0.0.1") ||
	       !strcmp(name, "::1");
}

/* hs's slot in its delegate table for `name`, made if new */
static struct delegate_conn *delegate_slot(struct hoststate *hs,
					   const char *name)
{
	struct delegate_conn *d;

	for (size_t i = 0; i < hs->dels_nr; i++)
		if (!strcmp(hs->dels[i].name, name))
			return &hs->dels[i];
	ALLOC_GROW(hs->dels, hs->dels_nr + 1, hs->dels_alloc);
	d = &hs->dels[hs->dels_nr++];
	memset(d, 0, sizeof(*d));
	d->name = xstrdup(name);
	return d;
}

int run_delegate_connect(struct transport **out, struct hostctx *hc,
			 const char *name)
{
	struct hoststate *hs = hc->hs;
	struct runstate *rs = hc->pc->rs;
	struct delegate_conn *d;
	struct scopes *ss;
	struct host *h;
	struct val *inv = NULL, *implicit = NULL;
	int error;

	d = delegate_slot(hs, name);
	if (d->conn.t) {
		*out = d->conn.t;
		return 0;
	}
	h = inventory_find_host(rs->inv, name);
	if (h)
		inv = inventory_host_vars(rs->inv, h);
	else if (is_localhost(name)) {
		implicit = val_dict();
		val_dict_set_str(implicit, "ansible_connection", "local");
	}
	ss = xmalloc(sizeof(*ss));
	ss->nr = 0;
	run_push_scope(ss, rs->opts->defaults, rs->pb->dir);
	run_push_scope(ss, implicit, NULL);
	run_push_scope(ss, inv, rs->pb->dir);
	run_push_scope(ss, hc->pc->play_vars, NULL);
	run_push_scope(ss, rs->opts->extra_vars, NULL);
	for (size_t i = 0; i < ss->nr; i++)
		ss->s[i].limits = &rs->pb->limits;
	error = conn_open(&d->conn, name, &ss->s[ss->nr - 1], rs);
	free(ss);
	val_unref(inv);
	val_unref(implicit);
	if (error < 0)
		return error;
	*out = d->conn.t;
	return 0;
}

int run_task_connect(struct transport **out, struct hostctx *hc,
		     const struct scope *sc, const char *type)
{
	struct hoststate *hs = hc->hs;
	bool var_set = false;
	struct delegate_conn *d;
	struct scope top;
	struct buf key = BUF_INIT;
	int error;

	/* the play's own connection: keyword is no variable here */
	for (const struct scope *s = sc; s && !var_set; s = s->parent) {
		const struct val *v = val_dict_get(s->vars, "ansible_connection");

		if ((s->vars == hc->pc->play_vars &&
		     hc->pc->play->connection_kw) ||
		    s->kind == SCOPE_CONN_MAGIC)
			continue;
		var_set = v && v->type != VAL_NULL;
	}
	if (var_set) {
		if ((error = run_host_connect(hc, sc)) < 0)
			return error;
		*out = hs->conn->t;
		return 0;
	}
	/* NUL cannot be in a host name: this slot is no delegate's */
	buf_addf(&key, "%c%s", 1, type);
	d = delegate_slot(hs, key.ptr);
	buf_release(&key);
	if (!d->conn.t) {
		struct val *over = val_dict();

		val_dict_set_str(over, "ansible_connection", type);
		top = *sc;
		top.parent = sc;
		top.vars = over;
		error = conn_open(&d->conn, hs->name, &top, hc->pc->rs);
		val_unref(over);
		if (error < 0)
			return error;
	}
	*out = d->conn.t;
	return 0;
}

void run_delegates_close(struct hoststate *hs, unsigned long *rt)
{
	for (size_t i = 0; i < hs->dels_nr; i++) {
		if (hs->dels[i].conn.t) {
			*rt += hs->dels[i].conn.t->round_trips;
			transport_close(hs->dels[i].conn.t);
		}
		free(hs->dels[i].conn.error);
		free(hs->dels[i].name);
	}
	free(hs->dels);
	hs->dels = NULL;
	hs->dels_nr = hs->dels_alloc = 0;
}

static bool env_name_ok(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

/*
 * Ansible's _compute_environment_string: each part rendered, a dict
 * (null and empty parts skipped), later parts over earlier ones.
 */
int run_env_render(struct val **out, const struct hostctx *hc,
		   const struct scope *sc)
{
	struct val *merged = val_dict();
	int error = 0;

	*out = NULL;
	for (size_t i = 0; i < hc->env_nr; i++) {
		const struct val *part = hc->env[i];
		size_t n = part->type == VAL_LIST ? part->u.list.nr : 1;

		for (size_t j = 0; j < n; j++) {
			const struct val *p = part->type == VAL_LIST ?
					      part->u.list.items[j] : part;
			struct val *r = NULL;

			if (val_is(p, VAL_NULL))
				continue;
			if ((error = template_render(&r, p, sc)) < 0) {
				tend_error_prefix("in 'environment'");
				goto fail;
			}
			if (!val_is(r, VAL_DICT) && !val_is(r, VAL_NULL)) {
				error = tend_error_set("'environment' must be a "
					"dict, got a %s", val_type_name(r->type));
				val_unref(r);
				goto fail;
			}
			if (val_is(r, VAL_DICT))
				val_dict_update(merged, r, false);
			val_unref(r);
		}
	}
	for (size_t i = 0; i < merged->u.dict.nr; i++)
		if (!env_name_ok(merged->u.dict.items[i].key)) {
			error = tend_error_set("'%s' in 'environment' is not a "
				"variable name a shell can export",
				merged->u.dict.items[i].key);
			goto fail;
		}
	*out = merged;
	return 0;
fail:
	val_unref(merged);
	return error;
}

void run_env_prelude(struct buf *out, const struct val *env)
{
	for (size_t i = 0; i < val_len(env); i++) {
		const char *k = env->u.dict.items[i].key;
		struct buf v = BUF_INIT;

		/* each value as Python's str() of it, as Ansible's */
		val_to_text(&v, env->u.dict.items[i].v);
		buf_addf(out, "%s=", k);
		sh_quote(out, v.ptr);
		buf_addf(out, "; export %s\n", k);
		buf_release_secret(&v);
	}
}
