#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/util/readlog.h"
#include "tend/data/ansiblecfg_int.h"

#include <ctype.h>
#include <strings.h>
#include <stdarg.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>


bool ansiblecfg_bool(const char *s)
{
	static const char *const yes[] = { "y", "yes", "on", "1", "true", "t" };

	for (size_t i = 0; s && i < ARRAY_SIZE(yes); i++)
		if (!strcasecmp(s, yes[i]))
			return true;
	return false;
}

/* Ansible's unquote: one pair of matching outer quotes goes. */
static char *unquote(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0])
		return xstrndup(s + 1, n - 2);
	return xstrdup(s);
}

/* $VAR and ${VAR} as os.path.expandvars: unset ones stay as written. */
static void expand_vars(struct buf *out, const char *s)
{
	while (*s) {
		const char *name = s + 1, *end;
		bool brace = *name == '{';
		char *var;
		const char *val;

		if (*s != '$') {
			buf_add(out, s++, 1);
			continue;
		}
		name += brace;
		for (end = name; isalnum((unsigned char)*end) || *end == '_'; end++)
			;
		if (end == name || (brace && *end != '}')) {
			buf_add(out, s++, 1);
			continue;
		}
		var = xstrndup(name, (size_t)(end - name));
		val = getenv(var);
		free(var);
		end += brace;
		if (val)
			buf_adds(out, val);
		else
			buf_add(out, s, (size_t)(end - s));
		s = end;
	}
}

/* `~` and `~user` at the start, as os.path.expanduser. */
static void expand_user(struct buf *out, const char *s)
{
	struct passwd *pw;
	char *user;
	size_t n;

	if (s[0] != '~') {
		buf_adds(out, s);
		return;
	}
	n = strcspn(s + 1, "/");
	if (!n) {
		if (fs_home_dir(out) < 0) {
			tend_error_clear();
			buf_adds(out, "~");
		}
		buf_adds(out, s + 1);
		return;
	}
	user = xstrndup(s + 1, n);
	pw = getpwnam(user);
	free(user);
	if (pw)
		buf_addf(out, "%s%s", pw->pw_dir, s + 1 + n);
	else
		buf_adds(out, s);
}

/*
 * Ansible's resolve_path: {{CWD}}, $VARS, `~`, then relative to `base`
 * (the file's directory, or the current one), normalized.
 */
