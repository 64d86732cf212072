#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/data/truth.h"
#include "tend/data/val.h"
#include "tend/net/knownhosts.h"
#include "tend/util/fs.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct key_type {
	int hostkey;      /* LIBSSH2_HOSTKEY_TYPE_* */
	int known;        /* LIBSSH2_KNOWNHOST_KEY_* */
	const char *name; /* as OpenSSH prints it beside a fingerprint */
} key_types[] = {
	{ LIBSSH2_HOSTKEY_TYPE_ED25519, LIBSSH2_KNOWNHOST_KEY_ED25519, "ED25519" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_256, LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ECDSA" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_384, LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ECDSA" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_521, LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ECDSA" },
	{ LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA, "RSA" },
	{ LIBSSH2_HOSTKEY_TYPE_DSS, LIBSSH2_KNOWNHOST_KEY_SSHDSS, "DSA" },
};

/* Host key algorithms and the known_hosts key type each one proves. */
static const struct {
	const char *method;
	int known;
} hostkey_methods[] = {
	{ "ssh-ed25519", LIBSSH2_KNOWNHOST_KEY_ED25519 },
	{ "ecdsa-sha2-nistp256", LIBSSH2_KNOWNHOST_KEY_ECDSA_256 },
	{ "ecdsa-sha2-nistp384", LIBSSH2_KNOWNHOST_KEY_ECDSA_384 },
	{ "ecdsa-sha2-nistp521", LIBSSH2_KNOWNHOST_KEY_ECDSA_521 },
	{ "rsa-sha2-512", LIBSSH2_KNOWNHOST_KEY_SSHRSA },
	{ "rsa-sha2-256", LIBSSH2_KNOWNHOST_KEY_SSHRSA },
	{ "ssh-rsa", LIBSSH2_KNOWNHOST_KEY_SSHRSA },
	{ "ssh-dss", LIBSSH2_KNOWNHOST_KEY_SSHDSS },
};

int knownhosts_load(LIBSSH2_KNOWNHOSTS *kh, const char *path)
{
	struct buf content = BUF_INIT, line = BUF_INIT;
	const char *p, *end;
	int error;

	if ((error = buf_read_file(&content, path)) < 0) {
		if (error == TEND_ENOTFOUND) {
			tend_error_clear();
			error = 0;
		}
		goto out;
	}
	for (p = content.ptr, end = p + content.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *q = p;

		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		/*
		 * libssh2 1.10 drops the line's last byte, taking it for
		 * the newline: always hand it one.
		 */
		if (q < eol && *q != '#') {
			buf_reset(&line);
			buf_add(&line, q, (size_t)(eol - q));
			buf_addch(&line, '\n');
			libssh2_knownhost_readline(kh, line.ptr, line.len,
					LIBSSH2_KNOWNHOST_FILE_OPENSSH);
		}
		p = nl ? nl + 1 : end;
	}
out:
	buf_release(&content);
	buf_release(&line);
	return error;
}

/*
 * Asking libssh2 to check a dummy key of each type answers it, hashed
 * entries included: MISMATCH means an entry of that type exists.
 */
int knownhosts_types(LIBSSH2_KNOWNHOSTS *kh, const char *label)
{
	int mask = 0;

	for (size_t i = 0; i < ARRAY_SIZE(key_types); i++) {
		int rc = libssh2_knownhost_checkp(kh, label, -1, "x", 1,
			LIBSSH2_KNOWNHOST_TYPE_PLAIN |
			LIBSSH2_KNOWNHOST_KEYENC_RAW | key_types[i].known,
			NULL);

		if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
			mask |= KNOWNHOSTS_KEY_BIT(key_types[i].known);
	}
	return mask;
}

bool knownhosts_alg_in_mask(const char *alg, int mask)
{
	for (size_t i = 0; i < ARRAY_SIZE(hostkey_methods); i++)
		if (!strcmp(alg, hostkey_methods[i].method))
			return mask & KNOWNHOSTS_KEY_BIT(hostkey_methods[i].known);
	return false;
}

/* Append the host's key to known_hosts (accept-new). */
static int record_host_key(LIBSSH2_KNOWNHOSTS *kh, const char *path,
			   const char *label, const char *key, size_t len,
			   int known)
{
	struct libssh2_knownhost *node = NULL;
	struct buf line = BUF_INIT, old = BUF_INIT;
	char text[8192];
	size_t textlen = 0;
	int fd = -1, error = 0;

	if (libssh2_knownhost_addc(kh, label, NULL, key, len, NULL, 0,
			LIBSSH2_KNOWNHOST_TYPE_PLAIN |
			LIBSSH2_KNOWNHOST_KEYENC_RAW | known, &node) ||
	    libssh2_knownhost_writeline(kh, node, text, sizeof(text), &textlen,
			LIBSSH2_KNOWNHOST_FILE_OPENSSH)) {
		error = tend_error_set_code(TEND_EUNREACHABLE,
			"cannot format the host key of '%s' for known_hosts",
			label);
		goto out;
	}
	/* a file that does not end in a newline gets one first */
	if (buf_read_file(&old, path) < 0) {
		tend_error_clear();
	} else if (old.len && old.ptr[old.len - 1] != '\n') {
		buf_addch(&line, '\n');
	}
	buf_add(&line, text, textlen);
	if (!buf_ends_with(&line, "\n"))
		buf_addch(&line, '\n');
	/*
	 * O_APPEND and one write: several hosts recording their keys at
	 * once from different threads do not mix lines.
	 */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) {
		/* ~/.ssh itself may not exist yet, as OpenSSH allows */
		const char *slash = strrchr(path, '/');

		if (slash && slash != path) {
			char *dir = xstrndup(path, (size_t)(slash - path));

			mkdir(dir, 0700);
			free(dir);
			fd = open(path, O_WRONLY | O_APPEND | O_CREAT |
				  O_CLOEXEC, 0600);
		}
	}
	if (fd < 0 || write(fd, line.ptr, line.len) != (ssize_t)line.len) {
		error = tend_error_set_code(TEND_EUNREACHABLE,
			"cannot record the host key of '%s' in '%s': %s",
			label, path, strerror(errno));
		goto out;
	}
out:
	if (fd >= 0)
		close(fd);
	buf_release(&line);
	buf_release(&old);
	return error;
}

