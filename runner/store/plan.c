#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/store/plan.h"
#include "tend/store/plan_int.h"
#include "tend/util/fs.h"
#include "tend/util/pwhash.h"

#include <ctype.h>
#include <time.h>

#include <sodium.h>

#define PLAN_KIND "tend-plan"

/*
 * 2: every digest Argon2id with a salt per plan (1 had an unsalted
 * SHA-256 of each secret), secrets apart from extra_vars, the files the
 * run read, each task's args_fingerprint.
 */
#define PLAN_FORMAT 2

/*
 * run_event.observed ("DIGEST LABEL" lines) as the plan keeps it: a dict
 * label -> digest (new reference).
 */
static struct val *observed_of(const char *lines)
{
	struct val *d = val_dict();

	for (const char *p = lines; p && *p;) {
		size_t n = strcspn(p, "\n");
		const char *sp = memchr(p, ' ', n);

		if (sp) {
			char *label = xstrndup(sp + 1, n - (size_t)(sp - p) - 1);

			val_dict_set(d, label, val_strn(p, (size_t)(sp - p)));
			free(label);
		}
		p += n + (p[n] == '\n');
	}
	return d;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

static struct val *task_entry(const struct run_event *ev)
{
	struct val *t = val_dict(), *ch = val_list();
	const char *p = ev->changes;

	val_dict_set_str(t, "play", ev->play);
	val_dict_set_str(t, "task", ev->task);
	val_dict_set_str(t, "module", ev->module);
	val_dict_set(t, "file", ev->pos.file ? val_str(ev->pos.file) : val_null());
	val_dict_set_int(t, "line", ev->pos.line);
	val_dict_set_int(t, "col", ev->pos.col);
	val_dict_set(t, "item", ev->label ? val_str(ev->label) : val_null());
	val_dict_set_bool(t, "handler", ev->handler);
	val_dict_set_str(t, "action", event_status_name(ev->status, RUN_PLAN));
	val_dict_set(t, "diff", ev->diff ? val_str(ev->diff) : val_null());
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n)
			val_list_push(ch, val_strn(p, n));
		p += n + (nl ? 1 : 0);
	}
	val_dict_set(t, "changes", ch);
	val_dict_set(t, "msg", ev->msg ? val_str(ev->msg) : val_null());
	val_dict_set_str(t, "fingerprint", ev->fingerprint);
	val_dict_set_str(t, "args_fingerprint", ev->args_fingerprint);
	if (ev->observed)
		val_dict_set(t, "observed", observed_of(ev->observed));
	return t;
}

/* doc.source, doc.playbooks and doc.inventory */
static int write_inputs(struct val *doc, const struct plan_meta *m,
			struct pwhash *h)
{
	struct val *src = val_dict(), *pbs = val_list(), *inv = val_dict();
	char hex[PWHASH_HEX];
	int error = 0;

	val_dict_set(src, "url", m->source_url ? val_str(m->source_url) :
		     val_null());
	val_dict_set(src, "ref", m->source_ref ? val_str(m->source_ref) :
		     val_null());
	val_dict_set(src, "commit", m->commit ? val_str(m->commit) : val_null());
	val_dict_set(src, "subject", m->subject ? val_str(m->subject) :
		     val_null());
	val_dict_set(src, "author", m->author ? val_str(m->author) :
		     val_null());
	val_dict_set(doc, "source", src);
	val_dict_set(doc, "playbooks", pbs);
	val_dict_set(doc, "inventory", inv);
	for (size_t i = 0; i < m->playbooks_nr; i++) {
		struct val *pb = val_dict();

		val_list_push(pbs, pb);
		if ((error = plan_digest_playbook(hex, m->playbooks[i], h)) < 0)
			return error;
		val_dict_set_str(pb, "path", m->playbooks[i]);
		if (m->repo_paths)
			val_dict_set_str(pb, "repo_path", m->repo_paths[i]);
		val_dict_set_str(pb, "argon2id", hex);
	}
	if ((error = plan_digest_inventory(hex, m->inventory, h)) < 0)
		return error;
	val_dict_set(inv, "path", m->inventory ? val_str(m->inventory) :
		     val_null());
	val_dict_set_str(inv, "argon2id", hex);
	return 0;
}

