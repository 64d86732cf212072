#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/net/sshconfig.h"
#include "tend/modules/registry.h"
#include "tend/cli/cli_int.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static size_t count_tasks(const struct tasklist *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nr; i++) {
		const struct task *t = l->items[i];

		n += t->kind == TASK_BLOCK ? count_tasks(&t->block) +
			count_tasks(&t->rescue) + count_tasks(&t->always) :
			t->kind == TASK_INCLUDE ? count_tasks(&t->included) : 1;
	}
	return n;
}

int cmd_validate(struct cli_args *a)
{
	size_t plays = 0, tasks = 0;
	int rc;

	if (a->inventory && (rc = cli_setup_inventory(a)))
		return rc;
	if (a->ssh_config && strcmp(a->ssh_config, "none")) {
		struct sshconfig cfg;

		sshconfig_init(&cfg);
		rc = sshconfig_read(&cfg, a->ssh_config);
		sshconfig_release(&cfg);
		if (rc < 0)
			return cli_err("%s", tend_error_last()), EXIT_ERROR;
	}
	/* tend.yml as plan would find it: its errors with file:line:col */
	if (!a->cfg && (rc = cli_load_config(&a->cfg, a)))
		return rc;
	for (size_t i = 0; i < a->pbs_nr; i++) {
		const struct playbook *pb = a->pbs[i];

		plays += pb->nr;
		for (size_t j = 0; j < pb->nr; j++) {
			const struct play *p = pb->plays[j];

			tasks += count_tasks(&p->pre_tasks) +
				 count_tasks(&p->tasks) +
				 count_tasks(&p->post_tasks) +
				 count_tasks(&p->handlers);
		}
	}
	printf("ok: %zu playbook%s, %zu play%s, %zu task%s\n", a->pbs_nr,
	       a->pbs_nr == 1 ? "" : "s", plays, plays == 1 ? "" : "s", tasks,
	       tasks == 1 ? "" : "s");
	return EXIT_OK;
}

int cmd_modules(struct cli_args *a)
{
	(void)a;
	for (size_t i = 0; tend_modules[i]; i++)
		printf("%-14s %s\n", tend_modules[i]->name,
		       tend_modules[i]->doc ? tend_modules[i]->doc : "");
	return EXIT_OK;
}

static const char *arg_type_name(enum arg_type t)
{
	static const char *const names[] = {
		[ARG_STR] = "str", [ARG_BOOL] = "bool", [ARG_INT] = "int",
		[ARG_PATH] = "path", [ARG_MODE] = "mode", [ARG_LIST] = "list",
		[ARG_DICT] = "dict", [ARG_ANY] = "any",
	};

	return names[t];
}

/* A titled block of lines, each indented; nothing for NULL. */
static void print_indented(const char *title, const char *text)
{
	if (!text)
		return;
	printf("\n%s:\n", title);
	while (*text) {
		const char *nl = strchr(text, '\n');
		int n = nl ? (int)(nl - text) : (int)strlen(text);

		printf("  %.*s\n", n, text);
		text += n + (nl ? 1 : 0);
	}
}

int cmd_doc(struct cli_args *a)
{
	const struct tend_module *m;
	const struct arg_spec *s;

	if (a->pos_nr != 1)
		return cli_err("usage: tend doc MODULE");
	m = module_find(a->pos[0]);
	if (!m)
		return cli_err("no module named '%s' (see 'tend modules')",
			   a->pos[0]);
	printf("%s: %s\n\n", m->name, m->doc ? m->doc : "");
	for (size_t n = 0; (s = module_arg(m, n)); n++) {
		printf("  %s (%s%s)", strcmp(s->name, "*") ? s->name : "KEY",
		       arg_type_name(s->type),
		       s->flags & ARG_REQUIRED ? ", required" : "");
		if (s->aliases)
			printf(" aliases: %s", s->aliases);
		putchar('\n');
		if (s->doc)
			printf("      %s\n", s->doc);
		if (s->choices) {
			printf("      choices:");
			for (size_t i = 0; s->choices[i]; i++)
				printf("%s %s", i ? "," : "", s->choices[i]);
			putchar('\n');
		}
		if (s->dflt)
			printf("      default: %s\n", s->dflt);
	}
	print_indented("returns", m->returns);
	print_indented("example", m->example);
	return EXIT_OK;
}

int cmd_pull(struct cli_args *a)
{
	int rc;

	if (a->pos_nr)
		return cli_err("usage: tend pull --repo URL --ref REF [--dir DIR]");
	if (!a->src_opts.url)
		return cli_err("tend pull needs --repo URL");
	if ((rc = cli_setup_source(a)))
		return rc;
	printf("commit  %s\nsubject %s\nauthor  %s\n", a->src.commit,
	       a->src.subject, a->src.author);
	if (a->src.signer)
		printf("signer  %s\n", a->src.signer);
	printf("dir     %s\n", a->src.dir);
	return a->src.stale ? EXIT_ERROR : EXIT_OK;
}

/*
 * `tend help keywords`: the play, then the task keywords, one a line,
 * from the tables the loader reads them with (a "not supported yet" one
 * is refused by name when the playbook loads).
 */
int cli_help_keywords(void)
{
	const char *name, *doc;

	for (int play = 1; play >= 0; play--) {
		printf(play ? "Play keywords:\n\n" :
		       "\nTask keywords (blocks and handlers take them too):\n\n");
		for (size_t i = 0;
		     playbook_keyword_doc(play, i, &name, &doc); i++)
			printf("  %-20s %s\n", name, doc ? doc : "");
	}
	return EXIT_OK;
}
