/*
 * What a saved plan binds, and the checks that it still holds: the
 * digests of its inputs (playbooks, inventory, every file the run read)
 * and of its secrets. Every digest in the file is Argon2id with the
 * plan's salt (util/pwhash.h): a playbook's directory or a vars file may
 * hold a secret, and a plan file is a CI artefact that may leak.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/digest.h"
#include "tend/util/fs.h"
#include "tend/util/pwhash.h"
#include "tend/util/readlog.h"
#include "tend/store/plan.h"
#include "tend/store/plan_int.h"

#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* ---- the digests of a playbook's and an inventory's inputs ---- */

static void hash_str(crypto_hash_sha256_state *h, const char *s)
{
	crypto_hash_sha256_update(h, (const unsigned char *)s, strlen(s) + 1);
}

static int hash_file(crypto_hash_sha256_state *h, const char *path,
		     const char *name)
{
	struct buf b = BUF_INIT;
	int error = buf_read_file(&b, path);

	if (error == 0) {
		hash_str(h, name);
		crypto_hash_sha256_update(h, (const unsigned char *)b.ptr, b.len);
	}
	buf_release(&b);
	return error;
}

/*
 * A symlink is bound by where it points, never followed: in a git
 * source's checkout it may lead to any controller file (the files a run
 * reads through one are bound by the read log anyway).
 */
static int hash_link(crypto_hash_sha256_state *h, const char *path,
		     const char *name)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target));

	if (n < 0 || (size_t)n >= sizeof(target))
		return tend_error_set("cannot read the link '%s': %s", path,
				      n < 0 ? strerror(errno) : "too long");
	hash_str(h, "link");
	hash_str(h, name);
	crypto_hash_sha256_update(h, (const unsigned char *)target, (size_t)n);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

/*
 * Hash every file under `dir` (sorted, recursively), or only the YAML and
 * Jinja files at its top when `top_only`. Names are hashed relative to
 * `base` so that a moved checkout hashes the same.
 */
static int hash_tree(crypto_hash_sha256_state *h, const char *dir,
		     const char *rel, bool top_only)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t nr = 0, alloc = 0;
	struct dirent *e;
	int error = 0;

	if (!d)
		return 0; /* a missing directory contributes nothing */
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ALLOC_GROW(names, nr + 1, alloc);
		names[nr++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_names);
	for (size_t i = 0; i < nr && !error; i++) {
		struct buf path = BUF_INIT, name = BUF_INIT;
		struct stat st;
		bool wanted = !top_only || has_suffix(names[i], ".yml") ||
			      has_suffix(names[i], ".yaml") ||
			      has_suffix(names[i], ".j2");

		buf_addf(&path, "%s/%s", dir, names[i]);
		buf_addf(&name, "%s%s", rel, names[i]);
		if (!lstat(path.ptr, &st)) {
			if (S_ISLNK(st.st_mode) && wanted) {
				error = hash_link(h, path.ptr, name.ptr);
			} else if (S_ISDIR(st.st_mode) && !top_only) {
				buf_addch(&name, '/');
				error = hash_tree(h, path.ptr, name.ptr, false);
			} else if (S_ISREG(st.st_mode) && wanted) {
				error = hash_file(h, path.ptr, name.ptr);
			}
		}
		buf_release(&path);
		buf_release(&name);
	}
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	return error;
}

/* hash_tree of the directory `dir`, or hash_link if it is a symlink. */
static int hash_subdir(crypto_hash_sha256_state *h, const char *dir,
		       const char *rel)
{
	struct stat st;

	if (!lstat(dir, &st) && S_ISLNK(st.st_mode))
		return hash_link(h, dir, rel);
	return hash_tree(h, dir, rel, false);
}

