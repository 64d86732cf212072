#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/apt.h"
#include "tend/util/quote.h"
#include <ctype.h>

/*
 * apt_repository: one-line APT sources ("deb URI SUITE COMPONENTS"), as
 * Ansible 2.14's apt_repository keeps them: it reads
 * /etc/apt/sources.list and the .list files of /etc/apt/sources.list.d (deb822
 * .sources files are not its business), finds the line wherever it is
 * (enabling a commented-out copy), or appends it to
 * sources.list.d/NAME.list, NAME made of the URI's host and path
 * ("deb http://deb.example.com/debian x main" ->
 * deb_example_com_debian.list) unless `filename` says; absent removes
 * every enabled copy and a file left empty. Then apt-get update.
 *
 * The probe prints every such file (one round trip); the judge parses
 * them as Ansible does and plans each file whose text changes. Only
 * those files are written (Ansible rewrites every file it read, its
 * whitespace normalised).
 */

#define SOURCES_DIR "/etc/apt/sources.list.d"

static const char *const repo_states[] = { "present", "absent", NULL };

static const struct arg_spec repo_args[] = {
	{ "repo", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "the source line: deb [OPTIONS] URI SUITE [COMPONENT...] (or "
	  "deb-src); ppa: is refused" },
	{ "state", ARG_STR, 0, NULL, repo_states, "present",
	  "present or absent" },
	{ "mode", ARG_MODE, 0, NULL, NULL, NULL,
	  "the mode of the file the line is added to (a new one: 0644)" },
	{ "update_cache", ARG_BOOL, 0, "update-cache", NULL, "yes",
	  "apt-get update after a change" },
	{ "update_cache_retries", ARG_INT, 0, NULL, NULL, "5",
	  "attempts at the update" },
	{ "update_cache_retry_max_delay", ARG_INT, 0, NULL, NULL, "12",
	  "the longest wait between attempts (seconds)" },
	{ "filename", ARG_STR, 0, NULL, NULL, NULL,
	  "the file to add to: NAME for sources.list.d/NAME.list (a path "
	  "with a slash: PATH.list)" },
	{ "codename", ARG_STR, 0, NULL, NULL, NULL,
	  "accepted (used by Ansible for ppa: only)" },
	{ "install_python_apt", ARG_BOOL, 0, NULL, NULL, "yes",
	  "accepted: tend needs no python3-apt" },
	{ "validate_certs", ARG_BOOL, 0, NULL, NULL, "yes",
	  "accepted (used by Ansible for ppa: only)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* one line as Ansible's SourcesList._parse sees it */
struct src_line {
	bool valid, enabled;
	char *source;
	char *comment;
};

struct src_file {
	char *path;
	unsigned int mode;
	bool exists;
	struct src_line *lines;
	size_t n, alloc;
	struct buf before;   /* Ansible's dump of it as read */
	struct buf after;    /* and once changed */
	bool added;          /* the line was appended here */
};

struct repo_plan {
	struct src_file *files;
	size_t n, alloc;
};

static void repo_plan_free(void *p)
{
	struct repo_plan *g = p;

	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		struct src_file *f = &g->files[i];

		for (size_t j = 0; j < f->n; j++) {
			free(f->lines[j].source);
			free(f->lines[j].comment);
		}
		free(f->lines);
		free(f->path);
		buf_release(&f->before);
		buf_release(&f->after);
	}
	free(g->files);
	free(g);
}

static char *strip(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

static void parse_line(struct src_line *l, const char *s, size_t len)
{
	char *line = strip(s, len), *p = line, *hash;
	struct buf words = BUF_INIT;

	memset(l, 0, sizeof(*l));
	l->enabled = true;
	if (*p == '#') {
		l->enabled = false;
		p++;
	}
	hash = strchr(p, '#');
	if (hash && hash > p) {
		l->comment = strip(hash + 1, strlen(hash + 1));
		*hash = '\0';
	}
	l->source = strip(p, strlen(p));
	if (*l->source) {
		/* whitespace collapsed: "deb  x" and "deb x" are one source */
		for (char *w = l->source; *w; ) {
			size_t n = strcspn(w, " \t\r\f\v");

			if (n) {
				if (words.len)
					buf_addch(&words, ' ');
				buf_add(&words, w, n);
			}
			w += n;
			w += strspn(w, " \t\r\f\v");
		}
		if (!strncmp(words.ptr, "deb ", 4) ||
		    !strncmp(words.ptr, "deb-src ", 8) ||
		    !strcmp(words.ptr, "deb") || !strcmp(words.ptr, "deb-src")) {
			l->valid = true;
			free(l->source);
			l->source = buf_detach(&words, NULL);
		}
	}
	buf_release(&words);
	free(line);
}

/* Ansible's dump of one file's lines */
static void dump(struct buf *out, const struct src_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct src_line *l = &f->lines[i];

		if (!l->enabled)
			buf_adds(out, "# ");
		buf_adds(out, l->source);
		if (l->comment && *l->comment)
			buf_addf(out, " # %s", l->comment);
		buf_addch(out, '\n');
	}
}

static void file_add_line(struct src_file *f, const char *s, size_t len)
{
	ALLOC_GROW(f->lines, f->n + 1, f->alloc);
	parse_line(&f->lines[f->n++], s, len);
}

static struct src_file *plan_file(struct repo_plan *g, const char *path,
				  size_t plen)
{
	struct src_file *f;

	for (size_t i = 0; i < g->n; i++)
		if (strlen(g->files[i].path) == plen &&
		    !memcmp(g->files[i].path, path, plen))
			return &g->files[i];
	ALLOC_GROW(g->files, g->n + 1, g->alloc);
	f = &g->files[g->n++];
	memset(f, 0, sizeof(*f));
	f->path = xstrndup(path, plen);
	f->mode = 0644;
	buf_init(&f->before, 0);
	buf_init(&f->after, 0);
	return f;
}

static int repo_probe(struct probe *out, const struct task_ctx *ctx)
{
	(void)ctx;
	buf_adds(&out->script,
		 "LC_ALL=C; export LC_ALL\n"
		 "for f in /etc/apt/sources.list " SOURCES_DIR "/*.list; do\n"
		 "\t[ -f \"$f\" ] || continue\n"
		 "\tprintf 'file:%s\\n%s\\n' \"${#f}\" \"$f\"\n"
		 "\techo \"mode $(stat -c %a \"$f\")\"\n"
		 "\tx=$(cat \"$f\"; echo x) || exit 1\n"
		 "\tx=${x%x}\n"
		 "\tprintf 'text:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "done\n");
	return 0;
}

static int read_files(struct repo_plan *g, const struct buf *out)
{
	struct src_file *f = NULL;
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		if (rec_is(&r, "file")) {
			f = plan_file(g, r.val, r.len);
			f->exists = true;
		} else if (f && rec_is(&r, "mode")) {
			f->mode = (unsigned int)strtoul(r.val, NULL, 8);
		} else if (f && rec_is(&r, "text")) {
			for (const char *s = r.val, *end = r.val + r.len; s < end; ) {
				const char *nl = memchr(s, '\n', (size_t)(end - s));
				size_t len = (size_t)((nl ? nl : end) - s);

				file_add_line(f, s, len);
				s += len + (nl != NULL);
			}
			dump(&f->before, f);
		}
	}
	return n;
}

/* Ansible's _suggest_filename: the URI's host and path, as NAME.list */
static void suggest_filename(struct buf *out, const struct task_ctx *ctx,
			     const char *source)
{
	const char *name = arg_str(ctx, "filename");
	struct buf b = BUF_INIT, w = BUF_INIT;
	const char *s = source, *first = NULL, *at;
	size_t flen = 0;

	if (name) {
		if (!strchr(name, '/'))
			buf_adds(out, SOURCES_DIR "/");
		buf_addf(out, "%s.list", name);
		return;
	}
	/* options dropped, then the scheme, then the source type */
	for (; *s; s++) {
		if (*s == '[' && strchr(s, ']') && strchr(s, ']') > s + 1) {
			s = strchr(s, ']');
			continue;
		}
		buf_addch(&b, *s);
	}
	for (const char *p = b.ptr; *p; ) {
		size_t n = strcspn(p, " ");
		const char *tok = p;

		p += n + (p[n] == ' ');
		if (!n || (n == 3 && !memcmp(tok, "deb", 3)) ||
		    (n == 7 && !memcmp(tok, "deb-src", 7)))
			continue;
		first = tok;
		flen = n;
		break;
	}
	if (first) {
		const char *sch = NULL;

		for (const char *p = first; p + 2 < first + flen; p++)
			if (!memcmp(p, "://", 3)) {
				sch = p;
				break;
			}
		if (sch) {
			const char *q = sch;

			while (q > first && (isalnum((unsigned char)q[-1]) ||
					     q[-1] == '_'))
				q--;
			buf_add(&w, first, (size_t)(q - first));
			buf_add(&w, sch + 3, flen - (size_t)(sch + 3 - first));
		} else {
			buf_add(&w, first, flen);
		}
	}
	at = strchr(w.ptr, '@');
	s = at ? at + 1 : w.ptr;
	buf_adds(out, SOURCES_DIR "/");
	{
		bool gap = false, any = false;

		for (; *s; s++) {
			if (isalnum((unsigned char)*s)) {
				if (gap && any)
					buf_addch(out, '_');
				buf_addch(out, *s);
				gap = false;
				any = true;
			} else {
				gap = true;
			}
		}
	}
	buf_adds(out, ".list");
	buf_release(&b);
	buf_release(&w);
}

/* present: enable every copy of the line, or append it to its file */
static void add_source(struct repo_plan *g, const struct task_ctx *ctx,
		       const struct src_line *nl, struct buf *changes)
{
	struct buf path = BUF_INIT;
	struct src_file *f;
	bool found = false;

	for (size_t i = 0; i < g->n; i++)
		for (size_t j = 0; j < g->files[i].n; j++) {
			struct src_line *l = &g->files[i].lines[j];

			if (!l->valid || strcmp(l->source, nl->source))
				continue;
			found = true;
			if (!l->enabled)
				buf_addf(changes, "enable in %s: %s\n",
					 g->files[i].path, nl->source);
			l->enabled = true;
		}
	if (found)
		return;
	suggest_filename(&path, ctx, nl->source);
	f = plan_file(g, path.ptr, path.len);
	f->added = true;
	file_add_line(f, nl->source, strlen(nl->source));
	buf_addf(changes, "add to %s: %s\n", f->path, nl->source);
	buf_release(&path);
}

/* absent: every enabled copy goes (not commented out: removed) */
static void remove_source(struct repo_plan *g, const struct src_line *nl,
			  struct buf *changes)
{
	for (size_t i = 0; i < g->n; i++) {
		struct src_file *f = &g->files[i];
		size_t k = 0;

		for (size_t j = 0; j < f->n; j++) {
			struct src_line *l = &f->lines[j];

			if (l->valid && l->enabled && !strcmp(l->source, nl->source)) {
				buf_addf(changes, "remove from %s: %s\n", f->path,
					 nl->source);
				free(l->source);
				free(l->comment);
				continue;
			}
			f->lines[k++] = *l;
		}
		f->n = k;
		if (!k && f->exists)
			buf_addf(changes, "delete %s (no line left)\n", f->path);
	}
}

static int repo_judge(struct check_result *out, const struct task_ctx *ctx,
		      struct probe *p, const struct exec_result *res)
{
	struct repo_plan *g = xcalloc(1, sizeof(*g));
	const char *repo = arg_str(ctx, "repo");
	const char *state = arg_str(ctx, "state");
	struct src_line nl;
	int error;

	(void)p;
	out->priv = g;
	out->priv_free = repo_plan_free;
	parse_line(&nl, repo, strlen(repo));
	if (!nl.valid || !nl.enabled) {
		error = tend_error_set("Invalid repository string: %s", repo);
		goto out;
	}
	if (res->status) {
		struct buf e = BUF_INIT;

		buf_addbuf(&e, &res->err);
		buf_trim(&e);
		error = tend_error_set("%s", e.len ? e.ptr :
				       "cannot read the APT sources");
		buf_release(&e);
		goto out;
	}
	if ((error = read_files(g, &res->out)) < 0)
		goto out;
	if (state && !strcmp(state, "absent"))
		remove_source(g, &nl, &out->changes);
	else
		add_source(g, ctx, &nl, &out->changes);
	for (size_t i = 0; i < g->n; i++)
		dump(&g->files[i].after, &g->files[i]);
	out->status = out->changes.len ? CHECK_CHANGE : CHECK_OK;
	out->result = val_dict();
	val_dict_set_str(out->result, "repo", repo);
	val_dict_set_str(out->result, "state", state ? state : "present");
out:
	free(nl.source);
	free(nl.comment);
	return error;
}

/* one file, through stdin into a temp file beside it, renamed */
static int write_file(const struct task_ctx *ctx, const struct src_file *f)
{
	const struct val *mode = arg_get(ctx, "mode");
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct buf s = BUF_INIT;
	unsigned int m = f->mode;
	int error = 0;

	if (f->added && mode && (error = mode_parse(&m, mode, f->mode, false)) < 0)
		return error;
	buf_adds(&s, "f=");
	sh_quote(&s, f->path);
	if (!f->n) {
		buf_adds(&s, "\nrm -f -- \"$f\"\n");
	} else {
		buf_addf(&s, "\nmkdir -p -- \"${f%%/*}\" && "
			 "t=$(mktemp \"${f%%/*}/.tend-apt-XXXXXX\") && "
			 "cat >\"$t\" && chmod %o \"$t\" && mv -f -- \"$t\" "
			 "\"$f\" || { rm -f -- \"$t\"; exit 1; }\n", m);
		req.in = f->after.ptr;
		req.inlen = f->after.len;
	}
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		buf_trim(&res.err);
		error = tend_error_set("cannot write '%s': %s", f->path,
				       res.err.ptr);
	}
out:
	buf_release(&s);
	exec_result_release(&res);
	return error;
}