/* doc.options */
static int write_options(struct val *doc, const struct plan_meta *m,
			 struct pwhash *h)
{
	struct val *opts = val_dict();
	int error;

	val_dict_set(doc, "options", opts);
	if ((error = plan_bind_extra_vars(opts, m->extra_vars, h)) < 0)
		return error;
	val_dict_set(opts, "limit", m->limit ? val_str(m->limit) : val_null());
	val_dict_set(opts, "tags", m->tags ? val_copy(m->tags) : val_list());
	val_dict_set(opts, "skip_tags", m->skip_tags ? val_copy(m->skip_tags) :
		     val_list());
	return 0;
}

int plan_write(const char *path, const struct run_result *r,
	       const struct plan_meta *m, const struct plan_bind *b)
{
	struct val *doc = val_dict(), *hosts = val_list(), *files = NULL;
	struct buf out = BUF_INIT;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	int error = 0;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	val_dict_set_str(doc, "kind", PLAN_KIND);
	val_dict_set_int(doc, "format_version", PLAN_FORMAT);
	val_dict_set_str(doc, "tend_version", TEND_VERSION);
	val_dict_set_str(doc, "created", now);
	val_dict_set_int(doc, "created_epoch", (long long)t);
	plan_bind_kdf(doc, b->hasher);
	if ((error = write_inputs(doc, m, b->hasher)) < 0 ||
	    (error = plan_bind_files(&files, b)) < 0)
		goto out;
	val_dict_set(doc, "files", files);
	if ((error = write_options(doc, m, b->hasher)) < 0)
		goto out;
	for (size_t h = 0; h < r->hosts_nr; h++) {
		struct val *hv = val_dict(), *tasks = val_list();

		val_dict_set_str(hv, "host", r->hosts[h].host);
		for (size_t i = 0; i < r->nr; i++)
			if (!strcmp(r->events[i].host, r->hosts[h].host))
				val_list_push(tasks, task_entry(&r->events[i]));
		val_dict_set(hv, "tasks", tasks);
		val_list_push(hosts, hv);
	}
	val_dict_set(doc, "hosts", val_ref(hosts));
	val_to_json(&out, doc, 2);
	buf_addch(&out, '\n');
	error = buf_write_file_atomic(path, out.ptr, out.len, 0644);
out:
	buf_release(&out);
	val_unref(hosts);
	val_unref(doc);
	return error;
}

/*
 * The schema of a plan file: what plan_write writes, checked as a whole by
 * plan_load before any reader looks at the plan, so that the readers below
 * (and cli.c) may rely on the types. A plan may come from anywhere (a CI
 * artifact), so nothing in it is trusted before this.
 *
 * Keys the tables do not list are ignored: within a format version fields
 * are only ever added (docs/plan-format.md). For the same reason the keys
 * added after format 1 first shipped (source.url, .ref, .author and
 * playbooks[].repo_path) are optional; every other key is required.
 */
#define T_NULL (1u << VAL_NULL)
#define T_BOOL (1u << VAL_BOOL)
#define T_INT (1u << VAL_INT)
#define T_FLOAT (1u << VAL_FLOAT)
#define T_STR (1u << VAL_STR)
#define T_LIST (1u << VAL_LIST)
#define T_DICT (1u << VAL_DICT)
#define T_ANY (T_NULL | T_BOOL | T_INT | T_FLOAT | T_STR | T_LIST | T_DICT)

/* Errors reported one by one; the rest are only counted. */
#define PLAN_MAX_ERRORS 10

struct schema_key;

