#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/util/diff.h"
#include "tend/transport/transport.h"
#include "tend/data/val.h"
#include "tend/util/quote.h"

/*
 * Remote regular files for the file-editing modules.
 *
 * One sh function, tend_probe, prints a file's state as framed records:
 *
 *	absent\n                       or
 *	stat HEXMODE SIZE MTIME UID GID OWNER:GROUP\n
 *	link LEN\n<LEN bytes>\n        (a symlink that was not followed)
 *	sha1 HEX\n                     (a regular file; not when its third
 *	                               argument is "n")
 *	content LEN\n<LEN bytes>\n     (asked for, and small enough)
 *	end\n
 *
 * Raw bytes always follow their length, so no file content or link
 * target can pass for metadata. Owner and group names cannot contain ':'
 * (it separates passwd fields), which makes the stat line unambiguous.
 */

static const char probe_head[] =
	"tend_probe() {\n"
	"\ttp=$1 tf=$2 tc=$3 tl=\n"
	"\t[ -n \"$tf\" ] && tl=-L\n"
	"\tif [ ! -e \"$tp\" ] && { [ -n \"$tf\" ] || [ ! -L \"$tp\" ]; }; then\n"
	"\t\techo absent; return 0\n"
	"\tfi\n"
	"\tts=$(stat $tl -c '%f %s %Y %u %g %U:%G' -- \"$tp\") || return 1\n"
	"\techo \"stat $ts\"\n"
	"\tif [ -z \"$tf\" ] && [ -L \"$tp\" ]; then\n"
	"\t\ttt=$(readlink -- \"$tp\"; echo x) || return 1\n"
	"\t\ttt=${tt%?x}\n"
	"\t\tprintf 'link %s\\n%s\\n' \"${#tt}\" \"$tt\"\n"
	"\telif [ -f \"$tp\" ]; then\n"
	"\t\tset -- $ts\n"
	/*
	 * the content itself, or its hash: the controller hashes content;
	 * neither with "n" (reading would update the access time)
	 */
	"\t\tif [ \"$tc\" = n ]; then\n"
	"\t\t\t:\n"
	"\t\telif [ -n \"$tc\" ] && [ \"$2\" -le \"$TEND_CONTENT_MAX\" ]; then\n"
	"\t\t\techo \"content $2\"\n"
	"\t\t\thead -c \"$2\" < \"$tp\" || return 1\n"
	"\t\t\techo\n"
	"\t\telse\n"
	"\t\t\tth=$(sha1sum < \"$tp\") || return 1\n"
	"\t\t\techo \"sha1 ${th%% *}\"\n"
	"\t\tfi\n"
	"\tfi\n"
	"\techo end\n"
	"}\n";

void file_probe_script(struct buf *script)
{
	buf_addf(script, "TEND_CONTENT_MAX=%u\n", FILE_CONTENT_MAX);
	buf_adds(script, probe_head);
}

void file_state_init(struct file_state *st)
{
	memset(st, 0, sizeof(*st));
	buf_init(&st->content, 0);
}

void file_state_release(struct file_state *st)
{
	free(st->owner);
	free(st->group);
	free(st->link_target);
	buf_release(&st->content);
	file_state_init(st);
}

/* The next line of out from *pos (without '\n'), or -1 at the end. */
static int next_line(struct buf *line, const struct buf *out, size_t *pos)
{
	const char *nl;

	if (*pos >= out->len)
		return -1;
	nl = memchr(out->ptr + *pos, '\n', out->len - *pos);
	if (!nl)
		return -1;
	buf_reset(line);
	buf_add(line, out->ptr + *pos, (size_t)(nl - (out->ptr + *pos)));
	*pos = (size_t)(nl - out->ptr) + 1;
	return 0;
}

/* Take `len` raw bytes and the '\n' after them. */
static int take_bytes(struct buf *dst, const struct buf *out, size_t *pos,
		      size_t len)
{
	/* `len` came from the host: no arithmetic on it may wrap */
	if (*pos > out->len || len >= out->len - *pos ||
	    out->ptr[*pos + len] != '\n')
		return -1;
	buf_add(dst, out->ptr + *pos, len);
	*pos += len + 1;
	return 0;
}

