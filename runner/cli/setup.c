#include "tend/common.h"
#include "tend/report/report.h"
#include "tend/engine/job.h"
#include "tend/cli/cli_int.h"
#include "tend/util/fs.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/* Fetch the --repo source and check its commit out (source.h). */
int cli_setup_source(struct cli_args *a)
{
	if (!a->src_opts.url) {
		if (a->src_opts.ref)
			return cli_err("--ref needs --repo");
		return 0;
	}
	if (!a->src_opts.ref)
		return cli_err("--repo needs --ref (a branch, tag or commit id)");
	if (source_fetch(&a->src, &a->src_opts) < 0)
		return cli_err("%s", tend_error_last());
	if (a->src.stale)
		fprintf(stderr, "tend: warning: %s; using the cached commit %.12s "
			"of '%s'\n", a->src.fetch_error, a->src.commit,
			a->src_opts.ref);
	if (a->src.repaired)
		fprintf(stderr, "tend: warning: the cached checkout of commit "
			"%.12s was changed (%s): checked it out again from the "
			"commit\n", a->src.commit, a->src.repaired);
	return 0;
}

int cli_check_trust(struct cli_args *a, bool applies)
{
	const struct source_opts *so = &a->src_opts;

	if (a->untrusted_flag && a->trust_source)
		return cli_err("--untrusted and --trust-source contradict each "
			       "other");
	a->limits.untrusted = a->untrusted_flag ||
		(so->url && !so->verify_signatures && !a->trust_source);
	if (!applies || !a->limits.untrusted)
		return 0;
	if (a->untrusted_flag)
		return cli_err("refusing to apply with --untrusted: an untrusted "
			       "source may only be planned");
	return cli_err("refusing to apply '%s' (ref '%s'): the source is "
		       "untrusted, its commit's signature is not verified; "
		       "check what it runs and pass --trust-source, or verify "
		       "it (--verify-signatures --allowed-signers FILE)",
		       so->url, so->ref ? so->ref : "");
}

/*
 * Where the run may read (util/fs.h): beneath the checkout of a git
 * source; with --untrusted and local playbooks, beneath the current
 * directory (run it from the checkout's top); else anywhere.
 */
static int setup_limits(struct cli_args *a)
{
	if (a->src.dir) {
		a->limits.root = a->src.dir;
	} else if (a->untrusted_flag) {
		a->cwd_root = realpath(".", NULL);
		if (!a->cwd_root)
			return cli_err("cannot resolve the current directory: %s",
				       strerror(errno));
		a->limits.root = a->cwd_root;
	}
	return 0;
}

/* `path` inside the fetched tree; kept in a->src_paths. */
static const char *src_path(struct cli_args *a, const char *path)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/%s", a->src.dir, path);
	a->src_paths = xrealloc(a->src_paths, (a->src_paths_nr + 1) *
				sizeof(*a->src_paths));
	a->src_paths[a->src_paths_nr++] = buf_detach(&b, NULL);
	return a->src_paths[a->src_paths_nr - 1];
}

/*
 * With --repo, playbooks are paths in the fetched tree, and so is -i
 * when the tree has it (else it stays as given: a host list, or a file
 * outside the repository).
 */
int cli_setup_source_paths(struct cli_args *a)
{
	int rc;

	if ((rc = cli_setup_source(a)) || !a->src.dir)
		return rc;
	a->repo_pos = xcalloc(a->pos_nr + 1, sizeof(*a->repo_pos));
	for (size_t i = 0; i < a->pos_nr; i++) {
		if (a->pos[i][0] == '/')
			return cli_err("'%s': with --repo, playbooks are paths in "
				   "the repository", a->pos[i]);
		a->repo_pos[i] = a->pos[i];
		a->pos[i] = src_path(a, a->pos[i]);
	}
	for (size_t i = 0; i < a->inventories_nr; i++) {
		const char *p;

		if (a->inventories[i][0] == '/')
			continue;
		p = src_path(a, a->inventories[i]);
		if (access(p, F_OK) == 0)
			a->inventories[i] = p;
	}
	if (a->inventories_nr)
		a->inventory = a->inventories[0];
	else if (a->inventory && a->inventory[0] != '/' &&
		 access(src_path(a, a->inventory), F_OK) == 0)
		a->inventory = a->src_paths[a->src_paths_nr - 1];
	return 0;
}