struct schema {
	unsigned int types;            /* T_* bits of the types allowed */
	const char *what;              /* the expectation in messages, or
					  NULL to name the types */
	const struct schema_key *keys; /* a dict's keys; { NULL } ends */
	const struct schema *each;     /* each item of a list, or each
					  value of a dict */
	/*
	 * A further check of a value of an allowed type: 0, or -1 with
	 * "expected X, got Y" appended to `why`.
	 */
	int (*check)(struct buf *why, const struct val *v);
};

struct schema_key {
	const char *name;
	const struct schema *spec;
	bool required;
};

struct schema_state {
	const char *file;
	struct buf path; /* of the value being checked: "hosts[0].tasks" */
	struct buf msgs; /* one line per error */
	size_t errors;
};

static const char *a_type(enum val_type t)
{
	static const char *const names[] = {
		[VAL_NULL] = "null", [VAL_BOOL] = "a bool",
		[VAL_INT] = "an int", [VAL_FLOAT] = "a float",
		[VAL_STR] = "a string", [VAL_LIST] = "a list",
		[VAL_DICT] = "a dict",
	};

	return names[t];
}

static void schema_expected(struct buf *out, const struct schema *s)
{
	if (s->what) {
		buf_adds(out, s->what);
		return;
	}
	for (enum val_type t = VAL_NULL; t <= VAL_DICT; t++) {
		if (!(s->types & (1u << t)))
			continue;
		/* null last: "a string or null" */
		if (t != VAL_NULL)
			buf_addf(out, "%s%s", out->len ? " or " : "",
				 a_type(t));
	}
	if (s->types & T_NULL)
		buf_addf(out, "%snull", out->len ? " or " : "");
}

/*
 * A string as JSON, cut after 40 bytes: it comes from the file and goes
 * into a message, so control characters are escaped.
 */
static void add_quoted(struct buf *out, const struct val *s)
{
	size_t n = s->u.s.len;
	struct val *cut;

	if (n > 40) {
		n = 40;
		while (n && ((unsigned char)s->u.s.ptr[n] & 0xc0) == 0x80)
			n--; /* not inside a UTF-8 sequence */
	}
	cut = val_strn(s->u.s.ptr, n);
	val_to_json(out, cut, 0);
	val_unref(cut);
	if (n < s->u.s.len)
		buf_adds(out, "...");
}

static void path_add_key(struct buf *path, const char *key)
{
	const char *p = key;

	while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
		p++;
	if (*key && !*p) {
		buf_addf(path, "%s%s", path->len ? "." : "", key);
	} else {
		struct val *k = val_str(key);

		buf_addch(path, '[');
		val_to_json(path, k, 0);
		buf_addch(path, ']');
		val_unref(k);
	}
}

static void schema_error(struct schema_state *st, const char *fmt, ...)
	TEND_PRINTF(2, 3);
static void schema_error(struct schema_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->errors++ >= PLAN_MAX_ERRORS)
		return;
	if (st->msgs.len)
		buf_addch(&st->msgs, '\n');
	buf_addf(&st->msgs, "'%s': ", st->file);
	if (st->path.len)
		buf_addf(&st->msgs, "%s: ", st->path.ptr);
	va_start(ap, fmt);
	buf_vaddf(&st->msgs, fmt, ap);
	va_end(ap);
}

static void check_value(struct schema_state *st, const struct val *v,
			const struct schema *s);

static void check_keys(struct schema_state *st, const struct val *dict,
		       const struct schema_key *keys)
{
	size_t len = st->path.len;

	for (const struct schema_key *k = keys; k->name; k++) {
		const struct val *v = val_dict_get(dict, k->name);

		path_add_key(&st->path, k->name);
		if (v) {
			check_value(st, v, k->spec);
		} else if (k->required) {
			struct buf what = BUF_INIT;

			schema_expected(&what, k->spec);
			schema_error(st, "missing (expected %s)", what.ptr);
			buf_release(&what);
		}
		buf_setlen(&st->path, len);
	}
}

/*
 * Check `v` against `s`, adding what is wrong to st. It recurses only as
 * deep as the schema, never as deep as the data.
 */
