#include "tend/common.h"
#include "tend/data/vault.h"
#include "tend/util/fs.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

/*
 * Ansible Vault 1.1/1.2 with OpenSSL's libcrypto. The layout and the
 * parameters are ansible-core's (parsing/vault/__init__.py, VaultAES256).
 */

#define VAULT_HEADER "$ANSIBLE_VAULT"
#define SALT_LEN 32
#define KEY_LEN 32
#define IV_LEN 16
#define MAC_LEN 32
#define PBKDF2_ITER 10000
#define LINE_WIDTH 80

/* The three parts of a parsed envelope (each owned, hex decoded). */
struct envelope {
	char *label;          /* the 1.2 vault id, or NULL */
	struct buf salt, mac, ct;
};

bool vault_is_vault(const char *text, size_t len)
{
	size_t n = strlen(VAULT_HEADER);

	return len > n && !memcmp(text, VAULT_HEADER, n) && text[n] == ';';
}

void vault_keys_add(struct vault_keys *k, const char *label, const char *pw,
		    size_t len)
{
	struct vault_key *key;

	ALLOC_GROW(k->items, k->nr + 1, k->alloc);
	key = &k->items[k->nr++];
	key->label = xstrdup(label && *label ? label : "default");
	key->pw = xmalloc(len + 1);
	memcpy(key->pw, pw, len);
	key->pw[len] = '\0';
	key->len = len;
}

void vault_keys_release(struct vault_keys *k)
{
	for (size_t i = 0; i < k->nr; i++) {
		OPENSSL_cleanse(k->items[i].pw, k->items[i].len);
		free(k->items[i].pw);
		free(k->items[i].label);
	}
	free(k->items);
	k->items = NULL;
	k->nr = k->alloc = 0;
}

static struct vault_keys process_keys = VAULT_KEYS_INIT;

void vault_set_keys(struct vault_keys *k)
{
	vault_keys_release(&process_keys);
	process_keys = *k;
	k->items = NULL;
	k->nr = k->alloc = 0;
}

const struct vault_keys *vault_keys(void)
{
	return &process_keys;
}

/* ---- password files and scripts ---- */

/* Drop the characters of `set` at both ends of b. */
static void strip_set(struct buf *b, const char *set)
{
	size_t start = 0, end = b->len;

	while (start < end && b->ptr[start] && strchr(set, b->ptr[start]))
		start++;
	while (end > start && b->ptr[end - 1] && strchr(set, b->ptr[end - 1]))
		end--;
	memmove(b->ptr, b->ptr + start, end - start);
	buf_setlen(b, end - start);
}

/* Whether the script's name without extension ends in "-client". */
static bool is_client_script(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	size_t n;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	return n >= 7 && !memcmp(base + n - 7, "-client", 7);
}

/* Run the password script `path` and read its standard output into out. */
static int run_script(struct buf *out, const char *path, const char *label)
{
	char *argv[] = { (char *)path, (char *)"--vault-id", (char *)label,
			 NULL };
	int fds[2], status;
	pid_t pid;
	char chunk[512];
	ssize_t n;

	if (!is_client_script(path))
		argv[1] = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return tend_error_set("vault password script '%s': %s", path,
				      strerror(errno));
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return tend_error_set("vault password script '%s': %s", path,
				      strerror(errno));
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		execv(path, argv);
		_exit(127);
	}
	close(fds[1]);
	buf_grow(out, 4096); /* one buffer, so no copy is left unwiped */
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || out->len + (size_t)n > out->alloc - 1)
			break; /* a password over 4 KiB is no password */
		buf_add(out, chunk, (size_t)n);
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return tend_error_set("vault password script '%s' failed "
				      "(exit %d)", path, WIFEXITED(status) ?
				      WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (n != 0)
		return tend_error_set("vault password script '%s': output "
				      "unreadable or over 4 KiB", path);
	return 0;
}

