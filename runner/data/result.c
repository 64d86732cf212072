#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/result.h"
#include "tend/data/val.h"

const char *event_status_name(enum event_status s, enum run_mode mode)
{
	switch (s) {
	case EV_OK:
		return "ok";
	case EV_CHANGED:
		return mode == RUN_PLAN ? "change" : "changed";
	case EV_UNKNOWN:
		return "unknown";
	case EV_SKIPPED:
		return "skipped";
	case EV_FAILED:
		return "failed";
	case EV_UNREACHABLE:
		return "unreachable";
	}
	return "?";
}

void run_event_release(struct run_event *ev)
{
	free(ev->task);
	free(ev->module);
	free(ev->host);
	free(ev->label);
	free(ev->delegate);
	free(ev->diff);
	free(ev->changes);
	free(ev->msg);
	free(ev->detail);
	free(ev->detail_json);
	free(ev->result);
	free(ev->verbose_result);
	free(ev->conn_detail);
	free(ev->observed);
	memset(ev, 0, sizeof(*ev));
}

void run_result_release(struct run_result *r)
{
	for (size_t i = 0; i < r->nr; i++)
		run_event_release(&r->events[i]);
	free(r->events);
	for (size_t i = 0; i < r->hosts_nr; i++)
		free(r->hosts[i].host);
	free(r->hosts);
	memset(r, 0, sizeof(*r));
}

/* The keys of a failure's detail, in the order they are shown. */
static const char *const detail_keys[] = { "rc", "stdout", "stderr" };

void result_output_tail(struct buf *out, const char *text, size_t len,
			const char *hint)
{
	/* a final newline ends the last line: it does not start another */
	size_t cut = len && text[len - 1] == '\n' ? len - 1 : len;
	size_t newlines = 0, lines;

	while (cut > 0) {
		if (text[cut - 1] == '\n' &&
		    ++newlines == RESULT_TAIL_LINES)
			break;
		cut--;
	}
	if (len - cut > RESULT_TAIL_BYTES) {
		cut = len - RESULT_TAIL_BYTES;
		while (cut < len && ((unsigned char)text[cut] & 0xc0) == 0x80)
			cut++;
	}
	if (!cut) {
		buf_add(out, text, len);
		return;
	}
	/* the lines left out, the one cut in two counted */
	lines = text[cut - 1] == '\n' ? 0 : 1;
	for (size_t i = 0; i < cut; i++)
		lines += text[i] == '\n';
	buf_addf(out, "[%zu line%s (%zu bytes) left out%s%s]\n", lines,
		 lines == 1 ? "" : "s", cut, hint ? "; " : "",
		 hint ? hint : "");
	buf_add(out, text + cut, len - cut);
}

void result_detail_text(struct buf *out, const struct val *d, bool tail)
{
	const char *sep = "";

	for (size_t i = 0; i < ARRAY_SIZE(detail_keys); i++) {
		const struct val *v = val_dict_get(d, detail_keys[i]);

		if (!v || v->type == VAL_NULL)
			continue;
		buf_addf(out, "%s%s: ", sep, detail_keys[i]);
		sep = "\n";
		if (v->flags & VAL_F_SECRET)
			buf_adds(out, "********");
		else if (v->type != VAL_STR)
			val_to_json(out, v, 0);
		else if (tail)
			result_output_tail(out, v->u.s.ptr, v->u.s.len,
					   "-v shows all");
		else
			buf_add(out, v->u.s.ptr, v->u.s.len);
	}
}

/* s with each byte that is not UTF-8 as U+FFFD. */
static void add_valid_utf8(struct buf *out, const char *s, size_t len)
{
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_decode(&cp, s + i, len - i);

		if (n) {
			buf_add(out, s + i, n);
			i += n;
		} else {
			buf_add_utf8(out, 0xfffd);
			i++;
		}
	}
}

char *result_detail_json(const struct val *d)
{
	struct val *j = val_dict();
	struct buf tail = BUF_INIT, text = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(detail_keys); i++) {
		struct val *v = val_dict_get(d, detail_keys[i]);

		if (v && v->type == VAL_STR && !(v->flags & VAL_F_SECRET)) {
			buf_reset(&tail);
			result_output_tail(&tail, v->u.s.ptr, v->u.s.len, NULL);
			buf_reset(&text);
			add_valid_utf8(&text, tail.ptr, tail.len);
			v = val_strn(text.ptr, text.len);
		} else {
			v = v ? val_ref(v) : val_null();
		}
		val_dict_set(j, detail_keys[i], v);
	}
	buf_reset(&text);
	val_to_json(&text, j, 0);
	val_unref(j);
	buf_release(&tail);
	return buf_detach(&text, NULL);
}
