#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/util/readlog.h"
#include "tend/data/ansiblecfg.h"

#include <ctype.h>
#include <strings.h>
#include <stdarg.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * What tend does with a key:
 *	HONOUR  the setting `s` is used (ansiblecfg_get)
 *	INERT   only Ansible's display, logs or Python internals: accepted,
 *	        no effect on what runs (docs/ansible-cfg.md says so)
 *	ONLY    accepted with the value tend's behaviour is (`only`, a
 *	        boolean when `bool_only`); any other value is refused
 *	REFUSE  a known key that changes what runs: refused by name (a key
 *	        absent from the table is refused too; a row lets its
 *	        ANSIBLE_* variable be refused as well)
 * A row's key "*" covers its whole section.
 */
enum kind { HONOUR, INERT, ONLY, REFUSE };
/*
 * T_CWDPATH: `~` and $VARS expanded, relative to the current directory
 * (a plugin's own path option, not the config manager's `path` type);
 * T_SECS: a whole number from 0 up.
 */
enum type { T_STR, T_PATH, T_CWDPATH, T_PATHLIST, T_PATHSPEC, T_INT, T_SECS,
	    T_BOOL, T_LIST };

struct row {
	const char *section, *key, *env;
	enum kind kind;
	enum acfg_setting s; /* HONOUR */
	enum type type;
	const char *only;    /* ONLY: the value accepted ("true"/"false": bool) */
	const char *what;    /* what tend does with it */
};

/* ONLY's value for ssh options: connection sharing alone (control_only) */
#define CONTROL_ONLY "\x01control"

#define H(sec, key, env, s, type, what) \
	{ sec, key, env, HONOUR, s, type, NULL, what }
#define I(sec, key, env, what) { sec, key, env, INERT, 0, T_STR, NULL, what }
#define O(sec, key, env, type, only, what) \
	{ sec, key, env, ONLY, 0, type, only, what }
#define R(sec, key, env, what) { sec, key, env, REFUSE, 0, T_STR, NULL, what }

