#include "tend/common.h"
#include <ctype.h>
#include <fnmatch.h>
#include "tend/util/buf.h"
#include "tend/util/quote.h"
#include "tend/data/val.h"
#include "tend/transport/transport.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/apt_int.h"

/*
 * The check half of the apt engine (apt.h): versions, names, what
 * apt-cache policy says, the probe and the judge. The apply is
 * apt_run.c.
 */

/* dpkg's order of the non-digit characters: '~' first, letters next */
static int ver_order(int c)
{
	if (isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	if (c == '~')
		return -1;
	return c ? c + 256 : 0;
}

/* compare two upstream versions (or revisions) part by part */
static int ver_part_cmp(const char *a, const char *ae, const char *b,
			const char *be)
{
	while (a < ae || b < be) {
		int first = 0;

		while ((a < ae && !isdigit((unsigned char)*a)) ||
		       (b < be && !isdigit((unsigned char)*b))) {
			int ac = a < ae ? ver_order((unsigned char)*a) : 0;
			int bc = b < be ? ver_order((unsigned char)*b) : 0;

			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (a < ae && *a == '0')
			a++;
		while (b < be && *b == '0')
			b++;
		while (a < ae && b < be && isdigit((unsigned char)*a) &&
		       isdigit((unsigned char)*b)) {
			if (!first)
				first = *a - *b;
			a++;
			b++;
		}
		if (a < ae && isdigit((unsigned char)*a))
			return 1;
		if (b < be && isdigit((unsigned char)*b))
			return -1;
		if (first)
			return first;
	}
	return 0;
}

/* split "E:U-R" into epoch, upstream [u, ue) and revision [r, re) */
static void ver_split(const char *v, long *epoch, const char **u,
		      const char **ue, const char **r, const char **re)
{
	const char *colon = strchr(v, ':');
	const char *end = v + strlen(v);
	const char *dash;

	*epoch = 0;
	if (colon) {
		*epoch = strtol(v, NULL, 10);
		v = colon + 1;
	}
	dash = strrchr(v, '-');
	*u = v;
	*ue = dash ? dash : end;
	*r = dash ? dash + 1 : end;
	*re = end;
}

int apt_version_cmp(const char *a, const char *b)
{
	const char *au, *aue, *ar, *are, *bu, *bue, *br, *bre;
	long ae, be;
	int c;

	ver_split(a, &ae, &au, &aue, &ar, &are);
	ver_split(b, &be, &bu, &bue, &br, &bre);
	if (ae != be)
		return ae < be ? -1 : 1;
	if ((c = ver_part_cmp(au, aue, bu, bue)))
		return c;
	return ver_part_cmp(ar, are, br, bre);
}

bool apt_name_valid(const char *name)
{
	const char *s = name;

	if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s))
		return false;
	for (; *s && *s != ':'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    !strchr("+-.", *s))
			return false;
	if (*s == ':') {
		if (!s[1])
			return false;
		for (s++; *s; s++)
			if (!islower((unsigned char)*s) &&
			    !isdigit((unsigned char)*s) && *s != '-')
				return false;
	}
	return true;
}

/* the value after "  Installed: " (or Candidate:), "(none)" as NULL */
static char *policy_field(const char *line, size_t len, const char *key)
{
	size_t k = strlen(key);

	while (len && *line == ' ') {
		line++;
		len--;
	}
	if (len <= k || memcmp(line, key, k))
		return NULL;
	line += k;
	len -= k;
	while (len && *line == ' ') {
		line++;
		len--;
	}
	if (!len || (len == 6 && !memcmp(line, "(none)", 6)))
		return NULL;
	return xstrndup(line, len);
}

