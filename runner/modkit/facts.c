#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/modkit/facts.h"
#include "tend/modkit/facts_local.h"
#include "tend/modkit/facts_net.h"
#include "tend/modkit/facts_script.h"

#include <ctype.h>

/*
 * What the facts script (facts_script.c) printed, as facts. The keys it
 * prints, and no other: a value with a newline in it (a host's
 * `hostname -f`) must not make up facts of its own, such as ansible_user.
 */
static const char *const script_keys[] = {
	"nodename", "fqdn", "system", "kernel", "kernel_version", "machine",
	"os_ID", "os_ID_LIKE", "os_NAME", "os_VERSION_ID",
	"os_VERSION_CODENAME", "debian_version", "pydistro", "distfile_debian",
	"sm_proc1", "sm_init_link", "sm_systemd", "sm_upstart", "sm_openrc",
	"sm_initd", "pkg_mgr", "py_exe", "py_version",
	"user_id", "real_user_id", "effective_user_id", "real_group_id",
	"effective_group_id", "pw_uid", "pw_gid", "pw_gecos", "pw_dir",
	"pw_shell", "dt", "dtu", "dtjan", "dtjul",
	"mem_MemTotal", "mem_MemFree", "mem_SwapTotal", "mem_SwapFree",
	"cpu_n", "cpu_sockets", "cpu_cores", "cpu_siblings", "route4", NULL
};

/* Keys that come many times: each value is kept, in order. */
static const char *const list_keys[] = { "if", "ifbridge", "ifbond",
					 "addr4", NULL };

static bool in_keys(const char *const *keys, const char *key, size_t len)
{
	for (const char *const *k = keys; *k; k++)
		if (strlen(*k) == len && !memcmp(*k, key, len))
			return true;
	return false;
}

static const struct {
	const char *id;
	const char *family;
	const char *name;
} distros[] = {
	{ "debian", "Debian", "Debian" },
	{ "ubuntu", "Debian", "Ubuntu" },
	{ "linuxmint", "Debian", "Linux Mint" },
	{ "raspbian", "Debian", "Debian" },
	{ "rhel", "RedHat", "RedHat" },
	{ "centos", "RedHat", "CentOS" },
	{ "fedora", "RedHat", "Fedora" },
	{ "rocky", "RedHat", "Rocky" },
	{ "almalinux", "RedHat", "AlmaLinux" },
	{ "ol", "RedHat", "OracleLinux" },
	{ "amzn", "RedHat", "Amazon" },
	{ "sles", "Suse", "SLES" },
	{ "opensuse-leap", "Suse", "openSUSE Leap" },
	{ "arch", "Archlinux", "Archlinux" },
	{ "alpine", "Alpine", "Alpine" },
	{ "gentoo", "Gentoo", "Gentoo" },
};

const char *facts_os_family(const char *id, const char *id_like)
{
	for (size_t i = 0; i < ARRAY_SIZE(distros); i++)
		if (id && !strcmp(id, distros[i].id))
			return distros[i].family;
	for (size_t i = 0; id_like && i < ARRAY_SIZE(distros); i++)
		if (strstr(id_like, distros[i].id))
			return distros[i].family;
	return id ? id : "Unknown";
}

static const char *distro_name(const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(distros); i++)
		if (!strcmp(id, distros[i].id))
			return distros[i].name;
	return NULL;
}

/* ---- reading the script's output ---- */

struct raw {
	struct val *kv;    /* script_keys → string */
	struct val *lists; /* list_keys → list of strings */
	struct val *env;
	struct val *local;
	struct val *warnings; /* or NULL */
};

static const char *get(const struct raw *r, const char *key)
{
	return val_cstr(val_dict_get(r->kv, key));
}

static void unquote(struct buf *b)
{
	if (b->len >= 2 && (b->ptr[0] == '"' || b->ptr[0] == '\'') &&
	    b->ptr[b->len - 1] == b->ptr[0]) {
		memmove(b->ptr, b->ptr + 1, b->len - 2);
		buf_setlen(b, b->len - 2);
	}
}