static char type_of(unsigned long raw)
{
	switch (raw & 0170000) {
	case 0100000:
		return 'f';
	case 0040000:
		return 'd';
	case 0120000:
		return 'l';
	default:
		return 'o';
	}
}

static int parse_stat_line(struct file_state *st, const char *s)
{
	unsigned long raw;
	char *owner = NULL, *colon;
	int n = 0;

	if (sscanf(s, "%lx %lld %lld %lld %lld %n", &raw, &st->size, &st->mtime,
		   &st->uid, &st->gid, &n) < 5 || !n)
		return -1;
	if (!(colon = strchr(s + n, ':')))
		return -1;
	owner = xstrndup(s + n, (size_t)(colon - (s + n)));
	st->exists = true;
	st->type = type_of(raw);
	st->mode = (unsigned int)(raw & 07777);
	if (!strcmp(owner, "UNKNOWN")) {
		free(owner);
		owner = xmalloc(24);
		snprintf(owner, 24, "%lld", st->uid);
	}
	st->owner = owner;
	if (!strcmp(colon + 1, "UNKNOWN")) {
		st->group = xmalloc(24);
		snprintf(st->group, 24, "%lld", st->gid);
	} else {
		st->group = xstrdup(colon + 1);
	}
	return 0;
}

int file_state_parse(struct file_state *st, const struct buf *out,
		     size_t *pos)
{
	struct buf line = BUF_INIT, tmp = BUF_INIT;
	int error = -1;
	unsigned long long len;

	file_state_release(st);
	if (next_line(&line, out, pos) < 0)
		goto bad;
	if (!strcmp(line.ptr, "absent")) {
		error = 0;
		goto out;
	}
	if (!buf_starts_with(&line, "stat ") ||
	    parse_stat_line(st, line.ptr + 5) < 0)
		goto bad;
	for (;;) {
		if (next_line(&line, out, pos) < 0)
			goto bad;
		if (!strcmp(line.ptr, "end"))
			break;
		if (sscanf(line.ptr, "link %llu", &len) == 1) {
			buf_reset(&tmp);
			if (take_bytes(&tmp, out, pos, (size_t)len) < 0)
				goto bad;
			free(st->link_target);
			st->link_target = buf_detach(&tmp, NULL);
		} else if (buf_starts_with(&line, "sha1 ") && line.len == 45) {
			memcpy(st->sha1, line.ptr + 5, 40);
			st->sha1[40] = '\0';
		} else if (sscanf(line.ptr, "content %llu", &len) == 1) {
			buf_reset(&st->content);
			if (take_bytes(&st->content, out, pos, (size_t)len) < 0)
				goto bad;
			st->content_read = true;
		} else {
			goto bad;
		}
	}
	if (st->content_read && !st->sha1[0])
		sha1_hex(st->sha1, st->content.ptr, st->content.len);
	error = 0;
	goto out;
bad:
	error = tend_error_set("cannot parse the file state sent by the host");
out:
	buf_release(&line);
	buf_release(&tmp);
	return error;
}

/* Turn a failed script into an error naming what failed. */
static int script_failed(const struct exec_result *res, const char *what,
			 const char *path)
{
	struct buf err = BUF_INIT;
	int error;

	buf_addbuf(&err, &res->err);
	buf_trim(&err);
	error = tend_error_set("cannot %s '%s': %s", what, path,
			       err.len ? err.ptr : "script failed");
	buf_release(&err);
	return error;
}