static void check_value(struct schema_state *st, const struct val *v,
			const struct schema *s)
{
	size_t len = st->path.len;
	struct buf why = BUF_INIT;

	if (!(s->types & (1u << v->type))) {
		schema_expected(&why, s);
		schema_error(st, "expected %s, got %s", why.ptr,
			     a_type(v->type));
		goto out;
	}
	/* a path or a host name would be cut at the NUL */
	if (v->type == VAL_STR && s->types != T_ANY &&
	    strlen(v->u.s.ptr) != v->u.s.len) {
		schema_error(st, "expected a string, got a string with a NUL "
			     "byte");
		goto out;
	}
	if (s->check && s->check(&why, v) < 0) {
		schema_error(st, "%s", why.ptr);
		goto out;
	}
	if (s->keys && v->type == VAL_DICT)
		check_keys(st, v, s->keys);
	if (s->each && v->type == VAL_LIST) {
		for (size_t i = 0; i < v->u.list.nr; i++) {
			buf_addf(&st->path, "[%zu]", i);
			check_value(st, v->u.list.items[i], s->each);
			buf_setlen(&st->path, len);
		}
	}
	if (s->each && v->type == VAL_DICT) {
		for (size_t i = 0; i < v->u.dict.nr; i++) {
			path_add_key(&st->path, v->u.dict.items[i].key);
			check_value(st, v->u.dict.items[i].v, s->each);
			buf_setlen(&st->path, len);
		}
	}
out:
	buf_release(&why);
}

static int check_kind(struct buf *why, const struct val *v)
{
	if (!strcmp(v->u.s.ptr, PLAN_KIND))
		return 0;
	buf_addf(why, "expected \"%s\" (a plan file), got ", PLAN_KIND);
	add_quoted(why, v);
	return -1;
}

static int check_format(struct buf *why, const struct val *v)
{
	if (v->u.i == PLAN_FORMAT)
		return 0;
	buf_addf(why, "expected %d, got %lld (this tend reads plan format "
		 "%d: make the plan again)", PLAN_FORMAT, v->u.i, PLAN_FORMAT);
	return -1;
}

/* The names plan_write gives actions (event_status_name in plan mode). */
static int check_action(struct buf *why, const struct val *v)
{
	/* EV_OK..EV_UNREACHABLE are every status (run.h) */
	for (enum event_status s = EV_OK; s <= EV_UNREACHABLE; s++)
		if (!strcmp(v->u.s.ptr, event_status_name(s, RUN_PLAN)))
			return 0;
	buf_adds(why, "expected one of");
	for (enum event_status s = EV_OK; s <= EV_UNREACHABLE; s++)
		buf_addf(why, "%s %s", s == EV_OK ? "" : ",",
			 event_status_name(s, RUN_PLAN));
	buf_adds(why, ", got ");
	add_quoted(why, v);
	return -1;
}

/* A digest: 32 bytes in lower-case hex, as pwhash writes them. */
static int check_hex(struct buf *why, const struct val *v, size_t bytes)
{
	size_t i;

	for (i = 0; i < v->u.s.len; i++)
		if (!isxdigit((unsigned char)v->u.s.ptr[i]) ||
		    isupper((unsigned char)v->u.s.ptr[i]))
			break;
	if (i == v->u.s.len && v->u.s.len == 2 * bytes)
		return 0;
	buf_addf(why, "expected %zu hex digits, got ", 2 * bytes);
	add_quoted(why, v);
	return -1;
}

static int check_digest(struct buf *why, const struct val *v)
{
	return check_hex(why, v, 32);
}

static int check_salt(struct buf *why, const struct val *v)
{
	return check_hex(why, v, PWHASH_SALT_BYTES);
}

static int check_kdf_name(struct buf *why, const struct val *v)
{
	if (!strcmp(v->u.s.ptr, PWHASH_NAME))
		return 0;
	buf_adds(why, "expected \"" PWHASH_NAME "\", got ");
	add_quoted(why, v);
	return -1;
}