/* awk's escapes (\\ and \n) undone */
static void env_line(struct raw *r, const char *p, size_t n)
{
	const char *eq = memchr(p, '=', n);
	struct buf v = BUF_INIT;
	char *key;

	if (!eq || eq == p)
		return;
	for (const char *s = eq + 1; s < p + n; s++) {
		if (*s == '\\' && s + 1 < p + n) {
			s++;
			buf_addch(&v, *s == 'n' ? '\n' : *s);
		} else {
			buf_addch(&v, *s);
		}
	}
	key = xstrndup(p, (size_t)(eq - p));
	val_dict_set(r->env, key, val_strn(v.ptr ? v.ptr : "", v.len));
	free(key);
	buf_release(&v);
}

/*
 * Ansible's key for a local fact file: its base name with every ".fact"
 * taken out (str.replace).
 */
static char *local_name(const char *path)
{
	const char *base = strrchr(path, '/');
	struct buf b = BUF_INIT;

	base = base ? base + 1 : path;
	while (*base) {
		if (!strncmp(base, ".fact", 5)) {
			base += 5;
			continue;
		}
		buf_addch(&b, *base++);
	}
	return b.ptr ? buf_detach(&b, NULL) : xstrdup("");
}

static void warn(struct raw *r, const char *msg)
{
	if (r->warnings)
		val_list_push(r->warnings, val_str(msg));
}

static void local_fact(struct raw *r, const char *head, const char *out,
		       const char *err)
{
	const char *path;
	char *name;
	struct val *fact;
	int rc = 0;
	bool exec = !strncmp(head, "exec ", 5);

	if (exec) {
		rc = atoi(head + 5);
		path = strchr(head + 5, ' ');
		path = path ? path + 1 : "";
	} else {
		path = head + 5;
	}
	name = local_name(path);
	if (exec && rc) {
		fact = val_strf("Failure executing fact script (%s), rc: %d, "
				"err: %s", path, rc, err);
		warn(r, val_cstr(fact));
	} else {
		struct buf t = BUF_INIT;

		buf_adds(&t, out);
		if (!exec)
			buf_trim(&t); /* Ansible's get_file_content strips */
		fact = facts_local_parse(path, t.ptr ? t.ptr : "");
		if (val_is(fact, VAL_STR))
			warn(r, val_cstr(fact));
		buf_release(&t);
	}
	val_dict_set(r->local, name, fact);
	free(name);
}

/*
 * A local fact's block: from its header line to "<B> end"; the text the
 * script printed after `cat` (a newline) is not the fact's.
 */
static const char *local_block(struct raw *r, const char *p, const char *bnd)
{
	size_t bl = strlen(bnd);
	struct buf head = BUF_INIT, part[2] = { BUF_INIT, BUF_INIT };
	int which = 0;
	const char *nl = strchr(p, '\n');

	buf_add(&head, p + bl + 1, nl ? (size_t)(nl - p - bl - 1) : strlen(p + bl + 1));
	p = nl ? nl + 1 : p + strlen(p);
	while (*p) {
		size_t n;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (!strncmp(p, bnd, bl) && p[bl] == ' ') {
			if (!strncmp(p + bl + 1, "err\n", 4)) {
				which = 1;
			} else if (!strncmp(p + bl + 1, "end", 3)) {
				p += n;
				break;
			}
		} else {
			buf_add(&part[which], p, n);
		}
		p += n;
	}
	for (int i = 0; i < 2; i++)
		if (part[i].len)  /* the newline `echo` added */
			buf_setlen(&part[i], part[i].len - 1);
	local_fact(r, head.ptr ? head.ptr : "", part[0].ptr ? part[0].ptr : "",
		   part[1].ptr ? part[1].ptr : "");
	buf_release(&head);
	buf_release(&part[0]);
	buf_release(&part[1]);
	return p;
}

