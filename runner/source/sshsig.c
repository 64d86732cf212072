#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/source/source.h"
#include "tend/source/source_int.h"

#include <fnmatch.h>
#include <sodium.h>

/*
 * SSH signatures (OpenSSH PROTOCOL.sshsig). All integers are big-endian
 * uint32; a "string" is a uint32 length and that many bytes.
 */

#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define SSHSIG_END "-----END SSH SIGNATURE-----"

static bool wire_u32(struct wire *w, uint32_t *v)
{
	if (w->left < 4)
		return false;
	*v = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 |
	     (uint32_t)w->p[2] << 8 | w->p[3];
	w->p += 4;
	w->left -= 4;
	return true;
}

bool source_wire_string(struct wire *w, const unsigned char **s, size_t *len)
{
	uint32_t n;

	if (!wire_u32(w, &n) || n > w->left)
		return false;
	*s = w->p;
	*len = n;
	w->p += n;
	w->left -= n;
	return true;
}

bool source_bytes_are(const unsigned char *s, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(s, want, len);
}

static void put_string(struct buf *b, const void *s, size_t len)
{
	unsigned char n[4] = { (unsigned char)(len >> 24),
			       (unsigned char)(len >> 16),
			       (unsigned char)(len >> 8), (unsigned char)len };

	buf_add(b, n, 4);
	buf_add(b, s, len);
}