int vault_keys_add_file(struct vault_keys *k, const char *label,
			const char *path)
{
	struct buf pw = BUF_INIT;
	struct stat st;
	int error;

	if (stat(path, &st) < 0)
		return tend_error_set("vault password file '%s': %s", path,
				      strerror(errno));
	if (S_ISREG(st.st_mode) && !access(path, X_OK)) {
		if ((error = run_script(&pw, path, label ? label : "default")) == 0)
			strip_set(&pw, "\r\n");
	} else {
		/* room for buf_read_file's reads, so no copy is left unwiped */
		buf_grow(&pw, (size_t)st.st_size + 8192);
		if ((error = buf_read_file(&pw, path)) == 0)
			strip_set(&pw, " \t\n\r\v\f");
	}
	if (!error && !pw.len)
		error = tend_error_set("vault password file '%s' gives an "
				       "empty password", path);
	if (!error)
		vault_keys_add(k, label, pw.ptr, pw.len);
	buf_release_secret(&pw);
	return error;
}

int vault_keys_add_id(struct vault_keys *k, const char *id)
{
	const char *at = strchr(id, '@');
	char *label = at ? xstrndup(id, (size_t)(at - id)) : NULL;
	const char *src = at ? at + 1 : id;
	int error;

	if (!strcmp(src, "prompt"))
		error = tend_error_set("--vault-id '%s': tend does not prompt "
				       "for vault passwords; give a password "
				       "file or script", id);
	else if (!*src || (label && !*label))
		error = tend_error_set("--vault-id expects [LABEL@]FILE, got "
				       "'%s'", id);
	else
		error = vault_keys_add_file(k, label, src);
	free(label);
	return error;
}

/* ---- the envelope ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Decode hex (skipping line ends when `lines`) into out. Returns 0, or
 * -1 with the error set naming `what`.
 */
static int unhex(struct buf *out, const char *s, size_t len, bool lines,
		 const char *what)
{
	int hi = -1;

	for (size_t i = 0; i < len; i++) {
		int d;

		if (lines && (s[i] == '\n' || s[i] == '\r'))
			continue;
		if ((d = hexval((unsigned char)s[i])) < 0)
			return tend_error_set("damaged vault data: %s is not "
					      "hex", what);
		if (hi < 0) {
			hi = d;
		} else {
			buf_addch(out, hi << 4 | d);
			hi = -1;
		}
	}
	if (hi >= 0)
		return tend_error_set("damaged vault data: %s has an odd "
				      "number of hex digits", what);
	return 0;
}

static void addhex(struct buf *out, const unsigned char *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		buf_addch(out, digits[p[i] >> 4]);
		buf_addch(out, digits[p[i] & 15]);
	}
}

/* The header line: "$ANSIBLE_VAULT;VERSION;CIPHER[;VAULT-ID]". */
static int parse_header(struct envelope *e, const char *line, size_t len)
{
	struct buf h = BUF_INIT;
	char *field[5] = { NULL };
	size_t nr = 0;
	char *p, *semi;
	int error = 0;

	buf_add(&h, line, len);
	buf_trim(&h);
	for (p = h.ptr; nr < ARRAY_SIZE(field); p = semi + 1) {
		field[nr++] = p;
		if (!(semi = strchr(p, ';')))
			break;
		*semi = '\0';
	}
	if (nr < 3 || strcmp(field[0], VAULT_HEADER))
		error = tend_error_set("damaged vault data: the header should "
				       "be '$ANSIBLE_VAULT;1.1;AES256'");
	else if (strcmp(field[1], "1.1") && strcmp(field[1], "1.2"))
		error = tend_error_set("vault format '%s' is not supported "
				       "(tend reads 1.1 and 1.2)", field[1]);
	else if (strcmp(field[2], "AES256"))
		error = tend_error_set("vault cipher '%s' is not supported "
				       "(tend reads AES256)", field[2]);
	else if (nr > 3 && *field[3])
		e->label = xstrdup(field[3]);
	buf_release(&h);
	return error;
}

