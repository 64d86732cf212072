/*
 * Plays: host selection, set-up, serial batches; and run_playbook.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"
#include "tend/data/truth.h"
#include "tend/lang/template.h"
#include "tend/transport/table.h"
#include "tend/data/yaml.h"
#include "tend/util/fs.h"
#include "tend/util/interrupt.h"

#include <pthread.h>
#include <sys/random.h>

/* ---- plays ---- */

static struct conn *conn_for(struct runstate *rs, const char *host)
{
	const struct val *at = val_dict_get(rs->conn_index, host);

	if (!at)
		BUG("no connection slot for '%s'", host);
	return &rs->conns[at->u.i];
}

static void conn_slot(struct runstate *rs, const char *host)
{
	if (val_dict_get(rs->conn_index, host))
		return;
	ALLOC_GROW(rs->conns, rs->conns_nr + 1, rs->conns_alloc);
	memset(&rs->conns[rs->conns_nr], 0, sizeof(struct conn));
	rs->conns[rs->conns_nr].host = xstrdup(host);
	val_dict_set_int(rs->conn_index, host, (long long)rs->conns_nr);
	rs->conns_nr++;
}

/*
 * Keep the hosts of sel that lim holds too, in sel's order. Host names
 * are unique in an inventory, so a dict of lim's names answers "in lim?".
 */
static size_t limit_hosts(struct host **sel, size_t sel_nr,
			  struct host *const *lim, size_t lim_nr)
{
	struct val *in_lim = val_dict();
	size_t keep = 0;

	for (size_t j = 0; j < lim_nr; j++)
		val_dict_set_int(in_lim, lim[j]->name, (long long)j);
	for (size_t i = 0; i < sel_nr; i++) {
		const struct val *j = val_dict_get(in_lim, sel[i]->name);

		if (j && lim[j->u.i] == sel[i])
			sel[keep++] = sel[i];
	}
	val_unref(in_lim);
	return keep;
}

/* Render the play's host pattern(s) with the play and extra vars. */
static int play_pattern(struct buf *out, const struct play *p,
			const struct scope *sc)
{
	struct val *r = NULL;
	int error;

	if ((error = template_render(&r, p->hosts, sc)) < 0)
		return tend_error_prefix("in 'hosts'");
	if (r->type == VAL_LIST) {
		for (size_t i = 0; i < r->u.list.nr; i++) {
			if (i)
				buf_addch(out, ':');
			val_to_str(out, r->u.list.items[i]);
		}
	} else {
		val_to_str(out, r);
	}
	val_unref(r);
	return 0;
}

/*
 * Find vars file `name` as Ansible's path_dwim_relative_stack does for a
 * play: DIR/vars/NAME (unless NAME starts with vars/), then DIR/NAME;
 * an absolute name as it is. 1 with the path in `out`, 0 if none exists.
 */
static int find_vars_file(struct buf *out, const struct runstate *rs,
			  const char *name)
{
	const char *dir = rs->pb->dir, *root = rs->pb->limits.root;
	int found;

	if (name[0] == '/') {
		buf_sets(out, name);
		return fs_exists_beneath(root, name);
	}
	if (strncmp(name, "vars/", 5)) {
		buf_reset(out);
		buf_addf(out, "%s/vars/%s", dir, name);
		if ((found = fs_exists_beneath(root, out->ptr)) != 0)
			return found;
	}
	buf_reset(out);
	buf_addf(out, "%s/%s", dir, name);
	return fs_exists_beneath(root, out->ptr);
}

static int load_vars_file(struct val *play_vars, const struct runstate *rs,
			  const char *path)
{
	struct diags d = DIAGS_INIT;
	struct val *doc = NULL;
	int error = yaml_load_input(&doc, rs->pb->limits.root, path, &d);

	if (error == 0 && doc->type != VAL_DICT && doc->type != VAL_NULL)
		error = tend_error_set("vars file '%s' must hold a dict", path);
	else if (error == TEND_EPARSE)
		error = tend_error_set("%s", d.nr ? d.items[0] :
				       "invalid vars file");
	if (error == 0)
		val_dict_update(play_vars, doc, false);
	val_unref(doc);
	diags_release(&d);
	return error;
}

/*
 * The play's vars_files, rendered with the play's and extra vars: an
 * entry that is a list loads the first of its files that exists (none is
 * an error, as in Ansible); a plain entry's file must exist.
 */