void file_state_probe(struct buf *script, const char *path, unsigned int flags)
{
	buf_adds(script, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(script);
	buf_adds(script, "tend_probe ");
	sh_quote(script, path);
	buf_addf(script, " '%s' '%s'\n", (flags & FILE_FOLLOW) ? "L" : "",
		 (flags & FILE_READ_CONTENT) ? "C" : "");
}

int file_state_judge(struct file_state *out, const struct exec_result *res,
		     const char *path)
{
	size_t pos = 0;

	if (res->status)
		return script_failed(res, "read", path);
	return file_state_parse(out, &res->out, &pos);
}

void file_state_info(struct val *res, const struct file_state *st)
{
	struct buf mode = BUF_INIT;

	if (!st->exists)
		return;
	mode_format_info(&mode, st->mode);
	val_dict_set_int(res, "uid", st->uid);
	val_dict_set_int(res, "gid", st->gid);
	val_dict_set_str(res, "owner", st->owner);
	val_dict_set_str(res, "group", st->group);
	val_dict_set_str(res, "mode", mode.ptr);
	val_dict_set_str(res, "state", st->type == 'd' ? "directory" :
			 st->type == 'l' ? "link" : "file");
	val_dict_set_int(res, "size", st->size);
	buf_release(&mode);
}

int file_state_read(struct file_state *out, const struct task_ctx *ctx,
		    const char *path, unsigned int flags)
{
	struct buf script = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	int error;

	file_state_probe(&script, path, flags);
	req.script = script.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) >= 0)
		error = file_state_judge(out, &res, path);
	buf_release(&script);
	exec_result_release(&res);
	return error;
}

/* Whether a wanted owner/group (name or number) differs from what is. */
static bool id_differs(const char *want, const char *name, long long id)
{
	char *end;
	long long n;

	if (!want || !name)
		return false;
	if (!strcmp(want, name))
		return false;
	n = strtoll(want, &end, 10);
	return !(*want && !*end && n == id);
}

int file_plan(struct check_result *out, const struct file_state *st,
	      const struct file_want *w)
{
	bool changed = false;
	int error = 0;

	if (st->exists && st->type == 'd')
		return tend_error_set("'%s' is a directory", w->path);
	if (st->exists && st->type == 'o')
		return tend_error_set("'%s' is not a regular file", w->path);

	if (!st->exists) {
		buf_adds(&out->changes, "state: absent -> file\n");
		changed = true;
	} else if (st->type == 'l' && !w->follow) {
		buf_adds(&out->changes, "state: link -> file\n");
		changed = true;
	}
	if (w->content) {
		bool same;

		if (!st->exists || st->type != 'f') {
			same = false;
		} else if (st->content_read) {
			same = st->content.len == w->content_len &&
			       !memcmp(st->content.ptr, w->content,
				       w->content_len);
		} else {
			char hex[41];

			sha1_hex(hex, w->content, w->content_len);
			same = !strcmp(hex, st->sha1);
		}
		if (!same) {
			struct buf a = BUF_INIT, b = BUF_INIT;
			const char *old = st->content_read ? st->content.ptr : "";
			size_t oldlen = st->content_read ? st->content.len : 0;

			changed = true;
			if (w->content_secret) {
				buf_adds(&out->msg, "content hidden (secret)");
			} else if (st->exists && st->type == 'f' &&
				   !st->content_read) {
				buf_addf(&out->msg, "diff skipped: '%s' is larger "
					 "than %u bytes", w->path,
					 FILE_CONTENT_MAX);
			} else {
				buf_addf(&a, "before: %s", w->path);
				buf_addf(&b, "after: %s", w->path);
				error = diff_unified(&out->diff, old, oldlen,
						     a.ptr, w->content,
						     w->content_len, b.ptr);
			}
			buf_release(&a);
			buf_release(&b);
			if (error < 0)
				return error;
		}
	}
	if (w->mode && st->exists && st->type == 'f') {
		unsigned int mode;

		if (mode_parse(&mode, w->mode, st->mode, false) < 0)
			return -1;
		if (mode != st->mode) {
			buf_adds(&out->changes, "mode: ");
			mode_format(&out->changes, st->mode);
			buf_adds(&out->changes, " -> ");
			mode_format(&out->changes, mode);
			buf_addch(&out->changes, '\n');
			changed = true;
		}
	} else if (w->mode) {
		unsigned int mode;

		if (mode_parse(&mode, w->mode, 0644, false) < 0)
			return -1;
	}
	if (st->exists && st->type == 'f') {
		if (id_differs(w->owner, st->owner, st->uid)) {
			buf_addf(&out->changes, "owner: %s -> %s\n", st->owner,
				 w->owner);
			changed = true;
		}
		if (id_differs(w->group, st->group, st->gid)) {
			buf_addf(&out->changes, "group: %s -> %s\n", st->group,
				 w->group);
			changed = true;
		}
	}
	out->status = changed ? CHECK_CHANGE : CHECK_OK;
	return 0;
}

