#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/data/val.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"
#include "tend/modules/registry.h"

#include <sys/stat.h>
#include <unistd.h>

extern const struct tend_module mod_file, mod_copy, mod_template, mod_stat,
	mod_command, mod_shell, mod_apt;

/*
 * Each test gets a temp dir, the local transport and a read-only view of
 * it, as the planner hands them out: check sees only the view.
 */
struct fixture {
	char dir[64];
	struct transport *t, *ro;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/tend-test-module-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (transport_local_new(&f->t, NULL) < 0 ||
	    transport_readonly_new(&f->ro, f->t) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct buf cmd = BUF_INIT;

	buf_adds(&cmd, "rm -rf ");
	sh_quote(&cmd, f->dir);
	if (system(cmd.ptr) != 0)
		return -1;
	buf_release(&cmd);
	transport_close(f->ro);
	transport_close(f->t);
	free(f);
	return 0;
}

static char *path_in(const struct fixture *f, const char *name)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/%s", f->dir, name);
	return buf_detach(&b, NULL);
}

static void write_file(const char *path, const char *content,
		       unsigned int mode)
{
	assert_ok(buf_write_file_atomic(path, content, strlen(content), mode));
}

static char *read_file(const char *path)
{
	struct buf b = BUF_INIT;

	assert_ok(buf_read_file(&b, path));
	return buf_detach(&b, NULL);
}

static unsigned int mode_on_disk(const char *path)
{
	struct stat sb;

	assert_int_equal(lstat(path, &sb), 0);
	return sb.st_mode & 07777;
}

/* The file API used by copy, template, lineinfile, blockinfile. */
static void test_module__file_api_cycle(void **state)
{
	struct fixture *f = *state;
	char *p = path_in(f, "conf");
	struct task_ctx ctx = { .t = f->ro, .host = "localhost" };
	struct file_state st;
	struct check_result cr;
	struct apply_result ar;
	struct val *mode = val_str("0600");
	struct file_want w = { .path = p, .content = "a\nb\nc\n",
			       .content_len = 6, .mode = mode };
	char *got;

	write_file(p, "a\nc\n", 0644);
	file_state_init(&st);
	check_result_init(&cr);
	assert_ok(file_state_read(&st, &ctx, p, FILE_READ_CONTENT));
	assert_true(st.exists);
	assert_int_equal(st.type, 'f');
	assert_int_equal(st.mode, 0644);
	assert_true(st.content_read);
	assert_string_equal(st.content.ptr, "a\nc\n");
	assert_string_equal(st.sha1, "6e9e03d610a57120f10fa25013cdc29dde76ab7e");
	assert_ok(file_plan(&cr, &st, &w));
	assert_int_equal(cr.status, CHECK_CHANGE);
	assert_string_equal(cr.changes.ptr, "mode: 0644 -> 0600\n");
	assert_true(buf_starts_with(&cr.diff, "--- before: /tmp/"));
	assert_true(buf_ends_with(&cr.diff, "/conf\n"
				  "@@ -1,2 +1,3 @@\n a\n+b\n c\n"));

	/* apply through the real transport */
	ctx.t = f->t;
	apply_result_init(&ar);
	assert_ok(file_write(&ar, &ctx, &w, &st));
	assert_true(ar.changed);
	got = read_file(p);
	assert_string_equal(got, "a\nb\nc\n");
	free(got);
	assert_int_equal(mode_on_disk(p), 0600);
	assert_string_equal(val_cstr(val_dict_get(ar.result, "mode")), "0600");
	assert_string_equal(val_cstr(val_dict_get(ar.result, "checksum")),
			    "3ca69e8d6c234a469d16ac28a4a658c92267c423");
	assert_int_equal(val_dict_get(ar.result, "size")->u.i, 6);
	apply_result_release(&ar);

	/* a second check is OK */
	ctx.t = f->ro;
	check_result_release(&cr);
	check_result_init(&cr);
	assert_ok(file_state_read(&st, &ctx, p, FILE_READ_CONTENT));
	assert_ok(file_plan(&cr, &st, &w));
	assert_int_equal(cr.status, CHECK_OK);
	assert_int_equal(cr.diff.len, 0);
	check_result_release(&cr);
	file_state_release(&st);
	val_unref(mode);
	free(p);
}