/*
 * The limits must be ours: a plan cannot make apply hash with less work
 * (or ask it for more memory than it has).
 */
static int check_opslimit(struct buf *why, const struct val *v)
{
	if ((unsigned long long)v->u.i == pwhash_opslimit() && v->u.i > 0)
		return 0;
	buf_addf(why, "expected %llu, got %lld", pwhash_opslimit(), v->u.i);
	return -1;
}

static int check_memlimit(struct buf *why, const struct val *v)
{
	if ((size_t)v->u.i == pwhash_memlimit() && v->u.i > 0)
		return 0;
	buf_addf(why, "expected %zu, got %lld", pwhash_memlimit(), v->u.i);
	return -1;
}

static const struct schema s_str = { .types = T_STR };
static const struct schema s_str_or_null = { .types = T_STR | T_NULL };
static const struct schema s_int = { .types = T_INT };
static const struct schema s_bool = { .types = T_BOOL };
static const struct schema s_digest = {
	.types = T_STR, .what = "a digest (hex)", .check = check_digest,
};
static const struct schema s_strings = {
	.types = T_LIST, .what = "a list of strings", .each = &s_str,
};

static const struct schema s_kind = {
	.types = T_STR, .what = "\"" PLAN_KIND "\"", .check = check_kind,
};
static const struct schema s_format = {
	.types = T_INT, .what = "an int", .check = check_format,
};
static const struct schema_key head_keys[] = {
	{ "kind", &s_kind, true },
	{ "format_version", &s_format, true },
	{ NULL, NULL, false },
};

static const struct schema_key source_keys[] = {
	{ "url", &s_str_or_null, false },
	{ "ref", &s_str_or_null, false },
	{ "commit", &s_str_or_null, true },
	{ "subject", &s_str_or_null, true },
	{ "author", &s_str_or_null, false },
	{ NULL, NULL, false },
};
static const struct schema s_source = {
	.types = T_DICT, .keys = source_keys,
};

static const struct schema_key playbook_keys[] = {
	{ "path", &s_str, true },
	{ "repo_path", &s_str, false },
	{ "argon2id", &s_digest, true },
	{ NULL, NULL, false },
};
static const struct schema s_playbook = {
	.types = T_DICT, .keys = playbook_keys,
};
static const struct schema s_playbooks = {
	.types = T_LIST, .what = "a list of dicts", .each = &s_playbook,
};

static const struct schema_key inventory_keys[] = {
	{ "path", &s_str_or_null, true },
	{ "argon2id", &s_digest, true },
	{ NULL, NULL, false },
};
static const struct schema s_inventory = {
	.types = T_DICT, .keys = inventory_keys,
};

/*
 * Values of any type: a secret is never among them (options.secrets
 * names it), so no value of a user's is taken for one.
 */
static const struct schema s_extra_vars = { .types = T_DICT };
static const struct schema s_secrets = {
	.types = T_DICT, .what = "a dict of digests", .each = &s_digest,
};
static const struct schema_key options_keys[] = {
	{ "extra_vars", &s_extra_vars, true },
	{ "secrets", &s_secrets, true },
	{ "limit", &s_str_or_null, true },
	{ "tags", &s_strings, true },
	{ "skip_tags", &s_strings, true },
	{ NULL, NULL, false },
};
static const struct schema s_options = {
	.types = T_DICT, .keys = options_keys,
};