static void add_dirname(struct buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		buf_adds(out, ".");
	else if (slash == path)
		buf_adds(out, "/");
	else
		buf_add(out, path, (size_t)(slash - path));
}

/* chmod/chown/chgrp of "$1" as wanted, for the write script. */
static int add_attrs(struct buf *s, const char *var, const struct file_want *w,
		     const struct file_state *st, bool replacing)
{
	bool have = st->exists && st->type == 'f';

	if (w->mode) {
		unsigned int mode;

		if (mode_parse(&mode, w->mode, have ? st->mode : 0644, false) < 0)
			return -1;
		buf_addf(s, "chmod %o \"%s\" || exit 1\n", mode, var);
	} else if (replacing && have) {
		buf_addf(s, "chmod %o \"%s\" || exit 1\n", st->mode, var);
	} else if (replacing) {
		buf_addf(s, "chmod \"$(printf %%o $((0666 & ~$(umask))))\" "
			 "\"%s\" || exit 1\n", var);
	}
	if (replacing && have && !(w->owner && w->group))
		buf_addf(s, "chown %lld:%lld \"%s\" 2>/dev/null || :\n",
			 st->uid, st->gid, var);
	if (w->owner) {
		buf_adds(s, "chown -- ");
		sh_quote(s, w->owner);
		buf_addf(s, " \"%s\" || exit 1\n", var);
	}
	if (w->group) {
		buf_adds(s, "chgrp -- ");
		sh_quote(s, w->group);
		buf_addf(s, " \"%s\" || exit 1\n", var);
	}
	return 0;
}

/*
 * Run the validate command on "$t". When it fails, the script prints
 * Ansible's "failed to validate: rc:N error:STDERR" and exits 3
 * (file_write reads that); with `capture`, when it passes, its exit
 * status and output are printed as a framed record ("validation RC
 * OUTLEN ERRLEN", then the bytes of each and a newline).
 */
static int add_validate(struct buf *s, const char *validate, bool capture)
{
	struct val *words = NULL;

	if (!validate)
		return 0;
	if (!strstr(validate, "%s"))
		return tend_error_set("validate must contain %%s: %s", validate);
	if (sh_split(&words, validate) < 0)
		return -1;
	buf_adds(s, "{");
	for (size_t i = 0; i < val_len(words); i++) {
		const char *w = val_cstr(val_list_at(words, i));
		const char *hit;

		buf_addch(s, ' ');
		while ((hit = strstr(w, "%s"))) {
			sh_quote_n(s, w, (size_t)(hit - w));
			buf_adds(s, "\"$t\"");
			w = hit + 2;
		}
		sh_quote(s, w);
	}
	buf_adds(s, "; } >\"$t.vo\" 2>\"$t.ve\"; vr=$?\n"
		 "trap 'rm -f -- \"$t\" \"$t.vo\" \"$t.ve\"' EXIT\n"
		 "if [ \"$vr\" != 0 ]; then printf 'failed to validate: "
		 "rc:%s error:' \"$vr\" >&2; cat -- \"$t.ve\" >&2; exit 3; fi\n");
	if (!capture) {
		buf_adds(s, "rm -f -- \"$t.vo\" \"$t.ve\"\n");
		val_unref(words);
		return 0;
	}
	buf_adds(s, "printf 'validation %s %s %s\\n' \"$vr\" "
		 "\"$(($(wc -c <\"$t.vo\")))\" \"$(($(wc -c <\"$t.ve\")))\"\n"
		 "cat -- \"$t.vo\"; echo; cat -- \"$t.ve\"; echo\n"
		 "rm -f -- \"$t.vo\" \"$t.ve\"\n");
	val_unref(words);
	return 0;
}

