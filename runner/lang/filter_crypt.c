#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/pyrandom.h"
#include "tend/lang/template.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"
#include "tend/data/vault.h"

#include <crypt.h>
#include <ctype.h>
#include <strings.h>
#include <openssl/evp.h>
#include <sodium.h>

/*
 * Filters of digests and chance: hash, checksum, md5, sha1, to_uuid,
 * password_hash (libxcrypt, giving passlib's strings, which Ansible
 * uses), random and shuffle (Python's random.Random when
 * seeded: util/pyrandom.h; libsodium when not).
 */

static void hex_of(struct buf *b, const unsigned char *md, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		buf_addch(b, hex[md[i] >> 4]);
		buf_addch(b, hex[md[i] & 15]);
	}
}

/* hashlib.new(name) names, and OpenSSL's for the same digest. */
static const EVP_MD *digest_by_python_name(const char *name)
{
	static const struct { const char *py, *ossl; } names[] = {
		{ "md5", "MD5" },
		{ "sha1", "SHA1" },
		{ "sha224", "SHA224" },
		{ "sha256", "SHA256" },
		{ "sha384", "SHA384" },
		{ "sha512", "SHA512" },
		{ "sha512_224", "SHA512-224" },
		{ "sha512_256", "SHA512-256" },
		{ "sha3_224", "SHA3-224" },
		{ "sha3_256", "SHA3-256" },
		{ "sha3_384", "SHA3-384" },
		{ "sha3_512", "SHA3-512" },
		{ "blake2b", "BLAKE2B512" },
		{ "blake2s", "BLAKE2S256" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(names[i].py, name))
			return EVP_get_digestbyname(names[i].ossl);
	return NULL;
}

static int digest_hex(struct val **out, const struct val *in, const char *name)
{
	const EVP_MD *md = digest_by_python_name(name);
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct val *s;
	struct buf b = BUF_INIT;

	if (!md)
		return tend_error_set("unsupported hash type %s", name);
	s = template_str_of(in);
	if (!EVP_Digest(s->u.s.ptr, s->u.s.len, buf, &n, md, NULL)) {
		val_unref(s);
		return tend_error_set("hash: digest '%s' failed", name);
	}
	val_unref(s);
	hex_of(&b, buf, n);
	*out = template_str_result(&b);
	return 0;
}

static int f_hash(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	const char *type;
	int error;

	(void)c;
	if ((error = targs_str(&type, a, 0, "hashtype", "sha1", "hash")) < 0)
		return error;
	return digest_hex(out, in, type);
}

static int f_sha1(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	(void)a;
	(void)c;
	return digest_hex(out, in, "sha1");
}

static int f_md5(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)a;
	(void)c;
	return digest_hex(out, in, "md5");
}

/* uuid.uuid5(namespace, str(in)); Ansible's own namespace by default. */
static int f_to_uuid(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	const char *ns;
	unsigned char nsb[16], md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct val *s;
	struct buf b = BUF_INIT;
	EVP_MD_CTX *ctx;
	size_t k = 0;
	int error;

	(void)c;
	if ((error = targs_str(&ns, a, 0, "namespace",
			       "361E6D51-FAEC-444A-9079-341386DA8E2E",
			       "to_uuid")) < 0)
		return error;
	for (const char *p = ns; *p; p++) {
		if (*p == '-' || *p == '{' || *p == '}')
			continue;
		if (!isxdigit((unsigned char)*p) || k >= 32)
			return tend_error_set("to_uuid: badly formed namespace "
					      "UUID string");
		nsb[k / 2] = (unsigned char)((k % 2 ? nsb[k / 2] : 0) |
			     (unsigned)(isdigit((unsigned char)*p) ? *p - '0' :
					(tolower((unsigned char)*p) - 'a' + 10))
				     << (k % 2 ? 0 : 4));
		k++;
	}
	if (k != 32)
		return tend_error_set("to_uuid: badly formed namespace UUID "
				      "string");
	s = template_str_of(in);
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) ||
	    !EVP_DigestUpdate(ctx, nsb, 16) ||
	    !EVP_DigestUpdate(ctx, s->u.s.ptr, s->u.s.len) ||
	    !EVP_DigestFinal_ex(ctx, md, &n))
		error = tend_error_set("to_uuid: SHA-1 failed");
	EVP_MD_CTX_free(ctx);
	val_unref(s);
	if (error < 0)
		return error;
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf_addch(&b, '-');
		hex_of(&b, md + i, 1);
	}
	*out = template_str_result(&b);
	return 0;
}

/* Ansible's crypt algorithms (ansible/utils/encrypt.py, BaseHash). */
struct crypt_algo {
	const char *name, *alias, *id;
	size_t salt_size;
	long long implicit_rounds; /* 0: none */
	bool salt_exact;
};