/* Args from "k=v k2=v2", normalized as the loader would with `final`. */
static struct val *args_of(const struct tend_module *m, const char *kv)
{
	struct val *raw = NULL, *out = NULL;
	struct diags d = DIAGS_INIT;

	assert_ok(val_parse_kv(&raw, kv, NULL));
	if (args_normalize(&out, m, raw, NULL, &d, true) < 0) {
		diags_print(&d, stderr);
		fail_msg("args_normalize failed for '%s'", kv);
	}
	diags_release(&d);
	val_unref(raw);
	return out;
}

/* The first diagnostic args_normalize gives for `args`. Caller frees. */
static char *args_error(const struct tend_module *m, struct val *args,
			bool final)
{
	struct val *out = NULL;
	struct diags d = DIAGS_INIT;
	char *msg;

	assert_int_equal(args_normalize(&out, m, args, NULL, &d, final),
			 TEND_EPARSE);
	assert_null(out);
	assert_true(d.nr >= 1);
	msg = xstrdup(d.items[0]);
	diags_release(&d);
	val_unref(args);
	return msg;
}

static struct val *kv(const char *s)
{
	struct val *v = NULL;

	assert_ok(val_parse_kv(&v, s, NULL));
	return v;
}

static void test_module__args_normalize(void **state)
{
	struct val *args, *raw;
	struct diags d = DIAGS_INIT;
	char *msg;

	(void)state;
	args = args_of(&mod_file, "dest=/x state=directory recurse=yes mode=0750");
	assert_string_equal(val_cstr(val_dict_get(args, "path")), "/x");
	assert_null(val_dict_get(args, "dest"));
	assert_true(val_is(val_dict_get(args, "recurse"), VAL_BOOL));
	assert_true(val_dict_get(args, "recurse")->u.b);
	val_unref(args);

	msg = args_error(&mod_copy, kv("dset=/x content=a"), true);
	assert_string_equal(msg, "unsupported parameter 'dset' (did you mean "
			    "'dest'?)");
	free(msg);
	msg = args_error(&mod_copy, kv("dest=/x content=a force=maybe"), true);
	assert_string_equal(msg, "expected a bool for 'force', got 'maybe'");
	free(msg);
	msg = args_error(&mod_file, kv("path=/x state=dir"), true);
	assert_string_equal(msg, "value of 'state' must be one of: file, "
			    "directory, link, hard, absent, touch, got 'dir'");
	free(msg);
	msg = args_error(&mod_file, kv("state=directory"), true);
	assert_string_equal(msg, "missing required arguments: path");
	free(msg);
	/* a YAML bool where the choices hold one yes-word (no-word) */
	raw = val_dict();
	val_dict_set(raw, "upgrade", val_bool(true));
	assert_ok(args_normalize(&args, &mod_apt, raw, NULL, &d, true));
	assert_string_equal(val_cstr(val_dict_get(args, "upgrade")), "yes");
	val_unref(args);
	val_unref(raw);
	raw = val_dict();
	val_dict_set(raw, "upgrade", val_bool(false));
	val_dict_set(raw, "update_cache", val_bool(true));
	assert_ok(args_normalize(&args, &mod_apt, raw, NULL, &d, true));
	assert_string_equal(val_cstr(val_dict_get(args, "upgrade")), "no");
	val_unref(args);
	val_unref(raw);
	/* as Ansible: only the spelling Python's str() gives a bool */
	msg = args_error(&mod_apt, kv("upgrade=true"), true);
	assert_string_equal(msg, "value of 'upgrade' must be one of: no, yes, "
			    "safe, full, dist, got 'true'");
	free(msg);
	/* no yes-word among the choices: refused as before */
	raw = val_dict();
	val_dict_set_str(raw, "path", "/x");
	val_dict_set(raw, "state", val_bool(true));
	msg = args_error(&mod_file, raw, true);
	assert_string_equal(msg, "value of 'state' must be one of: file, "
			    "directory, link, hard, absent, touch, got 'True'");
	free(msg);
	msg = args_error(&mod_file, kv("path=/x mode=u+q"), true);
	assert_string_equal(msg, "invalid value for 'mode': invalid mode 'u+q'");
	free(msg);

	/* free-form only where the module takes it */
	raw = val_dict();
	val_dict_set_str(raw, "_raw_params", "ls");
	msg = args_error(&mod_file, raw, true);
	assert_string_equal(msg, "module 'file' does not take free-form "
			    "arguments");
	free(msg);
	raw = val_dict();
	val_dict_set_str(raw, "_raw_params", "ls -l");
	val_dict_set_str(raw, "chdir", "/tmp");
	assert_ok(args_normalize(&args, &mod_command, raw, NULL, &d, true));
	assert_string_equal(val_cstr(val_dict_get(args, "_raw_params")),
			    "ls -l");
	val_unref(args);
	val_unref(raw);

	/* before rendering, jinja skips type checks, not name checks */
	raw = kv("path=/x force='{{ f }}' mode='{{ m }}'");
	assert_ok(args_normalize(&args, &mod_file, raw, NULL, &d, false));
	assert_string_equal(val_cstr(val_dict_get(args, "force")), "{{ f }}");
	val_unref(args);
	val_unref(raw);
	assert_int_equal(d.nr, 0);
	diags_release(&d);

	/* positions of values are used */
	raw = kv("path=/x nope=1");
	val_dict_get(raw, "nope")->pos =
		(struct srcpos){ srcfile_intern("site.yml"), 4, 9 };
	msg = args_error(&mod_file, raw, true);
	assert_string_equal(msg, "site.yml:4:9: unsupported parameter 'nope' "
			    "(did you mean 'name'?)");
	free(msg);

	assert_ptr_equal(module_find("ansible.builtin.copy"), &mod_copy);
	assert_ptr_equal(module_find("shell"), &mod_shell);
	assert_null(module_find("nope"));
}

