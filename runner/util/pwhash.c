#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/util/pwhash.h"

#include <pthread.h>

#include <sodium.h>

struct pwhash_entry {
	unsigned char sha256[crypto_hash_sha256_BYTES];
	unsigned char key[32]; /* Argon2id of sha256 */
};

struct pwhash {
	unsigned char salt[PWHASH_SALT_BYTES];
	/*
	 * Held while hashing, not only around the cache: one Argon2id at a
	 * time bounds the memory, and a value two threads need is hashed
	 * once.
	 */
	pthread_mutex_t lock;
	struct pwhash_entry *cache;
	size_t nr, alloc;
};

unsigned long long pwhash_opslimit(void)
{
	return crypto_pwhash_OPSLIMIT_INTERACTIVE;
}

size_t pwhash_memlimit(void)
{
	return crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

struct pwhash *pwhash_new(const unsigned char *salt)
{
	struct pwhash *h = xcalloc(1, sizeof(*h));

	/* randombytes needs it; it is idempotent and thread-safe */
	if (sodium_init() < 0)
		BUG("sodium_init failed");
	if (salt)
		memcpy(h->salt, salt, sizeof(h->salt));
	else
		randombytes_buf(h->salt, sizeof(h->salt));
	pthread_mutex_init(&h->lock, NULL);
	return h;
}

void pwhash_free(struct pwhash *h)
{
	if (!h)
		return;
	/* the SHA-256 of a secret is as good as the secret to a dictionary */
	if (h->cache)
		sodium_memzero(h->cache, h->alloc * sizeof(*h->cache));
	free(h->cache);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

const unsigned char *pwhash_salt(const struct pwhash *h)
{
	return h->salt;
}

/* Room for one more entry; the old array is wiped, not just freed. */
static void grow(struct pwhash *h)
{
	struct pwhash_entry *bigger;

	if (h->nr < h->alloc)
		return;
	h->alloc = h->alloc ? 2 * h->alloc : 8;
	bigger = xcalloc(h->alloc, sizeof(*bigger));
	if (h->nr) {
		memcpy(bigger, h->cache, h->nr * sizeof(*bigger));
		sodium_memzero(h->cache, h->nr * sizeof(*bigger));
	}
	free(h->cache);
	h->cache = bigger;
}

/* The datum's key: Argon2id of its SHA-256, from the cache if there. */
static int key_of(unsigned char key[32], struct pwhash *h,
		  const unsigned char sha256[32])
{
	for (size_t i = 0; i < h->nr; i++) {
		if (!sodium_memcmp(h->cache[i].sha256, sha256, 32)) {
			memcpy(key, h->cache[i].key, 32);
			return 0;
		}
	}
	if (crypto_pwhash(key, 32, (const char *)sha256, 32, h->salt,
			  crypto_pwhash_OPSLIMIT_INTERACTIVE,
			  crypto_pwhash_MEMLIMIT_INTERACTIVE,
			  crypto_pwhash_ALG_ARGON2ID13) < 0)
		return tend_error_set("cannot compute an Argon2id digest: out "
				      "of memory (it needs %zu MiB)",
				      pwhash_memlimit() >> 20);
	grow(h);
	memcpy(h->cache[h->nr].sha256, sha256, 32);
	memcpy(h->cache[h->nr].key, key, 32);
	h->nr++;
	return 0;
}

int pwhash_digest_sha256(char out[PWHASH_HEX], struct pwhash *h,
			 const char *purpose, const unsigned char sha256[32])
{
	unsigned char key[32], md[32];
	int error;

	pthread_mutex_lock(&h->lock);
	error = key_of(key, h, sha256);
	pthread_mutex_unlock(&h->lock);
	if (error < 0)
		return error;
	crypto_generichash(md, sizeof(md), (const unsigned char *)purpose,
			   strlen(purpose), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	sodium_bin2hex(out, PWHASH_HEX, md, sizeof(md));
	return 0;
}

int pwhash_digest(char out[PWHASH_HEX], struct pwhash *h, const char *purpose,
		  const void *data, size_t len)
{
	unsigned char sha256[crypto_hash_sha256_BYTES];
	int error;

	crypto_hash_sha256(sha256, data, len);
	error = pwhash_digest_sha256(out, h, purpose, sha256);
	sodium_memzero(sha256, sizeof(sha256));
	return error;
}
