#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

#include <sodium.h>

/*
 * slurp: a file of the host, base64-encoded, as Ansible's slurp. Read-only:
 * one script prints what the file is ("file", then its bytes as they are;
 * or "absent", "dir", "unreadable"), and the controller encodes it.
 */

static const struct arg_spec slurp_args[] = {
	{ "src", ARG_PATH, ARG_REQUIRED, "path", NULL, NULL,
	  "the file on the host to read (any bytes)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int slurp_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct buf *s = &out->script;

	buf_adds(s, "p=");
	sh_quote(s, arg_str(ctx, "src"));
	buf_adds(s, "\nif [ -d \"$p\" ]; then echo dir\n"
		 "elif [ ! -e \"$p\" ]; then echo absent\n"
		 "elif [ ! -r \"$p\" ]; then echo unreadable\n"
		 "else echo file; cat -- \"$p\" || exit 1\nfi\n");
	return 0;
}

static int slurp_judge(struct check_result *out, const struct task_ctx *ctx,
		       struct probe *p, const struct exec_result *res)
{
	const char *src = arg_str(ctx, "src");
	const char *nl = memchr(res->out.ptr, '\n', res->out.len);
	size_t head = nl ? (size_t)(nl - res->out.ptr) : 0, len, n;
	char *b64;

	(void)p;
	if (res->status || !nl)
		return tend_error_set("cannot read '%s': %s", src,
				      res->err.len ? res->err.ptr :
				      "script failed");
	if (!strncmp(res->out.ptr, "absent", head))
		return tend_error_set("file not found: %s", src);
	if (!strncmp(res->out.ptr, "dir", head))
		return tend_error_set("source is a directory and must be a "
				      "file");
	if (!strncmp(res->out.ptr, "unreadable", head))
		return tend_error_set("file is not readable: %s", src);
	len = res->out.len - head - 1;
	n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(n);
	sodium_bin2base64(b64, n, (const unsigned char *)nl + 1, len,
			  sodium_base64_VARIANT_ORIGINAL);
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set_str(out->result, "content", b64);
	val_dict_set_str(out->result, "encoding", "base64");
	val_dict_set_str(out->result, "source", src);
	free(b64);
	return 0;
}

const struct tend_module mod_slurp = {
	.name = "slurp",
	.args = slurp_args,
	.doc = "read a file of the host, base64-encoded (never changes it)",
	.returns = "content: the file's bytes, base64-encoded\n"
		   "encoding: \"base64\"\n"
		   "source: src, as given",
	.example = "- slurp:\n"
		   "    src: /etc/hostname\n"
		   "  register: hn\n"
		   "- debug:\n"
		   "    msg: \"{{ hn.content | b64decode }}\"",
	.probe = slurp_probe,
	.judge = slurp_judge,
	.apply = NULL,
};
