#ifndef TEND_WINDOWS_ALERTMANAGER_H
#define TEND_WINDOWS_ALERTMANAGER_H

#include "tend/data/val.h"

/* The Alertmanager provider's matcher helpers, exposed for tests. */

/*
 * Parse an Alertmanager matcher `name=value`, `name!=value`, `name=~re`,
 * `name!~re` (value optionally "double-quoted" with \" and \\) into a dict
 * {name, value, isRegex, isEqual}. Returns 0 or -1 with the error set.
 */
int alertmanager_parse_matcher(struct val **out, const char *s);

/*
 * The matchers of a silence for `hosts`: the host matcher template
 * (default instance=~"^({hosts})(:[0-9]+)?$", `{hosts}` replaced by the
 * regex-escaped names joined with |) followed by `extra` (strings).
 * *out is a new list.
 */
int alertmanager_matchers(struct val **out, const char *host_template,
			  const char *const *hosts, size_t hosts_nr,
			  const struct val *extra);

#endif
