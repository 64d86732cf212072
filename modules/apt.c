#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/apt.h"

/*
 * apt: Debian packages, as Ansible's apt module manages them, with the
 * host's own dpkg-query, apt-cache and apt-get (modkit/apt.h: one probe
 * per check, one apt-get per apply, plus an update and a new probe when
 * the cache is to be updated first).
 */

static const char *const apt_states[] = {
	"present", "absent", "latest", "fixed", "build-dep", NULL,
};

static const char *const apt_upgrades[] = {
	"no", "yes", "safe", "full", "dist", NULL,
};

static const struct arg_spec apt_args[] = {
	{ "name", ARG_LIST, 0, "package,pkg", NULL, NULL,
	  "packages: NAME, NAME=VERSION (a pattern of versions as apt's "
	  "fnmatch) or NAME>=VERSION; a list or a comma-separated string" },
	{ "state", ARG_STR, 0, NULL, apt_states, "present",
	  "present, absent, latest (the candidate version), fixed (present "
	  "with --fix-broken); build-dep is refused" },
	{ "update_cache", ARG_BOOL, 0, "update-cache", NULL, NULL,
	  "apt-get update first (unless cache_valid_time says the cache is "
	  "recent)" },
	{ "update_cache_retries", ARG_INT, 0, NULL, NULL, "5",
	  "attempts at the update" },
	{ "update_cache_retry_max_delay", ARG_INT, 0, NULL, NULL, "12",
	  "the longest wait between attempts (seconds; doubling from 1)" },
	{ "cache_valid_time", ARG_INT, 0, NULL, NULL, "0",
	  "update only if the cache is older than this many seconds (implies "
	  "update_cache)" },
	{ "purge", ARG_BOOL, 0, NULL, NULL, "no",
	  "with state=absent: also remove configuration files (--purge)" },
	{ "deb", ARG_PATH, 0, NULL, NULL, NULL,
	  "a .deb file on the host to install (with its dependencies, "
	  "through apt-get); a URL is refused" },
	{ "default_release", ARG_STR, 0, "default-release", NULL, NULL,
	  "the release to take candidates from (apt-get -t)" },
	{ "install_recommends", ARG_BOOL, 0, "install-recommends", NULL, NULL,
	  "install recommended packages (unset: apt's own setting)" },
	{ "force", ARG_BOOL, 0, NULL, NULL, "no",
	  "--force-yes (deprecated by apt; dangerous)" },
	{ "upgrade", ARG_STR, 0, NULL, apt_upgrades, "no",
	  "upgrade every package: dist and full run apt-get dist-upgrade, "
	  "yes and safe apt-get upgrade --with-new-pkgs (a host with "
	  "aptitude needs force_apt_get for them, as Ansible would run "
	  "aptitude)" },
	{ "dpkg_options", ARG_STR, 0, NULL, NULL,
	  "force-confdef,force-confold",
	  "dpkg options, comma-separated, each passed as "
	  "-o Dpkg::Options::=--OPTION" },
	{ "autoremove", ARG_BOOL, 0, NULL, NULL, "no",
	  "remove packages no longer needed (--auto-remove; alone: apt-get "
	  "autoremove)" },
	{ "autoclean", ARG_BOOL, 0, NULL, NULL, "no", "refused when yes" },
	{ "clean", ARG_BOOL, 0, NULL, NULL, "no", "refused when yes" },
	{ "fail_on_autoremove", ARG_BOOL, 0, NULL, NULL, "no",
	  "fail rather than remove packages (--no-remove)" },
	{ "policy_rc_d", ARG_INT, 0, NULL, NULL, NULL,
	  "the exit code /usr/sbin/policy-rc.d gives while apt-get runs "
	  "(101: services are not started); the old one is put back after" },
	{ "only_upgrade", ARG_BOOL, 0, NULL, NULL, "no",
	  "only upgrade packages already installed (--only-upgrade)" },
	{ "force_apt_get", ARG_BOOL, 0, NULL, NULL, "no",
	  "tend always runs apt-get; with upgrade, needed on a host that "
	  "has aptitude" },
	{ "allow_unauthenticated", ARG_BOOL, 0, "allow-unauthenticated", NULL,
	  "no", "--allow-unauthenticated" },
	{ "allow_downgrade", ARG_BOOL, 0,
	  "allow-downgrade,allow_downgrades,allow-downgrades", NULL, "no",
	  "let a NAME=VERSION older than the installed one downgrade it "
	  "(--allow-downgrades)" },
	{ "allow_change_held_packages", ARG_BOOL, 0, NULL, NULL, "no",
	  "--allow-change-held-packages" },
	{ "lock_timeout", ARG_INT, 0, NULL, NULL, "60",
	  "seconds to wait for the dpkg lock (DPkg::Lock::Timeout)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const char *const apt_exclusive[] = {
	"deb|name", "deb|upgrade", "name|upgrade", NULL,
};

static int apt_probe_apt(struct probe *out, const struct task_ctx *ctx)
{
	return apt_probe(out, ctx, "apt");
}

const struct tend_module mod_apt = {
	.name = "apt",
	.args = apt_args,
	.flags = MOD_MAY_BE_UNKNOWN,
	.doc = "install, upgrade or remove Debian packages with apt-get",
	.probe = apt_probe_apt,
	.judge = apt_judge,
	.validate = apt_args_validate,
	.exclusive = apt_exclusive,
	.apply = apt_apply,
	.returns =
		"cache_updated: the cache was updated (present, latest, fixed, "
		"update_cache alone)\n"
		"cache_update_time: the cache's time (seconds since the epoch)\n"
		"stdout: apt-get's output (when it ran)\n"
		"msg: with upgrade, apt-get's output (a --simulate run's in "
		"check mode)\n"
		"stderr: apt-get's errors and warnings (when it ran)\n"
		"rc: apt-get's exit code (when it failed)\n",
	.example =
		"- apt:\n"
		"    name: [nginx, hello=2.10-3]\n"
		"    update_cache: true\n"
		"    cache_valid_time: 3600\n",
};
