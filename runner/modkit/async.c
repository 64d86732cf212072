#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/tz.h"
#include "tend/util/quote.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/async.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/*
 * Async jobs on a host in Ansible's layout (async.h). The job's own
 * shell writes its result: no Python on the host, and what the command
 * printed stays bytes (JID.out, JID.err), read back by async_status.
 */

void async_jid_prefix(struct buf *out)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned long long)time(NULL) ^
		    (unsigned long long)getpid();
	buf_addf(out, "j%llu", r % 1000000000000ULL);
}

void async_dir_word(struct buf *out, const char *dir)
{
	if (!dir)
		dir = "~/.ansible_async";
	if (!*dir) {
		/* Ansible's join_path("", jid): the job beside the current
		 * directory, never "/JID" */
		buf_adds(out, ".");
		return;
	}
	if (dir[0] == '~' && (!dir[1] || dir[1] == '/')) {
		/* os.path.expanduser on the host: its $HOME */
		buf_adds(out, "\"$HOME\"");
		dir++;
	}
	if (*dir)
		sh_quote(out, dir);
}

/*
 * The job itself, run as `sh -c JOB sh RESULT_FILE`: the host's local
 * time as Python's datetime prints it (microseconds where date has %N),
 * the command under timeout(1), and the result file replaced whole once
 * its output is complete. A status 124/137 after the limit is the limit.
 */
static void job_script(struct buf *out, const char *script, long long limit,
		       const struct val *meta, bool with_stdin)
{
	struct buf json = BUF_INIT;

	buf_adds(out, "f=$1\n"
		 "_now() { _t=$(date '+%Y-%m-%d %H:%M:%S.%6N' 2>/dev/null);"
		 " case $_t in *N*|'') _t=\"$(date '+%Y-%m-%d %H:%M:%S')"
		 ".000000\";; esac; }\n"
		 "_now; _s=$_t; _t0=$(date +%s)\n");
	buf_addf(out, "timeout -k 1 %lld sh -c ", limit);
	sh_quote(out, script);
	buf_adds(out, with_stdin ? " <\"$f.in\"" : " </dev/null");
	buf_adds(out, " >\"$f.out\" 2>\"$f.err\"\n_rc=$?\n_now\n");
	buf_addf(out, "if { [ $_rc = 124 ] || [ $_rc = 137 ]; } && "
		 "[ $(($(date +%%s) - _t0)) -ge %lld ]; then\n", limit);
	buf_adds(out, " printf '{\"msg\": \"Timeout exceeded\", \"failed\": "
		 "true, \"child_pid\": %s}\\n' \"$$\" >\"$f.tmp\"\nelse\n");
	val_to_json_text(&json, meta, 0);
	buf_adds(out, " printf '{\"tend_job\": %s, \"rc\": %s, \"start\": "
		 "\"%s\", \"end\": \"%s\"}\\n' ");
	sh_quote(out, json.ptr);
	buf_adds(out, " \"$_rc\" \"$_s\" \"$_t\" >\"$f.tmp\"\nfi\n"
		 "mv -f -- \"$f.tmp\" \"$f\"\nrm -f -- \"$f.in\"\n");
	buf_release(&json);
}

/* The launcher's start: the directory made, the job's id and file. */
static void launch_head(struct buf *out, const char *dir)
{
	struct buf jid = BUF_INIT;

	async_jid_prefix(&jid);
	buf_adds(out, "_d=");
	async_dir_word(out, dir);
	buf_adds(out, "\nmkdir -p -- \"$_d\" || exit 1\n_j=");
	sh_quote(out, jid.ptr);
	buf_adds(out, ".$$\n_f=$_d/$_j\n");
	buf_release(&jid);
}