/* label -> SHA-256 of what a provisioning module saw of it */
static const struct schema s_observed = {
	.types = T_DICT, .what = "a dict of digests", .each = &s_digest,
};
static const struct schema s_action = {
	.types = T_STR, .check = check_action,
};
static const struct schema_key task_keys[] = {
	{ "play", &s_str, true },
	{ "task", &s_str, true },
	{ "module", &s_str, true },
	{ "file", &s_str_or_null, true },
	{ "line", &s_int, true },
	{ "col", &s_int, true },
	{ "item", &s_str_or_null, true },
	{ "handler", &s_bool, true },
	{ "action", &s_action, true },
	{ "diff", &s_str_or_null, true },
	{ "changes", &s_strings, true },
	{ "msg", &s_str_or_null, true },
	{ "fingerprint", &s_str, true },
	{ "args_fingerprint", &s_str, true },
	{ "observed", &s_observed, false },
	{ NULL, NULL, false },
};
static const struct schema s_task = { .types = T_DICT, .keys = task_keys };
static const struct schema s_tasks = {
	.types = T_LIST, .what = "a list of dicts", .each = &s_task,
};

static const struct schema_key host_keys[] = {
	{ "host", &s_str, true },
	{ "tasks", &s_tasks, true },
	{ NULL, NULL, false },
};
static const struct schema s_host = { .types = T_DICT, .keys = host_keys };
static const struct schema s_hosts = {
	.types = T_LIST, .what = "a list of dicts", .each = &s_host,
};

static const struct schema s_kdf_name = {
	.types = T_STR, .check = check_kdf_name,
};
static const struct schema s_opslimit = {
	.types = T_INT, .check = check_opslimit,
};
static const struct schema s_memlimit = {
	.types = T_INT, .check = check_memlimit,
};
static const struct schema s_salt = {
	.types = T_STR, .what = "a salt (hex)", .check = check_salt,
};
static const struct schema_key kdf_keys[] = {
	{ "name", &s_kdf_name, true },
	{ "opslimit", &s_opslimit, true },
	{ "memlimit", &s_memlimit, true },
	{ "salt", &s_salt, true },
	{ NULL, NULL, false },
};
static const struct schema s_kdf = { .types = T_DICT, .keys = kdf_keys };

static const struct schema_key file_keys[] = {
	{ "path", &s_str, true },
	{ "argon2id", &s_digest, true },
	{ NULL, NULL, false },
};
static const struct schema s_file = { .types = T_DICT, .keys = file_keys };
static const struct schema s_files = {
	.types = T_LIST, .what = "a list of dicts", .each = &s_file,
};

static const struct schema_key plan_keys[] = {
	{ "tend_version", &s_str, true },
	{ "kdf", &s_kdf, true },
	{ "files", &s_files, true },
	{ "created", &s_str, true },
	{ "created_epoch", &s_int, true },
	{ "source", &s_source, true },
	{ "playbooks", &s_playbooks, true },
	{ "inventory", &s_inventory, true },
	{ "options", &s_options, true },
	{ "hosts", &s_hosts, true },
	{ NULL, NULL, false },
};

/* kind and format_version first: another format gets only that error */
static const struct schema plan_head = {
	.types = T_DICT, .what = "a dict (a plan)", .keys = head_keys,
};
static const struct schema plan_body = {
	.types = T_DICT, .keys = plan_keys,
};

/*
 * What the table cannot say: a plan of a --repo source names its
 * playbooks by repo_path and needs the ref to fetch again (load_plan).
 */
static void check_source_links(struct schema_state *st,
			       const struct val *doc)
{
	const struct val *pbs = val_dict_get(doc, "playbooks");

	if (!val_cstr(val_dict_path(doc, "source.url")))
		return;
	if (!val_cstr(val_dict_path(doc, "source.ref"))) {
		buf_sets(&st->path, "source.ref");
		schema_error(st, "expected a string (the plan has a "
			     "source.url), got %s",
			     val_dict_path(doc, "source.ref") ? "null" :
			     "nothing");
	}
	for (size_t i = 0; i < pbs->u.list.nr; i++) {
		if (val_dict_get(pbs->u.list.items[i], "repo_path"))
			continue;
		buf_reset(&st->path);
		buf_addf(&st->path, "playbooks[%zu].repo_path", i);
		schema_error(st, "missing (expected a string: the plan has a "
			     "source.url)");
	}
}