/* Split the vault text into its header and its three decoded parts. */
static int parse_envelope(struct envelope *e, const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	size_t hlen = nl ? (size_t)(nl - text) : len;
	struct buf inner = BUF_INIT;
	const char *p, *q, *end;
	int error;

	if (!vault_is_vault(text, len))
		return tend_error_set("not vault data (no '$ANSIBLE_VAULT' "
				      "header)");
	if ((error = parse_header(e, text, hlen)) < 0)
		return error;
	if ((error = unhex(&inner, text + hlen, len - hlen, true,
			   "the body")) < 0)
		goto out;
	p = inner.ptr;
	end = inner.ptr + inner.len;
	if (!(q = memchr(p, '\n', (size_t)(end - p))) ||
	    !memchr(q + 1, '\n', (size_t)(end - q - 1))) {
		error = tend_error_set("damaged vault data: truncated (expected "
				       "salt, HMAC and ciphertext)");
		goto out;
	}
	if ((error = unhex(&e->salt, p, (size_t)(q - p), false, "the salt")) < 0)
		goto out;
	p = q + 1;
	q = memchr(p, '\n', (size_t)(end - p));
	if ((error = unhex(&e->mac, p, (size_t)(q - p), false, "the HMAC")) < 0 ||
	    (error = unhex(&e->ct, q + 1, (size_t)(end - q - 1), false,
			   "the ciphertext")) < 0)
		goto out;
	if (e->mac.len != MAC_LEN)
		error = tend_error_set("damaged vault data: the HMAC is %zu "
				       "bytes, not %d", e->mac.len, MAC_LEN);
	else if (!e->ct.len || e->ct.len % 16)
		error = tend_error_set("damaged vault data: truncated "
				       "ciphertext (%zu bytes)", e->ct.len);
out:
	buf_release(&inner);
	return error;
}

static void envelope_release(struct envelope *e)
{
	free(e->label);
	buf_release(&e->salt);
	buf_release(&e->mac);
	buf_release(&e->ct);
}

/* ---- the cipher ---- */

/* PBKDF2-HMAC-SHA256 → AES key (32) | HMAC key (32) | counter (16). */
static int derive(unsigned char dk[2 * KEY_LEN + IV_LEN],
		  const struct vault_key *key, const struct buf *salt)
{
	if (!PKCS5_PBKDF2_HMAC(key->pw, (int)key->len,
			       (const unsigned char *)salt->ptr, (int)salt->len,
			       PBKDF2_ITER, EVP_sha256(), 2 * KEY_LEN + IV_LEN,
			       dk))
		return tend_error_set("vault: key derivation failed");
	return 0;
}

static int hmac_sha256(unsigned char mac[MAC_LEN], const unsigned char *k,
		       const void *data, size_t len)
{
	unsigned int n = MAC_LEN;

	if (!HMAC(EVP_sha256(), k, KEY_LEN, data, len, mac, &n) ||
	    n != MAC_LEN)
		return tend_error_set("vault: HMAC-SHA256 failed");
	return 0;
}

/* AES-256-CTR of len bytes of `in` into `out` (which has room for them). */
static int aes_ctr(unsigned char *out, const unsigned char *in, size_t len,
		   const unsigned char dk[2 * KEY_LEN + IV_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0, ok;

	if (!c)
		return tend_error_set("vault: out of memory in OpenSSL");
	ok = len <= INT_MAX &&
	     EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, dk,
				dk + 2 * KEY_LEN) &&
	     EVP_EncryptUpdate(c, out, &n, in, (int)len) &&
	     EVP_EncryptFinal_ex(c, out + n, &fin) && (size_t)(n + fin) == len;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : tend_error_set("vault: AES-256-CTR failed");
}

/*
 * Try one key: 1 if its HMAC matched and *out holds the plaintext, 0 if
 * not this key, -1 on error.
 */
static int try_key(struct buf *out, const struct envelope *e,
		   const struct vault_key *key)
{
	unsigned char dk[2 * KEY_LEN + IV_LEN], mac[MAC_LEN];
	size_t start = out->len, pad;
	int error;

	if ((error = derive(dk, key, &e->salt)) < 0 ||
	    (error = hmac_sha256(mac, dk + KEY_LEN, e->ct.ptr, e->ct.len)) < 0)
		goto out;
	if (CRYPTO_memcmp(mac, e->mac.ptr, MAC_LEN)) {
		error = 0;
		goto out;
	}
	buf_grow(out, e->ct.len);
	if ((error = aes_ctr((unsigned char *)out->ptr + start,
			     (const unsigned char *)e->ct.ptr, e->ct.len,
			     dk)) < 0)
		goto out;
	pad = (unsigned char)out->ptr[start + e->ct.len - 1];
	error = pad >= 1 && pad <= 16;
	for (size_t i = 1; error && i <= pad; i++)
		if ((unsigned char)out->ptr[start + e->ct.len - i] != pad)
			error = 0;
	if (!error) {
		OPENSSL_cleanse(out->ptr + start, e->ct.len);
		error = tend_error_set("damaged vault data: bad padding");
		goto out;
	}
	OPENSSL_cleanse(out->ptr + start + e->ct.len - pad, pad);
	buf_setlen(out, start + e->ct.len - pad);
	error = 1;
out:
	OPENSSL_cleanse(dk, sizeof(dk));
	return error;
}

