#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/lang/template.h"
#include "tend/cli/cli_int.h"

/*
 * ansible-playbook's --syntax-check, --list-hosts, --list-tasks and
 * --list-tags, with its output's shape (ansible/cli/playbook.py): they
 * load the playbooks and the inventory, print, and touch no host. Where
 * Ansible prints a Python set (a play's tags, its hosts), the order here
 * is fixed: tags sorted, hosts in inventory order.
 */

/* Python's repr() of a str, as a list of patterns prints. */
static void py_repr(struct buf *out, const char *s)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';

	buf_addch(out, q);
	for (; *s; s++) {
		if (*s == '\\' || *s == q)
			buf_addch(out, '\\');
		buf_addch(out, *s);
	}
	buf_addch(out, q);
}

/*
 * A play's host patterns as a list (hosts: is a string or a list),
 * rendered with the play's vars and -e as a run renders them.
 */
static int play_patterns(struct val **out, const struct cli_args *a,
			 const struct playbook *pb, const struct play *p)
{
	const struct scope base = { NULL, p->vars, pb->dir, NULL,
				    &pb->limits, SCOPE_PLAIN };
	const struct scope sc = { &base, a->extra, NULL, NULL, NULL, SCOPE_PLAIN };
	struct val *r = NULL, *l = val_list();

	if (template_render(&r, p->hosts, &sc) < 0) {
		val_unref(l);
		return cli_err("%s:%u:%u: in 'hosts': %s", p->pos.file,
			       p->pos.line, p->pos.col, tend_error_last());
	}
	for (size_t i = 0; i < (r->type == VAL_LIST ? val_len(r) : 1); i++) {
		struct buf b = BUF_INIT;

		val_to_str(&b, r->type == VAL_LIST ? val_list_at(r, i) : r);
		val_list_push(l, val_str(b.ptr));
		buf_release(&b);
	}
	val_unref(r);
	*out = l;
	return 0;
}

/* Add the strings of list `from` to the sorted, unique list `into`. */
static void add_tags(struct val *into, const struct val *from)
{
	for (size_t i = 0; i < val_len(from); i++) {
		const char *t = val_cstr(val_list_at(from, i));
		size_t at = 0;

		if (!t)
			continue;
		while (at < val_len(into) &&
		       strcmp(val_cstr(val_list_at(into, at)), t) < 0)
			at++;
		if (at < val_len(into) &&
		    !strcmp(val_cstr(val_list_at(into, at)), t))
			continue;
		/* appended, then moved back to its sorted place */
		val_list_push(into, val_str(t));
		for (size_t k = val_len(into) - 1; k > at; k--) {
			struct val *tmp = into->u.list.items[k];

			into->u.list.items[k] = into->u.list.items[k - 1];
			into->u.list.items[k - 1] = tmp;
		}
	}
}

static void print_tags(struct buf *out, const struct val *tags,
		       const char *sep)
{
	buf_adds(out, "\tTAGS: [");
	for (size_t i = 0; i < val_len(tags); i++)
		buf_addf(out, "%s%s", i ? sep : "",
			 val_cstr(val_list_at(tags, i)));
	buf_addch(out, ']');
}

struct listing {
	const struct cli_args *a;
	const struct play *play;
	struct val *all_tags;  /* the tags of the tasks listed */
	struct buf tasks;      /* --list-tasks' lines */
};

static void list_tasks(struct listing *l, const struct tasklist *tl);

/*
 * One task as Ansible's play.compile() gives it: blocks, imports and a
 * play's roles (static) are opened; a dynamic include is one task.
 */
static void list_task(struct listing *l, const struct task *t)
{
	struct val *tags;

	/* Ansible lists a block's tasks, not its rescue or always */
	if (t->kind == TASK_BLOCK) {
		list_tasks(l, &t->block);
		return;
	}
	if ((t->kind == TASK_INCLUDE || t->kind == TASK_ROLE) &&
	    t->include_static && strncmp(t->action, "include_", 8) &&
	    !strstr(t->action, ".include_")) {
		list_tasks(l, &t->included);
		return;
	}
	if (!task_matches_tags(t, l->a->tags, l->a->skip_tags))
		return;
	add_tags(l->all_tags, t->tags);
	if (!(l->a->list & LIST_TASKS))
		return;
	tags = val_list();
	add_tags(tags, l->play->tags);
	add_tags(tags, t->tags);
	if (t->name && t->role)
		buf_addf(&l->tasks, "      %s : %s", t->role->name, t->name);
	else
		buf_addf(&l->tasks, "      %s", t->name ? t->name : t->action);
	print_tags(&l->tasks, tags, ", ");
	buf_addch(&l->tasks, '\n');
	val_unref(tags);
}