/* OpenSSH's fingerprint of a key blob: "SHA256:base64" */
static void fingerprint(char *out, size_t size, const unsigned char *blob,
			size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, blob, len);
	memcpy(out, "SHA256:", 8);
	sodium_bin2base64(out + 7, size - 7, h, sizeof(h),
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

int source_b64_decode(unsigned char **out, size_t *out_len, const char *s,
		      size_t len)
{
	size_t max = len / 4 * 3 + 3;
	unsigned char *bin = xmalloc(max ? max : 1);

	if (sodium_base642bin(bin, max, s, len, " \t\r\n", out_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) < 0) {
		free(bin);
		return -1;
	}
	*out = bin;
	return 0;
}

/* Does `ns` match the comma-separated pattern list (OpenSSH style)? */
static bool ns_allowed(const char *list, const char *ns)
{
	bool allowed = false;

	while (*list) {
		size_t n = strcspn(list, ",");
		char *pat = xstrndup(list, n);
		bool neg = pat[0] == '!';

		if (!fnmatch(neg ? pat + 1 : pat, ns, 0)) {
			if (neg) {
				free(pat);
				return false;
			}
			allowed = true;
		}
		free(pat);
		list += n + (list[n] == ',');
	}
	return allowed;
}

/*
 * The blob between the armor lines of `sig`, base64-decoded into a new
 * *blob (the caller frees it). Returns 0, or -1 with the error set.
 */
static int dearmor(unsigned char **blob, size_t *blob_len, const char *sig,
		   size_t sig_len)
{
	const char *begin, *end;

	begin = memmem(sig, sig_len, SSHSIG_BEGIN, strlen(SSHSIG_BEGIN));
	end = begin ? memmem(begin, sig_len - (size_t)(begin - sig),
			     SSHSIG_END, strlen(SSHSIG_END)) : NULL;
	if (!begin || !end)
		return tend_error_set("not an SSH signature");
	begin += strlen(SSHSIG_BEGIN);
	if (source_b64_decode(blob, blob_len, begin, (size_t)(end - begin)) < 0)
		return tend_error_set("the SSH signature is not valid base64");
	return 0;
}

/*
 * The signer in `signers` who may sign with the key `pk` in namespace
 * `ns` at time `when`: its principals into *principals (borrowed).
 * Returns 0, or -1 with the reason set (`fp` names the key).
 */
static int match_signer(const char **principals,
			const struct source_signers *signers,
			const unsigned char *pk, size_t pk_len, const char *ns,
			long long when, const char *fp)
{
	struct buf why = BUF_INIT;
	int error = -1;

	for (size_t i = 0; i < signers->nr; i++) {
		const struct source_signer *a = &signers->items[i];

		if (a->key_len != pk_len || memcmp(a->key, pk, pk_len) ||
		    a->cert_authority)
			continue;
		buf_reset(&why);
		if (a->namespaces && !ns_allowed(a->namespaces, ns))
			buf_addf(&why, "allowed for namespaces '%s' only, "
				 "not '%s'", a->namespaces, ns);
		else if (a->valid_after && when < a->valid_after)
			buf_adds(&why, "not valid yet at the commit's time");
		else if (a->valid_before && when > a->valid_before)
			buf_adds(&why, "expired at the commit's time");
		if (!why.len) {
			*principals = a->principals;
			error = 0;
			goto out;
		}
	}
	if (why.len)
		tend_error_set("signed by %s: that key is %s", fp, why.ptr);
	else
		tend_error_set("signed by %s, which is not an allowed signer",
			       fp);
out:
	buf_release(&why);
	return error;
}

int source_sshsig_verify(const char **principals,
			 const struct source_signers *signers,
			 const char *sig, size_t sig_len, const void *msg,
			 size_t msg_len, const char *ns, long long when)
{
	unsigned char *blob = NULL;
	size_t blob_len = 0;
	const unsigned char *pk, *sns, *reserved, *halg, *sigblob, *ktype,
		*kbytes, *stype, *sbytes;
	size_t pk_len, sns_len, reserved_len, halg_len, sigblob_len,
		ktype_len, kbytes_len, stype_len, sbytes_len;
	unsigned char h[crypto_hash_sha512_BYTES];
	size_t h_len;
	struct buf data = BUF_INIT;
	char fp[64];
	uint32_t version;
	struct wire w, k, s;
	int error = -1;

	*principals = NULL;
	if (dearmor(&blob, &blob_len, sig, sig_len) < 0)
		return -1;
	w.p = blob;
	w.left = blob_len;
	if (w.left < 6 || memcmp(w.p, SSHSIG_MAGIC, 6)) {
		tend_error_set("the SSH signature lacks its SSHSIG preamble");
		goto out;
	}
	w.p += 6;
	w.left -= 6;
	if (!wire_u32(&w, &version) || !source_wire_string(&w, &pk, &pk_len) ||
	    !source_wire_string(&w, &sns, &sns_len) ||
	    !source_wire_string(&w, &reserved, &reserved_len) ||
	    !source_wire_string(&w, &halg, &halg_len) ||
	    !source_wire_string(&w, &sigblob, &sigblob_len)) {
		tend_error_set("the SSH signature is truncated");
		goto out;
	}
	if (version != 1) {
		tend_error_set("SSH signature version %u is not supported",
			       (unsigned)version);
		goto out;
	}
	fingerprint(fp, sizeof(fp), pk, pk_len);
	if (!source_bytes_are(sns, sns_len, ns)) {
		tend_error_set("the signature by %s is for namespace '%.*s', "
			       "not '%s'", fp, (int)sns_len, (const char *)sns,
			       ns);
		goto out;
	}
	if (source_bytes_are(halg, halg_len, "sha512")) {
		crypto_hash_sha512(h, msg, msg_len);
		h_len = crypto_hash_sha512_BYTES;
	} else if (source_bytes_are(halg, halg_len, "sha256")) {
		crypto_hash_sha256(h, msg, msg_len);
		h_len = crypto_hash_sha256_BYTES;
	} else {
		tend_error_set("unsupported SSH signature hash '%.*s'",
			       (int)halg_len, (const char *)halg);
		goto out;
	}
	k.p = pk;
	k.left = pk_len;
	s.p = sigblob;
	s.left = sigblob_len;
	if (!source_wire_string(&k, &ktype, &ktype_len)) {
		tend_error_set("the SSH signature has a malformed key");
		goto out;
	}
	if (!source_bytes_are(ktype, ktype_len, "ssh-ed25519")) {
		tend_error_set("signed by a %.*s key (%s): tend verifies only "
			       "ssh-ed25519 signatures", (int)ktype_len,
			       (const char *)ktype, fp);
		goto out;
	}
	if (!source_wire_string(&k, &kbytes, &kbytes_len) ||
	    kbytes_len != crypto_sign_PUBLICKEYBYTES ||
	    !source_wire_string(&s, &stype, &stype_len) ||
	    !source_bytes_are(stype, stype_len, "ssh-ed25519") ||
	    !source_wire_string(&s, &sbytes, &sbytes_len) ||
	    sbytes_len != crypto_sign_BYTES) {
		tend_error_set("the SSH signature is malformed");
		goto out;
	}
	buf_adds(&data, SSHSIG_MAGIC);
	put_string(&data, sns, sns_len);
	put_string(&data, reserved, reserved_len);
	put_string(&data, halg, halg_len);
	put_string(&data, h, h_len);
	if (crypto_sign_verify_detached(sbytes, (const unsigned char *)data.ptr,
					data.len, kbytes) != 0) {
		tend_error_set("bad signature by %s: the signed content was "
			       "changed, or the signature is corrupt", fp);
		goto out;
	}
	error = match_signer(principals, signers, pk, pk_len, ns, when, fp);
out:
	free(blob);
	buf_release(&data);
	return error;
}