int vault_decrypt(struct buf *out, const char *text, size_t len,
		  const struct vault_keys *k)
{
	struct envelope e = { NULL, BUF_INIT, BUF_INIT, BUF_INIT };
	int error;

	if ((error = parse_envelope(&e, text, len)) < 0)
		goto out;
	if (!k->nr) {
		error = tend_error_set("vault-encrypted data but no vault "
				       "password given: pass "
				       "--vault-password-file FILE (or "
				       "--vault-id, or set "
				       "ANSIBLE_VAULT_PASSWORD_FILE)");
		goto out;
	}
	/* the key named by the vault id first, then every other one */
	error = 0;
	for (size_t pass = 0; pass < 2 && !error; pass++)
		for (size_t i = 0; i < k->nr && !error; i++) {
			bool named = e.label && !strcmp(e.label, k->items[i].label);

			if (named == !pass)
				error = try_key(out, &e, &k->items[i]);
		}
	if (error == 0)
		error = tend_error_set("wrong vault password, or damaged vault "
				       "data (the HMAC does not match)");
	else if (error == 1)
		error = 0;
out:
	envelope_release(&e);
	return error;
}

int vault_encrypt(struct buf *out, const void *plain, size_t len,
		  const struct vault_key *key)
{
	return vault_encrypt_salt(out, plain, len, key, NULL, 0);
}

int vault_encrypt_salt(struct buf *out, const void *plain, size_t len,
		       const struct vault_key *key, const void *given,
		       size_t given_len)
{
	unsigned char dk[2 * KEY_LEN + IV_LEN], salt_b[SALT_LEN], mac[MAC_LEN];
	size_t padded = (len / 16 + 1) * 16;
	unsigned char *pt = xmalloc(padded), *ct = xmalloc(padded);
	struct buf salt = BUF_INIT, inner = BUF_INIT, hex = BUF_INIT;
	int error = -1;

	if (len)
		memcpy(pt, plain, len);
	memset(pt + len, (int)(padded - len), padded - len);
	if (given) {
		buf_add(&salt, given, given_len);
	} else if (RAND_bytes(salt_b, SALT_LEN) != 1) {
		error = tend_error_set("vault: no random bytes for the salt");
		goto out;
	} else {
		buf_add(&salt, salt_b, SALT_LEN);
	}
	if ((error = derive(dk, key, &salt)) < 0 ||
	    (error = aes_ctr(ct, pt, padded, dk)) < 0 ||
	    (error = hmac_sha256(mac, dk + KEY_LEN, ct, padded)) < 0)
		goto out;
	addhex(&inner, (const unsigned char *)salt.ptr, salt.len);
	buf_addch(&inner, '\n');
	addhex(&inner, mac, MAC_LEN);
	buf_addch(&inner, '\n');
	addhex(&inner, ct, padded);
	addhex(&hex, (const unsigned char *)inner.ptr, inner.len);
	buf_adds(out, VAULT_HEADER);
	if (strcmp(key->label, "default"))
		buf_addf(out, ";1.2;AES256;%s\n", key->label);
	else
		buf_adds(out, ";1.1;AES256\n");
	for (size_t i = 0; i < hex.len; i += LINE_WIDTH) {
		buf_add(out, hex.ptr + i, hex.len - i < LINE_WIDTH ?
			hex.len - i : LINE_WIDTH);
		buf_addch(out, '\n');
	}
out:
	OPENSSL_cleanse(dk, sizeof(dk));
	OPENSSL_cleanse(pt, padded);
	free(pt);
	free(ct);
	buf_release(&salt);
	buf_release(&inner);
	buf_release(&hex);
	return error;
}

int vault_open_text(struct buf *text, const char *name, struct diags *d)
{
	struct srcpos pos = { srcfile_intern(name), 0, 0 };
	struct buf plain = BUF_INIT;

	if (!vault_is_vault(text->ptr, text->len))
		return 0;
	if (vault_decrypt(&plain, text->ptr, text->len, vault_keys()) < 0) {
		buf_release_secret(&plain);
		diags_add(d, &pos, "cannot decrypt: %s", tend_error_last());
		tend_error_clear();
		return TEND_EPARSE;
	}
	buf_release(text);
	*text = plain;
	return 1;
}