/* The validation record of add_validate into *out ({rc, stdout, stderr}). */
static int parse_validation(struct val **out, const struct buf *o, size_t *pos)
{
	struct buf line = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	unsigned long long outlen, errlen;
	int rc, error = 0;

	if (next_line(&line, o, pos) < 0 ||
	    sscanf(line.ptr, "validation %d %llu %llu", &rc, &outlen,
		   &errlen) != 3 ||
	    take_bytes(&a, o, pos, (size_t)outlen) < 0 ||
	    take_bytes(&b, o, pos, (size_t)errlen) < 0) {
		error = tend_error_set("cannot parse the reply of the host");
	} else {
		*out = val_dict();
		val_dict_set_int(*out, "rc", rc);
		val_dict_set(*out, "stdout", val_strn(a.ptr, a.len));
		val_dict_set(*out, "stderr", val_strn(b.ptr, b.len));
	}
	buf_release(&line);
	buf_release(&a);
	buf_release(&b);
	return error;
}

/*
 * What the write script printed (a backup record, a validation record,
 * the new state) into out's result.
 */
static int write_reply(struct apply_result *out, const struct file_want *w,
		       const struct buf *o)
{
	struct buf mode = BUF_INIT, line = BUF_INIT;
	struct file_state now;
	struct val *validation = NULL;
	char *backup = NULL;
	size_t pos = 0;
	int error = 0;

	file_state_init(&now);
	if (!strncmp(o->ptr, "backup ", 7)) {
		unsigned long long len;

		if (next_line(&line, o, &pos) < 0 ||
		    sscanf(line.ptr, "backup %llu", &len) != 1 ||
		    take_bytes(&mode, o, &pos, (size_t)len) < 0) {
			error = tend_error_set("cannot parse the reply of the "
					       "host");
			goto out;
		}
		backup = buf_detach(&mode, NULL);
	}
	if (!strncmp(o->ptr + pos, "validation ", 11) &&
	    (error = parse_validation(&validation, o, &pos)) < 0)
		goto out;
	if ((error = file_state_parse(&now, o, &pos)) < 0)
		goto out;

	out->changed = true;
	if (!out->result)
		out->result = val_dict();
	val_dict_set_str(out->result, "dest", w->path);
	val_dict_set_str(out->result, "state", "file");
	if (now.exists) {
		buf_reset(&mode);
		mode_format_info(&mode, now.mode);
		val_dict_set_str(out->result, "checksum", now.sha1);
		val_dict_set_int(out->result, "size", now.size);
		val_dict_set_str(out->result, "mode", mode.ptr);
		val_dict_set_str(out->result, "owner", now.owner);
		val_dict_set_str(out->result, "group", now.group);
		val_dict_set_int(out->result, "uid", now.uid);
		val_dict_set_int(out->result, "gid", now.gid);
	}
	if (backup)
		val_dict_set_str(out->result, "backup_file", backup);
	if (validation) {
		val_dict_set(out->result, "validation", validation);
		validation = NULL;
	}
out:
	val_unref(validation);
	free(backup);
	file_state_release(&now);
	buf_release(&mode);
	buf_release(&line);
	return error;
}