/* SHA-256 of a playbook and what sits beside it. */
static int hash_playbook(unsigned char out[32], const char *playbook)
{
	static const char *const subdirs[] = {
		"templates", "files", "tasks", "vars", "group_vars",
		"host_vars", "handlers", "roles", NULL,
	};
	crypto_hash_sha256_state h;
	char *copy = xstrdup(playbook);
	const char *dir = dirname(copy);
	int error;

	crypto_hash_sha256_init(&h);
	if ((error = hash_file(&h, playbook, "playbook")) < 0)
		goto out;
	if ((error = hash_tree(&h, dir, "", true)) < 0)
		goto out;
	for (size_t i = 0; subdirs[i] && !error; i++) {
		struct buf sub = BUF_INIT, rel = BUF_INIT;

		buf_addf(&sub, "%s/%s", dir, subdirs[i]);
		buf_addf(&rel, "%s/", subdirs[i]);
		error = hash_subdir(&h, sub.ptr, rel.ptr);
		buf_release(&sub);
		buf_release(&rel);
	}
	crypto_hash_sha256_final(&h, out);
out:
	free(copy);
	return error;
}

/* SHA-256 of an inventory and its group_vars/ and host_vars/. */
static int hash_inventory(unsigned char out[32], const char *inventory)
{
	crypto_hash_sha256_state h;
	struct stat st;
	int error = 0;

	crypto_hash_sha256_init(&h);
	if (!inventory) {
		hash_str(&h, "(implicit localhost)");
	} else if (stat(inventory, &st) < 0) {
		hash_str(&h, inventory); /* a comma list of hosts */
	} else if (S_ISDIR(st.st_mode)) {
		error = hash_tree(&h, inventory, "", false);
	} else {
		char *copy = xstrdup(inventory);
		struct buf gv = BUF_INIT, hv = BUF_INIT;

		error = hash_file(&h, inventory, "inventory");
		buf_addf(&gv, "%s/group_vars", dirname(copy));
		free(copy);
		copy = xstrdup(inventory);
		buf_addf(&hv, "%s/host_vars", dirname(copy));
		if (!error)
			error = hash_subdir(&h, gv.ptr, "group_vars/");
		if (!error)
			error = hash_subdir(&h, hv.ptr, "host_vars/");
		buf_release(&gv);
		buf_release(&hv);
		free(copy);
	}
	crypto_hash_sha256_final(&h, out);
	return error;
}

int plan_digest_playbook(char out[PWHASH_HEX], const char *playbook,
			 struct pwhash *h)
{
	unsigned char md[32];

	if (hash_playbook(md, playbook) < 0)
		return -1;
	return pwhash_digest_sha256(out, h, "playbook", md);
}

int plan_digest_inventory(char out[PWHASH_HEX], const char *inventory,
			  struct pwhash *h)
{
	unsigned char md[32];

	if (hash_inventory(md, inventory) < 0)
		return -1;
	return pwhash_digest_sha256(out, h, "inventory", md);
}

/* ---- the files the run read ---- */

/* The directory that relative names in "files" are relative to. */
static char *real_root(const char *root)
{
	return root ? realpath(root, NULL) : NULL;
}

/* `path` relative to `root` if beneath it, else as it is. */
static const char *name_of(const char *path, const char *root)
{
	size_t n = root ? strlen(root) : 0;

	if (n && !strncmp(path, root, n) && path[n] == '/' && path[n + 1])
		return path + n + 1;
	return path;
}

int plan_bind_files(struct val **out, const struct plan_bind *b)
{
	char *root = real_root(b->root);
	struct val *l = val_list();
	int error = 0;

	for (size_t i = 0; i < readlog_count(b->reads) && !error; i++) {
		unsigned char md[32];
		const char *path = readlog_at(b->reads, i, md);
		char hex[PWHASH_HEX];
		struct val *f;

		error = pwhash_digest_sha256(hex, b->hasher, "file", md);
		if (error < 0)
			break;
		f = val_dict();
		val_dict_set_str(f, "path", name_of(path, root));
		val_dict_set_str(f, "argon2id", hex);
		val_list_push(l, f);
	}
	free(root);
	if (error < 0) {
		val_unref(l);
		return error;
	}
	*out = l;
	return 0;
}