static char *resolve_path(const char *path, const char *base)
{
	struct buf a = BUF_INIT, b = BUF_INIT, full = BUF_INIT;
	char cwd[4096];
	const char *p = path, *cw;

	cw = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
	while ((cw = strstr(p, "{{CWD}}"))) {
		buf_add(&a, p, (size_t)(cw - p));
		buf_adds(&a, getcwd(cwd, sizeof(cwd)) ? cwd : ".");
		p = cw + 7;
	}
	buf_adds(&a, p);
	expand_vars(&b, a.ptr);
	buf_reset(&a);
	expand_user(&a, b.ptr);
	if (a.ptr[0] != '/')
		buf_addf(&full, "%s/", base ? base :
			 getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	buf_adds(&full, a.ptr);
	fs_normpath(&full);
	buf_release(&a);
	buf_release(&b);
	return buf_detach(&full, NULL);
}

/* The parsed file, read as configparser reads it. */
struct parser {
	struct ansiblecfg *c;
	const char *file;      /* interned */
	struct diags *d;
	char *section;         /* current section, or NULL */
	struct acfg_entry *opt; /* the option continuation lines go to */
	size_t indent;         /* the indent of the option's line */
	size_t pending_blank;  /* blank lines inside a value, not yet added */
};

static void perr(struct parser *p, unsigned int line, const char *fmt, ...)
	TEND_PRINTF(3, 4);
static void perr(struct parser *p, unsigned int line, const char *fmt, ...)
{
	struct srcpos pos = { p->file, line, 1 };
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	diags_add(p->d, &pos, "%s", b.ptr);
	buf_release(&b);
}

static bool section_seen(const struct parser *p, const char *name)
{
	for (size_t i = 0; i < p->c->nr; i++)
		if (!p->c->items[i].key && !strcmp(p->c->items[i].section, name))
			return true;
	return false;
}

static struct acfg_entry *add_entry(struct ansiblecfg *c, const char *section,
				    char *key, char *value, unsigned int line)
{
	struct acfg_entry *e;

	ALLOC_GROW(c->items, c->nr + 1, c->alloc);
	e = &c->items[c->nr++];
	e->section = xstrdup(section);
	e->key = key;
	e->value = value;
	e->line = line;
	return e;
}

static void parse_section(struct parser *p, const char *v, unsigned int line)
{
	const char *close = strrchr(v, ']');
	char *name = xstrndup(v + 1, (size_t)(close - v - 1));

	if (!strcmp(name, "DEFAULT"))
		perr(p, line, "the [%s] section (keys for every section) is not "
		     "supported: put its keys in their own sections", name);
	else if (section_seen(p, name))
		perr(p, line, "section [%s] given twice", name);
	/* a section's own entry: key NULL */
	add_entry(p->c, name, NULL, NULL, line);
	free(p->section);
	p->section = name;
	p->opt = NULL;
}

static void parse_option(struct parser *p, const char *v, unsigned int line)
{
	size_t n = strcspn(v, "=:"), klen = n;
	char *key;

	if (!v[n]) {
		perr(p, line, "expected 'key = value', got '%s'", v);
		p->opt = NULL;
		return;
	}
	while (klen && isspace((unsigned char)v[klen - 1]))
		klen--;
	if (!klen) {
		perr(p, line, "expected a key before '%c'", v[n]);
		p->opt = NULL;
		return;
	}
	key = xstrndup(v, klen);
	for (char *k = key; *k; k++)
		*k = (char)tolower((unsigned char)*k);
	for (size_t i = 0; i < p->c->nr; i++) {
		const struct acfg_entry *e = &p->c->items[i];

		if (e->key && !strcmp(e->key, key) &&
		    !strcmp(e->section, p->section))
			perr(p, line, "[%s] %s given twice", p->section, key);
	}
	v += n + 1;
	while (isspace((unsigned char)*v))
		v++;
	p->opt = add_entry(p->c, p->section, key, xstrdup(v), line);
	p->pending_blank = 0;
}

/* Append a continuation line (and the blank lines before it). */
static void continue_option(struct parser *p, const char *v)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, p->opt->value);
	for (; p->pending_blank; p->pending_blank--)
		buf_adds(&b, "\n");
	buf_addf(&b, "\n%s", v);
	free(p->opt->value);
	p->opt->value = buf_detach(&b, NULL);
}

/* One line (without its newline): configparser's _read, step by step. */
static void parse_line(struct parser *p, const char *raw, size_t len,
		       unsigned int line)
{
	char *l = xstrndup(raw, len), *v;
	size_t cut = len, indent, vlen;
	bool comment = false;

	for (size_t i = 0; i < len; i++)
		if (l[i] == ';' && (i == 0 || isspace((unsigned char)l[i - 1]))) {
			cut = i;
			comment = true;
			break;
		}
	indent = strspn(l, " \t\r\f\v");
	if (l[indent] == '#' || l[indent] == ';') {
		cut = 0;
		comment = true;
	}
	l[cut] = '\0';
	v = l + strspn(l, " \t\r\f\v");
	vlen = strlen(v);
	while (vlen && isspace((unsigned char)v[vlen - 1]))
		v[--vlen] = '\0';
	if (!*v) {
		if (!comment && p->opt)
			p->pending_blank++;
		goto out;
	}
	if (p->opt && indent > p->indent) {
		continue_option(p, v);
		goto out;
	}
	p->indent = indent;
	if (v[0] == '[' && strchr(v + 1, ']') && strrchr(v, ']') > v + 1)
		parse_section(p, v, line);
	else if (!p->section)
		perr(p, line, "expected a [section] before '%s'", v);
	else
		parse_option(p, v, line);
out:
	free(l);
}

static void parse_text(struct parser *p, const char *text, size_t len)
{
	unsigned int line = 1;

	for (size_t i = 0; i < len; line++) {
		size_t n = 0;

		while (i + n < len && text[i + n] != '\n')
			n++;
		if (memchr(text + i, '\0', n))
			perr(p, line, "a NUL byte in the line");
		else
			parse_line(p, text + i, n, line);
		i += n + 1;
	}
}