int file_write(struct apply_result *out, const struct task_ctx *ctx,
	       const struct file_want *w, const struct file_state *st)
{
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	int error;

	buf_adds(&s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(&s);
	buf_adds(&s, "p=");
	sh_quote(&s, w->path);
	buf_addch(&s, '\n');
	if (w->follow)
		buf_adds(&s, "if [ -L \"$p\" ]; then "
			 "p=$(readlink -f -- \"$p\") || exit 1; fi\n");
	if (w->content) {
		buf_adds(&s, "d=");
		if (w->follow) {
			buf_adds(&s, "$(dirname -- \"$p\")\n");
		} else {
			struct buf dir = BUF_INIT;

			add_dirname(&dir, w->path);
			sh_quote(&s, dir.ptr);
			buf_addch(&s, '\n');
			buf_release(&dir);
		}
		if (w->make_parents)
			buf_adds(&s, "[ -d \"$d\" ] || mkdir -p -- \"$d\" || "
				 "exit 1\n");
		buf_adds(&s,
			 "[ -d \"$d\" ] || { echo \"destination directory $d "
			 "does not exist\" >&2; exit 1; }\n"
			 "t=$(mktemp \"$d/.tend-XXXXXX\") || exit 1\n"
			 "trap 'rm -f -- \"$t\"' EXIT\n"
			 "trap 'rm -f -- \"$t\"; exit 1' HUP PIPE TERM\n"
			 "cat >\"$t\" || exit 1\n");
		/*
		 * Input cut short (tend killed, the connection dropped) reads
		 * as a short file: measure it before it replaces the old one.
		 * tend gone, a write to its pipes raises SIGPIPE, which must
		 * remove the temp file too (the EXIT trap does not run).
		 */
		buf_addf(&s, "n=$(wc -c <\"$t\") && [ \"$((n))\" -eq %zu ] || "
			 "{ echo \"input cut short: $((n)) of %zu bytes "
			 "arrived\" >&2; exit 1; }\n", w->content_len,
			 w->content_len);
		if (w->backup && st->exists && st->type == 'f')
			buf_adds(&s, "b=\"$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"\n"
				 "cp -p -- \"$p\" \"$b\" || exit 1\n"
				 "printf 'backup %s\\n%s\\n' \"${#b}\" \"$b\"\n");
		if ((error = add_attrs(&s, "$t", w, st, true)) < 0 ||
		    (error = add_validate(&s, w->validate,
					 w->validate_result)) < 0)
			goto out;
		buf_adds(&s, "mv -f -- \"$t\" \"$p\" || exit 1\n");
		req.in = w->content;
		req.inlen = w->content_len;
	} else if ((error = add_attrs(&s, "$p", w, st, false)) < 0) {
		goto out;
	}
	buf_adds(&s, "tend_probe \"$p\" '' ''\n");
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status == 3 && w->validate && w->validate_plain) {
		error = tend_error_set("failed to validate");
		goto out;
	} else if (res.status == 3 && w->validate) {
		/* Ansible's message: the command's stderr as it printed it */
		error = tend_error_set("%.*s", (int)res.err.len,
				       res.err.len ? res.err.ptr : "");
		goto out;
	} else if (res.status) {
		error = script_failed(&res, "write", w->path);
		goto out;
	}
	error = write_reply(out, w, &res.out);
out:
	exec_result_release(&res);
	buf_release(&s);
	return error;
}

struct copy_plan {
	char *src_base;       /* the basename of src, or NULL (content) */
	char *path;           /* the file, after dest/ resolution */
	char *mkdir;          /* a directory to create first, or NULL */
	struct buf content;
	struct file_state st;
};

