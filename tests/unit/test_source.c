#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/source/source.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"

#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

/*
 * SSH signature checks (the sshsig format) and allowed_signers parsing.
 * Keys and signatures are made by the real `ssh-keygen -Y sign` in a
 * scratch directory when the group starts.
 */

static char scratch[] = "/tmp/tend-source-test.XXXXXX";
static const char message[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
	"author A <a@x> 1700000000 +0000\n\nsigned content\n";

TEND_PRINTF(1, 2) static int sh(const char *fmt, ...)
{
	struct buf cmd = BUF_INIT;
	va_list ap;
	int rc;

	buf_adds(&cmd, "cd ");
	sh_quote(&cmd, scratch);
	buf_adds(&cmd, " && ");
	va_start(ap, fmt);
	buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd.ptr);
	buf_release(&cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

static void read_scratch(struct buf *out, const char *name)
{
	struct buf path = BUF_INIT;

	buf_addf(&path, "%s/%s", scratch, name);
	buf_reset(out);
	if (buf_read_file(out, path.ptr) < 0)
		fail_msg("%s", tend_error_last());
	buf_release(&path);
}

/* "principals [options] <the public key of `key`>" */
static void signer_line(struct buf *out, const char *principals,
			const char *options, const char *key)
{
	struct buf pub = BUF_INIT, name = BUF_INIT;
	char *sp;

	buf_addf(&name, "%s.pub", key);
	read_scratch(&pub, name.ptr);
	/* keep "type base64", drop the comment */
	sp = strchr(pub.ptr, ' ');
	sp = sp ? strchr(sp + 1, ' ') : NULL;
	if (sp)
		buf_setlen(&pub, (size_t)(sp - pub.ptr));
	buf_rtrim(&pub);
	buf_addf(out, "%s %s%s%s\n", principals, options ? options : "",
		 options ? " " : "", pub.ptr);
	buf_release(&pub);
	buf_release(&name);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(scratch))
		return -1;
	return sh("printf '%%s' %s >msg && "
		  "ssh-keygen -q -t ed25519 -N '' -C alice -f alice && "
		  "ssh-keygen -q -t ed25519 -N '' -C bob -f bob && "
		  "ssh-keygen -q -t ecdsa -N '' -C carol -f carol && "
		  "ssh-keygen -q -Y sign -f alice -n git msg && "
		  "mv msg.sig alice.git.sig && "
		  "ssh-keygen -q -Y sign -f alice -n file msg && "
		  "mv msg.sig alice.file.sig && "
		  "ssh-keygen -q -Y sign -f bob -n git msg && "
		  "mv msg.sig bob.git.sig && "
		  "ssh-keygen -q -Y sign -f carol -n git msg && "
		  "mv msg.sig carol.git.sig",
		  "'tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
		  "author A <a@x> 1700000000 +0000\n\nsigned content\n'") ?
	       -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	sh("rm -rf %s", scratch);
	return 0;
}

/* Verify signature file `sig` over `msg` against `allowed` (text). */
static int verify(const char **principals, const char *allowed,
		  const char *sig, const char *msg)
{
	struct source_signers signers = SOURCE_SIGNERS_INIT;
	struct buf s = BUF_INIT;
	int rc;

	assert_ok(source_signers_parse(&signers, allowed, strlen(allowed),
				       "allowed_signers"));
	read_scratch(&s, sig);
	rc = source_sshsig_verify(principals, &signers, s.ptr, s.len, msg,
				  strlen(msg), "git", 1700000000);
	/* principals is borrowed from signers: copy what the test checks */
	if (rc == 0 && principals)
		*principals = strcmp(*principals, "alice@example.org") ?
			      "other" : "alice@example.org";
	source_signers_release(&signers);
	buf_release(&s);
	return rc;
}

static void test_source__sshsig_good(void **state)
{
	struct buf allowed = BUF_INIT;
	const char *who = NULL;

	(void)state;
	signer_line(&allowed, "bob@example.org", NULL, "bob");
	signer_line(&allowed, "alice@example.org", NULL, "alice");
	assert_ok(verify(&who, allowed.ptr, "alice.git.sig", message));
	assert_string_equal(who, "alice@example.org");
	/* namespaces="git" allows it too */
	buf_reset(&allowed);
	signer_line(&allowed, "alice@example.org", "namespaces=\"file,git\"",
		    "alice");
	assert_ok(verify(&who, allowed.ptr, "alice.git.sig", message));
	buf_release(&allowed);
}

static void test_source__sshsig_bad(void **state)
{
	struct buf allowed = BUF_INIT, sig = BUF_INIT;
	struct source_signers signers = SOURCE_SIGNERS_INIT;
	const char *who = NULL;

	(void)state;
	signer_line(&allowed, "alice@example.org", NULL, "alice");
	/* the content changed after signing */
	assert_int_equal(verify(&who, allowed.ptr, "alice.git.sig",
				"tree 0000\n\nsomething else\n"), -1);
	assert_non_null(strstr(tend_error_last(), "bad signature"));
	/* not a signature at all */
	assert_ok(source_signers_parse(&signers, allowed.ptr, allowed.len,
				       "a"));
	buf_adds(&sig, "-----BEGIN PGP SIGNATURE-----\nxx\n");
	assert_int_equal(source_sshsig_verify(&who, &signers, sig.ptr, sig.len,
					      message, strlen(message), "git",
					      0), -1);
	assert_non_null(strstr(tend_error_last(), "not an SSH signature"));
	source_signers_release(&signers);
	buf_release(&sig);
	buf_release(&allowed);
}

static void test_source__sshsig_other_key(void **state)
{
	struct buf allowed = BUF_INIT;
	const char *who = NULL;

	(void)state;
	signer_line(&allowed, "alice@example.org", NULL, "alice");
	assert_int_equal(verify(&who, allowed.ptr, "bob.git.sig", message), -1);
	assert_non_null(strstr(tend_error_last(),
			       "which is not an allowed signer"));
	assert_non_null(strstr(tend_error_last(), "SHA256:"));
	/* an ecdsa key: refused with the reason */
	assert_int_equal(verify(&who, allowed.ptr, "carol.git.sig", message),
			 -1);
	assert_non_null(strstr(tend_error_last(), "ecdsa-sha2-nistp256"));
	buf_release(&allowed);
}

static void test_source__sshsig_other_namespace(void **state)
{
	struct buf allowed = BUF_INIT;
	const char *who = NULL;

	(void)state;
	signer_line(&allowed, "alice@example.org", NULL, "alice");
	/* signed for "file", checked for "git" */
	assert_int_equal(verify(&who, allowed.ptr, "alice.file.sig", message),
			 -1);
	assert_non_null(strstr(tend_error_last(), "namespace 'file'"));
	/* the key is allowed for other namespaces only */
	buf_reset(&allowed);
	signer_line(&allowed, "alice@example.org", "namespaces=\"file\"",
		    "alice");
	assert_int_equal(verify(&who, allowed.ptr, "alice.git.sig", message),
			 -1);
	assert_non_null(strstr(tend_error_last(),
			       "allowed for namespaces 'file' only"));
	buf_release(&allowed);
}

static void test_source__sshsig_validity(void **state)
{
	struct buf allowed = BUF_INIT;
	const char *who = NULL;

	(void)state;
	/* the commit time is 1700000000: 2023-11-14T22:13:20Z */
	signer_line(&allowed, "alice@example.org",
		    "valid-before=20231114Z", "alice");
	assert_int_equal(verify(&who, allowed.ptr, "alice.git.sig", message),
			 -1);
	assert_non_null(strstr(tend_error_last(), "expired"));
	buf_reset(&allowed);
	signer_line(&allowed, "alice@example.org",
		    "valid-after=202311142214Z", "alice");
	assert_int_equal(verify(&who, allowed.ptr, "alice.git.sig", message),
			 -1);
	assert_non_null(strstr(tend_error_last(), "not valid yet"));
	buf_reset(&allowed);
	signer_line(&allowed, "alice@example.org",
		    "valid-after=20231114221320Z,valid-before=20231115",
		    "alice");
	assert_ok(verify(&who, allowed.ptr, "alice.git.sig", message));
	buf_release(&allowed);
}

static void test_source__signers_parse(void **state)
{
	struct source_signers s = SOURCE_SIGNERS_INIT;
	struct buf text = BUF_INIT;
	const char *bad[][2] = {
		{ "a@x\n", "f:1: expected 'principals [options] keytype key'" },
		{ "# c\na@x ssh-ed25519\n", "f:2: expected" },
		{ "a@x frob=1 ssh-ed25519 AAAA\n", "f:1: unknown option 'frob=1'" },
		{ "a@x valid-after=2023 ssh-ed25519 AAAA\n", "f:1: bad time" },
		{ "a@x ssh-ed25519 !!!!\n", "f:1: the key is not valid base64" },
	};

	(void)state;
	buf_adds(&text, "# team\n\n");
	signer_line(&text, "\"alice@example.org,ops@example.org\"",
		    "namespaces=\"git\",valid-after=20200101", "alice");
	signer_line(&text, "*@example.org", "cert-authority", "bob");
	assert_ok(source_signers_parse(&s, text.ptr, text.len, "f"));
	assert_int_equal(s.nr, 2);
	assert_string_equal(s.items[0].principals,
			    "alice@example.org,ops@example.org");
	assert_string_equal(s.items[0].namespaces, "git");
	assert_string_equal(s.items[0].key_type, "ssh-ed25519");
	assert_int_equal(s.items[0].key_len, 51);
	assert_int_equal(s.items[0].valid_after, 1577836800);
	assert_int_equal(s.items[0].line, 3);
	assert_true(s.items[1].cert_authority);
	assert_null(s.items[1].namespaces);
	source_signers_release(&s);

	/* a key whose blob names another type */
	buf_reset(&text);
	signer_line(&text, "a@x", NULL, "alice");
	memcpy(strstr(text.ptr, "ssh-ed25519"), "ssh-rsa    ", 11);
	assert_int_equal(source_signers_parse(&s, text.ptr, text.len, "f"),
			 TEND_EPARSE);
	source_signers_release(&s);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(source_signers_parse(&s, bad[i][0],
						      strlen(bad[i][0]), "f"),
				 TEND_EPARSE);
		if (!strstr(tend_error_last(), bad[i][1]))
			fail_msg("'%s': got '%s', expected '%s'", bad[i][0],
				 tend_error_last(), bad[i][1]);
		source_signers_release(&s);
	}
	buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source__sshsig_good),
		cmocka_unit_test(test_source__sshsig_bad),
		cmocka_unit_test(test_source__sshsig_other_key),
		cmocka_unit_test(test_source__sshsig_other_namespace),
		cmocka_unit_test(test_source__sshsig_validity),
		cmocka_unit_test(test_source__signers_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