static int load_vars_files(struct val *play_vars, const struct play *p,
			   const struct runstate *rs, const struct scope *sc)
{
	for (size_t i = 0; i < val_len(p->vars_files); i++) {
		const struct val *e = p->vars_files->u.list.items[i];
		size_t n = e->type == VAL_LIST ? val_len(e) : 1;
		struct buf path = BUF_INIT, tried = BUF_INIT;
		int error = 0, found = 0;

		for (size_t j = 0; !error && !found && j < n; j++) {
			struct val *name = NULL;

			error = template_render(&name, e->type == VAL_LIST ?
						e->u.list.items[j] : e, sc);
			if (error < 0) {
				error = tend_error_prefix("in 'vars_files'");
			} else if (!val_cstr(name)) {
				error = tend_error_set("in 'vars_files': a file "
						       "name is a %s, not a "
						       "string", val_type_name(
						       name->type));
			} else {
				buf_addf(&tried, "%s'%s'", tried.len ? ", " :
					 "", val_cstr(name));
				found = find_vars_file(&path, rs,
						       val_cstr(name));
				if (found < 0)
					error = found;
				else if (!found && e->type != VAL_LIST)
					found = 1; /* its load says why */
			}
			val_unref(name);
		}
		if (!error && !found)
			error = tend_error_set_code(TEND_ENOTFOUND, "vars file "
						    "[%s] was not found",
						    tried.ptr);
		if (!error)
			error = load_vars_file(play_vars, rs, path.ptr);
		buf_release(&path);
		buf_release(&tried);
		if (error < 0)
			return error;
	}
	return 0;
}

static void hoststate_release(struct hoststate *hs)
{
	val_unref(hs->inv_vars);
	val_unref(hs->factvars);
	val_unref(hs->incvars);
	val_unref(hs->hostfacts);
	val_unref(hs->magic);
	val_unref(hs->conn_magic);
	val_unref(hs->notified);
	val_unref(hs->inv_changes);
	val_unref(hs->once_result);
	val_unref(hs->failed_result);
	val_unref(hs->facts_out);
	val_unref(hs->unknown_from);
	val_unref(hs->unknown_last);
	run_wipe_secret_text(hs->secret_text);
	free(hs->ev);
}

/* Split hosts into serial batches: a list of sizes. */
static size_t next_batch(const struct val *serial, size_t batch_no,
			 size_t total)
{
	const struct val *v = serial;
	size_t n;

	if (!v)
		return total;
	if (v->type == VAL_LIST && v->u.list.nr) {
		size_t k = batch_no < v->u.list.nr ? batch_no : v->u.list.nr - 1;

		v = v->u.list.items[k];
	}
	if (v->type == VAL_INT) {
		n = v->u.i > 0 ? (size_t)v->u.i : total;
	} else if (val_cstr(v) && strchr(val_cstr(v), '%')) {
		double pct = atof(val_cstr(v));

		n = (size_t)((double)total * pct / 100.0);
	} else if (val_cstr(v)) {
		n = (size_t)atoll(val_cstr(v));
	} else {
		n = total;
	}
	if (n == 0)
		n = 1;
	return n;
}

/*
 * ansible_run_tags (--tags, else ['all']), ansible_skip_tags, and
 * ansible_version: the ansible-core release whose behaviour tend follows
 * (the one its compat suite compares with), for playbooks that test it.
 */
static void play_magic_tags_version(struct val *common,
				    const struct run_opts *o)
{
	struct val *run = val_list(), *ver = val_dict();

	if (o->tags && val_is(o->tags, VAL_LIST) && o->tags->u.list.nr)
		for (size_t i = 0; i < o->tags->u.list.nr; i++)
			val_list_push(run, val_ref((struct val *)
						   val_list_at(o->tags, i)));
	else
		val_list_push(run, val_str("all"));
	val_dict_set(common, "ansible_run_tags", run);
	val_dict_set(common, "ansible_skip_tags",
		     o->skip_tags ? val_ref((struct val *)o->skip_tags) :
				    val_list());
	val_dict_set_str(ver, "string", "2.14.18");
	val_dict_set_str(ver, "full", "2.14.18");
	val_dict_set(ver, "major", val_int(2));
	val_dict_set(ver, "minor", val_int(14));
	val_dict_set(ver, "revision", val_int(18));
	val_dict_set(common, "ansible_version", ver);
}

/*
 * inventory_file and inventory_dir, as Ansible sets them: the real path
 * of the inventory file that defined the host, and its directory; for a
 * host list given to -i, the list itself and the string "None" (what
 * Ansible 2.14 stores there). The implicit
 * localhost has neither.
 */