void apt_policy_parse(struct apt_policy *out, const char *text, size_t len)
{
	const char *end = text + len;
	bool table = false;

	memset(out, 0, sizeof(*out));
	buf_init(&out->versions, 0);
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t n = (size_t)((nl ? nl : end) - text);
		char *v;

		if (n && text[0] != ' ' && text[n - 1] == ':')
			out->known = true;
		else if (!table && (v = policy_field(text, n, "Installed:")))
			out->installed = v;
		else if (!table && (v = policy_field(text, n, "Candidate:")))
			out->candidate = v;
		else if (n >= 16 && !memcmp(text, "  Version table:", 16))
			table = true;
		else if (table && n > 5 && (!memcmp(text, " *** ", 5) ||
					    (!memcmp(text, "     ", 5) &&
					     text[5] != ' '))) {
			/* "     2.0-1 500" or " *** 1.0-1 100" */
			const char *s = text + 5, *e = memchr(s, ' ', n - 5);

			buf_add(&out->versions, s, (size_t)((e ? e : text + n) - s));
			buf_addch(&out->versions, '\0');
			out->nversions++;
		}
		text += n + (nl != NULL);
	}
}

void apt_policy_release(struct apt_policy *p)
{
	free(p->installed);
	free(p->candidate);
	buf_release(&p->versions);
}

void apt_plan_free(void *p)
{
	struct apt_plan *g = p;

	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		struct apt_item *it = &g->items[i];

		free(it->spec);
		free(it->name);
		free(it->version);
		free(it->inst);
		free(it->target);
		apt_policy_release(&it->pol);
	}
	free(g->items);
	free(g->pkg_mgr);
	free(g->deb_pkg);
	free(g->deb_ver);
	free(g->deb_inst);
	buf_release(&g->autoremove);
	buf_release(&g->upgrade_out);
	buf_release(&g->upgrade_err);
	free(g);
}

/* Ansible's package_split: "name", "name=ver", "name>=ver" */
static void item_split(struct apt_item *it, const char *spec)
{
	const char *eq = strchr(spec, '=');

	it->spec = xstrdup(spec);
	if (!eq) {
		it->name = xstrdup(spec);
		return;
	}
	if (eq > spec && eq[-1] == '>') {
		it->cmp = '>';
		it->name = xstrndup(spec, (size_t)(eq - 1 - spec));
	} else {
		it->cmp = '=';
		it->name = xstrndup(spec, (size_t)(eq - spec));
	}
	it->version = xstrdup(eq + 1);
}

static const char *const pkg_mgr_script =
	/* Ansible's PKG_MGRS for Linux, in its order: the last found wins */
	"m=\n"
	"for p in /usr/bin/rpm-ostree:atomic_container /usr/bin/yum:yum "
	"/usr/bin/dnf:dnf /usr/bin/apt-get:apt /usr/bin/zypper:zypper "
	"/usr/sbin/urpmi:urpmi /usr/bin/pacman:pacman /bin/opkg:opkg "
	"/sbin/apk:apk /usr/bin/emerge:portage /usr/bin/xbps-install:xbps "
	"/usr/bin/swupd:swupd; do\n"
	"\t[ -e \"${p%:*}\" ] && m=${p#*:}\n"
	"done\n"
	"echo \"pkg_mgr ${m:-unknown}\"\n"
	"[ \"$m\" = apt ] || exit 0\n";

/*
 * What dpkg and apt-cache know of the names in "$@": one dpkg-query and
 * one apt-cache (loading apt's cache is the slow part) for them all
 */
static const char *const query_script =
	"if [ $# -gt 0 ]; then\n"
	"\tx=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev} ${Version}\\n' "
	"\"$@\" 2>/dev/null)\n"
	"\tprintf 'dpkg:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
	"\tx=$(apt-cache ${t:+-t \"$t\"} policy \"$@\" 2>/dev/null)\n"
	"\tprintf 'policy:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
	"fi\n";