/* A ONLY row's check; the refusal names the value and the reason. */
/*
 * Whether ssh options are only OpenSSH's connection sharing (`-o
 * ControlMaster=auto -o ControlPersist=60s`, the usual ssh_args): they
 * change how often Ansible connects, not what runs.
 */
static bool control_only(const char *v)
{
	static const char *const ok[] = { "controlmaster=",
					  "controlpersist=", "controlpath=" };
	bool want_opt = false;

	for (const char *p = v; *p;) {
		size_t n;
		bool known = false;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		n = strcspn(p, " \t\n");
		if (!want_opt && n == 2 && !strncmp(p, "-o", 2)) {
			want_opt = true;
			p += n;
			continue;
		}
		if (!want_opt && n > 2 && !strncmp(p, "-o", 2)) {
			p += 2;
			n -= 2;
		} else if (!want_opt) {
			return false;
		}
		for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
			if (n > strlen(ok[i]) &&
			    !strncasecmp(p, ok[i], strlen(ok[i])))
				known = true;
		if (!known)
			return false;
		want_opt = false;
		p += n;
	}
	return !want_opt;
}

static bool only_ok(const struct acfg_row *r, const char *value)
{
	char *v = unquote(value);
	bool ok = !strcmp(r->only, CONTROL_ONLY) ? control_only(v) :
		r->type == T_BOOL ?
		ansiblecfg_bool(value) == !strcmp(r->only, "true") :
		!strcmp(v, r->only) || (!strcmp(r->only, "smart") &&
					(!strcmp(v, "ssh") ||
					 !strcmp(v, "paramiko")));

	free(v);
	return ok;
}

/* Keys of acfg_rows[] one of Ansible 2.14's plugins reads in another section */
static const char *const plugin_keys[] = {
	"persistent_connection control_path_dir", "su_become_plugin executable",
	"sudo_become_plugin executable", "paramiko_connection host_key_checking",
	"powershell remote_tmp", "paramiko_connection remote_user",
	"connection retries", "url_lookup timeout",
};

static bool read_by_plugin(const struct acfg_entry *e)
{
	size_t n = strlen(e->section);

	for (size_t i = 0; i < ARRAY_SIZE(plugin_keys); i++)
		if (!strncmp(plugin_keys[i], e->section, n) &&
		    plugin_keys[i][n] == ' ' && !strcmp(plugin_keys[i] + n + 1,
							e->key))
			return true;
	return false;
}

/*
 * A key tend does not know. A key of another section, where Ansible
 * reads it in no plugin, is ignored by Ansible: so here, with a warning.
 * Else it is refused, with the closest known key of its section.
 */
static void unknown_key(struct parser *p, const struct acfg_entry *e,
			const struct srcpos *pos)
{
	const char **names = xcalloc(acfg_rows_nr + 1, sizeof(*names));
	const char *guess;
	size_t n = 0;

	for (size_t i = 0; i < acfg_rows_nr; i++) {
		if (!strcmp(acfg_rows[i].key, e->key) && !read_by_plugin(e)) {
			diags_warn(p->d, pos, "[%s] %s: Ansible does not read "
				   "it there (it belongs in [%s]), so it is "
				   "ignored", e->section, e->key,
				   acfg_rows[i].section);
			free(names);
			return;
		}
		if (!strcmp(acfg_rows[i].section, e->section))
			names[n++] = acfg_rows[i].key;
	}
	names[n] = NULL;
	if ((guess = did_you_mean(e->key, names)))
		diags_add(p->d, pos, "[%s] %s is not supported yet (did you mean "
			  "'%s'?)", e->section, e->key, guess);
	else
		diags_add(p->d, pos, "[%s] %s is not supported yet", e->section,
			  e->key);
	free(names);
}

