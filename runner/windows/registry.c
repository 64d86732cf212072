#include "tend/common.h"
#include "tend/windows/registry.h"

/*
 * Every window provider tend knows. Add a row here (and its declaration in
 * registry.h) when adding runner/windows/<name>.c.
 */
const struct window_provider *const window_providers[] = {
	&window_alertmanager,
	&window_slack,
	&window_mattermost,
	&window_webhook,
	&window_pagerduty,
	NULL
};

const struct window_provider *window_provider_find(const char *name)
{
	for (size_t i = 0; window_providers[i]; i++) {
		if (!strcmp(window_providers[i]->name, name))
			return window_providers[i];
	}
	return NULL;
}
