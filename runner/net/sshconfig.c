#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/net/sshconfig.h"

#include <glob.h>
#include <strings.h>

/*
 * ssh_config(5) read as OpenSSH 9.2's readconf.c reads it (the behaviour
 * learnt from its manual and by trying ssh -G; no code of it here). A
 * file and its includes become one list of lines, each included file
 * between a PUSH and a POP mark: it starts with the Host condition of its
 * Include line, and that condition holds again after it.
 */

/* as OpenSSH's READCONF_MAX_DEPTH */
#define MAX_INCLUDE_DEPTH 16

/*
 * Every keyword tend reads. Honoured ones carry their key; the others
 * change nothing tend does, and each says why. A keyword not here is
 * refused where it applies: it could change where or how tend connects
 * or logs in (ProxyCommand, Ciphers, HostKeyAlias, CertificateFile...).
 */
static const struct sshcfg_keyword keywords[] = {
	{ "HostName", SSHCFG_HOSTNAME, NULL },
	{ "User", SSHCFG_USER, NULL },
	{ "Port", SSHCFG_PORT, NULL },
	{ "IdentityFile", SSHCFG_IDENTITYFILE, NULL },
	{ "IdentitiesOnly", SSHCFG_IDENTITIESONLY, NULL },
	{ "ProxyJump", SSHCFG_PROXYJUMP, NULL },
	{ "UserKnownHostsFile", SSHCFG_KNOWNHOSTS, NULL },
	{ "StrictHostKeyChecking", SSHCFG_STRICT, NULL },
	{ "ConnectTimeout", SSHCFG_CONNECTTIMEOUT, NULL },
	{ "ServerAliveInterval", SSHCFG_ALIVE, NULL },
	{ "ForwardAgent", SSHCFG_IGNORED,
	  "tend forwards no agent: its commands need none" },
	{ "ForwardX11", SSHCFG_IGNORED, "tend opens no X11 channel" },
	{ "ForwardX11Trusted", SSHCFG_IGNORED, "tend opens no X11 channel" },
	{ "Compression", SSHCFG_IGNORED, "only the speed of the link" },
	{ "ServerAliveCountMax", SSHCFG_IGNORED,
	  "tend gives up after 3 unanswered keepalives" },
	{ "TCPKeepAlive", SSHCFG_IGNORED,
	  "tend's keepalives are SSH messages" },
	{ "SendEnv", SSHCFG_IGNORED,
	  "tend sends no local variables; a task's environment: sets them" },
	{ "ControlMaster", SSHCFG_IGNORED,
	  "tend keeps one session per host for the run" },
	{ "ControlPath", SSHCFG_IGNORED,
	  "tend keeps one session per host for the run" },
	{ "ControlPersist", SSHCFG_IGNORED,
	  "tend keeps one session per host for the run" },
	{ "AddKeysToAgent", SSHCFG_IGNORED, "tend adds no key to an agent" },
	{ "LogLevel", SSHCFG_IGNORED, "tend logs on its own terms" },
	{ "BatchMode", SSHCFG_IGNORED, "tend never prompts: always batch" },
	{ "HashKnownHosts", SSHCFG_IGNORED,
	  "how ssh writes new known_hosts lines; hashed ones are read" },
	{ "CheckHostIP", SSHCFG_IGNORED,
	  "tend checks the host key under the host's name" },
	{ "VisualHostKey", SSHCFG_IGNORED, "a picture for a terminal" },
	{ "UpdateHostKeys", SSHCFG_IGNORED,
	  "tend never rewrites known keys" },
	{ "GSSAPIAuthentication", SSHCFG_IGNORED,
	  "tend logs in with public keys only" },
	{ "PasswordAuthentication", SSHCFG_IGNORED,
	  "tend logs in with public keys only" },
	{ "KbdInteractiveAuthentication", SSHCFG_IGNORED,
	  "tend logs in with public keys only" },
	{ "ChallengeResponseAuthentication", SSHCFG_IGNORED,
	  "tend logs in with public keys only" },
	{ "RequestTTY", SSHCFG_IGNORED, "tend asks for no terminal" },
	{ "EscapeChar", SSHCFG_IGNORED, "no interactive session" },
	{ "UseKeychain", SSHCFG_IGNORED, "macOS's keychain; not here" },
	{ "IgnoreUnknown", SSHCFG_IGNORED,
	  "tend refuses what it cannot honour where it applies" },
};

const struct sshcfg_keyword *sshconfig_keyword(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(keywords); i++)
		if (strlen(keywords[i].name) == len &&
		    !strncasecmp(keywords[i].name, name, len))
			return &keywords[i];
	return NULL;
}

void sshconfig_init(struct sshconfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

void sshconfig_release(struct sshconfig *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nr; i++) {
		for (size_t j = 0; j < cfg->lines[i].nr; j++)
			free(cfg->lines[i].args[j]);
		free(cfg->lines[i].args);
		free(cfg->lines[i].key);
	}
	free(cfg->lines);
	for (size_t i = 0; i < cfg->files_nr; i++)
		free(cfg->files[i]);
	free(cfg->files);
	sshconfig_init(cfg);
}