static void host_magic_inventory(struct val *magic, const struct host *h)
{
	char *abs, *slash;

	if (!h->source)
		return;
	if (h->source_is_list) {
		val_dict_set_str(magic, "inventory_file", h->source);
		val_dict_set_str(magic, "inventory_dir", "None");
		return;
	}
	abs = realpath(h->source, NULL);
	if (!abs)
		abs = xstrdup(h->source);
	val_dict_set_str(magic, "inventory_file", abs);
	slash = strrchr(abs, '/');
	if (slash)
		slash[slash == abs] = '\0';
	val_dict_set_str(magic, "inventory_dir", slash ? abs : ".");
	free(abs);
}

/*
 * What the host keeps from its earlier plays: its facts, include_vars,
 * registered results and set_fact facts (Ansible keeps them for the
 * run), and whether it failed or was unreachable in one (Ansible leaves
 * it out of every later play: it is marked so, and runs nothing).
 */
static void host_carried(struct hoststate *hs, struct runstate *rs)
{
	const struct val *c = run_carried(rs, hs->name);
	const char *down = val_cstr(val_dict_get(rs->down, hs->name));

	if (c) {
		hs->factvars = val_ref(val_dict_get(c, "facts"));
		hs->incvars = val_ref(val_dict_get(c, "incvars"));
		hs->hostfacts = val_ref(val_dict_get(c, "hostfacts"));
		hs->facts_gathered = truth_python(val_dict_get(c, "gathered"));
	} else {
		hs->factvars = val_dict();
		hs->incvars = val_dict();
		/* defined, empty, until facts are gathered (as in Ansible) */
		val_dict_set(hs->factvars, "ansible_facts", val_dict());
		hs->hostfacts = val_dict();
	}
	if (down) {
		hs->was_down = true;
		if (!strcmp(down, "unreachable"))
			hs->unreachable = true;
		else
			hs->failed = true;
	}
}

/* Keep what the host's next play starts from (host_carried). */
static void host_carry(struct runstate *rs, const struct hoststate *hs)
{
	struct val *c;

	if (!hs->factvars)
		return; /* set-up was interrupted */
	c = val_dict();
	val_dict_set(c, "facts", val_ref(hs->factvars));
	val_dict_set(c, "incvars", val_ref(hs->incvars));
	val_dict_set(c, "hostfacts", val_ref(hs->hostfacts));
	val_dict_set_bool(c, "gathered", hs->facts_gathered);
	val_dict_set(rs->carry, hs->name, c);
	if (hs->unreachable)
		val_dict_set_str(rs->down, hs->name, "unreachable");
	else if (hs->failed)
		val_dict_set_str(rs->down, hs->name, "failed");
	else
		val_dict_del(rs->down, hs->name);
}

/*
 * The connection vars Ansible's play context adds to a task's variables
 * where nothing defines them (update_vars, after MAGIC_VARIABLE_MAPPING):
 * each alias of a connection setting the inventory (or ansible.cfg)
 * gives, and the defaults it always has. Not in hostvars, as in Ansible.
 * Left out: the password aliases (secrets), pipelining (ansible.cfg's is
 * not kept), and a play's remote_user keyword.
 */
static struct val *conn_magic(const struct val *inv, const char *name,
			      const struct val *defaults)
{
	static const char *const aliases[][2] = {
		{ "ansible_host", "ansible_ssh_host" },
		{ "ansible_user", "ansible_ssh_user" },
		{ "ansible_port", "ansible_ssh_port" },
		{ "ansible_timeout", "ansible_ssh_timeout" },
		{ "ansible_private_key_file", "ansible_ssh_private_key_file" },
		{ "ansible_pipelining", "ansible_ssh_pipelining" },
	};
	struct val *m = val_dict();

	val_dict_set_str(m, "ansible_connection", "ssh");
	val_dict_set_str(m, "ansible_shell_executable", "/bin/sh");
	val_dict_set_str(m, "ansible_module_compression", "ZIP_DEFLATED");
	val_dict_set_str(m, "ansible_host", name);
	val_dict_set_str(m, "ansible_ssh_host", name);
	val_dict_set_int(m, "ansible_timeout", 10);
	val_dict_set_int(m, "ansible_ssh_timeout", 10);
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++) {
		const struct val *v = NULL;

		for (size_t j = 0; j < 2 && !v; j++)
			v = val_dict_get(inv, aliases[i][j]);
		for (size_t j = 0; j < 2 && !v; j++)
			v = val_dict_get(defaults, aliases[i][j]);
		if (!v)
			continue;
		val_dict_set(m, aliases[i][0], val_ref((struct val *)v));
		val_dict_set(m, aliases[i][1], val_ref((struct val *)v));
	}
	return m;
}

