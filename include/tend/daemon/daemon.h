#ifndef TEND_DAEMON_DAEMON_H
#define TEND_DAEMON_DAEMON_H

/*
 * tend daemon: one long-running process that runs playbooks on a timer
 * and on every commit, checks for drift, and answers an HTTP API
 * (docs/daemon.md).
 *
 * The shape: one tick loop in the main thread (redis's serverCron,
 * cfengine's execd) that reaps children, polls git sources, starts the
 * runs that are due, and reloads on SIGHUP; an HTTP server (libmicrohttpd,
 * its own thread) that reads the daemon's state under one mutex and asks
 * the loop for work through a pipe. Every run is a child process of this
 * same binary (`tend plan|apply ... --format json`), as a person would
 * type it: the CLI's whole pipeline, its host locks in the state DB, its
 * windows and its record, with nothing the daemon could leak or corrupt
 * from one run to the next. A run that crashes takes only itself down.
 */

#include <stdbool.h>

struct daemon_opts {
	const char *config_path;  /* tend.yml (required) */
	const char *state_path;   /* NULL: tend.yml's state.path, else the
				     default */
	bool log_json;            /* --log-format json */
	bool check;               /* check the config, then exit */
};

/*
 * Run until SIGTERM or SIGINT (then: start nothing more, let the runs in
 * flight stop after their current tasks, close their windows and record
 * them; return 0). Returns <0 with the error set when it cannot start: a
 * bad config (every error printed), the state DB held by another daemon,
 * the HTTP address taken.
 */
int daemon_run(const struct daemon_opts *o);

#endif