/* A var is an extra var or a secret, never both: which one would apply? */
static void check_secret_names(struct schema_state *st, const struct val *doc)
{
	const struct val *ev = val_dict_path(doc, "options.extra_vars");
	const struct val *sec = val_dict_path(doc, "options.secrets");

	for (size_t i = 0; i < val_len(sec); i++) {
		const char *name = sec->u.dict.items[i].key;

		if (!val_dict_get(ev, name))
			continue;
		buf_sets(&st->path, "options.secrets");
		path_add_key(&st->path, name);
		schema_error(st, "expected a var that is not also in "
			     "options.extra_vars, got one that is");
	}
}

/* Check the whole plan `doc` read from `file`; 0, or -1 with the errors. */
static int plan_check(const struct val *doc, const char *file)
{
	struct schema_state st = { file, BUF_INIT, BUF_INIT, 0 };
	int error = 0;

	check_value(&st, doc, &plan_head);
	if (!st.errors)
		check_value(&st, doc, &plan_body);
	if (!st.errors) {
		check_source_links(&st, doc);
		check_secret_names(&st, doc);
	}
	if (st.errors > PLAN_MAX_ERRORS)
		buf_addf(&st.msgs, "\n'%s': %zu more errors", file,
			 st.errors - PLAN_MAX_ERRORS);
	if (st.errors)
		error = tend_error_set("%s", st.msgs.ptr);
	buf_release(&st.path);
	buf_release(&st.msgs);
	return error;
}

int plan_load(struct val **out, const char *path)
{
	struct buf b = BUF_INIT;
	struct val *doc = NULL;
	int error;

	*out = NULL;
	if ((error = buf_read_file(&b, path)) < 0)
		goto out;
	if ((error = val_from_json(&doc, b.ptr, b.len)) < 0) {
		tend_error_prefix("'%s' is not a plan file", path);
		goto out;
	}
	if ((error = plan_check(doc, path)) < 0)
		goto out;
	*out = val_ref(doc);
out:
	val_unref(doc);
	buf_release(&b);
	return error;
}

bool plan_is_file(const char *path)
{
	FILE *f;
	int c;

	if (!has_suffix(path, ".json") || !(f = fopen(path, "r")))
		return false;
	while ((c = getc(f)) != EOF && isspace(c))
		;
	fclose(f);
	return c != '[';
}

struct val *plan_hosts(const struct val *plan)
{
	const struct val *hosts = val_dict_get(plan, "hosts");
	struct val *l = val_list();

	for (size_t i = 0; i < val_len(hosts); i++) {
		const char *h = val_cstr(val_dict_get(val_list_at(hosts, i),
						      "host"));

		val_list_push(l, val_str(h));
	}
	return l;
}

static bool same_key(const struct val *t, const struct run_event *ev)
{
	const char *file = val_cstr(val_dict_get(t, "file"));
	const struct val *line = val_dict_get(t, "line");
	const char *item = val_cstr(val_dict_get(t, "item"));

	return (file ? ev->pos.file && !strcmp(file, ev->pos.file) :
		!ev->pos.file) &&
	       line->u.i == ev->pos.line &&
	       (item ? ev->label && !strcmp(item, ev->label) : !ev->label);
}

static void describe(struct buf *why, const struct val *t,
		     const struct run_event *ev)
{
	if (!t) {
		buf_addf(why, "task '%s' was not in the plan", ev->task);
	} else if (!ev) {
		buf_addf(why, "task '%s' of the plan did not come up",
			 val_cstr(val_dict_get(t, "task")));
	} else {
		buf_addf(why, "task '%s'%s%s%s (%s:%u): planned %s, now %s",
			 ev->task, ev->label ? " (item=" : "",
			 ev->label ? ev->label : "", ev->label ? ")" : "",
			 ev->pos.file ? ev->pos.file : "?", ev->pos.line,
			 val_cstr(val_dict_get(t, "action")),
			 event_status_name(ev->status, RUN_PLAN));
		if (ev->diff)
			buf_addf(why, "\n%s", ev->diff);
		else if (ev->changes)
			buf_addf(why, "\n%s", ev->changes);
	}
}