static void host_setup(struct playctx *pc, struct hoststate *hs,
		       struct host *h)
{
	struct runstate *rs = pc->rs;
	char *short_name;

	hs->host = h;
	hs->name = h->name;
	hs->conn = conn_for(rs, hs->name);
	hs->inv_vars = inventory_host_vars(rs->inv, h);
	hs->stats = NO_STATS;
	host_carried(hs, rs);
	hs->notified = val_list();
	hs->inv_changes = val_list();
	hs->secret_text = val_dict();
	hs->magic = val_dict();
	val_dict_set_str(hs->magic, "inventory_hostname", hs->name);
	short_name = xstrndup(hs->name, strcspn(hs->name, "."));
	val_dict_set_str(hs->magic, "inventory_hostname_short", short_name);
	free(short_name);
	val_dict_set(hs->magic, "group_names",
		     inventory_group_names(rs->inv, h));
	host_magic_inventory(hs->magic, h);
	hs->conn_magic = conn_magic(hs->inv_vars, hs->name, rs->opts->defaults);
}

/*
 * hostvars of a host outside the play: its inventory vars, and what it
 * keeps from its earlier plays (facts, registered results).
 */
static struct val *outside_vars(struct runstate *rs, struct host *h)
{
	struct val *v = inventory_host_vars(rs->inv, h);
	const struct val *c = run_carried(rs, h->name);
	static const char *const parts[] = { "facts", "incvars", "hostfacts" };

	for (size_t i = 0; c && i < ARRAY_SIZE(parts); i++)
		val_dict_update(v, val_dict_get(c, parts[i]), false);
	return v;
}

/*
 * The state of each selected host, and the hostvars all of them see.
 * Each step is linear in the hosts; between hosts it checks
 * tend_interrupted, and returns false when set: pc->hs is then set up in
 * part (hoststate_release copes) and no host has stats yet.
 */
static bool play_setup(struct playctx *pc, struct host **sel, size_t sel_nr,
		       struct val *play_hosts, struct val *active)
{
	struct runstate *rs = pc->rs;
	const struct val *lh;

	/* every slot first: growing the array moves it */
	for (size_t i = 0; i < sel_nr; i++) {
		if (tend_interrupted)
			return false;
		conn_slot(rs, sel[i]->name);
	}
	for (size_t i = 0; i < sel_nr; i++) {
		struct hoststate *hs = &pc->hs[i];

		if (tend_interrupted)
			return false;
		host_setup(pc, hs, sel[i]);
		val_list_push(play_hosts, val_str(hs->name));
		if (!hs->was_down)
			val_list_push(active, val_str(hs->name));
		val_dict_set(pc->hostvars, hs->name, run_host_visible_vars(hs));
	}
	/* hosts of the inventory outside this play are visible too */
	for (size_t i = 0; i < rs->inv->hosts_nr; i++) {
		struct host *h = rs->inv->hosts[i];

		if (tend_interrupted)
			return false;
		if (!val_dict_get(pc->hostvars, h->name))
			val_dict_set(pc->hostvars, h->name,
				     outside_vars(rs, h));
	}
	if (!val_dict_get(pc->hostvars, "localhost") &&
	    (lh = run_carried(rs, "localhost")))
		val_dict_set(pc->hostvars, "localhost",
			     run_localhost_vars(rs->inv, lh));
	return !tend_interrupted;
}

/*
 * Whether the batch's hosts all failed in it: Ansible then runs no later
 * batch, nor play. A host that failed in an earlier play is in the batch
 * but not among its failures (Ansible's count), so such a batch never
 * fails whole.
 */
static bool batch_failed_whole(const struct playctx *pc)
{
	size_t fresh = 0;

	for (size_t i = 0; i < pc->nr; i++)
		if ((pc->hs[i].failed || pc->hs[i].unreachable) &&
		    !pc->hs[i].was_down)
			fresh++;
	return pc->nr && fresh == pc->nr;
}

/*
 * Whether --tags / --skip-tags let fact gathering run: as Ansible's, it
 * carries the play's tags, or 'always' when the play has none.
 */
