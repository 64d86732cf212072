#include "tend/common.h"
#include "tend/engine/config.h"
#include "tend/util/buf.h"
#include "tend/cli/cli_int.h"

#include <errno.h>
#include <sys/stat.h>

/*
 * The manual pages are printed by the binary from the tables that drive
 * the parser and `tend help`, so that a page cannot name an option the
 * command lacks or miss one it has; make generates them with the freshly
 * built tend (Makefile, `man`).
 */

/*
 * Text as roff: a backslash is \e, a line that would start with a
 * control character gets \& before it, and a dash that starts a word
 * (an option: -i, --limit) is a minus sign, \-, so that it can be
 * searched for and copied.
 */
static void roff_text(FILE *f, const char *s)
{
	bool bol = true;

	for (const char *p = s; *p; p++) {
		if (bol && (*p == '.' || *p == '\''))
			fputs("\\&", f);
		if (*p == '\\')
			fputs("\\e", f);
		else if (*p == '-' && (p == s || p[-1] == ' ' ||
				       p[-1] == '-' || p[-1] == '\n' ||
				       p[-1] == '(' || p[-1] == '['))
			fputs("\\-", f);
		else
			fputc(*p, f);
		bol = *p == '\n';
	}
}

static void roff_line(FILE *f, const char *s)
{
	roff_text(f, s);
	fputc('\n', f);
}

/* The page's header: its name as the title, upper-case. */
static void th(FILE *f, const char *name, int section)
{
	fputs(".TH ", f);
	for (const char *p = name; *p; p++)
		fputc(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, f);
	fprintf(f, " %d \"\" \"tend %s\" \"tend manual\"\n", section,
		TEND_VERSION);
}

/* One option's row: -i, --inventory PATH, then what it does. */
static void man_opt(FILE *f, const struct cli_opt *o)
{
	fputs(".TP\n", f);
	if (o->short_name)
		fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
	fputs("\\fB\\-\\-", f);
	roff_text(f, o->long_name);
	fputs("\\fR", f);
	if (o->arg) {
		fputs(" \\fI", f);
		roff_text(f, o->arg);
		fputs("\\fR", f);
	}
	fputc('\n', f);
	roff_line(f, o->help);
}

/* tend-NAME(1) */
static void man_cmd(FILE *f, const struct cli_cmd *c)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "tend-%s", c->name);
	th(f, b.ptr, 1);
	fputs(".SH NAME\n", f);
	roff_text(f, b.ptr);
	fputs(" \\- ", f);
	roff_line(f, c->summary);
	fputs(".SH SYNOPSIS\n.B tend ", f);
	roff_line(f, c->name);
	if (*c->usage)
		roff_line(f, c->usage);
	fputs(".SH DESCRIPTION\n", f);
	roff_line(f, c->summary);
	if (c->details) {
		fputs(".PP\n.nf\n", f);
		roff_text(f, c->details);
		fputs(".fi\n", f);
	}
	if (c->opts[0].long_name)
		fputs(".SH OPTIONS\n", f);
	for (size_t i = 0; c->opts[i].long_name; i++)
		man_opt(f, &c->opts[i]);
	fputs(".SH SEE ALSO\n.BR tend (1)\n", f);
	buf_release(&b);
}

/* tend(1): the commands, each with its own page. */
static void man_tend(FILE *f, const struct cli_cmd *cmds)
{
	th(f, "tend", 1);
	fputs(".SH NAME\ntend \\- a GitOps infrastructure runner: "
	      "Ansible-syntax playbooks, plan and apply\n"
	      ".SH SYNOPSIS\n.B tend\n.I command\n[\\fIargs\\fR]\n"
	      ".SH DESCRIPTION\n"
	      "tend turns a commit of Ansible-syntax playbooks into converged "
	      "hosts: a plan first (what every task would change, with "
	      "diffs), then an apply inside a maintenance window, every run "
	      "recorded in a state DB.\n"
	      ".PP\nEach command has its own page, \\fBtend\\-\\fIcommand\\fR(1), "
	      "and its help, \\fBtend help \\fIcommand\\fR.\n"
	      ".SH COMMANDS\n", f);
	for (size_t i = 0; cmds[i].name; i++) {
		fputs(".TP\n.B ", f);
		roff_line(f, cmds[i].name);
		roff_line(f, cmds[i].summary);
	}
	fputs(".SH EXIT STATUS\nWhen several apply, the first listed "
	      "wins.\n", f);
	for (size_t i = 0; cli_exit_codes[i].meaning; i++) {
		fprintf(f, ".TP\n.B %d\n", cli_exit_codes[i].code);
		roff_line(f, cli_exit_codes[i].meaning);
	}
	fputs(".SH ENVIRONMENT\n"
	      ".TP\n.B TEND_CONFIG\nthe tend.yml to read when no "
	      "\\fB\\-\\-config\\fR is given\n"
	      ".TP\n.B XDG_STATE_HOME\nthe state DB is "
	      "\\fI$XDG_STATE_HOME/tend/tend.db\\fR by default\n"
	      ".TP\n.B XDG_CONFIG_HOME\n\\fI$XDG_CONFIG_HOME/tend/tend.yml\\fR "
	      "is the last place tend.yml is looked for\n"
	      ".SH SEE ALSO\n", f);
	for (size_t i = 0; cmds[i].name; i++)
		fprintf(f, ".BR tend\\-%s (1),\n", cmds[i].name);
	fputs(".BR tend.yml (5),\n.BR ansible\\-playbook (1)\n", f);
}