/* Whether play p, the n-th (from 1) of the playbooks, is --play's. */
static bool is_chosen(const char *want, size_t n, const struct play *p)
{
	char *end;
	unsigned long k = strtoul(want, &end, 10);

	if (*want >= '0' && *want <= '9' && !*end)
		return k == n;
	return p->name && !strcmp(p->name, want);
}

/*
 * --play N|NAME: keep that one play of the playbooks (counted across
 * them, in the order they run, an imported playbook's plays where it is
 * imported), free the others. tend daemon runs a play's own `schedule:`
 * so. A saved plan covers whole playbooks: no --play with --out or PLAN.
 */
static int choose_play(struct cli_args *a)
{
	size_t n = 0, chosen = 0;

	if (a->out_path || a->plan)
		return cli_err("--play: a saved plan covers whole playbooks "
			       "(no --play with %s)", a->out_path ? "--out" :
			       "a plan file");
	for (size_t i = 0; i < a->pbs_nr; i++)
		for (size_t j = 0; j < a->pbs[i]->nr; j++)
			if (is_chosen(a->play, ++n, a->pbs[i]->plays[j]))
				chosen++;
	if (chosen != 1)
		return cli_err("--play '%s': %s (the playbooks have %zu "
			       "play%s)", a->play, chosen ? "names more than "
			       "one play: give its number" : "no such play",
			       n, n == 1 ? "" : "s");
	n = 0;
	for (size_t i = 0; i < a->pbs_nr; i++) {
		struct playbook *pb = a->pbs[i];
		size_t kept = 0;

		for (size_t j = 0; j < pb->nr; j++) {
			if (is_chosen(a->play, ++n, pb->plays[j]))
				pb->plays[kept++] = pb->plays[j];
			else
				playbook_play_free(pb->plays[j]);
		}
		pb->nr = kept;
	}
	return 0;
}

/* Load every playbook, collecting all problems; print them. */
int cli_setup_playbooks(struct cli_args *a)
{
	struct diags d = DIAGS_INIT;
	int rc = 0;

	if ((rc = cli_setup_source_paths(a)) || (rc = setup_limits(a)))
		return rc;
	if (!a->pos_nr)
		return cli_err("no playbook given");
	a->pbs = xcalloc(a->pos_nr, sizeof(*a->pbs));
	for (size_t i = 0; i < a->pos_nr; i++) {
		int error = playbook_load(&a->pbs[a->pbs_nr], a->pos[i],
					  &a->limits, &d);

		if (error == 0)
			a->pbs_nr++;
		else if (error == TEND_ENOTFOUND || error == TEND_EREFUSED)
			rc = cli_err("%s", tend_error_last());
		else
			rc = EXIT_ERROR;
	}
	cli_diags_print(&d);
	if (d.errors)
		fprintf(stderr, "tend: %zu error%s\n", d.errors,
			d.errors == 1 ? "" : "s");
	diags_release(&d);
	if (!rc && a->play)
		rc = choose_play(a);
	if (!rc && a->start_at_task) {
		/* a saved plan covers whole playbooks, as with --play */
		if (a->out_path || a->plan)
			return cli_err("--start-at-task: a saved plan covers whole "
				       "playbooks (no --start-at-task with %s)",
				       a->out_path ? "--out" : "a plan file");
		if (playbook_start_at(a->pbs, a->pbs_nr, a->start_at_task) < 0)
			rc = cli_err("%s", tend_error_last());
	}
	return rc;
}