static const struct row rows[] = {
	H("defaults", "inventory", "ANSIBLE_INVENTORY", ACFG_INVENTORY,
	  T_PATHLIST, "the inventory when -i is not given (one source)"),
	H("defaults", "roles_path", "ANSIBLE_ROLES_PATH", ACFG_ROLES_PATH,
	  T_PATHSPEC, "where roles are looked for, after roles/ beside "
	  "the playbook"),
	H("defaults", "home", "ANSIBLE_HOME", ACFG_HOME, T_PATH,
	  "the default roles path's first directory is HOME/roles"),
	H("defaults", "remote_user", "ANSIBLE_REMOTE_USER", ACFG_REMOTE_USER,
	  T_STR, "the SSH user when no play or inventory sets one"),
	H("defaults", "remote_port", "ANSIBLE_REMOTE_PORT", ACFG_REMOTE_PORT,
	  T_INT, "the SSH port when the inventory sets none"),
	H("defaults", "private_key_file", "ANSIBLE_PRIVATE_KEY_FILE",
	  ACFG_PRIVATE_KEY_FILE, T_PATH,
	  "the SSH key when the inventory sets none"),
	H("defaults", "forks", "ANSIBLE_FORKS", ACFG_FORKS, T_INT,
	  "hosts in parallel when -f is not given"),
	H("defaults", "timeout", "ANSIBLE_TIMEOUT", ACFG_TIMEOUT, T_INT,
	  "the SSH connect timeout in seconds"),
	H("ssh_connection", "timeout", "ANSIBLE_SSH_TIMEOUT", ACFG_TIMEOUT,
	  T_INT, "the SSH connect timeout in seconds"),
	H("defaults", "vault_password_file", "ANSIBLE_VAULT_PASSWORD_FILE",
	  ACFG_VAULT_PASSWORD_FILE, T_PATH,
	  "a vault password (an executable file is run for it)"),
	H("defaults", "vault_identity_list", "ANSIBLE_VAULT_IDENTITY_LIST",
	  ACFG_VAULT_IDENTITY_LIST, T_LIST,
	  "vault passwords as LABEL@FILE, comma separated (as --vault-id)"),
	H("defaults", "force_handlers", "ANSIBLE_FORCE_HANDLERS",
	  ACFG_FORCE_HANDLERS, T_BOOL, "as --force-handlers when true"),
	H("privilege_escalation", "become", "ANSIBLE_BECOME", ACFG_BECOME,
	  T_BOOL, "plays that do not say 'become' become (true) or not"),
	H("privilege_escalation", "become_user", "ANSIBLE_BECOME_USER",
	  ACFG_BECOME_USER, T_STR, "the user to become when a play, block "
	  "or task sets none"),
	H("privilege_escalation", "become_method", "ANSIBLE_BECOME_METHOD",
	  ACFG_BECOME_METHOD, T_STR, "sudo or su, when a play sets none"),

	O("defaults", "host_key_checking", "ANSIBLE_HOST_KEY_CHECKING", T_BOOL,
	  "true", "tend always checks host keys (strict, against "
	  "known_hosts); it cannot be switched off"),
	O("ssh_connection", "host_key_checking",
	  "ANSIBLE_SSH_HOST_KEY_CHECKING", T_BOOL, "true",
	  "tend always checks host keys (strict, against known_hosts); it "
	  "cannot be switched off"),
	H("defaults", "gathering", "ANSIBLE_GATHERING", ACFG_GATHERING, T_STR,
	  "implicit, explicit or smart: when a play gathers facts"),
	H("defaults", "fact_caching", "ANSIBLE_CACHE_PLUGIN", ACFG_FACT_CACHING,
	  T_STR, "memory (for the run) or jsonfile (a JSON file per host, "
	  "kept between runs); other cache plugins are refused"),
	H("defaults", "fact_caching_connection",
	  "ANSIBLE_CACHE_PLUGIN_CONNECTION", ACFG_FACT_CACHING_CONNECTION,
	  T_CWDPATH, "jsonfile's directory (made when missing)"),
	H("defaults", "fact_caching_timeout", "ANSIBLE_CACHE_PLUGIN_TIMEOUT",
	  ACFG_FACT_CACHING_TIMEOUT, T_SECS, "seconds a host's cached facts "
	  "stay valid (0: always; default 86400)"),
	H("defaults", "fact_caching_prefix", "ANSIBLE_CACHE_PLUGIN_PREFIX",
	  ACFG_FACT_CACHING_PREFIX, T_STR, "jsonfile's file names: PREFIX "
	  "then the host's name"),
	O("defaults", "strategy", "ANSIBLE_STRATEGY", T_STR, "linear",
	  "plays run with the linear strategy unless they say 'free'"),
	O("defaults", "hash_behaviour", "ANSIBLE_HASH_BEHAVIOUR", T_STR,
	  "replace", "a variable defined twice is replaced, not merged"),
	O("defaults", "transport", "ANSIBLE_TRANSPORT", T_STR, "smart",
	  "connections are SSH unless ansible_connection says local"),
	O("defaults", "any_errors_fatal", "ANSIBLE_ANY_ERRORS_FATAL", T_BOOL,
	  "false", "only plays and blocks that say so stop every host"),
	O("defaults", "error_on_undefined_vars",
	  "ANSIBLE_ERROR_ON_UNDEFINED_VARS", T_BOOL, "true",
	  "an undefined variable is an error"),
	O("defaults", "jinja2_native", "ANSIBLE_JINJA2_NATIVE", T_BOOL,
	  "false", "templates render to strings, as Ansible's default"),
	O("defaults", "private_role_vars", "ANSIBLE_PRIVATE_ROLE_VARS", T_BOOL,
	  "false", "role vars are seen by the play after the role"),
	O("defaults", "inject_facts_as_vars", "ANSIBLE_INJECT_FACT_VARS",
	  T_BOOL, "true", "facts are also top-level ansible_* variables"),
	O("defaults", "ask_pass", "ANSIBLE_ASK_PASS", T_BOOL, "false",
	  "tend logs in with keys (agent or key file), never a password"),
	O("defaults", "ask_vault_pass", "ANSIBLE_ASK_VAULT_PASS", T_BOOL,
	  "false", "vault passwords come from files (--vault-password-file)"),
	O("privilege_escalation", "become_ask_pass", "ANSIBLE_BECOME_ASK_PASS",
	  T_BOOL, "false", "no become password prompt"),
	O("defaults", "executable", "ANSIBLE_EXECUTABLE", T_STR, "/bin/sh",
	  "tend's scripts run with the target's /bin/sh"),

	I("defaults", "nocows", "ANSIBLE_NOCOWS", "display (cowsay)"),
	I("defaults", "cow_selection", "ANSIBLE_COW_SELECTION",
	  "display (cowsay)"),
	I("defaults", "cowsay_enabled_stencils", "ANSIBLE_COW_ACCEPTLIST",
	  "display (cowsay)"),
	I("defaults", "cowpath", "ANSIBLE_COW_PATH", "display (cowsay)"),
	I("defaults", "nocolor", "ANSIBLE_NOCOLOR", "display (tend: --no-color)"),
	I("defaults", "force_color", "ANSIBLE_FORCE_COLOR", "display"),
	I("defaults", "stdout_callback", "ANSIBLE_STDOUT_CALLBACK",
	  "display (tend: --format)"),
	I("defaults", "callback_whitelist", "ANSIBLE_CALLBACK_WHITELIST",
	  "display and logging callbacks"),
	I("defaults", "callbacks_enabled", "ANSIBLE_CALLBACKS_ENABLED",
	  "display and logging callbacks"),
	I("defaults", "bin_ansible_callbacks", "ANSIBLE_LOAD_CALLBACK_PLUGINS",
	  "display and logging callbacks"),
	I("defaults", "retry_files_enabled", "ANSIBLE_RETRY_FILES_ENABLED",
	  ".retry files (tend keeps runs in its state DB)"),
	I("defaults", "retry_files_save_path", "ANSIBLE_RETRY_FILES_SAVE_PATH",
	  ".retry files (tend keeps runs in its state DB)"),
	I("defaults", "deprecation_warnings", "ANSIBLE_DEPRECATION_WARNINGS",
	  "display (warnings)"),
	I("defaults", "system_warnings", "ANSIBLE_SYSTEM_WARNINGS",
	  "display (warnings)"),
	I("defaults", "action_warnings", "ANSIBLE_ACTION_WARNINGS",
	  "display (warnings)"),
	I("defaults", "localhost_warning", "ANSIBLE_LOCALHOST_WARNING",
	  "display (warnings)"),
	I("defaults", "devel_warning", "ANSIBLE_DEVEL_WARNING",
	  "display (warnings)"),
	I("defaults", "display_args_to_stdout", "ANSIBLE_DISPLAY_ARGS_TO_STDOUT",
	  "display"),
	I("defaults", "display_skipped_hosts", "ANSIBLE_DISPLAY_SKIPPED_HOSTS",
	  "display"),
	I("defaults", "show_custom_stats", "ANSIBLE_SHOW_CUSTOM_STATS",
	  "display"),
	I("defaults", "verbosity", "ANSIBLE_VERBOSITY", "display (tend: -v)"),
	I("defaults", "log_path", "ANSIBLE_LOG_PATH",
	  "Ansible's log file (tend keeps runs in its state DB)"),
	I("defaults", "no_target_syslog", "ANSIBLE_NO_TARGET_SYSLOG",
	  "Ansible's module logging on targets (tend logs nothing there)"),
	I("defaults", "syslog_facility", "ANSIBLE_SYSLOG_FACILITY",
	  "Ansible's module logging on targets (tend logs nothing there)"),
	I("defaults", "interpreter_python", "ANSIBLE_PYTHON_INTERPRETER",
	  "Python on targets (tend runs none)"),
	I("defaults", "local_tmp", "ANSIBLE_LOCAL_TEMP",
	  "Ansible's controller temp files"),
	I("defaults", "remote_tmp", "ANSIBLE_REMOTE_TEMP",
	  "where Ansible stages its Python modules (tend stages none)"),
	I("defaults", "module_compression", "ANSIBLE_MODULE_COMPRESSION",
	  "how Ansible ships Python modules"),
	I("defaults", "internal_poll_interval", "ANSIBLE_INTERNAL_POLL_INTERVAL",
	  "Ansible's internal polling"),
	I("defaults", "pipelining", "ANSIBLE_PIPELINING",
	  "speed only (tend sends scripts over one SSH session)"),
	I("ssh_connection", "pipelining", "ANSIBLE_SSH_PIPELINING",
	  "speed only (tend sends scripts over one SSH session)"),
	I("connection", "pipelining", NULL,
	  "speed only (tend sends scripts over one SSH session)"),
	I("ssh_connection", "control_path", "ANSIBLE_SSH_CONTROL_PATH",
	  "OpenSSH multiplexing (tend keeps one session per host)"),
	I("ssh_connection", "control_path_dir", "ANSIBLE_SSH_CONTROL_PATH_DIR",
	  "OpenSSH multiplexing (tend keeps one session per host)"),
	I("defaults", "max_diff_size", "ANSIBLE_MAX_DIFF_SIZE", "display"),
	I("diff", "always", "ANSIBLE_DIFF_ALWAYS", "display (tend: -D)"),
	I("diff", "context", "ANSIBLE_DIFF_CONTEXT", "display"),
	I("colors", "*", NULL, "display"),
	I("galaxy", "*", NULL, "ansible-galaxy only"),

	R("defaults", "ansible_managed", "ANSIBLE_MANAGED",
	  "the ansible_managed variable"),
	R("defaults", "library", "ANSIBLE_LIBRARY", "Python modules"),
	R("defaults", "collections_path", "ANSIBLE_COLLECTIONS_PATH",
	  "collections"),
	R("defaults", "collections_paths", "ANSIBLE_COLLECTIONS_PATHS",
	  "collections"),
	R("defaults", "strategy_plugins", "ANSIBLE_STRATEGY_PLUGINS", "plugins"),
	R("defaults", "action_plugins", "ANSIBLE_ACTION_PLUGINS", "plugins"),
	R("defaults", "filter_plugins", "ANSIBLE_FILTER_PLUGINS", "plugins"),
	R("defaults", "lookup_plugins", "ANSIBLE_LOOKUP_PLUGINS", "plugins"),
	R("defaults", "vars_plugins", "ANSIBLE_VARS_PLUGINS", "plugins"),
	R("defaults", "connection_plugins", "ANSIBLE_CONNECTION_PLUGINS",
	  "plugins"),
	R("defaults", "task_timeout", "ANSIBLE_TASK_TIMEOUT", "task timeout"),
	R("defaults", "gather_subset", "ANSIBLE_GATHER_SUBSET", "facts"),
	R("defaults", "gather_timeout", "ANSIBLE_GATHER_TIMEOUT", "facts"),
	R("defaults", "fact_path", "ANSIBLE_FACT_PATH", "facts"),
	R("defaults", "become_password_file", "ANSIBLE_BECOME_PASSWORD_FILE",
	  "become passwords"),
	R("privilege_escalation", "become_flags", "ANSIBLE_BECOME_FLAGS",
	  "become flags"),
	R("privilege_escalation", "become_exe", "ANSIBLE_BECOME_EXE",
	  "become executable"),
	O("ssh_connection", "ssh_args", "ANSIBLE_SSH_ARGS", T_STR, CONTROL_ONLY,
	  "only -o ControlMaster/ControlPersist/ControlPath (connection "
	  "reuse: tend keeps one session per host for the run); other ssh "
	  "options are not supported yet"),
	H("ssh_connection", "ssh_common_args", "ANSIBLE_SSH_COMMON_ARGS",
	  ACFG_SSH_COMMON_ARGS, T_STR, "ssh options for every host, as "
	  "--ssh-common-args (docs/ssh.md: those tend honours; any other is "
	  "refused); a host's ansible_ssh_common_args replaces them"),
	H("ssh_connection", "ssh_extra_args", "ANSIBLE_SSH_EXTRA_ARGS",
	  ACFG_SSH_EXTRA_ARGS, T_STR, "ssh options for every host after "
	  "the common ones; a host's ansible_ssh_extra_args replaces them"),
	R("ssh_connection", "retries", "ANSIBLE_SSH_RETRIES", "ssh retries"),
	R("inventory", "enable_plugins", "ANSIBLE_INVENTORY_ENABLED",
	  "inventory plugins"),
};