void async_launch_script(struct buf *out, const char *dir,
			 const char *script, long long limit,
			 const struct val *meta, bool with_stdin)
{
	struct buf job = BUF_INIT;

	job_script(&job, script, limit, meta, with_stdin);
	launch_head(out, dir);
	buf_adds(out, "printf '{\"started\": 1, \"finished\": 0, "
		 "\"ansible_job_id\": \"%s\"}\\n' \"$_j\" >\"$_f.tmp\" && "
		 "mv -f -- \"$_f.tmp\" \"$_f\" || exit 1\n");
	/* the task's stdin: for the owner alone (Ansible keeps its args in
	 * its 0700 temporary directory) */
	if (with_stdin)
		buf_adds(out, "(umask 077 && cat >\"$_f.in\") || exit 1\n");
	buf_adds(out, "_job=");
	sh_quote(out, job.ptr);
	/* detached: its own session where setsid exists, deaf to SIGHUP */
	buf_adds(out, "\n_s=\ncommand -v setsid >/dev/null 2>&1 && _s=setsid\n"
		 "($_s nohup sh -c \"$_job\" sh \"$_f\" </dev/null >/dev/null "
		 "2>&1 &)\nprintf '%s\\n%s\\n' \"$_j\" \"$_f\"\n");
	buf_release(&job);
}

/* The next line of text (without its newline) into *line; false at end. */
static bool next_line(const char **p, const char *end, const char **line,
		      size_t *len)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p = nl ? nl + 1 : end;
	return true;
}

int async_launch_result(struct val **out, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *jid, *file;
	size_t jl, fl;
	struct val *r;

	if (!next_line(&p, end, &jid, &jl) || !jl ||
	    !next_line(&p, end, &file, &fl) || !fl)
		return tend_error_set("the async job did not start");
	r = val_dict();
	val_dict_set(r, "ansible_job_id", val_strn(jid, jl));
	val_dict_set(r, "results_file", val_strn(file, fl));
	val_dict_set_int(r, "started", 1);
	val_dict_set_int(r, "finished", 0);
	/* Ansible's async_wrapper says "failed": 0, an int */
	val_dict_set_int(r, "failed", 0);
	val_dict_set_bool(r, "changed", true);
	*out = r;
	return 0;
}

void async_status_script(struct buf *out, const char *dir, const char *jid,
			 bool cleanup)
{
	buf_adds(out, "_f=");
	async_dir_word(out, dir);
	buf_addch(out, '/');
	sh_quote(out, jid);
	buf_adds(out, "\nprintf '%s\\n' \"$_f\"\n"
		 "[ -e \"$_f\" ] || { echo none; exit 0; }\n");
	if (cleanup) {
		buf_adds(out, "rm -f -- \"$_f\" \"$_f.out\" \"$_f.err\" "
			 "\"$_f.in\" \"$_f.tmp\" || exit 1\necho erased\n");
		return;
	}
	buf_adds(out, "_s=$(cat -- \"$_f\") || exit 1\n"
		 "printf 'status\\n%s\\n' \"$_s\"\n"
		 "case $_s in *'\"tend_job\"'*) wc -c <\"$_f.out\" && "
		 "wc -c <\"$_f.err\" && "
		 "cat -- \"$_f.out\" \"$_f.err\";; esac\n");
}

/* What async_status gives before it reads the job (its action's keys). */
static struct val *status_base(const char *jid)
{
	struct val *r = val_dict();

	val_dict_set_str(r, "ansible_job_id", jid);
	val_dict_set_int(r, "started", 1);
	val_dict_set_int(r, "finished", 0);
	val_dict_set_str(r, "stdout", "");
	val_dict_set_str(r, "stderr", "");
	val_dict_set(r, "stdout_lines", val_list());
	val_dict_set(r, "stderr_lines", val_list());
	return r;
}

