#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"

#include <sys/stat.h>

/*
 * fetch: a file of the host copied to the controller, as Ansible's fetch
 * action: to DEST/INVENTORY_HOSTNAME/SRC, or with flat to DEST itself
 * (DEST/ + src's basename when DEST ends in '/'). The probe reads the
 * controller's copy (its SHA-1) and sends one script for the host's
 * (what it is, its SHA-1); apply reads the file with the transport's get
 * and writes it beside its place, renamed in (an existing copy keeps its
 * mode, a new one gets 0666 less the umask, as Ansible's local copy).
 */

static const struct arg_spec fetch_args[] = {
	{ "src", ARG_PATH, ARG_REQUIRED, NULL, NULL, NULL,
	  "the file on the host (a symlink is followed)" },
	{ "dest", ARG_PATH, ARG_REQUIRED, NULL, NULL, NULL,
	  "where on the controller: a directory under which "
	  "HOSTNAME/SRC is made, or (flat) the file itself; relative to "
	  "the playbook's directory" },
	{ "flat", ARG_BOOL, 0, NULL, NULL, "no",
	  "dest is the file (or, ending in '/', the directory for src's "
	  "basename), with no HOSTNAME/SRC below it" },
	{ "fail_on_missing", ARG_BOOL, 0, NULL, NULL, "yes",
	  "fail when src does not exist (no: ok, with a message)" },
	{ "validate_checksum", ARG_BOOL, 0, NULL, NULL, "yes",
	  "check the SHA-1 of what arrived against the host's" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* What the probe worked out on the controller, for judge and apply. */
struct fetch_plan {
	char *dest;          /* the controller's file */
	bool local_exists;
	unsigned int local_mode;
	char local_sha1[41]; /* "" when there is no regular file */
	char remote_sha1[41];
};

static void fetch_plan_free(void *p)
{
	struct fetch_plan *fp = p;

	free(fp->dest);
	free(fp);
}

/* os.path.normpath: no empty or '.' segments, '..' taken back. */
static void normpath(struct buf *out, const char *path)
{
	bool abs = *path == '/';
	size_t depth = 0; /* segments in out that '..' may take back */

	if (abs)
		buf_addch(out, '/');
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && !strncmp(p, "..", 2) && depth) {
			char *slash = strrchr(out->ptr, '/');
			size_t at = slash ? (size_t)(slash - out->ptr) : 0;

			buf_setlen(out, abs && at == 0 ? 1 : at);
			depth--;
		} else if (n == 2 && !strncmp(p, "..", 2) && abs) {
			/* '/..' is '/' */
		} else if (n && !(n == 1 && *p == '.')) {
			if (out->len > (size_t)abs)
				buf_addch(out, '/');
			buf_add(out, p, n);
			if (!(n == 2 && !strncmp(p, "..", 2)))
				depth++;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	if (!out->len)
		buf_addch(out, '.');
}

/* The process's umask, read without changing it (threads share it). */
static unsigned int current_umask(void)
{
	struct buf st = BUF_INIT;
	unsigned int mask = 022;
	const char *line;

	if (!buf_read_file(&st, "/proc/self/status") &&
	    (line = strstr(st.ptr, "\nUmask:")))
		mask = (unsigned int)strtoul(line + 7, NULL, 8) & 0777;
	tend_error_clear();
	buf_release(&st);
	return mask;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Where the file goes on the controller, as Ansible's fetch says. */
static int fetch_dest(struct buf *out, const struct task_ctx *ctx)
{
	const char *src = arg_str(ctx, "src"), *dest = arg_str(ctx, "dest");
	const char *base = ctx->basedir ? ctx->basedir : ".";
	bool slash = *dest && dest[strlen(dest) - 1] == '/';
	struct buf raw = BUF_INIT;
	struct stat sb;

	if (arg_bool(ctx, "flat", false)) {
		if (!slash && !stat(dest, &sb) && S_ISDIR(sb.st_mode))
			return tend_error_set("dest is an existing directory, "
					      "use a trailing slash if you "
					      "want to fetch src into that "
					      "directory");
		if (*dest != '/')
			buf_addf(&raw, "%s/", base);
		buf_adds(&raw, dest);
		if (slash)
			buf_adds(&raw, base_name(src));
	} else {
		if (*dest != '/')
			buf_addf(&raw, "%s/", base);
		buf_addf(&raw, "%s/%s/%s", dest, ctx->host, src);
	}
	normpath(out, raw.ptr);
	buf_release(&raw);
	return 0;
}

static int fetch_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct fetch_plan *fp = xcalloc(1, sizeof(*fp));
	struct buf dest = BUF_INIT, data = BUF_INIT;
	struct buf *s = &out->script;
	struct stat sb;
	int error;

	out->priv = fp;
	out->priv_free = fetch_plan_free;
	if ((error = fetch_dest(&dest, ctx)) < 0)
		goto out;
	fp->dest = buf_detach(&dest, NULL);
	if (!stat(fp->dest, &sb)) {
		fp->local_exists = true;
		fp->local_mode = sb.st_mode & 07777;
		if (S_ISREG(sb.st_mode)) {
			if ((error = buf_read_file(&data, fp->dest)) < 0)
				goto out;
			sha1_hex(fp->local_sha1, data.ptr, data.len);
		}
	}
	buf_adds(s, "LC_ALL=C; export LC_ALL\np=");
	sh_quote(s, arg_str(ctx, "src"));
	buf_adds(s, "\nif [ -d \"$p\" ]; then echo dir\n"
		 "elif [ ! -e \"$p\" ]; then echo absent\n"
		 "elif [ ! -r \"$p\" ]; then echo unreadable\n"
		 "else h=$(sha1sum < \"$p\") || exit 1; echo \"file ${h%% *}\"\n"
		 "fi\n");
out:
	buf_release(&dest);
	buf_release(&data);
	return error;
}

static int fetch_judge(struct check_result *out, const struct task_ctx *ctx,
		       struct probe *p, const struct exec_result *res)
{
	const char *src = arg_str(ctx, "src");
	struct fetch_plan *fp = p->priv;
	const char *o = res->out.ptr;

	if (res->status)
		return tend_error_set("cannot read '%s': %s", src,
				      res->err.len ? res->err.ptr :
				      "script failed");
	if (!strncmp(o, "dir\n", 4))
		return tend_error_set("remote file is a directory, fetch "
				      "cannot work on directories");
	if (!strncmp(o, "unreadable\n", 11))
		return tend_error_set("file is not readable: %s", src);
	out->result = val_dict();
	if (!strncmp(o, "absent\n", 7)) {
		if (arg_bool(ctx, "fail_on_missing", true))
			return tend_error_set("file not found: %s", src);
		out->status = CHECK_OK;
		buf_sets(&out->msg, "the remote file does not exist, not "
			 "transferring, ignored");
		val_dict_set_str(out->result, "msg", out->msg.ptr);
		val_dict_set_str(out->result, "file", src);
		return 0;
	}
	if (strncmp(o, "file ", 5) || res->out.len != 46 || o[45] != '\n')
		return tend_error_set("cannot parse the reply of the host");
	memcpy(fp->remote_sha1, o + 5, 40);
	fp->remote_sha1[40] = '\0';
	val_dict_set_str(out->result, "dest", fp->dest);
	if (!strcmp(fp->remote_sha1, fp->local_sha1)) {
		out->status = CHECK_OK;
		val_dict_set_str(out->result, "file", src);
		val_dict_set_str(out->result, "checksum", fp->local_sha1);
		return 0;
	}
	out->status = CHECK_CHANGE;
	buf_addf(&out->changes, "fetch: %s:%s -> %s\n", ctx->host, src,
		 fp->dest);
	if (fp->local_sha1[0])
		buf_addf(&out->changes, "checksum: %s -> %s\n", fp->local_sha1,
			 fp->remote_sha1);
	else
		buf_addf(&out->changes, "state: %s -> file\n",
			 fp->local_exists ? "not a file" : "absent");
	out->priv = fp;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	return 0;
}

/* mkdir -p of the directories above `path` on the controller. */
static int make_parents(const char *path)
{
	char *dir = xstrdup(path);
	int error = 0;

	for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST)
			error = tend_error_set("cannot create directory '%s': "
					       "%s", dir, strerror(errno));
		*s = '/';
		if (error)
			break;
	}
	free(dir);
	return error;
}

