#include "unit.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/data/vault.h"
#include "tend/data/yaml.h"

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

/*
 * Ansible Vault. Interoperability with the real ansible-vault (both ways,
 * 1.1 and 1.2) is t2005-vault-ansible-compare.sh; here: round trips, the
 * envelope's layout, every way the data can be damaged, the password
 * sources, and what the YAML loader makes of vault data.
 */

static struct vault_keys keys(const char *label, const char *pw)
{
	struct vault_keys k = VAULT_KEYS_INIT;

	vault_keys_add(&k, label, pw, strlen(pw));
	return k;
}

static void roundtrip(const char *plain, size_t len)
{
	struct vault_keys k = keys(NULL, "correct horse");
	struct buf ct = BUF_INIT, back = BUF_INIT;

	assert_ok(vault_encrypt(&ct, plain, len, &k.items[0]));
	assert_true(vault_is_vault(ct.ptr, ct.len));
	assert_ok(vault_decrypt(&back, ct.ptr, ct.len, &k));
	assert_int_equal(back.len, len);
	assert_memory_equal(back.ptr, plain, len);
	buf_release(&ct);
	buf_release_secret(&back);
	vault_keys_release(&k);
}

static void test_vault__roundtrip(void **state)
{
	(void)state;
	roundtrip("", 0);
	roundtrip("-leading dash", 13);
	roundtrip("line one\nline two\n", 18);
	roundtrip("\0bin\0ary\xff", 9);
	roundtrip("exactly 16 bytes", 16);
	roundtrip("x", 1);
}

/*
 * Layout: header, lines of 80 hex digits, a final newline; the inner
 * hex is salt (32 bytes), HMAC (32) and ciphertext (padded to 16).
 */
static void test_vault__layout(void **state)
{
	struct vault_keys k = keys(NULL, "pw");
	struct buf ct = BUF_INIT, inner = BUF_INIT, body = BUF_INIT;
	const char *p, *nl;
	char *salt_end, *mac_end;

	(void)state;
	assert_ok(vault_encrypt(&ct, "hello", 5, &k.items[0]));
	assert_true(buf_starts_with(&ct, "$ANSIBLE_VAULT;1.1;AES256\n"));
	assert_true(buf_ends_with(&ct, "\n"));
	p = strchr(ct.ptr, '\n') + 1;
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true(nl - p == 80 || !nl[1]);
		buf_add(&body, p, (size_t)(nl - p));
	}
	for (size_t i = 0; i < body.len; i += 2) {
		unsigned int c;

		assert_int_equal(sscanf(body.ptr + i, "%2x", &c), 1);
		buf_addch(&inner, (int)c);
	}
	salt_end = strchr(inner.ptr, '\n');
	mac_end = strchr(salt_end + 1, '\n');
	assert_int_equal(salt_end - inner.ptr, 64);
	assert_int_equal(mac_end - salt_end - 1, 64);
	assert_int_equal(strlen(mac_end + 1), 32); /* 5 bytes pad to 16 */
	buf_release(&ct);
	buf_release(&inner);
	buf_release(&body);
	vault_keys_release(&k);
}

static void test_vault__salt_is_random(void **state)
{
	struct vault_keys k = keys(NULL, "pw");
	struct buf a = BUF_INIT, b = BUF_INIT;

	(void)state;
	assert_ok(vault_encrypt(&a, "same", 4, &k.items[0]));
	assert_ok(vault_encrypt(&b, "same", 4, &k.items[0]));
	assert_string_not_equal(a.ptr, b.ptr);
	buf_release(&a);
	buf_release(&b);
	vault_keys_release(&k);
}

static void test_vault__label_is_1_2(void **state)
{
	struct vault_keys k = keys("prod", "p1");
	struct buf ct = BUF_INIT, back = BUF_INIT;

	(void)state;
	vault_keys_add(&k, "dev", "p2", 2);
	assert_ok(vault_encrypt(&ct, "x", 1, &k.items[1]));
	assert_true(buf_starts_with(&ct, "$ANSIBLE_VAULT;1.2;AES256;dev\n"));
	/* the named key is found whatever the order */
	assert_ok(vault_decrypt(&back, ct.ptr, ct.len, &k));
	assert_string_equal(back.ptr, "x");
	buf_release(&ct);
	buf_release_secret(&back);
	vault_keys_release(&k);
}