/*
 * Every -i (or ansible.cfg's inventory) merged. An inventory inside the
 * checkout is read beneath it; one given outside it (-i /etc/tend/hosts)
 * is the runner's own and read as is. A saved plan binds one inventory.
 */
/* Print and release d; the exit code for `error` (what loaded them). */
static int diags_done(struct diags *d, int error)
{
	cli_diags_print(d);
	diags_release(d);
	if (error == TEND_EPARSE)
		return EXIT_ERROR;
	if (error < 0)
		return cli_err("%s", tend_error_last());
	return 0;
}

int cli_setup_inventory(struct cli_args *a)
{
	struct diags d = DIAGS_INIT;
	const char *root = a->limits.root;
	size_t nr = a->inventories_nr ? a->inventories_nr : !!a->inventory;
	struct inventory_source *srcs = xcalloc(nr + 1, sizeof(*srcs));
	int error;

	if (a->out_path && nr > 1) {
		free(srcs);
		return cli_err("--out: a saved plan binds one inventory; give "
			       "one -i (a directory merges several files)");
	}
	for (size_t i = 0; i < nr; i++) {
		srcs[i].path = a->inventories_nr ? a->inventories[i] :
						   a->inventory;
		srcs[i].root = root && fs_path_is_below(root, srcs[i].path) ?
			       root : NULL;
	}
	error = inventory_load_sources(&a->inv, srcs, nr, &d);
	free(srcs);

	if (error == 0 && a->pbs_nr)
		error = inventory_load_vars_dirs(a->inv, a->pbs[0]->dir, root,
						 &d);
	return diags_done(&d, error);
}

/*
 * A tend.yml found in the checkout at *path. An untrusted source's is not
 * read: it names files (secrets) and URLs of this machine, the state DB's
 * path and the SSH settings; the runner's own (XDG) is used instead. A
 * trusted one must resolve beneath the checkout as every other file.
 */
static int checkout_config(char **path, struct cli_args *a)
{
	if (a->limits.untrusted) {
		fprintf(stderr, "tend: warning: not reading '%s': the source is "
			"untrusted (give the runner's with --config)\n", *path);
		free(*path);
		*path = NULL;
		if (config_find(path, NULL, NULL, NULL) < 0)
			return cli_err("%s", tend_error_last());
		return 0;
	}
	if (fs_exists_beneath(a->limits.root, *path) == TEND_EREFUSED) {
		free(*path);
		*path = NULL;
		return cli_err("tend.yml: %s", tend_error_last());
	}
	return 0;
}

/* Load tend.yml at `path` (NULL: the defaults) into *out: an exit code. */
static int load_config_file(struct config **out, const char *path)
{
	struct diags d = DIAGS_INIT;

	return diags_done(&d, config_load(out, path, &d));
}

/*
 * A git source's checkout may hold a tend.yml, beside the playbook or at
 * its top: its path, or NULL. An untrusted source's is named and not
 * read; a trusted one's must resolve beneath the checkout.
 */
static int checkout_config_path(char **out, struct cli_args *a)
{
	const char *dirs[] = { a->pbs_nr ? a->pbs[0]->dir : NULL,
			       a->src.dir };
	struct buf p = BUF_INIT;

	*out = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !*out; i++) {
		struct stat st;

		if (!dirs[i] || !fs_path_is_below(a->src.dir, dirs[i]))
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/tend.yml", dirs[i]);
		if (lstat(p.ptr, &st) == 0)
			*out = buf_detach(&p, NULL);
	}
	buf_release(&p);
	if (!*out)
		return 0;
	if (a->limits.untrusted) {
		fprintf(stderr, "tend: warning: not reading '%s': the source is "
			"untrusted (the operator's tend.yml alone applies)\n",
			*out);
		free(*out);
		*out = NULL;
	} else if (fs_exists_beneath(a->src.dir, *out) == TEND_EREFUSED) {
		free(*out);
		*out = NULL;
		return cli_err("tend.yml: %s", tend_error_last());
	}
	return 0;
}

