#ifndef TEND_PYRANDOM_H
#define TEND_PYRANDOM_H

/*
 * Python's random.Random, as far as Ansible's `random` and `shuffle`
 * filters use it with a seed: the same seed must give the same number
 * or order that Ansible gives (people seed with inventory_hostname to
 * get a stable per-host minute for a cron job).
 *
 * Why hand-written: no Debian library reproduces CPython's seeding (a
 * str seed is the int of its UTF-8 bytes followed by their SHA-512,
 * fed to MT19937's init_by_array as 32-bit words, least significant
 * first), its getrandbits(), or its rejection sampling in _randbelow.
 * MT19937 itself is the reference algorithm of Matsumoto and Nishimura.
 *
 * Not for secrets: an unseeded `random` uses libsodium instead.
 */

#include <stddef.h>
#include <stdint.h>

struct pyrandom {
	uint32_t mt[624];
	int mti;
};

/* Random(s) for a str seed s of len bytes (Python 3's version 2 seeding). */
void pyrandom_seed_str(struct pyrandom *r, const char *s, size_t len);

/* Random(n) for an int seed (Python uses abs(n)). */
void pyrandom_seed_int(struct pyrandom *r, long long n);

/* random.getrandbits(k), 1 <= k <= 64. */
uint64_t pyrandom_getrandbits(struct pyrandom *r, unsigned int k);

/* random._randbelow(n): uniform in [0, n), n >= 1; rejection as CPython. */
uint64_t pyrandom_below(struct pyrandom *r, uint64_t n);

#endif
