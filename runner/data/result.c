#include "tend/common.h"
#include "tend/data/result.h"

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

void run_result_release(struct run_result *r)
{
	for (size_t i = 0; i < r->nr; i++) {
		struct run_event *ev = &r->events[i];

		free(ev->task);
		free(ev->module);
		free(ev->host);
		free(ev->label);
		free(ev->delegate);
		free(ev->diff);
		free(ev->changes);
		free(ev->msg);
		free(ev->detail);
		free(ev->result);
		free(ev->observed);
	}
	free(r->events);
	for (size_t i = 0; i < r->hosts_nr; i++)
		free(r->hosts[i].host);
	free(r->hosts);
	memset(r, 0, sizeof(*r));
}