/*
 * The things a provisioning module observed that moved since the plan
 * (a digest differs, or one of the two lacks it), named in `why`.
 * Returns whether any did.
 */
static bool describe_moved(struct buf *why, const struct val *t,
			   const struct run_event *ev)
{
	const struct val *then = val_dict_get(t, "observed");
	struct val *now = observed_of(ev->observed);
	struct buf names = BUF_INIT;
	size_t n = 0;

	if (!then && !ev->observed)
		goto out;
	for (size_t i = 0; i < val_len(now); i++) {
		const char *label = now->u.dict.items[i].key;
		const struct val *d = val_dict_get(then, label);

		if (!d || !val_equal(d, now->u.dict.items[i].v))
			buf_addf(&names, "%s%s", n++ ? ", " : "", label);
	}
	for (size_t i = 0; i < val_len(then); i++)
		if (!val_dict_get(now, then->u.dict.items[i].key))
			buf_addf(&names, "%s%s", n++ ? ", " : "",
				 then->u.dict.items[i].key);
	if (n) {
		buf_addf(why, "task '%s'%s%s%s (%s:%u): %s moved since the "
			 "plan", ev->task, ev->label ? " (item=" : "",
			 ev->label ? ev->label : "", ev->label ? ")" : "",
			 ev->pos.file ? ev->pos.file : "?", ev->pos.line,
			 names.ptr);
		if (ev->changes)
			buf_addf(why, "\n%s", ev->changes);
	}
out:
	val_unref(now);
	buf_release(&names);
	return n > 0;
}

/*
 * What the task runs moved: its arguments (an extra var edited in the
 * plan, a file it reads), the user it becomes or where it connects.
 */
static void describe_args(struct buf *why, const struct run_event *ev)
{
	buf_addf(why, "task '%s'%s%s%s (%s:%u): its arguments differ from "
		 "the plan's", ev->task, ev->label ? " (item=" : "",
		 ev->label ? ev->label : "", ev->label ? ")" : "",
		 ev->pos.file ? ev->pos.file : "?", ev->pos.line);
}

int plan_compare(struct val **stale, const struct val *plan,
		 const struct run_result *now)
{
	const struct val *hosts = val_dict_get(plan, "hosts");
	struct val *out = val_dict();

	for (size_t h = 0; h < val_len(hosts); h++) {
		const struct val *hv = val_list_at(hosts, h);
		const char *host = val_cstr(val_dict_get(hv, "host"));
		const struct val *tasks = val_dict_get(hv, "tasks");
		struct buf why = BUF_INIT;
		size_t k = 0, seen = 0;

		for (size_t i = 0; i < now->nr && !why.len; i++) {
			const struct run_event *ev = &now->events[i];
			const struct val *t;

			if (strcmp(ev->host, host))
				continue;
			seen++;
			t = k < val_len(tasks) ? val_list_at(tasks, k++) : NULL;
			if (!t || !same_key(t, ev)) {
				describe(&why, t, ev);
				continue;
			}
			if (strcmp(val_cstr(val_dict_get(t, "args_fingerprint")),
				   ev->args_fingerprint))
				describe_args(&why, ev);
			else if (strcmp(val_cstr(val_dict_get(t, "action")),
					event_status_name(ev->status, RUN_PLAN)) ||
				 strcmp(val_cstr(val_dict_get(t, "fingerprint")),
					ev->fingerprint)) {
				if (!describe_moved(&why, t, ev))
					describe(&why, t, ev);
			}
		}
		if (!why.len && k < val_len(tasks))
			describe(&why, val_list_at(tasks, k), NULL);
		if (!why.len && !seen && val_len(tasks))
			buf_adds(&why, "the host is no longer selected");
		if (why.len)
			val_dict_set_str(out, host, why.ptr);
		buf_release(&why);
	}
	*stale = out;
	return 0;
}
