#include "tend/common.h"
#include "tend/cli/cli_int.h"
#include "tend/daemon/daemon.h"

/* tend daemon: the options, then the daemon's own loop (daemon/daemon.h). */
int cmd_daemon(struct cli_args *a)
{
	struct daemon_opts o = {
		.config_path = a->config_path,
		.state_path = a->state_path,
		.log_json = a->log_json,
		.check = a->check,
	};

	if (a->pos_nr)
		return cli_err("daemon takes no arguments, got '%s'",
			       a->pos[0]);
	if (!a->config_path)
		return cli_err("daemon needs --config tend.yml");
	if (daemon_run(&o) < 0)
		return cli_err("%s", tend_error_last());
	if (a->check)
		printf("%s: ok\n", a->config_path);
	return EXIT_OK;
}
