#include "fuzz.h"
#include "tend/data/yaml.h"
#include "tend/lang/template.h"
#include "tend/util/fs.h"

/*
 * Templates and expressions (lang/): the input is a template, optionally
 * preceded by a YAML dict of variables and a line "%%". The same text is
 * rendered as a template, evaluated as an expression and as a condition,
 * with the input's vars over a fixed set of the usual shapes (strings
 * that are themselves templates included, for lazy rendering, and
 * secrets, whose taint every result must carry).
 */

static const char base_yaml[] =
	"name: world\n"
	"n: 3\n"
	"f: 2.5\n"
	"t: true\n"
	"items: [b, a, c]\n"
	"nums: [3, 1, 2]\n"
	"d: {x: 1, y: two}\n"
	"users:\n"
	"  - {name: alice, uid: 1001, admin: true, groups: [wheel, dev]}\n"
	"  - {name: bob, uid: 1002, admin: false, groups: [dev]}\n"
	"empty: \"\"\n"
	"nothing: null\n"
	"greeting: \"hello {{ name }}\"\n"
	"chain: \"{{ greeting }}!\"\n"
	"self: \"{{ self }}\"\n"
	"listref: \"{{ nums }}\"\n"
	"json_text: '{\"a\": [1, 2], \"b\": null}'\n"
	"csv: \"a,b,,c\"\n"
	"raw: !unsafe \"{{ name }}\"\n"
	"password: s3cret-pw\n"
	"creds: {user: app, token: tok-123456}\n";

static struct val *base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diags d = DIAGS_INIT;

	(void)argc;
	(void)argv;
	if (yaml_load_string(&base, base_yaml, sizeof(base_yaml) - 1,
			     "base.yml", &d) < 0) {
		diags_print(&d, stderr);
		abort();
	}
	/* secrets, as --secrets marks them: what is made of them is too */
	val_dict_get(base, "password")->flags |= VAL_F_SECRET;
	val_dict_get(val_dict_get(base, "creds"), "token")->flags |=
		VAL_F_SECRET;
	diags_release(&d);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *src = text, *sep;
	struct val *vars = NULL, *v = NULL;
	struct diags d = DIAGS_INIT;
	struct buf out = BUF_INIT;
	/* lookup('file') reads beneath the scratch dir only */
	const struct fs_limits limits = { fuzz_dir(), false };
	struct val *secret_text = val_dict();
	struct scope root = { .vars = base, .basedir = fuzz_dir(),
			      .secret_text = secret_text, .limits = &limits };
	struct scope inner = { .parent = &root };
	bool b;

	if ((sep = strstr(text, "\n%%\n"))) {
		src = sep + 4;
		if (yaml_load_string(&vars, text, (size_t)(sep - text),
				     "vars.yml", &d) == 0 &&
		    val_is(vars, VAL_DICT))
			inner.vars = vars;
	}
	template_render_str(&out, src, &inner);
	tend_error_clear();
	if (expr_eval(&v, src, &inner) == 0)
		val_unref(v);
	tend_error_clear();
	expr_eval_bool(&b, src, &inner);
	val_unref(vars);
	val_unref(secret_text);
	diags_release(&d);
	buf_release(&out);
	free(text);
	fuzz_done();
	return 0;
}