/*
 * A git source: the operator's tend.yml (--config, else the current
 * directory up, else XDG), then a trusted checkout's layered on it
 * (config_layer: it only adds windows and providers).
 */
static int load_layered_config(struct config **out, struct cli_args *a)
{
	struct config *over = NULL;
	struct diags d = DIAGS_INIT;
	char *path = NULL, *ck = NULL;
	int rc;

	if (config_find(&path, a->config_path, ".", NULL) < 0)
		return cli_err("%s", tend_error_last());
	if ((rc = checkout_config_path(&ck, a)))
		goto out;
	if (path)
		fprintf(stderr, "tend: using %s as tend.yml\n", path);
	if ((rc = load_config_file(out, path)) || !ck)
		goto out;
	fprintf(stderr, "tend: adding the change windows and maintenance of "
		"%s\n", ck);
	if ((rc = load_config_file(&over, ck)))
		goto out;
	rc = diags_done(&d, config_layer(*out, over, &d));
out:
	config_free(over);
	free(path);
	free(ck);
	return rc;
}

/*
 * tend.yml: --config, else the current directory up to its work tree's
 * root, else beside the playbook, else XDG; or defaults. A git source's
 * checkout adds to it (load_layered_config). The file used is named on
 * stderr, as ansible-playbook names its ansible.cfg.
 */
int cli_load_config(struct config **out, struct cli_args *a)
{
	char *path = NULL;
	const char *dir = a->pbs_nr ? a->pbs[0]->dir : NULL;
	int error, rc;

	if (a->src.dir) {
		if ((rc = load_layered_config(out, a)))
			return rc;
		goto loaded;
	}
	if ((error = config_find(&path, a->config_path, ".", dir)) < 0)
		return cli_err("%s", tend_error_last());
	if (path && !a->config_path && a->limits.root &&
	    fs_path_is_below(a->limits.root, path) &&
	    (rc = checkout_config(&path, a)))
		return rc;
	if (path)
		fprintf(stderr, "tend: using %s as tend.yml\n", path);
	rc = load_config_file(out, path);
	free(path);
	if (rc)
		return rc;
loaded:
	if (!a->state_path && (*out)->state_path)
		a->state_path = (*out)->state_path;
	return 0;
}

/*
 * tend.yml for plan and apply; its ssh: section becomes connection vars
 * of the lowest precedence (inventory and play vars override them), with
 * ansible.cfg's under it and the ANSIBLE_* variables over it (acfg.c).
 */
int cli_setup_config(struct cli_args *a)
{
	static const struct { const char *key, *var; } map[] = {
		{ "user", "ansible_user" },
		{ "key_file", "ansible_ssh_private_key_file" },
		{ "known_hosts", "tend_known_hosts" },
		{ "port", "ansible_port" },
		{ "timeout", "ansible_ssh_timeout" },
		{ "host_key_checking", "host_key_checking" },
		{ "command_timeout", "tend_command_timeout" },
	};
	const struct val *ssh, *forks;
	int rc;

	if ((rc = cli_load_config(&a->cfg, a)))
		return rc;
	ssh = val_dict_get(a->cfg->root, "ssh");
	a->defaults = val_dict();
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		const struct val *v = val_dict_get(ssh, map[i].key);

		if (v)
			val_dict_set(a->defaults, map[i].var,
				     val_ref((struct val *)v));
	}
	/* -c: below every host's own ansible_connection, as Ansible's */
	if (a->connection)
		val_dict_set_str(a->defaults, "ansible_connection",
				 a->connection);
	cli_ansiblecfg_settings(a, true);
	forks = val_dict_get(ssh, "forks");
	if (!a->forks && val_is(forks, VAL_INT) && forks->u.i > 0)
		a->forks = (int)forks->u.i;
	cli_ansiblecfg_settings(a, false);
	/* --ssh-common-args, below a host's (conn.c); -u, --private-key, --timeout */
	if (a->ssh_args)
		val_dict_update(a->defaults, a->ssh_args, false);
	/* -F: the operator's, over any -F of the common args (ssh's -F) */
	if (a->ssh_config)
		val_dict_set_str(a->defaults, "tend_ssh_config", a->ssh_config);
	if (a->remote_user)
		val_dict_set_str(a->defaults, "ansible_user", a->remote_user);
	if (a->private_key)
		val_dict_set_str(a->defaults, "ansible_ssh_private_key_file",
				 a->private_key);
	if (a->conn_timeout)
		val_dict_set_int(a->defaults, "ansible_ssh_timeout",
				 atol(a->conn_timeout));
	return 0;
}