static void list_tasks(struct listing *l, const struct tasklist *tl)
{
	for (size_t i = 0; i < tl->nr; i++)
		list_task(l, tl->items[i]);
}

/* The play's hosts (with --limit), one a line. */
static int list_hosts(struct buf *out, const struct cli_args *a,
		      const struct val *pats)
{
	struct host **hs = NULL, **lim = NULL;
	size_t nr = 0, lim_nr = 0, kept = 0;
	struct buf pattern = BUF_INIT;

	/* a list's patterns as the run joins them (engine/play.c) */
	for (size_t i = 0; i < val_len(pats); i++)
		buf_addf(&pattern, "%s%s", i ? ":" : "",
			 val_cstr(val_list_at(pats, i)));
	if (inventory_select(&hs, &nr, a->inv, pattern.ptr) < 0 ||
	    (a->limit && inventory_select(&lim, &lim_nr, a->inv,
					  a->limit) < 0)) {
		free(hs);
		buf_release(&pattern);
		return cli_err("%s", tend_error_last());
	}
	for (size_t i = 0; i < nr; i++) {
		bool in = !a->limit;

		for (size_t j = 0; j < lim_nr && !in; j++)
			in = lim[j] == hs[i];
		if (in)
			hs[kept++] = hs[i];
	}
	buf_adds(out, "\n    pattern: [");
	for (size_t i = 0; i < val_len(pats); i++) {
		if (i)
			buf_adds(out, ", ");
		py_repr(out, val_cstr(val_list_at(pats, i)));
	}
	buf_addf(out, "]\n    hosts (%zu):", kept);
	for (size_t i = 0; i < kept; i++)
		buf_addf(out, "\n      %s", hs[i]->name);
	free(hs);
	free(lim);
	buf_release(&pattern);
	return 0;
}

static int list_play(const struct cli_args *a, const struct playbook *pb,
		     size_t n, const struct play *p)
{
	struct listing l = { a, p, NULL, BUF_INIT };
	struct val *pats = NULL, *tags;
	struct buf msg = BUF_INIT, joined = BUF_INIT;
	int rc;

	if ((rc = play_patterns(&pats, a, pb, p)))
		return rc;
	l.all_tags = val_list();
	tags = val_list();

	for (size_t i = 0; i < val_len(pats); i++)
		buf_addf(&joined, "%s%s", i ? "," : "",
			 val_cstr(val_list_at(pats, i)));
	add_tags(tags, p->tags);
	buf_addf(&msg, "\n  play #%zu (%s): %s", n, joined.ptr,
		 p->name ? p->name : joined.ptr);
	print_tags(&msg, tags, ",");
	if ((a->list & LIST_HOSTS) && (rc = list_hosts(&msg, a, pats)))
		goto out;
	printf("%s\n", msg.ptr);
	if (a->list & (LIST_TASKS | LIST_TAGS)) {
		if (a->list & LIST_TASKS)
			buf_adds(&l.tasks, "    tasks:\n");
		list_tasks(&l, &p->pre_tasks);
		list_tasks(&l, &p->tasks);
		list_tasks(&l, &p->post_tasks);
		if (a->list & LIST_TAGS) {
			add_tags(tags, l.all_tags);
			buf_adds(&l.tasks, "      TASK TAGS: [");
			for (size_t i = 0; i < val_len(tags); i++)
				buf_addf(&l.tasks, "%s%s", i ? ", " : "",
					 val_cstr(val_list_at(tags, i)));
			buf_adds(&l.tasks, "]\n");
		}
		/* Ansible's display() ends a message with one newline */
		printf("%s%s", l.tasks.ptr, buf_ends_with(&l.tasks, "\n") ?
		       "" : "\n");
	}
out:
	val_unref(l.all_tags);
	val_unref(pats);
	val_unref(tags);
	buf_release(&l.tasks);
	buf_release(&msg);
	buf_release(&joined);
	return rc;
}

int cli_list(struct cli_args *a)
{
	int rc;

	for (size_t i = 0; i < a->pbs_nr; i++) {
		printf("\nplaybook: %s\n", a->repo_pos ? a->repo_pos[i] :
		       a->pos[i]);
		if (!(a->list & ~LIST_SYNTAX))
			continue;
		for (size_t j = 0; j < a->pbs[i]->nr; j++)
			if ((rc = list_play(a, a->pbs[i], j + 1,
					    a->pbs[i]->plays[j])))
				return rc;
	}
	return EXIT_OK;
}
