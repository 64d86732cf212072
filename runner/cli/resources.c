#include "tend/common.h"
#include "tend/util/isotime.h"
#include "tend/net/lxd.h"
#include "tend/cli/cli_int.h"

#include <time.h>

/*
 * tend resources: what provisioning created, as the state DB records it,
 * each checked against its API where that answers: "present",
 * "missing" (gone behind tend's back), or "unknown" with the reason
 * (the API did not answer, or tend cannot ask that kind).
 */

/* Ask LXD whether instance `name` of record `r` still exists. */
static void check_lxd(struct val *r, const char *name)
{
	const struct val *at = val_dict_get(r, "attributes");
	struct lxd_opts o = { 0 };
	struct lxd *l = NULL;
	struct buf path = BUF_INIT;
	int error;

	o.url = val_cstr(val_dict_get(at, "url"));
	o.project = val_cstr(val_dict_get(at, "project"));
	o.client_cert = val_cstr(val_dict_get(at, "client_cert"));
	o.client_key = val_cstr(val_dict_get(at, "client_key"));
	o.ca_file = val_cstr(val_dict_get(at, "ca_cert"));
	o.insecure = val_is(val_dict_get(at, "insecure"), VAL_BOOL) &&
		     val_dict_get(at, "insecure")->u.b;
	o.timeout_s = 5;
	lxd_instance_path(&path, name, "");
	if ((error = lxd_open(&l, &o)) >= 0)
		error = lxd_call(NULL, l, "GET", path.ptr, NULL);
	if (!error) {
		val_dict_set_str(r, "api", "present");
	} else if (error == TEND_ENOTFOUND) {
		val_dict_set_str(r, "api", "missing");
	} else {
		val_dict_set_str(r, "api", "unknown");
		val_dict_set_str(r, "api_error", tend_error_last());
	}
	tend_error_clear();
	lxd_free(l);
	buf_release(&path);
}

/* Mark each record expired or not, and check it against its API. */
static struct val *annotate(const struct val *all, bool only_expired)
{
	struct val *out = val_list();
	long long now = (long long)time(NULL);

	for (size_t i = 0; i < val_len(all); i++) {
		struct val *r = val_copy(val_list_at(all, i));
		const struct val *exp = val_dict_get(r, "expires_at");
		bool expired = val_is(exp, VAL_INT) && exp->u.i <= now;
		const char *kind = val_cstr(val_dict_get(r, "kind"));

		if (only_expired && !expired) {
			val_unref(r);
			continue;
		}
		val_dict_set_bool(r, "expired", expired);
		if (kind && !strcmp(kind, "lxd_instance")) {
			check_lxd(r, val_cstr(val_dict_get(r, "name")));
		} else {
			val_dict_set_str(r, "api", "unknown");
			val_dict_set_str(r, "api_error", "not a kind tend "
					 "checks");
		}
		val_list_push(out, r);
	}
	return out;
}

static void expiry_text(struct buf *out, const struct val *r)
{
	const struct val *exp = val_dict_get(r, "expires_at");

	if (val_is(exp, VAL_INT))
		isotime_format(out, exp->u.i, false);
	else
		buf_adds(out, "never");
}

int cmd_resources(struct cli_args *a)
{
	struct store *st = NULL;
	struct val *all = NULL, *list = NULL;
	struct buf out = BUF_INIT, e = BUF_INIT;
	int rc;

	if ((rc = cli_open_state(&st, a)))
		return rc;
	if (store_resource_list(&all, st, NULL) < 0) {
		rc = cli_err("%s", tend_error_last());
		goto out;
	}
	list = annotate(all, a->expired);
	if (a->format && !strcmp(a->format, "json")) {
		struct val *doc = cli_json_doc("resources", val_ref(list));

		cli_print_json(doc);
		val_unref(doc);
		goto print;
	}
	buf_addf(&out, "%-14s %-20s %-18s %-8s %-8s %s\n", "KIND", "NAME",
		 "EXPIRES", "EXPIRED", "API", "PLAYBOOK");
	for (size_t i = 0; i < val_len(list); i++) {
		const struct val *r = val_list_at(list, i);
		const char *pb = val_cstr(val_dict_path(r,
							"attributes.playbook"));

		buf_reset(&e);
		expiry_text(&e, r);
		buf_addf(&out, "%-14s %-20s %-18s %-8s %-8s %s\n",
			 val_cstr(val_dict_get(r, "kind")),
			 val_cstr(val_dict_get(r, "name")), e.ptr,
			 val_dict_get(r, "expired")->u.b ? "yes" : "no",
			 val_cstr(val_dict_get(r, "api")), pb ? pb : "");
	}
print:
	fputs(out.ptr, stdout);
out:
	buf_release(&out);
	buf_release(&e);
	val_unref(all);
	val_unref(list);
	store_close(st);
	return rc;
}