static void check_entry(struct parser *p, const struct acfg_entry *e)
{
	const struct acfg_row *r = acfg_find_row(e->section, e->key);
	struct srcpos pos = { p->file, e->line, 1 };

	if (!strcmp(e->section, "DEFAULT"))
		return; /* the section is refused */
	if (!r) {
		unknown_key(p, e, &pos);
	} else if (r->kind == REFUSE) {
		diags_add(p->d, &pos, "[%s] %s is not supported yet%s%s%s",
			  e->section, e->key, r ? " (" : "", r ? r->what : "",
			  r ? ")" : "");
	} else if (r->kind == ONLY && !only_ok(r, e->value)) {
		diags_add(p->d, &pos, "[%s] %s = %s is not supported: %s",
			  e->section, e->key, e->value, r->what);
	}
}

/* The same for a row's ANSIBLE_* variable, when set. */
static void check_env(struct diags *d, const struct acfg_row *r)
{
	const char *v = r->env ? getenv(r->env) : NULL;

	if (!v || !*v)
		return;
	if (r->kind == REFUSE)
		diags_add(d, NULL, "%s: not supported yet (%s)", r->env, r->what);
	else if (r->kind == ONLY && !only_ok(r, v))
		diags_add(d, NULL, "%s=%s: not supported: %s", r->env, v,
			  r->what);
}

static const char *file_value(const struct ansiblecfg *c, const struct acfg_row *r,
			      unsigned int *line)
{
	const char *v = NULL;

	/* the last given wins, as Ansible's list of ini entries */
	for (size_t i = 0; i < c->nr; i++)
		if (c->items[i].key && !strcmp(c->items[i].section, r->section) &&
		    !strcmp(c->items[i].key, r->key)) {
			v = c->items[i].value;
			*line = c->items[i].line;
		}
	return v;
}

/* A value of `type` from `origin` made what tend uses, or NULL (reported). */
static char *typed(const struct acfg_row *r, const char *raw, const char *base,
		   struct diags *d, const struct srcpos *pos,
		   const char *origin)
{
	struct buf b = BUF_INIT;
	const char *sep = r->type == T_PATHSPEC ? ":" : ",";
	char *end;
	long n;

	switch (r->type) {
	case T_PATH:
		return resolve_path(raw, base);
	case T_PATHLIST:
	case T_PATHSPEC:
		for (const char *s = raw; *s;) {
			size_t len = strcspn(s, sep);
			char *part = xstrndup(s, len), *t = part, *rp;

			/* a pathlist's parts are stripped, a pathspec's not */
			while (r->type == T_PATHLIST && isspace((unsigned char)*t))
				t++;
			for (size_t k = strlen(t); r->type == T_PATHLIST && k &&
			     isspace((unsigned char)t[k - 1]);)
				t[--k] = '\0';
			if (*t || r->type == T_PATHSPEC) {
				rp = resolve_path(t, base);
				buf_addf(&b, "%s%s", b.len ? sep : "", rp);
				free(rp);
			}
			free(part);
			s += len + (s[len] != '\0');
		}
		/* "a:" is "a" and "" (the base directory) */
		if (r->type == T_PATHSPEC && *raw && raw[strlen(raw) - 1] == ':') {
			char *rp = resolve_path("", base);

			buf_addf(&b, ":%s", rp);
			free(rp);
		}
		return buf_detach(&b, NULL);
	case T_INT:
		errno = 0;
		n = strtol(raw, &end, 10);
		if (errno || end == raw || *end || n < 1 || n > 65535) {
			diags_add(d, pos, "%s: expected a whole number from 1 to "
				  "65535 for %s, got '%s'", origin, r->key, raw);
			return NULL;
		}
		return xstrdup(raw);
	case T_SECS:
		errno = 0;
		n = strtol(raw, &end, 10);
		if (errno || end == raw || *end || n < 0) {
			diags_add(d, pos, "%s: expected a whole number of "
				  "seconds (0 or more) for %s, got '%s'",
				  origin, r->key, raw);
			return NULL;
		}
		return xstrdup(raw);
	case T_BOOL:
		return xstrdup(ansiblecfg_bool(raw) ? "true" : "false");
	case T_LIST:
		for (const char *s = raw; *s;) {
			size_t len = strcspn(s, ",");
			char *part = xstrndup(s, len), *t = part, *u;

			while (isspace((unsigned char)*t))
				t++;
			for (size_t k = strlen(t); k && isspace((unsigned char)t[k - 1]);)
				t[--k] = '\0';
			u = unquote(t);
			if (*u)
				buf_addf(&b, "%s%s", b.len ? "," : "", u);
			free(u);
			free(part);
			s += len + (s[len] != '\0');
		}
		return buf_detach(&b, NULL);
	case T_STR:
	default:
		return unquote(raw);
	}
}

