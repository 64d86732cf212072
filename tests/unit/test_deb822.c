#include "unit.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/modkit/deb822.h"

/*
 * deb822_repository's names and text. The expected bytes are what
 * ansible-core 2.19's deb822_repository (with python3-debian 0.1.49)
 * made of the same params, run by hand (docs/packages.md).
 */

static void check_slug(const char *name, const char *want)
{
	struct buf b = BUF_INIT;

	deb822_slug(&b, name);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void test_deb822__slug(void **state)
{
	(void)state;
	check_slug("Docker CE_stable  x\tY__z", "docker-ce-stable-x-y-z");
	check_slug("a.b%c/d \xc3\xa9-1", "abcd--1");
	check_slug("debian", "debian");
	check_slug("%%", "");
}

static void test_deb822__scheme(void **state)
{
	(void)state;
	assert_true(deb822_has_scheme("https://example.com/key"));
	assert_true(deb822_has_scheme("  file:///k.asc"));
	assert_true(deb822_has_scheme("h\ttp://x"));
	assert_true(deb822_has_scheme("svn+ssh://x"));
	assert_false(deb822_has_scheme("/etc/apt/keyrings/k.gpg"));
	assert_false(deb822_has_scheme("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
	assert_false(deb822_has_scheme("0123456789ABCDEF"));
	assert_false(deb822_has_scheme(":x"));
	assert_false(deb822_has_scheme("1http://x"));
	assert_false(deb822_has_scheme("a b:c"));
}

static void check_render(const char *json, const char *sb, const char *want)
{
	struct val *args = NULL;
	struct buf b = BUF_INIT;

	assert_ok(val_from_json(&args, json, strlen(json)));
	deb822_render(&b, args, sb);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
	val_unref(args);
}

static void test_deb822__render_plain(void **state)
{
	(void)state;
	check_render("{\"name\": \"debian\", \"uris\": "
		     "[\"http://deb.debian.org/debian\"], \"suites\": "
		     "[\"bookworm\", \"bookworm-updates\"], \"components\": "
		     "[\"main\", \"contrib\"], \"mode\": \"0600\", "
		     "\"state\": \"present\"}", NULL,
		     "Components: main contrib\n"
		     "X-Repolib-Name: debian\n"
		     "Suites: bookworm bookworm-updates\n"
		     "Types: deb\n"
		     "URIs: http://deb.debian.org/debian\n");
}

static void test_deb822__render_every_field(void **state)
{
	(void)state;
	check_render("{\"name\": \"all\", \"types\": [\"deb\", \"deb-src\"], "
		     "\"uris\": [\"http://a\", \"http://b\"], \"suites\": "
		     "[\"x\"], \"components\": [\"main\"], "
		     "\"allow_downgrade_to_insecure\": true, "
		     "\"allow_insecure\": false, \"allow_weak\": true, "
		     "\"architectures\": [\"amd64\", \"arm64\"], "
		     "\"by_hash\": false, \"check_date\": true, "
		     "\"check_valid_until\": false, \"date_max_future\": 86400, "
		     "\"enabled\": false, \"inrelease_path\": \"in/Release\", "
		     "\"languages\": [\"en\", \"de\"], \"pdiffs\": true, "
		     "\"targets\": [\"Packages\"], \"trusted\": true, "
		     "\"signed_by\": \"https://k\"}",
		     "/etc/apt/keyrings/x.gpg",
		     "Allow-Downgrade-To-Insecure: yes\n"
		     "Allow-Insecure: no\n"
		     "Allow-Weak: yes\n"
		     "Architectures: amd64 arm64\n"
		     "By-Hash: no\n"
		     "Check-Date: yes\n"
		     "Check-Valid-Until: no\n"
		     "Components: main\n"
		     "Date-Max-Future: 86400\n"
		     "Enabled: no\n"
		     "Inrelease-Path: in/Release\n"
		     "Languages: en de\n"
		     "X-Repolib-Name: all\n"
		     "Pdiffs: yes\n"
		     "Signed-By: /etc/apt/keyrings/x.gpg\n"
		     "Suites: x\n"
		     "Targets: Packages\n"
		     "Trusted: yes\n"
		     "Types: deb deb-src\n"
		     "URIs: http://a http://b\n");
}

static void test_deb822__render_key_block(void **state)
{
	static const char key[] =
		"\n  -----BEGIN PGP PUBLIC KEY BLOCK-----\n\n  abc  \r\n\t\n"
		"def\n-----END PGP PUBLIC KEY BLOCK-----\n\n";

	(void)state;
	check_render("{\"name\": \"key\", \"types\": [\"deb\"], \"uris\": "
		     "[\"http://a\"], \"suites\": [\"s/\"]}", key,
		     "X-Repolib-Name: key\n"
		     "Signed-By:\n"
		     "    -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
		     "    .\n"
		     "    abc\n"
		     "    .\n"
		     "    def\n"
		     "    -----END PGP PUBLIC KEY BLOCK-----\n"
		     "Suites: s/\n"
		     "Types: deb\n"
		     "URIs: http://a\n");
}

static void test_deb822__render_odd_values(void **state)
{
	(void)state;
	/* a list item with a line break makes the joined value multi-line */
	check_render("{\"name\": \"odd %q 'x' \\\"y\\\" \\\\z\", \"types\": "
		     "[\"deb\"], \"uris\": [\"http://a b\"], \"suites\": "
		     "[\"s%1\", \"it's\"], \"components\": [\" c1\", "
		     "\"c\\n2\"], \"inrelease_path\": \"\"}", NULL,
		     "Components:\n"
		     "    c1 c\n"
		     "    2\n"
		     "Inrelease-Path:\n"
		     "X-Repolib-Name: odd %q 'x' \"y\" \\z\n"
		     "Suites: s%1 it's\n"
		     "Types: deb\n"
		     "URIs: http://a b\n");
}

static void test_deb822__field_name(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	deb822_field_name(&b, "allow_downgrade_to_insecure");
	assert_string_equal(b.ptr, "Allow-Downgrade-To-Insecure");
	buf_reset(&b);
	deb822_field_name(&b, "uris");
	assert_string_equal(b.ptr, "URIs");
	buf_reset(&b);
	deb822_field_name(&b, "name");
	assert_string_equal(b.ptr, "X-Repolib-Name");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deb822__slug),
		cmocka_unit_test(test_deb822__scheme),
		cmocka_unit_test(test_deb822__render_plain),
		cmocka_unit_test(test_deb822__render_every_field),
		cmocka_unit_test(test_deb822__render_key_block),
		cmocka_unit_test(test_deb822__render_odd_values),
		cmocka_unit_test(test_deb822__field_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
