#ifndef TEND_WINDOWS_ALERTMANAGER_H
#define TEND_WINDOWS_ALERTMANAGER_H

#include "tend/data/val.h"

/* The Alertmanager provider's helpers, exposed for tests and fuzzing. */

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

/*
 * Alertmanager's answers (already parsed from JSON), which the provider
 * trusts no further than their shape: any value may come back.
 *
 * alertmanager_silence_id: the id in a POST /api/v2/silences answer
 * (borrowed from `answer`), or NULL when it has none.
 */
const char *alertmanager_silence_id(const struct val *answer);
/*
 * The silence to POST to move the end of `old` (a GET /api/v2/silence/ID
 * answer) to `ends_at`, keeping its id, matchers, start and comment.
 * A new dict.
 */
struct val *alertmanager_silence_update(const struct val *old,
					const char *ends_at);
/*
 * Append to `out` (a list) the labels of each alert of a GET
 * /api/v2/alerts answer, with its fingerprint added; an alert whose
 * fingerprint is already in `out` is skipped (the members of an HA
 * pair report the same alerts), and so is one without a labels dict.
 * An answer that is not a list is -1 with the error set.
 */
int alertmanager_read_alerts(struct val *out, const struct val *answer);

#endif