/* Decrypting `text` fails with a message holding `want`. */
static void decrypt_fails(const char *text, const struct vault_keys *k,
			  const char *want)
{
	struct buf out = BUF_INIT;

	assert_int_equal(vault_decrypt(&out, text, strlen(text), k), -1);
	if (!strstr(tend_error_last(), want))
		fail_msg("error '%s' lacks '%s'", tend_error_last(), want);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static void test_vault__wrong_password(void **state)
{
	struct vault_keys k = keys(NULL, "right"), bad = keys(NULL, "wrong");
	struct vault_keys none = VAULT_KEYS_INIT;
	struct buf ct = BUF_INIT;

	(void)state;
	assert_ok(vault_encrypt(&ct, "secret", 6, &k.items[0]));
	decrypt_fails(ct.ptr, &bad, "wrong vault password");
	decrypt_fails(ct.ptr, &none, "pass --vault-password-file");
	buf_release(&ct);
	vault_keys_release(&k);
	vault_keys_release(&bad);
}

static void test_vault__damaged(void **state)
{
	struct vault_keys k = keys(NULL, "pw");
	struct buf ct = BUF_INIT, t = BUF_INIT;
	size_t body;

	(void)state;
	assert_ok(vault_encrypt(&ct, "some secret text", 16, &k.items[0]));
	body = (size_t)(strchr(ct.ptr, '\n') - ct.ptr) + 1;
	/*
	 * One changed digit of the ciphertext (the last outer pair encodes
	 * one inner hex digit: make it another): the HMAC catches it.
	 */
	buf_sets(&t, ct.ptr);
	memcpy(t.ptr + t.len - 3, memcmp(t.ptr + t.len - 3, "30", 2) ?
	       "30" : "31", 2);
	decrypt_fails(t.ptr, &k, "HMAC does not match");
	/* not hex */
	buf_sets(&t, ct.ptr);
	t.ptr[body + 5] = 'z';
	decrypt_fails(t.ptr, &k, "the body is not hex");
	/* cut short: an odd number of digits, then a missing part */
	buf_sets(&t, ct.ptr);
	buf_setlen(&t, body + 79);
	decrypt_fails(t.ptr, &k, "odd number of hex digits");
	buf_sets(&t, ct.ptr);
	buf_setlen(&t, body + 80);
	decrypt_fails(t.ptr, &k, "truncated");
	decrypt_fails("$ANSIBLE_VAULT;1.1;AES256\n", &k, "truncated");
	decrypt_fails("$ANSIBLE_VAULT;1.0;AES\n00\n", &k,
		      "vault format '1.0' is not supported");
	decrypt_fails("$ANSIBLE_VAULT;1.1;AES128\n00\n", &k,
		      "vault cipher 'AES128' is not supported");
	decrypt_fails("$ANSIBLE_VAULT;1.1\n00\n", &k, "the header should be");
	decrypt_fails("hello", &k, "not vault data");
	/* inner hex of "aa\nbb\ncc": an HMAC of one byte */
	decrypt_fails("$ANSIBLE_VAULT;1.1;AES256\n61610a62620a6363\n", &k,
		      "the HMAC is 1 bytes");
	buf_release(&ct);
	buf_release(&t);
	vault_keys_release(&k);
}

/*
 * A ciphertext whose HMAC is right but whose padding is not (made here
 * with OpenSSL directly, without padding) is damaged, not decrypted.
 */
static void test_vault__bad_padding(void **state)
{
	static const unsigned char salt[32] = { 1, 2, 3 };
	unsigned char dk[80], ct[16], mac[32];
	const unsigned char pt[16] = "sixteen bytes!!\x05";
	struct vault_keys k = keys(NULL, "pw");
	struct buf inner = BUF_INIT, text = BUF_INIT;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned int mlen = 32;
	int n;

	(void)state;
	assert_int_equal(PKCS5_PBKDF2_HMAC("pw", 2, salt, 32, 10000,
					   EVP_sha256(), 80, dk), 1);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, dk,
					    dk + 64), 1);
	assert_int_equal(EVP_EncryptUpdate(c, ct, &n, pt, 16), 1);
	EVP_CIPHER_CTX_free(c);
	assert_non_null(HMAC(EVP_sha256(), dk + 32, 32, ct, 16, mac, &mlen));
	for (size_t i = 0; i < 32; i++)
		buf_addf(&inner, "%02x", salt[i]);
	buf_addch(&inner, '\n');
	for (size_t i = 0; i < 32; i++)
		buf_addf(&inner, "%02x", mac[i]);
	buf_addch(&inner, '\n');
	for (size_t i = 0; i < 16; i++)
		buf_addf(&inner, "%02x", ct[i]);
	buf_adds(&text, "$ANSIBLE_VAULT;1.1;AES256\n");
	for (size_t i = 0; i < inner.len; i++)
		buf_addf(&text, "%02x", (unsigned char)inner.ptr[i]);
	decrypt_fails(text.ptr, &k, "bad padding");
	buf_release(&inner);
	buf_release(&text);
	vault_keys_release(&k);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	assert_ok(buf_write_file_atomic(path, text, strlen(text), mode));
}

