#include "fuzz.h"
#include "tend/data/val.h"
#include "tend/modkit/module.h"
#include "tend/modkit/uri.h"
#include "tend/net/http_rules.h"

/*
 * What a host's script prints for uri (modkit/uri_host.c), as the module
 * reads it: the records (uri_host_parse), the header dump in them as
 * curl or wget wrote it (uri_host_headers), the cookie jar
 * (http_cookies), the tool's failure words (uri_host_error), and the
 * registered result of that answer (uri_result: content type, charset,
 * JSON, Location) for a request with and without return_content. Input
 * that is not records is read as a header dump and as a jar whole.
 */

static void result_of(const struct uri_host_out *o, const char *dump,
		      size_t len, bool content)
{
	struct task_ctx ctx = { .host = "fuzz" };
	struct val *args = val_dict(), *res = NULL;
	struct uri_reply rep;
	struct uri_req req;
	bool failed;

	val_dict_set_str(args, "url", "http://u:pw@h/a/b?q=1");
	val_dict_set_bool(args, "return_content", content);
	ctx.args = args;
	uri_reply_init(&rep);
	if (uri_req_build(&req, &ctx) < 0)
		abort();
	uri_host_headers(&rep.status, &rep.reason, &rep.headers, dump, len);
	if (rep.status == -1)
		rep.error = uri_host_error(o, content);
	if (o->body_known) {
		buf_addbuf(&rep.body, &o->body);
		rep.body_known = true;
	}
	rep.cookies = http_cookies(o->jar.ptr, o->jar.len);
	rep.url = xstrdup("http://h/c");
	uri_result(&res, &failed, &req, &rep);
	val_unref(res);
	uri_reply_release(&rep);
	uri_req_release(&req);
	val_unref(args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uri_host_out o;
	struct buf in = BUF_INIT;
	struct val *c;

	buf_add(&in, data, size);
	uri_host_out_init(&o);
	if (uri_host_parse(&o, &in) == 0) {
		result_of(&o, o.hdr.ptr, o.hdr.len, false);
		result_of(&o, o.hdr.ptr, o.hdr.len, true);
	}
	tend_error_clear();
	uri_host_out_release(&o);
	uri_host_out_init(&o);
	buf_add(&o.body, data, size);
	o.body_known = true;
	buf_add(&o.err, data, size);
	o.tool = size && data[0] & 1 ? 'c' : 'w';
	result_of(&o, in.ptr, in.len, size > 1 && data[1] & 1);
	uri_host_out_release(&o);
	c = http_cookies(in.ptr, in.len);
	val_unref(c);
	buf_release(&in);
	fuzz_done();
	return 0;
}