static const struct crypt_algo crypt_algos[] = {
	{ "sha512_crypt", "sha512", "6", 16, 656000, false },
	{ "sha256_crypt", "sha256", "5", 16, 535000, false },
	{ "md5_crypt", "md5", "1", 8, 0, false },
	{ "bcrypt", "blowfish", "2b", 22, 12, true },
};

static const char salt_chars[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./";

static int crypt_salt(struct buf *out, const struct crypt_algo *al,
		      const struct targs *a)
{
	const char *salt;
	long long size;
	int error;

	if ((error = targs_str(&salt, a, 1, "salt", "", "password_hash")) < 0 ||
	    (error = targs_int(&size, a, 2, "salt_size", 0,
			       "password_hash")) < 0)
		return error;
	if (!size)
		size = (long long)al->salt_size;
	if (!*salt) {
		if (size < 0 || size > 1024)
			return tend_error_set("password_hash: invalid salt "
					      "size %lld", size);
		for (long long i = 0; i < size; i++)
			buf_addch(out, salt_chars[randombytes_uniform(
					       sizeof(salt_chars) - 1)]);
		salt = out->ptr;
	}
	if (salt[strspn(salt, salt_chars)])
		return tend_error_set("password_hash: invalid characters in "
				      "salt");
	if (al->salt_exact ? strlen(salt) != al->salt_size :
			     strlen(salt) > al->salt_size)
		return tend_error_set("password_hash: invalid salt size");
	if (out->ptr != salt)
		buf_sets(out, salt);
	return 0;
}

/*
 * The setting string crypt(3) reads, for the hash passlib would make:
 * Ansible uses passlib where it is installed (Debian's ansible depends
 * on python3-passlib), with the rounds of Ansible's table by default;
 * passlib omits "rounds=" only for SHA-crypt's own 5000.
 */
static int crypt_setting(struct buf *out, const struct crypt_algo *al,
			 const struct targs *a)
{
	struct buf salt = BUF_INIT;
	const char *ident;
	long long rounds;
	bool bcrypt = !strcmp(al->id, "2b");
	int error;

	if ((error = targs_int(&rounds, a, 3, "rounds", 0,
			       "password_hash")) < 0 ||
	    (error = targs_str(&ident, a, 4, "ident", "",
			       "password_hash")) < 0 ||
	    (error = crypt_salt(&salt, al, a)) < 0)
		goto out;
	if (*ident && !bcrypt) {
		error = tend_error_set("password_hash: 'ident' is for bcrypt "
				       "only");
		goto out;
	}
	if (rounds && !al->implicit_rounds) {
		error = tend_error_set("password_hash: '%s' takes no rounds",
				       al->name);
		goto out;
	}
	if (!rounds)
		rounds = al->implicit_rounds;
	if (bcrypt ? rounds < 4 || rounds > 31 :
		     al->implicit_rounds &&
			     (rounds < 1000 || rounds > 999999999)) {
		error = tend_error_set("password_hash: rounds %lld out of "
				       "range for '%s'", rounds, al->name);
		goto out;
	}
	if (bcrypt)
		buf_addf(out, "$%s$%02lld$%s", *ident ? ident : al->id, rounds,
			 salt.ptr);
	else if (rounds && rounds != 5000)
		buf_addf(out, "$%s$rounds=%lld$%s", al->id, rounds, salt.ptr);
	else
		buf_addf(out, "$%s$%s", al->id, salt.ptr);
out:
	buf_release(&salt);
	return error;
}

static int f_password_hash(struct val **out, struct val *in,
			   const struct targs *a, struct tctx *c)
{
	const struct crypt_algo *al = NULL;
	struct buf setting = BUF_INIT;
	struct crypt_data *cd = NULL;
	const char *type, *h;
	struct val *pw = NULL;
	int error;

	(void)c;
	if ((error = targs_str(&type, a, 0, "hashtype", "sha512",
			       "password_hash")) < 0)
		return error;
	for (size_t i = 0; i < ARRAY_SIZE(crypt_algos) && !al; i++)
		if (!strcmp(type, crypt_algos[i].name) ||
		    !strcmp(type, crypt_algos[i].alias))
			al = &crypt_algos[i];
	if (!al)
		return tend_error_set("password_hash: '%s' is not supported "
				      "(sha512, sha256, md5, bcrypt)", type);
	if ((error = crypt_setting(&setting, al, a)) < 0)
		goto out;
	pw = template_str_of(in);
	if (strlen(pw->u.s.ptr) != pw->u.s.len) {
		error = tend_error_set("password_hash: the password holds a "
				       "NUL byte");
		goto out;
	}
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(pw->u.s.ptr, setting.ptr, cd);
	if (!h || h[0] == '*')
		error = tend_error_set("password_hash: crypt cannot hash with "
				       "'%s'", setting.ptr);
	else
		*out = val_str(h);
out:
	if (cd) {
		sodium_memzero(cd, sizeof(*cd));
		free(cd);
	}
	val_unref(pw);
	buf_release(&setting);
	return error;
}

bool template_encrypt_known(const char *algo)
{
	for (size_t i = 0; i < ARRAY_SIZE(crypt_algos); i++)
		if (!strcmp(algo, crypt_algos[i].name))
			return true;
	return false;
}

int template_encrypt(struct val **out, const char *pw, const char *algo,
		     const char *salt, long long salt_size)
{
	struct targs a = { .npos = 1 };
	struct val *in = val_str(pw);
	int error;

	a.pos[0] = val_str(algo);
	if (salt) {
		a.kwname[a.nkw] = "salt";
		a.kw[a.nkw++] = val_str(salt);
	}
	if (salt_size) {
		a.kwname[a.nkw] = "salt_size";
		a.kw[a.nkw++] = val_int(salt_size);
	}
	*out = NULL;
	error = template_encrypt_known(algo) ?
		f_password_hash(out, in, &a, NULL) :
		tend_error_set("'%s' is not supported (sha512_crypt, "
			       "sha256_crypt, md5_crypt, bcrypt)", algo);
	for (size_t i = 0; i < a.nkw; i++)
		val_unref(a.kw[i]);
	val_unref(a.pos[0]);
	val_unref(in);
	return error;
}

/* A source of chance: Python's seeded Random, or libsodium's. */
struct chance {
	struct pyrandom py;
	bool seeded;
};

static int chance_init(struct chance *ch, const struct val *seed,
		       const char *who)
{
	ch->seeded = seed && seed->type != VAL_NULL;
	if (!ch->seeded)
		return 0;
	switch (seed->type) {
	case VAL_STR:
		pyrandom_seed_str(&ch->py, seed->u.s.ptr, seed->u.s.len);
		return 0;
	case VAL_INT:
		pyrandom_seed_int(&ch->py, seed->u.i);
		return 0;
	case VAL_BOOL:
		pyrandom_seed_int(&ch->py, seed->u.b);
		return 0;
	default:
		/* Python seeds with hash() of these: not reproducible here */
		return tend_error_set("%s: a seed of type '%s' is not supported "
				      "(give a string or an integer)", who,
				      template_type_name(seed));
	}
}

static uint64_t chance_below(struct chance *ch, uint64_t n)
{
	uint64_t x, lim;

	if (ch->seeded)
		return pyrandom_below(&ch->py, n);
	if (n <= UINT32_MAX)
		return randombytes_uniform((uint32_t)n);
	/* reject the top partial block, as randombytes_uniform does */
	lim = UINT64_MAX - UINT64_MAX % n;
	do
		randombytes_buf(&x, sizeof(x));
	while (x >= lim);
	return x % n;
}

/* random.randrange(start, stop, step), as CPython 3.11 computes it. */
static int randrange(struct val **out, struct chance *ch, long long start,
		     long long stop, long long step)
{
	__int128 width = (__int128)stop - start, n;

	if (!step)
		return tend_error_set("random: zero step for randrange()");
	n = step > 0 ? (width + step - 1) / step : (width + step + 1) / step;
	if (n <= 0)
		return tend_error_set("random: empty range for randrange(%lld, "
				      "%lld, %lld)", start, stop, step);
	*out = val_int((long long)(start + (__int128)step *
			(__int128)chance_below(ch, (uint64_t)n)));
	return 0;
}

static int f_random(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	long long start, step;
	struct chance ch;
	struct val *items;
	int error;

	(void)c;
	if ((error = targs_int(&start, a, 0, "start", 0, "random")) < 0 ||
	    (error = targs_int(&step, a, 1, "step", 0, "random")) < 0 ||
	    (error = chance_init(&ch, targs_get(a, 2, "seed"), "random")) < 0)
		return error;
	if (in->type == VAL_INT || in->type == VAL_BOOL)
		return randrange(out, &ch, start,
				 in->type == VAL_INT ? in->u.i : in->u.b,
				 step ? step : 1);
	if (in->type != VAL_STR && in->type != VAL_LIST)
		return tend_error_set("random can only be used on sequences "
				      "and integers");
	if (start || step)
		return tend_error_set("start and step can only be used with "
				      "integer values");
	if ((error = template_items_of(&items, in, "random")) < 0)
		return error;
	if (!items->u.list.nr)
		error = tend_error_set("random: Cannot choose from an empty "
				       "sequence");
	else
		*out = val_ref(items->u.list.items[chance_below(
			&ch, items->u.list.nr)]);
	val_unref(items);
	return error;
}

/* Python's random.shuffle; a false seed is no seed, as in Ansible. */
static int f_shuffle(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *seed = targs_get(a, 0, "seed"), *items, *l;
	struct chance ch;
	int error;

	(void)c;
	if (seed && !truth_python(seed))
		seed = NULL;
	if ((error = chance_init(&ch, seed, "shuffle")) < 0 ||
	    (error = template_items_of(&items, in, "shuffle")) < 0)
		return error;
	l = val_list();
	for (size_t i = 0; i < items->u.list.nr; i++)
		val_list_push(l, val_ref(items->u.list.items[i]));
	for (size_t i = l->u.list.nr; i > 1; i--) {
		size_t j = (size_t)chance_below(&ch, i);
		struct val *t = l->u.list.items[i - 1];

		l->u.list.items[i - 1] = l->u.list.items[j];
		l->u.list.items[j] = t;
	}
	val_unref(items);
	*out = l;
	return 0;
}

/*
 * vault(secret, salt=None, vaultid='filter_default', wrap_object=False):
 * the string encrypted as Ansible's vault filter does (format 1.2 with
 * the vault id unless it is "default"; a random salt unless one is
 * given). What is made from a secret stays secret.
 */
static int f_vault(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	const char *pw, *salt, *id;
	struct vault_key key;
	struct buf b = BUF_INIT;
	const struct val *sv = targs_get(a, 1, "salt");
	int error;

	(void)c;
	if (!val_cstr(in))
		return tend_error_set("vault: Can only vault strings, instead "
				      "we got: %s", template_type_name(in));
	if ((error = targs_str(&pw, a, 0, "secret", NULL, "vault")) < 0 ||
	    (error = targs_str(&id, a, 2, "vaultid", "filter_default",
			       "vault")) < 0)
		return error;
	if (targs_bool(a, 3, "wrap_object", false))
		return tend_error_set("vault: wrap_object=True is not supported "
				      "yet");
	salt = sv && sv->type != VAL_NULL ? val_cstr(sv) : NULL;
	if (sv && sv->type != VAL_NULL && (!salt || !*salt))
		return tend_error_set("vault: Unable to encrypt: Empty or "
				      "invalid salt passed");
	key.label = (char *)id;
	key.pw = (char *)pw;
	key.len = strlen(pw);
	if ((error = vault_encrypt_salt(&b, in->u.s.ptr, in->u.s.len, &key,
					salt, salt ? strlen(salt) : 0)) < 0) {
		buf_release(&b);
		return error;
	}
	*out = template_str_result(&b);
	if (val_holds_secret(in) || val_holds_secret(targs_get(a, 0, "secret")))
		*out = val_secret(*out);
	return 0;
}

/*
 * unvault(secret, vaultid='filter_default'): vault text decrypted with
 * the secret given (the result is secret); other text as it is (a !vault
 * value is already its plaintext here, and secret).
 */
static int f_unvault(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	const char *pw, *id;
	struct vault_keys keys = VAULT_KEYS_INIT;
	struct buf b = BUF_INIT;
	int error;

	(void)c;
	if (!val_cstr(in))
		return tend_error_set("unvault: Vault should be in the form of "
				      "a string, instead we got: %s",
				      template_type_name(in));
	if ((error = targs_str(&pw, a, 0, "secret", NULL, "unvault")) < 0 ||
	    (error = targs_str(&id, a, 1, "vaultid", "filter_default",
			       "unvault")) < 0)
		return error;
	if (!vault_is_vault(in->u.s.ptr, in->u.s.len)) {
		*out = val_ref(in);
		return 0;
	}
	vault_keys_add(&keys, id, pw, strlen(pw));
	error = vault_decrypt(&b, in->u.s.ptr, in->u.s.len, &keys);
	vault_keys_release(&keys);
	if (error < 0) {
		buf_release_secret(&b);
		return tend_error_prefix("unvault: Unable to decrypt");
	}
	*out = val_secret(template_str_result(&b));
	return 0;
}

/* Sorted by name (strcmp order): template_filter_find() bisects. */
static const struct tfilter filters[] = {
	{ "checksum", f_sha1, 0 },
	{ "hash", f_hash, 0 },
	{ "md5", f_md5, 0 },
	{ "password_hash", f_password_hash, 0 },
	{ "random", f_random, 0 },
	{ "sha1", f_sha1, 0 },
	{ "shuffle", f_shuffle, 0 },
	{ "to_uuid", f_to_uuid, 0 },
	{ "unvault", f_unvault, 0 },
	{ "vault", f_vault, 0 },
};

const struct filter_family filter_crypt_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