static bool gather_tagged(const struct play *p, const struct run_opts *o)
{
	struct task t = { .tags = p->tags };
	struct val *always = NULL;
	bool yes;

	if (!val_len(p->tags)) {
		always = val_list();
		val_list_push(always, val_str("always"));
		t.tags = always;
	}
	yes = task_matches_tags(&t, o->tags, o->skip_tags);
	val_unref(always);
	return yes;
}

/*
 * Whether the play gathers facts, as ansible.cfg's gathering says:
 * implicit unless it says gather_facts: false, explicit only when it
 * says true; smart as implicit, but only on hosts without facts yet.
 */
static bool play_gathers(const struct play *p, const struct run_opts *o)
{
	if (o->facts.gathering == GATHER_EXPLICIT)
		return p->gather_facts_set && p->gather_facts;
	return p->gather_facts;
}

/* Gather facts on the batch's hosts (smart: those that have none). */
static void gather_step(struct playctx *pc)
{
	size_t *only, n = 0;

	if (pc->rs->opts->facts.gathering != GATHER_SMART) {
		run_step(pc, NULL, false, NULL, 0);
		return;
	}
	only = xcalloc(pc->nr ? pc->nr : 1, sizeof(*only));
	for (size_t i = 0; i < pc->nr; i++)
		if (!pc->hs[i].facts_gathered)
			only[n++] = i;
	if (n)
		run_step(pc, NULL, false, only, n);
	free(only);
}

/* Run the play's sections over its hosts, batch by batch (serial). */
static int play_batches(struct playctx *pc)
{
	const struct play *p = pc->play;
	const struct run_opts *o = pc->rs->opts;
	struct hoststate *all = pc->hs;
	size_t total = pc->nr, done = 0, batch_no = 0;
	int error = 0;

	pc->end_batches = false;
	pc->hs_all = all;
	pc->nr_all = total;
	while (done < total && !tend_interrupted && !pc->end_batches) {
		size_t n = next_batch(p->serial, batch_no++, total - done);
		struct val *batch = val_list();

		if (n > total - done)
			n = total - done;
		pc->hs = all + done;
		pc->nr = n;
		for (size_t i = 0; i < n; i++)
			if (!pc->hs[i].was_down)
				val_list_push(batch, val_str(pc->hs[i].name));
		val_dict_set(pc->common, "ansible_play_batch", batch);
		pc->end_play = false;
		if (o->hooks && o->hooks->batch_start && !o->quiet) {
			const char **names = xcalloc(n, sizeof(*names));

			for (size_t i = 0; i < n; i++)
				names[i] = pc->hs[i].name;
			error = o->hooks->batch_start(p, names, n, batch_no,
						      o->hooks->payload);
			free(names);
			if (error < 0)
				break;
		}
		if (play_gathers(p, o) && gather_tagged(p, o))
			gather_step(pc);
		run_section(pc, &p->pre_tasks);
		run_section(pc, &p->tasks);
		run_section(pc, &p->post_tasks);
		if (o->mode == RUN_PLAN)
			run_probe_step(pc);
		if (o->hooks && o->hooks->batch_end && !o->quiet)
			o->hooks->batch_end(p, o->hooks->payload);
		done += n;
		if (batch_failed_whole(pc) || pc->break_play) {
			pc->break_play = true;
			break;
		}
	}
	pc->hs = all;
	pc->nr = total;
	return error;
}

/*
 * The play keywords that may be templates: strategy, rendered with the
 * play's and the extra vars before the play runs; any_errors_fatal.
 */
static int play_keywords(struct playctx *pc, const struct scope *sc)
{
	const struct play *p = pc->play;
	struct val *r = NULL;
	int error = 0;

	pc->strategy_free = p->strategy_free;
	pc->any_errors_fatal = p->any_errors_fatal;
	if (p->strategy_tpl) {
		if ((error = template_render(&r, p->strategy_tpl, sc)) < 0)
			return tend_error_prefix("in 'strategy'");
		if (val_cstr(r) && !strcmp(val_cstr(r), "free"))
			pc->strategy_free = true;
		else if (!val_cstr(r) || strcmp(val_cstr(r), "linear"))
			error = tend_error_set("expected 'linear' or 'free' for "
					       "'strategy'");
		val_unref(r);
		r = NULL;
		if (!error && pc->strategy_free &&
		    playbook_run_once_task(p))
			error = tend_error_set("'run_once' is not supported "
					       "yet with strategy: free");
		if (error < 0)
			return error;
	}
	/*
	 * Ansible's linear strategy tests the task's inherited value as it
	 * is written, so a template (a non-empty string) counts as true
	 * whatever it renders to; tend does the same.
	 */
	if (p->any_errors_fatal_tpl)
		pc->any_errors_fatal = true;
	return 0;
}