static void assert_key(const struct vault_keys *k, size_t i,
		       const char *label, const char *pw)
{
	assert_true(i < k->nr);
	assert_string_equal(k->items[i].label, label);
	assert_int_equal(k->items[i].len, strlen(pw));
	assert_memory_equal(k->items[i].pw, pw, strlen(pw));
}

/*
 * As Ansible: a file's password is stripped of surrounding whitespace;
 * an executable's output of line ends only; a "-client" script is
 * asked for its vault id.
 */
static void test_vault__password_sources(void **state)
{
	char dir[] = "/tmp/tend-vault-test-XXXXXX";
	struct vault_keys k = VAULT_KEYS_INIT;
	struct buf p = BUF_INIT;

	(void)state;
	assert_non_null(mkdtemp(dir));
	buf_addf(&p, "%s/pw", dir);
	write_file(p.ptr, "  s3cret with space \n\n", 0600);
	assert_ok(vault_keys_add_file(&k, NULL, p.ptr));
	assert_key(&k, 0, "default", "s3cret with space");
	buf_sets(&p, dir);
	buf_adds(&p, "/pw.sh");
	write_file(p.ptr, "#!/bin/sh\nprintf ' from script \\r\\n'\n", 0700);
	assert_int_equal(vault_keys_add_id(&k, "prod@/nonexistent/pw"), -1);
	assert_non_null(strstr(tend_error_last(), "'/nonexistent/pw'"));
	buf_sets(&p, "prod@");
	buf_addf(&p, "%s/pw.sh", dir);
	assert_ok(vault_keys_add_id(&k, p.ptr));
	assert_key(&k, 1, "prod", " from script ");
	buf_sets(&p, dir);
	buf_adds(&p, "/get-client.sh");
	write_file(p.ptr, "#!/bin/sh\necho \"$1=$2\"\n", 0700);
	assert_ok(vault_keys_add_file(&k, "dev", p.ptr));
	assert_key(&k, 2, "dev", "--vault-id=dev");
	/* failures name the file */
	buf_sets(&p, dir);
	buf_adds(&p, "/fails.sh");
	write_file(p.ptr, "#!/bin/sh\nexit 3\n", 0700);
	assert_int_equal(vault_keys_add_file(&k, NULL, p.ptr), -1);
	assert_non_null(strstr(tend_error_last(), "fails.sh' failed (exit 3)"));
	buf_sets(&p, dir);
	buf_adds(&p, "/empty");
	write_file(p.ptr, " \n", 0600);
	assert_int_equal(vault_keys_add_file(&k, NULL, p.ptr), -1);
	assert_non_null(strstr(tend_error_last(), "empty password"));
	assert_int_equal(vault_keys_add_id(&k, "x@prompt"), -1);
	assert_non_null(strstr(tend_error_last(), "does not prompt"));
	assert_int_equal(k.nr, 3);
	vault_keys_release(&k);
	assert_int_equal(k.nr, 0);
	buf_sets(&p, "rm -rf ");
	buf_adds(&p, dir);
	assert_int_equal(system(p.ptr), 0);
	buf_release(&p);
}

/* A !vault value in YAML, indented as ansible-vault encrypt_string writes. */
static void vault_yaml(struct buf *out, const char *key, const char *plain,
		       const struct vault_key *vk)
{
	struct buf ct = BUF_INIT;

	assert_ok(vault_encrypt(&ct, plain, strlen(plain), vk));
	buf_addf(out, "%s: !vault |\n", key);
	for (const char *p = ct.ptr, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		buf_addf(out, "          %.*s\n", (int)(nl - p), p);
	}
	buf_release(&ct);
}

