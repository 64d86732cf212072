#include "unit.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"
#include "tend/data/val.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/fileargs.h"
#include "tend/transport/transport.h"

#include <unistd.h>

extern const struct tend_module mod_file, mod_copy, mod_template,
	mod_lineinfile, mod_blockinfile, mod_replace, mod_assemble,
	mod_get_url, mod_unarchive, mod_stat;

/* Every module that takes Ansible's common file arguments. */
static const struct {
	const struct tend_module *m;
	const char *required;
} file_mods[] = {
	{ &mod_file, "path=/x" },
	{ &mod_copy, "dest=/x" },
	{ &mod_template, "src=t.j2 dest=/x" },
	{ &mod_lineinfile, "path=/x line=a" },
	{ &mod_blockinfile, "path=/x" },
	{ &mod_replace, "path=/x regexp=a" },
	{ &mod_assemble, "src=/d dest=/x" },
	{ &mod_get_url, "url=http://h/ dest=/x" },
	{ &mod_unarchive, "src=/a.tgz dest=/x" },
	{ NULL, NULL },
};

/* Normalize "k=v ..." for m (final); NULL and *msg set when refused. */
static struct val *normalize(const struct tend_module *m, const char *kv,
			     char **msg)
{
	struct val *raw = NULL, *out = NULL;
	struct diags d = DIAGS_INIT;

	assert_ok(val_parse_kv(&raw, kv, NULL));
	*msg = NULL;
	if (args_normalize(&out, m, raw, NULL, &d, true) < 0) {
		assert_true(d.nr >= 1);
		*msg = xstrdup(d.items[0]);
	}
	diags_release(&d);
	val_unref(raw);
	return out;
}

static void test_fileargs__parse_probe_output(void **state)
{
	struct buf out = BUF_INIT;
	bool on = true;

	(void)state;
	buf_sets(&out, "tend-selinux 0\nFILE 1\n");
	assert_ok(selinux_probe_parse(&on, &out));
	assert_false(on);
	assert_string_equal(out.ptr, "FILE 1\n");

	buf_sets(&out, "tend-selinux 1\n");
	assert_ok(selinux_probe_parse(&on, &out));
	assert_true(on);
	assert_int_equal(out.len, 0);

	/* only the first line is ours: host data after it is the module's */
	buf_sets(&out, "tend-selinux 0\ntend-selinux 1\n");
	assert_ok(selinux_probe_parse(&on, &out));
	assert_false(on);
	assert_string_equal(out.ptr, "tend-selinux 1\n");

	/* anything else is no answer */
	buf_sets(&out, "");
	assert_int_equal(selinux_probe_parse(&on, &out), -1);
	buf_sets(&out, "tend-selinux 2\n");
	assert_int_equal(selinux_probe_parse(&on, &out), -1);
	buf_sets(&out, "tend-selinux 1");
	assert_int_equal(selinux_probe_parse(&on, &out), -1);
	buf_sets(&out, "tend-selinux 10\n");
	assert_int_equal(selinux_probe_parse(&on, &out), -1);
	buf_sets(&out, "FILE 1\ntend-selinux 1\n");
	assert_int_equal(selinux_probe_parse(&on, &out), -1);
	assert_string_equal(out.ptr, "FILE 1\ntend-selinux 1\n");
	buf_release(&out);
}

/* The real fragment on this machine, whose answer is known either way. */
static void test_fileargs__probe_script_here(void **state)
{
	struct transport *t = NULL;
	struct exec_req req = { 0 };
	struct exec_result res = EXEC_RESULT_INIT;
	struct buf s = BUF_INIT;
	bool on = false, here;

	(void)state;
	if (system("command -v selinuxenabled >/dev/null 2>&1") == 0)
		here = system("selinuxenabled") == 0;
	else
		here = access("/sys/fs/selinux/enforce", F_OK) == 0 &&
		       access("/etc/selinux/config", F_OK) == 0;
	selinux_probe_script(&s);
	buf_adds(&s, "echo rest\n");
	assert_ok(transport_local_new(&t, NULL));
	req.script = s.ptr;
	assert_ok(t->exec(t, &req, &res));
	assert_int_equal(res.status, 0);
	assert_ok(selinux_probe_parse(&on, &res.out));
	assert_int_equal(on, here);
	/* enabled: the module's own script never runs */
	assert_string_equal(res.out.ptr, here ? "" : "rest\n");
	exec_result_release(&res);
	transport_close(t);
	buf_release(&s);
}

static void test_fileargs__every_module_takes_them(void **state)
{
	char *msg;

	(void)state;
	for (size_t i = 0; file_mods[i].m; i++) {
		const struct tend_module *m = file_mods[i].m;
		struct buf kv = BUF_INIT;
		struct val *a;

		buf_addf(&kv, "%s seuser=system_u serole=object_r "
			 "setype=etc_t selevel=s0 unsafe_writes=yes owner=root "
			 "group=root mode=0644", file_mods[i].required);
		if (!(a = normalize(m, kv.ptr, &msg)))
			fail_msg("%s: %s", m->name, msg);
		assert_string_equal(val_cstr(val_dict_get(a, "setype")),
				    "etc_t");
		assert_true(val_is(val_dict_get(a, "unsafe_writes"),
				   VAL_BOOL));
		assert_true(file_args_selinux(a));
		val_unref(a);

		/* refused by name, under either name */
		buf_reset(&kv);
		buf_addf(&kv, "%s attributes=+i", file_mods[i].required);
		assert_null(normalize(m, kv.ptr, &msg));
		assert_non_null(strstr(msg, "parameter 'attributes' is "
				       "refused by module"));
		free(msg);
		buf_reset(&kv);
		buf_addf(&kv, "%s attr=i", file_mods[i].required);
		assert_null(normalize(m, kv.ptr, &msg));
		assert_non_null(strstr(msg, "parameter 'attr' is refused"));
		free(msg);
		buf_release(&kv);
	}
}

static void test_fileargs__selinux_given(void **state)
{
	struct val *a = val_dict();

	(void)state;
	assert_false(file_args_selinux(a));
	val_dict_set(a, "setype", val_null());
	val_dict_set_str(a, "mode", "0644");
	assert_false(file_args_selinux(a));
	val_dict_set_str(a, "selevel", "s0");
	assert_true(file_args_selinux(a));
	val_unref(a);
}

/* Own args first, then the common ones the module does not name. */
static void test_fileargs__module_arg_walk(void **state)
{
	const struct arg_spec *a;
	size_t own = 0, common = 0, n_mode = 0, rows = 0;

	(void)state;
	while (file_common_args[rows].name)
		rows++;
	for (size_t i = 0; (a = module_arg(&mod_unarchive, i)); i++) {
		if (!strcmp(a->name, "mode")) {
			n_mode++;
			/* unarchive's own row wins */
			assert_non_null(strstr(a->doc, "extracted"));
		}
		if (a >= file_common_args && a < file_common_args + rows)
			common++;
		else
			own++;
	}
	assert_int_equal(n_mode, 1);
	/* mode, owner and group are its own: six common ones remain */
	assert_int_equal(common, 6);
	assert_true(own > 3);

	/* a module without MOD_FILE_ARGS: its own table only */
	for (size_t i = 0; (a = module_arg(&mod_stat, i)); i++)
		assert_string_not_equal(a->name, "setype");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fileargs__parse_probe_output),
		cmocka_unit_test(test_fileargs__probe_script_here),
		cmocka_unit_test(test_fileargs__every_module_takes_them),
		cmocka_unit_test(test_fileargs__selinux_given),
		cmocka_unit_test(test_fileargs__module_arg_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
