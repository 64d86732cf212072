#ifndef TEND_MODKIT_APT_INT_H
#define TEND_MODKIT_APT_INT_H

/*
 * Private to runner/modkit/apt*.c: the plan the judge makes and the
 * apply carries out.
 */

#include "tend/modkit/apt.h"

struct apt_item {
	char *spec;       /* as given: "hello", "hello=2.0-1", "hello>=2" */
	char *name;
	char cmp;         /* 0, '=' or '>' (for >=) */
	char *version;    /* what follows = or >=, or NULL */
	char status[4];   /* dpkg's db:Status-Abbrev ("ii", "rc"), "" if none */
	char *inst;       /* dpkg's version, or NULL */
	struct apt_policy pol;
	char *target;     /* the apt-get word ("hello=2.0-1"), or NULL */
};

struct apt_plan {
	struct apt_item *items;
	size_t n, alloc;
	bool absent;        /* state=absent */
	bool update;        /* update the cache first */
	long long mtime;    /* the cache's time, as Ansible's cache_update_time */
	long long now;      /* the host's clock */
	char *pkg_mgr;      /* package: the host's package manager */
	/* deb */
	bool deb_missing;
	char *deb_pkg, *deb_ver, *deb_inst;
	bool deb_change;
	/* autoremove alone: what `apt-get -s autoremove` would remove */
	struct buf autoremove;
	/* upgrade: the host has aptitude; the simulation's exit and output */
	bool aptitude;
	int upgrade_rc;
	struct buf upgrade_out, upgrade_err;
};

void apt_plan_free(void *p);
/*
 * Read what apt_probe's script printed (`res`) and plan every package as
 * Ansible would, one line a change appended to `changes`. *out is set
 * even on failure (free it with apt_plan_free).
 */
int apt_plan_build(struct apt_plan **out, const struct task_ctx *ctx,
		   const struct exec_result *res, struct buf *changes);

/*
 * apt_policy.c: policy_rc_d, as Ansible's PolicyRcD around each apt-get
 * run: before it (begin), /usr/sbin/policy-rc.d set aside and written
 * to exit with the given code; after it (end, the run's status in $r),
 * the old one put back, or the file removed. Nothing when policy_rc_d
 * is unset.
 */
void apt_policy_begin(struct buf *s, const struct task_ctx *ctx);
void apt_policy_end(struct buf *s, const struct task_ctx *ctx);

/*
 * apt_upgrade.c: upgrade=yes|safe|full|dist. apt_upgrade_mode: the
 * upgrade asked for, NULL for none; apt_upgrade_script: the probe's part
 * (a --simulate run); apt_upgrade_decide: its plan and check-mode
 * result; apt_upgrade_apply: the real run, `env` before it.
 */
const char *apt_upgrade_mode(const struct task_ctx *ctx);
void apt_upgrade_script(struct buf *s, const struct task_ctx *ctx);
int apt_upgrade_decide(struct check_result *out, const struct task_ctx *ctx,
		       const struct apt_plan *g);
int apt_upgrade_apply(struct apply_result *out, const struct task_ctx *ctx,
		      const char *env);

#endif
