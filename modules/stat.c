#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

#include <sys/sysmacros.h>

/*
 * stat: report facts about a path, as Ansible's stat does. Read-only:
 * everything comes from one script, and there is no apply.
 *
 * The script prints "absent", or a stat line, then "access RWX" (0/1
 * each for the current user), optional framed "lnk_source LEN\n..." and
 * "lnk_target LEN\n..." records, an optional "checksum HEX" and "end".
 */

static const char *const algorithms[] = { "md5", "sha1", "sha224", "sha256",
					  "sha384", "sha512", NULL };

static const struct arg_spec stat_args[] = {
	{ "path", ARG_PATH, ARG_REQUIRED, "dest,name", NULL, NULL,
	  "the path to examine" },
	{ "follow", ARG_BOOL, 0, NULL, NULL, "no", "follow a symlink" },
	{ "get_checksum", ARG_BOOL, 0, NULL, NULL, "yes",
	  "checksum a regular file" },
	{ "checksum_algorithm", ARG_STR, 0, "checksum,checksum_algo",
	  algorithms, "sha1", "the checksum algorithm" },
	{ "get_mime", ARG_BOOL, 0, "mime,mime_type,mime-type", NULL, "yes",
	  "mimetype and charset, from file(1) on the host ('unknown' "
	  "without it)" },
	{ "get_attributes", ARG_BOOL, 0, "attr,attributes", NULL, "yes",
	  "attributes, attr_flags and version, from lsattr(1) on the host" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* What the host is asked beyond stat(1): each an optional tool there. */
struct stat_extra {
	const char *algo; /* checksum with ALGOsum, or NULL */
	bool mime, attr;
};

static void build_script(struct buf *s, const char *path, bool follow,
			 const struct stat_extra *x)
{
	buf_adds(s, "LC_ALL=C; export LC_ALL\np=");
	sh_quote(s, path);
	buf_addch(s, '\n');
	if (follow)
		buf_adds(s, "[ -e \"$p\" ] || { echo absent; exit 0; }\n");
	else
		buf_adds(s, "[ -e \"$p\" ] || [ -L \"$p\" ] || "
			 "{ echo absent; exit 0; }\n");
	/* %o: the I/O block size, Python's st_blksize */
	buf_addf(s, "s=$(stat %s-c '%%f %%s %%X %%Y %%Z %%u %%g %%h %%i %%d "
		 "%%b %%o %%t %%T %%U:%%G' -- \"$p\") || exit 1\n"
		 "echo \"stat $s\"\n"
		 "a=0; [ -r \"$p\" ] && a=1; b=0; [ -w \"$p\" ] && b=1\n"
		 "c=0; [ -x \"$p\" ] && c=1; echo \"access $a$b$c\"\n",
		 follow ? "-L " : "");
	if (!follow)
		buf_adds(s, "if [ -L \"$p\" ]; then\n"
			 "\tx=$(readlink -f -- \"$p\"; echo x); x=${x%?x}\n"
			 "\tprintf 'lnk_source %s\\n%s\\n' \"${#x}\" \"$x\"\n"
			 "\tx=$(readlink -- \"$p\"; echo x); x=${x%?x}\n"
			 "\tprintf 'lnk_target %s\\n%s\\n' \"${#x}\" \"$x\"\n"
			 "fi\n");
	if (x->algo) {
		buf_addf(s, "if [ -f \"$p\" ] && [ -r \"$p\" ]%s; then\n"
			 "\th=$(%ssum < \"$p\") || exit 1\n"
			 "\techo \"checksum ${h%%%% *}\"\nfi\n",
			 follow ? "" : " && [ ! -L \"$p\" ]", x->algo);
	}
	/* Ansible runs the same commands; their output names the path */
	if (x->mime)
		buf_adds(s, "if command -v file >/dev/null 2>&1 && "
			 "x=$(file --mime-type --mime-encoding -- \"$p\" "
			 "2>/dev/null); then\n"
			 "\tprintf 'mime %s\\n%s\\n' \"${#x}\" \"$x\"\nfi\n");
	if (x->attr)
		buf_adds(s, "if command -v lsattr >/dev/null 2>&1 && "
			 "x=$(lsattr -vd -- \"$p\" 2>/dev/null); then\n"
			 "\tprintf 'attr %s\\n%s\\n' \"${#x}\" \"$x\"\nfi\n");
	buf_adds(s, "echo end\n");
}

static void set_bool(struct val *d, const char *key, bool b)
{
	val_dict_set_bool(d, key, b);
}

/* Fill d from the stat line's fields. Returns -1 if malformed. */
static int parse_stat(struct val *d, const char *s)
{
	unsigned long raw, major, minor;
	long long size, at, mt, ct, uid, gid, nlink, ino, dev, blocks, bsize;
	unsigned int mode, type;
	struct buf m = BUF_INIT;
	const char *colon;
	int n = 0;

	if (sscanf(s, "%lx %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld "
		   "%lld %lx %lx %n", &raw, &size, &at, &mt, &ct, &uid, &gid,
		   &nlink, &ino, &dev, &blocks, &bsize, &major, &minor,
		   &n) < 14 || !n || !(colon = strchr(s + n, ':')))
		return -1;
	mode = (unsigned int)(raw & 07777);
	type = (unsigned int)(raw & 0170000);
	mode_format(&m, mode);
	val_dict_set_str(d, "mode", m.ptr);
	buf_release(&m);
	set_bool(d, "isdir", type == 0040000);
	set_bool(d, "ischr", type == 0020000);
	set_bool(d, "isblk", type == 0060000);
	set_bool(d, "isreg", type == 0100000);
	set_bool(d, "isfifo", type == 0010000);
	set_bool(d, "islnk", type == 0120000);
	set_bool(d, "issock", type == 0140000);
	val_dict_set_int(d, "uid", uid);
	val_dict_set_int(d, "gid", gid);
	val_dict_set_int(d, "size", size);
	val_dict_set_int(d, "inode", ino);
	val_dict_set_int(d, "dev", dev);
	val_dict_set_int(d, "nlink", nlink);
	val_dict_set(d, "atime", val_float((double)at));
	val_dict_set(d, "mtime", val_float((double)mt));
	val_dict_set(d, "ctime", val_float((double)ct));
	set_bool(d, "wusr", mode & 0200);
	set_bool(d, "rusr", mode & 0400);
	set_bool(d, "xusr", mode & 0100);
	set_bool(d, "wgrp", mode & 0020);
	set_bool(d, "rgrp", mode & 0040);
	set_bool(d, "xgrp", mode & 0010);
	set_bool(d, "woth", mode & 0002);
	set_bool(d, "roth", mode & 0004);
	set_bool(d, "xoth", mode & 0001);
	set_bool(d, "isuid", mode & 04000);
	set_bool(d, "isgid", mode & 02000);
	val_dict_set(d, "pw_name",
		     val_strn(s + n, (size_t)(colon - (s + n))));
	val_dict_set_str(d, "gr_name", colon + 1);
	val_dict_set_int(d, "blocks", blocks);
	val_dict_set_int(d, "block_size", bsize);
	val_dict_set_int(d, "device_type",
			 (long long)makedev((unsigned int)major,
					    (unsigned int)minor));
	return 0;
}

/* file(1)'s "PATH: TYPE; charset=SET", split as Ansible splits it. */
static void set_mime(struct val *d, const char *s, size_t len)
{
	const char *colon = NULL, *semi, *eq, *end = s + len;

	for (const char *c = s; c < end; c++)
		if (*c == ':')
			colon = c;
	if (!colon || !(semi = memchr(colon, ';', (size_t)(end - colon))) ||
	    !(eq = memchr(semi, '=', (size_t)(end - semi))))
		return;
	while (++colon < semi && *colon == ' ')
		;
	val_dict_set(d, "mimetype", val_strn(colon, (size_t)(semi - colon)));
	while (++eq < end && *eq == ' ')
		;
	val_dict_set(d, "charset", val_strn(eq, (size_t)(end - eq)));
}

/* lsattr -vd's "VERSION FLAGS PATH": the flags by Ansible's names. */
static void set_attr(struct val *d, const char *s, size_t len)
{
	static const char *const names[][2] = {
		{ "A", "noatime" }, { "a", "append" }, { "c", "compressed" },
		{ "C", "nocow" }, { "d", "nodump" }, { "D", "dirsync" },
		{ "e", "extents" }, { "E", "encrypted" }, { "h", "blocksize" },
		{ "i", "immutable" }, { "I", "indexed" },
		{ "j", "journalled" }, { "N", "inline" }, { "s", "zero" },
		{ "S", "synchronous" }, { "t", "notail" },
		{ "T", "blockroot" }, { "u", "undelete" },
		{ "X", "compressedraw" }, { "Z", "compresseddirty" },
	};
	struct buf flags = BUF_INIT;
	struct val *list = val_list();
	size_t v = strspn(s, " "), vend, f, fend;

	vend = v + strcspn(s + v, " ");
	f = vend + strspn(s + vend, " ");
	fend = f + strcspn(s + f, " ");
	if (vend > len || fend > len || v == vend || f == fend) {
		val_unref(list);
		return;
	}
	for (size_t i = f; i < fend; i++)
		if (s[i] != '-')
			buf_addch(&flags, s[i]);
	for (size_t i = 0; i < flags.len; i++)
		for (size_t n = 0; n < ARRAY_SIZE(names); n++)
			if (flags.ptr[i] == names[n][0][0])
				val_list_push(list, val_str(names[n][1]));
	val_dict_set(d, "version", val_strn(s + v, vend - v));
	val_dict_set(d, "attr_flags", val_strn(flags.ptr, flags.len));
	val_dict_set(d, "attributes", list);
	buf_release(&flags);
}

static int parse_output(struct val *d, const struct buf *out)
{
	size_t pos = 0;

	while (pos < out->len) {
		const char *line = out->ptr + pos;
		const char *nl = memchr(line, '\n', out->len - pos);
		unsigned long long len;
		char key[16];

		if (!nl)
			return -1;
		pos = (size_t)(nl - out->ptr) + 1;
		if (!strncmp(line, "absent\n", 7) || !strncmp(line, "end\n", 4))
			return 0;
		if (!strncmp(line, "stat ", 5)) {
			struct buf l = BUF_INIT;
			int error;

			buf_add(&l, line + 5, (size_t)(nl - line - 5));
			error = parse_stat(d, l.ptr);
			buf_release(&l);
			if (error < 0)
				return -1;
			val_dict_set_bool(d, "exists", true);
		} else if (!strncmp(line, "access ", 7) && nl - line == 10) {
			set_bool(d, "readable", line[7] == '1');
			set_bool(d, "writeable", line[8] == '1');
			set_bool(d, "executable", line[9] == '1');
		} else if (!strncmp(line, "checksum ", 9)) {
			val_dict_set(d, "checksum",
				     val_strn(line + 9, (size_t)(nl - line - 9)));
		} else if (sscanf(line, "%15[a-z_] %llu", key, &len) == 2 &&
			   (!strcmp(key, "lnk_source") ||
			    !strcmp(key, "lnk_target") || !strcmp(key, "mime") ||
			    !strcmp(key, "attr"))) {
			/* `len` came from the host: no arithmetic may wrap */
			if (len >= out->len - pos ||
			    out->ptr[pos + len] != '\n')
				return -1;
			if (!strcmp(key, "mime"))
				set_mime(d, out->ptr + pos, (size_t)len);
			else if (!strcmp(key, "attr"))
				set_attr(d, out->ptr + pos, (size_t)len);
			else
				val_dict_set(d, key, val_strn(out->ptr + pos,
							      (size_t)len));
			pos += len + 1;
		} else {
			return -1;
		}
	}
	return -1;
}

/* The probe: one script that stats the path (and hashes it if asked). */
static int stat_probe(struct probe *out, const struct task_ctx *ctx)
{
	const char *path = arg_str(ctx, "path");
	const char *algo = arg_str(ctx, "checksum_algorithm");

	if (!path)
		return tend_error_set("path is required");
	struct stat_extra x = {
		.algo = arg_bool(ctx, "get_checksum", true) ?
			(algo ? algo : "sha1") : NULL,
		.mime = arg_bool(ctx, "get_mime", true),
		.attr = arg_bool(ctx, "get_attributes", true),
	};

	build_script(&out->script, path, arg_bool(ctx, "follow", false), &x);
	return 0;
}

/* What Ansible reports when file(1) or lsattr(1) is missing or fails. */
static void stat_defaults(struct val *st, const struct task_ctx *ctx)
{
	if (arg_bool(ctx, "get_mime", true) && !val_dict_get(st, "mimetype")) {
		val_dict_set_str(st, "mimetype", "unknown");
		val_dict_set_str(st, "charset", "unknown");
	}
	if (arg_bool(ctx, "get_attributes", true) &&
	    !val_dict_get(st, "attr_flags")) {
		val_dict_set(st, "version", val_null());
		val_dict_set(st, "attributes", val_list());
		val_dict_set_str(st, "attr_flags", "");
	}
}

/* The judge: what the script printed becomes the registered `stat`. */
static int stat_judge(struct check_result *out, const struct task_ctx *ctx,
		      struct probe *p, const struct exec_result *res)
{
	const char *path = arg_str(ctx, "path");
	struct val *st;
	struct buf err = BUF_INIT;
	int error;

	(void)p;
	if (res->status) {
		buf_addbuf(&err, &res->err);
		buf_trim(&err);
		error = tend_error_set("cannot stat '%s': %s", path,
				       err.len ? err.ptr : "script failed");
		buf_release(&err);
		return error;
	}
	st = val_dict();
	val_dict_set_bool(st, "exists", false);
	if (parse_output(st, &res->out) < 0) {
		val_unref(st);
		return tend_error_set("cannot parse the stat of '%s' sent by "
				      "the host", path);
	}
	if (truth_python(val_dict_get(st, "exists"))) {
		val_dict_set_str(st, "path", path);
		stat_defaults(st, ctx);
	}
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set(out->result, "stat", st);
	return 0;
}

const struct tend_module mod_stat = {
	.name = "stat",
	.args = stat_args,
	.doc = "report facts about a file",
	.returns =
		"stat: what is at path; exists is false (and nothing else given)\n"
		"    when there is nothing. Else exists, path, mode (\"0644\"), isdir,\n"
		"    isreg, islnk, isblk, ischr, isfifo, issock, isuid, isgid, size,\n"
		"    uid, gid, pw_name, gr_name, inode, dev, nlink, atime, mtime, ctime,\n"
		"    readable, writeable, executable, the r/w/x bits by class (rusr,\n"
		"    wgrp, xoth ...), lnk_source and lnk_target for a link, checksum\n"
		"    (SHA-1, with get_checksum), mimetype and charset, attributes\n",
	.example =
		"- stat:\n"
		"    path: /etc/app/app.conf\n"
		"  register: conf\n"
		"- debug:\n"
		"    msg: \"{{ conf.stat.mode }} {{ conf.stat.pw_name }}\"\n"
		"  when: conf.stat.exists\n",
	.probe = stat_probe,
	.judge = stat_judge,
	.apply = NULL,
};