/*
 * The words of a value as OpenSSH splits them: blanks between words,
 * "..." and '...' quote, a backslash escapes a quote, a backslash or a
 * blank; a `#` starting a word ends the line.
 */
static int split_args(struct sshcfg_line *l, const char *s, const char *file,
		      int line)
{
	struct buf w = BUF_INIT;
	size_t alloc = 0;

	while (*s) {
		char q = 0;

		s += strspn(s, " \t\r");
		if (!*s || *s == '#')
			break;
		buf_reset(&w);
		for (; *s && (q || !strchr(" \t\r", *s)); s++) {
			if (*s == '\\' && s[1] && strchr("\\\"' ", s[1]))
				buf_addch(&w, *++s);
			else if (q && *s == q)
				q = 0;
			else if (!q && (*s == '"' || *s == '\''))
				q = *s;
			else
				buf_addch(&w, *s);
		}
		if (q) {
			buf_release(&w);
			return tend_error_set_code(TEND_EPARSE, "%s:%d: no closing "
						   "quotation", file, line);
		}
		ALLOC_GROW(l->args, l->nr + 1, alloc);
		l->args[l->nr++] = xstrdup(w.ptr);
	}
	buf_release(&w);
	return 0;
}

static void add_mark(struct sshconfig *cfg, enum sshcfg_line_kind kind)
{
	ALLOC_GROW(cfg->lines, cfg->nr + 1, cfg->alloc);
	memset(&cfg->lines[cfg->nr], 0, sizeof(cfg->lines[0]));
	cfg->lines[cfg->nr++].kind = kind;
}

/* Include: each word a glob, relative ones under ~/.ssh, in glob order. */
static int include(struct sshconfig *cfg, const struct sshcfg_line *l)
{
	int error = 0;

	if (cfg->no_include)
		return tend_error_set_code(TEND_EPARSE, "%s:%d: 'Include' is "
					   "not read here", l->file, l->line);
	if (cfg->depth >= MAX_INCLUDE_DEPTH)
		return tend_error_set_code(TEND_EPARSE, "%s:%d: 'Include' "
					   "nested too deeply", l->file,
					   l->line);
	for (size_t i = 0; !error && i < l->nr; i++) {
		struct buf pat = BUF_INIT;
		glob_t g = { 0 };

		if (l->args[i][0] == '~' && l->args[i][1] == '/') {
			if ((error = fs_home_dir(&pat)) < 0)
				break;
			buf_adds(&pat, l->args[i] + 1);
		} else if (l->args[i][0] != '/') {
			if ((error = fs_home_dir(&pat)) < 0)
				break;
			buf_addf(&pat, "/.ssh/%s", l->args[i]);
		} else {
			buf_adds(&pat, l->args[i]);
		}
		if (!glob(pat.ptr, 0, NULL, &g)) {
			cfg->depth++;
			for (size_t j = 0; !error && j < g.gl_pathc; j++) {
				add_mark(cfg, SSHCFG_LINE_PUSH);
				error = sshconfig_read(cfg, g.gl_pathv[j]);
				if (error == TEND_ENOTFOUND)
					error = 0;
				add_mark(cfg, SSHCFG_LINE_POP);
			}
			cfg->depth--;
		}
		globfree(&g);
		buf_release(&pat);
	}
	return error;
}

static int parse_line(struct sshconfig *cfg, const char *s, const char *file,
		      int line)
{
	struct sshcfg_line l = { .file = file, .line = line };
	size_t n;
	int error;

	s += strspn(s, " \t\r");
	if (!*s || *s == '#')
		return 0;
	n = strcspn(s, " \t\r=");
	l.key = xstrndup(s, n);
	s += n;
	s += strspn(s, " \t\r");
	if (*s == '=')
		s++;
	if ((error = split_args(&l, s, file, line)) < 0)
		goto fail;
	if (!strcasecmp(l.key, "Match")) {
		error = tend_error_set_code(TEND_EPARSE, "%s:%d: 'Match' is "
			"not supported by tend (use Host blocks)", file, line);
		goto fail;
	}
	if (!l.nr) {
		error = tend_error_set_code(TEND_EPARSE, "%s:%d: '%s' needs a "
					    "value", file, line, l.key);
		goto fail;
	}
	if (!strcasecmp(l.key, "Include")) {
		error = include(cfg, &l);
		goto fail; /* done with the line either way */
	}
	if (!strcasecmp(l.key, "Host")) {
		free(l.key);
		l.key = NULL;
		l.kind = SSHCFG_LINE_HOST;
	}
	ALLOC_GROW(cfg->lines, cfg->nr + 1, cfg->alloc);
	cfg->lines[cfg->nr++] = l;
	return 0;
fail:
	for (size_t i = 0; i < l.nr; i++)
		free(l.args[i]);
	free(l.args);
	free(l.key);
	return error;
}