/* tend.yml(5): its sections and the keys the checker accepts. */
static void man_config(FILE *f)
{
	const struct config_section *s = config_sections();

	th(f, "tend.yml", 5);
	fputs(".nh\n", f);
	fputs(".SH NAME\ntend.yml \\- the configuration of tend\n"
	      ".SH DESCRIPTION\n"
	      "\\fBtend plan\\fR, \\fBtend apply\\fR and \\fBtend "
	      "validate\\fR read it from \\fB\\-\\-config\\fR \\fIPATH\\fR, "
	      "else \\fB$TEND_CONFIG\\fR, else \\fItend.yml\\fR in the "
	      "current directory or the nearest parent up to its git work "
	      "tree's root, else beside the playbook, else "
	      "\\fI$XDG_CONFIG_HOME/tend/tend.yml\\fR; the run names the file "
	      "it used. No file at all is fine, every setting has a default. "
	      "\\fBtend daemon\\fR takes it with \\fB\\-\\-config\\fR.\n"
	      ".PP\nEvery key is checked: an unknown key anywhere is an "
	      "error that names its line and column, and a file with errors "
	      "is refused whole. Secrets are never written inline: a secret "
	      "setting \\fIX\\fR is given as \\fIX\\fB_file\\fR (a file "
	      "holding it) or \\fIX\\fB_env\\fR (the name of an environment "
	      "variable).\n"
	      ".PP\nDurations are 30s, 5m, 2h, 1d, or a number of seconds.\n"
	      ".SH SECTIONS\n", f);
	for (size_t i = 0; s[i].name; i++) {
		fputs(".SS ", f);
		roff_line(f, s[i].name);
		roff_line(f, s[i].what);
		fputs(".PP\nkeys:\n", f);
		for (size_t k = 0; s[i].keys[k]; k++) {
			fputs(".B ", f);
			roff_text(f, s[i].keys[k]);
			fputs(s[i].keys[k + 1] ? "\n" : "\n.PP\n", f);
		}
	}
	fputs(".SH FILES\n.TP\n.I /etc/tend/tend.yml\n"
	      "the daemon's, under systemd (tend.service)\n"
	      ".SH SEE ALSO\n.BR tend (1),\n.BR tend\\-daemon (1)\n.PP\n"
	      "docs/config.md, docs/windows.md and docs/daemon.md, installed "
	      "with tend's documentation, say what each key means.\n", f);
}

int cli_help_config(void)
{
	const struct config_section *s = config_sections();

	puts("tend.yml: the sections and their keys (tend.yml(5), "
	     "docs/config.md)\n");
	for (size_t i = 0; s[i].name; i++) {
		printf("%s: %s\n ", s[i].name, s[i].what);
		for (size_t k = 0; s[i].keys[k]; k++)
			printf(" %s", s[i].keys[k]);
		putchar('\n');
	}
	return EXIT_OK;
}

int cli_man(FILE *f, const struct cli_cmd *cmds, const char *topic)
{
	if (!topic) {
		man_tend(f, cmds);
		return EXIT_OK;
	}
	if (!strcmp(topic, "tend.yml")) {
		man_config(f);
		return EXIT_OK;
	}
	for (size_t i = 0; cmds[i].name; i++)
		if (!strcmp(cmds[i].name, topic)) {
			man_cmd(f, &cmds[i]);
			return EXIT_OK;
		}
	return cli_err("no manual page for '%s': a command, or tend.yml",
		       topic);
}

/* One page into dir/file: written whole (temp, then rename) or not at all. */
static int write_page(const struct cli_cmd *cmds, const char *dir,
		      const char *file, const char *topic)
{
	struct buf path = BUF_INIT, tmp = BUF_INIT;
	FILE *f;
	int rc = EXIT_OK;

	buf_addf(&path, "%s/%s", dir, file);
	buf_addf(&tmp, "%s.tmp", path.ptr);
	if (!(f = fopen(tmp.ptr, "w"))) {
		rc = cli_err("cannot write '%s': %s", tmp.ptr, strerror(errno));
		goto out;
	}
	cli_man(f, cmds, topic);
	if ((fclose(f) || rename(tmp.ptr, path.ptr)) && !rc)
		rc = cli_err("cannot write '%s': %s", path.ptr,
			     strerror(errno));
	if (!rc)
		printf("%s\n", file);
out:
	buf_release(&path);
	buf_release(&tmp);
	return rc;
}

int cli_man_dir(const struct cli_cmd *cmds, const char *dir)
{
	struct buf file = BUF_INIT;
	int rc;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return cli_err("cannot create '%s': %s", dir, strerror(errno));
	rc = write_page(cmds, dir, "tend.1", NULL);
	for (size_t i = 0; !rc && cmds[i].name; i++) {
		buf_setlen(&file, 0);
		buf_addf(&file, "tend-%s.1", cmds[i].name);
		rc = write_page(cmds, dir, file.ptr, cmds[i].name);
	}
	if (!rc)
		rc = write_page(cmds, dir, "tend.yml.5", "tend.yml");
	buf_release(&file);
	return rc;
}