/*
 * The defaults and the vars of every role the play loaded (roles:, their
 * dependencies, import_role), merged in load order: Ansible shows them
 * to every task of the play, pre_tasks included.
 */
static void play_role_vars(struct playctx *pc, const struct play *p)
{
	if (!p->roles_nr)
		return;
	pc->role_defaults = val_dict();
	pc->role_vars = val_dict();
	for (size_t i = 0; i < p->roles_nr; i++) {
		if (!p->roles[i]->play_wide)
			continue;
		val_dict_update(pc->role_defaults, p->roles[i]->defaults,
				false);
		val_dict_update(pc->role_vars, p->roles[i]->vars, false);
	}
}

/*
 * The magic vars naming the play's roles: role_names and
 * ansible_play_role_names the roles of roles: and import_role, in order;
 * ansible_role_names those and their dependencies, each once;
 * ansible_dependent_role_names the dependencies.
 */
static void play_role_names(struct val *common, const struct play *p)
{
	struct val *play = val_list(), *all = val_list(), *deps = val_list();
	struct val *seen = val_dict(), *seen_dep = val_dict();

	for (size_t i = 0; i < p->roles_nr; i++) {
		const struct role *r = p->roles[i];

		if (!r->play_wide)
			continue;
		if (!r->parent)
			val_list_push(play, val_str(r->name));
		if (r->parent && !val_dict_get(seen_dep, r->name)) {
			val_dict_set(seen_dep, r->name, val_null());
			val_list_push(deps, val_str(r->name));
		}
		if (!val_dict_get(seen, r->name)) {
			val_dict_set(seen, r->name, val_null());
			val_list_push(all, val_str(r->name));
		}
	}
	val_dict_set(common, "role_names", val_ref(play));
	val_dict_set(common, "ansible_play_role_names", play);
	val_dict_set(common, "ansible_role_names", all);
	val_dict_set(common, "ansible_dependent_role_names", deps);
	val_unref(seen);
	val_unref(seen_dep);
}

static int hs_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hoststate *)a)->name,
		      ((const struct hoststate *)b)->name);
}

/*
 * The play's `order`: the order its hosts run and are batched in. The
 * play's host lists (ansible_play_hosts...) keep the inventory's, as
 * Ansible's do.
 */
static void play_order(struct playctx *pc)
{
	struct hoststate *hs = pc->hs, tmp;
	size_t nr = pc->nr;
	enum play_order o = pc->play->order;

	if (o == ORDER_SORTED || o == ORDER_REVERSE_SORTED)
		qsort(hs, nr, sizeof(*hs), hs_cmp);
	if (o == ORDER_REVERSE_INVENTORY || o == ORDER_REVERSE_SORTED)
		for (size_t i = 0; i < nr / 2; i++) {
			tmp = hs[i];
			hs[i] = hs[nr - 1 - i];
			hs[nr - 1 - i] = tmp;
		}
	if (o == ORDER_SHUFFLE)
		for (size_t i = nr; i > 1; i--) {
			uint32_t r = 0;
			size_t j;

			if (getrandom(&r, sizeof(r), 0) != sizeof(r))
				r = (uint32_t)rand();
			j = r % i;
			tmp = hs[i - 1];
			hs[i - 1] = hs[j];
			hs[j] = tmp;
		}
}

/*
 * The magic variables every host of the play sees (pc->common): groups,
 * hostvars, the play's hosts (ansible_play_hosts less those that failed
 * in an earlier play, `active`), its name, roles, tags, mode.
 */
static void play_common(struct playctx *pc, struct val *play_hosts,
			struct val *active)
{
	const struct run_opts *o = pc->rs->opts;