int sshconfig_parse(struct sshconfig *cfg, const char *text, size_t len,
		    const char *file)
{
	const char *name;
	int line = 0, error = 0;

	ALLOC_GROW(cfg->files, cfg->files_nr + 1, cfg->files_alloc);
	name = cfg->files[cfg->files_nr++] = xstrdup(file);
	for (size_t i = 0; !error && i < len;) {
		size_t n = 0;
		char *s;

		while (i + n < len && text[i + n] != '\n')
			n++;
		line++;
		if (memchr(text + i, '\0', n))
			return tend_error_set_code(TEND_EPARSE, "%s:%d: a NUL "
				"byte in the line", name, line);
		s = xstrndup(text + i, n);
		error = parse_line(cfg, s, name, line);
		free(s);
		i += n + 1;
	}
	return error;
}

int sshconfig_read(struct sshconfig *cfg, const char *path)
{
	struct buf b = BUF_INIT;
	int error;

	if ((error = buf_read_file(&b, path)) >= 0)
		error = sshconfig_parse(cfg, b.ptr, b.len, path);
	buf_release(&b);
	return error;
}

/*
 * OpenSSH's match_pattern: `*` any run, `?` any one character. Greedy
 * with one backtrack point (the last `*`): O(len(s) * len(p)), where the
 * recursive form was exponential in the number of stars (found by
 * fuzz_sshconfig).
 */
static bool glob_match(const char *s, const char *p)
{
	const char *star = NULL, *from = NULL;

	while (*s) {
		if (*p == '*') {
			star = ++p;
			from = s;
		} else if (*p && (*p == '?' || *p == *s)) {
			s++;
			p++;
		} else if (star) {
			p = star;
			s = ++from;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

bool sshconfig_host_matches(const char *host, char *const *pats, size_t nr)
{
	bool hit = false;

	for (size_t i = 0; i < nr; i++) {
		const char *p = pats[i];
		bool neg = *p == '!';

		if (!glob_match(host, p + neg))
			continue;
		if (neg)
			return false;
		hit = true;
	}
	return hit;
}

static void set_value(struct sshcfg_value *v, const struct sshcfg_line *l)
{
	v->v = l->args[0];
	v->file = l->file;
	v->line = l->line;
}

/* one keyword line that applies to the host */
static int lookup_line(struct sshcfg_host *out, const struct sshcfg_line *l,
		       const char *host)
{
	const struct sshcfg_keyword *k = sshconfig_keyword(l->key,
							   strlen(l->key));

	if (!k)
		return tend_error_set_code(TEND_EREFUSED, "%s:%d: '%s' applies "
			"to '%s' and tend cannot honour it (docs/ssh.md lists "
			"what it reads)", l->file, l->line, l->key, host);
	if (k->key == SSHCFG_IGNORED)
		return 0;
	if (k->key == SSHCFG_IDENTITYFILE) {
		if (out->ids_nr < ARRAY_SIZE(out->ids))
			set_value(&out->ids[out->ids_nr++], l);
	}
	if (!out->v[k->key].v)
		set_value(&out->v[k->key], l);
	return 0;
}

int sshconfig_lookup(struct sshcfg_host *out, const struct sshconfig *cfg,
		     const char *host)
{
	/* lines before any Host apply to every host */
	bool active = true, saved[MAX_INCLUDE_DEPTH + 1];
	size_t depth = 0;
	int error = 0;

	/* the name as given, case and all: ssh 9.2 -G matches it so */
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; !error && i < cfg->nr; i++) {
		const struct sshcfg_line *l = &cfg->lines[i];

		switch (l->kind) {
		case SSHCFG_LINE_HOST:
			active = sshconfig_host_matches(host, l->args, l->nr);
			break;
		case SSHCFG_LINE_PUSH:
			if (depth == ARRAY_SIZE(saved))
				BUG("includes nested past the limit");
			saved[depth++] = active;
			break;
		case SSHCFG_LINE_POP:
			active = saved[--depth];
			break;
		case SSHCFG_LINE_KEY:
			if (active)
				error = lookup_line(out, l, host);
			break;
		}
	}
	return error;
}

int sshconfig_expand(struct buf *out, const char *s,
		     const char *const tokens[128], bool tilde,
		     const char *what)
{
	if (tilde && s[0] == '~' && (!s[1] || s[1] == '/')) {
		if (fs_home_dir(out) < 0)
			return -1;
		s++;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)s[1];

		if (*s != '%') {
			buf_addch(out, *s);
			continue;
		}
		if (c == '%') {
			buf_addch(out, '%');
		} else if (c < 128 && tokens[c]) {
			buf_adds(out, tokens[c]);
		} else {
			return tend_error_set("%s: token '%%%c' is not "
					      "supported here", what,
					      c ? c : ' ');
		}
		s++;
	}
	return 0;
}
