#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"

#include <ctype.h>

/*
 * service_facts: ansible_facts.services, as Ansible's module reads them,
 * in one round trip: `service --status-all` (sysv: "[ + ]  NAME") where
 * there is a service command and no chkconfig or rc-status; with systemd
 * as PID 1, `systemctl list-units` (each line naming a .service: its
 * ACTIVE column is the status, SUB "running" the state; a line with
 * not-found, masked or failed anywhere in it has that status, its first
 * field dropped), then `systemctl list-unit-files` (its state for the
 * units not listed, with their ActiveState from `systemctl show`, and over
 * the status of the others unless bad). Upstart, chkconfig (Red Hat) and
 * OpenRC hosts are refused by name: tend reads neither yet. The commands
 * run with LC_ALL=C.UTF-8, as Ansible's best parsable locale is on Debian
 * (the script's own lengths in bytes: LC_ALL=C).
 */

static const struct arg_spec sf_args[] = {
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* get_bin_path NAME [DIR...]: those dirs, $PATH, then the sbin ones. */
static const char script[] =
	/* lengths in bytes (LC_ALL=C); the commands in Ansible's locale */
	"LC_ALL=C LANG=C; export LC_ALL LANG\n"
	"loc() { LC_ALL=C.UTF-8 LANG=C.UTF-8 \"$@\"; }\n"
	"bin() { n=$1; shift; o=$IFS; IFS=:; set -- \"$@\" $PATH /sbin "
	"/usr/sbin /usr/local/sbin; IFS=$o; for d in \"$@\"; do "
	"if [ -f \"$d/$n\" ] && [ -x \"$d/$n\" ]; then "
	"printf '%s\\n' \"$d/$n\"; return 0; fi; done; return 1; }\n"
	"rec() { printf '%s:%s\\n%s\\n' \"$1\" \"${#2}\" \"$2\"; }\n"
	/* run CMD...: its rc, stdout and stderr as records NAME_* */
	"run() { k=$1; shift; { e=$( { o=$(loc \"$@\" 2>&3); r=$?;"
	" printf '%s_rc %s\\n' \"$k\" \"$r\" >&4; rec \"${k}_out\" \"$o\" >&4;"
	" } 3>&1 ); rec \"${k}_err\" \"$e\"; } 4>&1; }\n"
	"sv=$(bin service); ck=$(bin chkconfig); ic=$(bin initctl)\n"
	"rs=$(bin rc-status); ru=$(bin rc-update)\n"
	"if [ -n \"$sv\" ] && [ -z \"$ck\" ] && [ -z \"$rs\" ]; then\n"
	"\trun sysv \"$sv\" --status-all\n"
	"\t[ -e /etc/init.d ] && echo 'initd 1'\n"
	"fi\n"
	"if [ -n \"$ic\" ] && [ -z \"$ck\" ]; then echo 'other upstart'\n"
	"elif [ -n \"$ck\" ]; then echo 'other chkconfig'\n"
	"elif [ -n \"$rs\" ] && [ -n \"$ru\" ]; then echo 'other OpenRC'; fi\n"
	"if grep -q systemd /proc/1/comm 2>/dev/null &&"
	" sc=$(bin systemctl /usr/bin /usr/local/bin); then\n"
	"\trun units \"$sc\" list-units --no-pager --type service --all\n"
	"\trun files \"$sc\" list-unit-files --no-pager --type service --all\n"
	"\tnames=$(loc \"$sc\" list-unit-files --no-pager --type service --all"
	" 2>/dev/null | grep -F .service |"
	" while read -r n rest; do printf '%s\\n' \"$n\"; done)\n"
	/* each unit file's ActiveState (as Ansible asks: one show each) */
	"\ti=0; set -f; for n in $names; do"
	" s=$(loc \"$sc\" show \"$n\" --property=ActiveState 2>/dev/null) &&"
	" rec \"s$i\" \"$s\"; i=$((i + 1)); done; set +f\n"
	"fi\n"
	"exit 0\n";

static int sf_probe(struct probe *out, const struct task_ctx *ctx)
{
	(void)ctx;
	buf_adds(&out->script, script);
	return 0;
}

/* What the script printed, by record name. */
struct sf_out {
	struct val *recs; /* name -> text */
	bool initd;
	const char *other;
};

static const char *rec_of(const struct sf_out *o, const char *name)
{
	const struct val *v = val_dict_get(o->recs, name);

	return v ? val_cstr(v) : NULL;
}

/* Python's str.split(): words between runs of whitespace. */
static struct val *split_words(const char *line, size_t len)
{
	struct val *w = val_list();
	size_t i = 0;

	while (i < len) {
		size_t j;

		while (i < len && isspace((unsigned char)line[i]))
			i++;
		if (i == len)
			break;
		for (j = i; j < len && !isspace((unsigned char)line[j]); j++)
			;
		val_list_push(w, val_strn(line + i, j - i));
		i = j;
	}
	return w;
}

static bool has_word(const struct val *w, const char *s)
{
	for (size_t i = 0; i < val_len(w); i++)
		if (!strcmp(val_cstr(val_list_at(w, i)), s))
			return true;
	return false;
}

static void add_service(struct val *services, const char *name,
			const char *state, const char *status,
			const char *source)
{
	struct val *s = val_dict();

	val_dict_set_str(s, "name", name);
	val_dict_set_str(s, "state", state);
	if (status)
		val_dict_set_str(s, "status", status);
	val_dict_set_str(s, "source", source);
	val_dict_set(services, name, s);
}

/* Each line of text (split at \n), to fn. */
#define EACH_LINE(text, p, len)                                            \
	for (const char *p = (text), *nl_; p && *p;                          \
	     p = nl_ ? nl_ + 1 : p + strlen(p))                              \
		if ((nl_ = strchr(p, '\n')), (len = nl_ ? (size_t)(nl_ - p) :  \
					       strlen(p)), 1)

/* `service --status-all`: "[ + ]  NAME" running, "[ - ]" stopped. */
static void sysv(struct val *services, const char *out)
{
	size_t len;

	EACH_LINE(out, p, len) {
		size_t i = 0;
		char st;

		while (i < len && isspace((unsigned char)p[i]))
			i++;
		if (len - i < 6 || strncmp(p + i, "[ ", 2) ||
		    (p[i + 2] != '+' && p[i + 2] != '-') ||
		    strncmp(p + i + 3, " ]", 2))
			continue;
		st = p[i + 2];
		i += 5;
		if (i >= len || !isspace((unsigned char)p[i]))
			continue;
		while (i < len && isspace((unsigned char)p[i]))
			i++;
		if (i >= len)
			continue;
		{
			char *name = xstrndup(p + i, len - i);

			add_service(services, name, st == '+' ? "running" :
				    "stopped", NULL, "sysv");
			free(name);
		}
	}
}

static bool bad_state(const char *s)
{
	return s && (!strcmp(s, "not-found") || !strcmp(s, "masked") ||
		     !strcmp(s, "failed"));
}

/* `systemctl list-units`: the services it lists. */
static void units(struct val *services, const char *out)
{
	static const char *const bad[] = { "not-found", "masked", "failed" };
	size_t len;

	EACH_LINE(out, p, len) {
		struct val *w;
		const char *status = NULL;
		size_t skip = 0;

		if (!memmem(p, len, ".service", 8))
			continue;
		w = split_words(p, len);
		for (size_t k = 0; k < ARRAY_SIZE(bad) && !status; k++)
			if (has_word(w, bad[k])) {
				status = bad[k];
				skip = 1;
			}
		if (val_len(w) < skip + 4) {
			val_unref(w);
			continue;
		}
		if (!status)
			status = val_cstr(val_list_at(w, 2));
		add_service(services, val_cstr(val_list_at(w, skip)),
			    strcmp(val_cstr(val_list_at(w, skip + 3)),
				   "running") ? "stopped" : "running",
			    status, "systemd");
		val_unref(w);
	}
}

/*
 * The ActiveState `systemctl show` gave the n-th unit file, as Ansible
 * reads it (its output less "ActiveState=", trailing blanks dropped), or
 * NULL when it failed or said nothing.
 */
static char *active_state(const struct val *recs, size_t n)
{
	char key[32];
	const struct val *v;
	struct buf b = BUF_INIT;
	const char *s;

	snprintf(key, sizeof(key), "s%zu", n);
	if (!(v = val_dict_get(recs, key)) || !*(s = val_cstr(v)))
		return NULL;
	while (*s) {
		if (!strncmp(s, "ActiveState=", 12))
			s += 12;
		else
			buf_addch(&b, *s++);
	}
	while (b.len && isspace((unsigned char)b.ptr[b.len - 1]))
		buf_setlen(&b, b.len - 1);
	if (!b.len)
		return xstrdup(""); /* "ActiveState=" alone: its empty value */
	return buf_detach(&b, NULL);
}

/* `systemctl list-unit-files`: the others, and the status of each. */
static int unit_files(struct val *services, const char *out,
		      const struct val *recs)
{
	size_t len, n = 0;

	EACH_LINE(out, p, len) {
		struct val *w, *have;
		const char *name, *status;

		if (!memmem(p, len, ".service", 8))
			continue;
		w = split_words(p, len);
		if (val_len(w) < 2) {
			val_unref(w);
			return tend_error_set("Malformed output discovered "
					      "from systemd list-unit-files: "
					      "%.*s", (int)len, p);
		}
		name = val_cstr(val_list_at(w, 0));
		status = val_cstr(val_list_at(w, 1));
		have = val_dict_get(services, name);
		if (!have) {
			char *state = active_state(recs, n);

			add_service(services, name, state ? state : "unknown",
				    status, "systemd");
			free(state);
		} else if (!bad_state(val_cstr(val_dict_get(have,
							     "status")))) {
			val_dict_set_str(have, "status", status);
		}
		n++;
		val_unref(w);
	}
	return 0;
}

static int read_records(struct sf_out *o, const struct exec_result *res)
{
	size_t pos = 0;
	struct rec r;
	int got;

	o->recs = val_dict();
	while ((got = rec_next(&r, &res->out, &pos)) > 0) {
		if (rec_is(&r, "initd"))
			o->initd = true;
		else if (rec_is(&r, "other"))
			o->other = !strncmp(r.val, "upstart", 7) ? "upstart" :
				   !strncmp(r.val, "chkconfig", 9) ?
				   "chkconfig (Red Hat)" : "OpenRC";
		else
			val_dict_set(o->recs, r.key, val_strn(r.val, r.len));
	}
	return got;
}

static int sf_judge(struct check_result *out, const struct task_ctx *ctx,
		    struct probe *p, const struct exec_result *res)
{
	struct sf_out o = { NULL, false, NULL };
	struct val *services = val_dict(), *facts;
	const char *rc;
	int error = 0;

	(void)ctx;
	(void)p;
	if (res->status) {
		val_unref(services);
		return exec_error(res, "cannot list the host's services");
	}
	if ((error = read_records(&o, res)) < 0)
		goto out;
	if (o.other) {
		error = tend_error_set("service_facts: %s hosts are not "
				       "supported yet", o.other);
		goto out;
	}
	/* rc 4 without /etc/init.d: no sysv services, as Ansible's */
	if ((rc = rec_of(&o, "sysv_out")) &&
	    !(atoi(rec_of(&o, "sysv_rc") ? rec_of(&o, "sysv_rc") : "0") == 4 &&
	      !o.initd))
		sysv(services, rc);
	if (rec_of(&o, "units_rc") && !atoi(rec_of(&o, "units_rc")))
		units(services, rec_of(&o, "units_out"));
	if (rec_of(&o, "files_rc") && !atoi(rec_of(&o, "files_rc")) &&
	    (error = unit_files(services, rec_of(&o, "files_out"),
				o.recs)) < 0)
		goto out;
	out->status = CHECK_OK;
	out->result = val_dict();
	if (!val_len(services)) {
		val_dict_set_bool(out->result, "skipped", true);
		val_dict_set_str(out->result, "msg", "Failed to find any "
				 "services. This can be due to privileges or "
				 "some other configuration issue.");
		goto out;
	}
	facts = val_dict();
	val_dict_set(facts, "services", services);
	services = NULL;
	val_dict_set(out->result, "ansible_facts", facts);
out:
	val_unref(services);
	val_unref(o.recs);
	return error;
}

const struct tend_module mod_service_facts = {
	.name = "service_facts",
	.args = sf_args,
	.doc = "ansible_facts.services: every sysv and systemd service of "
	       "the host with its state, status and source, as Ansible's "
	       "module reads them (one round trip)",
	.returns =
		"ansible_facts.services: NAME -> {name, state, status, "
		"source}\n",
	.example =
		"- service_facts:\n"
		"- debug:\n"
		"    msg: \"{{ ansible_facts.services['ssh.service'].state }}\"\n",
	.probe = sf_probe,
	.judge = sf_judge,
};