static void read_output(struct raw *r, const char *text, const char *bnd)
{
	size_t bl = strlen(bnd);

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *eq = memchr(p, '=', n);

		if (bl && !strncmp(p, bnd, bl) && p[bl] == ' ' &&
		    (!strncmp(p + bl + 1, "exec ", 5) ||
		     !strncmp(p + bl + 1, "file ", 5))) {
			p = local_block(r, p, bnd);
			continue;
		}
		if (n > 4 && !strncmp(p, "env:", 4)) {
			env_line(r, p + 4, n - 4);
		} else if (eq && in_keys(script_keys, p, (size_t)(eq - p))) {
			char *key = xstrndup(p, (size_t)(eq - p));
			struct buf v = BUF_INIT;

			buf_add(&v, eq + 1, n - (size_t)(eq - p) - 1);
			if (!strncmp(key, "os_", 3))
				unquote(&v);
			val_dict_set_str(r->kv, key, v.ptr ? v.ptr : "");
			buf_release(&v);
			free(key);
		} else if (eq && in_keys(list_keys, p, (size_t)(eq - p))) {
			char *key = xstrndup(p, (size_t)(eq - p));
			struct val *l = val_dict_get(r->lists, key);

			if (!l) {
				l = val_list();
				val_dict_set(r->lists, key, l);
			}
			val_list_push(l, val_strn(eq + 1, n - (size_t)(eq - p) - 1));
			free(key);
		}
		p += n + (nl ? 1 : 0);
	}
}

/* ---- the facts, group by group ---- */

static void set_str(struct val *f, const char *key, const char *s)
{
	val_dict_set_str(f, key, s ? s : "");
}

static void platform(struct val *f, const struct raw *r)
{
	const char *n = get(r, "nodename"), *fq = get(r, "fqdn");
	const char *m = get(r, "machine");
	char *host = xstrndup(n ? n : "", n ? strcspn(n, ".") : 0);

	set_str(f, "hostname", host);
	free(host);
	set_str(f, "nodename", n);
	set_str(f, "fqdn", fq);
	set_str(f, "domain", fq && strchr(fq, '.') ? strchr(fq, '.') + 1 : "");
	set_str(f, "system", get(r, "system"));
	set_str(f, "kernel", get(r, "kernel"));
	set_str(f, "kernel_version", get(r, "kernel_version"));
	set_str(f, "machine", m);
	/* Ansible's platform facts: i?86 is i386 */
	if (m && strlen(m) == 4 && m[0] == 'i' && !strcmp(m + 2, "86"))
		m = "i386";
	set_str(f, "architecture", m);
}