static int repo_apply(struct apply_result *out, const struct task_ctx *ctx,
		      const struct check_result *planned)
{
	const struct repo_plan *g = planned->priv;
	long long mtime;
	int error;

	for (size_t i = 0; i < g->n; i++) {
		const struct src_file *f = &g->files[i];

		if (!strcmp(f->before.ptr, f->after.ptr) && (f->exists || !f->n))
			continue;
		if ((error = write_file(ctx, f)) < 0)
			return error;
	}
	out->changed = true;
	out->result = val_dict();
	val_dict_set_str(out->result, "repo", arg_str(ctx, "repo"));
	val_dict_set_str(out->result, "state", arg_str(ctx, "state") ?
			 arg_str(ctx, "state") : "present");
	if (arg_bool(ctx, "update_cache", true))
		return apt_update_cache(ctx, &mtime);
	return 0;
}

static int repo_validate(const struct val *args, const char **arg)
{
	const char *repo = val_cstr(val_dict_get(args, "repo"));

	*arg = "repo";
	if (repo && !strncmp(repo, "ppa:", 4))
		return tend_error_set("ppa: sources (Ubuntu's Launchpad) are "
				      "not supported: give the deb line");
	return 0;
}

const struct tend_module mod_apt_repository = {
	.name = "apt_repository",
	.args = repo_args,
	.doc = "add or remove a one-line APT source (sources.list.d/*.list)",
	.probe = repo_probe,
	.judge = repo_judge,
	.validate = repo_validate,
	.apply = repo_apply,
	.returns =
		"repo: the source line\n"
		"state: present or absent\n",
	.example =
		"- apt_repository:\n"
		"    repo: deb [signed-by=/etc/apt/keyrings/x.gpg] "
		"https://example.com/debian bookworm main\n"
		"    filename: example\n",
};
