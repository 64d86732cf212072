#ifndef TEND_INTERRUPT_H
#define TEND_INTERRUPT_H

/*
 * "Stop soon", process-wide: set by the SIGINT/SIGTERM handler of the CLI
 * (cli.c), which does nothing else (a second signal exits at once).
 *
 * Work that can take long checks it and winds down cleanly: loading an
 * inventory stops and returns TEND_EINTERRUPTED (inventory.h); the
 * executor sets no further play up and starts no further task, and says
 * so in run_result.interrupted (run.h). Checking is a plain read, cheap
 * enough for every item of a loop.
 */

#include <signal.h>

extern volatile sig_atomic_t tend_interrupted;

#endif