int knownhosts_check(LIBSSH2_KNOWNHOSTS *kh, const char *path,
		     const char *label, const char *key, size_t len, int type,
		     enum ssh_host_key_checking checking)
{
	const struct key_type *kt = NULL;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char fp[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
			sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	int rc;

	for (size_t i = 0; i < ARRAY_SIZE(key_types); i++)
		if (key_types[i].hostkey == type)
			kt = &key_types[i];
	if (!kt)
		return tend_error_set_code(TEND_EUNREACHABLE,
			"cannot check the host key of '%s': unknown key type %d",
			label, type);
	/* OpenSSH's SHA256 fingerprint: of the raw key blob */
	crypto_hash_sha256(hash, (const unsigned char *)key, len);
	sodium_bin2base64(fp, sizeof(fp), hash, sizeof(hash),
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);

	rc = libssh2_knownhost_checkp(kh, label, -1, key, len,
		LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
		kt->known, NULL);
	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		return 0;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		return tend_error_set_code(TEND_EUNREACHABLE,
			"host key for '%s' has CHANGED (now %s SHA256:%s; '%s' "
			"lists another): refusing; someone may be intercepting "
			"the connection, or the host was reinstalled (then "
			"remove the old key: ssh-keygen -R '%s' -f '%s')",
			label, kt->name, fp, path, label, path);
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		/*
		 * Listed, but with keys of other types only: a server that
		 * now offers none of them is a changed key, not a new host
		 * (OpenSSH refuses it too). Taking it as new would let
		 * whoever answers on that address swap the key type.
		 */
		if (knownhosts_types(kh, label))
			return tend_error_set_code(TEND_EUNREACHABLE,
				"host key for '%s' has CHANGED (now %s SHA256:%s; "
				"'%s' lists only keys of other types for it): "
				"refusing; someone may be intercepting the "
				"connection, or the host was reinstalled (then "
				"remove the old keys: ssh-keygen -R '%s' -f '%s')",
				label, kt->name, fp, path, label, path);
		if (checking == SSH_HOST_KEY_ACCEPT_NEW)
			return record_host_key(kh, path, label, key, len,
					       kt->known);
		return tend_error_set_code(TEND_EUNREACHABLE,
			"host key for '%s' is not in known_hosts (%s SHA256:%s): "
			"refusing (set host_key_checking: accept-new to trust "
			"it on first use, or add it to '%s')", label,
			kt->name, fp, path);
	default:
		return tend_error_set_code(TEND_EUNREACHABLE,
			"cannot check the host key of '%s' against '%s'",
			label, path);
	}
}

int knownhosts_parse_checking(enum ssh_host_key_checking *out, const char *s)
{
	static const struct {
		const char *name;
		enum ssh_host_key_checking mode;
	} modes[] = {
		{ "strict", SSH_HOST_KEY_STRICT },
		{ "accept-new", SSH_HOST_KEY_ACCEPT_NEW },
		{ "off", SSH_HOST_KEY_OFF },
	};
	struct val *v;
	bool b;
	int error;

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!strcmp(s, modes[i].name)) {
			*out = modes[i].mode;
			return 0;
		}
	}
	/* Ansible's host_key_checking is a bool: its words, strictly */
	v = val_str(s);
	error = truth_boolean(&b, v);
	val_unref(v);
	if (error < 0) {
		tend_error_clear();
		return tend_error_set("unknown host_key_checking '%s' (expected "
				      "strict, accept-new, off or a boolean)",
				      s);
	}
	*out = b ? SSH_HOST_KEY_STRICT : SSH_HOST_KEY_OFF;
	return 0;
}
