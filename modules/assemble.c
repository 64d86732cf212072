#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"
#include "tend/util/regex.h"

#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>

/*
 * assemble: a file made of the fragments in a directory, as Ansible's
 * assemble. With remote_src (the default) the fragments are on the host:
 * the probe prints each regular file of src (framed: name, then bytes)
 * and dest's state in one script; the controller sorts, filters and
 * joins them as Ansible's module does, and the write is file_write's
 * (one more round trip). Without remote_src they are read from the
 * controller's src (files/ first), joined as Ansible's action plugin
 * does: it always puts a newline after the delimiter (a bytes index
 * compared with b'\n' on Python 3).
 */

static const struct arg_spec assemble_args[] = {
	{ "src", ARG_PATH, ARG_REQUIRED, NULL, NULL, NULL,
	  "the directory of fragments (on the host unless remote_src: no)" },
	{ "dest", ARG_PATH, ARG_REQUIRED, NULL, NULL, NULL,
	  "the file to make on the host" },
	{ "delimiter", ARG_STR, 0, NULL, NULL, NULL,
	  "text between fragments (\\n and other Python escapes decoded), "
	  "followed by a newline" },
	{ "regexp", ARG_STR, 0, NULL, NULL, NULL,
	  "only fragments whose name this Python regex finds" },
	{ "ignore_hidden", ARG_BOOL, 0, NULL, NULL, "no",
	  "skip fragments whose name starts with '.'" },
	{ "remote_src", ARG_BOOL, 0, NULL, NULL, "yes",
	  "src is on the host (no: on the controller)" },
	{ "backup", ARG_BOOL, 0, NULL, NULL, "no",
	  "keep the old dest (DEST.PID.DATE~) when it changes" },
	{ "validate", ARG_STR, 0, NULL, NULL, NULL,
	  "command to check the new file first; %s is its path" },
	{ "decrypt", ARG_BOOL, 0, NULL, NULL, "yes",
	  "decrypt vaulted fragments (remote_src: no); tend refuses them" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* One fragment: its name and bytes. */
struct frag {
	char *name;
	struct buf data;
};

struct assemble_plan {
	struct frag *frags;
	size_t nr;
	char *dir;            /* remote_src: no: the controller's directory */
	struct buf content;   /* the assembled file */
	struct file_state st; /* dest */
};

static void assemble_plan_free(void *p)
{
	struct assemble_plan *ap = p;

	for (size_t i = 0; i < ap->nr; i++) {
		free(ap->frags[i].name);
		buf_release(&ap->frags[i].data);
	}
	free(ap->frags);
	free(ap->dir);
	buf_release(&ap->content);
	file_state_release(&ap->st);
	free(ap);
}

static void frag_add(struct assemble_plan *ap, const char *name, size_t len,
		     const char *data, size_t dlen)
{
	struct frag *f;

	ap->frags = xrealloc(ap->frags, (ap->nr + 1) * sizeof(*ap->frags));
	f = &ap->frags[ap->nr++];
	f->name = xstrndup(name, len);
	buf_init(&f->data, 0);
	buf_add(&f->data, data, dlen);
}

static int frag_cmp(const void *a, const void *b)
{
	return strcmp(((const struct frag *)a)->name,
		      ((const struct frag *)b)->name);
}

/*
 * Python's codecs.escape_decode of `in` into out: \n \t \\ \' \" \a \b
 * \f \r \v, \ooo, \xhh, backslash-newline dropped, any other escape kept.
 */
static int escape_decode(struct buf *out, const struct buf *in)
{
	static const char from[] = "ntr\\'\"abfv", to[] = "\n\t\r\\'\"\a\b\f\v";

	for (size_t i = 0; i < in->len; i++) {
		const char *c = in->ptr + i, *hit;
		unsigned int v = 0;
		size_t n = 0;

		if (*c != '\\') {
			buf_addch(out, *c);
			continue;
		}
		if (++i == in->len)
			return tend_error_set("Trailing \\ in string");
		c++;
		if (*c && (hit = strchr(from, *c))) {
			buf_addch(out, to[hit - from]);
		} else if (*c == '\n') {
			/* a line continuation */
		} else if (*c >= '0' && *c <= '7') {
			while (n < 3 && i + n < in->len && c[n] >= '0' &&
			       c[n] <= '7')
				v = v * 8 + (unsigned)(c[n++] - '0');
			buf_addch(out, (char)(v & 0xff));
			i += n - 1;
		} else if (*c == 'x' && i + 2 < in->len &&
			   isxdigit((unsigned char)c[1]) &&
			   isxdigit((unsigned char)c[2])) {
			char hex[3] = { c[1], c[2], 0 };

			buf_addch(out, (char)strtoul(hex, NULL, 16));
			i += 2;
		} else if (*c == 'x') {
			return tend_error_set("invalid \\x escape at position "
					      "%zu", i - 1);
		} else {
			buf_addch(out, '\\');
			buf_addch(out, *c);
		}
	}
	return 0;
}

/* Join the fragments as Ansible does (`local`: the action plugin's). */
static int assemble_join(struct assemble_plan *ap, const struct task_ctx *ctx,
			 bool local)
{
	const char *regexp = arg_str(ctx, "regexp");
	const char *delimiter = arg_str(ctx, "delimiter");
	bool hidden = arg_bool(ctx, "ignore_hidden", false);
	struct buf delim = BUF_INIT, next = BUF_INIT;
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	bool delimit_me = false, add_newline = false;
	int error = 0;

	if (regexp && (error = regex_compile(&re, regexp, 0)) < 0)
		goto out;
	if (delimiter)
		buf_adds(&delim, delimiter);
	qsort(ap->frags, ap->nr, sizeof(*ap->frags), frag_cmp);
	for (size_t i = 0; i < ap->nr; i++) {
		const struct frag *f = &ap->frags[i];

		if (re && (error = regex_exec(&m, re, f->name, strlen(f->name),
					      0, REGEX_SEARCH)) < 0)
			goto out;
		if (re && !m.matched)
			continue;
		if (hidden && f->name[0] == '.')
			continue;
		if (local && !strncmp(f->data.ptr, "$ANSIBLE_VAULT;", 15)) {
			error = tend_error_set("the fragment '%s' is vaulted: "
					       "tend does not decrypt fragments",
					       f->name);
			goto out;
		}
		if (add_newline)
			buf_addch(&ap->content, '\n');
		if (delimit_me && delimiter && *delimiter) {
			/* Ansible decodes the delimiter again at each use */
			buf_reset(&next);
			if ((error = escape_decode(&next, &delim)) < 0)
				goto out;
			buf_reset(&delim);
			buf_addbuf(&delim, &next);
			buf_addbuf(&ap->content, &delim);
			if (local || !delim.len ||
			    delim.ptr[delim.len - 1] != '\n')
				buf_addch(&ap->content, '\n');
		}
		buf_addbuf(&ap->content, &f->data);
		delimit_me = true;
		add_newline = !(f->data.len &&
				f->data.ptr[f->data.len - 1] == '\n');
	}
out:
	regex_match_release(&m);
	regex_free(re);
	buf_release(&delim);
	buf_release(&next);
	return error;
}

/* remote_src: no: the controller's fragments, read now. */
static int read_local(struct assemble_plan *ap, const struct task_ctx *ctx)
{
	const char *src = arg_str(ctx, "src");
	struct buf path = BUF_INIT, data = BUF_INIT;
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int error = 0;

	if ((error = task_find_file(&ap->dir, ctx, "files", src)) < 0)
		return error;
	if (stat(ap->dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return tend_error_set("Source (%s) is not a directory",
				      ap->dir);
	if (!(d = opendir(ap->dir)))
		return tend_error_set("cannot read '%s': %s", ap->dir,
				      strerror(errno));
	while (!error && (de = readdir(d))) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", ap->dir, de->d_name);
		if (stat(path.ptr, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		buf_reset(&data);
		if ((error = task_read_file(&data, ctx, path.ptr)) < 0)
			break;
		frag_add(ap, de->d_name, strlen(de->d_name), data.ptr,
			 data.len);
	}
	closedir(d);
	buf_release(&path);
	buf_release(&data);
	return error;
}

static const char list_script[] =
	"if [ ! -e \"$s\" ]; then echo nosrc\n"
	"elif [ ! -d \"$s\" ]; then echo notdir\n"
	"else\n"
	"\techo src\n"
	"\tfor f in \"$s\"/* \"$s\"/.*; do\n"
	"\t\t[ -f \"$f\" ] || continue\n"
	"\t\tn=${f##*/}\n"
	"\t\tc=$(wc -c < \"$f\") || exit 1\n"
	"\t\tprintf 'frag %s %s\\n%s\\n' \"${#n}\" \"$((c))\" \"$n\"\n"
	"\t\thead -c \"$((c))\" < \"$f\" || exit 1\n"
	"\t\techo\n"
	"\tdone\n"
	"fi\n"
	"echo end\n";

static int assemble_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct assemble_plan *ap = xcalloc(1, sizeof(*ap));
	struct buf *s = &out->script;
	bool remote = arg_bool(ctx, "remote_src", true);
	int error = 0;

	buf_init(&ap->content, 0);
	file_state_init(&ap->st);
	out->priv = ap;
	out->priv_free = assemble_plan_free;
	if (!remote && (error = read_local(ap, ctx)) < 0)
		return error;
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(s);
	if (remote) {
		buf_adds(s, "s=");
		sh_quote(s, arg_str(ctx, "src"));
		buf_adds(s, "\n");
		buf_adds(s, list_script);
	}
	buf_adds(s, "tend_probe ");
	sh_quote(s, arg_str(ctx, "dest"));
	buf_adds(s, " '' C\n");
	return 0;
}

/* The remote fragments from the probe's output, up to "end". */
static int parse_frags(struct assemble_plan *ap, const struct task_ctx *ctx,
		       const struct buf *o, size_t *pos)
{
	const char *src = arg_str(ctx, "src");
	unsigned long long nlen, dlen;
	const char *nl = memchr(o->ptr, '\n', o->len);
	int n = 0;

	if (!nl)
		goto bad;
	if (!strncmp(o->ptr, "nosrc\n", 6))
		return tend_error_set("Source (%s) does not exist", src);
	if (!strncmp(o->ptr, "notdir\n", 7))
		return tend_error_set("Source (%s) is not a directory", src);
	*pos = (size_t)(nl - o->ptr) + 1;
	while (*pos < o->len && strncmp(o->ptr + *pos, "end\n", 4)) {
		const char *p = o->ptr + *pos;

		if (sscanf(p, "frag %llu %llu\n%n", &nlen, &dlen, &n) != 2 ||
		    !n || nlen > o->len || dlen > o->len ||
		    *pos + (size_t)n + nlen + dlen + 2 > o->len ||
		    p[n + nlen] != '\n' || p[n + nlen + 1 + dlen] != '\n')
			goto bad;
		frag_add(ap, p + n, (size_t)nlen, p + n + nlen + 1,
			 (size_t)dlen);
		*pos += (size_t)n + nlen + dlen + 2;
		n = 0;
	}
	if (*pos >= o->len)
		goto bad;
	*pos += 4;
	return 0;
bad:
	return tend_error_set("cannot parse the reply of the host");
}

static void want_from_args(struct file_want *w, const struct task_ctx *ctx,
			   const struct assemble_plan *ap)
{
	const struct val *mode = arg_get(ctx, "mode");

	memset(w, 0, sizeof(*w));
	w->path = arg_str(ctx, "dest");
	w->content = ap->content.ptr;
	w->content_len = ap->content.len;
	w->mode = val_is(mode, VAL_NULL) ? NULL : mode;
	w->owner = arg_str(ctx, "owner");
	w->group = arg_str(ctx, "group");
	w->backup = arg_bool(ctx, "backup", false);
	w->validate = arg_str(ctx, "validate");
	w->validate_result = arg_bool(ctx, "remote_src", true);
}

/* Ansible's keys for a dest left as it is. */
static void ok_result(struct val *r, const struct task_ctx *ctx,
		      const struct file_state *st)
{
	struct buf mode = BUF_INIT;

	val_dict_set_str(r, "dest", arg_str(ctx, "dest"));
	val_dict_set_str(r, "path", arg_str(ctx, "dest"));
	val_dict_set_str(r, "checksum", st->sha1);
	val_dict_set_int(r, "size", st->size);
	mode_format_info(&mode, st->mode);
	val_dict_set_str(r, "mode", mode.ptr);
	val_dict_set_str(r, "owner", st->owner);
	val_dict_set_str(r, "group", st->group);
	val_dict_set_int(r, "uid", st->uid);
	val_dict_set_int(r, "gid", st->gid);
	val_dict_set_str(r, "state", "file");
	buf_release(&mode);
}

static int assemble_judge(struct check_result *out,
			  const struct task_ctx *ctx, struct probe *p,
			  const struct exec_result *res)
{
	struct assemble_plan *ap = p->priv;
	bool remote = arg_bool(ctx, "remote_src", true);
	const char *validate = arg_str(ctx, "validate");
	struct file_want w;
	size_t pos = 0;
	int error;

	if (res->status)
		return tend_error_set("cannot read '%s': %s",
				      arg_str(ctx, "src"), res->err.len ?
				      res->err.ptr : "script failed");
	if (validate && !strstr(validate, "%s"))
		return tend_error_set("validate must contain %%s: %s",
				      validate);
	if ((remote && (error = parse_frags(ap, ctx, &res->out, &pos)) < 0) ||
	    (error = assemble_join(ap, ctx, !remote)) < 0 ||
	    (error = file_state_parse(&ap->st, &res->out, &pos)) < 0)
		return error;
	want_from_args(&w, ctx, ap);
	if ((error = file_plan(out, &ap->st, &w)) < 0)
		return error;
	out->result = val_dict();
	val_dict_set_str(out->result, "src", remote ? arg_str(ctx, "src") :
			 ap->dir);
	if (remote)
		val_dict_set_str(out->result, "msg", "OK");
	if (out->status == CHECK_OK) {
		ok_result(out->result, ctx, &ap->st);
		return 0;
	}
	out->priv = ap;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	return 0;
}

static int assemble_apply(struct apply_result *out,
			  const struct task_ctx *ctx,
			  const struct check_result *planned)
{
	const struct assemble_plan *ap = planned->priv;
	struct file_want w;
	int error;

	want_from_args(&w, ctx, ap);
	if ((error = file_write(out, ctx, &w, &ap->st)) < 0)
		return error;
	val_dict_set_str(out->result, "path", w.path);
	return 0;
}

const struct tend_module mod_assemble = {
	.name = "assemble",
	.flags = MOD_NO_ASYNC | MOD_FILE_ARGS,
	.args = assemble_args,
	.files_dir = "files",
	.doc = "make a file of the fragments in a directory",
	.returns = "dest, path: the file made\n"
		   "src: the directory of fragments\n"
		   "checksum: the SHA-1 of dest\n"
		   "size, mode, owner, group, uid, gid, state: dest's\n"
		   "msg: \"OK\" (remote_src)\n"
		   "backup_file: the copy made by backup, when one was made",
	.example = "- assemble:\n"
		   "    src: /etc/app/conf.d\n"
		   "    dest: /etc/app/app.conf\n"
		   "    delimiter: '### next fragment'\n"
		   "    regexp: '\\.conf$'\n"
		   "    mode: '0640'",
	.probe = assemble_probe,
	.judge = assemble_judge,
	.apply = assemble_apply,
};