static bool all_digits_dots(const char *s)
{
	if (!s || !isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	return true;
}

static void distribution(struct val *f, const struct raw *r)
{
	const char *id = get(r, "os_ID"), *name, *ver, *dv;
	const char *dot;

	set_str(f, "os_family", facts_os_family(id, get(r, "os_ID_LIKE")));
	name = id ? distro_name(id) : NULL;
	if (!name)
		name = get(r, "os_NAME");
	set_str(f, "distribution", name ? name : "Unknown");
	ver = get(r, "os_VERSION_ID");
	/*
	 * Debian: the point release (/etc/debian_version) where the host's
	 * Python has the distro package (Ansible then uses it, and its
	 * version(best=True) reads that file), else os-release's (Ansible's
	 * bundled distro 1.6 does not read it)
	 */
	dv = get(r, "debian_version");
	if (id && !strcmp(id, "debian") && all_digits_dots(dv) &&
	    get(r, "pydistro"))
		ver = dv;
	set_str(f, "distribution_version", ver);
	{
		char *major = xstrndup(ver ? ver : "", ver ? strcspn(ver, ".") : 0);

		set_str(f, "distribution_major_version", major);
		free(major);
	}
	/* Debian's minor version: /etc/debian_version's, always */
	if (id && !strcmp(id, "debian") && all_digits_dots(dv))
		ver = dv;
	dot = ver ? strchr(ver, '.') : NULL;
	if (dot) {
		char *minor = xstrndup(dot + 1, strcspn(dot + 1, "."));

		set_str(f, "distribution_minor_version", minor);
		free(minor);
	}
	set_str(f, "distribution_release", get(r, "os_VERSION_CODENAME"));
	if (get(r, "distfile_debian")) {
		set_str(f, "distribution_file_path", "/etc/os-release");
		set_str(f, "distribution_file_variety", "Debian");
		val_dict_set(f, "distribution_file_parsed", val_bool(true));
	}
}

static void service_mgr(struct val *f, const struct raw *r)
{
	static const char *const map[][2] = {
		{ "procd", "openwrt_init" }, { "runit-init", "runit" },
		{ "svscan", "svc" }, { "openrc-init", "openrc" },
	};
	const char *p1 = get(r, "sm_proc1"), *link = get(r, "sm_init_link");
	const char *name = NULL;
	char *base = NULL;

	if (p1 && !strcmp(p1, "COMMAND"))
		p1 = NULL;
	if (!p1)
		p1 = link;
	if (p1) {
		struct buf b = BUF_INIT;

		buf_adds(&b, strrchr(p1, '/') ? strrchr(p1, '/') + 1 : p1);
		buf_trim(&b);
		base = b.ptr ? buf_detach(&b, NULL) : xstrdup("");
		if (!strcmp(base, "init") ||
		    (strlen(base) >= 2 && !strcmp(base + strlen(base) - 2, "sh")))
			name = NULL;
		else
			name = base;
		for (size_t i = 0; name && i < ARRAY_SIZE(map); i++)
			if (!strcmp(name, map[i][0]))
				name = map[i][1];
	}
	if (!name && get(r, "sm_systemd"))
		name = "systemd";
	else if (!name && get(r, "sm_upstart"))
		name = "upstart";
	else if (!name && get(r, "sm_openrc"))
		name = "openrc";
	else if (!name && link && !strcmp(strrchr(link, '/') ?
				   strrchr(link, '/') + 1 : link, "systemd"))
		name = "systemd";
	else if (!name && get(r, "sm_initd"))
		name = "sysvinit";
	set_str(f, "service_mgr", name ? name : "service");
	free(base);
}

/* "Python 3.11.2" → ansible_python as Ansible describes its interpreter */
static void python(struct val *f, const struct raw *r)
{
	const char *exe = get(r, "py_exe"), *v = get(r, "py_version");
	long long part[3] = { 0, 0, 0 };
	const char *level = "final";
	long long serial = 0;
	struct val *py, *ver, *info;
	const char *s;
	char *end;

	if (!exe || !v || strncmp(v, "Python ", 7))
		return;
	s = v + 7;
	for (int i = 0; i < 3 && isdigit((unsigned char)*s); i++) {
		part[i] = strtoll(s, &end, 10);
		s = *end == '.' ? end + 1 : end;
	}
	if (*s) {
		level = s[0] == 'a' ? "alpha" : s[0] == 'b' ? "beta" : "candidate";
		while (*s && !isdigit((unsigned char)*s))
			s++;
		serial = atoll(s);
	}
	py = val_dict();
	val_dict_set_str(py, "executable", exe);
	val_dict_set_bool(py, "has_sslcontext", true);
	val_dict_set_str(py, "type", "cpython");
	ver = val_dict();
	val_dict_set_int(ver, "major", part[0]);
	val_dict_set_int(ver, "micro", part[2]);
	val_dict_set_int(ver, "minor", part[1]);
	val_dict_set_str(ver, "releaselevel", level);
	val_dict_set_int(ver, "serial", serial);
	val_dict_set(py, "version", ver);
	info = val_list();
	for (int i = 0; i < 3; i++)
		val_list_push(info, val_int(part[i]));
	val_list_push(info, val_str(level));
	val_list_push(info, val_int(serial));
	val_dict_set(py, "version_info", info);
	val_dict_set(f, "python", py);
	val_dict_set(f, "python_version", val_strf("%lld.%lld.%lld", part[0],
						   part[1], part[2]));
}

static void set_int(struct val *f, const char *key, const char *s)
{
	if (s && *s)
		val_dict_set_int(f, key, atoll(s));
}

static void user(struct val *f, const struct raw *r)
{
	set_str(f, "user_id", get(r, "user_id"));
	set_int(f, "user_uid", get(r, "pw_uid"));
	set_int(f, "user_gid", get(r, "pw_gid"));
	if (get(r, "pw_uid")) {
		set_str(f, "user_gecos", get(r, "pw_gecos"));
		set_str(f, "user_dir", get(r, "pw_dir"));
		set_str(f, "user_shell", get(r, "pw_shell"));
	}
	set_int(f, "real_user_id", get(r, "real_user_id"));
	set_int(f, "effective_user_id", get(r, "effective_user_id"));
	set_int(f, "real_group_id", get(r, "real_group_id"));
	set_int(f, "effective_group_id", get(r, "effective_group_id"));
}

/* "+0200" → seconds east, for comparing the zone in January and July */
static long zone_offset(const char *z)
{
	long v;

	if (!z || (z[0] != '+' && z[0] != '-') || strlen(z) < 5)
		return 0;
	v = (z[1] - '0') * 36000 + (z[2] - '0') * 3600 + (z[3] - '0') * 600 +
	    (z[4] - '0') * 60;
	return z[0] == '-' ? -v : v;
}

static const char *tz_dst(const char *jan, const char *jul, char out[64])
{
	char n1[32] = "", o1[8] = "", n2[32] = "", o2[8] = "";

	if (!jan || !jul || sscanf(jan, "%31s %7s", n1, o1) != 2 ||
	    sscanf(jul, "%31s %7s", n2, o2) != 2)
		return NULL;
	snprintf(out, 64, "%s",
		 zone_offset(o2) > zone_offset(o1) ? n2 : n1);
	return out;
}

static void date_time(struct val *f, const struct raw *r)
{
	char y[8], mo[4], d[4], h[4], mi[4], s[4], wd[32], wn[4], wk[4];
	char tz[32], off[8], ep[24], ns[16], us[8], dst[64];
	const char *u = get(r, "dtu");
	struct val *dt;

	if (!get(r, "dt") ||
	    sscanf(get(r, "dt"), "%7s %3s %3s %3s %3s %3s %31s %3s %3s %31s "
		   "%7s %23s %15s", y, mo, d, h, mi, s, wd, wn, wk, tz, off, ep,
		   ns) != 13)
		return;
	/* %N: nanoseconds where date has it, else none */
	snprintf(us, sizeof(us), "%.6s", isdigit((unsigned char)ns[0]) &&
		 strlen(ns) >= 6 ? ns : "000000");
	dt = val_dict();
	val_dict_set(dt, "date", val_strf("%s-%s-%s", y, mo, d));
	val_dict_set_str(dt, "day", d);
	val_dict_set_str(dt, "epoch", ep);
	val_dict_set_str(dt, "epoch_int", ep);
	val_dict_set_str(dt, "hour", h);
	val_dict_set(dt, "iso8601", val_strf("%sZ", u ? u : ""));
	val_dict_set(dt, "iso8601_basic",
		     val_strf("%s%s%sT%s%s%s%s", y, mo, d, h, mi, s, us));
	val_dict_set(dt, "iso8601_basic_short",
		     val_strf("%s%s%sT%s%s%s", y, mo, d, h, mi, s));
	val_dict_set(dt, "iso8601_micro", val_strf("%s.%sZ", u ? u : "", us));
	val_dict_set_str(dt, "minute", mi);
	val_dict_set_str(dt, "month", mo);
	val_dict_set_str(dt, "second", s);
	val_dict_set(dt, "time", val_strf("%s:%s:%s", h, mi, s));
	val_dict_set_str(dt, "tz", tz);
	set_str(dt, "tz_dst", tz_dst(get(r, "dtjan"), get(r, "dtjul"), dst) ?
		dst : tz);
	val_dict_set_str(dt, "tz_offset", off);
	val_dict_set_str(dt, "weekday", wd);
	val_dict_set_str(dt, "weekday_number", wn);
	val_dict_set_str(dt, "weeknumber", wk);
	val_dict_set_str(dt, "year", y);
	val_dict_set(f, "date_time", dt);
}

/* Ansible's Linux hardware facts: memory in MB, processors as it counts */
static void hardware(struct val *f, const struct raw *r)
{
	static const char *const mem[][2] = {
		{ "mem_MemTotal", "memtotal_mb" }, { "mem_MemFree", "memfree_mb" },
		{ "mem_SwapTotal", "swaptotal_mb" }, { "mem_SwapFree", "swapfree_mb" },
	};
	long long n, sockets, cores, siblings, tpc, count;

	for (size_t i = 0; i < ARRAY_SIZE(mem); i++)
		if (get(r, mem[i][0]))
			val_dict_set_int(f, mem[i][1],
					 atoll(get(r, mem[i][0])) / 1024);
	if (!get(r, "cpu_n"))
		return;
	n = atoll(get(r, "cpu_n"));
	sockets = get(r, "cpu_sockets") ? atoll(get(r, "cpu_sockets")) : 0;
	cores = get(r, "cpu_cores") ? atoll(get(r, "cpu_cores")) : 0;
	siblings = get(r, "cpu_siblings") ? atoll(get(r, "cpu_siblings")) : 0;
	count = sockets ? sockets : n;
	if (!sockets || !cores)
		cores = 1;
	tpc = siblings && cores ? siblings / cores : 1;
	if (!tpc || !sockets)
		tpc = 1;
	val_dict_set_int(f, "processor_count", count);
	val_dict_set_int(f, "processor_cores", cores);
	val_dict_set_int(f, "processor_threads_per_core", tpc);
	val_dict_set_int(f, "processor_vcpus", tpc * count * cores);
}

struct val *facts_parse(const char *text, const struct facts_opts *o,
			struct val *warnings)
{
	struct raw r = { val_dict(), val_dict(), val_dict(), val_dict(),
			 warnings };
	struct val *f = val_dict();
	unsigned int s = o->subsets;

	read_output(&r, text, o->boundary);
	if (s & FACTS_PLATFORM)
		platform(f, &r);
	if (s & FACTS_DISTRIBUTION)
		distribution(f, &r);
	if (s & FACTS_SERVICE_MGR)
		service_mgr(f, &r);
	if (s & FACTS_PKG_MGR)
		set_str(f, "pkg_mgr", get(&r, "pkg_mgr"));
	if (s & FACTS_PYTHON)
		python(f, &r);
	if (s & FACTS_USER)
		user(f, &r);
	if (s & FACTS_ENV)
		val_dict_set(f, "env", val_ref(r.env));
	if (s & FACTS_DATE_TIME)
		date_time(f, &r);
	if (s & FACTS_HARDWARE)
		hardware(f, &r);
	if (s & FACTS_NETWORK)
		facts_network(f, r.lists, get(&r, "route4"));
	/* it keeps its prefix in ansible_facts (Ansible's namespace_facts) */
	if (s & FACTS_LOCAL)
		val_dict_set(f, "ansible_local", val_ref(r.local));
	if (o->gather_subset)
		val_dict_set(f, "gather_subset", val_copy(o->gather_subset));
	else {
		struct val *l = val_list();

		val_list_push(l, val_str("all"));
		val_dict_set(f, "gather_subset", l);
	}
	val_dict_set_bool(f, "module_setup", true);
	val_unref(r.kv);
	val_unref(r.lists);
	val_unref(r.env);
	val_unref(r.local);
	return f;
}

int facts_gather(struct val **out, struct transport *t, struct facts_opts *o,
		 const char *become_user)
{
	struct exec_req req = { .become_user = become_user };
	struct exec_result res = EXEC_RESULT_INIT;
	struct buf script = BUF_INIT;
	int error;

	facts_script(&script, o);
	req.script = script.ptr;
	error = t->exec(t, &req, &res);
	buf_release(&script);
	if (error < 0) {
		exec_result_release(&res);
		return error;
	}
	*out = facts_parse(res.out.ptr ? res.out.ptr : "", o, NULL);
	exec_result_release(&res);
	return 0;
}