static void test_module__sh_split(void **state)
{
	struct val *w = NULL;

	(void)state;
	assert_ok(sh_split(&w, "echo 'a b' \"c \\\"d\\\"\" e\\ f '' $HOME"));
	assert_int_equal(val_len(w), 6);
	assert_string_equal(val_cstr(val_list_at(w, 1)), "a b");
	assert_string_equal(val_cstr(val_list_at(w, 2)), "c \"d\"");
	assert_string_equal(val_cstr(val_list_at(w, 3)), "e f");
	assert_string_equal(val_cstr(val_list_at(w, 4)), "");
	assert_string_equal(val_cstr(val_list_at(w, 5)), "$HOME");
	val_unref(w);
	assert_true(sh_split(&w, "echo 'oops") < 0);
	tend_error_clear();
}

static void test_module__local_exec(void **state)
{
	struct fixture *f = *state;
	struct exec_req req = { .script = "echo out; echo err >&2; exit 3" };
	struct exec_result res = EXEC_RESULT_INIT;
	struct buf big = BUF_INIT;

	assert_ok(f->t->exec(f->t, &req, &res));
	assert_int_equal(res.status, 3);
	assert_string_equal(res.out.ptr, "out\n");
	assert_string_equal(res.err.ptr, "err\n");
	exec_result_release(&res);

	req.script = "kill -TERM $$";
	assert_ok(f->t->exec(f->t, &req, &res));
	assert_int_equal(res.status, 128 + 15);
	exec_result_release(&res);

	/*
	 * 8 MiB through stdin, echoed to stdout and stderr at once: only a
	 * poll loop that drains while it feeds gets through this.
	 */
	for (int i = 0; big.len < (8u << 20); i++)
		buf_addf(&big, "line %d of a big input\n", i);
	req.script = "tee /dev/stderr";
	req.in = big.ptr;
	req.inlen = big.len;
	assert_ok(f->t->exec(f->t, &req, &res));
	assert_int_equal(res.status, 0);
	assert_int_equal(res.out.len, big.len);
	assert_int_equal(res.err.len, big.len);
	assert_memory_equal(res.out.ptr, big.ptr, big.len);
	exec_result_release(&res);

	/* a child that exits without reading its input is no error */
	req.script = "exit 0";
	assert_ok(f->t->exec(f->t, &req, &res));
	assert_int_equal(res.status, 0);
	exec_result_release(&res);
	buf_release(&big);
	assert_int_equal(f->t->round_trips, 4);
}