/*
 * The SHA-256 of `path` as this run read it, or as it reads now if the
 * run did not read it (a task that no longer runs may have).
 */
static int sha256_now(unsigned char md[32], const char *path,
		      struct readlog *reads)
{
	struct buf data = BUF_INIT;

	if (readlog_find(reads, path, md))
		return 0;
	if (buf_read_file(&data, path) < 0) {
		buf_release(&data);
		return -1;
	}
	crypto_hash_sha256(md, (const unsigned char *)data.ptr, data.len);
	buf_release_secret(&data);
	return 0;
}

int plan_check_files(const struct val *plan, const struct plan_bind *b)
{
	const struct val *files = val_dict_get(plan, "files");
	char *root = real_root(b->root);
	struct buf why = BUF_INIT;
	int error = 0;

	for (size_t i = 0; i < val_len(files) && !error; i++) {
		const struct val *f = val_list_at(files, i);
		const char *name = val_cstr(val_dict_get(f, "path"));
		const char *want = val_cstr(val_dict_get(f, "argon2id"));
		struct buf path = BUF_INIT;
		unsigned char md[32];
		char hex[PWHASH_HEX];

		if (name[0] != '/')
			buf_addf(&path, "%s/", root ? root : ".");
		buf_adds(&path, name);
		if (sha256_now(md, path.ptr, b->reads) < 0) {
			buf_addf(&why, "%s'%s' cannot be read any more (%s)",
				 why.len ? "; " : "", path.ptr,
				 tend_error_last());
			tend_error_clear();
		} else if ((error = pwhash_digest_sha256(hex, b->hasher,
							 "file", md)) < 0) {
			/* the error is set */
		} else if (strcmp(hex, want)) {
			buf_addf(&why, "%s'%s' changed since the plan",
				 why.len ? "; " : "", path.ptr);
		}
		buf_release(&path);
	}
	if (!error && why.len)
		error = tend_error_set_code(TEND_ESTALE, "%s", why.ptr);
	buf_release(&why);
	free(root);
	return error;
}

int plan_check_inputs(const struct val *plan, struct pwhash *h)
{
	const struct val *pbs = val_dict_get(plan, "playbooks");
	const struct val *inv = val_dict_get(plan, "inventory");
	char hex[PWHASH_HEX];

	for (size_t i = 0; i < val_len(pbs); i++) {
		const struct val *pb = val_list_at(pbs, i);
		const char *path = val_cstr(val_dict_get(pb, "path"));
		const char *want = val_cstr(val_dict_get(pb, "argon2id"));
		unsigned char md[32];

		if (hash_playbook(md, path) < 0)
			return tend_error_set_code(TEND_ESTALE, "the playbook "
				"'%s' cannot be read any more: %s", path,
				tend_error_last());
		if (pwhash_digest_sha256(hex, h, "playbook", md) < 0)
			return -1;
		if (strcmp(hex, want))
			return tend_error_set_code(TEND_ESTALE, "the playbook "
				"'%s' or the files beside it changed since the "
				"plan", path);
	}
	if (plan_digest_inventory(hex, val_cstr(val_dict_get(inv, "path")),
				  h) < 0) {
		if (!strncmp(tend_error_last(), "cannot compute", 14))
			return -1;
		return tend_error_set_code(TEND_ESTALE, "the inventory cannot "
					   "be read any more: %s",
					   tend_error_last());
	}
	if (strcmp(hex, val_cstr(val_dict_get(inv, "argon2id"))))
		return tend_error_set_code(TEND_ESTALE, "the inventory changed "
					   "since the plan");
	return 0;
}

/* ---- secrets ---- */

