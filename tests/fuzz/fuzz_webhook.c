#include "fuzz.h"
#include "tend/net/webhook.h"

/*
 * What a git host POSTs to the daemon's /hooks/git (net/webhook.c): the
 * body read as a push event (JSON, or a form's `payload=`), whose URLs
 * are then matched against each other and against a source's. The first
 * line of the input also stands for every signature header, checked
 * against the whole input as the body, and for a configured URL matched
 * against the rest.
 */

static const char *first_line;

static const char *header(const char *name, void *payload)
{
	(void)payload;
	if (!strcmp(name, "X-GitHub-Event"))
		return "push";
	return first_line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sources[] = {
		"ssh://git@github.com/octo-org/infra.git",
		"git@gitlab.example.com:platform/infra.git",
		"https://git.example.org/ops/infra",
	};
	char *text = fuzz_cstr(data, size), *nl = strchr(text, '\n');
	struct webhook_push p;
	enum webhook_sender sender;
	const char *event;

	if (webhook_read_push(&p, (const char *)data, size) == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(sources); i++)
			(void)webhook_push_concerns(&p, sources[i]);
		for (size_t i = 0; i < p.nr_urls; i++)
			for (size_t j = 0; j < p.nr_urls; j++)
				(void)webhook_url_matches(p.urls[i],
							  p.urls[j]);
		webhook_push_release(&p);
	}
	if (nl) {
		*nl = '\0';
		first_line = text;
		(void)webhook_url_matches(text, nl + 1);
		if (webhook_verify(&sender, header, NULL, (const char *)data,
				   size, "fuzz-secret") == 0)
			(void)webhook_event(&event, sender, header, NULL);
	}
	free(text);
	fuzz_done();
	return 0;
}