static void deb_script(struct buf *s, const char *deb)
{
	buf_adds(s, "f=");
	sh_quote(s, deb);
	buf_adds(s, "\nif [ -f \"$f\" ]; then\n"
		 "\tx=$(dpkg-deb -f \"$f\" Package) || exit 4\n"
		 "\tprintf 'deb_pkg:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "\ty=$(dpkg-deb -f \"$f\" Version) || exit 4\n"
		 "\tprintf 'deb_ver:%s\\n%s\\n' \"${#y}\" \"$y\"\n"
		 "\tx=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev} "
		 "${Version}\\n' \"$x\" 2>/dev/null)\n"
		 "\tprintf 'deb_dpkg:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "else\n"
		 "\techo 'deb_missing 1'\n"
		 "fi\n");
}

int apt_probe(struct probe *out, const struct task_ctx *ctx,
	      const char *which)
{
	struct buf *s = &out->script;
	const struct val *names = arg_get(ctx, "name");
	const char *rel = arg_str(ctx, "default_release");

	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	if (!strcmp(which, "package"))
		buf_adds(s, pkg_mgr_script);
	buf_adds(s, "command -v apt-get >/dev/null 2>&1 || { echo 'apt-get "
		 "is not installed on the host' >&2; exit 3; }\n"
		 "if [ -e /var/lib/apt/periodic/update-success-stamp ]; then\n"
		 "\tm=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp)\n"
		 "elif [ -e /var/lib/apt/lists ]; then\n"
		 "\tm=$(stat -c %Y /var/lib/apt/lists)\n"
		 "else m=0; fi\n"
		 "echo \"mtime $m\"\necho \"now $(date +%s)\"\nt=");
	sh_quote(s, rel ? rel : "");
	buf_addch(s, '\n');
	buf_adds(s, "set --\n");
	for (size_t i = 0; i < val_len(names); i++) {
		struct apt_item it = { 0 };

		item_split(&it, val_cstr(val_list_at(names, i)));
		/* a name no package can have never reaches the shell */
		if (apt_name_valid(it.name)) {
			buf_adds(s, "set -- \"$@\" ");
			sh_quote(s, it.name);
			buf_addch(s, '\n');
		}
		free(it.spec);
		free(it.name);
		free(it.version);
	}
	buf_adds(s, query_script);
	if (arg_str(ctx, "deb"))
		deb_script(s, arg_str(ctx, "deb"));
	if (apt_upgrade_mode(ctx))
		apt_upgrade_script(s, ctx);
	else if (!val_len(names) && !arg_str(ctx, "deb") &&
		 arg_bool(ctx, "autoremove", false))
		buf_addf(s, "x=$(apt-get -s %sautoremove 2>&1) || "
			 "{ printf '%%s\\n' \"$x\" >&2; exit 4; }\n"
			 "x=$(printf '%%s\\n' \"$x\" | sed -n 's/^%s \\([^ ]*\\).*/\\1/p')\n"
			 "printf 'autoremove:%%s\\n%%s\\n' \"${#x}\" \"$x\"\n",
			 arg_bool(ctx, "purge", false) ? "--purge " : "",
			 arg_bool(ctx, "purge", false) ? "Purg" : "Remv");
	return 0;
}

/* "ii  2.0-1": Status-Abbrev (three characters), a space, the version */
/* NAME's line of dpkg-query's "Package Status-Abbrev Version" lines */
static void dpkg_find(struct apt_item *it, const char *out, size_t len)
{
	size_t n = strcspn(it->name, ":");
	const char *end = out + len;

	it->status[0] = '\0';
	for (const char *l = out; l < end; ) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t ll = (size_t)((nl ? nl : end) - l);

		/* "hello ii  2.10-3": Status-Abbrev is three characters */
		if (ll > n + 4 && !memcmp(l, it->name, n) && l[n] == ' ') {
			const char *st = l + n + 1;
			size_t k = 0;

			while (k < 3 && st[k] != ' ')
				k++;
			memcpy(it->status, st, k);
			it->status[k] = '\0';
			if (ll > n + 5)
				it->inst = xstrndup(st + 4, ll - n - 5);
			return;
		}
		l += ll + (nl != NULL);
	}
}