/* Is anything in `v` secret? */
static bool has_secret(const struct val *v)
{
	if (v->flags & VAL_F_SECRET)
		return true;
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		if (has_secret(v->u.list.items[i]))
			return true;
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		if (has_secret(v->u.dict.items[i].v))
			return true;
	return false;
}

int plan_bind_extra_vars(struct val *opts, const struct val *extra_vars,
			 struct pwhash *h)
{
	struct val *ev = val_dict(), *secrets = val_dict();
	int error = 0;

	for (size_t i = 0; i < val_len(extra_vars) && !error; i++) {
		const char *k = extra_vars->u.dict.items[i].key;
		const struct val *v = extra_vars->u.dict.items[i].v;
		char hex[PWHASH_HEX];

		/*
		 * A var with a secret anywhere in it is kept whole among the
		 * secrets: --secrets supplies whole vars again at apply.
		 */
		if (!has_secret(v))
			val_dict_set(ev, k, val_copy(v));
		else if (!(error = val_digest(hex, v, h, "var")))
			val_dict_set_str(secrets, k, hex);
	}
	val_dict_set(opts, "extra_vars", ev);
	val_dict_set(opts, "secrets", secrets);
	return error;
}

int plan_extra_vars(struct val **out, const struct val *plan,
		    const struct val *secrets, struct pwhash *h)
{
	const struct val *ev = val_dict_path(plan, "options.extra_vars");
	const struct val *digests = val_dict_path(plan, "options.secrets");
	struct val *r = val_copy(ev);
	int error = 0;

	*out = NULL;
	for (size_t i = 0; i < val_len(digests) && !error; i++) {
		const char *name = digests->u.dict.items[i].key;
		const struct val *s = val_dict_get(secrets, name);
		char hex[PWHASH_HEX];

		if (!s)
			error = tend_error_set_code(TEND_ESTALE, "the plan was "
				"made with the secret '%s': pass it again "
				"(--secrets FILE)", name);
		else if ((error = val_digest(hex, s, h, "var")) < 0)
			break;
		else if (strcmp(hex, val_cstr(digests->u.dict.items[i].v)))
			error = tend_error_set_code(TEND_ESTALE, "the secret "
				"'%s' differs from the one the plan was made "
				"with", name);
		else
			val_dict_set(r, name, val_ref((struct val *)s));
	}
	if (error < 0) {
		val_unref(r);
		return error;
	}
	/* secrets the plan did not use are still available to the run */
	for (size_t i = 0; i < val_len(secrets); i++)
		if (!val_dict_get(r, secrets->u.dict.items[i].key))
			val_dict_set(r, secrets->u.dict.items[i].key,
				     val_ref(secrets->u.dict.items[i].v));
	*out = r;
	return 0;
}

/* ---- the hasher ---- */

void plan_bind_kdf(struct val *doc, struct pwhash *h)
{
	struct val *kdf = val_dict();
	char salt[2 * PWHASH_SALT_BYTES + 1];

	sodium_bin2hex(salt, sizeof(salt), pwhash_salt(h), PWHASH_SALT_BYTES);
	val_dict_set_str(kdf, "name", PWHASH_NAME);
	val_dict_set_int(kdf, "opslimit", (long long)pwhash_opslimit());
	val_dict_set_int(kdf, "memlimit", (long long)pwhash_memlimit());
	val_dict_set_str(kdf, "salt", salt);
	val_dict_set(doc, "kdf", kdf);
}

struct pwhash *plan_hasher(const struct val *plan)
{
	const char *hex = val_cstr(val_dict_path(plan, "kdf.salt"));
	unsigned char salt[PWHASH_SALT_BYTES];
	size_t len = 0;

	/* plan_load checked it: PWHASH_SALT_BYTES in hex */
	if (!hex || sodium_hex2bin(salt, sizeof(salt), hex, strlen(hex), NULL,
				   &len, NULL) < 0 || len != sizeof(salt))
		BUG("plan_hasher of a plan that plan_load did not check");
	return pwhash_new(salt);
}