/* "YYYY-mm-dd HH:MM:SS.ffffff" as microseconds. */
static bool parse_stamp(long long *out, const char *s)
{
	int y, mo, d, h, mi, sec, n = 0;
	long us;

	if (!s || sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d.%6ld%n", &y, &mo, &d, &h,
			 &mi, &sec, &us, &n) != 7 || s[n])
		return false;
	*out = ((tz_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
	*out = *out * 1000000 + us;
	return true;
}

/* Python's str(timedelta) of end - start ("0:00:01.067080"). */
static void add_delta(struct val *r, const char *start, const char *end)
{
	long long a, b, us;
	struct buf t = BUF_INIT;

	if (!parse_stamp(&a, start) || !parse_stamp(&b, end))
		return;
	us = b >= a ? b - a : 0;
	buf_addf(&t, "%lld:%02lld:%02lld.%06lld", us / 3600000000LL,
		 us / 60000000LL % 60, us / 1000000LL % 60, us % 1000000);
	val_dict_set_str(r, "delta", t.ptr);
	buf_release(&t);
}

static size_t strip_len(const char *s, size_t len, bool strip)
{
	while (strip && len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return len;
}

/*
 * A command of tend's that ended: its result as the command module's,
 * from the result file's data and what follows it (`p`..`end`): the
 * sizes of its output and error output, a line each, and their bytes.
 */
static int tend_job_result(struct val *r, bool *failed, const struct val *data,
			   const char *p, const char *end)
{
	const struct val *meta = val_dict_get(data, "tend_job");
	const struct val *rc = val_dict_get(data, "rc");
	const struct val *cmd = val_dict_get(meta, "cmd");
	bool strip = truth_python(val_dict_get(meta, "strip"));
	const char *line, *err;
	size_t len, no, ne;

	if (!next_line(&p, end, &line, &len) ||
	    sscanf(line, "%zu", &no) != 1 ||
	    !next_line(&p, end, &line, &len) ||
	    sscanf(line, "%zu", &ne) != 1 || no > (size_t)(end - p) ||
	    ne != (size_t)(end - p) - no || !val_is(rc, VAL_INT) ||
	    !val_cstr(val_dict_get(data, "start")) ||
	    !val_cstr(val_dict_get(data, "end")))
		return tend_error_set("cannot read the async job's output");
	err = p + no;
	val_dict_set(r, "cmd", cmd ? val_ref((struct val *)cmd) : val_null());
	val_dict_set_int(r, "rc", rc->u.i);
	no = strip_len(p, no, strip);
	val_dict_set(r, "stdout", val_strn(p, no));
	val_dict_set(r, "stdout_lines", task_split_lines(p, no));
	ne = strip_len(err, ne, strip);
	val_dict_set(r, "stderr", val_strn(err, ne));
	val_dict_set(r, "stderr_lines", task_split_lines(err, ne));
	val_dict_set(r, "start", val_ref(val_dict_get(data, "start")));
	val_dict_set(r, "end", val_ref(val_dict_get(data, "end")));
	add_delta(r, val_cstr(val_dict_get(data, "start")),
		  val_cstr(val_dict_get(data, "end")));
	*failed = rc->u.i != 0;
	val_dict_set_str(r, "msg", *failed ? "non-zero return code" : "");
	val_dict_set_bool(r, "changed", true);
	val_dict_set_int(r, "finished", 1);
	return 0;
}

/* The result file's data (not one of tend's): as Ansible's async_status. */
static void ansible_job_result(struct val *r, bool *failed, struct val *data,
			       const char *jid)
{
	if (!val_dict_get(data, "started")) {
		val_dict_set_int(data, "finished", 1);
		val_dict_set_str(data, "ansible_job_id", jid);
	} else if (!val_dict_get(data, "finished")) {
		val_dict_set_int(data, "finished", 0);
	}
	val_dict_update(r, data, false);
	*failed = truth_python(val_dict_get(data, "failed"));
}

static int status_parse(struct val *r, bool *failed, const char *jid,
			const char *p, const char *end)
{
	const char *s = p, *line = NULL;
	size_t len = 0;
	struct val *data = NULL;
	bool tend;
	int error = 0;

	/* a job of tend's has its result on one line, its output after it */
	tend = next_line(&p, end, &line, &len) &&
	       memmem(line, len, "\"tend_job\"", 10);
	if (!tend) {
		len = (size_t)(end - s);
		while (len && s[len - 1] == '\n')
			len--;
	}
	/*
	 * Not written yet, or not JSON: running, as Ansible's async_status
	 * says (its json.loads fails before `data` is set, so its "Could
	 * not parse job output" is never reached)
	 */
	if (!len)
		return 0;
	if (val_from_json(&data, s, len) < 0 || !val_is(data, VAL_DICT)) {
		tend_error_clear();
	} else if (tend) {
		error = tend_job_result(r, failed, data, p, end);
	} else {
		ansible_job_result(r, failed, data, jid);
	}
	val_unref(data);
	return error;
}

int async_status_parse(struct val **out, bool *failed, const char *jid,
		       bool cleanup, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *path, *word;
	size_t pl, wl;
	struct val *r;
	int error = 0;

	*out = NULL;
	*failed = false;
	if (!next_line(&p, end, &path, &pl) || !next_line(&p, end, &word, &wl))
		return tend_error_set("cannot read the async job's status");
	r = status_base(jid);
	if (wl == 4 && !memcmp(word, "none", 4)) {
		val_dict_set(r, cleanup ? "erased" : "results_file",
			     val_strn(path, pl));
		val_dict_set_str(r, "msg", "could not find job");
		val_dict_set_int(r, "finished", 1);
		*failed = true;
	} else if (wl == 6 && !memcmp(word, "erased", 6)) {
		val_dict_set(r, "erased", val_strn(path, pl));
		val_dict_set_int(r, "started", 0);
	} else if (wl == 6 && !memcmp(word, "status", 6)) {
		val_dict_set(r, "results_file", val_strn(path, pl));
		error = status_parse(r, failed, jid, p, end);
	} else {
		error = tend_error_set("cannot read the async job's status");
	}
	if (error < 0) {
		val_unref(r);
		return error;
	}
	*out = r;
	return 0;
}

/* Run a launcher on the host; its job's keys into out->result. */
static int launch_run(struct apply_result *out, const struct task_ctx *ctx,
		      const char *script, const struct buf *in)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct val *r = NULL;
	int error;

	req.script = script;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if (in) {
		req.in = in->ptr;
		req.inlen = in->len;
	}
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = exec_error(&res, "the async job did not start");
		goto out;
	}
	if ((error = async_launch_result(&r, res.out.ptr, res.out.len)) < 0)
		goto out;
	out->changed = true;
	if (!out->result)
		out->result = val_dict();
	val_dict_update(out->result, r, false);
out:
	val_unref(r);
	exec_result_release(&res);
	return error;
}

