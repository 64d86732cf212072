#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/util/pwhash.h"
#include "tend/util/readlog.h"

#include <pthread.h>
#include <sodium.h>
#include <unistd.h>

#include "unit.h"

/*
 * The plan's digests (pwhash) and the run's read log (readlog): what a
 * saved plan binds, without an unsalted hash of anything.
 */

static const unsigned char salt1[PWHASH_SALT_BYTES] = "0123456789abcde";
static const unsigned char salt2[PWHASH_SALT_BYTES] = "0123456789abcdX";

static void test_pwhash__salted_and_per_purpose(void **state)
{
	struct pwhash *a = pwhash_new(salt1), *b = pwhash_new(salt2);
	struct pwhash *r = pwhash_new(NULL);
	char d1[PWHASH_HEX], d2[PWHASH_HEX], d3[PWHASH_HEX], d4[PWHASH_HEX];
	unsigned char md[32];
	char sha[65];

	(void)state;
	assert_memory_equal(pwhash_salt(a), salt1, PWHASH_SALT_BYTES);
	assert_memory_not_equal(pwhash_salt(r), salt1, PWHASH_SALT_BYTES);
	assert_ok(pwhash_digest(d1, a, "var", "hunter2", 7));
	assert_ok(pwhash_digest(d2, a, "var", "hunter2", 7)); /* cached */
	assert_string_equal(d1, d2);
	assert_int_equal(strlen(d1), 64);
	/* another salt, another purpose, another datum: another digest */
	assert_ok(pwhash_digest(d3, b, "var", "hunter2", 7));
	assert_string_not_equal(d1, d3);
	assert_ok(pwhash_digest(d3, a, "in arguments", "hunter2", 7));
	assert_string_not_equal(d1, d3);
	assert_ok(pwhash_digest(d4, a, "var", "hunter3", 7));
	assert_string_not_equal(d1, d4);
	/* neither is the plain SHA-256 (format 1's) */
	crypto_hash_sha256(md, (const unsigned char *)"hunter2", 7);
	sodium_bin2hex(sha, sizeof(sha), md, sizeof(md));
	assert_string_not_equal(d1, sha);
	/* a datum given by its SHA-256 digests as the datum */
	assert_ok(pwhash_digest_sha256(d2, a, "var", md));
	assert_string_equal(d1, d2);
	pwhash_free(a);
	pwhash_free(b);
	pwhash_free(r);
}

static char scratch[] = "/tmp/tend-pwhash-test.XXXXXX";

static void *read_in_thread(void *arg)
{
	struct readlog *prev = readlog_use(arg);
	struct buf path = BUF_INIT, b = BUF_INIT;

	buf_addf(&path, "%s/b.txt", scratch);
	if (readlog_read(&b, NULL, path.ptr) < 0)
		return (void *)1;
	readlog_use(prev);
	buf_release(&path);
	buf_release(&b);
	return NULL;
}

static void test_readlog__first_read_and_threads(void **state)
{
	struct readlog *log = readlog_new(), *prev;
	struct buf a = BUF_INIT, b = BUF_INIT, via = BUF_INIT, got = BUF_INIT;
	unsigned char md[32], want[32];
	pthread_t tid;
	void *rc;

	(void)state;
	assert_non_null(mkdtemp(scratch));
	buf_addf(&a, "%s/a.txt", scratch);
	buf_addf(&b, "%s/b.txt", scratch);
	buf_addf(&via, "%s/../%s/a.txt", scratch, strrchr(scratch, '/') + 1);
	assert_ok(buf_write_file_atomic(a.ptr, "one", 3, 0600));
	assert_ok(buf_write_file_atomic(b.ptr, "two", 3, 0600));
	/* no log in use: a read is only a read */
	assert_ok(readlog_read(&got, NULL, a.ptr));
	assert_int_equal(readlog_count(log), 0);
	prev = readlog_use(log);
	assert_ok(readlog_read(&got, NULL, a.ptr));
	/* the same file by another name, changed: the first read stays */
	assert_ok(buf_write_file_atomic(a.ptr, "ONE", 3, 0600));
	assert_ok(readlog_read(&got, NULL, via.ptr));
	assert_int_equal(readlog_count(log), 1);
	assert_string_equal(readlog_at(log, 0, md), a.ptr);
	crypto_hash_sha256(want, (const unsigned char *)"one", 3);
	assert_memory_equal(md, want, 32);
	/* a worker thread records in the log it is given */
	assert_int_equal(pthread_create(&tid, NULL, read_in_thread, log), 0);
	assert_int_equal(pthread_join(tid, &rc), 0);
	assert_null(rc);
	assert_true(readlog_find(log, b.ptr, md));
	crypto_hash_sha256(want, (const unsigned char *)"two", 3);
	assert_memory_equal(md, want, 32);
	assert_false(readlog_find(log, "/nonexistent", md));
	/* a missing file is an error, and not logged */
	buf_addf(&via, "-missing");
	assert_true(readlog_read(&got, NULL, via.ptr) == TEND_ENOTFOUND);
	tend_error_clear();
	assert_int_equal(readlog_count(log), 2);
	readlog_use(prev);
	readlog_free(log);
	unlink(a.ptr);
	unlink(b.ptr);
	rmdir(scratch);
	buf_release(&a);
	buf_release(&b);
	buf_release(&via);
	buf_release(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pwhash__salted_and_per_purpose),
		cmocka_unit_test(test_readlog__first_read_and_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