/* NAME's section of apt-cache policy's output ("NAME:" to the next) */
static void policy_find(struct apt_item *it, const char *out, size_t len)
{
	size_t n = strlen(it->name), nb = strcspn(it->name, ":");
	const char *end = out + len, *start = NULL, *l = out;

	while (l < end) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t ll = (size_t)((nl ? nl : end) - l);

		if (ll && l[0] != ' ') {
			if (start)
				break;
			/* "hello:" (or "hello:" for hello:amd64, the native) */
			if ((ll == n + 1 && !memcmp(l, it->name, n)) ||
			    (ll == nb + 1 && !memcmp(l, it->name, nb)))
				start = l;
		}
		l += ll + (nl != NULL);
	}
	if (!start)
		return;
	apt_policy_release(&it->pol);
	apt_policy_parse(&it->pol, start, (size_t)(l - start));
}

static void read_items(struct apt_plan *g, const struct rec *r, bool dpkg)
{
	for (size_t i = 0; i < g->n; i++) {
		if (!apt_name_valid(g->items[i].name))
			continue;
		if (dpkg)
			dpkg_find(&g->items[i], r->val, r->len);
		else
			policy_find(&g->items[i], r->val, r->len);
	}
}

/* the deb's package as dpkg knows it: "NAME ii  VERSION" */
static void read_deb(struct apt_plan *g, const struct rec *r)
{
	struct apt_item it = { 0 };

	if (!g->deb_pkg)
		return;
	it.name = g->deb_pkg;
	dpkg_find(&it, r->val, r->len);
	if (!strcmp(it.status, "ii"))
		g->deb_inst = it.inst;
	else
		free(it.inst);
}

static int apt_plan_read(struct apt_plan *g, const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		if (rec_is(&r, "pkg_mgr"))
			g->pkg_mgr = xstrndup(r.val, r.len);
		else if (rec_is(&r, "mtime"))
			g->mtime = strtoll(r.val, NULL, 10);
		else if (rec_is(&r, "now"))
			g->now = strtoll(r.val, NULL, 10);
		else if (rec_is(&r, "dpkg") || rec_is(&r, "policy"))
			read_items(g, &r, rec_is(&r, "dpkg"));
		else if (rec_is(&r, "deb_missing"))
			g->deb_missing = true;
		else if (rec_is(&r, "deb_pkg"))
			g->deb_pkg = xstrndup(r.val, r.len);
		else if (rec_is(&r, "deb_ver"))
			g->deb_ver = xstrndup(r.val, r.len);
		else if (rec_is(&r, "deb_dpkg"))
			read_deb(g, &r);
		else if (rec_is(&r, "autoremove"))
			buf_add(&g->autoremove, r.val, r.len);
		else if (rec_is(&r, "aptitude"))
			g->aptitude = true;
		else if (rec_is(&r, "upgrade_rc"))
			g->upgrade_rc = atoi(r.val);
		else if (rec_is(&r, "upgrade_out"))
			buf_add(&g->upgrade_out, r.val, r.len);
		else if (rec_is(&r, "upgrade_err"))
			buf_add(&g->upgrade_err, r.val, r.len);
	}
	return n;
}

/* the version table's highest version matching an '=' pattern */
static const char *best_match(const struct apt_item *it)
{
	const char *v = it->pol.versions.ptr;

	for (size_t i = 0; i < it->pol.nversions; i++, v += strlen(v) + 1)
		if (!fnmatch(it->version, v, 0))
			return v;
	return NULL;
}

/*
 * Ansible's package_status for an install: whether the installed
 * version satisfies the spec (*ok) and the version to install, or NULL.
 */
static const char *installable(const struct apt_item *it, bool installed,
			       bool *ok)
{
	const char *best = it->cmp == '=' ? best_match(it) : it->pol.candidate;

	*ok = false;
	if (!installed)
		return best;
	if (it->cmp == '=') {
		*ok = !fnmatch(it->version, it->inst, 0);
		return best && strcmp(best, it->inst) &&
		       !fnmatch(it->version, best, 0) ? best : NULL;
	}
	if (it->cmp == '>') {
		*ok = apt_version_cmp(it->inst, it->version) >= 0;
		return best && strcmp(best, it->inst) &&
		       apt_version_cmp(best, it->version) >= 0 ? best : NULL;
	}
	*ok = true;
	return best && strcmp(best, it->inst) ? best : NULL;
}