int async_command_launch(struct apply_result *out, const struct task_ctx *ctx,
			 const char *script, const struct val *cmd,
			 const struct buf *in)
{
	struct buf s = BUF_INIT;
	struct val *meta = val_dict();
	int error;

	val_dict_set(meta, "cmd", cmd ? val_ref((struct val *)cmd) :
		     val_null());
	val_dict_set_bool(meta, "strip", arg_bool(ctx, "strip_empty_ends",
						  true));
	async_launch_script(&s, ctx->async_dir, script, ctx->async_bg, meta,
			    in != NULL);
	error = launch_run(out, ctx, s.ptr, in);
	val_unref(meta);
	buf_release(&s);
	return error;
}

int async_done_launch(struct apply_result *out, const struct task_ctx *ctx,
		      const struct val *result)
{
	struct buf s = BUF_INIT, json = BUF_INIT;
	int error;

	val_to_json_text(&json, result, 0);
	launch_head(&s, ctx->async_dir);
	buf_adds(&s, "printf '%s\\n' ");
	sh_quote(&s, json.ptr);
	buf_adds(&s, " >\"$_f.tmp\" && mv -f -- \"$_f.tmp\" \"$_f\" || exit 1\n"
		 "printf '%s\\n%s\\n' \"$_j\" \"$_f\"\n");
	error = launch_run(out, ctx, s.ptr, NULL);
	buf_release(&json);
	buf_release(&s);
	return error;
}
