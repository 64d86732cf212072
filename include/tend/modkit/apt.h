#ifndef TEND_MODKIT_APT_H
#define TEND_MODKIT_APT_H

/*
 * Debian packages, as Ansible's apt module handles them, with the host's
 * own dpkg-query, apt-cache and apt-get (no python3-apt): the shared
 * engine of the modules apt and package.
 *
 * The check is one probe: the apt cache's age, then for each package
 * `dpkg-query -W` (status, installed version) and `apt-cache policy`
 * (candidate and every known version). The judge decides as Ansible's
 * package_status/install/remove do and plans each package:
 * "install hello 2.10-3", "upgrade hello 1.0-1 -> 2.0-1", "remove x
 * 1.0". The apply runs `apt-get install 'name=VERSION'...` with exactly
 * the versions planned (or remove), non-interactively and waiting for
 * the dpkg lock; when the cache is to be updated first, it updates,
 * probes again and plans again (what the update brings is not known
 * before it).
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"

struct task_ctx;
struct check_result;
struct apply_result;
struct probe;
struct exec_result;

/*
 * Compare two Debian versions as dpkg does (epoch, upstream version,
 * revision; '~' sorts before everything): < 0, 0 or > 0.
 */
int apt_version_cmp(const char *a, const char *b);

/*
 * Whether `name` is a valid Debian package name (lower-case letters,
 * digits, + - .; starting with a letter or digit), with an optional
 * ":arch". Names that are not can match no package: they never reach a
 * shell at all.
 */
bool apt_name_valid(const char *name);

/*
 * What `apt-cache policy NAME` printed for one package: `known` is false
 * when it printed nothing (no such package); `candidate` NULL for
 * "(none)"; `versions` every version of the version table, highest
 * first, NUL-separated (`nversions` of them). Free with apt_policy_release.
 */
struct apt_policy {
	bool known;
	char *installed;
	char *candidate;
	struct buf versions;
	size_t nversions;
};

void apt_policy_parse(struct apt_policy *out, const char *text, size_t len);
void apt_policy_release(struct apt_policy *p);

/*
 * The module functions. `which` is "apt" or "package": package also asks
 * the host which package manager it has (Ansible's pkg_mgr) and refuses
 * any but apt, naming it.
 */
int apt_probe(struct probe *out, const struct task_ctx *ctx,
	      const char *which);
int apt_judge(struct check_result *out, const struct task_ctx *ctx,
	      struct probe *p, const struct exec_result *res);
int apt_apply(struct apply_result *out, const struct task_ctx *ctx,
	      const struct check_result *planned);

/*
 * apt-get update on the host, retried as Ansible's apt retries (the args
 * update_cache_retries and update_cache_retry_max_delay), waiting for
 * the lock (lock_timeout). *mtime is then the cache's time. Fails with
 * Ansible's "Failed to update apt cache: ...".
 */
int apt_update_cache(const struct task_ctx *ctx, long long *mtime);

/*
 * At load time (a module's validate hook): what tend refuses of apt's
 * args, by name (build-dep, upgrade, clean, autoclean, policy_rc_d, deb
 * from a URL, name patterns, a version with state=absent), and Ansible's
 * own refusals (deb with another state, "a=1=2", none of the required
 * args). Values still holding templates are left for the run.
 */
int apt_args_validate(const struct val *args, const char **arg);

#endif