/* Each honoured setting: its variable, else the file, else unset. */
static void resolve(struct ansiblecfg *c, const char *base, struct diags *d)
{
	for (size_t i = 0; i < acfg_rows_nr; i++) {
		const struct acfg_row *r = &acfg_rows[i];
		const char *env = r->env ? getenv(r->env) : NULL;
		struct buf origin = BUF_INIT;
		struct srcpos pos = { c->path ? srcfile_intern(c->path) : NULL,
				      0, 1 };
		const char *raw;
		char *v;

		if (r->kind != HONOUR || (c->value[r->s] &&
					  strncmp(c->origin[r->s], "ANSIBLE_", 8)
					  == 0))
			continue;
		if (env && *env) {
			raw = env;
			buf_adds(&origin, r->env);
			pos.file = NULL;
			v = typed(r, raw, NULL, d, &pos, origin.ptr);
		} else if ((raw = file_value(c, r, &pos.line))) {
			buf_addf(&origin, "%s:%u", c->path, pos.line);
			v = typed(r, raw, base, d, &pos, "ansible.cfg");
		} else {
			continue;
		}
		free(c->value[r->s]);
		free(c->origin[r->s]);
		c->value[r->s] = v;
		c->origin[r->s] = buf_detach(&origin, NULL);
	}
}

/* Values tend checks beyond their type. */
static void check_values(struct ansiblecfg *c, struct diags *d)
{
	const char *m = c->value[ACFG_BECOME_METHOD];
	const char *inv = c->value[ACFG_INVENTORY];
	const char *g = c->value[ACFG_GATHERING];
	char *fc = c->value[ACFG_FACT_CACHING];

	/* a cache plugin by its full name: ansible.builtin.jsonfile */
	if (fc && !strncmp(fc, "ansible.builtin.", 16))
		memmove(fc, fc + 16, strlen(fc + 16) + 1);

	if (m && strcmp(m, "sudo") && strcmp(m, "su"))
		diags_add(d, NULL, "%s: become_method '%s' is not supported "
			  "(only sudo and su)", c->origin[ACFG_BECOME_METHOD], m);
	if (g && strcmp(g, "implicit") && strcmp(g, "explicit") &&
	    strcmp(g, "smart"))
		diags_add(d, NULL, "%s: gathering '%s' is not one of implicit, "
			  "explicit, smart", c->origin[ACFG_GATHERING], g);
	if (fc && strcmp(fc, "memory") && strcmp(fc, "jsonfile"))
		diags_add(d, NULL, "%s: fact_caching '%s' is not supported "
			  "(tend: memory or jsonfile)",
			  c->origin[ACFG_FACT_CACHING], fc);
	else if (fc && !strcmp(fc, "jsonfile") &&
		 !c->value[ACFG_FACT_CACHING_CONNECTION])
		diags_add(d, NULL, "%s: fact_caching jsonfile needs "
			  "fact_caching_connection (a writable directory)",
			  c->origin[ACFG_FACT_CACHING]);
	if (inv && strchr(inv, ','))
		diags_add(d, NULL, "%s: several inventory sources ('%s') are not "
			  "supported yet: give one", c->origin[ACFG_INVENTORY],
			  inv);
}

int ansiblecfg_parse(struct ansiblecfg **out, const char *path,
		     const char *text, size_t len, struct diags *d)
{
	struct ansiblecfg *c = xcalloc(1, sizeof(*c));
	struct parser p = { .c = c, .d = d };
	size_t errors = d->errors;
	char *base = NULL;

	*out = NULL;
	if (path) {
		char *slash;

		c->path = xstrdup(path);
		p.file = srcfile_intern(path);
		parse_text(&p, text, len);
		free(p.section);
		for (size_t i = 0; i < c->nr; i++)
			if (c->items[i].key)
				check_entry(&p, &c->items[i]);
		base = resolve_path(path, NULL);
		slash = strrchr(base, '/');
		slash[slash == base] = '\0';
	}
	for (size_t i = 0; i < acfg_rows_nr; i++)
		check_env(d, &acfg_rows[i]);
	resolve(c, base, d);
	check_values(c, d);
	free(base);
	if (d->errors > errors) {
		ansiblecfg_free(c);
		return tend_error_set_code(TEND_EPARSE, "'%s' has errors",
					   path ? path : "ANSIBLE_*");
	}
	*out = c;
	return 0;
}

