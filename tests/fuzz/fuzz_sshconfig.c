#include "fuzz.h"
#include "tend/net/sshconfig.h"
#include "tend/transport/sshargs.h"

/*
 * ssh_config (net/sshconfig.c): the input parsed as a file (Include
 * refused: a glob of the input's choosing would read this machine's
 * files), then looked up for a few host names and each value found
 * expanded with ssh's tokens; and the input's first line read as
 * ansible_ssh_common_args (transport/sshargs.c).
 */

static void expand_all(const struct sshcfg_host *h)
{
	const char *tok[128] = { 0 };
	struct buf b = BUF_INIT;

	tok['h'] = "host";
	tok['r'] = "user";
	tok['d'] = "/home/user";
	for (size_t i = 0; i < SSHCFG_NR; i++) {
		if (h->v[i].v && sshconfig_expand(&b, h->v[i].v, tok, false,
						  "fuzz") < 0)
			tend_error_clear();
		buf_reset(&b);
	}
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "web1", "a", "", "x.example.org" };
	char *text = fuzz_cstr(data, size), *nl;
	struct sshconfig cfg;
	struct sshcfg_host h;
	struct val *vars = val_dict();

	sshconfig_init(&cfg);
	cfg.no_include = true;
	if (sshconfig_parse(&cfg, (const char *)data, size, "fuzz") == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(hosts); i++) {
			if (sshconfig_lookup(&h, &cfg, hosts[i]) == 0)
				expand_all(&h);
			tend_error_clear();
		}
	}
	sshconfig_release(&cfg);
	if ((nl = strchr(text, '\n')))
		*nl = '\0';
	ssh_args_parse(vars, text, "fuzz");
	val_unref(vars);
	free(text);
	fuzz_done();
	return 0;
}