static int fetch_apply(struct apply_result *out, const struct task_ctx *ctx,
		       const struct check_result *planned)
{
	const struct fetch_plan *fp = planned->priv;
	struct buf data = BUF_INIT;
	char sha1[41];
	unsigned int mode;
	int error;

	if (!ctx->t->get)
		return tend_error_set("the '%s' connection cannot read files",
				      ctx->t->name);
	if ((error = ctx->t->get(ctx->t, arg_str(ctx, "src"), &data,
				 ctx->become_user)) < 0)
		goto out;
	sha1_hex(sha1, data.ptr, data.len);
	out->result = val_dict();
	val_dict_set_str(out->result, "dest", fp->dest);
	val_dict_set(out->result, "remote_md5sum", val_null());
	val_dict_set_str(out->result, "checksum", sha1);
	val_dict_set_str(out->result, "remote_checksum", fp->remote_sha1);
	if (arg_bool(ctx, "validate_checksum", true) &&
	    strcmp(sha1, fp->remote_sha1)) {
		val_dict_set_str(out->result, "file", arg_str(ctx, "src"));
		error = tend_error_set("checksum mismatch");
		goto out;
	}
	mode = fp->local_sha1[0] ? fp->local_mode : 0666 & ~current_umask();
	if ((error = make_parents(fp->dest)) < 0 ||
	    (error = buf_write_file_atomic(fp->dest, data.ptr, data.len,
					   mode)) < 0)
		goto out;
	out->changed = true;
out:
	buf_release(&data);
	return error;
}

const struct tend_module mod_fetch = {
	.name = "fetch",
	.args = fetch_args,
	.flags = MOD_NO_ASYNC,
	.doc = "copy a file of the host to the controller",
	.returns = "dest: the file on the controller\n"
		   "checksum: its SHA-1\n"
		   "remote_checksum: the SHA-1 of src on the host (when "
		   "fetched)\n"
		   "remote_md5sum: null (as Ansible)\n"
		   "file: src (when nothing was fetched)\n"
		   "msg: why nothing was fetched (fail_on_missing: no)",
	.example = "- fetch:\n"
		   "    src: /etc/ssh/ssh_host_ed25519_key.pub\n"
		   "    dest: keys/\n"
		   "  # keys/HOSTNAME/etc/ssh/ssh_host_ed25519_key.pub",
	.probe = fetch_probe,
	.judge = fetch_judge,
	.apply = fetch_apply,
};