static void test_module__readonly_refuses_writes(void **state)
{
	struct fixture *f = *state;
	char *p = path_in(f, "x");
	struct exec_req req = { .script = "cat >/dev/null", .in = "x",
				.inlen = 1 };
	struct exec_result res = EXEC_RESULT_INIT;
	struct buf got = BUF_INIT;
	unsigned long before = f->t->round_trips;

	assert_true(f->ro->flags & TRANSPORT_READONLY);
	assert_true(f->ro->put(f->ro, p, "x", 1, 0644, NULL) < 0);
	assert_true(access(p, F_OK) < 0);
	assert_true(f->ro->exec(f->ro, &req, &res) < 0);
	tend_error_clear();
	req.script = "echo hi";
	req.in = NULL;
	req.inlen = 0;
	assert_ok(f->ro->exec(f->ro, &req, &res));
	assert_string_equal(res.out.ptr, "hi\n");
	exec_result_release(&res);
	assert_int_equal(f->t->round_trips, before + 1);

	/* the real one writes and reads */
	assert_ok(f->t->put(f->t, p, "data", 4, 0640, NULL));
	assert_int_equal(mode_on_disk(p), 0640);
	assert_ok(f->ro->get(f->ro, p, &got, NULL));
	assert_string_equal(got.ptr, "data");
	buf_release(&got);
	free(p);
}

/*
 * Run one module as plan and apply would: check on the read-only view,
 * apply on the real transport, then check again, which must be OK.
 * Returns the first check's result in *cr (caller releases).
 */
static void cycle(struct fixture *f, const struct tend_module *m,
		  const char *kvs, struct check_result *cr,
		  struct apply_result *ar, const struct engine_ops *engine)
{
	struct val *args = args_of(m, kvs);
	struct task_ctx ctx = { .t = f->ro, .args = args, .host = "localhost",
				.basedir = f->dir, .engine = engine };
	struct check_result again;

	check_result_init(cr);
	apply_result_init(ar);
	assert_ok(module_check(cr, m, &ctx));
	assert_int_not_equal(cr->status, CHECK_OK);
	ctx.t = f->t;
	assert_ok(m->apply(ar, &ctx, cr));
	assert_true(ar->changed);
	ctx.t = f->ro;
	check_result_init(&again);
	assert_ok(module_check(&again, m, &ctx));
	if (again.status != CHECK_OK)
		fail_msg("second check of '%s' is not OK: %s", kvs,
			 again.changes.ptr);
	check_result_release(&again);
	val_unref(args);
}

/* Check only, returning the status; the result goes to *cr. */
static int check_only(struct fixture *f, const struct tend_module *m,
		      const char *kvs, struct check_result *cr)
{
	struct val *args = args_of(m, kvs);
	struct task_ctx ctx = { .t = f->ro, .args = args, .host = "localhost",
				.basedir = f->dir };
	int error;

	check_result_init(cr);
	error = module_check(cr, m, &ctx);
	val_unref(args);
	return error;
}

