#ifndef TEND_WINDOWS_REGISTRY_H
#define TEND_WINDOWS_REGISTRY_H

/*
 * The window providers by name. The window core (window.h) works on the
 * vtables it is handed and knows no provider by name; tend.yml loading
 * and the stored windows find them here.
 */

#include "tend/windows/window.h"

/* One const table per provider, in runner/windows/<name>.c. */
extern const struct window_provider window_alertmanager;
extern const struct window_provider window_slack;
extern const struct window_provider window_mattermost; /* slack webhooks */
extern const struct window_provider window_webhook;
extern const struct window_provider window_pagerduty;

/* The providers, NULL-terminated (runner/windows/registry.c). */
extern const struct window_provider *const window_providers[];

/* The provider named `name`, or NULL. */
const struct window_provider *window_provider_find(const char *name);

#endif