	pc->common = val_dict();
	val_dict_set(pc->common, "groups", inventory_groups(pc->rs->inv));
	val_dict_set(pc->common, "hostvars", val_ref(pc->hostvars));
	/* less the hosts that failed in an earlier play */
	val_dict_set(pc->common, "ansible_play_hosts", val_ref(active));
	val_dict_set(pc->common, "ansible_play_hosts_all", val_ref(play_hosts));
	val_dict_set(pc->common, "play_hosts", val_ref(active));
	val_dict_set(pc->common, "ansible_play_name",
		     val_str(pc->play->name ? pc->play->name : ""));
	{
		/* Ansible's is absolute (symlinks resolved here) */
		char *abs = realpath(pc->rs->pb->dir, NULL);

		val_dict_set_str(pc->common, "playbook_dir",
				 abs ? abs : pc->rs->pb->dir);
		free(abs);
	}
	play_role_names(pc->common, pc->play);
	val_dict_set_str(pc->common, "omit", OMIT_TOKEN);
	val_dict_set_bool(pc->common, "ansible_check_mode", o->mode == RUN_PLAN);
	val_dict_set_int(pc->common, "ansible_verbosity", o->verbosity);
	/* the command line's, as Ansible's load_options_vars gives them */
	val_dict_set_bool(pc->common, "ansible_diff_mode", o->diff);
	val_dict_set_int(pc->common, "ansible_forks", o->forks);
	if (o->limit)
		val_dict_set_str(pc->common, "ansible_limit", o->limit);
	val_dict_set_str(pc->common, "ansible_version_full", TEND_VERSION);
	play_magic_tags_version(pc->common, o);
}

/* As Ansible: a play whose hosts match none is skipped, with a warning. */
static void play_matched_nothing(const struct play *p, const char *pattern,
				 const struct run_hooks *h)
{
	struct buf b = BUF_INIT;

	if (p->name && *p->name)
		buf_addf(&b, "play '%s' ", p->name);
	else
		buf_adds(&b, "a play ");
	buf_addf(&b, "skipped: its hosts pattern '%s' matches no host",
		 pattern);
	h->warning(b.ptr, h->payload);
	buf_release(&b);
}

static int run_play(struct runstate *rs, const struct play *p)
{
	struct playctx pc = { .rs = rs, .play = p };
	struct scope base[2];
	struct buf pattern = BUF_INIT;
	struct host **sel = NULL, **lim = NULL;
	size_t sel_nr = 0, lim_nr = 0;
	struct val *play_hosts = NULL, *play_text = NULL, *active = NULL;
	const struct run_opts *o = rs->opts;
	int error = 0;

	pthread_mutex_init(&pc.thr_lock, NULL);
	pthread_cond_init(&pc.thr_cond, NULL);
	pc.play_vars = val_copy(p->vars);
	play_role_vars(&pc, p);
	/* the play's own templates (hosts, vars_files) record secret text */
	play_text = val_dict();
	base[0] = (struct scope){ NULL, pc.play_vars, rs->pb->dir, play_text,
				  &rs->pb->limits, SCOPE_PLAIN };
	base[1] = (struct scope){ &base[0], o->extra_vars, NULL, NULL, NULL, SCOPE_PLAIN };
	if ((error = play_pattern(&pattern, p, &base[1])) < 0 ||
	    (error = play_keywords(&pc, &base[1])) < 0 ||
	    (error = load_vars_files(pc.play_vars, p, rs, &base[1])) < 0 ||
	    (error = inventory_select(&sel, &sel_nr, rs->inv, pattern.ptr)) < 0)
		goto out;
	if (!sel_nr && o->hooks && o->hooks->warning && !o->quiet)
		play_matched_nothing(p, pattern.ptr, o->hooks);
	/* an encrypted vars file's strings (no task runs yet: no reader) */
	run_collect_secrets(rs->secrets, pc.play_vars, false);
	if (o->limit) {
		if ((error = inventory_select(&lim, &lim_nr, rs->inv,
					      o->limit)) < 0)
			goto out;
		sel_nr = limit_hosts(sel, sel_nr, lim, lim_nr);
	}
	if (o->only_hosts) {
		struct val *want = val_dict();
		size_t keep = 0;

		for (size_t i = 0; i < val_len(o->only_hosts); i++)
			val_dict_set(want, val_cstr(val_list_at(o->only_hosts,
							       i)), val_null());
		for (size_t i = 0; i < sel_nr; i++)
			if (val_dict_get(want, sel[i]->name))
				sel[keep++] = sel[i];
		sel_nr = keep;
		val_unref(want);
	}
	if (o->hooks && o->hooks->play_start && !o->quiet)
		o->hooks->play_start(p, sel_nr, o->hooks->payload);
	if (!sel_nr || tend_interrupted)
		goto out;

	pc.hs = xcalloc(sel_nr, sizeof(*pc.hs));
	pc.nr = sel_nr;
	pc.hostvars = val_dict();
	play_hosts = val_list();
	active = val_list();
	if (!play_setup(&pc, sel, sel_nr, play_hosts, active))
		goto out; /* interrupted: run_playbook says so */
	play_order(&pc);
	play_common(&pc, play_hosts, active);
	error = play_batches(&pc);
out:
	if (error < 0) {
		/* what the CLI prints: a vars_files path made of a secret */
		struct val *secrets = run_secret_list(rs, play_text);

		run_scrub_error(secrets);
		val_unref(secrets);
	}
	run_wipe_secret_text(play_text);
	if (pc.break_play)
		rs->stop = true;
	for (size_t i = 0; pc.hs && i < pc.nr; i++) {
		host_carry(rs, &pc.hs[i]);
		run_delegates_close(&pc.hs[i], &rs->res->round_trips);
		hoststate_release(&pc.hs[i]);
	}
	free(pc.hs);
	free(pc.thr);
	pthread_cond_destroy(&pc.thr_cond);
	pthread_mutex_destroy(&pc.thr_lock);
	val_unref(play_hosts);
	val_unref(active);
	val_unref(pc.common);
	val_unref(pc.hostvars);
	val_unref(pc.play_vars);
	val_unref(pc.role_defaults);
	val_unref(pc.role_vars);
	val_unref(pc.role_vars_old);
	for (size_t i = 0; i < pc.rt_roles_nr; i++) {
		free(pc.rt_roles[i].path);
		tasklist_release(&pc.rt_roles[i].tasks);
	}
	free(pc.rt_roles);
	if (pc.rt_play)
		playbook_play_free(pc.rt_play);
	free(sel);
	free(lim);
	buf_release(&pattern);
	return error;
}