/* Ansible's install() for one package: its target and the plan's line */
static int decide_install(struct apt_item *it, const struct task_ctx *ctx,
			  bool latest, struct buf *changes)
{
	bool only_upgrade = arg_bool(ctx, "only_upgrade", false);
	bool installed = !strcmp(it->status, "ii") && it->inst;
	const char *v;
	bool ok;

	if (!apt_name_valid(it->name) || (!it->pol.known && !installed))
		return tend_error_set("No package matching '%s' is available",
				      it->name);
	if (!installed && !it->pol.nversions)
		return tend_error_set("'%s' is a virtual package: name the "
				      "package that provides it", it->name);
	if (!installed && only_upgrade)
		return 0;
	v = installable(it, installed, &ok);
	if (!ok && !v)
		return tend_error_set("no available installation candidate "
				      "for %s", it->spec);
	if (v && ((!installed && !only_upgrade) || latest || !ok)) {
		struct buf t = BUF_INIT;

		buf_addf(&t, "%s=%s", it->name, v);
		it->target = buf_detach(&t, NULL);
		if (!installed)
			buf_addf(changes, "install %s %s\n", it->name, v);
		else
			buf_addf(changes, "%s %s %s -> %s\n",
				 apt_version_cmp(v, it->inst) < 0 ?
				 "downgrade" : "upgrade", it->name, it->inst, v);
	} else if (ok && v && it->cmp == '=') {
		/* Ansible's legacy case: a pattern both versions match */
		it->target = xstrdup(it->spec);
		buf_addf(changes, "install %s (%s installed)\n", it->spec,
			 it->inst);
	}
	return 0;
}

/* Ansible's remove() for one package */
static void decide_remove(struct apt_item *it, bool purge, struct buf *changes)
{
	bool installed = !strcmp(it->status, "ii");
	bool files = installed || (it->status[0] && it->status[1] == 'c');

	if (!apt_name_valid(it->name) || !(installed || (files && purge)))
		return;
	it->target = xstrdup(it->spec);
	if (installed)
		buf_addf(changes, "%s %s %s\n", purge ? "purge" : "remove",
			 it->name, it->inst ? it->inst : "");
	else
		buf_addf(changes, "purge %s (config files)\n", it->name);
}

static int decide_deb(struct apt_plan *g, const struct task_ctx *ctx,
		      struct buf *changes)
{
	const char *deb = arg_str(ctx, "deb");

	if (g->deb_missing)
		return tend_error_set("Unable to install package: no such "
				      "file: '%s'", deb);
	if (!g->deb_pkg || !g->deb_ver)
		return tend_error_set("cannot parse the reply of the host");
	if (g->deb_inst && !apt_version_cmp(g->deb_ver, g->deb_inst))
		return 0;
	g->deb_change = true;
	if (g->deb_inst)
		buf_addf(changes, "%s %s %s -> %s (from %s)\n",
			 apt_version_cmp(g->deb_ver, g->deb_inst) < 0 ?
			 "downgrade" : "upgrade", g->deb_pkg, g->deb_inst,
			 g->deb_ver, deb);
	else
		buf_addf(changes, "install %s %s (from %s)\n", g->deb_pkg,
			 g->deb_ver, deb);
	return 0;
}

static int apt_plan_decide(struct apt_plan *g, const struct task_ctx *ctx,
		    struct buf *changes)
{
	const char *state = arg_str(ctx, "state");
	bool latest = state && !strcmp(state, "latest");
	int error;