static void test_vault__yaml_tag(void **state)
{
	struct vault_keys k = keys(NULL, "pw"), set = keys(NULL, "pw");
	struct vault_keys wrong = keys(NULL, "nope");
	struct buf y = BUF_INIT;
	struct diags d = DIAGS_INIT;
	struct val *v = NULL;
	const struct val *s;

	(void)state;
	buf_adds(&y, "plain: 1\n");
	vault_yaml(&y, "pw", "{{ not templated }}", &k.items[0]);
	vault_set_keys(&set);
	assert_ok(yaml_load_string(&v, y.ptr, y.len, "v.yml", &d));
	assert_int_equal(d.nr, 0);
	s = val_dict_get(v, "pw");
	assert_string_equal(val_cstr(s), "{{ not templated }}");
	assert_true(s->flags & VAL_F_SECRET);
	assert_true(s->flags & VAL_F_UNSAFE);
	assert_false(val_dict_get(v, "plain")->flags & VAL_F_SECRET);
	val_unref(v);
	/* a wrong password names file:line:col of the value */
	vault_set_keys(&wrong);
	assert_int_equal(yaml_load_string(&v, y.ptr, y.len, "v.yml", &d),
			 TEND_EPARSE);
	assert_int_equal(d.nr, 1);
	assert_string_equal(d.items[0], "v.yml:2:5: cannot decrypt !vault "
			    "value: wrong vault password, or damaged vault "
			    "data (the HMAC does not match)");
	diags_release(&d);
	vault_set_keys(&wrong); /* empty: no password at all */
	assert_int_equal(yaml_load_string(&v, y.ptr, y.len, "v.yml", &d),
			 TEND_EPARSE);
	assert_non_null(strstr(d.items[0], "v.yml:2:5: cannot decrypt !vault "
			       "value: vault-encrypted data but no vault "
			       "password given: pass --vault-password-file"));
	diags_release(&d);
	buf_release(&y);
	vault_keys_release(&k);
}

/* A whole encrypted file: its strings are secret, its numbers are not. */
static void test_vault__yaml_whole_file(void **state)
{
	char path[] = "/tmp/tend-vault-file-XXXXXX";
	struct vault_keys k = keys(NULL, "pw"), set = keys(NULL, "pw");
	const char *text = "user: admin\nport: 2222\nlist: [a, 3]\n";
	struct buf ct = BUF_INIT;
	struct diags d = DIAGS_INIT;
	struct val *v = NULL;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_ok(vault_encrypt(&ct, text, strlen(text), &k.items[0]));
	write_file(path, ct.ptr, 0600);
	vault_set_keys(&set);
	assert_ok(yaml_load_file(&v, path, &d));
	assert_true(val_dict_get(v, "user")->flags & VAL_F_SECRET);
	assert_string_equal(val_cstr(val_dict_get(v, "user")), "admin");
	assert_false(val_dict_get(v, "port")->flags & VAL_F_SECRET);
	assert_true(val_list_at(val_dict_get(v, "list"), 0)->flags &
		    VAL_F_SECRET);
	val_unref(v);
	/* damaged: "FILE: cannot decrypt: why", no line */
	ct.ptr[ct.len - 2] = ct.ptr[ct.len - 2] == '3' ? '4' : '3';
	write_file(path, ct.ptr, 0600);
	assert_int_equal(yaml_load_file(&v, path, &d), TEND_EPARSE);
	assert_int_equal(d.nr, 1);
	assert_non_null(strstr(d.items[0], ": cannot decrypt: "));
	assert_true(!strncmp(d.items[0], path, strlen(path)));
	diags_release(&d);
	vault_set_keys(&set); /* empty */
	unlink(path);
	buf_release(&ct);
	vault_keys_release(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vault__roundtrip),
		cmocka_unit_test(test_vault__layout),
		cmocka_unit_test(test_vault__salt_is_random),
		cmocka_unit_test(test_vault__label_is_1_2),
		cmocka_unit_test(test_vault__wrong_password),
		cmocka_unit_test(test_vault__damaged),
		cmocka_unit_test(test_vault__bad_padding),
		cmocka_unit_test(test_vault__password_sources),
		cmocka_unit_test(test_vault__yaml_tag),
		cmocka_unit_test(test_vault__yaml_whole_file),
	};

	return cmocka_run_group_tests_name("vault", tests, NULL, NULL);
}