int ansiblecfg_load(struct ansiblecfg **out, const char *path,
		    struct diags *d)
{
	struct buf b = BUF_INIT;
	int error;

	*out = NULL;
	if (path && (!strrchr(path, '.') || (strcmp(strrchr(path, '.'), ".cfg")
					     && strcmp(strrchr(path, '.'),
						       ".ini")))) {
		struct srcpos pos = { srcfile_intern(path), 0, 0 };

		diags_add(d, &pos, "not an INI file (.cfg or .ini), as Ansible "
			  "requires");
		return TEND_EPARSE;
	}
	if (path && (error = buf_read_file(&b, path)) < 0) {
		struct srcpos pos = { srcfile_intern(path), 0, 0 };

		diags_add(d, &pos, "%s", tend_error_last());
		tend_error_clear();
		return TEND_EPARSE;
	}
	/* run input: a saved plan is bound to it (become, user, roles) */
	if (path)
		readlog_note(path, b.ptr ? b.ptr : "", b.len);
	error = ansiblecfg_parse(out, path, b.ptr ? b.ptr : "", b.len, d);
	buf_release(&b);
	return error;
}

void ansiblecfg_free(struct ansiblecfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nr; i++) {
		free(c->items[i].section);
		free(c->items[i].key);
		free(c->items[i].value);
	}
	free(c->items);
	for (size_t i = 0; i < ACFG__NR; i++) {
		free(c->value[i]);
		free(c->origin[i]);
	}
	free(c->path);
	free(c);
}

const char *ansiblecfg_get(const struct ansiblecfg *c, enum acfg_setting s)
{
	return c && s < ACFG__NR ? c->value[s] : NULL;
}

static bool readable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode) &&
	       access(path, R_OK) == 0;
}

void ansiblecfg_find(char **out, char **warning, bool skip_cwd)
{
	const char *env = getenv("ANSIBLE_CONFIG");
	char *cands[4] = { NULL }, *from_env = NULL, cwd[4096];
	struct buf b = BUF_INIT;
	struct stat st;
	bool skipped = false;
	size_t n = 0;

	*out = *warning = NULL;
	if (env) {
		from_env = resolve_path(env, NULL);
		if (stat(from_env, &st) == 0 && S_ISDIR(st.st_mode)) {
			buf_addf(&b, "%s/ansible.cfg", from_env);
			free(from_env);
			from_env = buf_detach(&b, NULL);
		}
		cands[n++] = xstrdup(from_env);
	}
	if (getcwd(cwd, sizeof(cwd)) && stat(cwd, &st) == 0) {
		buf_addf(&b, "%s/ansible.cfg", strcmp(cwd, "/") ? cwd : "");
		if ((st.st_mode & S_IWOTH) || skip_cwd)
			skipped = access(b.ptr, F_OK) == 0;
		else
			cands[n++] = buf_detach(&b, NULL);
		buf_reset(&b);
	}
	cands[n++] = resolve_path("~/.ansible.cfg", NULL);
	cands[n++] = xstrdup("/etc/ansible/ansible.cfg");
	for (size_t i = 0; i < n && !*out; i++)
		if (readable_file(cands[i]))
			*out = xstrdup(cands[i]);
	if (skipped && (!from_env || !*out || strcmp(from_env, *out))) {
		if (skip_cwd)
			buf_addf(&b, "not reading %s/ansible.cfg: the playbooks "
				 "are untrusted", cwd);
		else
			buf_addf(&b, "the current directory (%s) is "
				 "world-writable: ignoring its ansible.cfg, as "
				 "Ansible does", cwd);
		*warning = buf_detach(&b, NULL);
	}
	for (size_t i = 0; i < n; i++)
		free(cands[i]);
	free(from_env);
	buf_release(&b);
}