	g->absent = state && !strcmp(state, "absent");
	if (arg_str(ctx, "deb"))
		return decide_deb(g, ctx, changes);
	for (size_t i = 0; i < g->n; i++) {
		if (g->absent)
			decide_remove(&g->items[i], arg_bool(ctx, "purge", false),
				      changes);
		else if ((error = decide_install(&g->items[i], ctx, latest,
						 changes)) < 0)
			return error;
	}
	for (const char *l = g->autoremove.ptr; *l; ) {
		const char *nl = strchr(l, '\n');
		int len = nl ? (int)(nl - l) : (int)strlen(l);

		if (len)
			buf_addf(changes, "autoremove %.*s\n", len, l);
		l += len + (nl != NULL);
	}
	return 0;
}

/* the items of the args' name list, unread */
static struct apt_plan *plan_new(const struct task_ctx *ctx)
{
	struct apt_plan *g = xcalloc(1, sizeof(*g));
	const struct val *names = arg_get(ctx, "name");

	buf_init(&g->autoremove, 0);
	buf_init(&g->upgrade_out, 0);
	buf_init(&g->upgrade_err, 0);
	g->n = val_len(names);
	g->items = xcalloc(g->n ? g->n : 1, sizeof(*g->items));
	for (size_t i = 0; i < g->n; i++) {
		item_split(&g->items[i], val_cstr(val_list_at(names, i)));
		buf_init(&g->items[i].pol.versions, 0);
	}
	return g;
}

int apt_plan_build(struct apt_plan **out, const struct task_ctx *ctx,
		   const struct exec_result *res, struct buf *changes)
{
	struct apt_plan *g = plan_new(ctx);
	long long valid = arg_int(ctx, "cache_valid_time", 0);
	int error;

	*out = g;
	if ((error = apt_plan_read(g, &res->out)) < 0)
		return error;
	if (g->pkg_mgr && strcmp(g->pkg_mgr, "apt"))
		return tend_error_set("package: the host's package manager is "
				      "'%s' (ansible_pkg_mgr): tend's package "
				      "module supports apt only", g->pkg_mgr);
	if (res->status) {
		return exec_error(res, "apt failed");
	}
	if (arg_bool(ctx, "update_cache", false) || valid > 0)
		g->update = !(g->mtime + valid >= g->now);
	return apt_plan_decide(g, ctx, changes);
}

int apt_judge(struct check_result *out, const struct task_ctx *ctx,
	      struct probe *p, const struct exec_result *res)
{
	struct apt_plan *g = NULL;
	struct buf changes = BUF_INIT;
	bool work;
	int error;

	(void)p;
	error = apt_plan_build(&g, ctx, res, &changes);
	out->priv = g;
	out->priv_free = apt_plan_free;
	if (error < 0)
		goto out;
	if (apt_upgrade_mode(ctx)) {
		/* Ansible's upgrade result has no cache keys */
		error = apt_upgrade_decide(out, ctx, g);
		if (error >= 0 && g->update) {
			buf_addf(&changes, "update the apt cache\n%s",
				 out->changes.ptr);
			buf_reset(&out->changes);
			buf_addbuf(&out->changes, &changes);
			/* what the update brings is known once it is done */
			if (out->status == CHECK_OK)
				out->status = CHECK_UNKNOWN;
		}
		goto out;
	}
	work = g->n || arg_str(ctx, "deb") || arg_bool(ctx, "autoremove", false);
	if (g->update)
		buf_adds(&out->changes, "update the apt cache\n");
	buf_addbuf(&out->changes, &changes);
	if (changes.len)
		out->status = CHECK_CHANGE;
	else if (g->update)
		/* what the update brings is known only once it is done */
		out->status = work ? CHECK_UNKNOWN : CHECK_CHANGE;
	else
		out->status = CHECK_OK;
	if (!g->absent && !arg_str(ctx, "deb")) {
		/* as Ansible's check mode: an update to be made counts */
		out->result = val_dict();
		val_dict_set_bool(out->result, "cache_updated", g->update);
		val_dict_set_int(out->result, "cache_update_time", g->mtime);
	}
out:
	buf_release(&changes);
	return error;
}