#undef H
#undef I
#undef O
#undef R

static const struct row *find_row(const char *section, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		if (!strcmp(rows[i].section, section) &&
		    (!strcmp(rows[i].key, key) || !strcmp(rows[i].key, "*")))
			return &rows[i];
	return NULL;
}

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

static bool only_ok(const struct row *r, const char *value)
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

/* Keys of rows[] one of Ansible 2.14's plugins reads in another section */
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
	const char *names[ARRAY_SIZE(rows) + 1];
	const char *guess;
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		if (!strcmp(rows[i].key, e->key) && !read_by_plugin(e)) {
			diags_warn(p->d, pos, "[%s] %s: Ansible does not read "
				   "it there (it belongs in [%s]), so it is "
				   "ignored", e->section, e->key,
				   rows[i].section);
			return;
		}
		if (!strcmp(rows[i].section, e->section))
			names[n++] = rows[i].key;
	}
	names[n] = NULL;
	if ((guess = did_you_mean(e->key, names)))
		diags_add(p->d, pos, "[%s] %s is not supported yet (did you mean "
			  "'%s'?)", e->section, e->key, guess);
	else
		diags_add(p->d, pos, "[%s] %s is not supported yet", e->section,
			  e->key);
}

static void check_entry(struct parser *p, const struct acfg_entry *e)
{
	const struct row *r = find_row(e->section, e->key);
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
static void check_env(struct diags *d, const struct row *r)
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

static const char *file_value(const struct ansiblecfg *c, const struct row *r,
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
static char *typed(const struct row *r, const char *raw, const char *base,
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
	case T_CWDPATH:
		return resolve_path(raw, NULL);
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
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
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
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		check_env(d, &rows[i]);
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

size_t ansiblecfg_keys(const struct acfg_key_doc **out)
{
	static const char *const does[] = {
		[HONOUR] = "honoured", [INERT] = "no effect",
		[ONLY] = "only", [REFUSE] = "refused",
	};
	static struct acfg_key_doc docs[ARRAY_SIZE(rows)];

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		docs[i].section = rows[i].section;
		docs[i].key = rows[i].key;
		docs[i].env = rows[i].env;
		docs[i].does = rows[i].kind != ONLY ? does[rows[i].kind] :
			       !strcmp(rows[i].only, CONTROL_ONLY) ?
			       "connection sharing" : rows[i].only;
		docs[i].what = rows[i].what;
	}
	*out = docs;
	return ARRAY_SIZE(rows);
}