int run_playbook(struct run_result *out, const struct playbook *pb,
		 struct inventory *inv, const struct run_opts *opts)
{
	struct runstate rs = { .res = out, .opts = opts, .pb = pb, .inv = inv };
	int error = 0;

	pthread_mutex_init(&rs.lock, NULL);
	pthread_mutex_init(&rs.step_lock, NULL);
	rs.step_said = val_dict();
	rs.conn_index = val_dict();
	rs.stats_index = val_dict();
	/* a run_result may already hold the hosts of earlier playbooks */
	for (size_t i = 0; i < out->hosts_nr; i++)
		val_dict_set_int(rs.stats_index, out->hosts[i].host,
				 (long long)i);
	rs.secrets = val_list();
	if (opts->extra_vars)
		run_collect_secrets(rs.secrets, opts->extra_vars, false);
	/* the command line's connection vars: -K's password is secret */
	if (opts->defaults)
		run_collect_secrets(rs.secrets, opts->defaults, false);
	/*
	 * And those of the inventory and the plays' vars (!vault values,
	 * encrypted group_vars): every output is scrubbed of them too.
	 */
	for (size_t i = 0; i < inv->hosts_nr; i++)
		run_collect_secrets(rs.secrets, inv->hosts[i]->vars, false);
	for (size_t i = 0; i < inv->groups_nr; i++)
		run_collect_secrets(rs.secrets, inv->groups[i]->vars, false);
	for (size_t i = 0; i < pb->nr; i++)
		if (pb->plays[i]->vars)
			run_collect_secrets(rs.secrets, pb->plays[i]->vars,
					    false);
	rs.carry = val_dict();
	rs.down = val_dict();
	rs.warnings = val_list();
	if (run_cache_start(&rs) < 0)
		error = -1;
	for (size_t i = 0; !error && i < pb->nr && !tend_interrupted &&
			   !rs.stop; i++) {
		error = run_play(&rs, pb->plays[i]);
		run_say_warnings(&rs);
	}
	run_say_warnings(&rs);
	val_unref(rs.warnings);
	val_unref(rs.carry);
	val_unref(rs.down);
	for (size_t i = 0; i < rs.conns_nr; i++) {
		out->round_trips += rs.conns[i].rt_closed;
		if (rs.conns[i].t) {
			out->round_trips += rs.conns[i].t->round_trips;
			transport_close(rs.conns[i].t);
		}
		free(rs.conns[i].host);
		free(rs.conns[i].error);
	}
	free(rs.conns);
	val_unref(rs.conn_index);
	val_unref(rs.stats_index);
	for (size_t i = 0; i < rs.incs_nr; i++) {
		free(rs.incs[i].path);
		tasklist_release(&rs.incs[i].tasks);
	}
	free(rs.incs);
	pthread_mutex_destroy(&rs.lock);
	pthread_mutex_destroy(&rs.step_lock);
	val_unref(rs.step_said);
	val_unref(rs.secrets);
	out->interrupted = tend_interrupted != 0;
	return error;
}
