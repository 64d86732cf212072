#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/source/source.h"
#include "tend/source/source_int.h"

#include <ctype.h>
#include <git2.h>

/*
 * Resolving and checking the commit: which commit a ref names in the
 * cache's repository, and whether it may run (--require-ancestor-of,
 * --verify-signatures).
 */

static bool all_hex(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The commit a ref name points at (peeling tags); ENOTFOUND if none. */
static int peel_ref(git_oid *out, git_repository *repo, const char *name)
{
	git_reference *ref = NULL;
	git_object *obj = NULL;
	int error;

	if ((error = git_reference_lookup(&ref, repo, name)) < 0)
		return error == GIT_ENOTFOUND ? TEND_ENOTFOUND :
		       error_from_git(-1, "cannot read '%s'", name);
	if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0) {
		error = error_from_git(-1, "'%s' does not point at a commit",
				       name);
	} else {
		git_oid_cpy(out, git_object_id(obj));
		error = 0;
	}
	git_object_free(obj);
	git_reference_free(ref);
	return error;
}

/* Some branch names, to say what there is when a ref is unknown. */
static void list_branches(struct buf *out, git_repository *repo)
{
	git_reference_iterator *it = NULL;
	const char *name;
	size_t n = 0;

	if (git_reference_iterator_glob_new(&it, repo,
					    "refs/remotes/origin/*") < 0)
		return;
	while (git_reference_next_name(&name, it) == 0) {
		if (n++ == 8) {
			buf_adds(out, ", ...");
			break;
		}
		buf_addf(out, "%s%s", n > 1 ? ", " : "",
			 name + strlen("refs/remotes/origin/"));
	}
	git_reference_iterator_free(it);
}

bool source_has_refs(git_repository *repo)
{
	git_reference_iterator *it = NULL;
	const char *name;
	bool any = false;

	if (git_reference_iterator_new(&it, repo) < 0)
		return false;
	any = git_reference_next_name(&name, it) == 0;
	git_reference_iterator_free(it);
	return any;
}

int source_resolve_ref(git_oid *out, git_repository *repo, const char *ref,
		       const char *url)
{
	struct buf name = BUF_INIT, branches = BUF_INIT;
	const char *const forms[] = { "refs/tags/%s", "refs/remotes/origin/%s" };
	int error = TEND_ENOTFOUND;

	if (all_hex(ref, GIT_OID_HEXSZ, GIT_OID_HEXSZ)) {
		git_commit *c = NULL;

		if (git_oid_fromstr(out, ref) == 0 &&
		    git_commit_lookup(&c, repo, out) == 0) {
			git_commit_free(c);
			return 0;
		}
		goto notfound;
	}
	if (!strncmp(ref, "refs/heads/", 11)) {
		buf_addf(&name, "refs/remotes/origin/%s", ref + 11);
		error = peel_ref(out, repo, name.ptr);
	} else if (!strncmp(ref, "refs/tags/", 10)) {
		error = peel_ref(out, repo, ref);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
			buf_reset(&name);
			buf_addf(&name, forms[i], ref);
			if ((error = peel_ref(out, repo, name.ptr)) !=
			    TEND_ENOTFOUND)
				break;
		}
	}
	if (error != TEND_ENOTFOUND)
		goto out;
	if (all_hex(ref, 4, GIT_OID_HEXSZ - 1)) {
		git_object *obj = NULL;
		git_oid prefix;

		if (git_oid_fromstrn(&prefix, ref, strlen(ref)) == 0) {
			error = git_object_lookup_prefix(&obj, repo, &prefix,
					strlen(ref), GIT_OBJECT_COMMIT);
			if (error == GIT_EAMBIGUOUS) {
				error = tend_error_set("commit id '%s' is "
					"ambiguous in '%s': give more digits",
					ref, url);
				goto out;
			}
			if (error == 0) {
				git_oid_cpy(out, git_object_id(obj));
				git_object_free(obj);
				goto out;
			}
		}
	}
notfound:
	list_branches(&branches, repo);
	error = tend_error_set_code(TEND_ENOTFOUND, "unknown ref '%s' in '%s': "
		"no such branch, tag or commit (branches: %s)", ref, url,
		branches.len ? branches.ptr : "none");
out:
	buf_release(&name);
	buf_release(&branches);
	return error;
}

int source_check_ancestor(git_repository *repo, const git_oid *id,
			  const char *branch, const char *url)
{
	struct buf name = BUF_INIT;
	git_oid tip;
	int error;

	if (!strncmp(branch, "refs/heads/", 11))
		branch += 11;
	buf_addf(&name, "refs/remotes/origin/%s", branch);
	error = peel_ref(&tip, repo, name.ptr);
	buf_release(&name);
	if (error == TEND_ENOTFOUND)
		return tend_error_set("no branch '%s' in '%s' "
				      "(--require-ancestor-of)", branch, url);
	if (error < 0)
		return error;
	if (git_oid_equal(&tip, id))
		return 0;
	error = git_graph_descendant_of(repo, &tip, id);
	if (error < 0)
		return error_from_git(-1, "cannot walk '%s'", branch);
	if (!error) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), id);
		return tend_error_set("refusing commit %s: it is not on branch "
				      "'%s' of '%s'", hex, branch, url);
	}
	return 0;
}

int source_verify_commit(struct source_result *out, git_repository *repo,
			 git_commit *c, const struct source_opts *o)
{
	git_buf sig = { 0 }, data = { 0 };
	struct source_signers signers = SOURCE_SIGNERS_INIT;
	const char *principals = NULL;
	git_oid id;
	int error;

	git_oid_cpy(&id, git_commit_id(c));
	error = git_commit_extract_signature(&sig, &data, repo, &id, NULL);
	if (error == GIT_ENOTFOUND) {
		error = tend_error_set("refusing commit %s: it is not signed "
				       "(--verify-signatures)", out->commit);
		goto out;
	}
	if (error < 0) {
		error = error_from_git(-1, "cannot read the signature of %s",
				       out->commit);
		goto out;
	}
	if (strstr(sig.ptr, "-----BEGIN PGP SIGNATURE-----")) {
		error = tend_error_set("refusing commit %s: it has an OpenPGP "
			"signature, and tend verifies only SSH signatures "
			"(gpg.format ssh)", out->commit);
		goto out;
	}
	if ((error = source_signers_load(&signers, o->allowed_signers)) < 0)
		goto out;
	error = source_sshsig_verify(&principals, &signers, sig.ptr, sig.size,
				     data.ptr, data.size, "git",
				     (long long)git_commit_time(c));
	if (error < 0) {
		tend_error_prefix("refusing commit %s", out->commit);
		goto out;
	}
	out->signer = xstrdup(principals);
out:
	source_signers_release(&signers);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return error;
}
