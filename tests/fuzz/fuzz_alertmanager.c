#include "fuzz.h"
#include "tend/windows/alertmanager.h"

/*
 * What Alertmanager sends back (windows/alertmanager.c): the body is
 * parsed as net/http.c http_json parses it (data/val.c val_from_json),
 * then read as each of the three answers the provider reads: a POST of a
 * silence, a GET of one silence, and a GET of the alerts (twice, as for
 * the two members of an HA pair).
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct val *answer = NULL, *firing = NULL, *silence = NULL;
	const char *id;

	if (val_from_json(&answer, (const char *)data, size) == 0) {
		if ((id = alertmanager_silence_id(answer)))
			(void)strlen(id);
		silence = alertmanager_silence_update(answer,
						      "2024-01-01T00:00:00Z");
		firing = val_list();
		if (alertmanager_read_alerts(firing, answer) == 0)
			alertmanager_read_alerts(firing, answer);
	}
	val_unref(firing);
	val_unref(silence);
	val_unref(answer);
	fuzz_done();
	return 0;
}