static void test_module__file(void **state)
{
	struct fixture *f = *state;
	struct check_result cr;
	struct apply_result ar;
	struct buf a = BUF_INIT;
	char *d = path_in(f, "sub/dir"), *l = path_in(f, "link");
	char *t = path_in(f, "touched");
	struct stat sb;

	buf_addf(&a, "path=%s state=directory mode=0750", d);
	cycle(f, &mod_file, a.ptr, &cr, &ar, NULL);
	assert_string_equal(cr.changes.ptr, "state: absent -> directory\n");
	assert_int_equal(mode_on_disk(d), 0750);
	assert_string_equal(val_cstr(val_dict_get(ar.result, "state")),
			    "directory");
	assert_string_equal(val_cstr(val_dict_get(ar.result, "mode")), "0750");
	check_result_release(&cr);
	apply_result_release(&ar);

	buf_reset(&a);
	buf_addf(&a, "path=%s mode=u=rwx,go=", d);
	cycle(f, &mod_file, a.ptr, &cr, &ar, NULL);
	assert_string_equal(cr.changes.ptr, "mode: 0750 -> 0700\n");
	assert_int_equal(mode_on_disk(d), 0700);
	check_result_release(&cr);
	apply_result_release(&ar);

	buf_reset(&a);
	buf_addf(&a, "path=%s src=%s state=link", l, d);
	cycle(f, &mod_file, a.ptr, &cr, &ar, NULL);
	assert_string_equal(cr.changes.ptr, "state: absent -> link\n");
	assert_int_equal(lstat(l, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	check_result_release(&cr);
	apply_result_release(&ar);

	buf_reset(&a);
	buf_addf(&a, "path=%s src=%s state=link", l, f->dir);
	cycle(f, &mod_file, a.ptr, &cr, &ar, NULL);
	assert_true(buf_starts_with(&cr.changes, "src: /tmp/"));
	check_result_release(&cr);
	apply_result_release(&ar);

	/* state=file on a missing path fails, as Ansible */
	buf_reset(&a);
	buf_addf(&a, "path=%s", t);
	assert_true(check_only(f, &mod_file, a.ptr, &cr) < 0);
	assert_true(strstr(tend_error_last(), "is absent, cannot continue"));
	check_result_release(&cr);

	/* touch: always a change; check creates nothing */
	buf_reset(&a);
	buf_addf(&a, "path=%s state=touch mode=0600", t);
	assert_ok(check_only(f, &mod_file, a.ptr, &cr));
	assert_int_equal(cr.status, CHECK_CHANGE);
	assert_string_equal(cr.changes.ptr, "state: absent -> touch\n");
	assert_true(access(t, F_OK) < 0);
	check_result_release(&cr);

	buf_reset(&a);
	buf_addf(&a, "path=%s state=absent", d);
	cycle(f, &mod_file, a.ptr, &cr, &ar, NULL);
	assert_string_equal(cr.changes.ptr, "state: directory -> absent\n");
	assert_true(access(d, F_OK) < 0);
	check_result_release(&cr);
	apply_result_release(&ar);

	buf_release(&a);
	free(d);
	free(l);
	free(t);
}

static void test_module__copy(void **state)
{
	struct fixture *f = *state;
	struct check_result cr;
	struct apply_result ar;
	struct buf a = BUF_INIT;
	char *p = path_in(f, "motd"), *files = path_in(f, "files");
	char *src = path_in(f, "files/app.conf"), *got, *bak;

	buf_addf(&a, "dest=%s content='hello\nworld\n' mode=0640", p);
	cycle(f, &mod_copy, a.ptr, &cr, &ar, NULL);
	assert_string_equal(cr.changes.ptr, "state: absent -> file\n");
	assert_true(buf_ends_with(&cr.diff, "/motd\n@@ -0,0 +1,2 @@\n"
				  "+hello\n+world\n"));
	got = read_file(p);
	assert_string_equal(got, "hello\nworld\n");
	free(got);
	assert_int_equal(mode_on_disk(p), 0640);
	assert_string_equal(val_cstr(val_dict_get(ar.result, "checksum")),
			    "58853e8a5e8272b1012f9a52a80758b27bd0d3cb");
	check_result_release(&cr);
	apply_result_release(&ar);

	/* new content with a backup */
	buf_reset(&a);
	buf_addf(&a, "dest=%s content='hello\nthere\n' backup=yes", p);
	cycle(f, &mod_copy, a.ptr, &cr, &ar, NULL);
	assert_true(buf_ends_with(&cr.diff, "@@ -1,2 +1,2 @@\n hello\n-world\n"
				  "+there\n"));
	assert_int_equal(cr.changes.len, 0);
	assert_int_equal(mode_on_disk(p), 0640);
	bak = xstrdup(val_cstr(val_dict_get(ar.result, "backup_file")));
	got = read_file(bak);
	assert_string_equal(got, "hello\nworld\n");
	free(got);
	free(bak);
	check_result_release(&cr);
	apply_result_release(&ar);

	/* force=no never replaces */
	buf_reset(&a);
	buf_addf(&a, "dest=%s content=other force=no", p);
	assert_ok(check_only(f, &mod_copy, a.ptr, &cr));
	assert_int_equal(cr.status, CHECK_OK);
	check_result_release(&cr);

	/* a failing validate leaves the file alone */
	buf_reset(&a);
	buf_addf(&a, "dest=%s content=other validate='grep -q nomatch %%s'", p);
	{
		struct val *args = args_of(&mod_copy, a.ptr);
		struct task_ctx ctx = { .t = f->ro, .args = args,
					.basedir = f->dir };

		check_result_init(&cr);
		apply_result_init(&ar);
		assert_ok(module_check(&cr, &mod_copy, &ctx));
		ctx.t = f->t;
		assert_true(mod_copy.apply(&ar, &ctx, &cr) < 0);
		assert_true(strstr(tend_error_last(), "failed to validate"));
		check_result_release(&cr);
		apply_result_release(&ar);
		val_unref(args);
	}
	got = read_file(p);
	assert_string_equal(got, "hello\nthere\n");
	free(got);

	/* src from files/ into a directory given with a trailing '/' */
	assert_int_equal(mkdir(files, 0755), 0);
	write_file(src, "key = value\n", 0644);
	buf_reset(&a);
	buf_addf(&a, "src=app.conf dest=%s/etc/ directory_mode=0700", f->dir);
	cycle(f, &mod_copy, a.ptr, &cr, &ar, NULL);
	free(p);
	p = path_in(f, "etc/app.conf");
	got = read_file(p);
	assert_string_equal(got, "key = value\n");
	free(got);
	assert_string_equal(val_cstr(val_dict_get(ar.result, "dest")), p);
	check_result_release(&cr);
	apply_result_release(&ar);

	buf_release(&a);
	free(p);
	free(files);
	free(src);
}

/* A stand-in engine: replaces "{{ name }}" with "world". */
static int fake_render(struct buf *out, const char *text, void *data)
{
	const char *hit;

	(void)data;
	while ((hit = strstr(text, "{{ name }}"))) {
		buf_add(out, text, (size_t)(hit - text));
		buf_adds(out, "world");
		text = hit + 10;
	}
	buf_adds(out, text);
	return 0;
}

static int fake_render_file(struct buf *out, const char *text,
			    const char *path, const struct val *opts,
			    void *data)
{
	(void)path;
	(void)opts;
	return fake_render(out, text, data);
}

static void test_module__template(void **state)
{
	static const struct engine_ops engine = {
		.render = fake_render,
		.render_file = fake_render_file,
	};
	struct fixture *f = *state;
	struct check_result cr;
	struct apply_result ar;
	struct buf a = BUF_INIT;
	char *tdir = path_in(f, "templates"), *src = path_in(f, "templates/x.j2");
	char *p = path_in(f, "x.txt"), *got;

	assert_int_equal(mkdir(tdir, 0755), 0);
	write_file(src, "hello {{ name }}\n", 0644);
	buf_addf(&a, "src=x.j2 dest=%s mode=0644", p);
	cycle(f, &mod_template, a.ptr, &cr, &ar, &engine);
	assert_true(buf_ends_with(&cr.diff, "+hello world\n"));
	got = read_file(p);
	assert_string_equal(got, "hello world\n");
	free(got);
	assert_int_equal(mode_on_disk(p), 0644);
	check_result_release(&cr);
	apply_result_release(&ar);
	buf_release(&a);
	free(tdir);
	free(src);
	free(p);
}

/*
 * A host's reply is data from the host: a length that wraps (`link -1`,
 * `content 18446744073709551615`) is a parse error, never a read past the
 * reply (ASan checks).
 */
static void test_module__hostile_probe_reply(void **state)
{
	static const char *const replies[] = {
		"stat a1ff 13 1 2 3 0 0 root:root\nlink -1\n/etc\nend\n",
		"stat 81a4 3 1 2 3 0 0 root:root\ncontent "
		"18446744073709551615\nabc\nend\n",
		"stat 81a4 3 1 2 3 0 0 root:root\ncontent 4\nabc\n",
		"stat 81a4 3 1 2 3 0 0 root:root\ncontent 3\nabc",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(replies); i++) {
		struct file_state st;
		struct buf out = BUF_INIT;
		size_t pos = 0;

		file_state_init(&st);
		buf_adds(&out, replies[i]);
		assert_true(file_state_parse(&st, &out, &pos) < 0);
		tend_error_clear();
		file_state_release(&st);
		buf_release(&out);
	}
}

static void test_module__stat(void **state)
{
	struct fixture *f = *state;
	struct check_result cr;
	struct buf a = BUF_INIT;
	char *p = path_in(f, "s"), *l = path_in(f, "s-link");
	const struct val *st;

	write_file(p, "hello", 0640);
	assert_int_equal(symlink(p, l), 0);
	buf_addf(&a, "path=%s", p);
	assert_ok(check_only(f, &mod_stat, a.ptr, &cr));
	assert_int_equal(cr.status, CHECK_OK);
	st = val_dict_get(cr.result, "stat");
	assert_true(val_dict_get(st, "exists")->u.b);
	assert_true(val_dict_get(st, "isreg")->u.b);
	assert_false(val_dict_get(st, "isdir")->u.b);
	assert_string_equal(val_cstr(val_dict_get(st, "mode")), "0640");
	assert_int_equal(val_dict_get(st, "size")->u.i, 5);
	assert_string_equal(val_cstr(val_dict_get(st, "checksum")),
			    "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
	assert_true(val_dict_get(st, "readable")->u.b);
	check_result_release(&cr);

	buf_reset(&a);
	buf_addf(&a, "path=%s checksum_algorithm=sha256", l);
	assert_ok(check_only(f, &mod_stat, a.ptr, &cr));
	st = val_dict_get(cr.result, "stat");
	assert_true(val_dict_get(st, "islnk")->u.b);
	assert_string_equal(val_cstr(val_dict_get(st, "lnk_target")), p);
	assert_null(val_dict_get(st, "checksum"));
	check_result_release(&cr);

	buf_reset(&a);
	buf_addf(&a, "path=%s follow=yes checksum_algorithm=sha256", l);
	assert_ok(check_only(f, &mod_stat, a.ptr, &cr));
	st = val_dict_get(cr.result, "stat");
	assert_true(val_dict_get(st, "isreg")->u.b);
	assert_string_equal(val_cstr(val_dict_get(st, "checksum")),
			    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e"
			    "73043362938b9824");
	check_result_release(&cr);

	buf_reset(&a);
	buf_addf(&a, "path=%s/missing", f->dir);
	assert_ok(check_only(f, &mod_stat, a.ptr, &cr));
	st = val_dict_get(cr.result, "stat");
	assert_false(val_dict_get(st, "exists")->u.b);
	assert_int_equal(val_len(st), 1);
	check_result_release(&cr);
	assert_null(mod_stat.apply);
	buf_release(&a);
	free(p);
	free(l);
}

static void test_module__command(void **state)
{
	struct fixture *f = *state;
	struct check_result cr;
	struct apply_result ar;
	struct val *args = val_dict();
	struct buf a = BUF_INIT;
	struct task_ctx ctx = { .t = f->ro, .args = args, .basedir = f->dir };
	const struct val *r;

	/* no shell: ; is a word; $HOME is expanded as Ansible's run_command
	 * expands it (from the environment), an unset variable is kept */
	val_dict_set_str(args, "_raw_params",
			 "echo 'a  b' $HOME $NO_SUCH_VAR_T1 ;");
	check_result_init(&cr);
	apply_result_init(&ar);
	assert_ok(module_check(&cr, &mod_command, &ctx));
	assert_int_equal(cr.status, CHECK_UNKNOWN);
	ctx.t = f->t;
	assert_ok(mod_command.apply(&ar, &ctx, &cr));
	r = ar.result;
	assert_true(ar.changed);
	assert_false(ar.failed);
	buf_addf(&a, "a  b %s $NO_SUCH_VAR_T1 ;", getenv("HOME"));
	assert_string_equal(val_cstr(val_dict_get(r, "stdout")), a.ptr);
	buf_reset(&a);
	assert_int_equal(val_dict_get(r, "rc")->u.i, 0);
	assert_int_equal(val_len(val_dict_get(r, "cmd")), 5);
	assert_true(val_dict_get(r, "delta") && val_dict_get(r, "start"));
	check_result_release(&cr);
	apply_result_release(&ar);

	/* rc != 0 is a failed result, not an error */
	val_dict_set_str(args, "_raw_params", "sh -c 'echo oops >&2; exit 4'");
	assert_ok(mod_command.apply(&ar, &ctx, NULL));
	assert_true(ar.failed);
	assert_int_equal(val_dict_get(ar.result, "rc")->u.i, 4);
	assert_string_equal(val_cstr(val_dict_get(ar.result, "stderr")), "oops");
	assert_string_equal(val_cstr(val_dict_get(ar.result, "msg")),
			    "non-zero return code");
	apply_result_release(&ar);

	/* stdin, chdir */
	val_dict_set_str(args, "_raw_params", "cat");
	val_dict_set_str(args, "stdin", "fed");
	assert_ok(mod_command.apply(&ar, &ctx, NULL));
	assert_string_equal(val_cstr(val_dict_get(ar.result, "stdout")), "fed");
	apply_result_release(&ar);
	/* all of it, past a NUL byte (Ansible feeds it whole too) */
	val_dict_set(args, "stdin", val_strn("a\0b", 3));
	assert_ok(mod_command.apply(&ar, &ctx, NULL));
	assert_int_equal(val_len(val_dict_get(ar.result, "stdout")), 3);
	assert_memory_equal(val_cstr(val_dict_get(ar.result, "stdout")),
			    "a\0b", 3);
	apply_result_release(&ar);
	val_dict_del(args, "stdin");
	val_dict_set_str(args, "_raw_params", "pwd");
	val_dict_set_str(args, "chdir", f->dir);
	assert_ok(mod_command.apply(&ar, &ctx, NULL));
	assert_string_equal(val_cstr(val_dict_get(ar.result, "stdout")), f->dir);
	apply_result_release(&ar);
	val_unref(args);

	/* creates decides the check */
	buf_addf(&a, "cmd=false creates=%s", f->dir);
	assert_ok(check_only(f, &mod_command, a.ptr, &cr));
	assert_int_equal(cr.status, CHECK_OK);
	buf_reset(&a);
	buf_addf(&a, "skipped, since %s exists", f->dir);
	assert_string_equal(val_cstr(val_dict_get(cr.result, "stdout")), a.ptr);
	check_result_release(&cr);
	buf_reset(&a);
	buf_addf(&a, "cmd=true removes=%s/nope*", f->dir);
	assert_ok(check_only(f, &mod_command, a.ptr, &cr));
	assert_int_equal(cr.status, CHECK_OK);
	check_result_release(&cr);
	buf_reset(&a);
	buf_addf(&a, "cmd=true creates=%s/nope*", f->dir);
	assert_ok(check_only(f, &mod_command, a.ptr, &cr));
	assert_int_equal(cr.status, CHECK_UNKNOWN);
	check_result_release(&cr);
	buf_release(&a);
}

static void test_module__shell(void **state)
{
	struct fixture *f = *state;
	struct apply_result ar;
	struct val *args = val_dict();
	struct task_ctx ctx = { .t = f->t, .args = args };

	val_dict_set_str(args, "_raw_params",
			 "X=1; echo \"x=$X\" | tr x y; echo e >&2\n");
	apply_result_init(&ar);
	assert_ok(mod_shell.apply(&ar, &ctx, NULL));
	assert_string_equal(val_cstr(val_dict_get(ar.result, "stdout")), "y=1");
	assert_string_equal(val_cstr(val_dict_get(ar.result, "stderr")), "e");
	assert_string_equal(val_cstr(val_dict_get(ar.result, "cmd")),
			    "X=1; echo \"x=$X\" | tr x y; echo e >&2\n");
	assert_int_equal(val_len(val_dict_get(ar.result, "stdout_lines")), 1);
	apply_result_release(&ar);
	val_unref(args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_module__args_normalize),
		cmocka_unit_test(test_module__sh_split),
		cmocka_unit_test(test_module__hostile_probe_reply),
		cmocka_unit_test_setup_teardown(test_module__local_exec, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_module__readonly_refuses_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module__file_api_cycle,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_module__file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_module__copy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_module__template, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_module__stat, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_module__command, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_module__shell, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