static void copy_plan_free(void *p)
{
	struct copy_plan *cp = p;

	free(cp->src_base);
	free(cp->path);
	free(cp->mkdir);
	buf_release(&cp->content);
	file_state_release(&cp->st);
	free(cp);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void want_from_args(struct file_want *w, const struct task_ctx *ctx,
			   const struct copy_plan *cp)
{
	const struct val *mode = arg_get(ctx, "mode");

	memset(w, 0, sizeof(*w));
	w->path = cp->path;
	w->content = cp->content.ptr;
	w->content_len = cp->content.len;
	w->mode = val_is(mode, VAL_NULL) ? NULL : mode;
	w->owner = arg_str(ctx, "owner");
	w->group = arg_str(ctx, "group");
	w->backup = arg_bool(ctx, "backup", false);
	w->follow = arg_bool(ctx, "follow", false);
	w->validate = arg_str(ctx, "validate");
	w->validate_plain = true;
}

/* The keys Ansible's copy returns for a file it did not change. */
static void ok_result(struct val **out, const struct copy_plan *cp)
{
	struct buf mode = BUF_INIT;

	*out = val_dict();
	val_dict_set_str(*out, "dest", cp->path);
	val_dict_set_str(*out, "path", cp->path);
	val_dict_set_str(*out, "checksum", cp->st.sha1);
	val_dict_set_int(*out, "size", cp->st.size);
	mode_format_info(&mode, cp->st.mode);
	val_dict_set_str(*out, "mode", mode.ptr);
	val_dict_set_str(*out, "owner", cp->st.owner);
	val_dict_set_str(*out, "group", cp->st.group);
	val_dict_set_int(*out, "uid", cp->st.uid);
	val_dict_set_int(*out, "gid", cp->st.gid);
	val_dict_set_str(*out, "state", "file");
	buf_release(&mode);
}

int file_copy_probe(struct probe *out, const struct task_ctx *ctx,
		    const char *src_name, struct buf *content)
{
	const char *dest = arg_str(ctx, "dest");
	bool follow = arg_bool(ctx, "follow", false);
	bool slash = dest && *dest && dest[strlen(dest) - 1] == '/';
	struct copy_plan *cp = xcalloc(1, sizeof(*cp));
	struct buf *s = &out->script;

	buf_init(&cp->content, 0);
	buf_addbuf(&cp->content, content);
	buf_release(content);
	file_state_init(&cp->st);
	cp->src_base = src_name ? xstrdup(base_name(src_name)) : NULL;
	out->priv = cp;
	out->priv_free = copy_plan_free;
	if (!dest)
		return tend_error_set("dest is required");
	if (slash && !src_name)
		return tend_error_set("can not use content with a dir as dest");
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(s);
	buf_adds(s, "d=");
	sh_quote(s, dest);
	buf_adds(s, "\nif [ -d \"$d\" ]; then\n\techo dir\n\ttend_probe \"$d/\"");
	sh_quote(s, cp->src_base ? cp->src_base : "");
	buf_addf(s, " L C\nelse\n\techo nodir\n\ttend_probe \"$d\" '%s' C\nfi\n",
		 follow ? "L" : "");
	return 0;
}

void file_copy_set_content(struct probe *p, const void *data, size_t len)
{
	struct copy_plan *cp = p->priv;

	buf_reset(&cp->content);
	buf_add(&cp->content, data, len);
}

/* Where the file goes: dest, or dest/BASENAME when dest is a directory. */
static int copy_target(struct copy_plan *cp, const char *dest, bool is_dir)
{
	bool slash = *dest && dest[strlen(dest) - 1] == '/';
	struct buf path = BUF_INIT;

	if (!is_dir && !slash) {
		cp->path = xstrdup(dest);
		return 0;
	}
	if (!cp->src_base)
		return tend_error_set("can not use content with a dir as dest");
	buf_adds(&path, dest);
	if (!slash)
		buf_addch(&path, '/');
	if (!is_dir) {
		cp->mkdir = xstrdup(dest);
		file_state_release(&cp->st);
	}
	buf_adds(&path, cp->src_base);
	cp->path = buf_detach(&path, NULL);
	return 0;
}

int file_copy_judge(struct check_result *out, const struct task_ctx *ctx,
		    struct probe *p, const struct exec_result *res)
{
	const char *dest = arg_str(ctx, "dest");
	struct copy_plan *cp = p->priv;
	struct buf line = BUF_INIT;
	struct file_want w;
	size_t pos = 0;
	int error = 0;

	/* the plan goes on to apply with the check */
	out->priv = cp;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	if (res->status) {
		error = script_failed(res, "read", dest);
		goto out;
	}
	if (next_line(&line, &res->out, &pos) < 0 ||
	    (error = file_state_parse(&cp->st, &res->out, &pos)) < 0) {
		error = error < 0 ? error : tend_error_set("cannot parse the "
							   "reply of the host");
		goto out;
	}
	if ((error = copy_target(cp, dest, !strcmp(line.ptr, "dir"))) < 0)
		goto out;
	if (cp->st.exists && !arg_bool(ctx, "force", true)) {
		out->status = CHECK_OK;
		/* copy's remote_src: the module's answer, as Ansible's */
		if (arg_bool(ctx, "remote_src", false)) {
			ok_result(&out->result, cp);
			val_dict_set_str(out->result, "msg",
					 "file already exists");
		}
		goto out;
	}
	want_from_args(&w, ctx, cp);
	if ((error = file_plan(out, &cp->st, &w)) < 0)
		goto out;
	if (cp->mkdir)
		buf_addf(&out->changes, "directory: absent -> %s\n", cp->mkdir);
	if (out->status == CHECK_OK)
		ok_result(&out->result, cp);
out:
	buf_release(&line);
	return error;
}

int file_copy_apply(struct apply_result *out, const struct task_ctx *ctx,
		    const struct check_result *planned)
{
	const struct copy_plan *cp = planned->priv;
	struct file_want w;
	int error;

	if (cp->mkdir) {
		struct buf s = BUF_INIT;
		struct exec_result res = EXEC_RESULT_INIT;
		struct exec_req req = { 0 };
		const struct val *dmode = arg_get(ctx, "directory_mode");
		unsigned int m;

		buf_adds(&s, "mkdir -p ");
		if (dmode && !val_is(dmode, VAL_NULL)) {
			if (mode_parse(&m, dmode, 0755, true) < 0) {
				buf_release(&s);
				return -1;
			}
			buf_addf(&s, "-m %o ", m);
		}
		buf_adds(&s, "-- ");
		sh_quote(&s, cp->mkdir);
		req.script = s.ptr;
		req.become_user = ctx->become_user;
		req.become_method = ctx->become_method;
		error = ctx->t->exec(ctx->t, &req, &res);
		if (!error && res.status)
			error = script_failed(&res, "create directory", cp->mkdir);
		exec_result_release(&res);
		buf_release(&s);
		if (error < 0)
			return error;
	}
	want_from_args(&w, ctx, cp);
	error = file_write(out, ctx, &w, &cp->st);
	if (!error && arg_str(ctx, "src") && out->result)
		val_dict_set_str(out->result, "src", arg_str(ctx, "src"));
	return error;
}

/*
 * SHA-1 (FIPS 180-4), only to compare wanted content with a remote
 * sha1sum without fetching big files.
 */
struct sha1_ctx {
	uint32_t h[5];
	uint64_t len;
	unsigned char block[64];
	size_t used;
};

static uint32_t rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(struct sha1_ctx *c, const unsigned char *p)
{
	uint32_t w[80], a, b, cc, d, e;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = c->h[0];
	b = c->h[1];
	cc = c->h[2];
	d = c->h[3];
	e = c->h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;

		if (i < 20) {
			f = (b & cc) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ cc ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & cc) | (b & d) | (cc & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ cc ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = cc;
		cc = rol(b, 30);
		b = a;
		a = t;
	}
	c->h[0] += a;
	c->h[1] += b;
	c->h[2] += cc;
	c->h[3] += d;
	c->h[4] += e;
}

static void sha1_update(struct sha1_ctx *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	c->len += len;
	while (len) {
		size_t n = 64 - c->used < len ? 64 - c->used : len;

		memcpy(c->block + c->used, p, n);
		c->used += n;
		p += n;
		len -= n;
		if (c->used == 64) {
			sha1_block(c, c->block);
			c->used = 0;
		}
	}
}

void sha1_hex(char hex[41], const void *data, size_t len)
{
	struct sha1_ctx c = { { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
				0xc3d2e1f0 }, 0, { 0 }, 0 };
	unsigned char pad[72] = { 0x80 };
	uint64_t bits;
	size_t padlen;

	sha1_update(&c, data, len);
	bits = c.len * 8;
	padlen = (c.used < 56 ? 56 : 120) - c.used;
	for (int i = 0; i < 8; i++)
		pad[padlen + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_update(&c, pad, padlen + 8);
	for (int i = 0; i < 5; i++)
		snprintf(hex + 8 * i, 9, "%08x", c.h[i]);
}