/*
 * The playbooks of a plan as the positional arguments: each playbook's
 * `key` ("path", or "repo_path" for a --repo source). a->pos was sized
 * for argv, and a plan may name more playbooks than that.
 */
static void plan_playbooks(struct cli_args *a, const struct val *plan,
			   const char *key)
{
	const struct val *pbs = val_dict_get(plan, "playbooks");

	free(a->pos);
	a->pos = xcalloc(val_len(pbs) + 1, sizeof(*a->pos));
	a->pos_nr = 0;
	for (size_t i = 0; i < val_len(pbs); i++)
		a->pos[a->pos_nr++] = val_cstr(val_dict_get(val_list_at(pbs, i),
							    key));
}

/*
 * The argument of apply is a saved plan (plan_load checked its schema):
 * take its playbooks, inventory and options, refuse it if too old or if
 * its inputs changed (unless --replan), and get its secrets back from
 * --secrets.
 */
int cli_load_plan(struct cli_args *a)
{
	struct val *plan = NULL, *extra = NULL;
	const struct val *opts;
	long long created;
	int error;

	if (plan_load(&plan, a->pos[0]) < 0)
		return cli_err("%s", tend_error_last());
	/* one hasher for the secrets, inputs and fingerprints: each once */
	a->hasher = plan_hasher(plan);
	/* created_epoch is any int: compare without computing its age */
	created = val_dict_get(plan, "created_epoch")->u.i;
	if (a->max_plan_age &&
	    created < (long long)time(NULL) - a->max_plan_age) {
		val_unref(plan);
		cli_err("the plan '%s' is older than --max-plan-age", a->pos[0]);
		return EXIT_STALE;
	}
	if (val_cstr(val_dict_path(plan, "source.url"))) {
		/* fetch the ref again: apply_plan compares the commit */
		if (!a->src_opts.url) {
			a->src_opts.url = val_cstr(val_dict_path(plan,
							"source.url"));
			a->src_opts.ref = val_cstr(val_dict_path(plan,
							"source.ref"));
		}
		plan_playbooks(a, plan, "repo_path");
		error = 0;
	} else if ((error = plan_check_inputs(plan, a->hasher)) < 0 &&
		   !a->replan) {
		val_unref(plan);
		cli_err("stale plan: %s (make a new plan, or --replan)",
		    tend_error_last());
		return error == TEND_ESTALE ? EXIT_STALE : EXIT_ERROR;
	}
	tend_error_clear();
	if ((error = plan_extra_vars(&extra, plan, a->secrets,
				     a->hasher)) < 0) {
		val_unref(plan);
		cli_err("%s", tend_error_last());
		return error == TEND_ESTALE ? EXIT_STALE : EXIT_ERROR;
	}
	val_unref(a->extra);
	a->extra = extra;
	if (!a->src_opts.url)
		plan_playbooks(a, plan, "path");
	a->inventory = val_cstr(val_dict_path(plan, "inventory.path"));
	a->inventories_nr = 0; /* the plan's, not -i's */
	opts = val_dict_get(plan, "options");
	a->limit = val_cstr(val_dict_get(opts, "limit"));
	val_unref(a->tags);
	val_unref(a->skip_tags);
	a->tags = val_copy(val_dict_get(opts, "tags"));
	a->skip_tags = val_copy(val_dict_get(opts, "skip_tags"));
	a->plan = plan;
	return 0;
}
