#include "tend/common.h"
#include "tend/util/pyrandom.h"

#include <sodium.h>

/*
 * MT19937 with CPython's seeding (Modules/_randommodule.c and
 * Lib/random.py): see pyrandom.h for why it is written here.
 */

#define MT_N 624
#define MT_M 397

static void init_genrand(struct pyrandom *r, uint32_t s)
{
	r->mt[0] = s;
	for (int i = 1; i < MT_N; i++)
		r->mt[i] = 1812433253U * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) +
			   (uint32_t)i;
	r->mti = MT_N;
}

static void init_by_array(struct pyrandom *r, const uint32_t *key, size_t n)
{
	size_t i = 1, j = 0, k = MT_N > n ? MT_N : n;

	init_genrand(r, 19650218U);
	for (; k; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) *
					1664525U)) + key[j] + (uint32_t)j;
		i++;
		j++;
		if (i >= MT_N) {
			r->mt[0] = r->mt[MT_N - 1];
			i = 1;
		}
		if (j >= n)
			j = 0;
	}
	for (k = MT_N - 1; k; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) *
					1566083941U)) - (uint32_t)i;
		i++;
		if (i >= MT_N) {
			r->mt[0] = r->mt[MT_N - 1];
			i = 1;
		}
	}
	r->mt[0] = 0x80000000U;
}

static uint32_t genrand(struct pyrandom *r)
{
	static const uint32_t mag01[2] = { 0, 0x9908b0dfU };
	uint32_t y;

	if (r->mti >= MT_N) {
		int kk;

		for (kk = 0; kk < MT_N - MT_M; kk++) {
			y = (r->mt[kk] & 0x80000000U) |
			    (r->mt[kk + 1] & 0x7fffffffU);
			r->mt[kk] = r->mt[kk + MT_M] ^ (y >> 1) ^ mag01[y & 1];
		}
		for (; kk < MT_N - 1; kk++) {
			y = (r->mt[kk] & 0x80000000U) |
			    (r->mt[kk + 1] & 0x7fffffffU);
			r->mt[kk] = r->mt[kk + (MT_M - MT_N)] ^ (y >> 1) ^
				    mag01[y & 1];
		}
		y = (r->mt[MT_N - 1] & 0x80000000U) | (r->mt[0] & 0x7fffffffU);
		r->mt[MT_N - 1] = r->mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1];
		r->mti = 0;
	}
	y = r->mt[r->mti++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680U;
	y ^= (y << 15) & 0xefc60000U;
	y ^= y >> 18;
	return y;
}

/*
 * Seed with the unsigned big-endian number in bytes[0..n): its 32-bit
 * words, least significant first; zero is the one word 0.
 */
static void seed_bytes_be(struct pyrandom *r, const unsigned char *bytes,
			  size_t n)
{
	size_t nwords, w;
	uint32_t *key;

	while (n && !bytes[0]) {
		bytes++;
		n--;
	}
	nwords = n ? (n + 3) / 4 : 1;
	key = xcalloc(nwords, sizeof(*key));
	for (size_t i = 0; i < n; i++) {
		w = i / 4;
		key[w] |= (uint32_t)bytes[n - 1 - i] << (8 * (i % 4));
	}
	init_by_array(r, key, nwords);
	free(key);
}

void pyrandom_seed_str(struct pyrandom *r, const char *s, size_t len)
{
	unsigned char *all = xmalloc(len + crypto_hash_sha512_BYTES);

	memcpy(all, s, len);
	crypto_hash_sha512(all + len, (const unsigned char *)s, len);
	seed_bytes_be(r, all, len + crypto_hash_sha512_BYTES);
	free(all);
}

void pyrandom_seed_int(struct pyrandom *r, long long n)
{
	unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n :
				       (unsigned long long)n;
	unsigned char be[8];

	for (int i = 7; i >= 0; i--, u >>= 8)
		be[i] = (unsigned char)(u & 0xff);
	seed_bytes_be(r, be, sizeof(be));
}

uint64_t pyrandom_getrandbits(struct pyrandom *r, unsigned int k)
{
	uint64_t lo, hi;

	if (k <= 32)
		return genrand(r) >> (32 - k);
	/* words fill from the least significant; the last is cut short */
	lo = genrand(r);
	hi = genrand(r) >> (64 - k);
	return (hi << 32) | lo;
}

uint64_t pyrandom_below(struct pyrandom *r, uint64_t n)
{
	unsigned int k = 0;
	uint64_t x;

	for (uint64_t m = n; m; m >>= 1)
		k++;
	do
		x = pyrandom_getrandbits(r, k);
	while (x >= n);
	return x;
}
